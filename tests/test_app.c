// The app's logic, driven by keys and actions as the terminal would, and whole screens drawn
// from its state at pinned sizes (golden text from the cell grid).
#include <math.h>
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
#include "stepformer/arena.h"
#include "stepformer/app.h"
#include "stepformer/export.h"
#include "stepformer/line_edit.h"
#include "stepformer/utf8.h"

// The app on the shipped model with the fast kernels (BLAS), or with the reference loops
// (reference 1), whose printed digits are the same on every CPU and BLAS kernel: the golden
// screens are drawn from those.
static void start_with(struct app *a, const char *prompt, int reference)
{
    struct app_options o = {
        .model_path = test_model_path, .prompt = prompt, .reference = reference};
    struct sf_diag d;
    assert_int_equal(app_init(a, &o, &d), 0);
    a->width = 160;
    a->height = 48;
}

static void start(struct app *a, const char *prompt)
{
    start_with(a, prompt, 0);
}

static const char *last_name(const struct app *a)
{
    const struct node *n = graph_last(app_graph(a));
    return n ? n->name : "";
}

static void test_app_steps_and_moves(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    assert_int_equal(a.fwd.n_tokens, 9); // the default prompt
    assert_int_equal(a.view.row, 8);
    assert_int_equal(app_graph(&a)->cursor, 0);
    for (int i = 0; i < 12; i++)
        assert_int_equal(app_key(&a, ' '), APP_REDRAW);
    assert_string_equal(last_name(&a), "L0.attn.softmax");
    assert_int_equal(a.selected, PANEL_ATTENTION); // the main panel follows the op
    app_key(&a, SF_KEY_BACKSPACE);
    assert_string_equal(last_name(&a), "L0.attn.mask");
    app_key(&a, SF_KEY_LEFT);
    assert_string_equal(last_name(&a), "L0.attn.scale");
    app_key(&a, SF_KEY_RIGHT);
    app_key(&a, SF_KEY_PAGE_DOWN);
    assert_string_equal(last_name(&a), "L0.attn.softmax");
    app_key(&a, 'n');
    test_finish(&a);
    assert_string_equal(last_name(&a), "L0.resid1");
    assert_int_equal(a.selected, PANEL_RESIDUAL);
    app_key(&a, 'N');
    test_finish(&a);
    assert_string_equal(last_name(&a), "L0.resid2");
    app_key(&a, 'G');
    test_finish(&a);
    assert_int_equal(app_graph(&a)->cursor, app_graph(&a)->n_nodes);
    app_key(&a, SF_KEY_HOME);
    assert_int_equal(app_graph(&a)->cursor, 0);
    // run / pause: each tick one op
    app_key(&a, 'r');
    assert_true(app_busy(&a));
    app_tick(&a, 50);
    app_tick(&a, 50);
    assert_string_equal(last_name(&a), "embed.pos");
    app_key(&a, '+');
    assert_int_equal(a.speed_ms, 120);
    app_key(&a, 'r');
    assert_false(app_busy(&a));
    assert_int_equal(app_key(&a, 'q'), APP_QUIT);
    app_free(&a);
}

static void test_app_goto_with_completion(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    test_keys(&a, "gL1.attn.so");
    assert_int_equal(a.mode, APP_MODE_GOTO);
    app_key(&a, SF_KEY_TAB);
    assert_string_equal(a.input.text, "L1.attn.softmax");
    app_key(&a, SF_KEY_ENTER);
    test_finish(&a);
    assert_int_equal(a.mode, APP_MODE_NORMAL);
    assert_string_equal(last_name(&a), "L1.attn.softmax");
    assert_int_equal(a.view.layer, 1);
    // several matches: the common prefix and a list
    test_keys(&a, "gL0.ln");
    app_key(&a, SF_KEY_TAB);
    assert_string_equal(a.input.text, "L0.ln");
    assert_non_null(strstr(a.message, "6 ops"));
    app_key(&a, SF_KEY_ESCAPE);
    // an unknown name: the nearest names, and the cursor stays
    test_keys(&a, "gL1.atn.softmx\n");
    assert_int_equal(a.message_error, 1);
    assert_non_null(strstr(a.message, "did you mean L1.attn.softmax"));
    assert_string_equal(last_name(&a), "L1.attn.softmax");
    // backward is immediate
    test_keys(&a, "gembed.tok\n");
    assert_false(app_busy(&a));
    assert_string_equal(last_name(&a), "embed.tok");
    app_free(&a);
}

static void test_app_edit_prompt(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    app_key(&a, 'e');
    assert_int_equal(a.mode, APP_MODE_PROMPT);
    assert_string_equal(a.input.text, "the keys to the cabinet are on the table");
    app_key(&a, 21); // Ctrl-U clears
    test_keys(&a, "the chicken was tiredd");
    app_key(&a, SF_KEY_BACKSPACE);
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.mode, APP_MODE_NORMAL);
    assert_string_equal(a.prompt, "the chicken was tired");
    assert_int_equal(a.fwd.n_tokens, 4);
    assert_int_equal(a.view.row, 3);
    assert_int_equal(app_graph(&a)->cursor, 0);
    // a word the model does not know: read as <unk>, and the message names it
    test_keys(&a, "e");
    app_key(&a, 21);
    test_keys(&a, "the zebra was tired\n");
    assert_int_equal(a.fwd.n_tokens, 4);
    assert_non_null(strstr(a.message, "'zebra'"));
    // Escape keeps the old prompt
    test_keys(&a, "exyz");
    app_key(&a, SF_KEY_ESCAPE);
    assert_string_equal(a.prompt, "the zebra was tired");
    // an empty prompt is refused with a message, and the old one stays
    test_keys(&a, "e");
    app_key(&a, 21);
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.message_error, 1);
    assert_int_equal(a.fwd.n_tokens, 4);
    app_free(&a);
}

static void test_app_generates_through_the_sample_ops(void **state)
{
    (void)state;
    struct app a;
    start(&a, "so long and thanks for all the");
    int n = a.fwd.n_tokens;
    app_key(&a, 'x'); // runs the pass through sample.*, appends, runs the new pass
    test_finish(&a);
    assert_int_equal(a.fwd.n_tokens, n + 1);
    assert_string_equal(a.prompt, "so long and thanks for all the fish");
    assert_non_null(strstr(a.message, "appended 'fish'"));
    assert_int_equal(app_graph(&a)->cursor, app_graph(&a)->n_nodes);
    // beam search: three beams, best first, the best on screen
    app_key(&a, 's');
    assert_int_equal(a.mode, APP_MODE_SAMPLING);
    app_key(&a, SF_KEY_LEFT); // greedy -> beam search
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.beam, 3);
    app_key(&a, 'x');
    test_finish(&a);
    assert_true(a.beams_active);
    assert_int_equal(a.beams.live, 3);
    assert_true(a.beams.beams[0].logp >= a.beams.beams[1].logp);
    assert_true(a.beams.beams[1].logp >= a.beams.beams[2].logp);
    assert_int_equal(a.fwd.n_tokens, n + 2);
    // sampling with a seed is repeatable
    app_key(&a, 's');
    app_key(&a, SF_KEY_RIGHT); // beam -> greedy
    app_key(&a, SF_KEY_RIGHT); // greedy -> sampling
    app_key(&a, SF_KEY_DOWN);
    app_key(&a, SF_KEY_RIGHT); // temperature 1.1
    app_key(&a, SF_KEY_ENTER);
    assert_false(a.sampler.greedy);
    assert_true(fabsf(a.sampler.temperature - 1.1f) < 1e-6f);
    app_free(&a);
}

static char *screen_text(struct app *a, int w, int h);

// Text typed as printed ("The chicken ...") on a vocabulary without capitals is read
// lower-cased, and the status line says so and names every unknown word with its position.
static void test_app_input_is_lower_cased_and_every_unknown_word_named(void **state)
{
    (void)state;
    struct app a;
    start(&a, "The chicken zzz the Tablet");
    int the = a.fwd.ids[3];
    assert_int_equal(a.fwd.ids[0], the); // "The" read as "the", not <unk>
    assert_true(the != a.model.tok.unk_id);
    assert_int_equal(a.fwd.ids[2], a.model.tok.unk_id);
    assert_int_equal(a.fwd.ids[4], a.model.tok.unk_id);
    assert_true(a.message_error);
    // at the start the screen's width is not known yet: what fits on 80 columns
    assert_string_equal(a.message, "input lower-cased; not in the vocabulary: 2 words");
    // the screen composes it again for its own width: 160 columns name both words
    char *text = screen_text(&a, 160, 48);
    assert_non_null(strstr(text, " not in the vocabulary: 'zzz' (2), 'Tablet' (4); input "
                                 "lower-cased: the model's vocabulary has no capitals"));
    free(text);
    text = screen_text(&a, 80, 24);
    assert_non_null(strstr(text, " input lower-cased; not in the vocabulary: 2 words"));
    free(text);
    // a prompt edit on a wide screen: every word, and the whole note beside them
    a.width = 160;
    app_key(&a, 'e');
    test_keys(&a, "\n");
    assert_string_equal(a.message, "not in the vocabulary: 'zzz' (2), 'Tablet' (4); input "
                                   "lower-cased: the model's vocabulary has no capitals");
    app_key(&a, 'e');
    app_key(&a, SF_KEY_CTRL_U);
    test_keys(&a, "So long and thanks for all THE qqq\n");
    assert_non_null(strstr(a.message, "not in the vocabulary: 'qqq' (7); "
                                      "input lower-cased: the model's vocabulary has no capitals"));
    assert_string_equal(a.prompt, "So long and thanks for all THE qqq");
    // capitals alone: a note, not an error
    app_key(&a, 'e');
    app_key(&a, SF_KEY_CTRL_U);
    test_keys(&a, "The keys\n");
    assert_false(a.message_error);
    assert_non_null(strstr(a.message, "input lower-cased: the model's vocabulary has no capitals"));
    // more unknown words than the line holds: how many more are counted
    a.width = 80;
    app_key(&a, 'e');
    app_key(&a, SF_KEY_CTRL_U);
    test_keys(&a, "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj\n");
    assert_non_null(strstr(a.message, "'aaaa' (0), 'bbbb' (1)"));
    assert_non_null(strstr(a.message, "more"));
    assert_true(strlen(a.message) <= 80 - 17);
    app_free(&a);
}

static void test_app_interventions_rerun_the_pass(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    test_keys(&a, "ghead.probs\n");
    test_finish(&a);
    const struct graph *g = app_graph(&a);
    int probs = graph_find(g, "head.probs"), mix = graph_find(g, "L1.attn.mix");
    size_t V = (size_t)a.model.cfg.vocab_size;
    float *before = malloc(V * sizeof(float));
    memcpy(before, g->nodes[probs].out.data + 4 * V, V * sizeof(float));
    a.view.layer = 1;
    test_keys(&a, "hhh"); // head 3
    assert_int_equal(a.view.head, 3);
    app_key(&a, 'o');
    test_finish(&a);
    assert_string_equal(last_name(&a), "head.probs"); // back where it was
    assert_true(a.head_off[1 * 4 + 3]);
    const float *h3 = g->nodes[mix].out.data + 3 * 9 * 16;
    for (int i = 0; i < 9 * 16; i++)
        assert_true(h3[i] == 0.0f);
    double diff = 0;
    for (size_t i = 0; i < V; i++)
        diff += fabs((double)g->nodes[probs].out.data[4 * V + i] - before[i]);
    assert_true(diff > 1e-3);
    app_key(&a, 'o'); // on again: the same numbers as before
    test_finish(&a);
    for (size_t i = 0; i < V; i++)
        assert_true(fabsf(g->nodes[probs].out.data[4 * V + i] - before[i]) < 1e-6f);
    free(before);
    app_key(&a, 'p');
    test_finish(&a);
    const struct tensor *tok = &g->nodes[0].out, *pos = &g->nodes[1].out;
    assert_memory_equal(tok->data, pos->data, tensor_numel(tok) * sizeof(float));
    app_free(&a);
}

static void test_app_inspect_a_score(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    test_keys(&a, "gL0.attn.scores\n");
    test_finish(&a);
    app_key(&a, 'i');
    assert_true(a.view.inspect);
    a.view.row = 4;
    app_key(&a, SF_KEY_RIGHT);
    assert_int_equal(a.view.col, 1);
    struct screen_state s;
    app_screen(&a, &s);
    struct grid gr;
    assert_int_equal(grid_init(&gr, 160, 48), 0);
    screen_draw(&gr, &s);
    char *text = test_grid_text(&gr);
    // q_4 . k_1 for head 0, computed here from Q and K
    const struct graph *g = app_graph(&a);
    const float *q = g->nodes[graph_find(g, "L0.attn.q")].out.data + 4 * 16;
    const float *k = g->nodes[graph_find(g, "L0.attn.k")].out.data + 1 * 16;
    double dot = 0;
    for (int i = 0; i < 16; i++)
        dot += (double)q[i] * k[i];
    char want[64];
    snprintf(want, sizeof want, "q_4 · k_1 = ");
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "(16 terms) = %.4f", dot);
    assert_non_null(strstr(text, want));
    free(text);
    grid_free(&gr);
    app_key(&a, SF_KEY_ESCAPE);
    assert_false(a.view.inspect);
    app_free(&a);
}

static void test_app_training_view(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    app_key(&a, 't');
    assert_true(a.train_view);
    const struct graph *g = app_graph(&a);
    assert_true(graph_find(g, "loss.xent") > 0);
    assert_true(graph_find(g, "grad.L0.attn.q") > 0);
    test_keys(&a, "gloss.xent\n");
    test_finish(&a);
    assert_int_equal(a.selected, PANEL_TRAINING);
    assert_false(isnan(a.loss_before));
    assert_true(isnan(a.loss_after));
    app_key(&a, 'G');
    test_finish(&a);
    assert_false(isnan(a.loss_after));
    assert_true(a.loss_after < a.loss_before); // one AdamW step on this sentence helps it
    // the forward view's model is untouched
    float w = a.model.layers[0].wq.data[0];
    app_key(&a, 't');
    assert_false(a.train_view);
    assert_true(a.model.layers[0].wq.data[0] == w);
    assert_true(a.train_model.block == NULL);
    app_free(&a);
}

static void test_app_panels_zoom_help_and_clicks(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    for (int p = 0; p < PANEL_COUNT; p++) // Tab reaches every panel
        app_key(&a, SF_KEY_TAB);
    assert_int_equal(a.follow, 0);
    app_key(&a, 'z');
    assert_int_equal(a.zoom, a.selected);
    app_key(&a, SF_KEY_ESCAPE);
    assert_int_equal(a.zoom, -1);
    app_key(&a, '?');
    struct screen_state s;
    app_screen(&a, &s);
    assert_int_equal(s.n_overlay, SF_ACTION_COUNT - 1);
    app_key(&a, 'j'); // any key closes the help, and does nothing else
    assert_false(a.help);
    assert_int_equal(a.view.row, 8);
    // a click on the tokens strip selects the token under it
    assert_int_equal(app_click(&a, 10, 1), APP_REDRAW); // "keys" starts at column 10
    assert_int_equal(a.view.row, 1);
    assert_int_equal(a.selected, PANEL_TOKENS);
    app_key(&a, 'c');
    assert_int_equal(a.view.numbers, 0);
    app_key(&a, 'P');
    assert_int_equal(a.scheme, PALETTE_LIGHT); // dark, light, 8, mono
    app_free(&a);
}

// Whole screens at the pinned sizes, from the app's state.
static void screen_golden(struct app *a, int w, int h, const char *name)
{
    struct grid g;
    assert_int_equal(grid_init(&g, w, h), 0);
    a->width = w;
    a->height = h;
    struct screen_state s;
    app_screen(a, &s);
    test_finish(a); // the logit lens fills one block per draw
    app_screen(a, &s);
    screen_draw(&g, &s);
    test_check_golden(&g, name);
    grid_free(&g);
}

