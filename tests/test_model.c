// Tests of the model module and model files: configuration checks, the parameter table,
// random initialisation, native and llm.c round trips, and every kind of damaged file.
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/checkpoint.h"
#include "stepformer/cli.h"
#include "stepformer/model.h"
#include "stepformer/tokenizer.h"

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
    // A width whose 4 d would overflow an int is named, not multiplied.
    model_config_gpt2(&c, 2, 2, INT_MAX, 11, 6);
    assert_int_equal(model_config_check(&c, &d), SF_ERR_RANGE);
    assert_non_null(strstr(d.msg, "d_model is 2147483647"));
    model_config_textbook(&c, 2, 2, INT_MIN, 11, 6);
    assert_int_equal(model_config_check(&c, &d), SF_ERR_RANGE);
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
    const float *expect = m.block;
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

// Mean and standard deviation of a tensor's values.
static void stats(const struct tensor *t, double *mean, double *std)
{
    size_t n = tensor_numel(t);
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        sum += t->data[i];
        sq += (double)t->data[i] * t->data[i];
    }
    *mean = sum / (double)n;
    *std = sqrt(sq / (double)n - *mean * *mean);
}

static void test_model_random_init_is_seeded(void **state)
{
    (void)state;
    struct model_config c;
    model_config_gpt2(&c, 2, 4, 64, 500, 32);
    c.tied = 0;
    struct model a, b;
    assert_int_equal(model_init(&a, &c, NULL), 0);
    assert_int_equal(model_init(&b, &c, NULL), 0);
    model_init_random(&a, 7);
    model_init_random(&b, 7);
    assert_params_equal(&a, &b);
    model_init_random(&b, 8);
    char where[48];
    assert_false(test_params_equal(&a, &b, where, sizeof where));

    // Matrices N(0, 0.02), the residual projections W^O and W2 N(0, 0.02 / sqrt(2 L)),
    // gamma 1, beta and biases 0.
    int np = model_params(&a, NULL, 0);
    struct param_ref refs[64];
    assert_true(np <= 64);
    model_params(&a, refs, np);
    for (int i = 0; i < np; i++) {
        const struct tensor *t = refs[i].t;
        size_t n = tensor_numel(t);
        double mean, std, want = 0.02;
        if (t->ndim == 1) {
            float v = strstr(refs[i].name, "gamma") ? 1.0f : 0.0f;
            for (size_t j = 0; j < n; j++)
                if (t->data[j] != v)
                    fail_msg("%s[%zu] is %g, wanted %g", refs[i].name, j, (double)t->data[j],
                             (double)v);
            continue;
        }
        if (strstr(refs[i].name, "attn.wo") || strstr(refs[i].name, "ffn.w2"))
            want = 0.02 / sqrt(2.0 * c.n_layer);
        stats(t, &mean, &std);
        // n >= 4096 samples: the standard error of the spread is under 1.2%.
        if (fabs(std - want) > 0.05 * want || fabs(mean) > 4 * want / sqrt((double)n))
            fail_msg("%s: mean %g, std %g, wanted mean 0, std %g", refs[i].name, mean, std, want);
    }
    model_free(&a);
    model_free(&b);

    // With sinusoidal positions (amplitude 1) the token embeddings start N(0, 1).
    c.pos = POS_SINUSOIDAL;
    assert_int_equal(model_init(&a, &c, NULL), 0);
    model_init_random(&a, 7);
    double mean, std;
    stats(&a.wte, &mean, &std);
    assert_true(fabs(std - 1.0) < 0.05 && fabs(mean) < 0.05);
    stats(&a.layers[0].wq, &mean, &std);
    assert_true(fabs(std - 0.02) < 0.001);
    model_free(&a);
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
    assert_params_equal(&back, &m);
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
    assert_params_equal(&back, &m);
    assert_true(back.layers[1].wq.data[2 * 16 + 5] == 0.75f);
    model_free(&back);
    // Only GPT-2's switches can be written in llm.c's format.
    m.cfg.act = ACT_RELU;
    f = fopen(path, "wb");
    assert_int_equal(checkpoint_write_llmc(&m, f), SF_ERR_ARG);
    fclose(f);
    model_free(&m);
}

// Reads a whole file into a malloc'd buffer; *len gets its size.
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len ? *len : 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

