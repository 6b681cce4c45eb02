// Exports of the cell grid (SVG, ANSI text, plain text) and the one mapping from a cell to what
// it shows, which the terminal backend presents too.
#include "stepformer/export.h"

#include <stdlib.h>
#include <string.h>

#include "stepformer/fileio.h"
#include "stepformer/utf8.h"

// How each style looks beyond its colours (palette_text): with colours, and in monochrome.
static const struct {
    unsigned color, mono;
} looks[SF_STYLE_COUNT] = {
    [SF_STYLE_NORMAL] = {0, 0},
    [SF_STYLE_DIM] = {0, EXPORT_DIM},
    [SF_STYLE_TITLE] = {EXPORT_BOLD, EXPORT_REVERSE},
    [SF_STYLE_BORDER] = {0, 0},
    [SF_STYLE_CURRENT] = {EXPORT_BOLD, EXPORT_REVERSE | EXPORT_BOLD},
    [SF_STYLE_SELECTED] = {EXPORT_BOLD, EXPORT_REVERSE | EXPORT_UNDERLINE},
    [SF_STYLE_NUMBER] = {0, 0},
    [SF_STYLE_NEGATIVE] = {0, 0},
    [SF_STYLE_MASKED] = {0, EXPORT_DIM},
    [SF_STYLE_HEAT] = {0, 0},
    [SF_STYLE_NOTICE] = {EXPORT_BOLD, EXPORT_REVERSE | EXPORT_BOLD},
    [SF_STYLE_SERIES] = {0, 0},
};

struct cell_face export_face(const struct cell *c, enum palette_scheme s, int utf8)
{
    struct cell_face f = {c->cp, -1, -1, 0};
    int style = c->style < SF_STYLE_COUNT ? c->style : SF_STYLE_NORMAL;
    if (style == SF_STYLE_HEAT) {
        struct heat_face h = palette_heat(s, utf8, (enum ramp_kind)c->ramp, c->fg, c->bg);
        f.cp = h.cp, f.fg = h.fg, f.bg = h.bg;
    } else if (s == PALETTE_MONO) {
        f.attr = looks[style].mono;
    } else if (style == SF_STYLE_SERIES) {
        f.fg = palette_series(s, c->fg);
        f.bg = palette_text(s, SF_STYLE_NORMAL).bg;
    } else {
        struct heat_face t = palette_text(s, style);
        f.fg = t.fg, f.bg = t.bg;
        f.attr = looks[style].color;
    }
    // A control character in text (a decoded piece, a prompt) would move the cursor or take
    // two cells as ^X: it shows as one U+FFFD ('?' without UTF-8) instead.
    if (f.cp < 0x20 || (f.cp >= 0x7f && f.cp < 0xa0))
        f.cp = 0xfffd;
    if (!utf8) {
        const char *form = grid_ascii(f.cp);
        f.cp = form ? (uint8_t)form[0] : f.cp;
    }
    return f;
}

void export_default_colors(enum palette_scheme s, int *fg, int *bg)
{
    *fg = s == PALETTE_LIGHT ? 16 : s == PALETTE_8 ? 7 : 252;
    *bg = s == PALETTE_LIGHT ? 231 : s == PALETTE_8 ? 0 : 16;
}

void export_xterm_rgb(int c, int rgb[3])
{
    static const unsigned char sys[16][3] = {
        {0, 0, 0},     {205, 0, 0},     {0, 205, 0},     {205, 205, 0},  {0, 0, 238}, {205, 0, 205},
        {0, 205, 205}, {229, 229, 229}, {127, 127, 127}, {255, 0, 0},    {0, 255, 0}, {255, 255, 0},
        {92, 92, 255}, {255, 0, 255},   {0, 255, 255},   {255, 255, 255}};
    static const unsigned char cube[6] = {0, 95, 135, 175, 215, 255};
    c = c < 0 ? 0 : c > 255 ? 255 : c;
    if (c < 16) {
        for (int k = 0; k < 3; k++)
            rgb[k] = sys[c][k];
    } else if (c < 232) {
        rgb[0] = cube[(c - 16) / 36];
        rgb[1] = cube[(c - 16) / 6 % 6];
        rgb[2] = cube[(c - 16) % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
    }
}

static const char *const format_names[] = {
    [EXPORT_SVG] = "svg", [EXPORT_ANSI] = "ansi", [EXPORT_TEXT] = "text"};
static const char *const format_exts[] = {
    [EXPORT_SVG] = "svg", [EXPORT_ANSI] = "ans", [EXPORT_TEXT] = "txt"};

int export_format_parse(const char *name, enum export_format *out)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (enum export_format)i;
            return 0;
        }
    return -1;
}

