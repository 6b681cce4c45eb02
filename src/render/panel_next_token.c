// The next-token distribution at one position: top tokens, bars, cumulative mass.
#include "stepformer/panel.h"

#include <stdio.h>

#define TOP_MAX 64

void panel_next_token(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char title[96], piece[32], line[64];
    int idx = graph_find(gr, "head.probs");
    snprintf(title, sizeof title, "Next token after position %d", v->row);
    panel_title(g, r, title, selected);
    if (idx < 0 || !graph_node_done(gr, idx)) {
        grid_text(g, r.x + 1, r.y + 1, r.w - 1, "not computed yet", SF_STYLE_DIM);
        return;
    }
    int V = gr->model->cfg.vocab_size, row = v->row < gr->n_tokens ? v->row : gr->n_tokens - 1;
    const float *p = gr->nodes[idx].out.data + (size_t)row * V;
    // The k most probable tokens, by repeated selection (k is a screenful).
    int top[TOP_MAX], k = r.h - 1 < TOP_MAX ? r.h - 1 : TOP_MAX;
    if (k > V)
        k = V;
    for (int n = 0; n < k; n++) {
        int best = -1;
        for (int t = 0; t < V; t++) {
            int taken = 0;
            for (int m = 0; m < n && !taken; m++)
                taken = top[m] == t;
            if (!taken && (best < 0 || p[t] > p[best]))
                best = t;
        }
        top[n] = best;
    }
    int bar_w = r.w - 30;
    double cum = 0;
    for (int n = 0; n < k; n++) {
        int y = r.y + 1 + n;
        cum += p[top[n]];
        tokenizer_piece_str(&gr->model->tok, top[n], piece, sizeof piece);
        snprintf(line, sizeof line, "%-10.10s %6.4f", piece, (double)p[top[n]]);
        grid_text(g, r.x, y, 17, line, n == 0 ? SF_STYLE_CURRENT : SF_STYLE_NORMAL);
        int len = bar_w > 0 ? (int)(p[top[n]] * bar_w + 0.5) : 0;
        for (int b = 0; b < len; b++)
            grid_put(g, r.x + 18 + b, y, 0x2588, SF_STYLE_NUMBER);
        snprintf(line, sizeof line, "cum %5.3f", cum);
        grid_text(g, r.x + r.w - 10, y, 10, line, SF_STYLE_DIM);
    }
}
