// Views across heads: the head view (one token's attention in every head of a layer, as
// bars side by side), the model view (every layer by every head as small maps) and the head
// finder (every head ranked by alpha(query -> key)). They read the softmax nodes' outputs.
#include "stepformer/panel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/text.h"
#include "stepformer/utf8.h"

#define TOKEN_W 12 // a row label: the position and the token

// Layer l's alpha (H, N, N) when its softmax has run, else NULL; *N gets the positions.
static const float *layer_alpha(const struct graph *gr, int l, int *N)
{
    int idx = graph_find_role(gr, l, ROLE_ATTN_SOFTMAX);
    if (idx < 0 || !graph_node_done(gr, idx))
        return NULL;
    *N = gr->nodes[idx].out.shape[1];
    return gr->nodes[idx].out.data;
}

static void token_str(const struct graph *gr, int i, char *buf, size_t size)
{
    tokenizer_piece_str(&gr->model->tok, gr->ids[i], buf, size);
}

// "7 it": a position and its token fitted into w columns.
static void pos_label(const struct graph *gr, int i, int w, char *buf, size_t size)
{
    char tok[64], both[96];
    token_str(gr, i, tok, sizeof tok);
    text_format(both, sizeof both, "%2d %s", i, tok);
    panel_fit(buf, size, both, w);
}

// A bar of alpha (0 to 1 over w columns) in eighths of a column, in series k's colour; a
// weight under an eighth but not nothing gets the thinnest, so no bar looks like a zero.
static void alpha_bar(struct grid *g, int x, int y, int w, float alpha, int k)
{
    int eighths = (int)(alpha * (float)w * 8 + 0.5f);
    eighths = eighths > 8 * w ? 8 * w : eighths;
    if (eighths == 0 && alpha >= 0.005f && w > 0)
        eighths = 1;
    for (int c = 0; c < eighths / 8; c++)
        grid_series(g, x + c, y, 0x2588, k);
    if (eighths % 8) // U+2589 (seven eighths) .. U+258F (one eighth)
        grid_series(g, x + eighths / 8, y, (uint32_t)(0x2590 - eighths % 8), k);
}

// ---- the head view ----

// How the head view fits: head columns of cw (a number of num_w and a bar of bar_w), heads
// h0 .. h0 + nh - 1 of H; rows row0 .. row0 + n_rows - 1 of the list.
struct heads_geom {
    int label_w, cw, num_w, bar_w, h0, nh, H;
    int first, count, row0, n_rows, body_y, rows_line;
};

static void heads_geometry(struct rect r, const struct view *v, int H, int N, struct heads_geom *h)
{
    memset(h, 0, sizeof *h);
    h->H = H;
    h->label_w = TOKEN_W;
    int aw = r.w - h->label_w - 1;
    h->cw = aw / H;
    h->cw = h->cw > 24 ? 24 : h->cw;
    if (h->cw < 4)
        h->cw = 4;
    h->nh = aw / h->cw < H ? aw / h->cw : H;
    if (h->nh < H) // keep the selected head in view, with room for the counts
        h->nh = (aw - 4) / h->cw > 1 ? (aw - 4) / h->cw : 1;
    int sel = v->head >= 0 ? v->head : 0;
    h->h0 = sel >= h->nh ? sel - h->nh + 1 : 0;
    h->num_w = v->numbers && h->cw >= 6 ? 4 : 0; // as colours (c): bars only, wider
    h->bar_w = h->cw - 1 - (h->num_w ? h->num_w + 1 : 0);
    // The rows: the keys 0 .. row (forward), the queries row .. N-1 (reverse).
    int row = v->row < N ? v->row : N - 1;
    h->first = v->heads_reverse ? row : 0;
    h->count = v->heads_reverse ? N - row : row + 1;
    h->body_y = r.y + 3;
    int room = r.y + r.h - h->body_y;
    h->rows_line = room < h->count;
    h->n_rows = h->rows_line ? room - 1 : h->count;
    h->n_rows = h->n_rows < 1 ? 1 : h->n_rows;
    // The marked row, else the selected token, in view.
    int keep = v->find_key >= 0 && !v->heads_reverse && v->find_key <= row ? v->find_key - h->first
               : v->heads_reverse && v->find_query >= row ? v->find_query - h->first
               : v->heads_reverse                         ? 0
                                                          : h->count - 1;
    keep = keep < 0 ? 0 : keep >= h->count ? h->count - 1 : keep;
    h->row0 = keep >= h->n_rows ? keep - h->n_rows + 1 : 0;
}

