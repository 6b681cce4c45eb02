// An independent float64 forward pass for the tests: per-token loops over J&M ch. 9 (9.1, 9.2).
#include "reference_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/err.h"

#define REF_SQRT_2_OVER_PI 0.79788456080286535588

// Element count of t; 0 when absent.
static size_t ref_numel(const struct tensor *t)
{
    if (!t->data || t->ndim < 1)
        return 0;
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= (size_t)t->shape[i];
    return n;
}

// Entry idx of a bias or beta widened to double; an absent one reads as 0.
static double ref_at(const struct tensor *t, size_t idx)
{
    return t->data ? (double)t->data[idx] : 0.0;
}

// A tensor that must be present with n elements.
static int ref_need(const struct tensor *t, size_t n)
{
    return ref_numel(t) == n ? SF_OK : SF_ERR_ARG;
}

// A bias or beta: present with n elements when the model has biases, else may be absent.
static int ref_opt(const struct tensor *t, size_t n, int required)
{
    if (!t->data)
        return required ? SF_ERR_ARG : SF_OK;
    return ref_need(t, n);
}

// A table of rows of width d with at least rows rows (E, P and U).
static int ref_table(const struct tensor *t, int rows, int d)
{
    if (!t->data || t->ndim != 2 || t->shape[0] < rows || t->shape[1] != d)
        return SF_ERR_ARG;
    return SF_OK;
}

static int ref_check(const struct model *m, int n)
{
    const struct model_config *c = &m->cfg;
    size_t d = (size_t)c->d_model, F = (size_t)c->d_ff;
    int b = c->bias, rc;
    if (c->n_layer < 1 || c->n_head < 1 || c->d_model < 1 || c->d_model % c->n_head != 0 ||
        c->d_ff < 1 || c->vocab_size < 1 || !m->layers)
        return SF_ERR_ARG;
    if ((rc = ref_table(&m->wte, c->vocab_size, c->d_model)))
        return rc;
    if (c->pos == POS_LEARNED && (rc = ref_table(&m->wpe, n, c->d_model)))
        return rc;
    if (!c->tied && (rc = ref_table(&m->wout, c->vocab_size, c->d_model)))
        return rc;
    if (c->final_norm && ((rc = ref_need(&m->lnf_g, d)) || (rc = ref_opt(&m->lnf_b, d, b))))
        return rc;
    for (int l = 0; l < c->n_layer; l++) {
        const struct layer_params *p = &m->layers[l];
        if ((rc = ref_need(&p->ln1_g, d)) || (rc = ref_opt(&p->ln1_b, d, b)) ||
            (rc = ref_need(&p->wq, d * d)) || (rc = ref_opt(&p->bq, d, b)) ||
            (rc = ref_need(&p->wk, d * d)) || (rc = ref_opt(&p->bk, d, b)) ||
            (rc = ref_need(&p->wv, d * d)) || (rc = ref_opt(&p->bv, d, b)) ||
            (rc = ref_need(&p->wo, d * d)) || (rc = ref_opt(&p->bo, d, b)) ||
            (rc = ref_need(&p->ln2_g, d)) || (rc = ref_opt(&p->ln2_b, d, b)) ||
            (rc = ref_need(&p->w1, d * F)) || (rc = ref_opt(&p->b1, F, b)) ||
            (rc = ref_need(&p->w2, F * d)) || (rc = ref_opt(&p->b2, d, b)))
            return rc;
    }
    return SF_OK;
}

// y (nc) = x (din) W[:, c0 .. c0+nc) + b[c0 .. c0+nc): one row vector times a column block of
// W (din, dout), row-major; b (dout) or absent. y must not alias x.
static void ref_row_times(double *y, const double *x, const struct tensor *W,
                          const struct tensor *b, int din, int dout, int c0, int nc)
{
    for (int c = 0; c < nc; c++) {
        double s = ref_at(b, (size_t)(c0 + c));
        for (int r = 0; r < din; r++)
            s += x[r] * (double)W->data[(size_t)r * (size_t)dout + (size_t)(c0 + c)];
        y[c] = s;
    }
}

