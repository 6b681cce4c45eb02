// Tests of the tokenizers: character and word level with and without <unk>, GPT-2 byte-level
// BPE on a small llm.c tokenizer file and on GPT-2's own files (vocab.json + merges.txt,
// tokenizer.json, llm.c's file) against the ids of OpenAI's encoder, and damaged files.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <sys/stat.h>

#include "helpers.h"
#include "stepformer/rng.h"
#include "stepformer/tokenizer.h"

static void expect_ids(struct tokenizer *t, const char *text, const int *want, int n)
{
    int ids[64], got = -1;
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = tokenizer_encode(t, text, ids, 64, &got, &d);
    if (rc)
        fail_msg("encoding '%s' failed: %s", text, d.msg);
    if (got != n)
        fail_msg("'%s': %d ids, wanted %d", text, got, n);
    for (int i = 0; i < n; i++)
        if (ids[i] != want[i])
            fail_msg("'%s': id %d is %d, wanted %d", text, i, ids[i], want[i]);
}

static void test_tokenizer_chars_with_and_without_unk(void **state)
{
    (void)state;
    const char *pieces[] = {"a", "b", " ", "c", "\xc3\xa9", "<unk>"};
    struct tokenizer t;
    assert_int_equal(tokenizer_init(&t, TOK_CHAR, 6, pieces, NULL), 0);
    assert_int_equal(t.unk_id, 5);
    expect_ids(&t, "ab c", (int[]){0, 1, 2, 3}, 4);
    expect_ids(&t, "c\xc3\xa9\xc3\xa9", (int[]){3, 4, 4}, 3); // é is one piece
    expect_ids(&t, "axb", (int[]){0, 5, 1}, 3);
    expect_ids(&t, "", NULL, 0);
    tokenizer_free(&t);

    assert_int_equal(tokenizer_init(&t, TOK_CHAR, 5, pieces, NULL), 0); // no <unk>
    int ids[8], n;
    struct sf_diag d;
    assert_int_equal(tokenizer_encode(&t, "a\xc3\xa9z", ids, 8, &n, &d), SF_ERR_TOKEN);
    assert_int_equal(d.col, 3); // columns count characters, not bytes
    assert_non_null(strstr(d.msg, "'z'"));
    assert_int_equal(tokenizer_encode(&t, "abab", ids, 3, &n, &d), SF_ERR_TOOLONG);
    tokenizer_free(&t);
    tokenizer_free(&t); // twice is fine
}

// Decoding is concatenating the pieces: encode then decode gives the text back.
static void test_tokenizer_chars_roundtrip(void **state)
{
    (void)state;
    const char *pieces[] = {"a", "b", " ", "c", "\xc3\xa9", "\n", "\xe2\x80\x94"};
    struct tokenizer t;
    struct sf_diag d;
    assert_int_equal(tokenizer_init(&t, TOK_CHAR, 7, pieces, NULL), 0);
    assert_int_equal(t.unk_id, -1);
    const char *text = "abc \xc3\xa9\xe2\x80\x94\ncab";
    int ids[32], n;
    assert_int_equal(tokenizer_encode(&t, text, ids, 32, &n, &d), 0);
    assert_int_equal(n, 10); // é and the dash are one character each
    char back[64] = "";
    for (int i = 0; i < n; i++) {
        int len;
        const char *p = tokenizer_piece(&t, ids[i], &len);
        assert_non_null(p);
        strncat(back, p, (size_t)len);
    }
    assert_string_equal(back, text);
    char buf[16];
    assert_string_equal(tokenizer_piece_str(&t, 5, buf, sizeof buf), "\\x0a");
    assert_string_equal(tokenizer_piece_str(&t, 4, buf, sizeof buf), "\xc3\xa9");
    assert_string_equal(tokenizer_piece_str(&t, 6, buf, 3), ""); // too small for the dash
    assert_string_equal(tokenizer_piece_str(&t, 0, buf, 1), "");
    assert_ptr_equal(tokenizer_piece_str(&t, 0, buf, 0), buf); // writes nothing
    tokenizer_free(&t);
}

static void test_tokenizer_words_and_punctuation(void **state)
{
    (void)state;
    const char *pieces[] = {"the", "keys", "to", "cabinet", "are", ".", "<unk>", "didn't", ","};
    struct tokenizer t;
    assert_int_equal(tokenizer_init(&t, TOK_WORD, 9, pieces, NULL), 0);
    expect_ids(&t, "the keys to the cabinet are.", (int[]){0, 1, 2, 0, 3, 4, 5}, 7);
    expect_ids(&t, "  the   keys\n", (int[]){0, 1}, 2);
    expect_ids(&t, "didn't, the", (int[]){7, 8, 0}, 3);
    expect_ids(&t, "the table", (int[]){0, 6}, 2);
    char buf[32];
    assert_string_equal(tokenizer_piece_str(&t, 3, buf, sizeof buf), "cabinet");
    assert_string_equal(tokenizer_piece_str(&t, 99, buf, sizeof buf), "<99>");
    tokenizer_free(&t);
}

