// Tests of Hugging Face GPT-2 folders: safetensors headers, config.json, the 16-bit float
// conversions, the same logits as the llm.c file of the same weights, and every refusal.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "reference_model.h"
#include "stepformer/app.h"
#include "stepformer/checkpoint.h"
#include "stepformer/cli.h"
#include "stepformer/graph.h"
#include "stepformer/hf.h"
#include "stepformer/rng.h"

// binary16 by its definition: (-1)^s 2^(e-15) (1 + f/1024), subnormals 2^-14 f/1024.
static double f16_value(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, f = h & 1023;
    double v = e == 0 ? ldexp(f, -24) : e == 31 ? (f ? NAN : INFINITY) : ldexp(1024 + f, e - 25);
    return s ? -v : v;
}

static void test_hf_f16_every_value(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        double want = f16_value((uint16_t)h);
        float got = st_f16_to_f32((uint16_t)h);
        if (isnan(want)) {
            assert_true(isnan(got));
            continue;
        }
        if ((double)got != want || !signbit(got) != !signbit(want))
            fail_msg("half 0x%04x: %.9g, want %.9g", h, (double)got, want);
        // Every half is a float: back to the same bits.
        assert_int_equal(st_f32_to_f16(got), h);
    }
}

static void test_hf_bf16_every_value(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float got = st_bf16_to_f32((uint16_t)h);
        int e = (h >> 7) & 255, f = h & 127;
        double want = e == 0     ? ldexp(f, -133)
                      : e == 255 ? (f ? NAN : INFINITY)
                                 : ldexp(128 + f, e - 134);
        if (isnan(want)) {
            assert_true(isnan(got));
            assert_true(isnan(st_bf16_to_f32(st_f32_to_bf16(got))));
            continue;
        }
        want = h >> 15 ? -want : want;
        if ((double)got != want)
            fail_msg("bfloat16 0x%04x: %.9g, want %.9g", h, (double)got, want);
        assert_int_equal(st_f32_to_bf16(got), h);
    }
}

// Rounding to the nearest, ties to the even neighbour, overflow to infinity.
static void test_hf_rounding_ties_to_even(void **state)
{
    (void)state;
    assert_int_equal(st_f32_to_f16(1.0f + 0x1p-11f), 0x3c00);            // tie: down to even
    assert_int_equal(st_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);        // tie: up to even
    assert_int_equal(st_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01); // above the tie
    assert_int_equal(st_f32_to_f16(65519.0f), 0x7bff);                   // 65504
    assert_int_equal(st_f32_to_f16(65520.0f), 0x7c00);                   // infinity
    assert_int_equal(st_f32_to_f16(-0x1p-25f), 0x8000);                  // tie: -0
    assert_int_equal(st_f32_to_f16(3 * 0x1p-25f), 0x0002);               // subnormal tie up
    assert_int_equal(st_f32_to_f16(0x1p-14f - 0x1p-26f), 0x0400);        // up to the normal
    assert_int_equal(st_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);            // tie: down to even
    assert_int_equal(st_f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);        // tie: up to even
    assert_int_equal(st_f32_to_bf16(3.4028235e38f), 0x7f80);             // rounds to infinity
}

// A small GPT-2 whose every parameter (biases, gamma, beta too) is random, so a tensor read
// into the wrong place cannot go unseen.
static void tiny_gpt2(struct model *m, int tied)
{
    struct model_config c;
    model_config_gpt2(&c, 2, 2, 16, 130, 8);
    c.tied = tied;
    assert_int_equal(model_init(m, &c, NULL), 0);
    struct rng r;
    rng_seed(&r, 11);
    for (size_t i = 0; i < m->n_params; i++)
        m->block[i] = 0.3f * rng_normal(&r);
    for (int l = 0; l < c.n_layer; l++)
        for (int i = 0; i < c.d_model; i++) {
            m->layers[l].ln1_g.data[i] += 1.0f;
            m->layers[l].ln2_g.data[i] += 1.0f;
        }
}

