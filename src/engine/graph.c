// The op graph: a model and its input compiled into a flat list of nodes, one per op of the
// forward pass, followed by the loss, the backward pass and the optimizer (training) or the
// sampling steps (generation); and looking nodes up by name or role.
#include "stepformer/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/text.h"

static const char *const op_kind_names[OPK_COUNT] = {
#define SF_X(kind, name, help, backward) name,
    SF_OPKIND_LIST(SF_X)
#undef SF_X
};

// What the backward step of each kind computes: the explanation grad.<node> shows.
static const char *const op_kind_backward[OPK_COUNT] = {
#define SF_X(kind, name, help, backward) backward,
    SF_OPKIND_LIST(SF_X)
#undef SF_X
};

const char *op_kind_name(enum op_kind k)
{
    return (k >= 0 && k < OPK_COUNT) ? op_kind_names[k] : "?";
}

static const struct node_role_info role_infos[ROLE_COUNT] = {
#define SF_X(role, kind, panel, unit, op, symbol, matrix, section, explain)                        \
    {OPK_##kind, unit, op, symbol, matrix, section, explain},
    SF_NODE_ROLE_LIST(SF_X)
#undef SF_X
};

const struct node_role_info *node_role_info(enum node_role r)
{
    SF_ASSERT(r >= 0 && r < ROLE_COUNT);
    return &role_infos[r];
}

// An output's shape, outermost dimension first (ndim 0: nothing is allocated; the builder
// points the node's output at a tensor of its own).
struct shape {
    int ndim;
    int dim[SF_MAX_DIMS];
};

// One node as the builder writes it: the role says what it is (its kind, its name and texts
// come from the role table), the rest is its wiring.
struct node_spec {
    enum node_role role;
    struct shape out;
    const struct tensor *in[SF_NODE_MAX_IN]; // earlier outputs or parameters; NULL: unused
    float scalar;                            // eps for LayerNorm stats, the factor for scale
    enum node_level level;                   // NODE_LEVEL_OP unless it closes a sublayer or block
    const char *of;                          // grad.X, adamw.P: the name of X or P
};

// The builder runs twice: a counting pass while g->nodes is NULL, then the pass that fills
// the nodes and allocates their outputs.
struct builder {
    struct graph *g;
    const struct model *m;
    int count;  // nodes added (or counted) so far
    int status; // the first allocation failure, or 0
    int layer;  // the block being built, -1 outside blocks
    // The output shapes: (N, d) tokens, (B H, T, d_k) per head, (B H, T, T) attention,
    // (N, d_ff) FFN hidden units, (N, 2) LayerNorm statistics, (N, V) logits, (N) loss.
    struct shape tokens, heads, scores, hidden, stats, logits, per_token;
    const struct tensor *logits_out, *probs_out; // head.logits, head.probs (NULL while counting)
};

// Adds the node s describes, named after its role (and block); while counting only counts.
// Returns the node, or NULL while counting and after an allocation failure.
static struct node *add_node(struct builder *b, struct node_spec s)
{
    int i = b->count++;
    if (!b->g->nodes || b->status)
        return NULL;
    const struct node_role_info *r = node_role_info(s.role);
    struct node *n = &b->g->nodes[i];
    const char *dot = r->unit[0] ? "." : "";
    if (s.of)
        snprintf(n->name, sizeof n->name, "%s.%s", r->unit, s.of);
    else if (b->layer >= 0)
        snprintf(n->name, sizeof n->name, "L%d.%s%s%s", b->layer, r->unit, dot, r->op);
    else
        snprintf(n->name, sizeof n->name, "%s%s%s", r->unit, dot, r->op);
    n->role = s.role;
    n->kind = r->kind;
    n->layer = b->layer;
    n->level = s.level;
    n->section = r->section;
    n->explain = r->explain;
    memcpy(n->in, s.in, sizeof n->in);
    n->scalar = s.scalar;
    n->fwd = -1;
    n->param = NULL;
    if (s.out.ndim > 0) {
        int rc = tensor_alloc(&n->out, &b->g->act, s.out.ndim, s.out.dim);
        if (rc)
            b->status = rc;
    }
    return n;
}

// Adds a node and gives its output (NULL while counting).
static const struct tensor *op(struct builder *b, struct node_spec s)
{
    struct node *n = add_node(b, s);
    return n ? &n->out : NULL;
}

// op() with the node spec written in place, one line per op:
// OP(ROLE_ATTN_Q, b->heads, .in = {x, W, bias}) (role, output shape, then the wiring).
#define OP(...) op(b, (struct node_spec){__VA_ARGS__})

static const struct tensor *optional(const struct tensor *t)
{
    return tensor_present(t) ? t : NULL;
}

// The three nodes of each LayerNorm: a block's first (before attention; after it post-norm),
// its second (before the FFN; after it post-norm) and the final one.
static const enum node_role ln1[3] = {ROLE_LN1_STATS, ROLE_LN1_NORM, ROLE_LN1_AFFINE};
static const enum node_role ln2[3] = {ROLE_LN2_STATS, ROLE_LN2_NORM, ROLE_LN2_AFFINE};
static const enum node_role lnf[3] = {ROLE_LNF_STATS, ROLE_LNF_NORM, ROLE_LNF_AFFINE};

// LayerNorm(x) = gamma * (x - mu) / sigma + beta as three nodes in a row: the statistics mu
// and sigma per token, x-hat, the affine map. `level`: what the last of them closes.
static const struct tensor *layernorm(struct builder *b, const enum node_role roles[3],
                                      enum node_level level, const struct tensor *x,
                                      const struct tensor *gamma, const struct tensor *beta)
{
    const struct tensor *stats = OP(roles[0], b->stats, .in = {x}, .scalar = b->m->cfg.ln_eps);
    const struct tensor *xhat = OP(roles[1], b->tokens, .in = {x, stats});
    return OP(roles[2], b->tokens, .in = {xhat, gamma, optional(beta)}, .level = level);
}

// One transformer block (J&M 9.2). Pre-norm:
//   t1 = LayerNorm(x), t2 = MultiHeadAttention(t1), t3 = t2 + x,
//   t4 = LayerNorm(t3), t5 = FFN(t4), h = t5 + t3.
// Post-norm (the seed notebook's model) puts each LayerNorm after its residual add instead.
static const struct tensor *add_block(struct builder *b, int l, const struct tensor *x)
{
    const struct layer_params *p = &b->m->layers[l];
    int pre = b->m->cfg.norm == NORM_PRE, gelu = b->m->cfg.act == ACT_GELU;
    float inv_sqrt_dk = 1.0f / sqrtf((float)b->heads.dim[2]);
    b->layer = l;

    // Attention, every head at once (9.1, 9.3): Q = X W^Q, K = X W^K, V = X W^V;
    // alpha = softmax(mask(Q K^T / sqrt(d_k))); head = alpha V; A = concat(heads) W^O.
    const struct tensor *t = pre ? layernorm(b, ln1, NODE_LEVEL_OP, x, &p->ln1_g, &p->ln1_b) : x;
    const struct tensor *q = OP(ROLE_ATTN_Q, b->heads, .in = {t, &p->wq, optional(&p->bq)});
    const struct tensor *k = OP(ROLE_ATTN_K, b->heads, .in = {t, &p->wk, optional(&p->bk)});
    const struct tensor *v = OP(ROLE_ATTN_V, b->heads, .in = {t, &p->wv, optional(&p->bv)});
    const struct tensor *s = OP(ROLE_ATTN_SCORES, b->scores, .in = {q, k});
    s = OP(ROLE_ATTN_SCALE, b->scores, .in = {s}, .scalar = inv_sqrt_dk);
    s = OP(ROLE_ATTN_MASK, b->scores, .in = {s});
    const struct tensor *alpha = OP(ROLE_ATTN_SOFTMAX, b->scores, .in = {s});
    const struct tensor *heads = OP(ROLE_ATTN_MIX, b->heads, .in = {alpha, v});
    const struct tensor *cat = OP(ROLE_ATTN_CONCAT, b->tokens, .in = {heads});
    const struct tensor *a = OP(ROLE_ATTN_PROJ, b->tokens, .in = {cat, &p->wo, optional(&p->bo)});
    x = OP(ROLE_RESID1, b->tokens, .in = {x, a},
           .level = pre ? NODE_LEVEL_SUBLAYER : NODE_LEVEL_OP);
    if (!pre)
        x = layernorm(b, ln1, NODE_LEVEL_SUBLAYER, x, &p->ln1_g, &p->ln1_b);

    // Feedforward: FFN(x) = act(x W1 + b1) W2 + b2, act ReLU or GELU.
    t = pre ? layernorm(b, ln2, NODE_LEVEL_OP, x, &p->ln2_g, &p->ln2_b) : x;
    const struct tensor *z = OP(ROLE_FFN_UP, b->hidden, .in = {t, &p->w1, optional(&p->b1)});
    z = OP(gelu ? ROLE_FFN_GELU : ROLE_FFN_RELU, b->hidden, .in = {z});
    const struct tensor *f = OP(ROLE_FFN_DOWN, b->tokens, .in = {z, &p->w2, optional(&p->b2)});
    x = OP(ROLE_RESID2, b->tokens, .in = {x, f}, .level = pre ? NODE_LEVEL_BLOCK : NODE_LEVEL_OP);
    if (!pre)
        x = layernorm(b, ln2, NODE_LEVEL_BLOCK, x, &p->ln2_g, &p->ln2_b);
    b->layer = -1;
    return x;
}

// The forward pass: the input encoding (J&M 9.4), the blocks, the language modeling head
// (9.5). Also keeps the outputs of head.logits and head.probs for the nodes after it.
static void add_forward(struct builder *b)
{
    const struct model *m = b->m;
    const struct model_config *c = &m->cfg;
    enum node_level input_end = c->pos == POS_NONE ? NODE_LEVEL_BLOCK : NODE_LEVEL_OP;
    // x_i = E[id_i] + P[i] (learned) or + PE(i) (sinusoidal)
    const struct tensor *x = OP(ROLE_EMBED_TOK, b->tokens, .in = {&m->wte}, .level = input_end);
    if (c->pos == POS_LEARNED)
        x = OP(ROLE_EMBED_POS_LEARNED, b->tokens, .in = {x, &m->wpe}, .level = NODE_LEVEL_BLOCK);
    else if (c->pos == POS_SINUSOIDAL)
        x = OP(ROLE_EMBED_POS_SINUSOIDAL, b->tokens, .in = {x}, .level = NODE_LEVEL_BLOCK);
    for (int l = 0; l < c->n_layer; l++)
        x = add_block(b, l, x);
    if (c->final_norm)
        x = layernorm(b, lnf, NODE_LEVEL_SUBLAYER, x, &m->lnf_g, &m->lnf_b);
    // u = h E^T (or h U untied), y = softmax(u)
    enum node_role unembed = c->tied ? ROLE_HEAD_LOGITS_TIED : ROLE_HEAD_LOGITS_UNTIED;
    b->logits_out = OP(unembed, b->logits, .in = {x, model_unembedding(m)});
    b->probs_out = OP(ROLE_HEAD_PROBS, b->logits, .in = {b->logits_out}, .level = NODE_LEVEL_BLOCK);
}

static int check_input(const struct model *m, const int *ids, int n, int T, struct sf_diag *d)
{
    if (n <= 0)
        return sf_diag_set(d, SF_ERR_EMPTY, NULL, 0, 0,
                           "the input is empty: give at least one token");
    if (T > m->cfg.n_ctx)
        return sf_diag_set(d, SF_ERR_TOOLONG, NULL, 0, 0,
                           "the input has %d tokens but the model's context holds %d: shorten it",
                           T, m->cfg.n_ctx);
    if (T <= 0 || n % T != 0)
        return sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0, "%d tokens do not split into sequences of %d",
                           n, T);
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= m->cfg.vocab_size)
            return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, i + 1,
                               "token id %d (position %d) is outside the vocabulary 0..%d", ids[i],
                               i, m->cfg.vocab_size - 1);
    return SF_OK;
}

