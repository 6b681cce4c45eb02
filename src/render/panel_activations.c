// The matrix an op produced when it has no panel of its own: the token embeddings E[id_i], the
// position embeddings and X = E + P, the concatenated heads, the output projection.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

// Rows of P named by their position.
static void position_label(const void *ctx, int i, char *buf, size_t size)
{
    (void)ctx;
    text_format(buf, size, "pos %d", i);
}

// One matrix under a line saying what it is, in the rectangle from line y to end; returns the
// line after it.
static int matrix_block(struct grid *g, struct rect r, int y, int end, const struct view *v,
                        const char *what, const float *m, const float *minus, int rows, int cols,
                        int cursor, int group, int positions)
{
    if (y >= end)
        return y;
    grid_text(g, r.x + 1, y++, r.w - 1, what, SF_STYLE_DIM);
    struct table_matrix mx = {.graph = v->graph,
                              .m = m,
                              .minus = minus,
                              .rows = rows,
                              .cols = cols,
                              .numbers = v->numbers,
                              .sel_row = v->row,
                              .ramp = RAMP_DIVERGING,
                              .span = panel_span(m, (size_t)rows * cols)};
    struct table t;
    panel_table_matrix(&t, &mx, v, cursor);
    t.group = group;
    t.group_name = "h";
    if (positions)
        t.row_label = position_label;
    if (cursor && v->inspect)
        t.keep_col = v->col;
    if (minus) {
        mx.span = 0;
        for (size_t k = 0; k < (size_t)rows * cols; k++)
            mx.span = fabsf(m[k] - minus[k]) > mx.span ? fabsf(m[k] - minus[k]) : mx.span;
    }
    int used = panel_table(g, (struct rect){r.x, y, r.w, end - y}, &t);
    y += used;
    if (!v->numbers && y < end)
        panel_legend(g, r.x + 9, y++, r.w - 9, RAMP_DIVERGING, mx.span);
    return y;
}

// The node this panel shows: the op that ran last when it is one of its roles, else the last
// of those roles that ran in the selected layer (or the embeddings), or NULL.
static const struct node *shown_node(const struct graph *gr, int layer)
{
    const struct node *last = graph_last(gr);
    if (last && last->role == ROLE_GRAD)
        last = &gr->nodes[last->fwd];
    if (!last)
        return NULL;
    switch (last->role) {
    case ROLE_EMBED_TOK:
    case ROLE_EMBED_POS_LEARNED:
    case ROLE_EMBED_POS_SINUSOIDAL:
    case ROLE_ATTN_CONCAT:
    case ROLE_ATTN_PROJ:
        return last;
    default:
        break;
    }
    static const enum node_role order[] = {ROLE_ATTN_PROJ, ROLE_ATTN_CONCAT};
    for (int k = 0; k < 2; k++) {
        int i = graph_find_role(gr, layer, order[k]);
        if (i >= 0 && graph_node_done(gr, i))
            return &gr->nodes[i];
    }
    for (int i = 0; i < gr->n_forward && graph_node_done(gr, i); i++)
        if (gr->nodes[i].role == ROLE_EMBED_POS_LEARNED ||
            gr->nodes[i].role == ROLE_EMBED_POS_SINUSOIDAL)
            return &gr->nodes[i];
    int tok = graph_find_role(gr, -1, ROLE_EMBED_TOK);
    return tok >= 0 && graph_node_done(gr, tok) ? &gr->nodes[tok] : NULL;
}

// The positions' rows of P, then X = E + P; the learned P is the model's, a sinusoidal code
// is what the op added (X - E).
static void draw_positions(struct grid *g, struct rect r, int y, int end, const struct view *v,
                           const struct node *n, int cursor)
{
    const struct graph *gr = v->graph;
    int N = n->out.shape[0], d = n->out.shape[1];
    // Both whole with a line between when they fit; else X, the output, gets the room it
    // needs first and P what is left (at least a row of it).
    int half = y + N + 3;
    if (end - y < 2 * (N + 2) + 1) {
        half = end - (N + 3);
        half = half < y + 4 ? y + 4 : half > y + (end - y) / 2 ? y + (end - y) / 2 : half;
    }
    char what[160];
    if (n->role == ROLE_EMBED_POS_LEARNED && n->in[1]) {
        // (n_ctx, d): positions restart with each sequence; one sequence shows rows 0 .. N-1
        int rows = gr->seq_len < N ? gr->seq_len : N;
        text_format(what, sizeof what, "P[0..%d]: the learned position embeddings (rows of P)",
                    rows - 1);
        matrix_block(g, r, y, half, v, what, n->in[1]->data, NULL, rows, d, 0, 0, 1);
    } else if (n->in[0]) {
        matrix_block(g, r, y, half, v, "the sinusoidal position code PE[i] = X - E[id_i]",
                     n->out.data, n->in[0]->data, N, d, 0, 0, 1);
    }
    matrix_block(g, r, half, end, v, "X = E[id_i] + P[i]: what the first block reads", n->out.data,
                 NULL, N, d, cursor, 0, 0);
}

void panel_activations(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct node *n = shown_node(gr, v->layer);
    char title[160], what[160];
    if (!n || n->out.ndim != 2) {
        panel_title(g, r, "Activations", selected);
        panel_pending(g, r, "the output of embed.tok, embed.pos, attn.concat and attn.proj");
        return;
    }
    const struct model_config *c = &gr->model->cfg;
    int N = n->out.shape[0], d = n->out.shape[1], H = c->n_head;
    text_format(title, sizeof title, "Activations  %s  %s  [%d×%d]", n->name,
                node_role_info(n->role)->symbol, N, d);
    panel_title(g, r, title, selected);
    int y = r.y + 1, end = r.y + r.h, cursor = n == graph_last(gr);
    switch (n->role) {
    case ROLE_EMBED_TOK:
        text_format(what, sizeof what, "x_i = E[id_i]: each token's row of E [%d×%d]",
                    c->vocab_size, d);
        matrix_block(g, r, y, end, v, what, n->out.data, NULL, N, d, cursor, 0, 0);
        break;
    case ROLE_EMBED_POS_LEARNED:
    case ROLE_EMBED_POS_SINUSOIDAL:
        draw_positions(g, r, y, end, v, n, cursor);
        break;
    case ROLE_ATTN_CONCAT:
        text_format(what, sizeof what, "[head_0 | … | head_%d]: %d columns per head", H - 1, d / H);
        matrix_block(g, r, y, end, v, what, n->out.data, NULL, N, d, cursor, d / H, 0);
        break;
    default:
        text_format(what, sizeof what, "A = concat(heads) W^O + b^O: back to width d = %d", d);
        matrix_block(g, r, y, end, v, what, n->out.data, NULL, N, d, cursor, 0, 0);
        break;
    }
}
