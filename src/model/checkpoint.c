// Model files: stepformer's native format (assets/README.md) and llm.c GPT-2 checkpoints.
// Every size in a header is checked against the file's length before anything is allocated.
#include "stepformer/checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stepformer/fileio.h"

#define NATIVE_HEADER_BYTES 80
#define LLMC_VERSION        3 // of llm.c's model files, the one read and written

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int32_t get_i32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    int32_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static float get_f32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put_i32(unsigned char *p, int32_t v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    put_u32(p, u);
}

static void put_f32(unsigned char *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    put_u32(p, u);
}

// The stream's length in bytes, or -1.
static long stream_length(FILE *f)
{
    long here = ftell(f);
    if (here < 0 || fseek(f, 0, SEEK_END) != 0)
        return -1;
    long len = ftell(f);
    if (fseek(f, here, SEEK_SET) != 0)
        return -1;
    return len;
}

// Rejects NaN and infinity, naming the parameter and the index.
static int check_finite(struct model *m, const char *name, struct sf_diag *d)
{
    int np = model_params(m, NULL, 0);
    struct param_ref *refs = calloc((size_t)np, sizeof *refs);
    if (!refs)
        return sf_diag_set(d, SF_ERR_NOMEM, name, 0, 0, "out of memory");
    model_params(m, refs, np);
    int rc = SF_OK;
    for (int i = 0; i < np && !rc; i++) {
        size_t n = tensor_numel(refs[i].t);
        for (size_t j = 0; j < n; j++)
            if (!isfinite(refs[i].t->data[j])) {
                rc = sf_diag_set(d, SF_ERR_NONFINITE, name, 0, 0,
                                 "parameter %s holds %s at index %zu: the file is damaged or "
                                 "came from a training run that diverged",
                                 refs[i].name, isnan(refs[i].t->data[j]) ? "NaN" : "infinity", j);
                break;
            }
    }
    free(refs);
    return rc;
}

// The native header (NATIVE_HEADER_BYTES at the stream's position): the configuration, checked,
// the number of parameters it needs (*n_params) and the version (1 or 2). 0, or an error with d
// filled.
static int read_native_header(FILE *f, const char *name, long len, struct model_config *c,
                              size_t *n_params, uint32_t *version, struct sf_diag *d)
{
    unsigned char h[NATIVE_HEADER_BYTES];
    if (len < NATIVE_HEADER_BYTES || fread(h, 1, sizeof h, f) != sizeof h)
        return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                           "truncated: %ld bytes, shorter than the %d-byte header", len,
                           NATIVE_HEADER_BYTES);
    uint32_t header_bytes = get_u32(h + 12);
    *version = get_u32(h + 8);
    if (*version < 1 || *version > SF_NATIVE_VERSION)
        return sf_diag_set(d, SF_ERR_VERSION, name, 0, 0,
                           "model file version %u is not supported (this stepformer reads "
                           "versions 1 to %d)",
                           *version, SF_NATIVE_VERSION);
    if (header_bytes != NATIVE_HEADER_BYTES)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "the header size field says %u bytes; headers are %d", header_bytes,
                           NATIVE_HEADER_BYTES);
    memset(c, 0, sizeof *c);
    c->n_layer = get_i32(h + 16);
    c->n_head = get_i32(h + 20);
    c->d_model = get_i32(h + 24);
    c->d_ff = get_i32(h + 28);
    c->vocab_size = get_i32(h + 32);
    c->n_ctx = get_i32(h + 36);
    c->ln_eps = get_f32(h + 40);
    c->norm = (enum norm_place)get_i32(h + 44);
    c->final_norm = get_i32(h + 48);
    c->pos = (enum pos_kind)get_i32(h + 52);
    c->act = (enum act_kind)get_i32(h + 56);
    c->bias = get_i32(h + 60);
    c->tied = get_i32(h + 64);
    uint64_t stated = (uint64_t)get_u32(h + 72) | (uint64_t)get_u32(h + 76) << 32;
    int rc = model_config_check(c, d);
    if (rc) {
        char msg[sizeof d->msg];
        snprintf(msg, sizeof msg, "%s", d->msg);
        return sf_diag_set(d, rc, name, 0, 0, "bad configuration in the header: %s", msg);
    }
    *n_params = model_config_param_count(c);
    if (stated != *n_params)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "the header says %llu parameters but its configuration needs %zu",
                           (unsigned long long)stated, *n_params);
    return SF_OK;
}

