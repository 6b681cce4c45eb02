// The op graph: a model plus an input compiled into a flat list of operations, each carrying
// its role in the model from one table, and the stepper cursor that runs them one at a time,
// keeping every output.
#ifndef STEPFORMER_GRAPH_H
#define STEPFORMER_GRAPH_H

#include "stepformer/arena.h"
#include "stepformer/err.h"
#include "stepformer/model.h"
#include "stepformer/ops.h"
#include "stepformer/sampler.h"
#include "stepformer/tensor.h"

// X(kind, name, help, backward): one row per op kind, the kernel a node runs: its name, what it
// does, and what its backward step computes (shown for grad.<node> of a node of this kind;
// empty for the kinds that have none).
#define SF_OPKIND_LIST(X)                                                                          \
    X(EMBED_TOK, "embed_tok", "look up token embeddings",                                          \
      "Backward: each token's gradient is added to its row of E.")                                 \
    X(EMBED_POS, "embed_pos", "add position embeddings",                                           \
      "Backward: the gradient passes to x unchanged and is added to P[i].")                        \
    X(LN_STATS, "ln_stats", "LayerNorm mean and sigma per token",                                  \
      "Backward: dx += dmu/d + dsigma (x - mu) / (d sigma).")                                      \
    X(LN_NORM, "ln_norm", "LayerNorm normalisation",                                               \
      "Backward: dx += dxhat / sigma; dmu and dsigma collect from every component.")               \
    X(LN_AFFINE, "ln_affine", "LayerNorm gain and bias",                                           \
      "Backward: dxhat = dy * gamma; dgamma = sum dy * xhat; dbeta = sum dy.")                     \
    X(LINEAR_HEADS, "linear_heads", "projection split into heads",                                 \
      "Backward: dX = dQ W^T per head, dW = X^T dQ, db = sum of dQ.")                              \
    X(SCORES, "scores", "query-key dot products",                                                  \
      "Backward: dq_i = sum_j ds_ij k_j and dk_j = sum_i ds_ij q_i.")                              \
    X(SCALE, "scale", "scale by a constant",                                                       \
      "Backward: the gradient is scaled by the same 1/sqrt(d_k).")                                 \
    X(MASK, "mask", "causal mask", "Backward: nothing flows through the masked (future) entries.") \
    X(SOFTMAX, "softmax", "softmax along rows",                                                    \
      "Backward: dz_k = y_k (dy_k - sum_j dy_j y_j) along each row.")                              \
    X(MIX, "mix", "attention-weighted sum of values",                                              \
      "Backward: dalpha = dhead V^T and dV = alpha^T dhead, per head.")                            \
    X(CONCAT, "concat", "concatenate heads",                                                       \
      "Backward: the gradient is split back into the heads.")                                      \
    X(LINEAR, "linear", "linear layer",                                                            \
      "Backward: dx = dy W^T, dW = x^T dy, db = sum of dy over tokens.")                           \
    X(ADD, "add", "residual add", "Backward: a sum passes its gradient to both terms unchanged.")  \
    X(RELU, "relu", "ReLU", "Backward: the gradient passes where the input was positive, else 0.") \
    X(GELU, "gelu", "GELU (tanh form)", "Backward: the gradient is multiplied by GELU'(x).")       \
    X(UNEMBED, "unembed", "unembedding (logits)",                                                  \
      "Backward: dh = du E and dE += du^T h (E is shared with the input).")                        \
    X(XENT, "xent", "cross-entropy loss", "")                                                      \
    X(GRAD, "grad", "backward through a forward op", "")                                           \
    X(ADAMW, "adamw", "AdamW parameter update", "")                                                \
    X(SAMPLE_TEMPERATURE, "sample_temperature", "logits divided by the temperature", "")           \
    X(SAMPLE_PROBS, "sample_probs", "softmax of the tempered logits", "")                          \
    X(SAMPLE_TRUNCATE, "sample_truncate", "top-k / top-p cut", "")                                 \
    X(SAMPLE_RENORM, "sample_renorm", "renormalise what is kept", "")                              \
    X(SAMPLE_DRAW, "sample_draw", "greedy choice or random draw", "")                              \
    X(SAMPLE_APPEND, "sample_append", "append the chosen token", "")

