// Fast kernels: cblas for the matrix products, branch-free loops that the compiler
// vectorises (with AVX-512 or AVX2 clones picked at run time) for the rest. The only file
// that includes <cblas.h>. Each function computes what its twin in ops_ref.c computes.
#include "ops_blas.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SF_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SF_VECTOR_CLONES
#endif

// openblas_get_config() reads e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX
// MAX_THREADS=64": the version and the kernel it chose at load time.
const char *fast_backend_name(void)
{
#ifdef SF_HAVE_OPENBLAS
    return openblas_get_config();
#else
    return "cblas";
#endif
}

// ---- Every matrix product goes through sgemm, which a profiling log (ops_sgemm_log) can time
// and record; with no log it is cblas_sgemm and one test of a pointer.
static struct sgemm_log *sgemm_active;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sgemm(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int M, int N, int K,
                  float alpha, const float *A, int lda, const float *B, int ldb, float beta,
                  float *C, int ldc)
{
    struct sgemm_log *log = sgemm_active;
    if (!log) {
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    double t0 = seconds_now();
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    log->seconds += seconds_now() - t0;
    log->flops += 2.0 * M * N * K;
    if (log->n < log->cap)
        log->calls[log->n] = (struct sgemm_call){
            ta == CblasTrans, tb == CblasTrans, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C};
    log->n++;
}

void ops_sgemm_log(struct sgemm_log *log)
{
    sgemm_active = log;
}

// Elements an operand of rows x ld spans.
static size_t span(int rows, int ld)
{
    return (size_t)rows * (size_t)ld;
}

static int kept(const float *p, const float *lo, size_t n)
{
    return lo && p >= lo && p < lo + n;
}

double ops_sgemm_replay(const struct sgemm_log *log, const float *keep, size_t n_keep)
{
    int n = log->n < log->cap ? log->n : log->cap;
    size_t na = 1, nb = 1, nc = 1;
    for (int i = 0; i < n; i++) {
        const struct sgemm_call *c = &log->calls[i];
        size_t a = span(c->trans_a ? c->K : c->M, c->lda),
               b = span(c->trans_b ? c->N : c->K, c->ldb);
        na = a > na ? a : na;
        nb = b > nb ? b : nb;
        nc = span(c->M, c->ldc) > nc ? span(c->M, c->ldc) : nc;
    }
    float *sa = malloc(na * sizeof(float)), *sb = malloc(nb * sizeof(float));
    float *sc = malloc(nc * sizeof(float));
    double t = -1;
    if (sa && sb && sc) {
        // Written before the clock starts, so no page is faulted in while it runs.
        memset(sa, 0, na * sizeof(float));
        memset(sb, 0, nb * sizeof(float));
        memset(sc, 0, nc * sizeof(float));
        double t0 = seconds_now();
        for (int i = 0; i < n; i++) {
            const struct sgemm_call *c = &log->calls[i];
            cblas_sgemm(CblasRowMajor, c->trans_a ? CblasTrans : CblasNoTrans,
                        c->trans_b ? CblasTrans : CblasNoTrans, c->M, c->N, c->K, c->alpha,
                        kept(c->A, keep, n_keep) ? c->A : sa, c->lda,
                        kept(c->B, keep, n_keep) ? c->B : sb, c->ldb, c->beta, sc, c->ldc);
        }
        t = seconds_now() - t0;
    }
    free(sa);
    free(sb);
    free(sc);
    return t;
}

int ops_blas_threads(void)
{
#ifdef SF_HAVE_OPENBLAS
    return openblas_get_num_threads();
#else
    return 1;
#endif
}

void ops_blas_set_threads(int n)
{
#ifdef SF_HAVE_OPENBLAS
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

// e^x in float without a libm call, so loops over it vectorise: x = k ln2 + r with
// |r| <= ln2/2, e^r from its Taylor series to r^7 (relative error < 2e-7), 2^k from the
// exponent bits. x <= -87 gives 0 (so exp(-inf) = 0 exactly), x >= 88.5 gives +inf, NaN
// gives NaN. No undefined behaviour on any input: the clamp sends NaN to -87 as well (every
// comparison with NaN is false), so k is always a whole number in [-126, 127] before it is
// converted to an integer, and the exponent field k + 127 in [1, 254] is shifted unsigned.
static inline float exp_approx(float x)
{
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f, ln2_lo = 1.42860682030941723e-6f;
    const float shifter = 12582912.0f; // 1.5 * 2^23: adding it rounds to an integer
    float xc = x > -87.0f ? (x < 88.0f ? x : 88.0f) : -87.0f;
    float k = (xc * log2e + shifter) - shifter; // not floorf, which blocks vectorising
    float r = xc - k * ln2_hi - k * ln2_lo;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float y = p * scale;
    y = x <= -87.0f ? 0.0f : y;
    y = x >= 88.5f ? INFINITY : y;
    return x != x ? x : y;
}

void fast_embed_tok(float *x, const float *E, const int *ids, int N, int d)
{
    for (int i = 0; i < N; i++)
        memcpy(x + (size_t)i * d, E + (size_t)ids[i] * d, sizeof(float) * (size_t)d);
}

SF_VECTOR_CLONES
void fast_add_rows(float *restrict y, const float *restrict x, const float *restrict pos, int N,
                   int d, int T)
{
    for (int i = 0; i < N; i++) {
        float *yr = y + (size_t)i * d;
        const float *xr = x + (size_t)i * d, *pr = pos + (size_t)(i % T) * d;
        for (int c = 0; c < d; c++)
            yr[c] = xr[c] + pr[c];
    }
}

void fast_add_sinusoidal(float *y, const float *x, int N, int d, int T)
{
    // One frequency per pair of columns, computed once: 1 / 10000^(2j/d).
    double *inv_freq = malloc(sizeof(double) * (size_t)(d / 2 + 1));
    if (!inv_freq) {
        ref_add_sinusoidal(y, x, N, d, T);
        return;
    }
    for (int c = 0; c < d; c += 2)
        inv_freq[c / 2] = 1.0 / pow(10000.0, (double)c / d);
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++) {
            double angle = (i % T) * inv_freq[c / 2];
            double pe = (c & 1) ? cos(angle) : sin(angle);
            y[(size_t)i * d + c] = (float)(x[(size_t)i * d + c] + pe);
        }
    free(inv_freq);
}

// Sums of 16 interleaved lanes, which the compiler keeps in one vector register.
#define SF_LANES 16

SF_VECTOR_CLONES
static float row_sum(const float *restrict x, int n, float shift, int square)
{
    float acc[SF_LANES] = {0};
    int c = 0;
    for (; c + SF_LANES <= n; c += SF_LANES)
        for (int k = 0; k < SF_LANES; k++) {
            float t = x[c + k] - shift;
            acc[k] += square ? t * t : t;
        }
    float sum = 0.0f;
    for (; c < n; c++) {
        float t = x[c] - shift;
        sum += square ? t * t : t;
    }
    for (int k = 0; k < SF_LANES; k++)
        sum += acc[k];
    return sum;
}

void fast_ln_stats(float *stats, const float *x, int N, int d, float eps)
{
    // Two passes per row (the mean, then squared deviations from it), as the reference does.
    for (int i = 0; i < N; i++) {
        const float *row = x + (size_t)i * d;
        float mu = row_sum(row, d, 0.0f, 0) / (float)d;
        float var = row_sum(row, d, mu, 1) / (float)d;
        stats[2 * i] = mu;
        stats[2 * i + 1] = sqrtf(var + eps);
    }
}

SF_VECTOR_CLONES
void fast_ln_norm(float *restrict xhat, const float *restrict x, const float *restrict stats, int N,
                  int d)
{
    for (int i = 0; i < N; i++) {
        float mu = stats[2 * i], inv = 1.0f / stats[2 * i + 1];
        float *out = xhat + (size_t)i * d;
        const float *in = x + (size_t)i * d;
        for (int c = 0; c < d; c++)
            out[c] = (in[c] - mu) * inv;
    }
}

SF_VECTOR_CLONES
void fast_ln_affine(float *y, const float *xhat, const float *restrict g, const float *restrict b,
                    int N, int d)
{
    for (int i = 0; i < N; i++) {
        float *out = y + (size_t)i * d;
        const float *in = xhat + (size_t)i * d;
        if (b)
            for (int c = 0; c < d; c++)
                out[c] = g[c] * in[c] + b[c];
        else
            for (int c = 0; c < d; c++)
                out[c] = g[c] * in[c];
    }
}

// y (N, dout) = x W + b: the bias is copied into every row first, then sgemm adds x W.
void fast_linear(float *y, const float *x, const float *W, const float *b, int N, int din, int dout)
{
    if (b)
        for (int i = 0; i < N; i++)
            memcpy(y + (size_t)i * dout, b, sizeof(float) * (size_t)dout);
    sgemm(CblasNoTrans, CblasNoTrans, N, dout, din, 1.0f, x, din, W, dout, b ? 1.0f : 0.0f, y,
          dout);
}

// One sgemm for all heads into a scratch (N, H dk), then a scatter into (B H, T, dk): at N = 64,
// d = 768 one large product runs faster than twelve narrow ones. Without memory for the
// scratch, one sgemm per sequence and head reads its block of columns in place (ldb = H dk).
void fast_linear_heads(float *y, const float *x, const float *W, const float *b, int N, int d,
                       int H, int dk, int T)
{
    int width = H * dk;
    float *tmp = malloc(sizeof(float) * (size_t)N * (size_t)width);
    if (tmp) {
        fast_linear(tmp, x, W, b, N, d, width);
        for (int i = 0; i < N; i++)
            for (int h = 0; h < H; h++)
                memcpy(y + SF_HEAD_ROW(i, h, H, T) * dk, tmp + (size_t)i * width + (size_t)h * dk,
                       sizeof(float) * (size_t)dk);
        free(tmp);
        return;
    }
    for (int s = 0; s < N / T; s++)
        for (int h = 0; h < H; h++) {
            float *yh = y + SF_HEAD_ROW(s * T, h, H, T) * dk;
            if (b)
                for (int t = 0; t < T; t++)
                    memcpy(yh + (size_t)t * dk, b + (size_t)h * dk, sizeof(float) * (size_t)dk);
            sgemm(CblasNoTrans, CblasNoTrans, T, dk, d, 1.0f, x + (size_t)s * T * d, d,
                  W + (size_t)h * dk, width, b ? 1.0f : 0.0f, yh, dk);
        }
}

void fast_attn_scores(float *s, const float *q, const float *k, int H, int N, int dk)
{
    for (int h = 0; h < H; h++)
        sgemm(CblasNoTrans, CblasTrans, N, N, dk, 1.0f, q + (size_t)h * N * dk, dk,
              k + (size_t)h * N * dk, dk, 0.0f, s + (size_t)h * N * N, N);
}

SF_VECTOR_CLONES
void fast_scale(float *y, const float *x, float c, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = x[i] * c;
}

void fast_causal_mask(float *y, const float *x, int H, int N)
{
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++) {
            size_t row = ((size_t)h * N + i) * N;
            if (y != x)
                memcpy(y + row, x + row, sizeof(float) * (size_t)(i + 1));
            for (int j = i + 1; j < N; j++)
                y[row + j] = -INFINITY;
        }
}

