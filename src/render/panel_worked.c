// The worked example: attention worked through on the small vectors a lesson defines (@worked),
// step by step as tables: the inputs, the scores with the causal mask, the scaling, the softmax
// weights (each row summing to 1) and the outputs a_i. Every number is the lesson's worked
// example as the reference kernels computed it (lesson_worked_compute); the panel only draws.
#include "stepformer/panel.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/lesson.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

#define GAP_W   3 // columns between two tables side by side
#define MAX_BLK 8

// One table of the example: which matrix, its caption and its size.
enum blk_kind { BLK_PLAIN, BLK_MASKED, BLK_ALPHA };

struct blk {
    const struct lesson_worked *ex;
    const float *m; // (rows, cols), packed
    int rows, cols;
    enum blk_kind kind; // MASKED: -inf cells masked; ALPHA: the cells above the diagonal masked,
                        // with the row sums after them
    int square;         // columns are the tokens (j), else numbered components
    int sel;            // the selected row, or -1
    char caption[80];
    char short_name[16];    // what the hidden-tables note calls it
    int cell_w0, caption_w; // its narrowest cells (the widest number and a space), its caption
    int cell_w, cell_h, label_w, h; // as drawn: cells grown to the room
    int w, w_bare; // its width with the row labels, and without them (beside another table)
    int labels;    // 1: this one shows the row labels
    int step;      // the step it belongs to (enum lesson_worked_step)
};

static void token_label(const struct lesson_worked *w, int i, char *buf, size_t size)
{
    if (w->n_tokens)
        text_format(buf, size, "%s", w->tokens[i]);
    else
        text_format(buf, size, "x_%d", i);
}

static void row_label(const void *ctx, int i, char *buf, size_t size)
{
    token_label(((const struct blk *)ctx)->ex, i, buf, size);
}

static void col_label(const void *ctx, int j, char *buf, size_t size)
{
    token_label(((const struct blk *)ctx)->ex, j, buf, size);
}

static void cell(const void *ctx, int i, int j, struct table_cell *c)
{
    const struct blk *b = ctx;
    float x = b->m[i * b->cols + j];
    int masked = (isinf(x) && x < 0) || (b->square && j > i);
    c->kind = TABLE_NUMBER;
    c->value = x;
    c->style = masked        ? SF_STYLE_MASKED
               : i == b->sel ? SF_STYLE_CURRENT
               : x < 0       ? SF_STYLE_NEGATIVE
                             : SF_STYLE_NUMBER;
}

// The sum of row i of the weights: 1, as the softmax makes it.
static void row_sum(const void *ctx, int i, struct table_cell *c)
{
    const struct blk *b = ctx;
    double s = 0;
    for (int j = 0; j < b->cols; j++)
        s += b->m[i * b->cols + j];
    c->kind = TABLE_NUMBER;
    c->value = (float)s;
    c->style = i == b->sel ? SF_STYLE_CURRENT : SF_STYLE_DIM;
}

static void blk_table(const struct blk *b, struct table *t)
{
    memset(t, 0, sizeof *t);
    t->rows = b->rows;
    t->cols = b->cols;
    t->cell_w = b->cell_w;
    t->cell_h = b->cell_h;
    t->label_w = b->labels ? b->label_w : 0;
    t->sel_row = b->sel;
    t->keep_col = -1;
    t->cur_row = t->cur_col = -1;
    t->ctx = b;
    t->row_label = row_label;
    t->col_label = b->square ? col_label : NULL;
    t->cell = cell;
    if (b->kind == BLK_ALPHA) {
        t->extra_w = b->cell_w;
        t->extra_head = "Σ";
        t->extra = row_sum;
    }
}

// Fills b for matrix m and measures it: cells as wide as its widest number (two decimals)
// and a space, the labels as wide as the longest token, the caption's width counted.
static void blk_set(struct blk *b, const struct lesson_worked *w, const float *m, int cols,
                    enum blk_kind kind, int square, int sel, const char *caption, const char *name)
{
    memset(b, 0, sizeof *b);
    b->ex = w, b->m = m, b->rows = w->n, b->cols = cols, b->kind = kind, b->square = square;
    b->sel = sel;
    text_format(b->caption, sizeof b->caption, "%s", caption);
    text_format(b->short_name, sizeof b->short_name, "%s", name);
    int num = 4; // "1.00", "-inf"
    char buf[32];
    for (int k = 0; k < w->n * cols; k++)
        if (isfinite(m[k]))
            if (text_format(buf, sizeof buf, "%.2f", (double)m[k]) > num)
                num = (int)strlen(buf);
    b->cell_w0 = num + 1;
    for (int i = 0; i < w->n; i++) {
        token_label(w, i, buf, sizeof buf);
        int lw = (int)utf8_count(buf, strlen(buf));
        b->label_w = lw + 1 > b->label_w ? lw + 1 : b->label_w;
        if (square && lw + 1 > b->cell_w0 && lw < 9)
            b->cell_w0 = lw + 1; // the tokens over the columns, whole where they are short
    }
    b->caption_w = (int)utf8_count(b->caption, strlen(b->caption));
}