static int check_targets(const struct model *m, const int *targets, int n, struct sf_diag *d)
{
    for (int i = 0; i < n; i++)
        if (targets[i] < 0 || targets[i] >= m->cfg.vocab_size)
            return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, i + 1,
                               "target id %d (position %d) is outside the vocabulary 0..%d",
                               targets[i], i, m->cfg.vocab_size - 1);
    return SF_OK;
}

// Allocates dL/d(out) for every forward node and wires each forward input to the gradient it
// feeds: the dout of the node that produced it, or the gradient of the parameter it is (NULL
// for neither).
static void wire_gradients(struct builder *b, int n_forward)
{
    struct graph *g = b->g;
    for (int i = 0; i < n_forward; i++) {
        struct node *f = &g->nodes[i];
        int rc = tensor_alloc(&f->dout, &g->act, f->out.ndim, f->out.shape);
        if (rc)
            b->status = rc;
        for (int k = 0; k < SF_NODE_MAX_IN; k++) {
            f->din[k] = NULL;
            for (int j = 0; j < i && f->in[k]; j++)
                if (f->in[k] == &g->nodes[j].out)
                    f->din[k] = &g->nodes[j].dout;
            for (int p = 0; p < g->n_params && f->in[k] && !f->din[k]; p++)
                if (f->in[k] == g->params[p].t)
                    f->din[k] = &g->param_grads[p];
        }
    }
}

