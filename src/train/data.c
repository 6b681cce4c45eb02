// Training data: llm.c token files and text, vocabularies built from text, and batches in
// llm.c's order.
#include "stepformer/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/checkpoint.h"
#include "stepformer/fileio.h"

static uint32_t u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int load_llmc_tokens(struct token_data *td, const char *path, const unsigned char *buf,
                            size_t len, int vocab, struct sf_diag *d)
{
    if (len < SF_LLMC_HEADER_BYTES)
        return sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0,
                           "truncated: %zu bytes, shorter than the %d-byte header of an llm.c "
                           "token file",
                           len, SF_LLMC_HEADER_BYTES);
    const unsigned char *body = buf + SF_LLMC_HEADER_BYTES; // u16 token ids
    size_t body_len = len - SF_LLMC_HEADER_BYTES;
    uint32_t version = u32le(buf + 4), count = u32le(buf + 8);
    if (version != 1)
        return sf_diag_set(d, SF_ERR_VERSION, path, 0, 0,
                           "llm.c token file version %u is not supported (version 1 is)", version);
    if (body_len / 2 < count || body_len % 2 != 0)
        return sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0,
                           "truncated: the header says %u tokens but the file holds %zu", count,
                           body_len / 2);
    if (count == 0)
        return sf_diag_set(d, SF_ERR_EMPTY, path, 0, 0, "the token file holds no tokens");
    td->tokens = malloc(sizeof *td->tokens * count);
    if (!td->tokens)
        return sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0, "out of memory");
    for (uint32_t i = 0; i < count; i++) {
        int id = body[2 * i] | body[2 * i + 1] << 8;
        if (id >= vocab) {
            free(td->tokens);
            td->tokens = NULL;
            return sf_diag_set(d, SF_ERR_RANGE, path, 0, 0,
                               "token %u is id %d, outside the model's vocabulary 0..%d: the "
                               "data was made with another tokenizer",
                               i, id, vocab - 1);
        }
        td->tokens[i] = id;
    }
    td->n = count;
    return SF_OK;
}

int token_data_from_text(struct token_data *td, const char *buf, size_t len, const char *name,
                         struct tokenizer *tok, int vocab, struct sf_diag *d)
{
    memset(td, 0, sizeof *td);
    td->tokens = malloc(sizeof *td->tokens * (len + 1));
    int n = 0;
    int rc =
        td->tokens ? tokenizer_encode(tok, buf, td->tokens, (int)len + 1, &n, d) : SF_ERR_NOMEM;
    if (rc && d) {
        // Turn the column in the whole text into a line and column.
        int line = 1, col = 1, target = d->col;
        for (int i = 0, c = 1; buf[i] && c < target; i++, c++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        char msg[sizeof d->msg];
        snprintf(msg, sizeof msg, "%s", d->msg);
        sf_diag_set(d, rc, name, line, col, "%s", msg);
    }
    td->n = (size_t)n;
    for (size_t i = 0; !rc && i < td->n; i++)
        if (td->tokens[i] >= vocab)
            rc = sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                             "token %zu is id %d, outside the model's vocabulary 0..%d", i,
                             td->tokens[i], vocab - 1);
    if (!rc && td->n == 0)
        rc = sf_diag_set(d, SF_ERR_EMPTY, name, 0, 0, "the text holds no tokens");
    if (rc)
        token_data_free(td);
    return rc;
}

int token_data_load(struct token_data *td, const char *path, struct tokenizer *tok, int vocab,
                    struct sf_diag *d)
{
    memset(td, 0, sizeof *td);
    size_t len;
    char *buf = sf_read_file(path, "data file", SIZE_MAX, &len, NULL, d);
    if (!buf)
        return SF_ERR_IO;
    int rc;
    if (len == 0) {
        rc = sf_diag_set(d, SF_ERR_EMPTY, path, 0, 0, "the data file is empty");
    } else if (len >= 4 && u32le((const unsigned char *)buf) == SF_LLMC_TOKENS_MAGIC) {
        rc = load_llmc_tokens(td, path, (const unsigned char *)buf, len, vocab, d);
    } else if (memchr(buf, '\0', len)) {
        rc = sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0,
                         "neither text (it holds NUL bytes) nor an llm.c token file (magic "
                         "%d)",
                         SF_LLMC_TOKENS_MAGIC);
    } else {
        rc = token_data_from_text(td, buf, len, path, tok, vocab, d);
    }
    free(buf);
    if (rc)
        token_data_free(td);
    return rc;
}

