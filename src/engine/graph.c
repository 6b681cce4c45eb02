// Builds the op graph: the forward pass of a model on one input as a flat list of named nodes.
#include "stepformer/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_kind_names[OPK_COUNT] = {
#define SF_X(kind, name, help) name,
    SF_OPKIND_LIST(SF_X)
#undef SF_X
};

const char *op_kind_name(enum op_kind k)
{
    return (k >= 0 && k < OPK_COUNT) ? op_kind_names[k] : "?";
}

// Textbook sections (J&M, Speech and Language Processing, ch. 9), cited by number and title.
#define SEC_ATTN   "9.1 Attention"
#define SEC_BLOCK  "9.2 Transformer Blocks"
#define SEC_MATRIX "9.3 Parallelizing computation using a single matrix X"
#define SEC_INPUT  "9.4 The input: embeddings for token and position"
#define SEC_HEAD   "9.5 The Language Modeling Head"
#define SEC_TRAIN  "10.3.1 Self-supervised training algorithm"
#define SEC_SAMPLE "10.2 Sampling for LLM Generation"

// One row per kind of node: the name's suffix (after "L{l}." inside a block), section and
// the one-line explanation shown in listings, the timeline and the equation panel.
struct node_info {
    const char *suffix;
    const char *section;
    const char *explain;
};

static const struct node_info node_infos[] = {
    {"embed.tok", SEC_INPUT, "Look up each token's row of the embedding matrix E: x_i = E[id_i]."},
    {"embed.pos.learned", SEC_INPUT,
     "Add the learned position embedding P[i] to each token's vector, so order is visible."},
    {"embed.pos.sinusoidal", SEC_INPUT,
     "Add the fixed sinusoidal position code PE[i] to each token's vector, so order is visible."},
    {"ln.stats", SEC_BLOCK,
     "LayerNorm 1/3: mean mu and standard deviation sigma over each token's d components."},
    {"ln.norm", SEC_BLOCK, "LayerNorm 2/3: x-hat = (x - mu) / sigma, per token."},
    {"ln.affine", SEC_BLOCK, "LayerNorm 3/3: scale by gamma and shift by beta (learned)."},
    {"attn.q", SEC_ATTN,
     "Queries Q = X W^Q, one block of columns per head: what each token seeks."},
    {"attn.k", SEC_ATTN, "Keys K = X W^K per head: what each token offers to be matched against."},
    {"attn.v", SEC_ATTN, "Values V = X W^V per head: what each token passes on when attended to."},
    {"attn.scores", SEC_MATRIX,
     "Scores Q K^T: the dot product q_i . k_j for every pair, per head."},
    {"attn.scale", SEC_ATTN, "Divide the scores by sqrt(d_k) so the softmax does not saturate."},
    {"attn.mask", SEC_MATRIX,
     "Causal mask: add -inf above the diagonal, so no token can attend to a later one."},
    {"attn.softmax", SEC_ATTN,
     "Softmax along each row: weights alpha_ij >= 0 that sum to 1; masked entries become 0."},
    {"attn.mix", SEC_ATTN, "Weighted sum of the values: head_i = sum_j alpha_ij v_j, per head."},
    {"attn.concat", SEC_ATTN, "Concatenate the heads side by side into one row per token."},
    {"attn.proj", SEC_ATTN, "Output projection W^O maps the concatenated heads back to width d."},
    {"resid1", SEC_BLOCK, "Residual add: the attention output is added to the stream, x + a."},
    {"ffn.up", SEC_BLOCK, "Feedforward layer 1: expand each token to d_ff, x W1 + b1."},
    {"ffn.act.relu", SEC_BLOCK, "ReLU, elementwise: max(0, z)."},
    {"ffn.act.gelu", SEC_BLOCK, "GELU (tanh form), elementwise: a smooth version of ReLU."},
    {"ffn.down", SEC_BLOCK, "Feedforward layer 2: project back to width d, z W2 + b2."},
    {"resid2", SEC_BLOCK,
     "Residual add: the feedforward output is added to the stream; the block's output."},
    {"lnf", SEC_HEAD, "Final LayerNorm before the language modeling head."},
    {"head.logits.tied", SEC_HEAD,
     "Unembedding: logits u = h E^T, one score per vocabulary token (E is tied)."},
    {"head.logits.untied", SEC_HEAD,
     "Unembedding: logits u = h U, one score per vocabulary token."},
    {"head.probs", SEC_HEAD,
     "Softmax over the vocabulary: a next-token distribution per position."},
    {"loss.xent", SEC_TRAIN,
     "Cross-entropy: L_i = -ln p_i(next token), per position, and their mean (the loss)."},
    {"grad", SEC_TRAIN, "Backward through one op: its inputs' gradients from its output's."},
    {"sample.temperature", SEC_SAMPLE,
     "Temperature: divide the last position's logits by tau (below 1 sharpens, above 1 flattens)."},
    {"sample.probs", SEC_SAMPLE, "Softmax of the tempered logits: y = softmax(u / tau)."},
    {"sample.truncate", SEC_SAMPLE,
     "Truncate: keep the top-k tokens, then the fewest whose mass reaches p; zero the rest."},
    {"sample.renorm", SEC_SAMPLE, "Renormalise: divide what is kept by its sum, so it sums to 1."},
    {"sample.draw", SEC_SAMPLE,
     "Choose: the most probable token (greedy) or a random draw from the kept distribution."},
    {"sample.append", SEC_SAMPLE,
     "Append the chosen token to the input: the next pass conditions on it (autoregression)."},
    {"adamw", SEC_TRAIN,
     "AdamW update: decay the weights, then step against the bias-corrected gradient moments."},
};