// Sizes b with its cells grow columns wider and ch lines tall.
static void blk_measure(struct blk *b, int grow, int ch)
{
    b->cell_w = b->cell_w0 + grow;
    b->cell_h = ch;
    int tw = b->cols * b->cell_w + (b->kind == BLK_ALPHA ? b->cell_w : 0);
    b->w = b->caption_w > tw + b->label_w ? b->caption_w : tw + b->label_w;
    b->w_bare = b->caption_w > tw ? b->caption_w : tw;
    b->h = 2 + b->rows * ch; // caption, column labels, rows
}

// The example's tables in order: x, the queries, keys and values when they are not x, the
// scores (masked), the scaled scores, the weights, the outputs.
static int blocks(const struct lesson_worked *w, int sel, struct blk *out)
{
    int n = 0, own_qkv = w->in_rows[LESSON_WK_Q] || w->in_rows[LESSON_WK_WQ] ||
                         w->in_rows[LESSON_WK_K] || w->in_rows[LESSON_WK_WK];
    int own_v = w->in_rows[LESSON_WK_V] || w->in_rows[LESSON_WK_WV];
    if (w->in_rows[LESSON_WK_X])
        blk_set(&out[n++], w, w->in[LESSON_WK_X], w->in_cols[LESSON_WK_X], BLK_PLAIN, 0, sel, "x_i",
                "x");
    if (own_qkv) {
        blk_set(&out[n++], w, w->q, w->d_k, BLK_PLAIN, 0, sel,
                w->in_rows[LESSON_WK_WQ] ? "q_i = x_i W^Q" : "q_i (queries)", "q");
        blk_set(&out[n++], w, w->k, w->d_k, BLK_PLAIN, 0, sel,
                w->in_rows[LESSON_WK_WK] ? "k_j = x_j W^K" : "k_j (keys)", "k");
    }
    if (own_v)
        blk_set(&out[n++], w, w->v, w->d_v, BLK_PLAIN, 0, sel,
                w->in_rows[LESSON_WK_WV] ? "v_j = x_j W^V" : "v_j (values)", "v");
    char cap[80];
    const float *score = w->scale ? w->score : w->masked;
    blk_set(&out[n++], w, score, w->n, BLK_MASKED, 1, sel,
            own_qkv ? "score q_i · k_j" : "score x_i · x_j", "score");
    if (w->scale) { // the raw scores unmasked, then scaled with the mask
        text_format(cap, sizeof cap, "score / √d_k (d_k %d), mask", w->d_k);
        blk_set(&out[n++], w, w->masked, w->n, BLK_MASKED, 1, sel, cap, "scaled");
    }
    blk_set(&out[n++], w, w->alpha, w->n, BLK_ALPHA, 1, sel, "α_ij = softmax(row i)", "α");
    text_format(cap, sizeof cap, "a_i = Σ α_ij %s_j", own_v ? "v" : "x");
    blk_set(&out[n++], w, w->out, w->d_v, BLK_PLAIN, 0, sel, cap, "a");
    for (int k = 0; k < n; k++)
        out[k].step = out[k].kind == BLK_ALPHA    ? LESSON_WK_SHOW_ALPHA
                      : out[k].kind == BLK_MASKED ? LESSON_WK_SHOW_SCORE
                      : k == n - 1                ? LESSON_WK_SHOW_OUT
                                                  : LESSON_WK_SHOW_INPUTS;
    return n;
}

