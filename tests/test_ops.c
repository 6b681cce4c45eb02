// Tests of the forward kernels: each fast twin against its reference loop on awkward sizes,
// the reference loops against the formulas in double, and the shape checks.
#include <float.h>
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
#include "stepformer/arena.h"
#include "stepformer/err.h"
#include "stepformer/ops.h"
#include "stepformer/rng.h"

#define randn      test_randn
#define zeros      test_zeros
#define zeros_like test_zeros_like

#define TOL 1e-5

// Sizes that are not multiples of any vector width, and one GPT-2-like size.
static const struct {
    int N, d, H, F, V;
} sizes[] = {
    {1, 8, 2, 12, 5}, {7, 24, 3, 40, 37}, {33, 96, 4, 384, 301}, {64, 768, 12, 3072, 1000}};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

// The magnitudes |x| |W| + |b| of a linear map's outputs, in the heads layout (H, N, dk) that
// op_linear_heads writes: column h dk + c of token i is head h, row i, column c.
static double *heads_magnitude(const struct tensor *x, const struct tensor *W,
                               const struct tensor *b, int N, int H)
{
    int d = x->shape[1], dout = W->shape[1], dk = dout / H;
    double *flat = test_abs_product(x->data, W->data, b ? b->data : NULL, 1, N, d, dout, 0);
    double *heads = malloc(sizeof(double) * (size_t)N * (size_t)dout);
    assert_non_null(heads);
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int c = 0; c < dk; c++)
                heads[((size_t)h * N + i) * dk + c] = flat[(size_t)i * dout + h * dk + c];
    free(flat);
    return heads;
}

static void test_ops_linear_twins_agree(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SIZES; s++) {
        int N = sizes[s].N, d = sizes[s].d, F = sizes[s].F;
        struct tensor x = randn(2, N, d, 0, 1), W = randn(2, d, F, 0, 0.1f),
                      b = randn(1, F, 0, 0, 1);
        struct tensor yr = zeros(2, N, F, 0), yf = zeros(2, N, F, 0);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            assert_int_equal(op_linear(OP_IMPL_REF, &yr, &x, &W, with_bias ? &b : NULL), 0);
            assert_int_equal(op_linear(OP_IMPL_FAST, &yf, &x, &W, with_bias ? &b : NULL), 0);
            double *mag =
                test_abs_product(x.data, W.data, with_bias ? b.data : NULL, 1, N, d, F, 0);
            assert_sums_close(yf.data, yr.data, mag, tensor_numel(&yr), d + 1, "linear");
            free(mag);
        }
        // the reference is x W + b computed in double
        int i = N - 1, o = F / 2;
        double want = b.data[o], mag = fabs(b.data[o]);
        for (int k = 0; k < d; k++) {
            want += (double)x.data[i * d + k] * W.data[(size_t)k * F + o];
            mag += fabs((double)x.data[i * d + k] * W.data[(size_t)k * F + o]);
        }
        float exact = (float)want; // its rounding to float is well inside the bound
        assert_sums_close(&yr.data[(size_t)i * F + o], &exact, &mag, 1, d + 1, "linear vs double");
    }
}

// The product log of the bench: every fast product is counted with its shape and FLOPs; the
// replay runs the same products without touching the original outputs, reading kept operands
// in place; with no log nothing is recorded.
static void test_ops_sgemm_log_and_replay(void **state)
{
    (void)state;
    struct tensor x = randn(2, 5, 8, 0, 1), W = randn(2, 8, 12, 0, 0.1f), y = zeros(2, 5, 12, 0);
    struct sgemm_call calls[1];
    struct sgemm_log log = {calls, 1, 0, 0, 0};
    ops_sgemm_log(&log);
    assert_int_equal(op_linear(OP_IMPL_FAST, &y, &x, &W, NULL), 0);
    assert_int_equal(op_linear(OP_IMPL_FAST, &y, &x, &W, NULL), 0);
    assert_int_equal(op_linear(OP_IMPL_REF, &y, &x, &W, NULL), 0); // not a BLAS call
    ops_sgemm_log(NULL);
    assert_int_equal(op_linear(OP_IMPL_FAST, &y, &x, &W, NULL), 0);
    assert_int_equal(log.n, 2); // both counted, the first remembered
    assert_true(log.flops == 2 * 2.0 * 5 * 12 * 8);
    assert_true(log.seconds >= 0);
    const struct sgemm_call *c = &calls[0];
    assert_int_equal(c->M, 5);
    assert_int_equal(c->N, 12);
    assert_int_equal(c->K, 8);
    assert_false(c->trans_a || c->trans_b);
    assert_ptr_equal(c->A, x.data);
    assert_ptr_equal(c->B, W.data);
    float before[60];
    memcpy(before, y.data, sizeof before);
    assert_true(ops_sgemm_replay(&log, W.data, tensor_numel(&W)) >= 0);
    assert_memory_equal(before, y.data, sizeof before);
}

