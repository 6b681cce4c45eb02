// Tests of the colour ramps: levels from values, colours per scheme, the monochrome shading
// and NO_COLOR.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stepformer/grid.h"
#include "stepformer/palette.h"

#include "helpers.h"

static void test_palette_levels_follow_the_value(void **state)
{
    (void)state;
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, 0.0f, 1.0f), 0);
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, 1.0f, 1.0f), SF_RAMP_LEVELS - 1);
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, 5.0f, 1.0f), SF_RAMP_LEVELS - 1); // clamps
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, NAN, 1.0f), 0);
    assert_int_equal(ramp_level(RAMP_DIVERGING, 0.0f, 2.0f), 7); // zero is the middle
    assert_int_equal(ramp_level(RAMP_DIVERGING, -2.0f, 2.0f), 0);
    assert_int_equal(ramp_level(RAMP_DIVERGING, 2.0f, 2.0f), SF_RAMP_LEVELS - 1);
    assert_int_equal(ramp_level(RAMP_DIVERGING, 1.0f, 0.0f), 7); // no range: neutral
    int last = -1;
    for (int i = 0; i <= 100; i++) { // monotone
        int l = ramp_level(RAMP_SEQUENTIAL, (float)i / 100, 1.0f);
        assert_true(l >= last);
        last = l;
    }
    for (int l = 0; l < SF_RAMP_LEVELS; l++) // a level's middle value maps back to it
        assert_int_equal(ramp_level(RAMP_DIVERGING, ramp_value(RAMP_DIVERGING, l, 3.0f), 3.0f), l);
}

static void test_palette_schemes_and_fallbacks(void **state)
{
    (void)state;
    assert_int_equal(palette_choose(256, NULL), PALETTE_256);
    assert_int_equal(palette_choose(256, "1"), PALETTE_MONO); // NO_COLOR
    assert_int_equal(palette_choose(256, ""), PALETTE_256);
    assert_int_equal(palette_choose(8, NULL), PALETTE_8);
    assert_int_equal(palette_choose(2, NULL), PALETTE_MONO);
    for (int l = 0; l < SF_RAMP_LEVELS; l++) {
        int c = palette_color(PALETTE_256, RAMP_SEQUENTIAL, l);
        assert_true(c >= 16 && c <= 255);
        assert_true(palette_color(PALETTE_8, RAMP_DIVERGING, l) < 8);
        assert_int_equal(palette_color(PALETTE_MONO, RAMP_SEQUENTIAL, l), -1);
    }
}

// One colour language: negative is red and positive blue in the 256- and 8-colour ramps (as
// in number mode), and in monochrome the sign picks the glyph family.
static void test_palette_sign_is_the_same_everywhere(void **state)
{
    (void)state;
    int neg = ramp_level(RAMP_DIVERGING, -1.0f, 1.0f), pos = ramp_level(RAMP_DIVERGING, 1.0f, 1.0f);
    // xterm 256: 196/160/124 are reds, 19/25 blues; the 8 colours: 1 red, 4 blue
    int c = palette_color(PALETTE_256, RAMP_DIVERGING, neg);
    assert_true(c == 124 || c == 160 || c == 196);
    c = palette_color(PALETTE_256, RAMP_DIVERGING, pos);
    assert_true(c == 19 || c == 25);
    assert_int_equal(palette_color(PALETTE_8, RAMP_DIVERGING, neg), 1);
    assert_int_equal(palette_color(PALETTE_8, RAMP_DIVERGING, pos), 4);
    // number mode's text colours are colours of the same halves of the ramp
    for (int sc = PALETTE_256; sc <= PALETTE_LIGHT; sc++)
        for (int negative = 0; negative <= 1 && sc != PALETTE_MONO; negative++) {
            int text = palette_sign_color((enum palette_scheme)sc, negative), found = 0;
            for (int l = negative ? 0 : 8; l < (negative ? 7 : SF_RAMP_LEVELS); l++)
                found |= palette_color((enum palette_scheme)sc, RAMP_DIVERGING, l) == text;
            assert_true(found);
        }
    assert_int_equal(palette_sign_color(PALETTE_8, 1), 1); // red
    assert_int_equal(palette_sign_color(PALETTE_MONO, 1), -1);
    for (int ascii = 0; ascii <= 1; ascii++) {
        const uint32_t neg_set[2][4] = {{'-', '=', 0x2261, 0x25a0}, {'-', '=', '%', '&'}};
        for (int l = 0; l < SF_RAMP_LEVELS; l++) {
            uint32_t gl = palette_glyph(RAMP_DIVERGING, l, ascii);
            int is_neg = 0;
            for (int k = 0; k < 4; k++)
                is_neg |= gl == neg_set[ascii][k];
            assert_int_equal(is_neg, l < 7); // the negative family below zero, only there
            assert_true(!ascii || gl < 0x80);
            // the mirrored level has the same ink in the other family
            assert_true(gl != palette_glyph(RAMP_DIVERGING, SF_RAMP_LEVELS - 1 - l, ascii) ||
                        l == 7);
        }
        assert_int_equal(palette_glyph(RAMP_DIVERGING, 7, ascii), ascii ? '.' : 0xb7);
        assert_int_equal(palette_glyph(RAMP_SEQUENTIAL, SF_RAMP_LEVELS - 1, ascii),
                         ascii ? '#' : 0x2588);
    }
}