enum op_kind {
#define SF_X(kind, name, help, backward) OPK_##kind,
    SF_OPKIND_LIST(SF_X)
#undef SF_X
        OPK_COUNT
};

const char *op_kind_name(enum op_kind k);

// Textbook sections (J&M, Speech and Language Processing, ch. 9 and 10), by number and title.
#define SF_SEC_ATTN   "9.1 Attention"
#define SF_SEC_BLOCK  "9.2 Transformer Blocks"
#define SF_SEC_MATRIX "9.3 Parallelizing computation using a single matrix X"
#define SF_SEC_INPUT  "9.4 The input: embeddings for token and position"
#define SF_SEC_HEAD   "9.5 The Language Modeling Head"
#define SF_SEC_TRAIN  "10.3.1 Self-supervised training algorithm"
#define SF_SEC_SAMPLE "10.2 Sampling for LLM Generation"

// The explanations the LayerNorms of every block share.
#define SF_LN_STATS_TEXT                                                                           \
    "LayerNorm 1/3: mean mu and standard deviation sigma over each token's d components."
#define SF_LN_NORM_TEXT   "LayerNorm 2/3: x-hat = (x - mu) / sigma, per token."
#define SF_LN_AFFINE_TEXT "LayerNorm 3/3: scale by gamma and shift by beta (learned)."
#define SF_LNF_TEXT       "Final LayerNorm before the language modeling head."

