// Learning from scratch: a fresh model of a given configuration and vocabulary trained on the
// textbook corpus (generated in memory, with its held-out split), a step at a time, with the
// training loss of every step and, every few steps, the held-out loss and the accuracy on the
// held-out agreement items. The learn view schedules its steps between frames.
#ifndef STEPFORMER_LEARN_H
#define STEPFORMER_LEARN_H

#include "stepformer/corpus.h"
#include "stepformer/train.h"

struct learn_options {
    uint64_t seed;    // the new weights' seed
    int steps;        // the length of the run
    int B, T;         // batch and sequence length
    float lr;         // AdamW's learning rate (the other settings are its defaults)
    int eval_every;   // held-out loss and agreement every this many steps (and at 0 and the end)
    int eval_batches; // batches of held-out text per held-out loss
    int agree_items;  // held-out agreement items scored (the first ones; 0: all)
    int sentences;    // training sentences of the corpus
    int heldout;      // held-out sentences
    uint64_t corpus_seed;
    enum op_impl impl; // the kernels
};

// The settings `stepformer train` made the shipped textbook model with (assets/README.md):
// batch 8, sequence 64, learning rate 2e-3, 1500 steps, seed 1, on the corpus of seed 1.
#define SF_LEARN_DEFAULTS                                                                          \
    {                                                                                              \
        .seed = 1, .steps = 1500, .B = 8, .T = 64, .lr = 2e-3f, .eval_every = 50,                  \
        .eval_batches = 4, .agree_items = 200, .sentences = 60000, .heldout = 3000,                \
        .corpus_seed = 1, .impl = OP_IMPL_FAST                                                     \
    }
#define SF_LEARN_MAX_STEPS 1000000

// One evaluation: after `step` steps, the held-out loss and the agreement items right.
struct learn_eval {
    int step;
    float heldout;
    int right, total;
};

// A held-out agreement item: "the keys to the cabinet" -> "are" rather than "is".
struct learn_item {
    const char *prefix, *right, *wrong; // into the corpus' items text
};

struct learn {
    struct learn_options o;
    struct model model; // the template's configuration and tokenizer (borrowed), new weights
    struct trainer tr;
    struct corpus_text corpus;
    struct token_data train, valid;
    struct batcher batches, valid_batches;
    struct learn_item *items; // the held-out agreement items scored
    int n_items;
    struct graph item_graph;  // scores the items (item_logprob)
    int *item_ids;            // (n_ctx + 1)
    int *in, *tg;             // (B * T) the batch
    float *loss;              // (o.steps) loss[k]: the training loss of step k + 1
    int step;                 // steps done
    struct learn_eval *evals; // in step order
    int n_evals, max_evals;
    double train_ms; // milliseconds spent in the training steps themselves
};

// A new run on tmpl's configuration and tokenizer (a word-level vocabulary for the corpus):
// the corpus generated and encoded, the weights initialised from o->seed, and the first
// evaluation (step 0). l must stay where it is (the trainer points into it). Returns 0, or
// nonzero with l freed and d saying why.
int learn_init(struct learn *l, const struct model *tmpl, const struct learn_options *o,
               struct sf_diag *d);
void learn_free(struct learn *l);
// One training step, then the evaluation when it is due. 1 when a step ran, 0 when the run has
// all its steps, <0 with d on an error.
int learn_step(struct learn *l, struct sf_diag *d);
// The accuracy of the model in training on the held-out agreement items: how many give the right
// verb more probability than the wrong one (item_logprob, as `stepformer eval` scores them),
// *right of *total scored.
void learn_agreement(struct learn *l, int *right, int *total);
// The latest evaluation, or NULL.
const struct learn_eval *learn_last_eval(const struct learn *l);

#endif
