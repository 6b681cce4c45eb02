// The learn view: a fresh model learning inside the screen, driven by keys and ticks as the
// terminal would drive it, its loss curve read back from the cell grid, and golden screens at a
// fixed step (reference kernels).
#include <math.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/app.h"
#include "stepformer/checkpoint.h"
#include "stepformer/cli.h"
#include "stepformer/corpus.h"
#include "stepformer/learn.h"
#include "stepformer/panel_loss_curve.h"
#include "stepformer/utf8.h"

// The app on the shipped model in the learn view: a run of `steps` steps (fewer held-out items
// than the default, so the evaluations are quick), saving to save_path. It starts training.
static void start_learn_on(struct app *a, int steps, int reference, const char *save_path,
                           const char *sentence)
{
    struct app_options o = {.model_path = test_model_path, .reference = reference};
    struct learn_options lo = SF_LEARN_DEFAULTS;
    struct sf_diag d;
    lo.steps = steps;
    lo.eval_every = 20;
    lo.agree_items = 40;
    lo.impl = reference ? OP_IMPL_REF : OP_IMPL_FAST;
    assert_int_equal(app_init(a, &o, &d), 0);
    a->width = 120;
    a->height = 40;
    if (app_learn_start(a, &lo, sentence, save_path, &d))
        fail_msg("app_learn_start: %s", d.msg);
}

static void start_learn(struct app *a, int steps, int reference, const char *save_path)
{
    start_learn_on(a, steps, reference, save_path, NULL);
}

// The height of the curve's column c as drawn, in eighths of a cell (its blocks counted from
// the bottom row up), or -1 when a held-out mark stands in it.
static int column_eighths(const struct grid *g, const struct loss_curve_fit *f, int c)
{
    int e = 0;
    for (int y = f->y0 + f->rows - 1; y >= f->y0; y--) {
        uint32_t cp = g->cells[(size_t)y * (size_t)g->w + (size_t)(f->x0 + c)].cp;
        if (cp == 0xd7)
            return -1;
        if (cp >= 0x2581 && cp <= 0x2588)
            e += (int)(cp - 0x2580);
        if (cp != 0x2588)
            break;
    }
    return e;
}

// Trains 200 steps in the learn view: the loss falls, the held-out loss too, and every column of
// the drawn curve stands as high as the mean logged loss of its steps, within one cell.
static void test_learn_200_steps_loss_falls_and_the_curve_shows_it(void **state)
{
    (void)state;
    struct app a;
    start_learn(&a, 200, 0, NULL);
    assert_true(app_busy(&a));
    test_finish(&a);
    const struct learn *L = app_learn_run(&a);
    assert_int_equal(L->step, 200);
    double first = L->loss[0], last = 0;
    for (int k = 180; k < 200; k++)
        last += L->loss[k] / 20;
    assert_true(first > 4.5 && first < 5.5); // ln 148 = 5.0: uniform over the vocabulary
    assert_true(last < first - 2.5);
    assert_true(L->n_evals >= 2);
    assert_int_equal(L->evals[0].step, 0);
    assert_int_equal(L->evals[L->n_evals - 1].step, 200);
    assert_true(L->evals[L->n_evals - 1].heldout < L->evals[0].heldout - 2.0f);
    assert_true(L->evals[0].total > 0);

    for (int size = 0; size < 2; size++) {
        int w = size ? 120 : 80, h = size ? 40 : 24;
        struct grid g;
        struct screen_state s;
        test_draw_app(&a, w, h, &g, &s);
        assert_non_null(s.learn);
        struct loss_curve_fit f;
        panel_loss_curve_fit(s.curve, s.learn, &f);
        assert_true(f.cols >= 60 && f.rows >= 4);
        int checked = 0;
        for (int c = 0; c < f.cols; c++) {
            int k0, k1, e = column_eighths(&g, &f, c);
            panel_loss_curve_bucket(&f, s.learn, c, &k0, &k1);
            assert_true(k1 > k0); // every step ran: every column is drawn
            if (e < 0)
                continue;
            double mean = 0;
            for (int k = k0; k < k1; k++)
                mean += L->loss[k] / (k1 - k0);
            double want = mean / f.ymax * f.rows * 8;
            if (fabs(e - want) > 8)
                fail_msg("%dx%d column %d (steps %d-%d): drawn %d eighths, the loss %.3f is %.1f",
                         w, h, c, k0 + 1, k1, e, mean, want);
            checked++;
        }
        if (checked < f.cols - L->n_evals)
            fail_msg("%dx%d: %d of %d columns read", w, h, checked, f.cols);
        grid_free(&g);
    }
    app_free(&a);
}