// What each backward step computes, by the kind of its forward op; shown for grad.<node>.
static const char *const grad_explains[OPK_COUNT] = {
    [OPK_EMBED_TOK] = "Backward: each token's gradient is added to its row of E.",
    [OPK_EMBED_POS] = "Backward: the gradient passes to x unchanged and is added to P[i].",
    [OPK_LN_STATS] = "Backward: dx += dmu/d + dsigma (x - mu) / (d sigma).",
    [OPK_LN_NORM] = "Backward: dx += dxhat / sigma; dmu and dsigma collect from every component.",
    [OPK_LN_AFFINE] = "Backward: dxhat = dy * gamma; dgamma = sum dy * xhat; dbeta = sum dy.",
    [OPK_LINEAR_HEADS] = "Backward: dX = dQ W^T per head, dW = X^T dQ, db = sum of dQ.",
    [OPK_SCORES] = "Backward: dq_i = sum_j ds_ij k_j and dk_j = sum_i ds_ij q_i.",
    [OPK_SCALE] = "Backward: the gradient is scaled by the same 1/sqrt(d_k).",
    [OPK_MASK] = "Backward: nothing flows through the masked (future) entries.",
    [OPK_SOFTMAX] = "Backward: dz_k = y_k (dy_k - sum_j dy_j y_j) along each row.",
    [OPK_MIX] = "Backward: dalpha = dhead V^T and dV = alpha^T dhead, per head.",
    [OPK_CONCAT] = "Backward: the gradient is split back into the heads.",
    [OPK_LINEAR] = "Backward: dx = dy W^T, dW = x^T dy, db = sum of dy over tokens.",
    [OPK_ADD] = "Backward: a sum passes its gradient to both terms unchanged.",
    [OPK_RELU] = "Backward: the gradient passes where the input was positive, else 0.",
    [OPK_GELU] = "Backward: the gradient is multiplied by GELU'(x).",
    [OPK_UNEMBED] = "Backward: dh = du E and dE += du^T h (E is shared with the input).",
};