static const int ids[6] = {3, 1, 4, 1, 5, 129};

// head.logits (6, V) of m into a malloc'd array.
static float *logits_of(const struct model *m)
{
    struct graph g = {0};
    struct sf_diag d;
    assert_int_equal(graph_build(&g, m, ids, 6, OP_IMPL_REF, &d), 0);
    graph_run_to_end(&g);
    const struct tensor *t = &g.nodes[graph_find(&g, "head.logits")].out;
    size_t n = tensor_numel(t);
    assert_int_equal(n, 6 * (size_t)m->cfg.vocab_size);
    float *out = malloc(n * sizeof *out);
    memcpy(out, t->data, n * sizeof *out);
    graph_free(&g);
    return out;
}

static double max_abs(const float *x, size_t n)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs((double)x[i]));
    return mx;
}

// The llm.c file of m, loaded back.
static void via_llmc(const struct model *m, struct model *out, const char *name)
{
    char path[512];
    test_tmp_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(checkpoint_write_llmc(m, f), 0);
    fclose(f);
    struct sf_diag d;
    assert_int_equal(checkpoint_load(out, path, &d), 0);
}

static void load_ok(struct model *m, const char *path)
{
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = hf_load(m, path, &d);
    if (rc) {
        char buf[SF_MSG_MAX];
        fail_msg("%s", sf_diag_format(&d, buf, sizeof buf));
    }
}

static void test_hf_same_logits_as_llmc_and_reference(void **state)
{
    (void)state;
    struct model m, llmc, hf;
    tiny_gpt2(&m, 1);
    via_llmc(&m, &llmc, "hf_same.bin");
    const unsigned variants[] = {0, HF_WRITE_PREFIX | HF_WRITE_BUFFERS};
    for (int v = 0; v < 2; v++) {
        char dir[512], path[600];
        struct sf_diag d;
        test_fresh_dir(dir, sizeof dir, "hf_same");
        assert_int_equal(hf_write(&m, dir, ST_F32, variants[v], &d), 0);
        // The folder, its weights and its config.json each name the model.
        const char *names[] = {"", "/model.safetensors", "/config.json"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s%s", dir, names[k]);
            assert_true(hf_is_path(path));
            load_ok(&hf, path);
            assert_int_equal(hf.tok.kind, TOK_NONE);
            assert_int_equal(hf.n_params, llmc.n_params);
            assert_params_equal(&hf, &llmc);
            if (k < 2 || v == 0) // the last one read is compared below
                model_free(&hf);
        }
    }
    float *a = logits_of(&llmc), *b = logits_of(&hf);
    size_t n = 6 * (size_t)m.cfg.vocab_size;
    double scale = max_abs(a, n);
    assert_true(scale > 0.1);
    assert_close(b, a, n, 1e-6 * scale, 0.0, "hf vs llm.c logits");
    // The float64 reference model on the weights as read.
    double *ref = malloc(n * sizeof *ref);
    assert_int_equal(reference_forward(&hf, ids, 6, ref, NULL), 0);
    float *reff = malloc(n * sizeof *reff);
    for (size_t i = 0; i < n; i++)
        reff[i] = (float)ref[i];
    assert_close(b, reff, n, 1e-5 * scale, 0.0, "hf vs float64 reference");
    free(a);
    free(b);
    free(ref);
    free(reff);
    model_free(&hf);
    model_free(&llmc);
    model_free(&m);
}

