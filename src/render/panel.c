// What all panels share: the title bar, the "not computed yet" line, the colour legend, fitting
// labels and numbers into the columns there are (abbreviated on purpose, never cut), and the
// table that draws a matrix into a rectangle without cropping it silently.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/text.h"
#include "stepformer/utf8.h"

// The columns text takes in the grid (a cell per character).
static int columns(const char *s)
{
    return (int)utf8_count(s, strlen(s));
}

// The byte offset after the first k characters of s.
static size_t chars_prefix(const char *s, int k)
{
    size_t n = strlen(s), i = 0;
    for (int c = 0; c < k && i < n; c++)
        i = utf8_next(s, n, i);
    return i;
}

const char *panel_fit(char *out, size_t size, const char *text, int w)
{
    if (size == 0)
        return out;
    out[0] = 0;
    if (w <= 0)
        return out;
    if (columns(text) <= w) {
        snprintf(out, size, "%s", text);
        return out;
    }
    if (w <= 2) { // an initial: "…" would leave no letter of it
        snprintf(out, size, "%.*s", (int)chars_prefix(text, w), text);
        return out;
    }
    // Room for w-1 characters and "…": end before the last space that fits, dropping the
    // spaces and openers ("(", "[", "=") left hanging before it; a single long word is cut
    // at a character, the "…" saying so.
    size_t end = chars_prefix(text, w - 1), cut = end;
    if (text[end] != ' ') {
        while (cut > 0 && text[cut - 1] != ' ')
            cut--;
    }
    while (cut > 0 && strchr(" ([{=,:;-", text[cut - 1]))
        cut--;
    if (cut == 0)
        cut = end;
    snprintf(out, size, "%.*s…", (int)cut, text);
    return out;
}

int panel_label(struct grid *g, int x, int y, int w, const char *text, enum sf_style style)
{
    char ascii[512], fit[512];
    if (g->ascii) // measured as drawn; "…" then takes three columns ("...")
        text = grid_ascii_text(ascii, sizeof ascii, text);
    panel_fit(fit, sizeof fit, text, g->ascii && columns(text) > w ? w - 2 : w);
    return grid_text(g, x, y, w, fit, style);
}

// x with an exponent and prec decimals, the exponent without "+" or leading zeros: "-1.2e4".
static void compact_exp(char *buf, size_t size, double x, int prec)
{
    char raw[32];
    text_format(raw, sizeof raw, "%.*e", prec, x);
    char *e = strchr(raw, 'e');
    if (!e) {
        text_format(buf, size, "%s", raw);
        return;
    }
    int ex = atoi(e + 1);
    *e = 0;
    text_format(buf, size, "%se%d", raw, ex);
}

const char *panel_fit_number(char *buf, size_t size, double x, int w, int decimals)
{
    for (int dec = decimals; dec >= 0; dec--) {
        text_format(buf, size, "%.*f", dec, x);
        if ((int)strlen(buf) <= w)
            return buf;
        // 0.595 in four columns: ".595" keeps the digits the leading zero would push out.
        if (dec > 0 && fabs(x) < 1 && (buf[0] == '0' || (buf[0] == '-' && buf[1] == '0'))) {
            char *z = buf[0] == '-' ? buf + 1 : buf;
            memmove(z, z + 1, strlen(z));
            if ((int)strlen(buf) <= w)
                return buf;
        }
    }
    for (int prec = 2; prec >= 0; prec--) {
        compact_exp(buf, size, x, prec);
        if ((int)strlen(buf) <= w)
            return buf;
    }
    if (size)
        buf[0] = 0; // no room for it: dropped, never cut
    return buf;
}

int panel_wrap(struct grid *g, int x, int y, int w, int lines, const char *text, enum sf_style st)
{
    int used = 0;
    while (*text && used < lines && w > 0) {
        // The bytes of the first w characters, and the last space among them.
        size_t len = strlen(text), i = 0, space = 0;
        for (int chars = 0; i < len && chars < w; chars++) {
            i = utf8_next(text, len, i);
            if (text[i] == ' ')
                space = i;
        }
        size_t take = i == len || !space ? i : space;
        if (g && used == lines - 1) { // the last line: the rest, abbreviated at a word
            panel_label(g, x, y + used, w, text, st);
        } else if (g) {
            char line[512];
            text_format(line, sizeof line, "%.*s", (int)take, text);
            grid_text(g, x, y + used, w, line, st);
        }
        used++;
        text += take;
        while (*text == ' ')
            text++;
    }
    return used;
}