// What a node is in the model: one row per role, the one place that says so. Every node
// carries its role, set by the graph builder; nothing downstream reads it from the name.
// X(role, kind, panel, unit, op, symbol, matrix, section, explain):
//   kind     the op kind it runs (enum op_kind)
//   panel    the panel that shows its output: render's PANEL_<panel> (the engine ignores it)
//   unit, op its name inside a block is "L{l}.unit.op" (outside: "unit.op"; no unit: "op");
//            grad.X and adamw.P are named after the node X or the parameter P instead
//   symbol   the textbook's symbol for its output
//   matrix   the matrix it applies (a parameter, the position code or the mask), "" for none
//   section  the textbook section
//   explain  one line for `stepformer trace --list`, the status line and the equation panel
//            (a grad node shows instead what the backward step of its forward node's kind does)
#define SF_NODE_ROLE_LIST(X)                                                                       \
    X(EMBED_TOK, EMBED_TOK, ACTIVATIONS, "embed", "tok", "X", "E", SF_SEC_INPUT,                   \
      "Look up each token's row of the embedding matrix E: x_i = E[id_i].")                        \
    X(EMBED_POS_LEARNED, EMBED_POS, ACTIVATIONS, "embed", "pos", "X", "P", SF_SEC_INPUT,           \
      "Add the learned position embedding P[i] to each token's vector, so order is visible.")      \
    X(EMBED_POS_SINUSOIDAL, EMBED_POS, ACTIVATIONS, "embed", "pos", "X", "PE", SF_SEC_INPUT,       \
      "Add the fixed sinusoidal position code PE[i] to each token's vector, so order is visible.") \
    X(LN1_STATS, LN_STATS, LAYERNORM, "ln1", "stats", "μ, σ", "", SF_SEC_BLOCK, SF_LN_STATS_TEXT)  \
    X(LN1_NORM, LN_NORM, LAYERNORM, "ln1", "norm", "xhat", "", SF_SEC_BLOCK, SF_LN_NORM_TEXT)      \
    X(LN1_AFFINE, LN_AFFINE, LAYERNORM, "ln1", "affine", "LayerNorm(x)", "γ, β", SF_SEC_BLOCK,     \
      SF_LN_AFFINE_TEXT)                                                                           \
    X(ATTN_Q, LINEAR_HEADS, QKV, "attn", "q", "Q", "W^Q", SF_SEC_ATTN,                             \
      "Queries Q = X W^Q, one block of columns per head: what each token seeks.")                  \
    X(ATTN_K, LINEAR_HEADS, QKV, "attn", "k", "K", "W^K", SF_SEC_ATTN,                             \
      "Keys K = X W^K per head: what each token offers to be matched against.")                    \
    X(ATTN_V, LINEAR_HEADS, QKV, "attn", "v", "V", "W^V", SF_SEC_ATTN,                             \
      "Values V = X W^V per head: what each token passes on when attended to.")                    \
    X(ATTN_SCORES, SCORES, ATTENTION, "attn", "scores", "Q K^T", "", SF_SEC_MATRIX,                \
      "Scores Q K^T: the dot product q_i . k_j for every pair, per head.")                         \
    X(ATTN_SCALE, SCALE, ATTENTION, "attn", "scale", "Q K^T / √d_k", "", SF_SEC_ATTN,              \
      "Divide the scores by sqrt(d_k) so the softmax does not saturate.")                          \
    X(ATTN_MASK, MASK, ATTENTION, "attn", "mask", "S + M", "M", SF_SEC_MATRIX,                     \
      "Causal mask: add -inf above the diagonal, so no token can attend to a later one.")          \
    X(ATTN_SOFTMAX, SOFTMAX, ATTENTION, "attn", "softmax", "α", "", SF_SEC_ATTN,                   \
      "Softmax along each row: weights alpha_ij >= 0 that sum to 1; masked entries become 0.")     \
    X(ATTN_MIX, MIX, QKV, "attn", "mix", "head", "", SF_SEC_ATTN,                                  \
      "Weighted sum of the values: head_i = sum_j alpha_ij v_j, per head.")                        \
    X(ATTN_CONCAT, CONCAT, ACTIVATIONS, "attn", "concat", "concat(heads)", "", SF_SEC_ATTN,        \
      "Concatenate the heads side by side into one row per token.")                                \
    X(ATTN_PROJ, LINEAR, ACTIVATIONS, "attn", "proj", "A", "W^O", SF_SEC_ATTN,                     \
      "Output projection W^O maps the concatenated heads back to width d.")                        \
    X(RESID1, ADD, RESIDUAL, "", "resid1", "h", "", SF_SEC_BLOCK,                                  \
      "Residual add: the attention output is added to the stream, x + a.")                         \
    X(LN2_STATS, LN_STATS, LAYERNORM, "ln2", "stats", "μ, σ", "", SF_SEC_BLOCK, SF_LN_STATS_TEXT)  \
    X(LN2_NORM, LN_NORM, LAYERNORM, "ln2", "norm", "xhat", "", SF_SEC_BLOCK, SF_LN_NORM_TEXT)      \
    X(LN2_AFFINE, LN_AFFINE, LAYERNORM, "ln2", "affine", "LayerNorm(x)", "γ, β", SF_SEC_BLOCK,     \
      SF_LN_AFFINE_TEXT)                                                                           \
    X(FFN_UP, LINEAR, FFN, "ffn", "up", "z", "W1", SF_SEC_BLOCK,                                   \
      "Feedforward layer 1: expand each token to d_ff, x W1 + b1.")                                \
    X(FFN_RELU, RELU, FFN, "ffn", "act", "ReLU(z)", "", SF_SEC_BLOCK,                              \
      "ReLU, elementwise: max(0, z).")                                                             \
    X(FFN_GELU, GELU, FFN, "ffn", "act", "GELU(z)", "", SF_SEC_BLOCK,                              \
      "GELU (tanh form), elementwise: a smooth version of ReLU.")                                  \
    X(FFN_DOWN, LINEAR, FFN, "ffn", "down", "FFN(x)", "W2", SF_SEC_BLOCK,                          \
      "Feedforward layer 2: project back to width d, z W2 + b2.")                                  \
    X(RESID2, ADD, RESIDUAL, "", "resid2", "h", "", SF_SEC_BLOCK,                                  \
      "Residual add: the feedforward output is added to the stream; the block's output.")          \
    X(LNF_STATS, LN_STATS, LAYERNORM, "lnf", "stats", "μ, σ", "", SF_SEC_HEAD, SF_LNF_TEXT)        \
    X(LNF_NORM, LN_NORM, LAYERNORM, "lnf", "norm", "xhat", "", SF_SEC_HEAD, SF_LNF_TEXT)           \
    X(LNF_AFFINE, LN_AFFINE, LAYERNORM, "lnf", "affine", "LayerNorm(x)", "γ, β", SF_SEC_HEAD,      \
      SF_LNF_TEXT)                                                                                 \
    X(HEAD_LOGITS_TIED, UNEMBED, NEXT_TOKEN, "head", "logits", "u", "E^T", SF_SEC_HEAD,            \
      "Unembedding: logits u = h E^T, one score per vocabulary token (E is tied).")                \
    X(HEAD_LOGITS_UNTIED, UNEMBED, NEXT_TOKEN, "head", "logits", "u", "U", SF_SEC_HEAD,            \
      "Unembedding: logits u = h U, one score per vocabulary token.")                              \
    X(HEAD_PROBS, SOFTMAX, NEXT_TOKEN, "head", "probs", "y", "", SF_SEC_HEAD,                      \
      "Softmax over the vocabulary: a next-token distribution per position.")                      \
    X(LOSS_XENT, XENT, TRAINING, "loss", "xent", "L", "", SF_SEC_TRAIN,                            \
      "Cross-entropy: L_i = -ln p_i(next token), per position, and their mean (the loss).")        \
    X(GRAD, GRAD, TRAINING, "grad", "", "∂L/∂", "", SF_SEC_TRAIN,                                  \
      "Backward through one op: its inputs' gradients from its output's.")                         \
    X(ADAMW, ADAMW, TRAINING, "adamw", "", "ΔW", "", SF_SEC_TRAIN,                                 \
      "AdamW update: decay the weights, then step against the bias-corrected gradient moments.")   \
    X(SAMPLE_TEMPERATURE, SAMPLE_TEMPERATURE, NEXT_TOKEN, "sample", "temperature", "u / τ", "",    \
      SF_SEC_SAMPLE,                                                                               \
      "Temperature: divide the last position's logits by tau (below 1 sharpens, above 1 "          \
      "flattens).")                                                                                \
    X(SAMPLE_PROBS, SAMPLE_PROBS, NEXT_TOKEN, "sample", "probs", "p", "", SF_SEC_SAMPLE,           \
      "Softmax of the tempered logits: y = softmax(u / tau).")                                     \
    X(SAMPLE_TRUNCATE, SAMPLE_TRUNCATE, NEXT_TOKEN, "sample", "truncate", "p", "", SF_SEC_SAMPLE,  \
      "Truncate: keep the top-k tokens, then the fewest whose mass reaches p; zero the rest.")     \
    X(SAMPLE_RENORM, SAMPLE_RENORM, NEXT_TOKEN, "sample", "renorm", "p", "", SF_SEC_SAMPLE,        \
      "Renormalise: divide what is kept by its sum, so it sums to 1.")                             \
    X(SAMPLE_DRAW, SAMPLE_DRAW, NEXT_TOKEN, "sample", "draw", "w", "", SF_SEC_SAMPLE,              \
      "Choose: the most probable token (greedy) or a random draw from the kept distribution.")     \
    X(SAMPLE_APPEND, SAMPLE_APPEND, NEXT_TOKEN, "sample", "append", "ids", "", SF_SEC_SAMPLE,      \
      "Append the chosen token to the input: the next pass conditions on it (autoregression).")

