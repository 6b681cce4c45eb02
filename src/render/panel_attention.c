// The attention matrix of one head: raw scores, scaled, masked, softmax.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/palette.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

#define LABEL_W 9 // row labels: the query token
#define NUM_W   6 // a number cell: " -1.23", "  -inf"

// How the maps of all heads are laid out: each position s columns by s half-lines, or with
// f > 1 one cell for f x f positions; tiles of lw label columns and the map, per_row a line.
struct heads_fit {
    int s, f, n, lw, map_w, map_h, tile_w, tile_h, per_row, shown;
};

static int heads_try(struct heads_fit *h, int s, int f, int N, int H, int lw, int aw, int ah)
{
    h->s = s, h->f = f, h->n = (N + f - 1) / f, h->lw = lw;
    h->map_w = h->n * s, h->map_h = (h->n * s + 1) / 2;
    h->tile_w = lw + h->map_w + 2, h->tile_h = 1 + h->map_h + 1;
    h->per_row = (aw + 2) / h->tile_w;
    if (h->per_row < 1)
        return 0;
    int lines = (ah + 1) / h->tile_h; // lines of tiles that fit
    h->shown = lines * h->per_row < H ? lines * h->per_row : H;
    return h->shown == H;
}

// The largest maps that show every head: enlarged (s up to 8, token labels from s = 2) while
// they fit, else one cell for f x f positions. When even that does not fit, as many heads as do.
static void heads_layout(struct heads_fit *h, int N, int H, int label_w, int aw, int ah)
{
    for (int s = 8; s >= 1; s--)
        if (heads_try(h, s, 1, N, H, s >= 2 ? label_w : 0, aw, ah))
            return;
    for (int f = 2; f <= N; f++)
        if (heads_try(h, 1, f, N, H, 0, aw, ah))
            return;
    heads_try(h, 1, N, N, H, 0, aw, ah);
}

// The value of the map cell for positions [i0, i0 + f) x [j0, j0 + f) of one head: the largest
// weight (after the softmax) or the mean of the finite scores; *masked when every entry is
// masked (-inf, or above the diagonal after the softmax).
static float heads_cell(const float *a, int N, int i0, int j0, int f, int probs, int *masked)
{
    float best = 0;
    double sum = 0;
    int k = 0;
    for (int i = i0; i < i0 + f && i < N; i++)
        for (int j = j0; j < j0 + f && j < N; j++) {
            float x = a[(size_t)i * N + j];
            if ((probs && j > i) || isinf(x))
                continue;
            best = k == 0 || x > best ? x : best;
            sum += x;
            k++;
        }
    *masked = k == 0;
    return probs ? best : k ? (float)(sum / k) : 0;
}

void panel_attention_map(struct grid *g, int x, int y, int s, int f, const float *a, int N,
                         int probs, float span)
{
    enum ramp_kind ramp = probs ? RAMP_SEQUENTIAL : RAMP_DIVERGING;
    int n = (N + f - 1) / f, map_w = n * s, map_h = (n * s + 1) / 2;
    for (int line = 0; line < map_h; line++)
        for (int c = 0; c < map_w; c++) {
            int lev[2], msk[2];
            for (int half = 0; half < 2; half++) {
                int pr = (2 * line + half) / s, pc = c / s;
                msk[half] = 1, lev[half] = 0;
                if (pr >= n)
                    continue;
                float v = heads_cell(a, N, pr * f, pc * f, f, probs, &msk[half]);
                lev[half] = msk[half] ? SF_LEVEL_MASKED : ramp_level(ramp, v, probs ? 1.0f : span);
            }
            grid_heat(g, x + c, y + line, ramp, lev[0], lev[1]);
        }
}

// One head's map with its top-left corner at (x, y).
static void heads_map(struct grid *g, int x, int y, const struct heads_fit *h, const float *a,
                      int N, int probs, float span)
{
    panel_attention_map(g, x, y, h->s, h->f, a, N, probs, span);
}

// Marks the map cells of the entry (i, j) in the map at (x, y).
static void heads_mark(struct grid *g, int x, int y, const struct heads_fit *h, int i, int j)
{
    int top = (i / h->f) * h->s, left = (j / h->f) * h->s;
    for (int line = top / 2; line <= (top + h->s - 1) / 2; line++)
        for (int c = left; c < left + h->s; c++)
            grid_put(g, x + c, y + line, '*', SF_STYLE_SELECTED);
}

