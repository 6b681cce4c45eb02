// Tests of the panels: golden screens drawn into the cell grid at a pinned size with no
// terminal (SF_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing), and that the
// panels, and the layout's choice of panel, read a node's role and never its name.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/arena.h"
#include "stepformer/checkpoint.h"
#include "stepformer/layout.h"
#include "stepformer/lesson.h"
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
    // as colours: masked cells have the masked level (grey with × in colour, × in
    // monochrome), the rest their value's level; the legend shows the masked look too
    v.numbers = 0;
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_attention_at(&g, (struct rect){0, 0, 50, 9}, &v, ROLE_ATTN_SOFTMAX, 0);
    assert_int_equal(g.cells[2 * 50 + 9].style, SF_STYLE_HEAT); // row 0, key 0
    assert_true(g.cells[2 * 50 + 9].fg < SF_RAMP_LEVELS);
    int future = -1; // row 0, key 1: the future, wherever the grown cells put it
    for (int x = 0; x < 50 && future < 0; x++) {
        int i, j;
        if (panel_attention_hit((struct rect){0, 0, 50, 9}, &v, x, 2, &i, &j) && i == 0 && j == 1)
            future = x;
    }
    assert_true(future > 9);
    assert_int_equal(g.cells[2 * 50 + future].style, SF_STYLE_HEAT);
    assert_int_equal(g.cells[2 * 50 + future].fg, SF_LEVEL_MASKED);
    char row[200];
    assert_non_null(strstr(test_row_text(&g, 8, row, sizeof row), "masked (−∞)"));
    grid_free(&g);
    graph_free(&gr);
}

// Every number written after "label " in row text: each must be within half a unit of its
// last digit of one of the true values (a number cut short, 0.595 as "0.5", is not).
static void assert_numbers_after(const char *text, const char *label, const double *truth, int n)
{
    for (const char *p = strstr(text, label); p; p = strstr(p + 1, label)) {
        const char *q = p + strlen(label);
        char *end;
        double x = strtod(q, &end);
        if (end == q)
            continue;
        const char *dot = memchr(q, '.', (size_t)(end - q));
        int dec = dot ? (int)(end - dot - 1) : 0;
        double tol = 0.5 * pow(10, -dec) + 1e-6;
        int ok = 0;
        for (int i = 0; i < n; i++)
            ok |= fabs(truth[i] - x) <= tol;
        if (!ok)
            fail_msg("'%s%.*s' is no true value (cut?) in '%s'", label, (int)(end - q), q, text);
    }
}