// Word-level decoding joins the pieces with spaces; encoding that gives the same ids.
static void test_tokenizer_words_roundtrip_and_unknown(void **state)
{
    (void)state;
    const char *pieces[] = {"the", "keys", "to", "cabinet", "are", ".", "didn't", ",", "42"};
    struct tokenizer t;
    struct sf_diag d;
    assert_int_equal(tokenizer_init(&t, TOK_WORD, 9, pieces, NULL), 0);
    assert_int_equal(t.unk_id, -1);
    const char *text = "the keys,to the cabinet didn't are 42.";
    int ids[32], n, again[32], n2;
    assert_int_equal(tokenizer_encode(&t, text, ids, 32, &n, &d), 0);
    assert_int_equal(n, 10);
    char joined[128] = "";
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(joined, " ");
        strcat(joined, tokenizer_piece(&t, ids[i], NULL));
    }
    assert_string_equal(joined, "the keys , to the cabinet didn't are 42 .");
    assert_int_equal(tokenizer_encode(&t, joined, again, 32, &n2, &d), 0);
    assert_int_equal(n2, n);
    assert_memory_equal(again, ids, sizeof(int) * (size_t)n);

    // Without <unk>, an unknown word is an error naming it and its column (in characters).
    sf_diag_clear(&d);
    assert_int_equal(tokenizer_encode(&t, "the \xc3\xa9 keys", ids, 32, &n, &d), SF_ERR_TOKEN);
    assert_int_equal(d.col, 5);
    assert_non_null(strstr(d.msg, "'\xc3\xa9'"));
    assert_int_equal(tokenizer_encode(&t, "the keys \xe2\x80\x94 tablet.", ids, 32, &n, &d),
                     SF_ERR_TOKEN);
    assert_int_equal(d.col, 10);
    assert_non_null(strstr(d.msg, "'\xe2\x80\x94' is not in the model's vocabulary"));
    assert_int_equal(tokenizer_encode(&t, "the\xe2\x80\x94 tablet", ids, 32, &n, &d), SF_ERR_TOKEN);
    assert_non_null(strstr(d.msg, "'the\xe2\x80\x94'")); // non-ASCII bytes count as letters
    assert_int_equal(tokenizer_encode(&t, "the keys tablet.", ids, 32, &n, &d), SF_ERR_TOKEN);
    assert_int_equal(d.col, 10);
    assert_non_null(strstr(d.msg, "'tablet' is not in the model's vocabulary"));

    // The pieces the splitter finds.
    size_t a = 0, b = 0;
    const char *s = "  it's, ok";
    const char *want[] = {"it's", ",", "ok"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tokenizer_next_piece(TOK_WORD, s, &a, &b), 1);
        assert_int_equal(b - a, strlen(want[i]));
        assert_memory_equal(s + a, want[i], b - a);
    }
    assert_int_equal(tokenizer_next_piece(TOK_WORD, s, &a, &b), 0);
    tokenizer_free(&t);
}

// An llm.c tokenizer file: 256 single bytes, then the merges (their ids are their ranks),
// then <|endoftext|>. The last merges would join what GPT-2's pre-split keeps apart.
static const char *const merges[] = {"th",  "the", " the", "in", "ing", " a", "an",
                                     "and", "e ",  "a1",   "n'", " 4",  "42", "\n\n"};
#define N_MERGES 14
#define EOT_ID   (256 + N_MERGES)

static size_t llmc_tokenizer_bytes(unsigned char *buf, uint32_t magic, uint32_t version)
{
    uint32_t header[256] = {0};
    header[0] = magic;
    header[1] = version;
    header[2] = EOT_ID + 1;
    header[3] = EOT_ID;
    memcpy(buf, header, sizeof header);
    size_t n = sizeof header;
    for (int i = 0; i < 256; i++) {
        buf[n++] = 1;
        buf[n++] = (unsigned char)i;
    }
    for (int i = 0; i < N_MERGES; i++) {
        buf[n++] = (unsigned char)strlen(merges[i]);
        memcpy(buf + n, merges[i], strlen(merges[i]));
        n += strlen(merges[i]);
    }
    buf[n++] = 13;
    memcpy(buf + n, "<|endoftext|>", 13);
    return n + 13;
}

