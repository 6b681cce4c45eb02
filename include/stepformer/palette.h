// Colour ramps for heatmaps: a value becomes a ramp level, and a level a terminal colour in
// each scheme (256 colours, 8 colours, or monochrome shading glyphs). No terminal calls.
#ifndef STEPFORMER_PALETTE_H
#define STEPFORMER_PALETTE_H

#include <stdint.h>

enum palette_scheme {
    PALETTE_256 = 0,  // xterm 256-colour ramps
    PALETTE_8 = 1,    // the 8 basic colours
    PALETTE_MONO = 2, // no colour: shading glyphs
};

enum ramp_kind {
    RAMP_SEQUENTIAL = 0, // probabilities, weights: low to high (dark purple to yellow)
    RAMP_DIVERGING = 1,  // signed values: blue below zero, light at zero, red above
};

#define SF_RAMP_LEVELS 15 // levels 0 .. 14; for a diverging ramp 7 is zero

// The scheme for a terminal with `colors` colours; NO_COLOR set (non-empty) means mono.
enum palette_scheme palette_choose(int colors, const char *no_color);
// The ramp level of v: sequential over [0, max] (values outside clamp), diverging over
// [-absmax, absmax]; NaN and -inf give level 0 (shown as masked by the caller).
int ramp_level(enum ramp_kind r, float v, float max);
// The colour index of a level in a scheme (-1 for monochrome).
int palette_color(enum palette_scheme s, enum ramp_kind r, int level);
// The glyph that shows a level in monochrome: space, light, medium, dark shade, full block.
uint32_t palette_shade(enum ramp_kind r, int level);
// The value at the middle of a level (for legends).
float ramp_value(enum ramp_kind r, int level, float max);

#endif