// Space pauses and trains on, . runs one step, S saves the model atomically where the status
// line says, Enter opens the step-through screen on the weights as they are (every op runs on
// them), t the training view, W comes back.
static void test_learn_keys_pause_step_save_and_open(void **state)
{
    (void)state;
    struct app a;
    char path[600], tmp[640];
    test_tmp_path(path, sizeof path, "learn_saved.sfm");
    unlink(path);
    start_learn(&a, 400, 0, path);
    app_tick(&a, 50);
    test_keys(&a, " ");
    assert_false(app_busy(&a));
    const struct learn *L = app_learn_run(&a);
    int at = L->step;
    assert_true(at >= 1);
    app_tick(&a, 50);
    assert_int_equal(L->step, at);
    test_keys(&a, ".");
    assert_int_equal(L->step, at + 1);
    assert_false(app_busy(&a));
    assert_true(isfinite(L->loss[at]));

    test_keys(&a, "S");
    assert_non_null(strstr(a.message, path));
    assert_int_equal(a.message_error, 0);
    struct model saved = {0};
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&saved, path, &d), 0);
    assert_params_equal(&saved, &L->model);
    model_free(&saved);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1); // nothing left behind

    test_keys(&a, "\n"); // the step-through screen on the weights after step at + 1
    struct screen_state s;
    struct grid g;
    test_draw_app(&a, 120, 40, &g, &s);
    assert_null(s.learn);
    grid_free(&g);
    assert_params_equal(&a.model, &L->model);
    test_keys(&a, "G");
    test_finish(&a);
    assert_true(graph_last(app_graph(&a)) != NULL);
    assert_string_equal(graph_last(app_graph(&a))->name, "sample.append");
    test_keys(&a,
              " "); // a key of the step-through screen, not the learn view's: training stays paused
    assert_int_equal(L->step, at + 1);
    test_keys(&a, "W");
    test_draw_app(&a, 120, 40, &g, &s);
    assert_non_null(s.learn);
    grid_free(&g);

    test_keys(&a, "t"); // the training view on the weights as they are
    assert_true(app_graph(&a) == &a.train);
    test_keys(&a, "W");
    test_keys(&a, " ");
    assert_true(app_busy(&a));
    test_keys(&a, "\n"); // running: it says to pause first
    assert_non_null(strstr(a.message, "pause"));
    test_draw_app(&a, 120, 40, &g, &s);
    assert_non_null(s.learn);
    grid_free(&g);
    app_free(&a);
    unlink(path);
}

// h, l and a choose the head the attention panel shows; the help lists the learn view's keys.
static void test_learn_head_keys_and_help(void **state)
{
    (void)state;
    struct app a;
    start_learn(&a, 100, 0, NULL);
    test_keys(&a, " ");
    test_keys(&a, "h");
    int head = a.view.head, layer = a.view.layer;
    test_keys(&a, "l");
    assert_int_equal(a.view.layer, (layer + 1) % a.model.cfg.n_layer);
    assert_int_equal(a.view.head, head);
    test_keys(&a, "a"); // the head chosen by its attention from the attractor to the subject
    assert_true(a.view.head >= 0);
    test_keys(&a, "?");
    struct screen_state s;
    struct grid g;
    test_draw_app(&a, 120, 40, &g, &s);
    assert_non_null(s.overlay_title);
    char *text = test_grid_text(&g);
    assert_non_null(strstr(text, "Learn view"));
    assert_non_null(strstr(text, "save the model"));
    free(text);
    grid_free(&g);
    app_free(&a);
}

