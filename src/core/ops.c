// The public kernels: check every shape, then run the chosen twin (ops_ref.c or ops_blas.c).
#include "stepformer/ops.h"

#include <math.h>
#include <stddef.h>

#include "ops_blas.h"
#include "ops_ref.h"
#include "stepformer/err.h"

#define TWIN(im, name, ...)                                                                        \
    do {                                                                                           \
        if ((im) == OP_IMPL_REF)                                                                   \
            ref_##name(__VA_ARGS__);                                                               \
        else                                                                                       \
            fast_##name(__VA_ARGS__);                                                              \
    } while (0)

const char *ops_backend_name(void)
{
    return fast_backend_name();
}

// 1 when t is present with exactly these dimensions (-1 matches any size).
static int has_shape(const struct tensor *t, int ndim, int d0, int d1, int d2)
{
    if (!tensor_present(t) || t->ndim != ndim)
        return 0;
    const int want[3] = {d0, d1, d2};
    for (int i = 0; i < ndim && i < 3; i++)
        if (want[i] >= 0 && t->shape[i] != want[i])
            return 0;
    return 1;
}

// An optional vector: absent, or present with n entries.
static int optional_vec(const struct tensor *t, int n)
{
    return !tensor_present(t) || has_shape(t, 1, n, -1, -1);
}

static const float *data_or_null(const struct tensor *t)
{
    return tensor_present(t) ? t->data : NULL;
}

int op_embed_tok(enum op_impl im, struct tensor *x, const struct tensor *E, const int *ids)
{
    if (!has_shape(E, 2, -1, -1, -1) || !has_shape(x, 2, -1, E->shape[1], -1) || !ids)
        return SF_ERR_SHAPE;
    int N = x->shape[0], d = x->shape[1];
    for (int i = 0; i < N; i++)
        if (ids[i] < 0 || ids[i] >= E->shape[0])
            return SF_ERR_RANGE;
    TWIN(im, embed_tok, x->data, E->data, ids, N, d);
    return SF_OK;
}

// 1 when T splits the N rows of x into whole sequences.
static int seq_ok(const struct tensor *x, int T)
{
    return T > 0 && x->shape[0] % T == 0;
}

int op_embed_pos_learned(enum op_impl im, struct tensor *y, const struct tensor *x,
                         const struct tensor *P, int T)
{
    if (!has_shape(x, 2, -1, -1, -1) || !tensor_same_shape(y, x) ||
        !has_shape(P, 2, -1, x->shape[1], -1) || !seq_ok(x, T) || P->shape[0] < T)
        return SF_ERR_SHAPE;
    TWIN(im, add_rows, y->data, x->data, P->data, x->shape[0], x->shape[1], T);
    return SF_OK;
}

int op_embed_pos_sinusoidal(enum op_impl im, struct tensor *y, const struct tensor *x, int T)
{
    if (!has_shape(x, 2, -1, -1, -1) || !tensor_same_shape(y, x) || !seq_ok(x, T))
        return SF_ERR_SHAPE;
    TWIN(im, add_sinusoidal, y->data, x->data, x->shape[0], x->shape[1], T);
    return SF_OK;
}

int op_ln_stats(enum op_impl im, struct tensor *stats, const struct tensor *x, float eps)
{
    if (!has_shape(x, 2, -1, -1, -1) || !has_shape(stats, 2, x->shape[0], 2, -1))
        return SF_ERR_SHAPE;
    if (!(eps >= 0.0f))
        return SF_ERR_RANGE;
    TWIN(im, ln_stats, stats->data, x->data, x->shape[0], x->shape[1], eps);
    return SF_OK;
}

int op_ln_norm(enum op_impl im, struct tensor *xhat, const struct tensor *x,
               const struct tensor *stats)
{
    if (!has_shape(x, 2, -1, -1, -1) || !tensor_same_shape(xhat, x) ||
        !has_shape(stats, 2, x->shape[0], 2, -1))
        return SF_ERR_SHAPE;
    TWIN(im, ln_norm, xhat->data, x->data, stats->data, x->shape[0], x->shape[1]);
    return SF_OK;
}

