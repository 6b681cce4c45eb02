// The feedforward sublayer for one token: the hidden units before and after the activation,
// how many are active, the strongest, and what the FFN adds to the stream.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

#define LABEL_W 9

// The units of one row as colour cells, two units per cell (upper and lower half), wrapping
// over at most max_lines lines. When they do not all fit, the last line says which are shown,
// and the lines scroll to keep unit `mark` (the inspect cell, -1: none) in view; that unit's
// cell is marked. Returns the lines used.
static int unit_rows(struct grid *g, int x, int y, int w, int max_lines, const float *u, int F,
                     enum ramp_kind ramp, float max, int mark)
{
    int per_line = w * 2, lines = (F + per_line - 1) / per_line, first = 0, note = 0;
    if (lines > max_lines && max_lines >= 2) {
        note = 1;
        lines = max_lines - 1;
        int ml = mark >= 0 ? mark / per_line : 0;
        first = ml >= lines ? ml - lines + 1 : 0;
    } else if (lines > max_lines) {
        lines = max_lines;
    }
    for (int l = 0; l < lines; l++)
        for (int c = 0; c < w; c++) {
            int k = (first + l) * per_line + 2 * c; // units k and k + 1, left to right
            if (k >= F)
                break;
            if (mark >= 0 && (mark == k || mark == k + 1)) {
                grid_put(g, x + c, y + l, '*', SF_STYLE_SELECTED);
                continue;
            }
            int up = ramp_level(ramp, u[k], max);
            int lo = k + 1 < F ? ramp_level(ramp, u[k + 1], max) : 0;
            grid_heat(g, x + c, y + l, ramp, up, lo);
        }
    if (note) {
        char buf[96];
        int a = first * per_line, b = (first + lines) * per_line;
        b = b > F ? F : b;
        text_format(buf, sizeof buf, "units %d–%d of %d shown (i and ← → move over all)", a, b - 1,
                    F);
        grid_text(g, x, y + lines, w, buf, SF_STYLE_NOTICE);
        lines++;
    }
    return lines;
}

// FFN(x) for every token (rows) and the model's width (columns) as a table, from line y.
static void down_table(struct grid *g, struct rect r, int y, const struct view *v, int down)
{
    const struct graph *gr = v->graph;
    const struct tensor *o = &gr->nodes[down].out;
    struct table_matrix mx = {.graph = gr,
                              .m = o->data,
                              .rows = o->shape[0],
                              .cols = o->shape[1],
                              .numbers = v->numbers,
                              .sel_row = v->row,
                              .ramp = RAMP_DIVERGING,
                              .span = panel_span(o->data, tensor_numel(o))};
    struct table t;
    panel_table_matrix(&t, &mx, v, graph_last(gr) == &gr->nodes[down]);
    t.label_w = LABEL_W;
    panel_table(g, (struct rect){r.x, y, r.w, r.y + r.h - y}, &t);
}

void panel_ffn(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct model_config *c = &gr->model->cfg;
    char title[128], line[200], buf[48];
    text_format(title, sizeof title, "Feedforward  L%d  d_ff = %d  %s", v->layer, c->d_ff,
                c->act == ACT_RELU ? "ReLU" : "GELU");
    panel_title(g, r, title, selected);
    int up = graph_find_role(gr, v->layer, ROLE_FFN_UP);
    int act = graph_find_role(gr, v->layer, c->act == ACT_GELU ? ROLE_FFN_GELU : ROLE_FFN_RELU);
    int down = graph_find_role(gr, v->layer, ROLE_FFN_DOWN);
    if (up < 0 || act < 0 || down < 0) {
        panel_pending(g, r, "no feedforward layer here");
        return;
    }
    if (!graph_node_done(gr, up)) {
        panel_pending(g, r, "not computed yet");
        return;
    }
    int F = c->d_ff, row = v->row < gr->n_tokens ? v->row : gr->n_tokens - 1;
    int y = r.y + 1, end = r.y + r.h;
    const float *z = gr->nodes[up].out.data + (size_t)row * F;
    tokenizer_piece_str(&gr->model->tok, gr->ids[row], buf, sizeof buf);
    float zmax = 0;
    for (int k = 0; k < F; k++)
        zmax = fabsf(z[k]) > zmax ? fabsf(z[k]) : zmax;
    int room = end - y - 4; // lines for the two maps
    // Once FFN(x) is computed its table shares the room with the two maps.
    int each = room / (graph_node_done(gr, down) ? 4 : 2);
    each = each > 0 ? each : 1;
    text_format(line, sizeof line, "'%s': z = x W1 + b1  (%d units, two per cell)", buf, F);
    panel_label(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_DIM);
    if (y < end)
        y += unit_rows(g, r.x + 1, y, r.w - 2, each, z, F, RAMP_DIVERGING, zmax,
                       v->inspect && graph_last(gr) == &gr->nodes[up] ? v->col : -1);
    if (!graph_node_done(gr, act)) {
        if (y < end)
            grid_text(g, r.x + 1, y, r.w - 1, "the activation: not computed yet", SF_STYLE_DIM);
        return;
    }
    const float *a = gr->nodes[act].out.data + (size_t)row * F;
    float amax = 0;
    int active = 0, top[5] = {-1, -1, -1, -1, -1};
    for (int k = 0; k < F; k++) {
        amax = a[k] > amax ? a[k] : amax;
        active += c->act == ACT_RELU ? a[k] > 0 : a[k] > 0.01f;
        for (int t = 0; t < 5; t++)
            if (top[t] < 0 || a[k] > a[top[t]]) {
                for (int s = 4; s > t; s--)
                    top[s] = top[s - 1];
                top[t] = k;
                break;
            }
    }
    if (y < end) {
        text_format(line, sizeof line, "%s(z): %d of %d units active (%.0f%%; %s)",
                    c->act == ACT_RELU ? "ReLU" : "GELU", active, F, 100.0 * active / F,
                    c->act == ACT_RELU ? "> 0" : "> 0.01");
        panel_label(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_NORMAL);
    }
    if (y < end)
        y += unit_rows(g, r.x + 1, y, r.w - 2, each, a, F, RAMP_SEQUENTIAL, amax,
                       v->inspect && graph_last(gr) == &gr->nodes[act] ? v->col : -1);
    if (y < end) {
        int n = text_format(line, sizeof line, "strongest:");
        for (int t = 0; t < 5 && top[t] >= 0; t++)
            n += text_format(line + n, sizeof line - (size_t)n, "  #%d %.2f", top[t],
                             (double)a[top[t]]);
        panel_label(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_NORMAL);
    }
    if (y < end && graph_node_done(gr, down)) {
        const struct tensor *o = &gr->nodes[down].out, *x = gr->nodes[down + 1].in[0];
        int d = c->d_model;
        double on = 0, xn = 0;
        for (int k = 0; k < d; k++) {
            on += (double)o->data[(size_t)row * d + k] * o->data[(size_t)row * d + k];
            if (x)
                xn += (double)x->data[(size_t)row * d + k] * x->data[(size_t)row * d + k];
        }
        text_format(line, sizeof line, "FFN(x) = act(z) W2 + b2 adds ‖%.3f‖ to a stream of ‖%.3f‖",
                    sqrt(on), sqrt(xn));
        panel_label(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_NORMAL);
        if (y + 2 < end)
            down_table(g, r, y, v, down);
    }
}
