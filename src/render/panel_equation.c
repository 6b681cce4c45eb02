// The equation panel: the op that ran last in the textbook's notation with its live shapes,
// and, with the inspect cursor, how one number of its output was computed.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"
#include "stepformer/utf8.h"

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

// What the equations quote: the sizes, and the shapes of the node's inputs and output.
struct eq_sizes {
    const struct graph *gr;
    const struct model_config *c;
    int N, d, H, dk;
    char a[48], b[48], o[48]; // dims of in[0], in[1] and the output ("" for none)
};

// The input encoding and the LayerNorms. Returns 0 for a node of another role.
static int equation_input(const struct eq_sizes *z, const struct node *n, char *eq, char *shape,
                          size_t size)
{
    int N = z->N, d = z->d;
    switch (n->role) {
    case ROLE_EMBED_TOK:
        text_format(eq, size, "x_i = E[id_i]   one row of E per token");
        text_format(shape, size, "E [%d×%d], %d ids → X [%d×%d]", z->c->vocab_size, d, N, N, d);
        return 1;
    case ROLE_EMBED_POS_LEARNED:
    case ROLE_EMBED_POS_SINUSOIDAL:
        text_format(eq, size, "%s",
                    z->gr->iv.no_positions ? "x_i = x_i   (positions dropped: an intervention)"
                    : n->role == ROLE_EMBED_POS_LEARNED
                        ? "x_i = x_i + P[i]   learned position embeddings"
                        : "x_i = x_i + PE(i)   sin/cos of i / 10000^(2k/d)");
        text_format(shape, size, "[%d×%d] + [%d×%d] → [%d×%d]", N, d, N, d, N, d);
        return 1;
    case ROLE_LN1_STATS:
    case ROLE_LN2_STATS:
    case ROLE_LNF_STATS:
        text_format(eq, size, "μ_i = (1/d) Σ_k x_ik    σ_i = √((1/d) Σ_k (x_ik − μ_i)² + ε)");
        text_format(shape, size, "%s → %s  (μ, σ per token)   ε = %g", z->a, z->o,
                    (double)n->scalar);
        return 1;
    case ROLE_LN1_NORM:
    case ROLE_LN2_NORM:
    case ROLE_LNF_NORM:
        text_format(eq, size, "xhat_i = (x_i − μ_i) / σ_i");
        return 1;
    case ROLE_LN1_AFFINE:
    case ROLE_LN2_AFFINE:
    case ROLE_LNF_AFFINE:
        text_format(eq, size, "LayerNorm(x) = γ ⊙ xhat + β   (γ, β learned, [%d] each)", d);
        return 1;
    default:
        return 0;
    }
}

// Multi-head attention, from the projections to W^O. Returns 0 for a node of another role.
static int equation_attention(const struct eq_sizes *z, const struct node *n, char *eq, char *shape,
                              size_t size)
{
    const struct node_role_info *r = node_role_info(n->role);
    int N = z->N, d = z->d, H = z->H, dk = z->dk;
    switch (n->role) {
    case ROLE_ATTN_Q:
    case ROLE_ATTN_K:
    case ROLE_ATTN_V:
        text_format(eq, size, "%s = X %s + b   for each of the %d heads", r->symbol, r->matrix, H);
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d] per head;  all heads %s", N, d, d, dk,
                    N, dk, z->o);
        return 1;
    case ROLE_ATTN_SCORES:
        text_format(eq, size, "S = Q K^T    s_ij = q_i · k_j");
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d] per head", N, dk, dk, N, N, N);
        return 1;
    case ROLE_ATTN_SCALE:
        text_format(eq, size, "S / √d_k = S / √%d = S × %.4f", dk, (double)n->scalar);
        return 1;
    case ROLE_ATTN_MASK:
        text_format(eq, size, "S + M    M_ij = −∞ for j > i (the future), 0 otherwise");
        return 1;
    case ROLE_ATTN_SOFTMAX:
        text_format(eq, size, "α_ij = exp(s_ij) / Σ_j' exp(s_ij')   each row sums to 1");
        return 1;
    case ROLE_ATTN_MIX:
        text_format(eq, size, "head_i = Σ_j α_ij v_j   (A = α V)");
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d] per head", N, N, N, dk, N, dk);
        return 1;
    case ROLE_ATTN_CONCAT:
        text_format(eq, size, "[head_1 ⊕ head_2 ⊕ … ⊕ head_%d]", H);
        text_format(shape, size, "%d × [%d×%d] → [%d×%d]", H, N, dk, N, d);
        return 1;
    case ROLE_ATTN_PROJ:
        text_format(eq, size, "%s = concat(heads) %s + b", r->symbol, r->matrix);
        text_format(shape, size, "%s·%s → %s", z->a, z->b, z->o);
        return 1;
    default:
        return 0;
    }
}

