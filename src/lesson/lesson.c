// The lesson parser: lines to beats, with a diagnostic (file:line:col) for every problem.
#include "stepformer/lesson.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/fileio.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"
#include "worked.h"

// A growing string.
struct buf {
    char *s;
    size_t n, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p)
            return SF_ERR_NOMEM;
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
    return 0;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

// A cell of a table row: its text without the spaces around it.
struct eq_cell {
    const char *s;
    size_t n;
};

// A row of the equation table "| key | number | status | section | equation | source |": the
// key it starts with and the cells after it.
struct eq_row {
    const char *key;
    size_t key_len;
    size_t order; // rows with the same key: the first one counts
    int line;     // in the table, from 1
    struct eq_cell num, status, section, equation, source;
};

static int is_key_end(char c)
{
    return c == ' ' || c == '|' || c == '`';
}

static int eq_row_cmp(const void *a, const void *b)
{
    const struct eq_row *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

// The cells of [s, e) after the key: the text between one '|' and the next, trimmed, into
// cells[0..max) (a missing cell is empty).
static void eq_cells(const char *s, const char *e, struct eq_cell *cells, int max)
{
    for (int i = 0; i < max; i++)
        cells[i] = (struct eq_cell){NULL, 0};
    const char *bar = memchr(s, '|', (size_t)(e - s));
    for (int i = 0; bar && i < max; i++) {
        const char *v = bar + 1;
        bar = memchr(v, '|', (size_t)(e - v));
        const char *ve = bar ? bar : e;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
            ve--;
        cells[i] = (struct eq_cell){v, (size_t)(ve - v)};
    }
}

// Indexes the table's Markdown rows (a key may be in backquotes) once, so that each reference
// is a binary search instead of a scan of the table. Returns the rows sorted by key (malloc'd;
// NULL with *n = 0 when memory ran out).
static struct eq_row *eq_index(const char *table, size_t *n)
{
    *n = 0;
    size_t lines = 1;
    for (const char *t = table; *t; t++)
        lines += *t == '\n';
    struct eq_row *rows = malloc(sizeof *rows * lines);
    if (!rows)
        return NULL;
    int line = 0;
    for (const char *t = table; *t;) {
        line++;
        const char *nl = strchr(t, '\n');
        const char *e = nl ? nl : t + strlen(t);
        const char *c = t;
        while (c < e && (*c == ' ' || *c == '|'))
            c++;
        if (c < e && *c == '`')
            c++;
        const char *k = c;
        while (k < e && !is_key_end(*k))
            k++;
        if (k > c && k < e) { // a key, and something after it
            struct eq_row *r = &rows[*n];
            r->key = c;
            r->key_len = (size_t)(k - c);
            r->order = *n;
            r->line = line;
            struct eq_cell cells[5];
            eq_cells(k, e, cells, 5);
            r->num = cells[0];
            r->status = cells[1];
            r->section = cells[2];
            r->equation = cells[3];
            r->source = cells[4];
            (*n)++;
        }
        t = nl ? nl + 1 : e;
    }
    qsort(rows, *n, sizeof *rows, eq_row_cmp);
    return rows;
}

// The first row whose key is key[0..len), or NULL.
static const struct eq_row *eq_find(const struct eq_row *rows, size_t n, const char *key,
                                    size_t len)
{
    struct eq_row want = {.key = key, .key_len = len};
    size_t lo = 0, hi = n; // the first row not before want (order 0 sorts first)
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (eq_row_cmp(&rows[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && rows[lo].key_len == len && memcmp(rows[lo].key, key, len) == 0)
        return &rows[lo];
    return NULL;
}

// " (did you mean 'KEY'?)" for the table's key nearest to key, or "" when none is near.
static void eq_nearest(const struct eq_row *rows, size_t n, const char *key, size_t len, char *out,
                       size_t size)
{
    out[0] = 0;
    char **names = calloc(n ? n : 1, sizeof *names);
    size_t k = 0;
    for (; names && k < n; k++)
        if (!(names[k] = dup_n(rows[k].key, rows[k].key_len)))
            break;
    int best =
        k == n && n <= INT_MAX ? text_nearest(key, len, (const char *const *)names, (int)n) : -1;
    if (best >= 0)
        snprintf(out, size, " (did you mean '%s'?)", names[best]);
    for (size_t i = 0; names && i < k; i++)
        free(names[i]);
    free(names);
}

// How a reference to row r reads: 1 its number (C, with a number and a source), 0 its section
// and equation, -1 neither. why gets what is wrong with the row ("" when nothing is), after
// "equation 'KEY' ".
static int eq_row_check(const struct eq_row *r, char *why, size_t size)
{
    why[0] = 0;
    int confirmed = r->status.n == 1 && r->status.s[0] == 'C';
    if (confirmed && r->num.n && r->source.n)
        return 1;
    if (confirmed)
        snprintf(why, size,
                 "is marked C (confirmed) in equations.md but %s: record where the number was "
                 "confirmed, or mark it R",
                 r->num.n ? "has no source" : "has no number");
    else if (!(r->status.n == 1 && r->status.s[0] == 'R'))
        snprintf(why, size,
                 "has the status '%.*s' in equations.md: write C (confirmed, with its source) or "
                 "R (not confirmed)",
                 (int)(r->status.n < 40 ? r->status.n : 40), r->status.s ? r->status.s : "");
    if (r->section.n && r->equation.n)
        return 0;
    if (!why[0])
        snprintf(why, size,
                 "needs its section and the equation itself in equations.md: a lesson shows them "
                 "where the number is not confirmed");
    return -1;
}

// The parser's state.
struct parser {
    struct lesson *l;
    struct lesson_diags *d;
    const char *eq_table;
    const struct lesson_panels *panels;
    int line;
    struct lesson_beat beat; // the beat being read
    struct buf text;         // its narration
    int blank;               // a blank line since the last narration line
    int cap_beats, cap_acts;
    char **cont;               // the field a continuation line (indented) extends, or NULL
    size_t cont_len, cont_cap; // its length and allocated size
    int cap_answers;           // allocated size of the beat's question's answers
    const struct eq_row *eq;   // the equation table's rows, sorted by key (n_eq of them)
    size_t n_eq;
    // For @feedback: the choice the directive just read added, and the one the directive
    // before it added (-1: none).
    int last_choice, feedback_for;
    int in_comment; // inside <!-- ... -->
    int comment_line;
    int seen_content; // narration or a beat directive has appeared (header is over)
    int bad_lines;    // lines that are not UTF-8 text (the first ones are reported)
    int narrating;    // expand is reading narration: {{...}} live numbers are allowed
    int cap_lives;    // allocated size of the beat's lives
    // @worked: the example as the lines so far define it (wk_on 0: none, after '@worked off');
    // wk_dirty: the beat being read has @worked lines (wk_line: its last); wk_last: the
    // example in force, owned by the beat that made it.
    struct lesson_worked wk;
    int wk_on, wk_dirty, wk_line;
    struct lesson_worked *wk_last;
    // @learn: the steps of the run started (0: none yet) and the step the last run-to reached.
    int learn_steps, learn_at;
};

static struct lesson_live *new_live(struct parser *p);
static int inline_live(struct parser *p, const char *s, size_t n, int col);

// An equation reference {eq:KEY} (ref: the text between '{eq:' and '}', len bytes, at column
// col) as the student reads it: the number when the table marks it C (confirmed, with its
// source), else the section and the equation itself ("§9.1: q_i = x_i W^Q"), so that no
// number that has not been checked against the book reaches the screen.
static void eq_expand(struct parser *p, struct buf *out, const char *ref, size_t len, int col)
{
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(len < sizeof key - 1 ? len : sizeof key - 1), ref);
    size_t k = 0; // a key, as in the table, has no space, bar or backquote in it
    while (k < len && !is_key_end(ref[k]))
        k++;
    const struct eq_row *row = k == len && len > 0 ? eq_find(p->eq, p->n_eq, ref, len) : NULL;
    if (!p->eq_table) {
        lesson_diag_add(p->d, 1, p->line, col,
                        "{eq:%s}: there is no equation table (equations.md) beside the lesson "
                        "or in the lessons directory",
                        key);
    } else if (!row) {
        char near[96];
        eq_nearest(p->eq, p->n_eq, ref, len, near, sizeof near);
        lesson_diag_add(p->d, 1, p->line, col,
                        "unknown equation '%s'%s: add it to equations.md or fix the key", key,
                        near);
    } else {
        char why[300];
        int shows = eq_row_check(row, why, sizeof why);
        if (why[0])
            lesson_diag_add(p->d, 1, p->line, col, "equation '%s' %s", key, why);
        if (shows == 1) {
            buf_add(out, row->num.s, row->num.n);
            return;
        }
        if (shows == 0) {
            buf_add(out, "§", strlen("§"));
            buf_add(out, row->section.s, row->section.n);
            buf_add(out, ": ", 2);
            buf_add(out, row->equation.s, row->equation.n);
            return;
        }
    }
    buf_add(out, "?", 1);
}

// Equation references {eq:KEY} (see eq_expand), live numbers kept for the player, emphasis
// and code marks. Errors name the column.
static char *expand(struct parser *p, const char *s, size_t n, int col0)
{
    struct buf out = {0};
    size_t i = 0;
    while (i < n) {
        if (s[i] == '{' && i + 1 < n && s[i + 1] == '{') { // a live number, kept for the player
            const char *end = NULL;
            for (size_t k = i + 2; k + 1 < n && !end; k++)
                if (s[k] == '}' && s[k + 1] == '}')
                    end = s + k;
            if (!end) {
                lesson_diag_add(p->d, 1, p->line, col0 + (int)i,
                                "'{{' has no closing '}}': write {{EXPRESSION [FORMAT]}}");
                buf_add(&out, s + i, n - i);
                break;
            }
            size_t len = (size_t)(end - s) + 2 - i;
            if (p->narrating) { // one that cannot be read shows as "?", keeping the others in order
                if (inline_live(p, s + i + 2, len - 4, col0 + (int)i) == 0)
                    buf_add(&out, s + i, len);
                else
                    buf_add(&out, "?", 1);
            } else {
                lesson_diag_add(p->d, 1, p->line, col0 + (int)i,
                                "a live number {{...}} belongs in narration; a question's answer "
                                "is '@live EXPRESSION'");
            }
            i += len;
            continue;
        }
        if (s[i] == '{' && i + 4 <= n && strncmp(s + i, "{eq:", 4) == 0) {
            const char *end = memchr(s + i, '}', n - i);
            if (!end) {
                lesson_diag_add(p->d, 1, p->line, col0 + (int)i,
                                "'{eq:' has no closing '}': write {eq:KEY}");
                buf_add(&out, s + i, n - i);
                break;
            }
            eq_expand(p, &out, s + i + 4, (size_t)(end - (s + i)) - 4, col0 + (int)i);
            i = (size_t)(end - s) + 1;
            continue;
        }
        // Markdown emphasis (*a phrase*, **a term**) shows as double quotes, so a quoted
        // sentence does not run into the prose (the screen has no bold); a * between words or
        // spaces stays; code marks are dropped.
        if (s[i] == '*') {
            size_t k = i;
            while (k < n && s[k] == '*')
                k++;
            int word_before = i > 0 && s[i - 1] != ' ' && s[i - 1] != '\t' && s[i - 1] != '(';
            int word_after = k < n && s[k] != ' ' && s[k] != '\t';
            int punct_after = k == n || strchr(" \t.,;:!?)'\"", s[k]) != NULL;
            if ((!word_before && word_after) || (word_before && punct_after))
                buf_add(&out, "\"", 1);
            else
                buf_add(&out, s + i, k - i);
            i = k;
            continue;
        }
        if (s[i] == '`') {
            i++;
            continue;
        }
        buf_add(&out, s + i, 1);
        i++;
    }
    if (!out.s)
        return dup_n("", 0);
    return out.s;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

// The next whitespace-separated word of [*s, end): returns its start and length, or 0.
static size_t word(const char **s, const char *end, const char **w)
{
    while (*s < end && (**s == ' ' || **s == '\t'))
        (*s)++;
    *w = *s;
    while (*s < end && **s != ' ' && **s != '\t')
        (*s)++;
    return (size_t)(*s - *w);
}

static int word_is(const char *w, size_t n, const char *kw)
{
    return n == strlen(kw) && strncmp(w, kw, n) == 0;
}

// A number word (n bytes, at most 31 for an integer and 47 for a real) in [lo, hi]. A word
// holds no space or tab, but the other white space before the number is skipped; a sign is
// allowed; a real too small for full precision is refused.
static int parse_int(const char *w, size_t n, long lo, long hi, long *out)
{
    char tmp[32];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, w, n);
    tmp[n] = 0;
    return text_parse_long(tmp, lo, hi, TEXT_NUM_SPACE_BEFORE, out);
}

static int parse_float(const char *w, size_t n, double lo, double hi, double *out)
{
    char tmp[48];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, w, n);
    tmp[n] = 0;
    return text_parse_double(tmp, lo, hi, TEXT_NUM_SPACE_BEFORE, out);
}

static int panel_lookup(const struct parser *p, const char *w, size_t n)
{
    for (int i = 0; p->panels && i < p->panels->n; i++)
        if (word_is(w, n, p->panels->names[i]))
            return i;
    return -1;
}

// Appends name to the comma-separated list in buf (size bytes), as much as fits.
static void list_add(char *buf, size_t size, const char *name)
{
    size_t k = strlen(buf);
    snprintf(buf + k, size - k, "%s%s", k ? ", " : "", name);
}

static void unknown_panel(struct parser *p, int col, const char *w, size_t n)
{
    char list[SF_MSG_MAX] = "", near[80] = "";
    for (int i = 0; p->panels && i < p->panels->n; i++)
        list_add(list, sizeof list, p->panels->names[i]);
    int k = p->panels ? text_nearest(w, n, p->panels->names, p->panels->n) : -1;
    if (k >= 0)
        snprintf(near, sizeof near, " (did you mean '%s'?)", p->panels->names[k]);
    lesson_diag_add(p->d, 1, p->line, col, "unknown panel '%.*s'%s; the panels are: %s",
                    (int)(n > 40 ? 40 : n), w, near, list);
}

static struct lesson_action *new_action(struct parser *p, enum lesson_op op, int col)
{
    struct lesson_beat *b = &p->beat;
    if (b->n_acts == p->cap_acts) {
        int cap = p->cap_acts ? p->cap_acts * 2 : 8;
        struct lesson_action *a = realloc(b->acts, sizeof *a * (size_t)cap);
        if (!a)
            return NULL;
        b->acts = a;
        p->cap_acts = cap;
    }
    struct lesson_action *a = &b->acts[b->n_acts++];
    memset(a, 0, sizeof *a);
    a->op = op;
    a->line = p->line;
    a->col = col;
    return a;
}

static void question_free(struct lesson_question *q)
{
    if (!q)
        return;
    free(q->text);
    for (int i = 0; i < q->n_choices; i++)
        free(q->choices[i]);
    free(q->choices);
    for (int i = 0; i < LESSON_MAX_CHOICES; i++)
        free(q->feedback[i]);
    for (int i = 0; i < q->n_answers; i++)
        free(q->answers[i]);
    free(q->answers);
    free(q->live);
    free(q->hint);
    free(q->explain);
    free(q);
}

static void beat_free(struct lesson_beat *b)
{
    for (int i = 0; i < b->n_acts; i++)
        free(b->acts[i].text);
    free(b->acts);
    free(b->text);
    question_free(b->q);
    for (int i = 0; i < b->n_lives; i++) {
        free(b->lives[i].expr);
        free(b->lives[i].fmt);
        free(b->lives[i].want);
    }
    free(b->lives);
    if (b->worked_own)
        free(b->worked);
    memset(b, 0, sizeof *b);
}

// The length of a choice as a student sees it: its characters (code points).
static size_t choice_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

// Warns when the correct choice is more than 1.5 times as long as the longest other one: a
// student could pick it by its length alone.
static void choice_lengths(struct parser *p, const struct lesson_question *q)
{
    size_t right = choice_length(q->choices[q->correct]), other = 0;
    for (int i = 0; i < q->n_choices; i++) {
        size_t n = choice_length(q->choices[i]);
        if (i != q->correct && n > other)
            other = n;
    }
    if (2 * right > 3 * other)
        lesson_diag_add(p->d, LESSON_WARNING, q->line, 1,
                        "the correct choice is %zu characters long, more than 1.5 times the "
                        "longest other one (%zu): a student can pick it by its length; make the "
                        "others as specific, or the correct one shorter",
                        right, other);
}

// The beat's first line of its own (narration, a beat directive or its question) is where it
// starts.
static void beat_line(struct parser *p)
{
    if (!p->beat.line)
        p->beat.line = p->line;
}

// A question must have an answer; the beat's first line names a missing one.
static void question_finish(struct parser *p)
{
    struct lesson_question *q = p->beat.q;
    if (!q)
        return;
    int has_choice_answer = q->correct >= 0, typed = q->n_answers > 0 || q->live;
    if (q->n_choices == 0 && !typed)
        lesson_diag_add(p->d, 1, q->line, 1,
                        "this question has no answer: add '@choice* TEXT' among its choices, "
                        "'@answer TEXT' or '@live EXPRESSION'");
    else if (q->n_choices > 0 && !has_choice_answer)
        lesson_diag_add(p->d, 1, q->line, 1,
                        "this question has no correct choice: mark one with '@choice*'");
    else if (q->n_choices == 1)
        lesson_diag_add(p->d, 1, q->line, 1,
                        "a multiple-choice question needs at least two choices");
    else if (q->n_choices > 1)
        choice_lengths(p, q);
}

// The worked example in force at the beat being ended, b: made anew when the beat has @worked
// lines, else the one before; the beat's live values read it. A beat that shows the worked
// panel needs one.
static void worked_end(struct parser *p, struct lesson_beat *b)
{
    if (p->wk_dirty) {
        char why[LESSON_MSG_MAX];
        int input;
        p->wk_dirty = 0;
        p->wk_last = NULL;
        if (p->wk_on && lesson_worked_compute(&p->wk, &input, why, sizeof why)) {
            int line = input < 0                  ? p->wk_line
                       : input == LESSON_WK_COUNT ? p->wk.tokens_line
                                                  : p->wk.in_line[input];
            lesson_diag_add(p->d, 1, line, 1, "@worked: %s", why);
        } else if (p->wk_on && (b->worked = malloc(sizeof *b->worked)) != NULL) {
            *b->worked = p->wk;
            b->worked_own = 1;
            p->wk_last = b->worked;
        }
    }
    b->worked = p->wk_last;
    for (int i = 0; i < b->n_lives; i++)
        b->lives[i].worked = b->worked;
    int k = panel_lookup(p, "worked", 6);
    for (int i = 0; i < b->n_acts && k >= 0 && !b->worked; i++) {
        const struct lesson_action *a = &b->acts[i];
        int shows = (a->op == LESSON_FOCUS || a->op == LESSON_ZOOM) && a->n == k;
        for (int j = 0; a->op == LESSON_PANELS && j < a->n_panels; j++)
            shows |= a->panels[j] == k;
        if (shows)
            lesson_diag_add(p->d, 1, a->line, a->col,
                            "the worked panel needs a worked example at this beat: define one "
                            "with '@worked x ...' (lessons/README.md)");
    }
}

static void beat_end(struct parser *p)
{
    question_finish(p);
    struct lesson_beat *b = &p->beat;
    beat_line(p); // a beat of facts only: its @pause (or the end of the file)
    // Trim the narration's trailing breaks.
    while (p->text.n && p->text.s[p->text.n - 1] == '\n')
        p->text.s[--p->text.n] = 0;
    if (!b->n_acts && !b->q && !p->text.n && !b->n_lives) {
        beat_free(b);
        free(p->text.s);
        p->text = (struct buf){0};
        p->cap_acts = 0;
        p->cap_lives = 0;
        return;
    }
    b->text = p->text.s ? p->text.s : dup_n("", 0);
    p->text = (struct buf){0};
    struct lesson *l = p->l;
    if (l->n_beats == p->cap_beats) {
        int cap = p->cap_beats ? p->cap_beats * 2 : 16;
        struct lesson_beat *nb = realloc(l->beats, sizeof *nb * (size_t)cap);
        if (!nb) {
            beat_free(b);
            return;
        }
        l->beats = nb;
        p->cap_beats = cap;
    }
    worked_end(p, b);
    l->beats[l->n_beats++] = *b;
    memset(b, 0, sizeof *b);
    p->cap_acts = 0;
    p->cap_lives = 0;
    p->blank = 0;
}

// A new live value of the beat being read, zeroed, or NULL when out of memory.
static struct lesson_live *new_live(struct parser *p)
{
    struct lesson_beat *b = &p->beat;
    if (b->n_lives == p->cap_lives) {
        int cap = p->cap_lives ? p->cap_lives * 2 : 8;
        struct lesson_live *nl = realloc(b->lives, sizeof *nl * (size_t)cap);
        if (!nl)
            return NULL;
        b->lives = nl;
        p->cap_lives = cap;
    }
    struct lesson_live *v = &b->lives[b->n_lives++];
    memset(v, 0, sizeof *v);
    v->line = p->line;
    return v;
}

// A live number {{EXPRESSION [FORMAT]}} of the narration (s: what is between the braces, n
// bytes, starting at column col of its "{{"): its syntax is checked now, its value when the
// beat is shown. Returns 0, or -1 after an error.
static int inline_live(struct parser *p, const char *s, size_t n, int col)
{
    char expr[1024], why[LESSON_MSG_MAX], *fmt = NULL;
    snprintf(expr, sizeof expr, "%.*s", (int)n, s);
    size_t len = strlen(expr);
    while (len && (expr[len - 1] == ' ' || expr[len - 1] == '\t'))
        expr[--len] = 0;
    char *last = strrchr(expr, ' ');
    if (last && last[1] == '%') { // the last word is the format
        fmt = last + 1;
        *last = 0;
    }
    const char *e = expr;
    while (*e == ' ' || *e == '\t')
        e++;
    if (fmt && lesson_format_check(fmt)) {
        lesson_diag_add(p->d, 1, p->line, col,
                        "{{%s}}: '%s' is not a number format: write %%.2f, %%.3g, %%.0f or %%.1f%% "
                        "(a percentage)",
                        e, fmt);
        return -1;
    }
    if (lesson_calc_check(e, why, sizeof why)) {
        lesson_diag_add(p->d, 1, p->line, col, "{{%s}}: %s", e, why);
        return -1;
    }
    struct lesson_live *v = new_live(p);
    if (!v)
        return -1;
    v->col = col;
    v->expr = dup_n(e, strlen(e));
    v->fmt = fmt ? dup_n(fmt, strlen(fmt)) : NULL;
    return 0;
}

// The words before position i of s name a section: "section 9.1", "§9.1", "sections 9.1 and
// 9.2".
static int names_section(const char *s, size_t i)
{
    static const char *const marks[] = {"section ", "sections ", "ch. ", "chapter ", "§ ", "§"};
    static const char *const joins[] = {" and ", ", ", " or "};
    for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++) {
        size_t m = strlen(marks[k]);
        size_t c = 0;
        while (i >= m && c < m && tolower((unsigned char)s[i - m + c]) == marks[k][c])
            c++;
        if (i >= m && c == m)
            return 1;
    }
    for (size_t k = 0; k < sizeof joins / sizeof joins[0]; k++) {
        size_t m = strlen(joins[k]), t = i - m;
        if (i < m || strncmp(s + t, joins[k], m) != 0)
            continue;
        while (t && (isdigit((unsigned char)s[t - 1]) || s[t - 1] == '.'))
            t--;
        if (t < i - m && names_section(s, t))
            return 1;
    }
    return 0;
}