void panel_title(struct grid *g, struct rect r, const char *title, int selected)
{
    enum sf_style s = selected ? SF_STYLE_CURRENT : SF_STYLE_TITLE;
    for (int x = 0; x < r.w; x++)
        grid_put(g, r.x + x, r.y, ' ', s);
    panel_label(g, r.x + 1, r.y, r.w - 1, title, s);
}

void panel_pending(struct grid *g, struct rect r, const char *why)
{
    if (r.h > 1)
        panel_label(g, r.x + 1, r.y + 1, r.w - 1, why ? why : "not computed yet", SF_STYLE_DIM);
}

void panel_legend_masked(struct grid *g, int x, int y, int w, enum ramp_kind ramp, float max,
                         int masked)
{
    // "-2.1 ▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀ +2.1  × masked (-inf)": the ends carry their sign (negative is red
    // and positive blue, or the glyph families in monochrome); a sequential ramp runs 0 .. max.
    char lo[24], hi[24];
    if (ramp == RAMP_DIVERGING) {
        text_format(lo, sizeof lo, "%.3g ", -(double)max);
        text_format(hi, sizeof hi, " +%.3g", (double)max);
    } else {
        text_format(lo, sizeof lo, "0 ");
        text_format(hi, sizeof hi, " %.3g", (double)max);
    }
    static const char mask_text[] = " masked (−∞)";
    int lo_w = columns(lo), hi_w = columns(hi), mask_w = masked ? 2 + columns(mask_text) : 0;
    int cells = w - lo_w - hi_w - mask_w;
    if (cells > SF_RAMP_LEVELS)
        cells = SF_RAMP_LEVELS;
    if (cells < 5 && masked) { // no room for the words: the glyph alone
        mask_w = 2;
        cells = w - lo_w - hi_w - mask_w;
        cells = cells > SF_RAMP_LEVELS ? SF_RAMP_LEVELS : cells;
    }
    if (cells < 3)
        return; // a legend with no room is left out rather than cut
    int used = grid_text(g, x, y, w, lo, SF_STYLE_DIM);
    for (int c = 0; c < cells; c++, used++) // level by level, or spread over fewer cells
        grid_heat(g, x + used, y, ramp, c * (SF_RAMP_LEVELS - 1) / (cells - 1),
                  c * (SF_RAMP_LEVELS - 1) / (cells - 1));
    used += grid_text(g, x + used, y, hi_w, hi, SF_STYLE_DIM);
    if (masked) {
        grid_heat(g, x + used + 1, y, ramp, SF_LEVEL_MASKED, SF_LEVEL_MASKED);
        if (mask_w > 2)
            panel_label(g, x + used + 2, y, mask_w - 2, mask_text, SF_STYLE_DIM);
    }
}

void panel_legend(struct grid *g, int x, int y, int w, enum ramp_kind ramp, float max)
{
    panel_legend_masked(g, x, y, w, ramp, max, 0);
}

const char *panel_number(char *buf, size_t size, float x, int width)
{
    // Two decimals while a space is left in front; fewer for large numbers; an exponent when
    // even whole numbers do not fit; never more than width + 1 columns, never cut.
    for (int dec = 2; dec >= 0; dec--) {
        text_format(buf, size, "%*.*f", width, dec, (double)x);
        if ((int)strlen(buf) < width + 1 && buf[0] == ' ')
            return buf;
    }
    char num[32];
    if (panel_fit_number(num, sizeof num, (double)x, width - 1, 0)[0]) {
        text_format(buf, size, "%*s", width, num);
    } else { // no room for any form of it: "#"s, as a spreadsheet says so
        int k = 0;
        for (; k < width && (size_t)k + 1 < size; k++)
            buf[k] = k ? '#' : ' ';
        buf[k] = 0;
    }
    return buf;
}

// x right-aligned in w columns after a space, never cut (panel_number), or -inf, inf, nan.
static const char *table_number(char *buf, size_t size, float x, int w)
{
    if (isinf(x) || isnan(x))
        text_format(buf, size, "%*s", w, isnan(x) ? "nan" : x < 0 ? "-inf" : "inf");
    else
        panel_number(buf, size, x, w);
    return buf;
}

static int digits(int n)
{
    int d = 1;
    while (n >= 10)
        n /= 10, d++;
    return d;
}

