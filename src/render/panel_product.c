// A projection as the product it is: the input X, the weight matrix W and the output Y = X W
// (+ b), three labelled matrices with their shapes ("X [N×d] · W^Q [d×d_k] = Q [N×d_k]"), each
// a table that scrolls and counts what it hides.
#include "stepformer/panel.h"

#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

// What each projection multiplies, by role: the names of X, W, b and Y, and whether W is
// stored transposed (the tied unembedding reads E (V, d) as E^T).
struct product_names {
    enum node_role role;
    const char *x, *w, *b, *y;
    int per_head, transposed;
};

static const struct product_names names[] = {
    {ROLE_ATTN_Q, "X", "W^Q", "b^Q", "Q", 1, 0},
    {ROLE_ATTN_K, "X", "W^K", "b^K", "K", 1, 0},
    {ROLE_ATTN_V, "X", "W^V", "b^V", "V", 1, 0},
    {ROLE_ATTN_PROJ, "concat", "W^O", "b^O", "A", 0, 0},
    {ROLE_FFN_UP, "X", "W_1", "b_1", "Z", 0, 0},
    {ROLE_FFN_DOWN, "act(Z)", "W_2", "b_2", "F", 0, 0},
    {ROLE_HEAD_LOGITS_TIED, "h", "E^T", NULL, "u", 0, 1},
    {ROLE_HEAD_LOGITS_UNTIED, "h", "U", NULL, "u", 0, 0},
};

static const struct product_names *product_of(const struct node *n)
{
    for (size_t k = 0; n && k < sizeof names / sizeof names[0]; k++)
        if (names[k].role == n->role && n->kind != OPK_GRAD && n->kind != OPK_ADAMW)
            return &names[k];
    return NULL;
}

int panel_product_applies(const struct view *v)
{
    return v->product && product_of(graph_last(v->graph)) != NULL;
}

// One matrix under its label, in the rectangle b; keep_col (or -1) stays in view: the inspect
// cell's column in W and Y, so Y[i][j] shows beside the column of W it came from.
static void product_block(struct grid *g, struct rect b, const struct view *v, const char *label,
                          const struct table_matrix *mx, int cursor, int keep_col)
{
    if (b.h < 2 || b.w < 8)
        return;
    grid_text(g, b.x + 1, b.y, b.w - 1, label, cursor ? SF_STYLE_CURRENT : SF_STYLE_DIM);
    struct table t;
    panel_table_matrix(&t, mx, v, cursor);
    t.keep_col = keep_col;
    struct rect tr = {b.x, b.y + 1, b.w, b.h - 1 - (v->numbers ? 0 : 1)};
    int used = panel_table(g, tr, &t);
    if (!v->numbers && used < b.h - 1)
        panel_legend(g, b.x + 9, b.y + 1 + used, b.w - 9, mx->ramp, mx->span);
}

void panel_product(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct node *n = graph_last(gr);
    const struct product_names *pn = product_of(n);
    char title[160], eq[200], lx[96], lw[96], ly[96];
    if (!pn || !n->in[0] || !n->in[1])
        return;
    const struct tensor *x = n->in[0], *w = n->in[1];
    int N = x->shape[0], d_in = x->shape[1];
    int H = pn->per_head ? n->out.shape[0] : 1, head = v->head < 0 ? 0 : v->head % H;
    int d_out = n->out.shape[n->out.ndim - 1];
    const int has_b = pn->b && n->in[2] && n->in[2]->data;
    char hs[24] = "";
    if (pn->per_head)
        text_format(hs, sizeof hs, " head %d", head);
    text_format(title, sizeof title, "%s = %s %s%s%s  %s%s  (w: back)", pn->y, pn->x, pn->w,
                has_b ? " + " : "", has_b ? pn->b : "", n->name, hs);
    panel_title(g, r, title, selected);
    text_format(eq, sizeof eq, "%s [%d×%d] · %s [%d×%d]%s%s = %s [%d×%d]", pn->x, N, d_in, pn->w,
                d_in, d_out, has_b ? " + " : "", has_b ? pn->b : "", pn->y, N, d_out);
    int y = r.y + 1;
    if (r.h > 2)
        y += panel_wrap(g, r.x + 1, y, r.w - 1, 2, eq, SF_STYLE_NORMAL);
    text_format(lx, sizeof lx, "%s [%d×%d]", pn->x, N, d_in);
    text_format(lw, sizeof lw, "%s [%d×%d]%s", pn->w, d_in, d_out,
                pn->per_head ? " (this head)" : "");
    text_format(ly, sizeof ly, "%s [%d×%d]", pn->y, N, d_out);
    // W: (d_in, H d_out) row-major, this head's columns; E (V, d) read as E^T (d, V).
    struct table_matrix mx = {.graph = gr,
                              .m = x->data,
                              .rows = N,
                              .cols = d_in,
                              .numbers = v->numbers,
                              .sel_row = v->row,
                              .ramp = RAMP_DIVERGING};
    struct table_matrix mw = mx, my = mx;
    mx.span = panel_span(x->data, (size_t)N * d_in);
    mw.m = w->data + (pn->transposed ? 0 : (size_t)head * d_out);
    mw.rows = d_in;
    mw.cols = d_out;
    mw.sel_row = -1;
    mw.stride = pn->transposed ? d_in : w->shape[1];
    mw.transposed = pn->transposed;
    mw.span = panel_span(w->data, tensor_numel(w));
    my.m = n->out.data + (size_t)head * N * d_out;
    my.cols = d_out;
    my.span = panel_span(my.m, (size_t)N * d_out);
    // Side by side when each gets 30 columns, else one under another: X and Y their rows
    // (and label, legend), W what is left.
    int end = r.y + r.h, room = end - y;
    if (r.w >= 90) {
        int bw = r.w / 3;
        product_block(g, (struct rect){r.x, y, bw - 1, room}, v, lx, &mx, 0, -1);
        product_block(g, (struct rect){r.x + bw, y, bw - 1, room}, v, lw, &mw, 0,
                      v->inspect ? v->col : -1);
        product_block(g, (struct rect){r.x + 2 * bw, y, r.w - 2 * bw, room}, v, ly, &my, 1,
                      v->inspect ? v->col : -1);
        return;
    }
    // X and Y at least a row each (label, column numbers, the row, the count, the legend).
    int least = 4 + (v->numbers ? 0 : 1), xy = N + 3 + (v->numbers ? 0 : 1), hx = room / 3;
    hx = hx < least ? least : hx > xy ? xy : hx;
    int hw = room - 2 * hx;
    product_block(g, (struct rect){r.x, y, r.w, hx}, v, lx, &mx, 0, -1);
    product_block(g, (struct rect){r.x, y + hx, r.w, hw}, v, lw, &mw, 0, v->inspect ? v->col : -1);
    product_block(g, (struct rect){r.x, y + hx + hw, r.w, end - y - hx - hw}, v, ly, &my, 1,
                  v->inspect ? v->col : -1);
}
