// Colour ramps for heatmaps: value to level, level to colour per scheme, glyphs for monochrome.
#include "stepformer/palette.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/grid.h"

// Sequential: dark purple through blue and green to yellow (close to viridis in the xterm
// 6x6x6 cube), so brightness rises with the value and reads on a projector.
static const uint8_t seq_256[SF_RAMP_LEVELS] = {53, 54, 55, 61,  25,  31,  30, 36,
                                                35, 71, 77, 113, 149, 185, 226};
// Diverging: red for negative, near white at zero, blue for positive (the NEGATIVE and
// NUMBER styles of number mode are light red and light blue: the same language).
static const uint8_t div_256[SF_RAMP_LEVELS] = {124, 160, 196, 203, 210, 217, 224, 255,
                                                189, 153, 110, 68,  31,  25,  19};
// Light (white background): the sequential ramp gains ink with the value, pale yellow through
// green and teal to dark blue, its luminance falling at every level (as the shading glyphs of
// monochrome do); the diverging ramp is the dark scheme's, already white at zero.
static const uint8_t seq_light[SF_RAMP_LEVELS] = {230, 229, 193, 157, 120, 115, 79, 73,
                                                  37,  31,  25,  24,  23,  18,  17};
// The 8 basic colours. Sequential: blue, cyan, green, yellow, white (black is kept for masked
// entries). Diverging: red, magenta, white, cyan, blue.
static const uint8_t seq_8[SF_RAMP_LEVELS] = {4, 4, 4, 4, 6, 6, 6, 2, 2, 2, 3, 3, 3, 7, 7};
static const uint8_t div_8[SF_RAMP_LEVELS] = {1, 1, 1, 5, 5, 5, 7, 7, 7, 6, 6, 6, 4, 4, 4};
enum {
    MASKED_FG_256 = 250,
    MASKED_BG_256 = 238,
    MASKED_FG_LIGHT = 238,
    MASKED_BG_LIGHT = 250,
    MASKED_FG_8 = 7,
    MASKED_BG_8 = 0,
};

// Text styles (enum sf_style): foreground and background per colour scheme (-1: the
// terminal's own). Every text colour reads at 4.5:1 or more against what it stands on, frames
// at 3:1 (WCAG 2), by the xterm colours' RGB; tests/test_palette.c computes it. The NUMBER and
// NEGATIVE styles take palette_sign_color.
struct text_face {
    short fg, bg;
};
static const struct text_face text_256[SF_STYLE_COUNT] = {
    [SF_STYLE_NORMAL] = {-1, -1},  [SF_STYLE_DIM] = {244, -1},     [SF_STYLE_TITLE] = {255, 24},
    [SF_STYLE_BORDER] = {242, -1}, [SF_STYLE_CURRENT] = {16, 220}, [SF_STYLE_SELECTED] = {16, 51},
    [SF_STYLE_NUMBER] = {-1, -1},  [SF_STYLE_NEGATIVE] = {-1, -1}, [SF_STYLE_MASKED] = {250, 236},
    [SF_STYLE_HEAT] = {-1, -1},    [SF_STYLE_NOTICE] = {16, 203},  [SF_STYLE_SERIES] = {-1, -1},
};
// Light: black on white unless a style says otherwise; grey text is dark enough to read.
static const struct text_face text_light[SF_STYLE_COUNT] = {
    [SF_STYLE_NORMAL] = {16, 231},  [SF_STYLE_DIM] = {242, 231},     [SF_STYLE_TITLE] = {231, 24},
    [SF_STYLE_BORDER] = {244, 231}, [SF_STYLE_CURRENT] = {16, 220},  [SF_STYLE_SELECTED] = {16, 51},
    [SF_STYLE_NUMBER] = {-1, 231},  [SF_STYLE_NEGATIVE] = {-1, 231}, [SF_STYLE_MASKED] = {238, 252},
    [SF_STYLE_HEAT] = {16, 231},    [SF_STYLE_NOTICE] = {16, 203},   [SF_STYLE_SERIES] = {16, 231},
};
static const struct text_face text_8[SF_STYLE_COUNT] = {
    [SF_STYLE_NORMAL] = {-1, -1}, [SF_STYLE_DIM] = {-1, -1},      [SF_STYLE_TITLE] = {7, 4},
    [SF_STYLE_BORDER] = {4, -1},  [SF_STYLE_CURRENT] = {0, 3},    [SF_STYLE_SELECTED] = {0, 6},
    [SF_STYLE_NUMBER] = {-1, -1}, [SF_STYLE_NEGATIVE] = {-1, -1}, [SF_STYLE_MASKED] = {7, 0},
    [SF_STYLE_HEAT] = {-1, -1},   [SF_STYLE_NOTICE] = {7, 1},     [SF_STYLE_SERIES] = {-1, -1},
};

