// Tests of `stepformer convert`: round trips between stepformer models and llm.c checkpoints
// keep every weight bit, the logits and the tokenizer; what llm.c cannot hold is refused; the
// model being read is never written over.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/checkpoint.h"
#include "stepformer/cli.h"
#include "stepformer/fileio.h"
#include "stepformer/tokenizer.h"

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

// Converts, and fails with convert's messages unless it succeeds.
#define convert_ok(...)                                                                            \
    do {                                                                                           \
        struct run r_ = run_cmd(cmd_convert, __VA_ARGS__, NULL);                                   \
        if (r_.status != 0)                                                                        \
            fail_msg("convert failed (%d): %s", r_.status, r_.err);                                \
        run_free(&r_);                                                                             \
    } while (0)

// Convert's refusal: status 2 and one line that holds needle.
static void expect_refused(struct run r, const char *needle)
{
    if (r.status != 2 || !strstr(r.err, needle) || count_lines(r.err) != 1 || r.out_len != 0)
        fail_msg("status %d, stderr: %s (wanted '%s')", r.status, r.err, needle);
    run_free(&r);
}

// `trace --op head.logits` on a model, as printed.
static char *logits_of(const char *model, const char *tokenizer)
{
    struct run r = tokenizer ? run_cmd(cmd_trace, "--model", model, "--tokenizer", tokenizer,
                                       "--prompt", " the thing", "--op", "head.logits", NULL)
                             : run_cmd(cmd_trace, "--model", model, "--prompt", " the thing",
                                       "--op", "head.logits", NULL);
    if (r.status != 0)
        fail_msg("trace on %s: %s", model, r.err);
    free(r.err);
    return r.out;
}

// a and b (opened as --model opens them) have the same configuration, every weight bit and the
// same tokenizer, which reads text to the same ids.
static void assert_same_model(const char *a_path, const char *a_tok, const char *b_path)
{
    struct model a, b;
    struct sf_diag d;
    if (cli_load_model(&a, a_path, a_tok, &d) || cli_load_model(&b, b_path, NULL, &d))
        fail_msg("cannot load: %s: %s", d.file, d.msg);
    assert_memory_equal(&a.cfg, &b.cfg, sizeof a.cfg);
    assert_int_equal(a.n_params, b.n_params);
    assert_params_equal(&a, &b);
    assert_int_equal(b.tok.kind, a.tok.kind);
    assert_int_equal(b.tok.n, a.tok.n);
    assert_int_equal(b.tok.eot_id, a.tok.eot_id);
    assert_int_equal(b.tok.unk_id, a.tok.unk_id);
    for (int i = 0; i < a.tok.n; i++) {
        assert_int_equal(b.tok.lens[i], a.tok.lens[i]);
        assert_memory_equal(b.tok.pieces[i], a.tok.pieces[i], (size_t)a.tok.lens[i]);
    }
    static const char text[] = " the thing, and the other things";
    int ids_a[64], ids_b[64], na = 0, nb = 0;
    assert_int_equal(tokenizer_encode(&a.tok, text, ids_a, 64, &na, &d), 0);
    assert_int_equal(tokenizer_encode(&b.tok, text, ids_b, 64, &nb, &d), 0);
    assert_true(na > 4);
    assert_int_equal(nb, na);
    assert_memory_equal(ids_b, ids_a, sizeof ids_a[0] * (size_t)na);
    model_free(&a);
    model_free(&b);
}

static uint64_t file_hash(const char *path)
{
    uint64_t h = 0;
    struct sf_diag d;
    assert_int_equal(sf_fnv1a_file(path, &h, &d), 0);
    return h;
}

// llm.c -> .sfm -> llm.c: the test checkpoint (GPT-2's shape, a BPE tokenizer) keeps every
// weight bit, its tokenizer (the llm.c tokenizer file written again is the same bytes) and its
// logits. The checkpoint written finds its own tokenizer beside it, before a
// gpt2_tokenizer.bin that is not its own.
static void test_convert_llmc_to_sfm_to_llmc(void **state)
{
    (void)state;
    char dir[512], src[512], src_tok[512], a[600], b[600], b_tok[600], other[600];
    test_data_path(src, sizeof src, "gpt2_tiny.bin");
    test_data_path(src_tok, sizeof src_tok, "gpt2_tiny_tokenizer.bin");
    test_fresh_dir(dir, sizeof dir, "convert_llmc");
    snprintf(a, sizeof a, "%s/a.sfm", dir);
    snprintf(b, sizeof b, "%s/b.bin", dir);
    snprintf(b_tok, sizeof b_tok, "%s/b_tokenizer.bin", dir);
    snprintf(other, sizeof other, "%s/gpt2_tokenizer.bin", dir);
    // Another model's tokenizer in the directory, of another size: reading it would fail.
    struct tokenizer t;
    const char *pieces[] = {"a", "b", "c"};
    const int lens[] = {1, 1, 1};
    assert_int_equal(tokenizer_init(&t, TOK_BPE, 3, pieces, lens), 0);
    FILE *f = fopen(other, "wb");
    assert_int_equal(checkpoint_write_llmc_tokenizer(&t, f), 0);
    fclose(f);
    tokenizer_free(&t);

    struct run r = run_cmd(cmd_convert, src, a, "--tokenizer", src_tok, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "a stepformer model, 2 layers, 4 heads, d 64, vocabulary 300, "
                                  "its BPE tokenizer inside"));
    run_free(&r);
    r = run_cmd(cmd_convert, a, b, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "an llm.c GPT-2 checkpoint (version 3, float32)"));
    assert_non_null(strstr(r.out, "vocabulary 300 padded to 384"));
    assert_non_null(strstr(r.out, "b_tokenizer.bin: its tokenizer (300 pieces)"));
    run_free(&r);
    assert_same_model(src, src_tok, a);
    assert_same_model(src, src_tok, b);
    assert_int_equal(file_hash(b_tok), file_hash(src_tok));
    char *want = logits_of(src, src_tok), *got_a = logits_of(a, NULL), *got_b = logits_of(b, NULL);
    assert_non_null(strstr(want, "# head.logits (4, 300)"));
    assert_string_equal(got_a, want);
    assert_string_equal(got_b, want);
    free(want);
    free(got_a);
    free(got_b);
}

