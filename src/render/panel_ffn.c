// The feedforward sublayer for one token: the hidden units before and after the activation,
// how many are active, the strongest, and what the FFN adds to the stream.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

#define LABEL_W 9

// The units of one row as colour cells, two units per cell (upper and lower half), wrapping
// over at most max_lines lines. Returns the lines used.
static int unit_rows(struct grid *g, int x, int y, int w, int max_lines, const float *u, int F,
                     enum ramp_kind ramp, float max)
{
    int per_line = w * 2, lines = (F + per_line - 1) / per_line;
    lines = lines > max_lines ? max_lines : lines;
    for (int l = 0; l < lines; l++)
        for (int c = 0; c < w; c++) {
            int k = l * per_line + 2 * c; // units k and k + 1, left to right
            if (k >= F)
                break;
            int up = ramp_level(ramp, u[k], max);
            int lo = k + 1 < F ? ramp_level(ramp, u[k + 1], max) : 0;
            grid_heat(g, x + c, y + l, ramp, up, lo);
        }
    return lines;
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
    int F = c->d_ff, row = v->row, y = r.y + 1, end = r.y + r.h;
    const float *z = gr->nodes[up].out.data + (size_t)row * F;
    tokenizer_piece_str(&gr->model->tok, gr->ids[row], buf, sizeof buf);
    float zmax = 0;
    for (int k = 0; k < F; k++)
        zmax = fabsf(z[k]) > zmax ? fabsf(z[k]) : zmax;
    int room = end - y - 4; // lines for the two maps
    int each = room / 2 > 0 ? room / 2 : 1;
    text_format(line, sizeof line, "'%s': z = x W1 + b1  (%d units, two per cell)", buf, F);
    grid_text(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_DIM);
    if (y < end)
        y += unit_rows(g, r.x + 1, y, r.w - 2, each, z, F, RAMP_DIVERGING, zmax);
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
        grid_text(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_NORMAL);
    }
    if (y < end)
        y += unit_rows(g, r.x + 1, y, r.w - 2, each, a, F, RAMP_SEQUENTIAL, amax);
    if (y < end) {
        int n = text_format(line, sizeof line, "strongest:");
        for (int t = 0; t < 5 && top[t] >= 0; t++)
            n += text_format(line + n, sizeof line - (size_t)n, "  #%d %.2f", top[t],
                             (double)a[top[t]]);
        grid_text(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_NORMAL);
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
        grid_text(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_NORMAL);
    }
}
