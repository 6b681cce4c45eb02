// Tests of the exports: SVG pictures are well-formed XML whose text is the screen's, ANSI text
// without its escapes is the golden text, and escaping, runs, wide characters and half blocks.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/app.h"
#include "stepformer/export.h"
#include "stepformer/utf8.h"

// What export fn writes for g, as a malloc'd string.
static char *exported(const struct grid *g, enum export_format fmt, enum palette_scheme s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(export_grid(f, g, fmt, s, "a \"title\" & <more>"), 0);
    fclose(f);
    return text;
}

// ---- a small XML well-formedness check: what an XML parser requires of these files ----

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == ':' || c == '.';
}

// An entity at s ("&amp;" ...): its length, or 0 when it is not one XML knows.
static size_t entity_len(const char *s)
{
    static const char *const known[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strncmp(s, known[i], strlen(known[i])) == 0)
            return strlen(known[i]);
    return 0;
}

// Character data (text or an attribute's value, up to `end`): valid UTF-8, no '<', every '&'
// an entity. NULL, or what is wrong.
static const char *check_chars(const char *s, const char *end)
{
    while (s < end) {
        uint32_t cp;
        if (*s == '<')
            return "a '<' in text";
        if (*s == '&') {
            size_t k = entity_len(s);
            if (!k)
                return "an '&' that starts no entity";
            s += k;
            continue;
        }
        int k = utf8_decode(s, (size_t)(end - s), 0, &cp);
        if (k <= 0)
            return "bytes that are not UTF-8";
        if (cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\r')
            return "a control character";
        s += k;
    }
    return NULL;
}

// One tag at s (after '<'): its name into name, *close 1 for </x>, *empty 1 for <x/>; returns
// the end of the tag (after '>') or NULL with *why set.
static const char *read_tag(const char *s, char *name, size_t size, int *close, int *empty,
                            const char **why)
{
    *close = *s == '/';
    s += *close;
    size_t n = 0;
    while (is_name_char(s[n]) && n + 1 < size)
        n++;
    if (!n)
        return *why = "a tag without a name", NULL;
    memcpy(name, s, n);
    name[n] = 0;
    s += n;
    for (;;) {
        while (*s == ' ' || *s == '\n')
            s++;
        if (*s == '>')
            return *empty = 0, s + 1;
        if (s[0] == '/' && s[1] == '>' && !*close)
            return *empty = 1, s + 2;
        if (*close || !is_name_char(*s))
            return *why = "a broken tag", NULL;
        while (is_name_char(*s))
            s++;
        if (s[0] != '=' || (s[1] != '"' && s[1] != '\''))
            return *why = "an attribute without a quoted value", NULL;
        const char *end = strchr(s + 2, s[1]);
        if (!end || (*why = check_chars(s + 2, end)) != NULL)
            return *why = *why ? *why : "an attribute value that does not end", NULL;
        s = end + 1;
    }
}

// NULL when xml is well-formed (one root, tags nested and closed, text and attributes
// escaped), else what is wrong.
static const char *xml_problem(const char *xml)
{
    char stack[32][32];
    int depth = 0, roots = 0;
    const char *s = xml, *why = NULL;
    if (strncmp(s, "<?xml ", 6) == 0)
        s = strstr(s, "?>") + 2;
    while (*s) {
        const char *lt = strchr(s, '<');
        const char *end = lt ? lt : s + strlen(s);
        if ((why = check_chars(s, end)) != NULL)
            return why;
        for (const char *p = s; p < end && depth == 0; p++)
            if (*p != '\n' && *p != ' ')
                return "text outside the root element";
        if (!lt)
            break;
        char name[32];
        int close, empty;
        s = read_tag(lt + 1, name, sizeof name, &close, &empty, &why);
        if (!s)
            return why;
        if (close) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
                return "a closing tag that does not match";
            depth--;
        } else {
            roots += depth == 0;
            if (!empty) {
                if (depth == 32)
                    return "nested too deep";
                snprintf(stack[depth++], 32, "%s", name);
            }
        }
    }
    if (depth)
        return "an element that is not closed";
    return roots == 1 ? NULL : "not exactly one root element";
}