// One training iteration after the forward pass (J&M 10.3.1): loss.xent (per position and
// mean), grad.X for every forward node X in reverse order, then adamw.P for every parameter.
static void add_training(struct builder *b, int n_forward)
{
    struct graph *g = b->g;
    if (g->nodes && !b->status)
        wire_gradients(b, n_forward);
    OP(ROLE_LOSS_XENT, b->per_token, .in = {b->probs_out}, .level = NODE_LEVEL_BLOCK);
    for (int i = n_forward - 1; i >= 0; i--) {
        const struct node *f = g->nodes ? &g->nodes[i] : NULL;
        // In reverse, the grad of a node that opens a unit closes it.
        enum node_level level = i == 0 ? NODE_LEVEL_BLOCK : NODE_LEVEL_OP;
        if (f && i > 0)
            level = g->nodes[i - 1].level;
        b->layer = f ? f->layer : -1;
        struct node *n =
            add_node(b, (struct node_spec){ROLE_GRAD, .level = level, .of = f ? f->name : ""});
        if (n) { // it shows dL/d(output of f) and says what f's backward step computes
            n->fwd = i;
            n->out = f->dout;
            n->explain = op_kind_backward[f->kind];
        }
    }
    b->layer = -1;
    for (int p = 0; p < g->n_params; p++) {
        const struct param_ref *pr = g->params ? &g->params[p] : NULL;
        struct shape shape = {0};
        if (pr && pr->t) {
            shape.ndim = pr->t->ndim;
            memcpy(shape.dim, pr->t->shape, sizeof shape.dim);
        }
        enum node_level level = p == g->n_params - 1 ? NODE_LEVEL_BLOCK : NODE_LEVEL_OP;
        struct node *n = add_node(
            b, (struct node_spec){ROLE_ADAMW, shape, .level = level, .of = pr ? pr->name : ""});
        if (n) // its output is the change it makes
            n->param = pr;
    }
}

