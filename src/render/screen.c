// The whole screen: laid out once, then drawn from const state into the cell grid.
#include "stepformer/screen.h"

#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

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
    grid_text(g, r.x, r.y, r.w - keys_w - 1, text, style);
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

// The overlay box: one column of up to 76 characters, two side by side when the lines do not
// fit in one and the screen is wide enough; what still does not fit is counted on the last row.
// A box with a cursor line scrolls to it instead.
static void draw_overlay(struct grid *g, const struct screen_state *s)
{
    int total = s->n_overlay;
    for (int i = 0; i < s->n_overlay_more; i++)
        total += 1 + s->overlay_more[i].n;
    int cw = 76 < g->w - 4 ? 76 : g->w - 4, columns = 1;
    if (s->overlay_cursor < 0 && total + 3 > g->h - 2 && g->w - 4 >= 2 * cw)
        columns = 2;
    int w = cw * columns, h = (total + columns - 1) / columns + 3;
    if (h > g->h - 2)
        h = g->h - 2;
    int x0 = (g->w - w) / 2, y0 = (g->h - h) / 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            grid_put(g, x0 + x, y0 + y, ' ', SF_STYLE_NORMAL);
    panel_title(g, (struct rect){x0, y0, w, h}, s->overlay_title, 1);
    // Scroll so that the cursor's line is in view.
    int rows = h - 3, first = 0, room = rows * columns;
    if (s->overlay_cursor >= rows)
        first = s->overlay_cursor - rows + 1;
    int hidden = s->overlay_cursor < 0 && total > room ? total - (room - 1) : 0;
    for (int i = 0; i < room && first + i < total; i++) {
        int k = first + i, heading, x = x0 + 2 + (i / rows) * cw, y = y0 + 2 + i % rows;
        const char *text = overlay_line(s, k, &heading);
        char more[96];
        if (hidden && i == room - 1) {
            text_format(more, sizeof more, "… %d more lines: a larger window shows them", hidden);
            text = more, heading = 0;
        }
        enum sf_style st = k == s->overlay_cursor ? SF_STYLE_SELECTED
                           : heading              ? SF_STYLE_TITLE
                                                  : SF_STYLE_NORMAL;
        grid_text(g, x, y, cw - 3, text, st);
        if (k == s->overlay_cursor)
            draw_cursor(g, x, y, s->overlay_cursor_col, cw - 3);
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

void screen_layout(struct screen_state *s, int w, int h)
{
    const struct lesson_screen *ls = s->lesson;
    s->narration = (struct rect){0, 0, 0, 0};
    if (ls)
        layout_lesson(&s->layout, &s->narration, w, h, ls->panels, ls->n_panels, ls->focus, s->zoom,
                      ls->present, ls->present ? panel_narration_height(ls, w) : 0);
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
    for (int p = 0; p < PANEL_COUNT; p++)
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
