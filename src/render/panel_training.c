// One training iteration: the loss per position, the gradient a grad.* op produced, the update
// an adamw.* op made, and the loss before and after the step.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"
#include "stepformer/utf8.h"

#define LABEL_W 9

// A matrix as one colour cell per value (a diverging ramp for gradients, sequential for update
// sizes) from line y to the panel's end, as a table that never crops silently: rows named by
// their tokens (positions or the vocabulary), vocabulary columns by theirs; scrolled to the
// inspect cell, else to the selected position's target (the column its gradient is about).
static void heat_rows(struct grid *g, struct rect r, int y, const struct view *v, const float *m,
                      int rows, int cols, enum ramp_kind ramp, float max, int abs_val)
{
    const struct graph *gr = v->graph;
    int tokens = rows == gr->n_tokens;
    struct table_matrix mx = {.graph = gr,
                              .m = m,
                              .rows = rows,
                              .cols = cols,
                              .abs_val = abs_val,
                              .sel_row = tokens ? v->row : -1,
                              .ramp = ramp,
                              .span = max};
    struct table t;
    panel_table_matrix(&t, &mx, v, 1);
    t.label_w = LABEL_W;
    // A gradient or an update keeps one column per unit: its columns are counted against the
    // same map drawn large, and a map of a whole parameter reads as one strip.
    t.grow_w = t.grow_h = 0;
    if (tokens && gr->targets && cols == gr->model->cfg.vocab_size && v->row < rows)
        t.keep_col = gr->targets[v->row];
    panel_table(g, (struct rect){r.x, y, r.w, r.y + r.h - y}, &t);
}

static void stats(const struct tensor *t, float *maxabs, double *norm, double *mean_abs)
{
    size_t n = tensor_numel(t);
    double s = 0, a = 0;
    float mx = 0;
    for (size_t i = 0; i < n; i++) {
        float x = fabsf(t->data[i]);
        mx = x > mx ? x : mx;
        s += (double)x * x;
        a += x;
    }
    *maxabs = mx;
    *norm = sqrt(s);
    *mean_abs = n ? a / (double)n : 0;
}

// The gradient a grad.* op produced (a diverging map) or the update an adamw.* op made (its
// sizes), with a line of its statistics and the legend, from line y.
static void step_map(struct grid *g, struct rect r, const struct view *v, const struct node *last,
                     int y)
{
    const struct graph *gr = v->graph;
    char line[200];
    const struct tensor *t = &last->out;
    float mx;
    double norm, mean;
    stats(t, &mx, &norm, &mean);
    int rows = t->ndim >= 2 ? t->shape[t->ndim - 2] : 1, cols = t->shape[t->ndim - 1];
    if (t->ndim == 3) // per-head tensors: the selected head
        rows = t->shape[1];
    const float *m = t->data;
    if (t->ndim == 3)
        m += (size_t)(v->head < 0 ? 0 : v->head) * rows * cols;
    if (last->role == ROLE_GRAD) {
        text_format(line, sizeof line, "∂L/∂ %s  max |g| %.3g  ‖g‖ %.3g%s",
                    gr->nodes[last->fwd].name, (double)mx, norm,
                    t->ndim == 3 ? "  (the selected head)" : "");
        y += panel_wrap(g, r.x + 1, y, r.w - 1, 2, line, SF_STYLE_NORMAL);
        panel_legend(g, r.x + LABEL_W, y++, r.w - LABEL_W, RAMP_DIVERGING, mx);
        heat_rows(g, r, y, v, m, rows, cols, RAMP_DIVERGING, mx, 0);
    } else {
        double wn = 0;
        const struct tensor *w = last->param->t;
        size_t n = tensor_numel(w);
        for (size_t i = 0; i < n; i++)
            wn += (double)w->data[i] * w->data[i];
        text_format(line, sizeof line, "update ΔW of %s  mean |Δ| %.3g  max |Δ| %.3g  ‖Δ‖/‖W‖ %.3g",
                    last->param->name, mean, (double)mx, wn > 0 ? norm / sqrt(wn) : 0.0);
        y += panel_wrap(g, r.x + 1, y, r.w - 1, 2, line, SF_STYLE_NORMAL);
        panel_legend(g, r.x + LABEL_W, y++, r.w - LABEL_W, RAMP_SEQUENTIAL, mx);
        heat_rows(g, r, y, v, m, rows, cols, RAMP_SEQUENTIAL, mx, 1);
    }
}