// count tokenizer pieces, each a u32 length and its bytes, into pieces and lens; *pos is the
// stream's offset (advanced past them). 0, or an error (with d filled unless out of memory).
static int read_native_pieces(FILE *f, const char *name, long len, long *pos, uint32_t count,
                              char **pieces, int *lens, struct sf_diag *d)
{
    for (uint32_t i = 0; i < count; i++) {
        unsigned char lb[4];
        if (fread(lb, 1, 4, f) != 4)
            return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                               "truncated inside tokenizer piece %u", i);
        uint32_t plen = get_u32(lb);
        *pos += 4;
        if (plen > SF_NATIVE_MAX_PIECE_BYTES || (long)plen > len - *pos)
            return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                               "tokenizer piece %u claims %u bytes: %s", i, plen,
                               plen > SF_NATIVE_MAX_PIECE_BYTES ? "pieces are at most 4096 bytes"
                                                                : "more than the file holds");
        pieces[i] = malloc(plen + 1);
        if (!pieces[i])
            return SF_ERR_NOMEM;
        if (fread(pieces[i], 1, plen, f) != plen)
            return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                               "truncated inside tokenizer piece %u", i);
        lens[i] = (int)plen;
        *pos += (long)plen;
    }
    return SF_OK;
}

// Version 2's merges after the pieces: a u32 count, then that many pairs of u32 ids in rank
// order; *pos is advanced past them. 0, or an error with d filled.
static int read_native_merges(FILE *f, const char *name, long len, long *pos, struct tokenizer *tok,
                              struct sf_diag *d)
{
    unsigned char nb[4];
    if (fread(nb, 1, 4, f) != 4)
        return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0, "truncated before the BPE merges");
    *pos += 4;
    uint32_t n = get_u32(nb);
    if (n > 0 && tok->kind != TOK_BPE)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "a tokenizer of kind %d has %u BPE merges; only BPE (3) has merges",
                           (int)tok->kind, n);
    if (n > SF_MAX_TOKENIZER_PIECES || (long)n * 8 > len - *pos)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "the tokenizer claims %u BPE merges, more than the file can hold", n);
    if (n == 0)
        return SF_OK;
    unsigned char *raw = malloc((size_t)n * 8);
    int *pairs = malloc(sizeof(int) * 2 * (size_t)n);
    int rc = raw && pairs ? SF_OK : SF_ERR_NOMEM;
    if (!rc && fread(raw, 8, n, f) != n)
        rc = sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0, "truncated inside the BPE merges");
    for (uint32_t i = 0; !rc && i < 2 * n; i++) {
        uint32_t id = get_u32(raw + 4 * i);
        pairs[i] = id < (uint32_t)tok->n ? (int)id : -1;
    }
    if (!rc && (rc = tokenizer_set_merges(tok, (int)n, pairs, d)) != 0 && rc != SF_ERR_NOMEM) {
        char msg[sizeof d->msg];
        snprintf(msg, sizeof msg, "%s", d ? d->msg : "");
        sf_diag_set(d, rc, name, 0, 0, "BPE %s", msg);
    }
    *pos += (long)n * 8;
    free(raw);
    free(pairs);
    return rc;
}

// The tokenizer section after the header: kind, count, unknown id, end-of-text id, then the
// pieces, and in version 2 the BPE merges; *pos is the stream's offset (advanced past it). 0,
// or an error with d filled.
static int read_native_tokenizer(FILE *f, const char *name, long len, int vocab, uint32_t version,
                                 long *pos, struct tokenizer *tok, struct sf_diag *d)
{
    unsigned char th[16];
    if (fread(th, 1, sizeof th, f) != sizeof th)
        return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                           "truncated inside the tokenizer section");
    *pos += (long)sizeof th;
    uint32_t kind = get_u32(th), count = get_u32(th + 4);
    int32_t unk = get_i32(th + 8), eot = get_i32(th + 12);
    if (kind > TOK_BPE)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "unknown tokenizer kind %u (0 none, 1 char, 2 word, 3 bpe)", kind);
    if (count > SF_MAX_TOKENIZER_PIECES || (long)count * 4 > len - *pos)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "the tokenizer claims %u pieces, more than the file can hold", count);
    if (count > (uint32_t)vocab)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "the tokenizer has %u pieces but the vocabulary only %d: ids from %d "
                           "up would have no embedding row; the file is damaged or was not "
                           "written by stepformer",
                           count, vocab, vocab);
    if ((kind == TOK_NONE) != (count == 0))
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "tokenizer kind %u does not fit its %u pieces", kind, count);
    if (unk < -1 || unk >= (int32_t)count || eot < -1 || eot >= (int32_t)count)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "tokenizer unknown id %d or end-of-text id %d is out of range", unk,
                           eot);
    char **pieces = calloc(count ? count : 1, sizeof *pieces);
    int *lens = calloc(count ? count : 1, sizeof *lens);
    int rc = pieces && lens ? read_native_pieces(f, name, len, pos, count, pieces, lens, d)
                            : SF_ERR_NOMEM;
    if (!rc)
        rc =
            tokenizer_init(tok, (enum tok_kind)kind, (int)count, (const char *const *)pieces, lens);
    if (pieces)
        for (uint32_t i = 0; i < count; i++)
            free(pieces[i]);
    free(pieces);
    free(lens);
    if (!rc && version >= 2)
        rc = read_native_merges(f, name, len, pos, tok, d);
    if (rc) {
        tokenizer_free(tok);
        if (rc == SF_ERR_NOMEM)
            sf_diag_set(d, rc, name, 0, 0, "out of memory reading the tokenizer");
        return rc;
    }
    tok->unk_id = unk;
    tok->eot_id = eot;
    return SF_OK;
}

