// Tests of the backward kernels: each against central finite differences of a float64
// version of its forward op, and the fast twin against the reference loop.
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
#include "stepformer/sampler.h"

#define randn      test_randn
#define zeros      test_zeros
#define zeros_like test_zeros_like

// A float64 forward op: out = f(inputs), with the inputs given as double arrays.
// The checked scalar is L = sum_j out_j * w_j for fixed random weights w.
typedef void (*fwd64_fn)(double *out, double *const *in, const int *dims);

// Central differences of L with respect to input `which`, compared with `analytic`
// (computed by a backward twin with dy = w). Uses every element for small inputs.
static void check_fd(fwd64_fn f, const struct tensor *const *inputs, int n_in, int which,
                     size_t n_out, const float *w, const float *analytic, const int *dims,
                     const char *what)
{
    double *in64[4];
    for (int k = 0; k < n_in; k++) {
        size_t n = tensor_numel(inputs[k]);
        in64[k] = malloc(sizeof(double) * n);
        for (size_t i = 0; i < n; i++)
            in64[k][i] = inputs[k]->data[i];
    }
    double *out = malloc(sizeof(double) * n_out);
    size_t n = tensor_numel(inputs[which]);
    double max_err = 0, max_grad = 1e-3;
    for (size_t i = 0; i < n; i++) {
        double keep = in64[which][i], h = 1e-6 * fmax(1.0, fabs(keep)), lp = 0, lm = 0;
        in64[which][i] = keep + h;
        f(out, in64, dims);
        for (size_t j = 0; j < n_out; j++)
            lp += out[j] * w[j];
        in64[which][i] = keep - h;
        f(out, in64, dims);
        for (size_t j = 0; j < n_out; j++)
            lm += out[j] * w[j];
        in64[which][i] = keep;
        double numeric = (lp - lm) / (2 * h);
        max_err = fmax(max_err, fabs(numeric - analytic[i]));
        max_grad = fmax(max_grad, fabs(numeric));
    }
    if (max_err > 1e-4 * max_grad + 1e-5)
        fail_msg("%s: analytic gradient differs from finite differences by %g (largest %g)", what,
                 max_err, max_grad);
    for (int k = 0; k < n_in; k++)
        free(in64[k]);
    free(out);
}

// ---- float64 forward ops (dims carry the sizes)

static void f_linear(double *y, double *const *in, const int *dm) // x (N, din), W, b
{
    int N = dm[0], din = dm[1], dout = dm[2];
    for (int i = 0; i < N; i++)
        for (int o = 0; o < dout; o++) {
            double s = in[2][o];
            for (int k = 0; k < din; k++)
                s += in[0][i * din + k] * in[1][k * dout + o];
            y[i * dout + o] = s;
        }
}

static void test_grad_linear(void **state)
{
    (void)state;
    int N = 5, din = 7, dout = 6, dims[3] = {N, din, dout};
    struct tensor x = randn(2, N, din, 0, 1), W = randn(2, din, dout, 0, 0.5f),
                  b = randn(1, dout, 0, 0, 1), w = randn(2, N, dout, 0, 1);
    struct tensor dx[2], dW[2], db[2];
    for (int t = 0; t < 2; t++) {
        dx[t] = zeros_like(&x);
        dW[t] = zeros_like(&W);
        db[t] = zeros_like(&b);
        assert_int_equal(op_linear_backward((enum op_impl)t, &dx[t], &dW[t], &db[t], &x, &W, &w),
                         0);
    }
    assert_close(dx[1].data, dx[0].data, tensor_numel(&x), 1e-5, 1e-4, "linear dx twins");
    assert_close(dW[1].data, dW[0].data, tensor_numel(&W), 1e-5, 1e-4, "linear dW twins");
    assert_close(db[1].data, db[0].data, tensor_numel(&b), 1e-5, 1e-4, "linear db twins");
    const struct tensor *in[3] = {&x, &W, &b};
    size_t n_out = (size_t)N * dout;
    check_fd(f_linear, in, 3, 0, n_out, w.data, dx[0].data, dims, "linear dx");
    check_fd(f_linear, in, 3, 1, n_out, w.data, dW[0].data, dims, "linear dW");
    check_fd(f_linear, in, 3, 2, n_out, w.data, db[0].data, dims, "linear db");
    // gradients accumulate: a second call doubles them
    assert_int_equal(op_linear_backward(OP_IMPL_FAST, &dx[1], NULL, NULL, &x, &W, &w), 0);
    for (size_t i = 0; i < tensor_numel(&x); i++)
        assert_true(fabs(dx[1].data[i] - 2 * dx[0].data[i]) < 1e-4);
}

