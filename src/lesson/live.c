// Live answers: small expressions over the graph's state (a token, a probability, an entry of
// an op's output), and how a typed answer is compared with an answer.
#include "stepformer/lesson.h"

#include <ctype.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stepformer/text.h"

#define MAX_WORDS  8   // words of a live expression
#define EXPR_MAX   256 // bytes of a live expression that are read
#define ANSWER_MAX 256 // bytes of an answer that are compared

// A live expression being evaluated: the graph, the expression's words, and where the answer
// (or the reason there is none) goes.
struct live {
    const struct graph *g;
    const struct lesson_worked *wk;       // the worked example in force, or NULL
    const struct lesson_learn_log *learn; // the learn run's record, or NULL
    char **w;                             // the words; w[0] is the keyword
    int n;
    char *text; // the answer as shown
    size_t tn;
    double *value;
    int *numeric;
    char *why;
    size_t wn;
};

// Evaluates the expression; 0, or -1 with why filled.
typedef int (*live_fn)(struct live *e);

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

// An index word: a number (INT_MAX when it is larger), or "last" = last.
static int index_of(const char *s, int last)
{
    if (strcmp(s, "last") == 0)
        return last;
    long v; // digits only (lesson_live_check): what does not read as an int is larger
    return text_parse_long(s, 0, INT_MAX, TEXT_NUM_UNSIGNED, &v) ? INT_MAX : (int)v;
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

// The answer is the number v.
static int set_num(struct live *e, double v)
{
    *e->value = v;
    *e->numeric = 1;
    if (v == floor(v) && fabs(v) < 1e15)
        text_format(e->text, e->tn, "%.0f", v);
    else
        text_format(e->text, e->tn, "%.4g", v);
    return 0;
}

// The answer is the vocabulary piece id.
static int set_piece(struct live *e, int id)
{
    tokenizer_piece_str(&e->g->model->tok, id, e->text, e->tn);
    // A BPE piece's leading space is not part of the word a student types.
    if (e->text[0] == ' ')
        memmove(e->text, e->text + 1, strlen(e->text));
    *e->value = id;
    *e->numeric = 0;
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

// The model's sizes.

static int live_n_tokens(struct live *e)
{
    return set_num(e, e->g->n_tokens);
}

static int live_d_model(struct live *e)
{
    return set_num(e, e->g->model->cfg.d_model);
}

static int live_d_k(struct live *e)
{
    return set_num(e, e->g->model->cfg.d_model / e->g->model->cfg.n_head);
}

static int live_n_head(struct live *e)
{
    return set_num(e, e->g->model->cfg.n_head);
}

static int live_n_layer(struct live *e)
{
    return set_num(e, e->g->model->cfg.n_layer);
}

static int live_d_ff(struct live *e)
{
    return set_num(e, e->g->model->cfg.d_ff);
}

static int live_vocab(struct live *e)
{
    return set_num(e, e->g->model->cfg.vocab_size);
}

static int live_n_ctx(struct live *e)
{
    return set_num(e, e->g->model->cfg.n_ctx);
}

static int live_params(struct live *e)
{
    return set_num(e, (double)e->g->model->n_params);
}

// The input.

// The position word w in the input; -1 with why filled when it is outside.
static int input_position(struct live *e, const char *w)
{
    int last = e->g->n_tokens - 1, i = index_of(w, last);
    if (i < 0 || i > last) {
        snprintf(e->why, e->wn, "position %d is outside the input (0..%d)", i, last);
        return -1;
    }
    return i;
}

static int live_token(struct live *e)
{
    int i = input_position(e, e->w[1]);
    return i < 0 ? -1 : set_piece(e, e->g->ids[i]);
}

static int live_id(struct live *e)
{
    int i = input_position(e, e->w[1]);
    return i < 0 ? -1 : set_num(e, e->g->ids[i]);
}

static int live_drawn(struct live *e)
{
    if (e->g->drawn < 0) {
        snprintf(e->why, e->wn, "sample.draw has not run yet at this point of the lesson");
        return -1;
    }
    return set_piece(e, e->g->drawn);
}

// WORD POS: the word's vocabulary id and the position; -1 with why filled when either is not one.
static int word_at(struct live *e, int *id, int *i)
{
    *id = word_id(&e->g->model->tok, e->w[1]);
    if (*id < 0) {
        snprintf(e->why, e->wn, "'%.40s' is not a token of this model's vocabulary", e->w[1]);
        return -1;
    }
    *i = input_position(e, e->w[2]);
    return *i < 0 ? -1 : 0;
}

// The next-token distribution.

// WORD's entry at POS of a (N, V) op over the vocabulary (head.probs, head.logits).
static int vocab_entry(struct live *e, const char *op)
{
    int id, i;
    if (word_at(e, &id, &i))
        return -1;
    const struct node *p = done_node(e->g, op, e->why, e->wn);
    if (!p)
        return -1;
    // (N, V): a tokenizer may hold pieces the model has no probability for.
    const struct tensor *t = &p->out;
    if (t->ndim != 2 || i >= t->shape[0] || id >= t->shape[1]) {
        snprintf(e->why, e->wn,
                 "'%.40s' (id %d) is outside the model's vocabulary of %d tokens: its tokenizer "
                 "does not belong to it",
                 e->w[1], id, t->ndim == 2 ? t->shape[1] : 0);
        return -1;
    }
    return set_num(e, t->data[(size_t)i * (size_t)t->shape[1] + (size_t)id]);
}

static int live_prob(struct live *e)
{
    return vocab_entry(e, "head.probs");
}

static int desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

// Sets e's value to the sum of the k largest of the V entries of src (what: the word, for the
// message naming K's range).
static int set_largest_sum(struct live *e, const float *src, int V, int k, const char *what)
{
    if (k < 1 || k > V) {
        snprintf(e->why, e->wn, "%s: K is 1..%d, the vocabulary's size", what, V);
        return -1;
    }
    float *row = malloc(sizeof(float) * (size_t)V);
    if (!row) {
        snprintf(e->why, e->wn, "out of memory");
        return -1;
    }
    memcpy(row, src, sizeof(float) * (size_t)V);
    qsort(row, (size_t)V, sizeof(float), desc);
    double mass = 0;
    for (int j = 0; j < k; j++)
        mass += row[j];
    free(row);
    return set_num(e, mass);
}

// The probability mass of the K most probable next tokens after POS.
static int live_top_mass(struct live *e)
{
    const struct node *p = done_node(e->g, "head.probs", e->why, e->wn);
    if (!p)
        return -1;
    int V = p->out.shape[1], k = index_of(e->w[1], V), i = input_position(e, e->w[2]);
    if (i < 0)
        return -1;
    return set_largest_sum(e, p->out.data + (size_t)i * (size_t)V, V, k, "top-mass");
}

// The row of op w[1]'s output over the vocabulary: the output itself when it has one
// dimension, else the row at the position word w[pos] (the last one when absent).
static int vocab_row(struct live *e, int pos, const float **row, int *V)
{
    const struct node *x = done_node(e->g, e->w[1], e->why, e->wn);
    if (!x)
        return -1;
    const struct tensor *t = &x->out;
    int V_model = e->g->model->cfg.vocab_size;
    if (t->shape[t->ndim - 1] != V_model || t->ndim > 2) {
        snprintf(e->why, e->wn, "%s's rows are not over the vocabulary", x->name);
        return -1;
    }
    *V = V_model;
    if (t->ndim == 1) {
        *row = t->data;
        return 0;
    }
    int i = pos < e->n ? input_position(e, e->w[pos]) : t->shape[0] - 1;
    if (i < 0 || i >= t->shape[0])
        return -1;
    *row = t->data + (size_t)i * (size_t)V_model;
    return 0;
}

// OP WORD [POS]: the row and WORD's column in it.
static int word_entry(struct live *e, const float **row, int *id)
{
    int V;
    *id = word_id(&e->g->model->tok, e->w[2]);
    if (*id < 0) {
        snprintf(e->why, e->wn, "'%.40s' is not a token of this model's vocabulary", e->w[2]);
        return -1;
    }
    if (vocab_row(e, 3, row, &V))
        return -1;
    if (*id >= V) {
        snprintf(e->why, e->wn, "'%.40s' (id %d) is outside the model's vocabulary", e->w[2], *id);
        return -1;
    }
    return 0;
}

static int live_entry(struct live *e)
{
    const float *row;
    int id;
    return word_entry(e, &row, &id) ? -1 : set_num(e, row[id]);
}

// 1 + the number of entries of the row larger than WORD's.
static int live_rank(struct live *e)
{
    const float *row;
    int id, V = e->g->model->cfg.vocab_size, rank = 1;
    if (word_entry(e, &row, &id))
        return -1;
    for (int j = 0; j < V; j++)
        rank += row[j] > row[id];
    return set_num(e, rank);
}

// The sum of the K largest entries of the row.
static int live_mass(struct live *e)
{
    const float *src;
    int V, k;
    if (vocab_row(e, 3, &src, &V))
        return -1;
    k = index_of(e->w[2], V);
    return set_largest_sum(e, src, V, k, "mass");
}

// A statistic of parameter tensor NAME ("L0.ln1.gamma", "lnf.gamma"): 0 its smallest entry,
// 1 its largest, 2 its mean.
static int param_stat(struct live *e, int stat)
{
    // model_params only lists where the tensors are; nothing is written through it.
    struct model *m = (struct model *)e->g->model;
    int n = model_params(m, NULL, 0);
    struct param_ref *refs = n > 0 ? malloc(sizeof *refs * (size_t)n) : NULL;
    const struct tensor *t = NULL;
    if (refs)
        model_params(m, refs, n);
    for (int i = 0; refs && i < n && !t; i++)
        if (strcmp(refs[i].name, e->w[1]) == 0)
            t = refs[i].t;
    free(refs);
    size_t numel = t ? tensor_numel(t) : 0;
    if (!numel) {
        snprintf(e->why, e->wn, "no parameter called '%.60s' in this model (e.g. L0.ln1.gamma)",
                 e->w[1]);
        return -1;
    }
    double lo = t->data[0], hi = t->data[0], sum = 0;
    for (size_t j = 0; j < numel; j++) {
        lo = fmin(lo, t->data[j]);
        hi = fmax(hi, t->data[j]);
        sum += t->data[j];
    }
    return set_num(e, stat == 0 ? lo : stat == 1 ? hi : sum / (double)numel);
}

static int live_param_min(struct live *e)
{
    return param_stat(e, 0);
}

static int live_param_max(struct live *e)
{
    return param_stat(e, 1);
}

static int live_param_mean(struct live *e)
{
    return param_stat(e, 2);
}

static int live_logit(struct live *e)
{
    return vocab_entry(e, "head.logits");
}

// Block l has not run: why says so. Returns -1.
static int block_not_run(struct live *e, int l)
{
    snprintf(e->why, e->wn, "block %d has not run yet at this point of the lesson", l);
    return -1;
}

// The logit lens after block LAYER at POS: its top token (want_prob 0) or that token's
// probability.
static int lens_at(struct live *e, int want_prob)
{
    int n_layer = e->g->model->cfg.n_layer, N = e->g->n_tokens;
    int l = index_of(e->w[1], n_layer - 1), i = index_of(e->w[2], N - 1);
    if (l < 0 || l >= n_layer || i < 0 || i >= N) {
        snprintf(e->why, e->wn, "%s: block %d or position %d is out of range", e->w[0], l, i);
        return -1;
    }
    int *top = malloc(sizeof(int) * (size_t)N);
    float *prob = malloc(sizeof(float) * (size_t)N);
    int rc = top && prob ? graph_logit_lens(e->g, l, top, prob) : -1;
    int id = rc ? -1 : top[i];
    double p = rc ? 0 : prob[i];
    free(top);
    free(prob);
    if (rc)
        return block_not_run(e, l);
    return want_prob ? set_num(e, p) : set_piece(e, id);
}

static int live_lens_top(struct live *e)
{
    return lens_at(e, 0);
}

static int live_lens_prob(struct live *e)
{
    return lens_at(e, 1);
}

// The first block after which the lens puts WORD on top at POS, or "none".
static int live_lens_first(struct live *e)
{
    int id, i, N = e->g->n_tokens;
    if (word_at(e, &id, &i))
        return -1;
    int *top = malloc(sizeof(int) * (size_t)N);
    float *prob = malloc(sizeof(float) * (size_t)N);
    int found = -1, rc = top && prob ? 0 : -1;
    for (int l = 0; !rc && l < e->g->model->cfg.n_layer && found < 0; l++) {
        if (graph_logit_lens(e->g, l, top, prob))
            rc = block_not_run(e, l);
        else if (top[i] == id)
            found = l;
    }
    free(top);
    free(prob);
    if (rc)
        return -1;
    if (found < 0) {
        snprintf(e->text, e->tn, "none");
        *e->numeric = 0;
        return 0;
    }
    return set_num(e, found);
}

// Training.

static int live_loss(struct live *e)
{
    const struct node *x = done_node(e->g, "loss.xent", e->why, e->wn);
    if (!x)
        return -1;
    if (e->n == 1)
        return set_num(e, e->g->loss);
    int last = x->out.shape[0] - 1, i = index_of(e->w[1], last);
    if (i < 0 || i > last) {
        snprintf(e->why, e->wn, "position %d has no loss (0..%d)", i, last);
        return -1;
    }
    return set_num(e, x->out.data[i]);
}

static int live_perplexity(struct live *e)
{
    if (!done_node(e->g, "loss.xent", e->why, e->wn))
        return -1;
    double mean = e->g->loss;
    return set_num(e, exp(mean));
}

// An op's output.

static int live_value(struct live *e)
{
    const struct node *x = done_node(e->g, e->w[1], e->why, e->wn);
    const float *row;
    int len;
    if (!x || row_of(x, e->w + 2, e->n - 3, &row, &len, e->why, e->wn))
        return -1;
    int j = index_of(e->w[e->n - 1], len - 1);
    if (j < 0 || j >= len) {
        snprintf(e->why, e->wn, "index %d of %s is outside 0..%d", j, x->name, len - 1);
        return -1;
    }
    return set_num(e, row[j]);
}

static int live_dot(struct live *e)
{
    const struct node *x = done_node(e->g, e->w[1], e->why, e->wn);
    const float *r1, *r2;
    int len;
    if (!x)
        return -1;
    if (x->out.ndim != 2) {
        snprintf(e->why, e->wn, "dot: %s is not a matrix of rows (it has %d dimensions)", x->name,
                 x->out.ndim);
        return -1;
    }
    if (row_of(x, e->w + 2, 1, &r1, &len, e->why, e->wn) ||
        row_of(x, e->w + 3, 1, &r2, &len, e->why, e->wn))
        return -1;
    double dot = 0;
    for (int j = 0; j < len; j++)
        dot += (double)r1[j] * r2[j];
    return set_num(e, dot);
}

// A row of an op's output (OP and all indices but the last) and what the row expressions read.
struct row_stats {
    const struct node *x;
    int len;     // entries in the row
    int best;    // the first index of its largest entry
    double max;  // its largest entry
    int nonzero; // entries that are not zero
    double sum;
};

static int row_stats(struct live *e, struct row_stats *r)
{
    const float *row;
    r->x = done_node(e->g, e->w[1], e->why, e->wn);
    if (!r->x || row_of(r->x, e->w + 2, e->n - 2, &row, &r->len, e->why, e->wn))
        return -1;
    r->best = 0, r->nonzero = 0, r->sum = 0;
    for (int j = 0; j < r->len; j++) {
        if (row[j] > row[r->best])
            r->best = j;
        r->max = row[r->best];
        r->nonzero += row[j] != 0;
        r->sum += row[j];
    }
    return 0;
}

static int live_norm(struct live *e)
{
    const float *row;
    const struct node *x = done_node(e->g, e->w[1], e->why, e->wn);
    int len;
    if (!x || row_of(x, e->w + 2, e->n - 2, &row, &len, e->why, e->wn))
        return -1;
    double sq = 0;
    for (int j = 0; j < len; j++)
        sq += (double)row[j] * row[j];
    return set_num(e, sqrt(sq));
}

static int live_argmax(struct live *e)
{
    struct row_stats r;
    return row_stats(e, &r) ? -1 : set_num(e, r.best);
}

// A vocabulary token when the rows run over the vocabulary, else the input token at a position.
static int live_argmax_token(struct live *e)
{
    struct row_stats r;
    if (row_stats(e, &r))
        return -1;
    if (r.len == e->g->model->cfg.vocab_size && r.x->layer < 0)
        return set_piece(e, r.best);
    if (r.best >= e->g->n_tokens) {
        snprintf(e->why, e->wn, "%s's rows are not over positions or the vocabulary", r.x->name);
        return -1;
    }
    return set_piece(e, e->g->ids[r.best]);
}

static int live_max(struct live *e)
{
    struct row_stats r;
    return row_stats(e, &r) ? -1 : set_num(e, r.max);
}

static int live_nonzero(struct live *e)
{
    struct row_stats r;
    return row_stats(e, &r) ? -1 : set_num(e, r.nonzero);
}

static int live_rowsum(struct live *e)
{
    struct row_stats r;
    return row_stats(e, &r) ? -1 : set_num(e, r.sum);
}

// A worked example's value (worked.c): it needs no model.
static int live_worked(struct live *e)
{
    double v;
    if (lesson_worked_value(e->wk, e->w + 1, e->n - 1, &v, e->why, e->wn))
        return -1;
    return set_num(e, v);
}

// The learn run's record, or -1 with why when the lesson has none yet.
static int learn_log(struct live *e, const struct lesson_learn_log **log)
{
    *log = e->learn;
    if (!e->learn || e->learn->n_evals == 0) {
        snprintf(e->why, e->wn, "'%s' reads the learn run: put '@learn start' before it", e->w[0]);
        return -1;
    }
    return 0;
}

// A step of the run (a number, or 'last' for the steps done); -1 with why when it has not run.
static int learn_step_arg(struct live *e, const struct lesson_learn_log *log, int *step)
{
    long v;
    if (strcmp(e->w[1], "last") == 0) {
        *step = log->n;
    } else if (text_parse_long(e->w[1], 0, INT_MAX, 0, &v) == 0 && v <= log->n) {
        *step = (int)v;
    } else {
        snprintf(e->why, e->wn, "'%s %s': the run has done %d steps", e->w[0], e->w[1], log->n);
        return -1;
    }
    return 0;
}

static int live_learn_step(struct live *e)
{
    const struct lesson_learn_log *log;
    return learn_log(e, &log) ? -1 : set_num(e, log->n);
}

// The mean training loss of the ten steps up to STEP (fewer at the start): one step's batch is
// noisy.
static int live_learn_loss(struct live *e)
{
    const struct lesson_learn_log *log;
    int step;
    if (learn_log(e, &log) || learn_step_arg(e, log, &step))
        return -1;
    if (step < 1) {
        snprintf(e->why, e->wn, "'%s 0': no step has run at step 0", e->w[0]);
        return -1;
    }
    double sum = 0;
    int k0 = step > 10 ? step - 10 : 0;
    for (int k = k0; k < step; k++)
        sum += log->loss[k];
    return set_num(e, sum / (step - k0));
}

// The evaluation after STEP steps: the held-out loss, or the agreement items' share right.
static int learn_eval_at(struct live *e, int agreement)
{
    const struct lesson_learn_log *log;
    int step;
    if (learn_log(e, &log) || learn_step_arg(e, log, &step))
        return -1;
    for (int i = 0; i < log->n_evals; i++)
        if (log->eval_step[i] == step)
            return set_num(e, agreement ? log->agreement[i] : log->heldout[i]);
    snprintf(e->why, e->wn, "'%s %s': the run was evaluated at steps 0, %d, ... and its last",
             e->w[0], e->w[1], log->n_evals > 1 ? log->eval_step[1] : 0);
    return -1;
}

static int live_learn_heldout(struct live *e)
{
    return learn_eval_at(e, 0);
}

static int live_learn_agreement(struct live *e)
{
    return learn_eval_at(e, 1);
}

// The share of the held-out agreement items (those of learn-agreement) that the weights on
// screen get right, scored as `stepformer eval` scores them (item_logprob).
static int live_agreement(struct live *e)
{
    if (!e->learn || e->learn->shown_agreement < 0) {
        snprintf(e->why, e->wn,
                 "'agreement' reads the weights @learn put on screen: put '@learn "
                 "start' (and '@learn weights NAME') before it");
        return -1;
    }
    return set_num(e, e->learn->shown_agreement);
}

// Every live expression, in the order messages list them:
// X(keyword, min args, max args, leading arguments that are names (a WORD or an OP; the rest
//   are positions or indices), usage, handler, help)
#define SF_LIVE_LIST(X)                                                                            \
    X("n_tokens", 0, 0, 0, "", live_n_tokens, "the input's length")                                \
    X("d_model", 0, 0, 0, "", live_d_model, "the model's width")                                   \
    X("d_k", 0, 0, 0, "", live_d_k, "the width of one head")                                       \
    X("n_head", 0, 0, 0, "", live_n_head, "heads per layer")                                       \
    X("n_layer", 0, 0, 0, "", live_n_layer, "layers")                                              \
    X("d_ff", 0, 0, 0, "", live_d_ff, "the width of the feedforward layer")                        \
    X("vocab", 0, 0, 0, "", live_vocab, "the vocabulary's size")                                   \
    X("n_ctx", 0, 0, 0, "", live_n_ctx, "the context length")                                      \
    X("params", 0, 0, 0, "", live_params, "the parameter count")                                   \
    X("token", 1, 1, 0, "POS", live_token, "the input token at POS")                               \
    X("id", 1, 1, 0, "POS", live_id, "the id of the input token at POS")                           \
    X("prob", 2, 2, 1, "WORD POS", live_prob,                                                      \
      "the probability of WORD as the next token after POS")                                       \
    X("top-mass", 2, 2, 0, "K POS", live_top_mass,                                                 \
      "the probability of the K most probable next tokens after POS")                              \
    X("entry", 2, 3, 2, "OP WORD [POS]", live_entry,                                               \
      "WORD's entry in a row of OP over the vocabulary (head.*, sample.*)")                        \
    X("rank", 2, 3, 2, "OP WORD [POS]", live_rank,                                                 \
      "WORD's place in that row, from 1 for the largest")                                          \
    X("mass", 2, 3, 1, "OP K [POS]", live_mass, "the sum of the K largest entries of that row")    \
    X("param-min", 1, 1, 1, "NAME", live_param_min, "the smallest entry of a parameter tensor")    \
    X("param-max", 1, 1, 1, "NAME", live_param_max, "the largest entry of a parameter tensor")     \
    X("param-mean", 1, 1, 1, "NAME", live_param_mean, "the mean of a parameter tensor")            \
    X("logit", 2, 2, 1, "WORD POS", live_logit, "the logit of WORD as the next token after POS")   \
    X("value", 2, 5, 1, "OP INDEX...", live_value, "one entry of op OP's output")                  \
    X("argmax", 1, 4, 1, "OP INDEX...", live_argmax, "the index of the largest entry of a row")    \
    X("argmax-token", 1, 4, 1, "OP INDEX...", live_argmax_token,                                   \
      "the largest entry of a row, as a token")                                                    \
    X("max", 1, 4, 1, "OP INDEX...", live_max, "the largest entry of a row")                       \
    X("nonzero", 1, 4, 1, "OP INDEX...", live_nonzero, "the number of non-zero entries of a row")  \
    X("rowsum", 1, 4, 1, "OP INDEX...", live_rowsum, "the sum of a row")                           \
    X("norm", 1, 4, 1, "OP INDEX...", live_norm, "the length of a row")                            \
    X("dot", 3, 3, 1, "OP ROW ROW", live_dot, "the dot product of two rows of a matrix")           \
    X("loss", 0, 1, 0, "[POS]", live_loss, "the training loss (mean, or at POS)")                  \
    X("perplexity", 0, 0, 0, "", live_perplexity, "e to the mean loss")                            \
    X("drawn", 0, 0, 0, "", live_drawn, "the token sample.draw chose")                             \
    X("lens-top", 2, 2, 0, "LAYER POS", live_lens_top,                                             \
      "the logit lens's top token after block LAYER")                                              \
    X("lens-prob", 2, 2, 0, "LAYER POS", live_lens_prob,                                           \
      "the probability of the logit lens's top token after block LAYER")                           \
    X("lens-first", 2, 2, 1, "WORD POS", live_lens_first,                                          \
      "the first block after which the lens puts WORD on top")                                     \
    X("worked", 1, 3, 1, "PART [ROW COL]", live_worked,                                            \
      "a value of the worked example (@worked): x q k v score scaled alpha out ROW COL, n, d_k, "  \
      "d_v")                                                                                       \
    X("learn-step", 0, 0, 0, "", live_learn_step, "the steps the learn run has done")              \
    X("learn-loss", 1, 1, 0, "STEP", live_learn_loss,                                              \
      "the learn run's training loss: the mean of the ten steps up to STEP")                       \
    X("learn-heldout", 1, 1, 0, "STEP", live_learn_heldout,                                        \
      "the learn run's held-out loss, evaluated after STEP steps")                                 \
    X("learn-agreement", 1, 1, 0, "STEP", live_learn_agreement,                                    \
      "the share of held-out agreement items the learn run got right after STEP steps")            \
    X("agreement", 0, 0, 0, "", live_agreement,                                                    \
      "the share of those items the weights on screen get right (after @learn)")

struct live_kind {
    struct lesson_syntax syn;
    int min, max; // arguments
    int names;    // leading arguments that are names
    live_fn fn;
};

static const struct live_kind kinds[] = {
#define SF_X(kw, mn, mx, names, usage, fn, help) {{kw, usage, help}, mn, mx, names, fn},
    SF_LIVE_LIST(SF_X)
#undef SF_X
};
#define N_KINDS (int)(sizeof kinds / sizeof kinds[0])

const struct lesson_syntax *lesson_live_kind(int i)
{
    return i >= 0 && i < N_KINDS ? &kinds[i].syn : NULL;
}

static const struct live_kind *find_kind(const char *kw)
{
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i].syn.name, kw) == 0)
            return &kinds[i];
    return NULL;
}