// The residual adds, the feedforward layer and the language modeling head. Returns 0 for a
// node of another role.
static int equation_block(const struct eq_sizes *z, const struct node *n, char *eq, char *shape,
                          size_t size)
{
    const struct node_role_info *r = node_role_info(n->role);
    int N = z->N, d = z->d, V = z->c->vocab_size;
    switch (n->role) {
    case ROLE_RESID1:
    case ROLE_RESID2: // the block's form follows the model's norm placement
        if (z->c->norm == NORM_POST)
            text_format(eq, size, "%s   post-norm: the add, then LayerNorm",
                        n->role == ROLE_RESID1 ? "h = LN(x + Attn(x))" : "x' = LN(h + FFN(h))");
        else
            text_format(eq, size, "%s   pre-norm: the stream itself is never normalised",
                        n->role == ROLE_RESID1 ? "h = x + Attn(LN(x))" : "x' = h + FFN(LN(h))");
        text_format(shape, size, "%s + %s → %s", z->a, z->b, z->o);
        return 1;
    case ROLE_FFN_UP:
        text_format(eq, size, "%s = x %s + b1", r->symbol, r->matrix);
        text_format(shape, size, "%s·%s → %s", z->a, z->b, z->o);
        return 1;
    case ROLE_FFN_RELU:
        text_format(eq, size, "ReLU(z) = max(0, z)");
        return 1;
    case ROLE_FFN_GELU:
        text_format(eq, size, "GELU(z) = 0.5 z (1 + tanh(√(2/π) (z + 0.044715 z³)))");
        return 1;
    case ROLE_FFN_DOWN:
        text_format(eq, size, "%s = act(z) %s + b2", r->symbol, r->matrix);
        text_format(shape, size, "%s·%s → %s", z->a, z->b, z->o);
        return 1;
    case ROLE_HEAD_LOGITS_TIED:
        text_format(eq, size, "u = h E^T   a score for every word of the vocabulary");
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d]", N, d, d, V, N, V);
        return 1;
    case ROLE_HEAD_LOGITS_UNTIED: // its own matrix U, not the embedding E
        text_format(eq, size, "u = h U   a score for every word (U: the unembedding, not E)");
        text_format(shape, size, "[%d×%d]·[%d×%d] → [%d×%d]", N, d, d, V, N, V);
        return 1;
    case ROLE_HEAD_PROBS:
        text_format(eq, size, "y = softmax(u)   P(next token = w) = exp(u_w) / Σ_v exp(u_v)");
        return 1;
    default:
        return 0;
    }
}

