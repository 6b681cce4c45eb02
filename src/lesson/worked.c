// Worked examples: the small matrices a lesson defines with @worked, and simplified or scaled
// attention worked through on them by the engine's reference kernels, for the worked panel and
// the narration's {{worked ...}} numbers.
#include "worked.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/ops.h"
#include "stepformer/text.h"

#define WORKED_ABS_MAX 1000 // the largest |number| a worked matrix takes

static const char *const input_names[LESSON_WK_COUNT] = {
#define SF_X(id, kw, help) kw,
    SF_WORKED_LIST(SF_X)
#undef SF_X
};

const char *lesson_worked_name(enum lesson_worked_input i)
{
    return i >= 0 && i < LESSON_WK_COUNT ? input_names[i] : "?";
}

// The first words of '@worked' besides the matrices.
static const char *const other_words[] = {"tokens", "scale", "show", "off"};

// '@worked show STEP': the steps by number (enum lesson_worked_step).
static const char *const steps[] = {"all", "inputs", "score", "alpha", "out"};
#define N_STEPS (int)(sizeof steps / sizeof steps[0])
#define N_OTHER (int)(sizeof other_words / sizeof other_words[0])
#define N_WORDS (LESSON_WK_COUNT + N_OTHER)

static const char *word_name(int i)
{
    return i < LESSON_WK_COUNT ? input_names[i] : other_words[i - LESSON_WK_COUNT];
}

static int same(const char *w, size_t n, const char *kw)
{
    return n == strlen(kw) && strncmp(w, kw, n) == 0;
}

// The next word of [*s, end) and its length (0 at the end); '|' is a word of its own.
static size_t next_word(const char **s, const char *end, const char **w)
{
    while (*s < end && (**s == ' ' || **s == '\t'))
        (*s)++;
    *w = *s;
    if (*s < end && **s == '|')
        return (size_t)(++*s - *w);
    while (*s < end && **s != ' ' && **s != '\t' && **s != '|')
        (*s)++;
    return (size_t)(*s - *w);
}

// An error at column col of line.
static void fail(struct lesson_diags *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct lesson_diags *d, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lesson_diag_vadd(d, 1, line, col, fmt, ap);
    va_end(ap);
}

static void unknown_word(const char *w, size_t n, int line, int col, struct lesson_diags *d)
{
    const char *names[N_WORDS];
    char list[200] = "", near[64] = "";
    for (int i = 0; i < N_WORDS; i++) {
        names[i] = word_name(i);
        size_t k = strlen(list);
        snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", names[i]);
    }
    int k = text_nearest(w, n, names, N_WORDS);
    if (k >= 0)
        snprintf(near, sizeof near, " (did you mean '%s'?)", names[k]);
    fail(d, line, col, "unknown @worked part '%.*s'%s; it is one of: %s", (int)(n > 30 ? 30 : n), w,
         near, list);
}