// Places the tables left to right, a new line of them when the next is too wide, in rows of r
// from y to y + h; at[k] gets table k's rectangle. Only the first table of a line has the row
// labels: the others' rows are the same tokens on the same lines. Returns how many fit whole.
static int flow(struct blk *b, int n, struct rect r, struct rect *at, int *lines)
{
    int x = r.x, y = r.y, line_h = 0;
    *lines = 1;
    for (int k = 0; k < n; k++) {
        if (x > r.x && x + b[k].w_bare > r.x + r.w) // a new line of tables
            x = r.x, y += line_h + 1, line_h = 0, ++*lines;
        if (y + b[k].h > r.y + r.h)
            return k;
        b[k].labels = x == r.x;
        int w = b[k].labels ? b[k].w : b[k].w_bare;
        at[k] = (struct rect){x, y, w < r.x + r.w - x ? w : r.x + r.w - x, b[k].h};
        x += w + GAP_W;
        line_h = b[k].h > line_h ? b[k].h : line_h;
    }
    return n;
}

static int note_add(char *buf, size_t size, int len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// Appends to the text of len bytes in buf (what does not fit is dropped); returns the new length.
static int note_add(char *buf, size_t size, int len, const char *fmt, ...)
{
    if (len < 0 || (size_t)len + 1 >= size)
        return len;
    va_list ap;
    va_start(ap, fmt);
    int k = text_vformat(buf + len, size - (size_t)len, fmt, ap);
    va_end(ap);
    return k < 0 ? len : len + k > (int)size - 1 ? (int)size - 1 : len + k;
}

void panel_worked(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct lesson_worked *w = v->worked;
    char title[96];
    if (!w) {
        panel_title(g, r, "worked example", selected);
        panel_pending(g, r, "no worked example here: a lesson defines one with @worked");
        return;
    }
    text_format(title, sizeof title, "worked example  %s attention, %d tokens, d_k %d",
                w->scale ? "scaled" : "simplified", w->n, w->d_k);
    panel_title(g, r, title, selected);
    struct blk b[MAX_BLK];
    struct rect at[MAX_BLK];
    int sel = v->row >= 0 && v->row < w->n ? v->row : -1;
    int n_all = blocks(w, sel, b), n = 0;
    while (n < n_all && (w->show == LESSON_WK_SHOW_ALL || b[n].step <= w->show))
        n++; // the steps the lesson has come to (@worked show)
    // The last line says which steps are to come, when some are.
    struct rect body = {r.x, r.y + 1, r.w, r.h - 1 - (n < n_all)};
    // The cells grow with the room while every table still fits: the fewest lines of tables
    // first (read across), then up to 2 lines and 4 more columns a cell.
    int best = -1, best_grow = 0, best_ch = 1, lines, shown;
    for (int ch = 1; ch <= 2; ch++)
        for (int grow = 0; grow <= 4; grow++) {
            for (int k = 0; k < n; k++)
                blk_measure(&b[k], grow, ch);
            if (flow(b, n, body, at, &lines) == n && (10 - lines) * 100 + ch * 10 + grow > best)
                best = (10 - lines) * 100 + ch * 10 + grow, best_grow = grow, best_ch = ch;
        }
    for (int k = 0; k < n; k++)
        blk_measure(&b[k], best_grow, best_ch);
    shown = flow(b, n, body, at, &lines);
    if (shown < n && n == n_all) { // the last line counts the tables left out
        body.h--;
        shown = flow(b, n, body, at, &lines);
    }
    for (int k = 0; k < shown; k++) {
        struct table t;
        blk_table(&b[k], &t);
        grid_text(g, at[k].x, at[k].y, at[k].w, b[k].caption, SF_STYLE_TITLE);
        panel_table(g, (struct rect){at[k].x, at[k].y + 1, at[k].w, at[k].h - 1}, &t);
    }
    if (shown < n_all && r.h >= 2) {
        char note[200] = "";
        int len = 0;
        if (shown < n) {
            len = note_add(note, sizeof note, 0, "%d more not shown:", n - shown);
            for (int k = shown; k < n && len < (int)sizeof note; k++)
                len = note_add(note, sizeof note, len, " %s", b[k].short_name);
            len = note_add(note, sizeof note, len, " (z zooms)%s", n < n_all ? "; " : "");
        }
        if (n < n_all) {
            len = note_add(note, sizeof note, len, "%d step%s to come:", n_all - n,
                           n_all - n == 1 ? "" : "s");
            for (int k = n; k < n_all && len < (int)sizeof note; k++)
                len = note_add(note, sizeof note, len, " %s", b[k].short_name);
        }
        panel_label(g, r.x, r.y + r.h - 1, r.w, note, shown < n ? SF_STYLE_NOTICE : SF_STYLE_DIM);
    }
}