// A native model file: header, tokenizer, then the weights in model_params order.
static int read_native(struct model *m, FILE *f, const char *name, long len, struct sf_diag *d)
{
    struct model_config c;
    size_t want = 0;
    uint32_t version = 0;
    int rc = read_native_header(f, name, len, &c, &want, &version, d);
    if (rc)
        return rc;
    struct tokenizer tok = {0};
    long pos = NATIVE_HEADER_BYTES;
    rc = read_native_tokenizer(f, name, len, c.vocab_size, version, &pos, &tok, d);
    if (rc)
        return rc;
    long rest = len - pos, need = (long)(want * sizeof(float));
    if (rest != need) {
        tokenizer_free(&tok);
        if (rest < need)
            return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                               "truncated: the weights need %ld bytes but only %ld remain", need,
                               rest);
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "%ld unexpected bytes after the weights: the file is damaged or not "
                           "a stepformer model",
                           rest - need);
    }
    rc = model_init(m, &c, d);
    if (rc) {
        tokenizer_free(&tok);
        return rc;
    }
    m->tok = tok;
    if (fread(m->block, sizeof(float), want, f) != want) // model_init put every tensor there
        return sf_diag_set(d, SF_ERR_IO, name, 0, 0, "read error in the weights");
    return check_finite(m, name, d);
}

// llm.c's parameter tensors in the order of its file (train_gpt2.c's ParameterTensors). Each
// row is a tensor of the model, or one of every layer in turn (all layers' ln1w, then all
// layers' ln1b, ...), made of one to three of stepformer's tensors end to end (qkvw is W^Q,
// W^K and W^V stacked). Matrices are stored (out, in), the transpose of stepformer's (in,
// out); wte is followed by zero rows up to the padded vocabulary. The reader and the writer
// both walk this one table, so they cannot disagree.
struct llmc_tensor {
    const char *name; // llm.c's
    int per_layer;    // 1: offsets into struct layer_params; 0: into struct model
    int transposed;   // 1: stored (out, in)
    int padded;       // 1: followed by (Vp - V) rows of zeros
    int n_parts;
    size_t parts[3];
};

#define LP(field) offsetof(struct layer_params, field)
static const struct llmc_tensor llmc_tensors[] = {
    {"wte", 0, 0, 1, 1, {offsetof(struct model, wte)}},
    {"wpe", 0, 0, 0, 1, {offsetof(struct model, wpe)}},
    {"ln1w", 1, 0, 0, 1, {LP(ln1_g)}},
    {"ln1b", 1, 0, 0, 1, {LP(ln1_b)}},
    {"qkvw", 1, 1, 0, 3, {LP(wq), LP(wk), LP(wv)}},
    {"qkvb", 1, 0, 0, 3, {LP(bq), LP(bk), LP(bv)}},
    {"attprojw", 1, 1, 0, 1, {LP(wo)}},
    {"attprojb", 1, 0, 0, 1, {LP(bo)}},
    {"ln2w", 1, 0, 0, 1, {LP(ln2_g)}},
    {"ln2b", 1, 0, 0, 1, {LP(ln2_b)}},
    {"fcw", 1, 1, 0, 1, {LP(w1)}},
    {"fcb", 1, 0, 0, 1, {LP(b1)}},
    {"fcprojw", 1, 1, 0, 1, {LP(w2)}},
    {"fcprojb", 1, 0, 0, 1, {LP(b2)}},
    {"lnfw", 0, 0, 0, 1, {offsetof(struct model, lnf_g)}},
    {"lnfb", 0, 0, 0, 1, {offsetof(struct model, lnf_b)}},
};
#undef LP

// Called for each of stepformer's tensors in llm.c's file order with whether it is stored
// transposed and the zero rows after it. Returns 0 or an error that stops the walk.
typedef int (*llmc_tensor_fn)(void *ctx, const struct tensor *t, int transposed, int pad_rows);

