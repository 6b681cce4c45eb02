// Tests of the model module and model files: configuration checks, the parameter table,
// random initialisation, native and llm.c round trips, and every kind of damaged file.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/checkpoint.h"
#include "stepformer/model.h"

static void small(struct model_config *c)
{
    model_config_textbook(c, 2, 2, 8, 11, 6);
}

static void test_model_config_check_names_the_field(void **state)
{
    (void)state;
    struct model_config c;
    struct sf_diag d;
#define BAD(stmt, needle)                                                                          \
    do {                                                                                           \
        small(&c);                                                                                 \
        stmt;                                                                                      \
        assert_int_equal(model_config_check(&c, &d), SF_ERR_RANGE);                                \
        if (!strstr(d.msg, needle))                                                                \
            fail_msg("message '%s' lacks '%s'", d.msg, needle);                                    \
    } while (0)
    BAD(c.n_layer = 0, "n_layer is 0");
    BAD(c.n_layer = 1000000000, "n_layer is 1000000000");
    BAD(c.n_head = 0, "n_head");
    BAD(c.d_model = -3, "d_model is -3");
    BAD(c.d_ff = 0, "d_ff");
    BAD(c.vocab_size = -5, "vocab_size is -5");
    BAD(c.n_ctx = 0, "n_ctx");
    BAD(c.n_head = 3, "not a multiple of n_head 3");
    BAD(c.ln_eps = 0, "ln_eps");
    BAD(c.ln_eps = NAN, "ln_eps");
    BAD(c.norm = (enum norm_place)7, "norm is 7");
    BAD(c.pos = (enum pos_kind)3, "pos is 3");
    BAD(c.act = (enum act_kind) - 1, "act is -1");
    BAD(c.bias = 2, "bias is 2");
#undef BAD
    small(&c);
    assert_int_equal(model_config_check(&c, &d), 0);
}

static void check_param_table(struct model_config *c, void *ctx)
{
    (void)ctx;
    struct model m;
    assert_int_equal(model_init(&m, c, NULL), 0);
    assert_int_equal(m.n_params, model_config_param_count(c));
    int np = model_params(&m, NULL, 0);
    struct param_ref refs[64];
    assert_true(np <= 64);
    model_params(&m, refs, np);
    size_t total = 0;
    const float *expect = m.params;
    for (int i = 0; i < np; i++) {
        assert_ptr_equal(refs[i].t->data, expect); // contiguous, in table order
        expect += tensor_numel(refs[i].t);
        total += tensor_numel(refs[i].t);
        assert_ptr_equal(model_param(&m, refs[i].name), refs[i].t);
    }
    assert_int_equal(total, m.n_params);
    assert_string_equal(refs[0].name, "wte");
    assert_int_equal(tensor_present(&m.wpe), c->pos == POS_LEARNED);
    assert_int_equal(tensor_present(&m.layers[1].bq), c->bias);
    assert_int_equal(tensor_present(&m.lnf_g), c->final_norm);
    assert_int_equal(tensor_present(&m.wout), !c->tied);
    assert_ptr_equal(model_unembedding(&m), c->tied ? &m.wte : &m.wout);
    assert_null(model_param(&m, "L9.attn.wq"));
    assert_non_null(model_param(&m, "L1.ffn.w2"));
    assert_int_equal(m.layers[0].w1.shape[0], 8);
    assert_int_equal(m.layers[0].w1.shape[1], 32);
    model_free(&m);
}

static void test_model_param_table_for_every_switch(void **state)
{
    (void)state;
    struct model_config base;
    small(&base);
    assert_int_equal(test_for_each_switch(&base, check_param_table, NULL), 96);
    struct model zero = {0};
    model_free(&zero); // safe on a zeroed model
}

static void test_model_random_init_is_seeded(void **state)
{
    (void)state;
    struct model_config c;
    model_config_gpt2(&c, 2, 4, 64, 500, 32);
    struct model a, b;
    assert_int_equal(model_init(&a, &c, NULL), 0);
    assert_int_equal(model_init(&b, &c, NULL), 0);
    model_init_random(&a, 7);
    model_init_random(&b, 7);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    model_init_random(&b, 8);
    assert_memory_not_equal(a.params, b.params, a.n_params * sizeof(float));
    double sq = 0;
    size_t n = tensor_numel(&a.wte);
    for (size_t i = 0; i < n; i++)
        sq += (double)a.wte.data[i] * a.wte.data[i];
    assert_true(fabs(sqrt(sq / (double)n) - 0.02) < 0.001);
    assert_true(a.layers[1].ln2_g.data[3] == 1.0f && a.layers[1].b1.data[5] == 0.0f);
    model_free(&a);
    model_free(&b);
}

