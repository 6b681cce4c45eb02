// GPT-2 byte-level BPE tokenizers from OpenAI's and Hugging Face's files: vocab.json with
// merges.txt, or tokenizer.json, read with jansson.
#include "stepformer/tokenizer.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stepformer/fileio.h"
#include "stepformer/utf8.h"

// Largest tokenizer file read (GPT-2's tokenizer.json is 1.4 MB).
#define HF_MAX_FILE_BYTES ((size_t)512 << 20)
// Largest piece, in bytes, a vocabulary may hold.
#define HF_MAX_PIECE_BYTES 4096

// GPT-2's bytes_to_unicode, reversed: the byte that code point cp spells, or -1. Printable
// Latin-1 bytes ('!'..'~', 0xA1..0xAC, 0xAE..0xFF) spell themselves; the other 68 bytes, in
// order, are U+0100 onwards (so a space is U+0120 'Ġ', a newline U+010A 'Ċ').
static int byte_of_char(uint32_t cp)
{
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
        if (printable && cp == (uint32_t)b)
            return b;
        if (!printable && cp == 256u + (uint32_t)extra++)
            return b;
    }
    return -1;
}

// What the loaders share: the file in hand, the byte table and the diagnostic.
struct hf_load {
    const char *path;
    int byte[324]; // byte_of_char for U+0000..U+0143, the code points GPT-2's spelling uses
    struct sf_diag *d;
};

static void hf_load_init(struct hf_load *L, const char *path, struct sf_diag *d)
{
    L->path = path;
    L->d = d;
    for (uint32_t cp = 0; cp < sizeof L->byte / sizeof L->byte[0]; cp++)
        L->byte[cp] = byte_of_char(cp);
}

// A piece as the file spells it, escaped and cut for a message.
static const char *quoted(char *buf, size_t size, const char *s, size_t n)
{
    utf8_escape(buf, size, s, n, 0);
    return buf;
}

// Turns a piece spelled with GPT-2's characters (s, n bytes of UTF-8) into its raw bytes in out
// (at least n bytes); *out_len gets their count. 0, or SF_ERR_FORMAT with d naming the piece
// (and line, when not 0).
static int unspell(const struct hf_load *L, int line, const char *s, size_t n, char *out,
                   int *out_len, struct sf_diag *d)
{
    size_t o = 0;
    char q[80];
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = utf8_decode(s + i, n - i, 0, &cp);
        int b = k > 0 && cp < sizeof L->byte / sizeof L->byte[0] ? L->byte[cp] : -1;
        if (b < 0)
            return sf_diag_set(d, SF_ERR_FORMAT, L->path, line, 0,
                               "the piece \"%s\" has a character that GPT-2's byte-level "
                               "spelling does not use: not a byte-level BPE vocabulary",
                               quoted(q, sizeof q, s, n));
        out[o++] = (char)b;
        i += (size_t)k;
    }
    *out_len = (int)o;
    return SF_OK;
}

// Reads and parses a JSON file. NULL with d filled (line and column for a syntax error).
static json_t *read_json(const char *path, const char *what, int *status, struct sf_diag *d)
{
    size_t len;
    char *text = sf_read_file(path, what, HF_MAX_FILE_BYTES, &len, status, d);
    if (!text)
        return NULL;
    json_error_t err;
    json_t *root = json_loadb(text, len, 0, &err);
    free(text);
    if (!root) {
        *status = SF_ERR_FORMAT;
        sf_diag_set(d, SF_ERR_FORMAT, path, err.line > 0 ? err.line : 0,
                    err.column > 0 ? err.column : 0, "not valid JSON: %s", err.text);
    }
    return root;
}

