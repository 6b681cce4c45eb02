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
    void P##add_rows(float *y, const float *x, const float *pos, int N, int d, int T);             \
    /* y (N, d) = x + sinusoidal PE */                                                             \
    void P##add_sinusoidal(float *y, const float *x, int N, int d, int T);                         \
    /* stats (N, 2) = mu, sqrt(var + eps) per row of x (N, d) */                                   \
    void P##ln_stats(float *stats, const float *x, int N, int d, float eps);                       \
    /* xhat (N, d) = (x - mu) / sigma */                                                           \
    void P##ln_norm(float *xhat, const float *x, const float *stats, int N, int d);                \
    /* y (N, d) = gamma * xhat + beta; beta may be NULL */                                         \
    void P##ln_affine(float *y, const float *xhat, const float *g, const float *b, int N, int d);  \
    /* y (N, dout) = x (N, din) W (din, dout) + b */                                               \
    void P##linear(float *y, const float *x, const float *W, const float *b, int N, int din,       \
                   int dout);                                                                      \
    /* y (B H, T, dk) = heads of x (N = B T, d) W (d, H dk) + b */                                 \
    void P##linear_heads(float *y, const float *x, const float *W, const float *b, int N, int d,   \
                         int H, int dk, int T);                                                    \
    /* s (H, N, N) = q (H, N, dk) k^T per head */                                                  \
    void P##attn_scores(float *s, const float *q, const float *k, int H, int N, int dk);           \
    void P##scale(float *y, const float *x, float c, long n);                                      \
    /* y (H, N, N) = x + M */                                                                      \
    void P##causal_mask(float *y, const float *x, int H, int N, int T);                            \
    /* rows (R, C) */                                                                              \
    void P##softmax_rows(float *y, const float *x, long R, int C);                                 \
    /* y (H, N, dv) = a (H, N, N) v (H, N, dv) */                                                  \
    void P##attn_mix(float *y, const float *a, const float *v, int H, int N, int dv);              \
    /* y (N, H dv) from x (H, N, dv) */                                                            \
    void P##concat_heads(float *y, const float *x, int H, int N, int dv, int T);                   \
    void P##add(float *y, const float *a, const float *b, long n);                                 \
    void P##relu(float *y, const float *x, long n);                                                \
    void P##gelu(float *y, const float *x, long n);                                                \
    /* u (N, V) = h (N, d) E[0..V)^T */                                                            \
    void P##unembed(float *u, const float *h, const float *E, int N, int d, int V);

// Per-head tensors of a batch are (B H, T, dk): head h of sequence b is block b H + h. Token
// i (of N = B T) is row i mod T of block (i / T) H + h.
#define SF_HEAD_ROW(i, h, H, T)                                                                    \
    ((size_t)(((i) / (T)) * (H) + (h)) * (size_t)(T) + (size_t)((i) % (T)))

// Backward twins: they add into every gradient they are given; NULL outputs are skipped.
#define SF_OPS_GRAD_TWINS(P)                                                                       \
    /* dE (V, d): rows ids[i] += dx[i] */                                                          \
    void P##embed_tok_backward(float *dE, const float *dx, const int *ids, int N, int d);          \
    /* dx += c dy */                                                                               \
    void P##axpy(float *dx, float c, const float *dy, long n);                                     \
    void P##ln_affine_backward(float *dxhat, float *dg, float *db, const float *xhat,              \
                               const float *g, const float *dy, int N, int d);                     \
    void P##ln_norm_backward(float *dx, float *dstats, const float *x, const float *stats,         \
                             const float *dxhat, int N, int d);                                    \
    void P##ln_stats_backward(float *dx, const float *x, const float *stats, const float *dstats,  \
                              int N, int d);                                                       \
    void P##linear_backward(float *dx, float *dW, float *db, const float *x, const float *W,       \
                            const float *dy, int N, int din, int dout);                            \
    void P##linear_heads_backward(float *dx, float *dW, float *db, const float *x, const float *W, \
                                  const float *dy, int N, int d, int H, int dk, int T);            \
    void P##attn_scores_backward(float *dq, float *dk, const float *q, const float *k,             \
                                 const float *ds, int H, int N, int dkk);                          \
    void P##softmax_rows_backward(float *dx, const float *y, const float *dy, long R, int C);      \
    void P##attn_mix_backward(float *da, float *dv, const float *a, const float *v,                \
                              const float *dy, int H, int N, int dvv);                             \
    void P##relu_backward(float *dx, const float *x, const float *dy, long n);                     \
    void P##gelu_backward(float *dx, const float *x, const float *dy, long n);                     \
    void P##unembed_backward(float *dh, float *dE, const float *h, const float *E,                 \
                             const float *du, int N, int d, int V);                                \
    void P##adamw(float *p, float *m, float *v, float *delta, const float *g, long n, float lr,    \
                  float b1, float b2, float eps, float wd, double bc1, double bc2);

SF_OPS_TWINS(ref_)
SF_OPS_TWINS(fast_)
SF_OPS_GRAD_TWINS(ref_)
SF_OPS_GRAD_TWINS(fast_)

// Kernels with no faster form than their loop (a gather, a scatter or one lookup per row):
// both twins run these.
void ref_causal_mask_backward(float *dx, const float *dy, int H, int N, int T);
void ref_embed_pos_backward(float *dP, const float *dy, int N, int d, int T);
void ref_concat_heads_backward(float *dx, const float *dy, int H, int N, int dv, int T);
void ref_xent(float *loss, const float *probs, const int *targets, int N, int V);
void ref_xent_backward(float *dprobs, const float *probs, const int *targets, int N, int V,
                       float scale);

#endif
