// Live answers: small expressions over the graph's state (a token, a probability, an entry of
// an op's output), and how a typed answer is compared with an answer.
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/lesson.h"
#include "stepformer/text.h"

// X(keyword, min args, max args, what the args are)
#define SF_LIVE_LIST(X)                                                                            \
    X("n_tokens", 0, 0, "")                                                                        \
    X("d_model", 0, 0, "")                                                                         \
    X("d_k", 0, 0, "")                                                                             \
    X("n_head", 0, 0, "")                                                                          \
    X("n_layer", 0, 0, "")                                                                         \
    X("d_ff", 0, 0, "")                                                                            \
    X("vocab", 0, 0, "")                                                                           \
    X("n_ctx", 0, 0, "")                                                                           \
    X("params", 0, 0, "")                                                                          \
    X("token", 1, 1, "POS")                                                                        \
    X("id", 1, 1, "POS")                                                                           \
    X("prob", 2, 2, "WORD POS")                                                                    \
    X("value", 2, 5, "OP INDEX...")                                                                \
    X("argmax", 1, 4, "OP INDEX...")                                                               \
    X("argmax-token", 1, 4, "OP INDEX...")                                                         \
    X("nonzero", 1, 4, "OP INDEX...")                                                              \
    X("rowsum", 1, 4, "OP INDEX...")                                                               \
    X("dot", 3, 3, "OP ROW ROW")                                                                   \
    X("loss", 0, 1, "[POS]")                                                                       \
    X("perplexity", 0, 0, "")                                                                      \
    X("drawn", 0, 0, "")                                                                           \
    X("lens-top", 2, 2, "LAYER POS")                                                               \
    X("lens-first", 2, 2, "WORD POS")

struct live_kind {
    const char *kw;
    int min, max;
    const char *args;
};

static const struct live_kind kinds[] = {
#define SF_X(kw, mn, mx, args) {kw, mn, mx, args},
    SF_LIVE_LIST(SF_X)
#undef SF_X
};
#define N_KINDS (int)(sizeof kinds / sizeof kinds[0])

#define MAX_WORDS 8

// Splits expr into at most MAX_WORDS words (in buf); returns their count, or -1 if more.
static int split(const char *expr, char *buf, size_t size, char **w)
{
    snprintf(buf, size, "%s", expr);
    int n = 0;
    for (char *s = strtok(buf, " \t"); s; s = strtok(NULL, " \t")) {
        if (n == MAX_WORDS)
            return -1;
        w[n++] = s;
    }
    return n;
}

static const struct live_kind *find_kind(const char *kw)
{
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i].kw, kw) == 0)
            return &kinds[i];
    return NULL;
}

static int is_index(const char *s)
{
    if (strcmp(s, "last") == 0)
        return 1;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

int lesson_live_check(const char *expr, char *why, size_t wn)
{
    char buf[256], *w[MAX_WORDS];
    int n = split(expr, buf, sizeof buf, w);
    if (n <= 0) {
        snprintf(why, wn, "@live needs an expression");
        return -1;
    }
    const struct live_kind *k = find_kind(w[0]);
    if (!k) {
        char list[SF_MSG_MAX];
        size_t len = 0;
        for (int i = 0; i < N_KINDS && len < sizeof list; i++)
            len +=
                (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", kinds[i].kw);
        snprintf(why, wn, "unknown live value '%.40s'; they are: %s", w[0], list);
        return -1;
    }
    if (n - 1 < k->min || n - 1 > k->max) {
        snprintf(why, wn, "'%s' takes %s", k->kw, k->args[0] ? k->args : "no arguments");
        return -1;
    }
    // Every argument is a number (or "last") but a leading WORD or OP.
    int first_index = strncmp(k->args, "WORD", 4) == 0 || strncmp(k->args, "OP", 2) == 0 ? 2 : 1;
    for (int i = first_index; i < n; i++)
        if (!is_index(w[i])) {
            snprintf(why, wn, "'%s': '%.30s' should be a number from 0 or 'last'", k->kw, w[i]);
            return -1;
        }
    return 0;
}

// An index word: a number (INT_MAX when it is larger), or "last" = last.
static int index_of(const char *s, int last)
{
    if (strcmp(s, "last") == 0)
        return last;
    long v = strtol(s, NULL, 10); // digits only (lesson_live_check): v >= 0, LONG_MAX at most
    return v > INT_MAX ? INT_MAX : (int)v;
}

// The vocabulary id of a word (its piece, or the piece with a leading space as BPE has it).
static int word_id(const struct tokenizer *t, const char *word)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < t->n; i++) {
            int len;
            const char *p = tokenizer_piece(t, i, &len);
            if (!p)
                continue;
            const char *q = p;
            if (pass == 1 && len > 0 && p[0] == ' ')
                q++, len--;
            else if (pass == 1)
                continue;
            if ((size_t)len == strlen(word) && strncmp(q, word, (size_t)len) == 0)
                return i;
        }
    return -1;
}