static void test_ops_linear_heads_splits_columns(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SIZES; s++) {
        int N = sizes[s].N, d = sizes[s].d, H = sizes[s].H, dk = d / H;
        struct tensor x = randn(2, N, d, 0, 1), W = randn(2, d, d, 0, 0.1f),
                      b = randn(1, d, 0, 0, 1);
        struct tensor yr = zeros(3, H, N, dk), yf = zeros(3, H, N, dk), full = zeros(2, N, d, 0);
        assert_int_equal(op_linear_heads(OP_IMPL_REF, &yr, &x, &W, &b), 0);
        assert_int_equal(op_linear_heads(OP_IMPL_FAST, &yf, &x, &W, &b), 0);
        double *mag = heads_magnitude(&x, &W, &b, N, H);
        assert_sums_close(yf.data, yr.data, mag, tensor_numel(&yr), d + 1, "linear_heads");
        // head h, token i, column c is column h*dk + c of the unsplit product
        assert_int_equal(op_linear(OP_IMPL_REF, &full, &x, &W, &b), 0);
        for (int h = 0; h < H; h++)
            for (int i = 0; i < N; i++)
                for (int c = 0; c < dk; c++)
                    assert_true(yr.data[((size_t)h * N + i) * dk + c] ==
                                full.data[(size_t)i * d + h * dk + c]);
        free(mag);
        assert_int_equal(op_linear_heads(OP_IMPL_FAST, &yf, &x, &W, NULL), 0);
        assert_int_equal(op_linear_heads(OP_IMPL_REF, &yr, &x, &W, NULL), 0);
        mag = heads_magnitude(&x, &W, NULL, N, H);
        assert_sums_close(yf.data, yr.data, mag, tensor_numel(&yr), d, "linear_heads no bias");
        free(mag);
    }
}

// A batch of B sequences: the heads of sequence b are blocks b H .. b H + H - 1, each equal
// to what that sequence alone gives.
static void test_ops_heads_of_a_batch(void **state)
{
    (void)state;
    int B = 3, T = 5, d = 12, H = 2, dk = 6, N = B * T;
    struct tensor x = randn(2, N, d, 0, 1), W = randn(2, d, d, 0, 0.3f), b = randn(1, d, 0, 0, 1);
    // the batch is a different product (15 rows) from each sequence's (5 rows): BLAS may block
    // and order their sums differently, so they agree within the bound for sums, not bit for bit
    double *mag = heads_magnitude(&x, &W, &b, N, H); // (H, N, dk)
    double *mag_s = malloc(sizeof(double) * (size_t)(H * T * dk));
    assert_non_null(mag_s);
    for (int im = 0; im < 2; im++) {
        struct tensor y = zeros(3, B * H, T, dk), one = zeros(3, H, T, dk), cat = zeros(2, N, d, 0);
        assert_int_equal(op_linear_heads((enum op_impl)im, &y, &x, &W, &b), 0);
        for (int s = 0; s < B; s++) {
            struct tensor xs;
            int shape[2] = {T, d};
            tensor_wrap(&xs, x.data + (size_t)s * T * d, 2, shape);
            assert_int_equal(op_linear_heads((enum op_impl)im, &one, &xs, &W, &b), 0);
            for (int h = 0; h < H; h++) // sequence s's rows of head h
                memcpy(mag_s + (size_t)h * T * dk, mag + ((size_t)h * N + (size_t)s * T) * dk,
                       sizeof(double) * (size_t)(T * dk));
            assert_sums_close(y.data + (size_t)s * H * T * dk, one.data, mag_s,
                              (size_t)(H * T * dk), d + 1, "a batch's heads");
        }
        // concat puts every token's heads back in its own row
        assert_int_equal(op_concat_heads((enum op_impl)im, &cat, &y), 0);
        struct tensor full = zeros(2, N, d, 0);
        assert_int_equal(op_linear((enum op_impl)im, &full, &x, &W, &b), 0);
        double *mag_full = test_abs_product(x.data, W.data, b.data, 1, N, d, d, 0);
        assert_sums_close(cat.data, full.data, mag_full, tensor_numel(&full), d + 1,
                          "batched concat");
        free(mag_full);
        struct tensor wrong = zeros(3, B * H + 1, T, dk);
        assert_int_equal(op_linear_heads((enum op_impl)im, &wrong, &x, &W, &b), SF_ERR_SHAPE);
    }
    free(mag);
    free(mag_s);
}

