// The cell grid: drawing text and cells without a terminal, and dumping it as text.
#include "stepformer/grid.h"

#include <stdlib.h>
#include <string.h>

#include "stepformer/err.h"

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

void grid_put(struct grid *g, int x, int y, uint32_t cp, enum sf_style style)
{
    if (!inside(g, x, y))
        return;
    g->cells[(size_t)y * g->w + x] = (struct cell){cp, (uint8_t)style, 0, 0, 0};
}

// Decodes one UTF-8 character at s; *len gets its length in bytes (at least 1).
static uint32_t utf8_next(const unsigned char *s, int *len)
{
    int n = s[0] < 0x80         ? 1
            : (s[0] >> 5) == 6  ? 2
            : (s[0] >> 4) == 14 ? 3
            : (s[0] >> 3) == 30 ? 4
                                : 0;
    if (n == 0) {
        *len = 1;
        return 0xFFFD;
    }
    uint32_t cp = n == 1 ? s[0] : (uint32_t)(s[0] & (0x7f >> n));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *len = i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *len = n;
    return cp;
}

int grid_text(struct grid *g, int x, int y, int max_w, const char *utf8, enum sf_style style)
{
    const unsigned char *s = (const unsigned char *)utf8;
    int col = 0;
    while (*s && col < max_w && x + col < g->w) {
        int len;
        uint32_t cp = utf8_next(s, &len);
        grid_put(g, x + col, y, cp, style);
        col++;
        s += len;
    }
    return col;
}

static uint8_t clamp_level(int level)
{
    return (uint8_t)(level < 0 ? 0 : (level >= SF_RAMP_LEVELS ? SF_RAMP_LEVELS - 1 : level));
}

void grid_heat(struct grid *g, int x, int y, enum ramp_kind ramp, int upper, int lower)
{
    if (!inside(g, x, y))
        return;
    g->cells[(size_t)y * g->w + x] =
        (struct cell){0x2580, SF_STYLE_HEAT, clamp_level(upper), clamp_level(lower), (uint8_t)ramp};
}

static void put_utf8(uint32_t cp, FILE *f)
{
    if (cp < 0x80) {
        fputc((int)cp, f);
    } else if (cp < 0x800) {
        fputc((int)(0xc0 | cp >> 6), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    } else if (cp < 0x10000) {
        fputc((int)(0xe0 | cp >> 12), f);
        fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    } else {
        fputc((int)(0xf0 | cp >> 18), f);
        fputc((int)(0x80 | ((cp >> 12) & 0x3f)), f);
        fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    }
}

void grid_dump(const struct grid *g, FILE *f)
{
    for (int y = 0; y < g->h; y++) {
        const struct cell *row = g->cells + (size_t)y * g->w;
        int end = g->w;
        while (end > 0 && row[end - 1].cp == ' ')
            end--;
        for (int x = 0; x < end; x++)
            put_utf8(row[x].cp, f);
        fputc('\n', f);
    }
}
