// The equation panel: the op that ran last in the textbook's notation with its live shapes,
// and, with the inspect cursor, how one number of its output was computed.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

int panel_matrix(const struct view *v, const struct node *n, const float **m, int *rows, int *cols)
{
    const struct tensor *t = &n->out;
    if (!t->data || t->ndim < 1)
        return 0;
    if (t->ndim == 1) {
        *m = t->data, *rows = 1, *cols = t->shape[0];
        return 1;
    }
    if (t->ndim == 2) {
        *m = t->data, *rows = t->shape[0], *cols = t->shape[1];
        return 1;
    }
    int head = v->head < 0 ? 0 : v->head; // (H, N, X): the selected head's slice
    if (head >= t->shape[0])
        head = t->shape[0] - 1;
    *rows = t->shape[1], *cols = t->shape[2];
    *m = t->data + (size_t)head * (size_t)*rows * (size_t)*cols;
    return 1;
}

// "x" between the dimensions of a tensor: "[9×64]".
static const char *dims(const struct tensor *t, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = 0;
    if (!t || !tensor_present(t))
        return "[]";
    k += (size_t)text_format(buf + k, size - k, "[");
    for (int i = 0; i < t->ndim && k < size; i++)
        k += (size_t)text_format(buf + k, size - k, i ? "×%d" : "%d", t->shape[i]);
    if (k < size)
        text_format(buf + k, size - k, "]");
    return buf;
}

// The letter of a per-head projection: Q, K or V from the node's name.
static char qkv_letter(const struct node *n)
{
    const char *dot = strrchr(n->name, '.');
    return dot && dot[1] ? (char)(dot[1] - 'a' + 'A') : '?';
}