// A sentence of one's own (--prompt) is probed at the word before its last: its next-token
// distribution there, and the head that attends most to one earlier word but the first.
static void test_learn_on_a_sentence_of_ones_own(void **state)
{
    (void)state;
    struct app a;
    start_learn_on(&a, 20, 0, NULL, "so long and thanks for all the fish");
    test_finish(&a);
    struct screen_state s;
    struct grid g;
    test_draw_app(&a, 120, 40, &g, &s);
    assert_int_equal(s.view.row, 6);
    assert_true(s.view.col >= 1 && s.view.col <= 5);
    char *text = test_grid_text(&g);
    assert_non_null(strstr(text, "Next token after position 6 'the'"));
    free(text);
    grid_free(&g);
    app_free(&a);
    struct app b;
    struct app_options o = {.model_path = test_model_path};
    struct learn_options lo = SF_LEARN_DEFAULTS;
    struct sf_diag d;
    assert_int_equal(app_init(&b, &o, &d), 0);
    assert_int_not_equal(app_learn_start(&b, &lo, "fish", NULL, &d), 0);
    assert_non_null(strstr(d.msg, "at least two tokens"));
    app_free(&b);
}

// Golden screens at step 12 with the reference kernels: the same digits on every CPU.
static void test_learn_golden_screens(void **state)
{
    (void)state;
    struct app a;
    start_learn(&a, 24, 1, NULL);
    test_keys(&a, " ");
    const struct learn *L = app_learn_run(&a);
    while (L->step < 12)
        test_keys(&a, ".");
    static const struct {
        int w, h;
        const char *name;
    } sizes[] = {{80, 24, "learn_80x24.txt"}, {120, 40, "learn_120x40.txt"}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct screen_state s;
        struct grid g;
        test_draw_app(&a, sizes[i].w, sizes[i].h, &g, &s);
        assert_no_negative_zero(&g, sizes[i].name);
        test_check_golden(&g, sizes[i].name);
        grid_free(&g);
    }
    app_free(&a);
}

// The text of rectangle r of g below its title line, one line per row (UTF-8).
static char *rect_text(const struct grid *g, struct rect r)
{
    size_t o = 0;
    char *buf = malloc((size_t)r.w * (size_t)r.h * 4 + (size_t)r.h + 1);
    assert_non_null(buf);
    for (int y = r.y + 1; y < r.y + r.h; y++) {
        for (int x = r.x; x < r.x + r.w; x++)
            o += (size_t)utf8_encode(g->cells[(size_t)y * (size_t)g->w + (size_t)x].cp, buf + o);
        buf[o++] = '\n';
    }
    buf[o] = '\0';
    return buf;
}

// The numbers in a panel's text (as tests/test_screens.c counts them).
static int count_numbers(const char *text)
{
    regex_t re;
    assert_int_equal(regcomp(&re, "(-|−)?[0-9]+\\.[0-9]+|[0-9][0-9]+|−∞|-inf", REG_EXTENDED), 0);
    int n = 0;
    regmatch_t m;
    for (const char *p = text; regexec(&re, p, 1, &m, 0) == 0 && m.rm_eo > 0; p += m.rm_eo)
        n++;
    regfree(&re);
    return n;
}

// 1 when the text counts what it hides ("+3 →", "← 2", "12 more", "rows 1–20 of 64").
static int says_hidden(const char *text)
{
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "\\+[0-9]+|← [0-9]+|[0-9]+ [a-z ]*(more|above|below|hidden)|of [0-9]+",
                             REG_EXTENDED),
                     0);
    int r = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return r;
}