static void heads_header(struct grid *g, struct rect r, const struct heads_geom *h, int sel)
{
    char buf[32];
    int y = r.y + 2;
    grid_text(g, r.x, y, h->label_w, h->label_w >= 10 ? "pos token" : "", SF_STYLE_DIM);
    for (int k = 0; k < h->nh; k++) {
        int head = h->h0 + k, x = r.x + h->label_w + 1 + k * h->cw;
        text_format(buf, sizeof buf, "h%d", head);
        if (head == sel) // the head h selects, as in the attention panel
            grid_text(g, x, y, h->cw, buf, SF_STYLE_SELECTED);
        for (int c = 0; buf[c] && head != sel; c++)
            grid_series(g, x + c, y, (uint32_t)buf[c], head);
    }
    int end = r.x + h->label_w + 1 + h->nh * h->cw;
    if (h->h0 > 0) {
        text_format(buf, sizeof buf, "← %d", h->h0);
        grid_text(g, r.x + h->label_w - 4, y, 4, buf, SF_STYLE_NOTICE);
    }
    if (h->h0 + h->nh < h->H) {
        text_format(buf, sizeof buf, "+%d →", h->H - h->h0 - h->nh);
        grid_text(g, end, y, r.x + r.w - end, buf, SF_STYLE_NOTICE);
    }
}

void panel_heads(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char title[160], tok[64], buf[160];
    int N = 0, H = gr->model->cfg.n_head;
    const float *a = layer_alpha(gr, v->layer, &N);
    int row = v->row;
    if (a && row >= N)
        row = N - 1;
    token_str(gr, row < gr->n_tokens ? row : 0, tok, sizeof tok);
    if (v->heads_reverse)
        text_format(title, sizeof title, "Head view  L%d  who attends to \"%s\" (%d)", v->layer,
                    tok, row);
    else
        text_format(title, sizeof title, "Head view  L%d  where \"%s\" (%d) looks", v->layer, tok,
                    row);
    panel_title(g, r, title, selected);
    if (!a) {
        text_format(buf, sizeof buf, "L%d's softmax has not run yet (n, N or G run the pass)",
                    v->layer);
        panel_pending(g, r, buf);
        return;
    }
    struct heads_geom h;
    heads_geometry(r, v, H, N, &h);
    if (v->heads_reverse)
        text_format(buf, sizeof buf,
                    "α(query → \"%s\") for each later query (bars: 0 to 1), every head of L%d; "
                    "V: where it looks",
                    tok, v->layer);
    else
        text_format(buf, sizeof buf,
                    "α(\"%s\" → key) for each key it sees (bars: 0 to 1), every head of L%d; "
                    "V: who attends to it",
                    tok, v->layer);
    panel_label(g, r.x, r.y + 1, r.w, buf, SF_STYLE_DIM);
    heads_header(g, r, &h, v->head);
    for (int k = 0; k < h.n_rows && h.row0 + k < h.count; k++) {
        int i = h.first + h.row0 + k, y = h.body_y + k;
        int q = v->heads_reverse ? i : row, key = v->heads_reverse ? row : i;
        int mark = v->heads_reverse ? i == v->find_query : i == v->find_key;
        pos_label(gr, i, h.label_w, buf, sizeof buf);
        grid_text(g, r.x, y, h.label_w, buf,
                  i == row ? SF_STYLE_CURRENT
                  : mark   ? SF_STYLE_SELECTED
                           : SF_STYLE_NORMAL);
        for (int c = 0; c < h.nh; c++) {
            int head = h.h0 + c, x = r.x + h.label_w + 1 + c * h.cw;
            float al = a[((size_t)head * N + q) * N + key];
            if (h.num_w) {
                char num[16];
                panel_fit_number(num, sizeof num, al, h.num_w, 2);
                grid_text(g, x + h.num_w - (int)strlen(num), y, h.num_w, num, SF_STYLE_NUMBER);
            }
            alpha_bar(g, x + (h.num_w ? h.num_w + 1 : 0), y, h.bar_w, al, head);
        }
    }
    if (h.rows_line)
        grid_text(g, r.x, r.y + r.h - 1, r.w,
                  panel_hidden_rows(buf, sizeof buf, h.row0, h.n_rows, h.count), SF_STYLE_NOTICE);
}