// Writes the op's equation and its shapes (two lines).
static void equation(const struct view *v, const struct node *n, char *eq, char *shape, size_t size)
{
    const struct graph *gr = v->graph;
    const struct model_config *c = &gr->model->cfg;
    int N = gr->n_tokens, d = c->d_model, H = c->n_head, dk = d / H;
    char a[48], b[48], o[48];
    dims(n->in[0], a, sizeof a);
    dims(n->in[1], b, sizeof b);
    dims(&n->out, o, sizeof o);
    text_format(shape, size, "%s → %s", a, o);
    switch (n->kind) {
    case OPK_EMBED_TOK:
        text_format(eq, size, "x_i = E[id_i]   one row of E per token");
        text_format(shape, size, "E [%d×%d], %d ids → X [%d×%d]", c->vocab_size, d, N, N, d);
        break;
    case OPK_EMBED_POS:
        text_format(eq, size, "%s",
                    gr->iv.no_positions     ? "x_i = x_i   (positions dropped: an intervention)"
                    : c->pos == POS_LEARNED ? "x_i = x_i + P[i]   learned position embeddings"
                                            : "x_i = x_i + PE(i)   sin/cos of i / 10000^(2k/d)");
        text_format(shape, size, "[%d×%d] + [%d×%d] → [%d×%d]", N, d, N, d, N, d);
        break;
    case OPK_LN_STATS:
        text_format(eq, size, "μ_i = (1/d) Σ_k x_ik    σ_i = √((1/d) Σ_k (x_ik − μ_i)² + ε)");
        text_format(shape, size, "%s → %s  (μ, σ per token)   ε = %g", a, o, (double)n->scalar);
        break;
    case OPK_LN_NORM:
        text_format(eq, size, "xhat_i = (x_i − μ_i) / σ_i");
        break;
    case OPK_LN_AFFINE:
        text_format(eq, size, "LayerNorm(x) = γ ⊙ xhat + β   (γ, β learned, [%d] each)", d);
        break;
    case OPK_LINEAR_HEADS: {
        char L = qkv_letter(n);
        text_format(eq, size, "%c = X W^%c + b   for each of the %d heads", L, L, H);
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d] per head;  all heads %s", N, d, d, dk,
                    N, dk, o);
        break;
    }
    case OPK_SCORES:
        text_format(eq, size, "S = Q K^T    s_ij = q_i · k_j");
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d] per head", N, dk, dk, N, N, N);
        break;
    case OPK_SCALE:
        text_format(eq, size, "S / √d_k = S / √%d = S × %.4f", dk, (double)n->scalar);
        break;
    case OPK_MASK:
        text_format(eq, size, "S + M    M_ij = −∞ for j > i (the future), 0 otherwise");
        break;
    case OPK_SOFTMAX:
        if (n->layer >= 0)
            text_format(eq, size, "α_ij = exp(s_ij) / Σ_j' exp(s_ij')   each row sums to 1");
        else
            text_format(eq, size, "y = softmax(u)   P(next token = w) = exp(u_w) / Σ_v exp(u_v)");
        break;
    case OPK_MIX:
        text_format(eq, size, "head_i = Σ_j α_ij v_j   (A = α V)");
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d] per head", N, N, N, dk, N, dk);
        break;
    case OPK_CONCAT:
        text_format(eq, size, "[head_1 ⊕ head_2 ⊕ … ⊕ head_%d]", H);
        text_format(shape, size, "%d × [%d×%d] → [%d×%d]", H, N, dk, N, d);
        break;
    case OPK_LINEAR:
        if (strstr(n->name, ".attn."))
            text_format(eq, size, "A = concat(heads) W^O + b");
        else if (strstr(n->name, ".up"))
            text_format(eq, size, "z = x W1 + b1");
        else
            text_format(eq, size, "FFN(x) = act(z) W2 + b2");
        text_format(shape, size, "%s·%s → %s", a, b, o);
        break;
    case OPK_ADD:
        text_format(eq, size, "h = x + sublayer(x)   the residual stream");
        text_format(shape, size, "%s + %s → %s", a, b, o);
        break;
    case OPK_RELU:
        text_format(eq, size, "ReLU(z) = max(0, z)");
        break;
    case OPK_GELU:
        text_format(eq, size, "GELU(z) = 0.5 z (1 + tanh(√(2/π) (z + 0.044715 z³)))");
        break;
    case OPK_UNEMBED:
        text_format(eq, size, "u = h E^T   a score for every word of the vocabulary");
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d]", N, d, d, c->vocab_size, N,
                    c->vocab_size);
        break;
    case OPK_XENT:
        text_format(eq, size, "L_i = −log y_i[w_i+1]    L = mean over positions = %.4f",
                    (double)gr->loss);
        break;
    case OPK_GRAD:
        text_format(eq, size, "∂L/∂(%s): the chain rule through one op", gr->nodes[n->fwd].name);
        text_format(shape, size, "the gradient has the shape of what the op produced: %s", o);
        break;
    case OPK_ADAMW:
        text_format(shape, size, "the update ΔW has the shape of %s: %s", n->name + 6, o);
        text_format(eq, size,
                    "m ← β1 m + (1−β1) g   v ← β2 v + (1−β2) g²   W ← W − η (mhat/(√vhat+ε) + λW)");
        break;
    case OPK_SAMPLE_TEMPERATURE:
        text_format(eq, size, "u / τ   τ = %.2f (below 1 sharpens, above 1 flattens)",
                    gr->sampler ? (double)gr->sampler->temperature : 1.0);
        break;
    case OPK_SAMPLE_PROBS:
        text_format(eq, size, "p = softmax(u / τ)");
        break;
    case OPK_SAMPLE_TRUNCATE:
        if (gr->sampler)
            text_format(eq, size, "keep the top k = %d, then the fewest with mass ≥ p = %.2f",
                        gr->sampler->top_k, (double)gr->sampler->top_p);
        break;
    case OPK_SAMPLE_RENORM:
        text_format(eq, size, "p_w ← p_w / Σ kept   what is kept sums to 1 again");
        break;
    case OPK_SAMPLE_DRAW:
        text_format(eq, size, "%s",
                    gr->sampler && gr->sampler->greedy ? "w = argmax p   (greedy decoding)"
                                                       : "w ~ p   (a random draw, seeded)");
        break;
    case OPK_SAMPLE_APPEND:
        text_format(eq, size, "ids ← ids + [w]   the chosen token becomes the next input");
        break;
    case OPK_COUNT:
        eq[0] = 0;
        break;
    }
}

