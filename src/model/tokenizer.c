// Tokenizers: character-level, word-level and GPT-2 byte-level BPE, with a hash index from
// piece to id, and llm.c's tokenizer file.
#include "stepformer/tokenizer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "stepformer/checkpoint.h"
#include "stepformer/fileio.h"
#include "stepformer/utf8.h"

struct tok_index {
    int cap;     // power of two
    int *slot;   // id + 1, 0 = empty
    int max_len; // the longest piece: longer byte strings are not looked up
    // BPE merges: an open-addressing table from a pair of ids to its rank, and each rank's
    // merged id.
    int merge_cap;        // power of two, 0 without merges
    int *merge_slot;      // rank + 1, 0 = empty
    int *merged;          // (n_merges) the id of merge r's concatenation
    pcre2_code *pattern;  // GPT-2's pre-tokenizer, compiled on first use
    pcre2_match_data *md; // its match data
};

static uint64_t hash_bytes(const char *s, int len)
{
    return sf_fnv1a(SF_FNV1A_INIT, s, (size_t)len);
}

static int index_build(struct tokenizer *t)
{
    struct tok_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return SF_ERR_NOMEM;
    ix->cap = 16;
    while (ix->cap < 2 * t->n)
        ix->cap *= 2;
    ix->slot = calloc((size_t)ix->cap, sizeof *ix->slot);
    if (!ix->slot) {
        free(ix);
        return SF_ERR_NOMEM;
    }
    for (int id = 0; id < t->n; id++) {
        if (t->lens[id] > ix->max_len)
            ix->max_len = t->lens[id];
        uint64_t h = hash_bytes(t->pieces[id], t->lens[id]);
        int s = (int)(h & (uint64_t)(ix->cap - 1));
        for (;;) {
            int other = ix->slot[s] - 1;
            if (other < 0) {
                ix->slot[s] = id + 1;
                break;
            }
            // The first id wins for duplicate pieces.
            if (t->lens[other] == t->lens[id] &&
                memcmp(t->pieces[other], t->pieces[id], (size_t)t->lens[id]) == 0)
                break;
            s = (s + 1) & (ix->cap - 1);
        }
    }
    t->index = ix;
    return SF_OK;
}

// The id of the piece s[0..len), or -1.
static int index_find(const struct tokenizer *t, const char *s, size_t len)
{
    const struct tok_index *ix = t->index;
    if (len > (size_t)ix->max_len)
        return -1;
    int s0 = (int)(hash_bytes(s, (int)len) & (uint64_t)(ix->cap - 1));
    for (int k = s0;; k = (k + 1) & (ix->cap - 1)) {
        int id = ix->slot[k] - 1;
        if (id < 0)
            return -1;
        if ((size_t)t->lens[id] == len && memcmp(t->pieces[id], s, len) == 0)
            return id;
    }
}

int tokenizer_init(struct tokenizer *t, enum tok_kind kind, int n, const char *const *pieces,
                   const int *lens)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->unk_id = -1;
    t->eot_id = -1;
    if (n <= 0)
        return SF_OK;
    t->pieces = calloc((size_t)n, sizeof *t->pieces);
    t->lens = calloc((size_t)n, sizeof *t->lens);
    if (!t->pieces || !t->lens) {
        tokenizer_free(t);
        return SF_ERR_NOMEM;
    }
    t->n = n;
    for (int i = 0; i < n; i++) {
        int len = lens ? lens[i] : (int)strlen(pieces[i]);
        t->pieces[i] = malloc((size_t)len + 1);
        if (!t->pieces[i]) {
            tokenizer_free(t);
            return SF_ERR_NOMEM;
        }
        memcpy(t->pieces[i], pieces[i], (size_t)len);
        t->pieces[i][len] = '\0';
        t->lens[i] = len;
        if (kind != TOK_BPE && strcmp(t->pieces[i], "<unk>") == 0 && t->unk_id < 0)
            t->unk_id = i;
    }
    return index_build(t);
}

static uint64_t hash_pair(int a, int b)
{
    uint64_t h = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) * 0x9e3779b97f4a7c15u;
    return h ^ h >> 29;
}