// The loss, the backward steps, the optimizer and the sampling steps. Returns 0 for a node of
// another role.
static int equation_after(const struct eq_sizes *z, const struct node *n, char *eq, char *shape,
                          size_t size)
{
    const struct graph *gr = z->gr;
    const struct sampler *s = gr->sampler;
    switch (n->role) {
    case ROLE_LOSS_XENT:
        text_format(eq, size, "L_i = −log y_i[w_i+1]    L = mean over positions = %.4f",
                    (double)gr->loss);
        return 1;
    case ROLE_GRAD:
        text_format(eq, size, "∂L/∂(%s): the chain rule through one op", gr->nodes[n->fwd].name);
        text_format(shape, size, "the gradient has the shape of what the op produced: %s", z->o);
        return 1;
    case ROLE_ADAMW:
        text_format(shape, size, "the update ΔW has the shape of %s: %s", n->param->name, z->o);
        text_format(eq, size,
                    "m ← β1 m + (1−β1) g   v ← β2 v + (1−β2) g²   W ← W − η (mhat/(√vhat+ε) + λW)");
        return 1;
    case ROLE_SAMPLE_TEMPERATURE:
        text_format(eq, size, "u / τ   τ = %.2f (below 1 sharpens, above 1 flattens)",
                    s ? (double)s->temperature : 1.0);
        return 1;
    case ROLE_SAMPLE_PROBS:
        text_format(eq, size, "p = softmax(u / τ)");
        return 1;
    case ROLE_SAMPLE_TRUNCATE:
        if (s)
            text_format(eq, size, "keep the top k = %d, then the fewest with mass ≥ p = %.2f",
                        s->top_k, (double)s->top_p);
        return 1;
    case ROLE_SAMPLE_RENORM:
        text_format(eq, size, "p_w ← p_w / Σ kept   what is kept sums to 1 again");
        return 1;
    case ROLE_SAMPLE_DRAW:
        text_format(eq, size, "%s",
                    s && s->greedy ? "w = argmax p   (greedy decoding)"
                                   : "w ~ p   (a random draw, seeded)");
        return 1;
    case ROLE_SAMPLE_APPEND:
        text_format(eq, size, "ids ← ids + [w]   the chosen token becomes the next input");
        return 1;
    default:
        return 0;
    }
}

// Writes the op's equation and its shapes (two lines), by the node's role.
static void equation(const struct view *v, const struct node *n, char *eq, char *shape, size_t size)
{
    struct eq_sizes z = {.gr = v->graph, .c = &v->graph->model->cfg, .N = v->graph->n_tokens};
    z.d = z.c->d_model, z.H = z.c->n_head, z.dk = z.d / z.H;
    dims(n->in[0], z.a, sizeof z.a);
    dims(n->in[1], z.b, sizeof z.b);
    dims(&n->out, z.o, sizeof z.o);
    text_format(shape, size, "%s → %s", z.a, z.o);
    if (!equation_input(&z, n, eq, shape, size) && !equation_attention(&z, n, eq, shape, size) &&
        !equation_block(&z, n, eq, shape, size) && !equation_after(&z, n, eq, shape, size))
        SF_UNREACHABLE("a node role with no equation");
}

// x with dec decimals and a real minus sign ("−2.160"); paren: a negative one in parentheses,
// as an operand after another sign ("− (−2.160)", "0.12·(−0.40)"). No negative zero.
static const char *num(char *buf, size_t size, double x, int dec, int paren)
{
    char digits[48];
    text_format(digits, sizeof digits, "%.*f", dec, fabs(x));
    int neg = x < 0 && strspn(digits, "0.") != strlen(digits); // -0.0004 prints as 0.000
    text_format(buf, size, "%s%s%s%s", neg && paren ? "(" : "", neg ? "−" : "", digits,
                neg && paren ? ")" : "");
    return buf;
}

// Up to three terms of a dot product and its total: "0.12⋅(−0.40) + … (64 terms) = 1.234"
// (U+22C5, the dot operator: "*" in ASCII, where "·" would read as a decimal point).
static void dot_terms(char *buf, size_t size, const float *x, size_t xs, const float *y, size_t ys,
                      int n, double total)
{
    size_t k = 0;
    char a[32], b[32];
    for (int i = 0; i < n && i < 3 && k < size; i++)
        k += (size_t)text_format(buf + k, size - k, "%s%s⋅%s", i ? " + " : "",
                                 num(a, sizeof a, (double)x[i * xs], 2, i > 0),
                                 num(b, sizeof b, (double)y[i * ys], 2, 1));
    if (n > 3 && k < size)
        k += (size_t)text_format(buf + k, size - k, " + … (%d terms)", n);
    if (k < size)
        text_format(buf + k, size - k, " = %s", num(a, sizeof a, total, 4, 0));
}