// The text of an SVG picture as rows of cells: each <text> at its column (x / cell width) and
// row, its content unescaped, one cell per code point; trailing blanks left out, as the golden
// text has them. malloc'd.
static char *svg_text(const char *svg, int w, int h)
{
    uint32_t *cells = malloc(sizeof *cells * (size_t)w * (size_t)h);
    assert_non_null(cells);
    for (int i = 0; i < w * h; i++)
        cells[i] = ' ';
    for (const char *t = strstr(svg, "<text x=\""); t; t = strstr(t + 1, "<text x=\"")) {
        int x, y;
        assert_int_equal(sscanf(t, "<text x=\"%d\" y=\"%d\"", &x, &y), 2);
        assert_int_equal(x % EXPORT_SVG_CELL_W, 0);
        int col = x / EXPORT_SVG_CELL_W, row = y / EXPORT_SVG_CELL_H;
        assert_true(row >= 0 && row < h);
        const char *p = strchr(t, '>') + 1, *end = strstr(p, "</text>");
        while (p < end) {
            uint32_t cp;
            size_t k = entity_len(p);
            if (k) {
                static const char map[] = "&<>\"'";
                static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
                for (int i = 0; i < 5; i++)
                    if (strncmp(p, names[i], k) == 0)
                        cp = (uint8_t)map[i];
            } else {
                int n = utf8_decode(p, (size_t)(end - p), 0, &cp);
                assert_true(n > 0);
                k = (size_t)n;
            }
            assert_true(col < w);
            cells[(size_t)row * w + col++] = cp;
            p += k;
        }
    }
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (int y = 0; y < h; y++) {
        int end = w;
        while (end > 0 && cells[(size_t)y * w + end - 1] == ' ')
            end--;
        for (int x = 0; x < end; x++) {
            char u[4];
            fwrite(u, 1, (size_t)utf8_encode(cells[(size_t)y * w + x], u), f);
        }
        fputc('\n', f);
    }
    fclose(f);
    free(cells);
    return out;
}

// ANSI text without its escapes, trailing blanks left out. malloc'd.
static char *strip_ansi(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    assert_non_null(out);
    while (*s) {
        if (s[0] == '\x1b' && s[1] == '[') {
            s += 2;
            while ((*s >= '0' && *s <= '9') || *s == ';')
                s++;
            assert_int_equal(*s, 'm'); // only SGR
            s++;
            continue;
        }
        if (*s == '\n')
            while (o > out && o[-1] == ' ')
                o--;
        *o++ = *s++;
    }
    *o = 0;
    return out;
}

// The golden text of g as a colour scheme shows its characters: a heat cell's shading glyph
// (monochrome, the golden form) becomes what the scheme draws there (`heat`: the half block in
// ANSI; a blank in SVG, where the halves are rectangles), for heat cells whose face is a half
// block. malloc'd.
static char *golden_as_shown(const struct grid *g, enum palette_scheme s, uint32_t heat)
{
    struct grid copy;
    assert_int_equal(grid_init(&copy, g->w, g->h), 0);
    for (int i = 0; i < g->w * g->h; i++) {
        copy.cells[i] = g->cells[i];
        if (g->cells[i].style == SF_STYLE_HEAT && export_face(&g->cells[i], s, 1).cp == 0x2580)
            copy.cells[i] = (struct cell){heat, SF_STYLE_NORMAL, 0, 0, 0};
    }
    char *text = test_grid_text(&copy);
    grid_free(&copy);
    return text;
}

// Fails at the caller's line when two texts differ, naming the first line that does.
static void assert_text_equal_at(const char *got, const char *want, const char *what,
                                 const char *file, int line)
{
    if (strcmp(got, want) == 0)
        return;
    int row = 1;
    const char *g = got, *w = want;
    for (;;) {
        const char *ge = strchr(g, '\n'), *we = strchr(w, '\n');
        size_t gl = ge ? (size_t)(ge - g) : strlen(g), wl = we ? (size_t)(we - w) : strlen(w);
        if (gl != wl || strncmp(g, w, gl) != 0 || !ge || !we) {
            print_error("%s: line %d differs:\n  got  |%.*s|\n  want |%.*s|\n", what, row, (int)gl,
                        g, (int)wl, w);
            break;
        }
        g = ge + 1, w = we + 1, row++;
    }
    _fail(file, line);
}
#define assert_text_equal(got, want, what)                                                         \
    assert_text_equal_at((got), (want), (what), __FILE__, __LINE__)

// Where a golden screen was drawn: the op, the head and token row (-1: as the op leaves
// them), numbers or colours, the panel zoomed (or -1) and the size.
struct stop {
    const char *golden, *op;
    int head, row, colours, zoom, w, h;
};

