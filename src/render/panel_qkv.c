// Q, K and V of one head side by side, and the head's output alpha V once it is computed.
#include "stepformer/panel.h"

#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

#define LABEL_W 9
#define NUM_W   6

// The table of one block's matrix m (N, dk) (NULL: only to measure it), in mx and t.
static void block_table(struct table *t, struct table_matrix *mx, const struct view *v,
                        const float *m, int dk, int cursor)
{
    const struct graph *gr = v->graph;
    int N = gr->n_tokens;
    *mx = (struct table_matrix){.graph = gr,
                                .m = m,
                                .rows = N,
                                .cols = dk,
                                .numbers = v->numbers,
                                .sel_row = v->row,
                                .ramp = RAMP_DIVERGING,
                                .span = m ? panel_span(m, (size_t)N * dk) : 0};
    panel_table_matrix(t, mx, v, cursor);
    t->cell_w = v->numbers ? NUM_W : 1;
    t->label_w = LABEL_W;
    t->keep_col = v->inspect ? v->col : -1;
    t->rows_elsewhere = 1; // the hidden rows are counted on the caption line
}

// The table's rectangle in a block b: below the caption, above the legend in colours.
static struct rect table_rect(struct rect b, const struct view *v)
{
    return (struct rect){b.x, b.y + 1, b.w - 1, b.h - 1 - (v->numbers ? 0 : 1)};
}

// How well a bw x bh block (its caption and, as colours, its legend included) shows its matrix:
// every token's row first (a teacher reads the rows as the sentence), then every dimension,
// then the room the grown cells cover.
static long block_score(const struct view *v, int bw, int bh, int dk)
{
    struct table t;
    struct table_matrix mx;
    struct table_window w;
    block_table(&t, &mx, v, NULL, dk, 0);
    panel_table_window(table_rect((struct rect){0, 0, bw, bh}, v), &t, &w);
    return (w.n_rows == t.rows && w.n_cols > 0 ? 1L << 30 : 0) +
           (w.n_cols == t.cols && w.n_rows > 0 ? 1L << 29 : 0) +
           (long)w.n_cols * w.cell_w * w.n_rows * w.cell_h;
}

// One block: its caption (with the count of the rows not shown), then the matrix (the selected
// head's slice) as a table that scrolls with the inspect cursor, every block to the same columns.
static void block(struct grid *g, struct rect b, const struct view *v, int idx, const char *label,
                  int head, int dk)
{
    const struct graph *gr = v->graph;
    const struct node *last = graph_last(gr);
    int N = gr->n_tokens;
    int used = grid_text(g, b.x, b.y, b.w - 1, label,
                         last == &gr->nodes[idx] ? SF_STYLE_CURRENT : SF_STYLE_DIM);
    if (!graph_node_done(gr, idx)) {
        grid_text(g, b.x, b.y + 1, b.w - 1, "not computed yet", SF_STYLE_DIM);
        return;
    }
    const float *m = gr->nodes[idx].out.data + (size_t)head * N * dk;
    struct table_matrix mx;
    struct table t;
    block_table(&t, &mx, v, m, dk, last == &gr->nodes[idx]);
    struct rect tr = table_rect(b, v);
    char note[128];
    panel_table_rows(note, sizeof note, tr, &t);
    if (note[0])
        grid_text(g, b.x + used + 2, b.y, b.w - 3 - used, note, SF_STYLE_NOTICE);
    used = panel_table(g, tr, &t);
    if (!v->numbers)
        panel_legend(g, b.x + LABEL_W, b.y + 1 + used, b.w - 1 - LABEL_W, RAMP_DIVERGING, mx.span);
}

void panel_qkv(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct model_config *c = &gr->model->cfg;
    int H = c->n_head, dk = c->d_model / H, head = v->head < 0 ? 0 : v->head;
    char title[128];
    text_format(title, sizeof title, "Q K V  L%d head %d%s  d_k = %d", v->layer, head,
                v->head < 0 ? " (of all)" : "", dk);
    panel_title(g, r, title, selected);
    static const enum node_role parts[] = {ROLE_ATTN_Q, ROLE_ATTN_K, ROLE_ATTN_V, ROLE_ATTN_MIX};
    static const char *const labels[] = {"Q = X W^Q", "K = X W^K", "V = X W^V", "αV (head out)"};
    int idx[4], shown = 3;
    for (int p = 0; p < 4; p++)
        idx[p] = graph_find_role(gr, v->layer, parts[p]);
    if (idx[0] < 0) {
        panel_pending(g, r, "this graph has no attention here");
        return;
    }
    if (graph_node_done(gr, idx[3]))
        shown = 4;
    if (r.h < 4)
        return;
    // The blocks side by side, two by two, or one under another: whichever shows them best,
    // with a blank line between blocks one under another unless that line hides a row.
    int across = shown, gap = 1;
    long best = -1;
    static const int tries[] = {4, 2, 1};
    for (int k = 0; k < 6; k++) {
        int a = tries[k / 2] > shown ? shown : tries[k / 2], down = (shown + a - 1) / a;
        int sep = 1 - k % 2;
        long score = 2 * block_score(v, (r.w + 1) / a, (r.h - 1 + sep) / down - sep, dk) + sep;
        if (score > best)
            best = score, across = a, gap = sep;
    }
    int down = (shown + across - 1) / across, bw = (r.w + 1) / across;
    int bh = (r.h - 1 + gap) / down;
    for (int p = 0; p < shown; p++) {
        struct rect b = {r.x + (p % across) * bw, r.y + 1 + (p / across) * bh, bw, bh - gap};
        if (down == 1)
            b.h = r.h - 1;
        block(g, b, v, idx[p], labels[p], head, dk);
    }
}