static void test_ops_attention_twins_agree(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SIZES; s++) {
        int N = sizes[s].N, H = sizes[s].H, dk = sizes[s].d / H;
        struct tensor q = randn(3, H, N, dk, 1), k = randn(3, H, N, dk, 1),
                      v = randn(3, H, N, dk, 1);
        struct tensor sr = zeros(3, H, N, N), sf = zeros(3, H, N, N);
        assert_int_equal(op_attn_scores(OP_IMPL_REF, &sr, &q, &k), 0);
        assert_int_equal(op_attn_scores(OP_IMPL_FAST, &sf, &q, &k), 0);
        double *mag = test_abs_product(q.data, k.data, NULL, H, N, dk, N, 1); // |Q| |K|^T per head
        assert_sums_close(sf.data, sr.data, mag, tensor_numel(&sr), dk, "scores");
        free(mag);
        // q_i . k_j in double for one pair
        double dot = 0;
        for (int c = 0; c < dk; c++)
            dot += (double)q.data[((size_t)(H - 1) * N + N - 1) * dk + c] *
                   k.data[((size_t)(H - 1) * N + 0) * dk + c];
        assert_true(fabs(sr.data[((size_t)(H - 1) * N + N - 1) * N + 0] - dot) < 1e-4);

        struct tensor cr = zeros_like(&sr), cf = zeros_like(&sr);
        float c = 1.0f / sqrtf((float)dk);
        assert_int_equal(op_scale(OP_IMPL_REF, &cr, &sr, c), 0);
        assert_int_equal(op_scale(OP_IMPL_FAST, &cf, &sr, c), 0);
        assert_close(cf.data, cr.data, tensor_numel(&cr), 0, 1e-6, "scale");

        struct tensor mr = zeros_like(&sr), mf = zeros_like(&sr);
        assert_int_equal(op_causal_mask(OP_IMPL_REF, &mr, &cr, N), 0);
        assert_int_equal(op_causal_mask(OP_IMPL_FAST, &mf, &cr, N), 0);
        assert_memory_equal(mr.data, mf.data, tensor_numel(&mr) * sizeof(float));

        struct tensor ar = zeros_like(&sr), af = zeros_like(&sr);
        assert_int_equal(op_softmax_rows(OP_IMPL_REF, &ar, &mr), 0);
        assert_int_equal(op_softmax_rows(OP_IMPL_FAST, &af, &mr), 0);
        assert_close(af.data, ar.data, tensor_numel(&ar), 1e-6, 1e-5, "softmax");

        struct tensor yr = zeros_like(&v), yf = zeros_like(&v);
        assert_int_equal(op_attn_mix(OP_IMPL_REF, &yr, &ar, &v), 0);
        assert_int_equal(op_attn_mix(OP_IMPL_FAST, &yf, &ar, &v), 0);
        mag = test_abs_product(ar.data, v.data, NULL, H, N, N, dk, 0); // |alpha| |V| per head
        assert_sums_close(yf.data, yr.data, mag, tensor_numel(&yr), N, "mix");
        free(mag);

        struct tensor hr = zeros(2, N, H * dk, 0), hf = zeros(2, N, H * dk, 0);
        assert_int_equal(op_concat_heads(OP_IMPL_REF, &hr, &yr), 0);
        assert_int_equal(op_concat_heads(OP_IMPL_FAST, &hf, &yr), 0);
        assert_memory_equal(hr.data, hf.data, tensor_numel(&hr) * sizeof(float));
        assert_true(hr.data[(size_t)(N - 1) * H * dk + dk] ==
                        yr.data[((size_t)1 * N + N - 1) * dk] ||
                    H == 1);
    }
}

