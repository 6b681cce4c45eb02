// The logit lens: what the model would predict if the residual stream stopped after each block.
#include "stepformer/panel.h"

#include <stdio.h>

#include "stepformer/text.h"

#define LABEL_W 5 // "L11 "

struct lens_table {
    const struct view *v;
    int two; // 1: a second line per block with the probability
};

static void block_label(const void *ctx, int k, char *buf, size_t size)
{
    const struct lens_table *lt = ctx;
    if (lt->two && k % 2)
        buf[0] = 0;
    else
        text_format(buf, size, "L%d", lt->two ? k / 2 : k);
}

static void position_label(const void *ctx, int j, char *buf, size_t size)
{
    const struct lens_table *lt = ctx;
    const struct graph *gr = lt->v->graph;
    tokenizer_piece_str(&gr->model->tok, gr->ids[j], buf, size);
}

// Block l's top token at position i (its probability on the second line, with a bar).
static void lens_cell(const void *ctx, int k, int i, struct table_cell *c)
{
    const struct lens_table *lt = ctx;
    const struct lens *ln = lt->v->lens;
    int l = lt->two ? k / 2 : k, t = ln->top[(size_t)l * ln->n + i];
    float p = ln->prob[(size_t)l * ln->n + i];
    c->kind = TABLE_TEXT;
    if (t < 0) {
        text_format(c->text, sizeof c->text, "%s", lt->two && k % 2 ? "" : "·");
        c->style = SF_STYLE_DIM;
    } else if (lt->two && k % 2) {
        int n = text_format(c->text, sizeof c->text, "%.2f ", (double)p);
        for (int b = 0; b < (int)(p * 3.0f + 0.5f); b++)
            n += text_format(c->text + n, sizeof c->text - (size_t)n, "█");
        c->style = SF_STYLE_NUMBER;
    } else {
        tokenizer_piece_str(&lt->v->graph->model->tok, t, c->text, sizeof c->text);
        c->style = i == lt->v->row ? SF_STYLE_CURRENT : SF_STYLE_NORMAL;
    }
}

void panel_logit_lens(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct lens *ln = v->lens;
    panel_title(g, r, "Logit lens  top next token after each block", selected);
    if (!ln || ln->n != gr->n_tokens) {
        panel_pending(g, r, "the logit lens needs the forward pass (not the training view)");
        return;
    }
    // A table: positions across (scrolled to the selected one), a line per block and, when
    // there is room, a second line with the probability.
    struct lens_table lt = {.v = v, .two = r.h - 3 >= 2 * ln->n_layer};
    struct table t = {.rows = ln->n_layer * (lt.two ? 2 : 1),
                      .cols = ln->n,
                      .cell_w = 9,
                      .label_w = LABEL_W,
                      .sel_row = v->layer * (lt.two ? 2 : 1),
                      .keep_col = v->row,
                      .cur_row = -1,
                      .cur_col = -1,
                      .ctx = &lt,
                      .row_label = block_label,
                      .col_label = position_label,
                      .cell = lens_cell};
    panel_table(g, (struct rect){r.x, r.y + 1, r.w, r.h - 1}, &t);
}