static void write_bytes(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

// Writes the tokenizer file, cut to `cut` bytes when cut >= 0.
static void write_llmc_tokenizer(const char *path, uint32_t magic, uint32_t version, int cut)
{
    unsigned char buf[8192];
    size_t n = llmc_tokenizer_bytes(buf, magic, version);
    write_bytes(path, buf, cut >= 0 ? (size_t)cut : n);
}

static void test_tokenizer_bpe_merges_by_rank(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "tok_bpe.bin");
    write_llmc_tokenizer(path, 20240328, 2, -1);
    struct tokenizer t;
    struct sf_diag d;
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), 0);
    assert_int_equal(t.n, EOT_ID + 1);
    assert_int_equal(t.eot_id, EOT_ID);
    expect_ids(&t, "the", (int[]){257}, 1);
    // " the" merges whole (rank 258); "thing": th (256), then in (259), then ing (260).
    expect_ids(&t, " the thing", (int[]){258, ' ', 256, 260}, 4);
    expect_ids(&t, "band", (int[]){'b', 263}, 2);
    expect_ids(&t, "it's  ok\n", (int[]){'i', 't', '\'', 's', ' ', ' ', 'o', 'k', '\n'}, 9);
    // The pre-split keeps apart what the merges would join: a word and the space after it,
    // letters and digits, a word and its contraction, and the last newline before a word.
    expect_ids(&t, "the end", (int[]){257, ' ', 'e', 'n', 'd'}, 5);
    expect_ids(&t, "a1", (int[]){'a', '1'}, 2);
    expect_ids(&t, "don't", (int[]){'d', 'o', 'n', '\'', 't'}, 5);
    expect_ids(&t, "a\n\nb", (int[]){'a', '\n', '\n', 'b'}, 4);
    expect_ids(&t, "a\n\n", (int[]){'a', 256 + 13}, 2);
    // " 4" (rank 267) merges before "42" (rank 268).
    expect_ids(&t, "x 42", (int[]){'x', 256 + 11, '2'}, 3);
    expect_ids(&t, "42", (int[]){256 + 12}, 1);
    // Decoding the ids gives the text back, whatever it holds.
    const char *texts[] = {"Thanks for all the fish!", "  two\tspaces\n\nand 42 numbers 3.14",
                           "caf\xc3\xa9 \xe2\x80\x94 it's done", "trailing   "};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        int ids[128], n;
        assert_int_equal(tokenizer_encode(&t, texts[k], ids, 128, &n, &d), 0);
        char back[256] = "";
        size_t o = 0;
        for (int i = 0; i < n; i++) {
            int len;
            const char *p = tokenizer_piece(&t, ids[i], &len);
            memcpy(back + o, p, (size_t)len);
            o += (size_t)len;
        }
        back[o] = '\0';
        assert_string_equal(back, texts[k]);
    }
    char buf[32];
    assert_string_equal(tokenizer_piece_str(&t, '\n', buf, sizeof buf), "\\x0a");
    assert_string_equal(tokenizer_piece_str(&t, 0xe9, buf, sizeof buf), "\\xe9");
    tokenizer_free(&t);

    write_llmc_tokenizer(path, 20240328, 1, -1); // version 1: no end-of-text id
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), 0);
    assert_int_equal(t.eot_id, -1);
    tokenizer_free(&t);
}

static void expect_bad_tokenizer(const char *path, int status, const char *needle)
{
    struct tokenizer t;
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = tokenizer_load_llmc(&t, path, &d);
    if (rc != status || !strstr(d.msg, needle))
        fail_msg("status %d (wanted %d), message '%s' (wanted '%s')", rc, status, d.msg, needle);
    assert_string_equal(d.file, path);
    assert_null(t.pieces); // nothing left allocated
}

static void test_tokenizer_llmc_bad_files(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "tok_bad.bin");
    write_llmc_tokenizer(path, 20240326, 2, -1);
    expect_bad_tokenizer(path, SF_ERR_FORMAT, "not an llm.c tokenizer file (magic 20240326");
    write_llmc_tokenizer(path, 20240328, 3, -1);
    expect_bad_tokenizer(path, SF_ERR_VERSION, "version 3 is not supported");
    write_llmc_tokenizer(path, 20240328, 0, -1);
    expect_bad_tokenizer(path, SF_ERR_VERSION, "version 0");
    write_llmc_tokenizer(path, 20240328, 2, 0);
    expect_bad_tokenizer(path, SF_ERR_TRUNCATED, "1024-byte header");
    write_llmc_tokenizer(path, 20240328, 2, 100);
    expect_bad_tokenizer(path, SF_ERR_TRUNCATED, "1024-byte header");
    write_llmc_tokenizer(path, 20240328, 2, 1024 + 300);
    expect_bad_tokenizer(path, SF_ERR_TRUNCATED, "truncated");
    unsigned char buf[8192];
    size_t n = llmc_tokenizer_bytes(buf, 20240328, 2);
    write_bytes(path, buf, n - 1); // inside the last token
    expect_bad_tokenizer(path, SF_ERR_TRUNCATED, "inside token 270");
    write_bytes(path, buf, n - 14); // before the last token's length
    expect_bad_tokenizer(path, SF_ERR_TRUNCATED, "ends at token 270");

    uint32_t v;
