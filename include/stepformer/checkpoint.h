// Model files: the native format (assets/README.md) and llm.c GPT-2 checkpoints.
#ifndef STEPFORMER_CHECKPOINT_H
#define STEPFORMER_CHECKPOINT_H

#include <stdio.h>

#include "stepformer/err.h"
#include "stepformer/model.h"

#define SF_NATIVE_MAGIC "SFMODEL1" // 8 bytes
// Newest native version: 2 adds BPE merges after the tokenizer's pieces. A model whose
// tokenizer has no merges is written as version 1, byte for byte as before; both load.
#define SF_NATIVE_VERSION       2
#define SF_LLMC_MODEL_MAGIC     20240326
#define SF_LLMC_TOKENIZER_MAGIC 20240328
// Every llm.c file (model, tokenizer, training tokens) starts with a header of 256 int32.
#define SF_LLMC_HEADER_BYTES 1024
// Longest tokenizer piece a native file may hold, in bytes.
#define SF_NATIVE_MAX_PIECE_BYTES 4096

// Gives m the tokenizer t when its piece count is the model's vocabulary size (t is m's then);
// otherwise frees t and says, naming path, which way they differ (SF_ERR_RANGE).
int checkpoint_set_tokenizer(struct model *m, struct tokenizer *t, const char *path,
                             struct sf_diag *d);
// Loads a model file, native or llm.c (told apart by the magic). m must be zeroed; on
// error m is left freed and d names the file and the fault (what is wrong, what to do).
// An llm.c checkpoint holds no tokenizer, and none is looked for: the model's tokenizer is
// TOK_NONE until the caller attaches one (checkpoint_load_tokenizer).
int checkpoint_load(struct model *m, const char *path, struct sf_diag *d);
// Same, from an open stream (for tests: fmemopen). `name` is used in messages.
int checkpoint_read(struct model *m, FILE *f, const char *name, struct sf_diag *d);
// A native model that takes the next len bytes of f, from its current position (a model kept
// inside another file); checked as checkpoint_load checks a whole file.
int checkpoint_read_native(struct model *m, FILE *f, const char *name, long len, struct sf_diag *d);
// Reads llm.c's tokenizer file (tokenizer_load_llmc) and gives it to m in place of its own
// tokenizer. The file must hold one piece per row of m's real vocabulary (cfg.vocab_size,
// which leaves out the rows llm.c pads the embedding with: GPT-2 has 50257 of its 50304): a
// larger tokenizer would give ids with no embedding row or probability, a smaller one ids the
// model predicts with no text. Either is refused (SF_ERR_RANGE, d naming the file and both
// sizes) and m keeps its tokenizer.
int checkpoint_load_tokenizer(struct model *m, const char *path, struct sf_diag *d);
// Writes the native format to a temporary file beside path, then renames it into place.
// A model whose file could not be read back (a bad configuration, a parameter count that
// does not match it, a tokenizer larger than the vocabulary) is refused with SF_ERR_ARG
// before anything is written.
int checkpoint_save(const struct model *m, const char *path, struct sf_diag *d);
// The refusal of checkpoint_save, without writing: 0, or SF_ERR_ARG with d (may be NULL)
// naming path (may be NULL) and what cannot be saved.
int checkpoint_check(const struct model *m, const char *path, struct sf_diag *d);
// The native format to a stream: 0, SF_ERR_ARG (as above) or SF_ERR_IO.
int checkpoint_write(const struct model *m, FILE *f);
// The native format as consecutive byte chunks given to fn(ctx, bytes, n), which returns 0 or
// a negative SF_ERR_* that stops it (and is returned); SF_ERR_ARG (as above) before any.
typedef int (*checkpoint_sink_fn)(void *ctx, const void *bytes, size_t n);
int checkpoint_emit(const struct model *m, checkpoint_sink_fn fn, void *ctx);
// llm.c's GPT-2 checkpoint (version 3, float32, the vocabulary padded with zero rows to a
// multiple of 128, as llm.c's train_gpt2.py writes it) holds GPT-2's shape only: pre-norm, a
// final LayerNorm, learned positions, GELU, biases, a tied head, d_ff = 4 d, eps 1e-5; and
// llm.c's tokenizer file holds a GPT-2 BPE tokenizer with one piece of 1 to 255 bytes per row
// of the vocabulary and no unknown token. checkpoint_check_llmc: 0 when m and its tokenizer
// (if any) fit, else SF_ERR_ARG (or checkpoint_check's refusal) with d (may be NULL) naming
// path (may be NULL) and every reason in one line.
int checkpoint_check_llmc(const struct model *m, const char *path, struct sf_diag *d);
// The rows of wte in llm.c's file: the vocabulary rounded up to a multiple of 128, as
// train_gpt2.py pads it (GPT-2: 50257 -> 50304).
int checkpoint_llmc_padded_vocab(int vocab_size);
// The checkpoint to a stream (reader and writer walk one table of llm.c's tensors): 0,
// SF_ERR_ARG (as above, before anything is written), SF_ERR_NOMEM or SF_ERR_IO.
int checkpoint_write_llmc(const struct model *m, FILE *f);
// The same to a temporary file beside path, renamed into place (sf_write_atomic).
int checkpoint_save_llmc(const struct model *m, const char *path, struct sf_diag *d);
// llm.c's tokenizer file (magic 20240328; version 2 with the end-of-text id, version 1 when
// there is none) for a tokenizer checkpoint_check_llmc accepts: 0, SF_ERR_ARG or SF_ERR_IO.
int checkpoint_write_llmc_tokenizer(const struct tokenizer *t, FILE *f);
// m's tokenizer written so, atomically, to path; SF_ERR_ARG when m has no BPE tokenizer.
int checkpoint_save_llmc_tokenizer(const struct model *m, const char *path, struct sf_diag *d);
// Where the tokenizer of the llm.c checkpoint at model_path is written and looked for first:
// beside it, its name without the extension + "_tokenizer.bin" (dir/my.bin ->
// dir/my_tokenizer.bin). malloc'd; NULL when out of memory.
char *checkpoint_llmc_tokenizer_path(const char *model_path);

#endif
