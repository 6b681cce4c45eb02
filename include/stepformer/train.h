// Training: token data (text or llm.c token files), batches in llm.c's order, the training
// step on the op graph, evaluation, and the training state saved beside a model.
#ifndef STEPFORMER_TRAIN_H
#define STEPFORMER_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "stepformer/err.h"
#include "stepformer/graph.h"
#include "stepformer/model.h"
#include "stepformer/rng.h"

#define SF_LLMC_TOKENS_MAGIC 20240520

struct token_data {
    int *tokens;
    size_t n;
};

// Reads an llm.c token file (header of 256 int32: magic 20240520, version 1, count; then
// count uint16 tokens) or, for any other file, text encoded with tok. Every id must be below
// vocab (d names the first that is not, by index). Empty files, truncated token files and
// text the tokenizer cannot read are errors naming the file.
int token_data_load(struct token_data *td, const char *path, struct tokenizer *tok, int vocab,
                    struct sf_diag *d);
void token_data_free(struct token_data *td);

// Builds a character- or word-level vocabulary from a text file, "<unk>" first, then the
// pieces by falling count (ties in byte order). kind is TOK_CHAR or TOK_WORD.
int tokenizer_build_from_file(struct tokenizer *t, enum tok_kind kind, const char *path,
                              struct sf_diag *d);

// Batches as llm.c takes them: B*T+1 consecutive tokens from the current position, inputs
// the first B*T and targets the last B*T; the position then advances by B*T and wraps to
// the start when the next batch would run past the end. With shuffle, each batch instead
// starts at a random position (seeded).
struct batcher {
    const struct token_data *td;
    int B, T, shuffle;
    size_t pos;
    struct rng rng;
};

// SF_ERR_RANGE (with a message) when the data is shorter than one batch.
int batcher_init(struct batcher *b, const struct token_data *td, int B, int T, int shuffle,
                 uint64_t seed, struct sf_diag *d);
void batcher_next(struct batcher *b, int *inputs, int *targets);

// One model in training: its optimizer and a training graph of B sequences of T tokens,
// reused for every batch.
struct trainer {
    struct model *model; // borrowed
    struct optimizer opt;
    struct graph graph;
    struct graph eval; // forward-only graph for evaluation, built on first use
    int B, T;
    enum op_impl impl;
};

int trainer_init(struct trainer *t, struct model *m, int B, int T, const struct adamw_params *hp,
                 enum op_impl impl, struct sf_diag *d);
void trainer_free(struct trainer *t);
// Forward, loss, backward and AdamW on one batch; *loss gets the loss of the forward pass,
// before the update. Advances opt.step.
int trainer_step(struct trainer *t, const int *inputs, const int *targets, float *loss,
                 struct sf_diag *d);
// The mean loss over `batches` batches of b (forward only; the model is not changed).
int trainer_eval(struct trainer *t, struct batcher *b, int batches, float *loss, struct sf_diag *d);

// The training state beside a model file (PATH.state): optimizer moments and step, the data
// position and random state, and the settings; written atomically. Reading checks that it
// belongs to a model with n_params parameters.
int train_state_save(const char *path, const struct trainer *t, const struct batcher *b,
                     struct sf_diag *d);
int train_state_load(const char *path, struct trainer *t, struct batcher *b, struct sf_diag *d);

#endif