// The first of n shown out of total that keeps `keep` (-1: none) in view.
static int scroll_to(int keep, int n, int total)
{
    if (keep < 0 || n <= 0 || n >= total)
        return 0;
    int first = keep >= n ? keep - n + 1 : 0;
    return first + n > total ? total - n : first;
}

#define TABLE_LABEL_MAX 16 // grown row labels: a whole word, up to 15 columns and a space

// The longest row (or column) label in columns; 0 when there are none, or too many to measure
// on every frame (a vocabulary).
static int longest_label(const struct table *t, int rows)
{
    void (*f)(const void *, int, char *, size_t) = rows ? t->row_label : t->col_label;
    int n = rows ? t->rows : t->cols, most = 0;
    if (!f || n > 256)
        return 0;
    char lab[64];
    for (int i = 0; i < n; i++) {
        f(t->ctx, i, lab, sizeof lab);
        int lw = (int)utf8_count(lab, strlen(lab));
        most = lw > most ? lw : most;
    }
    return most;
}

// Cells grown to fill r (t->grow_w, t->grow_h): the row labels to the longest label while
// every column still fits; the rows taller while every row fits; the cells wider while every
// column fits, up to four times their height (a block, not a strip) but at least as wide as
// the longest column name, and never taller than wide; colour blocks no more than four times as
// wide as tall.
static void table_grow(struct rect r, const struct table *t, struct table_window *w)
{
    if (t->rows < 1 || t->cols < 1)
        return;
    int want = longest_label(t, 1) + 1;
    want = want > TABLE_LABEL_MAX ? TABLE_LABEL_MAX : want;
    if (t->label_w > 0 && want > w->label_w && r.w - want - t->extra_w >= t->cols * w->cell_w)
        w->label_w = want;
    int room_w = (r.w - w->label_w - t->extra_w) / t->cols, room_h = (r.h - 1) / t->rows;
    int ch = room_h < t->grow_h ? room_h : t->grow_h;
    ch = ch < 1 ? 1 : ch;
    int cap = t->blocks && 4 * ch < t->grow_w ? 4 * ch : t->grow_w;
    int names = t->col_label && !t->group ? longest_label(t, 0) + 1 : 0;
    cap = cap > names ? cap : names;
    int cw = room_w < cap ? room_w : cap;
    w->cell_w = cw > w->cell_w ? cw : w->cell_w;
    w->cell_h = ch < w->cell_w ? ch : w->cell_w;
}

void panel_table_window(struct rect r, const struct table *t, struct table_window *w)
{
    memset(w, 0, sizeof *w);
    w->cell_w = t->cell_w > 0 ? t->cell_w : 1;
    w->cell_h = t->cell_h > 0 ? t->cell_h : 1;
    w->label_w = t->label_w;
    if (t->grow_w > 0 || t->grow_h > 0)
        table_grow(r, t, w);
    int cw = w->cell_w, ch = w->cell_h;
    // Row labels give up to 4 columns (abbreviated) when that shows every column.
    int spare = r.w - t->extra_w - t->cols * cw;
    if (spare < w->label_w && spare >= w->label_w - 4 && spare >= 5)
        w->label_w = spare;
    int avail_w = r.w - w->label_w - t->extra_w, avail_h = r.h - 1; // below the header
    w->n_cols = avail_w / cw;
    if (w->n_cols < t->cols) {
        w->mark_w = digits(t->cols) + 4; // " +148 →"
        w->n_cols = (avail_w - w->mark_w) / cw;
    }
    w->n_cols = w->n_cols < 0 ? 0 : w->n_cols > t->cols ? t->cols : w->n_cols;
    w->n_rows = avail_h / ch;
    if (w->n_rows < t->rows && !t->rows_elsewhere) {
        w->rows_line = 1;
        w->n_rows = (avail_h - 1) / ch;
    }
    w->n_rows = w->n_rows < 0 ? 0 : w->n_rows > t->rows ? t->rows : w->n_rows;
    w->row0 = scroll_to(t->cur_row >= 0 ? t->cur_row : t->sel_row, w->n_rows, t->rows);
    w->col0 = scroll_to(t->cur_col >= 0 ? t->cur_col : t->keep_col, w->n_cols, t->cols);
    w->x = r.x + w->label_w;
    w->y = r.y + 1;
}