// The rank of the merge of pieces a and b, or -1.
static int merge_find(const struct tok_index *ix, const int *merges, int a, int b)
{
    if (ix->merge_cap == 0)
        return -1;
    for (int k = (int)(hash_pair(a, b) & (uint64_t)(ix->merge_cap - 1));;
         k = (k + 1) & (ix->merge_cap - 1)) {
        int r = ix->merge_slot[k] - 1;
        if (r < 0)
            return -1;
        if (merges[2 * r] == a && merges[2 * r + 1] == b)
            return r;
    }
}

static void merges_clear(struct tokenizer *t)
{
    free(t->merges);
    t->merges = NULL;
    t->n_merges = 0;
    if (t->index) {
        free(t->index->merge_slot);
        free(t->index->merged);
        t->index->merge_slot = t->index->merged = NULL;
        t->index->merge_cap = 0;
    }
}

int tokenizer_find(struct tokenizer *t, const char *s, size_t len)
{
    if (!t->index && (t->n == 0 || index_build(t)))
        return -1;
    return index_find(t, s, len);
}

// Checks merge r and files it in the table. Of two equal pairs the later rank counts, as in
// encoder.py's dict(zip(merges, ranks)) and Hugging Face's tokenizers.
static int merge_add(struct tokenizer *t, int r, struct sf_diag *d)
{
    struct tok_index *ix = t->index;
    int a = t->merges[2 * r], b = t->merges[2 * r + 1];
    if (a < 0 || a >= t->n || b < 0 || b >= t->n)
        return sf_diag_set(d, SF_ERR_FORMAT, NULL, 0, 0,
                           "merge %d joins ids %d and %d, which are not both below %d", r, a, b,
                           t->n);
    size_t la = (size_t)t->lens[a], lb = (size_t)t->lens[b];
    char *cat = malloc(la + lb);
    if (!cat)
        return SF_ERR_NOMEM;
    memcpy(cat, t->pieces[a], la);
    memcpy(cat + la, t->pieces[b], lb);
    ix->merged[r] = index_find(t, cat, la + lb);
    free(cat);
    if (ix->merged[r] < 0)
        return sf_diag_set(d, SF_ERR_FORMAT, NULL, 0, 0,
                           "merge %d joins pieces %d and %d, but their concatenation is not a "
                           "piece",
                           r, a, b);
    int k = (int)(hash_pair(a, b) & (uint64_t)(ix->merge_cap - 1));
    for (;; k = (k + 1) & (ix->merge_cap - 1)) {
        int other = ix->merge_slot[k] - 1;
        if (other < 0 || (t->merges[2 * other] == a && t->merges[2 * other + 1] == b))
            break;
    }
    ix->merge_slot[k] = r + 1;
    return SF_OK;
}

