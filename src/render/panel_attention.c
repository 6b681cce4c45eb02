// The attention matrix of one head: raw scores, scaled, masked, softmax.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/palette.h"

#define LABEL_W 9 // row labels: the query token
#define NUM_W   6 // a number cell: " -1.23", "  -inf"

void panel_attention(struct grid *g, struct rect r, const struct view *v, const char *stage,
                     int selected)
{
    const struct graph *gr = v->graph;
    char name[64], title[96], buf[32];
    snprintf(name, sizeof name, "L%d.attn.%s", v->layer, stage);
    snprintf(title, sizeof title, "Attention  L%d head %d  %s", v->layer, v->head, stage);
    panel_title(g, r, title, selected);
    int idx = graph_find(gr, name);
    if (idx < 0 || !graph_node_done(gr, idx)) {
        grid_text(g, r.x + 1, r.y + 1, r.w - 1, idx < 0 ? "no such op" : "not computed yet",
                  SF_STYLE_DIM);
        return;
    }
    const struct tensor *t = &gr->nodes[idx].out; // (B H, T, T); one sequence: (H, N, N)
    int N = t->shape[1], H = gr->model->cfg.n_head;
    if (v->head < 0 || v->head >= H)
        return;
    const float *m = t->data + (size_t)v->head * N * N;
    int cell_w = v->numbers ? NUM_W : 2;
    int cols = (r.w - LABEL_W) / cell_w, rows = r.h - 2;
    if (cols > N)
        cols = N;
    if (rows > N)
        rows = N;
    // Colour scale: probabilities on [0, 1]; scores diverging around 0 by their largest size.
    int probs = strcmp(stage, "softmax") == 0;
    float span = 0;
    for (int i = 0; i < N * N; i++)
        if (isfinite(m[i]) && fabsf(m[i]) > span)
            span = fabsf(m[i]);
    const struct tokenizer *tok = &gr->model->tok;
    for (int j = 0; j < cols; j++) { // key labels
        tokenizer_piece_str(tok, gr->ids[j], buf, sizeof buf);
        grid_text(g, r.x + LABEL_W + j * cell_w + (v->numbers ? 1 : 0), r.y + 1, cell_w - 1, buf,
                  SF_STYLE_DIM);
    }
    for (int i = 0; i < rows; i++) {
        int y = r.y + 2 + i;
        tokenizer_piece_str(tok, gr->ids[i], buf, sizeof buf);
        grid_text(g, r.x, y, LABEL_W - 1, buf, i == v->row ? SF_STYLE_CURRENT : SF_STYLE_DIM);
        for (int j = 0; j < cols; j++) {
            float x = m[(size_t)i * N + j];
            int cx = r.x + LABEL_W + j * cell_w;
            // -inf after the mask; after the softmax the same cells hold exactly 0.
            int masked = (isinf(x) && x < 0) || (probs && j > i);
            if (v->numbers) {
                if (isinf(x) && x < 0)
                    snprintf(buf, sizeof buf, "%*s", NUM_W, "-inf");
                else
                    snprintf(buf, sizeof buf, "%*.2f", NUM_W, (double)x);
                enum sf_style s = masked        ? SF_STYLE_MASKED
                                  : i == v->row ? SF_STYLE_CURRENT
                                  : x < 0       ? SF_STYLE_NEGATIVE
                                                : SF_STYLE_NUMBER;
                grid_text(g, cx, y, NUM_W, buf, s);
            } else if (masked) {
                grid_text(g, cx, y, 2, "  ", SF_STYLE_MASKED);
            } else {
                enum ramp_kind ramp = probs ? RAMP_SEQUENTIAL : RAMP_DIVERGING;
                int level = ramp_level(ramp, x, probs ? 1.0f : span);
                grid_heat(g, cx, y, ramp, level, level);
                grid_heat(g, cx + 1, y, ramp, level, level);
            }
        }
    }
}