// The learn view keeps the screen's rules at every classroom size: the attention and
// next-token panels show every number they have or count what they hide, the curve's numbers
// are whole, and nothing is drawn outside the screen's panels.
static void test_learn_screens_hide_nothing_silently(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {100, 30}, {120, 40}, {160, 48}, {200, 60}};
    struct app a;
    start_learn(&a, 30, 0, NULL);
    test_finish(&a);
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        int w = sizes[z][0], h = sizes[z][1];
        struct grid g, big;
        struct screen_state s;
        test_draw_app(&a, w, h, &g, &s);
        assert_int_equal(grid_init(&big, 400, 200), 0);
        for (int p = 0; p < 2; p++) {
            enum panel_id id = p ? PANEL_NEXT_TOKEN : PANEL_ATTENTION;
            struct rect r = s.layout.panel[id], all = {0, 0, 400, 200};
            assert_true(s.layout.shown[id] && r.w >= 40 && r.h >= 8);
            grid_clear(&big, SF_STYLE_NORMAL);
            if (p)
                screen_draw_panel(&big, id, all, &s.view, 0);
            else
                panel_attention_at(&big, all, &s.view, ROLE_ATTN_SOFTMAX, 0);
            char *shown = rect_text(&g, r), *every = rect_text(&big, all);
            int have = count_numbers(shown), want = count_numbers(every);
            if (have < want && !says_hidden(shown))
                fail_msg("%dx%d: the %s panel shows %d of its %d numbers and does not say so:\n%s",
                         w, h, panel_name(id), have, want, shown);
            free(shown);
            free(every);
        }
        char *curve = rect_text(&g, s.curve), step[64];
        const struct learn *L = app_learn_run(&a);
        snprintf(step, sizeof step, "step %d of %d", L->step, L->o.steps);
        assert_non_null(strstr(curve, step));
        assert_non_null(strstr(curve, "held-out items")); // the numbers line, whole
        assert_null(strstr(curve, "…"));
        free(curve);
        grid_free(&big);
        grid_free(&g);
    }
    app_free(&a);
}

// Runs `stepformer check` on a lesson text; returns the exit status, the messages in out.
static int check_text(const char *text, char *out, size_t size)
{
    char path[600];
    test_tmp_path(path, sizeof path, "learn_check.md");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    FILE *o = fmemopen(out, size, "w");
    assert_non_null(o);
    char *argv[] = {path};
    int rc = cmd_check(1, argv, o, o);
    fclose(o);
    return rc;
}

// @learn's mistakes are reported at their file:line:col.
static void test_learn_directive_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"# T\n@learn run-to 5\nText.\n", ":2:8: error: @learn run-to needs '@learn start'"},
        {"# T\n@learn start steps 10\n@learn run-to 20\nText.\n",
         ":3:15: error: @learn run-to 20: the run has 10 steps"},
        {"# T\n@learn start steps 10\n@learn run-to 5\n@pause\n@learn run-to 4\nText.\n",
         ":5:15: error: @learn run-to 4: the run is at step 5 already"},
        {"# T\nText.\n@pause\n@learn start\nMore.\n",
         ":4:8: error: @learn start belongs in the first beat"},
        {"# T\n@learn start seed x\nText.\n",
         ":2:14: error: @learn start takes 'seed S', 'steps N'"},
        {"# T\n@learn begin\nText.\n", ":2:8: error: @learn is 'start"},
        {"# T\n@prompt the keys\nLoss {{learn-loss 3 %.2f}}.\n",
         ":3:6: error: {{learn-loss 3}}: 'learn-loss' reads the learn run: put '@learn start' "
         "before it"},
        {"# T\n@learn weights textbook-run/step-0700\nText.\n",
         ":2:8: error: @learn weights needs '@learn start' before it"},
        {"# T\n@learn start steps 1\n@learn weights\nText.\n",
         ":3:8: error: @learn weights needs one model name"},
        {"# T\n@learn start steps 1\n@learn weights a b\nText.\n",
         ":3:18: error: @learn weights needs one model name"},
        {"# T\n@learn start steps 1 batch 1 seq 4\n@learn weights textbook-run/step-9\nText.\n",
         ":3:16: error: @learn weights textbook-run/step-9: there is no model file "},
        {"# T\n@prompt the keys\nShare {{agreement %.2f}}.\n",
         ":3:7: error: {{agreement}}: 'agreement' reads the weights @learn put on screen"},
    };
    char out[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = check_text(cases[i].text, out, sizeof out);
        if (rc != 2 || !strstr(out, cases[i].want))
            fail_msg("case %zu: status %d, wanted '%s' in:\n%s", i, rc, cases[i].want, out);
    }
}