#define MUTATE(off, value, status, needle)                                                         \
    do {                                                                                           \
        n = llmc_tokenizer_bytes(buf, 20240328, 2);                                                \
        v = (uint32_t)(value);                                                                     \
        memcpy(buf + (off), &v, 4);                                                                \
        write_bytes(path, buf, n);                                                                 \
        expect_bad_tokenizer(path, status, needle);                                                \
    } while (0)
    MUTATE(8, 0, SF_ERR_RANGE, "0 tokens");
    MUTATE(8, 0xffffffffu, SF_ERR_RANGE, "4294967295 tokens; expected 1 to");
    MUTATE(8, 1000000, SF_ERR_TRUNCATED, "1000000 tokens, which need at least");
    MUTATE(12, EOT_ID + 1, SF_ERR_RANGE, "end-of-text id 271");
#undef MUTATE
    n = llmc_tokenizer_bytes(buf, 20240328, 2);
    buf[1024 + 2 * 65] = 0; // token 65 ('A') claims no bytes
    write_bytes(path, buf, n);
    expect_bad_tokenizer(path, SF_ERR_FORMAT, "token 65 has length 0");

    expect_bad_tokenizer("no/such/tokenizer.bin", SF_ERR_IO, "No such file");
    char dir[512];
    expect_bad_tokenizer(test_tmp_path(dir, sizeof dir, ""), SF_ERR_IO, "directory");
}

static void test_tokenizer_golden_data_file_loads(void **state)
{
    (void)state;
    char path[512];
    struct tokenizer t;
    struct sf_diag d;
    assert_int_equal(
        tokenizer_load_llmc(&t, test_data_path(path, sizeof path, "gpt2_tiny_tokenizer.bin"), &d),
        0);
    assert_int_equal(t.n, 300);
    int ids[32], n;
    assert_int_equal(tokenizer_encode(&t, "the thing", ids, 32, &n, &d), 0);
    assert_true(n >= 2 && n < 9); // merged below the byte count
    tokenizer_free(&t);
}

// The id of the piece s[0..len) by a plain scan (the first id wins, as in the index), or -1.
static int scan_piece(const struct tokenizer *t, const char *s, int len)
{
    for (int id = 0; id < t->n; id++)
        if (t->lens[id] == len && memcmp(t->pieces[id], s, (size_t)len) == 0)
            return id;
    return -1;
}

// The merging rule written out as plainly as possible (the oracle): parts in an array; at each
// step scan every adjacent pair, merge the one whose concatenation is the piece with the
// lowest id, the leftmost on a tie; stop when no pair forms a piece.
static int reference_bpe(const struct tokenizer *t, const char *s, int n, int *ids)
{
    int start[128], parts = n;
    for (int i = 0; i < n; i++) {
        start[i] = i;
        ids[i] = scan_piece(t, s + i, 1);
    }
    start[n] = n;
    for (;;) {
        int best = -1, best_id = -1;
        for (int i = 0; i + 1 < parts; i++) {
            int id = scan_piece(t, s + start[i], start[i + 2] - start[i]);
            if (id >= 0 && (best < 0 || id < best_id))
                best = i, best_id = id;
        }
        if (best < 0)
            return parts;
        ids[best] = best_id;
        for (int i = best + 1; i + 1 < parts; i++)
            ids[i] = ids[i + 1];
        for (int i = best + 1; i < parts; i++)
            start[i] = start[i + 1];
        parts--;
    }
}

// The encoder merges exactly as the plain rule does, on random vocabularies (random pieces
// over a small alphabet, in random rank order, duplicates included, so that many pairs tie
// and many merges are not built from earlier ones) and random words.
static void test_tokenizer_bpe_matches_the_plain_rule(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 12);
    for (int vocab = 0; vocab < 40; vocab++) {
        const char *alphabet = vocab % 2 ? "ab" : "abcd";
        int k = (int)strlen(alphabet);
        char *pieces[256 + 200];
        char store[256 + 200][8];
        int n = 256 + 20 + (int)(rng_u64(&r) % 180);
        for (int i = 0; i < n; i++) {
            pieces[i] = store[i];
            if (i < 256) {
                store[i][0] = (char)(i ? i : 1); // no NUL piece: byte 0 is never in text
                store[i][1] = '\0';
                continue;
            }
            int len = 2 + (int)(rng_u64(&r) % 5);
            for (int c = 0; c < len; c++)
                store[i][c] = alphabet[rng_u64(&r) % (uint64_t)k];
            store[i][len] = '\0';
        }
        struct tokenizer t;
        assert_int_equal(tokenizer_init(&t, TOK_BPE, n, (const char *const *)pieces, NULL), 0);
        for (int word = 0; word < 50; word++) {
            char text[100];
            int len = 1 + (int)(rng_u64(&r) % 90);
            for (int c = 0; c < len; c++)
                text[c] = alphabet[rng_u64(&r) % (uint64_t)k];
            text[len] = '\0';
            int want[128], got[128], n_want = reference_bpe(&t, text, len, want), n_got;
            struct sf_diag d;
            assert_int_equal(tokenizer_encode(&t, text, got, 128, &n_got, &d), 0);
            if (n_got != n_want)
                fail_msg("vocabulary %d, '%s': %d ids, the plain rule gives %d", vocab, text, n_got,
                         n_want);
            for (int i = 0; i < n_want; i++)
                if (got[i] != want[i])
                    fail_msg("vocabulary %d, '%s': id %d is %d, the plain rule gives %d", vocab,
                             text, i, got[i], want[i]);
        }
        tokenizer_free(&t);
    }
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// One 200 KB run of letters (a single pre-split chunk, merging all the way) encodes in well
// under a second, sanitizers included: merging once took time quadratic in the chunk's
// length (tens of seconds here).
static void test_tokenizer_bpe_long_chunk_is_fast(void **state)
{
    (void)state;
    char path[512];
    struct tokenizer t;
    struct sf_diag d;
    assert_int_equal(
        tokenizer_load_llmc(&t, test_data_path(path, sizeof path, "gpt2_tiny_tokenizer.bin"), &d),
        0);
    size_t n = 200000;
    char *text = malloc(n + 1);
    int *ids = malloc(sizeof *ids * n);
    for (size_t i = 0; i < n; i++)
        text[i] = "thingandthe"[i % 11];
    text[n] = '\0';
    int got;
    double t0 = cpu_seconds();
    assert_int_equal(tokenizer_encode(&t, text, ids, (int)n, &got, &d), 0);
    double dt = cpu_seconds() - t0;
    assert_true(got > 0 && got < (int)n / 2); // it merged
    // The pieces spell the text.
    size_t o = 0;
    for (int i = 0; i < got; i++) {
        int len;
        const char *p = tokenizer_piece(&t, ids[i], &len);
        assert_memory_equal(p, text + o, (size_t)len);
        o += (size_t)len;
    }
    assert_int_equal(o, n);
    if (dt > 1.0)
        fail_msg("encoding a 200 KB chunk took %.2f s of CPU time", dt);
    free(text);
    free(ids);
    tokenizer_free(&t);
}

