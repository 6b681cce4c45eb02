// Tests of the screen layout: sizes from 80 x 24 up, zoom, and the "too small" state.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stepformer/layout.h"

// Rectangles inside the screen, above the status line, not overlapping.
static void check_fits(const struct layout *l, int w, int h)
{
    for (int p = 0; p < PANEL_COUNT; p++) {
        if (!l->shown[p])
            continue;
        struct rect a = l->panel[p];
        assert_true(a.x >= 0 && a.y >= 0 && a.w > 0 && a.h > 0);
        assert_true(a.x + a.w <= w && a.y + a.h <= h - 1);
        for (int q = p + 1; q < PANEL_COUNT; q++) {
            if (!l->shown[q])
                continue;
            struct rect b = l->panel[q];
            int apart =
                a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
            assert_true(apart);
        }
    }
    assert_int_equal(l->status.y, h - 1);
}

static void test_layout_sizes_from_80x24_up(void **state)
{
    (void)state;
    const int sizes[][2] = {{80, 24}, {100, 30}, {160, 48}, {200, 60}, {300, 90}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int main = 0; main < PANEL_COUNT; main++) {
            struct layout l;
            layout_compute(&l, sizes[i][0], sizes[i][1], -1, (enum panel_id)main);
            assert_false(l.too_small);
            // always the tokens, the timeline, the equation and the main panel
            assert_true(l.shown[PANEL_TOKENS] && l.shown[PANEL_TIMELINE] &&
                        l.shown[PANEL_EQUATION]);
            enum panel_id m = main <= PANEL_EQUATION ? PANEL_ATTENTION : (enum panel_id)main;
            assert_true(l.shown[m]);
            int n = 0;
            for (int p = 0; p < PANEL_COUNT; p++)
                n += l.shown[p];
            assert_int_equal(n, sizes[i][0] >= 150 && sizes[i][1] >= 40 ? 6 : 4);
            check_fits(&l, sizes[i][0], sizes[i][1]);
            assert_true(l.panel[PANEL_TOKENS].h >= 4);
            assert_true(l.panel[m].h >= 12 && l.panel[m].w >= 50);
        }
    }
}

static void test_layout_zoom_and_too_small(void **state)
{
    (void)state;
    struct layout l;
    layout_compute(&l, 80, 24, PANEL_ATTENTION, PANEL_QKV);
    assert_true(l.shown[PANEL_ATTENTION]);
    assert_false(l.shown[PANEL_TIMELINE]);
    assert_int_equal(l.panel[PANEL_ATTENTION].w, 80);
    assert_int_equal(l.panel[PANEL_ATTENTION].h, 23);
    layout_compute(&l, 79, 24, -1, PANEL_QKV);
    assert_true(l.too_small);
    layout_compute(&l, 80, 23, PANEL_TOKENS, PANEL_QKV);
    assert_true(l.too_small);
    for (int p = 0; p < PANEL_COUNT; p++)
        assert_false(l.shown[p]);
}

// The presenter view: no timeline, the tokens strip on top, the equation as a caption above the
// status line, and the main panel the full width and every row between them, at every size from
// 80 x 24 to 300 x 80 and for every main panel.
static void test_layout_present_fills_the_screen(void **state)
{
    (void)state;
    const int sizes[][2] = {{80, 24}, {100, 30}, {132, 43}, {160, 48}, {200, 60}, {300, 80}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int w = sizes[i][0], h = sizes[i][1];
        for (int main = 0; main < PANEL_COUNT; main++) {
            for (int cap = 0; cap < 40; cap += 3) {
                struct layout l;
                layout_present(&l, w, h, -1, (enum panel_id)main, cap);
                assert_false(l.too_small);
                check_fits(&l, w, h);
                enum panel_id m = main <= PANEL_EQUATION ? PANEL_ATTENTION : (enum panel_id)main;
                int n = 0;
                for (int p = 0; p < PANEL_COUNT; p++)
                    n += l.shown[p];
                assert_int_equal(n, 3);
                assert_false(l.shown[PANEL_TIMELINE]);
                assert_true(l.shown[PANEL_TOKENS] && l.shown[PANEL_EQUATION] && l.shown[m]);
                struct rect t = l.panel[PANEL_TOKENS], e = l.panel[PANEL_EQUATION];
                struct rect r = l.panel[m];
                assert_int_equal(t.y, 0);
                assert_int_equal(t.h, 4);
                // the caption: what it asks, from 4 rows to a fifth of the screen
                int want = cap < 4 ? 4 : cap > h / 5 ? h / 5 : cap;
                assert_int_equal(e.h, want);
                assert_int_equal(e.y + e.h, h - 1);
                assert_int_equal(e.w, w);
                // the big panel: the whole width, every row between the strip and the caption
                // but the blank line below the strip
                assert_int_equal(r.x, 0);
                assert_int_equal(r.w, w);
                assert_int_equal(r.y, t.h + 1);
                assert_int_equal(r.y + r.h, e.y);
                assert_true(r.h >= 12);
            }
        }
    }
    // zoomed: the zoomed panel takes the whole screen, as on the normal screen
    struct layout l;
    layout_present(&l, 100, 30, PANEL_QKV, PANEL_ATTENTION, 5);
    assert_true(l.shown[PANEL_QKV]);
    assert_false(l.shown[PANEL_ATTENTION] || l.shown[PANEL_TOKENS] || l.shown[PANEL_EQUATION]);
    assert_int_equal(l.panel[PANEL_QKV].w, 100);
    assert_int_equal(l.panel[PANEL_QKV].h, 29);
    layout_present(&l, 79, 30, -1, PANEL_QKV, 5);
    assert_true(l.too_small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_sizes_from_80x24_up),
        cmocka_unit_test(test_layout_zoom_and_too_small),
        cmocka_unit_test(test_layout_present_fills_the_screen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