// A golden screen drawn again: the app on the reference kernels, at an op, as the golden
// tests draw it.
static void golden_screen(struct grid *g, const struct stop *at)
{
    struct app a;
    struct app_options o = {.model_path = test_model_path, .reference = 1};
    struct sf_diag d;
    assert_int_equal(app_init(&a, &o, &d), 0);
    char keys[64];
    snprintf(keys, sizeof keys, "g%s\n", at->op);
    for (const char *p = keys; *p; p++)
        app_key(&a, *p);
    for (int i = 0; i < 100000 && app_busy(&a); i++)
        app_tick(&a, 50);
    a.view.head = at->head;
    if (at->row >= 0)
        a.view.row = at->row;
    a.view.numbers = !at->colours;
    if (at->zoom >= 0)
        a.selected = a.zoom = at->zoom;
    struct screen_state s;
    test_draw_app(&a, at->w, at->h, g, &s);
    for (int i = 0; i < 100000 && app_busy(&a); i++)
        app_tick(&a, 50);
    app_screen(&a, &s);
    screen_draw(g, &s);
    app_free(&a);
}

// Every export of a golden screen in every scheme: the SVG is well-formed and its text is the
// golden text (half blocks drawn as rectangles), ANSI without escapes is the golden text
// (half blocks as such), plain text is the golden text itself.
static void check_exports(const struct stop *at)
{
    struct grid g;
    const char *golden_name = at->golden;
    int w = at->w, h = at->h;
    golden_screen(&g, at);
    char path[700];
    const char *dir = getenv("SF_TEST_DATA");
    snprintf(path, sizeof path, "%s/../golden/%s", dir ? dir : "tests/data", golden_name);
    char *golden = test_slurp(path, NULL);
    char *text = exported(&g, EXPORT_TEXT, PALETTE_256);
    assert_text_equal(text, golden, golden_name); // the screen is the golden one
    free(text);
    for (int s = 0; s < SF_PALETTE_COUNT; s++) {
        char *svg = exported(&g, EXPORT_SVG, (enum palette_scheme)s);
        const char *why = xml_problem(svg);
        if (why)
            fail_msg("%s, %s palette: the SVG is not well-formed XML: %s", golden_name,
                     palette_name((enum palette_scheme)s), why);
        char *got = svg_text(svg, w, h), *want = golden_as_shown(&g, (enum palette_scheme)s, ' ');
        if (s == PALETTE_MONO)
            assert_text_equal(want, golden, "monochrome");
        assert_text_equal(got, want, "the SVG's text");
        free(got), free(want), free(svg);
        char *ansi = exported(&g, EXPORT_ANSI, (enum palette_scheme)s);
        got = strip_ansi(ansi);
        want = golden_as_shown(&g, (enum palette_scheme)s, 0x2580);
        assert_text_equal(got, want, "ANSI without its escapes");
        free(got), free(want), free(ansi);
    }
    free(golden);
    grid_free(&g);
}

static void test_export_golden_screens(void **state)
{
    (void)state;
    static const struct stop stops[] = {
        {"screen_80x24.txt", "L1.attn.softmax", 3, 4, 0, -1, 80, 24},
        {"grow_attention_colours_zoom_100x30.txt", "L0.attn.softmax", 0, -1, 1, PANEL_ATTENTION,
         100, 30},
        {"grow_layernorm_colours_200x60.txt", "L0.ln1.affine", 0, -1, 1, -1, 200, 60},
    };
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        check_exports(&stops[i]);
}

static void test_export_escapes_xml(void **state)
{
    (void)state;
    struct grid g;
    assert_int_equal(grid_init(&g, 20, 2), 0);
    grid_text(&g, 0, 0, 20, "a<b & \"c\" 'd'>", SF_STYLE_NORMAL);
    grid_put(&g, 0, 1, 0x07, SF_STYLE_NORMAL);   // a control character: U+FFFD
    grid_put(&g, 1, 1, 0xfffe, SF_STYLE_NORMAL); // not allowed in XML: U+FFFD
    char *svg = exported(&g, EXPORT_SVG, PALETTE_256);
    assert_null(xml_problem(svg));
    assert_non_null(strstr(svg, ">a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;</text>"));
    assert_non_null(strstr(svg, "<title>a &quot;title&quot; &amp; &lt;more&gt;</title>"));
    assert_non_null(strstr(svg, ">\xef\xbf\xbd\xef\xbf\xbd</text>"));
    char *ansi = exported(&g, EXPORT_ANSI, PALETTE_256);
    assert_non_null(strstr(ansi, "a<b & \"c\" 'd'>")); // text as it is
    assert_null(strchr(ansi, 0x07));
    free(ansi);
    free(svg);
    grid_free(&g);
}