// The head finder: f, then "cabinet keys", ranks every head of every layer by
// alpha(cabinet -> keys), running the pass through the last softmax; the shipped model's L1
// head 3 (the agreement head) comes first. A rank's number opens that head's matrix, Enter the
// selected rank.
static void test_app_head_finder_ranks_the_agreement_head_first(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL); // "the keys to the cabinet are on the table"
    test_keys(&a, "fcabinet keys");
    assert_int_equal(a.mode, APP_MODE_FIND);
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.mode, APP_MODE_NORMAL);
    assert_int_equal(a.selected, PANEL_FINDER);
    assert_int_equal(a.view.find_query, 4);
    assert_int_equal(a.view.find_key, 1);
    const struct graph *g = app_graph(&a);
    int L = a.model.cfg.n_layer, H = a.model.cfg.n_head, missing = -1;
    struct finder_rank r[64];
    assert_true(L * H <= 64);
    int n = panel_finder_rank(g, 4, 1, r, 64, &missing);
    assert_int_equal(n, L * H); // every head ranked: the pass ran through every softmax
    assert_int_equal(missing, 0);
    assert_int_equal(r[0].layer, 1);
    assert_int_equal(r[0].head, 3);
    for (int k = 0; k < n; k++) { // the numbers are the softmax's, largest first
        int idx = graph_find_role(g, r[k].layer, ROLE_ATTN_SOFTMAX);
        const struct tensor *t = &g->nodes[idx].out;
        int N = t->shape[1];
        assert_float_equal(r[k].alpha, t->data[((size_t)r[k].head * N + 4) * N + 1], 1e-6);
        if (k)
            assert_true(r[k].alpha <= r[k - 1].alpha);
    }
    assert_true(r[0].alpha > r[1].alpha + 0.05f); // first by a clear margin
    app_key(&a, '1');
    assert_int_equal(a.selected, PANEL_ATTENTION);
    assert_int_equal(a.view.layer, 1);
    assert_int_equal(a.view.head, 3);
    assert_int_equal(a.view.row, 4);
    // back to the finder: Down, Enter opens the second rank
    test_keys(&a, "fcabinet keys\n");
    app_key(&a, SF_KEY_DOWN);
    assert_int_equal(a.view.find_sel, 1);
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.selected, PANEL_ATTENTION);
    assert_int_equal(a.view.layer, r[1].layer);
    assert_int_equal(a.view.head, r[1].head);
    // positions work as words do
    test_keys(&a, "f4 1\n");
    assert_int_equal(a.selected, PANEL_FINDER);
    assert_int_equal(a.view.find_query, 4);
    assert_int_equal(a.view.find_key, 1);
    app_free(&a);
}

// The finder says which word is not in the prompt, and that a key after the query is masked;
// the line stays open for a correction, and Esc leaves it.
static void test_app_head_finder_unknown_and_later_words(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    test_keys(&a, "fcabinet zebra\n");
    assert_int_equal(a.mode, APP_MODE_FIND);
    assert_int_equal(a.message_error, 1);
    assert_non_null(strstr(a.message, "\"zebra\" is not a token of the prompt"));
    assert_int_equal(a.view.find_query, -1);
    app_key(&a, 27);
    test_keys(&a, "fcab keys\n"); // in the text, not a token of its own
    assert_int_equal(a.mode, APP_MODE_FIND);
    assert_non_null(strstr(a.message, "\"cab\" is not one token of the prompt: type positions"));
    app_key(&a, 27);
    test_keys(&a, "fkeys table\n");
    assert_int_equal(a.mode, APP_MODE_FIND);
    assert_non_null(strstr(a.message, "comes after"));
    assert_non_null(strstr(a.message, "masked"));
    app_key(&a, 27);
    assert_int_equal(a.mode, APP_MODE_NORMAL);
    test_keys(&a, "fcabinet\n");
    assert_int_equal(a.mode, APP_MODE_FIND);
    assert_non_null(strstr(a.message, "two words"));
    app_key(&a, 27);
    // "the" twice: the query is the last one, the key the last one before it
    test_keys(&a, "ftable the\n");
    assert_int_equal(a.mode, APP_MODE_NORMAL);
    assert_int_equal(a.view.find_query, 8);
    assert_int_equal(a.view.find_key, 7);
    app_free(&a);
}

// The model view: arrows move over layers and heads, Enter opens the head in the attention
// panel; a click on a map selects it. The head view: v opens it, V turns it around.
static void test_app_model_view_and_head_view_keys(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    test_keys(&a, "G");
    test_finish(&a);
    app_key(&a, 'm');
    assert_int_equal(a.selected, PANEL_MODEL);
    a.view.layer = 0, a.view.head = 0;
    app_key(&a, SF_KEY_DOWN);
    app_key(&a, SF_KEY_RIGHT);
    app_key(&a, SF_KEY_RIGHT);
    app_key(&a, SF_KEY_RIGHT);
    assert_int_equal(a.view.layer, 1);
    assert_int_equal(a.view.head, 3);
    app_key(&a, SF_KEY_LEFT);
    assert_int_equal(a.view.head, 2);
    assert_int_equal(app_graph(&a)->cursor, app_graph(&a)->n_nodes); // no step back
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.selected, PANEL_ATTENTION);
    assert_int_equal(a.view.layer, 1);
    assert_int_equal(a.view.head, 2);
    // a click on layer 0, head 1 of the model view (zoomed, so its place is known)
    app_key(&a, 'm');
    app_key(&a, 'z');
    struct screen_state s;
    a.width = 100, a.height = 30;
    app_screen(&a, &s);
    struct rect r = s.layout.panel[PANEL_MODEL];
    int hit = 0;
    for (int y = r.y; y < r.y + r.h && !hit; y++)
        for (int x = r.x; x < r.x + r.w && !hit; x++) {
            struct view v = a.view;
            v.graph = app_graph(&a);
            int l, h;
            if (panel_model_hit(r, &v, x, y, &l, &h) && l == 0 && h == 1) {
                app_click(&a, x, y);
                hit = 1;
            }
        }
    assert_true(hit);
    assert_int_equal(a.view.layer, 0);
    assert_int_equal(a.view.head, 1);
    app_key(&a, 'v');
    assert_int_equal(a.selected, PANEL_HEADS);
    assert_int_equal(a.zoom, PANEL_HEADS);
    assert_int_equal(a.view.heads_reverse, 0);
    app_key(&a, 'V');
    assert_int_equal(a.view.heads_reverse, 1);
    // who attends to "keys" (1): Right marks the queries from "keys" on, Enter ranks the heads
    // for the marked query and "keys"
    a.view.row = 1;
    for (int i = 0; i < 4; i++)
        app_key(&a, SF_KEY_RIGHT);
    assert_int_equal(a.view.find_query, 4);
    assert_int_equal(a.view.find_key, 1);
    app_key(&a, SF_KEY_LEFT);
    app_key(&a, SF_KEY_RIGHT);
    assert_int_equal(app_graph(&a)->cursor, app_graph(&a)->n_nodes); // no step back
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.selected, PANEL_FINDER);
    assert_int_equal(a.view.find_query, 4);
    assert_int_equal(a.view.find_key, 1);
    app_key(&a, '1');
    assert_int_equal(a.view.layer, 1);
    assert_int_equal(a.view.head, 3);
    // a click on the head view's row of "keys" for the query "cabinet" marks it
    app_key(&a, 'v');
    app_key(&a, 'V');
    assert_int_equal(a.view.heads_reverse, 0);
    a.view.row = 4;
    a.view.find_key = -1;
    app_screen(&a, &s);
    r = s.layout.panel[PANEL_HEADS];
    hit = 0;
    for (int y = r.y; y < r.y + r.h && !hit; y++) {
        struct view v = a.view;
        v.graph = app_graph(&a);
        if (panel_heads_hit(r, &v, r.x + 2, y) == 1)
            app_click(&a, r.x + 2, y), hit = 1;
    }
    assert_true(hit);
    assert_int_equal(a.view.find_key, 1);
    assert_int_equal(a.view.find_query, 4);
    assert_int_equal(a.selected, PANEL_HEADS);
    // the help lists the new keys
    app_key(&a, '?');
    app_screen(&a, &s);
    int found = 0;
    for (int i = 0; i < s.n_overlay; i++)
        found += strstr(s.overlay[i], "head finder") != NULL ||
                 strstr(s.overlay[i], "model view") != NULL;
    assert_true(found >= 2);
    app_free(&a);
}

// Golden screens: the head view for "it" (where it looks, and who looks at "chicken"), the
// model view and the finder's ranking for it -> chicken, at 100 x 30 and 200 x 60.
static void test_app_heads_goldens(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, "the chicken didn't cross the road because it was too tired", 1);
    test_keys(&a, "G");
    test_finish(&a);
    test_keys(&a, "kkk"); // "it"
    assert_int_equal(a.view.row, 7);
    a.view.layer = 1;
    app_key(&a, 'v');
    screen_golden(&a, 100, 30, "heads_it_100x30.txt");
    screen_golden(&a, 200, 60, "heads_it_200x60.txt");
    app_key(&a, 'z');
    screen_golden(&a, 100, 30, "heads_it_zoom_100x30.txt");
    app_key(&a, 'z');
    a.view.row = 1;
    app_key(&a, 'V');
    screen_golden(&a, 100, 30, "heads_chicken_reverse_100x30.txt");
    app_key(&a, 'm');
    screen_golden(&a, 100, 30, "model_100x30.txt");
    test_keys(&a, "fit chicken\n");
    screen_golden(&a, 100, 30, "finder_it_chicken_100x30.txt");
    screen_golden(&a, 200, 60, "finder_it_chicken_200x60.txt");
    app_free(&a);
}

// The whole screen of a at w x h as text (malloc'd), drawn as the terminal would show it.
static char *screen_text(struct app *a, int w, int h)
{
    struct grid g;
    struct screen_state s;
    test_draw_app(a, w, h, &g, &s);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    grid_dump(&g, f);
    fclose(f);
    grid_free(&g);
    return buf;
}

// The line of text that holds `what` (0 when there is none), into line.
static int line_with(const char *text, const char *what, char *line, size_t size)
{
    const char *at = strstr(text, what);
    if (!at)
        return 0;
    const char *from = at, *to = strchr(at, '\n');
    while (from > text && from[-1] != '\n')
        from--;
    size_t n = to ? (size_t)(to - from) : strlen(from);
    snprintf(line, size, "%.*s", (int)n, from);
    return 1;
}

// The output of the node called name, as the graph on screen holds it.
static const float *out_of(const struct app *a, const char *name)
{
    const struct graph *g = app_graph(a);
    int i = graph_find(g, name);
    assert_true(i >= 0);
    assert_true(graph_node_done(g, i));
    return g->nodes[i].out.data;
}

// s, sampling on, temperature 2.0, top-p 0.90, applied.
static void set_sampling(struct app *a)
{
    app_key(a, 's');
    app_key(a, SF_KEY_RIGHT); // greedy -> sampling
    app_key(a, SF_KEY_DOWN);
    test_keys(a, "2.0\n");
    app_key(a, SF_KEY_DOWN);
    app_key(a, SF_KEY_DOWN);
    test_keys(a, "0.9\n");
    app_key(a, SF_KEY_ENTER);
    test_finish(a);
    assert_false(a->sampler.greedy);
    assert_true(fabsf(a->sampler.temperature - 2.0f) < 1e-6f);
    assert_true(fabsf(a->sampler.top_p - 0.9f) < 1e-6f);
}

// At τ 2 with top-p 0.9 the panels show the tempered distribution that is sampled from, never
// y at τ = 1 under a footer about another: each sample.* op shows its own output, and the
// next-token panel at the last position shows the renormalised p beside y.
static void test_app_sampling_stages_show_what_they_computed(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, "so long and thanks for all the", 1);
    set_sampling(&a);
    app_key(&a, 'G');
    test_finish(&a);
    const struct graph *g = app_graph(&a);
    int V = a.model.cfg.vocab_size, N = g->n_tokens, fish = -1;
    for (int t = 0; t < V && fish < 0; t++)
        if (strcmp(a.model.tok.pieces[t], "fish") == 0)
            fish = t;
    assert_true(fish >= 0);
    // sample.probs is softmax(u / 2) of the last row of the logits
    const float *u = out_of(&a, "head.logits") + (size_t)(N - 1) * V;
    const float *y = out_of(&a, "head.probs") + (size_t)(N - 1) * V;
    double z = 0;
    for (int t = 0; t < V; t++)
        z += exp((double)u[t] / 2 - (double)u[fish] / 2);
    const float *p = out_of(&a, "sample.probs"), *cut = out_of(&a, "sample.truncate");
    const float *renorm = out_of(&a, "sample.renorm");
    assert_true(fabs((double)p[fish] - 1 / z) < 1e-5);
    assert_true(p[fish] < y[fish] - 0.2f); // flatter than at τ = 1
    int kept = 0;
    for (int t = 0; t < V; t++)
        kept += cut[t] > 0;
    assert_true(kept > 1 && kept < V);
    // the distribution the next-token panel reads is the one sampled from
    assert_non_null(a.next.aux.sampled);
    assert_int_equal(a.next.aux.kept, kept);
    assert_close(a.next.aux.sampled, renorm, (size_t)V, 1e-6, 0, "sampled");
    char want[64], line[400];
    // sample.probs: y and the tempered p on the row of "fish"
    test_keys(&a, "gsample.probs\n");
    char *text = screen_text(&a, 80, 24);
    assert_true(line_with(text, "fish ", line, sizeof line));
    snprintf(want, sizeof want, "%.4f  %.4f", (double)y[fish], (double)p[fish]);
    assert_non_null(strstr(line, want));
    free(text);
    // sample.truncate: the cut line with the count and the kept mass
    test_keys(&a, "gsample.truncate\n");
    double mass = 0;
    for (int t = 0; t < V; t++)
        mass += cut[t];
    text = screen_text(&a, 80, 24);
    snprintf(want, sizeof want, "cut: %d of %d kept, kept mass %.4f", kept, V, mass);
    assert_non_null(strstr(text, want));
    free(text);
    // head.probs at the last position: p (renormalised) beside y, and the footer's count
    test_keys(&a, "ghead.probs\n");
    a.view.row = N - 1;
    text = screen_text(&a, 80, 24);
    assert_true(line_with(text, "fish ", line, sizeof line));
    snprintf(want, sizeof want, "%.4f  %.4f", (double)y[fish], (double)renorm[fish]);
    assert_non_null(strstr(line, want));
    snprintf(want, sizeof want, "keeps %d", kept);
    assert_non_null(strstr(text, want));
    free(text);
    // head.logits: u with its token on every row
    test_keys(&a, "ghead.logits\n");
    text = screen_text(&a, 80, 24);
    assert_true(line_with(text, "fish ", line, sizeof line));
    snprintf(want, sizeof want, "%.2f", (double)u[fish]);
    assert_non_null(strstr(line, want));
    free(text);
    // every stage zoomed, as a golden screen
    static const char *const stages[] = {"head.logits",     "sample.temperature", "sample.probs",
                                         "sample.truncate", "sample.renorm",      "sample.draw",
                                         "sample.append",   "head.probs"};
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        char cmd[64], name[96];
        snprintf(cmd, sizeof cmd, "g%s\n", stages[i]);
        test_keys(&a, cmd);
        a.view.row = N - 1;
        a.zoom = PANEL_NEXT_TOKEN;
        snprintf(name, sizeof name, "sampling_%s_80x24.txt", stages[i]);
        for (char *c = name; *c; c++)
            *c = *c == '.' && strcmp(c, ".txt") ? '_' : *c;
        screen_golden(&a, 80, 24, name);
        a.zoom = -1;
    }
    app_free(&a);
}

// Heads switched off are always visible: a badge on the tokens strip and on the main panel
// (after a prompt edit too), and the next-token panel shows y without them beside y with them.
static void test_app_interventions_are_visible(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "ghead.probs\n");
    test_finish(&a);
    a.view.layer = 1;
    a.view.head = -1; // all heads
    app_key(&a, 'o');
    test_finish(&a);
    assert_string_equal(last_name(&a), "head.probs");
    a.view.row = 4;
    char *text = screen_text(&a, 160, 48), line[400], want[64];
    char *second = strstr(text, "L1 all heads off");
    assert_non_null(second);
    assert_true(second < strchr(text, '\n'));                // on the tokens strip's title
    assert_non_null(strstr(second + 1, "L1 all heads off")); // and the main panel's
    // 'are' after "cabinet": y with the heads off beside y of the model's own pass
    const struct graph *g = app_graph(&a);
    int V = a.model.cfg.vocab_size, are = g->ids[5];
    struct graph own = {0};
    assert_int_equal(graph_build(&own, &a.model, g->ids, g->n_tokens, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_run_to_end(&own), 1);
    const float *y_own = own.nodes[graph_find(&own, "head.probs")].out.data + 4 * (size_t)V;
    const float *y = out_of(&a, "head.probs") + 4 * (size_t)V;
    assert_non_null(a.next.aux.without);
    assert_close(a.next.aux.without + 4 * (size_t)V, y_own, (size_t)V, 1e-6, 0, "without");
    assert_true(fabsf(y[are] - y_own[are]) > 0.05f);
    snprintf(want, sizeof want, "%.4f  %.4f", (double)y[are], (double)y_own[are]);
    assert_true(line_with(text, want, line, sizeof line));
    assert_non_null(strstr(line, "are "));
    assert_non_null(strstr(text, "without: the model's own pass, L1 all heads off undone"));
    graph_free(&own);
    free(text);
    screen_golden(&a, 160, 48, "screen_160x48_heads_off.txt");
    // a new prompt keeps the heads off, and says so
    app_key(&a, 'e');
    app_key(&a, SF_KEY_CTRL_U);
    test_keys(&a, "the keys to the cabinet\n");
    test_finish(&a);
    text = screen_text(&a, 80, 24);
    assert_true(strstr(text, "L1 all heads off") < strchr(text, '\n'));
    free(text);
    // one head, and the positions dropped
    app_key(&a, 'o'); // all on again
    a.view.head = 3;
    app_key(&a, 'o');
    app_key(&a, 'p');
    test_finish(&a);
    text = screen_text(&a, 80, 24);
    assert_true(line_with(text, "Tokens", line, sizeof line));
    assert_non_null(strstr(line, "L1 h3 off, no positions"));
    assert_non_null(strstr(strstr(text, "\n"), "L1 h3 off, no positions")); // the main panel
    free(text);
    app_key(&a, 'o');
    app_key(&a, 'p');
    test_finish(&a);
    text = screen_text(&a, 80, 24);
    assert_null(strstr(text, "off"));
    assert_null(strstr(text, "no positions"));
    assert_null(a.next.aux.without);
    free(text);
    app_free(&a);
}