// LayerNorm of one token: mu = mean_j x_j, sigma = sqrt(mean_j (x_j - mu)^2 + eps),
// y_j = gamma_j (x_j - mu) / sigma + beta_j. stats (2) gets mu, sigma if not NULL.
// y may alias x.
static void ref_layernorm(double *y, double *stats, const double *x, int d,
                          const struct tensor *gamma, const struct tensor *beta, double eps)
{
    double mu = 0.0, var = 0.0;
    for (int j = 0; j < d; j++)
        mu += x[j];
    mu /= d;
    for (int j = 0; j < d; j++)
        var += (x[j] - mu) * (x[j] - mu);
    var /= d;
    double sigma = sqrt(var + eps);
    for (int j = 0; j < d; j++)
        y[j] = (double)gamma->data[j] * (x[j] - mu) / sigma + ref_at(beta, (size_t)j);
    if (stats) {
        stats[0] = mu;
        stats[1] = sigma;
    }
}

static double ref_act(enum act_kind act, double z)
{
    if (act == ACT_RELU)
        return z > 0.0 ? z : 0.0;
    // GPT-2's GELU, tanh form: 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))
    return 0.5 * z * (1.0 + tanh(REF_SQRT_2_OVER_PI * (z + 0.044715 * z * z * z)));
}

// Copies a vector into an optional trace array at the given offset.
static void ref_put(double *dst, size_t at, const double *src, int n)
{
    if (dst)
        memcpy(dst + at, src, (size_t)n * sizeof *src);
}

// One pass: the model, its sizes, the trace, the key/value caches and scratch vectors.
struct ref_run {
    const struct model *m;
    struct reference_trace *tr;
    int L, H, d, dk, F, V, n;
    double eps;
    double *kc, *vc; // (L, H, n, dk) keys and values of the positions seen so far
    double *t1;      // (d) the sublayers' input (LN1(x) pre-norm, x post-norm)
    double *q;       // (d) q_i for all heads, head c in columns c*dk ..
    double *score;   // (n) one head's scores, then its alpha
    double *heads;   // (d) concat of head_i^c
    double *a;       // (d) attention output
    double *t3, *t4; // (d) x + a, and the FFN input
    double *hid, *f; // (F) FFN hidden layer, (d) FFN output
    double *buf;     // the one allocation behind all of the above
};

// Multi-head causal self-attention for position i in block l (9.2):
// q_i^c = t1 W^{Qc} + b, k_i^c, v_i^c likewise (stored in the caches),
// score_ij = q_i^c . k_j^c / sqrt(dk) for j <= i, alpha_ij = softmax_j(score_ij),
// head_i^c = sum_j alpha_ij v_j^c, a_i = concat_c(head_i^c) W^O + b^O.
static void ref_attention(struct ref_run *r, int l, int i)
{
    const struct layer_params *p = &r->m->layers[l];
    struct reference_trace *tr = r->tr;
    int d = r->d, dk = r->dk, n = r->n;
    for (int c = 0; c < r->H; c++) {
        size_t row_i = ((size_t)(l * r->H + c) * (size_t)n + (size_t)i) * (size_t)dk;
        double *qc = r->q + (size_t)c * (size_t)dk;
        ref_row_times(qc, r->t1, &p->wq, &p->bq, d, d, c * dk, dk);
        ref_row_times(r->kc + row_i, r->t1, &p->wk, &p->bk, d, d, c * dk, dk);
        ref_row_times(r->vc + row_i, r->t1, &p->wv, &p->bv, d, d, c * dk, dk);
        ref_put(tr->q, row_i, qc, dk);
        ref_put(tr->k, row_i, r->kc + row_i, dk);
        ref_put(tr->v, row_i, r->vc + row_i, dk);

        size_t row_0 = (size_t)(l * r->H + c) * (size_t)n * (size_t)dk; // k_0^c, v_0^c
        double mx = -HUGE_VAL;
        for (int j = 0; j <= i; j++) {
            const double *kj = r->kc + row_0 + (size_t)j * (size_t)dk;
            double s = 0.0;
            for (int e = 0; e < dk; e++)
                s += qc[e] * kj[e];
            r->score[j] = s / sqrt((double)dk);
            if (r->score[j] > mx)
                mx = r->score[j];
        }
        double sum = 0.0;
        for (int j = 0; j <= i; j++) {
            r->score[j] = exp(r->score[j] - mx);
            sum += r->score[j];
        }
        double *head = r->heads + (size_t)c * (size_t)dk;
        for (int e = 0; e < dk; e++)
            head[e] = 0.0;
        for (int j = 0; j <= i; j++) {
            double alpha = r->score[j] / sum;
            const double *vj = r->vc + row_0 + (size_t)j * (size_t)dk;
            for (int e = 0; e < dk; e++)
                head[e] += alpha * vj[e];
            r->score[j] = alpha;
        }
        if (tr->attn) {
            double *arow = tr->attn + ((size_t)(l * r->H + c) * (size_t)n + (size_t)i) * (size_t)n;
            for (int j = 0; j < n; j++)
                arow[j] = j <= i ? r->score[j] : 0.0; // the future gets exactly 0
        }
    }
    ref_row_times(r->a, r->heads, &p->wo, &p->bo, d, d, 0, d);
}

