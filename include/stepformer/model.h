// Model configuration (the switches of the design), parameters carved from one block into
// named views, and seeded random initialisation.
#ifndef STEPFORMER_MODEL_H
#define STEPFORMER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "stepformer/err.h"
#include "stepformer/tensor.h"
#include "stepformer/tokenizer.h"

enum norm_place { NORM_PRE = 0, NORM_POST = 1 };
enum pos_kind { POS_LEARNED = 0, POS_SINUSOIDAL = 1, POS_NONE = 2 };
enum act_kind { ACT_RELU = 0, ACT_GELU = 1 };

struct model_config {
    int n_layer;
    int n_head;
    int d_model;
    int d_ff;
    int vocab_size; // real vocabulary (logits have this width)
    int n_ctx;      // longest input
    float ln_eps;
    enum norm_place norm;
    int final_norm; // 1: LayerNorm before the LM head
    enum pos_kind pos;
    enum act_kind act;
    int bias; // 1: linear layers and LayerNorm beta have biases
    int tied; // 1: the LM head is E^T; 0: a separate unembedding U (V, d)
};

// Limits that reject absurd headers before any allocation.
#define SF_MAX_LAYERS 256
#define SF_MAX_HEADS  256
#define SF_MAX_DMODEL 65536
#define SF_MAX_DFF    262144
#define SF_MAX_VOCAB  1048576
#define SF_MAX_CTX    65536

// Fills the defaults of the textbook's model (pre-norm, final norm, learned positions, ReLU,
// biases, tied) for the given sizes; d_ff = 4 d, eps 1e-5.
void model_config_textbook(struct model_config *c, int n_layer, int n_head, int d_model,
                           int vocab_size, int n_ctx);
// GPT-2's switches (pre-norm, final norm, learned, GELU, biases, tied), d_ff = 4 d.
void model_config_gpt2(struct model_config *c, int n_layer, int n_head, int d_model, int vocab_size,
                       int n_ctx);
// Checks sizes and switches; on error fills d naming the field and value and returns
// SF_ERR_RANGE.
int model_config_check(const struct model_config *c, struct sf_diag *d);

// One transformer block's parameters. Shapes (textbook orientation, y = x W):
struct layer_params {
    struct tensor ln1_g, ln1_b; // (d)
    struct tensor wq, bq;       // (d, d), (d)   heads are column blocks of width dk
    struct tensor wk, bk;       // (d, d), (d)
    struct tensor wv, bv;       // (d, d), (d)
    struct tensor wo, bo;       // (d, d), (d)   W^O
    struct tensor ln2_g, ln2_b; // (d)
    struct tensor w1, b1;       // (d, F), (F)
    struct tensor w2, b2;       // (F, d), (d)
};

struct model {
    struct model_config cfg;
    size_t n_params; // every parameter, counted in file order
    float *block;    // one allocation holding the parameters not read in place (n_block floats)
    size_t n_block;
    void *map; // a private file mapping some tensors point into (weights read in place), owned
    size_t map_len;
    size_t n_in_place;          // parameters that point into map
    struct tensor wte;          // E (V, d)
    struct tensor wpe;          // P (n_ctx, d), absent unless learned positions
    struct tensor lnf_g, lnf_b; // (d), absent without a final norm
    struct tensor wout;         // U (V, d), absent when tied (the head uses wte)
    struct layer_params *layers;
    struct tokenizer tok; // may be empty (kind TOK_NONE): then only ids are accepted
    int hf_folder;        // 1: read from a Hugging Face folder (config.json, model.safetensors)
};

// A parameter tensor, its stable name ("wte", "wpe", "L0.attn.wq", "lnf.gamma", ...) and the
// position of its first value in file order (where its gradient and moments are kept).
struct param_ref {
    char name[48];
    struct tensor *t;
    size_t offset;
};

// The number of parameters a (checked) configuration implies, without allocating.
size_t model_config_param_count(const struct model_config *c);

// Allocates zeroed parameters for cfg (checked). model_free is safe on a zeroed or
// half-initialised model.
int model_init(struct model *m, const struct model_config *cfg, struct sf_diag *d);
// model_init in two steps, for weights read in place: model_init_shapes gives every tensor its
// shape and no data; the caller points some of them into memory the model then owns (m->map);
// model_alloc_rest allocates the block for the others, zeroed.
int model_init_shapes(struct model *m, const struct model_config *cfg, struct sf_diag *d);
int model_alloc_rest(struct model *m, struct sf_diag *d);
// Frees the block, unmaps the mapping and frees the tokenizer.
void model_free(struct model *m);
// GPT-2 style initialisation: weights N(0, 0.02) (W^O and W2 scaled by 1/sqrt(2 L)),
// biases 0, gamma 1, beta 0; with sinusoidal positions the token embeddings are N(0, 1), on
// the scale of the position codes. Same seed, same weights.
void model_init_random(struct model *m, uint64_t seed);
// Lists the present parameter tensors in file order (see assets/README.md). Returns the
// count; writes at most max entries (call with out == NULL to count).
int model_params(struct model *m, struct param_ref *out, int max);
// The position of parameter tensor p's first value in file order; SIZE_MAX when p is not one
// of m's tensors.
size_t model_param_offset(const struct model *m, const struct tensor *p);
// Passes every parameter tensor's floats to fn in file order; the first nonzero return stops
// it and is returned.
int model_emit_params(const struct model *m, int (*fn)(void *ctx, const void *bytes, size_t n),
                      void *ctx);
// 1 when a and b have the same configuration and every parameter bit for bit (wherever each
// keeps them); 0 otherwise or without memory.
int model_params_equal(const struct model *a, const struct model *b);
// Copies every parameter of src into dst, which has the same configuration. 0 or
// SF_ERR_NOMEM.
int model_copy_params(struct model *dst, const struct model *src);
// Finds a parameter by name; NULL when absent.
struct tensor *model_param(struct model *m, const char *name);
// The unembedding the head uses: wout if untied, else wte.
const struct tensor *model_unembedding(const struct model *m);

#endif