// On an llm.c GPT-2 checkpoint (byte-level BPE, its own padded vocabulary): the pass without
// an intervention matches a pass of the model's own, and the distribution sampled from matches
// what sample.renorm computes.
static void test_app_gpt2_intervention_and_sampling(void **state)
{
    (void)state;
    char mpath[512], tpath[512];
    test_data_path(mpath, sizeof mpath, "gpt2_tiny.bin");
    test_data_path(tpath, sizeof tpath, "gpt2_tiny_tokenizer.bin");
    struct app_options o = {.model_path = mpath, .tokenizer_path = tpath, .ids = "3,1,4,1,5,9"};
    struct app a;
    struct sf_diag d;
    assert_int_equal(app_init(&a, &o, &d), 0);
    a.width = 120, a.height = 40;
    test_keys(&a, "gL1.attn.softmax\n");
    test_finish(&a);
    app_key(&a, 'o'); // L1 head 0 off
    test_keys(&a, "ghead.probs\n");
    test_finish(&a);
    const struct graph *g = app_graph(&a);
    int V = a.model.cfg.vocab_size, N = g->n_tokens;
    struct graph own = {0};
    assert_int_equal(graph_build(&own, &a.model, g->ids, N, OP_IMPL_FAST, NULL), 0);
    assert_int_equal(graph_run_to_end(&own), 1);
    assert_non_null(a.next.aux.without);
    assert_close(a.next.aux.without, own.nodes[graph_find(&own, "head.probs")].out.data,
                 (size_t)N * V, 1e-5, 1e-4, "without");
    graph_free(&own);
    set_sampling(&a);
    app_key(&a, 'G');
    test_finish(&a);
    assert_non_null(a.next.aux.sampled);
    assert_non_null(a.next.aux.sampled_without);
    assert_close(a.next.aux.sampled, out_of(&a, "sample.renorm"), (size_t)V, 1e-6, 0, "sampled");
    static const char *const stages[] = {"head.logits", "sample.truncate", "sample.draw",
                                         "head.probs"};
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "g%s\n", stages[i]);
        test_keys(&a, cmd);
        char *text = screen_text(&a, 120, 40);
        assert_non_null(strstr(text, "L1 h0 off"));
        free(text);
    }
    app_free(&a);
}

// The presenter view: F toggles it at any time (Esc leaves it too); the op list goes, the
// panel of the op that ran last takes the whole width and every row between the tokens strip
// and the equation (a caption above the status line), and the status line says it is on and
// how to leave. The clicker's keys step (PgDn, Right) and step back (PgUp, Left); the other
// keys keep working.
static void test_app_present_toggles_and_steps(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    a.width = 100;
    a.height = 30;
    struct screen_state s;
    app_screen(&a, &s);
    assert_false(s.present);
    assert_true(s.layout.shown[PANEL_TIMELINE]);
    assert_int_equal(app_key(&a, 'F'), APP_REDRAW);
    assert_true(a.present);
    app_screen(&a, &s);
    assert_true(s.present);
    assert_false(s.layout.shown[PANEL_TIMELINE]);
    assert_non_null(strstr(s.keys, "presenting"));
    assert_non_null(strstr(s.keys, "F"));
    // the clicker: PgDn and Right run the next op, PgUp and Left step back
    test_keys(&a, "gL1.attn.scale\n");
    test_finish(&a);
    assert_true(a.present);
    app_key(&a, SF_KEY_PAGE_DOWN);
    assert_string_equal(last_name(&a), "L1.attn.mask");
    app_key(&a, SF_KEY_RIGHT);
    assert_string_equal(last_name(&a), "L1.attn.softmax");
    app_screen(&a, &s);
    assert_int_equal(s.main, PANEL_ATTENTION);
    struct rect r = s.layout.panel[PANEL_ATTENTION], e = s.layout.panel[PANEL_EQUATION];
    assert_true(s.layout.shown[PANEL_ATTENTION] && s.layout.shown[PANEL_EQUATION]);
    assert_int_equal(r.w, 100);
    assert_int_equal(r.y + r.h, e.y);
    assert_int_equal(e.y + e.h, 29);
    assert_false(s.layout.shown[PANEL_QKV] || s.layout.shown[PANEL_NEXT_TOKEN]);
    // the status line still names the op, and the screen says it is presenting
    char *text = screen_text(&a, 100, 30);
    assert_non_null(strstr(text, "L1.attn.softmax"));
    assert_non_null(strstr(text, "presenting: F leaves"));
    assert_null(strstr(text, " Ops "));
    free(text);
    app_key(&a, SF_KEY_PAGE_UP);
    assert_string_equal(last_name(&a), "L1.attn.mask");
    app_key(&a, SF_KEY_LEFT);
    assert_string_equal(last_name(&a), "L1.attn.scale");
    app_key(&a, SF_KEY_PAGE_DOWN);
    app_key(&a, SF_KEY_PAGE_DOWN);
    // h and l: head and layer; z zooms and z unzooms back into the presenter view
    int head = a.view.head, layer = a.view.layer;
    app_key(&a, 'h');
    assert_int_not_equal(a.view.head, head);
    app_key(&a, 'l');
    assert_int_not_equal(a.view.layer, layer);
    app_key(&a, 'z');
    app_screen(&a, &s);
    assert_int_equal(s.layout.panel[a.zoom].h, 29);
    app_key(&a, 'z');
    app_screen(&a, &s);
    assert_true(s.present && s.layout.shown[PANEL_EQUATION]);
    // i: the caption shows how the selected number was computed
    app_key(&a, 'i');
    assert_true(a.view.inspect);
    text = screen_text(&a, 100, 30);
    assert_non_null(strstr(text, "exp("));
    free(text);
    app_key(&a, 'i');
    // running: the marker stays
    app_key(&a, 'r');
    text = screen_text(&a, 100, 30);
    assert_non_null(strstr(text, "presenting  r pauses"));
    free(text);
    app_key(&a, 'r');
    // ? lists F
    app_key(&a, '?');
    text = screen_text(&a, 100, 100);
    assert_non_null(strstr(text, "presenter view"));
    free(text);
    app_key(&a, '?');
    // F leaves; F comes back; Esc leaves too
    app_key(&a, 'F');
    assert_false(a.present);
    app_screen(&a, &s);
    assert_true(s.layout.shown[PANEL_TIMELINE]);
    app_key(&a, 'F');
    assert_true(a.present);
    app_key(&a, SF_KEY_ESCAPE);
    assert_false(a.present);
    app_free(&a);
}

// --present opens in the presenter view.
static void test_app_present_option(void **state)
{
    (void)state;
    struct app_options o = {.model_path = test_model_path, .present = 1};
    struct app a;
    struct sf_diag d;
    assert_int_equal(app_init(&a, &o, &d), 0);
    assert_true(a.present);
    a.width = 80;
    a.height = 24;
    struct screen_state s;
    app_screen(&a, &s);
    assert_true(s.present);
    assert_false(s.layout.shown[PANEL_TIMELINE]);
    app_free(&a);
}

// The caption of the presenter view is as tall as the equation panel's text needs (up to a
// fifth of the screen): for every op of the pass, the explanation is shown whole, wrapped at
// spaces, on a narrow tall window (where explanations wrap), a laptop's and a projector's size.
static void test_app_present_caption_holds_the_explanation(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 40}, {100, 30}, {200, 60}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int w = sizes[k][0], h = sizes[k][1];
        struct app a;
        start_with(&a, "the chicken didn't cross the road because it was too tired", 1);
        a.width = w;
        a.height = h;
        app_key(&a, 'F');
        struct grid g;
        assert_int_equal(grid_init(&g, w, h), 0);
        const struct graph *gr = app_graph(&a);
        while (gr->cursor < gr->n_nodes) {
            app_key(&a, SF_KEY_PAGE_DOWN);
            test_finish(&a);
            const struct node *n = graph_last(gr);
            struct screen_state s;
            app_screen(&a, &s);
            screen_draw(&g, &s);
            struct rect e = s.layout.panel[PANEL_EQUATION];
            int need = panel_equation_height(&s.view, w);
            assert_int_equal(e.h, need < 4 ? 4 : need > h / 5 ? h / 5 : need);
            if (need > h / 5)
                continue;
            // the caption's rows joined by spaces, runs of spaces as one
            char joined[4096], row[1024];
            size_t o = 0;
            for (int y = e.y + 1; y < e.y + e.h; y++) {
                test_row_text(&g, y, row, sizeof row);
                for (const char *c = row; *c && o + 2 < sizeof joined; c++)
                    if (*c != ' ' || (o > 0 && joined[o - 1] != ' '))
                        joined[o++] = *c;
                if (o > 0 && joined[o - 1] != ' ')
                    joined[o++] = ' ';
            }
            joined[o] = 0;
            if (!strstr(joined, n->explain))
                fail_msg("%dx%d %s: the caption '%s' lacks '%s'", w, h, n->name, joined,
                         n->explain);
        }
        assert_true(gr->n_nodes > 40);
        grid_free(&g);
        app_free(&a);
    }
}

// The presenter view at a laptop's and a projector's size, on the chapter's two sentences.
static void test_app_present_screens(void **state)
{
    (void)state;
    static const struct {
        const char *prompt, *op, *slug;
    } cases[] = {
        {NULL, "L1.attn.softmax", "keys_softmax"},
        {"the chicken didn't cross the road because it was too tired", "L1.attn.softmax",
         "chicken_softmax"},
        {NULL, "L0.attn.q", "keys_q"},
        {"the chicken didn't cross the road because it was too tired", "head.probs",
         "chicken_probs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct app a;
        start_with(&a, cases[i].prompt, 1);
        app_key(&a, 'F');
        char go[64];
        snprintf(go, sizeof go, "g%s\n", cases[i].op);
        test_keys(&a, go);
        test_finish(&a);
        assert_string_equal(last_name(&a), cases[i].op);
        for (int big = 0; big < 2; big++) {
            char name[64];
            snprintf(name, sizeof name, "present_%s_%s.txt", cases[i].slug,
                     big ? "200x60" : "100x30");
            screen_golden(&a, big ? 200 : 100, big ? 60 : 30, name);
        }
        app_free(&a);
    }
}

// The light palette on a whole screen (attention in colours, numbers beside it): the golden
// holds the glyphs; the colours each cell is shown in are checked here, as the terminal
// would take them: every heat cell from the light ramps, every text cell named colours on a
// background with at least 4.5:1 contrast (frames 3:1).
static void test_app_light_palette_screen(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "gL1.attn.softmax\n");
    test_finish(&a);
    app_key(&a, 'c'); // colours
    app_key(&a, 'P'); // dark -> light
    assert_int_equal(a.scheme, PALETTE_LIGHT);
    screen_golden(&a, 100, 30, "screen_100x30_light.txt");
    screen_golden(&a, 200, 60, "screen_200x60_light.txt");
    for (int big = 0; big < 2; big++) {
        struct grid g;
        int w = big ? 200 : 100, h = big ? 60 : 30;
        assert_int_equal(grid_init(&g, w, h), 0);
        a.width = w, a.height = h;
        struct screen_state s;
        app_screen(&a, &s);
        screen_draw(&g, &s);
        int heat = 0, text = 0, numbers = 0;
        for (int i = 0; i < g.w * g.h; i++) {
            const struct cell *c = &g.cells[i];
            if (c->style == SF_STYLE_HEAT) {
                struct heat_face f = palette_heat(PALETTE_LIGHT, 1, c->ramp, c->fg, c->bg);
                if (c->fg != SF_LEVEL_MASKED || c->bg != SF_LEVEL_MASKED) {
                    assert_int_equal(f.fg, palette_color(PALETTE_LIGHT, c->ramp, c->fg));
                    assert_int_equal(f.bg, palette_color(PALETTE_LIGHT, c->ramp, c->bg));
                }
                heat += f.fg != palette_heat(PALETTE_256, 1, c->ramp, c->fg, c->bg).fg;
                continue;
            }
            struct heat_face f = palette_text(PALETTE_LIGHT, c->style);
            assert_true(f.fg >= 0 && f.bg >= 0); // nothing left to the terminal's colours
            if (c->cp == ' ')
                continue;
            text++;
            numbers += c->style == SF_STYLE_NUMBER || c->style == SF_STYLE_NEGATIVE;
            double need = c->style == SF_STYLE_BORDER ? 3.0 : 4.5;
            if (test_contrast(f.fg, f.bg) < need)
                fail_msg("%dx%d cell %d,%d style %d: %d on %d", w, h, i % g.w, i / g.w, c->style,
                         f.fg, f.bg);
        }
        assert_true(heat > 0); // the attention weights, in the light ramp's own colours
        assert_true(text > 0 && numbers > 0);
        grid_free(&g);
    }
    app_free(&a);
}

// The row of the next-token list for token `id` at the last position, as numbers: u, now,
// pinned, delta (the heading must read "u  now  pinned  Δ").
static void pinned_row(const char *text, const struct app *a, int id, double out[4])
{
    char piece[64], head[512], line[512];
    tokenizer_piece_str(&a->model.tok, id, piece, sizeof piece);
    assert_true(line_with(text, "pinned       Δ", head, sizeof head));
    const char *h = strstr(text, head), *row = strchr(h, '\n') + 1;
    size_t col = utf8_count(head, (size_t)(strstr(head, "token ") - head)); // the list's column
    for (int n = 0; n < 12; n++) { // the list's rows, best first: the one that starts with id
        const char *end = strchr(row, '\n');
        size_t at = 0;
        for (size_t c = 0; c < col; c++)
            at = utf8_next(row, (size_t)(end - row), at);
        snprintf(line, sizeof line, "%.*s", (int)(end - row - (long)at), row + at);
        if (strncmp(line, piece, strlen(piece)) == 0 && line[strlen(piece)] == ' ') {
            const char *nums = line + strlen(piece);
            while (*nums == ' ')
                nums++;
            assert_int_equal(sscanf(nums, "%lf %lf %lf %lf", &out[0], &out[1], &out[2], &out[3]),
                             4);
            return;
        }
        row = end + 1;
    }
    fail_msg("no row for '%s' below '%s'", piece, head);
}