static void test_ops_mask_puts_minus_infinity_above_the_diagonal(void **state)
{
    (void)state;
    int H = 2, N = 5;
    struct tensor x = randn(3, H, N, N, 1);
    for (int impl = 0; impl < 2; impl++) {
        struct tensor y = zeros_like(&x);
        assert_int_equal(op_causal_mask((enum op_impl)impl, &y, &x, N), 0);
        for (int h = 0; h < H; h++)
            for (int i = 0; i < N; i++)
                for (int j = 0; j < N; j++) {
                    size_t at = ((size_t)h * N + i) * N + j;
                    if (j > i)
                        assert_true(isinf(y.data[at]) && y.data[at] < 0);
                    else
                        assert_true(y.data[at] == x.data[at]);
                }
        // in place
        struct tensor z = zeros_like(&x);
        memcpy(z.data, x.data, tensor_numel(&x) * sizeof(float));
        assert_int_equal(op_causal_mask((enum op_impl)impl, &z, &z, N), 0);
        assert_memory_equal(z.data, y.data, tensor_numel(&x) * sizeof(float));
    }
}

static void test_ops_softmax_zeros_masked_entries_exactly(void **state)
{
    (void)state;
    float in[4][5] = {
        {1, 2, -INFINITY, 3, -INFINITY},
        {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY},
        {1e4f, -1e4f, 0, 1e4f, 5},
        {-1e4f, -1e4f, -1e4f, -1e4f, -1e4f},
    };
    int shape[2] = {4, 5};
    struct tensor x, y;
    tensor_wrap(&x, &in[0][0], 2, shape);
    for (int impl = 0; impl < 2; impl++) {
        y = zeros(2, 4, 5, 0);
        assert_int_equal(op_softmax_rows((enum op_impl)impl, &y, &x), 0);
        assert_true(y.data[2] == 0.0f && y.data[4] == 0.0f);
        for (int j = 0; j < 5; j++)
            assert_true(y.data[5 + j] == 0.0f); // an all -inf row gives zeros
        for (int r = 0; r < 4; r++) {
            double sum = 0;
            for (int j = 0; j < 5; j++) {
                assert_true(isfinite(y.data[r * 5 + j]) && y.data[r * 5 + j] >= 0);
                sum += y.data[r * 5 + j];
            }
            if (r != 1)
                assert_true(fabs(sum - 1.0) < 1e-6);
        }
        assert_true(fabs(y.data[10] - 0.5) < 1e-6 && fabs(y.data[13] - 0.5) < 1e-6);
        double e = exp(1.0) + exp(2.0) + exp(3.0);
        assert_true(fabs(y.data[0] - exp(1.0) / e) < 1e-6);
        assert_true(fabs(y.data[15] - 0.2) < 1e-6);
    }
    // the fast twin on a long row (the vocabulary) with a wide spread
    struct tensor big = randn(2, 3, 50257, 0, 8), r = zeros(2, 3, 50257, 0),
                  f = zeros(2, 3, 50257, 0);
    assert_int_equal(op_softmax_rows(OP_IMPL_REF, &r, &big), 0);
    assert_int_equal(op_softmax_rows(OP_IMPL_FAST, &f, &big), 0);
    assert_close(f.data, r.data, tensor_numel(&r), 1e-9, 1e-5, "softmax long rows");
}