static const struct node *done_node(const struct graph *g, const char *name, char *why, size_t wn)
{
    int i = graph_find(g, name);
    if (i < 0) {
        snprintf(why, wn, "no op called '%.60s' in this graph", name);
        return NULL;
    }
    if (!graph_node_done(g, i)) {
        snprintf(why, wn, "%.60s has not run yet at this point of the lesson", name);
        return NULL;
    }
    return &g->nodes[i];
}

static int set_num(double v, char *text, size_t tn, double *value, int *numeric)
{
    *value = v;
    *numeric = 1;
    if (v == floor(v) && fabs(v) < 1e15)
        text_format(text, tn, "%.0f", v);
    else
        text_format(text, tn, "%.4g", v);
    return 0;
}

static int set_piece(const struct graph *g, int id, char *text, size_t tn, double *value,
                     int *numeric)
{
    tokenizer_piece_str(&g->model->tok, id, text, tn);
    // A BPE piece's leading space is not part of the word a student types.
    if (text[0] == ' ')
        memmove(text, text + 1, strlen(text));
    *value = id;
    *numeric = 0;
    return 0;
}

// The row of node n's output picked by the indices (all but the last dimension): its start
// and length.
static int row_of(const struct node *n, char **idx, int n_idx, const float **row, int *len,
                  char *why, size_t wn)
{
    const struct tensor *t = &n->out;
    if (n_idx != t->ndim - 1) {
        snprintf(why, wn, "%s has %d dimensions: give %d indices for a row", n->name, t->ndim,
                 t->ndim - 1);
        return -1;
    }
    size_t off = 0;
    for (int d = 0; d < n_idx; d++) {
        int i = index_of(idx[d], t->shape[d] - 1);
        if (i < 0 || i >= t->shape[d]) {
            snprintf(why, wn, "index %d of %s is outside 0..%d", i, n->name, t->shape[d] - 1);
            return -1;
        }
        off = off * (size_t)t->shape[d] + (size_t)i;
    }
    *len = t->shape[t->ndim - 1];
    *row = t->data + off * (size_t)*len;
    return 0;
}