// Walks llmc_tensors over m (a model with GPT-2's switches) whose padded vocabulary is Vp.
static int llmc_each_tensor(const struct model *m, int Vp, llmc_tensor_fn fn, void *ctx)
{
    for (size_t k = 0; k < sizeof llmc_tensors / sizeof llmc_tensors[0]; k++) {
        const struct llmc_tensor *e = &llmc_tensors[k];
        int layers = e->per_layer ? m->cfg.n_layer : 1;
        for (int l = 0; l < layers; l++) {
            const char *base = e->per_layer ? (const char *)&m->layers[l] : (const char *)m;
            for (int p = 0; p < e->n_parts; p++) {
                const struct tensor *t = (const struct tensor *)(const void *)(base + e->parts[p]);
                int rc = fn(ctx, t, e->transposed, e->padded ? Vp - m->cfg.vocab_size : 0);
                if (rc)
                    return rc;
            }
        }
    }
    return SF_OK;
}

// A stream and room for the largest matrix (4 C C floats) for the walk.
struct llmc_io {
    FILE *f;
    float *tmp;
};

// Reads t in llm.c's layout: a matrix stored (out, in) into t (in, out); then skips the
// padding rows.
static int read_llmc_tensor(void *ctx, const struct tensor *t, int transposed, int pad_rows)
{
    struct llmc_io *io = ctx;
    size_t n = tensor_numel(t);
    if (fread(transposed ? io->tmp : t->data, sizeof(float), n, io->f) != n)
        return SF_ERR_IO;
    if (transposed) {
        int in = t->shape[0], out = t->shape[1];
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++)
                t->data[(size_t)i * out + o] = io->tmp[(size_t)o * in + i];
    }
    long skip = (long)pad_rows * t->shape[t->ndim - 1] * (long)sizeof(float);
    return skip && fseek(io->f, skip, SEEK_CUR) != 0 ? SF_ERR_IO : SF_OK;
}

// Writes t in llm.c's layout: a matrix (in, out) as (out, in); then the padding rows, zeros.
static int write_llmc_tensor(void *ctx, const struct tensor *t, int transposed, int pad_rows)
{
    struct llmc_io *io = ctx;
    size_t n = tensor_numel(t);
    const float *src = t->data;
    if (transposed) {
        int in = t->shape[0], out = t->shape[1];
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++)
                io->tmp[(size_t)o * in + i] = t->data[(size_t)i * out + o];
        src = io->tmp;
    }
    if (fwrite(src, sizeof(float), n, io->f) != n)
        return SF_ERR_IO;
    size_t row = (size_t)t->shape[t->ndim - 1];
    if (pad_rows)
        memset(io->tmp, 0, row * sizeof(float));
    for (int r = 0; r < pad_rows; r++)
        if (fwrite(io->tmp, sizeof(float), row, io->f) != row)
            return SF_ERR_IO;
    return SF_OK;
}

// llm.c's header: every size in range, and the file as long as they say. Fills c and the
// padded vocabulary *Vp. 0, or an error with d filled.
static int read_llmc_header(FILE *f, const char *name, long len, struct model_config *c,
                            int *Vp_out, struct sf_diag *d)
{
    unsigned char h[SF_LLMC_HEADER_BYTES];
    if (len < SF_LLMC_HEADER_BYTES || fread(h, 1, sizeof h, f) != sizeof h)
        return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                           "truncated: %ld bytes, shorter than llm.c's %d-byte header", len,
                           SF_LLMC_HEADER_BYTES);
    int32_t version = get_i32(h + 4);
    if (version != LLMC_VERSION)
        return sf_diag_set(d, SF_ERR_VERSION, name, 0, 0,
                           "llm.c checkpoint version %d is not supported (version %d is: write it "
                           "again with a current llm.c)",
                           version, LLMC_VERSION);
    int32_t maxT = get_i32(h + 8), V = get_i32(h + 12), L = get_i32(h + 16);
    int32_t NH = get_i32(h + 20), C = get_i32(h + 24), Vp = get_i32(h + 28);
    // Every field in range before anything is computed from it (4 C, C C, ... cannot overflow).
    const struct {
        const char *name;
        int32_t value, lo, hi;
    } fields[] = {
        {"max_seq_len", maxT, 1, SF_MAX_CTX}, {"vocab_size", V, 1, SF_MAX_VOCAB},
        {"num_layers", L, 1, SF_MAX_LAYERS},  {"num_heads", NH, 1, SF_MAX_HEADS},
        {"channels", C, 1, SF_MAX_DMODEL},    {"padded_vocab_size", Vp, 1, SF_MAX_VOCAB},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].value < fields[i].lo || fields[i].value > fields[i].hi)
            return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                               "bad llm.c header: %s (word %zu) is %d; it must be from %d to %d",
                               fields[i].name, i + 2, (int)fields[i].value, (int)fields[i].lo,
                               (int)fields[i].hi);
    if (Vp < V)
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "bad llm.c header: padded_vocab_size (word 7) is %d, smaller than "
                           "vocab_size %d",
                           (int)Vp, (int)V);
    model_config_gpt2(c, L, NH, C, V, maxT);
    int rc = model_config_check(c, d);
    if (rc) {
        char msg[sizeof d->msg];
        snprintf(msg, sizeof msg, "%s", d->msg);
        return sf_diag_set(d, rc, name, 0, 0, "bad llm.c header: %s", msg);
    }
    // The parameters and the padding rows, in 64 bits: with the limits above the largest is
    // about 2^44 floats.
    uint64_t floats = (uint64_t)model_config_param_count(c) + (uint64_t)(Vp - V) * (uint64_t)C;
    uint64_t need = floats * sizeof(float), rest = (uint64_t)(len - SF_LLMC_HEADER_BYTES);
    if (rest < need)
        return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                           "truncated: the header's sizes need %llu bytes of weights but only "
                           "%llu remain",
                           (unsigned long long)need, (unsigned long long)rest);
    if (rest > need)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "%llu unexpected bytes after the weights: the header's sizes do not "
                           "match the file",
                           (unsigned long long)(rest - need));
    *Vp_out = Vp;
    return SF_OK;
}