static void f_linear_heads(double *y, double *const *in, const int *dm)
{
    int N = dm[0], d = dm[1], H = dm[2], dk = dm[3], width = H * dk;
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int c = 0; c < dk; c++) {
                double s = in[2][h * dk + c];
                for (int k = 0; k < d; k++)
                    s += in[0][i * d + k] * in[1][k * width + h * dk + c];
                y[(h * N + i) * dk + c] = s;
            }
}

static void test_grad_linear_heads(void **state)
{
    (void)state;
    int N = 4, d = 6, H = 3, dk = 2, dims[4] = {N, d, H, dk};
    struct tensor x = randn(2, N, d, 0, 1), W = randn(2, d, H * dk, 0, 0.5f),
                  b = randn(1, H * dk, 0, 0, 1), w = randn(3, H, N, dk, 1);
    struct tensor dx[2], dW[2], db[2];
    for (int t = 0; t < 2; t++) {
        dx[t] = zeros_like(&x);
        dW[t] = zeros_like(&W);
        db[t] = zeros_like(&b);
        assert_int_equal(
            op_linear_heads_backward((enum op_impl)t, &dx[t], &dW[t], &db[t], &x, &W, &w), 0);
    }
    assert_close(dW[1].data, dW[0].data, tensor_numel(&W), 1e-5, 1e-4, "heads dW twins");
    assert_close(dx[1].data, dx[0].data, tensor_numel(&x), 1e-5, 1e-4, "heads dx twins");
    const struct tensor *in[3] = {&x, &W, &b};
    size_t n_out = tensor_numel(&w);
    check_fd(f_linear_heads, in, 3, 0, n_out, w.data, dx[0].data, dims, "heads dx");
    check_fd(f_linear_heads, in, 3, 1, n_out, w.data, dW[0].data, dims, "heads dW");
    check_fd(f_linear_heads, in, 3, 2, n_out, w.data, db[0].data, dims, "heads db");
}

static void f_scores(double *s, double *const *in, const int *dm)
{
    int H = dm[0], N = dm[1], dk = dm[2];
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double t = 0;
                for (int c = 0; c < dk; c++)
                    t += in[0][(h * N + i) * dk + c] * in[1][(h * N + j) * dk + c];
                s[(h * N + i) * N + j] = t;
            }
}

static void f_mix(double *y, double *const *in, const int *dm)
{
    int H = dm[0], N = dm[1], dv = dm[2];
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int c = 0; c < dv; c++) {
                double t = 0;
                for (int j = 0; j < N; j++)
                    t += in[0][(h * N + i) * N + j] * in[1][(h * N + j) * dv + c];
                y[(h * N + i) * dv + c] = t;
            }
}

static void test_grad_attention_products(void **state)
{
    (void)state;
    int H = 2, N = 4, dk = 3, dims[3] = {H, N, dk};
    struct tensor q = randn(3, H, N, dk, 1), k = randn(3, H, N, dk, 1), w = randn(3, H, N, N, 1);
    struct tensor dq[2], dkk[2];
    for (int t = 0; t < 2; t++) {
        dq[t] = zeros_like(&q);
        dkk[t] = zeros_like(&k);
        assert_int_equal(op_attn_scores_backward((enum op_impl)t, &dq[t], &dkk[t], &q, &k, &w), 0);
    }
    assert_close(dq[1].data, dq[0].data, tensor_numel(&q), 1e-5, 1e-4, "scores dq twins");
    assert_close(dkk[1].data, dkk[0].data, tensor_numel(&k), 1e-5, 1e-4, "scores dk twins");
    const struct tensor *in[2] = {&q, &k};
    check_fd(f_scores, in, 2, 0, tensor_numel(&w), w.data, dq[0].data, dims, "scores dq");
    check_fd(f_scores, in, 2, 1, tensor_numel(&w), w.data, dkk[0].data, dims, "scores dk");

    struct tensor a = randn(3, H, N, N, 1), v = randn(3, H, N, dk, 1), wy = randn(3, H, N, dk, 1);
    struct tensor da[2], dv[2];
    for (int t = 0; t < 2; t++) {
        da[t] = zeros_like(&a);
        dv[t] = zeros_like(&v);
        assert_int_equal(op_attn_mix_backward((enum op_impl)t, &da[t], &dv[t], &a, &v, &wy), 0);
    }
    assert_close(da[1].data, da[0].data, tensor_numel(&a), 1e-5, 1e-4, "mix da twins");
    assert_close(dv[1].data, dv[0].data, tensor_numel(&v), 1e-5, 1e-4, "mix dv twins");
    const struct tensor *in2[2] = {&a, &v};
    check_fd(f_mix, in2, 2, 0, tensor_numel(&wy), wy.data, da[0].data, dims, "mix dalpha");
    check_fd(f_mix, in2, 2, 1, tensor_numel(&wy), wy.data, dv[0].data, dims, "mix dv");
}

