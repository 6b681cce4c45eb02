// Model configuration, parameters carved from one allocation (or pointed into a file mapping)
// as named views, and seeded
// GPT-2-style random initialisation.
#include "stepformer/model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "stepformer/rng.h"

static void config_common(struct model_config *c, int n_layer, int n_head, int d_model,
                          int vocab_size, int n_ctx)
{
    memset(c, 0, sizeof *c);
    c->n_layer = n_layer;
    c->n_head = n_head;
    c->d_model = d_model;
    // 4 d; a d_model out of range (model_config_check names it) must not overflow here.
    c->d_ff = d_model > 0 && d_model <= SF_MAX_DMODEL ? 4 * d_model : 0;
    c->vocab_size = vocab_size;
    c->n_ctx = n_ctx;
    c->ln_eps = 1e-5f;
    c->norm = NORM_PRE;
    c->final_norm = 1;
    c->pos = POS_LEARNED;
    c->bias = 1;
    c->tied = 1;
}

void model_config_textbook(struct model_config *c, int n_layer, int n_head, int d_model,
                           int vocab_size, int n_ctx)
{
    config_common(c, n_layer, n_head, d_model, vocab_size, n_ctx);
    c->act = ACT_RELU;
}

void model_config_gpt2(struct model_config *c, int n_layer, int n_head, int d_model, int vocab_size,
                       int n_ctx)
{
    config_common(c, n_layer, n_head, d_model, vocab_size, n_ctx);
    c->act = ACT_GELU;
}

static int check_range(struct sf_diag *d, const char *field, long v, long lo, long hi)
{
    if (v >= lo && v <= hi)
        return SF_OK;
    return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, 0, "%s is %ld; it must be from %ld to %ld", field,
                       v, lo, hi);
}

int model_config_check(const struct model_config *c, struct sf_diag *d)
{
    int rc;
    if ((rc = check_range(d, "n_layer", c->n_layer, 1, SF_MAX_LAYERS)) ||
        (rc = check_range(d, "n_head", c->n_head, 1, SF_MAX_HEADS)) ||
        (rc = check_range(d, "d_model", c->d_model, 1, SF_MAX_DMODEL)) ||
        (rc = check_range(d, "d_ff", c->d_ff, 1, SF_MAX_DFF)) ||
        (rc = check_range(d, "vocab_size", c->vocab_size, 1, SF_MAX_VOCAB)) ||
        (rc = check_range(d, "n_ctx", c->n_ctx, 1, SF_MAX_CTX)) ||
        (rc = check_range(d, "norm", (int)c->norm, 0, 1)) ||
        (rc = check_range(d, "final_norm", c->final_norm, 0, 1)) ||
        (rc = check_range(d, "pos", (int)c->pos, 0, 2)) ||
        (rc = check_range(d, "act", (int)c->act, 0, 1)) ||
        (rc = check_range(d, "bias", c->bias, 0, 1)) ||
        (rc = check_range(d, "tied", c->tied, 0, 1)))
        return rc;
    if (c->d_model % c->n_head != 0)
        return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, 0,
                           "d_model %d is not a multiple of n_head %d: each head needs d/n_head "
                           "columns",
                           c->d_model, c->n_head);
    if (!(c->ln_eps > 0.0f) || !isfinite(c->ln_eps) || c->ln_eps > 1.0f)
        return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, 0,
                           "ln_eps is %g; it must be above 0 and at most 1 (usually 1e-5)",
                           (double)c->ln_eps);
    return SF_OK;
}

size_t model_config_param_count(const struct model_config *c)
{
    size_t d = (size_t)c->d_model, F = (size_t)c->d_ff, V = (size_t)c->vocab_size;
    size_t b = (size_t)c->bias;
    size_t per_layer = d + b * d + 4 * (d * d + b * d) + d + b * d + d * F + b * F + F * d + b * d;
    return V * d + (c->pos == POS_LEARNED ? (size_t)c->n_ctx * d : 0) +
           (size_t)c->n_layer * per_layer + (c->final_norm ? d + b * d : 0) + (c->tied ? 0 : V * d);
}

// The parameter table: every tensor of the model in file order, with its name and shape.
// A visitor sees (name, tensor slot, ndim, d0, d1, present).
typedef void (*param_visit_fn)(void *ctx, const char *name, struct tensor *t, int ndim, int d0,
                               int d1, int present);

