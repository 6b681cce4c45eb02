// The public kernels: check every shape, then run the chosen twin (ops_ref.c or ops_blas.c).
#include "stepformer/ops.h"

#include <stddef.h>

#include "ops_impl.h"
#include "stepformer/err.h"

#define TWIN(im, name, ...)                                                                        \
    do {                                                                                           \
        if ((im) == OP_IMPL_REF)                                                                   \
            ref_##name(__VA_ARGS__);                                                               \
        else                                                                                       \
            fast_##name(__VA_ARGS__);                                                              \
    } while (0)

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

int op_embed_pos_learned(enum op_impl im, struct tensor *y, const struct tensor *x,
                         const struct tensor *P)
{
    if (!has_shape(x, 2, -1, -1, -1) || !tensor_same_shape(y, x) ||
        !has_shape(P, 2, -1, x->shape[1], -1) || P->shape[0] < x->shape[0])
        return SF_ERR_SHAPE;
    TWIN(im, add_rows, y->data, x->data, P->data, x->shape[0], x->shape[1]);
    return SF_OK;
}

int op_embed_pos_sinusoidal(enum op_impl im, struct tensor *y, const struct tensor *x)
{
    if (!has_shape(x, 2, -1, -1, -1) || !tensor_same_shape(y, x))
        return SF_ERR_SHAPE;
    TWIN(im, add_sinusoidal, y->data, x->data, x->shape[0], x->shape[1]);
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

int op_linear_heads(enum op_impl im, struct tensor *y, const struct tensor *x,
                    const struct tensor *W, const struct tensor *b)
{
    if (!has_shape(x, 2, -1, -1, -1) || !has_shape(y, 3, -1, x->shape[0], -1) ||
        !has_shape(W, 2, x->shape[1], y->shape[0] * y->shape[2], -1) ||
        !optional_vec(b, W->shape[1]))
        return SF_ERR_SHAPE;
    TWIN(im, linear_heads, y->data, x->data, W->data, data_or_null(b), x->shape[0], x->shape[1],
         y->shape[0], y->shape[2]);
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

int op_causal_mask(enum op_impl im, struct tensor *y, const struct tensor *x)
{
    if (!has_shape(x, 3, -1, -1, -1) || x->shape[1] != x->shape[2] || !tensor_same_shape(y, x))
        return SF_ERR_SHAPE;
    TWIN(im, causal_mask, y->data, x->data, x->shape[0], x->shape[1]);
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
    if (!has_shape(x, 3, -1, -1, -1) ||
        !has_shape(y, 2, x->shape[1], x->shape[0] * x->shape[2], -1))
        return SF_ERR_SHAPE;
    TWIN(im, concat_heads, y->data, x->data, x->shape[0], x->shape[1], x->shape[2]);
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
