// LayerNorm statistics: mean and sigma per token, the selected token's values before and after
// normalising, and the learned gain and bias.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>

#include "stepformer/text.h"

#define BINS 24

// One row's distribution as a line of bars, with its mean, standard deviation and range.
static void histogram(struct grid *g, int x, int y, int w, const char *label, const float *row,
                      int d, int done)
{
    char line[160];
    int used = grid_text(g, x, y, w, label, SF_STYLE_DIM);
    if (!done) {
        grid_text(g, x + used, y, w - used, "not computed yet", SF_STYLE_DIM);
        return;
    }
    float lo = row[0], hi = row[0];
    double mean = 0, var = 0;
    for (int k = 0; k < d; k++) {
        lo = row[k] < lo ? row[k] : lo;
        hi = row[k] > hi ? row[k] : hi;
        mean += row[k];
    }
    mean /= d;
    for (int k = 0; k < d; k++)
        var += (row[k] - mean) * (row[k] - mean);
    int count[BINS] = {0}, most = 1;
    for (int k = 0; k < d; k++) {
        int b = hi > lo ? (int)((row[k] - lo) / (hi - lo) * BINS) : BINS / 2;
        b = b >= BINS ? BINS - 1 : b;
        most = ++count[b] > most ? count[b] : most;
    }
    for (int b = 0; b < BINS && used + b < w; b++) {
        int level = count[b] ? 1 + count[b] * 7 / most : 0; // ▁ .. █
        grid_put(g, x + used + b, y, level ? 0x2580 + (uint32_t)(level > 8 ? 8 : level) : ' ',
                 SF_STYLE_NUMBER);
    }
    used += BINS + 1;
    text_format(line, sizeof line, "μ %6.3f  σ %5.3f  [%.2f, %.2f]", mean, sqrt(var / d),
                (double)lo, (double)hi);
    if (used < w)
        grid_text(g, x + used, y, w - used, line, SF_STYLE_NORMAL);
}

static void vector_line(struct grid *g, int x, int y, int w, const char *label,
                        const struct tensor *t)
{
    char line[256];
    if (!t || !tensor_present(t)) {
        text_format(line, sizeof line, "%s  none (this model has no bias)", label);
        grid_text(g, x, y, w, line, SF_STYLE_DIM);
        return;
    }
    int d = t->shape[0];
    float lo = t->data[0], hi = t->data[0];
    double mean = 0;
    for (int k = 0; k < d; k++) {
        lo = t->data[k] < lo ? t->data[k] : lo;
        hi = t->data[k] > hi ? t->data[k] : hi;
        mean += t->data[k];
    }
    int n = text_format(line, sizeof line, "%s  mean %6.3f  min %6.3f  max %6.3f   first:", label,
                        mean / d, (double)lo, (double)hi);
    for (int k = 0; k < d && k < 6 && n < (int)sizeof line; k++)
        n += text_format(line + n, sizeof line - (size_t)n, " %.2f", (double)t->data[k]);
    grid_text(g, x, y, w, line, SF_STYLE_NORMAL);
}

// The index of the stats node of the LayerNorm that ran last, else of `layer`'s first
// LayerNorm; -1 when there is none.
static int layernorm_in_view(const struct graph *gr, int layer)
{
    const struct node *last = graph_last(gr);
    int i = last ? (int)(last - gr->nodes) : -1;
    if (last && last->kind == OPK_LN_STATS)
        return i;
    if (last && last->kind == OPK_LN_NORM)
        return i - 1;
    if (last && last->kind == OPK_LN_AFFINE)
        return i - 2;
    return graph_find_role(gr, layer, ROLE_LN1_STATS);
}

void panel_layernorm(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char title[160], buf[64];
    // The LayerNorm in view: the one that ran last, else the selected layer's first. Its three
    // nodes come in a row: stats, norm, affine.
    int st = layernorm_in_view(gr, v->layer), nm = st + 1, af = st + 2;
    int layer = st >= 0 ? gr->nodes[st].layer : v->layer;
    const char *unit = node_role_info(st >= 0 ? gr->nodes[st].role : ROLE_LN1_STATS)->unit;
    if (layer >= 0)
        text_format(title, sizeof title, "LayerNorm L%d.%s   ε = %g", layer, unit,
                    st >= 0 ? (double)gr->nodes[st].scalar : 0.0);
    else
        text_format(title, sizeof title, "LayerNorm %s   ε = %g", unit,
                    st >= 0 ? (double)gr->nodes[st].scalar : 0.0);
    panel_title(g, r, title, selected);
    if (st < 0) {
        panel_pending(g, r, "no LayerNorm here");
        return;
    }
    SF_ASSERT(af < gr->n_nodes && gr->nodes[nm].kind == OPK_LN_NORM &&
              gr->nodes[af].kind == OPK_LN_AFFINE);
    if (!graph_node_done(gr, st)) {
        panel_pending(g, r, "not computed yet");
        return;
    }
    int N = gr->n_tokens, d = gr->model->cfg.d_model, row = v->row;
    const float *stats = gr->nodes[st].out.data;
    // Left: mean and sigma per token.
    int y = r.y + 1, table_w = 30, rows = r.h - 2;
    grid_text(g, r.x + 1, y, table_w, "token          μ        σ", SF_STYLE_DIM);
    int top = row >= rows ? row - rows + 1 : 0;
    for (int k = 0; k < rows && top + k < N; k++) {
        int i = top + k;
        tokenizer_piece_str(&gr->model->tok, gr->ids[i], buf, sizeof buf);
        char line[96];
        text_format(line, sizeof line, "%-9.9s %8.3f %8.3f", buf, (double)stats[i * 2],
                    (double)stats[i * 2 + 1]);
        grid_text(g, r.x + 1, y + 1 + k, table_w, line,
                  i == row ? SF_STYLE_CURRENT : SF_STYLE_NORMAL);
    }
    // Right (or below when narrow): the selected token's values before and after.
    int rx = r.x + table_w + 2, rw = r.w - table_w - 2, ry = r.y + 1;
    if (rw < 40) {
        rx = r.x + 1, rw = r.w - 1, ry = r.y + 2 + (N < rows ? N : rows);
    }
    tokenizer_piece_str(&gr->model->tok, gr->ids[row], buf, sizeof buf);
    char line[128];
    text_format(line, sizeof line, "'%s': its %d values", buf, d);
    if (ry < r.y + r.h)
        grid_text(g, rx, ry++, rw, line, SF_STYLE_DIM);
    const float *x = gr->nodes[st].in[0]->data + (size_t)row * d;
    if (ry < r.y + r.h)
        histogram(g, rx, ry++, rw, "x        ", x, d, 1);
    if (ry < r.y + r.h)
        histogram(g, rx, ry++, rw, "xhat     ", gr->nodes[nm].out.data + (size_t)row * d, d,
                  graph_node_done(gr, nm));
    if (ry < r.y + r.h)
        histogram(g, rx, ry++, rw, "γ xhat+β ", gr->nodes[af].out.data + (size_t)row * d, d,
                  graph_node_done(gr, af));
    ry++;
    if (ry < r.y + r.h)
        vector_line(g, rx, ry++, rw, "γ", gr->nodes[af].in[1]);
    if (ry < r.y + r.h)
        vector_line(g, rx, ry++, rw, "β", gr->nodes[af].in[2]);
}