// All heads of the layer as small colour maps, in as many lines of tiles as it takes, each
// labelled h0, h1 ...; the maps grow with the room (z zooms the panel), the query tokens
// beside them when a position gets a line of its own. 64 positions that do not fit in a map
// are drawn f x f to a cell (the largest weight, the mean score), and the panel says so.
static void all_heads(struct grid *g, struct rect r, const struct view *v, const float *m, int H,
                      int N, int probs, int cursor)
{
    const struct graph *gr = v->graph;
    int label_w = 4, ah = r.h - 3; // the notes line above, the legend below
    char buf[128];
    for (int i = 0; i < N; i++) { // the longest token, up to 8 columns, and a space
        tokenizer_piece_str(&gr->model->tok, gr->ids[i], buf, sizeof buf);
        int n = (int)utf8_count(buf, strlen(buf)) + 1;
        label_w = n > label_w ? (n > 9 ? 9 : n) : label_w;
    }
    struct heads_fit h;
    heads_layout(&h, N, H, label_w, r.w, ah);
    if (h.f > 1)
        text_format(buf, sizeof buf, "%d heads, %d positions: each cell %d×%d positions (%s)", H, N,
                    h.f, h.f, probs ? "the largest weight" : "the mean score");
    else
        text_format(buf, sizeof buf, "%d heads; rows: queries, columns: keys%s", H,
                    h.s >= 2 ? "" : "  (z: larger, with tokens)");
    grid_text(g, r.x, r.y + 1, r.w, buf, h.f > 1 ? SF_STYLE_NOTICE : SF_STYLE_DIM);
    float span = 0;
    for (int k = 0; k < h.shown; k++) {
        const float *a = m + (size_t)k * N * N;
        float sp = panel_span(a, (size_t)N * N);
        span = sp > span ? sp : span;
    }
    for (int k = 0; k < h.shown; k++) {
        int tx = r.x + (k % h.per_row) * h.tile_w, ty = r.y + 2 + (k / h.per_row) * h.tile_h;
        text_format(buf, sizeof buf, "h%d", k);
        grid_text(g, tx + h.lw, ty, h.map_w + 1, buf, SF_STYLE_TITLE);
        const float *a = m + (size_t)k * N * N;
        heads_map(g, tx + h.lw, ty + 1, &h, a, N, probs, span);
        if (k == 0 && cursor) // the inspect cell (head 0's, as the readout says)
            heads_mark(g, tx + h.lw, ty + 1, &h, v->row, v->col);
        for (int i = 0, prev = -1; h.lw && i < N; i++) {
            int line = i * h.s / 2;
            if (line == prev)
                continue;
            prev = line;
            char tok[48];
            tokenizer_piece_str(&gr->model->tok, gr->ids[i], tok, sizeof tok);
            panel_fit(buf, sizeof buf, tok, h.lw - 1);
            grid_text(g, tx, ty + 1 + line, h.lw - 1, buf,
                      i == v->row ? SF_STYLE_CURRENT : SF_STYLE_DIM);
        }
    }
    int y = r.y + r.h - 1;
    if (h.shown < H) {
        text_format(buf, sizeof buf, "h%d–h%d (%d more heads) need a larger window or z", h.shown,
                    H - 1, H - h.shown);
        grid_text(g, r.x, y, r.w, buf, SF_STYLE_NOTICE);
    } else {
        int masked = probs; // the softmax's zeros above the diagonal, or a -inf of the mask
        for (size_t i = 0; !masked && i < (size_t)h.shown * N * N; i++)
            masked = isinf(m[i]) && m[i] < 0;
        panel_legend_masked(g, r.x, y, r.w, probs ? RAMP_SEQUENTIAL : RAMP_DIVERGING,
                            probs ? 1.0f : span, masked);
    }
}

// The stage on show: the op that ran last (or whose gradient ran last), if it is one of this
// layer's attention stages; else the softmax.
static enum node_role shown_stage(const struct view *v)
{
    const struct node *last = graph_last(v->graph);
    if (last && last->role == ROLE_GRAD)
        last = &v->graph->nodes[last->fwd];
    if (last && last->layer == v->layer &&
        (last->role == ROLE_ATTN_SCORES || last->role == ROLE_ATTN_SCALE ||
         last->role == ROLE_ATTN_MASK || last->role == ROLE_ATTN_SOFTMAX))
        return last->role;
    return ROLE_ATTN_SOFTMAX;
}