// GPT-2's files as OpenAI ships them (encoder.json = vocab.json, vocab.bpe = merges.txt).
static void load_gpt2(struct tokenizer *t)
{
    char vocab[512], merges[512];
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc =
        tokenizer_load_vocab_merges(t, test_data_path(vocab, sizeof vocab, "gpt2/encoder.json"),
                                    test_data_path(merges, sizeof merges, "gpt2/vocab.bpe"), &d);
    if (rc)
        fail_msg("loading GPT-2's tokenizer: %s: %s", d.file, d.msg);
    assert_int_equal(t->n, 50257);
    assert_int_equal(t->n_merges, 50000);
    assert_int_equal(t->eot_id, 50256);
}

// tests/data/gpt2/vectors.json: [{"text": ..., "ids": [...]}, ...], the ids from OpenAI's
// encoder (tests/tools/make_gpt2_vectors.js), then those of vectors_python.json (white space at
// the edge of encoder.py's \s, from tests/tools/check_gpt2_vectors.py --write).
static json_t *load_vectors(void)
{
    char path[512];
    json_error_t err;
    json_t *v = json_load_file(test_data_path(path, sizeof path, "gpt2/vectors.json"), 0, &err);
    if (!v)
        fail_msg("vectors.json:%d:%d: %s", err.line, err.column, err.text);
    assert_true(json_array_size(v) >= 1000);
    json_t *py =
        json_load_file(test_data_path(path, sizeof path, "gpt2/vectors_python.json"), 0, &err);
    if (!py)
        fail_msg("vectors_python.json:%d:%d: %s", err.line, err.column, err.text);
    assert_true(json_array_size(py) >= 10);
    assert_int_equal(json_array_extend(v, py), 0);
    json_decref(py);
    return v;
}

// Encodes every vector's text and decodes its ids back; returns how many differ from OpenAI's
// ids (the first few are printed).
static int vector_mismatches(struct tokenizer *t, const json_t *vectors)
{
    int bad = 0, ids[4096], n;
    char back[16384];
    for (size_t k = 0; k < json_array_size(vectors); k++) {
        const json_t *v = json_array_get(vectors, k);
        const char *text = json_string_value(json_object_get(v, "text"));
        const json_t *want = json_object_get(v, "ids");
        struct sf_diag d;
        sf_diag_clear(&d);
        int rc = tokenizer_encode(t, text, ids, 4096, &n, &d), same = !rc;
        same = same && (size_t)n == json_array_size(want);
        for (int i = 0; same && i < n; i++)
            same = ids[i] == json_integer_value(json_array_get(want, (size_t)i));
        if (!same && ++bad <= 5)
            print_message("mismatch on vector %zu \"%s\" (%s)\n", k, text, rc ? d.msg : "ids");
        tokenizer_decode(t, ids, n, back, sizeof back);
        if (!rc && strcmp(back, text) != 0)
            fail_msg("vector %zu: decoding gives \"%s\", not \"%s\"", k, back, text);
    }
    return bad;
}