// The largest entry of a row, in SF_LANES interleaved lanes (a plain max reduction does
// not vectorise without relaxed floating-point rules).
SF_VECTOR_CLONES
static float row_max(const float *restrict in, int C)
{
    float lane[SF_LANES];
    for (int k = 0; k < SF_LANES; k++)
        lane[k] = -INFINITY;
    int j = 0;
    for (; j + SF_LANES <= C; j += SF_LANES)
        for (int k = 0; k < SF_LANES; k++)
            lane[k] = in[j + k] > lane[k] ? in[j + k] : lane[k];
    float m = -INFINITY;
    for (; j < C; j++)
        m = in[j] > m ? in[j] : m;
    for (int k = 0; k < SF_LANES; k++)
        m = lane[k] > m ? lane[k] : m;
    return m;
}

// out = exp(in - max) for one row, returning the sum of out; one pass over memory.
SF_VECTOR_CLONES
static float exp_shifted_sum(float *restrict out, const float *restrict in, float max, int C)
{
    float lane[SF_LANES] = {0};
    int j = 0;
    for (; j + SF_LANES <= C; j += SF_LANES)
        for (int k = 0; k < SF_LANES; k++) {
            float e = exp_approx(in[j + k] - max);
            out[j + k] = e;
            lane[k] += e;
        }
    float sum = 0.0f;
    for (; j < C; j++) {
        out[j] = exp_approx(in[j] - max);
        sum += out[j];
    }
    for (int k = 0; k < SF_LANES; k++)
        sum += lane[k];
    return sum;
}