enum node_role {
#define SF_X(role, kind, panel, unit, op, symbol, matrix, section, explain) ROLE_##role,
    SF_NODE_ROLE_LIST(SF_X)
#undef SF_X
        ROLE_COUNT
};

// A row of the role table (without the panel, which is render's).
struct node_role_info {
    enum op_kind kind;
    const char *unit, *op, *symbol, *matrix, *section, *explain;
};

// The row of role r (r must be a role: anything else is a failed assert).
const struct node_role_info *node_role_info(enum node_role r);

// What a node closes, for step-over: the last op of a sublayer (attention or FFN with its
// residual add, the final norm) or of a block (a transformer block, the input encoding, the
// LM head).
enum node_level { NODE_LEVEL_OP = 0, NODE_LEVEL_SUBLAYER = 1, NODE_LEVEL_BLOCK = 2 };

#define SF_NODE_NAME_MAX 64
#define SF_NODE_MAX_IN   3

struct node {
    char name[SF_NODE_NAME_MAX]; // stable dotted name, "L0.attn.q": for people, the CLI, lessons
    enum node_role role;         // what it is: its row of the role table
    enum op_kind kind;           // the role's kind, the kernel it runs
    int layer;                   // block index, -1 outside blocks (grad.X: X's)
    enum node_level level;
    const char *section;                     // the role's textbook section: "9.1 Attention"
    const char *explain;                     // the role's one line (grad.X: X's backward)
    const struct tensor *in[SF_NODE_MAX_IN]; // earlier outputs or parameters (NULL = unused)
    float scalar;                            // eps for ln_stats, the factor for scale
    struct tensor out;                       // kept in the graph's activation arena
    // Training graphs only:
    struct tensor dout;                 // dL/d(out) of a forward node (zeroed by loss.xent)
    struct tensor *din[SF_NODE_MAX_IN]; // where grad.<this> adds dL/d(in[k]), or NULL
    int fwd;                            // grad.X: the index of X in nodes; -1 for other nodes
    const struct param_ref *param;      // adamw.P: P, in the graph's params; NULL for others
};

