// Forward kernels of a decoder-only transformer, each in two twins: a reference loop
// (src/core/ops_ref.c: the teaching text and the test oracle) and a fast one
// (src/core/ops_blas.c: cblas and vectorisable loops). Tests hold the twins equal.
//
// Every op checks its shapes first and returns SF_ERR_SHAPE on a mismatch (never a crash),
// then runs the chosen twin. Outputs come first, then inputs. An output must not alias an
// input unless the comment says so. Orientation is the textbook's: row vectors, y = x W.
// N tokens, d model width, H heads, dk = d / H, V vocabulary, F feedforward width.
#ifndef STEPFORMER_OPS_H
#define STEPFORMER_OPS_H

#include "stepformer/tensor.h"

// Names the fast twin's BLAS and the kernel it runs, e.g. "OpenBLAS 0.3.21 (SkylakeX)".
const char *ops_backend_name(void);

enum op_impl {
    OP_IMPL_REF,  // obvious loops
    OP_IMPL_FAST, // cblas_sgemm / sgemv and vectorised loops
};

// x (N, d) = E[ids[i]] for i < N; E (V, d). An id outside [0, V) is SF_ERR_RANGE.
int op_embed_tok(enum op_impl im, struct tensor *x, const struct tensor *E, const int *ids);
// y (N, d) = x (N, d) + P[i] for the first N rows of P (n_ctx, d). y may alias x.
int op_embed_pos_learned(enum op_impl im, struct tensor *y, const struct tensor *x,
                         const struct tensor *P);
// y (N, d) = x + PE, PE[i][2j] = sin(i / 10000^(2j/d)), PE[i][2j+1] = cos(i / 10000^(2j/d)).
// y may alias x.
int op_embed_pos_sinusoidal(enum op_impl im, struct tensor *y, const struct tensor *x);

// LayerNorm in three steps, per token (row) over its d components:
// stats (N, 2): stats[i][0] = mu_i = mean_j x_ij, stats[i][1] = sigma_i = sqrt(var_i + eps)
// with var_i = mean_j (x_ij - mu_i)^2.
int op_ln_stats(enum op_impl im, struct tensor *stats, const struct tensor *x, float eps);
// xhat (N, d) = (x - mu_i) / sigma_i
int op_ln_norm(enum op_impl im, struct tensor *xhat, const struct tensor *x,
               const struct tensor *stats);
// y (N, d) = gamma (d) * xhat + beta (d). beta may be absent. y may alias xhat.
int op_ln_affine(enum op_impl im, struct tensor *y, const struct tensor *xhat,
                 const struct tensor *gamma, const struct tensor *beta);

// y (N, dout) = x (N, din) W (din, dout) + b (dout). b may be absent (NULL or not present).
int op_linear(enum op_impl im, struct tensor *y, const struct tensor *x, const struct tensor *W,
              const struct tensor *b);
// The per-head projections Q = X W^Q (and K, V), split by head:
// y (H, N, dk) with y[h][i][c] = (x W + b)[i][h*dk + c]; W (d, H*dk), b (H*dk) or absent.
int op_linear_heads(enum op_impl im, struct tensor *y, const struct tensor *x,
                    const struct tensor *W, const struct tensor *b);

// s (H, N, N): s[h][i][j] = q[h][i] . k[h][j] for every pair (the mask is a separate op).
int op_attn_scores(enum op_impl im, struct tensor *s, const struct tensor *q,
                   const struct tensor *k);
// y = c * x, any shape. y may alias x.
int op_scale(enum op_impl im, struct tensor *y, const struct tensor *x, float c);
// y (H, N, N) = x + M, M[i][j] = -inf where j > i (the future), 0 elsewhere. y may alias x.
int op_causal_mask(enum op_impl im, struct tensor *y, const struct tensor *x);
// Softmax over the last dimension of any shape: y = exp(x - max) / sum. An entry of -inf
// gives exactly 0; a row that is all -inf gives all zeros. y may alias x.
int op_softmax_rows(enum op_impl im, struct tensor *y, const struct tensor *x);
// y (H, N, dv) = alpha (H, N, N) v (H, N, dv), per head.
int op_attn_mix(enum op_impl im, struct tensor *y, const struct tensor *alpha,
                const struct tensor *v);
// y (N, H*dv) with y[i][h*dv + c] = x[h][i][c]; x (H, N, dv).
int op_concat_heads(enum op_impl im, struct tensor *y, const struct tensor *x);

// y = a + b, same shapes (the residual add). y may alias a or b.
int op_add(enum op_impl im, struct tensor *y, const struct tensor *a, const struct tensor *b);
// y = max(x, 0). y may alias x.
int op_relu(enum op_impl im, struct tensor *y, const struct tensor *x);
// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's GELU. y may alias x.
int op_gelu(enum op_impl im, struct tensor *y, const struct tensor *x);
// u (N, V) = h (N, d) E^T, the tied unembedding; E (V_E, d) with V_E >= V: only the first V
// rows are used (so a padded table works).
int op_unembed(enum op_impl im, struct tensor *u, const struct tensor *h, const struct tensor *E);

#endif
