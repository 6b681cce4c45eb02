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
// The same for text already in memory (buf, len bytes, NUL-terminated); name is what d names.
int token_data_from_text(struct token_data *td, const char *buf, size_t len, const char *name,
                         struct tokenizer *tok, int vocab, struct sf_diag *d);
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

// A test item's word after its prefix: runs prefix + " " + word through g (built on m with
// impl on first use, then reused; ids holds n_ctx + 1) and returns the log-probability of the
// word's tokens given the prefix; *n_prefix gets the prefix's token count. NAN when the text
// cannot be encoded, does not fit the context, or the word adds no token (or an unknown one).
// `stepformer eval` and the learn view score the corpus' items with it.
double item_logprob(struct model *m, struct graph *g, int *ids, const char *prefix,
                    const char *word, enum op_impl impl, int *n_prefix);

// The limits of `stepformer train`'s options, which a training state must also respect.
#define SF_TRAIN_MAX_STEPS 100000000
#define SF_TRAIN_MAX_BATCH 4096
#define SF_TRAIN_MAX_LR    10.0 // also the largest weight decay
#define SF_TRAIN_MAX_BETA  0.9999999
#define SF_TRAIN_MIN_EPS   1e-30
#define SF_TRAIN_MAX_EPS   1.0
#define SF_TRAIN_MAX_SEED  2147483647

// FNV-1a (fileio.h) of the token ids, each as 4 little-endian bytes: how a training state
// recognises its data.
uint64_t token_data_hash(const struct token_data *td);

// The training state file (OUT.state, format in assets/README.md): a checkpoint that holds
// everything --resume needs, written atomically in one file: the run's settings, the data's
// size and hash, the batcher's position and random state, the model file itself (the bytes
// written to OUT), the AdamW moments and step, and a checksum of the whole. It also records
// the hash of the model file it goes with and of the one that was at OUT before, so a model
// file from another step is recognised.
struct train_state {
    struct model model; // the weights after `step` updates (owned)
    float *m, *v;       // (n_params) AdamW first and second moments (owned)
    int B, T, step, shuffle;
    enum op_impl impl;
    uint32_t seed;
    struct adamw_params hp;
    uint64_t data_tokens, data_hash; // of the training data
    uint64_t pos, rng[4];            // the batcher's position and random state
    uint64_t model_bytes, model_hash;
    int has_prev;       // a model file was at OUT when the state was written
    uint64_t prev_hash; // its hash
};

// What train_state_save records besides the trainer and the batcher.
struct train_run {
    uint32_t seed;
    uint64_t data_tokens, data_hash;
    int has_prev;
    uint64_t prev_hash;
};

// The size and FNV-1a hash of m's native model file (checkpoint_write), without writing it.
int train_model_digest(const struct model *m, uint64_t *bytes, uint64_t *hash);
// The size of the state file train_state_save writes for a model of n_params parameters
// whose model file is model_bytes long.
uint64_t train_state_bytes(size_t n_params, uint64_t model_bytes);
// Writes the state of t (its model, optimizer, B and T, kernels), b and run to path,
// atomically; *model_hash (may be NULL) gets the hash of the model file it holds.
int train_state_save(const char *path, const struct trainer *t, const struct batcher *b,
                     const struct train_run *run, uint64_t *model_hash, struct sf_diag *d);
// Reads and checks a state file: its checksum, every setting against the limits above, the
// model inside (as a model file is checked) and its hash, finite moments and non-negative
// second moments. s is zeroed first; on error it holds nothing and d names the file and the
// fault. An older version of the format is refused with a message saying what to do.
int train_state_load(const char *path, struct train_state *s, struct sf_diag *d);
void train_state_free(struct train_state *s);
// Continues from s: t (built on s->model with s's B and T) takes s's moments (moved out of s)
// and step; b takes s's data position and random state.
void trainer_resume(struct trainer *t, struct batcher *b, struct train_state *s);

#endif
