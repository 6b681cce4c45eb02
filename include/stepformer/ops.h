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

// Profiling the matrix products, for `stepformer bench`: while a log is active, every
// cblas_sgemm call of the fast twins is timed and counted, and the first `cap` are remembered
// with their arguments, so the same products can be run again back to back (the library's
// floor for that work). One log at a time; not for threads of the caller's own.
struct sgemm_call {
    int trans_a, trans_b, M, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
};
struct sgemm_log {
    struct sgemm_call *calls; // (cap), the caller's
    int cap, n;               // n counts every call, also those past cap
    double seconds, flops;    // inside cblas_sgemm, added up
};
// Starts logging into log (NULL stops).
void ops_sgemm_log(struct sgemm_log *log);
// Runs the remembered calls again in order, back to back: an operand inside keep[0..n_keep)
// (the model's weights) is read where it is, every other operand and every output is a
// scratch buffer of its size (what the pass computed may since have been freed). The seconds
// taken, or -1 without memory for the scratch.
double ops_sgemm_replay(const struct sgemm_log *log, const float *keep, size_t n_keep);
// The BLAS library's thread count, and setting it (OpenBLAS; 1 and no-op for other providers).
int ops_blas_threads(void);
void ops_blas_set_threads(int n);

enum op_impl {
    OP_IMPL_REF,  // obvious loops
    OP_IMPL_FAST, // cblas_sgemm / sgemv and vectorised loops
};

// x (N, d) = E[ids[i]] for i < N; E (V, d). An id outside [0, V) is SF_ERR_RANGE.
int op_embed_tok(enum op_impl im, struct tensor *x, const struct tensor *E, const int *ids);
// Batches: N rows may hold N / T sequences of T tokens each, one after another; a token's
// position is i mod T, and attention stays inside its own sequence. T = N for one sequence.

// y (N, d) = x (N, d) + P[i mod T]; P (n_ctx, d) with n_ctx >= T. y may alias x.
int op_embed_pos_learned(enum op_impl im, struct tensor *y, const struct tensor *x,
                         const struct tensor *P, int T);
// y (N, d) = x + PE[i mod T], PE[p][2j] = sin(p / 10000^(2j/d)),
// PE[p][2j+1] = cos(p / 10000^(2j/d)). y may alias x.
int op_embed_pos_sinusoidal(enum op_impl im, struct tensor *y, const struct tensor *x, int T);

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
// For a batch of B sequences of T tokens (N = B T) y is (B H, T, dk): block b H + h holds
// head h of sequence b, so the attention ops below run on each sequence apart.
int op_linear_heads(enum op_impl im, struct tensor *y, const struct tensor *x,
                    const struct tensor *W, const struct tensor *b);

// s (H, N, N): s[h][i][j] = q[h][i] . k[h][j] for every pair (the mask is a separate op).
int op_attn_scores(enum op_impl im, struct tensor *s, const struct tensor *q,
                   const struct tensor *k);
// y = c * x, any shape. y may alias x.
int op_scale(enum op_impl im, struct tensor *y, const struct tensor *x, float c);
// y (B H, T, T) = x + M, M[i][j] = -inf where j > i (the future), 0 elsewhere. Each block
// is one head of one sequence, so no token sees another sequence; T (the sequence length)
// must be the blocks' size. y may alias x.
int op_causal_mask(enum op_impl im, struct tensor *y, const struct tensor *x, int T);
// Softmax over the last dimension of any shape: y = exp(x - max) / sum. An entry of -inf
// gives exactly 0; a row that is all -inf gives all zeros. y may alias x.
int op_softmax_rows(enum op_impl im, struct tensor *y, const struct tensor *x);
// y (H, N, dv) = alpha (H, N, N) v (H, N, dv), per head.
int op_attn_mix(enum op_impl im, struct tensor *y, const struct tensor *alpha,
                const struct tensor *v);
// y (N, H*dv) with y[i][h*dv + c] = x[h][i][c]; x (H, N, dv), or (B H, T, dv) for a batch.
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

// Backward kernels. Each reads the gradient of an op's output (dy) and the op's saved inputs
// or outputs, and ADDS the gradients of its inputs into dx, dW, ... (so a tensor read by
// several ops collects the sum, as the chain rule says). Parameter gradients are (+=) too.
// Any gradient output may be NULL when it is not wanted.

// dE (V, d): row ids[i] += dx[i] for each token i.
int op_embed_tok_backward(enum op_impl im, struct tensor *dE, const struct tensor *dx,
                          const int *ids);
// dP (n_ctx, d): row i mod T += dy[i].
int op_embed_pos_learned_backward(enum op_impl im, struct tensor *dP, const struct tensor *dy,
                                  int T);