int panel_heads_hit(struct rect r, const struct view *v, int x, int y)
{
    int N = 0;
    if (!layer_alpha(v->graph, v->layer, &N) || x < r.x || x >= r.x + r.w)
        return -1;
    struct heads_geom h;
    heads_geometry(r, v, v->graph->model->cfg.n_head, N, &h);
    int k = y - h.body_y;
    if (k < 0 || k >= h.n_rows || h.row0 + k >= h.count)
        return -1;
    return h.first + h.row0 + k;
}

// ---- the model view ----

// The grid of maps: each s columns by s half-lines per position, f x f positions to a cell;
// tiles of tile_w x tile_h (the map between two frame columns, a gap line below); layers
// l0 .. l0 + nl - 1 and heads h0 .. h0 + nh - 1 shown.
struct model_geom {
    int s, f, map_w, map_h, tile_w, tile_h, label_w;
    int l0, nl, h0, nh, L, H, x, y;
};

static int model_try(struct model_geom *m, int s, int f, int N, int aw, int ah)
{
    int n = (N + f - 1) / f;
    m->s = s, m->f = f;
    m->map_w = n * s, m->map_h = (n * s + 1) / 2;
    m->tile_w = (m->map_w > 3 ? m->map_w : 3) + 2;
    m->tile_h = m->map_h + 1;
    return m->L * m->tile_h <= ah && m->H * m->tile_w <= aw;
}

static void model_geometry(struct rect r, const struct view *v, int N, struct model_geom *m)
{
    const struct model_config *cfg = &v->graph->model->cfg;
    memset(m, 0, sizeof *m);
    m->L = cfg->n_layer, m->H = cfg->n_head, m->label_w = 4;
    m->x = r.x + m->label_w, m->y = r.y + 3;
    int aw = r.w - m->label_w, ah = r.y + r.h - 1 - m->y; // the last line counts what is hidden
    int fits = 0;
    for (int s = 4; s >= 1 && !fits; s--)
        fits = model_try(m, s, 1, N, aw, ah);
    for (int f = 2; f <= N && !fits; f++)
        fits = model_try(m, 1, f, N, aw, ah);
    if (!fits)
        model_try(m, 1, N > 0 ? N : 1, N, aw, ah);
    m->nl = ah / m->tile_h < m->L ? ah / m->tile_h : m->L;
    m->nh = aw / m->tile_w < m->H ? aw / m->tile_w : m->H;
    if (m->nh < m->H) // room for "+3 →"
        m->nh = (aw - 5) / m->tile_w;
    m->nl = m->nl < 1 ? 1 : m->nl, m->nh = m->nh < 1 ? 1 : m->nh;
    int sl = v->layer, sh = v->head >= 0 ? v->head : 0;
    m->l0 = sl >= m->nl ? sl - m->nl + 1 : 0;
    m->h0 = sh >= m->nh ? sh - m->nh + 1 : 0;
}