// Counts the occurrences of needle in s.
static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

// One <text> per run of one face, one background rectangle per run of one background, each at
// its column and as wide as its cells; ANSI: one escape per run and a reset at each line's end.
static void test_export_runs(void **state)
{
    (void)state;
    struct grid g;
    assert_int_equal(grid_init(&g, 30, 3), 0);
    grid_text(&g, 0, 0, 30, " Title bar  two words ", SF_STYLE_TITLE); // 22 cells
    grid_text(&g, 2, 1, 30, "ab", SF_STYLE_NORMAL);
    grid_text(&g, 4, 1, 30, "12", SF_STYLE_NUMBER);
    grid_text(&g, 6, 1, 30, "-3", SF_STYLE_NEGATIVE);
    char *svg = exported(&g, EXPORT_SVG, PALETTE_256);
    // the title's background: one rectangle 22 cells wide; the picture's own background
    assert_int_equal(count(svg, "<rect "), 2);
    assert_non_null(
        strstr(svg, "<rect x=\"0\" y=\"0\" width=\"220\" height=\"20\" fill=\"#005f87\"/>"));
    // two blanks in a row split a run (no renderer can collapse them); one blank does not
    assert_non_null(strstr(svg, "<text x=\"10\" y=\"15\" textLength=\"90\""));
    assert_non_null(strstr(svg, ">Title bar</text>"));
    assert_non_null(strstr(svg, "<text x=\"120\" y=\"15\" textLength=\"90\""));
    assert_non_null(strstr(svg, ">two words</text>"));
    assert_int_equal(count(svg, "font-weight=\"bold\""), 2);
    // row 1: three faces, three runs (numbers in the sign colours)
    assert_non_null(strstr(svg, "<text x=\"20\" y=\"35\" textLength=\"20\" "));
    assert_non_null(strstr(svg, "<text x=\"40\" y=\"35\" textLength=\"20\" "));
    assert_non_null(strstr(svg, "<text x=\"60\" y=\"35\" textLength=\"20\" "));
    assert_int_equal(count(svg, "<text "), 5);
    char *ansi = exported(&g, EXPORT_ANSI, PALETTE_256);
    char want[256];
    snprintf(want, sizeof want,
             "\x1b[0;1;38;5;255;48;5;24m Title bar  two words \x1b[0m\n"
             "\x1b[0m  ab\x1b[0;38;5;%dm12\x1b[0;38;5;%dm-3\x1b[0m\n\n",
             palette_sign_color(PALETTE_256, 0), palette_sign_color(PALETTE_256, 1));
    assert_string_equal(ansi, want);
    free(ansi);
    ansi = exported(&g, EXPORT_ANSI, PALETTE_8); // 8 colours: 30-37 and 40-47
    assert_non_null(strstr(ansi, "\x1b[0;1;37;44m Title"));
    free(ansi);
    ansi = exported(&g, EXPORT_ANSI, PALETTE_MONO); // monochrome: reverse, no colour
    assert_non_null(strstr(ansi, "\x1b[0;7m Title"));
    assert_null(strstr(ansi, "38;5"));
    free(ansi);
    free(svg);
    grid_free(&g);
}

