// The op graph: a model plus an input compiled into a flat list of named operations, and the
// stepper cursor that runs them one at a time, keeping every output.
#ifndef STEPFORMER_GRAPH_H
#define STEPFORMER_GRAPH_H

#include "stepformer/arena.h"
#include "stepformer/err.h"
#include "stepformer/model.h"
#include "stepformer/ops.h"
#include "stepformer/sampler.h"
#include "stepformer/tensor.h"

// X(kind, name, help): one row per op kind; the name table and help text come from here.
#define SF_OPKIND_LIST(X)                                                                          \
    X(EMBED_TOK, "embed_tok", "look up token embeddings")                                          \
    X(EMBED_POS, "embed_pos", "add position embeddings")                                           \
    X(LN_STATS, "ln_stats", "LayerNorm mean and sigma per token")                                  \
    X(LN_NORM, "ln_norm", "LayerNorm normalisation")                                               \
    X(LN_AFFINE, "ln_affine", "LayerNorm gain and bias")                                           \
    X(LINEAR_HEADS, "linear_heads", "projection split into heads")                                 \
    X(SCORES, "scores", "query-key dot products")                                                  \
    X(SCALE, "scale", "scale by a constant")                                                       \
    X(MASK, "mask", "causal mask")                                                                 \
    X(SOFTMAX, "softmax", "softmax along rows")                                                    \
    X(MIX, "mix", "attention-weighted sum of values")                                              \
    X(CONCAT, "concat", "concatenate heads")                                                       \
    X(LINEAR, "linear", "linear layer")                                                            \
    X(ADD, "add", "residual add")                                                                  \
    X(RELU, "relu", "ReLU")                                                                        \
    X(GELU, "gelu", "GELU (tanh form)")                                                            \
    X(UNEMBED, "unembed", "unembedding (logits)")                                                  \
    X(XENT, "xent", "cross-entropy loss")                                                          \
    X(GRAD, "grad", "backward through a forward op")                                               \
    X(ADAMW, "adamw", "AdamW parameter update")                                                    \
    X(SAMPLE_TEMPERATURE, "sample_temperature", "logits divided by the temperature")               \
    X(SAMPLE_PROBS, "sample_probs", "softmax of the tempered logits")                              \
    X(SAMPLE_TRUNCATE, "sample_truncate", "top-k / top-p cut")                                     \
    X(SAMPLE_RENORM, "sample_renorm", "renormalise what is kept")                                  \
    X(SAMPLE_DRAW, "sample_draw", "greedy choice or random draw")                                  \
    X(SAMPLE_APPEND, "sample_append", "append the chosen token")

enum op_kind {
#define SF_X(kind, name, help) OPK_##kind,
    SF_OPKIND_LIST(SF_X)
#undef SF_X
        OPK_COUNT
};

const char *op_kind_name(enum op_kind k);

// What a node closes, for step-over: the last op of a sublayer (attention or FFN with its
// residual add, the final norm) or of a block (a transformer block, the input encoding, the
// LM head).
enum node_level { NODE_LEVEL_OP = 0, NODE_LEVEL_SUBLAYER = 1, NODE_LEVEL_BLOCK = 2 };

#define SF_NODE_NAME_MAX 64
#define SF_NODE_MAX_IN   3

struct node {
    char name[SF_NODE_NAME_MAX]; // stable dotted name: "L0.attn.q"
    enum op_kind kind;
    int layer; // block index, -1 outside blocks
    enum node_level level;
    const char *section;                     // textbook section, e.g. "9.1 Attention"
    const char *explain;                     // one line
    const struct tensor *in[SF_NODE_MAX_IN]; // earlier outputs or parameters (NULL = unused)
    float scalar;                            // eps for ln_stats, the factor for scale
    struct tensor out;                       // kept in the graph's activation arena
    // Training graphs only:
    struct tensor dout;                 // dL/d(out) of a forward node (zeroed by loss.xent)
    struct tensor *din[SF_NODE_MAX_IN]; // where grad.<this> adds dL/d(in[k]), or NULL
    int fwd;                            // grad.X: the index of X; adamw.P: param number
    struct tensor *param;               // adamw.P: the parameter it updates
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
    // Training graphs only:
    struct model *trained;      // the model the adamw nodes update (same as model)
    struct optimizer *opt;      // borrowed
    int *targets;               // (n_tokens), owned
    int n_forward;              // nodes [0, n_forward) are the forward pass
    int n_params;               // parameter tensors, in model_params order
    struct param_ref *params;   // (n_params), owned
    struct tensor *param_grads; // (n_params) views into opt->grads, owned
    float loss;                 // mean cross-entropy, set when loss.xent runs
    // Generation graphs only:
    struct sampler *sampler; // borrowed
    int drawn;               // the token sample.draw chose (-1 before it runs)
};

// Compiles model + input into the node list; allocates every output. The input must be
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