int lesson_live_eval(const char *expr, const struct graph *g, char *text, size_t tn, double *value,
                     int *numeric, char *why, size_t wn)
{
    char buf[256], *w[MAX_WORDS];
    *numeric = 0;
    *value = 0;
    text[0] = 0;
    if (lesson_live_check(expr, why, wn))
        return -1;
    int n = split(expr, buf, sizeof buf, w);
    const struct model_config *c = &g->model->cfg;
    const char *kw = w[0];
    int N = g->n_tokens, last = N - 1, V = c->vocab_size;
    if (strcmp(kw, "n_tokens") == 0)
        return set_num(N, text, tn, value, numeric);
    if (strcmp(kw, "d_model") == 0)
        return set_num(c->d_model, text, tn, value, numeric);
    if (strcmp(kw, "d_k") == 0)
        return set_num(c->d_model / c->n_head, text, tn, value, numeric);
    if (strcmp(kw, "n_head") == 0)
        return set_num(c->n_head, text, tn, value, numeric);
    if (strcmp(kw, "n_layer") == 0)
        return set_num(c->n_layer, text, tn, value, numeric);
    if (strcmp(kw, "d_ff") == 0)
        return set_num(c->d_ff, text, tn, value, numeric);
    if (strcmp(kw, "vocab") == 0)
        return set_num(V, text, tn, value, numeric);
    if (strcmp(kw, "n_ctx") == 0)
        return set_num(c->n_ctx, text, tn, value, numeric);
    if (strcmp(kw, "params") == 0)
        return set_num((double)g->model->n_params, text, tn, value, numeric);
    if (strcmp(kw, "token") == 0 || strcmp(kw, "id") == 0) {
        int i = index_of(w[1], last);
        if (i < 0 || i >= N) {
            snprintf(why, wn, "position %d is outside the input (0..%d)", i, last);
            return -1;
        }
        if (kw[0] == 'i')
            return set_num(g->ids[i], text, tn, value, numeric);
        return set_piece(g, g->ids[i], text, tn, value, numeric);
    }
    if (strcmp(kw, "drawn") == 0) {
        if (g->drawn < 0) {
            snprintf(why, wn, "sample.draw has not run yet at this point of the lesson");
            return -1;
        }
        return set_piece(g, g->drawn, text, tn, value, numeric);
    }
    if (strcmp(kw, "prob") == 0 || strcmp(kw, "lens-first") == 0) {
        int id = word_id(&g->model->tok, w[1]);
        int i = index_of(w[2], last);
        if (id < 0) {
            snprintf(why, wn, "'%.40s' is not a token of this model's vocabulary", w[1]);
            return -1;
        }
        if (i < 0 || i >= N) {
            snprintf(why, wn, "position %d is outside the input (0..%d)", i, last);
            return -1;
        }
        if (kw[0] == 'p') {
            const struct node *p = done_node(g, "head.probs", why, wn);
            if (!p)
                return -1;
            // probs (N, V): a tokenizer may hold pieces the model has no probability for.
            const struct tensor *t = &p->out;
            if (t->ndim != 2 || i >= t->shape[0] || id >= t->shape[1]) {
                snprintf(why, wn,
                         "'%.40s' (id %d) is outside the model's vocabulary of %d tokens: its "
                         "tokenizer does not belong to it",
                         w[1], id, t->ndim == 2 ? t->shape[1] : 0);
                return -1;
            }
            return set_num(t->data[(size_t)i * (size_t)t->shape[1] + (size_t)id], text, tn, value,
                           numeric);
        }
        int *top = malloc(sizeof(int) * (size_t)N);
        float *prob = malloc(sizeof(float) * (size_t)N);
        int found = -1, rc = top && prob ? 0 : -1;
        for (int l = 0; !rc && l < c->n_layer && found < 0; l++) {
            if (graph_logit_lens(g, l, top, prob)) {
                snprintf(why, wn, "block %d has not run yet at this point of the lesson", l);
                rc = -1;
            } else if (top[i] == id) {
                found = l;
            }
        }
        free(top);
        free(prob);
        if (rc)
            return -1;
        if (found < 0) {
            snprintf(text, tn, "none");
            *numeric = 0;
            return 0;
        }
        return set_num(found, text, tn, value, numeric);
    }
    if (strcmp(kw, "lens-top") == 0) {
        int l = index_of(w[1], c->n_layer - 1), i = index_of(w[2], last);
        if (l < 0 || l >= c->n_layer || i < 0 || i >= N) {
            snprintf(why, wn, "lens-top: block %d or position %d is out of range", l, i);
            return -1;
        }
        int *top = malloc(sizeof(int) * (size_t)N);
        float *prob = malloc(sizeof(float) * (size_t)N);
        int rc = top && prob ? graph_logit_lens(g, l, top, prob) : -1;
        int id = rc ? -1 : top[i];
        free(top);
        free(prob);
        if (rc) {
            snprintf(why, wn, "block %d has not run yet at this point of the lesson", l);
            return -1;
        }
        return set_piece(g, id, text, tn, value, numeric);
    }
    if (strcmp(kw, "loss") == 0 || strcmp(kw, "perplexity") == 0) {
        const struct node *x = done_node(g, "loss.xent", why, wn);
        if (!x)
            return -1;
        if (n == 2) {
            int i = index_of(w[1], x->out.shape[0] - 1);
            if (i < 0 || i >= x->out.shape[0]) {
                snprintf(why, wn, "position %d has no loss (0..%d)", i, x->out.shape[0] - 1);
                return -1;
            }
            return set_num(x->out.data[i], text, tn, value, numeric);
        }
        double mean = g->loss;
        return set_num(kw[0] == 'l' ? mean : exp(mean), text, tn, value, numeric);
    }
    // value / argmax / argmax-token / nonzero / rowsum over an op's output.
    const struct node *x = done_node(g, w[1], why, wn);
    if (!x)
        return -1;
    const float *row;
    int len;
    if (strcmp(kw, "value") == 0) {
        if (row_of(x, w + 2, n - 3, &row, &len, why, wn))
            return -1;
        int j = index_of(w[n - 1], len - 1);
        if (j < 0 || j >= len) {
            snprintf(why, wn, "index %d of %s is outside 0..%d", j, x->name, len - 1);
            return -1;
        }
        return set_num(row[j], text, tn, value, numeric);
    }
    if (strcmp(kw, "dot") == 0) {
        const float *r2;
        if (x->out.ndim != 2) {
            snprintf(why, wn, "dot: %s is not a matrix of rows (it has %d dimensions)", x->name,
                     x->out.ndim);
            return -1;
        }
        if (row_of(x, w + 2, 1, &row, &len, why, wn) || row_of(x, w + 3, 1, &r2, &len, why, wn))
            return -1;
        double dot = 0;
        for (int j = 0; j < len; j++)
            dot += (double)row[j] * r2[j];
        return set_num(dot, text, tn, value, numeric);
    }
    if (row_of(x, w + 2, n - 2, &row, &len, why, wn))
        return -1;
    int best = 0, nz = 0;
    double sum = 0;
    for (int j = 0; j < len; j++) {
        if (row[j] > row[best])
            best = j;
        nz += row[j] != 0;
        sum += row[j];
    }
    if (strcmp(kw, "argmax") == 0)
        return set_num(best, text, tn, value, numeric);
    if (strcmp(kw, "nonzero") == 0)
        return set_num(nz, text, tn, value, numeric);
    if (strcmp(kw, "rowsum") == 0)
        return set_num(sum, text, tn, value, numeric);
    // argmax-token: a vocabulary id when the rows run over the vocabulary, else a position.
    if (len == V && x->layer < 0)
        return set_piece(g, best, text, tn, value, numeric);
    if (best >= N) {
        snprintf(why, wn, "%s's rows are not over positions or the vocabulary", x->name);
        return -1;
    }
    return set_piece(g, g->ids[best], text, tn, value, numeric);
}