// The writer lays a checkpoint out as llm.c's train_gpt2.py does: the test checkpoint (made by
// an independent Python writer) read and written again gives the same bytes, but for its
// padding rows (1e3 there, to catch a reader that used them; zeros from stepformer, as
// train_gpt2.py pads). Its tokenizer, written again, is the same file byte for byte.
static void test_model_llmc_writer_matches_the_python_writer(void **state)
{
    (void)state;
    char path[512], tok_path[512];
    test_data_path(path, sizeof path, "gpt2_tiny.bin");
    test_data_path(tok_path, sizeof tok_path, "gpt2_tiny_tokenizer.bin");
    struct model m;
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&m, path, &d), 0);
    assert_int_equal(checkpoint_load_tokenizer(&m, tok_path, &d), 0);
    size_t want_len, got_len;
    unsigned char *want = slurp(path, &want_len), *got = NULL;
    FILE *f = open_memstream((char **)&got, &got_len);
    assert_int_equal(checkpoint_write_llmc(&m, f), 0);
    fclose(f);
    assert_int_equal(got_len, want_len);
    size_t pad_start = 1024 + 300 * 64 * 4, pad_end = 1024 + 384 * 64 * 4;
    assert_memory_equal(got, want, pad_start);
    assert_memory_equal(got + pad_end, want + pad_end, want_len - pad_end);
    for (size_t i = pad_start; i < pad_end; i++)
        assert_int_equal(got[i], 0);
    free(want);
    free(got);
    want = slurp(tok_path, &want_len);
    f = open_memstream((char **)&got, &got_len);
    assert_int_equal(checkpoint_write_llmc_tokenizer(&m.tok, f), 0);
    fclose(f);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
    // With no end-of-text id: version 1, which reads back without one.
    m.tok.eot_id = -1;
    char tmp[512];
    test_tmp_path(tmp, sizeof tmp, "model_llmc_tok_v1.bin");
    assert_int_equal(checkpoint_save_llmc_tokenizer(&m, tmp, &d), 0);
    struct tokenizer t;
    assert_int_equal(tokenizer_load_llmc(&t, tmp, &d), 0);
    assert_int_equal(t.n, 300);
    assert_int_equal(t.eot_id, -1);
    assert_memory_equal(t.pieces[298], m.tok.pieces[298], (size_t)m.tok.lens[298]);
    tokenizer_free(&t);
    remove(tmp);
    free(want);
    model_free(&m);
}

// Only GPT-2's shape is written as llm.c's: every other combination of the switches is
// refused before anything is written, naming each switch that differs in one line.
static void check_llmc_refusal(struct model_config *c, void *ctx)
{
    int *refused = ctx;
    struct model m;
    struct sf_diag d;
    char sw[128];
    assert_int_equal(model_init(&m, c, NULL), 0);
    int gpt2 = c->norm == NORM_PRE && c->final_norm && c->pos == POS_LEARNED &&
               c->act == ACT_GELU && c->bias && c->tied;
    int rc = checkpoint_check_llmc(&m, "out.bin", &d);
    if (gpt2 ? rc != 0 : rc != SF_ERR_ARG || !strstr(d.msg, "write a stepformer model (.sfm)"))
        fail_msg("%s: status %d, '%s'", test_switches_str(c, sw, sizeof sw), rc, d.msg);
    static const char *const why[6] = {"post-norm", "no final LayerNorm",       "positions", "ReLU",
                                       "no biases", "an unembedding of its own"};
    int differs[6] = {c->norm != NORM_PRE, !c->final_norm, c->pos != POS_LEARNED,
                      c->act != ACT_GELU,  !c->bias,       !c->tied};
    for (int k = 0; k < 6; k++)
        if (differs[k] != (rc && strstr(d.msg, why[k]) != NULL))
            fail_msg("%s: '%s' %s '%s'", test_switches_str(c, sw, sizeof sw), d.msg,
                     differs[k] ? "lacks" : "has", why[k]);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(checkpoint_write_llmc(&m, f), gpt2 ? 0 : SF_ERR_ARG);
    fclose(f);
    assert_true(gpt2 ? len > 1024 : len == 0);
    free(buf);
    *refused += !gpt2;
    model_free(&m);
}