// Feedforward layer for one token (9.2): f = act(t4 W1 + b1) W2 + b2.
static void ref_ffn(struct ref_run *r, int l, size_t at_f)
{
    const struct layer_params *p = &r->m->layers[l];
    ref_row_times(r->hid, r->t4, &p->w1, &p->b1, r->d, r->F, 0, r->F);
    for (int e = 0; e < r->F; e++)
        r->hid[e] = ref_act(r->m->cfg.act, r->hid[e]);
    ref_put(r->tr->ffn_act, at_f, r->hid, r->F);
    ref_row_times(r->f, r->hid, &p->w2, &p->b2, r->F, r->d, 0, r->d);
}

// Block l for position i; x (d) is the block's input on entry and its output on return.
static void ref_block(struct ref_run *r, int l, int i, double *x)
{
    const struct layer_params *p = &r->m->layers[l];
    struct reference_trace *tr = r->tr;
    int d = r->d;
    size_t at = ((size_t)l * (size_t)r->n + (size_t)i) * (size_t)d;      // in (L, N, d)
    size_t at_s = ((size_t)l * (size_t)r->n + (size_t)i) * 2;            // in (L, N, 2)
    size_t at_f = ((size_t)l * (size_t)r->n + (size_t)i) * (size_t)r->F; // in (L, N, F)
    double *s1 = tr->ln1_stats ? tr->ln1_stats + at_s : NULL;
    double *s2 = tr->ln2_stats ? tr->ln2_stats + at_s : NULL;

    if (r->m->cfg.norm == NORM_PRE) {
        // t1 = LN1(x); t3 = x + attn(t1); t4 = LN2(t3); x = t3 + FFN(t4)
        ref_layernorm(r->t1, s1, x, d, &p->ln1_g, &p->ln1_b, r->eps);
        ref_attention(r, l, i);
        for (int e = 0; e < d; e++)
            r->t3[e] = x[e] + r->a[e];
        ref_layernorm(r->t4, s2, r->t3, d, &p->ln2_g, &p->ln2_b, r->eps);
        ref_ffn(r, l, at_f);
        for (int e = 0; e < d; e++)
            x[e] = r->t3[e] + r->f[e];
        ref_put(tr->resid2, at, x, d);
    } else {
        // t3 = x + attn(x); t4 = LN1(t3); x = LN2(t4 + FFN(t4))
        memcpy(r->t1, x, (size_t)d * sizeof *x);
        ref_attention(r, l, i);
        for (int e = 0; e < d; e++)
            r->t3[e] = x[e] + r->a[e];
        ref_layernorm(r->t4, s1, r->t3, d, &p->ln1_g, &p->ln1_b, r->eps);
        ref_ffn(r, l, at_f);
        for (int e = 0; e < d; e++)
            x[e] = r->t4[e] + r->f[e];
        ref_put(tr->resid2, at, x, d);
        ref_layernorm(x, s2, x, d, &p->ln2_g, &p->ln2_b, r->eps);
    }
    ref_put(tr->attn_out, at, r->a, d);
    ref_put(tr->resid1, at, r->t3, d);
    ref_put(tr->ffn_out, at, r->f, d);
    ref_put(tr->block_out, at, x, d);
}

// Carves n doubles off *p.
static double *ref_take(double **p, size_t n)
{
    double *at = *p;
    *p += n;
    return at;
}

// x_i = E[id_i] + position i (learned P[i], sinusoidal PE(i), or nothing).
static void ref_embed(const struct ref_run *r, double *x, int id, int i)
{
    const struct model *m = r->m;
    int d = r->d;
    for (int e = 0; e < d; e++) {
        double pos = 0.0;
        if (m->cfg.pos == POS_LEARNED) {
            pos = (double)m->wpe.data[(size_t)i * (size_t)d + (size_t)e];
        } else if (m->cfg.pos == POS_SINUSOIDAL) {
            // PE[i][2j] = sin(i / 10000^(2j/d)), PE[i][2j+1] = cos(i / 10000^(2j/d))
            double angle = (double)i / pow(10000.0, (double)(2 * (e / 2)) / (double)d);
            pos = (e % 2 == 0) ? sin(angle) : cos(angle);
        }
        x[e] = (double)m->wte.data[(size_t)id * (size_t)d + (size_t)e] + pos;
    }
}

