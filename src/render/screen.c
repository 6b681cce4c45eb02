// The whole screen, drawn from const state into the cell grid.
#include "stepformer/screen.h"

#include <stdio.h>
#include <string.h>

// The attention stage and layer to show: the op that ran last, if it is one of the
// attention-matrix stages, else the softmax of the selected layer.
static const char *attention_stage(const struct graph *gr, int *layer)
{
    static const char *const stages[] = {"scores", "scale", "mask", "softmax"};
    const struct node *last = graph_last(gr);
    for (size_t k = 0; last && k < sizeof stages / sizeof stages[0]; k++) {
        const char *dot = strrchr(last->name, '.');
        if (last->layer >= 0 && dot && strcmp(dot + 1, stages[k]) == 0 &&
            strstr(last->name, ".attn.")) {
            *layer = last->layer;
            return stages[k];
        }
    }
    return "softmax";
}

static void draw_status(struct grid *g, struct rect r, const struct graph *gr)
{
    char line[512];
    const struct node *last = graph_last(gr);
    if (last)
        snprintf(line, sizeof line, " %s  %s  [%s]", last->name, last->explain, last->section);
    else
        snprintf(line, sizeof line, " Space: run the first operation");
    for (int x = 0; x < r.w; x++)
        grid_put(g, r.x + x, r.y, ' ', SF_STYLE_TITLE);
    const char *keys = "? help  q quit ";
    int keys_w = (int)strlen(keys);
    grid_text(g, r.x, r.y, r.w - keys_w - 1, line, SF_STYLE_TITLE);
    grid_text(g, r.x + r.w - keys_w, r.y, keys_w, keys, SF_STYLE_TITLE);
}

static void draw_help(struct grid *g, const struct screen_state *s)
{
    int w = 72 < g->w - 4 ? 72 : g->w - 4, h = s->n_help + 3;
    if (h > g->h - 2)
        h = g->h - 2;
    int x0 = (g->w - w) / 2, y0 = (g->h - h) / 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            grid_put(g, x0 + x, y0 + y, ' ', SF_STYLE_NORMAL);
    panel_title(g, (struct rect){x0, y0, w, h}, "Keys  (any key closes this)", 1);
    for (int i = 0; i < s->n_help && 2 + i < h; i++)
        grid_text(g, x0 + 2, y0 + 2 + i, w - 3, s->help_lines[i], SF_STYLE_NORMAL);
}

void screen_draw(struct grid *g, const struct screen_state *s)
{
    struct layout l;
    grid_clear(g, SF_STYLE_NORMAL);
    layout_compute(&l, g->w, g->h, s->zoom);
    if (l.too_small) {
        char msg[128];
        snprintf(msg, sizeof msg, "stepformer needs at least %d x %d; this window is %d x %d.",
                 SF_MIN_W, SF_MIN_H, g->w, g->h);
        grid_text(g, 1, g->h / 2 - 1, g->w - 2, msg, SF_STYLE_NOTICE);
        grid_text(g, 1, g->h / 2, g->w - 2, "Please make the window larger.", SF_STYLE_NOTICE);
        return;
    }
    struct view v = s->view;
    const char *stage = attention_stage(v.graph, &v.layer);
    if (l.shown[PANEL_TOKENS])
        panel_tokens(g, l.panel[PANEL_TOKENS], &v, s->selected == PANEL_TOKENS);
    if (l.shown[PANEL_TIMELINE])
        panel_timeline(g, l.panel[PANEL_TIMELINE], &v, s->selected == PANEL_TIMELINE);
    if (l.shown[PANEL_ATTENTION])
        panel_attention(g, l.panel[PANEL_ATTENTION], &v, stage, s->selected == PANEL_ATTENTION);
    if (l.shown[PANEL_NEXT_TOKEN])
        panel_next_token(g, l.panel[PANEL_NEXT_TOKEN], &v, s->selected == PANEL_NEXT_TOKEN);
    draw_status(g, l.status, v.graph);
    if (s->help)
        draw_help(g, s);
}