// The cell under the inspect cursor: (i, j) of node n's output (the selected head's slice,
// `head` = h N rows into per-head tensors), its value, the matrix's width and the inputs.
struct cell_at {
    const struct graph *gr;
    const struct node *n;
    int i, j, cols, N, d, dk, h;
    size_t head;
    float val;
    const float *in0, *in1;
};

// How a number of an attention op was computed. Returns 0 for another kind.
static int inspect_attention(const struct cell_at *x, char *l2, size_t size)
{
    int i = x->i, j = x->j, N = x->N, dk = x->dk;
    size_t head = x->head;
    char t[160], a[32], b2[32], c[32];
    switch (x->n->kind) {
    case OPK_LINEAR_HEADS: { // x_i · W[:, h d_k + j] + b
        const struct tensor *bias = x->n->in[2];
        const float *w = x->in1 + (size_t)x->h * dk + j;
        double b = bias && bias->data ? (double)bias->data[x->h * dk + j] : 0;
        dot_terms(t, sizeof t, x->in0 + (size_t)i * x->d, 1, w, (size_t)x->d, x->d, x->val - b);
        text_format(l2, size, "x_%d · %s[:, %d] + b = %s + %s", i,
                    node_role_info(x->n->role)->matrix, x->h * dk + j, t,
                    num(a, sizeof a, b, 3, 1));
        return 1;
    }
    case OPK_SCORES:
        dot_terms(t, sizeof t, x->in0 + (head + i) * dk, 1, x->in1 + (head + j) * dk, 1, dk,
                  x->val);
        text_format(l2, size, "q_%d · k_%d = %s", i, j, t);
        return 1;
    case OPK_SCALE:
        text_format(l2, size, "s_%d%d / √d_k = %s / √%d = %s", i, j,
                    num(a, sizeof a, (double)x->in0[(head + i) * N + j], 4, 0), dk,
                    num(b2, sizeof b2, (double)x->val, 4, 0));
        return 1;
    case OPK_MASK:
        if (j > i)
            text_format(l2, size, "key %d comes after query %d: masked, −∞", j, i);
        else
            text_format(l2, size, "key %d ≤ query %d: unchanged, %s", j, i,
                        num(a, sizeof a, (double)x->val, 4, 0));
        return 1;
    case OPK_SOFTMAX: { // attention weights, or the next-token distribution
        const float *s =
            x->in0 + (x->n->role == ROLE_ATTN_SOFTMAX ? (head + i) * N : (size_t)i * x->cols);
        double mx = -INFINITY, sum = 0;
        for (int k = 0; k < x->cols; k++)
            mx = fmax(mx, (double)s[k]);
        for (int k = 0; k < x->cols; k++)
            sum += exp((double)s[k] - mx);
        if (isinf(s[j]))
            text_format(l2, size, "exp(−∞) = 0: a masked key gets no weight");
        else
            text_format(l2, size, "exp(%s − %s) / %.4f = %.4f   (row max %s, Σ exp = %.4f)",
                        num(a, sizeof a, (double)s[j], 3, 0), num(b2, sizeof b2, mx, 3, 1), sum,
                        (double)x->val, num(c, sizeof c, mx, 3, 0), sum);
        return 1;
    }
    case OPK_MIX:
        dot_terms(t, sizeof t, x->in0 + (head + i) * N, 1, x->in1 + head * dk + j, (size_t)dk, N,
                  x->val);
        text_format(l2, size, "Σ_j α_%dj v_j[%d] = %s", i, j, t);
        return 1;
    default:
        return 0;
    }
}

// Entry (i, j) of a row-major matrix with cols columns.
static double entry(const float *m, int i, int j, int cols)
{
    return (double)m[(size_t)i * cols + j];
}

// Entry j of the bias (or beta) in[2] of node n, 0 when it has none.
static double bias_at(const struct node *n, int j)
{
    return n->in[2] && n->in[2]->data ? (double)n->in[2]->data[j] : 0;
}