// Up to three terms of a dot product and its total: "0.12·-0.40 + … (64 terms) = 1.234".
static void dot_terms(char *buf, size_t size, const float *x, size_t xs, const float *y, size_t ys,
                      int n, double total)
{
    size_t k = 0;
    for (int i = 0; i < n && i < 3 && k < size; i++)
        k += (size_t)text_format(buf + k, size - k, "%s%.2f·%.2f", i ? " + " : "",
                                 (double)x[i * xs], (double)y[i * ys]);
    if (n > 3 && k < size)
        k += (size_t)text_format(buf + k, size - k, " + … (%d terms)", n);
    if (k < size)
        text_format(buf + k, size - k, " = %.4f", total);
}

// How the cell (i, j) of node n's output (the selected head's slice) was computed.
static void inspect(const struct view *v, const struct node *n, int i, int j, char *l1, char *l2,
                    size_t size)
{
    const struct graph *gr = v->graph;
    const struct model_config *c = &gr->model->cfg;
    int N = gr->n_tokens, d = c->d_model, H = c->n_head, dk = d / H, h = v->head < 0 ? 0 : v->head;
    const float *m;
    int rows, cols;
    l2[0] = 0;
    if (!panel_matrix(v, n, &m, &rows, &cols))
        return;
    float val = m[(size_t)i * cols + j];
    text_format(l1, size, "%s[%d, %d] = %.4f", n->name, i, j, (double)val);
    const float *in0 = n->in[0] ? n->in[0]->data : NULL;
    const float *in1 = n->in[1] ? n->in[1]->data : NULL;
    size_t head = (size_t)h * N;
    switch (n->kind) {
    case OPK_SCORES: {
        const float *q = in0 + (head + i) * dk, *k = in1 + (head + j) * dk;
        char t[160];
        dot_terms(t, sizeof t, q, 1, k, 1, dk, val);
        text_format(l2, size, "q_%d · k_%d = %s", i, j, t);
        break;
    }
    case OPK_SCALE:
        text_format(l2, size, "s_%d%d / √d_k = %.4f / √%d = %.4f", i, j,
                    (double)in0[(head + i) * N + j], dk, (double)val);
        break;
    case OPK_MASK:
        if (j > i)
            text_format(l2, size, "key %d comes after query %d: masked, −∞", j, i);
        else
            text_format(l2, size, "key %d ≤ query %d: unchanged, %.4f", j, i, (double)val);
        break;
    case OPK_SOFTMAX: {
        const float *s = in0 + (n->layer >= 0 ? (head + i) * N : (size_t)i * cols);
        double mx = -INFINITY, sum = 0;
        for (int k = 0; k < cols; k++)
            mx = fmax(mx, (double)s[k]);
        for (int k = 0; k < cols; k++)
            sum += exp((double)s[k] - mx);
        if (isinf(s[j]))
            text_format(l2, size, "exp(−∞) = 0: a masked key gets no weight");
        else
            text_format(l2, size, "exp(%.3f − %.3f) / %.4f = %.4f   (row max %.3f, Σ exp = %.4f)",
                        (double)s[j], mx, sum, (double)val, mx, sum);
        break;
    }
    case OPK_LINEAR_HEADS: {
        // x_i · W[:, h d_k + j] + b
        const float *w = in1 + (size_t)h * dk + j;
        double b = n->in[2] && n->in[2]->data ? (double)n->in[2]->data[h * dk + j] : 0;
        char t[160];
        dot_terms(t, sizeof t, in0 + (size_t)i * d, 1, w, (size_t)d, d, val - b);
        text_format(l2, size, "x_%d · W^%c[:, %d] + b = %s + %.3f", i, qkv_letter(n), h * dk + j, t,
                    b);
        break;
    }
    case OPK_MIX: {
        const float *a = in0 + (head + i) * N, *vv = in1 + head * dk + j;
        char t[160];
        dot_terms(t, sizeof t, a, 1, vv, (size_t)dk, N, val);
        text_format(l2, size, "Σ_j α_%dj v_j[%d] = %s", i, j, t);
        break;
    }
    case OPK_LN_STATS:
        text_format(l2, size, "%s of the %d components of x_%d", j == 0 ? "mean μ" : "σ", d, i);
        break;
    case OPK_LN_NORM:
        text_format(l2, size, "(x − μ) / σ = (%.4f − %.4f) / %.4f = %.4f",
                    (double)in0[(size_t)i * cols + j], (double)in1[i * 2], (double)in1[i * 2 + 1],
                    (double)val);
        break;
    case OPK_LN_AFFINE: {
        double b = n->in[2] && n->in[2]->data ? (double)n->in[2]->data[j] : 0;
        text_format(l2, size, "γ xhat + β = %.4f · %.4f + %.4f = %.4f", (double)in1[j],
                    (double)in0[(size_t)i * cols + j], b, (double)val);
        break;
    }
    case OPK_LINEAR: {
        int din = n->in[0]->shape[1];
        double b = n->in[2] && n->in[2]->data ? (double)n->in[2]->data[j] : 0;
        char t[160];
        dot_terms(t, sizeof t, in0 + (size_t)i * din, 1, in1 + j, (size_t)cols, din, val - b);
        text_format(l2, size, "row %d · W[:, %d] + b = %s + %.3f", i, j, t, b);
        break;
    }
    case OPK_ADD:
        text_format(l2, size, "%.4f + %.4f = %.4f", (double)in0[(size_t)i * cols + j],
                    (double)in1[(size_t)i * cols + j], (double)val);
        break;
    case OPK_RELU:
    case OPK_GELU:
        text_format(l2, size, "%s(%.4f) = %.4f", n->kind == OPK_RELU ? "max(0, z): ReLU" : "GELU",
                    (double)in0[(size_t)i * cols + j], (double)val);
        break;
    case OPK_UNEMBED: {
        char piece[32], t[160];
        tokenizer_piece_str(&gr->model->tok, j, piece, sizeof piece);
        dot_terms(t, sizeof t, in0 + (size_t)i * d, 1, in1 + (size_t)j * d, 1, d, val);
        text_format(l2, size, "h_%d · E[%s] = %s", i, piece, t);
        break;
    }
    case OPK_EMBED_TOK: {
        char piece[32];
        tokenizer_piece_str(&gr->model->tok, gr->ids[i], piece, sizeof piece);
        text_format(l2, size, "E[%d (%s), %d] = %.4f", gr->ids[i], piece, j, (double)val);
        break;
    }
    case OPK_EMBED_POS:
        text_format(l2, size, "x + P[%d, %d] = %.4f + %.4f = %.4f", i % gr->seq_len, j,
                    (double)in0[(size_t)i * cols + j], (double)(val - in0[(size_t)i * cols + j]),
                    (double)val);
        break;
    default:
        text_format(l2, size, "the value at row %d, column %d", i, j);
        break;
    }
}

