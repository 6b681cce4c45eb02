// LayerNorm statistics: mean and sigma per token, the selected token's values before and after
// normalising as strips on one shared axis (so the rescaling shows), and the learned gain and
// bias.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"
#include "stepformer/utf8.h"

// The selected token's vectors before and after, as strips on one shared axis.
struct strips {
    const float *row[3]; // x, xhat, gamma xhat + beta (NULL: not computed yet)
    int d;
    float lo, hi; // the shared axis
    int most;     // the most values in one cell of any strip
    int label_w;  // the labels' column (wider where their ASCII forms are longer)
    int plot_w;
    int lines; // lines per strip: taller bars when there is room
    int mark;  // the component under the inspect cursor, or -1
};

// The cell of value x on the shared axis.
static int strip_cell(const struct strips *s, float x)
{
    if (!(s->hi > s->lo))
        return s->plot_w / 2;
    float t = (x - s->lo) / (s->hi - s->lo); // 0 .. 1; NaN (an infinite stream) as 0
    t = t >= 0 ? (t <= 1 ? t : 1) : 0;
    return (int)(t * (float)(s->plot_w - 1) + 0.5f);
}

// The bar of count values (of most in the fullest cell) in line `line` of `lines` (0: the
// bottom): one line's bars step ▂ .. █; taller bars fill eighths from ▁, line by line.
static uint32_t bar_glyph(int count, int most, int line, int lines)
{
    if (!count)
        return ' ';
    if (lines == 1) {
        int level = 1 + (count - 1) * 7 / most;
        return 0x2581 + (uint32_t)(level > 7 ? 7 : level);
    }
    int eighths = 1 + (count - 1) * (8 * lines - 1) / most - 8 * line;
    return eighths <= 0 ? ' ' : 0x2580 + (uint32_t)(eighths > 8 ? 8 : eighths);
}

// One strip: how many of the d values fall in each cell, as bars ▁ .. █ s->lines tall on the
// scale of the fullest cell of all three strips, so the strips compare; then μ and σ of the
// row. The label and the numbers stand on the bottom line, beside the bars' feet.
static void strip(struct grid *g, int x, int y, int w, const char *label, const struct strips *s,
                  int k)
{
    int base = y + s->lines - 1;
    panel_label(g, x, base, s->label_w, label, SF_STYLE_DIM);
    int used = s->label_w;
    const float *row = s->row[k];
    if (!row) {
        panel_label(g, x + used, base, w - used, "not computed yet", SF_STYLE_DIM);
        return;
    }
    int count[512] = {0};
    double mean = 0, var = 0;
    for (int j = 0; j < s->d; j++) {
        count[strip_cell(s, row[j])]++;
        mean += row[j];
    }
    mean /= s->d;
    for (int j = 0; j < s->d; j++)
        var += (row[j] - mean) * (row[j] - mean);
    for (int line = 0; line < s->lines; line++)
        for (int c = 0; c < s->plot_w && used + c < w; c++)
            grid_put(g, x + used + c, base - line, bar_glyph(count[c], s->most, line, s->lines),
                     SF_STYLE_NUMBER);
    if (s->mark >= 0)
        for (int line = 0; line < s->lines; line++)
            grid_put(g, x + used + strip_cell(s, row[s->mark]), y + line, '|', SF_STYLE_SELECTED);
    char m[16], sd[16], line[48];
    text_format(line, sizeof line, " μ %s σ %s", panel_fit_number(m, sizeof m, mean, 6, 3),
                panel_fit_number(sd, sizeof sd, sqrt(var / s->d), 5, 3));
    used += s->plot_w;
    if (used < w)
        panel_label(g, x + used, base, w - used, line, SF_STYLE_NORMAL);
}

// The shared axis under the strips: its ends and zero ("-2.13 ┴────┼────┴ 2.40" as two rows:
// the line with a tick at zero, then the numbers under the ends and the tick).
static void strip_axis(struct grid *g, int x, int y, int end, const struct strips *s)
{
    int zero = s->lo <= 0 && s->hi >= 0 ? strip_cell(s, 0) : -1;
    for (int c = 0; c < s->plot_w; c++)
        grid_put(g, x + s->label_w + c, y, c == zero ? 0x253c : 0x2500, SF_STYLE_DIM);
    if (y + 1 >= end)
        return;
    char lo[16], hi[16];
    panel_fit_number(lo, sizeof lo, s->lo, 6, 2);
    panel_fit_number(hi, sizeof hi, s->hi, 6, 2);
    int hi_w = (int)strlen(hi), lo_w = (int)strlen(lo);
    grid_text(g, x + s->label_w, y + 1, lo_w, lo, SF_STYLE_DIM);
    grid_text(g, x + s->label_w + s->plot_w - hi_w, y + 1, hi_w, hi, SF_STYLE_DIM);
    if (zero > lo_w && zero < s->plot_w - hi_w - 1)
        grid_put(g, x + s->label_w + zero, y + 1, '0', SF_STYLE_DIM);
}