static void f_softmax(double *y, double *const *in, const int *dm)
{
    int R = dm[0], C = dm[1];
    for (int r = 0; r < R; r++) {
        double mx = -INFINITY, s = 0;
        for (int j = 0; j < C; j++)
            mx = fmax(mx, in[0][r * C + j]);
        for (int j = 0; j < C; j++)
            s += exp(in[0][r * C + j] - mx);
        for (int j = 0; j < C; j++)
            y[r * C + j] = exp(in[0][r * C + j] - mx) / s;
    }
}

static void test_grad_softmax_and_mask(void **state)
{
    (void)state;
    int R = 3, C = 7, dims[2] = {R, C};
    struct tensor x = randn(2, R, C, 0, 2), w = randn(2, R, C, 0, 1), y = zeros_like(&x);
    assert_int_equal(op_softmax_rows(OP_IMPL_REF, &y, &x), 0);
    struct tensor dx[2];
    for (int t = 0; t < 2; t++) {
        dx[t] = zeros_like(&x);
        assert_int_equal(op_softmax_rows_backward((enum op_impl)t, &dx[t], &y, &w), 0);
    }
    assert_close(dx[1].data, dx[0].data, tensor_numel(&x), 1e-6, 1e-4, "softmax twins");
    const struct tensor *in[1] = {&x};
    check_fd(f_softmax, in, 1, 0, tensor_numel(&x), w.data, dx[0].data, dims, "softmax dx");

    // Through the mask, nothing flows above the diagonal; below it, dy passes unchanged.
    struct tensor dy = randn(3, 2, 4, 4, 1), dm = zeros_like(&dy);
    assert_int_equal(op_causal_mask_backward(OP_IMPL_FAST, &dm, &dy, 4), 0);
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                size_t at = (size_t)(h * 4 + i) * 4 + j;
                assert_true(dm.data[at] == (j > i ? 0.0f : dy.data[at]));
            }
    // A softmax over masked scores gives exactly zero gradient at the masked entries.
    struct tensor s = randn(3, 1, 4, 4, 1), sm = zeros_like(&s), p = zeros_like(&s),
                  ds = zeros_like(&s), g = randn(3, 1, 4, 4, 1);
    op_causal_mask(OP_IMPL_FAST, &sm, &s, 4);
    op_softmax_rows(OP_IMPL_FAST, &p, &sm);
    op_softmax_rows_backward(OP_IMPL_FAST, &ds, &p, &g);
    assert_true(ds.data[1] == 0.0f && ds.data[2] == 0.0f && ds.data[7] == 0.0f);
}

static void f_layernorm(double *y, double *const *in, const int *dm) // x, gamma, beta
{
    int N = dm[0], d = dm[1];
    for (int i = 0; i < N; i++) {
        double mu = 0, var = 0;
        for (int c = 0; c < d; c++)
            mu += in[0][i * d + c];
        mu /= d;
        for (int c = 0; c < d; c++)
            var += (in[0][i * d + c] - mu) * (in[0][i * d + c] - mu);
        double sigma = sqrt(var / d + 1e-5);
        for (int c = 0; c < d; c++)
            y[i * d + c] = in[1][c] * (in[0][i * d + c] - mu) / sigma + in[2][c];
    }
}