// F16 and BF16 files load as the llm.c model of the rounded weights.
static void test_hf_half_precision_weights(void **state)
{
    (void)state;
    const enum st_dtype types[] = {ST_F16, ST_BF16};
    for (int t = 0; t < 2; t++) {
        struct model m, rounded, llmc, hf;
        tiny_gpt2(&m, 1);
        tiny_gpt2(&rounded, 1);
        for (size_t i = 0; i < m.n_params; i++)
            rounded.block[i] = types[t] == ST_F16 ? st_f16_to_f32(st_f32_to_f16(m.block[i]))
                                                  : st_bf16_to_f32(st_f32_to_bf16(m.block[i]));
        via_llmc(&rounded, &llmc, "hf_half.bin");
        char dir[512];
        struct sf_diag d;
        test_fresh_dir(dir, sizeof dir, "hf_half");
        assert_int_equal(hf_write(&m, dir, types[t], HF_WRITE_BUFFERS, &d), 0);
        load_ok(&hf, dir);
        assert_int_equal(hf.n_in_place, 0); // widened into the block
        assert_null(hf.map);
        assert_params_equal(&hf, &llmc);
        char where[48];
        assert_false(test_params_equal(&hf, &m, where, sizeof where));
        float *a = logits_of(&llmc), *b = logits_of(&hf);
        size_t n = 6 * (size_t)m.cfg.vocab_size;
        assert_close(b, a, n, 1e-6 * max_abs(a, n), 0.0, st_dtype_name(types[t]));
        free(a);
        free(b);
        model_free(&m);
        model_free(&rounded);
        model_free(&llmc);
        model_free(&hf);
    }
}

// tie_word_embeddings false: the head reads lm_head.weight.
static void test_hf_untied_head(void **state)
{
    (void)state;
    struct model m, hf;
    tiny_gpt2(&m, 0);
    char dir[512];
    struct sf_diag d;
    test_fresh_dir(dir, sizeof dir, "hf_untied");
    assert_int_equal(hf_write(&m, dir, ST_F32, 0, &d), 0);
    load_ok(&hf, dir);
    assert_int_equal(hf.cfg.tied, 0);
    assert_params_equal(&hf, &m);
    model_free(&hf);
    model_free(&m);
}

// The llm.c checkpoint of the graph's golden test, written as a Hugging Face folder the way the
// Hub serves one ("transformer." names, the attn.bias buffers) and read back (in place): the
// same logits as the llm.c file, and the float64 golden of tests/tools/make_golden.py.
static void test_hf_llmc_golden_as_a_folder(void **state)
{
    (void)state;
    char path[512], dir[512];
    struct model llmc, hf;
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&llmc, test_data_path(path, sizeof path, "gpt2_tiny.bin"), &d),
                     0);
    test_fresh_dir(dir, sizeof dir, "hf_golden");
    assert_int_equal(hf_write(&llmc, dir, ST_F32, HF_WRITE_PREFIX | HF_WRITE_BUFFERS, &d), 0);
    load_ok(&hf, dir);
    assert_true(hf.n_in_place > 0);
    double *glogits = NULL, scale = 0;
    int gid[64];
    int n = test_llmc_golden(gid, 64, hf.cfg.vocab_size, &glogits, &scale);
    long nl = (long)n * hf.cfg.vocab_size;
    struct graph a = {0}, b = {0};
    assert_int_equal(graph_build(&a, &hf, gid, n, OP_IMPL_FAST, &d), 0);
    assert_int_equal(graph_build(&b, &llmc, gid, n, OP_IMPL_FAST, &d), 0);
    graph_run_to_end(&a);
    graph_run_to_end(&b);
    const float *u = a.nodes[graph_find(&a, "head.logits")].out.data;
    const float *w = b.nodes[graph_find(&b, "head.logits")].out.data;
    assert_close(u, w, (size_t)nl, 1e-6 * scale, 0.0, "folder vs llm.c file");
    for (long i = 0; i < nl; i++)
        if (fabs(u[i] - glogits[i]) > 1e-4 * scale)
            fail_msg("logit %ld: %.9g vs golden %.9g", i, (double)u[i], glogits[i]);
    graph_free(&a);
    graph_free(&b);
    free(glogits);
    model_free(&hf);
    model_free(&llmc);
}

// 1 when x lies inside m's file mapping.
static int in_map(const struct model *m, const float *x)
{
    const char *a = m->map, *p = (const char *)x;
    return a && p >= a && p < a + m->map_len;
}