static void test_tokenizer_gpt2_vectors_vocab_merges(void **state)
{
    (void)state;
    struct tokenizer t;
    load_gpt2(&t);
    json_t *v = load_vectors();
    // The two strings an approximation of GPT-2's pre-tokenizer got wrong.
    expect_ids(&t, "\xe2\x80\x94's", (int[]){960, 6, 82}, 3);
    expect_ids(&t, " \xc2\xa0the", (int[]){220, 1849, 1169}, 3);
    assert_int_equal(vector_mismatches(&t, v), 0);
    json_decref(v);
    tokenizer_free(&t);
}

// Writes GPT-2's pieces as llm.c's tokenizer file (version 2), which has no merges.
static void write_llmc_from(const struct tokenizer *t, const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t h[256] = {20240328, 2, (uint32_t)t->n, (uint32_t)t->eot_id};
    unsigned char le[1024];
    for (int i = 0; i < 256; i++)
        for (int b = 0; b < 4; b++)
            le[4 * i + b] = (unsigned char)(h[i] >> (8 * b));
    assert_int_equal(fwrite(le, 1, sizeof le, f), sizeof le);
    for (int id = 0; id < t->n; id++) {
        assert_true(t->lens[id] > 0 && t->lens[id] < 256);
        fputc(t->lens[id], f);
        assert_int_equal(fwrite(t->pieces[id], 1, (size_t)t->lens[id], f), (size_t)t->lens[id]);
    }
    assert_int_equal(fclose(f), 0);
}

// llm.c's file has no merges; for GPT-2 merge r made piece 256 + r, so ranking a pair by its
// merged piece's id gives OpenAI's ids on every vector as well.
static void test_tokenizer_gpt2_vectors_llmc_file(void **state)
{
    (void)state;
    struct tokenizer g, t;
    load_gpt2(&g);
    for (int r = 0; r < g.n_merges; r++) {
        int a = g.merges[2 * r], b = g.merges[2 * r + 1];
        char cat[512];
        assert_true(g.lens[a] + g.lens[b] <= (int)sizeof cat);
        memcpy(cat, g.pieces[a], (size_t)g.lens[a]);
        memcpy(cat + g.lens[a], g.pieces[b], (size_t)g.lens[b]);
        assert_int_equal(tokenizer_find(&g, cat, (size_t)(g.lens[a] + g.lens[b])), 256 + r);
    }
    char path[512];
    write_llmc_from(&g, test_tmp_path(path, sizeof path, "gpt2_tokenizer_from_json.bin"));
    tokenizer_free(&g);
    struct sf_diag d;
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), 0);
    assert_int_equal(t.n_merges, 0);
    json_t *v = load_vectors();
    assert_int_equal(vector_mismatches(&t, v), 0);
    json_decref(v);
    tokenizer_free(&t);
}

// Beyond the vectors: llm.c's file (rank = id of the merged piece) and the merges give the same
// ids on 20000 random strings of one to four GPT-2 pieces, and on every piece by itself.
static void test_tokenizer_gpt2_llmc_file_equals_merges(void **state)
{
    (void)state;
    struct tokenizer g, t;
    load_gpt2(&g);
    char path[512];
    write_llmc_from(&g, test_tmp_path(path, sizeof path, "gpt2_tokenizer_random.bin"));
    struct sf_diag d;
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), 0);
    struct rng r;
    rng_seed(&r, 2019);
    int a[1100], b[1100], na, nb, differ = 0;
    for (int k = 0; k < 20000 + g.n - 1; k++) {
        char text[1100];
        size_t o = 0;
        int parts = k < 20000 ? 1 + (int)(rng_u64(&r) % 4) : 1;
        for (int p = 0; p < parts; p++) {
            int id = k < 20000 ? (int)(rng_u64(&r) % (uint64_t)(g.n - 1)) : k - 20000;
            if (memchr(g.pieces[id], 0, (size_t)g.lens[id]))
                continue; // text ends at a NUL
            memcpy(text + o, g.pieces[id], (size_t)g.lens[id]);
            o += (size_t)g.lens[id];
        }
        text[o] = '\0';
        assert_int_equal(tokenizer_encode(&g, text, a, 1100, &na, &d), 0);
        assert_int_equal(tokenizer_encode(&t, text, b, 1100, &nb, &d), 0);
        differ += na != nb || memcmp(a, b, sizeof(int) * (size_t)na) != 0;
    }
    assert_int_equal(differ, 0);
    tokenizer_free(&g);
    tokenizer_free(&t);
}

// tokenizer.json built from GPT-2's files, merges alternately as "a b" and ["a", "b"].
static void write_tokenizer_json(const char *path)
{
    char vocab[512], merges[512];
    json_error_t err;
    json_t *vj = json_load_file(test_data_path(vocab, sizeof vocab, "gpt2/encoder.json"), 0, &err);
    assert_non_null(vj);
    FILE *f = fopen(test_data_path(merges, sizeof merges, "gpt2/vocab.bpe"), "r");
    assert_non_null(f);
    json_t *ml = json_array();
    char line[512];
    for (int k = 0; fgets(line, sizeof line, f); k++) {
        line[strcspn(line, "\n")] = '\0';
        char *sp = strchr(line, ' ');
        if (k == 0 || !sp)
            continue;
        *sp = '\0';
        json_array_append_new(ml, k % 2 ? json_pack("[ss]", line, sp + 1)
                                        : json_sprintf("%s %s", line, sp + 1));
    }
    fclose(f);
    json_t *root =
        json_pack("{s:{s:s,s:o,s:o}}", "model", "type", "BPE", "vocab", vj, "merges", ml);
    assert_int_equal(json_dump_file(root, path, JSON_COMPACT), 0);
    json_decref(root);
}