// The rows of matrix m ("1 0 | 0 1 | 1 1") into w's input m; nothing changes after an error.
static void read_matrix(struct lesson_worked *w, int m, const char *s, const char *end, int col0,
                        int line, struct lesson_diags *d)
{
    const char *name = input_names[m], *start = s, *word;
    float cells[LESSON_WORKED_CELLS];
    int rows = 0, cols = 0, in_row = 0, row_col = col0;
    for (size_t n;;) {
        n = next_word(&s, end, &word);
        int col = col0 + (int)(word - start);
        if (n == 0 || same(word, n, "|")) { // a row ends
            if (in_row == 0 && (n || rows)) {
                fail(d, line, col, "@worked %s: an empty row ('|' with no numbers before it)",
                     name);
                return;
            }
            if (rows > 0 && in_row != cols) {
                fail(d, line, row_col,
                     "@worked %s: row %d has %d number%s, row 0 has %d (the rows of a matrix "
                     "have the same length)",
                     name, rows, in_row, in_row == 1 ? "" : "s", cols);
                return;
            }
            if (in_row)
                cols = in_row, rows++;
            in_row = 0;
            if (n == 0)
                break;
            continue;
        }
        if (in_row == 0 && rows == LESSON_WORKED_MAX) {
            fail(d, line, col,
                 "@worked %s: more than %d rows (a worked example is at most %d × %d)", name,
                 LESSON_WORKED_MAX, LESSON_WORKED_MAX, LESSON_WORKED_MAX);
            return;
        }
        if (in_row == 0)
            row_col = col;
        char tmp[48];
        double v;
        snprintf(tmp, sizeof tmp, "%.*s", (int)(n < sizeof tmp ? n : sizeof tmp - 1), word);
        if (n >= sizeof tmp || text_parse_double(tmp, -WORKED_ABS_MAX, WORKED_ABS_MAX, 0, &v)) {
            fail(d, line, col, "@worked %s: '%.*s' is not a number from %d to %d", name,
                 (int)(n > 30 ? 30 : n), word, -WORKED_ABS_MAX, WORKED_ABS_MAX);
            return;
        }
        if (in_row == LESSON_WORKED_MAX) {
            fail(d, line, col,
                 "@worked %s: more than %d numbers in a row (a worked example is "
                 "at most %d × %d)",
                 name, LESSON_WORKED_MAX, LESSON_WORKED_MAX, LESSON_WORKED_MAX);
            return;
        }
        cells[rows * LESSON_WORKED_MAX + in_row++] = (float)v;
    }
    if (rows == 0) {
        fail(d, line, col0,
             "@worked %s needs its rows, numbers separated by '|', e.g. '@worked %s "
             "1 0 | 0 1 | 1 1'",
             name, name);
        return;
    }
    for (int i = 0; i < rows; i++) // packed: row i at i * cols
        for (int j = 0; j < cols; j++)
            w->in[m][i * cols + j] = cells[i * LESSON_WORKED_MAX + j];
    w->in_rows[m] = rows, w->in_cols[m] = cols, w->in_line[m] = line;
}

static void read_tokens(struct lesson_worked *w, const char *s, const char *end, int col0, int line,
                        struct lesson_diags *d)
{
    const char *start = s, *word;
    int n_tok = 0;
    char tok[LESSON_WORKED_MAX][sizeof w->tokens[0]];
    for (size_t n; (n = next_word(&s, end, &word)) > 0;) {
        int col = col0 + (int)(word - start);
        if (n_tok == LESSON_WORKED_MAX) {
            fail(d, line, col, "@worked tokens: more than %d tokens", LESSON_WORKED_MAX);
            return;
        }
        if (n >= sizeof tok[0]) {
            fail(d, line, col, "@worked tokens: '%.*s…' is longer than %d bytes", 20, word,
                 (int)sizeof tok[0] - 1);
            return;
        }
        snprintf(tok[n_tok++], sizeof tok[0], "%.*s", (int)n, word);
    }
    if (!n_tok) {
        fail(d, line, col0,
             "@worked tokens needs a word per row, e.g. '@worked tokens so long and'");
        return;
    }
    memcpy(w->tokens, tok, sizeof tok);
    w->n_tokens = n_tok;
    w->tokens_line = line;
}

// '@worked show STEP' (s: after "show", at column col0).
static void read_show(struct lesson_worked *w, const char *s, const char *end, int col0, int line,
                      struct lesson_diags *d)
{
    const char *start = s, *v, *m;
    size_t vn = next_word(&s, end, &v), more = vn ? next_word(&s, end, &m) : 0;
    int col = col0 + (int)(v - start), k = 0;
    while (k < N_STEPS && !same(v, vn, steps[k]))
        k++;
    if (k < N_STEPS) {
        w->show = k;
    } else {
        char near[48] = "";
        int j = vn ? text_nearest(v, vn, steps, N_STEPS) : -1;
        if (j >= 0)
            snprintf(near, sizeof near, " (did you mean '%s'?)", steps[j]);
        fail(d, line, col,
             "@worked show is one of inputs, score, alpha, out (the last step the panel shows) "
             "or all, not '%.*s'%s",
             (int)(vn > 30 ? 30 : vn), v, near);
    }
    if (more)
        fail(d, line, col0 + (int)(m - start), "@worked show: unexpected '%.*s' at the end",
             (int)(more > 30 ? 30 : more), m);
}

