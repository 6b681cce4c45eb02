// Tests of the colour ramps: levels from values, colours per scheme, the monochrome shading
// and NO_COLOR.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stepformer/palette.h"

static void test_palette_levels_follow_the_value(void **state)
{
    (void)state;
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, 0.0f, 1.0f), 0);
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, 1.0f, 1.0f), SF_RAMP_LEVELS - 1);
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, 5.0f, 1.0f), SF_RAMP_LEVELS - 1); // clamps
    assert_int_equal(ramp_level(RAMP_SEQUENTIAL, -INFINITY, 1.0f), 0);
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
    assert_int_equal(palette_shade(RAMP_SEQUENTIAL, 0), ' ');
    assert_int_equal(palette_shade(RAMP_SEQUENTIAL, SF_RAMP_LEVELS - 1), 0x2588);
    assert_int_equal(palette_shade(RAMP_DIVERGING, 7), ' '); // zero: no ink
    assert_int_equal(palette_shade(RAMP_DIVERGING, 0), palette_shade(RAMP_DIVERGING, 14));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_palette_levels_follow_the_value),
        cmocka_unit_test(test_palette_schemes_and_fallbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