uint64_t token_data_hash(const struct token_data *td)
{
    uint64_t h = SF_FNV1A_INIT;
    for (size_t i = 0; i < td->n; i++) {
        uint32_t id = (uint32_t)td->tokens[i];
        unsigned char le[4] = {(unsigned char)id, (unsigned char)(id >> 8),
                               (unsigned char)(id >> 16), (unsigned char)(id >> 24)};
        h = sf_fnv1a(h, le, 4);
    }
    return h;
}

void token_data_free(struct token_data *td)
{
    free(td->tokens);
    memset(td, 0, sizeof *td);
}

struct piece_count {
    const char *s;
    int len, count;
};

static int by_count(const void *a, const void *b)
{
    const struct piece_count *x = a, *y = b;
    if (x->count != y->count)
        return y->count - x->count;
    int n = x->len < y->len ? x->len : y->len, c = memcmp(x->s, y->s, (size_t)n);
    return c ? c : x->len - y->len;
}

// The pieces of a text counted so far: a table of (piece, count) in the order they first
// appear, and an index into it by FNV-1a hash (open addressing, at most half full).
struct piece_counts {
    struct piece_count *pc; // (cap / 2 at least) n of them used
    int *slot;              // (cap) table entry + 1, 0 for an empty slot
    int n, cap;
};

static size_t piece_slot(const struct piece_counts *c, const char *s, size_t len)
{
    return (size_t)sf_fnv1a(SF_FNV1A_INIT, s, len) & (size_t)(c->cap - 1);
}

// Doubles the table's room and rebuilds the index. 0, or SF_ERR_NOMEM.
static int counts_grow(struct piece_counts *c)
{
    int cap = c->cap ? 2 * c->cap : 1024;
    struct piece_count *grown = realloc(c->pc, sizeof *c->pc * (size_t)cap);
    int *slots = calloc((size_t)cap, sizeof *slots);
    if (grown)
        c->pc = grown;
    if (!grown || !slots) {
        free(slots);
        return SF_ERR_NOMEM;
    }
    c->cap = cap;
    free(c->slot);
    c->slot = slots;
    for (int k = 0; k < c->n; k++) {
        size_t h = piece_slot(c, c->pc[k].s, (size_t)c->pc[k].len);
        while (c->slot[h])
            h = (h + 1) & (size_t)(c->cap - 1);
        c->slot[h] = k + 1;
    }
    return SF_OK;
}

// Counts one more s[0..len) (s must outlive c). 0, or SF_ERR_NOMEM.
static int counts_add(struct piece_counts *c, const char *s, size_t len)
{
    if (2 * (c->n + 1) > c->cap && counts_grow(c))
        return SF_ERR_NOMEM;
    size_t h = piece_slot(c, s, len);
    while (c->slot[h] &&
           !(c->pc[c->slot[h] - 1].len == (int)len && !memcmp(c->pc[c->slot[h] - 1].s, s, len)))
        h = (h + 1) & (size_t)(c->cap - 1);
    if (!c->slot[h]) {
        c->pc[c->n] = (struct piece_count){s, (int)len, 0};
        c->slot[h] = ++c->n;
    }
    c->pc[c->slot[h] - 1].count++;
    return SF_OK;
}