// Warns about decimal numbers written by hand in a narration line (s, n bytes, at column
// col0): a number the model computes belongs in a {{...}}, so it stays right when the model
// changes. Code spans, {{...}}, {eq:...} and section numbers are left alone.
static void literal_decimals(struct parser *p, const char *s, size_t n, int col0)
{
    int code = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '`') {
            code = !code;
            continue;
        }
        if (code)
            continue;
        if (s[i] == '{') { // {{...}} and {eq:...}: skip to the closing brace
            const char *end = memchr(s + i, '}', n - i);
            if (end) {
                i = (size_t)(end - s) + (end + 1 < s + n && end[1] == '}');
                continue;
            }
        }
        if (!isdigit((unsigned char)s[i]) ||
            (i && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '_')))
            continue;
        size_t j = i;
        while (j < n && isdigit((unsigned char)s[j]))
            j++;
        int decimal = j + 1 < n && s[j] == '.' && isdigit((unsigned char)s[j + 1]);
        size_t k = j + 1;
        while (decimal && k < n && isdigit((unsigned char)s[k]))
            k++;
        int dotted = decimal && k + 1 < n && s[k] == '.' && isdigit((unsigned char)s[k + 1]);
        if (decimal && !dotted && !names_section(s, i))
            lesson_diag_add(p->d, LESSON_WARNING, p->line, col0 + (int)i,
                            "the number %.*s is written by hand: if the model computes it, write "
                            "{{EXPRESSION}} so it stays right when the model changes",
                            (int)(k - i), s + i);
        while (i + 1 < n && (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.'))
            i++;
    }
}

