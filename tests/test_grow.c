// Panels grow with the window: the attention matrix, Q K V and LayerNorm fill the rectangle they
// are given at 200 x 60 and zoomed, as numbers and as colours; clicks land on enlarged cells.
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
#include "stepformer/panel.h"

// The shipped model on the default prompt with the reference kernels (goldens), at op `name`,
// head 0 selected.
static void start_at(struct app *a, const char *name)
{
    struct app_options o = {.model_path = test_model_path, .reference = 1};
    struct sf_diag d;
    assert_int_equal(app_init(a, &o, &d), 0);
    a->width = 200;
    a->height = 60;
    app_key(a, 'g');
    for (const char *p = name; *p; p++)
        app_key(a, *p);
    app_key(a, '\n');
    for (int i = 0; i < 100000 && app_busy(a); i++)
        app_tick(a, 50);
    assert_false(app_busy(a));
    a->view.head = 0;
}

// The screen at w x h into g (initialised here); the rectangle of panel p, or NULL when it is
// not shown.
static const struct rect *draw(struct app *a, int w, int h, struct grid *g, enum panel_id p,
                               struct rect *r)
{
    struct screen_state s;
    test_draw_app(a, w, h, g, &s);
    if (!s.layout.shown[p])
        return NULL;
    *r = s.layout.panel[p];
    return r;
}

static void golden(struct app *a, int w, int h, const char *name)
{
    struct grid g;
    struct rect r;
    draw(a, w, h, &g, PANEL_ATTENTION, &r);
    test_check_golden(&g, name);
    grid_free(&g);
}

// How many lines and columns of r hold at least one cell of style s (heat cells, numbers).
static void occupied(const struct grid *g, struct rect r, enum sf_style s, int *lines, int *cols)
{
    *lines = *cols = 0;
    for (int y = r.y; y < r.y + r.h; y++) {
        int any = 0;
        for (int x = r.x; x < r.x + r.w; x++)
            any |= g->cells[(size_t)y * g->w + x].style == s;
        *lines += any;
    }
    for (int x = r.x; x < r.x + r.w; x++) {
        int any = 0;
        for (int y = r.y; y < r.y + r.h; y++)
            any |= g->cells[(size_t)y * g->w + x].style == s;
        *cols += any;
    }
}

// At 200 x 60 the attention panel's 9 x 9 matrix in colours covers most of the panel: its
// cells occupy more than half its lines and more than half its columns; as numbers they
// spread over more than half its columns.
static void test_grow_attention_fills_its_panel(void **state)
{
    (void)state;
    struct app a;
    start_at(&a, "L0.attn.softmax");
    a.view.numbers = 0;
    struct grid g;
    struct rect r;
    assert_non_null(draw(&a, 200, 60, &g, PANEL_ATTENTION, &r));
    int lines, cols;
    occupied(&g, r, SF_STYLE_HEAT, &lines, &cols);
    assert_true(2 * lines > r.h);
    assert_true(2 * cols > r.w);
    grid_free(&g);
    a.view.numbers = 1;
    assert_non_null(draw(&a, 200, 60, &g, PANEL_ATTENTION, &r));
    int num_lines, num_cols;
    occupied(&g, r, SF_STYLE_NUMBER, &num_lines, &num_cols);
    assert_true(2 * num_cols > r.w);
    grid_free(&g);
    app_free(&a);
}

// The cursor's block (every cell in SF_STYLE_SELECTED) in r: its corners; 0 when none.
// At 200 x 60, in numbers, Q K V in the main place show all 16 dims of each block: no count of
// hidden columns.
static void test_grow_qkv_every_dim_at_200x60(void **state)
{
    (void)state;
    struct app a;
    start_at(&a, "L0.attn.v");
    a.view.numbers = 1;
    struct grid g;
    struct rect r;
    assert_non_null(draw(&a, 200, 60, &g, PANEL_QKV, &r));
    for (int y = r.y; y < r.y + r.h; y++) {
        char line[1024];
        test_row_text(&g, y, line, sizeof line);
        if (strstr(line, " →")) // a count of hidden columns (the panels beside have not run)
            fail_msg("Q K V hides dims at 200x60: %s", line);
    }
    grid_free(&g);
    app_free(&a);
}

static int cursor_block(const struct grid *g, struct rect r, int *x0, int *y0, int *x1, int *y1)
{
    *x0 = *y0 = 1 << 20, *x1 = *y1 = -1;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            if (g->cells[(size_t)y * g->w + x].style == SF_STYLE_SELECTED) {
                *x0 = x < *x0 ? x : *x0, *x1 = x > *x1 ? x : *x1;
                *y0 = y < *y0 ? y : *y0, *y1 = y > *y1 ? y : *y1;
            }
    return *x1 >= 0;
}