int op_ln_affine(enum op_impl im, struct tensor *y, const struct tensor *xhat,
                 const struct tensor *gamma, const struct tensor *beta)
{
    if (!has_shape(xhat, 2, -1, -1, -1) || !tensor_same_shape(y, xhat) ||
        !has_shape(gamma, 1, xhat->shape[1], -1, -1) || !optional_vec(beta, xhat->shape[1]))
        return SF_ERR_SHAPE;
    TWIN(im, ln_affine, y->data, xhat->data, gamma->data, data_or_null(beta), xhat->shape[0],
         xhat->shape[1]);
    return SF_OK;
}

int op_linear(enum op_impl im, struct tensor *y, const struct tensor *x, const struct tensor *W,
              const struct tensor *b)
{
    if (!has_shape(x, 2, -1, -1, -1) || !has_shape(W, 2, x->shape[1], -1, -1) ||
        !has_shape(y, 2, x->shape[0], W->shape[1], -1) || !optional_vec(b, W->shape[1]))
        return SF_ERR_SHAPE;
    TWIN(im, linear, y->data, x->data, W->data, data_or_null(b), x->shape[0], x->shape[1],
         W->shape[1]);
    return SF_OK;
}

// The sizes of a per-head tensor (B H, T, dk) against its token matrix (N, H dk): fills
// H and T, or returns 0 when they do not fit together.
static int head_layout(const struct tensor *heads, int N, int width, int *H, int *T)
{
    if (!has_shape(heads, 3, -1, -1, -1) || width % heads->shape[2] != 0)
        return 0;
    *H = width / heads->shape[2];
    *T = heads->shape[1];
    return *H > 0 && heads->shape[0] % *H == 0 && (heads->shape[0] / *H) * *T == N;
}

int op_linear_heads(enum op_impl im, struct tensor *y, const struct tensor *x,
                    const struct tensor *W, const struct tensor *b)
{
    int H, T;
    if (!has_shape(x, 2, -1, -1, -1) || !has_shape(W, 2, x->shape[1], -1, -1) ||
        !head_layout(y, x->shape[0], W->shape[1], &H, &T) || !optional_vec(b, W->shape[1]))
        return SF_ERR_SHAPE;
    TWIN(im, linear_heads, y->data, x->data, W->data, data_or_null(b), x->shape[0], x->shape[1], H,
         y->shape[2], T);
    return SF_OK;
}

int op_attn_scores(enum op_impl im, struct tensor *s, const struct tensor *q,
                   const struct tensor *k)
{
    if (!has_shape(q, 3, -1, -1, -1) || !tensor_same_shape(k, q) ||
        !has_shape(s, 3, q->shape[0], q->shape[1], q->shape[1]))
        return SF_ERR_SHAPE;
    TWIN(im, attn_scores, s->data, q->data, k->data, q->shape[0], q->shape[1], q->shape[2]);
    return SF_OK;
}

int op_scale(enum op_impl im, struct tensor *y, const struct tensor *x, float c)
{
    if (!tensor_present(x) || !tensor_same_shape(y, x) || !tensor_present(y))
        return SF_ERR_SHAPE;
    TWIN(im, scale, y->data, x->data, c, (long)tensor_numel(x));
    return SF_OK;
}

int op_causal_mask(enum op_impl im, struct tensor *y, const struct tensor *x, int T)
{
    if (!has_shape(x, 3, -1, T, T) || T <= 0 || !tensor_same_shape(y, x))
        return SF_ERR_SHAPE;
    TWIN(im, causal_mask, y->data, x->data, x->shape[0], T);
    return SF_OK;
}

int op_softmax_rows(enum op_impl im, struct tensor *y, const struct tensor *x)
{
    if (!tensor_present(x) || !tensor_present(y) || !tensor_same_shape(y, x))
        return SF_ERR_SHAPE;
    int C = x->shape[x->ndim - 1];
    TWIN(im, softmax_rows, y->data, x->data, (long)(tensor_numel(x) / (size_t)C), C);
    return SF_OK;
}