void fast_softmax_rows(float *y, const float *x, long R, int C)
{
    for (long r = 0; r < R; r++) {
        const float *in = x + r * C;
        float *out = y + r * C;
        float max = row_max(in, C);
        if (max == -INFINITY) {
            memset(out, 0, sizeof(float) * (size_t)C);
            continue;
        }
        float sum = exp_shifted_sum(out, in, max, C);
        fast_scale(out, out, 1.0f / sum, C);
    }
}

void fast_attn_mix(float *y, const float *a, const float *v, int H, int N, int dv)
{
    for (int h = 0; h < H; h++)
        sgemm(CblasNoTrans, CblasNoTrans, N, dv, N, 1.0f, a + (size_t)h * N * N, N,
              v + (size_t)h * N * dv, dv, 0.0f, y + (size_t)h * N * dv, dv);
}

void fast_concat_heads(float *y, const float *x, int H, int N, int dv, int T)
{
    for (int i = 0; i < N; i++)
        for (int h = 0; h < H; h++)
            memcpy(y + (size_t)i * H * dv + (size_t)h * dv, x + SF_HEAD_ROW(i, h, H, T) * dv,
                   sizeof(float) * (size_t)dv);
}

SF_VECTOR_CLONES
void fast_add(float *y, const float *a, const float *b, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

SF_VECTOR_CLONES
void fast_relu(float *y, const float *x, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// 0.5 x (1 + tanh(u)) = x / (1 + e^(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3): one
// exponential, and no cancellation for large |x| (the result tends to x or to -0).
SF_VECTOR_CLONES
void fast_gelu(float *y, const float *x, long n)
{
    const float k = 0.7978845608028654f; // sqrt(2/pi)
    for (long i = 0; i < n; i++) {
        float v = x[i];
        float u = k * (v + 0.044715f * v * v * v);
        y[i] = v / (1.0f + exp_approx(-2.0f * u));
    }
}

void fast_unembed(float *u, const float *h, const float *E, int N, int d, int V)
{
    sgemm(CblasNoTrans, CblasTrans, N, V, d, 1.0f, h, d, E, d, 0.0f, u, V);
}

// ---- Backward twins.

void fast_embed_tok_backward(float *dE, const float *dx, const int *ids, int N, int d)
{
    for (int i = 0; i < N; i++)
        cblas_saxpy(d, 1.0f, dx + (size_t)i * d, 1, dE + (size_t)ids[i] * d, 1);
}

SF_VECTOR_CLONES
void fast_axpy(float *restrict dx, float c, const float *restrict dy, long n)
{
    for (long i = 0; i < n; i++)
        dx[i] += c * dy[i];
}

SF_VECTOR_CLONES
void fast_ln_affine_backward(float *restrict dxhat, float *restrict dg, float *restrict db,
                             const float *restrict xhat, const float *restrict g,
                             const float *restrict dy, int N, int d)
{
    for (int i = 0; i < N; i++) {
        const float *gy = dy + (size_t)i * d, *xh = xhat + (size_t)i * d;
        if (dxhat)
            for (int c = 0; c < d; c++)
                dxhat[(size_t)i * d + c] += gy[c] * g[c];
        if (dg)
            for (int c = 0; c < d; c++)
                dg[c] += gy[c] * xh[c];
        if (db)
            for (int c = 0; c < d; c++)
                db[c] += gy[c];
    }
}

void fast_ln_norm_backward(float *dx, float *dstats, const float *x, const float *stats,
                           const float *dxhat, int N, int d)
{
    for (int i = 0; i < N; i++) {
        const float *g = dxhat + (size_t)i * d, *xr = x + (size_t)i * d;
        float mu = stats[2 * i], inv = 1.0f / stats[2 * i + 1];
        if (dx)
            fast_axpy(dx + (size_t)i * d, inv, g, d);
        if (dstats) {
            // sum_c g_c (x_c - mu) = g . x - mu sum_c g_c
            float gsum = row_sum(g, d, 0.0f, 0);
            float gx = cblas_sdot(d, g, 1, xr, 1) - mu * gsum;
            dstats[2 * i] -= gsum * inv;
            dstats[2 * i + 1] -= gx * inv * inv;
        }
    }
}

SF_VECTOR_CLONES
static void ln_stats_row_backward(float *restrict dx, const float *restrict x, float a, float b,
                                  float mu, int d)
{
    for (int c = 0; c < d; c++)
        dx[c] += a + b * (x[c] - mu);
}

void fast_ln_stats_backward(float *dx, const float *x, const float *stats, const float *dstats,
                            int N, int d)
{
    for (int i = 0; i < N; i++) {
        float mu = stats[2 * i], sigma = stats[2 * i + 1];
        ln_stats_row_backward(dx + (size_t)i * d, x + (size_t)i * d, dstats[2 * i] / (float)d,
                              dstats[2 * i + 1] / ((float)d * sigma), mu, d);
    }
}

// db (dout) += the column sums of dy (N, dout).
static void column_sums(float *db, const float *dy, int N, int dout)
{
    for (int i = 0; i < N; i++)
        fast_axpy(db, 1.0f, dy + (size_t)i * dout, dout);
}

void fast_linear_backward(float *dx, float *dW, float *db, const float *x, const float *W,
                          const float *dy, int N, int din, int dout)
{
    if (dx) // dx (N, din) += dy (N, dout) W^T
        sgemm(CblasNoTrans, CblasTrans, N, din, dout, 1.0f, dy, dout, W, dout, 1.0f, dx, din);
    if (dW) // dW (din, dout) += x^T dy
        sgemm(CblasTrans, CblasNoTrans, din, dout, N, 1.0f, x, din, dy, dout, 1.0f, dW, dout);
    if (db)
        column_sums(db, dy, N, dout);
}

// Gathers dy (B H, T, dk) into (N, H dk), then runs the plain linear backward.
void fast_linear_heads_backward(float *dx, float *dW, float *db, const float *x, const float *W,
                                const float *dy, int N, int d, int H, int dk, int T)
{
    int width = H * dk;
    float *flat = malloc(sizeof(float) * (size_t)N * (size_t)width);
    if (!flat) {
        ref_linear_heads_backward(dx, dW, db, x, W, dy, N, d, H, dk, T);
        return;
    }
    fast_concat_heads(flat, dy, H, N, dk, T);
    fast_linear_backward(dx, dW, db, x, W, flat, N, d, width);
    free(flat);
}

void fast_attn_scores_backward(float *dq, float *dk, const float *q, const float *k,
                               const float *ds, int H, int N, int d_k)
{
    for (int h = 0; h < H; h++) {
        const float *dsh = ds + (size_t)h * N * N;
        size_t off = (size_t)h * N * d_k;
        if (dq) // dq += ds k
            sgemm(CblasNoTrans, CblasNoTrans, N, d_k, N, 1.0f, dsh, N, k + off, d_k, 1.0f, dq + off,
                  d_k);
        if (dk) // dk += ds^T q
            sgemm(CblasTrans, CblasNoTrans, N, d_k, N, 1.0f, dsh, N, q + off, d_k, 1.0f, dk + off,
                  d_k);
    }
}

SF_VECTOR_CLONES
static void softmax_row_backward(float *restrict dx, const float *restrict y,
                                 const float *restrict dy, float dot, int C)
{
    for (int k = 0; k < C; k++)
        dx[k] += y[k] * (dy[k] - dot);
}

void fast_softmax_rows_backward(float *dx, const float *y, const float *dy, long R, int C)
{
    for (long r = 0; r < R; r++) {
        float dot = cblas_sdot(C, dy + r * C, 1, y + r * C, 1);
        softmax_row_backward(dx + r * C, y + r * C, dy + r * C, dot, C);
    }
}

void fast_attn_mix_backward(float *da, float *dv, const float *a, const float *v, const float *dy,
                            int H, int N, int d_v)
{
    for (int h = 0; h < H; h++) {
        const float *ah = a + (size_t)h * N * N;
        size_t off = (size_t)h * N * d_v;
        if (da) // dalpha += dy v^T
            sgemm(CblasNoTrans, CblasTrans, N, N, d_v, 1.0f, dy + off, d_v, v + off, d_v, 1.0f,
                  da + (size_t)h * N * N, N);
        if (dv) // dv += alpha^T dy
            sgemm(CblasTrans, CblasNoTrans, N, d_v, N, 1.0f, ah, N, dy + off, d_v, 1.0f, dv + off,
                  d_v);
    }
}

SF_VECTOR_CLONES
void fast_relu_backward(float *restrict dx, const float *restrict x, const float *restrict dy,
                        long n)
{
    for (long i = 0; i < n; i++) {
        float g = dy[i]; // read on every path, so the select vectorises
        dx[i] += x[i] > 0.0f ? g : 0.0f;
    }
}

// With s = 1 / (1 + e^(-2u)) (so tanh u = 2s - 1):
// GELU'(x) = s + x * 2 s (1 - s) * du/dx.
SF_VECTOR_CLONES
void fast_gelu_backward(float *restrict dx, const float *restrict x, const float *restrict dy,
                        long n)
{
    const float k = 0.7978845608028654f; // sqrt(2/pi)
    for (long i = 0; i < n; i++) {
        float v = x[i];
        float u = k * (v + 0.044715f * v * v * v);
        float s = 1.0f / (1.0f + exp_approx(-2.0f * u));
        float du = k * (1.0f + 3.0f * 0.044715f * v * v);
        dx[i] += dy[i] * (s + v * 2.0f * s * (1.0f - s) * du);
    }
}

void fast_unembed_backward(float *dh, float *dE, const float *h, const float *E, const float *du,
                           int N, int d, int V)
{
    if (dh) // dh (N, d) += du (N, V) E (V, d)
        sgemm(CblasNoTrans, CblasNoTrans, N, d, V, 1.0f, du, V, E, d, 1.0f, dh, d);
    if (dE) // dE (V, d) += du^T h
        sgemm(CblasTrans, CblasNoTrans, V, d, N, 1.0f, du, V, h, d, 1.0f, dE, d);
}

SF_VECTOR_CLONES
void fast_adamw(float *restrict p, float *restrict m, float *restrict v, float *restrict delta,
                const float *restrict g, long n, float lr, float b1, float b2, float eps, float wd,
                double bc1, double bc2)
{
    float step = (float)(lr / bc1), inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2)), keep = 1.0f - lr * wd;
    for (long i = 0; i < n; i++) {
        float before = p[i];
        float mi = b1 * m[i] + (1.0f - b1) * g[i];
        float vi = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        float after = before * keep - step * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps);
        p[i] = after;
        if (delta)
            delta[i] = after - before;
    }
}
