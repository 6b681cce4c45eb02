// Internal: the raw-pointer kernel twins behind ops.h. Arguments: outputs, inputs, sizes.
// ref_* live in ops_ref.c (the obvious loops), fast_* in ops_blas.c. Shapes are checked by
// the op_* wrappers in ops.c before either twin runs.
#ifndef STEPFORMER_OPS_IMPL_H
#define STEPFORMER_OPS_IMPL_H

// N tokens, d width, H heads, dk = d / H, V vocabulary; b may be NULL (no bias).
#define SF_OPS_TWINS(P)                                                                            \
    /* x (N, d) = E[ids] */                                                                        \
    void P##embed_tok(float *x, const float *E, const int *ids, int N, int d);                     \
    /* y (N, d) = x + P[0..N) */                                                                   \
    void P##add_rows(float *y, const float *x, const float *pos, int N, int d);                    \
    /* y (N, d) = x + sinusoidal PE */                                                             \
    void P##add_sinusoidal(float *y, const float *x, int N, int d);                                \
    /* stats (N, 2) = mu, sqrt(var + eps) per row of x (N, d) */                                   \
    void P##ln_stats(float *stats, const float *x, int N, int d, float eps);                       \
    /* xhat (N, d) = (x - mu) / sigma */                                                           \
    void P##ln_norm(float *xhat, const float *x, const float *stats, int N, int d);                \
    /* y (N, d) = gamma * xhat + beta; beta may be NULL */                                         \
    void P##ln_affine(float *y, const float *xhat, const float *g, const float *b, int N, int d);  \
    /* y (N, dout) = x (N, din) W (din, dout) + b */                                               \
    void P##linear(float *y, const float *x, const float *W, const float *b, int N, int din,       \
                   int dout);                                                                      \
    /* y (H, N, dk) = heads of x (N, d) W (d, H dk) + b */                                         \
    void P##linear_heads(float *y, const float *x, const float *W, const float *b, int N, int d,   \
                         int H, int dk);                                                           \
    /* s (H, N, N) = q (H, N, dk) k^T per head */                                                  \
    void P##attn_scores(float *s, const float *q, const float *k, int H, int N, int dk);           \
    void P##scale(float *y, const float *x, float c, long n);                                      \
    /* y (H, N, N) = x + M */                                                                      \
    void P##causal_mask(float *y, const float *x, int H, int N);                                   \
    /* rows (R, C) */                                                                              \
    void P##softmax_rows(float *y, const float *x, long R, int C);                                 \
    /* y (H, N, dv) = a (H, N, N) v (H, N, dv) */                                                  \
    void P##attn_mix(float *y, const float *a, const float *v, int H, int N, int dv);              \
    /* y (N, H dv) from x (H, N, dv) */                                                            \
    void P##concat_heads(float *y, const float *x, int H, int N, int dv);                          \
    void P##add(float *y, const float *a, const float *b, long n);                                 \
    void P##relu(float *y, const float *x, long n);                                                \
    void P##gelu(float *y, const float *x, long n);                                                \
    /* u (N, V) = h (N, d) E[0..V)^T */                                                            \
    void P##unembed(float *u, const float *h, const float *E, int N, int d, int V);

SF_OPS_TWINS(ref_)
SF_OPS_TWINS(fast_)

#endif