// Generation after the forward pass (J&M 10.2): from the last position's logits to the next
// token, and the input with that token appended.
static void add_sampling(struct builder *b)
{
    struct shape vocab = {1, {b->m->cfg.vocab_size}}, one = {1, {1}};
    struct shape ids = {1, {b->g->n_tokens + 1}};
    const struct tensor *t = OP(ROLE_SAMPLE_TEMPERATURE, vocab, .in = {b->logits_out});
    t = OP(ROLE_SAMPLE_PROBS, vocab, .in = {t});
    t = OP(ROLE_SAMPLE_TRUNCATE, vocab, .in = {t});
    t = OP(ROLE_SAMPLE_RENORM, vocab, .in = {t});
    t = OP(ROLE_SAMPLE_DRAW, one, .in = {t}, .level = NODE_LEVEL_SUBLAYER);
    OP(ROLE_SAMPLE_APPEND, ids, .in = {t}, .level = NODE_LEVEL_BLOCK);
}

#undef OP

// Builds g for the input ids (n tokens in sequences of T): the forward pass, then with
// targets the training nodes (trained, opt), with a sampler the sampling nodes. reuse: an
// arena (reset) to take the activations from, or NULL for a new one.
static int build(struct graph *g, const struct model *m, struct model *trained, const int *ids,
                 const int *targets, int n, int T, enum op_impl impl, struct optimizer *opt,
                 struct sampler *sampler, struct arena *reuse, struct sf_diag *d)
{
    graph_observer_fn observer = g->observer;
    void *observer_user = g->observer_user;
    struct intervention iv = g->iv;
    memset(g, 0, sizeof *g);
    g->observer = observer;
    g->observer_user = observer_user;
    g->iv = iv;
    int rc = check_input(m, ids, n, T, d);
    if (!rc && targets)
        rc = check_targets(m, targets, n, d);
    if (rc) {
        if (reuse)
            arena_free(reuse);
        return rc;
    }
    g->model = m;
    g->trained = trained;
    g->opt = opt;
    g->sampler = sampler;
    g->drawn = -1;
    g->impl = impl;
    g->n_tokens = n;
    g->seq_len = T;
    if (reuse)
        g->act = *reuse;
    else
        arena_init(&g->act, (size_t)1 << 22);
    g->act.no_zero = 1; // every op writes its whole output; the backward zeroes its own

