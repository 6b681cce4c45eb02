// The cell grid every screen is drawn into: a code point and a style per cell, no terminal.
// Panels draw here; the terminal backend presents it, and tests compare it as text.
#ifndef STEPFORMER_GRID_H
#define STEPFORMER_GRID_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stepformer/palette.h"

// Semantic styles (X(name, help)); each colour scheme maps them to colours or attributes.
#define SF_STYLE_LIST(X)                                                                           \
    X(NORMAL, "ordinary text")                                                                     \
    X(DIM, "not computed yet, or the future")                                                      \
    X(TITLE, "panel titles")                                                                       \
    X(BORDER, "panel frames")                                                                      \
    X(CURRENT, "the op under the cursor, the current row")                                         \
    X(SELECTED, "the selected cell, head or token")                                                \
    X(NUMBER, "numbers")                                                                           \
    X(NEGATIVE, "negative numbers")                                                                \
    X(MASKED, "masked (-inf) entries")                                                             \
    X(HEAT, "heatmap cells: colours from the cell's ramp levels")                                  \
    X(NOTICE, "notices and errors")                                                                \
    X(SERIES, "one colour per series (the heads side by side): the cell's fg is the series")

enum sf_style {
#define SF_X(name, help) SF_STYLE_##name,
    SF_STYLE_LIST(SF_X)
#undef SF_X
        SF_STYLE_COUNT
};

const char *sf_style_name(enum sf_style s);

// fg and bg are ramp levels for SF_STYLE_HEAT cells (0 = the ramp's first colour), on the
// ramp named by `ramp` (enum ramp_kind).
struct cell {
    uint32_t cp;
    uint8_t style;
    uint8_t fg, bg;
    uint8_t ramp;
};

struct grid {
    int w, h;
    struct cell *cells;                     // (h, w)
    int clip_x0, clip_y0, clip_x1, clip_y1; // drawing lands only inside [x0, x1) x [y0, y1)
    // 1 when the terminal has no UTF-8: every symbol drawn goes through grid_ascii (text and
    // single cells alike), so the grid holds ASCII only. Set after grid_init.
    int ascii;
};

// The ASCII form of a symbol the screens draw (α "alpha", σ "sd", √ "sqrt", − "-", → "->",
// shading glyphs a ramp of . : + # ...), or NULL for ASCII itself; a code point with no form
// is "?".
const char *grid_ascii(uint32_t cp);
// utf8 with every symbol in its ASCII form, into out (cut at a character when it is full).
const char *grid_ascii_text(char *out, size_t size, const char *utf8);

// Returns 0 or SF_ERR_NOMEM / SF_ERR_RANGE (sizes must be 1..4096). The grid starts blank.
int grid_init(struct grid *g, int w, int h);
void grid_free(struct grid *g);
// Limits drawing to a rectangle (clipped to the grid); grid_clip(g, 0, 0, g->w, g->h) lifts it.
// A panel drawn inside its clip can never spill onto its neighbours.
void grid_clip(struct grid *g, int x, int y, int w, int h);
// Every cell a space of the given style.
void grid_clear(struct grid *g, enum sf_style style);
// One cell; outside the grid nothing happens. An ASCII grid takes the first character of
// the symbol's ASCII form.
void grid_put(struct grid *g, int x, int y, uint32_t cp, enum sf_style style);
// UTF-8 text from (x, y), at most max_w columns (and never past the right edge); invalid
// bytes show as U+FFFD. An ASCII grid draws each symbol's ASCII form. Returns the columns
// written.
int grid_text(struct grid *g, int x, int y, int max_w, const char *utf8, enum sf_style style);
// A heatmap cell holding two matrix rows: U+2580 (upper half block) with the upper row's
// level of the ramp as foreground and the lower row's as background (levels are clamped to
// 0 .. SF_RAMP_LEVELS-1, or SF_LEVEL_MASKED). For one value per cell, pass the same level
// twice. An ASCII grid holds '#' there (the terminal draws heat cells from their levels).
void grid_heat(struct grid *g, int x, int y, enum ramp_kind ramp, int upper, int lower);
// A cell in the colour of series k (the heads of a layer side by side: one colour per head);
// an ASCII grid takes the symbol's ASCII form, as grid_put does.
void grid_series(struct grid *g, int x, int y, uint32_t cp, int k);
// The grid as text, one line per row without trailing spaces (golden screens); a heat cell
// as monochrome shows it (palette_heat), so the text keeps sign and size.
void grid_dump(const struct grid *g, FILE *f);

#endif