void lesson_worked_directive(struct lesson_worked *w, int *on, const char *s, size_t n, int col,
                             int line, struct lesson_diags *d)
{
    const char *end = s + n, *start = s, *word;
    size_t wn = next_word(&s, end, &word);
    int wcol = col + (int)(word - start), rest = col + (int)(s - start);
    if (!wn) {
        fail(d, line, col, "@worked needs a matrix and its rows, e.g. '@worked x 1 0 | 0 1 | 1 1'");
        return;
    }
    if (same(word, wn, "off")) {
        const char *more;
        if (next_word(&s, end, &more))
            fail(d, line, col + (int)(more - start), "@worked off takes nothing after it");
        memset(w, 0, sizeof *w);
        *on = 0;
        return;
    }
    *on = 1;
    if (same(word, wn, "tokens")) {
        read_tokens(w, s, end, rest, line, d);
    } else if (same(word, wn, "show")) {
        read_show(w, s, end, col + (int)(s - start), line, d);
    } else if (same(word, wn, "scale")) {
        const char *v;
        size_t vn = next_word(&s, end, &v), more = 0;
        const char *m;
        if (vn)
            more = next_word(&s, end, &m);
        if (same(v, vn, "on") || same(v, vn, "off"))
            w->scale = same(v, vn, "on");
        else
            fail(d, line, vn ? col + (int)(v - start) : rest,
                 "@worked scale is 'on' (divide the scores by √d_k) or 'off'");
        if (more)
            fail(d, line, col + (int)(m - start), "@worked scale: unexpected '%.*s' at the end",
                 (int)(more > 30 ? 30 : more), m);
    } else {
        int m = 0;
        while (m < LESSON_WK_COUNT && !same(word, wn, input_names[m]))
            m++;
        if (m == LESSON_WK_COUNT)
            unknown_word(word, wn, line, wcol, d);
        else
            read_matrix(w, m, s, end, rest, line, d);
    }
}

// Computing: each step one of the engine's reference kernels, as the forward pass runs them.

static int given(const struct lesson_worked *w, int m)
{
    return w->in_rows[m] > 0;
}

// Fills the matrix used for q, k or v (rows n): given, x W, or x itself. *cols gets its width.
static int project(struct lesson_worked *w, int m, int wm, float *out, int *cols, int *input,
                   char *why, size_t wn)
{
    const char *name = input_names[m];
    if (given(w, m) && given(w, wm)) {
        *input = w->in_line[m] > w->in_line[wm] ? m : wm; // the later line
        snprintf(why, wn, "give %s or %s, not both", name, input_names[wm]);
        return -1;
    }
    if (given(w, m)) {
        if (w->in_rows[m] != w->n) {
            *input = m;
            snprintf(why, wn, "%s has %d rows, but there are %d tokens (the rows of %s)", name,
                     w->in_rows[m], w->n, given(w, LESSON_WK_X) ? "x" : "q");
            return -1;
        }
        *cols = w->in_cols[m];
        memcpy(out, w->in[m], sizeof(float) * (size_t)(w->n * *cols));
        return 0;
    }
    if (!given(w, LESSON_WK_X)) {
        *input = -1;
        snprintf(why, wn, "the example has no %s and no x to make it from: add '@worked x ...'",
                 name);
        return -1;
    }
    int xc = w->in_cols[LESSON_WK_X];
    if (!given(w, wm)) {
        *cols = xc;
        memcpy(out, w->in[LESSON_WK_X], sizeof(float) * (size_t)(w->n * xc));
        return 0;
    }
    if (w->in_rows[wm] != xc) {
        *input = wm;
        snprintf(why, wn, "%s has %d rows, but x has %d numbers a row (x %s needs them equal)",
                 input_names[wm], w->in_rows[wm], xc, input_names[wm]);
        return -1;
    }
    struct tensor x, W, y;
    *cols = w->in_cols[wm];
    tensor_wrap(&x, w->in[LESSON_WK_X], 2, (int[]){w->n, xc});
    tensor_wrap(&W, w->in[wm], 2, (int[]){xc, *cols});
    tensor_wrap(&y, out, 2, (int[]){w->n, *cols});
    return op_linear(OP_IMPL_REF, &y, &x, &W, NULL) ? -1 : 0;
}

