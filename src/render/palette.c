// Colour ramps for heatmaps: value to level, level to colour per scheme, glyphs for monochrome.
#include "stepformer/palette.h"

#include <math.h>
#include <stdlib.h>

// Sequential: dark purple through blue and green to yellow (close to viridis in the xterm
// 6x6x6 cube), so brightness rises with the value and reads on a projector.
static const uint8_t seq_256[SF_RAMP_LEVELS] = {53, 54, 55, 61,  25,  31,  30, 36,
                                                35, 71, 77, 113, 149, 185, 226};
// Diverging: red for negative, near white at zero, blue for positive (the NEGATIVE and
// NUMBER styles of number mode are light red and light blue: the same language).
static const uint8_t div_256[SF_RAMP_LEVELS] = {124, 160, 196, 203, 210, 217, 224, 255,
                                                189, 153, 110, 68,  31,  25,  19};
// The 8 basic colours. Sequential: blue, cyan, green, yellow, white (black is kept for masked
// entries). Diverging: red, magenta, white, cyan, blue.
static const uint8_t seq_8[SF_RAMP_LEVELS] = {4, 4, 4, 4, 6, 6, 6, 2, 2, 2, 3, 3, 3, 7, 7};
static const uint8_t div_8[SF_RAMP_LEVELS] = {1, 1, 1, 5, 5, 5, 7, 7, 7, 6, 6, 6, 4, 4, 4};
enum { MASKED_FG_256 = 250, MASKED_BG_256 = 238, MASKED_FG_8 = 7, MASKED_BG_8 = 0 };

// Monochrome: bins of ink, index 0 the least. Sequential: every value has some ink (a small
// weight is a dot, never blank); diverging: zero is a dot, the sign picks the family.
static const uint32_t seq_glyphs[2][5] = {{0xb7, 0x2591, 0x2592, 0x2593, 0x2588},
                                          {'.', ':', '+', '*', '#'}};
static const uint32_t pos_glyphs[2][4] = {{0x2591, 0x2592, 0x2593, 0x2588}, {'+', '*', '#', '@'}};
static const uint32_t neg_glyphs[2][4] = {{'-', '=', 0x2261, 0x25a0}, {'-', '=', '%', '&'}};

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
        return s == PALETTE_256 ? MASKED_BG_256 : MASKED_BG_8;
    if (level < 0)
        level = 0;
    if (level >= SF_RAMP_LEVELS)
        level = SF_RAMP_LEVELS - 1;
    if (s == PALETTE_256)
        return r == RAMP_SEQUENTIAL ? seq_256[level] : div_256[level];
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
        f.fg = s == PALETTE_256 ? MASKED_FG_256 : MASKED_FG_8;
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
    // (level 1) and cyan (level 10) in 8.
    int level = negative ? (s == PALETTE_8 ? 1 : 4) : 10;
    return palette_color(s, RAMP_DIVERGING, level);
}

float ramp_value(enum ramp_kind r, int level, float max)
{
    float t = ((float)level + 0.5f) / SF_RAMP_LEVELS;
    return r == RAMP_SEQUENTIAL ? t * max : (2.0f * t - 1.0f) * max;
}