    const struct model_config *c = &m->cfg;
    int BH = (n / T) * c->n_head; // a batch keeps each sequence's heads apart
    struct builder b = {.g = g,
                        .m = m,
                        .layer = -1,
                        .tokens = {2, {n, c->d_model}},
                        .heads = {3, {BH, T, c->d_model / c->n_head}},
                        .scores = {3, {BH, T, T}},
                        .hidden = {2, {n, c->d_ff}},
                        .stats = {2, {n, 2}},
                        .logits = {2, {n, c->vocab_size}},
                        .per_token = {1, {n}}};
    add_forward(&b); // counting pass
    int n_forward = b.count;
    g->ids = malloc(sizeof *g->ids * (size_t)n);
    if (targets) {
        g->n_params = model_params(trained, NULL, 0);
        g->params = calloc((size_t)g->n_params, sizeof *g->params);
        g->param_grads = calloc((size_t)g->n_params, sizeof *g->param_grads);
        g->targets = malloc(sizeof *g->targets * (size_t)n);
        if (g->params && g->param_grads && g->targets) {
            model_params(trained, g->params, g->n_params);
            for (int p = 0; p < g->n_params; p++)
                g->param_grads[p] = optimizer_grad(opt, trained, g->params[p].t);
            memcpy(g->targets, targets, sizeof *targets * (size_t)n);
        }
        add_training(&b, n_forward); // counting
    }
    if (sampler)
        add_sampling(&b); // counting
    g->nodes = calloc((size_t)b.count, sizeof *g->nodes);
    if (!g->ids || !g->nodes || (targets && (!g->params || !g->param_grads || !g->targets))) {
        graph_free(g);
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory building the graph");
    }
    memcpy(g->ids, ids, sizeof *ids * (size_t)n);
    g->n_nodes = b.count;
    g->n_forward = n_forward;
    b.count = 0;
    add_forward(&b);
    if (targets)
        add_training(&b, n_forward);
    if (sampler)
        add_sampling(&b);
    if (b.status) {
        graph_free(g);
        return sf_diag_set(d, b.status, NULL, 0, 0, "cannot allocate the activations: %s",
                           sf_strerror(b.status));
    }
    return SF_OK;
}

int graph_build(struct graph *g, const struct model *m, const int *ids, int n, enum op_impl impl,
                struct sf_diag *d)
{
    return build(g, m, NULL, ids, NULL, n, n, impl, NULL, NULL, NULL, d);
}