// The three LayerNorm steps chained backward (affine, norm, stats) give the gradient of the
// whole LayerNorm.
static void test_grad_layernorm_three_steps(void **state)
{
    (void)state;
    int N = 3, d = 8, dims[2] = {N, d};
    struct tensor x = randn(2, N, d, 0, 2), g = randn(1, d, 0, 0, 1), b = randn(1, d, 0, 0, 1),
                  w = randn(2, N, d, 0, 1);
    struct tensor stats = zeros(2, N, 2, 0), xhat = zeros_like(&x);
    op_ln_stats(OP_IMPL_REF, &stats, &x, 1e-5f);
    op_ln_norm(OP_IMPL_REF, &xhat, &x, &stats);
    struct tensor dx[2], dg[2], db[2];
    for (int t = 0; t < 2; t++) {
        enum op_impl im = (enum op_impl)t;
        struct tensor dxhat = zeros_like(&x), dstats = zeros_like(&stats);
        dx[t] = zeros_like(&x);
        dg[t] = zeros_like(&g);
        db[t] = zeros_like(&b);
        assert_int_equal(op_ln_affine_backward(im, &dxhat, &dg[t], &db[t], &xhat, &g, &w), 0);
        assert_int_equal(op_ln_norm_backward(im, &dx[t], &dstats, &x, &stats, &dxhat), 0);
        assert_int_equal(op_ln_stats_backward(im, &dx[t], &x, &stats, &dstats), 0);
    }
    assert_close(dx[1].data, dx[0].data, tensor_numel(&x), 1e-5, 1e-4, "layernorm dx twins");
    assert_close(dg[1].data, dg[0].data, tensor_numel(&g), 1e-5, 1e-4, "layernorm dgamma twins");
    const struct tensor *in[3] = {&x, &g, &b};
    check_fd(f_layernorm, in, 3, 0, tensor_numel(&x), w.data, dx[0].data, dims, "layernorm dx");
    check_fd(f_layernorm, in, 3, 1, tensor_numel(&x), w.data, dg[0].data, dims, "layernorm dg");
    check_fd(f_layernorm, in, 3, 2, tensor_numel(&x), w.data, db[0].data, dims, "layernorm db");
}

static void f_gelu(double *y, double *const *in, const int *dm)
{
    for (int i = 0; i < dm[0]; i++) {
        double v = in[0][i];
        y[i] = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    }
}

static void f_relu(double *y, double *const *in, const int *dm)
{
    for (int i = 0; i < dm[0]; i++)
        y[i] = in[0][i] > 0 ? in[0][i] : 0;
}

static void test_grad_activations(void **state)
{
    (void)state;
    int n = 41, dims[1] = {n};
    struct tensor x = randn(1, n, 0, 0, 2), w = randn(1, n, 0, 0, 1);
    for (int i = 0; i < n; i++)
        if (fabsf(x.data[i]) < 1e-3f)
            x.data[i] = 0.5f; // keep ReLU's kink out of the finite differences
    struct tensor dg[2], dr[2];
    for (int t = 0; t < 2; t++) {
        dg[t] = zeros_like(&x);
        dr[t] = zeros_like(&x);
        assert_int_equal(op_gelu_backward((enum op_impl)t, &dg[t], &x, &w), 0);
        assert_int_equal(op_relu_backward((enum op_impl)t, &dr[t], &x, &w), 0);
    }
    assert_close(dg[1].data, dg[0].data, (size_t)n, 1e-6, 1e-5, "gelu twins");
    assert_memory_equal(dr[1].data, dr[0].data, sizeof(float) * (size_t)n);
    const struct tensor *in[1] = {&x};
    check_fd(f_gelu, in, 1, 0, (size_t)n, w.data, dg[0].data, dims, "gelu");
    check_fd(f_relu, in, 1, 0, (size_t)n, w.data, dr[0].data, dims, "relu");
}

static void f_unembed(double *u, double *const *in, const int *dm) // h (N, d), E (V, d)
{
    int N = dm[0], d = dm[1], V = dm[2];
    for (int i = 0; i < N; i++)
        for (int v = 0; v < V; v++) {
            double s = 0;
            for (int c = 0; c < d; c++)
                s += in[0][i * d + c] * in[1][v * d + c];
            u[i * V + v] = s;
        }
}