// The pieces of a vocabulary object {"piece": id, ...} with ids 0..n-1, each once, into a BPE
// tokenizer; "<|endoftext|>" becomes its end-of-text id. `what` names the object in messages.
static int vocab_from_json(struct tokenizer *t, const struct hf_load *L, const json_t *vocab,
                           const char *what, struct sf_diag *d)
{
    if (!json_is_object(vocab) || json_object_size(vocab) == 0 ||
        json_object_size(vocab) > SF_MAX_TOKENIZER_PIECES)
        return sf_diag_set(d, SF_ERR_FORMAT, L->path, 0, 0,
                           "%s is not an object of 1 to %d pieces and their ids", what,
                           SF_MAX_TOKENIZER_PIECES);
    int n = (int)json_object_size(vocab), rc = SF_OK;
    char **pieces = calloc((size_t)n, sizeof *pieces);
    int *lens = calloc((size_t)n, sizeof *lens);
    const char *key;
    json_t *val;
    char q[80];
    if (!pieces || !lens)
        rc = sf_diag_set(d, SF_ERR_NOMEM, L->path, 0, 0, "out of memory");
    json_object_foreach((json_t *)vocab, key, val)
    {
        if (rc)
            break;
        size_t klen = strlen(key);
        json_int_t id = json_is_integer(val) ? json_integer_value(val) : -1;
        if (id < 0 || id >= n || pieces[id]) {
            rc = sf_diag_set(d, SF_ERR_FORMAT, L->path, 0, 0,
                             "%s: the id of \"%s\" is %s; ids must be whole numbers 0 to %d, each "
                             "used once",
                             what, quoted(q, sizeof q, key, klen),
                             id < 0 || id >= n ? "out of range" : "used twice", n - 1);
            break;
        }
        if (klen == 0 || klen > HF_MAX_PIECE_BYTES) {
            rc = sf_diag_set(d, SF_ERR_FORMAT, L->path, 0, 0,
                             "%s: piece %d is %zu bytes; pieces are 1 to %d bytes", what, (int)id,
                             klen, HF_MAX_PIECE_BYTES);
            break;
        }
        if (!(pieces[id] = malloc(klen + 1)))
            rc = sf_diag_set(d, SF_ERR_NOMEM, L->path, 0, 0, "out of memory");
        else
            rc = unspell(L, 0, key, klen, pieces[id], &lens[id], d);
    }
    if (!rc && (rc = tokenizer_init(t, TOK_BPE, n, (const char *const *)pieces, lens)) != 0)
        sf_diag_set(d, rc, L->path, 0, 0, "out of memory");
    if (!rc)
        t->eot_id = tokenizer_find(t, "<|endoftext|>", 13);
    if (pieces)
        for (int i = 0; i < n; i++)
            free(pieces[i]);
    free(pieces);
    free(lens);
    return rc;
}

// Growing list of merges as pairs of ids.
struct merge_list {
    int *pair;
    int n, cap;
};

// Adds the merge of the two pieces a and b (spelled as in the file) found at `line` (0: none;
// `where` then says where). 0, or an error naming the line and the piece.
static int merge_add_spelled(struct tokenizer *t, const struct hf_load *L, struct merge_list *m,
                             int line, const char *where, const char *a, size_t na, const char *b,
                             size_t nb)
{
    struct sf_diag *d = L->d;
    char raw[2 * HF_MAX_PIECE_BYTES], q[80], q2[80];
    int la, lb, ida, idb;
    if (na == 0 || nb == 0 || na > HF_MAX_PIECE_BYTES || nb > HF_MAX_PIECE_BYTES)
        return sf_diag_set(d, SF_ERR_FORMAT, L->path, line, 0,
                           "%sexpected two pieces of 1 to %d bytes separated by one space", where,
                           HF_MAX_PIECE_BYTES);
    int rc = unspell(L, line, a, na, raw, &la, d);
    if (!rc)
        rc = unspell(L, line, b, nb, raw + la, &lb, d);
    if (rc)
        return rc;
    if ((ida = tokenizer_find(t, raw, (size_t)la)) < 0 ||
        (idb = tokenizer_find(t, raw + la, (size_t)lb)) < 0)
        return sf_diag_set(d, SF_ERR_FORMAT, L->path, line, 0,
                           "%sthe piece \"%s\" is not in the vocabulary: the merges do not match "
                           "the vocabulary (vocab.json)",
                           where,
                           ida < 0 ? quoted(q, sizeof q, a, na) : quoted(q, sizeof q, b, nb));
    if (tokenizer_find(t, raw, (size_t)(la + lb)) < 0)
        return sf_diag_set(d, SF_ERR_FORMAT, L->path, line, 0,
                           "%sthe merged piece \"%s%s\" is not in the vocabulary: the merges do "
                           "not match the vocabulary (vocab.json)",
                           where, quoted(q, sizeof q, a, na), quoted(q2, sizeof q2, b, nb));
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 1024;
        int *p = realloc(m->pair, sizeof(int) * 2 * (size_t)cap);
        if (!p)
            return sf_diag_set(d, SF_ERR_NOMEM, L->path, 0, 0, "out of memory");
        m->pair = p;
        m->cap = cap;
    }
    m->pair[2 * m->n] = ida;
    m->pair[2 * m->n + 1] = idb;
    m->n++;
    return SF_OK;
}

