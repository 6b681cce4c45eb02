// Whole screens for every op: each op, when it runs, draws its own output as the main panel, at
// the sizes a classroom uses (80×24 over SSH to 200×60 on a projector), for the forward pass
// with greedy choice and with sampling, and for the training iteration; on the normal screen and
// in the presenter view.
#include <regex.h>
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
#include "stepformer/app.h"
#include "stepformer/screen.h"

// The text of the rectangle r of g below its title line, one line per row (UTF-8).
static char *rect_text(const struct grid *g, struct rect r)
{
    size_t size = (size_t)r.w * (size_t)r.h * 4 + (size_t)r.h + 1, o = 0;
    char *buf = malloc(size);
    assert_non_null(buf);
    for (int y = r.y + 1; y < r.y + r.h; y++) {
        for (int x = r.x; x < r.x + r.w; x++) {
            uint32_t cp = g->cells[(size_t)y * (size_t)g->w + (size_t)x].cp;
            if (cp < 0x80) {
                buf[o++] = (char)cp;
            } else if (cp < 0x800) {
                buf[o++] = (char)(0xc0 | cp >> 6), buf[o++] = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                buf[o++] = (char)(0xe0 | cp >> 12), buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                buf[o++] = (char)(0x80 | (cp & 0x3f));
            } else {
                buf[o++] = (char)(0xf0 | cp >> 18), buf[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
                buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                buf[o++] = (char)(0x80 | (cp & 0x3f));
            }
        }
        buf[o++] = '\n';
    }
    buf[o] = '\0';
    return buf;
}

// The numbers in a panel's text: decimals, integers of two digits or more, and −∞.
static int count_numbers(const char *text)
{
    static regex_t re;
    static int compiled;
    if (!compiled) {
        assert_int_equal(regcomp(&re, "(-|−)?[0-9]+\\.[0-9]+|[0-9][0-9]+|−∞|-inf", REG_EXTENDED),
                         0);
        compiled = 1;
    }
    int n = 0;
    regmatch_t m;
    for (const char *p = text; regexec(&re, p, 1, &m, 0) == 0 && m.rm_eo > 0; p += m.rm_eo)
        n++;
    return n;
}

// 1 when a panel's text says that part of it is hidden: a count ("+3 →", "← 2", "12 more",
// "rows 1–20 of 64", "first 4 of 64", "⋮ 10 bins above").
static int says_hidden(const char *text)
{
    static regex_t re;
    static int compiled;
    if (!compiled) {
        assert_int_equal(
            regcomp(&re, "\\+[0-9]+|← [0-9]+|[0-9]+ [a-z ]*(more|above|below|hidden)|of [0-9]+",
                    REG_EXTENDED),
            0);
        compiled = 1;
    }
    return regexec(&re, text, 0, NULL, 0) == 0;
}

// The main panel drawn into the screen's rectangle shows fewer numbers than the same panel given
// a very large one: then it must say so. 1 on a failure (printed).
static int check_complete(const struct screen_state *s, const char *shown, const char *op, int w,
                          int h)
{
    struct grid big;
    assert_int_equal(grid_init(&big, 400, 200), 0);
    screen_draw_panel(&big, s->main, (struct rect){0, 0, 400, 200}, &s->view, 1);
    char *all = rect_text(&big, (struct rect){0, 0, 400, 200});
    int have = count_numbers(shown), want = count_numbers(all), bad = 0;
    if (have < want && !says_hidden(shown)) {
        print_message("%dx%d %s: the %s panel shows %d of its %d numbers and does not say so\n", w,
                      h, op, panel_name(s->main), have, want);
        bad = 1;
    }
    free(all);
    grid_free(&big);
    return bad;
}

// The cells of the rectangle r of g below its title line (characters, styles and colours).
static struct cell *rect_cells(const struct grid *g, struct rect r, size_t *n)
{
    *n = (size_t)r.w * (size_t)(r.h - 1);
    struct cell *c = malloc(*n * sizeof *c + 1);
    assert_non_null(c);
    for (int y = r.y + 1, k = 0; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++, k++)
            c[k] = g->cells[(size_t)y * (size_t)g->w + (size_t)x];
    return c;
}

enum pass_kind { PASS_GREEDY, PASS_SAMPLING, PASS_TRAINING, PASS_GPT2 };
static const char *const pass_names[] = {"forward (greedy)", "forward (sampling)", "training",
                                         "GPT-2 layout, 28 BPE tokens"};

// Sampling at temperature 2 with top-p 0.9, set as a user does: `s`, then the settings box.
static void set_sampling(struct app *a)
{
    app_key(a, 's');
    assert_int_equal(a->mode, APP_MODE_SAMPLING);
    app_key(a, SF_KEY_RIGHT); // greedy -> sampling
    app_key(a, SF_KEY_DOWN);  // temperature
    for (const char *p = "2\n"; *p; p++)
        app_key(a, *p);
    app_key(a, SF_KEY_DOWN); // top-k
    app_key(a, SF_KEY_DOWN); // top-p
    for (const char *p = "0.9\n"; *p; p++)
        app_key(a, *p);
    app_key(a, SF_KEY_ENTER);
    assert_int_equal(a->mode, APP_MODE_NORMAL);
    assert_false(a->sampler.greedy);
    assert_true(a->sampler.temperature > 1.99f && a->sampler.temperature < 2.01f);
    assert_true(a->sampler.top_p > 0.89f && a->sampler.top_p < 0.91f);
}

// Steps through every op of one pass at one size; each op's main panel (below its title) must
// differ from the one the op before drew. present: in the presenter view, where the main panel
// must also be the one large panel (the whole width, no op list); product: with w on (X · W = Y
// at the projections). Failures are counted and named, not fatal, so one run lists them all.
static int check_pass(enum pass_kind kind, int numbers, int present, int w, int h, int product)
{
    struct app a;
    struct app_options o = {
        .model_path = test_model_path, .prompt = "so long and thanks for all the", .reference = 1};
    char gpt2[600], gpt2_tok[600];
    if (kind == PASS_GPT2) { // llm.c's files: a BPE tokenizer, a padded vocabulary, 28 tokens
        o.model_path = test_data_path(gpt2, sizeof gpt2, "gpt2_tiny.bin");
        o.tokenizer_path = test_data_path(gpt2_tok, sizeof gpt2_tok, "gpt2_tiny_tokenizer.bin");
        o.prompt = "the quick brown fox jumps over the dog";
    }
    struct sf_diag d;
    assert_int_equal(app_init(&a, &o, &d), 0);
    a.width = w;
    a.height = h;
    a.view.numbers = numbers;
    a.view.product = product; // w: projections as X · W = Y
    if (kind == PASS_SAMPLING)
        set_sampling(&a);
    if (kind == PASS_TRAINING)
        app_key(&a, 't');
    app_key(&a, SF_KEY_HOME);
    if (present)
        app_key(&a, 'F');
    struct grid g;
    assert_int_equal(grid_init(&g, w, h), 0);
    char before_name[64] = "nothing";
    struct cell *before;
    size_t n_before, n_now;
    int failures = 0;
    const struct graph *graph = app_graph(&a);
    struct screen_state s;
    app_screen(&a, &s);
    screen_draw(&g, &s);
    before = rect_cells(&g, s.layout.panel[s.main], &n_before); // before the first op
    for (int steps = 0; graph->cursor < graph->n_nodes; steps++) {
        if (steps == 2 * graph->n_nodes)
            fail_msg("%s: Space never reached the end of the pass", pass_names[kind]);
        app_key(&a, ' ');
        test_finish(&a);
        graph = app_graph(&a);
        const struct node *n = graph_last(graph);
        test_finish(&a); // the logit lens fills one block per frame
        app_screen(&a, &s);
        grid_clear(&g, SF_STYLE_NORMAL);
        screen_draw(&g, &s);
        struct rect r = s.layout.panel[s.main];
        char *now = rect_text(&g, r);
        struct cell *cells = rect_cells(&g, r, &n_now);
        if (numbers)
            failures += check_complete(&s, now, n->name, w, h);
        if (present && (!s.present || s.layout.shown[PANEL_TIMELINE] || r.w != w)) {
            print_message("%dx%d %s: presenting %s, the %s panel is not the one large panel\n", w,
                          h, pass_names[kind], n->name, panel_name(s.main));
            failures++;
        }
        if (n_now == n_before && memcmp(before, cells, n_now * sizeof *cells) == 0) {
            print_message("%dx%d %s%s: after %s, %s leaves the main panel (%s) as it was\n", w, h,
                          pass_names[kind], present ? " presenting" : "", before_name, n->name,
                          panel_name(s.main));
            failures++;
        }
        free(before);
        free(now);
        before = cells;
        n_before = n_now;
        snprintf(before_name, sizeof before_name, "%s", n->name);
    }
    free(before);
    grid_free(&g);
    app_free(&a);
    return failures;
}

static void test_screens_every_op_changes_the_main_panel(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {100, 30}, {160, 48}, {200, 60}};
    int failures = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (int kind = PASS_GREEDY; kind <= PASS_GPT2; kind++)
            for (int numbers = 0; numbers < 2; numbers++)
                for (int present = 0; present < 2; present++)
                    failures += check_pass((enum pass_kind)kind, numbers, present, sizes[k][0],
                                           sizes[k][1], 0);
    if (failures)
        fail_msg("%d screens mislead (listed above)", failures);
}

// The same with w on: every projection shows X · W = Y, and hides no number without a count.
static void test_screens_products_hide_nothing_silently(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {100, 30}, {160, 48}, {200, 60}};
    static const enum pass_kind kinds[] = {PASS_GREEDY, PASS_GPT2};
    int failures = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (size_t m = 0; m < 2; m++)
            for (int numbers = 0; numbers < 2; numbers++)
                failures += check_pass(kinds[m], numbers, 0, sizes[k][0], sizes[k][1], 1);
    if (failures)
        fail_msg("%d screens mislead (listed above)", failures);
}

int main(void)
{
    // Graph outputs are not zeroed: a panel that read one before its op ran would show NaN.
    arena_debug_fill(0xff);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_screens_every_op_changes_the_main_panel),
        cmocka_unit_test(test_screens_products_hide_nothing_silently),
    };
    return cmocka_run_group_tests(tests, test_setup_model_path, NULL);
}