// b pins the next-token distribution; a temperature change and then an intervention show the
// distribution now beside the pinned one with the difference, each checked against the
// graph's tensors; b again unpins.
static void test_app_pin_before_after(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    app_key(&a, 'G');
    test_finish(&a);
    const struct graph *g = app_graph(&a);
    int V = a.model.cfg.vocab_size, N = g->n_tokens;
    a.view.row = N - 1;
    float *y0 = malloc(sizeof(float) * (size_t)V);
    memcpy(y0, out_of(&a, "head.probs") + (size_t)(N - 1) * V, sizeof(float) * (size_t)V);
    app_key(&a, 'b');
    assert_non_null(a.next.aux.pinned);
    assert_close(a.next.aux.pinned, y0, (size_t)V, 0, 0, "pinned");
    assert_non_null(strstr(a.message, "pinned"));
    // sampling at τ 2: p = softmax(u / 2) now, y at τ 1 pinned
    app_key(&a, 's');
    app_key(&a, SF_KEY_RIGHT); // greedy -> sampling
    app_key(&a, SF_KEY_DOWN);
    test_keys(&a, "2.0\n");
    app_key(&a, SF_KEY_ENTER);
    test_finish(&a);
    test_keys(&a, "ghead.probs\n"); // the next-token panel is the main one
    test_finish(&a);
    assert_true(fabsf(a.sampler.temperature - 2.0f) < 1e-6f);
    const float *u = out_of(&a, "head.logits") + (size_t)(N - 1) * V;
    double *p = malloc(sizeof(double) * (size_t)V), max = -INFINITY, sum = 0;
    for (int v = 0; v < V; v++)
        max = u[v] > max ? u[v] : max;
    for (int v = 0; v < V; v++)
        sum += p[v] = exp((u[v] - max) / 2.0);
    int best = 0, lost = 0; // the most probable token now, and the one that lost the most
    for (int v = 0; v < V; v++) {
        p[v] /= sum;
        best = p[v] > p[best] ? v : best;
        lost = p[v] - y0[v] < p[lost] - y0[lost] ? v : lost;
    }
    char *text = screen_text(&a, 160, 48);
    assert_non_null(strstr(text, "Δ = now − pinned (b unpins); pinned: y after"));
    const char *strip = strstr(text, "pinned (b)"); // on the tokens strip: state in force
    assert_true(strip && strip < strchr(text, '\n'));
    const int ids[2] = {best, lost};
    for (int k = 0; k < 2; k++) {
        double got[4];
        pinned_row(text, &a, ids[k], got);
        assert_true(fabs(got[0] - u[ids[k]]) <= 0.006);
        assert_true(fabs(got[1] - p[ids[k]]) <= 0.00006);
        assert_true(fabs(got[2] - y0[ids[k]]) <= 0.00006);
        assert_true(fabs(got[3] - (p[ids[k]] - y0[ids[k]])) <= 0.00011);
    }
    assert_true(p[lost] - y0[lost] < -0.001); // a drop shows with its sign
    free(text);
    // at sample.renorm (what is drawn from) the same comparison
    test_keys(&a, "gsample.renorm\n");
    test_finish(&a);
    text = screen_text(&a, 160, 48);
    assert_non_null(strstr(text, "Δ = p − pinned (b unpins); pinned: y after"));
    for (int k = 0; k < 2; k++) {
        double got[4];
        pinned_row(text, &a, ids[k], got); // p cut, p, pinned, Δ
        assert_true(fabs(got[1] - p[ids[k]]) <= 0.00006);
        assert_true(fabs(got[2] - y0[ids[k]]) <= 0.00006);
        assert_true(fabs(got[3] - (p[ids[k]] - y0[ids[k]])) <= 0.00011);
    }
    free(text);
    test_keys(&a, "ghead.probs\n");
    // back to greedy, then switch a head off: y with the head off now, the pinned y beside it
    app_key(&a, 's');
    app_key(&a, SF_KEY_UP); // to the decoding field
    app_key(&a, SF_KEY_LEFT);
    app_key(&a, SF_KEY_ENTER);
    assert_true(a.sampler.greedy);
    test_finish(&a);
    app_key(&a, 'b'); // unpin, and pin y after 'cabinet' (position 4)
    assert_null(a.next.aux.pinned);
    a.view.row = 4;
    app_key(&a, 'b');
    memcpy(y0, out_of(&a, "head.probs") + 4 * (size_t)V, sizeof(float) * (size_t)V);
    assert_close(a.next.aux.pinned, y0, (size_t)V, 0, 0, "pinned at 4");
    a.view.layer = 1;
    a.view.head = -1; // all heads of L1 off
    app_key(&a, 'o');
    test_finish(&a);
    a.view.row = 4;
    const float *y1 = out_of(&a, "head.probs") + 4 * (size_t)V;
    int top3[3];
    for (int k = 0; k < 3; k++) { // the three most probable tokens now
        top3[k] = -1;
        for (int v = 0; v < V; v++)
            if ((k < 1 || v != top3[0]) && (k < 2 || v != top3[1]) &&
                (top3[k] < 0 || y1[v] > y1[top3[k]]))
                top3[k] = v;
    }
    text = screen_text(&a, 160, 48);
    assert_non_null(strstr(text, "y now"));
    assert_non_null(strstr(text, "L1 all heads off"));
    double moved = 0;
    for (int k = 0; k < 3; k++) {
        double got[4], d = (double)y1[top3[k]] - y0[top3[k]];
        pinned_row(text, &a, top3[k], got);
        assert_true(fabs(got[1] - y1[top3[k]]) <= 0.00006);
        assert_true(fabs(got[2] - y0[top3[k]]) <= 0.00006);
        assert_true(fabs(got[3] - d) <= 0.00011);
        moved = fabs(d) > moved ? fabs(d) : moved;
    }
    assert_true(moved > 0.01); // the heads changed what the panel shows
    free(text);
    screen_golden(&a, 100, 30, "screen_100x30_pinned.txt");
    screen_golden(&a, 200, 60, "screen_200x60_pinned.txt");
    app_key(&a, 'b'); // unpin
    assert_null(a.next.aux.pinned);
    text = screen_text(&a, 160, 48);
    assert_null(strstr(text, "  pinned"));
    assert_null(strstr(text, "Δ = now"));
    assert_non_null(strstr(text, "unpinned"));
    free(text);
    free(p);
    free(y0);
    app_free(&a);
}

// A pin survives a new prompt: y after the new last token beside y pinned on the old prompt.
static void test_app_pin_across_a_prompt_edit(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "ghead.probs\n");
    test_finish(&a);
    int V = a.model.cfg.vocab_size, N = app_graph(&a)->n_tokens;
    a.view.row = N - 1;
    float *y0 = malloc(sizeof(float) * (size_t)V);
    memcpy(y0, out_of(&a, "head.probs") + (size_t)(N - 1) * V, sizeof(float) * (size_t)V);
    app_key(&a, 'b');
    app_key(&a, 'e');
    app_key(&a, SF_KEY_CTRL_U);
    test_keys(&a, "the keys to the cabinet\n");
    test_finish(&a);
    test_keys(&a, "ghead.probs\n");
    test_finish(&a);
    N = app_graph(&a)->n_tokens;
    a.view.row = N - 1;
    const float *y1 = out_of(&a, "head.probs") + (size_t)(N - 1) * V;
    int best = 0;
    for (int v = 0; v < V; v++)
        best = y1[v] > y1[best] ? v : best;
    char *text = screen_text(&a, 160, 48);
    assert_non_null(strstr(text, "pinned: y after 'table' (position 8)"));
    double got[4];
    pinned_row(text, &a, best, got);
    assert_true(fabs(got[1] - y1[best]) <= 0.00006);
    assert_true(fabs(got[2] - y0[best]) <= 0.00006);
    assert_true(fabs(got[3] - ((double)y1[best] - y0[best])) <= 0.00011);
    assert_true(fabs((double)y1[best] - y0[best]) > 0.01); // 'are' after 'cabinet', not '.'
    free(text);
    free(y0);
    app_free(&a);
}

// At the end of the training step the panel shows each position's loss before the step (from
// loss.xent) and after it (a pass of the updated weights), with the signed change.
static void test_app_training_loss_before_after(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    app_key(&a, 't');
    app_key(&a, 'G');
    test_finish(&a);
    const struct graph *g = app_graph(&a);
    int n = g->n_tokens, V = a.model.cfg.vocab_size;
    float before[64];
    memcpy(before, out_of(&a, "loss.xent"), sizeof(float) * (size_t)n);
    struct graph up = {0}; // the updated weights on the same input
    assert_int_equal(graph_build(&up, &a.train_model, g->ids, n, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_run_to_end(&up), 1);
    const float *y = up.nodes[graph_find(&up, "head.probs")].out.data;
    char *text = screen_text(&a, 160, 48), line[512];
    assert_non_null(strstr(text, "the step is done"));
    assert_non_null(strstr(text, "before   after       Δ"));
    int falls = 0;
    for (int i = 0; i < n; i++) {
        double after = -log((double)y[(size_t)i * V + g->targets[i]]), got[3];
        char want[32];
        snprintf(want, sizeof want, " %7.4f ", (double)before[i]);
        const char *at = text;
        int found = 0;
        while (!found && (at = strstr(at, want)) != NULL) { // the row with this loss before
            const char *eol = strchr(at, '\n');
            snprintf(line, sizeof line, "%.*s", (int)(eol - at), at);
            found = sscanf(line, "%lf %lf %lf", &got[0], &got[1], &got[2]) == 3 &&
                    fabs(got[1] - after) <= 0.00015;
            at++;
        }
        assert_true(found);
        assert_true(fabs(got[1] - after) <= 0.00015);
        assert_true(fabs(got[2] - (after - before[i])) <= 0.0002);
        falls += after < before[i];
    }
    assert_true(falls > 0);
    free(text);
    graph_free(&up);
    screen_golden(&a, 100, 30, "screen_100x30_train_before_after.txt");
    app_free(&a);
}

// While the sampling box is open, a new temperature (typed, or by the arrows) or top-k shows at
// once: the distribution behind the box is the one the new settings sample from, before Enter.
static void test_app_live_sampling(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "ghead.probs\n");
    test_finish(&a);
    const struct graph *g = app_graph(&a);
    int V = a.model.cfg.vocab_size, N = g->n_tokens;
    a.view.row = N - 1;
    const float *u = out_of(&a, "head.logits") + (size_t)(N - 1) * V;
    app_key(&a, 's');
    app_key(&a, SF_KEY_RIGHT); // greedy -> sampling
    app_key(&a, SF_KEY_DOWN);  // temperature
    test_keys(&a, "0.5\n");
    test_finish(&a);
    assert_int_equal(a.mode, APP_MODE_SAMPLING); // the box is still open
    const float taus[2] = {0.5f, 0.6f};
    for (int t = 0; t < 2; t++) {
        if (t == 1) {
            app_key(&a, SF_KEY_RIGHT); // 0.5 -> 0.6 with the arrow
            test_finish(&a);
            assert_int_equal(a.mode, APP_MODE_SAMPLING);
        }
        assert_true(fabsf(a.sampler.temperature - taus[t]) < 1e-6f);
        double p[512], max = -INFINITY, sum = 0;
        assert_true(V <= 512);
        for (int v = 0; v < V; v++)
            max = u[v] > max ? u[v] : max;
        for (int v = 0; v < V; v++)
            sum += p[v] = exp((u[v] - max) / taus[t]);
        int best = 0;
        for (int v = 0; v < V; v++)
            best = p[v] > p[best] ? v : best;
        assert_non_null(a.next.aux.sampled);
        for (int v = 0; v < V; v++)
            assert_true(fabs(a.next.aux.sampled[v] - p[v] / sum) < 1e-5);
        char *text = screen_text(&a, 200, 60), want[64], line[512];
        snprintf(want, sizeof want, "%.4f  %.4f",
                 (double)out_of(&a, "head.probs")[(size_t)(N - 1) * V + best], p[best] / sum);
        assert_true(line_with(text, want, line, sizeof line)); // y at τ 1 beside p at the new τ
        free(text);
    }
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.mode, APP_MODE_NORMAL);
    app_free(&a);
}

// w at a projection: the main panel shows X, W (the selected head's columns) and Q = X W^Q + b^Q
// as three labelled matrices with their shapes, every number from the graph's own tensors.
static void test_app_weights_beside_products(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "gL0.attn.q\n");
    test_finish(&a);
    a.view.head = 1;
    a.view.row = 2;
    char *text = screen_text(&a, 200, 60);
    assert_null(strstr(text, "X [9×64] · W^Q [64×16]"));
    free(text);
    app_key(&a, 'w');
    assert_true(a.view.product);
    const struct graph *g = app_graph(&a);
    const struct node *n = graph_last(g);
    int d = a.model.cfg.d_model, H = a.model.cfg.n_head, dk = d / H, N = g->n_tokens;
    text = screen_text(&a, 200, 60);
    char want[128];
    snprintf(want, sizeof want, "X [%d×%d] · W^Q [%d×%d] + b^Q = Q [%d×%d]", N, d, d, dk, N, dk);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "W^Q [64×16] (this head)"));
    assert_non_null(strstr(text, "rows")); // W's 64 rows do not all fit: counted
    // X's, W's (head 1's first column) and Q's first numbers, as the tables print them
    const float *x = n->in[0]->data, *w = n->in[1]->data + dk, *q = n->out.data + (size_t)N * dk;
    const float vals[3] = {x[0], w[0], q[0]};
    for (int k = 0; k < 3; k++) {
        char num[32];
        panel_number(num, sizeof num, vals[k], 6);
        assert_non_null(strstr(text, num));
    }
    free(text);
    screen_golden(&a, 100, 30, "screen_100x30_product_q.txt");
    screen_golden(&a, 200, 60, "screen_200x60_product_q.txt");
    // at 80x24 X and Q keep at least the selected token's row (W's rows are counted)
    text = screen_text(&a, 80, 24);
    const char *first = strstr(text, "row 3 of 9");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "row 3 of 9"));
    assert_non_null(strstr(text, "of 64"));
    free(text);
    // every other projection, each with its own names and shapes (the tied head reads E as E^T)
    int V = a.model.cfg.vocab_size, dff = a.model.cfg.d_ff;
    char eqs[4][128], cmd[64];
    static const char *const ops[4] = {"L1.attn.proj", "L1.ffn.up", "L1.ffn.down", "head.logits"};
    snprintf(eqs[0], sizeof eqs[0], "concat [%d×%d] · W^O [%d×%d] + b^O = A [%d×%d]", N, d, d, d, N,
             d);
    snprintf(eqs[1], sizeof eqs[1], "X [%d×%d] · W_1 [%d×%d] + b_1 = Z [%d×%d]", N, d, d, dff, N,
             dff);
    snprintf(eqs[2], sizeof eqs[2], "act(Z) [%d×%d] · W_2 [%d×%d] + b_2 = F [%d×%d]", N, dff, dff,
             d, N, d);
    snprintf(eqs[3], sizeof eqs[3], "h [%d×%d] · E^T [%d×%d] = u [%d×%d]", N, d, d, V, N, V);
    for (int k = 0; k < 4; k++) {
        snprintf(cmd, sizeof cmd, "g%s\n", ops[k]);
        test_keys(&a, cmd);
        test_finish(&a);
        text = screen_text(&a, 200, 60);
        assert_non_null(strstr(text, eqs[k]));
        free(text);
    }
    app_key(&a, 'w');
    text = screen_text(&a, 200, 60);
    assert_null(strstr(text, want));
    free(text);
    app_free(&a);
}

static void test_app_whole_screens(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    screen_golden(&a, 80, 24, "screen_80x24_start.txt");
    test_keys(&a, "gL1.attn.softmax\n");
    test_finish(&a);
    a.view.head = 3;
    a.view.row = 4;
    screen_golden(&a, 80, 24, "screen_80x24.txt");
    screen_golden(&a, 160, 48, "screen_160x48.txt");
    screen_golden(&a, 60, 20, "screen_60x20_too_small.txt");
    app_key(&a, 'z');
    screen_golden(&a, 80, 24, "screen_80x24_zoom.txt");
    app_key(&a, 'z');
    app_key(&a, '?');
    screen_golden(&a, 80, 24, "screen_80x24_help.txt");
    app_key(&a, '?');
    // every panel zoomed, at both sizes, after the whole pass
    app_key(&a, 'G');
    test_finish(&a);
    for (int p = 0; p < PANEL_COUNT; p++) {
        if (p == PANEL_TRAINING)
            continue;
        char name[64];
        a.selected = p;
        a.follow = 0;
        a.zoom = p;
        for (int big = 0; big < 2; big++) {
            static const char *const slug[PANEL_COUNT] = {
                "tokens",   "timeline", "equation",   "qkv",        "attention", "layernorm",
                "residual", "ffn",      "next_token", "logit_lens", "training",  "activations",
                "heads",    "model",    "finder",     "worked"};
            snprintf(name, sizeof name, "zoom_%s_%s.txt", slug[p], big ? "160x48" : "80x24");
            screen_golden(&a, big ? 160 : 80, big ? 48 : 24, name);
        }
    }
    a.zoom = -1;
    app_key(&a, 't');
    test_keys(&a, "ggrad.L1.attn.softmax\n");
    test_finish(&a);
    screen_golden(&a, 80, 24, "screen_80x24_train_grad.txt");
    screen_golden(&a, 160, 48, "screen_160x48_train_grad.txt");
    app_key(&a, 'G');
    test_finish(&a);
    screen_golden(&a, 160, 48, "screen_160x48_train_end.txt");
    test_keys(&a, "gadamw.L1.attn.wq\n");
    a.zoom = PANEL_TRAINING;
    screen_golden(&a, 80, 24, "zoom_training_80x24.txt");
    screen_golden(&a, 160, 48, "zoom_training_160x48.txt");
    a.zoom = -1;
    test_keys(&a, "gloss.xent\n");
    a.view.numbers = 0;
    a.zoom = PANEL_TRAINING;
    screen_golden(&a, 80, 24, "zoom_training_loss_80x24.txt");
    a.zoom = PANEL_ATTENTION;
    test_keys(&a, "gL1.attn.softmax\n");
    screen_golden(&a, 80, 24, "zoom_attention_colours_80x24.txt");
    app_free(&a);
}