int op_attn_mix(enum op_impl im, struct tensor *y, const struct tensor *alpha,
                const struct tensor *v)
{
    if (!has_shape(v, 3, -1, -1, -1) ||
        !has_shape(alpha, 3, v->shape[0], v->shape[1], v->shape[1]) || !tensor_same_shape(y, v))
        return SF_ERR_SHAPE;
    TWIN(im, attn_mix, y->data, alpha->data, v->data, v->shape[0], v->shape[1], v->shape[2]);
    return SF_OK;
}

int op_concat_heads(enum op_impl im, struct tensor *y, const struct tensor *x)
{
    int H, T;
    if (!has_shape(y, 2, -1, -1, -1) || !head_layout(x, y->shape[0], y->shape[1], &H, &T))
        return SF_ERR_SHAPE;
    TWIN(im, concat_heads, y->data, x->data, H, y->shape[0], x->shape[2], T);
    return SF_OK;
}

int op_add(enum op_impl im, struct tensor *y, const struct tensor *a, const struct tensor *b)
{
    if (!tensor_present(a) || !tensor_present(b) || !tensor_present(y) ||
        !tensor_same_shape(a, b) || !tensor_same_shape(y, a))
        return SF_ERR_SHAPE;
    TWIN(im, add, y->data, a->data, b->data, (long)tensor_numel(a));
    return SF_OK;
}

int op_relu(enum op_impl im, struct tensor *y, const struct tensor *x)
{
    if (!tensor_present(x) || !tensor_present(y) || !tensor_same_shape(y, x))
        return SF_ERR_SHAPE;
    TWIN(im, relu, y->data, x->data, (long)tensor_numel(x));
    return SF_OK;
}

int op_gelu(enum op_impl im, struct tensor *y, const struct tensor *x)
{
    if (!tensor_present(x) || !tensor_present(y) || !tensor_same_shape(y, x))
        return SF_ERR_SHAPE;
    TWIN(im, gelu, y->data, x->data, (long)tensor_numel(x));
    return SF_OK;
}

int op_unembed(enum op_impl im, struct tensor *u, const struct tensor *h, const struct tensor *E)
{
    if (!has_shape(h, 2, -1, -1, -1) || !has_shape(E, 2, -1, h->shape[1], -1) ||
        !has_shape(u, 2, h->shape[0], -1, -1) || u->shape[1] > E->shape[0])
        return SF_ERR_SHAPE;
    TWIN(im, unembed, u->data, h->data, E->data, h->shape[0], h->shape[1], u->shape[1]);
    return SF_OK;
}

// ---- Backward wrappers: the same shape checks, for the gradients as well.

// An optional gradient: absent (NULL) or shaped like ref.
static int grad_ok(const struct tensor *g, const struct tensor *ref)
{
    return !g || (tensor_present(g) && tensor_same_shape(g, ref));
}

static float *grad_data(struct tensor *g)
{
    return g ? g->data : NULL;
}

int op_embed_tok_backward(enum op_impl im, struct tensor *dE, const struct tensor *dx,
                          const int *ids)
{
    if (!has_shape(dE, 2, -1, -1, -1) || !has_shape(dx, 2, -1, dE->shape[1], -1) || !ids)
        return SF_ERR_SHAPE;
    for (int i = 0; i < dx->shape[0]; i++)
        if (ids[i] < 0 || ids[i] >= dE->shape[0])
            return SF_ERR_RANGE;
    TWIN(im, embed_tok_backward, dE->data, dx->data, ids, dx->shape[0], dx->shape[1]);
    return SF_OK;
}