static void test_tokenizer_gpt2_vectors_tokenizer_json(void **state)
{
    (void)state;
    char dir[512], path[1024];
    test_fresh_dir(dir, sizeof dir, "hf_tokenizer_json");
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    write_tokenizer_json(path);
    struct tokenizer t;
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = tokenizer_load_hf_dir(&t, dir, &d);
    if (rc)
        fail_msg("%s: %s", d.file, d.msg);
    assert_int_equal(t.n_merges, 50000);
    json_t *v = load_vectors();
    assert_int_equal(vector_mismatches(&t, v), 0);
    json_decref(v);
    tokenizer_free(&t);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

// A tiny byte-level vocabulary: the 256 bytes spelled as GPT-2 spells them, then "ab", "abc".
static void write_tiny_vocab(const char *path, const char *extra)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{", f);
    for (int b = 0, extra_cp = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
        int cp = printable ? b : 256 + extra_cp++;
        char u[8] = {0};
        if (cp < 0x80)
            snprintf(u, sizeof u, "%s",
                     cp == '"'    ? "\\\""
                     : cp == '\\' ? "\\\\"
                                  : (char[]){(char)cp, 0});
        else
            snprintf(u, sizeof u, "%c%c", 0xc0 | cp >> 6, 0x80 | (cp & 0x3f));
        fprintf(f, "\"%s\": %d, ", u, b);
    }
    fprintf(f, "\"ab\": 256, \"abc\": 257%s}\n", extra);
    assert_int_equal(fclose(f), 0);
}

static void expect_hf_error(const char *vocab, const char *merges, int status, int line,
                            const char *needle)
{
    struct tokenizer t;
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = tokenizer_load_vocab_merges(&t, vocab, merges, &d);
    if (rc != status || !strstr(d.msg, needle) || d.line != line)
        fail_msg("status %d (wanted %d), line %d (wanted %d), message '%s' (wanted '%s')", rc,
                 status, d.line, line, d.msg, needle);
    assert_null(t.pieces);
}

// vocab.json and merges.txt that do not fit: each error names the file, the line and the piece.
static void test_tokenizer_hf_bad_files(void **state)
{
    (void)state;
    char dir[512], vocab[1024], merges[1024], d_json[1024];
    test_fresh_dir(dir, sizeof dir, "hf_bad");
    snprintf(vocab, sizeof vocab, "%s/vocab.json", dir);
    snprintf(merges, sizeof merges, "%s/merges.txt", dir);
    snprintf(d_json, sizeof d_json, "%s/tokenizer.json", dir);
    struct tokenizer t;
    struct sf_diag d;
    // No tokenizer files at all: a status of its own.
    assert_int_equal(tokenizer_load_hf_dir(&t, dir, &d), SF_ERR_NOTFOUND);
    assert_non_null(strstr(d.msg, "no tokenizer files"));
    char missing[1100];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    assert_int_equal(tokenizer_load_hf_dir(&t, missing, &d), SF_ERR_IO);
    assert_string_equal(d.msg, "no such folder");
    write_tiny_vocab(vocab, "");
    assert_int_equal(tokenizer_load_hf_dir(&t, dir, &d), SF_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "no merges.txt"));
    write_text(merges, "#version: 0.2\na b\nab c\n");
    assert_int_equal(tokenizer_load_hf_dir(&t, dir, &d), 0);
    expect_ids(&t, "abc ab", (int[]){257, ' ', 256}, 3);
    tokenizer_free(&t);
    write_text(merges, "#version: 0.2\na b\nab x\n");
    expect_hf_error(vocab, merges, SF_ERR_FORMAT, 3, "merged piece \"abx\" is not in the vocab");
    write_text(merges, "#version: 0.2\na b\nab \xe2\x82\xac\n");
    expect_hf_error(vocab, merges, SF_ERR_FORMAT, 3, "character that GPT-2");
    write_tiny_vocab(vocab, ", \"zz\": 258");
    write_text(merges, "a b\nab c\nyy a\n");
    expect_hf_error(vocab, merges, SF_ERR_FORMAT, 3, "piece \"yy\" is not in the vocabulary");
    write_text(merges, "a b\nab c\nab  c\n");
    expect_hf_error(vocab, merges, SF_ERR_FORMAT, 3, "two pieces separated by one space");
    write_tiny_vocab(vocab, ", \"zz\": 257");
    expect_hf_error(vocab, merges, SF_ERR_FORMAT, 0, "used twice");
    write_text(vocab, "{\"a\": 0,\n \"b\": 1,,}\n");
    expect_hf_error(vocab, merges, SF_ERR_FORMAT, 2, "not valid JSON");
    sf_diag_clear(&d);
    tokenizer_load_vocab_merges(&t, vocab, merges, &d);
    assert_true(d.col > 0);
    assert_non_null(strstr(d.file, "vocab.json"));
    remove(vocab);
    remove(merges);
    write_text(d_json, "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
    assert_int_equal(tokenizer_load_hf_dir(&t, dir, &d), SF_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "model.type is not \"BPE\""));
    remove(d_json);
}