// One AdamW step on ids with OP_IMPL_FAST.
static void train_once(struct model *m)
{
    struct adamw_params hp = SF_ADAMW_DEFAULTS;
    hp.lr = 1e-2f;
    struct optimizer opt;
    assert_int_equal(optimizer_init(&opt, m, &hp), 0);
    struct graph g = {0};
    assert_int_equal(graph_build_train(&g, m, ids, ids + 1, 5, 5, OP_IMPL_FAST, &opt, NULL), 0);
    assert_int_equal(graph_run_to_end(&g), 1);
    graph_free(&g);
    optimizer_free(&opt);
}

// An F32 file's weights are used where they lie, except c_attn's, which the model splits into
// W^Q, W^K, W^V; training writes to private copies and leaves the file as it was; a file whose
// data is not 4-byte aligned is copied instead, with the same result.
static void test_hf_weights_used_in_place(void **state)
{
    (void)state;
    struct model m, hf, llmc, back;
    tiny_gpt2(&m, 1);
    via_llmc(&m, &llmc, "hf_inplace.bin");
    char dir[512], path[600];
    struct sf_diag d;
    test_fresh_dir(dir, sizeof dir, "hf_inplace");
    assert_int_equal(hf_write(&m, dir, ST_F32, HF_WRITE_BUFFERS, &d), 0);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    size_t len = 0;
    unsigned char *file = (unsigned char *)test_slurp(path, &len);
    load_ok(&hf, dir);
    size_t C = (size_t)m.cfg.d_model, L = (size_t)m.cfg.n_layer;
    assert_int_equal(hf.n_in_place, hf.n_params - 3 * C * C * L);
    assert_int_equal(hf.n_block, 3 * C * C * L);
    assert_true(in_map(&hf, hf.wte.data) && in_map(&hf, hf.wpe.data));
    assert_true(in_map(&hf, hf.layers[1].w2.data) && in_map(&hf, hf.layers[1].bv.data));
    assert_true(in_map(&hf, hf.lnf_b.data));
    assert_false(in_map(&hf, hf.layers[0].wq.data) || in_map(&hf, hf.layers[1].wv.data));
    assert_params_equal(&hf, &m);

    // One step changes the weights in memory exactly as on the copied model, not the file.
    train_once(&hf);
    train_once(&llmc);
    assert_params_equal(&hf, &llmc);
    assert_true(hf.wte.data[0] != m.wte.data[0]);
    size_t len2 = 0;
    unsigned char *after = (unsigned char *)test_slurp(path, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(after, file, len);
    free(after);
    model_free(&hf);
    load_ok(&back, dir);
    assert_params_equal(&back, &m);
    model_free(&back);

    // The header one byte longer: every tensor is 1 byte off alignment and is copied; four
    // bytes longer, they are aligned again (4 bytes is all f32 needs).
    for (int extra = 1; extra <= 4; extra += 3) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--)
            n = n << 8 | file[i];
        unsigned char *moved = malloc(len + (size_t)extra);
        uint64_t n2 = n + (uint64_t)extra;
        for (int i = 0; i < 8; i++)
            moved[i] = (unsigned char)(n2 >> (8 * i));
        memcpy(moved + 8, file + 8, (size_t)n);
        memset(moved + 8 + n, ' ', (size_t)extra);
        memcpy(moved + 8 + n2, file + 8 + n, len - 8 - (size_t)n);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(moved, 1, len + (size_t)extra, f), len + (size_t)extra);
        fclose(f);
        free(moved);
        load_ok(&back, dir);
        assert_int_equal(back.n_in_place, extra == 1 ? 0 : m.n_params - 3 * C * C * L);
        assert_true(extra == 1 ? back.map == NULL : back.map != NULL);
        assert_params_equal(&back, &m);
        model_free(&back);
    }
    free(file);
    model_free(&llmc);
    model_free(&m);
}

// A fresh tiny folder (unprefixed F32 names) for a test to damage; its path into dir.
static void good_folder(char *dir, size_t size)
{
    struct model m;
    struct sf_diag d;
    tiny_gpt2(&m, 1);
    test_fresh_dir(dir, size, "hf_bad");
    assert_int_equal(hf_write(&m, dir, ST_F32, 0, &d), 0);
    model_free(&m);
}