int op_embed_pos_learned_backward(enum op_impl im, struct tensor *dP, const struct tensor *dy,
                                  int T)
{
    (void)im; // a scatter: both twins are the loop
    if (!has_shape(dy, 2, -1, -1, -1) || !has_shape(dP, 2, -1, dy->shape[1], -1) ||
        !seq_ok(dy, T) || dP->shape[0] < T)
        return SF_ERR_SHAPE;
    ref_embed_pos_backward(dP->data, dy->data, dy->shape[0], dy->shape[1], T);
    return SF_OK;
}

int op_axpy(enum op_impl im, struct tensor *dx, float c, const struct tensor *dy)
{
    if (!tensor_present(dx) || !tensor_present(dy) || !tensor_same_shape(dx, dy))
        return SF_ERR_SHAPE;
    TWIN(im, axpy, dx->data, c, dy->data, (long)tensor_numel(dy));
    return SF_OK;
}

int op_ln_affine_backward(enum op_impl im, struct tensor *dxhat, struct tensor *dgamma,
                          struct tensor *dbeta, const struct tensor *xhat,
                          const struct tensor *gamma, const struct tensor *dy)
{
    if (!has_shape(xhat, 2, -1, -1, -1) || !tensor_same_shape(dy, xhat) ||
        !has_shape(gamma, 1, xhat->shape[1], -1, -1) || !grad_ok(dxhat, xhat) ||
        !grad_ok(dgamma, gamma) || (dbeta && !has_shape(dbeta, 1, xhat->shape[1], -1, -1)))
        return SF_ERR_SHAPE;
    TWIN(im, ln_affine_backward, grad_data(dxhat), grad_data(dgamma), grad_data(dbeta), xhat->data,
         gamma->data, dy->data, xhat->shape[0], xhat->shape[1]);
    return SF_OK;
}

int op_ln_norm_backward(enum op_impl im, struct tensor *dx, struct tensor *dstats,
                        const struct tensor *x, const struct tensor *stats,
                        const struct tensor *dxhat)
{
    if (!has_shape(x, 2, -1, -1, -1) || !tensor_same_shape(dxhat, x) ||
        !has_shape(stats, 2, x->shape[0], 2, -1) || !grad_ok(dx, x) || !grad_ok(dstats, stats))
        return SF_ERR_SHAPE;
    TWIN(im, ln_norm_backward, grad_data(dx), grad_data(dstats), x->data, stats->data, dxhat->data,
         x->shape[0], x->shape[1]);
    return SF_OK;
}

int op_ln_stats_backward(enum op_impl im, struct tensor *dx, const struct tensor *x,
                         const struct tensor *stats, const struct tensor *dstats)
{
    if (!has_shape(x, 2, -1, -1, -1) || !has_shape(stats, 2, x->shape[0], 2, -1) ||
        !tensor_same_shape(dstats, stats) || !tensor_present(dx) || !tensor_same_shape(dx, x))
        return SF_ERR_SHAPE;
    TWIN(im, ln_stats_backward, dx->data, x->data, stats->data, dstats->data, x->shape[0],
         x->shape[1]);
    return SF_OK;
}

int op_linear_backward(enum op_impl im, struct tensor *dx, struct tensor *dW, struct tensor *db,
                       const struct tensor *x, const struct tensor *W, const struct tensor *dy)
{
    if (!has_shape(x, 2, -1, -1, -1) || !has_shape(W, 2, x->shape[1], -1, -1) ||
        !has_shape(dy, 2, x->shape[0], W->shape[1], -1) || !grad_ok(dx, x) || !grad_ok(dW, W) ||
        (db && !has_shape(db, 1, W->shape[1], -1, -1)))
        return SF_ERR_SHAPE;
    TWIN(im, linear_backward, grad_data(dx), grad_data(dW), grad_data(db), x->data, W->data,
         dy->data, x->shape[0], x->shape[1], W->shape[1]);
    return SF_OK;
}