static const char *grad_explain(enum op_kind k)
{
    return (k >= 0 && k < OPK_COUNT && grad_explains[k]) ? grad_explains[k] : "";
}

static const struct node_info *info_for(const char *suffix)
{
    for (size_t i = 0; i < sizeof node_infos / sizeof node_infos[0]; i++)
        if (strcmp(node_infos[i].suffix, suffix) == 0)
            return &node_infos[i];
    return NULL; // every suffix used below is in the table (checked by the tests)
}

struct builder {
    struct graph *g;
    int count; // nodes added so far (or counted)
    int status;
    const struct model *m;
};

// Adds a node with an output of the given shape; in the counting pass only counts.
static struct tensor *add_node(struct builder *b, const char *name, enum op_kind kind, int layer,
                               enum node_level level, const char *info_key, int ndim,
                               const int *shape, const struct tensor *in0, const struct tensor *in1,
                               const struct tensor *in2, float scalar)
{
    int i = b->count++;
    if (!b->g->nodes || b->status)
        return NULL;
    struct node *n = &b->g->nodes[i];
    const struct node_info *info = info_for(info_key);
    snprintf(n->name, sizeof n->name, "%s", name);
    n->kind = kind;
    n->layer = layer;
    n->level = level;
    n->section = info ? info->section : "";
    n->explain = info ? info->explain : "";
    n->in[0] = in0;
    n->in[1] = in1;
    n->in[2] = in2;
    n->scalar = scalar;
    if (ndim == 0) // the node's output is set by its caller (a view)
        return &n->out;
    int rc = tensor_alloc(&n->out, &b->g->act, ndim, shape);
    if (rc)
        b->status = rc;
    return &n->out;
}

static const struct tensor *optional(const struct tensor *t)
{
    return tensor_present(t) ? t : NULL;
}

// LayerNorm as three nodes: prefix.stats, prefix.norm, prefix.affine. Returns the output.
static const struct tensor *add_layernorm(struct builder *b, const char *prefix, int layer,
                                          enum node_level last_level, const struct tensor *x,
                                          const struct tensor *gamma, const struct tensor *beta)
{
    const struct model_config *c = &b->m->cfg;
    int N = b->g->n_tokens, d = c->d_model;
    int s_stats[2] = {N, 2}, s_x[2] = {N, d};
    char name[SF_NODE_NAME_MAX];
    int is_final = layer < 0;
    snprintf(name, sizeof name, "%s.stats", prefix);
    const struct tensor *stats =
        add_node(b, name, OPK_LN_STATS, layer, NODE_LEVEL_OP, is_final ? "lnf" : "ln.stats", 2,
                 s_stats, x, NULL, NULL, c->ln_eps);
    snprintf(name, sizeof name, "%s.norm", prefix);
    const struct tensor *xhat = add_node(b, name, OPK_LN_NORM, layer, NODE_LEVEL_OP,
                                         is_final ? "lnf" : "ln.norm", 2, s_x, x, stats, NULL, 0);
    snprintf(name, sizeof name, "%s.affine", prefix);
    return add_node(b, name, OPK_LN_AFFINE, layer, last_level, is_final ? "lnf" : "ln.affine", 2,
                    s_x, xhat, gamma, optional(beta), 0);
}