int export_format_from_path(const char *path, enum export_format *out)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(dot + 1, format_exts[i]) == 0) {
            *out = (enum export_format)i;
            return 0;
        }
    if (strcmp(dot + 1, "ansi") == 0) {
        *out = EXPORT_ANSI;
        return 0;
    }
    return -1;
}

const char *export_format_extension(enum export_format f)
{
    return f >= EXPORT_SVG && f <= EXPORT_TEXT ? format_exts[f] : "";
}

int export_text(FILE *f, const struct grid *g)
{
    grid_dump(g, f);
    return ferror(f) ? SF_ERR_IO : SF_OK;
}

static void put_cp(FILE *f, uint32_t cp)
{
    char u[4];
    fwrite(u, 1, (size_t)utf8_encode(cp, u), f);
}

// ---- ANSI ----

static int same_face(struct cell_face a, struct cell_face b)
{
    return a.fg == b.fg && a.bg == b.bg && a.attr == b.attr;
}

// The SGR escape that sets face f from a reset: attributes, then colours (8 colours as 30-37 /
// 40-47, else 38;5 / 48;5; none where the terminal's own colour is meant).
static void put_sgr(FILE *f, struct cell_face c, enum palette_scheme s)
{
    fputs("\x1b[0", f);
    static const struct {
        unsigned bit;
        const char *code;
    } codes[] = {
        {EXPORT_BOLD, ";1"}, {EXPORT_DIM, ";2"}, {EXPORT_UNDERLINE, ";4"}, {EXPORT_REVERSE, ";7"}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (c.attr & codes[i].bit)
            fputs(codes[i].code, f);
    if (c.fg >= 0)
        fprintf(f, s == PALETTE_8 ? ";%d" : ";38;5;%d", s == PALETTE_8 ? 30 + c.fg : c.fg);
    if (c.bg >= 0)
        fprintf(f, s == PALETTE_8 ? ";%d" : ";48;5;%d", s == PALETTE_8 ? 40 + c.bg : c.bg);
    fputc('m', f);
}

// A cell that shows nothing: a blank on the terminal's own background, not reversed or
// underlined.
static int shows_nothing(struct cell_face c)
{
    return c.cp == ' ' && c.bg < 0 && !(c.attr & (EXPORT_REVERSE | EXPORT_UNDERLINE));
}

int export_ansi(FILE *f, const struct grid *g, enum palette_scheme s)
{
    for (int y = 0; y < g->h; y++) {
        const struct cell *row = g->cells + (size_t)y * g->w;
        int end = g->w;
        while (end > 0 && shows_nothing(export_face(&row[end - 1], s, 1)))
            end--;
        struct cell_face prev = {0, -2, -2, 0};
        for (int x = 0; x < end; x++) {
            struct cell_face c = export_face(&row[x], s, 1);
            if (x == 0 || !same_face(c, prev))
                put_sgr(f, c, s);
            put_cp(f, c.cp);
            prev = c;
        }
        fputs(end ? "\x1b[0m\n" : "\n", f);
    }
    return ferror(f) ? SF_ERR_IO : SF_OK;
}

// ---- SVG ----

// Characters a monospace font draws two columns wide (East Asian wide and full-width forms,
// emoji) or none (combining marks): each is placed and sized on its own, so it keeps to its
// cell and its neighbours to theirs.
static int odd_width(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x300, 0x36f},     {0x1100, 0x115f},   {0x2e80, 0x303e},   {0x3041, 0x33ff},
        {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},   {0xac00, 0xd7a3},
        {0xf900, 0xfaff},   {0xfe30, 0xfe4f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},
        {0x1f300, 0x1f64f}, {0x1f900, 0x1f9ff}, {0x20000, 0x3fffd},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return 1;
    return 0;
}