// The screen drawn at w x h from the app's state (g must be freed), and the text of panel p's
// rectangle in it, a line per row (free it); NULL when the panel is not on screen.
static char *draw_panel_text(struct app *a, int w, int h, enum panel_id p, struct grid *g,
                             struct rect *where)
{
    struct screen_state s;
    test_draw_app(a, w, h, g, &s);
    if (!s.layout.shown[p])
        return NULL;
    struct rect r = s.layout.panel[p];
    *where = r;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (int y = r.y; y < r.y + r.h; y++) {
        for (int x = r.x; x < r.x + r.w; x++) {
            char u[8] = {0};
            uint32_t cp = g->cells[(size_t)y * g->w + x].cp;
            if (cp < 0x80) {
                u[0] = (char)cp;
            } else if (cp < 0x800) {
                u[0] = (char)(0xc0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3f));
            } else {
                u[0] = (char)(0xe0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char)(0x80 | (cp & 0x3f));
            }
            fputs(u, f);
        }
        fputc('\n', f);
    }
    fclose(f);
    return text;
}

// The number of cells drawn SF_STYLE_SELECTED inside r.
static int selected_cells(const struct grid *g, struct rect r)
{
    int n = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            n += g->cells[(size_t)y * g->w + x].style == SF_STYLE_SELECTED;
    return n;
}

// 1 when the attention panel drawn in r shows the matrix cell (i, j) somewhere.
static int attention_cell_shown(const struct app *a, struct rect r, int i, int j)
{
    struct view v = a->view;
    v.graph = app_graph(a);
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) {
            int row, col;
            if (panel_attention_hit(r, &v, x, y, &row, &col) && row == i && col == j)
                return 1;
        }
    return 0;
}

// At 80 x 24 the mask of 9 tokens does not fit: the panel says what is hidden, every row's
// -inf can be brought into view, and the inspect cursor reaches the last column and is drawn.
static void test_app_mask_hides_nothing_silently(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "gL0.attn.mask\n");
    test_finish(&a);
    a.view.row = 6; // "on": its -inf entries are in the last columns
    screen_golden(&a, 80, 24, "screen_80x24_mask.txt");
    struct grid g;
    struct rect r;
    char *text = draw_panel_text(&a, 80, 24, PANEL_ATTENTION, &g, &r);
    assert_non_null(text);
    int N = app_graph(&a)->n_tokens, all = 1;
    for (int j = 0; j < N; j++)
        all &= attention_cell_shown(&a, r, 0, j);
    assert_true(all || strstr(text, " →"));         // every column, or a count of the hidden ones
    assert_true(attention_cell_shown(&a, r, 6, 7)); // the selected row's first -inf
    assert_non_null(strstr(text, "-inf"));
    free(text);
    grid_free(&g);
    // after the softmax every row's sum over all keys is shown
    test_keys(&a, "gL0.attn.softmax\n");
    test_finish(&a);
    text = draw_panel_text(&a, 80, 24, PANEL_ATTENTION, &g, &r);
    assert_non_null(strstr(text, "Σ row"));
    assert_non_null(strstr(text, "1.00\n"));
    free(text);
    grid_free(&g);
    // the inspect cursor on the last column is drawn, and so is the cell it is on
    app_key(&a, 'i');
    a.view.col = 0;
    for (int k = 0; k < N - 1; k++)
        app_key(&a, SF_KEY_RIGHT);
    assert_int_equal(a.view.col, N - 1);
    text = draw_panel_text(&a, 80, 24, PANEL_ATTENTION, &g, &r);
    assert_true(attention_cell_shown(&a, r, a.view.row, N - 1));
    assert_true(selected_cells(&g, r) > 0);
    free(text);
    grid_free(&g);
    app_free(&a);
}

// The 11 tokens of the chicken sentence: every column of the mask at 160 x 48.
static void test_app_eleven_tokens_fit_at_160x48(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, "the chicken didn't cross the road because it was too tired", 1);
    assert_int_equal(app_graph(&a)->n_tokens, 11);
    test_keys(&a, "gL0.attn.mask\n");
    test_finish(&a);
    screen_golden(&a, 160, 48, "screen_160x48_chicken_mask.txt");
    struct grid g;
    struct rect r;
    char *text = draw_panel_text(&a, 160, 48, PANEL_ATTENTION, &g, &r);
    for (int j = 0; j < 11; j++)
        assert_true(attention_cell_shown(&a, r, 10, j));
    free(text);
    grid_free(&g);
    app_free(&a);
}

// Q, K and V: every one of the 16 dimensions can be reached by the inspect cursor, and the
// zoomed panel at 200 x 60 shows them all.
static void test_app_qkv_every_dimension(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "gL0.attn.q\n");
    test_finish(&a);
    a.view.head = 0;
    app_key(&a, 'i');
    a.view.col = 0;
    for (int k = 0; k < 16; k++) {
        struct grid g;
        struct rect r;
        char *text = draw_panel_text(&a, 160, 48, PANEL_QKV, &g, &r);
        assert_non_null(text);
        assert_int_equal(selected_cells(&g, r) > 0, 1); // the cursor's cell is drawn
        char want[16];
        snprintf(want, sizeof want, "%d", k);
        assert_non_null(strstr(text, want));
        free(text);
        grid_free(&g);
        app_key(&a, SF_KEY_RIGHT);
    }
    app_key(&a, 'i');
    a.selected = PANEL_QKV;
    app_key(&a, 'z');
    screen_golden(&a, 200, 60, "zoom_qkv_200x60.txt");
    struct grid g;
    struct rect r;
    char *text = draw_panel_text(&a, 200, 60, PANEL_QKV, &g, &r);
    assert_non_null(strstr(text, " 14 ")); // the last dimensions' labels (cells grown wider)
    assert_non_null(strstr(text, " 15 "));
    assert_null(strstr(text, " →")); // nothing hidden
    free(text);
    grid_free(&g);
    app_free(&a);
}

// The gradient of the logits: the target's column is in view, and the inspect readout names
// a vocabulary column by its token.
static void test_app_gradient_map_shows_the_target(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    app_key(&a, 't');
    test_keys(&a, "ggrad.head.logits\n");
    test_finish(&a);
    const struct graph *g0 = app_graph(&a);
    a.view.row = 2;
    int target = g0->targets[2];
    screen_golden(&a, 160, 48, "screen_160x48_grad_logits.txt");
    app_key(&a, 'i');
    a.view.col = 0;
    for (int k = 0; k < target; k++)
        app_key(&a, SF_KEY_RIGHT);
    struct grid g;
    struct rect r;
    char *text = draw_panel_text(&a, 160, 48, PANEL_TRAINING, &g, &r);
    assert_true(selected_cells(&g, r) > 0);
    free(text);
    grid_free(&g);
    char piece[48], want[64];
    tokenizer_piece_str(&a.model.tok, target, piece, sizeof piece);
    snprintf(want, sizeof want, "[2, %d '%s']", target, piece);
    text = draw_panel_text(&a, 160, 48, PANEL_EQUATION, &g, &r);
    assert_non_null(strstr(text, want));
    free(text);
    grid_free(&g);
    app_free(&a);
}

// The logit lens reaches every position: in the side column at 160 x 48 the six positions do
// not all fit, and the panel counts the hidden ones on the side they are on; the selected
// position is always shown.
static void test_app_logit_lens_every_position(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, "the keys to the cabinet are", 1);
    assert_int_equal(app_graph(&a)->n_tokens, 6);
    test_keys(&a, "ghead.probs\n");
    test_finish(&a);
    for (int row = 0; row < 6; row++) {
        a.view.row = row;
        struct screen_state s;
        app_screen(&a, &s);
        test_finish(&a);
        struct grid g;
        struct rect r;
        char *text = draw_panel_text(&a, 160, 48, PANEL_LOGIT_LENS, &g, &r);
        assert_non_null(text);
        if (row == 0)
            assert_non_null(strstr(text, " →"));
        if (row == 5)
            assert_non_null(strstr(text, "← "));
        // the selected position's top token is drawn in the current style on the block lines
        int current = 0;
        for (int x = r.x; x < r.x + r.w; x++)
            current += g.cells[(size_t)(r.y + 2) * g.w + x].style == SF_STYLE_CURRENT;
        assert_true(current > 0);
        free(text);
        grid_free(&g);
    }
    screen_golden(&a, 160, 48, "screen_160x48_logit_lens_last.txt");
    app_free(&a);
}

// All heads of the shipped model's layer: labelled maps with the query tokens beside them, in
// the main panel at 160 x 48 and larger when zoomed.
static void test_app_all_heads_zoom_enlarges(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "gL1.attn.softmax\n");
    test_finish(&a);
    a.view.head = 0;
    app_key(&a, 'H'); // from head 0 back to all heads
    assert_int_equal(a.view.head, -1);
    screen_golden(&a, 160, 48, "screen_160x48_all_heads.txt");
    struct grid g;
    struct rect r;
    char *text = draw_panel_text(&a, 160, 48, PANEL_ATTENTION, &g, &r);
    for (int h = 0; h < a.model.cfg.n_head; h++) {
        char want[16];
        snprintf(want, sizeof want, "h%d", h);
        assert_non_null(strstr(text, want));
    }
    assert_non_null(strstr(text, "cabinet")); // the query tokens label the rows
    int small = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            small += g.cells[(size_t)y * g.w + x].style == SF_STYLE_HEAT;
    free(text);
    grid_free(&g);
    a.selected = PANEL_ATTENTION;
    app_key(&a, 'z');
    screen_golden(&a, 160, 48, "zoom_all_heads_160x48.txt");
    text = draw_panel_text(&a, 160, 48, PANEL_ATTENTION, &g, &r);
    int big = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            big += g.cells[(size_t)y * g.w + x].style == SF_STYLE_HEAT;
    assert_true(big > small);
    free(text);
    grid_free(&g);
    app_free(&a);
}

// embed.tok, embed.pos, attn.concat and attn.proj show what they computed: the main panel
// changes with each, and the inspect cursor is drawn on it.
static void test_app_ops_show_their_output(void **state)
{
    (void)state;
    static const char *const ops[] = {"embed.tok", "embed.pos", "L0.attn.concat", "L0.attn.proj"};
    struct app a;
    start_with(&a, NULL, 1);
    for (int k = 0; k < 4; k++) {
        int at = graph_find(app_graph(&a), ops[k]);
        assert_true(at >= 0);
        char cmd[80];
        if (at == 0) { // just before the op: what the screen showed
            app_key(&a, SF_KEY_HOME);
        } else {
            snprintf(cmd, sizeof cmd, "g%s\n", app_graph(&a)->nodes[at - 1].name);
            test_keys(&a, cmd);
        }
        test_finish(&a);
        struct screen_state s;
        app_screen(&a, &s);
        struct grid g;
        struct rect r;
        char *before = draw_panel_text(&a, 80, 24, (enum panel_id)s.main, &g, &r);
        grid_free(&g);
        snprintf(cmd, sizeof cmd, "g%s\n", ops[k]);
        test_keys(&a, cmd);
        test_finish(&a);
        assert_string_equal(last_name(&a), ops[k]);
        app_screen(&a, &s);
        assert_int_equal(s.main, PANEL_ACTIVATIONS);
        char *after = draw_panel_text(&a, 80, 24, PANEL_ACTIVATIONS, &g, &r);
        assert_non_null(before);
        assert_non_null(after);
        assert_string_not_equal(before, after);
        assert_non_null(strstr(after, "cabinet")); // rows named by their tokens
        grid_free(&g);
        app_key(&a, 'i');
        a.view.col = 0;
        for (int c = 0; c < 20; c++) // past the columns that fit at first
            app_key(&a, SF_KEY_RIGHT);
        free(after);
        after = draw_panel_text(&a, 80, 24, PANEL_ACTIVATIONS, &g, &r);
        assert_true(selected_cells(&g, r) > 0);
        app_key(&a, 'i');
        free(before);
        free(after);
        grid_free(&g);
    }
    test_keys(&a, "gembed.tok\n");
    screen_golden(&a, 80, 24, "screen_80x24_embed_tok.txt");
    test_keys(&a, "gembed.pos\n");
    screen_golden(&a, 160, 48, "screen_160x48_embed_pos.txt");
    test_keys(&a, "gL1.attn.concat\n");
    screen_golden(&a, 160, 48, "screen_160x48_concat.txt");
    app_free(&a);
}

// The inspect cursor on ffn.down is drawn in the feedforward panel.
static void test_app_inspect_ffn_down(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "gL0.ffn.down\n");
    test_finish(&a);
    app_key(&a, 'i');
    app_key(&a, SF_KEY_RIGHT);
    struct grid g;
    struct rect r;
    char *text = draw_panel_text(&a, 80, 24, PANEL_FFN, &g, &r);
    assert_non_null(text);
    assert_true(selected_cells(&g, r) > 0);
    free(text);
    grid_free(&g);
    app_free(&a);
}

// Inspecting an op of one row keeps the selected token: leaving the inspect cursor, or moving
// to an op with a row per token, gives it back.
static void test_app_inspect_one_row_keeps_the_token(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    test_keys(&a, "gsample.temperature\n");
    test_finish(&a);
    a.view.row = 3;
    app_key(&a, 'i');
    assert_true(a.view.inspect);
    assert_int_equal(a.view.row, 0); // the only row
    app_key(&a, 'i');
    assert_false(a.view.inspect);
    assert_int_equal(a.view.row, 3);
    app_key(&a, 'i');
    app_key(&a, SF_KEY_ESCAPE);
    assert_int_equal(a.view.row, 3);
    app_key(&a, 'i');
    test_keys(&a, "ghead.probs\n"); // a row per token again
    test_finish(&a);
    assert_true(a.view.inspect);
    assert_int_equal(a.view.row, 3);
    app_free(&a);
}

static void test_app_bad_start(void **state)
{
    (void)state;
    struct app a;
    struct sf_diag d;
    char msg[SF_MSG_MAX];
    struct app_options o = {.model_path = "/nonexistent/model.sfm"};
    assert_int_not_equal(app_init(&a, &o, &d), 0);
    sf_diag_format(&d, msg, sizeof msg);
    assert_non_null(strstr(msg, "/nonexistent/model.sfm"));
    o = (struct app_options){.model_path = test_model_path, .prompt = ""};
    assert_int_not_equal(app_init(&a, &o, &d), 0);
    sf_diag_format(&d, msg, sizeof msg);
    assert_non_null(strstr(msg, "--prompt"));
    o = (struct app_options){.model_path = test_model_path, .ids = "3,1,99999"};
    assert_int_not_equal(app_init(&a, &o, &d), 0);
    sf_diag_format(&d, msg, sizeof msg);
    assert_non_null(strstr(msg, "--ids"));
    assert_non_null(strstr(msg, "99999"));
    // the option is named once, whichever step found the fault
    o = (struct app_options){.model_path = test_model_path, .ids = "3,x"};
    assert_int_not_equal(app_init(&a, &o, &d), 0);
    sf_diag_format(&d, msg, sizeof msg);
    assert_string_equal(msg, "--ids: item 2 'x' is not a token id; give comma-separated integers "
                             "such as 3,1,4");
    o = (struct app_options){.model_path = test_model_path, .ids = "3,1,4"};
    assert_int_equal(app_init(&a, &o, &d), 0);
    assert_int_equal(a.fwd.n_tokens, 3);
    app_free(&a);
}

// Every panel stays inside its rectangle, whatever its size, at every few ops of the forward
// pass and of the training iteration, in numbers and in colours.
static void draw_all_panels_inside(struct app *a)
{
    const int sizes[][2] = {{12, 1}, {20, 2}, {30, 4}, {40, 6}, {81, 13}, {150, 40}};
    struct grid g;
    assert_int_equal(grid_init(&g, 160, 44), 0);
    struct screen_state s;
    app_screen(a, &s);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (int p = 0; p < PANEL_COUNT; p++) {
            struct rect r = {3, 2, sizes[k][0], sizes[k][1]};
            grid_clear(&g, SF_STYLE_NORMAL);
            for (int i = 0; i < g.w * g.h; i++)
                g.cells[i].cp = '#';
            for (int y = r.y; y < r.y + r.h; y++)
                for (int x = r.x; x < r.x + r.w; x++)
                    g.cells[y * g.w + x].cp = ' ';
            screen_draw_panel(&g, (enum panel_id)p, r, &s.view, 0);
            for (int y = 0; y < g.h; y++)
                for (int x = 0; x < g.w; x++)
                    if (x < r.x || x >= r.x + r.w || y < r.y || y >= r.y + r.h)
                        if (g.cells[y * g.w + x].cp != '#')
                            fail_msg("panel %s drew at (%d, %d) outside %dx%d",
                                     panel_name((enum panel_id)p), x, y, r.w, r.h);
        }
    grid_free(&g);
}