static void test_ops_layernorm_three_steps(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SIZES; s++) {
        int N = sizes[s].N, d = sizes[s].d;
        struct tensor x = randn(2, N, d, 0, 3), g = randn(1, d, 0, 0, 1), b = randn(1, d, 0, 0, 1);
        for (int i = 0; i < N * d; i++)
            x.data[i] += 5.0f; // a mean far from 0
        struct tensor sr = zeros(2, N, 2, 0), sf = zeros(2, N, 2, 0);
        float eps = 1e-5f;
        assert_int_equal(op_ln_stats(OP_IMPL_REF, &sr, &x, eps), 0);
        assert_int_equal(op_ln_stats(OP_IMPL_FAST, &sf, &x, eps), 0);
        assert_close(sf.data, sr.data, (size_t)N * 2, 1e-5, 1e-5, "ln_stats");
        for (int i = 0; i < N; i++) {
            double mu = 0, var = 0;
            for (int c = 0; c < d; c++)
                mu += x.data[i * d + c];
            mu /= d;
            for (int c = 0; c < d; c++)
                var += (x.data[i * d + c] - mu) * (x.data[i * d + c] - mu);
            var /= d;
            assert_true(fabs(sr.data[2 * i] - mu) < 1e-5);
            assert_true(fabs(sr.data[2 * i + 1] - sqrt(var + eps)) < 1e-5); // sigma includes eps
        }
        struct tensor nr = zeros_like(&x), nf = zeros_like(&x);
        assert_int_equal(op_ln_norm(OP_IMPL_REF, &nr, &x, &sr), 0);
        assert_int_equal(op_ln_norm(OP_IMPL_FAST, &nf, &x, &sr), 0);
        assert_close(nf.data, nr.data, tensor_numel(&nr), 1e-5, 1e-5, "ln_norm");
        struct tensor ar = zeros_like(&x), af = zeros_like(&x);
        assert_int_equal(op_ln_affine(OP_IMPL_REF, &ar, &nr, &g, &b), 0);
        assert_int_equal(op_ln_affine(OP_IMPL_FAST, &af, &nr, &g, &b), 0);
        assert_close(af.data, ar.data, tensor_numel(&ar), 1e-6, 1e-6, "ln_affine");
        assert_int_equal(op_ln_affine(OP_IMPL_FAST, &af, &nr, &g, NULL), 0);
        assert_true(af.data[1] == g.data[1] * nr.data[1]);
        assert_int_equal(op_ln_affine(OP_IMPL_FAST, &nf, &nf, &g, &b), 0); // in place
        assert_close(nf.data, ar.data, tensor_numel(&ar), 1e-5, 1e-5, "ln_affine in place");
    }
}