// Text for XML: the five special characters as entities; a code point XML does not allow
// (surrogates, U+FFFE, U+FFFF, beyond U+10FFFF) as U+FFFD.
static void put_xml_cp(FILE *f, uint32_t cp)
{
    switch (cp) {
    case '&':
        fputs("&amp;", f);
        return;
    case '<':
        fputs("&lt;", f);
        return;
    case '>':
        fputs("&gt;", f);
        return;
    case '"':
        fputs("&quot;", f);
        return;
    case '\'':
        fputs("&apos;", f);
        return;
    default:
        break;
    }
    if (cp < 0x20 || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff ||
        cp > 0x10ffff)
        cp = 0xfffd;
    put_cp(f, cp);
}

static void put_xml_text(FILE *f, const char *utf8)
{
    size_t n = strlen(utf8), i = 0;
    while (i < n) {
        uint32_t cp;
        int k = utf8_decode(utf8 + i, n - i, UTF8_LAX, &cp);
        put_xml_cp(f, k > 0 ? cp : 0xfffd);
        i += k > 0 ? (size_t)k : k < 0 ? (size_t)-k : n - i;
    }
}

static void put_color(FILE *f, const char *attr, int c)
{
    int rgb[3];
    export_xterm_rgb(c, rgb);
    fprintf(f, " %s=\"#%02x%02x%02x\"", attr, rgb[0], rgb[1], rgb[2]);
}

// A cell as the picture shows it: colours resolved (the defaults put in, reverse applied).
struct svg_cell {
    uint32_t cp;
    int fg, bg;    // xterm colours
    int upper;     // a half block: the upper half's colour (fg), else -1
    unsigned attr; // bold, dim, underline
};

static struct svg_cell svg_cell(const struct cell *c, enum palette_scheme s)
{
    struct cell_face f = export_face(c, s, 1);
    int dfg, dbg;
    export_default_colors(s, &dfg, &dbg);
    struct svg_cell o = {f.cp, f.fg >= 0 ? f.fg : dfg, f.bg >= 0 ? f.bg : dbg, -1,
                         f.attr & ~(unsigned)EXPORT_REVERSE};
    if (f.attr & EXPORT_REVERSE) {
        int t = o.fg;
        o.fg = o.bg, o.bg = t;
    }
    if (c->style == SF_STYLE_HEAT && o.cp == 0x2580) { // two rows of a matrix: two rectangles
        o.upper = o.fg;
        o.cp = ' ';
    }
    return o;
}

// Rectangles of one colour along row y: runs of the backgrounds (upper 0) or of the upper
// halves of half blocks (upper 1); the default background is the picture's own.
static void svg_rects(FILE *f, const struct svg_cell *row, int w, int y, int upper, int dbg)
{
    for (int x = 0; x < w;) {
        int c = upper ? row[x].upper : row[x].bg, end = x + 1;
        while (end < w && (upper ? row[end].upper : row[end].bg) == c)
            end++;
        if (c >= 0 && (upper || c != dbg)) {
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"", x * EXPORT_SVG_CELL_W,
                    y * EXPORT_SVG_CELL_H, (end - x) * EXPORT_SVG_CELL_W,
                    upper ? EXPORT_SVG_CELL_H / 2 : EXPORT_SVG_CELL_H);
            put_color(f, "fill", c);
            fputs("/>\n", f);
        }
        x = end;
    }
}

// One run of text: cells [x0, x1) of row y in one face, leading and trailing blanks left out
// (unless underlined), placed at its column and as wide as its cells.
static void svg_run(FILE *f, const struct svg_cell *row, int x0, int x1, int y, int dfg)
{
    const struct svg_cell *c = &row[x0];
    if (!(c->attr & EXPORT_UNDERLINE)) {
        while (x0 < x1 && row[x0].cp == ' ')
            x0++;
        while (x1 > x0 && row[x1 - 1].cp == ' ')
            x1--;
    }
    if (x0 >= x1)
        return;
    fprintf(f, "<text x=\"%d\" y=\"%d\" textLength=\"%d\" lengthAdjust=\"spacingAndGlyphs\"",
            x0 * EXPORT_SVG_CELL_W, y * EXPORT_SVG_CELL_H + EXPORT_SVG_CELL_H * 3 / 4,
            (x1 - x0) * EXPORT_SVG_CELL_W);
    if (c->fg != dfg)
        put_color(f, "fill", c->fg);
    if (c->attr & EXPORT_BOLD)
        fputs(" font-weight=\"bold\"", f);
    if (c->attr & EXPORT_DIM)
        fputs(" fill-opacity=\"0.6\"", f);
    if (c->attr & EXPORT_UNDERLINE)
        fputs(" text-decoration=\"underline\"", f);
    fputc('>', f);
    for (int x = x0; x < x1; x++)
        put_xml_cp(f, row[x].cp);
    fputs("</text>\n", f);
}