// Appends a narration line: paragraphs joined by spaces, list items and headings on lines of
// their own, a blank line as a paragraph break.
static void narrate(struct parser *p, const char *s, size_t n)
{
    beat_line(p);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t lead = 0;
    while (lead < n && s[lead] == ' ')
        lead++;
    int own_line = s[lead] == '#' || s[lead] == '-' || s[lead] == '>' ||
                   (isdigit((unsigned char)s[lead]) && lead + 2 < n &&
                    (s[lead + 1] == '.' || s[lead + 1] == ')') && s[lead + 2] == ' ');
    if (s[lead] == '>') // a Markdown quote: the text without its mark
        lead += lead + 1 < n && s[lead + 1] == ' ' ? 2 : 1, own_line = 1;
    else if (s[lead] == '#') { // a heading: its text, on a line of its own
        while (lead < n && s[lead] == '#')
            lead++;
        while (lead < n && s[lead] == ' ')
            lead++;
    } else if (s[lead] == '-' && lead + 1 < n && s[lead + 1] == ' ')
        own_line = 1;
    literal_decimals(p, s + lead, n - lead, (int)lead + 1);
    p->narrating = 1;
    char *e = expand(p, s + lead, n - lead, (int)lead + 1);
    p->narrating = 0;
    if (!e)
        return;
    if (p->text.n)
        buf_add(&p->text, p->blank ? "\n\n" : own_line ? "\n" : " ", p->blank ? 2 : 1);
    buf_add(&p->text, e, strlen(e));
    free(e);
    p->blank = 0;
    p->seen_content = 1;
}

// Makes *field (a malloc'd string, or NULL) the one indented lines continue.
static void cont_set(struct parser *p, char **field)
{
    p->cont = field;
    p->cont_len = field && *field ? strlen(*field) : 0;
    p->cont_cap = p->cont_len + 1;
}