// Interventions on a forward pass, to see what a part of the model does by taking it away.
struct intervention {
    const unsigned char *head_off; // (n_layer, n_head): 1 zeroes that head's output; NULL: none
    int no_positions;              // 1: embed.pos adds nothing
};

struct graph;
// Told about each node right after it ran.
typedef void (*graph_observer_fn)(const struct graph *g, const struct node *n, void *user);

// The optimizer's state for one model, kept across training steps (owned by the caller).
struct optimizer {
    struct adamw_params hp;
    int step;     // updates made so far; the next uses t = step + 1
    float *m, *v; // (n_params) first and second moments, in the model's parameter order
    float *grads; // (n_params) dL/d(parameters), filled by the backward pass
    size_t n_params;
};

int optimizer_init(struct optimizer *o, const struct model *m, const struct adamw_params *hp);
void optimizer_free(struct optimizer *o);
// The part of o->grads that belongs to parameter tensor p of m (same shape).
struct tensor optimizer_grad(const struct optimizer *o, const struct model *m,
                             const struct tensor *p);

struct graph {
    const struct model *model; // borrowed
    enum op_impl impl;
    int n_tokens;       // N: all tokens, n_tokens / seq_len sequences of seq_len each
    int seq_len;        // T: tokens per sequence (n_tokens for the one-sequence graph)
    int *ids;           // (n_tokens), owned
    struct node *nodes; // (n_nodes), owned
    int n_nodes;
    int cursor;       // nodes [0, cursor) have run and their outputs are current
    int computed;     // nodes [0, computed) hold valid outputs (>= cursor after a step back)
    struct arena act; // activations
    graph_observer_fn observer;
    void *observer_user;
    struct intervention iv; // kept across rebuilds, like the observer
    int n_forward;          // nodes [0, n_forward) are the forward pass
    // Training graphs only:
    struct model *trained;      // the model the adamw nodes update (same as model)
    struct optimizer *opt;      // borrowed
    int *targets;               // (n_tokens), owned
    int n_params;               // parameter tensors, in model_params order
    struct param_ref *params;   // (n_params), owned
    struct tensor *param_grads; // (n_params) views into opt->grads, owned
    float loss;                 // mean cross-entropy, set when loss.xent runs
    // Generation graphs only:
    struct sampler *sampler; // borrowed
    int drawn;               // the token sample.draw chose (-1 before it runs)
};

// Compiles model + input into the node list, in the order the model computes (a LayerNorm is
// three nodes in a row: stats, norm, affine), and allocates every output. The input must be
// non-empty, at most n_ctx long and inside the vocabulary; d says which id or length is at
// fault. g must be zeroed or freed; on error it is left freed.
int graph_build(struct graph *g, const struct model *m, const int *ids, int n, enum op_impl impl,
                struct sf_diag *d);