static void model_tile(struct grid *g, const struct model_geom *m, const struct view *v, int l,
                       int hd, int x, int y)
{
    int N = 0;
    const float *a = layer_alpha(v->graph, l, &N);
    int sel = l == v->layer && hd == v->head;
    if (a)
        panel_attention_map(g, x + 1, y, m->s, m->f, a + (size_t)hd * N * N, N, 1, 1.0f);
    else
        grid_text(g, x + 1, y, m->tile_w - 2, "·", SF_STYLE_DIM);
    for (int line = 0; sel && line < m->map_h; line++) {
        grid_put(g, x, y + line, '[', SF_STYLE_SELECTED);
        grid_put(g, x + 1 + m->map_w, y + line, ']', SF_STYLE_SELECTED);
    }
}

void panel_model(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char buf[160];
    int L = gr->model->cfg.n_layer, N = gr->n_tokens, missing = 0;
    for (int l = 0; l < L; l++) {
        int n;
        missing += layer_alpha(gr, l, &n) == NULL;
    }
    text_format(buf, sizeof buf, "Model view  %d layers × %d heads  α after the softmax", L,
                gr->model->cfg.n_head);
    panel_title(g, r, buf, selected);
    struct model_geom m;
    model_geometry(r, v, N, &m);
    if (missing > 1)
        text_format(buf, sizeof buf, "L%d–L%d not computed yet (·; G runs the pass)", L - missing,
                    L - 1);
    else if (missing)
        text_format(buf, sizeof buf, "L%d not computed yet (·; G runs the pass)", L - 1);
    else if (m.f > 1)
        text_format(buf, sizeof buf, "rows: queries, columns: keys; each cell %d×%d positions", m.f,
                    m.f);
    else
        text_format(buf, sizeof buf, "rows: queries, columns: keys");
    static const char hint[] = "arrows choose, Enter opens the head";
    int hint_w = r.w >= 90 ? (int)sizeof hint : 0; // its length and a gap
    panel_label(g, r.x, r.y + 1, r.w - hint_w, buf, missing ? SF_STYLE_NOTICE : SF_STYLE_DIM);
    if (hint_w)
        grid_text(g, r.x + r.w - hint_w + 1, r.y + 1, hint_w - 1, hint, SF_STYLE_DIM);
    for (int c = 0; c < m.nh; c++) {
        int hd = m.h0 + c;
        text_format(buf, sizeof buf, "h%d", hd);
        grid_text(g, m.x + c * m.tile_w + 1, r.y + 2, m.tile_w - 1, buf,
                  hd == v->head ? SF_STYLE_SELECTED : SF_STYLE_TITLE);
    }
    int end = m.x + m.nh * m.tile_w;
    if (m.h0 + m.nh < m.H) {
        text_format(buf, sizeof buf, "+%d →", m.H - m.h0 - m.nh);
        grid_text(g, end, r.y + 2, r.x + r.w - end, buf, SF_STYLE_NOTICE);
    }
    if (m.h0 > 0) {
        text_format(buf, sizeof buf, "← %d", m.h0);
        grid_text(g, r.x, r.y + 2, m.label_w, buf, SF_STYLE_NOTICE);
    }
    for (int k = 0; k < m.nl; k++) {
        int l = m.l0 + k, y = m.y + k * m.tile_h;
        text_format(buf, sizeof buf, "L%d", l);
        grid_text(g, r.x, y, m.label_w, buf, l == v->layer ? SF_STYLE_SELECTED : SF_STYLE_TITLE);
        for (int c = 0; c < m.nh; c++)
            model_tile(g, &m, v, l, m.h0 + c, m.x + c * m.tile_w, y);
    }
    if (m.nl < m.L) {
        int below = m.L - m.l0 - m.nl;
        if (m.l0 && below)
            text_format(buf, sizeof buf, "↑ %d more  layers L%d–L%d of %d  ↓ %d more", m.l0, m.l0,
                        m.l0 + m.nl - 1, m.L, below);
        else if (m.l0)
            text_format(buf, sizeof buf, "↑ %d more  layers L%d–L%d of %d", m.l0, m.l0,
                        m.l0 + m.nl - 1, m.L);
        else
            text_format(buf, sizeof buf, "layers L0–L%d of %d  ↓ %d more", m.nl - 1, m.L, below);
        grid_text(g, r.x, r.y + r.h - 1, r.w, buf, SF_STYLE_NOTICE);
    } else {
        panel_legend(g, r.x + m.label_w, r.y + r.h - 1, r.w - m.label_w, RAMP_SEQUENTIAL, 1.0f);
    }
}

