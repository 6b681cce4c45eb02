// The whole screen: laid out once, then drawn from const state into the cell grid.
#include "stepformer/screen.h"

#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

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
    if (keys_w)
        grid_text(g, r.x + r.w - keys_w, r.y, keys_w, keys, style);
}

static void draw_overlay(struct grid *g, const struct screen_state *s)
{
    int w = 76 < g->w - 4 ? 76 : g->w - 4, h = s->n_overlay + 3;
    if (h > g->h - 2)
        h = g->h - 2;
    int x0 = (g->w - w) / 2, y0 = (g->h - h) / 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            grid_put(g, x0 + x, y0 + y, ' ', SF_STYLE_NORMAL);
    panel_title(g, (struct rect){x0, y0, w, h}, s->overlay_title, 1);
    // Scroll so that the cursor's line is in view.
    int rows = h - 3, first = 0;
    if (s->overlay_cursor >= rows)
        first = s->overlay_cursor - rows + 1;
    for (int i = 0; i < rows && first + i < s->n_overlay; i++) {
        int k = first + i;
        enum sf_style st = k == s->overlay_cursor ? SF_STYLE_SELECTED : SF_STYLE_NORMAL;
        grid_text(g, x0 + 2, y0 + 2 + i, w - 3, s->overlay[k], st);
    }
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