// An llm.c GPT-2 checkpoint: header, then the weights.
static int read_llmc(struct model *m, FILE *f, const char *name, long len, struct sf_diag *d)
{
    struct model_config c;
    int Vp = 0;
    int rc = read_llmc_header(f, name, len, &c, &Vp, d);
    if (!rc)
        rc = model_init(m, &c, d);
    if (rc)
        return rc;
    struct llmc_io io = {f, malloc(sizeof(float) * 4 * (size_t)c.d_model * (size_t)c.d_model)};
    if (!io.tmp)
        return sf_diag_set(d, SF_ERR_NOMEM, name, 0, 0, "out of memory");
    rc = llmc_each_tensor(m, Vp, read_llmc_tensor, &io);
    free(io.tmp);
    if (rc)
        return sf_diag_set(d, rc, name, 0, 0, "read error in the weights");
    return check_finite(m, name, d);
}

int checkpoint_read(struct model *m, FILE *f, const char *name, struct sf_diag *d)
{
    memset(m, 0, sizeof *m);
    long len = stream_length(f);
    unsigned char magic[8];
    if (len < 0)
        return sf_diag_set(d, SF_ERR_IO, name, 0, 0, "cannot read the file");
    if (len == 0)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "the file is empty: expected a stepformer model or an llm.c GPT-2 "
                           "checkpoint");
    if (len < 8 || fread(magic, 1, 8, f) != 8 || fseek(f, 0, SEEK_SET) != 0)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "only %ld bytes: not a stepformer model or an llm.c checkpoint", len);
    int rc;
    if (memcmp(magic, SF_NATIVE_MAGIC, 8) == 0)
        rc = read_native(m, f, name, len, d);
    else if (get_i32(magic) == SF_LLMC_MODEL_MAGIC)
        rc = read_llmc(m, f, name, len, d);
    else
        rc = sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                         "not a stepformer model (magic \"%s\") or an llm.c GPT-2 checkpoint "
                         "(magic %d)",
                         SF_NATIVE_MAGIC, SF_LLMC_MODEL_MAGIC);
    if (rc)
        model_free(m);
    return rc;
}

int checkpoint_read_native(struct model *m, FILE *f, const char *name, long len, struct sf_diag *d)
{
    memset(m, 0, sizeof *m);
    long start = ftell(f);
    unsigned char magic[8];
    if (start < 0 || len < 8 || fread(magic, 1, 8, f) != 8 || fseek(f, start, SEEK_SET) != 0 ||
        memcmp(magic, SF_NATIVE_MAGIC, 8) != 0)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "the model inside does not start with the magic \"%s\"",
                           SF_NATIVE_MAGIC);
    int rc = read_native(m, f, name, len, d);
    if (rc)
        model_free(m);
    return rc;
}

int checkpoint_load(struct model *m, const char *path, struct sf_diag *d)
{
    memset(m, 0, sizeof *m);
    FILE *f = sf_open_read(path, "model file", d);
    if (!f)
        return SF_ERR_IO;
    int rc = checkpoint_read(m, f, path, d);
    fclose(f);
    return rc;
}

int checkpoint_set_tokenizer(struct model *m, struct tokenizer *t, const char *path,
                             struct sf_diag *d)
{
    int V = m->cfg.vocab_size;
    if (t->n != V) {
        int n = t->n;
        tokenizer_free(t);
        if (n > V)
            return sf_diag_set(d, SF_ERR_RANGE, path, 0, 0,
                               "the tokenizer has %d pieces but the model's vocabulary only %d "
                               "(padding rows not counted): ids from %d up would have no "
                               "embedding row; use the tokenizer file that belongs to this "
                               "model",
                               n, V, V);
        return sf_diag_set(d, SF_ERR_RANGE, path, 0, 0,
                           "the tokenizer has %d pieces but the model's vocabulary has %d: ids "
                           "from %d up would have no text; use the tokenizer file that belongs "
                           "to this model",
                           n, V, n);
    }
    tokenizer_free(&m->tok);
    m->tok = *t;
    return SF_OK;
}

