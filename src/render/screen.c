// The whole screen: laid out once, then drawn from const state into the cell grid.
#include "stepformer/screen.h"

#include <stdio.h>
#include <string.h>

#include "stepformer/panel_loss_curve.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

// The text cursor of an input line: the cell at column col of the text drawn from (x, y), in
// the normal style (a gap in the highlighted line, in colour and in monochrome alike).
static void draw_cursor(struct grid *g, int x, int y, int col, int max_w)
{
    if (col < 0 || col >= max_w || x + col >= g->w || y < 0 || y >= g->h)
        return;
    grid_put(g, x + col, y, g->cells[(size_t)y * g->w + x + col].cp, SF_STYLE_NORMAL);
}

static void draw_status(struct grid *g, struct rect r, const struct screen_state *s)
{
    char line[512];
    const struct node *last = graph_last(s->view.graph);
    const char *text = s->status;
    if (!text) {
        if (last)
            text_format(line, sizeof line, " %s  %s  [%s]", last->name, last->explain,
                        last->section);
        else
            text_format(line, sizeof line, " Space: run the first operation");
        text = line;
    }
    enum sf_style style = s->notice ? SF_STYLE_NOTICE : SF_STYLE_TITLE;
    for (int x = 0; x < r.w; x++)
        grid_put(g, r.x + x, r.y, ' ', style);
    const char *keys = s->keys ? s->keys : "? help  q quit ";
    int keys_w = (int)strlen(keys);
    if (keys_w > r.w / 3)
        keys_w = 0;
    if (s->status && s->status_cursor >= 0) // an input line: as typed, around its cursor
        grid_text(g, r.x, r.y, r.w - keys_w - 1, text, style);
    else // the op's line or a message: abbreviated at a word
        panel_label(g, r.x, r.y, r.w - keys_w - 1, text, style);
    if (s->status && s->status_cursor >= 0)
        draw_cursor(g, r.x, r.y, s->status_cursor, r.w - keys_w - 1);
    if (keys_w)
        grid_text(g, r.x + r.w - keys_w, r.y, keys_w, keys, style);
}

// Line k of the overlay: its own lines, then each section's title and lines. *heading is 1 for
// a section's title.
static const char *overlay_line(const struct screen_state *s, int k, int *heading)
{
    *heading = 0;
    if (k < s->n_overlay)
        return s->overlay[k];
    k -= s->n_overlay;
    for (int i = 0; i < s->n_overlay_more; i++) {
        const struct overlay_section *sec = &s->overlay_more[i];
        if (k == 0) {
            *heading = 1;
            return sec->title;
        }
        if (k <= sec->n)
            return sec->lines[k - 1];
        k -= sec->n + 1;
    }
    return "";
}

// One row of the overlay as drawn: the part [off, off + len) of line k, indented by indent.
struct overlay_row {
    int k, indent;
    size_t off, len;
};

// Where the overlay goes on a w x h screen, and its lines wrapped into rows.
struct overlay_geom {
    int columns, cw, w, h, x0, y0;
    int rows;  // rows of text per column
    int room;  // rows on one page (rows * columns)
    int total; // rows of all the lines, wrapped
    struct overlay_row row[SF_OVERLAY_ROWS];
};

// The number of lines of the overlay: its own, then each section's title and lines.
static int overlay_count(const struct screen_state *s)
{
    int total = s->n_overlay;
    for (int i = 0; i < s->n_overlay_more; i++)
        total += 1 + s->overlay_more[i].n;
    return total;
}

// Line k wrapped into rows of at most width columns, into o->row from o->total: whole, or
// broken at spaces with the rest indented under the text after the first gap of two spaces
// (a key line's description), so no line is ever cut.
static void overlay_wrap(struct overlay_geom *o, int k, const char *text, int width)
{
    size_t n = strlen(text), at = 0;
    int indent = 0;
    const char *gap = strstr(text, "  ");
    if (gap) {
        size_t i = (size_t)(gap - text);
        while (text[i] == ' ')
            i++;
        indent = (int)utf8_count(text, i);
    }
    if (indent > width / 2 || indent == 0)
        indent = 2;
    for (int first = 1; at < n && o->total < SF_OVERLAY_ROWS; first = 0) {
        int room = first ? width : width - indent, c = 0;
        size_t i = at, brk = 0;
        while (i < n && c < room) {
            i = utf8_next(text, n, i);
            c++;
            if (i < n && text[i] == ' ')
                brk = i;
        }
        size_t end = i >= n ? n : (brk > at ? brk : i);
        o->row[o->total++] = (struct overlay_row){k, first ? 0 : indent, at, end - at};
        at = end;
        while (at < n && text[at] == ' ')
            at++;
    }
    if (n == 0 && o->total < SF_OVERLAY_ROWS)
        o->row[o->total++] = (struct overlay_row){k, 0, 0, 0};
}