static void test_app_panels_stay_inside(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    for (int train = 0; train < 2; train++) {
        if (train)
            app_key(&a, 't');
        for (int numbers = 0; numbers < 2; numbers++) {
            a.view.numbers = numbers;
            app_key(&a, SF_KEY_HOME);
            do {
                draw_all_panels_inside(&a);
                for (int i = 0; i < 7; i++)
                    app_key(&a, ' ');
            } while (app_graph(&a)->cursor < app_graph(&a)->n_nodes);
            draw_all_panels_inside(&a);
        }
    }
    a.view.head = -1; // all heads
    draw_all_panels_inside(&a);
    app_free(&a);
}

// The inspect line writes a negative number with a real minus sign, and a negative operand
// after an operator in parentheses: "exp(−2.996 − (−2.160))", never "− -2.160"; without
// UTF-8 the same with '-'. Every cell of the rows of a softmax, a LayerNorm and a sum.
static void test_app_inspect_signs_are_parenthesised(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    static const char *const ops[] = {"gL0.attn.softmax\n", "gL0.ln1.norm\n", "gL0.resid1\n",
                                      "gL0.attn.q\n"};
    int parens = 0;
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        test_keys(&a, ops[o]);
        test_finish(&a);
        struct screen_state s;
        app_screen(&a, &s);
        const float *m;
        int rows, cols;
        assert_true(panel_matrix(&s.view, graph_last(app_graph(&a)), &m, &rows, &cols));
        struct view v = s.view;
        v.inspect = 1;
        for (int ascii = 0; ascii <= 1; ascii++)
            for (v.row = 0; v.row < rows; v.row++)
                for (v.col = 0; v.col < cols && v.col < 16; v.col++) {
                    struct grid eq;
                    assert_int_equal(grid_init(&eq, 200, 6), 0);
                    eq.ascii = ascii;
                    screen_draw_panel(&eq, PANEL_EQUATION, (struct rect){0, 0, 200, 6}, &v, 0);
                    char row[1200];
                    test_row_text(&eq, 2, row, sizeof row);
                    const char *minus = ascii ? "-" : "−";
                    char bad[4][16];
                    snprintf(bad[0], 16, "− %s", minus);
                    snprintf(bad[1], 16, "+ %s", minus);
                    snprintf(bad[2], 16, ascii ? "*%s" : "⋅%s", minus);
                    snprintf(bad[3], 16, "- %s", minus);
                    for (int b = 0; b < 4; b++)
                        if (strstr(row, bad[b]))
                            fail_msg("'%s' in '%s'", bad[b], row);
                    if (!ascii)
                        assert_null(strpbrk(row, "-")); // the real minus only
                    char paren[8];
                    snprintf(paren, sizeof paren, "(%s", minus);
                    parens += strstr(row, paren) != NULL;
                    grid_free(&eq);
                }
    }
    assert_true(parens > 0);
    app_free(&a);
}

// Without UTF-8 every symbol is drawn in its ASCII form: at a stop in each part of the pass
// (and of training), every panel zoomed, as numbers and as colours, the whole screen, the
// help and the inspect line hold no byte of 0x80 or more; one such screen is a golden.
static void test_app_ascii_screens_hold_ascii_only(void **state)
{
    (void)state;
    struct app a;
    start_with(&a, NULL, 1);
    static const char *const stops[] = {"gL0.ln1.stats\n", "gL1.attn.softmax\n", "gL1.resid2\n",
                                        "ghead.probs\n"};
    struct grid g;
    for (int train = 0; train < 2; train++) {
        if (train)
            app_key(&a, 't');
        for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
            test_keys(&a, train && k == 0 ? "ggrad.L1.attn.softmax\n" : stops[k]);
            test_finish(&a);
            for (int numbers = 0; numbers <= 1; numbers++)
                for (int zoom = -2; zoom < PANEL_COUNT; zoom++) {
                    a.view.numbers = numbers;
                    a.zoom = zoom < 0 ? -1 : zoom;
                    if (zoom == -2)
                        app_key(&a, '?'); // the help; it closes again below
                    a.view.inspect = zoom == PANEL_EQUATION;
                    a.width = zoom == -1 ? 160 : 80;
                    a.height = zoom == -1 ? 48 : 24;
                    struct screen_state s;
                    app_screen(&a, &s);
                    assert_int_equal(grid_init(&g, a.width, a.height), 0);
                    screen_draw(&g, &s); // every symbol drawn has an ASCII form of its own
                    for (int i = 0; i < g.w * g.h; i++)
                        if (g.cells[i].cp >= 0x80 && g.cells[i].style != SF_STYLE_HEAT &&
                            strcmp(grid_ascii(g.cells[i].cp), "?") == 0)
                            fail_msg("U+%04X at (%d, %d) of %s, zoom %d has no ASCII form",
                                     g.cells[i].cp, i % g.w, i / g.w, stops[k], zoom);
                    g.ascii = 1;
                    screen_draw(&g, &s);
                    for (int i = 0; i < g.w * g.h; i++)
                        if (g.cells[i].cp >= 0x80)
                            fail_msg("U+%04X at (%d, %d) of %s, zoom %d", g.cells[i].cp, i % g.w,
                                     i / g.w, stops[k], zoom);
                    grid_free(&g);
                    if (zoom == -2)
                        app_key(&a, '?');
                }
            a.view.inspect = 0;
        }
    }
    a.zoom = PANEL_LAYERNORM;
    a.view.numbers = 1;
    test_keys(&a, "gL1.ln1.affine\n");
    test_finish(&a);
    a.width = 80, a.height = 24;
    struct screen_state s;
    app_screen(&a, &s);
    assert_int_equal(grid_init(&g, 80, 24), 0);
    g.ascii = 1;
    screen_draw(&g, &s);
    test_check_golden(&g, "zoom_layernorm_ascii_80x24.txt");
    grid_free(&g);
    app_free(&a);
}

// No screen shows a negative zero: every op of the pass and of the training iteration, on the
// fast kernels (where the sign of a value that rounds to zero depends on the kernel), the
// whole screen and the equation panel with the inspect cursor on every cell of each op's
// matrix (the first 24 columns), whose text prints 3 and 4 decimals.
static void test_app_no_negative_zero_on_any_screen(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    struct grid g, eq;
    assert_int_equal(grid_init(&g, 200, 60), 0);
    assert_int_equal(grid_init(&eq, 160, 6), 0);
    a.width = 200;
    a.height = 60;
    for (int train = 0; train < 2; train++) {
        if (train)
            app_key(&a, 't');
        app_key(&a, SF_KEY_HOME);
        while (app_graph(&a)->cursor < app_graph(&a)->n_nodes) {
            app_key(&a, ' ');
            const struct node *n = graph_last(app_graph(&a));
            struct screen_state s;
            app_screen(&a, &s);
            grid_clear(&g, SF_STYLE_NORMAL);
            screen_draw(&g, &s);
            assert_no_negative_zero(&g, n->name);
            const float *m;
            int rows, cols;
            if (!panel_matrix(&s.view, n, &m, &rows, &cols))
                continue;
            struct view v = s.view;
            v.inspect = 1;
            for (v.row = 0; v.row < rows; v.row++)
                for (v.col = 0; v.col < cols && v.col < 24; v.col++) {
                    grid_clear(&eq, SF_STYLE_NORMAL);
                    screen_draw_panel(&eq, PANEL_EQUATION, (struct rect){0, 0, 160, 6}, &v, 0);
                    assert_no_negative_zero(&eq, n->name);
                }
        }
    }
    grid_free(&g);
    grid_free(&eq);
    app_free(&a);
}