int panel_model_hit(struct rect r, const struct view *v, int x, int y, int *layer, int *head)
{
    struct model_geom m;
    model_geometry(r, v, v->graph->n_tokens, &m);
    if (x < m.x || y < m.y)
        return 0;
    int c = (x - m.x) / m.tile_w, k = (y - m.y) / m.tile_h;
    int cx = (x - m.x) % m.tile_w; // the map is between the tile's two frame columns
    if (c >= m.nh || k >= m.nl || (y - m.y) % m.tile_h >= m.map_h || cx < 1 || cx > m.map_w)
        return 0;
    *layer = m.l0 + k, *head = m.h0 + c;
    return 1;
}

// ---- the head finder ----

static int rank_cmp(const void *pa, const void *pb)
{
    const struct finder_rank *a = pa, *b = pb;
    if (a->alpha != b->alpha)
        return a->alpha > b->alpha ? -1 : 1;
    if (a->layer != b->layer)
        return a->layer - b->layer;
    return a->head - b->head;
}

int panel_finder_rank(const struct graph *g, int query, int key, struct finder_rank *out, int max,
                      int *missing)
{
    int L = g->model->cfg.n_layer, H = g->model->cfg.n_head, n = 0, miss = 0;
    for (int l = 0; l < L; l++) {
        int N = 0;
        const float *a = layer_alpha(g, l, &N);
        if (!a || query < 0 || key < 0 || query >= N || key >= N) {
            miss += !a;
            continue;
        }
        for (int h = 0; h < H && n < max; h++)
            out[n++] = (struct finder_rank){l, h, a[((size_t)h * N + query) * N + key]};
    }
    qsort(out, (size_t)n, sizeof *out, rank_cmp);
    if (missing)
        *missing = miss;
    return n;
}

// Where the finder's rows go in r: the first rank shown, how many, the first line.
struct finder_geom {
    int first, shown, y, rows_line;
};

static void finder_geometry(struct rect r, const struct view *v, int n, struct finder_geom *f)
{
    f->y = r.y + 3;
    int room = r.y + r.h - f->y;
    f->rows_line = room < n;
    f->shown = f->rows_line ? room - 1 : n;
    f->shown = f->shown < 1 ? 1 : f->shown;
    int sel = v->find_sel < 0 ? 0 : v->find_sel >= n ? n - 1 : v->find_sel;
    f->first = sel >= f->shown ? sel - f->shown + 1 : 0;
}

// The key the head attends to most from the query: "the .41".
static void top_key(const struct graph *gr, const struct finder_rank *k, int query, char *buf,
                    size_t size)
{
    int N = 0;
    const float *a = layer_alpha(gr, k->layer, &N) + ((size_t)k->head * N + query) * N;
    int best = 0;
    for (int j = 1; j <= query; j++)
        best = a[j] > a[best] ? j : best;
    char tok[64], num[16];
    token_str(gr, best, tok, sizeof tok);
    panel_fit_number(num, sizeof num, a[best], 4, 2);
    text_format(buf, size, "%d %s %s", best, tok, num);
}

// The bar's columns (the top key's 22 beside it from 70 columns).
static int finder_bar_w(struct rect r)
{
    int w = r.w - 22 - (r.w >= 70 ? 22 : 0);
    return w > 40 ? 40 : w;
}

