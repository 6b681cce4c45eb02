// Q, K and V of one head side by side, and the head's output alpha V once it is computed.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

#define LABEL_W 9
#define NUM_W   6

void panel_qkv(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct model_config *c = &gr->model->cfg;
    int H = c->n_head, dk = c->d_model / H, head = v->head < 0 ? 0 : v->head;
    char title[128], buf[32];
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
    int N = gr->n_tokens, cell_w = v->numbers ? NUM_W : 1;
    int block_w = (r.w - LABEL_W) / shown, cols = (block_w - 1) / cell_w;
    if (cols > dk)
        cols = dk;
    if (cols < 1 || r.h < 4)
        return;
    int rows = r.h - 2 - (v->numbers ? 0 : 1), top = v->row >= rows ? v->row - rows + 1 : 0;
    const struct node *last = graph_last(gr);
    for (int p = 0; p < shown; p++) {
        int bx = r.x + LABEL_W + p * block_w;
        int done = graph_node_done(gr, idx[p]);
        int more = cols < dk;
        text_format(buf, sizeof buf, "%s%s", labels[p], more ? " …" : "");
        grid_text(g, bx, r.y + 1, block_w - 1, buf,
                  last == &gr->nodes[idx[p]] ? SF_STYLE_CURRENT : SF_STYLE_DIM);
        if (!done) {
            grid_text(g, bx, r.y + 2, block_w - 1, "not computed yet", SF_STYLE_DIM);
            continue;
        }
        const float *m = gr->nodes[idx[p]].out.data + (size_t)head * N * dk;
        float span = 0;
        for (int i = 0; i < N * dk; i++)
            span = fabsf(m[i]) > span ? fabsf(m[i]) : span;
        int cursor_here = v->inspect && last == &gr->nodes[idx[p]];
        for (int k = 0; k < rows && top + k < N; k++) {
            int i = top + k, y = r.y + 2 + k;
            if (p == 0) {
                tokenizer_piece_str(&gr->model->tok, gr->ids[i], buf, sizeof buf);
                grid_text(g, r.x, y, LABEL_W - 1, buf,
                          i == v->row ? SF_STYLE_CURRENT : SF_STYLE_DIM);
            }
            for (int j = 0; j < cols; j++) {
                float x = m[(size_t)i * dk + j];
                int cx = bx + j * cell_w, cur = cursor_here && i == v->row && j == v->col;
                if (v->numbers) {
                    panel_number(buf, sizeof buf, x, NUM_W);
                    enum sf_style s = cur           ? SF_STYLE_SELECTED
                                      : i == v->row ? SF_STYLE_CURRENT
                                      : x < 0       ? SF_STYLE_NEGATIVE
                                                    : SF_STYLE_NUMBER;
                    grid_text(g, cx, y, NUM_W, buf, s);
                } else if (cur) {
                    grid_put(g, cx, y, '*', SF_STYLE_SELECTED);
                } else {
                    int level = ramp_level(RAMP_DIVERGING, x, span);
                    grid_heat(g, cx, y, RAMP_DIVERGING, level, level);
                }
            }
        }
        if (!v->numbers)
            panel_legend(g, bx, r.y + r.h - 1, block_w - 1, RAMP_DIVERGING, span);
    }
}