static void test_model_llmc_refuses_what_it_cannot_hold(void **state)
{
    (void)state;
    struct model_config base;
    model_config_gpt2(&base, 1, 2, 8, 11, 6);
    int refused = 0;
    test_for_each_switch(&base, check_llmc_refusal, &refused);
    assert_int_equal(refused, 95);
    // The sizes, eps and tokenizer llm.c's files cannot hold.
    struct model m;
    struct sf_diag d;
    model_config_gpt2(&base, 1, 2, 8, 11, 6);
    base.d_ff = 24;
    base.ln_eps = 1e-6f;
    assert_int_equal(model_init(&m, &base, NULL), 0);
    const char *pieces[11] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
    int lens[11] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(tokenizer_init(&m.tok, TOK_WORD, 11, pieces, lens), 0);
    assert_int_equal(checkpoint_check_llmc(&m, "w.bin", &d), SF_ERR_ARG);
    assert_non_null(strstr(d.msg, "d_ff 24 (llm.c's is 4 d = 32)"));
    assert_non_null(strstr(d.msg, "LayerNorm eps 1e-06"));
    assert_non_null(strstr(d.msg, "a word-level tokenizer"));
    assert_non_null(strstr(d.file, "w.bin"));
    tokenizer_free(&m.tok);
    model_free(&m);
    base.d_ff = 32, base.ln_eps = 1e-5f;
    assert_int_equal(model_init(&m, &base, NULL), 0);
    // A BPE tokenizer must have a piece for every row, each 1 to 255 bytes, and no <unk>.
    assert_int_equal(tokenizer_init(&m.tok, TOK_BPE, 10, pieces, lens), 0);
    assert_int_equal(checkpoint_check_llmc(&m, NULL, &d), SF_ERR_ARG);
    assert_non_null(strstr(d.msg, "a tokenizer of 10 pieces for a vocabulary of 11"));
    tokenizer_free(&m.tok);
    char long_piece[300];
    memset(long_piece, 'x', sizeof long_piece - 1);
    long_piece[299] = '\0';
    pieces[4] = long_piece;
    lens[4] = 299;
    assert_int_equal(tokenizer_init(&m.tok, TOK_BPE, 11, pieces, lens), 0);
    assert_int_equal(checkpoint_check_llmc(&m, NULL, &d), SF_ERR_ARG);
    assert_non_null(strstr(d.msg, "token 4 of 299 bytes"));
    assert_int_equal(checkpoint_write_llmc_tokenizer(&m.tok, stdout), SF_ERR_ARG);
    tokenizer_free(&m.tok);
    lens[4] = 1;
    assert_int_equal(tokenizer_init(&m.tok, TOK_BPE, 11, pieces, lens), 0);
    m.tok.unk_id = 3;
    assert_int_equal(checkpoint_check_llmc(&m, NULL, &d), SF_ERR_ARG);
    assert_non_null(strstr(d.msg, "an unknown-token id 3"));
    m.tok.unk_id = -1;
    assert_int_equal(checkpoint_check_llmc(&m, NULL, &d), 0);
    tokenizer_free(&m.tok);
    // Merges must make their pieces in id order: llm.c's tokenizer file has none, and a pair
    // is then ranked by its piece's id.
    pieces[9] = "ab", pieces[10] = "cd", lens[9] = lens[10] = 2;
    assert_int_equal(tokenizer_init(&m.tok, TOK_BPE, 11, pieces, lens), 0);
    const int backwards[] = {2, 3, 0, 1}, in_order[] = {0, 1, 2, 3};
    assert_int_equal(tokenizer_set_merges(&m.tok, 2, backwards, &d), 0);
    assert_int_equal(checkpoint_check_llmc(&m, NULL, &d), SF_ERR_ARG);
    assert_non_null(strstr(d.msg, "merges that do not make their pieces in id order"));
    assert_int_equal(tokenizer_set_merges(&m.tok, 2, in_order, &d), 0);
    assert_int_equal(checkpoint_check_llmc(&m, NULL, &d), 0);
    model_free(&m);
}