// .sfm -> llm.c -> .sfm: a small random GPT-2-shaped model with a BPE tokenizer comes back as
// the same file, byte for byte, and every form gives the same logits.
static void test_convert_sfm_to_llmc_to_sfm(void **state)
{
    (void)state;
    char dir[512], tok[512], a[600], b[600], c[600];
    test_data_path(tok, sizeof tok, "gpt2_tiny_tokenizer.bin");
    test_fresh_dir(dir, sizeof dir, "convert_sfm");
    snprintf(a, sizeof a, "%s/a.sfm", dir);
    snprintf(b, sizeof b, "%s/b.bin", dir);
    snprintf(c, sizeof c, "%s/c.sfm", dir);
    struct model_config cfg;
    model_config_gpt2(&cfg, 3, 2, 32, 300, 16); // vocabulary padded to 384 in llm.c's file
    struct model m;
    struct sf_diag d;
    assert_int_equal(model_init(&m, &cfg, &d), 0);
    model_init_random(&m, 11);
    assert_int_equal(tokenizer_load_llmc(&m.tok, tok, &d), 0);
    assert_int_equal(checkpoint_save(&m, a, &d), 0);
    model_free(&m);
    convert_ok(a, b);
    convert_ok(b, c);
    assert_same_model(a, NULL, b);
    assert_same_model(a, NULL, c);
    assert_int_equal(file_hash(c), file_hash(a));
    char *want = logits_of(a, NULL), *got_b = logits_of(b, NULL), *got_c = logits_of(c, NULL);
    assert_string_equal(got_b, want);
    assert_string_equal(got_c, want);
    free(want);
    free(got_b);
    free(got_c);
}

// The format follows OUT's extension unless --format names it; a model without a tokenizer is
// written without one, and says so.
static void test_convert_format_flag_and_no_tokenizer(void **state)
{
    (void)state;
    char dir[512], src[512], src_tok[512], x[600], y[600], y_tok[600];
    test_data_path(src, sizeof src, "gpt2_tiny.bin");
    test_data_path(src_tok, sizeof src_tok, "gpt2_tiny_tokenizer.bin");
    test_fresh_dir(dir, sizeof dir, "convert_format");
    snprintf(x, sizeof x, "%s/x.bin", dir);
    snprintf(y, sizeof y, "%s/y.model", dir);
    snprintf(y_tok, sizeof y_tok, "%s/y_tokenizer.bin", dir);
    convert_ok(src, x, "--format", "sfm", "--tokenizer", src_tok);
    unsigned char magic[8];
    FILE *f = fopen(x, "rb");
    assert_int_equal(fread(magic, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(magic, SF_NATIVE_MAGIC, 8);
    convert_ok(x, y, "--format=llmc");
    f = fopen(y, "rb");
    assert_int_equal(fread(magic, 1, 8, f), 8);
    fclose(f);
    int32_t word[2];
    memcpy(word, magic, 8);
    assert_int_equal(word[0], SF_LLMC_MODEL_MAGIC);
    assert_int_equal(word[1], 3);
    assert_int_equal(access(y_tok, R_OK), 0);
    assert_same_model(src, src_tok, y);
    // No tokenizer: none written, and the line says so.
    char bare[600], bare_tok[600];
    snprintf(bare, sizeof bare, "%s/bare.bin", dir);
    snprintf(bare_tok, sizeof bare_tok, "%s/bare_tokenizer.bin", dir);
    char alone[600];
    snprintf(alone, sizeof alone, "%s/alone.sfm", dir);
    convert_ok(src, alone, "--tokenizer", src_tok);
    struct model m;
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&m, alone, &d), 0);
    tokenizer_free(&m.tok);
    assert_int_equal(checkpoint_save(&m, alone, &d), 0);
    model_free(&m);
    struct run r = run_cmd(cmd_convert, alone, bare, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "the model has no tokenizer, so none was written"));
    run_free(&r);
    assert_int_equal(access(bare_tok, F_OK), -1);
    // A tokenizer there from before would be read with it: said.
    FILE *f2 = fopen(bare_tok, "wb");
    fclose(f2);
    r = run_cmd(cmd_convert, alone, bare, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "bare_tokenizer.bin is there from before"));
    run_free(&r);
}