// A wide character (and a combining mark) is a run of its own, one cell wide, so the cells
// after it keep their columns; a heat cell's halves are rectangles (no glyph), merged along
// the row where neighbours share a colour.
static void test_export_wide_characters_and_half_blocks(void **state)
{
    (void)state;
    struct grid g;
    assert_int_equal(grid_init(&g, 10, 2), 0);
    grid_text(&g, 0, 0, 10, "x\xe6\xbc\xa2yz", SF_STYLE_NORMAL); // x 漢 y z
    grid_heat(&g, 0, 1, RAMP_SEQUENTIAL, 14, 0);
    grid_heat(&g, 1, 1, RAMP_SEQUENTIAL, 14, 3);
    grid_heat(&g, 2, 1, RAMP_SEQUENTIAL, 2, 3);
    char *svg = exported(&g, EXPORT_SVG, PALETTE_256);
    assert_null(xml_problem(svg));
    assert_non_null(strstr(svg, "<text x=\"0\" y=\"15\" textLength=\"10\""));
    assert_non_null(strstr(svg, "<text x=\"10\" y=\"15\" textLength=\"10\""));
    assert_non_null(strstr(svg, ">\xe6\xbc\xa2</text>"));
    assert_non_null(strstr(svg, "<text x=\"20\" y=\"15\" textLength=\"20\""));
    assert_non_null(strstr(svg, ">yz</text>"));
    assert_null(strstr(svg, "\xe2\x96\x80")); // no half-block glyph
    int rgb[3];
    char want[128];
    // the upper halves: levels 14, 14 (one rectangle two cells wide), then 2
    export_xterm_rgb(palette_color(PALETTE_256, RAMP_SEQUENTIAL, 14), rgb);
    snprintf(want, sizeof want,
             "<rect x=\"0\" y=\"20\" width=\"20\" height=\"10\" fill=\"#%02x%02x%02x\"/>", rgb[0],
             rgb[1], rgb[2]);
    assert_non_null(strstr(svg, want));
    // the lower halves (the whole cell, under the upper half): levels 0, then 3, 3
    export_xterm_rgb(palette_color(PALETTE_256, RAMP_SEQUENTIAL, 3), rgb);
    snprintf(want, sizeof want,
             "<rect x=\"10\" y=\"20\" width=\"20\" height=\"20\" fill=\"#%02x%02x%02x\"/>", rgb[0],
             rgb[1], rgb[2]);
    assert_non_null(strstr(svg, want));
    char *text = svg_text(svg, 10, 2);
    assert_string_equal(text, "x\xe6\xbc\xa2yz\n\n");
    free(text);
    free(svg);
    grid_free(&g);
}

// The faces the terminal shows: titles bold in colour and reversed in monochrome, masked
// cells dim in monochrome, heat cells by palette_heat, series in their colour.
static void test_export_faces(void **state)
{
    (void)state;
    struct cell title = {'T', SF_STYLE_TITLE, 0, 0, 0}, masked = {'x', SF_STYLE_MASKED, 0, 0, 0};
    struct cell_face f = export_face(&title, PALETTE_256, 1);
    assert_int_equal(f.attr, EXPORT_BOLD);
    assert_int_equal(f.fg, palette_text(PALETTE_256, SF_STYLE_TITLE).fg);
    f = export_face(&title, PALETTE_MONO, 1);
    assert_int_equal(f.attr, EXPORT_REVERSE);
    assert_int_equal(f.fg, -1);
    assert_int_equal(export_face(&masked, PALETTE_MONO, 1).attr, EXPORT_DIM);
    struct grid g;
    assert_int_equal(grid_init(&g, 2, 1), 0);
    grid_heat(&g, 0, 0, RAMP_DIVERGING, 2, 12);
    grid_series(&g, 1, 0, 0x2588, 5);
    f = export_face(&g.cells[0], PALETTE_LIGHT, 1);
    struct heat_face h = palette_heat(PALETTE_LIGHT, 1, RAMP_DIVERGING, 2, 12);
    assert_int_equal(f.cp, h.cp);
    assert_int_equal(f.fg, h.fg);
    assert_int_equal(f.bg, h.bg);
    f = export_face(&g.cells[1], PALETTE_256, 0); // no UTF-8: the ASCII form
    assert_int_equal(f.cp, '#');
    assert_int_equal(f.fg, palette_series(PALETTE_256, 5));
    grid_free(&g);
    enum export_format fmt;
    assert_int_equal(export_format_from_path("a/b.svg", &fmt), 0);
    assert_int_equal(fmt, EXPORT_SVG);
    assert_int_equal(export_format_from_path("b.ans", &fmt), 0);
    assert_int_equal(fmt, EXPORT_ANSI);
    assert_int_equal(export_format_from_path("b.ansi", &fmt), 0);
    assert_int_equal(fmt, EXPORT_ANSI);
    assert_int_equal(export_format_from_path("b.txt", &fmt), 0);
    assert_int_equal(fmt, EXPORT_TEXT);
    assert_int_equal(export_format_from_path("b.png", &fmt), -1);
    assert_int_equal(export_format_from_path("dir.svg/b", &fmt), -1);
    assert_int_equal(export_format_parse("ansi", &fmt), 0);
    assert_int_equal(export_format_parse("pdf", &fmt), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_escapes_xml),
        cmocka_unit_test(test_export_runs),
        cmocka_unit_test(test_export_wide_characters_and_half_blocks),
        cmocka_unit_test(test_export_faces),
        cmocka_unit_test(test_export_golden_screens),
    };
    return cmocka_run_group_tests(tests, test_setup_model_path, NULL);
}