// Appends " text" to the continued field; its size doubles as it grows, so a long run of
// continuation lines costs time linear in their length.
static void cont_add(struct parser *p, const char *text)
{
    if (!*p->cont)
        return;
    size_t b = strlen(text), need = p->cont_len + b + 2;
    if (need > p->cont_cap) {
        size_t cap = 2 * p->cont_cap > need ? 2 * p->cont_cap : need;
        char *j = realloc(*p->cont, cap);
        if (!j)
            return;
        *p->cont = j;
        p->cont_cap = cap;
    }
    char *j = *p->cont;
    j[p->cont_len] = ' ';
    memcpy(j + p->cont_len + 1, text, b + 1);
    p->cont_len += b + 1;
}

// The rest of a directive line as a field (with equation references expanded), or an error
// when it is empty.
static char *rest(struct parser *p, const char *s, const char *end, int col, const char *what)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++, col++;
    size_t n = (size_t)(end - s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n) {
        lesson_diag_add(p->d, 1, p->line, col, "%s", what);
        return NULL;
    }
    return expand(p, s, n, col);
}

static struct lesson_question *need_question(struct parser *p, const char *kw, int col)
{
    if (!p->beat.q)
        lesson_diag_add(p->d, 1, p->line, col,
                        "@%s belongs to a question: put '@question TEXT' before it", kw);
    return p->beat.q;
}

static int add_str(char ***list, int *n, char *s)
{
    char **l = realloc(*list, sizeof *l * (size_t)(*n + 1));
    if (!l) {
        free(s);
        return SF_ERR_NOMEM;
    }
    l[(*n)++] = s;
    *list = l;
    return 0;
}

// Adds an accepted answer to the beat's question (p->cap_answers says how many fit), doubling
// the array as it fills: a question may have any number of @answer lines.
static void add_answer(struct parser *p, struct lesson_question *q, char *s)
{
    if (!s)
        return;
    if (q->n_answers == p->cap_answers) {
        int cap = p->cap_answers ? 2 * p->cap_answers : 4;
        char **l = realloc(q->answers, sizeof *l * (size_t)cap);
        if (!l) {
            free(s);
            return;
        }
        q->answers = l;
        p->cap_answers = cap;
    }
    q->answers[q->n_answers++] = s;
}

// Directives. Each line starting with '@' is looked up in the directive table (at the end of
// this part) and handed to its handler with the rest of the line.

// A directive line being read.
struct dline {
    const char *line, *s, *end; // the line, the cursor (just after the name at first), its end
    int acol;                   // where the argument starts (the line's end when there is none)
    const struct directive *dir;
    struct lesson_action *a; // a beat directive's action, added to the beat before its handler
};

typedef void (*directive_fn)(struct parser *p, struct dline *x);

// What follows a directive's name, as the dispatcher checks it.
enum arg_shape {
    ARG_NONE,    // nothing: an argument is an error
    ARG_TEXT,    // the rest of the line, as one text (equation references expanded)
    ARG_WORDS,   // words; any left after the ones the handler reads are an error
    ARG_NUMBER,  // one number (the handler says when there is anything else)
    ARG_OPTIONS, // a mode, then KEY VALUE pairs to the end of the line (the handler reads all)
};

struct directive {
    struct lesson_syntax syn;
    enum arg_shape arg;
    enum lesson_op op; // the action a beat directive adds, or NO_ACTION
    directive_fn fn;
};

#define NO_ACTION LESSON_OP_COUNT

// The largest numbers directives take (the model checks its own limits when the lesson runs).
#define MAX_COUNT 100000  // @step, @generate
#define MAX_UNIT  1000    // a layer or a head
#define MAX_ROW   1000000 // @highlight's positions, rows and columns; top-k

// Column (1-based) of pointer q in the directive's line.
static int col_at(const struct dline *x, const char *q)
{
    return (int)(q - x->line) + 1;
}

static size_t next_word(struct dline *x, const char **w)
{
    return word(&x->s, x->end, w);
}