int lesson_live_check(const char *expr, char *why, size_t wn)
{
    char buf[EXPR_MAX], *w[MAX_WORDS];
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
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                    kinds[i].syn.name);
        snprintf(why, wn, "unknown live value '%.40s'; they are: %s", w[0], list);
        return -1;
    }
    if (n - 1 < k->min || n - 1 > k->max) {
        snprintf(why, wn, "'%s' takes %s", k->syn.name,
                 k->syn.usage[0] ? k->syn.usage : "no arguments");
        return -1;
    }
    for (int i = 1 + k->names; i < n; i++)
        if (!is_index(w[i])) {
            snprintf(why, wn, "'%s': '%.30s' should be a number from 0 or 'last'", k->syn.name,
                     w[i]);
            return -1;
        }
    if (k->fn == live_worked)
        return lesson_worked_check(w + 1, n - 1, why, wn);
    return 0;
}

int lesson_live_eval_in(const char *expr, const struct graph *g, const struct lesson_worked *wk,
                        char *text, size_t tn, double *value, int *numeric, char *why, size_t wn)
{
    return lesson_live_eval_learn(expr, g, wk, NULL, text, tn, value, numeric, why, wn);
}

int lesson_live_eval_learn(const char *expr, const struct graph *g, const struct lesson_worked *wk,
                           const struct lesson_learn_log *learn, char *text, size_t tn,
                           double *value, int *numeric, char *why, size_t wn)
{
    char buf[EXPR_MAX], *w[MAX_WORDS];
    *numeric = 0;
    *value = 0;
    text[0] = 0;
    if (lesson_live_check(expr, why, wn))
        return -1;
    struct live e = {.g = g,
                     .wk = wk,
                     .learn = learn,
                     .w = w,
                     .n = split(expr, buf, sizeof buf, w),
                     .text = text,
                     .tn = tn,
                     .value = value,
                     .numeric = numeric,
                     .why = why,
                     .wn = wn};
    const struct live_kind *k = find_kind(w[0]);
    if (!g && k->fn != live_worked) {
        snprintf(why, wn, "'%s' needs the model, which is not loaded here", k->syn.name);
        return -1;
    }
    return k->fn(&e);
}