static void fill_tokenizer(struct model *m)
{
    const char *pieces[] = {"<unk>", "the", "keys",  "to", "cabinet", "are",
                            "is",    "on",  "table", ".",  "\xc3\xa9"};
    assert_int_equal(tokenizer_init(&m->tok, TOK_WORD, 11, pieces, NULL), 0);
    m->tok.eot_id = 9;
}

static void check_roundtrip(struct model_config *c, void *ctx)
{
    int *count = ctx;
    struct model m, back;
    struct sf_diag d;
    assert_int_equal(model_init(&m, c, NULL), 0);
    model_init_random(&m, (uint64_t)(*count)++);
    fill_tokenizer(&m);
    char path[512];
    test_tmp_path(path, sizeof path, "model_roundtrip.sfm");
    assert_int_equal(checkpoint_save(&m, path, &d), 0);
    assert_int_equal(checkpoint_load(&back, path, &d), 0);
    assert_memory_equal(&back.cfg, &m.cfg, sizeof m.cfg);
    assert_int_equal(back.n_params, m.n_params);
    assert_memory_equal(back.params, m.params, m.n_params * sizeof(float));
    assert_int_equal(back.tok.kind, TOK_WORD);
    assert_int_equal(back.tok.n, 11);
    assert_int_equal(back.tok.unk_id, 0);
    assert_int_equal(back.tok.eot_id, 9);
    assert_string_equal(back.tok.pieces[10], "\xc3\xa9");
    model_free(&m);
    model_free(&back);
}

static void test_model_native_roundtrip_is_exact(void **state)
{
    (void)state;
    int count = 0;
    struct model_config base;
    small(&base);
    test_for_each_switch(&base, check_roundtrip, &count);
    assert_int_equal(count, 96);
}

static void test_model_llmc_roundtrip_and_transpose(void **state)
{
    (void)state;
    struct model_config c;
    model_config_gpt2(&c, 2, 2, 16, 130, 8); // padded to 256 rows in the file
    struct model m, back;
    struct sf_diag d;
    assert_int_equal(model_init(&m, &c, NULL), 0);
    model_init_random(&m, 3);
    m.layers[1].wq.data[2 * 16 + 5] = 0.75f; // W^Q[in 2][out 5]
    char path[512];
    test_tmp_path(path, sizeof path, "model_llmc.bin");
    FILE *f = fopen(path, "wb");
    assert_int_equal(checkpoint_write_llmc(&m, f), 0);
    fclose(f);
    assert_int_equal(checkpoint_load(&back, path, &d), 0);
    assert_int_equal(back.cfg.vocab_size, 130);
    assert_int_equal(back.cfg.act, ACT_GELU);
    assert_int_equal(back.tok.kind, TOK_NONE);
    assert_memory_equal(back.params, m.params, m.n_params * sizeof(float));
    assert_true(back.layers[1].wq.data[2 * 16 + 5] == 0.75f);
    model_free(&back);
    // Only GPT-2's switches can be written in llm.c's format.
    m.cfg.act = ACT_RELU;
    f = fopen(path, "wb");
    assert_int_equal(checkpoint_write_llmc(&m, f), SF_ERR_ARG);
    fclose(f);
    model_free(&m);
}

// A valid native file in memory, to damage.
static unsigned char *native_bytes(size_t *len)
{
    struct model_config c;
    small(&c);
    struct model m;
    assert_int_equal(model_init(&m, &c, NULL), 0);
    model_init_random(&m, 1);
    fill_tokenizer(&m);
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_int_equal(checkpoint_write(&m, f), 0);
    fclose(f);
    model_free(&m);
    return (unsigned char *)buf;
}

