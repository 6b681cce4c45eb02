// Reference kernels: the obvious loops, written to read like the textbook's equations. They
// are the teaching text and the oracle the fast twins (ops_blas.c) are tested against.
#include "ops_impl.h"

#include <math.h>
#include <stddef.h>

#define SF_PI 3.14159265358979323846

void ref_embed_tok(float *x, const float *E, const int *ids, int N, int d)
{
    // x_i = E[id_i]: the same as multiplying a one-hot row vector by E.
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++)
            x[(size_t)i * d + c] = E[(size_t)ids[i] * d + c];
}

void ref_add_rows(float *y, const float *x, const float *pos, int N, int d)
{
    // x_i + P[i]
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++)
            y[(size_t)i * d + c] = x[(size_t)i * d + c] + pos[(size_t)i * d + c];
}

void ref_add_sinusoidal(float *y, const float *x, int N, int d)
{
    // PE[i][2j] = sin(i / 10000^(2j/d)), PE[i][2j+1] = cos(i / 10000^(2j/d))
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++) {
            int j2 = c - c % 2;
            double angle = i / pow(10000.0, (double)j2 / d);
            double pe = c % 2 == 0 ? sin(angle) : cos(angle);
            y[(size_t)i * d + c] = (float)(x[(size_t)i * d + c] + pe);
        }
}

void ref_ln_stats(float *stats, const float *x, int N, int d, float eps)
{
    // mu = (1/d) sum_c x_c ; sigma = sqrt((1/d) sum_c (x_c - mu)^2 + eps)
    for (int i = 0; i < N; i++) {
        const float *row = x + (size_t)i * d;
        double mu = 0;
        for (int c = 0; c < d; c++)
            mu += row[c];
        mu /= d;
        double var = 0;
        for (int c = 0; c < d; c++)
            var += (row[c] - mu) * (row[c] - mu);
        var /= d;
        stats[2 * i] = (float)mu;
        stats[2 * i + 1] = (float)sqrt(var + eps);
    }
}

void ref_ln_norm(float *xhat, const float *x, const float *stats, int N, int d)
{
    // x-hat = (x - mu) / sigma
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++)
            xhat[(size_t)i * d + c] = (x[(size_t)i * d + c] - stats[2 * i]) / stats[2 * i + 1];
}

void ref_ln_affine(float *y, const float *xhat, const float *g, const float *b, int N, int d)
{
    // y = gamma * x-hat + beta
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++)
            y[(size_t)i * d + c] = g[c] * xhat[(size_t)i * d + c] + (b ? b[c] : 0.0f);
}

void ref_linear(float *y, const float *x, const float *W, const float *b, int N, int din, int dout)
{
    // y_i = x_i W + b: each output is a dot product of a row of x and a column of W.
    for (int i = 0; i < N; i++)
        for (int o = 0; o < dout; o++) {
            float sum = b ? b[o] : 0.0f;
            for (int k = 0; k < din; k++)
                sum += x[(size_t)i * din + k] * W[(size_t)k * dout + o];
            y[(size_t)i * dout + o] = sum;
        }
}

void ref_linear_heads(float *y, const float *x, const float *W, const float *b, int N, int d, int H,
                      int dk)
{
    // Head h uses the columns h*dk .. h*dk + dk - 1 of W: q_i^h = x_i W^{Qh} + b^h.
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int c = 0; c < dk; c++) {
                int col = h * dk + c;
                float sum = b ? b[col] : 0.0f;
                for (int k = 0; k < d; k++)
                    sum += x[(size_t)i * d + k] * W[(size_t)k * H * dk + col];
                y[((size_t)h * N + i) * dk + c] = sum;
            }
}

void ref_attn_scores(float *s, const float *q, const float *k, int H, int N, int dk)
{
    // score(i, j) = q_i . k_j, for every pair; the mask comes later.
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                float dot = 0.0f;
                for (int c = 0; c < dk; c++)
                    dot += q[((size_t)h * N + i) * dk + c] * k[((size_t)h * N + j) * dk + c];
                s[((size_t)h * N + i) * N + j] = dot;
            }
}

void ref_scale(float *y, const float *x, float c, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = x[i] * c;
}

void ref_causal_mask(float *y, const float *x, int H, int N)
{
    // M_ij = -inf where j > i (a later token), 0 elsewhere.
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                size_t at = ((size_t)h * N + i) * N + j;
                y[at] = j > i ? x[at] + -INFINITY : x[at];
            }
}

void ref_softmax_rows(float *y, const float *x, long R, int C)
{
    // softmax(z)_j = exp(z_j - max) / sum_k exp(z_k - max); exp(-inf) = 0.
    for (long r = 0; r < R; r++) {
        const float *in = x + r * C;
        float *out = y + r * C;
        float max = -INFINITY;
        for (int j = 0; j < C; j++)
            if (in[j] > max)
                max = in[j];
        if (max == -INFINITY) { // nothing to attend to: all weights 0
            for (int j = 0; j < C; j++)
                out[j] = 0.0f;
            continue;
        }
        double sum = 0;
        for (int j = 0; j < C; j++)
            sum += exp((double)in[j] - max);
        for (int j = 0; j < C; j++)
            out[j] = (float)(exp((double)in[j] - max) / sum);
    }
}

void ref_attn_mix(float *y, const float *a, const float *v, int H, int N, int dv)
{
    // head_i = sum_j alpha_ij v_j
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int c = 0; c < dv; c++) {
                float sum = 0.0f;
                for (int j = 0; j < N; j++)
                    sum += a[((size_t)h * N + i) * N + j] * v[((size_t)h * N + j) * dv + c];
                y[((size_t)h * N + i) * dv + c] = sum;
            }
}

void ref_concat_heads(float *y, const float *x, int H, int N, int dv)
{
    // [head_1 | head_2 | ... | head_H] for each token
    for (int i = 0; i < N; i++)
        for (int h = 0; h < H; h++)
            for (int c = 0; c < dv; c++)
                y[(size_t)i * H * dv + h * dv + c] = x[((size_t)h * N + i) * dv + c];
}

void ref_add(float *y, const float *a, const float *b, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

void ref_relu(float *y, const float *x, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void ref_gelu(float *y, const float *x, long n)
{
    // GELU(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    for (long i = 0; i < n; i++) {
        double v = x[i];
        y[i] = (float)(0.5 * v * (1.0 + tanh(sqrt(2.0 / SF_PI) * (v + 0.044715 * v * v * v))));
    }
}

void ref_unembed(float *u, const float *h, const float *E, int N, int d, int V)
{
    // u_i[w] = h_i . E[w]: the score of vocabulary word w at position i (u = h E^T).
    for (int i = 0; i < N; i++)
        for (int w = 0; w < V; w++) {
            float dot = 0.0f;
            for (int c = 0; c < d; c++)
                dot += h[(size_t)i * d + c] * E[(size_t)w * d + c];
            u[(size_t)i * V + w] = dot;
        }
}
