// The residual stream: how large the stream is at each position after each sublayer, and what
// each sublayer added to it.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/text.h"

#define LABEL_W  9
#define MAX_CKPT 520 // the embedding plus two per block, up to 256 blocks

// The L2 norm of row i, with eight running sums so the loop vectorises (the screen redraws
// every norm of a GPT-2-sized stream on each step).
static float row_norm(const struct tensor *t, int i)
{
    int w = t->shape[t->ndim - 1], k = 0;
    const float *x = t->data + (size_t)i * w;
    float lane[8] = {0};
    for (; k + 8 <= w; k += 8)
        for (int j = 0; j < 8; j++)
            lane[j] += x[k + j] * x[k + j];
    double s = 0;
    for (int j = 0; j < 8; j++)
        s += lane[j];
    for (; k < w; k++)
        s += (double)x[k] * x[k];
    return (float)sqrt(s);
}

// Column labels in words: numbers have room for "embed" over "", "L0" over "+attn" and
// "L0" over "+ffn" (the stream after the embeddings, after block 0 adds its attention, its
// FFN); colour cells two columns wide get "e", "0a", "0f" and a key under the map. ck: the
// checkpoints of the n columns shown.
static void column_labels(struct grid *g, struct rect r, const struct view *v, const int *ck, int n,
                          int cell_w)
{
    const struct graph *gr = v->graph;
    char buf[64];
    for (int c = 0; c < n; c++) {
        const struct node *nd = &gr->nodes[ck[c]];
        int attn = nd->level == NODE_LEVEL_SUBLAYER;
        enum sf_style s = nd->layer == v->layer ? SF_STYLE_CURRENT : SF_STYLE_DIM;
        int x = r.x + LABEL_W + c * cell_w;
        if (!v->numbers) {
            if (nd->layer < 0)
                text_format(buf, sizeof buf, "e");
            else
                text_format(buf, sizeof buf, "%d%c", nd->layer, attn ? 'a' : 'f');
            if ((int)strlen(buf) <= cell_w)
                grid_text(g, x, r.y + 1, cell_w, buf, s);
            continue;
        }
        text_format(buf, sizeof buf, "%6s", nd->layer < 0 ? "embed" : attn ? "+attn" : "+ffn");
        grid_text(g, x, r.y + 2, cell_w, buf, s);
        char layer[16];
        text_format(layer, sizeof layer, "L%d", nd->layer);
        text_format(buf, sizeof buf, "%6s", layer);
        if (nd->layer >= 0)
            grid_text(g, x, r.y + 1, cell_w, buf, s);
    }
}

// What each sublayer added at the selected position, against the stream it was added to, from
// row y down. ck: the stream's n_ck checkpoints.
static void added_lines_at(struct grid *g, struct rect r, const struct view *v, int y,
                           const int *ck, int n_ck)
{
    const struct graph *gr = v->graph;
    char buf[64], line[160];
    int L = gr->model->cfg.n_layer, room = r.y + r.h - y, first = 0, n = L;
    if (room < 3 && room < 1 + L) { // no room for a layer's line and the count: say so
        if (room > 0) {
            text_format(line, sizeof line, "↓ %d more lines: what each block added (z zooms)",
                        1 + L);
            panel_label(g, r.x + 1, y, r.w - 1, line, SF_STYLE_NOTICE);
        }
        return;
    }
    tokenizer_piece_str(&gr->model->tok, gr->ids[v->row], buf, sizeof buf);
    text_format(line, sizeof line, "added at '%s':  ‖attention‖   ‖FFN‖   (‖stream before‖)", buf);
    panel_label(g, r.x + 1, y++, r.w - 1, line, SF_STYLE_DIM);
    if (1 + L > room) { // the selected layer in view, and a line for the layers not shown
        n = room - 2;
        first = v->layer >= n ? v->layer - n + 1 : 0;
        first = first + n > L ? L - n : first;
        text_format(line, sizeof line, "layers L%d–L%d of %d: l and L move", first, first + n - 1,
                    L);
        panel_label(g, r.x + 1, r.y + r.h - 1, r.w - 1, line, SF_STYLE_NOTICE);
    }
    for (int l = first; l < first + n && y < r.y + r.h; l++, y++) {
        int a = graph_find_role(gr, l, ROLE_ATTN_PROJ), f = graph_find_role(gr, l, ROLE_FFN_DOWN);
        int before = -1; // the stream the attention output is added to: the checkpoint before
        for (int c = 0; c < n_ck && ck[c] < a; c++)
            before = ck[c];
        int k = text_format(line, sizeof line, "  L%d", l);
        if (graph_node_done(gr, a))
            k += text_format(line + k, sizeof line - (size_t)k, "   %8.3f",
                             (double)row_norm(&gr->nodes[a].out, v->row));
        else
            k += text_format(line + k, sizeof line - (size_t)k, "   %8s", "·");
        if (graph_node_done(gr, f))
            k += text_format(line + k, sizeof line - (size_t)k, "   %8.3f",
                             (double)row_norm(&gr->nodes[f].out, v->row));
        else
            k += text_format(line + k, sizeof line - (size_t)k, "   %8s", "·");
        if (before >= 0 && graph_node_done(gr, before))
            text_format(line + k, sizeof line - (size_t)k, "   (%.3f)",
                        (double)row_norm(&gr->nodes[before].out, v->row));
        panel_label(g, r.x + 1, y, r.w - 1, line,
                    l == v->layer ? SF_STYLE_CURRENT : SF_STYLE_NORMAL);
    }
}

