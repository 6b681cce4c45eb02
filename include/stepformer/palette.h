// Colour ramps for heatmaps: a value becomes a ramp level, and a level a terminal colour in
// each scheme (256 colours, 8 colours, or monochrome shading glyphs). No terminal calls.
//
// One colour language everywhere: negative values are red and positive ones blue, in number
// mode (the NEGATIVE and NUMBER styles), in colour cells, with 8 colours and in the legend;
// in monochrome the sign is the glyph's family (negative: - = ≡ ■, positive: ░ ▒ ▓ █, zero ·).
// A masked entry (-inf) has a level of its own, SF_LEVEL_MASKED: grey with '×' in colour,
// '×' in monochrome ('x' without UTF-8), never the look of a small value.
#ifndef STEPFORMER_PALETTE_H
#define STEPFORMER_PALETTE_H

#include <stdint.h>

enum palette_scheme {
    PALETTE_256 = 0,  // xterm 256-colour ramps
    PALETTE_8 = 1,    // the 8 basic colours
    PALETTE_MONO = 2, // no colour: shading glyphs
    // xterm 256 colours on a white background, for projectors: every text colour has at least
    // 4.5:1 contrast against white, and heat cells gain ink with the value.
    PALETTE_LIGHT = 3,
};
#define SF_PALETTE_COUNT 4

enum ramp_kind {
    RAMP_SEQUENTIAL = 0, // probabilities, weights: low to high (dark purple to yellow)
    RAMP_DIVERGING = 1,  // signed values: red below zero, light at zero, blue above
};

#define SF_RAMP_LEVELS  15             // levels 0 .. 14; for a diverging ramp 7 is zero
#define SF_LEVEL_MASKED SF_RAMP_LEVELS // a masked (-inf) entry, on either ramp

// The scheme for a terminal with `colors` colours; NO_COLOR set (non-empty) means mono.
enum palette_scheme palette_choose(int colors, const char *no_color);
// The scheme named "dark" (also "256"), "light", "8" or "mono"; 0, or -1 for another name.
int palette_parse(const char *name, enum palette_scheme *out);
// The name palette_parse reads.
const char *palette_name(enum palette_scheme s);
// The scheme after s in the order P cycles through: dark, light, 8, mono.
enum palette_scheme palette_next(enum palette_scheme s);
// The ramp level of v: sequential over [0, max] (values outside clamp), diverging over
// [-absmax, absmax]; -inf gives SF_LEVEL_MASKED; NaN the ramp's neutral level (0, or the
// diverging middle); with no range (max <= 0) the neutral level too.
int ramp_level(enum ramp_kind r, float v, float max);
// The colour index of a level in a scheme (-1 for monochrome).
int palette_color(enum palette_scheme s, enum ramp_kind r, int level);
// The glyph that shows a level in monochrome (see the top of this file); with ascii, the
// ASCII ramps: sequential . : + * #, diverging negative - = % &, zero ., positive + * # @,
// masked x.
uint32_t palette_glyph(enum ramp_kind r, int level, int ascii);
// How the terminal shows a heat cell: the code point and the foreground and background
// colours (-1: the terminal's). Colour schemes with UTF-8 draw the upper half block with the
// upper row's colour on the lower row's; without UTF-8 a space on the upper row's colour;
// monochrome the glyph of the row with more ink (so a large value is never hidden by its
// neighbour). A cell whose two rows are masked shows '×' ('x').
struct heat_face {
    uint32_t cp;
    int fg, bg;
};
struct heat_face palette_heat(enum palette_scheme s, int utf8, enum ramp_kind r, int upper,
                              int lower);
// The text colour of a number by its sign (the NUMBER and NEGATIVE styles): a colour of the
// diverging ramp's own half, light enough to read as text; -1 in monochrome (the '-' shows).
int palette_sign_color(enum palette_scheme s, int negative);
// The colour of series k (the heads side by side, SF_STYLE_SERIES, k in the cell's fg): one of
// twelve (six in 8 colours), each at least 3:1 against the scheme's background; -1 in mono.
int palette_series(enum palette_scheme s, int k);
// The value at the middle of a level (for legends).
float ramp_value(enum ramp_kind r, int level, float max);
// How a text style (an enum sf_style) looks: its foreground and background colours (-1: the
// terminal's own; cp unused). The light scheme names both colours of every style, white
// behind, so its contrast does not depend on the terminal's own colours. -1 in monochrome.
struct heat_face palette_text(enum palette_scheme s, int style);
// The background text stands on where a style leaves it to the terminal, as the contrast is
// computed: xterm colour 16 (black) in dark, 0 in 8 colours, 231 (white) in light; -1 mono.
int palette_background(enum palette_scheme s);

#endif
