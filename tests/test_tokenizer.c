// Tests of the tokenizers: character and word level with and without <unk>, GPT-2 byte-level
// BPE on a small llm.c tokenizer file, and damaged tokenizer files.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
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

// Writes an llm.c tokenizer file: 256 single bytes, then the merges, then <|endoftext|>.
static const char *const merges[] = {"th", "the", " the", "in", "ing", " a", "an", "and"};
#define N_MERGES 8

static void write_llmc_tokenizer(const char *path, uint32_t magic, uint32_t version, int cut)
{
    unsigned char buf[8192];
    size_t n = 0;
    uint32_t header[256] = {0};
    header[0] = magic;
    header[1] = version;
    header[2] = 256 + N_MERGES + 1;
    header[3] = 256 + N_MERGES;
    memcpy(buf, header, sizeof header);
    n = sizeof header;
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
    n += 13;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(buf, 1, cut >= 0 ? (size_t)cut : n, f);
    fclose(f);
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
    assert_int_equal(t.n, 265);
    assert_int_equal(t.eot_id, 264);
    expect_ids(&t, "the", (int[]){257}, 1);
    expect_ids(&t, " the thing", (int[]){258, ' ', 256, 260}, 4);
    expect_ids(&t, "band", (int[]){'b', 263}, 2);
    expect_ids(&t, "it's  ok\n", (int[]){'i', 't', '\'', 's', ' ', ' ', 'o', 'k', '\n'}, 9);
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

static void test_tokenizer_llmc_bad_files(void **state)
{
    (void)state;
    char path[512];
    struct tokenizer t;
    struct sf_diag d;
    test_tmp_path(path, sizeof path, "tok_bad.bin");
    write_llmc_tokenizer(path, 20240326, 2, -1);
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), SF_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "magic"));
    assert_string_equal(d.file, path);
    write_llmc_tokenizer(path, 20240328, 3, -1);
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), SF_ERR_VERSION);
    assert_non_null(strstr(d.msg, "version 3"));
    write_llmc_tokenizer(path, 20240328, 2, 100);
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), SF_ERR_TRUNCATED);
    write_llmc_tokenizer(path, 20240328, 2, 1024 + 300);
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), SF_ERR_TRUNCATED);
    assert_non_null(strstr(d.msg, "truncated"));
    write_llmc_tokenizer(path, 20240328, 2, 0);
    assert_int_equal(tokenizer_load_llmc(&t, path, &d), SF_ERR_TRUNCATED);
    assert_int_equal(tokenizer_load_llmc(&t, "no/such/tokenizer.bin", &d), SF_ERR_IO);
    assert_non_null(strstr(d.file, "no/such"));
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
        cmocka_unit_test(test_tokenizer_words_and_punctuation),
        cmocka_unit_test(test_tokenizer_bpe_merges_by_rank),
        cmocka_unit_test(test_tokenizer_llmc_bad_files),
        cmocka_unit_test(test_tokenizer_golden_data_file_loads),
        cmocka_unit_test(test_tokenizer_none_asks_for_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