// Splits "a b" at its one space and adds the merge.
static int merge_add_line(struct tokenizer *t, const struct hf_load *L, struct merge_list *m,
                          int line, const char *where, const char *s, size_t n)
{
    const char *sp = memchr(s, ' ', n);
    if (!sp || memchr(sp + 1, ' ', n - (size_t)(sp + 1 - s)))
        return sf_diag_set(L->d, SF_ERR_FORMAT, L->path, line, 0,
                           "%sexpected two pieces separated by one space", where);
    return merge_add_spelled(t, L, m, line, where, s, (size_t)(sp - s), sp + 1,
                             n - (size_t)(sp + 1 - s));
}

static int set_merges(struct tokenizer *t, const struct hf_load *L, struct merge_list *m)
{
    int rc = tokenizer_set_merges(t, m->n, m->pair, L->d);
    if (rc && L->d)
        snprintf(L->d->file, sizeof L->d->file, "%s", L->path);
    return rc;
}

// merges.txt: an optional first line "#version: ...", then one merge "a b" per line, rank
// order; blank lines are skipped.
static int merges_from_text(struct tokenizer *t, const char *path, struct sf_diag *d)
{
    int status = SF_ERR_IO;
    size_t len;
    char *text =
        sf_read_file(path, "merges file (merges.txt)", HF_MAX_FILE_BYTES, &len, &status, d);
    if (!text)
        return status;
    struct hf_load L;
    hf_load_init(&L, path, d);
    struct merge_list m = {0};
    int rc = SF_OK, line = 0;
    for (size_t i = 0; i < len && !rc; line++) {
        const char *s = text + i, *nl = memchr(s, '\n', len - i);
        size_t n = nl ? (size_t)(nl - s) : len - i;
        i += n + 1;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (n == 0 || (line == 0 && strncmp(s, "#version", 8) == 0))
            continue;
        rc = merge_add_line(t, &L, &m, line + 1, "", s, n);
    }
    if (!rc)
        rc = set_merges(t, &L, &m);
    free(m.pair);
    free(text);
    return rc;
}

int tokenizer_load_vocab_merges(struct tokenizer *t, const char *vocab_json, const char *merges_txt,
                                struct sf_diag *d)
{
    memset(t, 0, sizeof *t);
    t->unk_id = t->eot_id = -1;
    int rc = SF_ERR_IO;
    json_t *root = read_json(vocab_json, "vocabulary (vocab.json)", &rc, d);
    if (!root)
        return rc;
    struct hf_load L;
    hf_load_init(&L, vocab_json, d);
    rc = vocab_from_json(t, &L, root, "the vocabulary", d);
    json_decref(root);
    if (!rc)
        rc = merges_from_text(t, merges_txt, d);
    if (rc)
        tokenizer_free(t);
    return rc;
}

