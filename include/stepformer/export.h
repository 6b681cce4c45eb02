// Screens out of the terminal: the cell grid as an SVG picture, as text with ANSI colour
// escapes, or as plain text (the golden form), with no terminal. The one mapping from a cell to
// what is shown (export_face) is also what the terminal backend presents, so a picture shows
// exactly what the screen shows.
#ifndef STEPFORMER_EXPORT_H
#define STEPFORMER_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "stepformer/err.h"
#include "stepformer/grid.h"
#include "stepformer/palette.h"

// Attributes of a face, beyond its colours.
enum export_attr {
    EXPORT_BOLD = 1,
    EXPORT_DIM = 2,
    EXPORT_REVERSE = 4,
    EXPORT_UNDERLINE = 8,
};

// How a cell shows in a colour scheme: the code point drawn, the foreground and background
// (xterm colour numbers; -1: the terminal's own) and enum export_attr bits. Heat cells take
// their ramp colours (palette_heat), text cells their style's (palette_text) and attributes
// (with colours: bold titles and selections; monochrome: reverse, dim and underline in their
// place), series cells their series colour. A control character shows as U+FFFD; without
// utf8 every symbol takes the first character of its ASCII form.
struct cell_face {
    uint32_t cp;
    int fg, bg;
    unsigned attr;
};
struct cell_face export_face(const struct cell *c, enum palette_scheme s, int utf8);

// The colours a picture uses where the terminal would use its own (a face's -1): light text on
// black, or for the light scheme black on white.
void export_default_colors(enum palette_scheme s, int *fg, int *bg);
// The RGB of xterm colour c (0..255: the 16 system colours as xterm sets them, the 6x6x6
// cube, the grey ramp) into rgb[3], 0..255.
void export_xterm_rgb(int c, int rgb[3]);

enum export_format {
    EXPORT_SVG,
    EXPORT_ANSI,
    EXPORT_TEXT,
};
// "svg", "ansi" or "text": 0, or -1 for another name.
int export_format_parse(const char *name, enum export_format *out);
// The format a file name asks for by its extension (.svg; .ans or .ansi; .txt): 0, or -1.
int export_format_from_path(const char *path, enum export_format *out);
// The extension export_format_from_path reads for a format, without the dot ("svg", "ans",
// "txt").
const char *export_format_extension(enum export_format f);

// One column of an SVG picture is this many units wide and one row this many high: the
// viewBox is (w * EXPORT_SVG_CELL_W) x (h * EXPORT_SVG_CELL_H), a cell at column x and row y
// starts at (x * EXPORT_SVG_CELL_W, y * EXPORT_SVG_CELL_H).
#define EXPORT_SVG_CELL_W 10
#define EXPORT_SVG_CELL_H 20

// The grid as an SVG picture in scheme s, with title (UTF-8, escaped here) as its <title>:
// background rectangles merged along each row, a heat cell's two halves as two rectangles
// (no glyph, so there is no gap at any zoom), and one <text> per run of cells in one face,
// placed at its column and stretched to its exact width (textLength), so columns line up in
// any monospace font. Returns 0 or SF_ERR_IO when writing fails.
int export_svg(FILE *f, const struct grid *g, enum palette_scheme s, const char *title);
// The grid as UTF-8 text with SGR escapes (256 colours; the 8 colours as 30-37 / 40-47; none
// in monochrome), one escape per run of cells in one face and a reset at each line's end;
// trailing blanks that show nothing are left out. `cat` shows the screen in a terminal.
int export_ansi(FILE *f, const struct grid *g, enum palette_scheme s);
// The grid as plain text: the golden text form (grid_dump). Returns 0 or SF_ERR_IO.
int export_text(FILE *f, const struct grid *g);
// One of the three by format.
int export_grid(FILE *f, const struct grid *g, enum export_format fmt, enum palette_scheme s,
                const char *title);
// Writes the export to path through a temporary file renamed into place (sf_write_atomic): 0,
// or an SF_ERR_* with d naming the file and the reason.
int export_write(const char *path, const struct grid *g, enum export_format fmt,
                 enum palette_scheme s, const char *title, struct sf_diag *d);

#endif
