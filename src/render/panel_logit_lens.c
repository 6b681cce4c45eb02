// The logit lens: what the model would predict if the residual stream stopped after each block.
#include "stepformer/panel.h"

#include <stdio.h>

#include "stepformer/text.h"

#define LABEL_W 5 // "L11 "

void panel_logit_lens(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct lens *ln = v->lens;
    panel_title(g, r, "Logit lens  top next token after each block", selected);
    if (!ln || ln->n != gr->n_tokens) {
        panel_pending(g, r, "the logit lens needs the forward pass (not the training view)");
        return;
    }
    // Columns: positions, scrolled so that the selected one shows; one line per block, and
    // a second line with the probability when there is room.
    int col_w = 9, two = r.h - 2 >= 2 * ln->n_layer + 1;
    int cols = (r.w - LABEL_W) / col_w, first = 0;
    if (cols < 1)
        return;
    if (v->row >= cols)
        first = v->row - cols + 1;
    char buf[48];
    const struct tokenizer *tok = &gr->model->tok;
    for (int c = 0; c < cols && first + c < ln->n; c++) {
        int i = first + c;
        tokenizer_piece_str(tok, gr->ids[i], buf, sizeof buf);
        grid_text(g, r.x + LABEL_W + c * col_w, r.y + 1, col_w - 1, buf,
                  i == v->row ? SF_STYLE_CURRENT : SF_STYLE_DIM);
    }
    for (int l = 0; l < ln->n_layer; l++) {
        int y = r.y + 2 + l * (two ? 2 : 1);
        if (y >= r.y + r.h)
            break;
        text_format(buf, sizeof buf, "L%d", l);
        grid_text(g, r.x, y, LABEL_W - 1, buf, l == v->layer ? SF_STYLE_CURRENT : SF_STYLE_DIM);
        for (int c = 0; c < cols && first + c < ln->n; c++) {
            int i = first + c, x = r.x + LABEL_W + c * col_w;
            int t = ln->top[(size_t)l * ln->n + i];
            float p = ln->prob[(size_t)l * ln->n + i];
            if (t < 0) {
                grid_text(g, x, y, col_w - 1, "·", SF_STYLE_DIM);
                continue;
            }
            tokenizer_piece_str(tok, t, buf, sizeof buf);
            grid_text(g, x, y, col_w - 1, buf, i == v->row ? SF_STYLE_CURRENT : SF_STYLE_NORMAL);
            if (two && y + 1 < r.y + r.h) {
                text_format(buf, sizeof buf, "%.2f", (double)p);
                int used = grid_text(g, x, y + 1, 5, buf, SF_STYLE_NUMBER);
                int bar = (int)(p * (float)(col_w - 2 - used) + 0.5f);
                for (int b = 0; b < bar; b++)
                    grid_heat(g, x + used + 1 + b, y + 1, RAMP_SEQUENTIAL, 11, 11);
            }
        }
    }
}