// The tokenizer of an llm.c checkpoint is named after it, in its directory.
static void test_model_llmc_tokenizer_path(void **state)
{
    (void)state;
    static const char *const cases[][2] = {{"dir/my.bin", "dir/my_tokenizer.bin"},
                                           {"my.bin", "my_tokenizer.bin"},
                                           {"my", "my_tokenizer.bin"},
                                           {"d.x/my", "d.x/my_tokenizer.bin"},
                                           {".hidden", ".hidden_tokenizer.bin"},
                                           {"a/b.c.bin", "a/b.c_tokenizer.bin"},
                                           {"gpt2_124M.bin", "gpt2_124M_tokenizer.bin"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = checkpoint_llmc_tokenizer_path(cases[i][0]);
        assert_string_equal(p, cases[i][1]);
        free(p);
    }
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
        assert_null(m.block); // nothing left allocated
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
    MUTATE(40, 0x7fc00000, SF_ERR_RANGE, "ln_eps is nan"); // NaN epsilon
    MUTATE(84, 12, SF_ERR_FORMAT, "12 pieces but the vocabulary only 11");
#undef MUTATE

    // A header whose sizes agree with each other but not with the file's length.
    struct model_config c;
    small(&c);
    c.n_layer = 3;
    uint64_t count = model_config_param_count(&c);
    memcpy(b, good, len);
    put32(b + 16, 3);
    put32(b + 72, (uint32_t)count);
    put32(b + 76, (uint32_t)(count >> 32));
    expect_bad(b, len, SF_ERR_TRUNCATED, "the weights need");
    // The largest configuration the limits allow (some 1e13 weights) in a 1 KB file fails
    // on the length check, before anything is allocated.
    model_config_textbook(&c, SF_MAX_LAYERS, 1, SF_MAX_DMODEL, SF_MAX_VOCAB, SF_MAX_CTX);
    c.d_ff = SF_MAX_DFF;
    count = model_config_param_count(&c);
    assert_true(count > 1000000000000ULL);
    memcpy(b, good, len);
    const int32_t big[6] = {SF_MAX_LAYERS, 1, SF_MAX_DMODEL, SF_MAX_DFF, SF_MAX_VOCAB, SF_MAX_CTX};
    for (int i = 0; i < 6; i++)
        put32(b + 16 + 4 * i, (uint32_t)big[i]);
    put32(b + 72, (uint32_t)count);
    put32(b + 76, (uint32_t)(count >> 32));
    expect_bad(b, 1024, SF_ERR_TRUNCATED, "the weights need");

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
    expect_bad(good, 1024, SF_ERR_TRUNCATED, "truncated");
    expect_bad(good, 1024 + (len - 1024) / 2, SF_ERR_TRUNCATED, "truncated");
    expect_bad(good, len - 4, SF_ERR_TRUNCATED, "truncated");
    expect_bad(good, len - 1, SF_ERR_TRUNCATED, "truncated");
    memcpy(b, good, len);
    memset(b + len, 0, 8);
    expect_bad(b, len + 8, SF_ERR_FORMAT, "8 unexpected bytes");
#define MUTATE(word, value, status, needle)                                                        \
    do {                                                                                           \
        memcpy(b, good, len);                                                                      \
        put32(b + 4 * (word), (uint32_t)(value));                                                  \
        expect_bad(b, len, status, needle);                                                        \
    } while (0)
    MUTATE(0, SF_LLMC_MODEL_MAGIC + 1, SF_ERR_FORMAT, "not a stepformer model");
    MUTATE(0, SF_LLMC_TOKENIZER_MAGIC, SF_ERR_FORMAT, "llm.c GPT-2 checkpoint");
    MUTATE(1, 1, SF_ERR_VERSION, "version 1 is not supported");
    MUTATE(1, 2, SF_ERR_VERSION, "version 3");
    MUTATE(3, 0, SF_ERR_RANGE, "bad llm.c header: vocab_size (word 3) is 0");
    MUTATE(4, -1, SF_ERR_RANGE, "num_layers (word 4) is -1; it must be from 1 to 256");
    MUTATE(4, 2000000000, SF_ERR_RANGE, "num_layers (word 4) is 2000000000");
    MUTATE(5, 3, SF_ERR_RANGE, "n_head 3");
    MUTATE(6, 0, SF_ERR_RANGE, "channels (word 6) is 0");
    MUTATE(7, 4, SF_ERR_RANGE, "padded_vocab_size (word 7) is 4, smaller than vocab_size 5");
    // Values whose products (4 C, C C, V C, ...) overflow an int: named before any arithmetic.
    MUTATE(6, 1 << 30, SF_ERR_RANGE, "channels (word 6) is 1073741824; it must be from 1 to");
    MUTATE(6, INT32_MAX, SF_ERR_RANGE, "channels (word 6) is 2147483647");
    MUTATE(2, INT32_MAX, SF_ERR_RANGE, "max_seq_len (word 2) is 2147483647");
    MUTATE(7, INT32_MIN, SF_ERR_RANGE, "padded_vocab_size (word 7) is -2147483648");
    MUTATE(5, -7, SF_ERR_RANGE, "num_heads (word 5) is -7");
    MUTATE(2, 5, SF_ERR_TRUNCATED, "need");   // a larger context than the file holds
    MUTATE(7, 256, SF_ERR_TRUNCATED, "need"); // more padding rows than the file holds
#undef MUTATE
    float nan = NAN;
    memcpy(b, good, len);
    memcpy(b + 1024 + 4 * 3, &nan, 4); // wte[0][3]
    expect_bad(b, len, SF_ERR_NONFINITE, "wte holds NaN at index 3");
    float inf = -INFINITY;
    memcpy(b, good, len);
    memcpy(b + len - 4, &inf, 4); // lnfb[7]
    expect_bad(b, len, SF_ERR_NONFINITE, "lnf.beta holds infinity at index 7");
    free(b);
    free(good);
}

// An llm.c tokenizer file (version 1) of n pieces "t0", "t1", ...
static void write_llmc_tokenizer(const char *path, int n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t header[256] = {20240328, 1, (uint32_t)n};
    assert_int_equal(fwrite(header, 4, 256, f), 256);
    for (int i = 0; i < n; i++) {
        char piece[16];
        int len = snprintf(piece, sizeof piece, "t%d", i);
        fputc(len, f);
        assert_int_equal(fwrite(piece, 1, (size_t)len, f), (size_t)len);
    }
    fclose(f);
}

// A byte-level BPE tokenizer whose merges are not the order of its ids: the 256 bytes, then
// "ab" (256), "bc" (257), "abc" (258) made by the merges (a, b), (b, c), (a, bc). "abc" encodes
// as "ab" "c" by the merges, but as "abc" when ranked by id (no merges).
static void bpe_with_merges(struct tokenizer *t)
{
    char store[259][4];
    const char *pieces[259];
    int lens[259];
    for (int i = 0; i < 256; i++) {
        store[i][0] = (char)i;
        pieces[i] = store[i];
        lens[i] = 1;
    }
    pieces[256] = "ab";
    pieces[257] = "bc";
    pieces[258] = "abc";
    lens[256] = lens[257] = 2;
    lens[258] = 3;
    assert_int_equal(tokenizer_init(t, TOK_BPE, 259, pieces, lens), 0);
    const int merges[] = {'a', 'b', 'b', 'c', 'a', 257};
    assert_int_equal(tokenizer_set_merges(t, 3, merges, NULL), 0);
}

static void expect_encoding(struct tokenizer *t, const char *text, const int *want, int n)
{
    int ids[16], got;
    struct sf_diag d;
    assert_int_equal(tokenizer_encode(t, text, ids, 16, &got, &d), 0);
    assert_int_equal(got, n);
    assert_memory_equal(ids, want, sizeof(int) * (size_t)n);
}

static unsigned char *bpe_model_bytes(size_t *len, int with_merges)
{
    struct model_config c;
    model_config_gpt2(&c, 1, 2, 8, 259, 8);
    struct model m;
    assert_int_equal(model_init(&m, &c, NULL), 0);
    model_init_random(&m, 4);
    bpe_with_merges(&m.tok);
    if (!with_merges)
        tokenizer_set_merges(&m.tok, 0, NULL, NULL);
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_int_equal(checkpoint_write(&m, f), 0);
    fclose(f);
    model_free(&m);
    return (unsigned char *)buf;
}

// A BPE tokenizer's merges survive a native file (version 2); without merges the file is
// version 1 as before, and reads back ranking by id.
static void test_model_native_keeps_bpe_merges(void **state)
{
    (void)state;
    for (int with = 0; with < 2; with++) {
        size_t len;
        unsigned char *bytes = bpe_model_bytes(&len, with);
        uint32_t version;
        memcpy(&version, bytes + 8, 4);
        assert_int_equal(version, with ? 2 : 1);
        FILE *f = fmemopen(bytes, len, "rb");
        struct model m;
        struct sf_diag d;
        assert_int_equal(checkpoint_read(&m, f, "bpe.sfm", &d), 0);
        fclose(f);
        assert_int_equal(m.tok.n_merges, with ? 3 : 0);
        if (with) {
            const int merges[] = {'a', 'b', 'b', 'c', 'a', 257};
            assert_memory_equal(m.tok.merges, merges, sizeof merges);
            expect_encoding(&m.tok, "abc", (int[]){256, 'c'}, 2);
        } else {
            expect_encoding(&m.tok, "abc", (int[]){258}, 1);
        }
        model_free(&m);
        free(bytes);
    }
}

// Damaged merges: a count larger than the file, an id that is not a piece, a pair whose
// concatenation is not a piece, a file cut inside them.
static void test_model_native_bad_bpe_merges(void **state)
{
    (void)state;
    size_t len;
    unsigned char *bytes = bpe_model_bytes(&len, 1);
    struct model_config c;
    model_config_gpt2(&c, 1, 2, 8, 259, 8);
    size_t at = len - model_config_param_count(&c) * sizeof(float) - 4 - 3 * 8; // the count
    uint32_t n;
    memcpy(&n, bytes + at, 4);
    assert_int_equal(n, 3);
    put32(bytes + at, 1000000);
    expect_bad(bytes, len, SF_ERR_FORMAT, "more than the file can hold");
    put32(bytes + at, 3);
    put32(bytes + at + 4 + 8 * 2 + 4, 259); // merge 2 joins 'a' with id 259
    expect_bad(bytes, len, SF_ERR_FORMAT, "BPE merge 2");
    put32(bytes + at + 4 + 8 * 2 + 4, 'c'); // "ac" is not a piece
    expect_bad(bytes, len, SF_ERR_FORMAT, "not a piece");
    expect_bad(bytes, at + 4 + 8, SF_ERR_FORMAT, "more than the file can hold");
    free(bytes);
}

// A tokenizer with more pieces than the vocabulary (ids with no embedding row or probability)
// or fewer is refused, named with both sizes; llm.c's padded rows do not count, so the real
// pair (vocabulary 300 padded to 384, a tokenizer of 300) loads.
static void test_model_tokenizer_must_match_the_vocabulary(void **state)
{
    (void)state;
    char dir[512], model_path[600], tok_path[600], msg[2000];
    test_tmp_path(dir, sizeof dir, "tokenizer-beside");
    mkdir(dir, 0755);
    snprintf(model_path, sizeof model_path, "%s/gpt2_small.bin", dir);
    snprintf(tok_path, sizeof tok_path, "%s/gpt2_tokenizer.bin", dir);
    size_t len;
    unsigned char *bytes = llmc_bytes(&len); // vocabulary 5, padded to 128
    FILE *f = fopen(model_path, "wb");
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
    free(bytes);
    struct model m;
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&m, model_path, &d), 0);
    assert_int_equal(m.cfg.vocab_size, 5);
    write_llmc_tokenizer(tok_path, 6);
    sf_diag_clear(&d);
    assert_int_equal(checkpoint_load_tokenizer(&m, tok_path, &d), SF_ERR_RANGE);
    assert_string_equal(d.file, tok_path);
    if (!strstr(d.msg, "6 pieces but the model's vocabulary only 5") ||
        !strstr(d.msg, "use the tokenizer file that belongs to this model"))
        fail_msg("message '%s'", d.msg);
    assert_int_equal(m.tok.kind, TOK_NONE); // the model keeps its own
    write_llmc_tokenizer(tok_path, 4);
    assert_int_equal(checkpoint_load_tokenizer(&m, tok_path, &d), SF_ERR_RANGE);
    assert_non_null(strstr(d.msg, "4 pieces but the model's vocabulary has 5"));
    write_llmc_tokenizer(tok_path, 5);
    assert_int_equal(checkpoint_load_tokenizer(&m, tok_path, &d), 0);
    assert_int_equal(m.tok.n, 5);
    model_free(&m);

    // The tokenizer picked up from beside the model is checked the same way.
    write_llmc_tokenizer(tok_path, 7);
    assert_int_not_equal(cli_load_model(&m, model_path, NULL, &d), 0);
    sf_diag_format(&d, msg, sizeof msg);
    if (!strstr(msg, tok_path) || !strstr(msg, "7 pieces but the model's vocabulary only 5"))
        fail_msg("message '%s'", msg);
    assert_null(m.block);

    // llm.c's files: the checkpoint pads its vocabulary of 300 to 384 rows; the tokenizer
    // file holds the 300 real tokens.
    char tiny[512], tiny_tok[512];
    test_data_path(tiny, sizeof tiny, "gpt2_tiny.bin");
    test_data_path(tiny_tok, sizeof tiny_tok, "gpt2_tiny_tokenizer.bin");
    assert_int_equal(checkpoint_load(&m, tiny, &d), 0);
    assert_int_equal(checkpoint_load_tokenizer(&m, tiny_tok, &d), 0);
    assert_int_equal(m.tok.n, 300);
    assert_int_equal(m.wte.shape[0], 300);
    model_free(&m);
}

