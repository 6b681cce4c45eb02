// Reference kernels: the obvious loops, written to read like the textbook's equations. They
// are the teaching text and the oracle the fast twins (ops_blas.c) are tested against.
#include "ops_ref.h"

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

void ref_add_rows(float *y, const float *x, const float *pos, int N, int d, int T)
{
    // x_i + P[i], with i counted from the start of the token's sequence
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++)
            y[(size_t)i * d + c] = x[(size_t)i * d + c] + pos[(size_t)(i % T) * d + c];
}

void ref_add_sinusoidal(float *y, const float *x, int N, int d, int T)
{
    // PE[i][2j] = sin(i / 10000^(2j/d)), PE[i][2j+1] = cos(i / 10000^(2j/d))
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++) {
            int j2 = c - c % 2;
            double angle = (i % T) / pow(10000.0, (double)j2 / d);
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
                      int dk, int T)
{
    // Head h uses the columns h*dk .. h*dk + dk - 1 of W: q_i^h = x_i W^{Qh} + b^h.
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int c = 0; c < dk; c++) {
                int col = h * dk + c;
                float sum = b ? b[col] : 0.0f;
                for (int k = 0; k < d; k++)
                    sum += x[(size_t)i * d + k] * W[(size_t)k * H * dk + col];
                y[SF_HEAD_ROW(i, h, H, T) * dk + c] = sum;
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
    // M_ij = -inf where j > i (a later token), else 0.
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

void ref_concat_heads(float *y, const float *x, int H, int N, int dv, int T)
{
    // [head_1 | head_2 | ... | head_H] for each token
    for (int i = 0; i < N; i++)
        for (int h = 0; h < H; h++)
            for (int c = 0; c < dv; c++)
                y[(size_t)i * H * dv + h * dv + c] = x[SF_HEAD_ROW(i, h, H, T) * dv + c];
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

// ---- Backward loops: each adds the gradient of its inputs (the chain rule, one op at a time).

void ref_embed_tok_backward(float *dE, const float *dx, const int *ids, int N, int d)
{
    // x_i = E[id_i], so dL/dE[id_i] collects dL/dx_i (a word used twice gets both).
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++)
            dE[(size_t)ids[i] * d + c] += dx[(size_t)i * d + c];
}

void ref_axpy(float *dx, float c, const float *dy, long n)
{
    for (long i = 0; i < n; i++)
        dx[i] += c * dy[i];
}

void ref_ln_affine_backward(float *dxhat, float *dg, float *db, const float *xhat, const float *g,
                            const float *dy, int N, int d)
{
    // y = gamma * xhat + beta
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++) {
            size_t at = (size_t)i * d + c;
            if (dxhat)
                dxhat[at] += dy[at] * g[c];
            if (dg)
                dg[c] += dy[at] * xhat[at];
            if (db)
                db[c] += dy[at];
        }
}

void ref_ln_norm_backward(float *dx, float *dstats, const float *x, const float *stats,
                          const float *dxhat, int N, int d)
{
    // xhat = (x - mu) / sigma: d/dx = 1/sigma, d/dmu = -1/sigma, d/dsigma = -(x - mu)/sigma^2
    for (int i = 0; i < N; i++) {
        double mu = stats[2 * i], sigma = stats[2 * i + 1], dmu = 0, dsigma = 0;
        for (int c = 0; c < d; c++) {
            size_t at = (size_t)i * d + c;
            if (dx)
                dx[at] += (float)(dxhat[at] / sigma);
            dmu -= dxhat[at] / sigma;
            dsigma -= dxhat[at] * (x[at] - mu) / (sigma * sigma);
        }
        if (dstats) {
            dstats[2 * i] += (float)dmu;
            dstats[2 * i + 1] += (float)dsigma;
        }
    }
}

void ref_ln_stats_backward(float *dx, const float *x, const float *stats, const float *dstats,
                           int N, int d)
{
    // mu = (1/d) sum x_c: dmu/dx_c = 1/d.
    // sigma = sqrt((1/d) sum (x_c - mu)^2 + eps): dsigma/dx_c = (x_c - mu) / (d sigma)
    // (the terms through mu sum to zero).
    for (int i = 0; i < N; i++) {
        double mu = stats[2 * i], sigma = stats[2 * i + 1];
        for (int c = 0; c < d; c++) {
            size_t at = (size_t)i * d + c;
            dx[at] += (float)(dstats[2 * i] / d + dstats[2 * i + 1] * (x[at] - mu) / (d * sigma));
        }
    }
}

void ref_linear_backward(float *dx, float *dW, float *db, const float *x, const float *W,
                         const float *dy, int N, int din, int dout)
{
    // y_io = sum_k x_ik W_ko + b_o
    for (int i = 0; i < N; i++)
        for (int o = 0; o < dout; o++) {
            float g = dy[(size_t)i * dout + o];
            if (db)
                db[o] += g;
            for (int k = 0; k < din; k++) {
                if (dx)
                    dx[(size_t)i * din + k] += g * W[(size_t)k * dout + o];
                if (dW)
                    dW[(size_t)k * dout + o] += x[(size_t)i * din + k] * g;
            }
        }
}

void ref_linear_heads_backward(float *dx, float *dW, float *db, const float *x, const float *W,
                               const float *dy, int N, int d, int H, int dk, int T)
{
    // y[h][i][c] = sum_k x_ik W_k,(h dk + c) + b_(h dk + c)
    int width = H * dk;
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int c = 0; c < dk; c++) {
                int col = h * dk + c;
                float g = dy[SF_HEAD_ROW(i, h, H, T) * dk + c];
                if (db)
                    db[col] += g;
                for (int k = 0; k < d; k++) {
                    if (dx)
                        dx[(size_t)i * d + k] += g * W[(size_t)k * width + col];
                    if (dW)
                        dW[(size_t)k * width + col] += x[(size_t)i * d + k] * g;
                }
            }
}