// The piece buf[i..j) is longer than a model file holds: says where it is (line and column).
static int piece_too_long(const char *buf, size_t i, size_t j, const char *path, struct sf_diag *d)
{
    int line = 1;
    size_t line_start = 0;
    for (size_t k = 0; k < i; k++)
        if (buf[k] == '\n') {
            line++;
            line_start = k + 1;
        }
    return sf_diag_set(d, SF_ERR_RANGE, path, line, (int)(i - line_start) + 1,
                       "a word of %zu bytes (\"%.24s...\"): a model file holds vocabulary pieces "
                       "of at most %d bytes; break it up or remove it",
                       j - i, buf + i, SF_NATIVE_MAX_PIECE_BYTES);
}

// The vocabulary of the counted pieces: "<unk>" (id 0), then the pieces by falling count,
// ties in byte order. 0, or an error.
static int vocab_from_counts(struct tokenizer *t, enum tok_kind kind, struct piece_counts *c)
{
    int n = c->n, rc;
    qsort(c->pc, (size_t)n, sizeof *c->pc, by_count);
    const char **pieces = malloc(sizeof *pieces * (size_t)(n + 1));
    int *lens = malloc(sizeof *lens * (size_t)(n + 1));
    if (pieces && lens) {
        pieces[0] = "<unk>";
        lens[0] = 5;
        for (int k = 0; k < n; k++) {
            pieces[k + 1] = c->pc[k].s;
            lens[k + 1] = c->pc[k].len;
        }
        rc = tokenizer_init(t, kind, n + 1, pieces, lens);
        t->unk_id = 0;
    } else {
        rc = SF_ERR_NOMEM;
    }
    free(pieces);
    free(lens);
    return rc;
}

int tokenizer_build_from_file(struct tokenizer *t, enum tok_kind kind, const char *path,
                              struct sf_diag *d)
{
    memset(t, 0, sizeof *t);
    size_t len;
    char *buf = sf_read_file(path, "data file", SIZE_MAX, &len, NULL, d);
    if (!buf)
        return SF_ERR_IO;
    if (memchr(buf, '\0', len)) {
        free(buf);
        return sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0, "not text: it holds NUL bytes");
    }
    struct piece_counts c = {0};
    int rc = SF_OK;
    size_t i = 0, j = 0;
    while (!rc && tokenizer_next_piece(kind, buf, &i, &j))
        if (j - i > SF_NATIVE_MAX_PIECE_BYTES) // the model could be trained but not saved
            rc = piece_too_long(buf, i, j, path, d);
        else
            rc = counts_add(&c, buf + i, j - i);
    if (!rc && c.n == 0)
        rc = sf_diag_set(d, SF_ERR_EMPTY, path, 0, 0, "the text holds no %s to build a vocabulary",
                         kind == TOK_WORD ? "words" : "characters");
    if (!rc)
        rc = vocab_from_counts(t, kind, &c);
    if (rc == SF_ERR_NOMEM)
        sf_diag_set(d, rc, path, 0, 0, "out of memory building the vocabulary");
    free(c.slot);
    free(c.pc);
    free(buf);
    return rc;
}

int batcher_init(struct batcher *b, const struct token_data *td, int B, int T, int shuffle,
                 uint64_t seed, struct sf_diag *d)
{
    memset(b, 0, sizeof *b);
    b->td = td;
    b->B = B;
    b->T = T;
    b->shuffle = shuffle;
    rng_seed(&b->rng, seed);
    if ((size_t)B * (size_t)T + 1 > td->n)
        return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, 0,
                           "the data holds %zu tokens, fewer than one batch needs (B*T+1 = %d): "
                           "use more text or a smaller --batch or --seq",
                           td->n, B * T + 1);
    return SF_OK;
}

void batcher_next(struct batcher *b, int *inputs, int *targets)
{
    size_t span = (size_t)b->B * (size_t)b->T;
    if (b->shuffle)
        b->pos = (size_t)(rng_u64(&b->rng) % (uint64_t)(b->td->n - span));
    else if (b->pos + span + 1 > b->td->n)
        b->pos = 0;
    const int *src = b->td->tokens + b->pos;
    memcpy(inputs, src, sizeof *inputs * span);
    memcpy(targets, src + 1, sizeof *targets * span);
    if (!b->shuffle)
        b->pos += span;
}
