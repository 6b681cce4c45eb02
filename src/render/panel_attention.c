// The attention matrix of one head: raw scores, scaled, masked, softmax.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>

#include "stepformer/palette.h"
#include "stepformer/text.h"

#define LABEL_W 9 // row labels: the query token
#define NUM_W   6 // a number cell: " -1.23", "  -inf"

// All heads of the layer side by side, one colour cell per entry and two rows per text line.
static void all_heads(struct grid *g, struct rect r, const float *m, int H, int N, int probs)
{
    int cell_rows = (N + 1) / 2, cols = N;
    int per_row = (r.w + 2) / (cols + 2); // heads per line of tiles
    if (per_row < 1)
        per_row = 1;
    char buf[32];
    for (int h = 0; h < H; h++) {
        int tx = r.x + (h % per_row) * (cols + 2), ty = r.y + 1 + (h / per_row) * (cell_rows + 2);
        if (ty + 1 >= r.y + r.h)
            break;
        text_format(buf, sizeof buf, "head %d", h);
        grid_text(g, tx, ty, cols + 1 < r.x + r.w - tx ? cols + 1 : r.x + r.w - tx, buf,
                  SF_STYLE_DIM);
        const float *a = m + (size_t)h * N * N;
        float span = 0;
        for (int i = 0; i < N * N; i++)
            if (isfinite(a[i]) && fabsf(a[i]) > span)
                span = fabsf(a[i]);
        enum ramp_kind ramp = probs ? RAMP_SEQUENTIAL : RAMP_DIVERGING;
        for (int i = 0; i < N; i += 2)
            for (int j = 0; j < N && tx + j < r.x + r.w; j++) {
                int y = ty + 1 + i / 2;
                if (y >= r.y + r.h)
                    break;
                float up = a[(size_t)i * N + j], lo = i + 1 < N ? a[(size_t)(i + 1) * N + j] : 0;
                // Masked entries (-inf, and the zeros the softmax makes of them) look masked.
                int lu = probs && j > i ? SF_LEVEL_MASKED : ramp_level(ramp, up, probs ? 1 : span);
                int ll = i + 1 >= N           ? 0
                         : probs && j > i + 1 ? SF_LEVEL_MASKED
                                              : ramp_level(ramp, lo, probs ? 1 : span);
                grid_heat(g, tx + j, y, ramp, lu, ll);
            }
    }
}

void panel_attention(struct grid *g, struct rect r, const struct view *v, int selected)
{
    // The stage: the op that ran last (or whose gradient ran last), if it is one of this
    // layer's attention stages; else the softmax.
    enum node_role stage = ROLE_ATTN_SOFTMAX;
    const struct node *last = graph_last(v->graph);
    if (last && last->role == ROLE_GRAD)
        last = &v->graph->nodes[last->fwd];
    if (last && last->layer == v->layer &&
        (last->role == ROLE_ATTN_SCORES || last->role == ROLE_ATTN_SCALE ||
         last->role == ROLE_ATTN_MASK || last->role == ROLE_ATTN_SOFTMAX))
        stage = last->role;
    panel_attention_at(g, r, v, stage, selected);
}

// How many rows and columns of the N x N matrix fit in r, and the first of each shown (scrolled
// so that the selected row, and the inspected column, stay in view).
static void window(struct rect r, const struct view *v, int N, int *rows, int *cols, int *top,
                   int *left)
{
    int cell_w = v->numbers ? NUM_W : 2;
    *cols = (r.w - LABEL_W) / cell_w;
    *rows = r.h - 2;
    *cols = *cols > N ? N : *cols < 1 ? 1 : *cols;
    *rows = *rows > N ? N : *rows < 1 ? 1 : *rows;
    *top = v->row >= *rows ? v->row - *rows + 1 : 0;
    *left = v->inspect && v->col >= *cols ? v->col - *cols + 1 : 0;
}

int panel_attention_hit(struct rect r, const struct view *v, int x, int y, int *row, int *col)
{
    int N = v->graph->n_tokens, rows, cols, top, left, cell_w = v->numbers ? NUM_W : 2;
    window(r, v, N, &rows, &cols, &top, &left);
    int i = y - r.y - 2, j = (x - r.x - LABEL_W) / cell_w;
    if (x < r.x + LABEL_W || i < 0 || i >= rows || j >= cols)
        return 0;
    *row = top + i;
    *col = left + j;
    return 1;
}