int lesson_live_eval(const char *expr, const struct graph *g, char *text, size_t tn, double *value,
                     int *numeric, char *why, size_t wn)
{
    return lesson_live_eval_in(expr, g, NULL, text, tn, value, numeric, why, wn);
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

// Digits at *p into b (at *k, cap bytes); returns how many.
static int copy_digits(const char **p, char *b, size_t *k, size_t cap)
{
    int n = 0;
    for (; isdigit((unsigned char)**p); (*p)++, n++)
        if (*k + 1 < cap)
            b[(*k)++] = **p;
    return n;
}

// A minus sign (ASCII or U+2212) or a plus at *p: -1, +1 (moved past), or 0.
static int read_sign(const char **p)
{
    if (**p == '+' || **p == '-')
        return *(*p)++ == '-' ? -1 : 1;
    if (strncmp(*p, "\xe2\x88\x92", 3) == 0) {
        *p += 3;
        return -1;
    }
    return 0;
}

// The integer part with its groups of three ("111,872", "111 872", one separator throughout);
// returns its number of digits, or -1 when the groups are not of three.
static int read_integer(const char **p, char *b, size_t *k, size_t cap)
{
    int first = copy_digits(p, b, k, cap), n = first;
    char sep = 0;
    while ((**p == ',' || **p == ' ') && (!sep || **p == sep) && isdigit((unsigned char)(*p)[1])) {
        const char *q = *p + 1;
        size_t k0 = *k;
        int g = copy_digits(&q, b, k, cap);
        if (g != 3 || first < 1 || first > 3) {
            *k = k0;
            return **p == ',' ? -1 : n; // "1,5" is not read; "1 5" stops at the space
        }
        sep = **p;
        *p = q;
        n += g;
    }
    return n;
}

// An exponent: "e6", "e-3", "×10^6", "x10^6", "*10^6" (spaces allowed around the times sign).
static int read_exponent(const char **p, char *b, size_t *k, size_t cap)
{
    const char *q = *p;
    if (*q == 'e' || *q == 'E') {
        q++;
    } else {
        while (*q == ' ')
            q++;
        if (strncmp(q, "\xc3\x97", 2) == 0)
            q += 2;
        else if (*q == 'x' || *q == 'X' || *q == '*')
            q++;
        else
            return 0;
        while (*q == ' ')
            q++;
        if (strncmp(q, "10^", 3) != 0)
            return 0;
        q += 3;
    }
    int sign = read_sign(&q);
    if (!isdigit((unsigned char)*q))
        return 0;
    if (*k + 3 < cap) {
        b[(*k)++] = 'e';
        if (sign < 0)
            b[(*k)++] = '-';
    }
    copy_digits(&q, b, k, cap);
    *p = q;
    return 1;
}

// The scales a number may end with ("85M", "85 million"): normalised answers are lower case.
static const struct {
    const char *suffix, *word; // the word: how a question names the unit ("how many million")
    double scale;
} scales[] = {
    {"k", "thousand", 1e3}, {"thousand", "thousand", 1e3}, {"m", "million", 1e6},
    {"mn", "million", 1e6}, {"million", "million", 1e6},   {"b", "billion", 1e9},
    {"bn", "billion", 1e9}, {"billion", "billion", 1e9},
};

// A scale at *p (then moved past it), or -1.
static int read_scale(const char **p)
{
    for (int i = 0; i < (int)(sizeof scales / sizeof scales[0]); i++) {
        size_t n = strlen(scales[i].suffix);
        if (strncasecmp(*p, scales[i].suffix, n) == 0 && ((*p)[n] == 0 || (*p)[n] == ' ')) {
            *p += n;
            return i;
        }
    }
    return -1;
}

// lesson_read_number, with the scale it ended with (-1: none) and the decimals before it.
static int read_number(const char *s, double *v, int *decimals, int *scale, int *mant_decimals)
{
    char b[ANSWER_MAX];
    size_t k = 0;
    const char *p = s;
    while (*p == ' ')
        p++;
    if (read_sign(&p) < 0)
        b[k++] = '-';
    int whole = read_integer(&p, b, &k, sizeof b), frac = -1;
    if (whole < 0)
        return -1;
    if (*p == '.') {
        p++;
        b[k++] = '.';
        frac = copy_digits(&p, b, &k, sizeof b);
    }
    if (whole + (frac > 0 ? frac : 0) == 0)
        return -1;
    int exp = read_exponent(&p, b, &k, sizeof b);
    while (*p == ' ')
        p++;
    int sc = read_scale(&p);
    while (*p == ' ')
        p++;
    b[k] = 0;
    if (*p || k + 1 >= sizeof b ||
        text_parse_double(b, -DBL_MAX, DBL_MAX, TEXT_NUM_UNDERFLOW, v) != 0)
        return -1;
    *v *= sc >= 0 ? scales[sc].scale : 1;
    if (!isfinite(*v))
        return -1;
    int d = exp ? -1 : frac < 0 ? 0 : frac;
    if (decimals)
        *decimals = sc >= 0 ? -1 : d;
    if (scale)
        *scale = exp ? -1 : sc;
    if (mant_decimals)
        *mant_decimals = d;
    return 0;
}

int lesson_read_number(const char *s, double *v, int *decimals)
{
    return read_number(s, v, decimals, NULL, NULL);
}

static double round_to(double x, int d)
{
    double f = pow(10, d);
    return round(x * f) / f;
}

// The decimals a number needs to be within tolerance t (rounded): 0.001 needs 3.
static int needed_decimals(double t, int written)
{
    if (t <= 0)
        return written > 0 ? written : 0;
    int n = (int)ceil(log10(0.5 / t) - 1e-9);
    return n < 0 ? 0 : n > 12 ? 12 : n;
}

// Compares a typed number y (dy decimals, -1 unknown) with the answer x (dx decimals as
// written, -1 for a live value) within t.
static enum lesson_verdict compare_numbers(double x, int dx, double y, int dy, double t, int *need)
{
    double eps = 1e-9 * fmax(1, fabs(x));
    if (fabs(x - y) <= t + eps)
        return LESSON_RIGHT;
    int n = needed_decimals(t, dx);
    if (dy >= 0 && dy < n && fabs(round_to(x, dy) - y) <= t + eps) {
        *need = n;
        return LESSON_CLOSE;
    }
    if (dx >= 0 && dy > dx && fabs(x - round_to(y, dx)) <= t + eps) {
        *need = dx;
        return LESSON_CLOSE;
    }
    return LESSON_WRONG;
}

static double tolerance(double tol, double x)
{
    return tol >= 0 ? tol : fmax(0.02 * fabs(x), 0.001);
}

// A typed number: its value, its decimals, and, when it ends with a scale the question names
// in words ("85M" asked "how many million"), the number before the scale (else NAN).
struct typed_number {
    double y, unit;
    int dy, dunit;
};

static int read_typed(const struct lesson_question *q, const char *typed, struct typed_number *t)
{
    char b[ANSWER_MAX];
    int sc;
    normalise(typed, b, sizeof b);
    if (read_number(b, &t->y, &t->dy, &sc, &t->dunit))
        return -1;
    t->unit = NAN;
    if (sc >= 0 && q->text && strstr(q->text, scales[sc].word))
        t->unit = t->y / scales[sc].scale;
    return 0;
}

// The typed number against x (dx decimals as written, -1 live): as it is, or in the question's
// unit when it names one.
static enum lesson_verdict compare_typed(double x, int dx, const struct typed_number *t, double tol,
                                         int *need)
{
    enum lesson_verdict v = compare_numbers(x, dx, t->y, t->dy, tol, need);
    if (v != LESSON_RIGHT && !isnan(t->unit)) {
        int n;
        enum lesson_verdict u = compare_numbers(x, dx, t->unit, t->dunit, tol, &n);
        if (u == LESSON_RIGHT || (u == LESSON_CLOSE && v == LESSON_WRONG))
            v = u, *need = n;
    }
    return v;
}

static enum lesson_verdict same(const struct lesson_question *q, const char *want,
                                const char *typed, int *need)
{
    char a[ANSWER_MAX], b[ANSWER_MAX];
    normalise(want, a, sizeof a);
    normalise(typed, b, sizeof b);
    double x;
    int dx;
    struct typed_number t;
    if (lesson_read_number(a, &x, &dx) == 0 && read_typed(q, typed, &t) == 0)
        return compare_typed(x, dx, &t, tolerance(q->tolerance, x), need);
    return strcmp(a, b) == 0 ? LESSON_RIGHT : LESSON_WRONG;
}

enum lesson_verdict lesson_answer_check(const struct lesson_question *q, const char *typed,
                                        const char *live, int live_numeric, double live_value,
                                        int *decimals)
{
    int need = 0, close = 0;
    enum lesson_verdict v = LESSON_WRONG;
    if (!typed || !*typed)
        return LESSON_WRONG;
    if (q->live && live_numeric) {
        struct typed_number t;
        if (read_typed(q, typed, &t) == 0)
            v = compare_typed(live_value, -1, &t, tolerance(q->tolerance, live_value), &need);
    } else if (q->live && live) {
        v = same(q, live, typed, &need);
    }
    // Any alternative that is right makes the answer right; else one that is close, close.
    for (int i = 0; v != LESSON_RIGHT && i < q->n_answers; i++) {
        if (v == LESSON_CLOSE && !close)
            close = need + 1;
        v = same(q, q->answers[i], typed, &need);
    }
    if (v == LESSON_WRONG && close)
        v = LESSON_CLOSE, need = close - 1;
    if (decimals)
        *decimals = v == LESSON_CLOSE ? need : 0;
    return v;
}

int lesson_answer_matches(const struct lesson_question *q, const char *typed, const char *live,
                          int live_numeric, double live_value)
{
    return lesson_answer_check(q, typed, live, live_numeric, live_value, NULL) == LESSON_RIGHT;
}

// FNV-1a over n bytes, from h.
static unsigned long long fnv(unsigned long long h, const void *s, size_t n)
{
    const unsigned char *c = s;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ULL;
    return h;
}

unsigned long long lesson_choice_seed(const char *lesson_id, const char *user)
{
    unsigned long long h = fnv(14695981039346656037ULL, lesson_id, strlen(lesson_id) + 1);
    return fnv(h, user, strlen(user));
}

const char *lesson_user_name(void)
{
    const char *u = getenv("USER");
    if (!u || !*u)
        u = getenv("LOGNAME");
    return u && *u ? u : "student";
}

static unsigned long long splitmix(unsigned long long *x)
{
    unsigned long long z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void lesson_choice_order(const struct lesson_question *q, unsigned long long seed, int *order)
{
    int n = q->n_choices < LESSON_MAX_CHOICES ? q->n_choices : LESSON_MAX_CHOICES;
    for (int i = 0; i < n; i++)
        order[i] = i;
    if (q->keep_order)
        return;
    // The question's own text and choices, so that an edit elsewhere in the lesson keeps it.
    unsigned long long x = fnv(seed, q->text ? q->text : "", q->text ? strlen(q->text) : 0);
    for (int i = 0; i < n; i++)
        x = fnv(x, q->choices[i], strlen(q->choices[i]) + 1);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(splitmix(&x) % (unsigned long long)(i + 1));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}