// How a number of an op on token rows was computed. Returns 0 for another kind.
static int inspect_rows(const struct cell_at *x, char *l2, size_t size)
{
    const struct node *n = x->n;
    int i = x->i, j = x->j, cols = x->cols, d = x->d;
    double val = x->val;
    char t[160], piece[32], a[32], b[32], c[32], e[32];
    switch (n->kind) {
    case OPK_LN_STATS:
        text_format(l2, size, "%s of the %d components of x_%d", j == 0 ? "mean μ" : "σ", d, i);
        return 1;
    case OPK_LN_NORM:
        text_format(l2, size, "(x − μ) / σ = (%s − %s) / %s = %s",
                    num(a, sizeof a, entry(x->in0, i, j, cols), 4, 0),
                    num(b, sizeof b, entry(x->in1, i, 0, 2), 4, 1),
                    num(c, sizeof c, entry(x->in1, i, 1, 2), 4, 0), num(e, sizeof e, val, 4, 0));
        return 1;
    case OPK_LN_AFFINE:
        text_format(l2, size, "γ xhat + β = %s ⋅ %s + %s = %s",
                    num(a, sizeof a, (double)x->in1[j], 4, 0),
                    num(b, sizeof b, entry(x->in0, i, j, cols), 4, 1),
                    num(c, sizeof c, bias_at(n, j), 4, 1), num(e, sizeof e, val, 4, 0));
        return 1;
    case OPK_LINEAR: {
        int din = n->in[0]->shape[1];
        double b = bias_at(n, j);
        dot_terms(t, sizeof t, x->in0 + (size_t)i * din, 1, x->in1 + j, (size_t)cols, din, val - b);
        text_format(l2, size, "row %d · W[:, %d] + b = %s + %s", i, j, t,
                    num(a, sizeof a, b, 3, 1));
        return 1;
    }
    case OPK_ADD:
        text_format(l2, size, "%s + %s = %s", num(a, sizeof a, entry(x->in0, i, j, cols), 4, 0),
                    num(b, sizeof b, entry(x->in1, i, j, cols), 4, 1), num(c, sizeof c, val, 4, 0));
        return 1;
    case OPK_RELU:
    case OPK_GELU:
        text_format(l2, size, "%s(%s) = %s", n->kind == OPK_RELU ? "max(0, z): ReLU" : "GELU",
                    num(a, sizeof a, entry(x->in0, i, j, cols), 4, 0), num(b, sizeof b, val, 4, 0));
        return 1;
    case OPK_UNEMBED:
        tokenizer_piece_str(&x->gr->model->tok, j, piece, sizeof piece);
        dot_terms(t, sizeof t, x->in0 + (size_t)i * d, 1, x->in1 + (size_t)j * d, 1, d, val);
        text_format(l2, size, "h_%d · %s = %s", i,
                    n->role == ROLE_HEAD_LOGITS_UNTIED ? "U[:, w]" : "E[w]", t);
        return 1;
    case OPK_EMBED_TOK:
        tokenizer_piece_str(&x->gr->model->tok, x->gr->ids[i], piece, sizeof piece);
        text_format(l2, size, "E[%d (%s), %d] = %s", x->gr->ids[i], piece, j,
                    num(a, sizeof a, val, 4, 0));
        return 1;
    case OPK_EMBED_POS: { // the position's part is what the op added, in float as computed
        float before = x->in0[(size_t)i * cols + j];
        text_format(l2, size, "x + P[%d, %d] = %s + %s = %s", i % x->gr->seq_len, j,
                    num(a, sizeof a, (double)before, 4, 0),
                    num(b, sizeof b, (double)(x->val - before), 4, 1), num(c, sizeof c, val, 4, 0));
        return 1;
    }
    default:
        return 0;
    }
}