int lesson_worked_compute(struct lesson_worked *w, int *input, char *why, size_t wn)
{
    *input = -1;
    w->n = given(w, LESSON_WK_X) ? w->in_rows[LESSON_WK_X] : w->in_rows[LESSON_WK_Q];
    if (w->n == 0) {
        snprintf(why, wn, "the example has no x (nor q): add '@worked x ...', one row per token");
        return -1;
    }
    int dq;
    if (project(w, LESSON_WK_Q, LESSON_WK_WQ, w->q, &dq, input, why, wn) ||
        project(w, LESSON_WK_K, LESSON_WK_WK, w->k, &w->d_k, input, why, wn) ||
        project(w, LESSON_WK_V, LESSON_WK_WV, w->v, &w->d_v, input, why, wn))
        return -1;
    if (dq != w->d_k) {
        *input = given(w, LESSON_WK_K) ? LESSON_WK_K : given(w, LESSON_WK_WK) ? LESSON_WK_WK : -1;
        snprintf(why, wn, "q_i has %d numbers and k_j %d: a dot product needs the same length", dq,
                 w->d_k);
        return -1;
    }
    if (w->n_tokens && w->n_tokens != w->n) {
        *input = LESSON_WK_COUNT;
        snprintf(why, wn, "@worked tokens names %d tokens, but x has %d rows", w->n_tokens, w->n);
        return -1;
    }
    // One head of one sequence: (1, n, d_k) and (1, n, n), as the attention ops take them.
    int n = w->n;
    struct tensor q, k, v, s, sc, m, a, o;
    tensor_wrap(&q, w->q, 3, (int[]){1, n, w->d_k});
    tensor_wrap(&k, w->k, 3, (int[]){1, n, w->d_k});
    tensor_wrap(&v, w->v, 3, (int[]){1, n, w->d_v});
    tensor_wrap(&s, w->score, 3, (int[]){1, n, n});
    tensor_wrap(&sc, w->scaled, 3, (int[]){1, n, n});
    tensor_wrap(&m, w->masked, 3, (int[]){1, n, n});
    tensor_wrap(&a, w->alpha, 3, (int[]){1, n, n});
    tensor_wrap(&o, w->out, 3, (int[]){1, n, w->d_v});
    // score = q_i . k_j; scaled = score / sqrt(d_k); masked: -inf where j > i; alpha = softmax;
    // a_i = sum_j alpha_ij v_j.
    float c = w->scale ? 1.0f / sqrtf((float)w->d_k) : 1.0f;
    if (op_attn_scores(OP_IMPL_REF, &s, &q, &k) || op_scale(OP_IMPL_REF, &sc, &s, c) ||
        op_causal_mask(OP_IMPL_REF, &m, &sc, n) || op_softmax_rows(OP_IMPL_REF, &a, &m) ||
        op_attn_mix(OP_IMPL_REF, &o, &a, &v)) {
        snprintf(why, wn, "the shapes do not fit together");
        return -1;
    }
    return 0;
}

