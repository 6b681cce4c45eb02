// Model files: stepformer's native format (assets/README.md) and llm.c GPT-2 checkpoints.
// Every size in a header is checked against the file's length before anything is allocated.
#include "stepformer/checkpoint.h"

#include <errno.h>
#include <math.h>
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
    if (fread(m->params, sizeof(float), want, f) != want)
        return sf_diag_set(d, SF_ERR_IO, name, 0, 0, "read error in the weights");
    return check_finite(m, name, d);
}

// Reads rows x cols floats stored [out][in] (llm.c) into dst as (in, out): dst (cols, rows).
static int read_transposed(float *dst, FILE *f, int rows, int cols, float *tmp)
{
    size_t n = (size_t)rows * (size_t)cols;
    if (fread(tmp, sizeof(float), n, f) != n)
        return SF_ERR_IO;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            dst[(size_t)c * rows + r] = tmp[(size_t)r * cols + c];
    return SF_OK;
}

static int read_floats(float *dst, FILE *f, size_t n)
{
    return fread(dst, sizeof(float), n, f) == n ? SF_OK : SF_ERR_IO;
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
    // Sizes in 64 bits: with the limits above the largest is about 2^44 floats.
    uint64_t Cs = (uint64_t)C, Ls = (uint64_t)L;
    uint64_t floats = (uint64_t)Vp * Cs + (uint64_t)maxT * Cs +
                      Ls * (2 * Cs + 3 * Cs * Cs + 3 * Cs + Cs * Cs + Cs + 2 * Cs + 4 * Cs * Cs +
                            4 * Cs + 4 * Cs * Cs + Cs) +
                      2 * Cs;
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

// llm.c's weights, each kind of tensor for all layers in turn, into m (whose configuration
// the header gave); tmp holds 4 C C floats. The matrices are stored (out, in) and read as
// (in, out). 0, or SF_ERR_IO.
static int read_llmc_weights(struct model *m, FILE *f, int Vp, float *tmp)
{
    int V = m->cfg.vocab_size, C = m->cfg.d_model, L = m->cfg.n_layer;
    size_t Cs = (size_t)C;
    // wte (Vp, C): keep the first V rows, skip the padding.
    int rc = read_floats(m->wte.data, f, (size_t)V * Cs);
    if (!rc && fseek(f, (long)((size_t)(Vp - V) * Cs * sizeof(float)), SEEK_CUR) != 0)
        rc = SF_ERR_IO;
    if (!rc)
        rc = read_floats(m->wpe.data, f, (size_t)m->cfg.n_ctx * Cs);
    for (int l = 0; l < L && !rc; l++)
        rc = read_floats(m->layers[l].ln1_g.data, f, Cs);
    for (int l = 0; l < L && !rc; l++)
        rc = read_floats(m->layers[l].ln1_b.data, f, Cs);
    for (int l = 0; l < L && !rc; l++) {
        // qkvw (3C, C): rows 0..C-1 make Q, then K, then V.
        struct layer_params *p = &m->layers[l];
        rc = read_transposed(p->wq.data, f, C, C, tmp);
        if (!rc)
            rc = read_transposed(p->wk.data, f, C, C, tmp);
        if (!rc)
            rc = read_transposed(p->wv.data, f, C, C, tmp);
    }
    for (int l = 0; l < L && !rc; l++) {
        struct layer_params *p = &m->layers[l];
        rc = read_floats(p->bq.data, f, Cs);
        if (!rc)
            rc = read_floats(p->bk.data, f, Cs);
        if (!rc)
            rc = read_floats(p->bv.data, f, Cs);
    }
    for (int l = 0; l < L && !rc; l++)
        rc = read_transposed(m->layers[l].wo.data, f, C, C, tmp);
    for (int l = 0; l < L && !rc; l++)
        rc = read_floats(m->layers[l].bo.data, f, Cs);
    for (int l = 0; l < L && !rc; l++)
        rc = read_floats(m->layers[l].ln2_g.data, f, Cs);
    for (int l = 0; l < L && !rc; l++)
        rc = read_floats(m->layers[l].ln2_b.data, f, Cs);
    for (int l = 0; l < L && !rc; l++)
        rc = read_transposed(m->layers[l].w1.data, f, 4 * C, C, tmp); // fcw (4C, C)
    for (int l = 0; l < L && !rc; l++)
        rc = read_floats(m->layers[l].b1.data, f, 4 * Cs);
    for (int l = 0; l < L && !rc; l++)
        rc = read_transposed(m->layers[l].w2.data, f, C, 4 * C, tmp); // fcprojw (C, 4C)
    for (int l = 0; l < L && !rc; l++)
        rc = read_floats(m->layers[l].b2.data, f, Cs);
    if (!rc)
        rc = read_floats(m->lnf_g.data, f, Cs);
    if (!rc)
        rc = read_floats(m->lnf_b.data, f, Cs);
    return rc;
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
    float *tmp = malloc(sizeof(float) * 4 * (size_t)c.d_model * (size_t)c.d_model);
    if (!tmp)
        return sf_diag_set(d, SF_ERR_NOMEM, name, 0, 0, "out of memory");
    rc = read_llmc_weights(m, f, Vp, tmp);
    free(tmp);
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

int checkpoint_load_tokenizer(struct model *m, const char *path, struct sf_diag *d)
{
    struct tokenizer t;
    int rc = tokenizer_load_llmc(&t, path, d);
    if (rc)
        return rc;
    int V = m->cfg.vocab_size;
    if (t.n != V) {
        int n = t.n;
        tokenizer_free(&t);
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
    m->tok = t;
    return SF_OK;
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
    if (!m->params || m->n_params != model_config_param_count(&m->cfg))
        return sf_diag_set(d, SF_ERR_ARG, path, 0, 0,
                           "not saved: the model holds %zu parameters but its configuration "
                           "needs %zu",
                           m->params ? m->n_params : 0, model_config_param_count(&m->cfg));
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
    return fn(ctx, m->params, sizeof(float) * m->n_params);
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

// Writes src (in, out) as llm.c's [out][in].
static int write_transposed(FILE *f, const float *src, int in, int out)
{
    for (int o = 0; o < out; o++)
        for (int i = 0; i < in; i++)
            if (fwrite(&src[(size_t)i * out + o], sizeof(float), 1, f) != 1)
                return SF_ERR_IO;
    return SF_OK;
}

int checkpoint_write_llmc(const struct model *m, FILE *f)
{
    const struct model_config *c = &m->cfg;
    if (c->norm != NORM_PRE || !c->final_norm || c->pos != POS_LEARNED || c->act != ACT_GELU ||
        !c->bias || !c->tied || c->d_ff != 4 * c->d_model)
        return SF_ERR_ARG;
    int C = c->d_model, L = c->n_layer, V = c->vocab_size, Vp = (V + 127) / 128 * 128;
    unsigned char h[SF_LLMC_HEADER_BYTES] = {0};
    const int32_t fields[8] = {SF_LLMC_MODEL_MAGIC, LLMC_VERSION, c->n_ctx, V, L, c->n_head, C, Vp};
    for (int i = 0; i < 8; i++)
        put_i32(h + 4 * i, fields[i]);
    if (fwrite(h, 1, sizeof h, f) != sizeof h)
        return SF_ERR_IO;
    int rc = fwrite(m->wte.data, sizeof(float), (size_t)V * C, f) == (size_t)V * C ? 0 : -1;
    for (size_t i = 0; !rc && i < (size_t)(Vp - V) * C; i++) {
        float zero = 0.0f;
        rc = fwrite(&zero, sizeof zero, 1, f) == 1 ? 0 : -1;
    }
    if (!rc)
        rc = fwrite(m->wpe.data, sizeof(float), (size_t)c->n_ctx * C, f) == (size_t)c->n_ctx * C
                 ? 0
                 : -1;
#define EACH(expr)                                                                                 \
    for (int l = 0; l < L && !rc; l++) {                                                           \
        const struct layer_params *p = &m->layers[l];                                              \
        rc = (expr);                                                                               \
    }
#define VEC(t, n) (fwrite((t).data, sizeof(float), (size_t)(n), f) == (size_t)(n) ? 0 : -1)
    EACH(VEC(p->ln1_g, C));
    EACH(VEC(p->ln1_b, C));
    EACH(write_transposed(f, p->wq.data, C, C) || write_transposed(f, p->wk.data, C, C) ||
         write_transposed(f, p->wv.data, C, C));
    EACH(VEC(p->bq, C) || VEC(p->bk, C) || VEC(p->bv, C));
    EACH(write_transposed(f, p->wo.data, C, C));
    EACH(VEC(p->bo, C));
    EACH(VEC(p->ln2_g, C));
    EACH(VEC(p->ln2_b, C));
    EACH(write_transposed(f, p->w1.data, C, 4 * C));
    EACH(VEC(p->b1, 4 * C));
    EACH(write_transposed(f, p->w2.data, 4 * C, C));
    EACH(VEC(p->b2, C));
#undef EACH
    if (!rc)
        rc = VEC(m->lnf_g, C);
    if (!rc)
        rc = VEC(m->lnf_b, C);
#undef VEC
    return rc ? SF_ERR_IO : SF_OK;
}