static void spill(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
}

// Replaces the first `from` in the file with `to` (same length) at or after byte `start`.
static void patch(const char *path, const char *from, const char *to, size_t start)
{
    size_t len;
    char *buf = test_slurp(path, &len);
    assert_int_equal(strlen(from), strlen(to));
    char *at = NULL;
    for (size_t i = start; i + strlen(from) <= len && !at; i++)
        if (memcmp(buf + i, from, strlen(from)) == 0)
            at = buf + i;
    assert_non_null(at);
    memcpy(at, to, strlen(to));
    spill(path, buf, len);
    free(buf);
}

// Loading path fails with status rc, a message naming file (a suffix of d.file) and holding
// every one of the words.
static void refused_at(const char *path, int rc, const char *file, const char *w1, const char *w2,
                       const char *srcfile, int line)
{
    struct model m;
    struct sf_diag d;
    sf_diag_clear(&d);
    int got = hf_load(&m, path, &d);
    char buf[SF_MSG_MAX];
    sf_diag_format(&d, buf, sizeof buf);
    size_t fl = strlen(d.file), wl = strlen(file);
    if (got != rc || fl < wl || strcmp(d.file + fl - wl, file) != 0 || !strstr(d.msg, w1) ||
        (w2 && !strstr(d.msg, w2)))
        _fail(srcfile, line), print_error("status %d (want %d): %s\n", got, rc, buf);
    assert_null(m.block);
    assert_null(m.map);
}
#define refused(path, rc, file, w1, w2) refused_at(path, rc, file, w1, w2, __FILE__, __LINE__)

static void test_hf_refuses_damaged_weights(void **state)
{
    (void)state;
    char dir[512], st[600];
    good_folder(dir, sizeof dir);
    snprintf(st, sizeof st, "%s/model.safetensors", dir);
    size_t len;
    char *good = test_slurp(st, &len);
    // Cut short: the last tensors' offsets lie outside the data.
    spill(st, good, len - 100);
    refused(dir, SF_ERR_RANGE, "model.safetensors", "outside", "truncated");
    spill(st, good, 5);
    refused(dir, SF_ERR_TRUNCATED, "model.safetensors", "truncated", NULL);
    // A header length larger than the file.
    char *bad = malloc(len);
    memcpy(bad, good, len);
    bad[5] = 1;
    spill(st, bad, len);
    refused(dir, SF_ERR_TRUNCATED, "model.safetensors", "header length", "larger than");
    // Not JSON: the message has its line and column.
    spill(st, good, len);
    patch(st, "\"wte.weight\":", "\"wte.weight\";", 8);
    struct model m;
    struct sf_diag d;
    assert_int_equal(hf_load(&m, dir, &d), SF_ERR_FORMAT);
    assert_int_equal(d.line, 1);
    assert_true(d.col > 1);
    assert_non_null(strstr(d.msg, "not JSON"));
    // A tensor missing, one of the wrong shape, one in a dtype that is not a weight.
    spill(st, good, len);
    patch(st, "h.1.mlp.c_fc.bias", "h.1.mlp.c_fc.bia_", 8);
    refused(dir, SF_ERR_NOTFOUND, "model.safetensors", "h.1.mlp.c_fc.bias", "missing");
    spill(st, good, len);
    patch(st, "[8,16]", "[4,32]", 8); // wpe (8, 16): same bytes, other shape
    refused(dir, SF_ERR_SHAPE, "model.safetensors", "(4, 32)", "(8, 16)");
    spill(st, good, len);
    patch(st, "\"F32\"", "\"I32\"", 8);
    refused(dir, SF_ERR_FORMAT, "model.safetensors", "I32", "F32, F16 or BF16");
    spill(st, good, len);
    patch(st, "\"F32\"", "\"X32\"", 8);
    refused(dir, SF_ERR_FORMAT, "model.safetensors", "unknown dtype 'X32'", NULL);
    // A NaN weight names its tensor: wte's first value is the first 4 data bytes.
    memcpy(bad, good, len);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--)
        h = h << 8 | (unsigned char)good[i];
    size_t wte0 = 8 + (size_t)h; // wte.weight is written first, at offset 0
    memcpy(bad + wte0 + 4 * 17, "\x00\x00\xc0\x7f", 4);
    spill(st, bad, len);
    refused(dir, SF_ERR_NONFINITE, "model.safetensors", "wte.weight", "NaN at [1, 1]");
    free(bad);
    free(good);
}