// LayerNorm: x, xhat and gamma xhat + beta of the selected token as strips on one axis, so
// they differ (xhat is wider than x); mu and sigma never cut at any width; the inspect cursor
// marks its component in the strips, or its cell of the table at the stats.
static void test_panels_layernorm_strips_share_an_axis(void **state)
{
    (void)state;
    int ids[64], n = 0;
    assert_int_equal(tokenizer_encode(&model.tok, "the keys to the cabinet are", ids, 64, &n, NULL),
                     0);
    struct graph gr = {0};
    assert_int_equal(graph_build(&gr, &model, ids, n, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_goto(&gr, "L0.ln1.affine"), 1);
    int d = model.cfg.d_model, row = 4;
    const struct node *st = &gr.nodes[graph_find(&gr, "L0.ln1.stats")];
    double truth[64 * 2 + 8];
    int nt = 0;
    for (int i = 0; i < n; i++) // the table's mu and sigma
        truth[nt++] = st->out.data[2 * i], truth[nt++] = st->out.data[2 * i + 1];
    const char *names[3] = {"L0.ln1.stats", "L0.ln1.norm", "L0.ln1.affine"};
    for (int k = 0; k < 3; k++) { // each strip's mu and sigma, computed here
        const float *x = k == 0 ? gr.nodes[graph_find(&gr, names[0])].in[0]->data
                                : gr.nodes[graph_find(&gr, names[k])].out.data;
        double mean = 0, var = 0;
        for (int j = 0; j < d; j++)
            mean += x[row * d + j];
        mean /= d;
        for (int j = 0; j < d; j++)
            var += (x[row * d + j] - mean) * (x[row * d + j] - mean);
        truth[nt++] = mean, truth[nt++] = sqrt(var / d);
    }
    struct view v = {.graph = &gr, .row = row, .layer = 0, .head = 0, .numbers = 1};
    char text[16000], line[600];
    for (int w = 34; w <= 160; w += 3) {
        struct grid g;
        assert_int_equal(grid_init(&g, w, 14), 0);
        panel_layernorm(&g, (struct rect){0, 0, w, 14}, &v, 0);
        text[0] = 0;
        for (int y = 0; y < 14; y++)
            strcat(strcat(text, test_row_text(&g, y, line, sizeof line)), "\n");
        assert_numbers_after(text, "σ ", truth, nt);
        assert_numbers_after(text, "μ ", truth, nt);
        if (w == 100) { // one axis: the strips of x and xhat differ, and the axis is labelled
            const char *x = strstr(text, "x        "), *xh = strstr(text, "xhat     ");
            assert_non_null(x);
            assert_non_null(xh);
            assert_memory_not_equal(x + 9, xh + 9, 30);
            assert_non_null(strstr(text, "┼"));
        }
        grid_free(&g);
    }
    // the inspect cursor on a component of xhat: marked in every strip, and its values named
    assert_int_equal(graph_goto(&gr, "L0.ln1.norm"), 1);
    v.inspect = 1, v.col = 5;
    struct grid g;
    assert_int_equal(grid_init(&g, 100, 14), 0);
    panel_layernorm(&g, (struct rect){0, 0, 100, 14}, &v, 0);
    int marks = 0;
    for (int i = 0; i < 100 * 14; i++)
        marks += g.cells[i].style == SF_STYLE_SELECTED && g.cells[i].cp == '|';
    assert_true(marks >= 2);
    text[0] = 0;
    for (int y = 0; y < 14; y++)
        strcat(strcat(text, test_row_text(&g, y, line, sizeof line)), "\n");
    assert_non_null(strstr(text, "component 5: x "));
    // at the stats, its cell of the table
    assert_int_equal(graph_goto(&gr, "L0.ln1.stats"), 1);
    v.col = 1;
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_layernorm(&g, (struct rect){0, 0, 100, 14}, &v, 0);
    int sel = 0, sel_y = -1; // one cell, on the selected token's line (rows may be spaced)
    for (int i = 0; i < 100 * 14; i++)
        if (g.cells[i].style == SF_STYLE_SELECTED)
            sel++, sel_y = i / 100;
    assert_int_equal(sel, 9);
    char want[64];
    tokenizer_piece_str(&gr.model->tok, gr.ids[row], want, sizeof want);
    assert_non_null(strstr(test_row_text(&g, sel_y, line, sizeof line), want));
    grid_free(&g);
    graph_free(&gr);
}

// The residual panel names its columns in words (numbers) or with a key (colours), and writes
// the block's equation as the model places its norms: pre-norm for the textbook's model,
// post-norm for the notebook's.
static void test_panels_residual_columns_and_norm_placement(void **state)
{
    (void)state;
    char path[600], text[16000], line[400];
    const char *assets = getenv("SF_ASSETS");
    snprintf(path, sizeof path, "%s/models/notebook.sfm", assets ? assets : "assets");
    struct model notebook = {0};
    assert_int_equal(checkpoint_load(&notebook, path, NULL), 0);
    assert_int_equal(notebook.cfg.norm, NORM_POST);
    assert_int_equal(model.cfg.norm, NORM_PRE);
    struct model *models[2] = {&model, &notebook};
    int ids[5] = {3, 1, 4, 1, 5};
    for (int k = 0; k < 2; k++)
        for (int numbers = 0; numbers <= 1; numbers++) {
            struct graph gr = {0};
            assert_int_equal(graph_build(&gr, models[k], ids, 5, OP_IMPL_REF, NULL), 0);
            while (graph_step(&gr) == 1)
                ;
            struct grid g;
            assert_int_equal(grid_init(&g, 100, 24), 0);
            struct view v = {.graph = &gr, .row = 2, .layer = 0, .numbers = numbers};
            panel_residual(&g, (struct rect){0, 0, 100, 24}, &v, 0);
            text[0] = 0;
            for (int y = 0; y < 24; y++)
                strcat(strcat(text, test_row_text(&g, y, line, sizeof line)), "\n");
            if (numbers) {
                assert_non_null(strstr(text, "embed +attn  +ffn +attn  +ffn"));
                assert_non_null(strstr(text, "L0    L0    L1    L1"));
            } else {
                assert_non_null(strstr(text, "e 0a0f1a1f"));
                assert_non_null(strstr(text, "0a, 0f = after block 0 adds its attention"));
            }
            assert_non_null(strstr(text, k == 0 ? "pre-norm: h = x + Attn(LN(x))"
                                                : "post-norm: h = LN(x + Attn(x))"));
            grid_free(&g);
            graph_free(&gr);
        }
    model_free(&notebook);
}

// All heads of a GPT-2-shaped layer (12 heads) over 64 tokens: every head is drawn, labelled
// h0 .. h11, in the room of the main panel at 160 x 48 and zoomed; maps that cannot hold 64
// positions say how many each cell stands for.
static void test_panels_all_heads_of_a_gpt2_layer(void **state)
{
    (void)state;
    struct model_config c;
    model_config_gpt2(&c, 1, 12, 48, 100, 64);
    struct model m = {0};
    assert_int_equal(model_init(&m, &c, NULL), 0);
    model_init_random(&m, 7);
    int ids[64];
    for (int i = 0; i < 64; i++)
        ids[i] = (i * 37) % 100;
    struct graph gr = {0};
    assert_int_equal(graph_build(&gr, &m, ids, 64, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_goto(&gr, "L0.attn.softmax"), 1);
    struct view v = {.graph = &gr, .row = 63, .layer = 0, .head = -1, .numbers = 1};
    static const struct {
        int w, h;
        const char *golden;
    } sizes[] = {{71, 34, "all_heads_gpt2_71x34.txt"}, {160, 47, "all_heads_gpt2_160x47.txt"}};
    for (int k = 0; k < 2; k++) {
        struct grid g;
        assert_int_equal(grid_init(&g, sizes[k].w, sizes[k].h), 0);
        panel_attention_at(&g, (struct rect){0, 0, sizes[k].w, sizes[k].h}, &v, ROLE_ATTN_SOFTMAX,
                           0);
        test_check_golden(&g, sizes[k].golden);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        grid_dump(&g, f);
        fclose(f);
        for (int h = 0; h < 12; h++) {
            char want[8];
            snprintf(want, sizeof want, "h%d", h);
            assert_non_null(strstr(text, want));
        }
        assert_null(strstr(text, "more heads"));
        assert_non_null(strstr(text, "each cell") ? strstr(text, "positions") : text);
        free(text);
        grid_free(&g);
    }
    // zoomed, the maps are larger than in the main panel's room
    struct grid small, big;
    assert_int_equal(grid_init(&small, 71, 34), 0);
    assert_int_equal(grid_init(&big, 160, 47), 0);
    panel_attention_at(&small, (struct rect){0, 0, 71, 34}, &v, ROLE_ATTN_SOFTMAX, 0);
    panel_attention_at(&big, (struct rect){0, 0, 160, 47}, &v, ROLE_ATTN_SOFTMAX, 0);
    int heat_small = 0, heat_big = 0;
    for (size_t i = 0; i < (size_t)71 * 34; i++)
        heat_small += small.cells[i].style == SF_STYLE_HEAT;
    for (size_t i = 0; i < (size_t)160 * 47; i++)
        heat_big += big.cells[i].style == SF_STYLE_HEAT;
    assert_true(heat_big > heat_small);
    // the inspect cell is marked in head 0's map, whose entry the readout gives
    v.inspect = 1;
    v.col = 5;
    grid_clear(&small, SF_STYLE_NORMAL);
    panel_attention_at(&small, (struct rect){0, 0, 71, 34}, &v, ROLE_ATTN_SOFTMAX, 0);
    int marked = 0;
    for (size_t i = 0; i < (size_t)71 * 34; i++)
        marked += small.cells[i].style == SF_STYLE_SELECTED;
    assert_true(marked > 0);
    grid_free(&small);
    grid_free(&big);
    graph_free(&gr);
    model_free(&m);
}

// The grid as text (its golden form).
// A GPT-2-shaped model (12 layers, 12 heads) on 64 tokens, run through the last softmax.
static void gpt2_shaped(struct model *m, struct graph *gr)
{
    struct model_config c;
    model_config_gpt2(&c, 12, 12, 48, 100, 64);
    *m = (struct model){0};
    assert_int_equal(model_init(m, &c, NULL), 0);
    model_init_random(m, 7);
    int ids[64];
    for (int i = 0; i < 64; i++)
        ids[i] = (i * 37) % 100;
    *gr = (struct graph){0};
    assert_int_equal(graph_build(gr, m, ids, 64, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_goto(gr, "L11.attn.softmax"), 1);
}

// The model view of a GPT-2-shaped model: all 12 x 12 heads labelled L0 .. L11 and h0 .. h11
// at 200 x 60 (the zoomed panel) with nothing hidden; at 100 x 30 the layers that do not fit
// are counted and the window follows the selected layer; a click finds the map it is on.
static void test_panels_model_view_of_a_gpt2_model(void **state)
{
    (void)state;
    struct model m;
    struct graph gr;
    gpt2_shaped(&m, &gr);
    struct view v = {.graph = &gr, .row = 63, .layer = 1, .head = 3, .numbers = 1};
    struct grid g;
    assert_int_equal(grid_init(&g, 200, 59), 0);
    panel_model(&g, (struct rect){0, 0, 200, 59}, &v, 1);
    test_check_golden(&g, "model_gpt2_200x60.txt");
    char *text = test_grid_text(&g);
    for (int k = 0; k < 12; k++) {
        char lab[8];
        snprintf(lab, sizeof lab, "L%d ", k);
        assert_non_null(strstr(text, lab));
        snprintf(lab, sizeof lab, "h%d", k);
        assert_non_null(strstr(text, lab));
    }
    assert_null(strstr(text, "more"));
    assert_null(strstr(text, "→"));
    free(text);
    int l = -1, h = -1, hits = 0;
    for (int y = 0; y < 59; y++)
        for (int x = 0; x < 200; x++)
            if (panel_model_hit((struct rect){0, 0, 200, 59}, &v, x, y, &l, &h)) {
                hits++;
                assert_true(l >= 0 && l < 12 && h >= 0 && h < 12);
                if (g.cells[(size_t)y * 200 + x].style == SF_STYLE_HEAT)
                    continue;
                fail_msg("a click at (%d, %d) off the maps found L%d h%d", x, y, l, h);
            }
    assert_true(hits >= 144);
    grid_free(&g);
    // in the main place of a 200 x 60 screen (the attention and head view beside it) too
    struct layout lay;
    layout_compute(&lay, 200, 60, -1, PANEL_MODEL);
    assert_true(lay.shown[PANEL_MODEL] && lay.shown[PANEL_ATTENTION]);
    assert_int_equal(grid_init(&g, 200, 60), 0);
    panel_model(&g, lay.panel[PANEL_MODEL], &v, 1);
    text = test_grid_text(&g);
    assert_non_null(strstr(text, "L11 "));
    assert_non_null(strstr(text, "h11"));
    assert_null(strstr(text, "more"));
    assert_null(strstr(text, "→"));
    free(text);
    grid_free(&g);
    // at 100 x 30 (the panel zoomed at 100 x 30, 80 x 24 too small for 12 layers): counts
    for (int k = 0; k < 2; k++) {
        int w = k ? 80 : 100, hh = k ? 23 : 29;
        v.layer = 11;
        assert_int_equal(grid_init(&g, w, hh), 0);
        panel_model(&g, (struct rect){0, 0, w, hh}, &v, 1);
        if (!k)
            test_check_golden(&g, "model_gpt2_100x30.txt");
        text = test_grid_text(&g);
        assert_non_null(strstr(text, "L11 ")); // the selected layer is in view
        if (k)
            assert_non_null(strstr(text, "↑ "));
        free(text);
        grid_free(&g);
    }
    graph_free(&gr);
    model_free(&m);
}

// The head view of a GPT-2-shaped layer: 12 heads side by side for the last of 64 tokens; the
// 64 keys that do not fit are counted, the bars are the softmax's numbers; reversed, the
// queries that see token 0. Heads that do not fit are counted too.
static void test_panels_head_view_of_12_heads_and_64_tokens(void **state)
{
    (void)state;
    struct model m;
    struct graph gr;
    gpt2_shaped(&m, &gr);
    struct view v = {.graph = &gr,
                     .row = 63,
                     .layer = 5,
                     .head = -1,
                     .numbers = 1,
                     .find_query = -1,
                     .find_key = -1};
    static const struct {
        int w, h, reverse;
        const char *golden;
    } sizes[] = {{100, 29, 0, "heads_gpt2_100x30.txt"},
                 {200, 59, 0, "heads_gpt2_200x60.txt"},
                 {100, 29, 1, "heads_gpt2_reverse_100x30.txt"},
                 {60, 20, 0, NULL}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        struct grid g;
        assert_int_equal(grid_init(&g, sizes[k].w, sizes[k].h), 0);
        v.heads_reverse = sizes[k].reverse;
        v.row = sizes[k].reverse ? 0 : 63;
        v.head = sizes[k].golden ? -1 : 11;
        panel_heads(&g, (struct rect){0, 0, sizes[k].w, sizes[k].h}, &v, 1);
        if (sizes[k].golden)
            test_check_golden(&g, sizes[k].golden);
        char *text = test_grid_text(&g);
        assert_non_null(strstr(text, "of 64")); // the rows not shown are counted
        if (sizes[k].golden) {
            assert_non_null(strstr(text, "h11"));
        } else { // 12 heads do not fit in 60 columns: the selected one shows, the rest counted
            assert_non_null(strstr(text, "h11"));
            assert_non_null(strstr(text, "← "));
        }
        free(text);
        grid_free(&g);
    }
    graph_free(&gr);
    model_free(&m);
}

// The head finder on a GPT-2-shaped model: 144 heads ranked, largest alpha first with the
// softmax's numbers; the ranks that do not fit are counted and the window follows the
// selected rank; halfway through the pass the layers not run are named, and a key after the
// query is said to be masked.
static void test_panels_finder_ranks_every_head(void **state)
{
    (void)state;
    struct model m;
    struct graph gr;
    gpt2_shaped(&m, &gr);
    struct finder_rank r[144];
    int missing = -1, n = panel_finder_rank(&gr, 40, 3, r, 144, &missing);
    assert_int_equal(n, 144);
    assert_int_equal(missing, 0);
    for (int k = 0; k < n; k++) {
        int idx = graph_find_role(&gr, r[k].layer, ROLE_ATTN_SOFTMAX);
        const float *a = gr.nodes[idx].out.data;
        assert_float_equal(r[k].alpha, a[((size_t)r[k].head * 64 + 40) * 64 + 3], 1e-7);
        if (k)
            assert_true(r[k].alpha <= r[k - 1].alpha);
    }
    struct view v = {
        .graph = &gr, .row = 40, .find_query = 40, .find_key = 3, .find_sel = 100, .numbers = 1};
    struct grid g;
    assert_int_equal(grid_init(&g, 100, 29), 0);
    panel_finder(&g, (struct rect){0, 0, 100, 29}, &v, 1);
    test_check_golden(&g, "finder_gpt2_100x30.txt");
    char *text = test_grid_text(&g), want[32];
    snprintf(want, sizeof want, "101  L%d h%d ", r[100].layer, r[100].head);
    assert_non_null(strstr(text, want)); // the selected rank is in view
    assert_non_null(strstr(text, "of 144"));
    free(text);
    // a key after the query
    v.find_key = 50;
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_finder(&g, (struct rect){0, 0, 100, 29}, &v, 1);
    text = test_grid_text(&g);
    assert_non_null(strstr(text, "masked, α is 0 in every head"));
    free(text);
    graph_free(&gr);
    // halfway: L6 .. L11 have not run
    struct graph half = {0};
    int ids[64];
    for (int i = 0; i < 64; i++)
        ids[i] = (i * 37) % 100;
    assert_int_equal(graph_build(&half, &m, ids, 64, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_goto(&half, "L5.attn.softmax"), 1);
    assert_int_equal(panel_finder_rank(&half, 40, 3, r, 144, &missing), 72);
    assert_int_equal(missing, 6);
    v = (struct view){.graph = &half, .row = 40, .find_query = 40, .find_key = 3, .numbers = 1};
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_finder(&g, (struct rect){0, 0, 100, 29}, &v, 1);
    text = test_grid_text(&g);
    assert_non_null(strstr(text, "L6–L11 have not run yet"));
    free(text);
    grid_free(&g);
    graph_free(&half);
    model_free(&m);
}

// A table cell never holds a number cut into another or run into its neighbour: large values
// lose decimals, then take an exponent ("1.2e6"); the hidden columns and rows are counted.
static void number_cell(const void *ctx, int i, int j, struct table_cell *c)
{
    static const float big[] = {-12345.6f, 1234567.0f, -0.5f};
    (void)ctx;
    (void)i;
    c->kind = TABLE_NUMBER;
    c->value = big[j % 3];
    c->style = SF_STYLE_NUMBER;
}

static void test_panels_table_numbers_and_hidden_counts(void **state)
{
    (void)state;
    struct grid g;
    assert_int_equal(grid_init(&g, 30, 5), 0);
    struct table t = {.rows = 10,
                      .cols = 9,
                      .cell_w = 6,
                      .label_w = 0,
                      .sel_row = -1,
                      .keep_col = -1,
                      .cur_row = -1,
                      .cur_col = -1,
                      .cell = number_cell};
    panel_table(&g, (struct rect){0, 0, 30, 5}, &t);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    grid_dump(&g, f);
    fclose(f);
    assert_non_null(strstr(text, " -1e4"));  // -12345.6
    assert_non_null(strstr(text, " 1.2e6")); // 1234567
    assert_null(strstr(text, "-12346"));     // a cut number
    assert_non_null(strstr(text, "+5 →"));   // 4 of 9 columns
    assert_non_null(strstr(text, "rows 1–3 of 10  ↓ 7 more"));
    free(text);
    grid_free(&g);
}

// The grid's text (malloc'd).
// The worked panel of a scaled example with W^Q, W^K, W^V (lesson 4's form): every table where
// there is room, the cells grown on a large panel; on a small one the tables left out counted
// by name, numbers never cut; on an ASCII terminal no symbol outside ASCII; the selected row
// highlighted.
static void test_panels_worked_example(void **state)
{
    (void)state;
    static const char text[] = "# T\n"
                               "@worked tokens the keys to cabinet\n"
                               "@worked x 0.5 -1 2 | 1.5 0.25 -0.75 | -2 1 0.5 | 0 3 -1\n"
                               "@worked wq 1 0 | 0.5 -1 | 2 1\n"
                               "@worked wk 0 1 | 1 1 | -1 0.5\n"
                               "@worked wv 1 2 0.5 | -1 0 1 | 0.25 0.5 -2\n"
                               "@worked scale on\n"
                               "Text.\n";
    struct lesson l;
    struct lesson_diags d;
    lesson_diags_init(&d, "t.md");
    assert_int_equal(lesson_parse(&l, "t.md", text, strlen(text), NULL, NULL, &d), 0);
    struct view v = {.row = 3, .numbers = 1, .worked = l.beats[0].worked};
    static const struct {
        int w, h, all;
        const char *golden;
    } sizes[] = {{160, 30, 1, "worked_scaled_160x30.txt"},
                 {80, 14, 0, "worked_scaled_80x14.txt"},
                 {40, 8, 0, "worked_scaled_40x8.txt"}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        struct grid g;
        assert_int_equal(grid_init(&g, sizes[k].w, sizes[k].h), 0);
        panel_worked(&g, (struct rect){0, 0, sizes[k].w, sizes[k].h}, &v, 0);
        char *shown = test_grid_text(&g);
        assert_true(sizes[k].all == !strstr(shown, "more not shown:"));
        if (sizes[k].all) {
            assert_non_null(strstr(shown, "q_i = x_i W^Q"));
            assert_non_null(strstr(shown, "score / √d_k (d_k 2), mask"));
            assert_non_null(strstr(shown, "a_i = Σ α_ij v_j"));
        }
        // the selected row's label is highlighted
        int current = 0;
        for (int i = 0; i < g.w * g.h; i++)
            current += g.cells[i].style == SF_STYLE_CURRENT;
        assert_true(current > 0);
        test_check_golden(&g, sizes[k].golden);
        free(shown);
        g.ascii = 1;
        grid_clear(&g, SF_STYLE_NORMAL);
        panel_worked(&g, (struct rect){0, 0, sizes[k].w, sizes[k].h}, &v, 0);
        for (int i = 0; i < g.w * g.h; i++)
            assert_true(g.cells[i].cp < 128);
        grid_free(&g);
    }
    // '@worked show score': the steps up to the scores, and the ones to come named
    struct lesson l2;
    static const char upto[] = "# T\n@worked x 1 0 | 0 1 | 1 1\n@worked show score\nText.\n";
    assert_int_equal(lesson_parse(&l2, "t.md", upto, strlen(upto), NULL, NULL, &d), 0);
    v.worked = l2.beats[0].worked;
    struct grid g2;
    assert_int_equal(grid_init(&g2, 80, 10), 0);
    panel_worked(&g2, (struct rect){0, 0, 80, 10}, &v, 0);
    char *upto_shown = test_grid_text(&g2);
    assert_non_null(strstr(upto_shown, "score x_i · x_j"));
    assert_null(strstr(upto_shown, "softmax"));
    assert_non_null(strstr(upto_shown, "2 steps to come: α a"));
    free(upto_shown);
    grid_free(&g2);
    lesson_free(&l2);
    // with no example it says so
    struct grid g;
    assert_int_equal(grid_init(&g, 60, 4), 0);
    v.worked = NULL;
    panel_worked(&g, (struct rect){0, 0, 60, 4}, &v, 0);
    char *shown = test_grid_text(&g);
    assert_non_null(strstr(shown, "no worked example here"));
    free(shown);
    grid_free(&g);
    lesson_free(&l);
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

// The whole grid as text (grid_dump), in a malloc'd string.
static char *grid_text_all(const struct grid *g)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    grid_dump(g, f);
    fclose(f);
    return buf;
}

// A model with its own unembedding U (not tied to E) shows u = h U at head.logits, and the
// inspect cursor names U, never E^T.
static void test_panels_equation_of_an_untied_head(void **state)
{
    (void)state;
    struct model_config c;
    model_config_textbook(&c, 1, 2, 8, 12, 16);
    c.tied = 0;
    struct model m = {0};
    assert_int_equal(model_init(&m, &c, NULL), 0);
    model_init_random(&m, 5);
    int ids[3] = {3, 1, 4};
    struct graph gr = {0};
    assert_int_equal(graph_build(&gr, &m, ids, 3, OP_IMPL_REF, NULL), 0);
    assert_true(graph_goto(&gr, "head.logits") >= 0);
    assert_int_equal(graph_last(&gr)->role, ROLE_HEAD_LOGITS_UNTIED);
    struct grid g;
    assert_int_equal(grid_init(&g, 100, 7), 0);
    struct view v = {.graph = &gr, .row = 2, .numbers = 1};
    panel_equation(&g, (struct rect){0, 0, 100, 7}, &v, 0);
    char *text = grid_text_all(&g);
    assert_non_null(strstr(text, "u = h U"));
    assert_null(strstr(text, "E^T"));
    free(text);
    v.inspect = 1, v.col = 5;
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_equation(&g, (struct rect){0, 0, 100, 7}, &v, 0);
    text = grid_text_all(&g);
    assert_non_null(strstr(text, "h_2 · U[:, w]"));
    free(text);
    grid_free(&g);
    graph_free(&gr);
    model_free(&m);
}

// The next-token panel at head.probs with sampling settings in force: at the last position
// the distribution sampled from beside y; at another position y, with a note that sampling
// draws at the last one; a footer that does not fit says how many of its lines are hidden.
static void test_panels_next_token_sampled_and_hidden_lines(void **state)
{
    (void)state;
    int ids[64], n = 0;
    assert_int_equal(
        tokenizer_encode(&model.tok, "so long and thanks for all the", ids, 64, &n, NULL), 0);
    struct sampler s;
    sampler_init(&s, 0, 2.0f, 0, 0.9f, 1);
    struct graph gr = {0};
    assert_int_equal(graph_build_generate(&gr, &model, ids, n, OP_IMPL_REF, &s, NULL), 0);
    assert_int_equal(graph_run_to_end(&gr), 1);
    const float *renorm = gr.nodes[graph_find(&gr, "sample.renorm")].out.data;
    int kept = 0;
    for (int t = 0; t < model.cfg.vocab_size; t++)
        kept += renorm[t] > 0;
    assert_true(graph_goto(&gr, "head.probs") >= 0);
    struct next_token_aux aux = {.sampled = renorm, .kept = kept};
    struct view v = {.graph = &gr, .row = n - 1, .numbers = 1, .sampler = &s, .next = &aux};
    struct grid g;
    assert_int_equal(grid_init(&g, 70, 12), 0);
    panel_next_token(&g, (struct rect){0, 0, 70, 12}, &v, 0);
    char *text = grid_text_all(&g), want[64];
    assert_non_null(strstr(text, "  y τ=1       p"));
    snprintf(want, sizeof want, "keeps %d", kept);
    assert_non_null(strstr(text, want));
    free(text);
    v.row = 2;
    grid_clear(&g, SF_STYLE_NORMAL);
    panel_next_token(&g, (struct rect){0, 0, 70, 12}, &v, 0);
    text = grid_text_all(&g);
    assert_null(strstr(text, "y τ=1"));
    assert_non_null(strstr(text, "sampling (τ 2.0) draws at position 6 only"));
    free(text);
    // 30 columns: p stays and u goes; five lines: the list keeps two, the footer's line counts
    // what it hides
    v.row = n - 1;
    grid_free(&g);
    assert_int_equal(grid_init(&g, 30, 5), 0);
    panel_next_token(&g, (struct rect){0, 0, 30, 5}, &v, 0);
    text = grid_text_all(&g);
    assert_non_null(strstr(text, "token        y τ=1       p"));
    assert_non_null(strstr(text, "… +2 lines: z zooms"));
    free(text);
    grid_free(&g);
    graph_free(&gr);
}

// Greedy decoding: sample.draw shows the argmax and says no random number is involved.
static void test_panels_greedy_draw_is_the_argmax(void **state)
{
    (void)state;
    int ids[64], n = 0;
    assert_int_equal(
        tokenizer_encode(&model.tok, "so long and thanks for all the", ids, 64, &n, NULL), 0);
    struct sampler s;
    sampler_init(&s, 1, 1.0f, 0, 1.0f, 1);
    struct graph gr = {0};
    assert_int_equal(graph_build_generate(&gr, &model, ids, n, OP_IMPL_REF, &s, NULL), 0);
    assert_true(graph_goto(&gr, "sample.draw") >= 0);
    const float *p = gr.nodes[graph_find(&gr, "sample.renorm")].out.data;
    int best = 0;
    for (int t = 1; t < model.cfg.vocab_size; t++)
        best = p[t] > p[best] ? t : best;
    assert_int_equal(gr.drawn, best);
    struct grid g;
    assert_int_equal(grid_init(&g, 80, 20), 0);
    struct view v = {.graph = &gr, .row = n - 1, .numbers = 1, .sampler = &s};
    panel_next_token(&g, (struct rect){0, 0, 80, 20}, &v, 0);
    char *text = grid_text_all(&g), want[96], piece[32];
    tokenizer_piece_str(&model.tok, best, piece, sizeof piece);
    snprintf(want, sizeof want, "w = argmax p = '%s' (p %.4f): no random number", piece,
             (double)p[best]);
    assert_non_null(strstr(text, want));
    free(text);
    grid_free(&g);
    graph_free(&gr);
}

// The badge lists each head switched off, a whole layer as one, the positions; too many to
// list are counted.
static void test_panels_intervention_badge(void **state)
{
    (void)state;
    int ids[3] = {1, 2, 3};
    struct graph gr = {0};
    assert_int_equal(graph_build(&gr, &model, ids, 3, OP_IMPL_REF, NULL), 0);
    int L = model.cfg.n_layer, H = model.cfg.n_head;
    unsigned char *off = calloc((size_t)L * H, 1);
    char b[64];
    struct intervention iv = {off, 0};
    graph_set_intervention(&gr, &iv);
    assert_int_equal(panel_intervention_badge(&gr, b, sizeof b), 0);
    off[1 * H + 3] = 1;
    graph_set_intervention(&gr, &iv);
    panel_intervention_badge(&gr, b, sizeof b);
    assert_string_equal(b, "L1 h3 off");
    memset(off + 1 * H, 1, (size_t)H);
    off[0] = 1;
    iv.no_positions = 1;
    graph_set_intervention(&gr, &iv);
    panel_intervention_badge(&gr, b, sizeof b);
    assert_string_equal(b, "L0 h0 off, L1 all heads off, no positions");
    char small[40], smaller[30];
    panel_intervention_badge(&gr, small, sizeof small);
    assert_string_equal(small, "5 heads off in 2 layers, no positions");
    panel_intervention_badge(&gr, smaller, sizeof smaller);
    assert_string_equal(smaller, "5 heads off, no positions");
    free(off);
    graph_free(&gr);
}

// The panel each role is shown in, written out here independently of the role table.
static enum panel_id expected_panel(enum node_role r)
{
    switch (r) {
    case ROLE_EMBED_TOK:
    case ROLE_EMBED_POS_LEARNED:
    case ROLE_EMBED_POS_SINUSOIDAL:
    case ROLE_ATTN_CONCAT:
    case ROLE_ATTN_PROJ:
        return PANEL_ACTIVATIONS;
    case ROLE_RESID1:
    case ROLE_RESID2:
        return PANEL_RESIDUAL;
    case ROLE_LN1_STATS:
    case ROLE_LN1_NORM:
    case ROLE_LN1_AFFINE:
    case ROLE_LN2_STATS:
    case ROLE_LN2_NORM:
    case ROLE_LN2_AFFINE:
    case ROLE_LNF_STATS:
    case ROLE_LNF_NORM:
    case ROLE_LNF_AFFINE:
        return PANEL_LAYERNORM;
    case ROLE_ATTN_Q:
    case ROLE_ATTN_K:
    case ROLE_ATTN_V:
    case ROLE_ATTN_MIX:
        return PANEL_QKV;
    case ROLE_ATTN_SCORES:
    case ROLE_ATTN_SCALE:
    case ROLE_ATTN_MASK:
    case ROLE_ATTN_SOFTMAX:
        return PANEL_ATTENTION;
    case ROLE_FFN_UP:
    case ROLE_FFN_RELU:
    case ROLE_FFN_GELU:
    case ROLE_FFN_DOWN:
        return PANEL_FFN;
    case ROLE_HEAD_LOGITS_TIED:
    case ROLE_HEAD_LOGITS_UNTIED:
    case ROLE_HEAD_PROBS:
    case ROLE_SAMPLE_TEMPERATURE:
    case ROLE_SAMPLE_PROBS:
    case ROLE_SAMPLE_TRUNCATE:
    case ROLE_SAMPLE_RENORM:
    case ROLE_SAMPLE_DRAW:
    case ROLE_SAMPLE_APPEND:
        return PANEL_NEXT_TOKEN;
    case ROLE_LOSS_XENT:
    case ROLE_GRAD:
    case ROLE_ADAMW:
        return PANEL_TRAINING;
    case ROLE_COUNT:
        break;
    }
    fail_msg("role %d has no panel", (int)r);
    return PANEL_COUNT;
}

static void check_focus_one_switch(struct model_config *c, void *ctx)
{
    (void)ctx;
    int ids[6] = {1, 2, 3, 4, 5, 6}, targets[6] = {2, 3, 4, 5, 6, 7};
    struct model m = {0};
    assert_int_equal(model_init(&m, c, NULL), 0);
    model_init_random(&m, 3);
    struct sampler s;
    sampler_init(&s, 1, 1.0f, 0, 1.0f, 1);
    struct adamw_params hp = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f};
    struct optimizer opt;
    assert_int_equal(optimizer_init(&opt, &m, &hp), 0);
    struct graph g[3] = {{0}};
    assert_int_equal(graph_build(&g[0], &m, ids, 5, OP_IMPL_FAST, NULL), 0);
    assert_int_equal(graph_build_generate(&g[1], &m, ids, 5, OP_IMPL_FAST, &s, NULL), 0);
    assert_int_equal(graph_build_train(&g[2], &m, ids, targets, 6, 3, OP_IMPL_FAST, &opt, NULL), 0);
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < g[k].n_nodes; i++) {
            struct node nameless = g[k].nodes[i];
            nameless.name[0] = 0;
            if (layout_focus(&g[k].nodes[i]) != expected_panel(nameless.role) ||
                layout_focus(&nameless) != expected_panel(nameless.role))
                fail_msg("%s is shown in panel %d, without its name in %d; its role's is %d",
                         g[k].nodes[i].name, (int)layout_focus(&g[k].nodes[i]),
                         (int)layout_focus(&nameless), (int)expected_panel(nameless.role));
        }
        graph_free(&g[k]);
    }
    optimizer_free(&opt);
    model_free(&m);
}

// The panel that shows a node follows from its role (not its name), for every node of every
// graph kind and every combination of the model switches.
static void test_panels_focus_follows_the_role(void **state)
{
    (void)state;
    struct model_config base;
    model_config_textbook(&base, 2, 3, 24, 37, 16);
    base.d_ff = 40;
    assert_int_equal(test_for_each_switch(&base, check_focus_one_switch, NULL), 96);
    assert_int_equal(layout_focus(NULL), PANEL_TOKENS);
}

typedef void (*panel_fn)(struct grid *g, struct rect r, const struct view *v, int selected);

// Draws one panel for the graph and for its copy whose node names have '_' for '.', and fails
// unless the two screens match cell for cell once '_' reads as '.' in both: a panel that
// found or recognised a node by its name would draw something else.
static void same_without_names(panel_fn fn, const char *what, struct view *v,
                               const struct graph *renamed)
{
    struct grid a, b;
    assert_int_equal(grid_init(&a, 150, 14), 0);
    assert_int_equal(grid_init(&b, 150, 14), 0);
    struct rect r = {0, 0, 150, 14};
    fn(&a, r, v, 0);
    struct view w = *v;
    w.graph = renamed;
    fn(&b, r, &w, 0);
    for (int k = 0; k < a.w * a.h; k++) {
        struct cell x = a.cells[k], y = b.cells[k];
        x.cp = x.cp == '_' ? '.' : x.cp;
        y.cp = y.cp == '_' ? '.' : y.cp;
        if (memcmp(&x, &y, sizeof x) != 0)
            fail_msg("the %s panel after %s differs at row %d, column %d without the names", what,
                     graph_last(v->graph)->name, k / a.w, k % a.w);
    }
    grid_free(&a);
    grid_free(&b);
}

// Steps through every node of g and draws the panels at each, with and without the names.
static void walk_without_names(struct graph *g)
{
    struct graph renamed = *g;
    renamed.nodes = malloc(sizeof *g->nodes * (size_t)g->n_nodes);
    assert_non_null(renamed.nodes);
    memcpy(renamed.nodes, g->nodes, sizeof *g->nodes * (size_t)g->n_nodes);
    for (int i = 0; i < g->n_nodes; i++)
        for (char *c = renamed.nodes[i].name; *c; c++)
            *c = *c == '.' ? '_' : *c;
    static const struct {
        panel_fn fn;
        const char *what;
    } panels[] = {{panel_equation, "equation"},
                  {panel_attention, "attention"},
                  {panel_layernorm, "layernorm"},
                  {panel_residual, "residual"},
                  {panel_ffn, "ffn"},
                  {panel_qkv, "qkv"},
                  {panel_next_token, "next-token"},
                  {panel_training, "training"},
                  {panel_timeline, "timeline"}};
    for (int i = 0; i < g->n_nodes; i++) {
        assert_int_equal(graph_step(g), 1);
        struct node *nodes = renamed.nodes; // the rest follows g: cursor, loss, drawn token
        renamed = *g;
        renamed.nodes = nodes;
        const struct node *n = graph_last(g);
        struct view v = {.graph = g,
                         .row = g->n_tokens - 1,
                         .layer = n->layer < 0 ? 0 : n->layer,
                         .head = 1,
                         .numbers = 1,
                         .loss_before = 2.5f,
                         .loss_after = 2.25f};
        for (size_t k = 0; k < sizeof panels / sizeof panels[0]; k++)
            same_without_names(panels[k].fn, panels[k].what, &v, &renamed);
        v.head = -1, v.numbers = 0;
        same_without_names(panel_attention, "attention (all heads)", &v, &renamed);
        v.inspect = 1, v.head = 1, v.row = 1, v.col = 2;
        same_without_names(panel_equation, "equation (inspect)", &v, &renamed);
    }
    free(renamed.nodes);
}

// The panels draw the same with the node names changed: they read roles. Pre-norm (the
// textbook model) and post-norm without a final norm (the notebook's), training and generation.
static void test_panels_read_roles_not_names(void **state)
{
    (void)state;
    char path[600];
    const char *assets = getenv("SF_ASSETS");
    snprintf(path, sizeof path, "%s/models/notebook.sfm", assets ? assets : "assets");
    struct model notebook = {0};
    assert_int_equal(checkpoint_load(&notebook, path, NULL), 0);
    struct model *models[2] = {&model, &notebook};
    int ids[5] = {3, 1, 4, 1, 5};
    for (int k = 0; k < 2; k++) {
        struct adamw_params hp = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f};
        struct optimizer opt;
        assert_int_equal(optimizer_init(&opt, models[k], &hp), 0);
        struct graph g = {0};
        assert_int_equal(
            graph_build_train(&g, models[k], ids, ids + 1, 4, 4, OP_IMPL_REF, &opt, NULL), 0);
        walk_without_names(&g);
        graph_free(&g);
        optimizer_free(&opt);
        struct sampler s;
        sampler_init(&s, 0, 0.8f, 5, 0.9f, 7);
        assert_int_equal(graph_build_generate(&g, models[k], ids, 5, OP_IMPL_REF, &s, NULL), 0);
        walk_without_names(&g);
        graph_free(&g);
    }
    model_free(&notebook);
}