static void test_grad_unembed_and_embeddings(void **state)
{
    (void)state;
    int N = 3, d = 5, V = 9, dims[3] = {N, d, V};
    struct tensor h = randn(2, N, d, 0, 1), E = randn(2, V, d, 0, 1), w = randn(2, N, V, 0, 1);
    struct tensor dh[2], dE[2];
    for (int t = 0; t < 2; t++) {
        dh[t] = zeros_like(&h);
        dE[t] = zeros_like(&E);
        assert_int_equal(op_unembed_backward((enum op_impl)t, &dh[t], &dE[t], &h, &E, &w), 0);
    }
    assert_close(dh[1].data, dh[0].data, tensor_numel(&h), 1e-5, 1e-4, "unembed dh twins");
    assert_close(dE[1].data, dE[0].data, tensor_numel(&E), 1e-5, 1e-4, "unembed dE twins");
    const struct tensor *in[2] = {&h, &E};
    check_fd(f_unembed, in, 2, 0, tensor_numel(&w), w.data, dh[0].data, dims, "unembed dh");
    check_fd(f_unembed, in, 2, 1, tensor_numel(&w), w.data, dE[0].data, dims, "unembed dE");

    // Token embeddings: a repeated token collects both rows' gradients.
    int ids[3] = {4, 1, 4};
    struct tensor dx = randn(2, N, d, 0, 1), dEt[2];
    for (int t = 0; t < 2; t++) {
        dEt[t] = zeros_like(&E);
        assert_int_equal(op_embed_tok_backward((enum op_impl)t, &dEt[t], &dx, ids), 0);
    }
    assert_memory_equal(dEt[0].data, dEt[1].data, tensor_numel(&E) * sizeof(float));
    for (int c = 0; c < d; c++) {
        assert_true(fabsf(dEt[0].data[4 * d + c] - (dx.data[c] + dx.data[2 * d + c])) < 1e-6f);
        assert_true(dEt[0].data[0 * d + c] == 0.0f);
    }
    ids[1] = V;
    assert_int_equal(op_embed_tok_backward(OP_IMPL_FAST, &dEt[0], &dx, ids), SF_ERR_RANGE);
    struct tensor P = zeros_like(&E);
    assert_int_equal(op_embed_pos_learned_backward(OP_IMPL_FAST, &P, &dx, N), 0);
    assert_memory_equal(P.data, dx.data, tensor_numel(&dx) * sizeof(float));
    assert_true(P.data[N * d] == 0.0f);
}

static void test_grad_cross_entropy(void **state)
{
    (void)state;
    int N = 3, V = 6, targets[3] = {2, 0, 5};
    struct tensor u = randn(2, N, V, 0, 2), p = zeros_like(&u), loss = zeros(1, N, 0, 0);
    op_softmax_rows(OP_IMPL_REF, &p, &u);
    float mean;
    assert_int_equal(op_xent(OP_IMPL_FAST, &loss, &mean, &p, targets), 0);
    double sum = 0;
    for (int i = 0; i < N; i++) {
        assert_true(fabs(loss.data[i] + log(p.data[i * V + targets[i]])) < 1e-6);
        sum += loss.data[i];
    }
    assert_true(fabs(mean - sum / N) < 1e-6);
    // Through the softmax, the mean loss's gradient on the logits is (p - onehot) / N.
    struct tensor dp = zeros_like(&p), du = zeros_like(&u);
    assert_int_equal(op_xent_backward(OP_IMPL_FAST, &dp, &p, targets, 1.0f / N), 0);
    assert_int_equal(op_softmax_rows_backward(OP_IMPL_FAST, &du, &p, &dp), 0);
    for (int i = 0; i < N; i++)
        for (int v = 0; v < V; v++) {
            double want = (p.data[i * V + v] - (v == targets[i])) / N;
            assert_true(fabs(du.data[i * V + v] - want) < 1e-6);
        }
    targets[1] = V;
    assert_int_equal(op_xent(OP_IMPL_FAST, &loss, &mean, &p, targets), SF_ERR_RANGE);
}