// The overlay box: one column of up to 76 characters, two side by side when the lines do not
// fit in one and the screen is wide enough. What does not fit pages: the last row says so.
static void overlay_geometry(const struct screen_state *s, int gw, int gh, struct overlay_geom *o)
{
    o->cw = 76 < gw - 4 ? 76 : gw - 4;
    o->total = 0;
    for (int k = 0, lines = overlay_count(s); k < lines; k++) {
        int heading;
        overlay_wrap(o, k, overlay_line(s, k, &heading), o->cw - 3);
    }
    o->columns = 1;
    if (s->overlay_cursor < 0 && o->total + 3 > gh - 2 && gw - 4 >= 2 * o->cw)
        o->columns = 2;
    o->w = o->cw * o->columns;
    o->h = (o->total + o->columns - 1) / o->columns + 3;
    if (o->h > gh - 2)
        o->h = gh - 2;
    o->x0 = (gw - o->w) / 2;
    o->y0 = (gh - o->h) / 2;
    o->rows = o->h - 3 > 0 ? o->h - 3 : 0;
    o->room = o->rows * o->columns;
}

int screen_overlay_last_first(const struct screen_state *s, int w, int h, int *page)
{
    struct overlay_geom o;
    overlay_geometry(s, w, h, &o);
    *page = o.room > 0 ? o.room : 1;
    return o.total > o.room ? o.total - o.room : 0;
}

static void draw_overlay(struct grid *g, const struct screen_state *s)
{
    struct overlay_geom o;
    overlay_geometry(s, g->w, g->h, &o);
    for (int y = 0; y < o.h; y++)
        for (int x = 0; x < o.w; x++)
            grid_put(g, o.x0 + x, o.y0 + y, ' ', SF_STYLE_NORMAL);
    panel_title(g, (struct rect){o.x0, o.y0, o.w, o.h}, s->overlay_title, 1);
    // The first row: the cursor's line in view (a box with a cursor), else the page asked for.
    int first = 0;
    if (s->overlay_cursor >= 0) {
        for (int i = 0; i < o.total; i++)
            if (o.row[i].k == s->overlay_cursor) {
                first = i >= o.rows ? i - o.rows + 1 : 0;
                break;
            }
    } else {
        int last = o.total > o.room ? o.total - o.room : 0;
        first = s->overlay_first < 0 ? 0 : (s->overlay_first > last ? last : s->overlay_first);
    }
    for (int i = 0; i < o.room && first + i < o.total; i++) {
        const struct overlay_row *row = &o.row[first + i];
        int heading, x = o.x0 + 2 + (i / o.rows) * o.cw, y = o.y0 + 2 + i % o.rows;
        const char *text = overlay_line(s, row->k, &heading);
        char piece[512];
        snprintf(piece, sizeof piece, "%.*s", (int)row->len, text + row->off);
        enum sf_style st = row->k == s->overlay_cursor ? SF_STYLE_SELECTED
                           : heading                   ? SF_STYLE_TITLE
                                                       : SF_STYLE_NORMAL;
        grid_text(g, x + row->indent, y, o.cw - 3 - row->indent, piece, st);
        if (row->k == s->overlay_cursor && row->off == 0)
            draw_cursor(g, x, y, s->overlay_cursor_col, o.cw - 3);
    }
    if (s->overlay_cursor < 0 && o.total > o.room) { // the pager's line, in the last row
        char more[160];
        int shown = first + o.room < o.total ? first + o.room : o.total;
        if (shown < o.total)
            text_format(more, sizeof more, "more ↓ (Space, PgDn)  %srows %d–%d of %d",
                        first > 0 ? "↑ PgUp back  " : "", first + 1, shown, o.total);
        else
            text_format(more, sizeof more, "end  ↑ PgUp back, Home top  rows %d–%d of %d",
                        first + 1, shown, o.total);
        panel_label(g, o.x0 + 2, o.y0 + o.h - 1, o.w - 4, more, SF_STYLE_DIM);
    }
}

// An intervention in force, at the right end of the main (or zoomed) panel's title, so no one
// takes the pass on screen for the model's own.
static void draw_badge(struct grid *g, const struct screen_state *s)
{
    const struct layout *l = &s->layout;
    int p = s->zoom >= 0 && s->zoom < PANEL_COUNT ? s->zoom : (int)s->main;
    char badge[64], shown[80];
    if (s->zoom < 0 && !s->lesson &&
        (p == PANEL_TOKENS || p == PANEL_TIMELINE || p == PANEL_EQUATION))
        p = PANEL_ATTENTION; // what layout_compute puts in the main place for them
    if (p < 0 || p >= PANEL_COUNT || p == PANEL_TOKENS || !l->shown[p])
        return;
    struct rect r = l->panel[p];
    // The title's first 20 columns stay: heads that do not fit beside them are counted (the
    // badge's own fallback).
    size_t room = (size_t)(r.w - 20) < sizeof badge ? (size_t)(r.w - 20) : sizeof badge;
    if (r.w < 40 || !panel_intervention_badge(s->view.graph, badge, room))
        return;
    int w = text_format(shown, sizeof shown, " %s ", badge);
    grid_text(g, r.x + r.w - w, r.y, w, shown, SF_STYLE_NOTICE);
}