// u_i[w] = h_i . U[w] for w < V, U = E (tied) or wout; probs = softmax(u_i).
static void ref_head(const struct ref_run *r, int i, const double *h)
{
    const struct tensor *U = r->m->cfg.tied ? &r->m->wte : &r->m->wout;
    struct reference_trace *tr = r->tr;
    size_t at = (size_t)i * (size_t)r->V;
    double mx = -HUGE_VAL;
    for (int w = 0; w < r->V; w++) {
        double u = 0.0;
        for (int e = 0; e < r->d; e++)
            u += h[e] * (double)U->data[(size_t)w * (size_t)r->d + (size_t)e];
        if (tr->logits)
            tr->logits[at + (size_t)w] = u;
        if (tr->probs)
            tr->probs[at + (size_t)w] = u;
        if (u > mx)
            mx = u;
    }
    if (!tr->probs)
        return;
    double sum = 0.0;
    for (int w = 0; w < r->V; w++) {
        tr->probs[at + (size_t)w] = exp(tr->probs[at + (size_t)w] - mx);
        sum += tr->probs[at + (size_t)w];
    }
    for (int w = 0; w < r->V; w++)
        tr->probs[at + (size_t)w] /= sum;
}

int reference_forward_trace(const struct model *m, const int *ids, int n,
                            struct reference_trace *tr)
{
    if (n < 1)
        return SF_ERR_EMPTY;
    if (n > m->cfg.n_ctx)
        return SF_ERR_TOOLONG;
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= m->cfg.vocab_size)
            return SF_ERR_RANGE;
    int rc = ref_check(m, n);
    if (rc)
        return rc;

    struct ref_run r = {0};
    r.m = m;
    r.tr = tr;
    r.L = m->cfg.n_layer;
    r.H = m->cfg.n_head;
    r.d = m->cfg.d_model;
    r.dk = r.d / r.H;
    r.F = m->cfg.d_ff;
    r.V = m->cfg.vocab_size;
    r.n = n;
    r.eps = (double)m->cfg.ln_eps;
    size_t d = (size_t)r.d, F = (size_t)r.F;
    size_t cache = (size_t)r.L * (size_t)n * d;                           // L * H * n * dk
    r.buf = malloc((2 * cache + 8 * d + (size_t)n + F) * sizeof(double)); // what ref_take carves
    if (!r.buf)
        return SF_ERR_NOMEM;
    double *p = r.buf;
    r.kc = ref_take(&p, cache);
    r.vc = ref_take(&p, cache);
    r.t1 = ref_take(&p, d);
    r.q = ref_take(&p, d);
    r.heads = ref_take(&p, d);
    r.a = ref_take(&p, d);
    r.t3 = ref_take(&p, d);
    r.t4 = ref_take(&p, d);
    r.f = ref_take(&p, d);
    r.score = ref_take(&p, (size_t)n);
    r.hid = ref_take(&p, F);
    double *x = ref_take(&p, d); // (d) the token's residual stream

    // Token by token, each through the whole stack: position i only ever reads the keys and
    // values of positions j <= i, which the caches already hold.
    for (int i = 0; i < n; i++) {
        ref_embed(&r, x, ids[i], i);
        ref_put(tr->x0, (size_t)i * d, x, r.d);
        for (int l = 0; l < r.L; l++)
            ref_block(&r, l, i, x);
        if (m->cfg.final_norm)
            ref_layernorm(x, tr->lnf_stats ? tr->lnf_stats + (size_t)i * 2 : NULL, x, r.d,
                          &m->lnf_g, &m->lnf_b, r.eps);
        ref_put(tr->h, (size_t)i * d, x, r.d);
        ref_head(&r, i, x);
    }
    free(r.buf);
    return SF_OK;
}

int reference_forward(const struct model *m, const int *ids, int n, double *logits, double *attn)
{
    struct reference_trace tr;
    memset(&tr, 0, sizeof tr);
    tr.logits = logits;
    tr.attn = attn;
    return reference_forward_trace(m, ids, n, &tr);
}
