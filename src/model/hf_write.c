// Writes a model as a Hugging Face GPT-2 folder (config.json, model.safetensors): the test
// models and bench's GPT-2-small-shaped folder, in the layout the Hub serves.
#include "stepformer/hf.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// One tensor of the file: where its rows come from (parts column blocks side by side).
struct out_tensor {
    char name[80];
    int ndim;
    uint64_t shape[4];
    const float *src[3];
    int parts;
    size_t rows, width; // rows of the file's matrix; columns per part
    int mask;           // 1: the causal-mask buffer (1, 1, T, T), ones on and below the diagonal
};

static void out_add(struct out_tensor *o, int *n, const char *prefix, const char *name, int ndim,
                    size_t rows, size_t cols, const struct tensor *a, const struct tensor *b,
                    const struct tensor *c)
{
    struct out_tensor *t = &o[(*n)++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s%s", prefix, name);
    t->ndim = ndim;
    t->parts = b ? 3 : 1;
    t->shape[0] = ndim == 1 ? cols : rows;
    t->shape[1] = cols;
    t->rows = ndim == 1 ? 1 : rows;
    t->width = cols / (size_t)t->parts;
    t->src[0] = a ? a->data : NULL;
    t->src[1] = b ? b->data : NULL;
    t->src[2] = c ? c->data : NULL;
}

// The tensors of m in GPT-2's names. o holds 2 + 13 L + 3 entries. Returns the count.
static int out_list(struct out_tensor *o, const struct model *m, unsigned flags)
{
    const char *pre = flags & HF_WRITE_PREFIX ? "transformer." : "";
    size_t C = (size_t)m->cfg.d_model, F = (size_t)m->cfg.d_ff, V = (size_t)m->cfg.vocab_size;
    size_t T = (size_t)m->cfg.n_ctx;
    int n = 0;
    out_add(o, &n, pre, "wte.weight", 2, V, C, &m->wte, NULL, NULL);
    out_add(o, &n, pre, "wpe.weight", 2, T, C, &m->wpe, NULL, NULL);
    for (int l = 0; l < m->cfg.n_layer; l++) {
        const struct layer_params *p = &m->layers[l];
        char nm[64];
#define O(suffix, ndim, rows, cols, a, b, c)                                                       \
    (snprintf(nm, sizeof nm, "h.%d.%s", l, suffix),                                                \
     out_add(o, &n, pre, nm, ndim, rows, cols, a, b, c))
        O("ln_1.weight", 1, 1, C, &p->ln1_g, NULL, NULL);
        O("ln_1.bias", 1, 1, C, &p->ln1_b, NULL, NULL);
        O("attn.c_attn.weight", 2, C, 3 * C, &p->wq, &p->wk, &p->wv);
        O("attn.c_attn.bias", 1, 1, 3 * C, &p->bq, &p->bk, &p->bv);
        O("attn.c_proj.weight", 2, C, C, &p->wo, NULL, NULL);
        O("attn.c_proj.bias", 1, 1, C, &p->bo, NULL, NULL);
        O("ln_2.weight", 1, 1, C, &p->ln2_g, NULL, NULL);
        O("ln_2.bias", 1, 1, C, &p->ln2_b, NULL, NULL);
        O("mlp.c_fc.weight", 2, C, F, &p->w1, NULL, NULL);
        O("mlp.c_fc.bias", 1, 1, F, &p->b1, NULL, NULL);
        O("mlp.c_proj.weight", 2, F, C, &p->w2, NULL, NULL);
        O("mlp.c_proj.bias", 1, 1, C, &p->b2, NULL, NULL);
#undef O
        if (flags & HF_WRITE_BUFFERS) {
            snprintf(nm, sizeof nm, "h.%d.attn.bias", l);
            struct out_tensor *t = &o[n];
            out_add(o, &n, pre, nm, 4, T * T, 1, NULL, NULL, NULL);
            t->shape[0] = t->shape[1] = 1;
            t->shape[2] = t->shape[3] = T;
            t->rows = T;
            t->width = T;
            t->mask = 1;
        }
    }
    out_add(o, &n, pre, "ln_f.weight", 1, 1, C, &m->lnf_g, NULL, NULL);
    out_add(o, &n, pre, "ln_f.bias", 1, 1, C, &m->lnf_b, NULL, NULL);
    if (!m->cfg.tied)
        out_add(o, &n, "", "lm_head.weight", 2, V, C, &m->wout, NULL, NULL);
    return n;
}

static int write_config(const struct model *m, const char *path, struct sf_diag *d)
{
    const struct model_config *c = &m->cfg;
    json_t *root =
        json_pack("{s:[s], s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:n, s:f, s:b}", "architectures",
                  "GPT2LMHeadModel", "model_type", "gpt2", "activation_function",
                  c->act == ACT_GELU ? "gelu_new" : "relu", "vocab_size", c->vocab_size,
                  "n_positions", c->n_ctx, "n_ctx", c->n_ctx, "n_embd", c->d_model, "n_layer",
                  c->n_layer, "n_head", c->n_head, "n_inner", "layer_norm_epsilon",
                  (double)c->ln_eps, "tie_word_embeddings", c->tied);
    if (root && c->d_ff != 4 * c->d_model)
        json_object_set_new(root, "n_inner", json_integer(c->d_ff));
    int rc = root && json_dump_file(root, path, JSON_INDENT(2)) == 0 ? SF_OK : SF_ERR_IO;
    json_decref(root);
    return rc ? sf_diag_set(d, rc, path, 0, 0, "cannot write config.json: %s", strerror(errno))
              : SF_OK;
}

// The safetensors header for the tensors, padded with spaces to a multiple of 8 bytes.
static char *st_header(const struct out_tensor *o, int n, enum st_dtype dtype, size_t *len)
{
    json_t *root = json_object();
    json_object_set_new(root, "__metadata__", json_pack("{s:s}", "format", "pt"));
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        enum st_dtype dt = o[i].mask ? ST_F32 : dtype;
        json_t *shape = json_array();
        for (int k = 0; k < o[i].ndim; k++)
            json_array_append_new(shape, json_integer((json_int_t)o[i].shape[k]));
        uint64_t bytes =
            (uint64_t)o[i].rows * o[i].width * (uint64_t)o[i].parts * st_dtype_size(dt);
        json_object_set_new(root, o[i].name,
                            json_pack("{s:s, s:o, s:[I, I]}", "dtype", st_dtype_name(dt), "shape",
                                      shape, "data_offsets", (json_int_t)at,
                                      (json_int_t)(at + bytes)));
        at += bytes;
    }
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        return NULL;
    size_t n0 = strlen(text), padded = (n0 + 7) / 8 * 8;
    char *out = realloc(text, padded + 1);
    if (!out) {
        free(text);
        return NULL;
    }
    memset(out + n0, ' ', padded - n0);
    out[padded] = '\0';
    *len = padded;
    return out;
}