void ref_attn_scores_backward(float *dq, float *dk, const float *q, const float *k, const float *ds,
                              int H, int N, int d_k)
{
    // s_ij = q_i . k_j
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                float g = ds[((size_t)h * N + i) * N + j];
                for (int c = 0; c < d_k; c++) {
                    if (dq)
                        dq[((size_t)h * N + i) * d_k + c] += g * k[((size_t)h * N + j) * d_k + c];
                    if (dk)
                        dk[((size_t)h * N + j) * d_k + c] += g * q[((size_t)h * N + i) * d_k + c];
                }
            }
}

void ref_causal_mask_backward(float *dx, const float *dy, int H, int N)
{
    // y_ij = x_ij + M_ij: dy passes where j <= i; the masked entries get nothing.
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j <= i; j++)
                dx[((size_t)h * N + i) * N + j] += dy[((size_t)h * N + i) * N + j];
}

void ref_embed_pos_backward(float *dP, const float *dy, int N, int d, int T)
{
    // x_i + P[i mod T]: every sequence's token at position p adds to row p.
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++)
            dP[(size_t)(i % T) * d + c] += dy[(size_t)i * d + c];
}

void ref_softmax_rows_backward(float *dx, const float *y, const float *dy, long R, int C)
{
    // dy_j/dx_k = y_j (delta_jk - y_k), so dx_k = y_k (dy_k - sum_j dy_j y_j)
    for (long r = 0; r < R; r++) {
        const float *yr = y + r * C, *gr = dy + r * C;
        double dot = 0;
        for (int j = 0; j < C; j++)
            dot += (double)gr[j] * yr[j];
        for (int k = 0; k < C; k++)
            dx[r * C + k] += (float)(yr[k] * (gr[k] - dot));
    }
}

void ref_attn_mix_backward(float *da, float *dv, const float *a, const float *v, const float *dy,
                           int H, int N, int d_v)
{
    // y_ic = sum_j a_ij v_jc
    for (int h = 0; h < H; h++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                for (int c = 0; c < d_v; c++) {
                    float g = dy[((size_t)h * N + i) * d_v + c];
                    if (da)
                        da[((size_t)h * N + i) * N + j] += g * v[((size_t)h * N + j) * d_v + c];
                    if (dv)
                        dv[((size_t)h * N + j) * d_v + c] += g * a[((size_t)h * N + i) * N + j];
                }
}

void ref_concat_heads_backward(float *dx, const float *dy, int H, int N, int dv, int T)
{
    for (int i = 0; i < N; i++)
        for (int h = 0; h < H; h++)
            for (int c = 0; c < dv; c++)
                dx[SF_HEAD_ROW(i, h, H, T) * dv + c] += dy[(size_t)i * H * dv + h * dv + c];
}

void ref_relu_backward(float *dx, const float *x, const float *dy, long n)
{
    for (long i = 0; i < n; i++)
        dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
}

void ref_gelu_backward(float *dx, const float *x, const float *dy, long n)
{
    // d/dx 0.5 x (1 + tanh u) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) du/dx,
    // u = sqrt(2/pi) (x + 0.044715 x^3), du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
    for (long i = 0; i < n; i++) {
        double v = x[i], k = sqrt(2.0 / SF_PI);
        double t = tanh(k * (v + 0.044715 * v * v * v));
        double grad =
            0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * v * v);
        dx[i] += (float)(dy[i] * grad);
    }
}

void ref_unembed_backward(float *dh, float *dE, const float *h, const float *E, const float *du,
                          int N, int d, int V)
{
    // u_iw = h_i . E_w
    for (int i = 0; i < N; i++)
        for (int w = 0; w < V; w++) {
            float g = du[(size_t)i * V + w];
            for (int c = 0; c < d; c++) {
                if (dh)
                    dh[(size_t)i * d + c] += g * E[(size_t)w * d + c];
                if (dE)
                    dE[(size_t)w * d + c] += g * h[(size_t)i * d + c];
            }
        }
}

void ref_xent(float *loss, const float *probs, const int *targets, int N, int V)
{
    // L_i = -ln p_i[target_i]
    for (int i = 0; i < N; i++)
        loss[i] = (float)-log((double)probs[(size_t)i * V + targets[i]]);
}

void ref_xent_backward(float *dprobs, const float *probs, const int *targets, int N, int V,
                       float scale)
{
    // d(-ln p)/dp = -1/p, at the target only
    for (int i = 0; i < N; i++) {
        size_t at = (size_t)i * V + targets[i];
        dprobs[at] += -scale / probs[at];
    }
}

void ref_adamw(float *p, float *m, float *v, float *delta, const float *g, long n, float lr,
               float b1, float b2, float eps, float wd, double bc1, double bc2)
{
    // torch.optim.AdamW: decay first, then the bias-corrected Adam step.
    for (long i = 0; i < n; i++) {
        float before = p[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        float decayed = p[i] * (1.0f - lr * wd);
        float denom = (float)(sqrt((double)v[i]) / sqrt(bc2)) + eps;
        p[i] = decayed - (float)(lr / bc1) * m[i] / denom;
        if (delta)
            delta[i] = p[i] - before;
    }
}