// Headers whose offsets disagree with the data, parsed from memory.
static void test_hf_header_offsets(void **state)
{
    (void)state;
    static const struct {
        const char *json, *word;
        int rc;
    } cases[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         "overlap", SF_ERR_RANGE},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "need 12",
         SF_ERR_RANGE},
        {"{\"a\":{\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}",
         "more than", SF_ERR_RANGE},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "outside",
         SF_ERR_RANGE},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", "shape entry 0",
         SF_ERR_FORMAT},
        {"[1, 2]", "not an object", SF_ERR_FORMAT},
        {"{\"a\":1,\n\"a\":2}", "duplicate", SF_ERR_FORMAT},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", NULL, SF_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].json), len = 8 + n + 12;
        unsigned char *buf = calloc(1, len);
        buf[0] = (unsigned char)n;
        memcpy(buf + 8, cases[i].json, n);
        struct st_file st;
        struct sf_diag d;
        sf_diag_clear(&d);
        int rc = st_parse(&st, buf, len, "x.safetensors", &d);
        if (rc != cases[i].rc || (cases[i].word && !strstr(d.msg, cases[i].word)))
            fail_msg("case %zu: status %d, '%s'", i, rc, d.msg);
        st_free(&st);
        free(buf);
    }
}

static void write_text(const char *path, const char *text)
{
    spill(path, text, strlen(text));
}