// One row of a tensor in dtype into buf; returns its bytes.
static size_t out_row(unsigned char *buf, const struct out_tensor *t, size_t r, enum st_dtype dt)
{
    size_t k = 0;
    for (int p = 0; p < t->parts; p++)
        for (size_t c = 0; c < t->width; c++) {
            float v = t->mask ? (c <= r ? 1.0f : 0.0f) : t->src[p][r * t->width + c];
            if (dt == ST_F32) {
                memcpy(buf + k, &v, 4);
                k += 4;
            } else {
                uint16_t h = dt == ST_F16 ? st_f32_to_f16(v) : st_f32_to_bf16(v);
                buf[k++] = (unsigned char)h;
                buf[k++] = (unsigned char)(h >> 8);
            }
        }
    return k;
}

static int write_st(const struct out_tensor *o, int n, enum st_dtype dtype, FILE *f)
{
    size_t hlen = 0, widest = 0;
    char *header = st_header(o, n, dtype, &hlen);
    if (!header)
        return SF_ERR_NOMEM;
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++)
        lenb[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    int ok = fwrite(lenb, 1, 8, f) == 8 && fwrite(header, 1, hlen, f) == hlen;
    free(header);
    for (int i = 0; i < n; i++)
        if (o[i].width * (size_t)o[i].parts > widest)
            widest = o[i].width * (size_t)o[i].parts;
    unsigned char *buf = malloc(widest * 4);
    if (!buf)
        return SF_ERR_NOMEM;
    for (int i = 0; i < n && ok; i++)
        for (size_t r = 0; r < o[i].rows && ok; r++) {
            size_t k = out_row(buf, &o[i], r, o[i].mask ? ST_F32 : dtype);
            ok = fwrite(buf, 1, k, f) == k;
        }
    free(buf);
    return ok ? SF_OK : SF_ERR_IO;
}

int hf_write(const struct model *m, const char *dir, enum st_dtype dtype, unsigned flags,
             struct sf_diag *d)
{
    const struct model_config *c = &m->cfg;
    if (c->norm != NORM_PRE || !c->final_norm || c->pos != POS_LEARNED || !c->bias ||
        (dtype != ST_F32 && dtype != ST_F16 && dtype != ST_BF16))
        return sf_diag_set(d, SF_ERR_ARG, dir, 0, 0,
                           "only a GPT-2-shaped model (pre-norm, final norm, learned positions, "
                           "biases) is written as F32, F16 or BF16");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return sf_diag_set(d, SF_ERR_IO, dir, 0, 0, "cannot make the folder: %s", strerror(errno));
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = write_config(m, path, d);
    if (rc)
        return rc;
    struct out_tensor *o = calloc(2 + 13 * (size_t)c->n_layer + 3, sizeof *o);
    if (!o)
        return sf_diag_set(d, SF_ERR_NOMEM, dir, 0, 0, "out of memory");
    int n = out_list(o, m, flags);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    rc = f ? write_st(o, n, dtype, f) : SF_ERR_IO;
    if (f && fclose(f) != 0 && !rc)
        rc = SF_ERR_IO;
    free(o);
    return rc ? sf_diag_set(d, rc, path, 0, 0, "cannot write the weights: %s", strerror(errno))
              : SF_OK;
}