// Monochrome: bins of ink, index 0 the least. Sequential: every value has some ink (a small
// weight is a dot, never blank); diverging: zero is a dot, the sign picks the family.
static const uint32_t seq_glyphs[2][5] = {{0xb7, 0x2591, 0x2592, 0x2593, 0x2588},
                                          {'.', ':', '+', '*', '#'}};
static const uint32_t pos_glyphs[2][4] = {{0x2591, 0x2592, 0x2593, 0x2588}, {'+', '*', '#', '@'}};
static const uint32_t neg_glyphs[2][4] = {{'-', '=', 0x2261, 0x25a0}, {'-', '=', '%', '&'}};

static const char *const scheme_names[SF_PALETTE_COUNT] = {
    [PALETTE_256] = "dark", [PALETTE_8] = "8", [PALETTE_MONO] = "mono", [PALETTE_LIGHT] = "light"};

int palette_parse(const char *name, enum palette_scheme *out)
{
    if (name && strcmp(name, "256") == 0)
        name = "dark";
    for (int i = 0; name && i < SF_PALETTE_COUNT; i++)
        if (strcmp(name, scheme_names[i]) == 0) {
            *out = (enum palette_scheme)i;
            return 0;
        }
    return -1;
}

const char *palette_name(enum palette_scheme s)
{
    return s >= 0 && s < SF_PALETTE_COUNT ? scheme_names[s] : "?";
}

enum palette_scheme palette_next(enum palette_scheme s)
{
    static const enum palette_scheme order[SF_PALETTE_COUNT] = {PALETTE_256, PALETTE_LIGHT,
                                                                PALETTE_8, PALETTE_MONO};
    for (int i = 0; i < SF_PALETTE_COUNT; i++)
        if (order[i] == s)
            return order[(i + 1) % SF_PALETTE_COUNT];
    return PALETTE_256;
}

enum palette_scheme palette_choose(int colors, const char *no_color)
{
    if (no_color && *no_color)
        return PALETTE_MONO;
    if (colors >= 256)
        return PALETTE_256;
    return colors >= 8 ? PALETTE_8 : PALETTE_MONO;
}

int ramp_level(enum ramp_kind r, float v, float max)
{
    if (isinf(v) && v < 0)
        return SF_LEVEL_MASKED;
    int neutral = r == RAMP_DIVERGING ? (SF_RAMP_LEVELS - 1) / 2 : 0;
    if (isnan(v) || !(max > 0))
        return neutral;
    float t = r == RAMP_SEQUENTIAL ? v / max : 0.5f + 0.5f * v / max; // 0 .. 1
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    int level = (int)(t * SF_RAMP_LEVELS);
    return level >= SF_RAMP_LEVELS ? SF_RAMP_LEVELS - 1 : level;
}

int palette_color(enum palette_scheme s, enum ramp_kind r, int level)
{
    if (s == PALETTE_MONO)
        return -1;
    if (level == SF_LEVEL_MASKED)
        return s == PALETTE_256     ? MASKED_BG_256
               : s == PALETTE_LIGHT ? MASKED_BG_LIGHT
                                    : MASKED_BG_8;
    if (level < 0)
        level = 0;
    if (level >= SF_RAMP_LEVELS)
        level = SF_RAMP_LEVELS - 1;
    if (s == PALETTE_256)
        return r == RAMP_SEQUENTIAL ? seq_256[level] : div_256[level];
    if (s == PALETTE_LIGHT)
        return r == RAMP_SEQUENTIAL ? seq_light[level] : div_256[level];
    return r == RAMP_SEQUENTIAL ? seq_8[level] : div_8[level];
}

