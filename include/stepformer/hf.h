// Hugging Face GPT-2 checkpoints as the Hub serves them: a folder with config.json and
// model.safetensors (safetensors: 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the tensors' bytes).
#ifndef STEPFORMER_HF_H
#define STEPFORMER_HF_H

#include <stddef.h>
#include <stdint.h>

#include "stepformer/err.h"
#include "stepformer/model.h"

// The element types of safetensors. Weights are read from F32, F16 and BF16; the others are
// known (their sizes check a file's offsets) but a weight stored in one is refused.
enum st_dtype {
    ST_F32,
    ST_F16,
    ST_BF16,
    ST_F64,
    ST_I64,
    ST_I32,
    ST_I16,
    ST_I8,
    ST_U8,
    ST_BOOL,
    ST_U16,
    ST_U32,
    ST_U64,
    ST_F8_E4M3,
    ST_F8_E5M2,
    ST_N_DTYPES
};

#define ST_MAX_DIMS 8
// The longest header read (the format's own limit is 100 MB).
#define ST_MAX_HEADER (100u * 1024u * 1024u)

struct st_tensor {
    char *name;
    enum st_dtype dtype;
    int ndim;
    uint64_t shape[ST_MAX_DIMS];
    uint64_t begin, end; // byte offsets into the data, which follows the header
};

// A parsed safetensors file over bytes the caller keeps (a mapping or a buffer).
struct st_file {
    struct st_tensor *t; // sorted by begin
    int n;
    int mapped;                // 1: data is a file mapping whose pages may be dropped once read
    const unsigned char *data; // the data section
    unsigned char *writable;   // NULL, or data in a private writable mapping the model may keep
    uint64_t data_len;
};

// The dtype's name in the format ("F32") and size in bytes.
const char *st_dtype_name(enum st_dtype t);
size_t st_dtype_size(enum st_dtype t);

// Parses the header of a safetensors file held in buf[0..len). Every tensor's offsets must
// lie inside the data, match its shape times its dtype's size, and not overlap another's.
// 0, or SF_ERR_TRUNCATED / SF_ERR_FORMAT / SF_ERR_RANGE / SF_ERR_NOMEM with d naming `name`
// and the fault (a header that is not JSON with its line and column). st_free is safe after
// a failure.
int st_parse(struct st_file *st, const unsigned char *buf, size_t len, const char *name,
             struct sf_diag *d);
void st_free(struct st_file *st);
// The tensor called name, or NULL.
const struct st_tensor *st_find(const struct st_file *st, const char *name);

// Exact conversions to float: every finite value (subnormals included), infinities and NaN.
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);
// Round to nearest, ties to even (overflow gives infinity, NaN stays NaN): for writing files.
uint16_t st_f32_to_f16(float f);
uint16_t st_f32_to_bf16(float f);

// Reads a GPT-2 config.json's text into c: n_layer, n_head, n_embd, n_positions (or n_ctx),
// vocab_size, layer_norm_epsilon and activation_function are required; n_inner (null: 4
// n_embd) and tie_word_embeddings (default true) are optional. A missing field, a value of the
// wrong type or out of range, an activation the engine does not have, or text that is not JSON
// (its line and column) gives SF_ERR_FORMAT or SF_ERR_RANGE with d naming `name`.
int hf_config_parse(struct model_config *c, const char *text, size_t len, const char *name,
                    struct sf_diag *d);

// Builds m (zeroed by the call) from a configuration and a parsed safetensors file: every
// tensor present (with or without the "transformer." prefix), of the expected shape, in F32,
// F16 or BF16, and finite; the attn.bias / attn.masked_bias buffers are ignored. The shapes are
// checked before anything is allocated. `name` is used in messages. With st->writable set, F32
// tensors that need no rearranging are used in place (m->n_in_place counts their floats): the
// caller then hands the mapping to the model (m->map, m->map_len), which unmaps it when freed.
int hf_model_from_st(struct model *m, const struct model_config *c, const struct st_file *st,
                     const char *name, struct sf_diag *d);

// 1 when path names a Hugging Face checkpoint: a folder, a *.safetensors file or a file
// called config.json; 0 otherwise (a stepformer or llm.c model file).
int hf_is_path(const char *path);
// The folder of such a path (the path itself for a folder) into buf. 0, or SF_ERR_ARG when
// it does not fit.
int hf_folder(const char *path, char *buf, size_t size);
// Loads the checkpoint named by path (see hf_is_path): config.json, then model.safetensors,
// mapped, its F32 tensors used in place where they can be and the rest converted into m's
// block. m gets no tokenizer (TOK_NONE). On error m is left
// freed and d names the file and the fault (a folder without model.safetensors says what was
// looked for).
int hf_load(struct model *m, const char *path, struct sf_diag *d);

// Options of hf_write.
#define HF_WRITE_PREFIX  1u // names with "transformer." (as GPT2LMHeadModel saves them)
#define HF_WRITE_BUFFERS 2u // also the attn.bias causal-mask buffers (1, 1, n_ctx, n_ctx)

// Writes m (GPT-2 switches: pre-norm, final norm, learned positions, GELU or ReLU, biases) as
// a Hugging Face folder (made if missing): dir/config.json and dir/model.safetensors with the
// weights in dtype (ST_F32, ST_F16 or ST_BF16, rounded to nearest even). An untied model gets
// lm_head.weight. For tests and bench. 0, or SF_ERR_ARG / SF_ERR_IO / SF_ERR_NOMEM with d.
int hf_write(const struct model *m, const char *dir, enum st_dtype dtype, unsigned flags,
             struct sf_diag *d);

#endif