// How the cell (i, j) of node n's output (the selected head's slice) was computed.
static void inspect(const struct view *v, const struct node *n, int i, int j, char *l1, char *l2,
                    size_t size)
{
    const struct graph *gr = v->graph;
    const struct model_config *c = &gr->model->cfg;
    const float *m;
    int rows, cols;
    l2[0] = 0;
    if (!panel_matrix(v, n, &m, &rows, &cols))
        return;
    struct cell_at x = {.gr = gr, .n = n, .i = i, .j = j, .cols = cols, .N = gr->n_tokens};
    x.d = c->d_model, x.dk = x.d / c->n_head, x.h = v->head < 0 ? 0 : v->head;
    x.head = (size_t)x.h * x.N;
    x.val = m[(size_t)i * cols + j];
    x.in0 = n->in[0] ? n->in[0]->data : NULL;
    x.in1 = n->in[1] ? n->in[1]->data : NULL;
    char a[32], tok[48] = "";
    if (cols == c->vocab_size) { // a vocabulary column: its token
        char piece[40];
        text_format(tok, sizeof tok, " '%s'",
                    tokenizer_piece_str(&gr->model->tok, j, piece, sizeof piece));
    }
    text_format(l1, size, "%s[%d, %d%s] = %s", n->name, i, j, tok,
                num(a, sizeof a, (double)x.val, 4, 0));
    if (!inspect_attention(&x, l2, size) && !inspect_rows(&x, l2, size))
        text_format(l2, size, "the value at row %d, column %d", i, j);
}

// text from row y on, w columns wide, broken at spaces over the rows before end (the last row
// abbreviated on purpose when it still does not fit). Returns the row after it. g NULL: only
// counts the rows (as drawn without the ASCII forms).
static int draw_wrapped(struct grid *g, int x, int y, int end, int w, const char *text,
                        enum sf_style style)
{
    char ascii[1024];
    if (g && g->ascii) // measured as drawn
        text = grid_ascii_text(ascii, sizeof ascii, text);
    size_t n = strlen(text);
    while (y < end && n > 0) {
        if ((int)utf8_count(text, n) <= w || y + 1 == end) {
            if (g)
                panel_label(g, x, y, w, text, style);
            y++;
            break;
        }
        size_t i = 0, brk = 0;
        for (int c = 0; c < w && i < n; c++) {
            i = utf8_next(text, n, i);
            if (i < n && text[i] == ' ')
                brk = i;
        }
        if (brk == 0)
            brk = i;
        char line[1024];
        text_format(line, sizeof line, "%.*s", (int)brk, text);
        if (g)
            grid_text(g, x, y, w, line, style);
        y++;
        while (brk < n && text[brk] == ' ')
            brk++;
        text += brk, n -= brk;
    }
    return y;
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
            y = draw_wrapped(g, r.x + 1, y, end - y >= 2 ? end - 1 : end, r.w - 2, eq,
                             SF_STYLE_SELECTED);
            draw_wrapped(g, r.x + 1, y, end, r.w - 2, shape, SF_STYLE_NUMBER);
        }
        return;
    }
    y = draw_wrapped(g, r.x + 1, y, end - y >= 3 ? end - 2 : end, r.w - 2, eq, SF_STYLE_NORMAL);
    if (y < end)
        y = draw_wrapped(g, r.x + 1, y, y + 1, r.w - 2, shape, SF_STYLE_NUMBER);
    if (y < end)
        draw_wrapped(g, r.x + 1, y, end, r.w - 2, n->explain, SF_STYLE_DIM);
}

int panel_equation_height(const struct view *v, int w)
{
    const struct node *n = graph_last(v->graph);
    char eq[256], shape[256];
    if (!n)
        return 2;
    eq[0] = shape[0] = 0;
    const float *m;
    int rows, cols, far = 1 << 20;
    if (v->inspect) { // the inspected number's sum, then its values
        if (!panel_matrix(v, n, &m, &rows, &cols) || v->row >= rows || v->col >= cols)
            return 2;
        inspect(v, n, v->row, v->col, eq, shape, sizeof eq);
        return draw_wrapped(NULL, 0, draw_wrapped(NULL, 0, 1, far, w - 2, eq, SF_STYLE_NORMAL), far,
                            w - 2, shape, SF_STYLE_NORMAL);
    }
    equation(v, n, eq, shape, sizeof eq);
    int y = draw_wrapped(NULL, 0, 1, far, w - 2, eq, SF_STYLE_NORMAL);
    y = draw_wrapped(NULL, 0, y, y + 1, w - 2, shape, SF_STYLE_NORMAL);
    return draw_wrapped(NULL, 0, y, far, w - 2, n->explain, SF_STYLE_NORMAL);
}