// dx += c * dy, any shape: the backward of add (c = 1), scale (c) and the identity paths.
int op_axpy(enum op_impl im, struct tensor *dx, float c, const struct tensor *dy);
// LayerNorm, step by step, in reverse:
// affine: dxhat += dy * gamma; dgamma += sum_i dy * xhat; dbeta += sum_i dy.
int op_ln_affine_backward(enum op_impl im, struct tensor *dxhat, struct tensor *dgamma,
                          struct tensor *dbeta, const struct tensor *xhat,
                          const struct tensor *gamma, const struct tensor *dy);
// norm: xhat = (x - mu) / sigma, so dx += dxhat / sigma, dmu -= sum_c dxhat / sigma and
// dsigma -= sum_c dxhat (x - mu) / sigma^2; dstats (N, 2) holds (dmu, dsigma).
int op_ln_norm_backward(enum op_impl im, struct tensor *dx, struct tensor *dstats,
                        const struct tensor *x, const struct tensor *stats,
                        const struct tensor *dxhat);
// stats: mu = mean x, sigma = sqrt(var + eps): dx += dmu / d + dsigma (x - mu) / (d sigma).
int op_ln_stats_backward(enum op_impl im, struct tensor *dx, const struct tensor *x,
                         const struct tensor *stats, const struct tensor *dstats);
// linear y = x W + b: dx += dy W^T, dW += x^T dy, db += sum_i dy.
int op_linear_backward(enum op_impl im, struct tensor *dx, struct tensor *dW, struct tensor *db,
                       const struct tensor *x, const struct tensor *W, const struct tensor *dy);
// The same for the per-head projections, with dy (H, N, dk).
int op_linear_heads_backward(enum op_impl im, struct tensor *dx, struct tensor *dW,
                             struct tensor *db, const struct tensor *x, const struct tensor *W,
                             const struct tensor *dy);
// s = q k^T per head: dq += ds k, dk += ds^T q.
int op_attn_scores_backward(enum op_impl im, struct tensor *dq, struct tensor *dk,
                            const struct tensor *q, const struct tensor *k,
                            const struct tensor *ds);
// The mask adds a constant: dx += dy where the mask is 0; nothing flows through masked
// entries. dy (B H, T, T) as for op_causal_mask.
int op_causal_mask_backward(enum op_impl im, struct tensor *dx, const struct tensor *dy, int T);
// Softmax along rows, from its output y: dx += y * (dy - sum_j dy_j y_j).
int op_softmax_rows_backward(enum op_impl im, struct tensor *dx, const struct tensor *y,
                             const struct tensor *dy);
// y = alpha v per head: dalpha += dy v^T, dv += alpha^T dy.
int op_attn_mix_backward(enum op_impl im, struct tensor *dalpha, struct tensor *dv,
                         const struct tensor *alpha, const struct tensor *v,
                         const struct tensor *dy);
// dx (H, N, dv) += dy (N, H dv) split back into heads.
int op_concat_heads_backward(enum op_impl im, struct tensor *dx, const struct tensor *dy);
// dx += dy where x > 0.
int op_relu_backward(enum op_impl im, struct tensor *dx, const struct tensor *x,
                     const struct tensor *dy);
// dx += dy * GELU'(x) (tanh form).
int op_gelu_backward(enum op_impl im, struct tensor *dx, const struct tensor *x,
                     const struct tensor *dy);
// u = h E^T (first V rows): dh += du E, dE += du^T h.
int op_unembed_backward(enum op_impl im, struct tensor *dh, struct tensor *dE,
                        const struct tensor *h, const struct tensor *E, const struct tensor *du);

// Cross-entropy from probabilities: loss (N) = -ln probs[i][targets[i]]; *mean gets the
// average. A target outside [0, V) is SF_ERR_RANGE.
int op_xent(enum op_impl im, struct tensor *loss, float *mean, const struct tensor *probs,
            const int *targets);
// The gradient of scale * sum_i loss_i (scale = 1/N for the mean) with respect to probs:
// dprobs[i][targets[i]] += -scale / probs[i][targets[i]]; every other entry is 0.
int op_xent_backward(enum op_impl im, struct tensor *dprobs, const struct tensor *probs,
                     const int *targets, float scale);

// AdamW as torch.optim.AdamW: with g the gradient and t >= 1 the step number,
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p = p (1 - lr wd);
// p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). delta (same shape, optional)
// gets the change made to p.
struct adamw_params {
    float lr, beta1, beta2, eps, weight_decay;
};
// torch.optim.AdamW's defaults, the ones `stepformer train` and `trace --train` use:
// struct adamw_params hp = SF_ADAMW_DEFAULTS;
#define SF_ADAMW_DEFAULTS                                                                          \
    {                                                                                              \
        .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.01f           \
    }
int op_adamw(enum op_impl im, struct tensor *p, struct tensor *m, struct tensor *v,
             struct tensor *delta, const struct tensor *g, const struct adamw_params *hp, int t);

#endif