// A masked entry (-inf) never looks like a small value: not in 256 or 8 colours, not in
// monochrome, not without UTF-8.
static void test_palette_masked_differs_from_small(void **state)
{
    (void)state;
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, -INFINITY, 1.0f), SF_LEVEL_MASKED);
    assert_int_equal(ramp_level(RAMP_DIVERGING, -INFINITY, 1.0f), SF_LEVEL_MASKED);
    int small = ramp_level(RAMP_SEQUENTIAL, 0.001f, 1.0f);
    const enum palette_scheme schemes[] = {PALETTE_256, PALETTE_8, PALETTE_MONO};
    for (size_t s = 0; s < 3; s++)
        for (int utf8 = 0; utf8 <= 1; utf8++)
            for (int r = 0; r <= 1; r++) {
                int lv = r ? ramp_level(RAMP_DIVERGING, -0.001f, 1.0f) : small;
                struct heat_face m = palette_heat(schemes[s], utf8, (enum ramp_kind)r,
                                                  SF_LEVEL_MASKED, SF_LEVEL_MASKED);
                struct heat_face v = palette_heat(schemes[s], utf8, (enum ramp_kind)r, lv, lv);
                assert_true(m.cp != v.cp || m.fg != v.fg || m.bg != v.bg);
                assert_int_equal(m.cp, utf8 ? 0xd7 : 'x');
                if (schemes[s] == PALETTE_MONO) // a small value is never blank in monochrome
                    assert_true(v.cp != ' ');
                if (!utf8)
                    assert_true(m.cp < 0x80 && v.cp < 0x80);
            }
    // monochrome shows the row with more ink of a two-row cell: a large value is never hidden
    for (int r = 0; r <= 1; r++) {
        int big = ramp_level((enum ramp_kind)r, 1.0f, 1.0f);
        int small = ramp_level((enum ramp_kind)r, 0.0f, 1.0f);
        assert_int_equal(palette_heat(PALETTE_MONO, 1, (enum ramp_kind)r, small, big).cp,
                         palette_glyph((enum ramp_kind)r, big, 0));
        assert_int_equal(palette_heat(PALETTE_MONO, 1, (enum ramp_kind)r, big, small).cp,
                         palette_glyph((enum ramp_kind)r, big, 0));
    }
    // the masked colour is no colour of either ramp
    for (int l = 0; l < SF_RAMP_LEVELS; l++)
        for (int r = 0; r <= 1; r++) {
            assert_true(palette_color(PALETTE_256, (enum ramp_kind)r, l) !=
                        palette_color(PALETTE_256, RAMP_SEQUENTIAL, SF_LEVEL_MASKED));
            assert_true(palette_color(PALETTE_8, (enum ramp_kind)r, l) !=
                        palette_color(PALETTE_8, RAMP_SEQUENTIAL, SF_LEVEL_MASKED));
        }
}

// The heads' colours (one per head, side by side): twelve different ones in 256 colours, each at
// least 3:1 against the background it is drawn on (a bar is a graphical object), dark and light.
static void test_palette_series_contrast(void **state)
{
    (void)state;
    const enum palette_scheme schemes[] = {PALETTE_256, PALETTE_LIGHT};
    for (size_t s = 0; s < 2; s++) {
        int back = palette_background(schemes[s]);
        for (int k = 0; k < 12; k++) {
            int c = palette_series(schemes[s], k);
            double got = test_contrast(c, back);
            if (got < 3.0)
                fail_msg("%s scheme: head %d's colour %d has %.2f:1 against %d",
                         palette_name(schemes[s]), k, c, got, back);
            for (int j = 0; j < k; j++)
                assert_int_not_equal(palette_series(schemes[s], j), c);
        }
    }
    assert_int_equal(palette_series(PALETTE_MONO, 3), -1);
}

