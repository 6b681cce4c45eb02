// Golden screens of the panels, drawn into the cell grid at a pinned size with no terminal.
// SF_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/checkpoint.h"
#include "stepformer/panel.h"

static struct model model;

static int setup(void **state)
{
    (void)state;
    char path[600];
    const char *assets = getenv("SF_ASSETS");
    snprintf(path, sizeof path, "%s/models/textbook.sfm", assets ? assets : "assets");
    return checkpoint_load(&model, path, NULL);
}

static int teardown(void **state)
{
    (void)state;
    model_free(&model);
    return 0;
}

static void draw_tokens(const char *prompt, int row, int w, const char *golden)
{
    int ids[64], n = 0;
    assert_int_equal(tokenizer_encode(&model.tok, prompt, ids, 64, &n, NULL), 0);
    struct graph gr = {0};
    assert_int_equal(graph_build(&gr, &model, ids, n, OP_IMPL_REF, NULL), 0);
    struct grid g;
    assert_int_equal(grid_init(&g, w, 4), 0);
    struct view v = {.graph = &gr, .row = row, .layer = 0, .head = 0, .numbers = 1};
    panel_tokens(&g, (struct rect){0, 0, w, 4}, &v, 0);
    // the selected token is highlighted and the later ones dimmed
    int found_current = 0, found_dim = 0;
    for (int x = 6; x < w; x++) {
        found_current |= g.cells[1 * w + x].style == SF_STYLE_CURRENT;
        found_dim |= g.cells[1 * w + x].style == SF_STYLE_DIM;
    }
    assert_true(found_current);
    assert_true(found_dim == (row < n - 1));
    test_check_golden(&g, golden);
    grid_free(&g);
    graph_free(&gr);
}

static void test_panels_tokens_strip(void **state)
{
    (void)state;
    draw_tokens("the keys to the cabinet are on the table", 4, 80, "tokens_80.txt");
}

static void test_panels_tokens_strip_scrolls_to_the_selection(void **state)
{
    (void)state;
    draw_tokens("the chicken didn't cross the road because it was too tired . the chicken was "
                "tired .",
                15, 40, "tokens_40_scrolled.txt");
}

static void test_panels_timeline_around_the_cursor(void **state)
{
    (void)state;
    int ids[64], n = 0;
    assert_int_equal(tokenizer_encode(&model.tok, "the keys to the cabinet", ids, 64, &n, NULL), 0);
    struct graph gr = {0};
    assert_int_equal(graph_build(&gr, &model, ids, n, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_goto(&gr, "L0.attn.mask"), 1);
    struct grid g;
    assert_int_equal(grid_init(&g, 40, 10), 0);
    struct view v = {.graph = &gr, .row = n - 1, .layer = 0, .head = 0, .numbers = 1};
    panel_timeline(&g, (struct rect){0, 0, 40, 10}, &v, 1);
    assert_int_equal(g.cells[0].style, SF_STYLE_CURRENT); // the selected panel's title
    test_check_golden(&g, "timeline_40x10.txt");
    graph_reset(&gr); // at the start nothing has run: everything is dimmed
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_timeline(&g, (struct rect){0, 0, 40, 10}, &v, 0);
    assert_int_equal(g.cells[1 * 40 + 2].style, SF_STYLE_DIM);
    grid_free(&g);
    graph_free(&gr);
}

static void test_panels_attention_stages(void **state)
{
    (void)state;
    int ids[64], n = 0;
    assert_int_equal(tokenizer_encode(&model.tok, "the keys to the cabinet are", ids, 64, &n, NULL),
                     0);
    struct graph gr = {0};
    assert_int_equal(graph_build(&gr, &model, ids, n, OP_IMPL_REF, NULL), 0);
    struct grid g;
    assert_int_equal(grid_init(&g, 50, 9), 0);
    struct view v = {.graph = &gr, .row = 5, .layer = 1, .head = 3, .numbers = 1};
    panel_attention_at(&g, (struct rect){0, 0, 50, 9}, &v, ROLE_ATTN_MASK, 0);
    assert_int_equal(g.cells[1 * 50 + 1].cp, 'n'); // "not computed yet"
    assert_int_equal(graph_goto(&gr, "L1.attn.softmax"), 1);
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_attention_at(&g, (struct rect){0, 0, 50, 9}, &v, ROLE_ATTN_MASK, 0);
    test_check_golden(&g, "attention_mask_50x9.txt");
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_attention_at(&g, (struct rect){0, 0, 50, 9}, &v, ROLE_ATTN_SOFTMAX, 0);
    test_check_golden(&g, "attention_softmax_50x9.txt");
    // as colours: masked cells blank, the rest heat cells
    v.numbers = 0;
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_attention_at(&g, (struct rect){0, 0, 50, 9}, &v, ROLE_ATTN_SOFTMAX, 0);
    assert_int_equal(g.cells[2 * 50 + 9].style, SF_STYLE_HEAT);    // row 0, key 0
    assert_int_equal(g.cells[2 * 50 + 11].style, SF_STYLE_MASKED); // row 0, key 1: the future
    grid_free(&g);
    graph_free(&gr);
}

static void test_panels_next_token_distribution(void **state)
{
    (void)state;
    int ids[64], n = 0;
    assert_int_equal(
        tokenizer_encode(&model.tok, "so long and thanks for all the", ids, 64, &n, NULL), 0);
    struct graph gr = {0};
    assert_int_equal(graph_build(&gr, &model, ids, n, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_run_to_end(&gr), 1);
    struct grid g;
    assert_int_equal(grid_init(&g, 60, 6), 0);
    struct view v = {.graph = &gr, .row = n - 1, .layer = 0, .head = 0, .numbers = 1};
    panel_next_token(&g, (struct rect){0, 0, 60, 6}, &v, 0);
    test_check_golden(&g, "next_token_60x6.txt");
    grid_free(&g);
    graph_free(&gr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_panels_tokens_strip),
        cmocka_unit_test(test_panels_tokens_strip_scrolls_to_the_selection),
        cmocka_unit_test(test_panels_timeline_around_the_cursor),
        cmocka_unit_test(test_panels_attention_stages),
        cmocka_unit_test(test_panels_next_token_distribution),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