static void test_ops_gelu_matches_formula(void **state)
{
    (void)state;
    int n = 20001;
    struct tensor x = zeros(1, n, 0, 0), r = zeros(1, n, 0, 0), f = zeros(1, n, 0, 0);
    for (int i = 0; i < n; i++)
        x.data[i] = -10.0f + 20.0f * (float)i / (float)(n - 1);
    assert_int_equal(op_gelu(OP_IMPL_REF, &r, &x), 0);
    assert_int_equal(op_gelu(OP_IMPL_FAST, &f, &x), 0);
    for (int i = 0; i < n; i++) {
        double v = x.data[i];
        double want = 0.5 * v * (1.0 + tanh(sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        if (fabs(r.data[i] - want) > 1e-6 || fabs(f.data[i] - want) > 1e-6)
            fail_msg("gelu(%g): ref %.9g fast %.9g want %.9g", v, r.data[i], f.data[i], want);
    }
    float extreme[6] = {-1e4f, 1e4f, -1e30f, 1e30f, 0.0f, -0.0f};
    int shape[1] = {6};
    struct tensor e, out = zeros(1, 6, 0, 0);
    tensor_wrap(&e, extreme, 1, shape);
    for (int impl = 0; impl < 2; impl++) {
        assert_int_equal(op_gelu((enum op_impl)impl, &out, &e), 0);
        assert_true(out.data[0] == 0.0f && out.data[2] == 0.0f);
        assert_true(out.data[1] == 1e4f && out.data[3] == 1e30f);
        assert_true(out.data[4] == 0.0f);
    }
}

// The values that matter where the fast exponential meets the edges of float: NaN, both
// infinities, the largest floats, the clamps of its range (-87 and 88.5) and subnormals.
static const float special_values[] = {
    NAN,     -NAN,   INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, 1e30f, -1e30f, 1e4f,
    -1e4f,   100.0f, -100.0f,  89.0f,     88.75f,  88.5f,    88.4f, 88.0f,  87.9f,
    -86.9f,  -87.0f, -87.3f,   -88.0f,    -103.0f, -104.0f,  1e-3f, -1e-3f, 1e-40f,
    -1e-40f, 1e-45f, 0.0f,     -0.0f,     1.0f,    -1.0f,    0.5f,  -20.0f, 20.0f};
#define N_SPECIAL (int)(sizeof special_values / sizeof special_values[0])

// Both NaN, the same infinity, or within the tolerance.
static void assert_same_or_close(float fast, float ref, const char *what, int i, float in)
{
    int ok = isnan(ref)   ? isnan(fast)
             : isinf(ref) ? fast == ref
                          : !isnan(fast) && fabs((double)fast - ref) <= 1e-6 + 1e-5 * fabs(ref);
    if (!ok)
        fail_msg("%s of %g (element %d): fast %.9g, reference %.9g", what, (double)in, i,
                 (double)fast, (double)ref);
}

// The fast softmax and GELU (both built on the fast exponential) on NaN, infinities, huge and
// tiny inputs give what the reference loops give. Under UBSan this also checks that none of
// them converts a NaN or an out-of-range float to an integer or shifts a negative number.
static void test_ops_fast_exp_on_nan_inf_and_extremes(void **state)
{
    (void)state;
    // GELU elementwise, long enough for the vector loop and its tail.
    int n = 3 * N_SPECIAL;
    struct tensor x = zeros(1, n, 0, 0), r = zeros(1, n, 0, 0), f = zeros(1, n, 0, 0);
    for (int i = 0; i < n; i++)
        x.data[i] = special_values[i % N_SPECIAL];
    assert_int_equal(op_gelu(OP_IMPL_REF, &r, &x), 0);
    assert_int_equal(op_gelu(OP_IMPL_FAST, &f, &x), 0);
    for (int i = 0; i < n; i++)
        assert_same_or_close(f.data[i], r.data[i], "gelu", i, x.data[i]);
    // Its backward pass runs the same exponential; a NaN input gives a NaN gradient.
    struct tensor dy = zeros(1, n, 0, 0), dx = zeros(1, n, 0, 0);
    for (int i = 0; i < n; i++)
        dy.data[i] = 1.0f;
    assert_int_equal(op_gelu_backward(OP_IMPL_FAST, &dx, &x, &dy), 0);
    for (int i = 0; i < n; i++)
        if (isnan(x.data[i]))
            assert_true(isnan(dx.data[i]));
    // Softmax: each row of 37 (a vector loop and a tail) holds one special value among
    // ordinary scores, at a different column each time, and a row holds two of them.
    int C = 37, R = N_SPECIAL * N_SPECIAL;
    struct tensor s = zeros(2, R, C, 0), sr = zeros(2, R, C, 0), sf = zeros(2, R, C, 0);
    for (int a = 0; a < N_SPECIAL; a++)
        for (int b = 0; b < N_SPECIAL; b++) {
            float *row = s.data + (size_t)(a * N_SPECIAL + b) * C;
            for (int j = 0; j < C; j++)
                row[j] = 0.25f * (float)(j % 7) - 1.0f;
            row[(a + b) % C] = special_values[a];
            row[(a + 2 * b + 1) % C] = special_values[b];
        }
    assert_int_equal(op_softmax_rows(OP_IMPL_REF, &sr, &s), 0);
    assert_int_equal(op_softmax_rows(OP_IMPL_FAST, &sf, &s), 0);
    for (int i = 0; i < R * C; i++)
        assert_same_or_close(sf.data[i], sr.data[i], "softmax", i, s.data[i]);
}

static void test_ops_elementwise_twins_agree(void **state)
{
    (void)state;
    struct tensor a = randn(2, 13, 77, 0, 2), b = randn(2, 13, 77, 0, 2);
    struct tensor r = zeros_like(&a), f = zeros_like(&a);
    assert_int_equal(op_add(OP_IMPL_REF, &r, &a, &b), 0);
    assert_int_equal(op_add(OP_IMPL_FAST, &f, &a, &b), 0);
    assert_memory_equal(r.data, f.data, tensor_numel(&a) * sizeof(float));
    assert_true(r.data[5] == a.data[5] + b.data[5]);
    assert_int_equal(op_relu(OP_IMPL_REF, &r, &a), 0);
    assert_int_equal(op_relu(OP_IMPL_FAST, &f, &a), 0);
    assert_memory_equal(r.data, f.data, tensor_numel(&a) * sizeof(float));
    for (size_t i = 0; i < tensor_numel(&a); i++)
        assert_true(r.data[i] == (a.data[i] > 0 ? a.data[i] : 0.0f));
    assert_int_equal(op_add(OP_IMPL_FAST, &a, &a, &b), 0); // y may alias a
}

static void test_ops_embeddings(void **state)
{
    (void)state;
    int V = 11, d = 10, N = 6, ctx = 8;
    struct tensor E = randn(2, V, d, 0, 1), P = randn(2, ctx, d, 0, 1);
    int ids[6] = {3, 0, 10, 3, 7, 1};
    struct tensor xr = zeros(2, N, d, 0), xf = zeros(2, N, d, 0);
    assert_int_equal(op_embed_tok(OP_IMPL_REF, &xr, &E, ids), 0);
    assert_int_equal(op_embed_tok(OP_IMPL_FAST, &xf, &E, ids), 0);
    assert_memory_equal(xr.data, xf.data, tensor_numel(&xr) * sizeof(float));
    assert_memory_equal(xr.data + 2 * d, E.data + 10 * d, d * sizeof(float)); // row 10 of E
    struct tensor yr = zeros_like(&xr), yf = zeros_like(&xr);
    assert_int_equal(op_embed_pos_learned(OP_IMPL_REF, &yr, &xr, &P, N), 0);
    assert_int_equal(op_embed_pos_learned(OP_IMPL_FAST, &yf, &xr, &P, N), 0);
    assert_memory_equal(yr.data, yf.data, tensor_numel(&yr) * sizeof(float));
    assert_true(yr.data[3 * d + 4] == xr.data[3 * d + 4] + P.data[3 * d + 4]);
    assert_int_equal(op_embed_pos_sinusoidal(OP_IMPL_REF, &yr, &xr, N), 0);
    assert_int_equal(op_embed_pos_sinusoidal(OP_IMPL_FAST, &yf, &xr, N), 0);
    assert_close(yf.data, yr.data, tensor_numel(&yr), 1e-6, 1e-6, "sinusoidal");
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++) {
            double angle = i / pow(10000.0, (double)(c - c % 2) / d);
            double pe = c % 2 ? cos(angle) : sin(angle);
            assert_true(fabs(yr.data[i * d + c] - (xr.data[i * d + c] + pe)) < 1e-6);
        }
    ids[4] = 11;
    assert_int_equal(op_embed_tok(OP_IMPL_FAST, &xf, &E, ids), SF_ERR_RANGE);
    ids[4] = -1;
    assert_int_equal(op_embed_tok(OP_IMPL_REF, &xf, &E, ids), SF_ERR_RANGE);
}

static void test_ops_unembed_uses_only_real_rows(void **state)
{
    (void)state;
    int N = 5, d = 16, V = 37, Vp = 64;
    struct tensor h = randn(2, N, d, 0, 1), E = randn(2, Vp, d, 0, 1);
    for (int r = V; r < Vp; r++)
        for (int c = 0; c < d; c++)
            E.data[r * d + c] = NAN; // padding rows must never be read
    struct tensor ur = zeros(2, N, V, 0), uf = zeros(2, N, V, 0);
    assert_int_equal(op_unembed(OP_IMPL_REF, &ur, &h, &E), 0);
    assert_int_equal(op_unembed(OP_IMPL_FAST, &uf, &h, &E), 0);
    double *mag = test_abs_product(h.data, E.data, NULL, 1, N, d, V, 1);
    assert_sums_close(uf.data, ur.data, mag, tensor_numel(&ur), d, "unembed");
    free(mag);
    double dot = 0;
    for (int c = 0; c < d; c++)
        dot += (double)h.data[2 * d + c] * E.data[36 * d + c];
    assert_true(fabs(ur.data[2 * V + 36] - dot) < 1e-5);
    struct tensor too_wide = zeros(2, N, Vp + 1, 0);
    assert_int_equal(op_unembed(OP_IMPL_FAST, &too_wide, &h, &E), SF_ERR_SHAPE);
}

static void test_ops_reject_mismatched_shapes(void **state)
{
    (void)state;
    struct tensor x = randn(2, 4, 8, 0, 1), W = randn(2, 9, 8, 0, 1), y = zeros(2, 4, 8, 0);
    struct tensor s3 = zeros(3, 2, 4, 4), h3 = zeros(3, 2, 4, 4), bad3 = zeros(3, 2, 4, 5);
    struct tensor v5 = zeros(1, 5, 0, 0), absent = {0};
    int ids[4] = {0, 1, 2, 3};
    for (int im = 0; im < 2; im++) {
        enum op_impl i = (enum op_impl)im;
        assert_int_equal(op_linear(i, &y, &x, &W, NULL), SF_ERR_SHAPE);
        assert_int_equal(op_linear(i, &y, &x, &x, &v5), SF_ERR_SHAPE);
        assert_int_equal(op_linear_heads(i, &s3, &x, &W, NULL), SF_ERR_SHAPE);
        assert_int_equal(op_attn_scores(i, &bad3, &h3, &h3), SF_ERR_SHAPE);
        assert_int_equal(op_attn_mix(i, &bad3, &s3, &h3), SF_ERR_SHAPE);
        assert_int_equal(op_causal_mask(i, &bad3, &s3, 4), SF_ERR_SHAPE);
        assert_int_equal(op_causal_mask(i, &bad3, &bad3, 4), SF_ERR_SHAPE); // not square
        assert_int_equal(op_softmax_rows(i, &y, &s3), SF_ERR_SHAPE);
        assert_int_equal(op_concat_heads(i, &x, &bad3), SF_ERR_SHAPE);
        assert_int_equal(op_add(i, &y, &x, &W), SF_ERR_SHAPE);
        assert_int_equal(op_add(i, &y, &x, &absent), SF_ERR_SHAPE);
        assert_int_equal(op_relu(i, &s3, &x), SF_ERR_SHAPE);
        assert_int_equal(op_gelu(i, &absent, &x), SF_ERR_SHAPE);
        assert_int_equal(op_scale(i, &s3, &x, 2.0f), SF_ERR_SHAPE);
        assert_int_equal(op_ln_stats(i, &y, &x, 1e-5f), SF_ERR_SHAPE);
        assert_int_equal(op_ln_norm(i, &y, &x, &y), SF_ERR_SHAPE);
        assert_int_equal(op_ln_affine(i, &y, &x, &v5, NULL), SF_ERR_SHAPE);
        assert_int_equal(op_embed_tok(i, &y, &W, ids), 0); // (4, 8) from a (9, 8) table
        assert_int_equal(op_embed_tok(i, &s3, &W, ids), SF_ERR_SHAPE);
        assert_int_equal(op_embed_pos_learned(i, &y, &x, &v5, 4), SF_ERR_SHAPE);
        assert_int_equal(op_embed_pos_sinusoidal(i, &s3, &x, 4), SF_ERR_SHAPE);
        assert_int_equal(op_unembed(i, &y, &x, &v5), SF_ERR_SHAPE);
        assert_int_equal(op_linear(i, &y, &absent, &W, NULL), SF_ERR_SHAPE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_linear_twins_agree),
        cmocka_unit_test(test_ops_linear_heads_splits_columns),
        cmocka_unit_test(test_ops_heads_of_a_batch),
        cmocka_unit_test(test_ops_attention_twins_agree),
        cmocka_unit_test(test_ops_mask_puts_minus_infinity_above_the_diagonal),
        cmocka_unit_test(test_ops_softmax_zeros_masked_entries_exactly),
        cmocka_unit_test(test_ops_layernorm_three_steps),
        cmocka_unit_test(test_ops_gelu_matches_formula),
        cmocka_unit_test(test_ops_fast_exp_on_nan_inf_and_extremes),
        cmocka_unit_test(test_ops_elementwise_twins_agree),
        cmocka_unit_test(test_ops_embeddings),
        cmocka_unit_test(test_ops_unembed_uses_only_real_rows),
        cmocka_unit_test(test_ops_reject_mismatched_shapes),
        cmocka_unit_test(test_ops_sgemm_log_and_replay),
    };
    return cmocka_run_group_tests(tests, test_tensors_setup, test_tensors_teardown);
}