// 1 when s is well-formed UTF-8 with no control character (decoded here byte by byte,
// independently of the code under test).
static int clean_utf8(const char *s)
{
    static const unsigned long least[5] = {0, 0, 0x80, 0x800, 0x10000};
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        unsigned c = *u;
        int len = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
        if (!len)
            return 0;
        unsigned long cp = c & (0xffu >> (len + (len > 1)));
        for (int k = 1; k < len; k++) {
            if ((u[k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (u[k] & 0x3fu);
        }
        if (cp < least[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp < 0x20 ||
            (cp >= 0x7f && cp < 0xa0))
            return 0;
        u += len;
    }
    return 1;
}

static int chars_of(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

// 10,000 characters of 1, 2, 3 and 4 bytes, as a paste arrives: key by key.
static void paste(struct app *a)
{
    static const int cps[] = {'a', 0xe9, 0x2211, 0x1f600, ' ', 0x6f22};
    for (int i = 0; i < 10000; i++)
        app_key(a, cps[i % 6]);
}

// What a paste longer than the line leaves: whole characters up to the line's size, valid
// UTF-8, and a message saying it was cut.
static void check_cut(struct app *a)
{
    assert_true(clean_utf8(a->input.text));
    assert_int_equal((int)strlen(a->input.text), a->input.len);
    assert_true(a->input.len <= APP_PROMPT_MAX - 1 && a->input.len > APP_PROMPT_MAX - 1 - 4);
    char want[80];
    snprintf(want, sizeof want, "cut at %d characters", chars_of(a->input.text));
    if (!strstr(a->message, want))
        fail_msg("the message '%s' does not say '%s'", a->message, want);
}

// A 10,000-character paste into the prompt editor and the goto line: cut between characters
// with a message, which the status line shows beside the end of what was typed.
static void test_app_paste_is_cut_between_characters_with_a_message(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    a.width = 100;
    for (int mode = 0; mode < 2; mode++) {
        app_key(&a, mode ? 'g' : 'e');
        app_key(&a, 21);
        paste(&a);
        check_cut(&a);
        struct screen_state s;
        app_screen(&a, &s);
        assert_true(clean_utf8(s.status));
        if (chars_of(s.status) > 100 - (int)strlen(s.keys) - 1) // the keys at the right
            fail_msg("%d characters: '%s'", chars_of(s.status), s.status);
        assert_non_null(strstr(s.status, "…"));
        assert_non_null(strstr(s.status, "_   too long: cut at")); // the end, then the message
        app_key(&a, SF_KEY_ESCAPE);
    }
    // Enter runs what was kept
    app_key(&a, 'e');
    app_key(&a, 21);
    paste(&a);
    app_key(&a, SF_KEY_ENTER);
    assert_true(clean_utf8(a.prompt));
    assert_true(a.fwd.n_tokens > 1);
    // Only characters are typed: no C1 control, surrogate or value beyond Unicode.
    app_key(&a, 'e');
    app_key(&a, 21);
    app_key(&a, 0x9b);
    app_key(&a, 0x85);
    app_key(&a, 0xd800);
    app_key(&a, 0x110000);
    app_key(&a, 0xe9);
    assert_string_equal(a.input.text, "\xc3\xa9");
    app_free(&a);
}

// The lesson's answer line takes a paste the same way; the answer quoted back stays short
// enough for the hint after it, and is cut between characters too.
static void test_app_paste_into_a_lesson_answer(void **state)
{
    (void)state;
    char dir[512], path[600];
    test_tmp_path(dir, sizeof dir, "app_paste_state");
    setenv("XDG_STATE_HOME", dir, 1);
    test_tmp_path(path, sizeof path, "app_paste_lesson.md");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# Lesson 1: pasting\n\nType an answer.\n@question What is it?\n@answer fish\n"
          "@hint It swims.\n@pause\nThe end.\n",
          f);
    fclose(f);
    struct app a;
    char *argv[] = {path, "--restart", NULL};
    assert_int_equal(app_lesson_open(&a, 2, argv, stderr), 0);
    assert_true(a.lesson->typing);
    paste(&a);
    check_cut(&a);
    app_key(&a, SF_KEY_ENTER);
    assert_true(clean_utf8(a.lesson->feedback));
    assert_non_null(strstr(a.lesson->feedback, "…' is not it. Hint: It swims."));
    app_free(&a);
}

// Backspace takes one character: a whole UTF-8 sequence, or one stray byte (a decoded prompt
// can hold bytes that are not UTF-8), never the character before it.
static void test_app_backspace_takes_one_character(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    app_key(&a, 'e');
    static const struct {
        const char *before, *after;
    } cases[] = {{"a\xc3\xa9", "a"},       {"a\xf0\x9f\x98\x80", "a"}, {"a\x80", "a"},
                 {"ab\x80\x80", "ab\x80"}, {"a\xe2\x88", "a"},         {"\xe6\xbc\xa2", ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        line_edit_set(&a.input, cases[i].before);
        app_key(&a, SF_KEY_BACKSPACE);
        assert_string_equal(a.input.text, cases[i].after);
        assert_int_equal(a.input.len, (int)strlen(cases[i].after));
    }
    app_free(&a);
}

// The text of grid row y, and the style of cell (x, y).
static const char *row_text(const struct grid *g, int y, char *buf, size_t size)
{
    size_t o = 0;
    for (int x = 0; x < g->w && o + 5 < size; x++) {
        uint32_t cp = g->cells[(size_t)y * g->w + x].cp;
        if (cp < 0x80) {
            buf[o++] = (char)cp;
        } else if (cp < 0x800) {
            buf[o++] = (char)(0xc0 | cp >> 6), buf[o++] = (char)(0x80 | (cp & 0x3f));
        } else {
            buf[o++] = (char)(0xe0 | cp >> 12), buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            buf[o++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    buf[o] = 0;
    return buf;
}

static int style_at(const struct grid *g, int x, int y)
{
    return g->cells[(size_t)y * g->w + x].style;
}

// The prompt edited in the middle: the arrows move the cursor, typing goes in at it, and the
// status line shows where it is (its cell in the normal style, a gap in the title bar).
static void test_app_edit_the_prompt_in_the_middle(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    app_key(&a, 'e');
    app_key(&a, SF_KEY_CTRL_U);
    test_keys(&a, "the chicken tired");
    for (int i = 0; i < 5; i++)
        app_key(&a, SF_KEY_LEFT);
    test_keys(&a, "was ");
    assert_string_equal(a.input.text, "the chicken was tired");
    struct screen_state s;
    app_screen(&a, &s);
    assert_string_equal(s.status, " prompt: the chicken was tired   (Enter runs it, Esc cancels)");
    assert_int_equal(s.status_cursor, 25); // on the t of "tired"
    struct grid g;
    assert_int_equal(grid_init(&g, 160, 48), 0);
    screen_draw(&g, &s);
    assert_int_equal(g.cells[47 * 160 + 25].cp, 't');
    assert_int_equal(style_at(&g, 25, 47), SF_STYLE_NORMAL);
    assert_int_equal(style_at(&g, 24, 47), SF_STYLE_TITLE);
    assert_int_equal(style_at(&g, 26, 47), SF_STYLE_TITLE);
    app_key(&a, SF_KEY_END); // at the end the cursor is the "_" after the text
    app_screen(&a, &s);
    assert_non_null(strstr(s.status, "tired_   (Enter"));
    assert_int_equal(s.status_cursor, 30);
    app_key(&a, SF_KEY_ENTER);
    assert_string_equal(a.prompt, "the chicken was tired");
    assert_int_equal(a.fwd.n_tokens, 4);
    // the other keys: Ctrl-A, Delete, Ctrl-E, Ctrl-W, Home, Ctrl-K, Escape
    app_key(&a, 'e');
    app_key(&a, SF_KEY_CTRL_A);
    for (int i = 0; i < 4; i++)
        app_key(&a, SF_KEY_DELETE);
    assert_string_equal(a.input.text, "chicken was tired");
    app_key(&a, SF_KEY_CTRL_E);
    app_key(&a, SF_KEY_CTRL_W);
    assert_string_equal(a.input.text, "chicken was ");
    app_key(&a, SF_KEY_HOME);
    for (int i = 0; i < 7; i++)
        app_key(&a, SF_KEY_RIGHT);
    app_key(&a, SF_KEY_CTRL_K);
    assert_string_equal(a.input.text, "chicken");
    assert_int_equal(a.mode, APP_MODE_PROMPT);
    app_key(&a, SF_KEY_ESCAPE);
    assert_int_equal(a.mode, APP_MODE_NORMAL);
    assert_string_equal(a.prompt, "the chicken was tired");
    // goto takes the same keys; Tab completes the whole line
    test_keys(&a, "g1.attn.so");
    app_key(&a, SF_KEY_HOME);
    app_key(&a, 'L');
    app_key(&a, SF_KEY_END);
    app_key(&a, SF_KEY_TAB);
    assert_string_equal(a.input.text, "L1.attn.softmax");
    app_key(&a, SF_KEY_ENTER);
    test_finish(&a);
    assert_string_equal(last_name(&a), "L1.attn.softmax");
    grid_free(&g);
    app_free(&a);
}

// The sampling box: a digit typed on a setting opens the input line for its value; Enter sets
// it (temperature and top-p to the steps of the arrows), a value out of its limits is refused
// with a message, Esc keeps the setting.
static void test_app_sampling_values_are_typed(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    app_key(&a, 's');
    test_keys(&a, "5"); // the decoding is chosen, not typed
    assert_false(a.sampling_typing);
    app_key(&a, SF_KEY_DOWN);
    test_keys(&a, "0.73");
    assert_true(a.sampling_typing);
    struct screen_state s;
    app_screen(&a, &s);
    assert_int_equal(s.overlay_cursor, APP_FIELD_TEMPERATURE);
    assert_string_equal(s.overlay[APP_FIELD_TEMPERATURE], "temperature   0.73_");
    assert_int_equal(s.overlay_cursor_col, 18);
    app_key(&a, SF_KEY_LEFT); // the arrows move the cursor while typing
    app_screen(&a, &s);
    assert_string_equal(s.overlay[APP_FIELD_TEMPERATURE], "temperature   0.73");
    assert_int_equal(s.overlay_cursor_col, 17);
    app_key(&a, SF_KEY_ENTER);
    assert_false(a.sampling_typing);
    assert_true(fabsf(a.sampler.temperature - 0.7f) < 1e-6f);
    assert_non_null(strstr(a.message, "temperature 0.73 is set to 0.7: the settings go in steps"));
    test_keys(&a, "9\n");
    assert_true(a.sampling_typing);
    assert_int_equal(a.message_error, 1);
    assert_non_null(strstr(a.message, "'9' is not a number from 0.1 to 5"));
    app_key(&a, SF_KEY_ESCAPE);
    assert_false(a.sampling_typing);
    assert_true(fabsf(a.sampler.temperature - 0.7f) < 1e-6f);
    assert_int_equal(a.mode, APP_MODE_SAMPLING);
    app_key(&a, SF_KEY_DOWN);
    test_keys(&a, "40\n");
    assert_int_equal(a.sampler.top_k, 40);
    test_keys(&a, "j.42\n");
    assert_true(fabsf(a.sampler.top_p - 0.4f) < 1e-6f);
    assert_non_null(strstr(a.message, "top-p .42 is set to 0.4:"));
    test_keys(&a, "0.9\n"); // a value on a step: no message
    assert_true(fabsf(a.sampler.top_p - 0.9f) < 1e-6f);
    assert_int_equal(a.message[0], 0);
    test_keys(&a, "j1234\n");
    assert_int_equal(a.seed, 1234);
    test_keys(&a, "j9\n");
    assert_int_equal(a.beam, 1);
    app_key(&a, SF_KEY_ESCAPE);
    test_keys(&a, "j"); // the arrows' keys work again: round to the decoding
    assert_int_equal(a.sampling_field, APP_FIELD_DECODING);
    app_key(&a, SF_KEY_RIGHT); // greedy -> sampling
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.mode, APP_MODE_NORMAL);
    assert_false(a.sampler.greedy);
    assert_true(fabsf(a.sampler.temperature - 0.7f) < 1e-6f);
    assert_int_equal(a.sampler.top_k, 40);
    assert_non_null(strstr(a.message, "top-p 0.90, seed 1234"));
    app_free(&a);
}

// Building the screen state changes nothing: the logit lens is computed by the moves (here
// without a screen ever built), the layout is chosen once per frame, and a click goes where
// that frame put the panels.
static void test_app_screen_state_is_built_without_side_effects(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    app_key(&a, 'G');
    test_finish(&a);
    assert_int_equal(a.lens_valid, a.model.cfg.n_layer);
    size_t cells = (size_t)a.lens.n_layer * (size_t)a.lens.n;
    for (size_t i = 0; i < cells; i++)
        assert_true(a.lens.top[i] >= 0);
    int *top = malloc(2 * cells * sizeof(int));
    memcpy(top, a.lens.top, 2 * cells * sizeof(int));
    struct view v = a.view;
    int selected = a.selected;
    a.selected = PANEL_RESIDUAL; // the logit lens beside it at 160 x 48
    a.follow = 0;
    struct screen_state s, t;
    app_screen(&a, &s);
    assert_true(s.layout.shown[PANEL_LOGIT_LENS]);
    assert_ptr_equal(s.view.lens, &a.lens);
    app_screen(&a, &t);
    assert_memory_equal(&s.layout, &t.layout, sizeof s.layout);
    assert_memory_equal(a.lens.top, top, 2 * cells * sizeof(int));
    assert_memory_equal(&a.view, &v, sizeof v);
    assert_false(app_busy(&a));
    struct layout l;
    layout_compute(&l, 160, 48, -1, PANEL_RESIDUAL);
    assert_memory_equal(&s.layout, &l, sizeof l);
    // every panel of the frame takes a click in its middle
    for (int p = 0; p < PANEL_COUNT; p++) {
        struct rect r = s.layout.panel[p];
        if (!s.layout.shown[p])
            continue;
        assert_int_equal(app_click(&a, r.x + r.w / 2, r.y + r.h / 2), APP_REDRAW);
        assert_int_equal(a.selected, p);
    }
    assert_int_equal(app_click(&a, 159, 47), 0); // the status line
    (void)selected;
    free(top);
    app_free(&a);
}

// s with every run of spaces made one space, appended to out at *o.
static void collapse_spaces(char *out, size_t size, size_t *o, const char *s)
{
    for (; *s && *o + 2 < size; s++)
        if (*s != ' ' || (*o > 0 && out[*o - 1] != ' '))
            out[(*o)++] = *s;
    out[*o] = 0;
}

// The text of the w cells from (x, y) as UTF-8.
static const char *cells_text(const struct grid *g, int x, int y, int w, char *buf, size_t size)
{
    size_t o = 0;
    for (int i = 0; i < w && x + i < g->w && o + 5 < size; i++)
        o += (size_t)utf8_encode(g->cells[(size_t)y * g->w + x + i].cp, buf + o);
    buf[o] = 0;
    return buf;
}

// The help as a->width x a->height pages (a help taller than the screen: a box of h - 2 rows
// from row 1, one column of 76 or two side by side): Space goes page by page to the end, each
// page's last row says there is more (and where), and together the pages show every line of
// every table whole (wrapped at spaces, never cut). The first page begins with `first`.
static void assert_help_pages_show_every_line(struct app *a, const char *first)
{
    struct grid g;
    assert_int_equal(grid_init(&g, a->width, a->height), 0);
    struct screen_state s;
    size_t cap = 1 << 16, o = 0;
    char *all = calloc(cap, 1), row[800];
    assert_non_null(all);
    int cw = 76 < g.w - 4 ? 76 : g.w - 4, columns = g.w - 4 >= 2 * cw ? 2 : 1;
    int x0 = (g.w - cw * columns) / 2;
    a->help_first = 0;
    for (int page = 0, prev = -1; a->help_first != prev; page++) {
        assert_true(page < 20);
        app_screen(a, &s);
        grid_clear(&g, SF_STYLE_NORMAL);
        screen_draw(&g, &s);
        if (page == 0)
            assert_non_null(strstr(row_text(&g, 3, row, sizeof row), first));
        for (int c = 0; c < columns; c++)
            for (int y = 3; y < g.h - 2; y++) { // the text rows of column c
                cells_text(&g, x0 + 2 + c * cw, y, cw - 3, row, sizeof row);
                collapse_spaces(all, cap, &o, row);
                collapse_spaces(all, cap, &o, " ");
            }
        const char *pager = row_text(&g, g.h - 2, row, sizeof row);
        assert_true(strstr(pager, "more ↓ (Space, PgDn)") || strstr(pager, "end  ↑ PgUp"));
        prev = a->help_first;
        assert_int_equal(app_key(a, ' '), APP_REDRAW);
        assert_true(a->help); // paging keeps the help up
    }
    assert_true(strstr(row, "end  ↑ PgUp") != NULL);
    for (int i = 0; i < s.n_overlay + s.n_overlay_more; i++) {
        const struct overlay_section *sec =
            i < s.n_overlay ? NULL : &s.overlay_more[i - s.n_overlay];
        int n = sec ? sec->n : 1;
        for (int k = 0; k < n; k++) {
            char want[400];
            size_t w = 0;
            collapse_spaces(want, sizeof want, &w, sec ? sec->lines[k] : s.overlay[i]);
            if (!strstr(all, want))
                fail_msg("the help never shows '%s' whole", want);
        }
    }
    app_key(a, SF_KEY_HOME);
    assert_int_equal(a->help_first, 0);
    app_key(a, SF_KEY_END);
    assert_true(a->help_first > 0);
    app_key(a, SF_KEY_PAGE_UP);
    app_key(a, SF_KEY_UP);
    app_key(a, SF_KEY_DOWN);
    assert_true(a->help);
    free(all);
    grid_free(&g);
}

// The help lists every key: the screen's actions, then the typing keys, the inspect cursor's
// the model view's and finder's, and the sampling box's under their titles (in lesson mode the
// lesson's first); two columns on a wide screen, and on a small one a count of the lines it has no
// room for.
static void test_app_help_lists_every_key_table(void **state)
{
    (void)state;
    struct app a;
    start(&a, NULL);
    app_key(&a, '?');
    struct screen_state s;
    app_screen(&a, &s);
    assert_int_equal(s.n_overlay, SF_ACTION_COUNT - 1);
    assert_int_equal(s.n_overlay_more, 4);
    assert_string_equal(s.overlay_more[0].title, keymap_context_title(KEYMAP_EDIT));
    assert_int_equal(s.overlay_more[0].n, SF_EDIT_COUNT - 1);
    assert_int_equal(s.overlay_more[1].n, SF_CELL_COUNT - 1);
    assert_int_equal(s.overlay_more[2].n, SF_PICK_COUNT - 1);
    assert_int_equal(s.overlay_more[3].n, SF_BOX_COUNT - 1);
    assert_non_null(strstr(s.overlay_more[0].lines[SF_EDIT_HOME - 1], "Home Ctrl-A"));
    assert_non_null(strstr(s.overlay_more[0].lines[SF_EDIT_KILL_WORD - 1], "Ctrl-W"));
    struct grid g;
    assert_int_equal(grid_init(&g, 160, 48), 0);
    screen_draw(&g, &s);
    char *text = test_grid_text(&g);
    assert_non_null(strstr(text, "Ctrl-K                 delete from the cursor to the end"));
    assert_non_null(strstr(text, "Enter Esc s q          apply the settings"));
    assert_null(strstr(text, "more lines"));
    free(text);
    grid_free(&g);
    static const int sizes[][2] = {{80, 24}, {120, 30}, {160, 24}, {200, 30}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        a.width = sizes[i][0];
        a.height = sizes[i][1];
        assert_help_pages_show_every_line(&a, "Space Right PgDn");
    }
    app_free(&a);
    // lesson mode: its keys first, then the screen's under their title; every line at 80x24
    char *argv[] = {"1", "--impl", "ref", "--present", NULL};
    assert_int_equal(app_lesson_open(&a, 4, argv, stderr), 0);
    app_key(&a, '?');
    a.width = 80;
    a.height = 24;
    assert_help_pages_show_every_line(&a, "Presenting a lesson");
    app_screen(&a, &s);
    assert_int_equal(s.n_overlay, 0);
    assert_int_equal(s.n_overlay_more, 6);
    assert_string_equal(s.overlay_more[0].title, keymap_context_title(KEYMAP_PRESENT));
    assert_non_null(strstr(s.overlay_more[0].lines[0], "Space PgDn Right Down Enter"));
    assert_string_equal(s.overlay_more[1].title, keymap_context_title(KEYMAP_SCREEN));
    assert_int_equal(s.overlay_more[1].n, SF_ACTION_COUNT - 1);
    app_free(&a);
}

// A lesson's answer is edited like any line: the cursor moves, typing goes in at it, and the
// narration shows it; Backspace at the start of a line with text stays on the beat.
static void test_app_lesson_answer_is_edited_in_the_middle(void **state)
{
    (void)state;
    char dir[512], path[600];
    test_tmp_path(dir, sizeof dir, "app_edit_state");
    setenv("XDG_STATE_HOME", dir, 1);
    test_tmp_path(path, sizeof path, "app_edit_lesson.md");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# Lesson 1: editing\n\nType an answer.\n@question What is it?\n@answer fish\n"
          "@pause\nThe end.\n",
          f);
    fclose(f);
    struct app a;
    char *argv[] = {path, "--restart", NULL};
    assert_int_equal(app_lesson_open(&a, 2, argv, stderr), 0);
    a.width = 100;
    a.height = 30;
    assert_true(a.lesson->typing);
    test_keys(&a, "fsh");
    app_key(&a, SF_KEY_LEFT);
    app_key(&a, SF_KEY_LEFT);
    app_key(&a, 'i');
    assert_string_equal(a.input.text, "fish");
    struct screen_state s;
    app_screen(&a, &s);
    assert_string_equal(s.lesson->input, "> fish");
    assert_int_equal(s.lesson->input_cursor, 4); // on the s
    struct grid g;
    assert_int_equal(grid_init(&g, 100, 30), 0);
    screen_draw(&g, &s);
    int found = 0;
    char row[600];
    for (int y = 0; y < 30; y++) {
        const char *at = strstr(row_text(&g, y, row, sizeof row), "> fish");
        if (!at)
            continue;
        int x = (int)(at - row) + 4;
        assert_int_equal(style_at(&g, x, y), SF_STYLE_NORMAL);
        assert_int_equal(style_at(&g, x - 1, y), SF_STYLE_SELECTED);
        found = 1;
    }
    assert_true(found);
    grid_free(&g);
    app_key(&a, SF_KEY_HOME);
    app_key(&a, SF_KEY_BACKSPACE); // nothing before the cursor: the beat stays
    assert_int_equal(a.lesson->beat, 0);
    assert_true(a.lesson->typing);
    app_key(&a, SF_KEY_ENTER);
    assert_non_null(strstr(a.lesson->feedback, "Right: fish."));
    app_free(&a);
}

// The line editor.

// The line holds `text` with the cursor before byte `cursor` (failing at the caller's line).
#define assert_line(e, text, cursor) check_line_at((e), (text), (cursor), __FILE__, __LINE__)
static void check_line_at(const struct line_edit *e, const char *text, int cursor, const char *file,
                          int line)
{
    _assert_string_equal(e->text, text, file, line);
    _assert_int_equal((int)strlen(text), e->len, file, line);
    _assert_int_equal(cursor, e->cursor, file, line);
}

// "aé∑😀b": characters of 1, 2, 3, 4 and 1 bytes, starting at bytes 0, 1, 3, 6 and 10.
static const char mixed[] = "a\xc3\xa9\xe2\x88\x91\xf0\x9f\x98\x80"
                            "b";

static void test_line_edit_moves_a_character_at_a_time(void **state)
{
    (void)state;
    struct line_edit e;
    line_edit_set(&e, mixed);
    assert_line(&e, mixed, 11);
    assert_int_equal(line_edit_chars(&e), 5);
    static const int starts[] = {10, 6, 3, 1, 0};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(line_edit_apply(&e, SF_EDIT_LEFT), 1);
        assert_int_equal(e.cursor, starts[i]);
        assert_int_equal(line_edit_cursor_chars(&e), 4 - i);
    }
    assert_int_equal(line_edit_apply(&e, SF_EDIT_LEFT), 0); // at the start: nowhere to go
    for (int i = 4; i >= 0; i--) {
        line_edit_apply(&e, SF_EDIT_RIGHT);
        assert_int_equal(e.cursor, i ? starts[i - 1] : 11);
    }
    assert_int_equal(line_edit_apply(&e, SF_EDIT_RIGHT), 0);
    line_edit_apply(&e, SF_EDIT_HOME);
    assert_line(&e, mixed, 0);
    line_edit_apply(&e, SF_EDIT_END);
    assert_line(&e, mixed, 11);
    // the caller's commands change nothing here
    assert_int_equal(line_edit_apply(&e, SF_EDIT_ACCEPT), 0);
    assert_int_equal(line_edit_apply(&e, SF_EDIT_CANCEL), 0);
    assert_int_equal(line_edit_apply(&e, SF_EDIT_COMPLETE), 0);
    assert_line(&e, mixed, 11);
}

static void test_line_edit_types_at_the_cursor(void **state)
{
    (void)state;
    struct line_edit e;
    line_edit_clear(&e);
    assert_line(&e, "", 0);
    assert_int_equal(line_edit_insert(&e, 'a'), LINE_EDIT_INSERTED);
    assert_int_equal(line_edit_insert(&e, 'b'), LINE_EDIT_INSERTED);
    line_edit_apply(&e, SF_EDIT_LEFT);
    assert_int_equal(line_edit_insert(&e, 0x2211), LINE_EDIT_INSERTED); // ∑ between a and b
    assert_line(&e,
                "a\xe2\x88\x91"
                "b",
                4);
    line_edit_apply(&e, SF_EDIT_HOME);
    assert_int_equal(line_edit_insert(&e, 0x1f600), LINE_EDIT_INSERTED); // 😀 first
    assert_int_equal(line_edit_insert(&e, 0xe9), LINE_EDIT_INSERTED);    // é after it
    assert_line(&e,
                "\xf0\x9f\x98\x80\xc3\xa9"
                "a\xe2\x88\x91"
                "b",
                6);
    // characters only: no C0 or C1 control, DEL, surrogate or value beyond Unicode
    static const int refused[] = {0, '\t', 27, 0x7f, 0x85, 0x9b, 0xd800, 0xdfff, 0x110000, -3};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_int_equal(line_edit_insert(&e, refused[i]), LINE_EDIT_REFUSED);
    assert_int_equal(e.len, 11);
}

static void test_line_edit_deletes_whole_characters(void **state)
{
    (void)state;
    struct line_edit e;
    line_edit_set(&e, mixed);
    line_edit_apply(&e, SF_EDIT_LEFT); // before b
    line_edit_apply(&e, SF_EDIT_BACKSPACE);
    assert_line(&e,
                "a\xc3\xa9\xe2\x88\x91"
                "b",
                6);
    line_edit_apply(&e, SF_EDIT_HOME);
    line_edit_apply(&e, SF_EDIT_RIGHT);
    line_edit_apply(&e, SF_EDIT_DELETE); // é, under the cursor
    assert_line(&e,
                "a\xe2\x88\x91"
                "b",
                1);
    assert_int_equal(line_edit_apply(&e, SF_EDIT_DELETE), 1);
    assert_line(&e, "ab", 1);
    line_edit_apply(&e, SF_EDIT_END);
    assert_int_equal(line_edit_apply(&e, SF_EDIT_DELETE), 0); // nothing under the cursor
    line_edit_apply(&e, SF_EDIT_HOME);
    assert_int_equal(line_edit_apply(&e, SF_EDIT_BACKSPACE), 0); // nothing before it
    assert_line(&e, "ab", 0);
}

static void test_line_edit_deletes_to_the_ends_and_words(void **state)
{
    (void)state;
    struct line_edit e;
    line_edit_set(&e, "na\xc3\xafve caf\xc3\xa9  "); // "naïve café  "
    line_edit_apply(&e, SF_EDIT_KILL_WORD);          // the spaces and "café"
    assert_line(&e, "na\xc3\xafve ", 7);
    line_edit_apply(&e, SF_EDIT_KILL_WORD);
    assert_line(&e, "", 0);
    line_edit_apply(&e, SF_EDIT_KILL_WORD); // nothing left: nothing happens
    assert_line(&e, "", 0);
    // a word cut at the cursor: only its part before the cursor goes
    line_edit_set(&e, "abc def\xe2\x88\x91ghi");
    for (int i = 0; i < 3; i++)
        line_edit_apply(&e, SF_EDIT_LEFT);
    line_edit_apply(&e, SF_EDIT_KILL_WORD);
    assert_line(&e, "abc ghi", 4);
    line_edit_apply(&e, SF_EDIT_KILL_END);
    assert_line(&e, "abc ", 4);
    line_edit_set(&e, "the \xe6\xbc\xa2 keys");
    line_edit_apply(&e, SF_EDIT_HOME);
    for (int i = 0; i < 5; i++)
        line_edit_apply(&e, SF_EDIT_RIGHT); // after 漢
    line_edit_apply(&e, SF_EDIT_KILL_START);
    assert_line(&e, " keys", 0);
}

// Text that is not UTF-8 (a prompt decoded from byte-level pieces): a stray byte is one
// character, a sequence cut short at the end is one, and bytes that deleting joins into one
// character take the cursor to its start.
static void test_line_edit_stray_bytes(void **state)
{
    (void)state;
    struct line_edit e;
    line_edit_set(&e, "a\x80"
                      "b\xe2\x88");
    assert_int_equal(e.len, 5); // set keeps every byte
    assert_int_equal(line_edit_chars(&e), 4);
    line_edit_apply(&e, SF_EDIT_LEFT);
    assert_int_equal(e.cursor, 3);
    line_edit_apply(&e, SF_EDIT_LEFT);
    line_edit_apply(&e, SF_EDIT_LEFT);
    assert_int_equal(e.cursor, 1);
    line_edit_apply(&e, SF_EDIT_DELETE);
    assert_line(&e, "ab\xe2\x88", 1);
    line_edit_set(&e, "\xe2"
                      "a\x88\x91");
    for (int i = 0; i < 3; i++) // E2, a, 88 and 91 are four characters
        line_edit_apply(&e, SF_EDIT_LEFT);
    assert_int_equal(e.cursor, 1);       // after the stray E2, before a
    line_edit_apply(&e, SF_EDIT_DELETE); // E2 88 91 is ∑ now
    assert_line(&e, "\xe2\x88\x91", 0);
    assert_int_equal(line_edit_chars(&e), 1);
}

// A line that is full keeps whole characters: a character that does not fit is refused, in the
// middle as at the end, and the line is unchanged.
static void test_line_edit_full_line(void **state)
{
    (void)state;
    struct line_edit e;
    line_edit_clear(&e);
    int n = 0;
    while (line_edit_insert(&e, 0x1f600) == LINE_EDIT_INSERTED)
        n++;
    assert_int_equal(n, (LINE_EDIT_SIZE - 1) / 4); // 255 of 4 bytes: 1020 of the 1023
    assert_int_equal(e.len, n * 4);
    assert_int_equal(line_edit_insert(&e, 0x2211), LINE_EDIT_INSERTED); // 3 bytes still fit
    assert_int_equal(line_edit_insert(&e, 'c'), LINE_EDIT_FULL);
    line_edit_apply(&e, SF_EDIT_HOME);
    line_edit_apply(&e, SF_EDIT_RIGHT);
    assert_int_equal(line_edit_insert(&e, 'c'), LINE_EDIT_FULL);
    assert_int_equal(e.len, LINE_EDIT_SIZE - 1);
    assert_int_equal(e.cursor, 4);
    line_edit_apply(&e, SF_EDIT_BACKSPACE); // room for 4 bytes again, at the cursor
    assert_int_equal(e.cursor, 0);
    assert_int_equal(line_edit_insert(&e, 0xe9), LINE_EDIT_INSERTED);
    assert_int_equal(line_edit_insert(&e, 0x2211), LINE_EDIT_FULL); // 2 + 3 > 4
    assert_int_equal(line_edit_insert(&e, 0xe9), LINE_EDIT_INSERTED);
    assert_int_equal(e.len, LINE_EDIT_SIZE - 1);
    assert_int_equal(memcmp(e.text, "\xc3\xa9\xc3\xa9\xf0\x9f\x98\x80", 8), 0);
    // a text longer than the line is cut between characters
    char big[2 * LINE_EDIT_SIZE];
    for (int i = 0; i + 3 < (int)sizeof big; i += 3)
        memcpy(big + i, "\xe2\x88\x91", 3), big[i + 3] = 0;
    line_edit_set(&e, big);
    assert_int_equal(e.len, (LINE_EDIT_SIZE - 1) / 3 * 3);
    assert_int_equal(e.cursor, e.len);
}

// What a line shows in a few columns: the end and a cursor cell while typing at the end, the
// part around the cursor elsewhere, "…" for what is cut, whole characters only.
#define assert_view(e, cols, text, col)                                                            \
    check_view_at((e), (cols), (text), (col), __FILE__, __LINE__)
static void check_view_at(const struct line_edit *e, int cols, const char *text, int col,
                          const char *file, int line)
{
    char buf[256];
    int at = -1, used = line_edit_view(e, cols, buf, sizeof buf, &at);
    _assert_string_equal(buf, text, file, line);
    _assert_int_equal(col, at, file, line);
    int chars = 0;
    for (const char *p = buf; *p; p++)
        chars += ((unsigned char)*p & 0xc0) != 0x80;
    _assert_int_equal(chars, used, file, line);
    _assert_true(used <= cols, "fits", file, line);
}

static void test_line_edit_view_follows_the_cursor(void **state)
{
    (void)state;
    struct line_edit e;
    line_edit_set(&e, "abc");
    assert_view(&e, 10, "abc_", 3);
    line_edit_apply(&e, SF_EDIT_LEFT);
    assert_view(&e, 10, "abc", 2);
    // 26 characters, every third one of two bytes
    line_edit_clear(&e);
    for (int i = 0; i < 26; i++)
        line_edit_insert(&e, i % 3 ? 'a' + i : 0xe0 + i);
    // à b c ã e f æ h i é k l ì n o ï q r ò t u õ w x ø z
    // at the end: "…", the last 8 characters and the cursor cell
    assert_view(&e, 10, "…\xc3\xb2tu\xc3\xb5wx\xc3\xb8z_", 9);
    // near the end: "…" and the last 9 characters, the cursor on one of them
    line_edit_apply(&e, SF_EDIT_LEFT);
    line_edit_apply(&e, SF_EDIT_LEFT);
    assert_view(&e, 10, "…r\xc3\xb2tu\xc3\xb5wx\xc3\xb8z", 8);
    // at the start: the first 9 and "…"
    line_edit_apply(&e, SF_EDIT_HOME);
    assert_view(&e, 10,
                "\xc3\xa0"
                "bc\xc3\xa3"
                "ef\xc3\xa6hi…",
                0);
    // in the middle: "…", 8 characters around the cursor, "…"
    for (int i = 0; i < 12; i++)
        line_edit_apply(&e, SF_EDIT_RIGHT);
    assert_view(&e, 10, "…i\xc3\xa9kl\xc3\xacno\xc3\xaf…", 5);
}

// S saves the screen as it is shown as stepformer-OP-N.svg in the current directory (N the
// first number not taken), says so on the status line, and the picture's text is the
// screen's; where nothing can be written the status line says why. ? lists the key.
static void test_app_screenshot_key_saves_the_screen(void **state)
{
    (void)state;
    char dir[600], cwd[1024], path[700];
    assert_non_null(getcwd(cwd, sizeof cwd));
    test_fresh_dir(dir, sizeof dir, "app_screenshot");
    assert_int_equal(chdir(dir), 0);
    struct app a;
    start_with(&a, NULL, 1);
    a.width = 100;
    a.height = 30;
    test_keys(&a, "gL1.attn.softmax\n");
    test_finish(&a);
    struct grid shown;
    struct screen_state s;
    test_draw_app(&a, 100, 30, &shown, &s);
    assert_int_equal(app_key(&a, 'S'), APP_REDRAW);
    assert_int_equal(a.message_error, 0);
    assert_string_equal(a.message, "saved stepformer-L1.attn.softmax-1.svg (100x30, dark colours)");
    snprintf(path, sizeof path, "%s/stepformer-L1.attn.softmax-1.svg", dir);
    char *svg = test_slurp(path, NULL), *want = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&want, &len);
    assert_non_null(f);
    assert_int_equal(export_svg(f, &shown, PALETTE_256,
                                "stepformer: L1.attn.softmax, “the keys to the cabinet are on the "
                                "table”"),
                     0);
    fclose(f);
    assert_string_equal(svg, want); // the screen as it was shown, before the message
    free(svg);
    free(want);
    grid_free(&shown);
    app_key(&a, 'P'); // light: the picture takes the scheme in use
    app_key(&a, 'S');
    assert_string_equal(a.message,
                        "saved stepformer-L1.attn.softmax-2.svg (100x30, light colours)");
    svg = test_slurp("stepformer-L1.attn.softmax-2.svg", NULL);
    assert_non_null(strstr(svg, "fill=\"#ffffff\"")); // the light scheme's white
    free(svg);
    // a directory gone: nothing written, and the status line says why
    assert_int_equal(unlink("stepformer-L1.attn.softmax-1.svg"), 0);
    assert_int_equal(unlink("stepformer-L1.attn.softmax-2.svg"), 0);
    assert_int_equal(rmdir(dir), 0);
    app_key(&a, 'S');
    assert_int_equal(a.message_error, 1);
    assert_non_null(strstr(a.message, "screenshot not saved: stepformer-L1.attn.softmax-1.svg"));
    assert_int_equal(chdir(cwd), 0);
    // the help lists the key
    app_key(&a, '?');
    int listed = 0;
    for (int i = 0; i < a.help_text.section[KEYMAP_SCREEN].n; i++)
        listed |= strncmp(a.help_text.section[KEYMAP_SCREEN].lines[i], "S ", 2) == 0 &&
                  strstr(a.help_text.section[KEYMAP_SCREEN].lines[i], "stepformer-OP-N.svg");
    assert_true(listed);
    app_free(&a);
}

int main(void)
{
    // Graph outputs are not zeroed: a panel that read one before its op ran would show NaN.
    arena_debug_fill(0xff);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_steps_and_moves),
        cmocka_unit_test(test_app_goto_with_completion),
        cmocka_unit_test(test_app_edit_prompt),
        cmocka_unit_test(test_app_generates_through_the_sample_ops),
        cmocka_unit_test(test_app_input_is_lower_cased_and_every_unknown_word_named),
        cmocka_unit_test(test_app_interventions_rerun_the_pass),
        cmocka_unit_test(test_app_sampling_stages_show_what_they_computed),
        cmocka_unit_test(test_app_interventions_are_visible),
        cmocka_unit_test(test_app_gpt2_intervention_and_sampling),
        cmocka_unit_test(test_app_inspect_a_score),
        cmocka_unit_test(test_app_inspect_signs_are_parenthesised),
        cmocka_unit_test(test_app_ascii_screens_hold_ascii_only),
        cmocka_unit_test(test_app_training_view),
        cmocka_unit_test(test_app_panels_zoom_help_and_clicks),
        cmocka_unit_test(test_app_whole_screens),
        cmocka_unit_test(test_app_light_palette_screen),
        cmocka_unit_test(test_app_pin_before_after),
        cmocka_unit_test(test_app_pin_across_a_prompt_edit),
        cmocka_unit_test(test_app_training_loss_before_after),
        cmocka_unit_test(test_app_live_sampling),
        cmocka_unit_test(test_app_weights_beside_products),
        cmocka_unit_test(test_app_no_negative_zero_on_any_screen),
        cmocka_unit_test(test_app_panels_stay_inside),
        cmocka_unit_test(test_app_bad_start),
        cmocka_unit_test(test_app_mask_hides_nothing_silently),
        cmocka_unit_test(test_app_eleven_tokens_fit_at_160x48),
        cmocka_unit_test(test_app_qkv_every_dimension),
        cmocka_unit_test(test_app_gradient_map_shows_the_target),
        cmocka_unit_test(test_app_logit_lens_every_position),
        cmocka_unit_test(test_app_ops_show_their_output),
        cmocka_unit_test(test_app_all_heads_zoom_enlarges),
        cmocka_unit_test(test_app_inspect_ffn_down),
        cmocka_unit_test(test_app_inspect_one_row_keeps_the_token),
        cmocka_unit_test(test_app_paste_is_cut_between_characters_with_a_message),
        cmocka_unit_test(test_app_paste_into_a_lesson_answer),
        cmocka_unit_test(test_app_backspace_takes_one_character),
        cmocka_unit_test(test_app_edit_the_prompt_in_the_middle),
        cmocka_unit_test(test_app_sampling_values_are_typed),
        cmocka_unit_test(test_app_screen_state_is_built_without_side_effects),
        cmocka_unit_test(test_app_help_lists_every_key_table),
        cmocka_unit_test(test_app_lesson_answer_is_edited_in_the_middle),
        cmocka_unit_test(test_line_edit_moves_a_character_at_a_time),
        cmocka_unit_test(test_line_edit_types_at_the_cursor),
        cmocka_unit_test(test_line_edit_deletes_whole_characters),
        cmocka_unit_test(test_line_edit_deletes_to_the_ends_and_words),
        cmocka_unit_test(test_app_head_finder_ranks_the_agreement_head_first),
        cmocka_unit_test(test_app_head_finder_unknown_and_later_words),
        cmocka_unit_test(test_app_model_view_and_head_view_keys),
        cmocka_unit_test(test_app_heads_goldens),
        cmocka_unit_test(test_line_edit_stray_bytes),
        cmocka_unit_test(test_line_edit_full_line),
        cmocka_unit_test(test_line_edit_view_follows_the_cursor),
        cmocka_unit_test(test_app_present_toggles_and_steps),
        cmocka_unit_test(test_app_present_option),
        cmocka_unit_test(test_app_present_screens),
        cmocka_unit_test(test_app_present_caption_holds_the_explanation),
        cmocka_unit_test(test_app_screenshot_key_saves_the_screen),
    };
    return cmocka_run_group_tests(tests, test_setup_model_path, NULL);
}