int panel_table_hit(struct rect r, const struct table *t, int x, int y, int *row, int *col)
{
    struct table_window w;
    panel_table_window(r, t, &w);
    if (x < w.x || y < w.y || (x - w.x) / w.cell_w >= w.n_cols || (y - w.y) / w.cell_h >= w.n_rows)
        return 0;
    *row = w.row0 + (y - w.y) / w.cell_h;
    *col = w.col0 + (x - w.x) / w.cell_w;
    return 1;
}

// Where the column after the cells starts: right after them and the hidden columns' marker.
static int extra_x(const struct table_window *w)
{
    return w->x + w->n_cols * w->cell_w + w->mark_w;
}

// Named columns one cell wide: only the column in focus (the inspect cell's, else the kept
// one) is named, with an arrow down to it ("↓table", or "table↓" near the right edge).
static void focus_label(struct grid *g, struct rect r, const struct table *t,
                        const struct table_window *w)
{
    int j = t->cur_col >= 0 ? t->cur_col : t->keep_col;
    if (j < w->col0 || j >= w->col0 + w->n_cols)
        return;
    char lab[64], buf[80];
    t->col_label(t->ctx, j, lab, sizeof lab);
    int x = w->x + (j - w->col0), right = w->x + w->n_cols + w->mark_w;
    int lw = (int)utf8_count(lab, strlen(lab)) + 1;
    if (x + lw <= right) {
        text_format(buf, sizeof buf, "↓%s", lab);
        grid_text(g, x, r.y, lw, buf, SF_STYLE_CURRENT);
    } else {
        text_format(buf, sizeof buf, "%s↓", lab);
        int x0 = x - lw + 1 < w->x ? w->x : x - lw + 1;
        grid_text(g, x0, r.y, x - x0 + 1, buf, SF_STYLE_CURRENT);
    }
}

// The header line: the column labels (numbered, named, or the group's name at its first
// column), the count of hidden columns on either side, and the extra column's title.
static void table_header(struct grid *g, struct rect r, const struct table *t,
                         const struct table_window *w)
{
    char lab[64], buf[64];
    int cw = w->cell_w, last_end = w->x - 2, end = w->x + w->n_cols * cw;
    // Each column its own label when names fit abbreviated and numbers whole; else numbers
    // every fifth column where they fit whole, a name only over the column in focus.
    int each = cw >= 2 && (t->col_label || digits(t->cols - 1) <= cw - 1);
    for (int c = 0; c < w->n_cols; c++) {
        int j = w->col0 + c, x = w->x + c * cw;
        int group_start = t->group > 0 && j % t->group == 0;
        if (group_start)
            text_format(lab, sizeof lab, "%s%d", t->group_name ? t->group_name : "", j / t->group);
        else if (t->col_label)
            t->col_label(t->ctx, j, lab, sizeof lab);
        else
            text_format(lab, sizeof lab, "%d", j);
        if (each) { // each column its own label
            int lw = (int)utf8_count(lab, strlen(lab));
            panel_fit(buf, sizeof buf, lab, cw - 1);
            int bw = lw < cw - 1 ? lw : cw - 1, num = !t->col_label || group_start;
            if (!num && w->n_rows > 0) { // names over numbers end where the numbers end too
                struct table_cell first;
                memset(&first, 0, sizeof first);
                t->cell(t->ctx, w->row0, j, &first);
                num = first.kind == TABLE_NUMBER;
            }
            // numbers right-aligned over the numbers; names from a colour cell's second column
            grid_text(g, num ? x + cw - bw : x + 1, r.y, cw - 1, buf,
                      group_start ? SF_STYLE_TITLE : SF_STYLE_DIM);
        } else if (!t->col_label && (group_start || j % 5 == 0) && x > last_end + 1 &&
                   (int)strlen(lab) <= end - x) {
            // numbers every fifth column, where they fit whole
            int used =
                grid_text(g, x, r.y, end - x, lab, group_start ? SF_STYLE_TITLE : SF_STYLE_DIM);
            last_end = x + used - 1;
        }
    }
    if (!each && t->col_label)
        focus_label(g, r, t, w);
    if (w->col0 > 0 && w->label_w >= 3) {
        text_format(buf, sizeof buf, "← %d", w->col0);
        grid_text(g, r.x, r.y, w->label_w - 1, buf, SF_STYLE_NOTICE);
    }
    int right = t->cols - w->col0 - w->n_cols;
    if (w->mark_w && right > 0) {
        text_format(buf, sizeof buf, "+%d →", right);
        grid_text(g, w->x + w->n_cols * cw + 1, r.y, w->mark_w - 1, buf, SF_STYLE_NOTICE);
    }
    if (t->extra_w && t->extra_head) { // right-aligned over the column
        int hw = (int)utf8_count(t->extra_head, strlen(t->extra_head));
        hw = hw < t->extra_w ? hw : t->extra_w;
        grid_text(g, extra_x(w) + t->extra_w - hw, r.y, hw, t->extra_head, SF_STYLE_DIM);
    }
}