void panel_equation(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct node *n = graph_last(v->graph);
    char title[160], eq[256], shape[256];
    if (!n) {
        panel_title(g, r, "Equation", selected);
        panel_pending(g, r, "nothing has run yet: Space runs the first operation");
        return;
    }
    text_format(title, sizeof title, "%s   §%s", n->name, n->section);
    panel_title(g, r, title, selected);
    eq[0] = shape[0] = 0;
    equation(v, n, eq, shape, sizeof eq);
    int y = r.y + 1, end = r.y + r.h;
    if (v->inspect) {
        const float *m;
        int rows, cols;
        if (panel_matrix(v, n, &m, &rows, &cols) && v->row < rows && v->col < cols) {
            inspect(v, n, v->row, v->col, eq, shape, sizeof eq);
            grid_text(g, r.x + 1, y++, r.w - 2, eq, SF_STYLE_SELECTED);
            if (y < end)
                grid_text(g, r.x + 1, y++, r.w - 2, shape, SF_STYLE_NUMBER);
        }
        return;
    }
    grid_text(g, r.x + 1, y++, r.w - 2, eq, SF_STYLE_NORMAL);
    if (y < end)
        grid_text(g, r.x + 1, y++, r.w - 2, shape, SF_STYLE_NUMBER);
    if (y < end)
        grid_text(g, r.x + 1, y++, r.w - 2, n->explain, SF_STYLE_DIM);
}