// A lesson's run: the narration's learn-* numbers are the run's own, the facts hold, and going
// back a beat shows the weights of that step again without training.
static void test_learn_lesson_numbers_and_replay(void **state)
{
    (void)state;
    char path[600];
    test_tmp_path(path, sizeof path, "learn_lesson.md");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# T\n@learn start seed 3 steps 12 batch 1 seq 8\n@prompt the keys to the cabinet\n"
          "@goto head.probs\nStep {{learn-step}}: held-out {{learn-heldout 0 %.4f}}.\n@pause\n"
          "@learn run-to 12\n@goto head.probs\n"
          "Step {{learn-step}}: loss {{learn-loss 12 %.4f}}, held-out {{learn-heldout 12 %.4f}}, "
          "agreement {{learn-agreement 12 %.4f}}.\n@fact learn-step = 12\n",
          f);
    fclose(f);
    struct app a;
    char *argv[] = {path, "--impl", "ref", "--restart"};
    assert_int_equal(app_lesson_open(&a, 4, argv, stderr), 0);
    assert_non_null(strstr(a.lesson->text, "Step 0: held-out "));
    struct model start = {0};
    assert_int_equal(model_init(&start, &a.model.cfg, NULL), 0);
    assert_int_equal(model_copy_params(&start, &a.model), 0);
    app_key(&a, ' ');
    assert_int_equal(a.lesson->beat, 1);
    // The run's own record, read through the live expressions.
    const struct lesson_learn_log *log = a.lesson->l.beats[1].lives[0].learn;
    assert_non_null(log);
    assert_int_equal(log->n, 12);
    double mean = 0;
    for (int k = 2; k < 12; k++)
        mean += log->loss[k] / 10;
    char want[200];
    snprintf(want, sizeof want, "Step 12: loss %.4f, held-out %.4f, agreement %.4f.", mean,
             (double)log->heldout[log->n_evals - 1], (double)log->agreement[log->n_evals - 1]);
    if (!strstr(a.lesson->text, want))
        fail_msg("wanted '%s' in '%s'", want, a.lesson->text);
    assert_false(a.lesson->feedback_error);
    char where[48];
    assert_false(test_params_equal(&a.model, &start, where, sizeof where)); // it learned
    app_key(&a, SF_KEY_BACKSPACE); // back: the random weights of step 0 again
    assert_int_equal(a.lesson->beat, 0);
    assert_params_equal(&a.model, &start);
    assert_non_null(strstr(a.lesson->text, "Step 0: held-out "));
    model_free(&start);
    app_free(&a);
    unlink(path);
}

// '@learn weights' refuses a model file of another configuration or vocabulary, at the
// directive's file:line:col (a models directory holding the textbook model and the chars one).
static void test_learn_weights_of_another_model(void **state)
{
    (void)state;
    char dir[600], link[700], chars[700], out[4096];
    test_tmp_path(dir, sizeof dir, "learn_models");
    mkdir(dir, 0755);
    snprintf(link, sizeof link, "%s/textbook.sfm", dir);
    snprintf(chars, sizeof chars, "%s/chars.sfm", dir);
    unlink(link);
    unlink(chars);
    char shipped[700];
    snprintf(shipped, sizeof shipped, "%s", test_model_path);
    char *real = realpath(shipped, NULL);
    assert_non_null(real);
    assert_int_equal(symlink(real, link), 0);
    char *slash = strrchr(real, '/');
    snprintf(slash + 1, strlen(slash + 1) + 1, "%s", "chars"); // textbook.sfm -> chars.sfm
    snprintf(shipped, sizeof shipped, "%s.sfm", real);
    free(real);
    assert_int_equal(symlink(shipped, chars), 0);
    setenv("STEPFORMER_MODELS", dir, 1);
    int rc = check_text("# T\n@model textbook\n@learn start steps 1 batch 1 seq 4\n"
                        "@learn weights chars\nText.\n",
                        out, sizeof out);
    unsetenv("STEPFORMER_MODELS");
    unlink(link);
    unlink(chars);
    rmdir(dir);
    if (rc != 2 || !strstr(out, ":4:16: error: @learn weights chars: ") ||
        !strstr(out, "is not of the lesson's model's configuration and vocabulary: vocabulary 31, "
                     "the lesson's model 148"))
        fail_msg("status %d:\n%s", rc, out);
}