// One cell at (x, y), cw columns by ch lines: a number or a text on its middle line, a colour
// as the whole block; the inspect cursor's cell a whole block in SF_STYLE_SELECTED.
static void table_cell_draw(struct grid *g, int x, int y, int cw, int ch,
                            const struct table_cell *c, int cursor)
{
    char buf[64];
    int mid = y + (ch - 1) / 2;
    if (cursor || c->kind == TABLE_BLANK)
        for (int line = 0; line < ch; line++)
            for (int k = 0; k < cw; k++)
                grid_put(g, x + k, y + line, ' ', cursor ? SF_STYLE_SELECTED : c->style);
    switch (c->kind) {
    case TABLE_NUMBER:
        table_number(buf, sizeof buf, c->value, cw);
        grid_text(g, x, mid, cw, buf, cursor ? SF_STYLE_SELECTED : c->style);
        return;
    case TABLE_TEXT:
        panel_fit(buf, sizeof buf, c->text, cw - 1);
        grid_text(g, x + 1, mid, cw - 1, buf, cursor ? SF_STYLE_SELECTED : c->style);
        return;
    case TABLE_BLANK:
        if (!cursor)
            return;
        break;
    case TABLE_HEAT:
    case TABLE_MASKED:
        break;
    }
    if (cursor) { // a colour cell under the inspect cursor: a marked block
        grid_text(g, cw >= 2 ? x + (cw - 2) / 2 : x, mid, cw, cw >= 2 ? "<>" : "*",
                  SF_STYLE_SELECTED);
        return;
    }
    int level = c->kind == TABLE_MASKED ? SF_LEVEL_MASKED : c->level; // masked: a level of its own
    for (int line = 0; line < ch; line++)
        for (int k = 0; k < cw; k++)
            grid_heat(g, x + k, y + line, c->ramp, level, level);
}

// One row of the table: its label, its cells, the mark that it goes on, the extra column.
static void table_row(struct grid *g, struct rect r, const struct table *t,
                      const struct table_window *w, int i, int y)
{
    int cw = w->cell_w, ch = w->cell_h, mid = y + (ch - 1) / 2;
    char buf[64];
    if (w->label_w > 1 && t->row_label) {
        char lab[64];
        t->row_label(t->ctx, i, lab, sizeof lab);
        grid_text(g, r.x, mid, w->label_w - 1, panel_fit(buf, sizeof buf, lab, w->label_w - 1),
                  i == t->sel_row ? SF_STYLE_CURRENT : SF_STYLE_DIM);
    }
    for (int c = 0; c < w->n_cols; c++) {
        int j = w->col0 + c, x = w->x + c * cw;
        struct table_cell cell;
        memset(&cell, 0, sizeof cell);
        t->cell(t->ctx, i, j, &cell);
        table_cell_draw(g, x, y, cw, ch, &cell, i == t->cur_row && j == t->cur_col);
        if (t->group > 0 && j % t->group == 0 && j > 0 && cw >= 3 && cell.kind != TABLE_HEAT)
            for (int line = 0; line < ch; line++) // a head boundary: "│"
                grid_put(g, x, y + line, 0x2502, SF_STYLE_BORDER);
    }
    if (t->cols - w->col0 - w->n_cols > 0)
        grid_text(g, w->x + w->n_cols * cw + 1, mid, 1, "…", SF_STYLE_NOTICE);
    if (t->extra_w && t->extra) {
        struct table_cell cell;
        memset(&cell, 0, sizeof cell);
        t->extra(t->ctx, i, &cell);
        table_cell_draw(g, extra_x(w), y, t->extra_w, ch, &cell, 0);
    }
}