int tokenizer_set_merges(struct tokenizer *t, int n, const int *pairs, struct sf_diag *d)
{
    merges_clear(t);
    if (n <= 0)
        return SF_OK;
    if (!t->index && (t->n == 0 || index_build(t)))
        return sf_diag_set(d, t->n ? SF_ERR_NOMEM : SF_ERR_FORMAT, NULL, 0, 0,
                           t->n ? "out of memory" : "merges for a tokenizer with no pieces");
    struct tok_index *ix = t->index;
    ix->merge_cap = 16;
    while (ix->merge_cap < 2 * n)
        ix->merge_cap *= 2;
    t->merges = malloc(sizeof(int) * 2 * (size_t)n);
    ix->merge_slot = calloc((size_t)ix->merge_cap, sizeof(int));
    ix->merged = malloc(sizeof(int) * (size_t)n);
    if (!t->merges || !ix->merge_slot || !ix->merged) {
        merges_clear(t);
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    memcpy(t->merges, pairs, sizeof(int) * 2 * (size_t)n);
    t->n_merges = n;
    for (int r = 0; r < n; r++) {
        int rc = merge_add(t, r, d);
        if (rc) {
            merges_clear(t);
            return rc == SF_ERR_NOMEM ? sf_diag_set(d, rc, NULL, 0, 0, "out of memory") : rc;
        }
    }
    return SF_OK;
}

int tokenizer_merges_follow_ids(const struct tokenizer *t)
{
    if (t->n_merges == 0)
        return 1;
    const int *merged = t->index ? t->index->merged : NULL;
    if (!merged)
        return 0;
    for (int r = 1; r < t->n_merges; r++)
        if (merged[r] <= merged[r - 1])
            return 0;
    return 1;
}

void tokenizer_free(struct tokenizer *t)
{
    merges_clear(t);
    if (t->pieces)
        for (int i = 0; i < t->n; i++)
            free(t->pieces[i]);
    free(t->pieces);
    free(t->lens);
    if (t->index) {
        free(t->index->slot);
        pcre2_match_data_free(t->index->md);
        pcre2_code_free(t->index->pattern);
    }
    free(t->index);
    memset(t, 0, sizeof *t);
    t->unk_id = -1;
    t->eot_id = -1;
}

static uint32_t read_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Opens an llm.c tokenizer file for reading; *st gets its status. NULL with d filled when it
// cannot be opened or is a directory.
static FILE *open_llmc_tokenizer(const char *path, struct stat *st, struct sf_diag *d)
{
    FILE *f = sf_open_read(path, "tokenizer file (llm.c's gpt2_tokenizer.bin)", d);
    if (f && fstat(fileno(f), st) != 0) {
        int e = errno;
        fclose(f);
        sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot read the tokenizer file: %s", strerror(e));
        return NULL;
    }
    return f;
}

// The header's magic and version, and its token count (*count) and end-of-text id (*eot,
// -1 in version 1) checked against each other and the file's size. 0, or an error with d filled.
static int read_llmc_tokenizer_header(FILE *f, const struct stat *st, const char *path,
                                      uint32_t *count, int *eot, struct sf_diag *d)
{
    unsigned char header[SF_LLMC_HEADER_BYTES];
    if (fread(header, 1, sizeof header, f) != sizeof header)
        return sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0,
                           "shorter than the %d-byte header of an llm.c tokenizer file",
                           SF_LLMC_HEADER_BYTES);
    uint32_t magic = read_u32le(header), version = read_u32le(header + 4);
    uint32_t n = read_u32le(header + 8), end = read_u32le(header + 12);
    if (magic != SF_LLMC_TOKENIZER_MAGIC)
        return sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0,
                           "not an llm.c tokenizer file (magic %u, expected %d)", magic,
                           SF_LLMC_TOKENIZER_MAGIC);
    if (version != 1 && version != 2)
        return sf_diag_set(d, SF_ERR_VERSION, path, 0, 0,
                           "llm.c tokenizer version %u is not supported (versions 1 and 2 are)",
                           version);
    if (n == 0 || n > SF_MAX_TOKENIZER_PIECES)
        return sf_diag_set(d, SF_ERR_RANGE, path, 0, 0,
                           "the header says %u tokens; expected 1 to %d", n,
                           SF_MAX_TOKENIZER_PIECES);
    // Each token takes at least two bytes (its length and one byte): check before allocating.
    long long body = (long long)st->st_size - (long long)sizeof header;
    if (S_ISREG(st->st_mode) && body < 2 * (long long)n)
        return sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0,
                           "truncated: the header says %u tokens, which need at least %lld bytes "
                           "after it, but the file has %lld",
                           n, 2 * (long long)n, body);
    if (version == 2 && end >= n)
        return sf_diag_set(d, SF_ERR_RANGE, path, 0, 0,
                           "the end-of-text id %u is not below the token count %u", end, n);
    *count = n;
    *eot = version == 2 ? (int)end : -1;
    return SF_OK;
}

// n tokens, each a length byte (not 0) and its bytes, into pieces and lens. 0, or an error with
// d filled.
static int read_llmc_pieces(FILE *f, const char *path, int n, char **pieces, int *lens,
                            struct sf_diag *d)
{
    for (int i = 0; i < n; i++) {
        int len = fgetc(f);
        if (len == EOF)
            return sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0,
                               "truncated: the header says %d tokens but the file ends at token %d",
                               n, i);
        if (len == 0)
            return sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0, "token %d has length 0", i);
        pieces[i] = malloc((size_t)len + 1);
        if (!pieces[i])
            return sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0, "out of memory");
        if (fread(pieces[i], 1, (size_t)len, f) != (size_t)len)
            return sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0, "truncated inside token %d of %d",
                               i, n);
        lens[i] = len;
    }
    return SF_OK;
}