// Reads bytes as a model; returns the status and leaves the message in d.
static int read_bytes(const unsigned char *bytes, size_t len, struct sf_diag *d)
{
    static unsigned char empty[1];
    FILE *f = fmemopen(len ? (void *)bytes : empty, len ? len : 1, "rb");
    assert_non_null(f);
    if (!len) {
        fclose(f);
        f = fopen("/dev/null", "rb");
    }
    struct model m;
    int rc = checkpoint_read(&m, f, "damaged.sfm", d);
    fclose(f);
    if (rc == 0)
        model_free(&m);
    else
        assert_null(m.params); // nothing left allocated
    return rc;
}

static void expect_bad(const unsigned char *bytes, size_t len, int status, const char *needle)
{
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = read_bytes(bytes, len, &d);
    if (rc != status || !strstr(d.msg, needle))
        fail_msg("status %d (wanted %d), message '%s' (wanted '%s')", rc, status, d.msg, needle);
    assert_string_equal(d.file, "damaged.sfm");
}

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void test_model_native_bad_files(void **state)
{
    (void)state;
    size_t len;
    unsigned char *good = native_bytes(&len);
    struct sf_diag d;
    assert_int_equal(read_bytes(good, len, &d), 0);
    unsigned char *b = malloc(len + 16);

    expect_bad(good, 0, SF_ERR_FORMAT, "empty");
    expect_bad(good, 5, SF_ERR_FORMAT, "only 5 bytes");
    expect_bad(good, 40, SF_ERR_TRUNCATED, "header");
    expect_bad(good, 90, SF_ERR_TRUNCATED, "tokenizer");
    expect_bad(good, len - 1, SF_ERR_TRUNCATED, "weights need");
    expect_bad(good, len / 2, SF_ERR_TRUNCATED, "truncated");
    memcpy(b, good, len);
    memset(b + len, 0, 16);
    expect_bad(b, len + 16, SF_ERR_FORMAT, "16 unexpected bytes");

#define MUTATE(off, value, status, needle)                                                         \
    do {                                                                                           \
        memcpy(b, good, len);                                                                      \
        put32(b + (off), (uint32_t)(value));                                                       \
        expect_bad(b, len, status, needle);                                                        \
    } while (0)
    MUTATE(0, 0x12345678, SF_ERR_FORMAT, "not a stepformer model");
    MUTATE(8, 9, SF_ERR_VERSION, "version 9");
    MUTATE(12, 64, SF_ERR_FORMAT, "header size");
    MUTATE(16, 0, SF_ERR_RANGE, "n_layer is 0");
    MUTATE(16, 1000000000, SF_ERR_RANGE, "n_layer is 1000000000");
    MUTATE(32, (uint32_t)-5, SF_ERR_RANGE, "vocab_size is -5");
    MUTATE(24, 0, SF_ERR_RANGE, "d_model is 0");
    MUTATE(72, 12345, SF_ERR_FORMAT, "12345 parameters");
    MUTATE(84, 3000000, SF_ERR_FORMAT, "3000000 pieces");
    MUTATE(80, 9, SF_ERR_FORMAT, "tokenizer kind 9");
    MUTATE(88, 500, SF_ERR_FORMAT, "out of range");
    MUTATE(96, 100000, SF_ERR_FORMAT, "claims 100000 bytes");
    // a wrong size that still fits the file: the config's needs decide
    MUTATE(36, 7, SF_ERR_FORMAT, "parameters");
#undef MUTATE

    // NaN and infinity in the weights, named by parameter and index.
    float nan = NAN, inf = INFINITY;
    memcpy(b, good, len);
    memcpy(b + len - 4, &nan, 4);
    expect_bad(b, len, SF_ERR_NONFINITE, "lnf.beta holds NaN at index 7");
    memcpy(b, good, len);
    memcpy(b + len - 4 * 100, &inf, 4);
    expect_bad(b, len, SF_ERR_NONFINITE, "infinity");
    free(b);
    free(good);
}

static unsigned char *llmc_bytes(size_t *len)
{
    struct model_config c;
    model_config_gpt2(&c, 1, 2, 8, 5, 4);
    struct model m;
    assert_int_equal(model_init(&m, &c, NULL), 0);
    model_init_random(&m, 1);
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_int_equal(checkpoint_write_llmc(&m, f), 0);
    fclose(f);
    model_free(&m);
    return (unsigned char *)buf;
}