static void error_at(struct parser *p, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// An error on the line being read, at column col.
static void error_at(struct parser *p, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lesson_diag_vadd(p->d, 1, p->line, col, fmt, ap);
    va_end(ap);
}

// The header: @model and @section.

// Reads a header field once, before the first narration or beat directive (need: the message
// when its text is missing). Returns 1 when the field was read.
static int header_field(struct parser *p, struct dline *x, char **field, const char *need)
{
    if (p->seen_content) {
        error_at(p, 1, "@%s belongs in the header, before the first narration or beat directive",
                 x->dir->syn.name);
        return 0;
    }
    if (*field) {
        error_at(p, 1, "a second @%s: a lesson has one", x->dir->syn.name);
        return 0;
    }
    *field = rest(p, x->s, x->end, x->acol, need);
    return 1;
}

static void dir_model(struct parser *p, struct dline *x)
{
    if (header_field(p, x, &p->l->model,
                     "@model needs a model: a shipped one (textbook, notebook, chars) or a file "
                     "name such as gpt2_124M.bin"))
        p->l->model_line = p->line, p->l->model_col = x->acol;
}

static void dir_section(struct parser *p, struct dline *x)
{
    header_field(p, x, &p->l->section, "@section needs the sections the lesson follows");
}

// Beats: @pause ends one.

static void dir_pause(struct parser *p, struct dline *x)
{
    (void)x;
    if (!p->beat.n_acts && !p->beat.q && !p->text.n)
        lesson_diag_add(p->d, 0, p->line, 1, "an empty beat: nothing before this @pause");
    beat_end(p);
    p->seen_content = 1;
}

// Questions.

static void dir_question(struct parser *p, struct dline *x)
{
    p->seen_content = 1;
    beat_line(p);
    if (p->beat.q) {
        error_at(p, 1, "a second @question in one beat: put @pause between questions");
        return;
    }
    char *text = rest(p, x->s, x->end, x->acol, "@question needs the question's text");
    if (!text)
        return;
    struct lesson_question *q = calloc(1, sizeof *q);
    if (!q) {
        free(text);
        return;
    }
    q->line = p->line;
    q->text = text;
    p->cap_answers = 0;
    q->correct = -1;
    q->tolerance = -1;
    p->beat.q = q;
    cont_set(p, &q->text);
}

// The text of a part of the beat's question (kind names the directive, need is the message
// when the text is missing). NULL after a message when there is no question or no text; *q
// gets the question.
static char *question_part(struct parser *p, struct dline *x, const char *kind, const char *need,
                           struct lesson_question **q)
{
    *q = need_question(p, kind, 1);
    char *text = rest(p, x->s, x->end, x->acol, need);
    if (!*q || !text) {
        free(text);
        return NULL;
    }
    return text;
}

static void add_choice(struct parser *p, struct dline *x, int correct)
{
    struct lesson_question *q;
    char *text = question_part(p, x, "choice", "@choice needs the choice's text", &q);
    if (!text)
        return;
    int typed = q->n_answers || q->live, full = q->n_choices >= LESSON_MAX_CHOICES;
    if (typed)
        error_at(p, 1, "a question has either choices or a typed answer, not both");
    else if (full)
        error_at(p, 1, "at most %d choices per question", LESSON_MAX_CHOICES);
    if (typed || full) {
        free(text);
        return;
    }
    if (correct) {
        if (q->correct >= 0)
            error_at(p, 1, "a second correct choice: mark only one with '@choice*'");
        q->correct = q->n_choices;
    }
    if (add_str(&q->choices, &q->n_choices, text) == 0) {
        cont_set(p, &q->choices[q->n_choices - 1]);
        p->last_choice = q->n_choices - 1;
    }
}

static void dir_choice(struct parser *p, struct dline *x)
{
    add_choice(p, x, 0);
}

static void dir_choice_correct(struct parser *p, struct dline *x)
{
    add_choice(p, x, 1);
}

// The question a typed answer (@answer, @live) belongs to, with the answer's text in *text;
// NULL after a message when there is none, the text is missing or the question has choices.
static struct lesson_question *typed_answer(struct parser *p, struct dline *x, const char *need,
                                            char **text)
{
    struct lesson_question *q;
    *text = question_part(p, x, x->dir->syn.name, need, &q);
    if (*text && q->n_choices) {
        error_at(p, 1, "a question has either choices or a typed answer, not both");
        free(*text);
        *text = NULL;
    }
    return *text ? q : NULL;
}

// Alternatives separated by '|'.
static void dir_answer(struct parser *p, struct dline *x)
{
    char *text;
    struct lesson_question *q =
        typed_answer(p, x, "@answer needs the answer (alternatives separated by '|')", &text);
    if (!q)
        return;
    for (char *t = text; t;) {
        char *bar = strchr(t, '|');
        size_t n = bar ? (size_t)(bar - t) : strlen(t);
        while (n && t[0] == ' ')
            t++, n--;
        while (n && t[n - 1] == ' ')
            n--;
        if (n == 0)
            error_at(p, x->acol, "an empty alternative in @answer");
        else
            add_answer(p, q, dup_n(t, n));
        t = bar ? bar + 1 : NULL;
    }
    free(text);
}

static void dir_live(struct parser *p, struct dline *x)
{
    char *text, why[SF_MSG_MAX];
    struct lesson_question *q =
        typed_answer(p, x, "@live needs an expression, e.g. '@live prob fish last'", &text);
    if (!q)
        return;
    if (q->live) {
        error_at(p, 1, "a second @live: a question has one");
        free(text);
        return;
    }
    if (lesson_live_check(text, why, sizeof why))
        error_at(p, x->acol, "%s", why);
    q->live = text;
    q->live_line = p->line, q->live_col = x->acol;
}

// @fact EXPRESSION OP VALUE: a statement the lesson relies on, checked against the model when
// the beat is shown (and by stepformer check).
static void dir_fact(struct parser *p, struct dline *x)
{
    static const char *const ops[] = {"=", "!=", "<", ">", "<=", ">="};
    char *text = rest(p, x->s, x->end, x->acol,
                      "@fact needs EXPRESSION OP VALUE, e.g. '@fact argmax-token head.probs 2 = "
                      "table'");
    if (!text)
        return;
    char *w = text, *op = NULL, *value = NULL;
    while (*w && !op) { // the first word that is a comparison
        while (*w == ' ' || *w == '\t')
            w++;
        size_t len = strcspn(w, " \t");
        for (size_t k = 0; k < sizeof ops / sizeof ops[0] && !op; k++)
            if (len == strlen(ops[k]) && strncmp(w, ops[k], len) == 0)
                op = w, value = w + len;
        if (!op)
            w += len;
    }
    while (value && (*value == ' ' || *value == '\t'))
        value++;
    char why[LESSON_MSG_MAX];
    if (!op || !*value || op == text) {
        error_at(p, x->acol, "@fact is EXPRESSION OP VALUE, with OP one of = != < > <= >=");
    } else {
        size_t oplen = strcspn(op, " \t");
        char *end = op;
        while (end > text && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        *end = 0;
        if (lesson_calc_check(text, why, sizeof why)) {
            error_at(p, x->acol, "@fact %s: %s", text, why);
        } else {
            struct lesson_live *v = new_live(p);
            if (v) {
                v->col = x->acol;
                v->expr = dup_n(text, strlen(text));
                v->want = dup_n(value, strlen(value));
                memcpy(v->cmp, op, oplen);
                v->cmp[oplen] = 0;
            }
        }
    }
    free(text);
}

// @worked: the small matrices of a worked example (worked.c reads them).
static void dir_worked(struct parser *p, struct dline *x)
{
    p->seen_content = 1;
    lesson_worked_directive(&p->wk, &p->wk_on, x->s, (size_t)(x->end - x->s), col_at(x, x->s),
                            p->line, p->d);
    p->wk_dirty = 1;
    p->wk_line = p->line;
}

static void dir_tolerance(struct parser *p, struct dline *x)
{
    struct lesson_question *q = need_question(p, "tolerance", 1);
    const char *w;
    size_t wn = next_word(x, &w);
    double v;
    if (!q)
        return;
    if (parse_float(w, wn, 0, 1e30, &v) || !is_blank(x->s, (size_t)(x->end - x->s)))
        error_at(p, x->acol,
                 "@tolerance needs one number >= 0 (how far a typed number may be from the "
                 "answer)");
    else
        q->tolerance = v;
}

// @hint and @explain: one text each per question.
static void question_note(struct parser *p, struct dline *x, int hint)
{
    const char *name = x->dir->syn.name;
    char need[64];
    snprintf(need, sizeof need, "@%s needs text", name);
    struct lesson_question *q;
    char *text = question_part(p, x, name, need, &q);
    if (!text)
        return;
    char **field = hint ? &q->hint : &q->explain;
    if (*field) {
        error_at(p, 1, "a second @%s for this question", name);
        free(text);
        return;
    }
    *field = text;
    cont_set(p, field);
}

// @feedback: what picking the choice above says.
static void dir_feedback(struct parser *p, struct dline *x)
{
    struct lesson_question *q;
    char *text = question_part(p, x, "feedback", "@feedback needs text", &q);
    if (!text)
        return;
    int c = q->n_choices - 1;
    if (c < 0 || p->feedback_for != c) {
        error_at(p, 1, "@feedback belongs right after the @choice it is about");
        free(text);
        return;
    }
    if (q->feedback[c]) {
        error_at(p, 1, "a second @feedback for this choice");
        free(text);
        return;
    }
    q->feedback[c] = text;
    cont_set(p, &q->feedback[c]);
    p->last_choice = c; // a second @feedback for it is said to be one
}

// @keep-order: the choices are shown as written, not shuffled.
static void dir_keep_order(struct parser *p, struct dline *x)
{
    (void)x;
    struct lesson_question *q = need_question(p, "keep-order", 1);
    if (q)
        q->keep_order = 1;
}

static void dir_hint(struct parser *p, struct dline *x)
{
    question_note(p, x, 1);
}

static void dir_explain(struct parser *p, struct dline *x)
{
    question_note(p, x, 0);
}

// The model: beat directives, each filling the action x->a.

// The action's text (@prompt, @goto); without one the action is dropped. Returns the text.
static const char *action_text(struct parser *p, struct dline *x, const char *need)
{
    x->a->text = rest(p, x->s, x->end, x->acol, need);
    if (!x->a->text)
        p->beat.n_acts--;
    return x->a->text;
}

static void act_prompt(struct parser *p, struct dline *x)
{
    action_text(p, x, "@prompt needs the text the model reads");
}

static void act_goto(struct parser *p, struct dline *x)
{
    const char *op = action_text(p, x, "@goto needs an op name, e.g. L0.attn.softmax");
    if (op && strchr(op, ' '))
        error_at(p, x->acol, "@goto takes one op name; '%s' has a space in it", op);
}

// @step and @generate: a count, 1 when none is given.
static void act_count(struct parser *p, struct dline *x)
{
    const char *w;
    size_t wn = next_word(x, &w);
    long v;
    x->a->n = 1;
    if (wn && parse_int(w, wn, 1, MAX_COUNT, &v) == 0)
        x->a->n = (int)v;
    else if (wn)
        error_at(p, col_at(x, w), "@%s takes a count from 1 to %d, not '%.*s'", x->dir->syn.name,
                 MAX_COUNT, (int)(wn > 30 ? 30 : wn), w);
}

// A switch: the word off means 0, on means 1 (what: the message for anything else).
static void act_switch(struct parser *p, struct dline *x, const char *off, const char *on,
                       const char *what)
{
    const char *w;
    size_t wn = next_word(x, &w);
    x->a->n = word_is(w, wn, on) ? 1 : word_is(w, wn, off) ? 0 : -1;
    if (x->a->n < 0)
        error_at(p, x->acol, "%s", what);
}

static void act_view(struct parser *p, struct dline *x)
{
    act_switch(p, x, "forward", "training",
               "@view is 'forward' (the pass) or 'training' (one training iteration)");
}

static void act_numbers(struct parser *p, struct dline *x)
{
    act_switch(p, x, "off", "on", "@numbers is 'on' (numbers) or 'off' (colours)");
}

// The screen.

static void act_panels(struct parser *p, struct dline *x)
{
    struct lesson_action *a = x->a;
    const char *w;
    size_t wn;
    int unknown = 0;
    while ((wn = next_word(x, &w)) > 0) {
        int k = panel_lookup(p, w, wn);
        if (k < 0) {
            unknown_panel(p, col_at(x, w), w, wn);
            unknown++;
            continue;
        }
        if (a->n_panels >= LESSON_MAX_PANELS) {
            error_at(p, col_at(x, w), "at most %d panels at once", LESSON_MAX_PANELS);
            break;
        }
        a->panels[a->n_panels++] = k;
    }
    if (!a->n_panels && !unknown) // one error per cause: an unknown panel is said already
        error_at(p, x->acol, "@panels needs at least one panel, e.g. '@panels attention qkv'");
}

// @focus and @zoom: one panel (or, when can_be_off, 'off' as -1).
static void act_panel(struct parser *p, struct dline *x, int can_be_off)
{
    const char *w;
    size_t wn = next_word(x, &w);
    if (can_be_off && word_is(w, wn, "off")) {
        x->a->n = -1;
        return;
    }
    if ((x->a->n = panel_lookup(p, w, wn)) >= 0)
        return;
    if (wn)
        unknown_panel(p, col_at(x, w), w, wn);
    else
        error_at(p, x->acol, "@%s needs a panel%s", x->dir->syn.name,
                 can_be_off ? " (or 'off')" : "");
}

static void act_focus(struct parser *p, struct dline *x)
{
    act_panel(p, x, 0);
}

static void act_zoom(struct parser *p, struct dline *x)
{
    act_panel(p, x, 1);
}

static void act_layer(struct parser *p, struct dline *x)
{
    const char *w;
    size_t wn = next_word(x, &w);
    long v = 0;
    if (parse_int(w, wn, 0, MAX_UNIT, &v))
        error_at(p, x->acol, "@layer needs a layer number (0 is the first)");
    x->a->n = (int)v;
}

static void act_head(struct parser *p, struct dline *x)
{
    const char *w;
    size_t wn = next_word(x, &w);
    long v;
    if (word_is(w, wn, "all"))
        x->a->n = -1;
    else if (parse_int(w, wn, 0, MAX_UNIT, &v) == 0)
        x->a->n = (int)v;
    else
        error_at(p, x->acol, "@head needs a head number (0 is the first) or 'all'");
}

// What @highlight selects: its word, the kind, and how many numbers follow.
static const struct {
    const char *word;
    enum lesson_highlight kind;
    int numbers;
} highlights[] = {{"token", LESSON_HL_TOKEN, 1},
                  {"row", LESSON_HL_TOKEN, 1},
                  {"head", LESSON_HL_HEAD, 1},
                  {"cell", LESSON_HL_CELL, 2},
                  {"off", LESSON_HL_OFF, 0}};

static void act_highlight(struct parser *p, struct dline *x)
{
    const char *w;
    size_t wn = next_word(x, &w), k = 0, n_kinds = sizeof highlights / sizeof highlights[0];
    while (k < n_kinds && !word_is(w, wn, highlights[k].word))
        k++;
    if (k == n_kinds) {
        error_at(p, x->acol, "@highlight is 'token N', 'row N', 'head N', 'cell ROW COL' or 'off'");
        return;
    }
    int need = highlights[k].numbers, *dest[2] = {&x->a->i, &x->a->j};
    x->a->n = highlights[k].kind;
    for (int i = 0; i < need; i++) {
        long v;
        wn = next_word(x, &w);
        if (parse_int(w, wn, 0, MAX_ROW, &v)) {
            error_at(p, wn ? col_at(x, w) : x->acol, "@highlight needs %s (numbers from 0)",
                     need == 2 ? "a row and a column" : "a number");
            return;
        }
        *dest[i] = (int)v;
    }
}

// One KEY VALUE setting of '@sampler random' into a; nonzero when it is not one.
static int sampler_setting(struct lesson_action *a, const char *key, size_t kn, const char *w,
                           size_t wn)
{
    long v;
    double f;
    if (word_is(key, kn, "temperature") && parse_float(w, wn, 0.01, 100, &f) == 0)
        a->temperature = (float)f;
    else if (word_is(key, kn, "top-k") && parse_int(w, wn, 0, MAX_ROW, &v) == 0)
        a->top_k = (int)v;
    else if (word_is(key, kn, "top-p") && parse_float(w, wn, 0.001, 1, &f) == 0)
        a->top_p = (float)f;
    else if (word_is(key, kn, "seed") && parse_int(w, wn, 0, INT_MAX, &v) == 0)
        a->seed = (unsigned long long)v;
    else
        return -1;
    return 0;
}

static void act_sampler(struct parser *p, struct dline *x)
{
    struct lesson_action *a = x->a;
    const char *w, *key;
    size_t wn = next_word(x, &w), kn;
    a->temperature = 1, a->top_p = 1, a->seed = 1;
    if (word_is(w, wn, "greedy")) {
        a->greedy = 1;
        return;
    }
    if (!word_is(w, wn, "random")) {
        error_at(p, x->acol,
                 "@sampler is 'greedy' or 'random [temperature T] [top-k K] [top-p P] [seed S]'");
        return;
    }
    while ((kn = next_word(x, &key)) > 0) {
        wn = next_word(x, &w);
        if (sampler_setting(a, key, kn, w, wn)) {
            error_at(p, col_at(x, key),
                     "@sampler random takes 'temperature T' (0.01..100), 'top-k K', 'top-p P' "
                     "(0..1] and 'seed S'; '%.*s %.*s' is not one",
                     (int)(kn > 20 ? 20 : kn), key, (int)(wn > 20 ? 20 : wn), w);
            return;
        }
    }
}

static void act_intervene(struct parser *p, struct dline *x)
{
    const char *w, *w2;
    size_t wn = next_word(x, &w), n2;
    long layer, head;
    if (word_is(w, wn, "none")) {
        x->a->n = LESSON_IV_NONE;
    } else if (word_is(w, wn, "no-positions")) {
        x->a->n = LESSON_IV_NO_POSITIONS;
    } else if (word_is(w, wn, "head-off")) {
        x->a->n = LESSON_IV_HEAD_OFF;
        wn = next_word(x, &w);
        n2 = next_word(x, &w2);
        if (parse_int(w, wn, 0, MAX_UNIT, &layer) || parse_int(w2, n2, 0, MAX_UNIT, &head))
            error_at(p, x->acol, "@intervene head-off needs a layer and a head: 'head-off 1 2'");
        else
            x->a->i = (int)layer, x->a->j = (int)head;
    } else {
        error_at(p, x->acol, "@intervene is 'head-off LAYER HEAD', 'no-positions' or 'none'");
    }
}

// The limits of '@learn start' (a lesson's run is small: it runs on the reference kernels).
#define LEARN_MAX_STEPS 100000
#define LEARN_MAX_BATCH 64

// One KEY VALUE setting of '@learn start' into a; nonzero when it is not one.
static int learn_setting(struct lesson_action *a, const char *key, size_t kn, const char *w,
                         size_t wn)
{
    long v;
    if (word_is(key, kn, "seed") && parse_int(w, wn, 0, INT_MAX, &v) == 0)
        a->seed = (unsigned long long)v;
    else if (word_is(key, kn, "steps") && parse_int(w, wn, 1, LEARN_MAX_STEPS, &v) == 0)
        a->steps = (int)v;
    else if (word_is(key, kn, "batch") && parse_int(w, wn, 1, LEARN_MAX_BATCH, &v) == 0)
        a->batch = (int)v;
    else if (word_is(key, kn, "seq") && parse_int(w, wn, 1, MAX_ROW, &v) == 0)
        a->seq = (int)v;
    else
        return -1;
    return 0;
}

// '@learn start [seed S] [steps N] [batch B] [seq T]' (in the first beat), '@learn run-to N'
// (after it, each further than the last), '@learn weights NAME' (after it) or '@learn off'.
static void act_learn(struct parser *p, struct dline *x)
{
    struct lesson_action *a = x->a;
    const char *w, *key;
    size_t wn = next_word(x, &w), kn;
    long v;
    if (word_is(w, wn, "start")) {
        a->n = LESSON_LEARN_START;
        a->seed = 1, a->steps = 300, a->batch = 2, a->seq = 32;
        while ((kn = next_word(x, &key)) > 0) {
            wn = next_word(x, &w);
            if (learn_setting(a, key, kn, w, wn)) {
                error_at(p, col_at(x, key),
                         "@learn start takes 'seed S', 'steps N' (1..%d), 'batch B' (1..%d) and "
                         "'seq T'; '%.*s %.*s' is not one",
                         LEARN_MAX_STEPS, LEARN_MAX_BATCH, (int)(kn > 20 ? 20 : kn), key,
                         (int)(wn > 20 ? 20 : wn), w);
                return;
            }
        }
        if (p->l->n_beats > 0 || p->learn_steps)
            error_at(p, x->acol,
                     "@learn start belongs in the first beat, once: going back "
                     "replays the lesson from there");
        p->learn_steps = a->steps, p->learn_at = 0;
    } else if (word_is(w, wn, "run-to")) {
        a->n = LESSON_LEARN_RUN_TO;
        wn = next_word(x, &w);
        if (parse_int(w, wn, 1, LEARN_MAX_STEPS, &v)) {
            error_at(p, wn ? col_at(x, w) : x->acol, "@learn run-to needs a step: 'run-to 100'");
            return;
        }
        a->steps = (int)v;
        if (!p->learn_steps)
            error_at(p, x->acol, "@learn run-to needs '@learn start' before it");
        else if (v > p->learn_steps)
            error_at(p, col_at(x, w),
                     "@learn run-to %ld: the run has %d steps ('@learn start "
                     "steps N' gives more)",
                     v, p->learn_steps);
        else if (v <= p->learn_at)
            error_at(p, col_at(x, w),
                     "@learn run-to %ld: the run is at step %d already; it only "
                     "goes forward",
                     v, p->learn_at);
        else
            p->learn_at = (int)v;
    } else if (word_is(w, wn, "weights")) {
        a->n = LESSON_LEARN_WEIGHTS;
        wn = next_word(x, &w);
        if (!wn || next_word(x, &key) > 0) {
            error_at(p, wn ? col_at(x, key) : x->acol,
                     "@learn weights needs one model name: 'weights textbook-run/step-0700'");
            return;
        }
        if (!p->learn_steps)
            error_at(p, x->acol, "@learn weights needs '@learn start' before it");
        a->text = strndup(w, wn);
        a->col = col_at(x, w);
    } else if (word_is(w, wn, "off")) {
        a->n = LESSON_LEARN_OFF;
    } else {
        error_at(p, x->acol,
                 "@learn is 'start [seed S] [steps N] [batch B] [seq T]', "
                 "'run-to STEP', 'weights NAME' or 'off'");
    }
}

// Every directive, in the order "unknown directive" lists them, with the shape of what follows
// it, the action it adds to its beat (NO_ACTION for the header, @pause and the question's
// parts), its handler, and its usage (as lessons/README.md writes it) and help.
// X(keyword, argument shape, action, handler, usage, help)
#define SF_DIRECTIVE_LIST(X)                                                                       \
    X("model", TEXT, NO_ACTION, dir_model, "NAME", "header: the model the lesson runs on")         \
    X("section", TEXT, NO_ACTION, dir_section, "TEXT", "header: what the lesson follows")          \
    X("prompt", TEXT, LESSON_PROMPT, act_prompt, "TEXT", "the text the model reads")               \
    X("view", WORDS, LESSON_VIEW, act_view, "training|forward",                                    \
      "one training iteration, or the forward pass")                                               \
    X("goto", TEXT, LESSON_GOTO, act_goto, "OP", "run (or go back) until op OP has just run")      \
    X("step", WORDS, LESSON_STEP, act_count, "[N]", "run the next N ops")                          \
    X("panels", WORDS, LESSON_PANELS, act_panels, "P...", "the panels to show, in order")          \
    X("focus", WORDS, LESSON_FOCUS, act_focus, "P", "the panel that gets the most room")           \
    X("zoom", WORDS, LESSON_ZOOM, act_zoom, "P|off", "one panel beside the narration")             \
    X("layer", WORDS, LESSON_LAYER, act_layer, "N", "the layer the panels show")                   \
    X("head", WORDS, LESSON_HEAD, act_head, "N|all", "the head the panels show")                   \
    X("highlight", WORDS, LESSON_HIGHLIGHT, act_highlight,                                         \
      "token N|row N|head N|cell ROW COL|off", "select a token, a head or a cell")                 \
    X("numbers", WORDS, LESSON_NUMBERS, act_numbers, "on|off",                                     \
      "matrices as numbers or as colours")                                                         \
    X("sampler", OPTIONS, LESSON_SAMPLER, act_sampler,                                             \
      "greedy|random [temperature T] [top-k K] [top-p P] [seed S]",                                \
      "how the next token is chosen")                                                              \
    X("generate", WORDS, LESSON_GENERATE, act_count, "[N]",                                        \
      "choose the next token and append it, N times")                                              \
    X("intervene", WORDS, LESSON_INTERVENE, act_intervene,                                         \
      "head-off LAYER HEAD|no-positions|none",                                                     \
      "switch a head or the positions off, or undo every intervention")                            \
    X("learn", OPTIONS, LESSON_LEARN, act_learn,                                                   \
      "start [seed S] [steps N] [batch B] [seq T]|run-to STEP|weights NAME|off",                   \
      "a new model learning from random weights, trained on to a step, a model file's weights, "   \
      "or the lesson's model")                                                                     \
    X("worked", TEXT, NO_ACTION, dir_worked,                                                       \
      "x|q|k|v|wq|wk|wv ROW | ROW...|tokens W...|scale on|off|off",                                \
      "a worked example's small matrices, for the worked panel and {{worked ...}}")                \
    X("fact", TEXT, NO_ACTION, dir_fact, "EXPRESSION OP VALUE",                                    \
      "a statement the lesson relies on, checked against the model")                               \
    X("pause", NONE, NO_ACTION, dir_pause, "", "the end of a beat")                                \
    X("question", TEXT, NO_ACTION, dir_question, "TEXT", "a check question, at most one per beat") \
    X("choice", TEXT, NO_ACTION, dir_choice, "TEXT", "a choice")                                   \
    X("choice*", TEXT, NO_ACTION, dir_choice_correct, "TEXT", "the correct choice")                \
    X("answer", TEXT, NO_ACTION, dir_answer, "A | B",                                              \
      "a typed answer; any alternative is accepted")                                               \
    X("live", TEXT, NO_ACTION, dir_live, "EXPRESSION",                                             \
      "a typed answer computed from the model when the question is asked")                         \
    X("feedback", TEXT, NO_ACTION, dir_feedback, "TEXT", "what picking the choice above says")     \
    X("keep-order", NONE, NO_ACTION, dir_keep_order, "",                                           \
      "the choices are shown as written, not shuffled")                                            \
    X("tolerance", NUMBER, NO_ACTION, dir_tolerance, "X",                                          \
      "how far a typed number may be from the answer")                                             \
    X("hint", TEXT, NO_ACTION, dir_hint, "TEXT", "shown after a wrong answer")                     \
    X("explain", TEXT, NO_ACTION, dir_explain, "TEXT", "shown with the answer")

static const struct directive directives[] = {
#define SF_X(kw, shape, op, fn, usage, help) {{kw, usage, help}, ARG_##shape, op, fn},
    SF_DIRECTIVE_LIST(SF_X)
#undef SF_X
};

#define N_DIRECTIVES (int)(sizeof directives / sizeof directives[0])

const struct lesson_syntax *lesson_directive(int i)
{
    return i >= 0 && i < N_DIRECTIVES ? &directives[i].syn : NULL;
}

const char *lesson_op_name(enum lesson_op op)
{
    for (int i = 0; op != NO_ACTION && i < N_DIRECTIVES; i++)
        if (directives[i].op == op)
            return directives[i].syn.name;
    return "?";
}

static void unknown_directive(struct parser *p, const char *kw, size_t kn)
{
    char list[SF_MSG_MAX] = "", near[80] = "";
    const char *names[N_DIRECTIVES];
    for (int i = 0; i < N_DIRECTIVES; i++) {
        list_add(list, sizeof list, directives[i].syn.name);
        names[i] = directives[i].syn.name;
    }
    int k = text_nearest(kw, kn, names, N_DIRECTIVES);
    if (k >= 0)
        snprintf(near, sizeof near, " (did you mean '@%s'?)", names[k]);
    error_at(p, 1, "unknown directive '@%.*s'%s; directives are: %s", (int)(kn > 40 ? 40 : kn), kw,
             near, list);
}

// Reads the directive's name (after the '@') into x: its table entry, the cursor after the
// name and where the argument starts. 0, or -1 after a message.
static int directive_name(struct parser *p, struct dline *x)
{
    const char *kw = x->line + 1, *s = kw;
    while (s < x->end && (isalnum((unsigned char)*s) || *s == '-' || *s == '*' || *s == '_'))
        s++;
    size_t kn = (size_t)(s - kw);
    if (kn == 0) {
        error_at(p, 2, "'@' starts a directive and needs its name, e.g. '@goto L0.attn.q'");
        return -1;
    }
    if (s < x->end && *s != ' ' && *s != '\t') {
        error_at(p, col_at(x, s),
                 "unexpected '%c' after '@%.*s': separate the directive's name from its "
                 "argument with a space",
                 *s, (int)kn, kw);
        return -1;
    }
    x->s = s;
    x->acol = col_at(x, s) + (s < x->end);
    for (int i = 0; i < N_DIRECTIVES && !x->dir; i++)
        if (word_is(kw, kn, directives[i].syn.name))
            x->dir = &directives[i];
    if (!x->dir) {
        unknown_directive(p, kw, kn);
        return -1;
    }
    return 0;
}

// A beat directive's action, added to the beat; NULL after a message when the beat's question
// has begun.
static struct lesson_action *beat_action(struct parser *p, const struct dline *x)
{
    p->seen_content = 1;
    beat_line(p);
    if (p->beat.q) {
        error_at(p, 1,
                 "@%s after the question: put the beat's directives before @question (or start "
                 "a new beat with @pause)",
                 x->dir->syn.name);
        return NULL;
    }
    return new_action(p, x->dir->op, x->acol);
}

// Words left on the line after a directive has read the ones it takes.
static void trailing_words(struct parser *p, const struct dline *x)
{
    const char *s = x->s;
    while (s < x->end && (*s == ' ' || *s == '\t'))
        s++;
    size_t n = (size_t)(x->end - s);
    if (n)
        error_at(p, col_at(x, s), "@%s: unexpected '%.*s' at the end", x->dir->syn.name,
                 (int)(n > 30 ? 30 : n), s);
}

static void directive(struct parser *p, const char *line, size_t len)
{
    struct dline x = {.line = line, .end = line + len};
    if (directive_name(p, &x))
        return;
    if (x.dir->arg == ARG_NONE && !is_blank(x.s, (size_t)(x.end - x.s)))
        error_at(p, x.acol, "@%s takes no argument", x.dir->syn.name);
    if (x.dir->op != NO_ACTION && !(x.a = beat_action(p, &x)))
        return;
    p->feedback_for = p->last_choice;
    p->last_choice = -1;
    x.dir->fn(p, &x);
    if (x.dir->arg == ARG_WORDS)
        trailing_words(p, &x);
}

// Checks a line is UTF-8 without control characters; returns the column of the first bad
// byte, or 0. A multi-byte character is read as its lead byte announces it (UTF8_LAX), with the
// lead bytes of strict UTF-8 only (C2..F4): C0, C1 and F5..F7 start nothing but overlong forms
// and values above U+10FFFF, while what follows E0, ED, F0 and F4 is not checked further.
static int bad_byte(const char *s, size_t n, int *nul)
{
    const unsigned char *u = (const unsigned char *)s;
    *nul = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        uint32_t cp;
        int k = 1;
        if (c == 0) {
            *nul = 1;
            return (int)i + 1;
        }
        if ((c < 0x20 && c != '\t') ||
            (c >= 0x80 &&
             (c < 0xc2 || c > 0xf4 || (k = utf8_decode(s + i, n - i, UTF8_LAX, &cp)) <= 0)))
            return (int)i + 1;
        i += (size_t)k;
    }
    return 0;
}

#define MAX_BAD_LINES 20 // lines that are not text reported per lesson; more are counted

// 1 when "-->" is in s[0..n).
static int has_comment_end(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (s[i] == '-' && s[i + 1] == '-' && s[i + 2] == '>')
            return 1;
    return 0;
}

const char *lesson_id(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".md") == 0)
        n -= 3;
    snprintf(buf, size, "%.*s", (int)n, base);
    return buf;
}