// The selected token's x, xhat and gamma xhat + beta from (x, y), w wide, down to end.
static int draw_strips(struct grid *g, int x, int y, int w, int end, struct strips *s)
{
    static const char *const labels[3] = {"x", "xhat", "γ xhat+β"};
    s->lo = s->hi = s->row[0][0];
    for (int k = 0; k < 3; k++)
        for (int j = 0; s->row[k] && j < s->d; j++) {
            s->lo = s->row[k][j] < s->lo ? s->row[k][j] : s->lo;
            s->hi = s->row[k][j] > s->hi ? s->row[k][j] : s->hi;
        }
    s->label_w = 0;
    for (int k = 0; k < 3; k++) {
        char ascii[64];
        const char *l = g->ascii ? grid_ascii_text(ascii, sizeof ascii, labels[k]) : labels[k];
        int lw = (int)utf8_count(l, strlen(l)) + 1;
        s->label_w = lw > s->label_w ? lw : s->label_w;
    }
    int stats_w = g->ascii ? 19 : 17; // " μ -0.123 σ 0.456", " mu -0.123 sd 0.456"
    s->plot_w = w - s->label_w - stats_w;
    s->plot_w = s->plot_w > 2 * s->d ? 2 * s->d : s->plot_w; // up to 2 cells per value
    s->plot_w = s->plot_w > 512 ? 512 : s->plot_w;
    if (s->plot_w < 8)
        s->plot_w = w - s->label_w > 8 ? 8 : w - s->label_w;
    if (s->plot_w < 4)
        return y;
    s->most = 1;
    for (int k = 0; k < 3; k++) {
        int count[512] = {0};
        for (int j = 0; s->row[k] && j < s->d; j++) {
            int c = strip_cell(s, s->row[k][j]);
            s->most = ++count[c] > s->most ? count[c] : s->most;
        }
    }
    for (int k = 0; k < 3 && y + s->lines <= end; k++, y += s->lines)
        strip(g, x, y, w, labels[k], s, k);
    if (y < end)
        strip_axis(g, x, y, end, s);
    return y + 2;
}