// With enlarged cells the inspect cursor is a whole block, and a click anywhere in a block
// (its four corners) selects that block's cell, in colours at 200 x 60 and zoomed at 160 x 48.
static void test_grow_clicks_land_on_enlarged_cells(void **state)
{
    (void)state;
    struct app a;
    start_at(&a, "L0.attn.softmax");
    a.view.numbers = 0;
    app_key(&a, 'i');
    for (int zoom = 0; zoom < 2; zoom++) {
        a.zoom = zoom ? PANEL_ATTENTION : -1;
        int w = zoom ? 160 : 200, h = zoom ? 48 : 60;
        static const int cells[][2] = {{0, 0}, {8, 8}, {4, 2}, {7, 1}};
        for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
            a.view.row = cells[k][0], a.view.col = cells[k][1];
            struct grid g;
            struct rect r;
            assert_non_null(draw(&a, w, h, &g, PANEL_ATTENTION, &r));
            int x0, y0, x1, y1;
            assert_true(cursor_block(&g, r, &x0, &y0, &x1, &y1));
            assert_true(x1 - x0 + 1 >= 3); // an enlarged cell: a block
            assert_true(y1 - y0 + 1 >= 2);
            grid_free(&g);
            const int corners[4][2] = {{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}};
            for (int c = 0; c < 4; c++) {
                a.view.row = 0, a.view.col = 0;
                if (k == 0)
                    a.view.row = 8, a.view.col = 8;
                app_click(&a, corners[c][0], corners[c][1]);
                assert_int_equal(a.view.row, cells[k][0]);
                assert_int_equal(a.view.col, cells[k][1]);
            }
        }
    }
    app_free(&a);
}

// Golden screens of the attention, Q K V and LayerNorm panels at 200 x 60 and zoomed at
// 160 x 48 and 100 x 30, in numbers and in colours.
static void test_grow_goldens(void **state)
{
    (void)state;
    static const struct {
        const char *op, *slug;
        enum panel_id panel;
    } stops[] = {{"L0.attn.softmax", "attention", PANEL_ATTENTION},
                 {"L0.attn.mix", "qkv", PANEL_QKV},
                 {"L0.ln1.affine", "layernorm", PANEL_LAYERNORM}};
    static const int sizes[][3] = {{200, 60, 0}, {160, 48, 1}, {100, 30, 1}};
    for (size_t s = 0; s < sizeof stops / sizeof stops[0]; s++) {
        struct app a;
        start_at(&a, stops[s].op);
        for (int numbers = 1; numbers >= 0; numbers--)
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                a.view.numbers = numbers;
                a.selected = stops[s].panel;
                a.zoom = sizes[k][2] ? (int)stops[s].panel : -1;
                char name[96];
                snprintf(name, sizeof name, "grow_%s_%s%s_%dx%d.txt", stops[s].slug,
                         numbers ? "numbers" : "colours", sizes[k][2] ? "_zoom" : "", sizes[k][0],
                         sizes[k][1]);
                golden(&a, sizes[k][0], sizes[k][1], name);
            }
        app_free(&a);
    }
}

// A table of colour cells whose level names the cell: (i * cols + j) mod the ramp's levels.
static void level_cell(const void *ctx, int i, int j, struct table_cell *c)
{
    const struct table *t = ctx;
    c->kind = TABLE_HEAT;
    c->ramp = RAMP_SEQUENTIAL;
    c->level = (i * t->cols + j) % SF_RAMP_LEVELS;
}

// Grown cells and clicks agree everywhere: every screen cell that panel_table_hit maps to (i, j)
// is drawn with (i, j)'s level, every matrix cell is hit somewhere, and the cells did grow.
static void test_grow_table_hits_match_the_drawing(void **state)
{
    (void)state;
    struct grid g;
    struct rect r = {3, 2, 120, 40};
    assert_int_equal(grid_init(&g, 130, 45), 0);
    struct table t = {.rows = 5, .cols = 7, .cell_w = 1, .grow_w = 16, .grow_h = 8, .blocks = 1};
    t.sel_row = t.keep_col = t.cur_row = t.cur_col = -1;
    t.ctx = &t;
    t.cell = level_cell;
    panel_table(&g, r, &t);
    int hits[5][7] = {{0}};
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) {
            int i, j;
            if (!panel_table_hit(r, &t, x, y, &i, &j))
                continue;
            const struct cell *c = &g.cells[(size_t)y * g.w + x];
            assert_int_equal(c->style, SF_STYLE_HEAT);
            assert_int_equal(c->fg, (i * t.cols + j) % SF_RAMP_LEVELS);
            hits[i][j]++;
        }
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 7; j++)
            assert_true(hits[i][j] >= 4 * 2); // at least 4 columns by 2 lines each
    grid_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_attention_fills_its_panel),
        cmocka_unit_test(test_grow_qkv_every_dim_at_200x60),
        cmocka_unit_test(test_grow_clicks_land_on_enlarged_cells),
        cmocka_unit_test(test_grow_goldens),
        cmocka_unit_test(test_grow_table_hits_match_the_drawing),
    };
    return cmocka_run_group_tests(tests, test_setup_model_path, NULL);
}