static void test_model_llmc_bad_files(void **state)
{
    (void)state;
    size_t len;
    unsigned char *good = llmc_bytes(&len);
    struct sf_diag d;
    assert_int_equal(read_bytes(good, len, &d), 0);
    unsigned char *b = malloc(len + 8);
    expect_bad(good, 1000, SF_ERR_TRUNCATED, "1024-byte header");
    expect_bad(good, len - 4, SF_ERR_TRUNCATED, "truncated");
    memcpy(b, good, len);
    memset(b + len, 0, 8);
    expect_bad(b, len + 8, SF_ERR_FORMAT, "8 unexpected bytes");
#define MUTATE(word, value, status, needle)                                                        \
    do {                                                                                           \
        memcpy(b, good, len);                                                                      \
        put32(b + 4 * (word), (uint32_t)(value));                                                  \
        expect_bad(b, len, status, needle);                                                        \
    } while (0)
    MUTATE(1, 1, SF_ERR_VERSION, "version 1 is not supported");
    MUTATE(1, 2, SF_ERR_VERSION, "version 3");
    MUTATE(3, 0, SF_ERR_RANGE, "vocab_size is 0");
    MUTATE(4, -1, SF_ERR_RANGE, "n_layer is -1");
    MUTATE(4, 2000000000, SF_ERR_RANGE, "n_layer");
    MUTATE(5, 3, SF_ERR_RANGE, "n_head 3");
    MUTATE(6, 0, SF_ERR_RANGE, "d_model is 0");
    MUTATE(7, 4, SF_ERR_RANGE, "padded vocabulary 4");
    MUTATE(2, 5, SF_ERR_TRUNCATED, "need");   // a larger context than the file holds
    MUTATE(7, 256, SF_ERR_TRUNCATED, "need"); // more padding rows than the file holds
#undef MUTATE
    float nan = NAN;
    memcpy(b, good, len);
    memcpy(b + 1024 + 4 * 3, &nan, 4); // wte[0][3]
    expect_bad(b, len, SF_ERR_NONFINITE, "wte holds NaN at index 3");
    free(b);
    free(good);
}

static void test_model_load_names_missing_and_directory(void **state)
{
    (void)state;
    struct model m;
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&m, "no/such/model.sfm", &d), SF_ERR_IO);
    assert_string_equal(d.file, "no/such/model.sfm");
    assert_non_null(strstr(d.msg, "No such file"));
    char dir[512];
    test_tmp_path(dir, sizeof dir, "");
    assert_int_equal(checkpoint_load(&m, dir, &d), SF_ERR_IO);
    assert_non_null(strstr(d.msg, "directory"));
    char path[512];
    test_tmp_path(path, sizeof path, "model_junk.bin");
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 5000; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    assert_int_equal(checkpoint_load(&m, path, &d), SF_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "not a stepformer model"));
}

static void test_model_save_keeps_old_file_on_failure(void **state)
{
    (void)state;
    struct model_config c;
    small(&c);
    struct model m, back;
    struct sf_diag d;
    assert_int_equal(model_init(&m, &c, NULL), 0);
    model_init_random(&m, 5);
    char path[512];
    test_tmp_path(path, sizeof path, "model_keep.sfm");
    assert_int_equal(checkpoint_save(&m, path, &d), 0);
    assert_int_equal(checkpoint_save(&m, "/nonexistent-dir/model.sfm", &d), SF_ERR_IO);
    assert_string_equal(d.file, "/nonexistent-dir/model.sfm");
    assert_int_equal(checkpoint_load(&back, path, &d), 0);
    assert_memory_equal(back.params, m.params, m.n_params * sizeof(float));
    model_free(&back);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_config_check_names_the_field),
        cmocka_unit_test(test_model_param_table_for_every_switch),
        cmocka_unit_test(test_model_random_init_is_seeded),
        cmocka_unit_test(test_model_native_roundtrip_is_exact),
        cmocka_unit_test(test_model_llmc_roundtrip_and_transpose),
        cmocka_unit_test(test_model_native_bad_files),
        cmocka_unit_test(test_model_llmc_bad_files),
        cmocka_unit_test(test_model_load_names_missing_and_directory),
        cmocka_unit_test(test_model_save_keeps_old_file_on_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