static void test_grad_adamw_matches_formula(void **state)
{
    (void)state;
    int n = 37;
    struct adamw_params hp = {1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f};
    struct tensor p0 = randn(1, n, 0, 0, 1), g = randn(1, n, 0, 0, 1);
    struct tensor p[2], m[2], v[2], delta[2];
    for (int t = 0; t < 2; t++) {
        p[t] = zeros_like(&p0);
        memcpy(p[t].data, p0.data, sizeof(float) * (size_t)n);
        m[t] = zeros_like(&p0);
        v[t] = zeros_like(&p0);
        delta[t] = zeros_like(&p0);
        for (int step = 1; step <= 3; step++)
            assert_int_equal(
                op_adamw((enum op_impl)t, &p[t], &m[t], &v[t], &delta[t], &g, &hp, step), 0);
    }
    assert_close(p[1].data, p[0].data, (size_t)n, 1e-6, 1e-5, "adamw twins");
    // the same three steps in double, as torch.optim.AdamW writes them
    for (int i = 0; i < n; i++) {
        double pp = p0.data[i], mm = 0, vv = 0, gg = g.data[i];
        for (int step = 1; step <= 3; step++) {
            mm = 0.9 * mm + 0.1 * gg;
            vv = 0.95 * vv + 0.05 * gg * gg;
            pp *= 1 - 1e-2 * 0.1;
            pp -= 1e-2 / (1 - pow(0.9, step)) * mm / (sqrt(vv / (1 - pow(0.95, step))) + 1e-8);
        }
        assert_true(fabs(p[0].data[i] - pp) < 1e-5);
    }
    assert_true(fabs(delta[0].data[3]) > 0 && fabs(delta[0].data[3]) < 0.02);
    assert_int_equal(op_adamw(OP_IMPL_FAST, &p[0], &m[0], &v[0], NULL, &g, &hp, 0), SF_ERR_RANGE);
    hp.beta1 = 1.0f;
    assert_int_equal(op_adamw(OP_IMPL_FAST, &p[0], &m[0], &v[0], NULL, &g, &hp, 1), SF_ERR_RANGE);
}

// The sampler on the textbook's own numbers (J&M 10.2): top-k and top-p.
static void test_grad_sampler_follows_the_book(void **state)
{
    (void)state;
    struct sampler s;
    int order[5];
    // p = 0.8 over 0.5, 0.2, 0.15, 0.1, 0.05 keeps three: 0.588, 0.235, 0.176
    float q[5] = {0.1f, 0.5f, 0.05f, 0.2f, 0.15f};
    sampler_init(&s, 0, 1.0f, 0, 0.8f, 1);
    assert_int_equal(sampler_truncate(&s, q, 5, order), 3);
    assert_int_equal(order[0], 1);
    assert_true(fabsf(q[1] - 0.588f) < 1e-3f && fabsf(q[3] - 0.235f) < 1e-3f &&
                fabsf(q[4] - 0.176f) < 1e-3f && q[0] == 0.0f && q[2] == 0.0f);
    // top-k with k = 1 is greedy
    float r[5] = {0.1f, 0.5f, 0.05f, 0.2f, 0.15f};
    sampler_init(&s, 0, 1.0f, 1, 1.0f, 7);
    assert_int_equal(sampler_truncate(&s, r, 5, order), 1);
    for (int i = 0; i < 20; i++)
        assert_int_equal(sampler_draw(&s, r, 5), 1);
    // the same seed draws the same tokens; the draws follow the probabilities
    float d[3] = {0.2f, 0.5f, 0.3f};
    struct sampler a, b;
    sampler_init(&a, 0, 1.0f, 0, 1.0f, 42);
    sampler_init(&b, 0, 1.0f, 0, 1.0f, 42);
    int count[3] = {0, 0, 0};
    for (int i = 0; i < 20000; i++) {
        int x = sampler_draw(&a, d, 3);
        assert_int_equal(x, sampler_draw(&b, d, 3));
        count[x]++;
    }
    assert_true(abs(count[1] - 10000) < 400 && abs(count[0] - 4000) < 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_linear),
        cmocka_unit_test(test_grad_linear_heads),
        cmocka_unit_test(test_grad_attention_products),
        cmocka_unit_test(test_grad_softmax_and_mask),
        cmocka_unit_test(test_grad_layernorm_three_steps),
        cmocka_unit_test(test_grad_activations),
        cmocka_unit_test(test_grad_unembed_and_embeddings),
        cmocka_unit_test(test_grad_cross_entropy),
        cmocka_unit_test(test_grad_adamw_matches_formula),
        cmocka_unit_test(test_grad_sampler_follows_the_book),
    };
    return cmocka_run_group_tests(tests, test_tensors_setup, test_tensors_teardown);
}