// What cannot be converted is refused in one line naming the file and why, status 2, and
// nothing is written; the model being read is never written over.
static void test_convert_refusals(void **state)
{
    (void)state;
    char dir[512], textbook[512], src[512], t[600], t_tok[600], in[600], link[600], tok[600];
    test_fresh_dir(dir, sizeof dir, "convert_refuse");
    const char *assets = getenv("SF_ASSETS");
    snprintf(textbook, sizeof textbook, "%s/models/textbook.sfm", assets ? assets : "assets");
    test_data_path(src, sizeof src, "gpt2_tiny.bin");
    snprintf(t, sizeof t, "%s/t.bin", dir);
    snprintf(t_tok, sizeof t_tok, "%s/t_tokenizer.bin", dir);
    expect_refused(run_cmd(cmd_convert, textbook, t, NULL),
                   "t.bin: an llm.c checkpoint holds GPT-2's shape only, and this model has a "
                   "ReLU feedforward layer (llm.c's is GELU) and a word-level tokenizer (llm.c's "
                   "tokenizer file holds GPT-2 BPE); write a stepformer model (.sfm) instead");
    assert_int_equal(access(t, F_OK), -1);
    assert_int_equal(access(t_tok, F_OK), -1);
    // The textbook model as .sfm converts (and is the same model).
    snprintf(in, sizeof in, "%s/in.sfm", dir);
    convert_ok(textbook, in);
    assert_same_model(textbook, NULL, in);
    // OUT is IN, by name or through a link: refused, IN untouched.
    uint64_t before = file_hash(in);
    expect_refused(run_cmd(cmd_convert, in, in, NULL), "is the model being read (IN)");
    snprintf(link, sizeof link, "%s/link.sfm", dir);
    assert_int_equal(symlink("in.sfm", link), 0);
    expect_refused(run_cmd(cmd_convert, in, link, NULL), "is the model being read (IN)");
    // IN an llm.c checkpoint whose tokenizer name OUT would take.
    snprintf(tok, sizeof tok, "%s/m_tokenizer.bin", dir);
    char m[600];
    snprintf(m, sizeof m, "%s/m.bin", dir);
    char src_tok[512];
    test_data_path(src_tok, sizeof src_tok, "gpt2_tiny_tokenizer.bin");
    convert_ok(src, tok, "--format", "sfm", "--tokenizer", src_tok);
    expect_refused(run_cmd(cmd_convert, tok, m, NULL),
                   "m_tokenizer.bin: the tokenizer would be written over the model being read");
    assert_int_equal(access(m, F_OK), -1);
    assert_int_equal(file_hash(in), before);
    // OUT that cannot be written (a directory): refused before its tokenizer is written.
    char q[600], q_tok[600];
    snprintf(q, sizeof q, "%s/q.bin", dir);
    snprintf(q_tok, sizeof q_tok, "%s/q_tokenizer.bin", dir);
    assert_int_equal(mkdir(q, 0755), 0);
    expect_refused(run_cmd(cmd_convert, src, q, "--tokenizer", src_tok, NULL), "q.bin");
    assert_int_equal(access(q_tok, F_OK), -1);
    // Usage errors.
    expect_refused(run_cmd(cmd_convert, in, NULL), "needs IN and OUT");
    expect_refused(run_cmd(cmd_convert, in, "x.txt", NULL),
                   "x.txt: the name ends in neither .sfm (a stepformer model) nor .bin");
    expect_refused(run_cmd(cmd_convert, in, "x.bin", "--format", "onnx", NULL),
                   "--format 'onnx': use sfm or llmc");
    expect_refused(run_cmd(cmd_convert, in, "x.bin", "--format", NULL), "--format needs a value");
    expect_refused(run_cmd(cmd_convert, in, "x.bin", "--fromat", "llmc", NULL),
                   "unknown option '--fromat'; did you mean --format?");
    expect_refused(run_cmd(cmd_convert, in, "x.bin", "y.bin", NULL), "unexpected 'y.bin'");
    expect_refused(run_cmd(cmd_convert, "no/such.sfm", "x.sfm", NULL),
                   "no/such.sfm: cannot open the model file");
    expect_refused(run_cmd(cmd_convert, in, "no/such/dir/x.sfm", NULL), "no/such/dir/x.sfm");
}

// --help describes both formats and the tokenizer's name.
static void test_convert_help(void **state)
{
    (void)state;
    struct run r = run_cmd(cmd_convert, "--help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: stepformer convert IN OUT"));
    assert_non_null(strstr(r.out, "my_tokenizer.bin"));
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_llmc_to_sfm_to_llmc),
        cmocka_unit_test(test_convert_sfm_to_llmc_to_sfm),
        cmocka_unit_test(test_convert_format_flag_and_no_tokenizer),
        cmocka_unit_test(test_convert_refusals),
        cmocka_unit_test(test_convert_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
