// The cell grid: drawing text and cells without a terminal, and dumping it as text.
#include "stepformer/grid.h"

#include <stdlib.h>
#include <string.h>

#include "stepformer/err.h"
#include "stepformer/utf8.h"

static const char *const style_names[SF_STYLE_COUNT] = {
#define SF_X(name, help) #name,
    SF_STYLE_LIST(SF_X)
#undef SF_X
};

const char *sf_style_name(enum sf_style s)
{
    return (s >= 0 && s < SF_STYLE_COUNT) ? style_names[s] : "?";
}

int grid_init(struct grid *g, int w, int h)
{
    memset(g, 0, sizeof *g);
    if (w < 1 || h < 1 || w > 4096 || h > 4096)
        return SF_ERR_RANGE;
    g->cells = calloc((size_t)w * (size_t)h, sizeof *g->cells);
    if (!g->cells)
        return SF_ERR_NOMEM;
    g->w = w;
    g->h = h;
    grid_clip(g, 0, 0, w, h);
    grid_clear(g, SF_STYLE_NORMAL);
    return SF_OK;
}

void grid_clip(struct grid *g, int x, int y, int w, int h)
{
    g->clip_x0 = x < 0 ? 0 : x;
    g->clip_y0 = y < 0 ? 0 : y;
    g->clip_x1 = x + w > g->w ? g->w : x + w;
    g->clip_y1 = y + h > g->h ? g->h : y + h;
}

// Inside the grid and the clip rectangle.
static int inside(const struct grid *g, int x, int y)
{
    return x >= g->clip_x0 && y >= g->clip_y0 && x < g->clip_x1 && y < g->clip_y1;
}

void grid_free(struct grid *g)
{
    free(g->cells);
    memset(g, 0, sizeof *g);
}

void grid_clear(struct grid *g, enum sf_style style)
{
    for (int i = 0; i < g->w * g->h; i++)
        g->cells[i] = (struct cell){' ', (uint8_t)style, 0, 0, 0};
}

// The one table of symbols and their ASCII forms.
static const struct {
    uint32_t cp;
    const char *ascii;
} ascii_forms[] = {
    {0xa7, "sec."},  {0xb2, "^2"},      {0xb3, "^3"},     {0xb7, "."},     {0xd7, "x"},
    {0xe9, "e"},     {0x302, "^"},      {0x394, "Delta"}, {0x3a3, "sum"},  {0x3b1, "alpha"},
    {0x3b2, "beta"}, {0x3b3, "gamma"},  {0x3b5, "eps"},   {0x3b7, "eta"},  {0x3bb, "lambda"},
    {0x3bc, "mu"},   {0x3c0, "pi"},     {0x3c3, "sd"},    {0x3c4, "tau"},  {0x1d40, "^T"},
    {0x2013, "-"},   {0x2014, "--"},    {0x2016, "|"},    {0x2026, "..."}, {0x2190, "<-"},
    {0x2191, "^"},   {0x2192, "->"},    {0x2193, "v"},    {0x2202, "d"},   {0x2211, "sum"},
    {0x2212, "-"},   {0x221a, "sqrt "}, {0x221e, "inf"},  {0x2248, "~"},   {0x2260, "!="},
    {0x2261, "="},   {0x2264, "<="},    {0x2265, ">="},   {0x2295, "(+)"}, {0x2299, "(*)"},
    {0x22c5, "*"},   {0x2500, "-"},     {0x2534, "+"},    {0x253c, "+"},   {0x2502, "|"},
    {0x2580, "#"},   {0x2581, "_"},     {0x2582, "_"},    {0x2583, "="},   {0x2584, "="},
    {0x2585, "="},   {0x2586, "#"},     {0x2587, "#"},    {0x2588, "#"},   {0x2589, "#"},
    {0x258a, "#"},   {0x258b, "#"},     {0x258c, "|"},    {0x258d, "|"},   {0x258e, "|"},
    {0x258f, "|"},   {0x2591, ":"},     {0x2592, "+"},    {0x2593, "*"},   {0x25a0, "&"},
    {0x25b2, "^"},   {0x25bc, "v"},     {0x25b6, ">"},    {0x25c0, "<"},   {0xfffd, "?"},
};