// Whether a line can be read: not too long, UTF-8 text without control characters. Reports
// the line when it cannot (the first few such lines only).
static int readable(struct parser *p, const char *line, size_t n)
{
    if (n > LESSON_LINE_MAX) {
        lesson_diag_add(p->d, 1, p->line, LESSON_LINE_MAX + 1,
                        "the line is %zu bytes long; a lesson line may have at most %d: "
                        "break it into several",
                        n, LESSON_LINE_MAX);
        return 0;
    }
    int nul, col = bad_byte(line, n, &nul);
    if (!col)
        return 1;
    if (++p->bad_lines <= MAX_BAD_LINES)
        lesson_diag_add(p->d, 1, p->line, col,
                        nul ? "a NUL byte: this is not a text file (lessons are UTF-8 text)"
                            : "byte 0x%02x is not UTF-8 text or is a control character: save the "
                              "lesson as UTF-8",
                        (unsigned char)line[col - 1]);
    else
        p->d->errors++;
    return 0;
}

// Comments: <!-- ... --> over one or more lines. Returns 1 when the line is (in) a comment.
// Only this line is searched, so an unclosed comment costs one pass over the file.
static int comment(struct parser *p, const char *line, size_t n, size_t lead)
{
    if (p->in_comment) {
        if (has_comment_end(line, n))
            p->in_comment = 0;
        return 1;
    }
    if (n - lead < 4 || memcmp(line + lead, "<!--", 4) != 0)
        return 0;
    if (!has_comment_end(line + lead + 4, n - lead - 4))
        p->in_comment = 1, p->comment_line = p->line;
    return 1;
}

