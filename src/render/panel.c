// What all panels share: the title bar, the "not computed yet" line, the colour legend, and
// fitting labels and numbers into the columns there are (abbreviated on purpose, never cut).
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
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
    for (int p = 3; p >= 1; p--) {
        text_format(buf, size, "%.*e", p - 1, x);
        if ((int)strlen(buf) <= w)
            return buf;
    }
    if (size)
        buf[0] = 0; // no room for it: dropped, never cut
    return buf;
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
    panel_fit_number(num, sizeof num, (double)x, width - 1, 0);
    text_format(buf, size, "%*s", width, num[0] ? num : "…");
    return buf;
}