// Every text colour of the dark and light schemes against what it stands on, by WCAG 2
// contrast from the xterm colour's RGB: 4.5:1 for text, 3:1 for frames (a graphical object).
// The dark scheme's default foreground is the terminal's own and is not checked; the light
// scheme names every colour, so none is left to the terminal.
static void test_palette_text_contrast(void **state)
{
    (void)state;
    const enum palette_scheme schemes[] = {PALETTE_256, PALETTE_LIGHT};
    for (size_t k = 0; k < 2; k++) {
        enum palette_scheme s = schemes[k];
        int back = palette_background(s);
        assert_int_equal(back, s == PALETTE_LIGHT ? 231 : 16);
        for (int st = 0; st < SF_STYLE_COUNT; st++) {
            if (st == SF_STYLE_HEAT || st == SF_STYLE_SERIES)
                continue; // heat cells: palette_heat, below; the heads' colours: palette_series
            struct heat_face f = palette_text(s, st);
            if (s == PALETTE_LIGHT)
                assert_true(f.fg >= 0 && f.bg >= 0);
            if (f.fg < 0)
                continue;
            double need = st == SF_STYLE_BORDER ? 3.0 : 4.5;
            double got = test_contrast(f.fg, f.bg < 0 ? back : f.bg);
            if (got < need)
                fail_msg("%s: style %s, colour %d on %d: %.2f:1, below %.1f:1", palette_name(s),
                         sf_style_name((enum sf_style)st), f.fg, f.bg < 0 ? back : f.bg, got, need);
        }
        // the '×' of a masked heat cell is text too
        struct heat_face m = palette_heat(s, 1, RAMP_SEQUENTIAL, SF_LEVEL_MASKED, SF_LEVEL_MASKED);
        assert_true(test_contrast(m.fg, m.bg) >= 4.5);
    }
    // the light blue of dark numbers is what does not read on white
    assert_true(test_contrast(palette_sign_color(PALETTE_256, 0), 231) < 4.5);
    assert_true(test_contrast(palette_sign_color(PALETTE_LIGHT, 0), 231) >= 4.5);
    assert_true(test_contrast(palette_sign_color(PALETTE_LIGHT, 1), 231) >= 4.5);
}

// Heat cells carry no text, so their check is that the ramp stays readable: in both 256-colour
// schemes every level differs from its neighbours by at least 30 in RGB (Euclidean, 0..255)
// and from the masked colour; the diverging ramp is red below zero and blue above, its
// luminance rising from either end to the zero level; the light sequential ramp gains ink
// (falls in luminance) at every level, as on paper, so a larger value is never lighter.
static void test_palette_heat_ramps_distinguishable(void **state)
{
    (void)state;
    const enum palette_scheme schemes[] = {PALETTE_256, PALETTE_LIGHT};
    int mid = (SF_RAMP_LEVELS - 1) / 2;
    for (size_t k = 0; k < 2; k++)
        for (int r = 0; r <= 1; r++) {
            enum palette_scheme s = schemes[k];
            int masked = palette_color(s, (enum ramp_kind)r, SF_LEVEL_MASKED);
            for (int l = 0; l < SF_RAMP_LEVELS; l++) {
                int c = palette_color(s, (enum ramp_kind)r, l), rgb[3];
                assert_true(c >= 16 && c <= 255 && c != masked);
                test_xterm_rgb(c, rgb);
                if (r == RAMP_DIVERGING && l != mid)
                    assert_true(l < mid ? rgb[0] > rgb[2] : rgb[2] > rgb[0]);
                if (l == 0)
                    continue;
                int p = palette_color(s, (enum ramp_kind)r, l - 1), q[3];
                test_xterm_rgb(p, q);
                double d2 = 0;
                for (int j = 0; j < 3; j++)
                    d2 += (double)(rgb[j] - q[j]) * (rgb[j] - q[j]);
                if (sqrt(d2) < 30)
                    fail_msg("%s ramp %d: levels %d and %d (colours %d, %d) look alike",
                             palette_name(s), r, l - 1, l, p, c);
                double lp = test_xterm_luminance(p), lc = test_xterm_luminance(c);
                if (r == RAMP_DIVERGING)
                    assert_true(l <= mid ? lc > lp : lc < lp);
                else if (s == PALETTE_LIGHT)
                    assert_true(lc < lp);
            }
        }
}

// --palette and STEPFORMER_PALETTE read the names; P cycles dark, light, 8, mono.
static void test_palette_names_and_cycle(void **state)
{
    (void)state;
    enum palette_scheme s;
    const char *names[] = {"dark", "light", "8", "mono"};
    const enum palette_scheme want[] = {PALETTE_256, PALETTE_LIGHT, PALETTE_8, PALETTE_MONO};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(palette_parse(names[i], &s), 0);
        assert_int_equal(s, want[i]);
        assert_string_equal(palette_name(s), names[i]);
        assert_int_equal(palette_next(want[i]), want[(i + 1) % 4]);
    }
    assert_int_equal(palette_parse("256", &s), 0);
    assert_int_equal(s, PALETTE_256);
    assert_int_equal(palette_parse("white", &s), -1);
    assert_int_equal(palette_parse(NULL, &s), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_palette_levels_follow_the_value),
        cmocka_unit_test(test_palette_schemes_and_fallbacks),
        cmocka_unit_test(test_palette_sign_is_the_same_everywhere),
        cmocka_unit_test(test_palette_masked_differs_from_small),
        cmocka_unit_test(test_palette_text_contrast),
        cmocka_unit_test(test_palette_series_contrast),
        cmocka_unit_test(test_palette_heat_ramps_distinguishable),
        cmocka_unit_test(test_palette_names_and_cycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