int graph_build_train(struct graph *g, struct model *m, const int *ids, const int *targets, int n,
                      int seq_len, enum op_impl impl, struct optimizer *opt, struct sf_diag *d)
{
    if (!targets || !opt || opt->n_params != m->n_params)
        return sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0,
                           "training needs targets and an optimizer made for this model");
    return build(g, m, m, ids, targets, n, seq_len, impl, opt, NULL, NULL, d);
}

int graph_build_generate(struct graph *g, const struct model *m, const int *ids, int n,
                         enum op_impl impl, struct sampler *s, struct sf_diag *d)
{
    if (!s)
        return sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0, "generation needs a sampler");
    return build(g, m, NULL, ids, NULL, n, n, impl, NULL, s, NULL, d);
}

int graph_set_tokens(struct graph *g, const int *ids, const int *targets, struct sf_diag *d)
{
    int n = g->n_tokens;
    int rc = check_input(g->model, ids, n, g->seq_len, d);
    if (!rc && g->targets)
        rc = targets ? check_targets(g->model, targets, n, d) : SF_ERR_ARG;
    if (rc)
        return rc;
    memcpy(g->ids, ids, sizeof *ids * (size_t)n);
    if (g->targets)
        memcpy(g->targets, targets, sizeof *targets * (size_t)n);
    graph_invalidate(g, 0);
    return SF_OK;
}

int graph_set_input(struct graph *g, const int *ids, int n, struct sf_diag *d)
{
    const struct model *m = g->model;
    int rc = check_input(m, ids, n, n, d);
    if (rc)
        return rc; // the old graph stays usable
    enum op_impl impl = g->impl;
    struct sampler *sampler = g->sampler; // a generation graph stays one
    // The activations' memory is kept for the new graph: no new pages to fault in.
    struct arena keep = g->act;
    memset(&g->act, 0, sizeof g->act);
    graph_free(g);
    arena_reset(&keep);
    return build(g, m, NULL, ids, NULL, n, n, impl, NULL, sampler, &keep, d);
}

void graph_free(struct graph *g)
{
    free(g->ids);
    free(g->nodes);
    free(g->targets);
    free(g->params);
    free(g->param_grads);
    arena_free(&g->act);
    graph_observer_fn observer = g->observer;
    void *observer_user = g->observer_user;
    struct intervention iv = g->iv;
    memset(g, 0, sizeof *g);
    g->observer = observer;
    g->observer_user = observer_user;
    g->iv = iv;
}

void graph_set_observer(struct graph *g, graph_observer_fn fn, void *user)
{
    g->observer = fn;
    g->observer_user = user;
}

void graph_invalidate(struct graph *g, int from)
{
    if (from < 0)
        from = 0;
    if (g->computed > from)
        g->computed = from;
    if (g->cursor > from)
        g->cursor = from;
}

void graph_set_intervention(struct graph *g, const struct intervention *iv)
{
    g->iv = *iv;
    graph_invalidate(g, 0);
}

int graph_find(const struct graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0)
            return i;
    return -1;
}

int graph_find_role(const struct graph *g, int layer, enum node_role role)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].role == role && g->nodes[i].layer == layer)
            return i;
    return -1;
}

int graph_suggest(const struct graph *g, const char *name, const char **out, int max)
{
    // Selection of the max nearest names; ties keep graph order.
    int count = 0;
    int dist[16];
    if (max > 16)
        max = 16;
    for (int i = 0; i < g->n_nodes; i++) {
        int dd = text_edit_distance(name, g->nodes[i].name);
        int pos = count;
        while (pos > 0 && dist[pos - 1] > dd)
            pos--;
        if (pos >= max)
            continue;
        int last = count < max ? count : max - 1;
        for (int j = last; j > pos; j--) {
            dist[j] = dist[j - 1];
            out[j] = out[j - 1];
        }
        dist[pos] = dd;
        out[pos] = g->nodes[i].name;
        if (count < max)
            count++;
    }
    return count;
}
