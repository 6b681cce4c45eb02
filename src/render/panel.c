// What all panels share: the title bar, the "not computed yet" line and the colour legend.
#include "stepformer/panel.h"

#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

void panel_title(struct grid *g, struct rect r, const char *title, int selected)
{
    enum sf_style s = selected ? SF_STYLE_CURRENT : SF_STYLE_TITLE;
    for (int x = 0; x < r.w; x++)
        grid_put(g, r.x + x, r.y, ' ', s);
    grid_text(g, r.x + 1, r.y, r.w - 1, title, s);
}

void panel_pending(struct grid *g, struct rect r, const char *why)
{
    if (r.h > 1)
        grid_text(g, r.x + 1, r.y + 1, r.w - 1, why ? why : "not computed yet", SF_STYLE_DIM);
}

void panel_legend(struct grid *g, int x, int y, int w, enum ramp_kind ramp, float max)
{
    char lo[16], hi[16];
    text_format(lo, sizeof lo, "%.3g ", ramp == RAMP_DIVERGING ? -(double)max : 0.0);
    text_format(hi, sizeof hi, " %.3g", (double)max);
    int used = grid_text(g, x, y, w, lo, SF_STYLE_DIM);
    for (int l = 0; l < SF_RAMP_LEVELS && used < w - 1; l++, used++)
        grid_heat(g, x + used, y, ramp, l, l);
    if (used < w)
        grid_text(g, x + used, y, w - used, hi, SF_STYLE_DIM);
}

const char *panel_number(char *buf, size_t size, float x, int width)
{
    // Two decimals while a space is left in front; fewer for large numbers.
    for (int dec = 2; dec >= 0; dec--) {
        text_format(buf, size, "%*.*f", width, dec, (double)x);
        if ((int)strlen(buf) < width + 1 && buf[0] == ' ')
            return buf;
    }
    return buf;
}