// Lower case, single spaces, no surrounding quotes or end punctuation.
static void normalise(const char *s, char *out, size_t size)
{
    size_t k = 0;
    int space = 0;
    while (*s == ' ' || *s == '"' || *s == '\'')
        s++;
    for (; *s && k + 1 < size; s++) {
        if (*s == ' ' || *s == '\t') {
            space = 1;
            continue;
        }
        if (space && k)
            out[k++] = ' ';
        space = 0;
        if (k + 1 < size)
            out[k++] = (char)tolower((unsigned char)*s);
    }
    while (k && strchr(".!?\"' ", out[k - 1]))
        k--;
    out[k] = 0;
}

static int parse_number(const char *s, double *v)
{
    char *end;
    if (!*s)
        return 0;
    *v = strtod(s, &end);
    while (*end == ' ')
        end++;
    return *end == 0 && isfinite(*v);
}

static int same(const char *want, const char *typed, double tol)
{
    char a[256], b[256];
    normalise(want, a, sizeof a);
    normalise(typed, b, sizeof b);
    double x, y;
    if (parse_number(a, &x) && parse_number(b, &y)) {
        double t = tol >= 0 ? tol : fmax(0.02 * fabs(x), 0.001);
        return fabs(x - y) <= t;
    }
    return strcmp(a, b) == 0;
}

int lesson_answer_matches(const struct lesson_question *q, const char *typed, const char *live,
                          int live_numeric, double live_value)
{
    if (!typed || !*typed)
        return 0;
    if (q->live) {
        if (live_numeric) {
            double y;
            char b[256];
            normalise(typed, b, sizeof b);
            if (!parse_number(b, &y))
                return 0;
            double t = q->tolerance >= 0 ? q->tolerance : fmax(0.02 * fabs(live_value), 0.001);
            return fabs(live_value - y) <= t;
        }
        if (live && same(live, typed, q->tolerance))
            return 1;
    }
    for (int i = 0; i < q->n_answers; i++)
        if (same(q->answers[i], typed, q->tolerance))
            return 1;
    return 0;
}