// Expression words: what each part reads.
enum part {
    PART_X,
    PART_Q,
    PART_K,
    PART_V,
    PART_SCORE,
    PART_SCALED,
    PART_ALPHA,
    PART_OUT,
    PART_N,
    PART_DK,
    PART_DV,
    PART_COUNT
};

static const struct {
    const char *name;
    int indices; // 2: ROW COL; 0: a size
} parts[PART_COUNT] = {{"x", 2},     {"q", 2},   {"k", 2}, {"v", 2},   {"score", 2}, {"scaled", 2},
                       {"alpha", 2}, {"out", 2}, {"n", 0}, {"d_k", 0}, {"d_v", 0}};

static int find_part(const char *w, char *why, size_t wn)
{
    const char *names[PART_COUNT];
    char list[160] = "", near[48] = "";
    for (int i = 0; i < PART_COUNT; i++) {
        if (strcmp(w, parts[i].name) == 0)
            return i;
        names[i] = parts[i].name;
        size_t k = strlen(list);
        snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", names[i]);
    }
    int k = text_nearest(w, strlen(w), names, PART_COUNT);
    if (k >= 0)
        snprintf(near, sizeof near, " (did you mean '%s'?)", names[k]);
    snprintf(why, wn, "unknown worked value '%.30s'%s; it is one of: %s", w, near, list);
    return -1;
}

int lesson_worked_check(char **words, int n, char *why, size_t wn)
{
    if (n < 1) {
        snprintf(why, wn, "'worked' takes PART [ROW COL]");
        return -1;
    }
    int p = find_part(words[0], why, wn);
    if (p < 0)
        return -1;
    if (n - 1 != parts[p].indices) {
        snprintf(why, wn, "'worked %s' takes %s", parts[p].name,
                 parts[p].indices ? "a row and a column (from 0)" : "no indices");
        return -1;
    }
    return 0;
}

// An index word (digits or "last") in 0..count-1; -1 with why filled when it is outside.
static int index_in(const char *s, int count, const char *what, char *why, size_t wn)
{
    long v = count - 1;
    if (strcmp(s, "last") != 0 && text_parse_long(s, 0, INT_MAX, TEXT_NUM_UNSIGNED, &v))
        v = INT_MAX;
    if (v < 0 || v >= count) {
        snprintf(why, wn, "%s %.20s is outside 0..%d", what, s, count - 1);
        return -1;
    }
    return (int)v;
}

int lesson_worked_value(const struct lesson_worked *w, char **words, int n, double *value,
                        char *why, size_t wn)
{
    if (lesson_worked_check(words, n, why, wn))
        return -1;
    if (!w) {
        snprintf(why, wn, "no worked example at this beat: define one with '@worked x ...' first");
        return -1;
    }
    int p = find_part(words[0], why, wn);
    if (p >= PART_N) {
        *value = p == PART_N ? w->n : p == PART_DK ? w->d_k : w->d_v;
        return 0;
    }
    const float *m = p == PART_X        ? w->in[LESSON_WK_X]
                     : p == PART_Q      ? w->q
                     : p == PART_K      ? w->k
                     : p == PART_V      ? w->v
                     : p == PART_SCORE  ? w->score
                     : p == PART_SCALED ? w->scaled
                     : p == PART_ALPHA  ? w->alpha
                                        : w->out;
    int cols = p == PART_X                    ? w->in_cols[LESSON_WK_X]
               : p == PART_Q || p == PART_K   ? w->d_k
               : p == PART_V || p == PART_OUT ? w->d_v
                                              : w->n;
    if (p == PART_X && !given(w, LESSON_WK_X)) {
        snprintf(why, wn, "the worked example has no x (it gives q, k and v)");
        return -1;
    }
    int i = index_in(words[1], w->n, "row", why, wn);
    int j = i < 0 ? -1 : index_in(words[2], cols, "column", why, wn);
    if (j < 0)
        return -1;
    *value = m[i * cols + j];
    return 0;
}