static const struct tensor *add_block(struct builder *b, int l, const struct tensor *x)
{
    const struct model_config *c = &b->m->cfg;
    const struct layer_params *p = &b->m->layers[l];
    int N = b->g->n_tokens, d = c->d_model, H = c->n_head, dk = d / H, F = c->d_ff;
    // A batch of B sequences of T tokens keeps each sequence's heads apart: (B H, T, ...).
    int T = b->g->seq_len, BH = (N / T) * H;
    int s_x[2] = {N, d}, s_heads[3] = {BH, T, dk}, s_att[3] = {BH, T, T}, s_ff[2] = {N, F};
    int pre = c->norm == NORM_PRE;
    char name[SF_NODE_NAME_MAX], prefix[16];
    float inv_sqrt_dk = 1.0f / sqrtf((float)dk);

#define NAME(suffix) (snprintf(name, sizeof name, "L%d." suffix, l), name)
    // Attention sublayer. Pre-norm: t = LN1(x), stream += attn(t). Post-norm: x = LN1(x + attn(x)).
    const struct tensor *t = x;
    if (pre) {
        snprintf(prefix, sizeof prefix, "L%d.ln1", l);
        t = add_layernorm(b, prefix, l, NODE_LEVEL_OP, x, &p->ln1_g, &p->ln1_b);
    }
    const struct tensor *q = add_node(b, NAME("attn.q"), OPK_LINEAR_HEADS, l, NODE_LEVEL_OP,
                                      "attn.q", 3, s_heads, t, &p->wq, optional(&p->bq), 0);
    const struct tensor *k = add_node(b, NAME("attn.k"), OPK_LINEAR_HEADS, l, NODE_LEVEL_OP,
                                      "attn.k", 3, s_heads, t, &p->wk, optional(&p->bk), 0);
    const struct tensor *v = add_node(b, NAME("attn.v"), OPK_LINEAR_HEADS, l, NODE_LEVEL_OP,
                                      "attn.v", 3, s_heads, t, &p->wv, optional(&p->bv), 0);
    const struct tensor *s = add_node(b, NAME("attn.scores"), OPK_SCORES, l, NODE_LEVEL_OP,
                                      "attn.scores", 3, s_att, q, k, NULL, 0);
    s = add_node(b, NAME("attn.scale"), OPK_SCALE, l, NODE_LEVEL_OP, "attn.scale", 3, s_att, s,
                 NULL, NULL, inv_sqrt_dk);
    s = add_node(b, NAME("attn.mask"), OPK_MASK, l, NODE_LEVEL_OP, "attn.mask", 3, s_att, s, NULL,
                 NULL, 0);
    const struct tensor *alpha = add_node(b, NAME("attn.softmax"), OPK_SOFTMAX, l, NODE_LEVEL_OP,
                                          "attn.softmax", 3, s_att, s, NULL, NULL, 0);
    const struct tensor *mix = add_node(b, NAME("attn.mix"), OPK_MIX, l, NODE_LEVEL_OP, "attn.mix",
                                        3, s_heads, alpha, v, NULL, 0);
    const struct tensor *cat = add_node(b, NAME("attn.concat"), OPK_CONCAT, l, NODE_LEVEL_OP,
                                        "attn.concat", 2, s_x, mix, NULL, NULL, 0);
    const struct tensor *a = add_node(b, NAME("attn.proj"), OPK_LINEAR, l, NODE_LEVEL_OP,
                                      "attn.proj", 2, s_x, cat, &p->wo, optional(&p->bo), 0);
    x = add_node(b, NAME("resid1"), OPK_ADD, l, pre ? NODE_LEVEL_SUBLAYER : NODE_LEVEL_OP, "resid1",
                 2, s_x, x, a, NULL, 0);
    if (!pre) {
        snprintf(prefix, sizeof prefix, "L%d.ln1", l);
        x = add_layernorm(b, prefix, l, NODE_LEVEL_SUBLAYER, x, &p->ln1_g, &p->ln1_b);
    }

    // Feedforward sublayer.
    t = x;
    if (pre) {
        snprintf(prefix, sizeof prefix, "L%d.ln2", l);
        t = add_layernorm(b, prefix, l, NODE_LEVEL_OP, x, &p->ln2_g, &p->ln2_b);
    }
    const struct tensor *u = add_node(b, NAME("ffn.up"), OPK_LINEAR, l, NODE_LEVEL_OP, "ffn.up", 2,
                                      s_ff, t, &p->w1, optional(&p->b1), 0);
    int gelu = c->act == ACT_GELU;
    u = add_node(b, NAME("ffn.act"), gelu ? OPK_GELU : OPK_RELU, l, NODE_LEVEL_OP,
                 gelu ? "ffn.act.gelu" : "ffn.act.relu", 2, s_ff, u, NULL, NULL, 0);
    const struct tensor *f = add_node(b, NAME("ffn.down"), OPK_LINEAR, l, NODE_LEVEL_OP, "ffn.down",
                                      2, s_x, u, &p->w2, optional(&p->b2), 0);
    x = add_node(b, NAME("resid2"), OPK_ADD, l, pre ? NODE_LEVEL_BLOCK : NODE_LEVEL_OP, "resid2", 2,
                 s_x, x, f, NULL, 0);
    if (!pre) {
        snprintf(prefix, sizeof prefix, "L%d.ln2", l);
        x = add_layernorm(b, prefix, l, NODE_LEVEL_BLOCK, x, &p->ln2_g, &p->ln2_b);
    }
#undef NAME
    return x;
}