// The lesson's title: the first '#' line, which comes before anything else.
static void title(struct parser *p, const char *line, size_t n)
{
    size_t k = 0;
    while (k < n && line[k] == '#')
        k++;
    while (k < n && line[k] == ' ')
        k++;
    if (p->seen_content || n < 2 || line[1] != ' ' || k == n)
        lesson_diag_add(p->d, 1, p->line, 1,
                        "the lesson's title comes first, as '# Title' on a line of its own");
    p->l->title = expand(p, line + k, n - k, (int)k + 1);
}

// One line, without its end of line: a comment, a blank line, a continuation, a directive, the
// title or narration.
static void parse_line(struct parser *p, const char *line, size_t n)
{
    if (!readable(p, line, n))
        return;
    size_t lead = 0;
    while (lead < n && line[lead] == ' ')
        lead++;
    if (comment(p, line, n, lead))
        return;
    if (is_blank(line, n)) {
        p->blank = p->text.n > 0;
        p->cont = NULL;
        return;
    }
    // An indented line continues the question, choice, hint or explanation above.
    if (p->cont && lead >= 2) {
        char *e = expand(p, line + lead, n - lead, (int)lead + 1);
        if (e)
            cont_add(p, e);
        free(e);
        return;
    }
    p->cont = NULL;
    if (line[0] == '@')
        directive(p, line, n);
    else if (line[0] == '#' && !p->l->title)
        title(p, line, n);
    else
        narrate(p, line, n);
}