void panel_attention(struct grid *g, struct rect r, const struct view *v, int selected)
{
    panel_attention_at(g, r, v, shown_stage(v), selected);
}

// The table of one head's N x N matrix at a stage, in the panel's body (below its title):
// queries down, keys across; the selected row and, at the mask and the softmax, the first key
// it cannot see kept in view; after the softmax each row's sum over every key.
struct attn_table {
    struct table_matrix mx;
    struct table t;
};

static void row_sum(const void *ctx, int i, struct table_cell *c)
{
    const struct table_matrix *mx = ctx;
    double s = 0;
    for (int j = 0; j < mx->cols; j++)
        s += (double)mx->m[(size_t)i * mx->cols + j];
    c->kind = TABLE_NUMBER;
    c->value = (float)s;
    c->style = SF_STYLE_NUMBER;
}

static void key_label(const void *ctx, int j, char *buf, size_t size)
{
    const struct table_matrix *mx = ctx;
    tokenizer_piece_str(&mx->graph->model->tok, mx->graph->ids[j], buf, size);
}

static void token_label(const void *ctx, int i, char *buf, size_t size)
{
    const struct table_matrix *mx = ctx;
    tokenizer_piece_str(&mx->graph->model->tok, mx->graph->ids[i], buf, size);
}

static void attn_table(struct attn_table *a, const struct view *v, enum node_role stage,
                       const float *m, int N)
{
    int probs = stage == ROLE_ATTN_SOFTMAX;
    a->mx = (struct table_matrix){.graph = v->graph,
                                  .m = m,
                                  .rows = N,
                                  .cols = N,
                                  .numbers = v->numbers,
                                  .causal = probs,
                                  .sel_row = v->row,
                                  .ramp = probs ? RAMP_SEQUENTIAL : RAMP_DIVERGING,
                                  .span = probs ? 1.0f : panel_span(m, (size_t)N * N)};
    panel_table_matrix(&a->t, &a->mx, v, 1);
    a->t.cell_w = v->numbers ? NUM_W : 2;
    a->t.label_w = LABEL_W;
    a->t.col_label = key_label;
    a->t.row_label = token_label;
    if (stage == ROLE_ATTN_MASK || probs)
        a->t.keep_col = v->row + 1 < N ? v->row + 1 : N - 1;
    if (probs && v->numbers) {
        a->t.extra_w = NUM_W + 1;
        a->t.extra_head = "Σ row";
        a->t.extra = row_sum;
    }
}

// The table's rectangle: below the title, and in colours above the legend's line, which is always
// drawn (scaled scores look alike in colours: the legend's ends say what changed).
static struct rect body(struct rect r, const struct view *v)
{
    return (struct rect){r.x, r.y + 1, r.w, r.h - 1 - !v->numbers};
}

int panel_attention_hit(struct rect r, const struct view *v, int x, int y, int *row, int *col)
{
    const struct graph *gr = v->graph;
    enum node_role stage = shown_stage(v);
    int idx = graph_find_role(gr, v->layer, stage);
    if (idx < 0 || v->head < 0)
        return 0;
    const struct tensor *t = &gr->nodes[idx].out;
    struct attn_table a;
    attn_table(&a, v, stage, t->data, t->shape[1]);
    return panel_table_hit(body(r, v), &a.t, x, y, row, col);
}

void panel_attention_at(struct grid *g, struct rect r, const struct view *v, enum node_role stage,
                        int selected)
{
    const struct graph *gr = v->graph;
    const char *word = node_role_info(stage)->op;
    char title[96];
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
        all_heads(g, r, v, t->data, H, N, stage == ROLE_ATTN_SOFTMAX,
                  v->inspect && graph_last(gr) == &gr->nodes[idx] && v->row < N && v->col < N);
        return;
    }
    if (v->head >= H)
        return;
    const float *m = t->data + (size_t)v->head * N * N;
    struct attn_table a;
    attn_table(&a, v, stage, m, N);
    int used = panel_table(g, body(r, v), &a.t);
    if (!v->numbers && used + 1 < r.h)
        panel_legend_masked(g, r.x + LABEL_W, r.y + 1 + used, r.w - LABEL_W, a.mx.ramp, a.mx.span,
                            stage == ROLE_ATTN_MASK || stage == ROLE_ATTN_SOFTMAX);
}