// The same GPT-2-switch model written in both formats loads to the same weights.
static void test_model_load_picks_format_by_magic(void **state)
{
    (void)state;
    struct model_config c;
    model_config_gpt2(&c, 1, 2, 8, 20, 4);
    struct model m, native, llmc;
    struct sf_diag d;
    assert_int_equal(model_init(&m, &c, NULL), 0);
    model_init_random(&m, 11);
    char native_path[512], llmc_path[512];
    test_tmp_path(native_path, sizeof native_path, "model_magic.sfm");
    test_tmp_path(llmc_path, sizeof llmc_path, "model_magic.bin");
    assert_int_equal(checkpoint_save(&m, native_path, &d), 0);
    FILE *f = fopen(llmc_path, "wb");
    assert_non_null(f);
    assert_int_equal(checkpoint_write_llmc(&m, f), 0);
    fclose(f);
    assert_int_equal(checkpoint_load(&native, native_path, &d), 0);
    assert_int_equal(checkpoint_load(&llmc, llmc_path, &d), 0);
    assert_memory_equal(&native.cfg, &llmc.cfg, sizeof c);
    assert_params_equal(&native, &llmc);
    assert_params_equal(&native, &m);
    model_free(&native);
    model_free(&llmc);
    model_free(&m);
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

    // A model that could not be read back is refused before anything is written.
    m.n_params--;
    assert_int_equal(checkpoint_save(&m, path, &d), SF_ERR_ARG);
    assert_non_null(strstr(d.msg, "not saved"));
    m.n_params++;
    const char *pieces[] = {"a", "b"};
    assert_int_equal(tokenizer_init(&m.tok, TOK_CHAR, 2, pieces, NULL), 0);
    m.tok.eot_id = 2;
    assert_int_equal(checkpoint_save(&m, path, &d), SF_ERR_ARG);
    assert_non_null(strstr(d.msg, "tokenizer"));
    tokenizer_free(&m.tok);

    // A write that fails halfway (here: the file-size limit, as on a full disk) leaves the
    // old file as it was and no temporary file behind.
    struct model_config big_cfg;
    model_config_gpt2(&big_cfg, 2, 4, 64, 500, 64);
    struct model big;
    assert_int_equal(model_init(&big, &big_cfg, NULL), 0);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 64 * 1024; // the small model fits, the big one does not
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = checkpoint_save(&big, path, &d);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, SF_ERR_IO);
    assert_non_null(strstr(d.msg, "unchanged"));
    model_free(&big);

    assert_int_equal(checkpoint_load(&back, path, &d), 0);
    assert_params_equal(&back, &m);
    model_free(&back);
    model_free(&m);
    char dir[512];
    DIR *dp = opendir(test_tmp_path(dir, sizeof dir, ""));
    assert_non_null(dp);
    for (struct dirent *e; (e = readdir(dp));)
        if (strncmp(e->d_name, "model_keep.sfm.tmp-", 19) == 0)
            fail_msg("temporary file %s was left behind", e->d_name);
    closedir(dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_config_check_names_the_field),
        cmocka_unit_test(test_model_param_table_for_every_switch),
        cmocka_unit_test(test_model_random_init_is_seeded),
        cmocka_unit_test(test_model_native_roundtrip_is_exact),
        cmocka_unit_test(test_model_native_keeps_bpe_merges),
        cmocka_unit_test(test_model_native_bad_bpe_merges),
        cmocka_unit_test(test_model_llmc_roundtrip_and_transpose),
        cmocka_unit_test(test_model_llmc_writer_matches_the_python_writer),
        cmocka_unit_test(test_model_llmc_refuses_what_it_cannot_hold),
        cmocka_unit_test(test_model_llmc_tokenizer_path),
        cmocka_unit_test(test_model_native_bad_files),
        cmocka_unit_test(test_model_llmc_bad_files),
        cmocka_unit_test(test_model_load_picks_format_by_magic),
        cmocka_unit_test(test_model_load_names_missing_and_directory),
        cmocka_unit_test(test_model_save_keeps_old_file_on_failure),
        cmocka_unit_test(test_model_tokenizer_must_match_the_vocabulary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
