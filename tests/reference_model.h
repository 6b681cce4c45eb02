// An independent float64 forward pass for the tests: per-token loops over J&M ch. 9 (9.1, 9.2).
#ifndef STEPFORMER_TEST_REFERENCE_MODEL_H
#define STEPFORMER_TEST_REFERENCE_MODEL_H

#include "stepformer/model.h"

// Each token is run through the whole stack on its own, in order, the way the textbook writes
// the equations for one position i (and the way generation runs): it attends to the keys and
// values the earlier positions j <= i left behind in each block. Nothing here calls the ops or
// the graph; the model is only read (its float weights are widened to double). Every switch of
// struct model_config is honoured: pre/post norm, final norm, learned/sinusoidal/no positions,
// ReLU/GELU, biases, tied/untied head.
//
// Shapes below: N tokens, L layers, H heads, d model width, dk = d / H, F = d_ff,
// V = vocab_size. Post-norm blocks compute x = LN1(x + attn(x)); x = LN2(x + ffn(x)).

// Optional outputs of one pass; a NULL pointer is skipped. All arrays are caller-owned.
struct reference_trace {
    double *x0;        // (N, d) E[id_i] + position i: the input of block 0
    double *ln1_stats; // (L, N, 2) mu, sigma of LN1's input (pre-norm: the block input;
                       //           post-norm: resid1)
    double *q;         // (L, H, N, dk) queries, bias included
    double *k;         // (L, H, N, dk) keys
    double *v;         // (L, H, N, dk) values
    double *attn;      // (L, H, N, N) alpha, exactly 0 above the diagonal
    double *attn_out;  // (L, N, d) a_i = concat_c(head_i^c) W^O + b^O
    double *resid1;    // (L, N, d) the block input plus a_i
    double *ln2_stats; // (L, N, 2) mu, sigma of LN2's input (pre-norm: resid1;
                       //           post-norm: resid2)
    double *ffn_act;   // (L, N, F) the FFN's hidden layer after ReLU or GELU
    double *ffn_out;   // (L, N, d) the FFN's output (after W2 and b2)
    double *resid2;    // (L, N, d) the FFN's input plus its output
    double *block_out; // (L, N, d) each block's output (= resid2 for pre-norm,
                       //           LN2(resid2) for post-norm)
    double *lnf_stats; // (N, 2) mu, sigma of the final norm's input; untouched without one
    double *h;         // (N, d) what the head multiplies (after the final norm, if any)
    double *logits;    // (N, V) u_i = h_i E^T (tied) or h_i U^T (untied)
    double *probs;     // (N, V) softmax of u_i
};

// Runs ids[0..n) through m and fills the outputs asked for in tr. Returns 0, SF_ERR_EMPTY
// (n < 1), SF_ERR_TOOLONG (n > n_ctx), SF_ERR_RANGE (an id outside [0, V)), SF_ERR_ARG
// (a weight the switches need is absent or has the wrong size) or SF_ERR_NOMEM.
int reference_forward_trace(const struct model *m, const int *ids, int n,
                            struct reference_trace *tr);

// Computes logits (N, V) and, if attn != NULL, the attention weights (L, H, N, N) in double.
// logits may be NULL too. Same return codes as reference_forward_trace.
int reference_forward(const struct model *m, const int *ids, int n, double *logits, double *attn);

#endif