static void finder_row(struct grid *g, struct rect r, const struct view *v,
                       const struct finder_rank *k, int rank, int y)
{
    char buf[160], num[16];
    int sel = rank == v->find_sel;
    enum sf_style st = sel ? SF_STYLE_SELECTED : SF_STYLE_NORMAL;
    text_format(buf, sizeof buf, "%3d  L%d h%d", rank + 1, k->layer, k->head);
    grid_text(g, r.x, y, 13, buf, st);
    panel_fit_number(num, sizeof num, k->alpha, 6, 4);
    grid_text(g, r.x + 20 - (int)strlen(num), y, 6, num, SF_STYLE_NUMBER);
    int top_w = r.w >= 70 ? 22 : 0, bar_w = finder_bar_w(r);
    alpha_bar(g, r.x + 21, y, bar_w, k->alpha, k->head);
    if (top_w) {
        top_key(v->graph, k, v->find_query, buf, sizeof buf);
        panel_label(g, r.x + 22 + bar_w, y, top_w, buf, SF_STYLE_DIM);
    }
}

void panel_finder(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char buf[200], qt[64], kt[64];
    int q = v->find_query, k = v->find_key, N = gr->n_tokens;
    if (q < 0 || q >= N || k < 0 || k >= N) {
        panel_title(g, r, "Head finder", selected);
        panel_wrap(g, r.x, r.y + 1, r.w, r.h - 1,
                   "f, then a query and a key (words of the prompt, or positions: \"it chicken\", "
                   "\"7 1\"): every head of every layer ranked by α(query → key)",
                   SF_STYLE_DIM);
        return;
    }
    token_str(gr, q, qt, sizeof qt);
    token_str(gr, k, kt, sizeof kt);
    text_format(buf, sizeof buf, "Head finder  α(\"%s\" %d → \"%s\" %d)", qt, q, kt, k);
    panel_title(g, r, buf, selected);
    int L = gr->model->cfg.n_layer, H = gr->model->cfg.n_head, missing = 0;
    struct finder_rank *rank = malloc((size_t)L * H * sizeof *rank);
    if (!rank) {
        panel_pending(g, r, "no memory for the ranking");
        return;
    }
    int n = panel_finder_rank(gr, q, k, rank, L * H, &missing);
    if (k > q)
        text_format(buf, sizeof buf,
                    "\"%s\" (%d) comes after \"%s\" (%d): masked, α is 0 in every head", kt, k, qt,
                    q);
    else if (missing > 1)
        text_format(buf, sizeof buf, "L%d–L%d have not run yet: not ranked (G runs the pass)",
                    L - missing, L - 1);
    else if (missing)
        text_format(buf, sizeof buf,
                    "L%d has not run yet: its heads are not ranked (G runs the "
                    "pass)",
                    L - 1);
    else
        text_format(buf, sizeof buf,
                    "%d heads of %d layers, most attention first; Enter or 1–9 "
                    "opens one",
                    n, L);
    panel_label(g, r.x, r.y + 1, r.w, buf, k > q || missing ? SF_STYLE_NOTICE : SF_STYLE_DIM);
    grid_text(g, r.x, r.y + 2, r.w,
              r.w >= 70 ? "  #  head         α  bar (0 to 1)" : "  #  head         α",
              SF_STYLE_DIM);
    if (r.w >= 70)
        grid_text(g, r.x + 22 + finder_bar_w(r), r.y + 2, 22, "its top key", SF_STYLE_DIM);
    struct finder_geom f;
    finder_geometry(r, v, n, &f);
    for (int i = 0; i < f.shown && f.first + i < n; i++)
        finder_row(g, r, v, &rank[f.first + i], f.first + i, f.y + i);
    if (f.rows_line)
        grid_text(g, r.x, r.y + r.h - 1, r.w,
                  panel_hidden_rows(buf, sizeof buf, f.first, f.shown, n), SF_STYLE_NOTICE);
    free(rank);
}

int panel_finder_hit(struct rect r, const struct view *v, int x, int y)
{
    const struct model_config *cfg = &v->graph->model->cfg;
    int n = cfg->n_layer * cfg->n_head;
    struct finder_geom f;
    finder_geometry(r, v, n, &f);
    if (x < r.x || x >= r.x + r.w || y < f.y || y >= f.y + f.shown || f.first + y - f.y >= n)
        return -1;
    return f.first + y - f.y;
}