static void visit_params(struct model *m, param_visit_fn fn, void *ctx)
{
    const struct model_config *c = &m->cfg;
    int d = c->d_model, F = c->d_ff, V = c->vocab_size, b = c->bias;
    char name[48];
    fn(ctx, "wte", &m->wte, 2, V, d, 1);
    fn(ctx, "wpe", &m->wpe, 2, c->n_ctx, d, c->pos == POS_LEARNED);
    for (int l = 0; l < c->n_layer; l++) {
        struct layer_params *p = &m->layers[l];
#define P(suffix, field, ndim, d0, d1, present)                                                    \
    snprintf(name, sizeof name, "L%d." suffix, l);                                                 \
    fn(ctx, name, &p->field, ndim, d0, d1, present)
        P("ln1.gamma", ln1_g, 1, d, 0, 1);
        P("ln1.beta", ln1_b, 1, d, 0, b);
        P("attn.wq", wq, 2, d, d, 1);
        P("attn.bq", bq, 1, d, 0, b);
        P("attn.wk", wk, 2, d, d, 1);
        P("attn.bk", bk, 1, d, 0, b);
        P("attn.wv", wv, 2, d, d, 1);
        P("attn.bv", bv, 1, d, 0, b);
        P("attn.wo", wo, 2, d, d, 1);
        P("attn.bo", bo, 1, d, 0, b);
        P("ln2.gamma", ln2_g, 1, d, 0, 1);
        P("ln2.beta", ln2_b, 1, d, 0, b);
        P("ffn.w1", w1, 2, d, F, 1);
        P("ffn.b1", b1, 1, F, 0, b);
        P("ffn.w2", w2, 2, F, d, 1);
        P("ffn.b2", b2, 1, d, 0, b);
#undef P
    }
    fn(ctx, "lnf.gamma", &m->lnf_g, 1, d, 0, c->final_norm);
    fn(ctx, "lnf.beta", &m->lnf_b, 1, d, 0, c->final_norm && b);
    fn(ctx, "wout", &m->wout, 2, V, d, !c->tied);
}

struct carve {
    size_t offset; // floats used so far
    float *base;   // NULL while counting
};

// Gives every present tensor its shape; with a base, points those without data at the next
// floats of the block (those pointed elsewhere keep their data).
static void carve_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                        int present)
{
    (void)name;
    struct carve *cv = ctx;
    if (!present) {
        memset(t, 0, sizeof *t);
        return;
    }
    if (cv->base && t->data)
        return;
    int shape[2] = {d0, d1};
    tensor_wrap(t, cv->base ? cv->base + cv->offset : NULL, ndim, shape);
    cv->offset += (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
}

int model_init_shapes(struct model *m, const struct model_config *cfg, struct sf_diag *d)
{
    struct model_config c = *cfg; // cfg may point into m
    memset(m, 0, sizeof *m);
    m->tok.unk_id = -1;
    m->tok.eot_id = -1;
    int rc = model_config_check(&c, d);
    if (rc)
        return rc;
    m->cfg = c;
    m->layers = calloc((size_t)c.n_layer, sizeof *m->layers);
    if (!m->layers)
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory for the layers");
    struct carve cv = {0, NULL};
    visit_params(m, carve_visit, &cv);
    m->n_params = cv.offset;
    return SF_OK;
}

// Counts the floats of the present tensors that have no data yet.
static void missing_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                          int present)
{
    (void)name;
    if (present && !t->data)
        *(size_t *)ctx += (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
}

int model_alloc_rest(struct model *m, struct sf_diag *d)
{
    struct carve cv = {0, NULL};
    visit_params(m, missing_visit, &cv.offset);
    m->block = cv.offset ? calloc(cv.offset, sizeof(float)) : NULL;
    if (cv.offset && !m->block)
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0,
                           "out of memory: the model needs %zu parameters (%.1f MB)", cv.offset,
                           (double)cv.offset * 4.0 / 1e6);
    m->n_block = cv.offset;
    cv.offset = 0;
    cv.base = m->block;
    visit_params(m, carve_visit, &cv);
    return SF_OK;
}

int model_init(struct model *m, const struct model_config *cfg, struct sf_diag *d)
{
    int rc = model_init_shapes(m, cfg, d);
    if (!rc)
        rc = model_alloc_rest(m, d);
    if (rc)
        model_free(m);
    return rc;
}

void model_free(struct model *m)
{
    free(m->block);
    if (m->map)
        munmap(m->map, m->map_len);
    free(m->layers);
    tokenizer_free(&m->tok);
    memset(m, 0, sizeof *m);
}

struct init_ctx {
    struct rng rng;
    float proj_std;
    float wte_std;
};

static void init_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                       int present)
{
    (void)d0;
    (void)d1;
    struct init_ctx *ic = ctx;
    if (!present)
        return;
    size_t n = tensor_numel(t);
    if (strstr(name, "gamma")) {
        for (size_t i = 0; i < n; i++)
            t->data[i] = 1.0f;
    } else if (ndim == 1) {
        memset(t->data, 0, n * sizeof(float)); // biases and beta
    } else {
        // Residual projections get a smaller spread so the stream does not grow with depth.
        int proj = strstr(name, "attn.wo") || strstr(name, "ffn.w2");
        float std = proj ? ic->proj_std : strcmp(name, "wte") == 0 ? ic->wte_std : 0.02f;
        for (size_t i = 0; i < n; i++)
            t->data[i] = std * rng_normal(&ic->rng);
    }
}