int checkpoint_load_tokenizer(struct model *m, const char *path, struct sf_diag *d)
{
    struct tokenizer t;
    int rc = tokenizer_load_llmc(&t, path, d);
    if (rc)
        return rc;
    return checkpoint_set_tokenizer(m, &t, path, d);
}

int checkpoint_check(const struct model *m, const char *path, struct sf_diag *d)
{
    const struct tokenizer *t = &m->tok;
    int rc = model_config_check(&m->cfg, d);
    if (rc) {
        char msg[sizeof d->msg];
        snprintf(msg, sizeof msg, "%s", d ? d->msg : "");
        return sf_diag_set(d, SF_ERR_ARG, path, 0, 0, "not saved: %s", msg);
    }
    if (!m->wte.data || m->n_params != model_config_param_count(&m->cfg))
        return sf_diag_set(d, SF_ERR_ARG, path, 0, 0,
                           "not saved: the model holds %zu parameters but its configuration "
                           "needs %zu",
                           m->wte.data ? m->n_params : 0, model_config_param_count(&m->cfg));
    // With no pieces the ids are not written (the file says -1).
    if ((t->kind == TOK_NONE) != (t->n == 0) || t->n > m->cfg.vocab_size ||
        (t->n > 0 && (t->unk_id < -1 || t->unk_id >= t->n || t->eot_id < -1 || t->eot_id >= t->n)))
        return sf_diag_set(d, SF_ERR_ARG, path, 0, 0,
                           "not saved: the tokenizer (kind %d, %d pieces, unknown id %d, "
                           "end-of-text id %d) does not fit a vocabulary of %d",
                           (int)t->kind, t->n, t->unk_id, t->eot_id, m->cfg.vocab_size);
    if (t->n_merges < 0 || (t->n_merges > 0 && (t->kind != TOK_BPE || !t->merges)))
        return sf_diag_set(d, SF_ERR_ARG, path, 0, 0,
                           "not saved: a tokenizer of kind %d has %d BPE merges", (int)t->kind,
                           t->n_merges);
    for (int i = 0; i < 2 * t->n_merges; i++)
        if (t->merges[i] < 0 || t->merges[i] >= t->n)
            return sf_diag_set(d, SF_ERR_ARG, path, 0, 0,
                               "not saved: BPE merge %d names id %d, not a piece", i / 2,
                               t->merges[i]);
    for (int i = 0; i < t->n; i++)
        if (t->lens[i] < 0 || t->lens[i] > SF_NATIVE_MAX_PIECE_BYTES)
            return sf_diag_set(d, SF_ERR_ARG, path, 0, 0,
                               "not saved: tokenizer piece %d (\"%.20s...\") is %d bytes long; "
                               "a model file holds pieces of at most %d bytes",
                               i, t->pieces[i], t->lens[i], SF_NATIVE_MAX_PIECE_BYTES);
    return SF_OK;
}

int checkpoint_emit(const struct model *m, checkpoint_sink_fn fn, void *ctx)
{
    const struct model_config *c = &m->cfg;
    if (checkpoint_check(m, NULL, NULL))
        return SF_ERR_ARG;
    unsigned char h[NATIVE_HEADER_BYTES] = {0};
    memcpy(h, SF_NATIVE_MAGIC, 8);
    put_u32(h + 8, m->tok.n_merges > 0 ? 2 : 1); // version 1 when there are no merges
    put_u32(h + 12, NATIVE_HEADER_BYTES);
    put_i32(h + 16, c->n_layer);
    put_i32(h + 20, c->n_head);
    put_i32(h + 24, c->d_model);
    put_i32(h + 28, c->d_ff);
    put_i32(h + 32, c->vocab_size);
    put_i32(h + 36, c->n_ctx);
    put_f32(h + 40, c->ln_eps);
    put_i32(h + 44, c->norm);
    put_i32(h + 48, c->final_norm);
    put_i32(h + 52, c->pos);
    put_i32(h + 56, c->act);
    put_i32(h + 60, c->bias);
    put_i32(h + 64, c->tied);
    put_u32(h + 72, (uint32_t)(m->n_params & 0xffffffffu));
    put_u32(h + 76, (uint32_t)((uint64_t)m->n_params >> 32));
    int rc = fn(ctx, h, sizeof h);
    if (rc)
        return rc;
    const struct tokenizer *t = &m->tok;
    unsigned char th[16];
    put_u32(th, (uint32_t)t->kind);
    put_u32(th + 4, (uint32_t)t->n);
    put_i32(th + 8, t->n ? t->unk_id : -1);
    put_i32(th + 12, t->n ? t->eot_id : -1);
    if ((rc = fn(ctx, th, sizeof th)) != 0)
        return rc;
    for (int i = 0; i < t->n; i++) {
        unsigned char lb[4];
        put_u32(lb, (uint32_t)t->lens[i]);
        if ((rc = fn(ctx, lb, 4)) != 0 || (rc = fn(ctx, t->pieces[i], (size_t)t->lens[i])) != 0)
            return rc;
    }
    if (t->n_merges > 0) {
        unsigned char nb[8];
        put_u32(nb, (uint32_t)t->n_merges);
        if ((rc = fn(ctx, nb, 4)) != 0)
            return rc;
        for (int r = 0; r < t->n_merges; r++) {
            put_u32(nb, (uint32_t)t->merges[2 * r]);
            put_u32(nb + 4, (uint32_t)t->merges[2 * r + 1]);
            if ((rc = fn(ctx, nb, 8)) != 0)
                return rc;
        }
    }
    return model_emit_params(m, fn, ctx);
}