void panel_attention_at(struct grid *g, struct rect r, const struct view *v, enum node_role stage,
                        int selected)
{
    const struct graph *gr = v->graph;
    const char *word = node_role_info(stage)->op;
    char title[96], buf[32];
    if (v->head < 0)
        text_format(title, sizeof title, "Attention  L%d all heads  %s", v->layer, word);
    else
        text_format(title, sizeof title, "Attention  L%d head %d  %s", v->layer, v->head, word);
    panel_title(g, r, title, selected);
    int idx = graph_find_role(gr, v->layer, stage);
    if (idx < 0 || !graph_node_done(gr, idx)) {
        grid_text(g, r.x + 1, r.y + 1, r.w - 1, idx < 0 ? "no such op" : "not computed yet",
                  SF_STYLE_DIM);
        return;
    }
    const struct tensor *t = &gr->nodes[idx].out; // (B H, T, T); one sequence: (H, N, N)
    int N = t->shape[1], H = gr->model->cfg.n_head;
    if (v->head < 0) {
        all_heads(g, r, t->data, H, N, stage == ROLE_ATTN_SOFTMAX);
        return;
    }
    if (v->head >= H)
        return;
    const float *m = t->data + (size_t)v->head * N * N;
    int cell_w = v->numbers ? NUM_W : 2, rows, cols, top, left;
    window(r, v, N, &rows, &cols, &top, &left);
    // Colour scale: probabilities on [0, 1]; scores diverging around 0 by their largest size.
    int probs = stage == ROLE_ATTN_SOFTMAX;
    float span = 0;
    for (int i = 0; i < N * N; i++)
        if (isfinite(m[i]) && fabsf(m[i]) > span)
            span = fabsf(m[i]);
    const struct tokenizer *tok = &gr->model->tok;
    for (int c = 0; c < cols; c++) { // key labels
        tokenizer_piece_str(tok, gr->ids[left + c], buf, sizeof buf);
        grid_text(g, r.x + LABEL_W + c * cell_w + (v->numbers ? 1 : 0), r.y + 1, cell_w - 1, buf,
                  SF_STYLE_DIM);
    }
    for (int k = 0; k < rows; k++) {
        int i = top + k, y = r.y + 2 + k;
        tokenizer_piece_str(tok, gr->ids[i], buf, sizeof buf);
        grid_text(g, r.x, y, LABEL_W - 1, buf, i == v->row ? SF_STYLE_CURRENT : SF_STYLE_DIM);
        for (int c = 0; c < cols; c++) {
            int j = left + c;
            float x = m[(size_t)i * N + j];
            int cx = r.x + LABEL_W + c * cell_w;
            // -inf after the mask; after the softmax the same cells hold exactly 0.
            int masked = (isinf(x) && x < 0) || (probs && j > i);
            int cursor = v->inspect && i == v->row && j == v->col;
            if (cursor) {
                if (v->numbers && isinf(x))
                    text_format(buf, sizeof buf, "%*s", NUM_W, "-inf");
                else if (v->numbers)
                    panel_number(buf, sizeof buf, x, NUM_W);
                grid_text(g, cx, y, cell_w, v->numbers ? buf : "<>", SF_STYLE_SELECTED);
            } else if (v->numbers) {
                if (isinf(x) && x < 0)
                    text_format(buf, sizeof buf, "%*s", NUM_W, "-inf");
                else
                    panel_number(buf, sizeof buf, x, NUM_W);
                enum sf_style s = masked        ? SF_STYLE_MASKED
                                  : i == v->row ? SF_STYLE_CURRENT
                                  : x < 0       ? SF_STYLE_NEGATIVE
                                                : SF_STYLE_NUMBER;
                grid_text(g, cx, y, NUM_W, buf, s);
            } else {
                enum ramp_kind ramp = probs ? RAMP_SEQUENTIAL : RAMP_DIVERGING;
                int level = masked ? SF_LEVEL_MASKED : ramp_level(ramp, x, probs ? 1.0f : span);
                grid_heat(g, cx, y, ramp, level, level);
                grid_heat(g, cx + 1, y, ramp, level, level);
            }
        }
    }
    if (!v->numbers && r.h - 2 > rows)
        panel_legend_masked(g, r.x + LABEL_W, r.y + 2 + rows, r.w - LABEL_W,
                            probs ? RAMP_SEQUENTIAL : RAMP_DIVERGING, probs ? 1.0f : span,
                            stage == ROLE_ATTN_MASK || probs);
}