// The runs of row y: cells in one face, broken at two blanks in a row (so that no renderer
// can collapse them: each run is placed at its own column) and around odd-width characters.
static void svg_texts(FILE *f, const struct svg_cell *row, int w, int y, int dfg)
{
    for (int x = 0; x < w;) {
        int end = x + 1;
        if (!odd_width(row[x].cp))
            while (end < w && !odd_width(row[end].cp) && row[end].fg == row[x].fg &&
                   row[end].attr == row[x].attr &&
                   !(row[end].cp == ' ' && end + 1 < w && row[end + 1].cp == ' ' &&
                     !(row[x].attr & EXPORT_UNDERLINE)))
                end++;
        svg_run(f, row, x, end, y, dfg);
        x = end;
    }
}

int export_svg(FILE *f, const struct grid *g, enum palette_scheme s, const char *title)
{
    int dfg, dbg, W = g->w * EXPORT_SVG_CELL_W, H = g->h * EXPORT_SVG_CELL_H;
    export_default_colors(s, &dfg, &dbg);
    struct svg_cell *row = malloc(sizeof *row * (size_t)g->w);
    if (!row)
        return SF_ERR_NOMEM;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xml:space=\"preserve\" viewBox=\"0 0 %d "
            "%d\" width=\"%d\" "
            "height=\"%d\">\n<title>",
            W, H, W, H);
    put_xml_text(f, title ? title : "stepformer");
    fprintf(f, "</title>\n<rect width=\"%d\" height=\"%d\"", W, H);
    put_color(f, "fill", dbg);
    fputs("/>\n<g shape-rendering=\"crispEdges\">\n", f);
    for (int y = 0; y < g->h; y++) {
        for (int x = 0; x < g->w; x++)
            row[x] = svg_cell(&g->cells[(size_t)y * g->w + x], s);
        svg_rects(f, row, g->w, y, 0, dbg);
        svg_rects(f, row, g->w, y, 1, dbg);
    }
    fputs("</g>\n<g font-family=\"'DejaVu Sans Mono', 'Menlo', 'Consolas', 'Liberation Mono', "
          "monospace\" font-size=\"16.6\" xml:space=\"preserve\" "
          "style=\"white-space: pre\"",
          f);
    put_color(f, "fill", dfg);
    fputs(">\n", f);
    for (int y = 0; y < g->h; y++) {
        for (int x = 0; x < g->w; x++)
            row[x] = svg_cell(&g->cells[(size_t)y * g->w + x], s);
        svg_texts(f, row, g->w, y, dfg);
    }
    fputs("</g>\n</svg>\n", f);
    free(row);
    return ferror(f) ? SF_ERR_IO : SF_OK;
}

int export_grid(FILE *f, const struct grid *g, enum export_format fmt, enum palette_scheme s,
                const char *title)
{
    switch (fmt) {
    case EXPORT_SVG:
        return export_svg(f, g, s, title);
    case EXPORT_ANSI:
        return export_ansi(f, g, s);
    case EXPORT_TEXT:
        return export_text(f, g);
    }
    return SF_ERR_ARG;
}

struct export_job {
    const struct grid *g;
    enum export_format fmt;
    enum palette_scheme s;
    const char *title;
};

static int write_job(FILE *f, const void *ctx)
{
    const struct export_job *j = ctx;
    return export_grid(f, j->g, j->fmt, j->s, j->title);
}

int export_write(const char *path, const struct grid *g, enum export_format fmt,
                 enum palette_scheme s, const char *title, struct sf_diag *d)
{
    struct export_job j = {g, fmt, s, title};
    return sf_write_atomic(path, write_job, &j, d);
}