static void draw_one(struct grid *g, enum panel_id p, struct rect r, const struct view *v,
                     int selected)
{
    // At a projection with w on, the op's own panel shows the product X · W = Y instead.
    if (panel_product_applies(v) && p == layout_focus(graph_last(v->graph))) {
        panel_product(g, r, v, selected);
        return;
    }
    switch (p) {
    case PANEL_TOKENS:
        panel_tokens(g, r, v, selected);
        break;
    case PANEL_TIMELINE:
        panel_timeline(g, r, v, selected);
        break;
    case PANEL_EQUATION:
        panel_equation(g, r, v, selected);
        break;
    case PANEL_QKV:
        panel_qkv(g, r, v, selected);
        break;
    case PANEL_ATTENTION:
        panel_attention(g, r, v, selected);
        break;
    case PANEL_LAYERNORM:
        panel_layernorm(g, r, v, selected);
        break;
    case PANEL_RESIDUAL:
        panel_residual(g, r, v, selected);
        break;
    case PANEL_FFN:
        panel_ffn(g, r, v, selected);
        break;
    case PANEL_NEXT_TOKEN:
        panel_next_token(g, r, v, selected);
        break;
    case PANEL_LOGIT_LENS:
        panel_logit_lens(g, r, v, selected);
        break;
    case PANEL_TRAINING:
        panel_training(g, r, v, selected);
        break;
    case PANEL_ACTIVATIONS:
        panel_activations(g, r, v, selected);
        break;
    case PANEL_HEADS:
        panel_heads(g, r, v, selected);
        break;
    case PANEL_MODEL:
        panel_model(g, r, v, selected);
        break;
    case PANEL_FINDER:
        panel_finder(g, r, v, selected);
        break;
    case PANEL_WORKED:
        panel_worked(g, r, v, selected);
        break;
    case PANEL_COUNT:
        break;
    }
}

void screen_draw_panel(struct grid *g, enum panel_id p, struct rect r, const struct view *v,
                       int selected)
{
    grid_clip(g, r.x, r.y, r.w, r.h);
    draw_one(g, p, r, v, selected);
    grid_clip(g, 0, 0, g->w, g->h);
}

// The learn view's panels: the loss curve (s->learn, in s->curve), and the attention and
// next-token panels on the view's graph (the probe sentence).
static void draw_learn(struct grid *g, const struct screen_state *s)
{
    const struct layout *l = &s->layout;
    struct rect c = s->curve;
    grid_clip(g, c.x, c.y, c.w, c.h);
    panel_loss_curve(g, c, s->learn, s->selected < 0);
    struct rect a = l->panel[PANEL_ATTENTION];
    grid_clip(g, a.x, a.y, a.w, a.h);
    panel_attention_at(g, a, &s->view, ROLE_ATTN_SOFTMAX, s->selected == PANEL_ATTENTION);
    grid_clip(g, 0, 0, g->w, g->h);
    screen_draw_panel(g, PANEL_NEXT_TOKEN, l->panel[PANEL_NEXT_TOKEN], &s->view,
                      s->selected == PANEL_NEXT_TOKEN);
}

void screen_layout(struct screen_state *s, int w, int h)
{
    const struct lesson_screen *ls = s->lesson;
    s->narration = (struct rect){0, 0, 0, 0};
    if (s->learn)
        layout_learn(&s->layout, &s->curve, w, h);
    else if (ls)
        layout_lesson(&s->layout, &s->narration, w, h, ls->panels, ls->n_panels, ls->focus, s->zoom,
                      ls->present,
                      ls->present ? panel_narration_height(ls, w) : panel_narration_need(ls, w));
    else if (s->present)
        layout_present(&s->layout, w, h, s->zoom, s->main, panel_equation_height(&s->view, w));
    else
        layout_compute(&s->layout, w, h, s->zoom, s->main);
}

void screen_draw(struct grid *g, const struct screen_state *s)
{
    const struct layout *l = &s->layout;
    grid_clear(g, SF_STYLE_NORMAL);
    if (l->too_small) {
        char msg[128];
        text_format(msg, sizeof msg, "stepformer needs at least %d x %d; this window is %d x %d.",
                    SF_MIN_W, SF_MIN_H, g->w, g->h);
        grid_text(g, 1, g->h / 2 - 1, g->w - 2, msg, SF_STYLE_NOTICE);
        grid_text(g, 1, g->h / 2, g->w - 2, "Please make the window larger.", SF_STYLE_NOTICE);
        return;
    }
    if (s->learn)
        draw_learn(g, s);
    for (int p = 0; p < PANEL_COUNT && !s->learn; p++)
        if (l->shown[p])
            screen_draw_panel(g, (enum panel_id)p, l->panel[p], &s->view, s->selected == p);
    draw_badge(g, s);
    if (s->lesson && s->narration.w > 0) {
        struct rect n = s->narration;
        grid_clip(g, n.x, n.y, n.w, n.h);
        panel_narration(g, n, s->lesson);
        grid_clip(g, 0, 0, g->w, g->h);
    }
    draw_status(g, l->status, s);
    if (s->overlay_title)
        draw_overlay(g, s);
}