void panel_residual(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    panel_title(g, r, "Residual stream  ‖x‖ per position after each sublayer", selected);
    // The stream's checkpoints: the input encoding, then each sublayer's end.
    int ck[MAX_CKPT], n_ck = 0, n_fwd = gr->n_forward ? gr->n_forward : gr->n_nodes;
    for (int i = 0; i < n_fwd && n_ck < MAX_CKPT; i++) {
        const struct node *n = &gr->nodes[i];
        int input_end =
            n->level == NODE_LEVEL_BLOCK && (n->kind == OPK_EMBED_TOK || n->kind == OPK_EMBED_POS);
        if (input_end || (n->layer >= 0 && n->level >= NODE_LEVEL_SUBLAYER))
            ck[n_ck++] = i;
    }
    if (!n_ck || !graph_node_done(gr, ck[0])) {
        panel_pending(g, r, "not computed yet: the stream starts at the embeddings");
        return;
    }
    int N = gr->n_tokens, cell_w = v->numbers ? 6 : 2;
    int cols = (r.w - LABEL_W) / cell_w, first = 0;
    if (cols < 1 || r.h < 4)
        return;
    // Scroll so that the selected layer's columns show.
    int want = 1 + 2 * v->layer + 1;
    if (want >= cols)
        first = want - cols + 1;
    if (first > n_ck - cols)
        first = n_ck - cols > 0 ? n_ck - cols : 0;
    // Every norm once (the colour scale spans all of them); NAN where not computed yet.
    float *norms = malloc(sizeof(float) * (size_t)n_ck * N), max = 0;
    if (!norms)
        return;
    for (int c = 0; c < n_ck; c++)
        for (int i = 0; i < N; i++) {
            float x = graph_node_done(gr, ck[c]) ? row_norm(&gr->nodes[ck[c]].out, i) : NAN;
            norms[(size_t)c * N + i] = x;
            max = x > max ? x : max;
        }
    char buf[64];
    column_labels(g, r, v, ck + first, n_ck - first < cols ? n_ck - first : cols, cell_w);
    int head = v->numbers ? 2 : 1; // header rows
    int added_lines = gr->model->cfg.n_layer + 2;
    int rows = r.h - 1 - head - (r.h - 1 - head > N + added_lines + 1 ? added_lines + 1 : 0);
    if (n_ck > cols) { // the columns not shown, counted left of the header
        int left = first, right = n_ck - first - cols, k = 0;
        if (left)
            k = text_format(buf, sizeof buf, "← %d ", left);
        if (right)
            text_format(buf + k, sizeof buf - (size_t)k, "+%d →", right);
        grid_text(g, r.x, r.y + 1, LABEL_W - 1, buf, SF_STYLE_NOTICE);
    }
    int shown = N <= rows ? N : rows - 1; // a line says which rows show when not all do
    shown = shown < 1 ? (rows > 0) : shown;
    int top = v->row >= shown ? v->row - shown + 1 : 0;
    for (int k = 0; k < shown && top + k < N; k++) {
        int i = top + k, y = r.y + 1 + head + k;
        tokenizer_piece_str(&gr->model->tok, gr->ids[i], buf, sizeof buf);
        panel_label(g, r.x, y, LABEL_W - 1, buf, i == v->row ? SF_STYLE_CURRENT : SF_STYLE_DIM);
        for (int c = 0; c < cols && first + c < n_ck; c++) {
            int x = r.x + LABEL_W + c * cell_w;
            float nv = norms[(size_t)(first + c) * N + i];
            if (isnan(nv)) {
                grid_text(g, x, y, cell_w, v->numbers ? "     ·" : " ·", SF_STYLE_DIM);
                continue;
            }
            if (v->numbers) {
                panel_number(buf, sizeof buf, nv, cell_w);
                grid_text(g, x, y, cell_w, buf, i == v->row ? SF_STYLE_CURRENT : SF_STYLE_NUMBER);
            } else {
                int level = ramp_level(RAMP_SEQUENTIAL, nv, max);
                grid_heat(g, x, y, RAMP_SEQUENTIAL, level, level);
                grid_heat(g, x + 1, y, RAMP_SEQUENTIAL, level, level);
            }
        }
    }
    free(norms);
    int y = r.y + 1 + head + shown; // under the last token
    if (shown < N && shown < rows)
        grid_text(g, r.x + 1, y++, r.w - 1, panel_hidden_rows(buf, sizeof buf, top, shown, N),
                  SF_STYLE_NOTICE);
    if (!v->numbers && y < r.y + r.h) {
        panel_legend(g, r.x + LABEL_W, y++, r.w - LABEL_W, RAMP_SEQUENTIAL, max);
        if (y + 1 < r.y + r.h)
            panel_label(g, r.x + 1, y++, r.w - 1,
                        "columns: e = after the embeddings; 0a, 0f = after block 0 adds its "
                        "attention, its FFN",
                        SF_STYLE_DIM);
    }
    // The block's equation as this model places its norms.
    int pre = gr->model->cfg.norm == NORM_PRE;
    if (y < r.y + r.h)
        panel_label(g, r.x + 1, y++, r.w - 1,
                    pre ? "pre-norm: h = x + Attn(LN(x)), then x' = h + FFN(LN(h))"
                        : "post-norm: h = LN(x + Attn(x)), then x' = LN(h + FFN(h))",
                    SF_STYLE_NORMAL);
    if (y >= r.y + r.h)
        return;
    added_lines_at(g, r, v, y, ck, n_ck);
}
