// Colour ramps for heatmaps: value to level, level to colour per scheme, shading fallback.
#include "stepformer/palette.h"

#include <math.h>
#include <stdlib.h>

// Sequential: dark purple through blue and green to yellow (close to viridis in the xterm
// 6x6x6 cube), so brightness rises with the value and reads on a projector.
static const uint8_t seq_256[SF_RAMP_LEVELS] = {53, 54, 55, 61,  25,  31,  30, 36,
                                                35, 71, 77, 113, 149, 185, 226};
// Diverging: blue for negative, near white at zero, red for positive.
static const uint8_t div_256[SF_RAMP_LEVELS] = {19,  25,  31,  68,  110, 153, 189, 255,
                                                224, 217, 210, 203, 196, 160, 124};
// The 8 basic colours: black, blue, cyan, green, yellow, white; blue, cyan, white, yellow, red.
static const uint8_t seq_8[SF_RAMP_LEVELS] = {0, 4, 4, 4, 6, 6, 6, 2, 2, 2, 3, 3, 3, 7, 7};
static const uint8_t div_8[SF_RAMP_LEVELS] = {4, 4, 4, 6, 6, 6, 7, 7, 7, 3, 3, 3, 1, 1, 1};
// Shading: more ink for a larger (or, diverging, a larger absolute) value.
static const uint32_t shades[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};

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
    if (isnan(v) || (isinf(v) && v < 0) || !(max > 0))
        return r == RAMP_DIVERGING && !isnan(v) && !isinf(v) ? (SF_RAMP_LEVELS - 1) / 2 : 0;
    float t = r == RAMP_SEQUENTIAL ? v / max : 0.5f + 0.5f * v / max; // 0 .. 1
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    int level = (int)(t * SF_RAMP_LEVELS);
    return level >= SF_RAMP_LEVELS ? SF_RAMP_LEVELS - 1 : level;
}

int palette_color(enum palette_scheme s, enum ramp_kind r, int level)
{
    if (level < 0)
        level = 0;
    if (level >= SF_RAMP_LEVELS)
        level = SF_RAMP_LEVELS - 1;
    if (s == PALETTE_256)
        return r == RAMP_SEQUENTIAL ? seq_256[level] : div_256[level];
    if (s == PALETTE_8)
        return r == RAMP_SEQUENTIAL ? seq_8[level] : div_8[level];
    return -1;
}

uint32_t palette_shade(enum ramp_kind r, int level)
{
    int mid = (SF_RAMP_LEVELS - 1) / 2;
    int ink = r == RAMP_SEQUENTIAL ? level : abs(level - mid) * 2;
    int i = ink * 5 / SF_RAMP_LEVELS;
    return shades[i < 0 ? 0 : (i > 4 ? 4 : i)];
}

float ramp_value(enum ramp_kind r, int level, float max)
{
    float t = ((float)level + 0.5f) / SF_RAMP_LEVELS;
    return r == RAMP_SEQUENTIAL ? t * max : (2.0f * t - 1.0f) * max;
}