int tokenizer_load_llmc(struct tokenizer *t, const char *path, struct sf_diag *d)
{
    memset(t, 0, sizeof *t);
    t->unk_id = -1;
    t->eot_id = -1;
    struct stat st;
    FILE *f = open_llmc_tokenizer(path, &st, d);
    if (!f)
        return SF_ERR_IO;
    uint32_t count = 0;
    int eot = -1, n = 0;
    char **pieces = NULL;
    int *lens = NULL;
    int rc = read_llmc_tokenizer_header(f, &st, path, &count, &eot, d);
    if (!rc) {
        n = (int)count;
        pieces = calloc((size_t)n, sizeof *pieces);
        lens = calloc((size_t)n, sizeof *lens);
        rc = pieces && lens ? read_llmc_pieces(f, path, n, pieces, lens, d)
                            : sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    if (!rc && (rc = tokenizer_init(t, TOK_BPE, n, (const char *const *)pieces, lens)) != 0)
        sf_diag_set(d, rc, path, 0, 0, "out of memory");
    if (!rc)
        t->eot_id = eot;
    if (pieces)
        for (int i = 0; i < n; i++)
            free(pieces[i]);
    free(pieces);
    free(lens);
    fclose(f);
    return rc;
}

// Length of the character at s (not at the end of the NUL-terminated text) as the character
// tokenizer splits text: what its lead byte announces (UTF8_LAX), or 1 for a byte that starts
// no whole character.
static size_t char_len(const char *s)
{
    uint32_t cp;
    int k = utf8_decode(s, strnlen(s, 4), UTF8_LAX, &cp);
    return k > 0 ? (size_t)k : 1;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

// The length of the capital letter at s (A-Z: 1, a Latin-1 capital À-Þ but not ×: 2), or 0.
static int capital_at(const unsigned char *s)
{
    if (s[0] >= 'A' && s[0] <= 'Z')
        return 1;
    if (s[0] == 0xc3 && s[1] >= 0x80 && s[1] <= 0x9e && s[1] != 0x97)
        return 2;
    return 0;
}

int tokenizer_lowercase_only(const struct tokenizer *t)
{
    if (t->kind != TOK_WORD && t->kind != TOK_CHAR)
        return 0;
    for (int id = 0; id < t->n; id++) {
        const unsigned char *p = (const unsigned char *)t->pieces[id];
        for (int i = 0; i < t->lens[id]; i++)
            if (capital_at(p + i))
                return 0;
    }
    return 1;
}

int tokenizer_capitals(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    int count = 0;
    for (size_t i = 0; s[i]; i++)
        count += capital_at(s + i) > 0;
    return count;
}

int tokenizer_lowercase(char *text)
{
    unsigned char *s = (unsigned char *)text;
    int changed = 0;
    for (size_t i = 0; s[i]; i++) {
        int k = capital_at(s + i);
        if (k == 1)
            s[i] = (unsigned char)(s[i] - 'A' + 'a');
        else if (k == 2)
            s[++i] += 0x20; // U+00C0..U+00DE -> U+00E0..U+00FE: the second byte moves by 32
        changed += k > 0;
    }
    return changed;
}

// Letters for the word tokenizer: ASCII letters and every byte of a multi-byte UTF-8 character.
static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

struct encoder {
    struct tokenizer *t;
    int *ids;
    int max, n;
    const char *text;
    struct sf_diag *d;
};

static int emit(struct encoder *e, int id)
{
    if (e->n >= e->max)
        return sf_diag_set(e->d, SF_ERR_TOOLONG, NULL, 0, 0, "the text has more than %d tokens",
                           e->max);
    e->ids[e->n++] = id;
    return SF_OK;
}

// The 1-based column (in characters) of byte s of the text.
static int column_of(const struct encoder *e, const char *s)
{
    int col = 1;
    for (const char *p = e->text; p < s; p += char_len(p))
        col++;
    return col;
}

// Looks up one piece; unknown pieces become <unk> or an error naming the piece and column.
static int emit_piece(struct encoder *e, const char *s, size_t len)
{
    int id = index_find(e->t, s, len);
    if (id < 0)
        id = e->t->unk_id;
    if (id < 0) {
        // Quote at most 40 bytes, cut at a character boundary.
        size_t shown = 0;
        while (shown < len && shown + char_len(s + shown) <= 40)
            shown += char_len(s + shown);
        return sf_diag_set(e->d, SF_ERR_TOKEN, NULL, 0, column_of(e, s),
                           "'%.*s%s' is not in the model's vocabulary, which has no "
                           "\"<unk>\" piece: leave it out, or give token ids",
                           (int)shown, s, shown < len ? "..." : "");
    }
    return emit(e, id);
}

static int is_word_byte(unsigned char c)
{
    return is_letter(c) || is_digit(c) || c == '\'';
}

int tokenizer_next_piece(enum tok_kind kind, const char *text, size_t *start, size_t *end)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = *end;
    if (kind == TOK_WORD)
        while (s[i] && is_space(s[i]))
            i++;
    if (!s[i])
        return 0;
    size_t j = i;
    if (kind == TOK_WORD && is_word_byte(s[j]))
        while (s[j] && is_word_byte(s[j]))
            j++;
    else
        j += char_len(text + j);
    *start = i;
    *end = j;
    return 1;
}

// Characters or words: one lookup per piece.
static int encode_pieces(struct encoder *e)
{
    size_t i = 0, j = 0;
    while (tokenizer_next_piece(e->t->kind, e->text, &i, &j)) {
        int rc = emit_piece(e, e->text + i, j - i);
        if (rc)
            return rc;
    }
    return SF_OK;
}

// Longest chunk (a run of letters, digits or symbols) BPE encodes: part offsets are ints.
#define BPE_MAX_CHUNK (1 << 26)

// A candidate merge: the part starting at byte `left` and its right neighbour, which ends at
// byte `end`; `rank` orders merges and `id` is the merged piece.
struct bpe_pair {
    int rank, left, end, id;
};

// Merge order: the lowest rank first, the leftmost on a tie.
static int pair_before(const struct bpe_pair *a, const struct bpe_pair *b)
{
    return a->rank != b->rank ? a->rank < b->rank : a->left < b->left;
}

// A binary min-heap of candidate merges.
struct bpe_heap {
    struct bpe_pair *at;
    size_t n;
};

static void heap_push(struct bpe_heap *h, struct bpe_pair p)
{
    size_t i = h->n++;
    while (i > 0 && pair_before(&p, &h->at[(i - 1) / 2])) {
        h->at[i] = h->at[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->at[i] = p;
}

static struct bpe_pair heap_pop(struct bpe_heap *h)
{
    struct bpe_pair top = h->at[0], last = h->at[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && pair_before(&h->at[c + 1], &h->at[c]))
            c++;
        if (!pair_before(&h->at[c], &last))
            break;
        h->at[i] = h->at[c];
        i = c;
    }
    if (h->n > 0)
        h->at[i] = last;
    return top;
}

// Queues the merge of the part at `left` (id a) with its neighbour at `mid` (id b), which ends
// at `end`. With merges, when (a, b) is one, ranked by its line in merges.txt; without (llm.c's
// file), when their concatenation is a piece, ranked by that piece's id (GPT-2's merge r made
// piece 256 + r).
static void push_candidate(struct bpe_heap *h, const struct tokenizer *t, const char *s, int left,
                           int a, int b, int end)
{
    if (t->n_merges > 0) {
        int r = merge_find(t->index, t->merges, a, b);
        if (r >= 0)
            heap_push(h, (struct bpe_pair){r, left, end, t->index->merged[r]});
        return;
    }
    int id = index_find(t, s + left, (size_t)(end - left));
    if (id >= 0)
        heap_push(h, (struct bpe_pair){id, left, end, id});
}

// The single-byte pieces of s[0..n) into id, or an error naming the first byte without one.
static int bpe_bytes(struct encoder *e, const char *s, int n, int *id)
{
    for (int i = 0; i < n; i++) {
        id[i] = index_find(e->t, s + i, 1);
        if (id[i] < 0)
            return sf_diag_set(e->d, SF_ERR_TOKEN, NULL, 0, column_of(e, s + i),
                               "byte 0x%02x has no token in this tokenizer: it is not a GPT-2 "
                               "byte-level vocabulary",
                               (unsigned char)s[i]);
    }
    return SF_OK;
}

// Byte-pair merging of one pre-split chunk: start from single bytes, then repeatedly merge
// the adjacent pair of lowest rank, the leftmost on a tie (encoder.py merges every occurrence
// of that pair left to right before it looks for the next: the same result when, as in any
// merges file BPE training writes, a merge only creates pairs of higher rank). Parts are a doubly
// linked list indexed by their first byte: part i is s[i .. next[i]) with id[i] (-1 once merged
// into the part on its left). Every adjacent pair that merges waits in a heap ordered by (rank,
// position); a merge queues only the two pairs it creates, and a queued pair whose parts have
// changed since (its left part is gone or its right part no longer ends where it did) is skipped
// when it comes out. Each merge thus costs O(log n): O(n log n) per chunk.
static int bpe_chunk(struct encoder *e, const char *s, size_t n)
{
    if (n > BPE_MAX_CHUNK)
        return sf_diag_set(e->d, SF_ERR_TOOLONG, NULL, 0, column_of(e, s),
                           "a run of %zu bytes without a space or a change between letters, "
                           "digits and symbols is too long to encode (at most %d)",
                           n, BPE_MAX_CHUNK);
    int len = (int)n, rc = SF_OK;
    int *next = malloc(sizeof(int) * n);
    int *prev = malloc(sizeof(int) * n);
    int *id = malloc(sizeof(int) * n);
    // n - 1 initial pairs and at most two per merge (n - 1 merges at most).
    struct bpe_heap h = {malloc(sizeof(struct bpe_pair) * 3 * n), 0};
    if (!next || !prev || !id || !h.at) {
        rc = sf_diag_set(e->d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto out;
    }
    if ((rc = bpe_bytes(e, s, len, id)) != 0)
        goto out;
    for (int i = 0; i < len; i++) {
        next[i] = i + 1;
        prev[i] = i - 1;
    }
    for (int i = 0; i + 1 < len; i++)
        push_candidate(&h, e->t, s, i, id[i], id[i + 1], i + 2);
    while (h.n > 0) {
        struct bpe_pair p = heap_pop(&h);
        int i = p.left, j = id[i] >= 0 ? next[i] : len;
        if (j >= len || next[j] != p.end)
            continue; // stale: one of its parts has merged with another since
        // Part i absorbs part j.
        id[i] = p.id;
        id[j] = -1;
        next[i] = next[j];
        if (next[i] < len)
            prev[next[i]] = i;
        if (prev[i] >= 0)
            push_candidate(&h, e->t, s, prev[i], id[prev[i]], id[i], next[i]);
        if (next[i] < len)
            push_candidate(&h, e->t, s, i, id[i], id[next[i]], next[next[i]]);
    }
    for (int i = 0; i < len && !rc; i = next[i])
        rc = emit(e, id[i]);
out:
    free(next);
    free(prev);
    free(id);
    free(h.at);
    return rc;
}

// White space as encoder.py's \s (the Python regex module's: Unicode White_Space), spelled out
// because PCRE2's \s also takes U+180E.
#define GPT2_WS                                                                                    \
    "\\t\\n\\x{0B}\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}"    \
    "\\x{205F}\\x{3000}"

// GPT-2's pre-tokenizer, openai/gpt-2 src/encoder.py's pattern with \s and \S spelled as above:
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
static const char gpt2_pattern[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" GPT2_WS
                                   "\\p{L}\\p{N}]+|[" GPT2_WS "]+(?![^" GPT2_WS "])|[" GPT2_WS "]+";

// Compiles the pattern once per tokenizer (JIT when PCRE2 has it). 0 or an error.
static int gpt2_pattern_compile(struct encoder *e)
{
    struct tok_index *ix = e->t->index;
    if (ix->pattern)
        return SF_OK;
    int err;
    PCRE2_SIZE off;
    ix->pattern = pcre2_compile((PCRE2_SPTR)gpt2_pattern, PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
    if (!ix->pattern) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(err, msg, sizeof msg);
        return sf_diag_set(e->d, SF_ERR_ARG, NULL, 0, 0,
                           "GPT-2's pre-tokenizer pattern does not compile (PCRE2: %s)",
                           (const char *)msg);
    }
    pcre2_jit_compile(ix->pattern, PCRE2_JIT_COMPLETE); // without JIT the interpreter runs it
    ix->md = pcre2_match_data_create_from_pattern(ix->pattern, NULL);
    if (!ix->md)
        return sf_diag_set(e->d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return SF_OK;
}

// The next chunk at or after byte at: [*start, *end) is a match of the pattern (both len when
// none is left). Bytes skipped before *start are not UTF-8. 0 or an error.
static int gpt2_next_chunk(struct encoder *e, size_t len, size_t at, size_t *start, size_t *end)
{
    struct tok_index *ix = e->t->index;
    int r = pcre2_match(ix->pattern, (PCRE2_SPTR)e->text, len, at, 0, ix->md, NULL);
    if (r == PCRE2_ERROR_NOMATCH) {
        *start = *end = len;
        return SF_OK;
    }
    if (r < 0) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(r, msg, sizeof msg);
        return sf_diag_set(e->d, r == PCRE2_ERROR_NOMEMORY ? SF_ERR_NOMEM : SF_ERR_TOKEN, NULL, 0,
                           column_of(e, e->text + at),
                           "GPT-2's pre-tokenizer stopped here (PCRE2: %s)", (const char *)msg);
    }
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ix->md);
    *start = ov[0];
    *end = ov[1];
    SF_ASSERT(*end > *start); // every alternative of the pattern takes at least one character
    return SF_OK;
}

// GPT-2's encoding: the pattern's matches in order, each merged on its own; a run of bytes
// between matches (not UTF-8, so no alternative takes them) is a chunk of its own.
static int encode_bpe(struct encoder *e)
{
    int rc = gpt2_pattern_compile(e);
    size_t len = strlen(e->text), at = 0;
    while (!rc && at < len) {
        size_t start = len, end = len;
        if ((rc = gpt2_next_chunk(e, len, at, &start, &end)) != 0)
            break;
        if (start > at)
            rc = bpe_chunk(e, e->text + at, start - at);
        if (!rc && end > start)
            rc = bpe_chunk(e, e->text + start, end - start);
        at = end;
    }
    return rc;
}

int tokenizer_encode(struct tokenizer *t, const char *text, int *ids, int max, int *n_out,
                     struct sf_diag *d)
{
    *n_out = 0;
    if (t->kind == TOK_NONE || t->n == 0)
        return sf_diag_set(d, SF_ERR_TOKEN, NULL, 0, 0,
                           "this model has no tokenizer: give token ids instead of text");
    if (!t->index && index_build(t))
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    struct encoder e = {t, ids, max, 0, text, d};
    int rc = t->kind == TOK_BPE ? encode_bpe(&e) : encode_pieces(&e);
    *n_out = e.n;
    return rc;
}

const char *tokenizer_piece(const struct tokenizer *t, int id, int *len)
{
    if (id < 0 || id >= t->n)
        return NULL;
    if (len)
        *len = t->lens[id];
    return t->pieces[id];
}

const char *tokenizer_piece_str(const struct tokenizer *t, int id, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    int len;
    const char *p = tokenizer_piece(t, id, &len);
    if (!p)
        snprintf(buf, size, "<%d>", id);
    else
        utf8_escape(buf, size, p, (size_t)len, 0);
    return buf;
}

size_t tokenizer_decode(const struct tokenizer *t, const int *ids, int n, char *buf, size_t size)
{
    size_t o = 0;
    if (size == 0)
        return 0;
    for (int i = 0; i < n && o + 1 < size; i++) {
        int len;
        const char *p = tokenizer_piece(t, ids[i], &len);
        char tmp[16];
        if (!p) {
            len = snprintf(tmp, sizeof tmp, "<%d>", ids[i]);
            p = tmp;
        }
        if ((t->kind == TOK_WORD || !tokenizer_piece(t, ids[i], NULL)) && i > 0 && o + 1 < size)
            buf[o++] = ' ';
        size_t take = (size_t)len < size - 1 - o ? (size_t)len : size - 1 - o;
        memcpy(buf + o, p, take);
        o += take;
    }
    buf[o] = '\0';
    return o;
}