// Text that is not UTF-8 is encoded, not refused: each run of bytes outside UTF-8 is a chunk of
// its own between the chunks of the valid text, and decoding gives the bytes back.
static void test_tokenizer_gpt2_invalid_utf8(void **state)
{
    (void)state;
    struct tokenizer t;
    load_gpt2(&t);
    int ids[32], n, part[32], k;
    struct sf_diag d;
    const char *text = "caf\xe9 au lait\xff\xfe!";
    assert_int_equal(tokenizer_encode(&t, text, ids, 32, &n, &d), 0);
    int want[32], m = 0;
    const char *parts[] = {"caf", "\xe9", " au", " lait", "\xff\xfe", "!"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        assert_int_equal(tokenizer_encode(&t, parts[i], part, 32, &k, &d), 0);
        memcpy(want + m, part, sizeof(int) * (size_t)k);
        m += k;
    }
    assert_int_equal(n, m);
    assert_memory_equal(ids, want, sizeof(int) * (size_t)n);
    char back[64];
    tokenizer_decode(&t, ids, n, back, sizeof back);
    assert_string_equal(back, text);
    tokenizer_free(&t);
}

// 100 KB of one long word, of spaces, and of spaces before a word encode in well under a
// second each (5 s of CPU allowed, so a loaded machine or a sanitizer build cannot fail it).
static void test_tokenizer_gpt2_long_inputs_are_fast(void **state)
{
    (void)state;
    struct tokenizer t;
    load_gpt2(&t);
    size_t n = 100000;
    char *text = malloc(n + 2);
    int *ids = malloc(sizeof *ids * (n + 1));
    assert_true(text && ids);
    for (int kind = 0; kind < 4; kind++) {
        for (size_t i = 0; i < n; i++)
            text[i] = kind == 0 ? "abcdefghij"[i % 10] : kind == 3 ? "\t \n "[i % 4] : ' ';
        text[n] = kind == 2 ? 'x' : '\0';
        text[n + 1] = '\0';
        int got;
        struct sf_diag d;
        double t0 = cpu_seconds();
        assert_int_equal(tokenizer_encode(&t, text, ids, (int)n + 1, &got, &d), 0);
        double dt = cpu_seconds() - t0;
        if (dt > 5.0)
            fail_msg("input %d: encoding 100 KB took %.2f s of CPU time", kind, dt);
        assert_true(got > 0);
    }
    free(text);
    free(ids);
    tokenizer_free(&t);
}

static void test_tokenizer_none_asks_for_ids(void **state)
{
    (void)state;
    struct tokenizer t;
    struct sf_diag d;
    int ids[4], n;
    assert_int_equal(tokenizer_init(&t, TOK_NONE, 0, NULL, NULL), 0);
    assert_int_equal(tokenizer_encode(&t, "hi", ids, 4, &n, &d), SF_ERR_TOKEN);
    assert_non_null(strstr(d.msg, "token ids"));
    tokenizer_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_chars_with_and_without_unk),
        cmocka_unit_test(test_tokenizer_chars_roundtrip),
        cmocka_unit_test(test_tokenizer_words_and_punctuation),
        cmocka_unit_test(test_tokenizer_words_roundtrip_and_unknown),
        cmocka_unit_test(test_tokenizer_bpe_merges_by_rank),
        cmocka_unit_test(test_tokenizer_llmc_bad_files),
        cmocka_unit_test(test_tokenizer_golden_data_file_loads),
        cmocka_unit_test(test_tokenizer_none_asks_for_ids),
        cmocka_unit_test(test_tokenizer_bpe_matches_the_plain_rule),
        cmocka_unit_test(test_tokenizer_bpe_long_chunk_is_fast),
        cmocka_unit_test(test_tokenizer_gpt2_vectors_vocab_merges),
        cmocka_unit_test(test_tokenizer_gpt2_vectors_llmc_file),
        cmocka_unit_test(test_tokenizer_gpt2_llmc_file_equals_merges),
        cmocka_unit_test(test_tokenizer_gpt2_vectors_tokenizer_json),
        cmocka_unit_test(test_tokenizer_hf_bad_files),
        cmocka_unit_test(test_tokenizer_gpt2_invalid_utf8),
        cmocka_unit_test(test_tokenizer_gpt2_long_inputs_are_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