static void vector_line(struct grid *g, int x, int y, int w, const char *label,
                        const struct tensor *t)
{
    char line[512];
    if (!t || !tensor_present(t)) {
        text_format(line, sizeof line, "%s  none (this model has no bias)", label);
        panel_label(g, x, y, w, line, SF_STYLE_DIM);
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
    int n0 = text_format(line, sizeof line, "%s  mean %6.3f  min %6.3f  max %6.3f", label, mean / d,
                         (double)lo, (double)hi);
    // Its first values, as many as fit (up to 48), saying how many of how many they are.
    for (int shown = d < 48 ? d : 48; shown > 0; shown--) {
        int n =
            n0 + text_format(line + n0, sizeof line - (size_t)n0, "   first %d of %d:", shown, d);
        for (int k = 0; k < shown && n < (int)sizeof line; k++)
            n += text_format(line + n, sizeof line - (size_t)n, " %.2f", (double)t->data[k]);
        if ((int)utf8_count(line, strlen(line)) <= w)
            break;
        line[n0] = 0;
    }
    if (!line[n0]) // no value fits: the mean says over how many it is
        text_format(line, sizeof line, "%s  mean of %d %6.3f  min %6.3f  max %6.3f", label, d,
                    mean / d, (double)lo, (double)hi);
    panel_label(g, x, y, w, line, SF_STYLE_NORMAL);
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

// The table of μ and σ per token from (r.x, r.y + 1): rows of `shown` tokens ending at the
// selected one, the count of the others on the line below when not all show. With `spread`,
// the rows spaced out to fill `rows` lines (up to 5 lines a token) and the labels as wide as
// the longest token (up to 15 columns). Sets *table_w to the columns the table takes.
static void stats_table(struct grid *g, struct rect r, const struct view *v, const float *stats,
                        int shown, int rows, int cell_stats, int *table_w, int spread)
{
    const struct graph *gr = v->graph;
    int N = gr->n_tokens, row = v->row, y = r.y + 1, lw = 9, step = 1;
    char buf[64], line[96];
    for (int i = 0; spread && i < N; i++) {
        tokenizer_piece_str(&gr->model->tok, gr->ids[i], buf, sizeof buf);
        int n = (int)utf8_count(buf, strlen(buf)) + 1;
        lw = n > lw ? (n > 16 ? 16 : n) : lw;
    }
    if (spread && shown == N)
        step = rows / N > 5 ? 5 : rows / N < 1 ? 1 : rows / N;
    *table_w += lw - 9;
    panel_label(g, r.x + 1, y, lw, "token", SF_STYLE_DIM);
    grid_text(g, r.x + 1 + lw + 6, y, 1, "μ", SF_STYLE_DIM);
    grid_text(g, r.x + 1 + lw + 15, y, 1, "σ", SF_STYLE_DIM);
    int top = row >= shown ? row - shown + 1 : 0;
    if (shown < N && shown < rows)
        panel_label(g, r.x + 1, y + 1 + shown, *table_w - 1,
                    panel_hidden_rows(line, sizeof line, top, shown, N), SF_STYLE_NOTICE);
    for (int k = 0; k < shown && top + k < N; k++) {
        int i = top + k, ly = y + 1 + k * step + (step - 1) / 2;
        char mu[16], sd[16];
        tokenizer_piece_str(&gr->model->tok, gr->ids[i], buf, sizeof buf);
        enum sf_style s = i == row ? SF_STYLE_CURRENT : SF_STYLE_NORMAL;
        panel_label(g, r.x + 1, ly, lw, buf, s);
        panel_fit_number(mu, sizeof mu, (double)stats[i * 2], 8, 3);
        panel_fit_number(sd, sizeof sd, (double)stats[i * 2 + 1], 8, 3);
        for (int c = 0; c < 2; c++) {
            char cell[16];
            text_format(cell, sizeof cell, "%9s", c ? sd : mu);
            int sel = cell_stats && i == row && v->col == c;
            grid_text(g, r.x + 1 + lw + 9 * c, ly, 9, cell, sel ? SF_STYLE_SELECTED : s);
        }
    }
}

void panel_layernorm(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char title[160], buf[64], line[160];
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
    // The inspect cursor on this norm: a cell of the table (stats) or a component (norm, affine).
    const struct node *last = graph_last(gr);
    int at = last ? (int)(last - gr->nodes) : -1;
    int cell_stats = v->inspect && at == st,
        mark = v->inspect && (at == nm || at == af) ? v->col : -1;
    // Left: mean and sigma per token; below it when narrow, leaving the strips their lines.
    int table_w = 30, rows = r.h - 2, stacked = r.w - table_w - 2 < 40;
    int strip_lines = 8 + (mark >= 0); // the heading, 3 strips, the axis (2), γ and β
    if (stacked && rows > 3 && rows - strip_lines - 1 < N)
        rows = rows - strip_lines - 1 > 3 ? rows - strip_lines - 1 : 3;
    int shown = N <= rows ? N : rows - 1; // a line says which rows show when not all do
    shown = shown < 1 ? (rows > 0) : shown;
    stats_table(g, r, v, stats, shown, rows, cell_stats, &table_w, !stacked);
    // Right (or below when narrow): the selected token's values before and after.
    int rx = r.x + table_w + 2, rw = r.w - table_w - 2, ry = r.y + 1, end = r.y + r.h;
    if (stacked) {
        rx = r.x + 1, rw = r.w - 1, ry = r.y + 2 + shown + (shown < N);
    }
    // Taller strips when there is room; what does not fit is said on the last line.
    struct strips sp = {.d = d, .mark = mark >= 0 && mark < d ? mark : -1, .lines = 1};
    if (end - ry > strip_lines)
        sp.lines = 1 + (end - ry - strip_lines) / 3 > 12 ? 12 : 1 + (end - ry - strip_lines) / 3;
    strip_lines += 3 * (sp.lines - 1);
    int hidden = strip_lines - (end - ry);
    if (hidden > 0 && end - ry >= 2)
        end--, hidden++;
    tokenizer_piece_str(&gr->model->tok, gr->ids[row], buf, sizeof buf);
    text_format(line, sizeof line, "'%s': its %d values on one axis, one strip each", buf, d);
    if (ry < end)
        panel_label(g, rx, ry++, rw, line, SF_STYLE_DIM);
    sp.row[0] = gr->nodes[st].in[0]->data + (size_t)row * d;
    sp.row[1] = graph_node_done(gr, nm) ? gr->nodes[nm].out.data + (size_t)row * d : NULL;
    sp.row[2] = graph_node_done(gr, af) ? gr->nodes[af].out.data + (size_t)row * d : NULL;
    ry = draw_strips(g, rx, ry, rw, end, &sp);
    if (sp.mark >= 0 && ry < end) {
        char a[16], b[16], c[16];
        text_format(line, sizeof line, "| component %d: x %s, xhat %s, γ xhat+β %s", sp.mark,
                    panel_fit_number(a, sizeof a, sp.row[0][sp.mark], 8, 3),
                    sp.row[1] ? panel_fit_number(b, sizeof b, sp.row[1][sp.mark], 8, 3) : "…",
                    sp.row[2] ? panel_fit_number(c, sizeof c, sp.row[2][sp.mark], 8, 3) : "…");
        panel_label(g, rx, ry++, rw, line, SF_STYLE_SELECTED);
    }
    if (ry < end)
        vector_line(g, rx, ry++, rw, "γ", gr->nodes[af].in[1]);
    if (ry < end)
        vector_line(g, rx, ry++, rw, "β", gr->nodes[af].in[2]);
    if (hidden > 0 && end < r.y + r.h) {
        text_format(line, sizeof line, "↓ %d more lines (the axis, γ, β): z zooms", hidden);
        panel_label(g, rx, end, rw, line, SF_STYLE_NOTICE);
    }
}