static int sink_file(void *ctx, const void *bytes, size_t n)
{
    return fwrite(bytes, 1, n, ctx) == n ? SF_OK : SF_ERR_IO;
}

int checkpoint_write(const struct model *m, FILE *f)
{
    return checkpoint_emit(m, sink_file, f);
}

static int write_model(FILE *f, const void *ctx)
{
    return checkpoint_write(ctx, f);
}

int checkpoint_save(const struct model *m, const char *path, struct sf_diag *d)
{
    int rc = checkpoint_check(m, path, d);
    if (rc)
        return rc;
    return sf_write_atomic(path, write_model, m, d);
}

// The reasons m cannot be an llm.c checkpoint with its tokenizer, joined into one line in buf
// (empty when it can). Returns how many.
static int llmc_refusals(const struct model *m, char *buf, size_t size)
{
    const struct model_config *c = &m->cfg;
    const struct tokenizer *t = &m->tok;
    static const char *const kinds[] = {"no", "a character-level", "a word-level", "a BPE"};
    char why[8][160];
    int n = 0;
    if (c->norm != NORM_PRE)
        snprintf(why[n++], sizeof why[0], "post-norm blocks (llm.c's are pre-norm)");
    if (!c->final_norm)
        snprintf(why[n++], sizeof why[0], "no final LayerNorm (llm.c has one)");
    if (c->pos != POS_LEARNED)
        snprintf(why[n++], sizeof why[0], "%s (llm.c learns its positions)",
                 c->pos == POS_SINUSOIDAL ? "sinusoidal positions" : "no position embedding");
    if (c->act != ACT_GELU)
        snprintf(why[n++], sizeof why[0], "a ReLU feedforward layer (llm.c's is GELU)");
    if (!c->bias)
        snprintf(why[n++], sizeof why[0], "no biases (llm.c has them)");
    if (!c->tied)
        snprintf(why[n++], sizeof why[0], "an unembedding of its own (llm.c's is tied to wte)");
    if (c->d_ff != 4 * c->d_model)
        snprintf(why[n++], sizeof why[0], "d_ff %d (llm.c's is 4 d = %d)", c->d_ff, 4 * c->d_model);
    if (c->ln_eps != 1e-5f)
        snprintf(why[n++], sizeof why[0], "LayerNorm eps %g (llm.c's is 1e-5)", (double)c->ln_eps);
    if (t->kind != TOK_NONE && t->kind != TOK_BPE)
        snprintf(why[n++], sizeof why[0], "%s tokenizer (llm.c's tokenizer file holds GPT-2 BPE)",
                 kinds[t->kind]);
    else if (t->kind == TOK_BPE && t->n != c->vocab_size)
        snprintf(why[n++], sizeof why[0],
                 "a tokenizer of %d pieces for a vocabulary of %d (llm.c's has one per row)", t->n,
                 c->vocab_size);
    else if (t->kind == TOK_BPE && t->unk_id >= 0)
        snprintf(why[n++], sizeof why[0], "an unknown-token id %d (llm.c's tokenizer has none)",
                 t->unk_id);
    else if (t->kind == TOK_BPE && !tokenizer_merges_follow_ids(t))
        snprintf(why[n++], sizeof why[0],
                 "merges that do not make their pieces in id order (llm.c's tokenizer file has "
                 "no merges: a pair is ranked by its piece's id)");
    for (int i = 0; t->kind == TOK_BPE && i < t->n && n < 8; i++)
        if (t->lens[i] < 1 || t->lens[i] > 255) {
            snprintf(why[n++], sizeof why[0],
                     "token %d of %d bytes (llm.c's tokenizer file holds 1 to 255)", i, t->lens[i]);
            break;
        }
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%s",
                              !i           ? ""
                              : i == n - 1 ? " and "
                                           : ", ",
                              why[i]);
    return n;
}