// Compiles one training iteration: the forward pass, loss.xent (per position and mean), one
// grad.<node> per forward node in reverse order, then adamw.<parameter> per parameter. targets
// has n entries inside the vocabulary (d names one that is not). Gradients go into opt->grads
// and the updates change m's parameters with step t = opt->step + 1 (the caller advances
// opt->step after the pass).
// A batch is n / seq_len sequences of seq_len tokens one after another: positions restart
// and attention stays inside each sequence (seq_len = n for one sequence).
int graph_build_train(struct graph *g, struct model *m, const int *ids, const int *targets, int n,
                      int seq_len, enum op_impl impl, struct optimizer *opt, struct sf_diag *d);

// Compiles the forward pass followed by the sampling nodes for the next token:
// sample.temperature, sample.probs, sample.truncate, sample.renorm, sample.draw and
// sample.append (whose output is the input with the chosen token added, as floats). s says
// greedy or random, the temperature, top-k and top-p, and holds the random state.
int graph_build_generate(struct graph *g, const struct model *m, const int *ids, int n,
                         enum op_impl impl, struct sampler *s, struct sf_diag *d);

// Replaces the tokens (and, for a training graph, the targets) with as many new ones and
// returns the cursor to the start, keeping every allocation: the training loop's next batch.
int graph_set_tokens(struct graph *g, const int *ids, const int *targets, struct sf_diag *d);

// Rebuilds for a new input (same model, impl and observer); the cursor returns to the start.
int graph_set_input(struct graph *g, const int *ids, int n, struct sf_diag *d);
void graph_free(struct graph *g);
void graph_set_observer(struct graph *g, graph_observer_fn fn, void *user);
// Sets the interventions (iv->head_off is borrowed and must outlive the graph) and marks every
// output stale; the cursor goes back to the start, so the caller reruns to where it was.
void graph_set_intervention(struct graph *g, const struct intervention *iv);
// Marks the outputs of nodes [from, n_nodes) stale, so they are recomputed when stepped to
// (after a change to the weights, or to time the kernels). Moves the cursor back to from if
// it was past it.
void graph_invalidate(struct graph *g, int from);

// Index of the node called name, or -1.
int graph_find(const struct graph *g, const char *name);
// Index of the first node with this role in block `layer` (-1: outside blocks), or -1.
int graph_find_role(const struct graph *g, int layer, enum node_role role);
// The node under the cursor (next to run), or NULL at the end.
const struct node *graph_current(const struct graph *g);
// The node that ran last, or NULL at the start.
const struct node *graph_last(const struct graph *g);
// 1 when node i's output is current (it ran and the cursor is past it).
int graph_node_done(const struct graph *g, int i);

// The stepper. Each returns 1 if it moved, 0 when there was nowhere to go, <0 on error.
// Runs the node under the cursor, tells the observer, advances.
int graph_step(struct graph *g);
// Moves the cursor back one node; outputs are kept, so this computes nothing.
int graph_back(struct graph *g);
// Steps until a node that closes a sublayer (or block) has run.
int graph_next_sublayer(struct graph *g);
// Steps until a node that closes a block has run.
int graph_next_block(struct graph *g);
// Moves so that the node called name has just run (forward by stepping, backward for free).
// SF_ERR_NOTFOUND for an unknown name.
int graph_goto(struct graph *g, const char *name);
int graph_goto_index(struct graph *g, int index);
int graph_run_to_end(struct graph *g);
// Back to the start; outputs are kept.
void graph_reset(struct graph *g);

// The index of the forward node that ends block `layer` (its output is the stream after the
// block), or -1 when there is no such block.
int graph_block_end(const struct graph *g, int layer);

// The logit lens at block `layer`, which must have run: the final norm (when the model has
// one) and the unembedding applied to the residual stream after the block, at every position.
// top and prob (n_tokens each) get the most probable next token and its probability.
// Returns 0, SF_ERR_ARG when the block has not run, or SF_ERR_NOMEM.
int graph_logit_lens(const struct graph *g, int layer, int *top, float *prob);

// Up to max names of nodes closest to name (edit distance, then shared prefix), for
// "did you mean" messages. Returns the count.
int graph_suggest(const struct graph *g, const char *name, const char **out, int max);

#endif