int main(void)
{
    // Graph outputs are not zeroed: a panel that read one before its op ran would show NaN.
    arena_debug_fill(0xff);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_panels_tokens_strip),
        cmocka_unit_test(test_panels_tokens_strip_scrolls_to_the_selection),
        cmocka_unit_test(test_panels_timeline_around_the_cursor),
        cmocka_unit_test(test_panels_attention_stages),
        cmocka_unit_test(test_panels_layernorm_strips_share_an_axis),
        cmocka_unit_test(test_panels_residual_columns_and_norm_placement),
        cmocka_unit_test(test_panels_all_heads_of_a_gpt2_layer),
        cmocka_unit_test(test_panels_table_numbers_and_hidden_counts),
        cmocka_unit_test(test_panels_next_token_distribution),
        cmocka_unit_test(test_panels_equation_of_an_untied_head),
        cmocka_unit_test(test_panels_next_token_sampled_and_hidden_lines),
        cmocka_unit_test(test_panels_greedy_draw_is_the_argmax),
        cmocka_unit_test(test_panels_intervention_badge),
        cmocka_unit_test(test_panels_focus_follows_the_role),
        cmocka_unit_test(test_panels_read_roles_not_names),
        cmocka_unit_test(test_panels_model_view_of_a_gpt2_model),
        cmocka_unit_test(test_panels_head_view_of_12_heads_and_64_tokens),
        cmocka_unit_test(test_panels_finder_ranks_every_head),
        cmocka_unit_test(test_panels_worked_example),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