const char *grid_ascii(uint32_t cp)
{
    if (cp < 0x80)
        return NULL;
    for (size_t i = 0; i < sizeof ascii_forms / sizeof ascii_forms[0]; i++)
        if (ascii_forms[i].cp == cp)
            return ascii_forms[i].ascii;
    return "?";
}

const char *grid_ascii_text(char *out, size_t size, const char *utf8)
{
    size_t n = strlen(utf8), i = 0, o = 0;
    while (i < n && size > 0) {
        uint32_t cp;
        int k = utf8_decode(utf8 + i, n - i, UTF8_LAX, &cp);
        const char *form = k > 0 ? grid_ascii(cp) : "?";
        size_t len = form ? strlen(form) : 1;
        if (o + len >= size)
            break;
        if (form)
            memcpy(out + o, form, len);
        else
            out[o] = (char)cp;
        o += len;
        i += k > 0 ? (size_t)k : k < 0 ? (size_t)-k : n - i;
    }
    if (size > 0)
        out[o] = 0;
    return out;
}

void grid_put(struct grid *g, int x, int y, uint32_t cp, enum sf_style style)
{
    if (!inside(g, x, y))
        return;
    if (g->ascii && cp >= 0x80)
        cp = (uint8_t)grid_ascii(cp)[0];
    g->cells[(size_t)y * g->w + x] = (struct cell){cp, (uint8_t)style, 0, 0, 0};
}

int grid_text(struct grid *g, int x, int y, int max_w, const char *utf8, enum sf_style style)
{
    char ascii[1024];
    if (g->ascii)
        utf8 = grid_ascii_text(ascii, sizeof ascii, utf8);
    size_t n = strlen(utf8), i = 0;
    int col = 0;
    while (i < n && col < max_w && x + col < g->w) {
        // Read as its lead byte announces it (UTF8_LAX); bytes that start no character, or
        // one broken off, are one U+FFFD cell (a character cut short at the end takes the rest).
        uint32_t cp;
        int k = utf8_decode(utf8 + i, n - i, UTF8_LAX, &cp);
        grid_put(g, x + col, y, k > 0 ? cp : 0xFFFD, style);
        col++;
        i += k > 0 ? (size_t)k : k < 0 ? (size_t)-k : n - i;
    }
    return col;
}

static uint8_t clamp_level(int level)
{
    if (level == SF_LEVEL_MASKED)
        return SF_LEVEL_MASKED;
    return (uint8_t)(level < 0 ? 0 : (level >= SF_RAMP_LEVELS ? SF_RAMP_LEVELS - 1 : level));
}

void grid_heat(struct grid *g, int x, int y, enum ramp_kind ramp, int upper, int lower)
{
    if (!inside(g, x, y))
        return;
    g->cells[(size_t)y * g->w + x] =
        (struct cell){g->ascii ? '#' : 0x2580, SF_STYLE_HEAT, clamp_level(upper),
                      clamp_level(lower), (uint8_t)ramp};
}

void grid_series(struct grid *g, int x, int y, uint32_t cp, int k)
{
    if (!inside(g, x, y))
        return;
    grid_put(g, x, y, cp, SF_STYLE_SERIES);
    g->cells[(size_t)y * g->w + x].fg = (uint8_t)(k < 0 ? 0 : k % 256);
}

void grid_dump(const struct grid *g, FILE *f)
{
    for (int y = 0; y < g->h; y++) {
        const struct cell *row = g->cells + (size_t)y * g->w;
        int end = g->w;
        while (end > 0 && row[end - 1].cp == ' ')
            end--;
        for (int x = 0; x < end; x++) {
            char u[4];
            uint32_t cp = row[x].cp;
            if (row[x].style == SF_STYLE_HEAT) // as monochrome shows it: sign and size
                cp = palette_heat(PALETTE_MONO, !g->ascii, (enum ramp_kind)row[x].ramp, row[x].fg,
                                  row[x].bg)
                         .cp;
            fwrite(u, 1, (size_t)utf8_encode(cp, u), f);
        }
        fputc('\n', f);
    }
}
