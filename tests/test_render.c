// Tests of the cell grid: text, clipping, UTF-8, heat cells and the text dump used by golden
// screens.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stepformer/err.h"
#include "stepformer/grid.h"
#include "stepformer/panel.h"

#include "helpers.h"

static void test_render_text_clips_and_decodes_utf8(void **state)
{
    (void)state;
    struct grid g;
    assert_int_equal(grid_init(&g, 8, 3), 0);
    assert_int_equal(grid_text(&g, 1, 0, 100, "q\xc2\xb7k \xe2\x88\x9ainf", SF_STYLE_NORMAL), 7);
    assert_int_equal(grid_text(&g, 0, 1, 3, "abcdef", SF_STYLE_TITLE), 3);
    assert_int_equal(grid_text(&g, 6, 2, 10, "xyz", SF_STYLE_DIM), 2); // the right edge
    grid_text(&g, 0, 5, 10, "off the grid", SF_STYLE_NORMAL);          // nothing happens
    grid_put(&g, -1, 0, 'x', SF_STYLE_NORMAL);
    assert_int_equal(g.cells[0 * 8 + 2].cp, 0xB7);
    assert_int_equal(g.cells[1 * 8 + 0].style, SF_STYLE_TITLE);
    char *text = test_grid_text(&g);
    assert_string_equal(text, " q\xc2\xb7k \xe2\x88\x9ain\nabc\n      xy\n");
    free(text);
    grid_clear(&g, SF_STYLE_NORMAL);
    grid_text(&g, 0, 0, 8,
              "a\xff"
              "b",
              SF_STYLE_NORMAL); // a bad byte shows as U+FFFD
    assert_int_equal(g.cells[1].cp, 0xFFFD);
    assert_int_equal(g.cells[2].cp, 'b');
    grid_free(&g);
    grid_free(&g);
}

static void test_render_heat_cells_hold_two_rows(void **state)
{
    (void)state;
    struct grid g;
    assert_int_equal(grid_init(&g, 4, 2), 0);
    grid_heat(&g, 1, 1, RAMP_DIVERGING, 200, 3);
    const struct cell *c = &g.cells[1 * 4 + 1];
    assert_int_equal(c->cp, 0x2580);
    assert_int_equal(c->style, SF_STYLE_HEAT);
    assert_int_equal(c->fg, SF_RAMP_LEVELS - 1); // clamped
    assert_int_equal(c->bg, 3);
    assert_int_equal(c->ramp, RAMP_DIVERGING);
    assert_string_equal(sf_style_name(SF_STYLE_MASKED), "MASKED");
    grid_free(&g);
    assert_int_equal(grid_init(&g, 0, 5), SF_ERR_RANGE);
    assert_int_equal(grid_init(&g, 5000, 5), SF_ERR_RANGE);
}

// Labels are abbreviated at a word with "…", never cut inside one; numbers lose decimals (or
// their leading zero) to fit, never digits: 0.595 never becomes "0.5".
static void test_render_fit_labels_and_numbers(void **state)
{
    (void)state;
    char out[128];
    const char *title = "Lesson 4: One attention head: queries, keys, values and scaling";
    assert_string_equal(panel_fit(out, sizeof out, title, 64), title);
    assert_string_equal(panel_fit(out, sizeof out, title, 60),
                        "Lesson 4: One attention head: queries, keys, values and…");
    assert_string_equal(panel_fit(out, sizeof out, "added at 'a':  (‖stream before‖)", 26),
                        "added at 'a':  (‖stream…");
    assert_string_equal(panel_fit(out, sizeof out, "extraordinarily", 6), "extra…");
    assert_string_equal(panel_fit(out, sizeof out, "abc", 0), "");
    const struct {
        double x;
        int w, dec;
        const char *want;
    } nums[] = {{0.5951, 5, 3, "0.595"}, {0.5951, 4, 3, ".595"},   {0.5951, 3, 3, ".60"},
                {-0.5951, 4, 3, "-.60"}, {-0.5951, 5, 3, "-.595"}, {1234567, 5, 2, "1.2e6"},
                {1234567, 2, 2, ""},     {12.5, 6, 3, "12.500"},   {-0.0001, 6, 2, "0.00"},
                {0.5951, 1, 3, "1"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        assert_string_equal(panel_fit_number(out, sizeof out, nums[i].x, nums[i].w, nums[i].dec),
                            nums[i].want);
    // an ASCII grid draws each symbol's ASCII form, and a title fits after it
    struct grid g;
    assert_int_equal(grid_init(&g, 40, 2), 0);
    g.ascii = 1;
    grid_text(&g, 0, 0, 40, "σ √d_k α −∞ → x̂ ‖x‖ §9.1", SF_STYLE_NORMAL);
    assert_string_equal(grid_ascii(0x22c5), "*"); // a product, never a decimal point
    panel_title(&g, (struct rect){0, 1, 20, 1}, "μ and σ per token … more words", 0);
    char *text = test_grid_text(&g);
    assert_string_equal(text, "sd sqrt d_k alpha -inf -> x^ |x| sec.9.1\n mu and sd per...\n");
    free(text);
    grid_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_text_clips_and_decodes_utf8),
        cmocka_unit_test(test_render_heat_cells_hold_two_rows),
        cmocka_unit_test(test_render_fit_labels_and_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