// {{agreement}} on a snapshot of the shipped run is what `stepformer eval` says of the same
// file on the same held-out agreement items (the lesson's first 100): one function scores both.
static void test_learn_weights_agreement_is_evals(void **state)
{
    (void)state;
    char path[600], items[600], data[600], snap[700], out[4096];
    test_tmp_path(path, sizeof path, "learn_weights.md");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# T\n@learn start seed 1 steps 1 batch 1 seq 4\n@prompt the keys to the cabinet\n"
          "Start.\n@pause\n@learn weights textbook-run/step-0700\n@goto head.probs\n"
          "Agreement {{agreement %.4f}}.\n",
          f);
    fclose(f);
    struct app a;
    char *argv[] = {path, "--impl", "ref", "--restart"};
    assert_int_equal(app_lesson_open(&a, 4, argv, stderr), 0);
    app_key(&a, ' ');
    assert_int_equal(a.lesson->beat, 1);
    assert_false(a.lesson->feedback_error);
    const struct lesson_learn_log *log = a.lesson->l.beats[1].lives[0].learn;
    assert_non_null(log);
    double shown = log->shown_agreement;
    char want[64];
    snprintf(want, sizeof want, "Agreement %.4f.", shown);
    assert_non_null(strstr(a.lesson->text, want));
    app_free(&a);
    unlink(path);
    // The same items, as `stepformer corpus` writes them, for `stepformer eval`.
    struct learn_options lo = SF_LEARN_DEFAULTS;
    struct corpus_options co = {lo.corpus_seed, lo.sentences, lo.heldout};
    struct corpus_text t;
    struct sf_diag d;
    assert_int_equal(corpus_generate_text(&co, &t, &d), 0);
    test_tmp_path(items, sizeof items, "learn_items.tsv");
    test_tmp_path(data, sizeof data, "learn_valid.txt");
    f = fopen(items, "w");
    assert_non_null(f);
    int n = 0;
    for (const char *l = t.items; *l && n < 100;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) + 1 : strlen(l);
        if (strncmp(l, "agreement\t", 10) == 0) {
            fwrite(l, 1, len, f);
            n++;
        }
        l += len;
    }
    fclose(f);
    f = fopen(data, "w");
    assert_non_null(f);
    fputs(t.valid, f);
    fclose(f);
    corpus_text_free(&t);
    assert_int_equal(n, 100);
    snprintf(snap, sizeof snap, "%.*s/textbook-run/step-0700.sfm",
             (int)(strrchr(test_model_path, '/') - test_model_path), test_model_path);
    char *eargv[] = {"--model", snap, "--data", data, "--windows", "1", "--items", items};
    FILE *o = fmemopen(out, sizeof out, "w");
    assert_int_equal(cmd_eval(8, eargv, o, o), 0);
    fclose(o);
    unlink(items);
    unlink(data);
    const char *acc = strstr(out, "agreement accuracy ");
    assert_non_null(acc);
    int right = -1, total = -1;
    assert_int_equal(sscanf(strchr(acc, '(') + 1, "%d of %d", &right, &total), 2);
    assert_int_equal(total, 100);
    // eval runs the fast kernels and the lesson the reference ones: an item on a near-tie
    // could fall either way, nothing more.
    assert_true(fabs(shown - right / 100.0) <= 0.0101);
    assert_true(shown > 0.6 && shown < 1); // learning, not learned
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_200_steps_loss_falls_and_the_curve_shows_it),
        cmocka_unit_test(test_learn_keys_pause_step_save_and_open),
        cmocka_unit_test(test_learn_head_keys_and_help),
        cmocka_unit_test(test_learn_on_a_sentence_of_ones_own),
        cmocka_unit_test(test_learn_golden_screens),
        cmocka_unit_test(test_learn_screens_hide_nothing_silently),
        cmocka_unit_test(test_learn_directive_errors),
        cmocka_unit_test(test_learn_lesson_numbers_and_replay),
        cmocka_unit_test(test_learn_weights_of_another_model),
        cmocka_unit_test(test_learn_weights_agreement_is_evals),
    };
    return cmocka_run_group_tests(tests, test_setup_model_path, NULL);
}