// Adds every node of the forward pass (or only counts them while g->nodes is NULL).
static void add_forward(struct builder *b)
{
    const struct model *m = b->m;
    const struct model_config *c = &m->cfg;
    int N = b->g->n_tokens, d = c->d_model, V = c->vocab_size;
    int s_x[2] = {N, d}, s_v[2] = {N, V};
    int has_pos = c->pos != POS_NONE;

    const struct tensor *x =
        add_node(b, "embed.tok", OPK_EMBED_TOK, -1, has_pos ? NODE_LEVEL_OP : NODE_LEVEL_BLOCK,
                 "embed.tok", 2, s_x, &m->wte, NULL, NULL, 0);
    if (has_pos) {
        int learned = c->pos == POS_LEARNED;
        x = add_node(b, "embed.pos", OPK_EMBED_POS, -1, NODE_LEVEL_BLOCK,
                     learned ? "embed.pos.learned" : "embed.pos.sinusoidal", 2, s_x, x,
                     learned ? &m->wpe : NULL, NULL, 0);
    }
    for (int l = 0; l < c->n_layer; l++)
        x = add_block(b, l, x);
    if (c->final_norm)
        x = add_layernorm(b, "lnf", -1, NODE_LEVEL_SUBLAYER, x, &m->lnf_g, &m->lnf_b);
    const struct tensor *u = add_node(b, "head.logits", OPK_UNEMBED, -1, NODE_LEVEL_OP,
                                      c->tied ? "head.logits.tied" : "head.logits.untied", 2, s_v,
                                      x, model_unembedding(m), NULL, 0);
    add_node(b, "head.probs", OPK_SOFTMAX, -1, NODE_LEVEL_BLOCK, "head.probs", 2, s_v, u, NULL,
             NULL, 0);
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

// The training nodes: loss.xent, grad.<node> for every forward node in reverse order, then
// adamw.<parameter>. Also allocates dL/d(out) for every forward node and wires each forward
// input to the gradient it feeds (a node's dout, or a parameter's gradient).
static void add_training(struct builder *b, int n_forward)
{
    struct graph *g = b->g;
    int N = g->n_tokens;
    int s_loss[1] = {N};
    char name[2 * SF_NODE_NAME_MAX];
    if (g->nodes && !b->status)
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
    add_node(b, "loss.xent", OPK_XENT, -1, NODE_LEVEL_BLOCK, "loss.xent", 1, s_loss,
             n_forward > 0 && g->nodes ? &g->nodes[n_forward - 1].out : NULL, NULL, NULL, 0);
    for (int i = n_forward - 1; i >= 0; i--) {
        const struct node *f = g->nodes ? &g->nodes[i] : NULL;
        if (f)
            snprintf(name, sizeof name, "grad.%s", f->name);
        // In reverse, the grad of a node that opens a unit closes it.
        enum node_level level = i == 0 ? NODE_LEVEL_BLOCK : NODE_LEVEL_OP;
        if (f && i > 0)
            level = g->nodes[i - 1].level;
        int at = b->count;
        add_node(b, f ? name : "", OPK_GRAD, f ? f->layer : -1, level, "grad", 0, NULL, NULL, NULL,
                 NULL, 0);
        if (f && !b->status) {
            struct node *n = &g->nodes[at];
            n->fwd = i;
            n->out = f->dout; // shows dL/d(output of the forward node)
            n->explain = grad_explain(f->kind);
        }
    }
    for (int p = 0; p < g->n_params; p++) {
        int at = b->count;
        const struct param_ref *pr = g->params ? &g->params[p] : NULL;
        if (pr)
            snprintf(name, sizeof name, "adamw.%s", pr->name);
        add_node(b, pr ? name : "", OPK_ADAMW, -1,
                 p == g->n_params - 1 ? NODE_LEVEL_BLOCK : NODE_LEVEL_OP, "adamw",
                 pr ? pr->t->ndim : 1, pr ? pr->t->shape : s_loss, NULL, NULL, NULL, 0);
        if (pr && g->nodes && !b->status) {
            g->nodes[at].fwd = p;
            g->nodes[at].param = pr->t;
        }
    }
}

// reuse: an arena (reset) to take the activations from, or NULL for a new one.
// The sampling nodes after the forward pass (the last node is head.probs, after head.logits).
static void add_sampling(struct builder *b, int n_forward)
{
    struct graph *g = b->g;
    int V = b->m->cfg.vocab_size, s_v[1] = {V}, s_one[1] = {1}, s_ids[1] = {g->n_tokens + 1};
    const struct tensor *logits = g->nodes ? &g->nodes[n_forward - 2].out : NULL;
    const struct tensor *t =
        add_node(b, "sample.temperature", OPK_SAMPLE_TEMPERATURE, -1, NODE_LEVEL_OP,
                 "sample.temperature", 1, s_v, logits, NULL, NULL, 0);
    t = add_node(b, "sample.probs", OPK_SAMPLE_PROBS, -1, NODE_LEVEL_OP, "sample.probs", 1, s_v, t,
                 NULL, NULL, 0);
    t = add_node(b, "sample.truncate", OPK_SAMPLE_TRUNCATE, -1, NODE_LEVEL_OP, "sample.truncate", 1,
                 s_v, t, NULL, NULL, 0);
    t = add_node(b, "sample.renorm", OPK_SAMPLE_RENORM, -1, NODE_LEVEL_OP, "sample.renorm", 1, s_v,
                 t, NULL, NULL, 0);
    t = add_node(b, "sample.draw", OPK_SAMPLE_DRAW, -1, NODE_LEVEL_SUBLAYER, "sample.draw", 1,
                 s_one, t, NULL, NULL, 0);
    add_node(b, "sample.append", OPK_SAMPLE_APPEND, -1, NODE_LEVEL_BLOCK, "sample.append", 1, s_ids,
             t, NULL, NULL, 0);
}

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

    struct builder b = {.g = g, .m = m};
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
        add_sampling(&b, n_forward); // counting
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
        add_sampling(&b, n_forward);
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

static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63)
        la = 63;
    if (lb > 63)
        lb = 63;
    int prev[64], cur[64];
    for (int j = 0; j <= lb; j++)
        prev[j] = j;
    for (int i = 1; i <= la; i++) {
        cur[0] = i;
        for (int j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
    }
    return prev[lb];
}

int graph_suggest(const struct graph *g, const char *name, const char **out, int max)
{
    // Selection of the max nearest names; ties keep graph order.
    int count = 0;
    int dist[16];
    if (max > 16)
        max = 16;
    for (int i = 0; i < g->n_nodes; i++) {
        int dd = edit_distance(name, g->nodes[i].name);
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