int op_linear_heads_backward(enum op_impl im, struct tensor *dx, struct tensor *dW,
                             struct tensor *db, const struct tensor *x, const struct tensor *W,
                             const struct tensor *dy)
{
    int H, T;
    if (!has_shape(x, 2, -1, -1, -1) || !has_shape(W, 2, x->shape[1], -1, -1) ||
        !head_layout(dy, x->shape[0], W->shape[1], &H, &T) || !grad_ok(dx, x) || !grad_ok(dW, W) ||
        (db && !has_shape(db, 1, W->shape[1], -1, -1)))
        return SF_ERR_SHAPE;
    TWIN(im, linear_heads_backward, grad_data(dx), grad_data(dW), grad_data(db), x->data, W->data,
         dy->data, x->shape[0], x->shape[1], H, dy->shape[2], T);
    return SF_OK;
}

int op_attn_scores_backward(enum op_impl im, struct tensor *dq, struct tensor *dk,
                            const struct tensor *q, const struct tensor *k, const struct tensor *ds)
{
    if (!has_shape(q, 3, -1, -1, -1) || !tensor_same_shape(k, q) ||
        !has_shape(ds, 3, q->shape[0], q->shape[1], q->shape[1]) || !grad_ok(dq, q) ||
        !grad_ok(dk, k))
        return SF_ERR_SHAPE;
    TWIN(im, attn_scores_backward, grad_data(dq), grad_data(dk), q->data, k->data, ds->data,
         q->shape[0], q->shape[1], q->shape[2]);
    return SF_OK;
}

int op_causal_mask_backward(enum op_impl im, struct tensor *dx, const struct tensor *dy, int T)
{
    (void)im; // a gather: both twins are the loop
    if (!has_shape(dy, 3, -1, T, T) || T <= 0 || !tensor_present(dx) || !tensor_same_shape(dx, dy))
        return SF_ERR_SHAPE;
    ref_causal_mask_backward(dx->data, dy->data, dy->shape[0], T);
    return SF_OK;
}

int op_softmax_rows_backward(enum op_impl im, struct tensor *dx, const struct tensor *y,
                             const struct tensor *dy)
{
    if (!tensor_present(y) || !tensor_present(dx) || !tensor_same_shape(dy, y) ||
        !tensor_same_shape(dx, y))
        return SF_ERR_SHAPE;
    int C = y->shape[y->ndim - 1];
    TWIN(im, softmax_rows_backward, dx->data, y->data, dy->data,
         (long)(tensor_numel(y) / (size_t)C), C);
    return SF_OK;
}

int op_attn_mix_backward(enum op_impl im, struct tensor *dalpha, struct tensor *dv,
                         const struct tensor *alpha, const struct tensor *v,
                         const struct tensor *dy)
{
    if (!has_shape(v, 3, -1, -1, -1) ||
        !has_shape(alpha, 3, v->shape[0], v->shape[1], v->shape[1]) || !tensor_same_shape(dy, v) ||
        !grad_ok(dalpha, alpha) || !grad_ok(dv, v))
        return SF_ERR_SHAPE;
    TWIN(im, attn_mix_backward, grad_data(dalpha), grad_data(dv), alpha->data, v->data, dy->data,
         v->shape[0], v->shape[1], v->shape[2]);
    return SF_OK;
}

int op_concat_heads_backward(enum op_impl im, struct tensor *dx, const struct tensor *dy)
{
    (void)im; // a scatter: both twins are the loop
    int H, T;
    if (!has_shape(dy, 2, -1, -1, -1) || !head_layout(dx, dy->shape[0], dy->shape[1], &H, &T))
        return SF_ERR_SHAPE;
    ref_concat_heads_backward(dx->data, dy->data, H, dy->shape[0], dx->shape[2], T);
    return SF_OK;
}

int op_relu_backward(enum op_impl im, struct tensor *dx, const struct tensor *x,
                     const struct tensor *dy)
{
    if (!tensor_present(x) || !tensor_present(dx) || !tensor_same_shape(dy, x) ||
        !tensor_same_shape(dx, x))
        return SF_ERR_SHAPE;
    TWIN(im, relu_backward, dx->data, x->data, dy->data, (long)tensor_numel(x));
    return SF_OK;
}