void model_init_random(struct model *m, uint64_t seed)
{
    struct init_ctx ic;
    rng_seed(&ic.rng, seed);
    ic.proj_std = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layer);
    // Fixed sinusoidal codes have amplitude 1: token embeddings start on the same scale (as
    // torch.nn.Embedding's N(0, 1) does in the classic PyTorch model), or the positions
    // would drown the tokens.
    ic.wte_std = m->cfg.pos == POS_SINUSOIDAL ? 1.0f : 0.02f;
    visit_params(m, init_visit, &ic);
}

struct list_ctx {
    struct param_ref *out;
    int max, count;
    size_t offset;
};

static void list_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                       int present)
{
    (void)ndim;
    (void)d0;
    (void)d1;
    struct list_ctx *lc = ctx;
    if (!present)
        return;
    if (lc->out && lc->count < lc->max) {
        snprintf(lc->out[lc->count].name, sizeof lc->out[lc->count].name, "%s", name);
        lc->out[lc->count].t = t;
        lc->out[lc->count].offset = lc->offset;
    }
    lc->count++;
    lc->offset += (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
}

int model_params(struct model *m, struct param_ref *out, int max)
{
    struct list_ctx lc = {out, max, 0, 0};
    visit_params(m, list_visit, &lc);
    return lc.count;
}

struct offset_ctx {
    const struct tensor *want;
    size_t offset, found;
};

static void offset_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                         int present)
{
    (void)name;
    struct offset_ctx *oc = ctx;
    if (!present)
        return;
    if (t == oc->want)
        oc->found = oc->offset;
    oc->offset += (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
}

size_t model_param_offset(const struct model *m, const struct tensor *p)
{
    struct offset_ctx oc = {p, 0, SIZE_MAX};
    visit_params((struct model *)m, offset_visit, &oc); // the visit only reads m
    return oc.found;
}

struct emit_ctx {
    int (*fn)(void *ctx, const void *bytes, size_t n);
    void *ctx;
    int rc;
};

static void emit_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                       int present)
{
    (void)name;
    (void)ndim;
    (void)d0;
    (void)d1;
    struct emit_ctx *ec = ctx;
    if (present && !ec->rc)
        ec->rc = ec->fn(ec->ctx, t->data, tensor_numel(t) * sizeof(float));
}

int model_emit_params(const struct model *m, int (*fn)(void *ctx, const void *bytes, size_t n),
                      void *ctx)
{
    struct emit_ctx ec = {fn, ctx, 0};
    visit_params((struct model *)m, emit_visit, &ec); // the visit only reads m
    return ec.rc;
}

struct copy_ctx {
    struct param_ref *list;
    int i;
};

static void copy_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                       int present)
{
    (void)name;
    (void)ndim;
    (void)d0;
    (void)d1;
    struct copy_ctx *cc = ctx;
    if (present)
        memcpy(t->data, cc->list[cc->i++].t->data, tensor_numel(t) * sizeof(float));
}

struct equal_ctx {
    struct param_ref *list;
    int i, equal;
};

static void equal_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                        int present)
{
    (void)name;
    (void)ndim;
    (void)d0;
    (void)d1;
    struct equal_ctx *ec = ctx;
    if (present && ec->equal)
        ec->equal =
            memcmp(t->data, ec->list[ec->i++].t->data, tensor_numel(t) * sizeof(float)) == 0;
}

int model_params_equal(const struct model *a, const struct model *b)
{
    if (memcmp(&a->cfg, &b->cfg, sizeof a->cfg) != 0)
        return 0;
    int n = model_params((struct model *)b, NULL, 0);
    struct param_ref *list = malloc((size_t)n * sizeof *list);
    if (!list)
        return 0;
    model_params((struct model *)b, list, n);
    struct equal_ctx ec = {list, 0, 1};
    visit_params((struct model *)a, equal_visit, &ec); // the visit only reads a
    free(list);
    return ec.equal;
}

int model_copy_params(struct model *dst, const struct model *src)
{
    int n = model_params((struct model *)src, NULL, 0);
    struct param_ref *list = malloc((size_t)n * sizeof *list);
    if (!list)
        return SF_ERR_NOMEM;
    model_params((struct model *)src, list, n);
    struct copy_ctx cc = {list, 0};
    visit_params(dst, copy_visit, &cc);
    free(list);
    return SF_OK;
}

struct find_ctx {
    const char *want;
    struct tensor *found;
};

static void find_visit(void *ctx, const char *name, struct tensor *t, int ndim, int d0, int d1,
                       int present)
{
    (void)ndim;
    (void)d0;
    (void)d1;
    struct find_ctx *fc = ctx;
    if (present && !fc->found && strcmp(name, fc->want) == 0)
        fc->found = t;
}

struct tensor *model_param(struct model *m, const char *name)
{
    struct find_ctx fc = {name, NULL};
    visit_params(m, find_visit, &fc);
    return fc.found;
}

const struct tensor *model_unembedding(const struct model *m)
{
    return m->cfg.tied ? &m->wte : &m->wout;
}