// The loss per position, -ln p of the target after each token (before and after the step once
// it is done), with a bar each, from line y; the positions not shown counted on the last line.
static void loss_rows(struct grid *g, struct rect r, const struct view *v, int xent, int y)
{
    const struct graph *gr = v->graph;
    char line[200], a[32], b[32];
    int end = r.y + r.h;
    if (!graph_node_done(gr, xent)) {
        panel_pending(g, (struct rect){r.x, y - 1, r.w, end - y + 1},
                      "the loss per position appears when loss.xent runs");
        return;
    }
    const float *loss = gr->nodes[xent].out.data;
    float mx = 0;
    for (int i = 0; i < gr->n_tokens; i++)
        mx = loss[i] > mx ? loss[i] : mx;
    const float *after = v->loss_after_pos;
    grid_text(g, r.x + 1, y++, r.w - 1,
              after ? "position → target       before   after       Δ  of −ln p(target)"
                    : "position → target      −ln p(target)",
              SF_STYLE_DIM);
    // When the positions do not all fit, the last line counts the ones not shown.
    int n = gr->n_tokens, room = n > end - y ? end - y - 1 : end - y;
    int first = v->row >= room ? v->row - room + 1 : 0;
    if (room < 1)
        room = 0, first = 0;
    int stop = first + room < n ? first + room : n;
    if (stop - first < n && y < end) {
        text_format(line, sizeof line, "positions %d–%d of %d: %d more (j k scroll)", first,
                    stop - 1, n, n - (stop - first));
        grid_text(g, r.x + 1, end - 1, r.w - 1, line, SF_STYLE_DIM);
    }
    for (int i = first; i < stop && y < end; i++, y++) {
        char pa[32], pb[32];
        panel_fit(a, sizeof a, tokenizer_piece_str(&gr->model->tok, gr->ids[i], pa, sizeof pa), 9);
        panel_fit(b, sizeof b, tokenizer_piece_str(&gr->model->tok, gr->targets[i], pb, sizeof pb),
                  9);
        int pad_a = 9 - (int)utf8_count(a, strlen(a)), pad_b = 9 - (int)utf8_count(b, strlen(b));
        text_format(line, sizeof line, "%s%*s → %s%*s %7.4f ", a, pad_a, "", b, pad_b, "",
                    (double)loss[i]);
        int used = grid_text(g, r.x + 1, y, r.w - 1, line,
                             i == v->row ? SF_STYLE_CURRENT : SF_STYLE_NORMAL);
        if (after) { // after the step, and the change (a fall is negative: red, as every sign)
            double d = (double)after[i] - (double)loss[i];
            text_format(line, sizeof line, "%7.4f ", (double)after[i]);
            used += grid_text(g, r.x + 1 + used, y, r.w - 1 - used, line, SF_STYLE_NORMAL);
            if (fabs(d) < 0.00005)
                text_format(line, sizeof line, "%7.4f ", 0.0);
            else
                text_format(line, sizeof line, "%+7.4f ", d);
            used += grid_text(g, r.x + 1 + used, y, r.w - 1 - used, line,
                              d <= -0.00005 ? SF_STYLE_NEGATIVE : SF_STYLE_NUMBER);
        }
        int bar_w = r.w - 2 - used, len = mx > 0 ? (int)(loss[i] / mx * (float)bar_w + 0.5f) : 0;
        for (int k = 0; k < len; k++)
            grid_put(g, r.x + 1 + used + k, y, 0x2588, SF_STYLE_NUMBER);
    }
}

void panel_training(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char title[128], line[200], a[32];
    int xent = graph_find_role(gr, -1, ROLE_LOSS_XENT);
    if (!gr->targets || xent < 0) {
        panel_title(g, r, "Training", selected);
        panel_pending(g, r,
                      "t: one training iteration on this sentence (forward, loss, "
                      "backward, AdamW)");
        return;
    }
    if (graph_node_done(gr, xent))
        text_format(title, sizeof title, "Training  loss L = %.4f (mean over %d positions)",
                    (double)gr->loss, gr->n_tokens);
    else
        text_format(title, sizeof title, "Training  (the loss comes after the forward pass)");
    panel_title(g, r, title, selected);
    int y = r.y + 1, end = r.y + r.h;
    // The loss before and after the update.
    if (isnan(v->loss_after))
        text_format(line, sizeof line, "loss before the step %s;  after it: run to the end (G)",
                    isnan(v->loss_before)
                        ? "·"
                        : (text_format(a, sizeof a, "%.4f", (double)v->loss_before), a));
    else
        text_format(line, sizeof line, "loss before the step %.4f  →  after it %.4f  (%+.4f)",
                    (double)v->loss_before, (double)v->loss_after,
                    (double)(v->loss_after - v->loss_before));
    if (isnan(v->loss_after)) // no number after the first: abbreviated at a word
        panel_label(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_DIM);
    else // the three numbers take a second line rather than lose one
        y += panel_wrap(g, r.x + 1, y, r.w - 1, 2, line, SF_STYLE_CURRENT);
    const struct node *last = graph_last(gr);
    // At the end of the step the loss per position before and after it is shown instead of the
    // last update (which the line says; one step back shows that update).
    int done = v->loss_after_pos && gr->cursor >= gr->n_nodes;
    if (done && last && y < end) {
        text_format(line, sizeof line,
                    "the step is done: each position's loss before and after it (← shows the "
                    "last update, %s)",
                    last->name);
        y += panel_wrap(g, r.x + 1, y, r.w - 1, 2, line, SF_STYLE_DIM);
    }
    if (!done && last && (last->role == ROLE_GRAD || last->role == ROLE_ADAMW) && y + 2 < end) {
        step_map(g, r, v, last, y);
        return;
    }
    // Otherwise the loss per position: -ln p of the target after each token.
    loss_rows(g, r, v, xent, y);
}