// model.merges of tokenizer.json: "a b" strings or ["a", "b"] pairs.
static int merges_from_json(struct tokenizer *t, const struct hf_load *L, const json_t *merges)
{
    if (!json_is_array(merges))
        return sf_diag_set(L->d, SF_ERR_FORMAT, L->path, 0, 0, "model.merges is not an array");
    struct merge_list m = {0};
    int rc = SF_OK;
    for (size_t i = 0; i < json_array_size(merges) && !rc; i++) {
        const json_t *e = json_array_get(merges, i);
        char where[64];
        snprintf(where, sizeof where, "model.merges[%zu]: ", i);
        const json_t *a = json_array_get(e, 0), *b = json_array_get(e, 1);
        if (json_is_string(e))
            rc = merge_add_line(t, L, &m, 0, where, json_string_value(e), json_string_length(e));
        else if (json_array_size(e) == 2 && json_is_string(a) && json_is_string(b))
            rc = merge_add_spelled(t, L, &m, 0, where, json_string_value(a), json_string_length(a),
                                   json_string_value(b), json_string_length(b));
        else
            rc = sf_diag_set(L->d, SF_ERR_FORMAT, L->path, 0, 0,
                             "%sa merge is a string \"a b\" or a pair [\"a\", \"b\"]", where);
    }
    if (!rc)
        rc = set_merges(t, L, &m);
    free(m.pair);
    return rc;
}

int tokenizer_load_hf_json(struct tokenizer *t, const char *path, struct sf_diag *d)
{
    memset(t, 0, sizeof *t);
    t->unk_id = t->eot_id = -1;
    int rc = SF_ERR_IO;
    json_t *root = read_json(path, "tokenizer file (tokenizer.json)", &rc, d);
    if (!root)
        return rc;
    struct hf_load L;
    hf_load_init(&L, path, d);
    const json_t *model = json_object_get(root, "model");
    const json_t *type = json_object_get(model, "type");
    if (!json_is_object(model))
        rc = sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0, "no \"model\" object");
    else if (type && !(json_is_string(type) && strcmp(json_string_value(type), "BPE") == 0))
        rc = sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0,
                         "model.type is not \"BPE\": stepformer reads byte-level BPE (GPT-2's) "
                         "tokenizers only");
    else if ((rc = vocab_from_json(t, &L, json_object_get(model, "vocab"), "model.vocab", d)) == 0)
        rc = merges_from_json(t, &L, json_object_get(model, "merges"));
    json_decref(root);
    if (rc)
        tokenizer_free(t);
    return rc;
}

static int exists_in(const char *dir, const char *name, char *path, size_t size)
{
    struct stat st;
    snprintf(path, size, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

int tokenizer_load_hf_dir(struct tokenizer *t, const char *dir, struct sf_diag *d)
{
    memset(t, 0, sizeof *t);
    t->unk_id = t->eot_id = -1;
    struct stat st;
    int found = stat(dir, &st) == 0;
    if (!found || !S_ISDIR(st.st_mode))
        return sf_diag_set(d, SF_ERR_IO, dir, 0, 0, "%s",
                           found ? "not a folder" : "no such folder");
    char vocab[4096], merges[4096], json[4096];
    int has_vocab = exists_in(dir, "vocab.json", vocab, sizeof vocab);
    int has_merges = exists_in(dir, "merges.txt", merges, sizeof merges);
    int has_json = exists_in(dir, "tokenizer.json", json, sizeof json);
    if (has_vocab && has_merges)
        return tokenizer_load_vocab_merges(t, vocab, merges, d);
    if (has_json)
        return tokenizer_load_hf_json(t, json, d);
    if (has_vocab || has_merges)
        return sf_diag_set(
            d, SF_ERR_FORMAT, dir, 0, 0, "has %s but no %s (and no tokenizer.json): give both",
            has_vocab ? "vocab.json" : "merges.txt", has_vocab ? "merges.txt" : "vocab.json");
    return sf_diag_set(d, SF_ERR_NOTFOUND, dir, 0, 0,
                       "no tokenizer files here (vocab.json and merges.txt, or tokenizer.json)");
}