int checkpoint_check_llmc(const struct model *m, const char *path, struct sf_diag *d)
{
    int rc = checkpoint_check(m, path, d);
    if (rc)
        return rc;
    char why[SF_MSG_MAX];
    if (llmc_refusals(m, why, sizeof why))
        return sf_diag_set(d, SF_ERR_ARG, path, 0, 0,
                           "an llm.c checkpoint holds GPT-2's shape only, and this model has %s; "
                           "write a stepformer model (.sfm) instead",
                           why);
    return SF_OK;
}

int checkpoint_llmc_padded_vocab(int vocab_size)
{
    return (vocab_size + 127) / 128 * 128;
}

int checkpoint_write_llmc(const struct model *m, FILE *f)
{
    const struct model_config *c = &m->cfg;
    if (checkpoint_check_llmc(m, NULL, NULL))
        return SF_ERR_ARG;
    int C = c->d_model, V = c->vocab_size, Vp = checkpoint_llmc_padded_vocab(V);
    unsigned char h[SF_LLMC_HEADER_BYTES] = {0};
    const int32_t fields[8] = {SF_LLMC_MODEL_MAGIC, LLMC_VERSION, c->n_ctx, V,
                               c->n_layer,          c->n_head,    C,        Vp};
    for (int i = 0; i < 8; i++)
        put_i32(h + 4 * i, fields[i]);
    if (fwrite(h, 1, sizeof h, f) != sizeof h)
        return SF_ERR_IO;
    struct llmc_io io = {f, malloc(sizeof(float) * 4 * (size_t)C * (size_t)C)};
    if (!io.tmp)
        return SF_ERR_NOMEM;
    int rc = llmc_each_tensor(m, Vp, write_llmc_tensor, &io);
    free(io.tmp);
    return rc;
}

static int write_llmc_model(FILE *f, const void *ctx)
{
    return checkpoint_write_llmc(ctx, f);
}

int checkpoint_save_llmc(const struct model *m, const char *path, struct sf_diag *d)
{
    int rc = checkpoint_check_llmc(m, path, d);
    if (rc)
        return rc;
    return sf_write_atomic(path, write_llmc_model, m, d);
}

int checkpoint_write_llmc_tokenizer(const struct tokenizer *t, FILE *f)
{
    if (t->kind != TOK_BPE || t->n < 1 || t->unk_id >= 0 || t->eot_id >= t->n)
        return SF_ERR_ARG;
    for (int i = 0; i < t->n; i++)
        if (t->lens[i] < 1 || t->lens[i] > 255)
            return SF_ERR_ARG;
    unsigned char h[SF_LLMC_HEADER_BYTES] = {0};
    put_i32(h, SF_LLMC_TOKENIZER_MAGIC);
    // Version 2 records the end-of-text id in word 3; version 1, for a tokenizer with none.
    put_i32(h + 4, t->eot_id >= 0 ? 2 : 1);
    put_i32(h + 8, t->n);
    put_i32(h + 12, t->eot_id >= 0 ? t->eot_id : 0);
    if (fwrite(h, 1, sizeof h, f) != sizeof h)
        return SF_ERR_IO;
    for (int i = 0; i < t->n; i++) {
        unsigned char len = (unsigned char)t->lens[i];
        if (fwrite(&len, 1, 1, f) != 1 || fwrite(t->pieces[i], 1, len, f) != len)
            return SF_ERR_IO;
    }
    return SF_OK;
}

static int write_llmc_tok(FILE *f, const void *ctx)
{
    return checkpoint_write_llmc_tokenizer(ctx, f);
}

int checkpoint_save_llmc_tokenizer(const struct model *m, const char *path, struct sf_diag *d)
{
    int rc = checkpoint_check_llmc(m, path, d);
    if (rc)
        return rc;
    if (m->tok.kind != TOK_BPE)
        return sf_diag_set(d, SF_ERR_ARG, path, 0, 0, "the model has no tokenizer to write");
    return sf_write_atomic(path, write_llmc_tok, &m->tok, d);
}

char *checkpoint_llmc_tokenizer_path(const char *model_path)
{
    static const char suffix[] = "_tokenizer.bin";
    const char *slash = strrchr(model_path, '/');
    const char *base = slash ? slash + 1 : model_path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot > base ? (size_t)(dot - model_path) : strlen(model_path);
    char *p = malloc(stem + sizeof suffix);
    if (p) {
        memcpy(p, model_path, stem);
        memcpy(p + stem, suffix, sizeof suffix);
    }
    return p;
}