uint32_t palette_glyph(enum ramp_kind r, int level, int ascii)
{
    int a = ascii ? 1 : 0;
    if (level == SF_LEVEL_MASKED)
        return ascii ? 'x' : 0xd7;
    level = level < 0 ? 0 : (level >= SF_RAMP_LEVELS ? SF_RAMP_LEVELS - 1 : level);
    if (r == RAMP_SEQUENTIAL)
        return seq_glyphs[a][level * 5 / SF_RAMP_LEVELS];
    int mid = (SF_RAMP_LEVELS - 1) / 2, ink = abs(level - mid); // 0 .. 7
    if (ink == 0)
        return seq_glyphs[a][0];
    int bin = (ink - 1) / 2; // 1-2, 3-4, 5-6, 7
    return level < mid ? neg_glyphs[a][bin] : pos_glyphs[a][bin];
}

// How far a level is from the ramp's empty end (masked: none).
static int ink(enum ramp_kind r, int level)
{
    if (level == SF_LEVEL_MASKED)
        return -1;
    return r == RAMP_SEQUENTIAL ? level : abs(level - (SF_RAMP_LEVELS - 1) / 2);
}

struct heat_face palette_heat(enum palette_scheme s, int utf8, enum ramp_kind r, int upper,
                              int lower)
{
    struct heat_face f = {0x2580, -1, -1};
    int masked = upper == SF_LEVEL_MASKED && lower == SF_LEVEL_MASKED;
    if (s == PALETTE_MONO) { // one glyph for two rows: the one with more ink, never hidden
        f.cp = palette_glyph(r, ink(r, lower) > ink(r, upper) ? lower : upper, !utf8);
    } else if (masked) {
        f.cp = utf8 ? 0xd7 : 'x';
        f.fg = s == PALETTE_256     ? MASKED_FG_256
               : s == PALETTE_LIGHT ? MASKED_FG_LIGHT
                                    : MASKED_FG_8;
        f.bg = palette_color(s, r, SF_LEVEL_MASKED);
    } else if (!utf8) { // no half block: one colour per cell, as a background
        f.cp = ' ';
        f.bg = palette_color(s, r, upper);
    } else {
        f.fg = palette_color(s, r, upper);
        f.bg = palette_color(s, r, lower);
    }
    return f;
}

int palette_sign_color(enum palette_scheme s, int negative)
{
    // Light red (level 4) and light blue (level 10) of the diverging ramp in 256 colours; red
    // (level 1) and cyan (level 10) in 8; on white the dark red (level 1) and blue (level 13).
    int level = negative ? (s == PALETTE_256 ? 4 : 1) : (s == PALETTE_LIGHT ? 13 : 10);
    return palette_color(s, RAMP_DIVERGING, level);
}

float ramp_value(enum ramp_kind r, int level, float max)
{
    float t = ((float)level + 0.5f) / SF_RAMP_LEVELS;
    return r == RAMP_SEQUENTIAL ? t * max : (2.0f * t - 1.0f) * max;
}

struct heat_face palette_text(enum palette_scheme s, int style)
{
    struct heat_face f = {' ', -1, -1};
    if (s == PALETTE_MONO || style < 0 || style >= SF_STYLE_COUNT)
        return f;
    const struct text_face *t = s == PALETTE_LIGHT ? text_light
                                : s == PALETTE_8   ? text_8
                                                   : text_256;
    f.fg = t[style].fg;
    f.bg = t[style].bg;
    if (style == SF_STYLE_NUMBER || style == SF_STYLE_NEGATIVE)
        f.fg = palette_sign_color(s, style == SF_STYLE_NEGATIVE);
    return f;
}

int palette_background(enum palette_scheme s)
{
    return s == PALETTE_LIGHT ? 231 : s == PALETTE_256 ? 16 : s == PALETTE_8 ? 0 : -1;
}

int palette_series(enum palette_scheme s, int k)
{
    // Twelve that neighbours tell apart: bright on the dark scheme's black, dark on the light
    // scheme's white; six of the 8 basic colours (red left out: it means negative).
    static const short dark[12] = {33, 208, 40, 170, 220, 44, 141, 130, 118, 205, 75, 180};
    static const short light[12] = {25, 130, 28, 90, 94, 30, 55, 64, 127, 24, 95, 23};
    static const short basic[6] = {4, 3, 2, 5, 6, 7};
    if (k < 0)
        k = -k;
    switch (s) {
    case PALETTE_256:
        return dark[k % 12];
    case PALETTE_LIGHT:
        return light[k % 12];
    case PALETTE_8:
        return basic[k % 6];
    default:
        return -1;
    }
}