int panel_table(struct grid *g, struct rect r, const struct table *t)
{
    struct table_window w;
    panel_table_window(r, t, &w);
    if (r.h < 1)
        return 0;
    table_header(g, r, t, &w);
    for (int k = 0; k < w.n_rows; k++)
        table_row(g, r, t, &w, w.row0 + k, w.y + k * w.cell_h);
    int lines = w.n_rows * w.cell_h;
    if (w.rows_line && w.y + lines < r.y + r.h) {
        char line[128];
        grid_text(g, r.x, w.y + lines, r.w, panel_table_rows(line, sizeof line, r, t),
                  SF_STYLE_NOTICE);
        return lines + 2;
    }
    return lines + 1;
}

const char *panel_hidden_rows(char *buf, size_t size, int first, int shown, int total)
{
    int above = first, below = total - first - shown, n = 0;
    buf[0] = 0;
    if (above + below <= 0)
        return buf;
    if (above > 0)
        n += text_format(buf + n, size - (size_t)n, "↑ %d more  ", above);
    if (shown == 1)
        n += text_format(buf + n, size - (size_t)n, "row %d of %d", first + 1, total);
    else
        n += text_format(buf + n, size - (size_t)n, "rows %d–%d of %d", first + 1, first + shown,
                         total);
    if (below > 0)
        text_format(buf + n, size - (size_t)n, "  ↓ %d more", below);
    return buf;
}

const char *panel_table_rows(char *buf, size_t size, struct rect r, const struct table *t)
{
    struct table_window w;
    panel_table_window(r, t, &w);
    return panel_hidden_rows(buf, size, w.row0, w.n_rows, t->rows);
}

float panel_span(const float *m, size_t n)
{
    float span = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(m[i]) && fabsf(m[i]) > span)
            span = fabsf(m[i]);
    return span;
}

static void matrix_row_label(const void *ctx, int i, char *buf, size_t size)
{
    const struct table_matrix *mx = ctx;
    const struct graph *gr = mx->graph;
    if (mx->rows == gr->n_tokens)
        tokenizer_piece_str(&gr->model->tok, gr->ids[i], buf, size);
    else if (mx->rows == gr->model->cfg.vocab_size)
        tokenizer_piece_str(&gr->model->tok, i, buf, size);
    else
        text_format(buf, size, "%d", i);
}

static void matrix_col_label(const void *ctx, int j, char *buf, size_t size)
{
    const struct table_matrix *mx = ctx;
    tokenizer_piece_str(&mx->graph->model->tok, j, buf, size);
}

static void matrix_cell(const void *ctx, int i, int j, struct table_cell *c)
{
    const struct table_matrix *mx = ctx;
    size_t ld = (size_t)(mx->stride > 0 ? mx->stride : mx->cols);
    float x = mx->transposed ? mx->m[(size_t)j * ld + (size_t)i] : mx->m[(size_t)i * ld + j];
    if (mx->minus)
        x -= mx->minus[(size_t)i * mx->cols + j];
    int masked = (isinf(x) && x < 0) || (mx->causal && j > i);
    if (mx->numbers) {
        c->kind = TABLE_NUMBER;
        c->value = x;
        c->style = masked             ? SF_STYLE_MASKED
                   : i == mx->sel_row ? SF_STYLE_CURRENT
                   : x < 0            ? SF_STYLE_NEGATIVE
                                      : SF_STYLE_NUMBER;
    } else if (masked) {
        c->kind = TABLE_MASKED;
    } else {
        c->kind = TABLE_HEAT;
        c->ramp = mx->ramp;
        c->level = ramp_level(mx->ramp, mx->abs_val ? fabsf(x) : x, mx->span);
    }
}

void panel_table_matrix(struct table *t, const struct table_matrix *mx, const struct view *v,
                        int cursor)
{
    memset(t, 0, sizeof *t);
    t->rows = mx->rows;
    t->cols = mx->cols;
    t->cell_w = mx->numbers ? 6 : 1;
    t->label_w = 9;
    // Number cells grow to twice their width and three lines a row; colour cells to blocks.
    t->grow_w = mx->numbers ? 12 : 16;
    t->grow_h = mx->numbers ? 3 : 8;
    t->blocks = !mx->numbers;
    t->sel_row = mx->sel_row;
    t->keep_col = -1;
    t->cur_row = t->cur_col = -1;
    if (cursor && v->inspect) {
        t->cur_row = v->row;
        t->cur_col = v->col;
    }
    t->ctx = mx;
    t->row_label = matrix_row_label;
    if (mx->cols == mx->graph->model->cfg.vocab_size)
        t->col_label = matrix_col_label;
    t->cell = matrix_cell;
}