int op_gelu_backward(enum op_impl im, struct tensor *dx, const struct tensor *x,
                     const struct tensor *dy)
{
    if (!tensor_present(x) || !tensor_present(dx) || !tensor_same_shape(dy, x) ||
        !tensor_same_shape(dx, x))
        return SF_ERR_SHAPE;
    TWIN(im, gelu_backward, dx->data, x->data, dy->data, (long)tensor_numel(x));
    return SF_OK;
}

int op_unembed_backward(enum op_impl im, struct tensor *dh, struct tensor *dE,
                        const struct tensor *h, const struct tensor *E, const struct tensor *du)
{
    if (!has_shape(h, 2, -1, -1, -1) || !has_shape(E, 2, -1, h->shape[1], -1) ||
        !has_shape(du, 2, h->shape[0], -1, -1) || du->shape[1] > E->shape[0] || !grad_ok(dh, h) ||
        !grad_ok(dE, E))
        return SF_ERR_SHAPE;
    TWIN(im, unembed_backward, grad_data(dh), grad_data(dE), h->data, E->data, du->data,
         h->shape[0], h->shape[1], du->shape[1]);
    return SF_OK;
}

static int check_targets(const struct tensor *probs, const int *targets)
{
    if (!has_shape(probs, 2, -1, -1, -1) || !targets)
        return SF_ERR_SHAPE;
    for (int i = 0; i < probs->shape[0]; i++)
        if (targets[i] < 0 || targets[i] >= probs->shape[1])
            return SF_ERR_RANGE;
    return SF_OK;
}

int op_xent(enum op_impl im, struct tensor *loss, float *mean, const struct tensor *probs,
            const int *targets)
{
    (void)im; // one lookup per row: both twins are the loop
    int rc = check_targets(probs, targets);
    if (rc)
        return rc;
    if (!has_shape(loss, 1, probs->shape[0], -1, -1))
        return SF_ERR_SHAPE;
    int N = probs->shape[0];
    ref_xent(loss->data, probs->data, targets, N, probs->shape[1]);
    if (mean) {
        double sum = 0;
        for (int i = 0; i < N; i++)
            sum += loss->data[i];
        *mean = (float)(sum / N);
    }
    return SF_OK;
}

int op_xent_backward(enum op_impl im, struct tensor *dprobs, const struct tensor *probs,
                     const int *targets, float scale)
{
    (void)im;
    int rc = check_targets(probs, targets);
    if (rc)
        return rc;
    if (!tensor_present(dprobs) || !tensor_same_shape(dprobs, probs))
        return SF_ERR_SHAPE;
    ref_xent_backward(dprobs->data, probs->data, targets, probs->shape[0], probs->shape[1], scale);
    return SF_OK;
}

int op_adamw(enum op_impl im, struct tensor *p, struct tensor *m, struct tensor *v,
             struct tensor *delta, const struct tensor *g, const struct adamw_params *hp, int t)
{
    if (!tensor_present(p) || !grad_ok(m, p) || !m || !v || !grad_ok(v, p) || !grad_ok(delta, p) ||
        !tensor_present(g) || !tensor_same_shape(g, p) || !hp)
        return SF_ERR_SHAPE;
    if (t < 1 || !(hp->lr >= 0.0f) || !(hp->beta1 >= 0.0f && hp->beta1 < 1.0f) ||
        !(hp->beta2 >= 0.0f && hp->beta2 < 1.0f) || !(hp->eps > 0.0f) ||
        !(hp->weight_decay >= 0.0f))
        return SF_ERR_RANGE;
    double bc1 = 1.0 - pow(hp->beta1, t), bc2 = 1.0 - pow(hp->beta2, t);
    TWIN(im, adamw, p->data, m->data, v->data, grad_data(delta), g->data, (long)tensor_numel(p),
         hp->lr, hp->beta1, hp->beta2, hp->eps, hp->weight_decay, bc1, bc2);
    return SF_OK;
}