static void test_hf_refuses_bad_config_and_folders(void **state)
{
    (void)state;
    char dir[512], cfg[600], path[600];
    good_folder(dir, sizeof dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    size_t len;
    char *good = test_slurp(cfg, &len);
    static const struct {
        const char *from, *to, *w1, *w2;
        int rc;
    } cases[] = {
        {"\"n_head\"", "\"n_hea_\"", "no \"n_head\"", NULL, SF_ERR_FORMAT},
        {"\"n_layer\": 2", "\"n_layer\": 0", "\"n_layer\" is 0", "from 1 to", SF_ERR_RANGE},
        {"\"n_embd\": 16", "\"n_embd\": 15", "not a multiple of n_head", NULL, SF_ERR_RANGE},
        {"\"gelu_new\"", "\"gelu\"    ", "'gelu'", "tanh GELU", SF_ERR_RANGE},
        {"\"gpt2\"", "\"bert\"", "model_type 'bert'", NULL, SF_ERR_RANGE},
        {"\"vocab_size\": 130", "\"vocab_size\": \"1\"", "whole number", NULL, SF_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = malloc(len + 64);
        const char *at = strstr(good, cases[i].from);
        assert_non_null(at);
        size_t off = (size_t)(at - good);
        snprintf(text, len + 64, "%.*s%s%s", (int)off, good, cases[i].to,
                 at + strlen(cases[i].from));
        write_text(cfg, text);
        refused(dir, cases[i].rc, "config.json", cases[i].w1, cases[i].w2);
        free(text);
    }
    // Not JSON: line and column.
    write_text(cfg, "{\n  \"n_layer\": 2,\n  oops\n}\n");
    struct model m;
    struct sf_diag d;
    assert_int_equal(hf_load(&m, dir, &d), SF_ERR_FORMAT);
    assert_int_equal(d.line, 3);
    assert_true(d.col >= 3);
    write_text(cfg, good);
    // No model.safetensors: what was looked for; pytorch_model.bin alone is named.
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(unlink(path), 0);
    refused(dir, SF_ERR_NOTFOUND, "model.safetensors", "not found", "config.json and");
    snprintf(path, sizeof path, "%s/pytorch_model.bin", dir);
    write_text(path, "x");
    refused(dir, SF_ERR_NOTFOUND, "model.safetensors", "pytorch_model.bin", "download");
    assert_int_equal(unlink(cfg), 0);
    refused(dir, SF_ERR_NOTFOUND, "config.json", "not found", NULL);
    // A folder named with a slash after it is named in messages without a doubled one.
    snprintf(path, sizeof path, "%s/", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    struct model m2;
    assert_int_equal(hf_load(&m2, path, &d), SF_ERR_NOTFOUND);
    assert_string_equal(d.file, cfg);
    free(good);
}

// The commands open a folder: --ids run; without tokenizer files --prompt says what to download.
static void test_hf_folder_on_the_command_line(void **state)
{
    (void)state;
    char dir[512];
    good_folder(dir, sizeof dir);
    char *out_buf = NULL, *err_buf = NULL;
    size_t out_len, err_len;
    FILE *out = open_memstream(&out_buf, &out_len), *err = open_memstream(&err_buf, &err_len);
    char *ok_args[] = {"--model", dir, "--ids", "3,1,4", "--op", "head.probs", NULL};
    assert_int_equal(cmd_trace(6, ok_args, out, err), 0);
    char *bad_args[] = {"--model", dir, "--prompt", "hello", NULL};
    assert_int_equal(cmd_trace(4, bad_args, out, err), 2);
    fclose(out);
    fclose(err);
    assert_non_null(strstr(err_buf, "no tokenizer files (vocab.json and merges.txt, or "
                                    "tokenizer.json)"));
    free(out_buf);
    free(err_buf);
}

// Copies the test data file name into dir as as.
static void copy_in(const char *name, const char *dir, const char *as)
{
    char from[600], to[700];
    size_t len;
    char *buf = test_slurp(test_data_path(from, sizeof from, name), &len);
    snprintf(to, sizeof to, "%s/%s", dir, as);
    spill(to, buf, len);
    free(buf);
}

// A folder as the Hub serves it, tokenizer files included (OpenAI's own vocabulary and merges
// as vocab.json and merges.txt): --prompt reads text with them, on the commands and the screen;
// a tokenizer whose size is not the model's vocabulary is refused, naming the folder.
static void test_hf_folder_with_its_tokenizer(void **state)
{
    (void)state;
    struct model m;
    struct model_config c;
    struct sf_diag d;
    char dir[512];
    model_config_gpt2(&c, 1, 2, 16, 50257, 16);
    assert_int_equal(model_init(&m, &c, NULL), 0);
    struct rng r;
    rng_seed(&r, 5);
    for (size_t i = 0; i < m.n_params; i++)
        m.block[i] = 0.2f * rng_normal(&r);
    test_fresh_dir(dir, sizeof dir, "hf_tok");
    assert_int_equal(hf_write(&m, dir, ST_F32, 0, &d), 0);
    model_free(&m);
    copy_in("gpt2/encoder.json", dir, "vocab.json");
    copy_in("gpt2/vocab.bpe", dir, "merges.txt");
    assert_int_equal(cli_load_model(&m, dir, NULL, &d), 0);
    assert_int_equal(m.tok.kind, TOK_BPE);
    int got[8], n;
    assert_int_equal(tokenizer_encode(&m.tok, "Hello world", got, 8, &n, &d), 0);
    assert_int_equal(n, 2); // OpenAI's encoder: "Hello" 15496, " world" 995
    assert_int_equal(got[0], 15496);
    assert_int_equal(got[1], 995);
    // convert makes one .sfm of the folder: the same weights, and the same BPE with its merges
    // (the cases an approximation of GPT-2's pattern gets wrong included).
    char sfm[700];
    snprintf(sfm, sizeof sfm, "%s.sfm", dir);
    char *conv[] = {dir, sfm};
    FILE *quiet = fopen("/dev/null", "w");
    assert_int_equal(cmd_convert(2, conv, quiet, quiet), 0);
    fclose(quiet);
    struct model back;
    assert_int_equal(cli_load_model(&back, sfm, NULL, &d), 0);
    assert_int_equal(back.n_params, m.n_params);
    assert_params_equal(&back, &m);
    assert_int_equal(back.tok.n_merges, m.tok.n_merges);
    const char *texts[] = {"Hello world", "\xe2\x80\x94's", " \xc2\xa0the", "x  \n\n  y's"};
    for (int k = 0; k < 4; k++) {
        int a_ids[16], b_ids[16], na, nb;
        assert_int_equal(tokenizer_encode(&m.tok, texts[k], a_ids, 16, &na, &d), 0);
        assert_int_equal(tokenizer_encode(&back.tok, texts[k], b_ids, 16, &nb, &d), 0);
        assert_int_equal(na, nb);
        assert_memory_equal(a_ids, b_ids, (size_t)na * sizeof *a_ids);
    }
    model_free(&back);
    model_free(&m);
    char *out_buf = NULL, *err_buf = NULL;
    size_t out_len, err_len;
    FILE *out = open_memstream(&out_buf, &out_len), *err = open_memstream(&err_buf, &err_len);
    char *args[] = {"--model", dir, "--prompt", "Hello world", "--tokens", NULL};
    assert_int_equal(cmd_trace(5, args, out, err), 0);
    fclose(out);
    fclose(err);
    assert_non_null(strstr(out_buf, "15496"));
    assert_non_null(strstr(out_buf, "995"));
    free(out_buf);
    free(err_buf);
    struct app a;
    struct app_options o = {.model_path = dir};
    assert_int_equal(app_init(&a, &o, &d), 0); // the default prompt, read by the folder's BPE
    assert_true(app_graph(&a)->n_tokens > 1);
    app_free(&a);
    // The same files beside a model of 130 tokens: refused, naming the folder.
    good_folder(dir, sizeof dir);
    copy_in("gpt2/encoder.json", dir, "vocab.json");
    copy_in("gpt2/vocab.bpe", dir, "merges.txt");
    assert_int_equal(cli_load_model(&m, dir, NULL, &d), SF_ERR_RANGE);
    assert_string_equal(d.file, dir);
    assert_non_null(
        strstr(d.msg, "the tokenizer has 50257 pieces but the model's vocabulary only 130"));
}

// The screen opens a folder on ids; without them, and with no tokenizer files, it says what to
// download.
static void test_hf_folder_on_the_screen(void **state)
{
    (void)state;
    char dir[512];
    good_folder(dir, sizeof dir);
    struct app a;
    struct sf_diag d;
    struct app_options o = {.model_path = dir};
    sf_diag_clear(&d);
    assert_int_equal(app_init(&a, &o, &d), 2);
    assert_non_null(strstr(d.msg, "no tokenizer files"));
    assert_non_null(strstr(d.msg, "--ids"));
    o.ids = "3,1,4";
    assert_int_equal(app_init(&a, &o, &d), 0);
    assert_int_equal(app_graph(&a)->n_tokens, 3);
    app_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hf_f16_every_value),
        cmocka_unit_test(test_hf_bf16_every_value),
        cmocka_unit_test(test_hf_rounding_ties_to_even),
        cmocka_unit_test(test_hf_same_logits_as_llmc_and_reference),
        cmocka_unit_test(test_hf_half_precision_weights),
        cmocka_unit_test(test_hf_untied_head),
        cmocka_unit_test(test_hf_weights_used_in_place),
        cmocka_unit_test(test_hf_llmc_golden_as_a_folder),
        cmocka_unit_test(test_hf_refuses_damaged_weights),
        cmocka_unit_test(test_hf_header_offsets),
        cmocka_unit_test(test_hf_refuses_bad_config_and_folders),
        cmocka_unit_test(test_hf_folder_on_the_command_line),
        cmocka_unit_test(test_hf_folder_with_its_tokenizer),
        cmocka_unit_test(test_hf_folder_on_the_screen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