int lesson_parse(struct lesson *l, const char *path, const char *text, size_t len,
                 const char *eq_table, const struct lesson_panels *panels, struct lesson_diags *d)
{
    memset(l, 0, sizeof *l);
    snprintf(l->path, sizeof l->path, "%s", path);
    lesson_id(path, l->id, sizeof l->id);
    struct parser p = {.l = l, .d = d, .eq_table = eq_table, .panels = panels, .last_choice = -1};
    struct eq_row *eq = eq_table ? eq_index(eq_table, &p.n_eq) : NULL;
    if (eq_table && !eq)
        lesson_diag_add(d, 1, 0, 0, "out of memory reading the equation table");
    p.eq = eq;
    if (len == 0)
        lesson_diag_add(d, 1, 0, 0,
                        "the file is empty: a lesson starts with '# Title' and has narration "
                        "(see lessons/README.md)");
    for (const char *s = text, *end = text + len; s < end;) {
        const char *line = s, *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        s = nl ? nl + 1 : end;
        p.line++;
        if (n && line[n - 1] == '\r')
            n--;
        parse_line(&p, line, n);
    }
    if (p.in_comment)
        lesson_diag_add(d, 1, p.comment_line, 1, "this comment is never closed with '-->'");
    beat_end(&p);
    free(p.text.s);
    free(eq);
    if (len && !l->title)
        lesson_diag_add(d, 1, 1, 1,
                        "no title: the lesson's first line is '# Title' (see lessons/README.md)");
    if (len && !l->n_beats && !d->errors)
        lesson_diag_add(d, 1, p.line ? p.line : 1, 1,
                        "the lesson has no beats: write narration, directives and @pause");
    return d->errors ? SF_ERR_FORMAT : 0;
}

void lesson_free(struct lesson *l)
{
    for (int i = 0; i < l->n_beats; i++)
        beat_free(&l->beats[i]);
    free(l->beats);
    free(l->title);
    free(l->section);
    free(l->model);
    memset(l, 0, sizeof *l);
}

#define EQ_TABLE_MAX (1 << 20) // bytes of equations.md that are read

int lesson_load(struct lesson *l, const char *path, const struct lesson_panels *panels,
                struct lesson_diags *d)
{
    memset(l, 0, sizeof *l);
    struct sf_diag why;
    size_t len = 0;
    char *text = sf_read_file(path, "lesson file", LESSON_FILE_MAX, &len, NULL, &why);
    if (!text) {
        lesson_diag_add(d, 1, 0, 0, "%s", why.msg);
        snprintf(l->path, sizeof l->path, "%s", path);
        return SF_ERR_IO;
    }
    // The equation table: beside the lesson, else in the lessons directory.
    char eq_path[1100];
    const char *slash = strrchr(path, '/');
    snprintf(eq_path, sizeof eq_path, "%.*sequations.md", slash ? (int)(slash - path + 1) : 0,
             path);
    size_t eq_len;
    char *eq = sf_read_file(eq_path, "equation table", EQ_TABLE_MAX, &eq_len, NULL, NULL);
    char ldir[LESSON_DIR_MAX], no_dir[LESSON_DIR_MAX];
    if (!eq && lesson_dir(ldir, sizeof ldir, no_dir, sizeof no_dir) == 0 &&
        snprintf(eq_path, sizeof eq_path, "%s/equations.md", ldir) < (int)sizeof eq_path)
        eq = sf_read_file(eq_path, "equation table", EQ_TABLE_MAX, &eq_len, NULL, NULL);
    int rc = lesson_parse(l, path, text, len, eq, panels, d);
    free(eq);
    free(text);
    return rc;
}

int lesson_check_equations(const char *path, int *rows, int *confirmed, struct lesson_diags *d)
{
    *rows = *confirmed = 0;
    struct sf_diag why;
    size_t len;
    char *text = sf_read_file(path, "equation table", EQ_TABLE_MAX, &len, NULL, &why);
    if (!text) {
        lesson_diag_add(d, 1, 0, 0, "%s", why.msg);
        return SF_ERR_IO;
    }
    // The table is the run of '|' lines under the header "| key | number | ..."; other tables
    // in the file (notes) are not part of it.
    int first = 0, last = 0, line = 0;
    for (const char *t = text; *t; line++) {
        const char *nl = strchr(t, '\n');
        if (!first && strncmp(t, "| key | number |", 16) == 0)
            first = line + 1;
        else if (first && !last && *t != '|')
            last = line;
        t = nl ? nl + 1 : t + strlen(t);
    }
    if (!first) {
        lesson_diag_add(d, 1, 1, 1,
                        "no equation table: a table whose header is "
                        "| key | number | status | section | equation | source |");
        free(text);
        return SF_ERR_FORMAT;
    }
    if (!last)
        last = line + 1;
    size_t n;
    struct eq_row *eq = eq_index(text, &n);
    if (!eq && n == 0 && strchr(text, '|')) {
        free(text);
        return SF_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct eq_row *r = &eq[i];
        // The table's header and its |---| line are not rows.
        if (r->line <= first || r->line > last || r->key[0] == '-' || r->key[0] == ':')
            continue;
        char msg[300];
        if (i > 0 && eq[i - 1].line > first && eq[i - 1].line <= last &&
            eq[i - 1].key_len == r->key_len && !memcmp(eq[i - 1].key, r->key, r->key_len)) {
            lesson_diag_add(d, 1, r->line, 1, "equation '%.*s' is in the table twice (line %d too)",
                            (int)r->key_len, r->key, eq[i - 1].line);
            continue;
        }
        (*rows)++;
        int shows = eq_row_check(r, msg, sizeof msg);
        *confirmed += shows == 1;
        if (msg[0])
            lesson_diag_add(d, 1, r->line, 1, "equation '%.*s' %s", (int)r->key_len, r->key, msg);
    }
    free(eq);
    free(text);
    return d && d->errors ? SF_ERR_FORMAT : 0;
}
