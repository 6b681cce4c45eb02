// Internal: the reference kernel twins (the obvious loops in ops_ref.c) on raw pointers, and
// the signatures every twin shares. ops_blas.c declares its fast twins with the same macros;
// ops.c checks the shapes, then runs one twin. Arguments: outputs, inputs, sizes.
#ifndef STEPFORMER_OPS_REF_H
#define STEPFORMER_OPS_REF_H

#include <stddef.h>

// Per-head tensors of a batch are (B H, T, dk): head h of sequence b is block b H + h. Token
// i (of N = B T) is row i mod T of block (i / T) H + h.
#define SF_HEAD_ROW(i, h, H, T)                                                                    \
    ((size_t)(((i) / (T)) * (H) + (h)) * (size_t)(T) + (size_t)((i) % (T)))

// N tokens of B sequences of T tokens, d width, H heads, dk = dv = d / H the key and value
// widths, V vocabulary; b may be NULL (no bias). The attention kernels take every head of
// every sequence as one of H blocks of N rows: H = B heads, N = T.
#define SF_OPS_TWINS(P)                                                                            \
    /* x (N, d) = E[ids] */                                                                        \
    void P##embed_tok(float *x, const float *E, const int *ids, int N, int d);                     \
    /* y (N, d) = x + P[i mod T] */                                                                \
    void P##add_rows(float *y, const float *x, const float *pos, int N, int d, int T);             \
    /* y (N, d) = x + PE[i mod T], the sinusoidal position code */                                 \
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
    /* s (H, N, N) = q (H, N, dk) k^T per block */                                                 \
    void P##attn_scores(float *s, const float *q, const float *k, int H, int N, int dk);           \
    /* y = c x, n entries */                                                                       \
    void P##scale(float *y, const float *x, float c, long n);                                      \
    /* y (H, N, N) = x + M, M_ij = -inf where j > i (a later token), else 0 */                     \
    void P##causal_mask(float *y, const float *x, int H, int N);                                   \
    /* softmax of each of R rows of C entries */                                                   \
    void P##softmax_rows(float *y, const float *x, long R, int C);                                 \
    /* y (H, N, dv) = a (H, N, N) v (H, N, dv) */                                                  \
    void P##attn_mix(float *y, const float *a, const float *v, int H, int N, int dv);              \
    /* y (N, H dv) from x (B H, T, dv) */                                                          \
    void P##concat_heads(float *y, const float *x, int H, int N, int dv, int T);                   \
    void P##add(float *y, const float *a, const float *b, long n);                                 \
    void P##relu(float *y, const float *x, long n);                                                \
    void P##gelu(float *y, const float *x, long n);                                                \
    /* u (N, V) = h (N, d) E[0..V)^T */                                                            \
    void P##unembed(float *u, const float *h, const float *E, int N, int d, int V);

// Backward twins: they add into every gradient they are given; NULL outputs are skipped. In
// the two attention kernels dk and dv are the gradients of K and V, so the widths are d_k, d_v.
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
                                 const float *ds, int H, int N, int d_k);                          \
    void P##softmax_rows_backward(float *dx, const float *y, const float *dy, long R, int C);      \
    void P##attn_mix_backward(float *da, float *dv, const float *a, const float *v,                \
                              const float *dy, int H, int N, int d_v);                             \
    void P##relu_backward(float *dx, const float *x, const float *dy, long n);                     \
    void P##gelu_backward(float *dx, const float *x, const float *dy, long n);                     \
    void P##unembed_backward(float *dh, float *dE, const float *h, const float *E,                 \
                             const float *du, int N, int d, int V);                                \
    void P##adamw(float *p, float *m, float *v, float *delta, const float *g, long n, float lr,    \
                  float b1, float b2, float eps, float wd, double bc1, double bc2);

SF_OPS_TWINS(ref_)
SF_OPS_GRAD_TWINS(ref_)

// Kernels with no faster form than their loop (a gather, a scatter or one lookup per row):
// both twins run these.
// dx (H, N, N) += dy where j <= i: nothing flows through the masked entries.
void ref_causal_mask_backward(float *dx, const float *dy, int H, int N);
// dP (T, d) += dy (N, d) row by row, token i adding to row i mod T.
void ref_embed_pos_backward(float *dP, const float *dy, int N, int d, int T);
// dx (B H, T, dv) += the heads of dy (N, H dv): the inverse of concat_heads.
void ref_concat_heads_backward(float *dx, const float *dy, int H, int N, int dv, int T);
// loss (N) = -ln probs[i][targets[i]]
void ref_xent(float *loss, const float *probs, const int *targets, int N, int V);
// dprobs[i][targets[i]] += -scale / probs[i][targets[i]]
void ref_xent_backward(float *dprobs, const float *probs, const int *targets, int N, int V,
                       float scale);

#endif
