// The application context: model, prompt, graphs, selection and modes, driven by actions.
#include "stepformer/app.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stepformer/cli.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"
#include "app_priv.h"

static const char default_prompt[] = "the keys to the cabinet are on the table";

// Run speeds for run / pause, slowest first (milliseconds per operation).
static const int speeds[] = {1000, 500, 250, 120, 60, 25};
#define N_SPEEDS (int)(sizeof speeds / sizeof speeds[0])

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

void app_say(struct app *a, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vformat(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
    // A message longer than the line is cut between characters, never inside one.
    a->message[utf8_cut(a->message, strlen(a->message), sizeof a->message - 1)] = '\0';
    a->message_error = error;
}

struct graph *app_graph_on_screen(struct app *a)
{
    return a->train_view ? &a->train : &a->fwd;
}

const struct graph *app_graph(const struct app *a)
{
    return a->train_view ? &a->train : &a->fwd;
}

int app_busy(const struct app *a)
{
    return a->target >= 0 || a->running || a->lens_pending;
}

// The view follows the node that ran last: the main panel (unless the user chose one while
// zoomed), the layer, and the selection stays inside the input and the inspected matrix.
static void follow(struct app *a)
{
    const struct graph *g = app_graph(a);
    const struct node *last = graph_last(g);
    if (a->zoom < 0)
        a->follow = 1;
    if (a->follow) {
        enum panel_id p = layout_focus(last);
        a->selected = p == PANEL_TOKENS ? PANEL_EQUATION : (int)p;
    }
    if (last && last->layer >= 0)
        a->view.layer = last->layer;
    if (a->view.row >= g->n_tokens)
        a->view.row = g->n_tokens - 1;
    if (a->view.inspect) {
        const float *m;
        int rows, cols;
        if (!last || !panel_matrix(&a->view, last, &m, &rows, &cols)) {
            a->view.inspect = 0;
        } else {
            a->view.col = a->view.col >= cols ? cols - 1 : a->view.col;
            a->view.row = a->view.row >= rows ? rows - 1 : a->view.row;
        }
    }
}

// Runs the pass on screen one node; the message names a failure.
static int step_once(struct app *a)
{
    struct graph *g = app_graph_on_screen(a);
    int rc = graph_step(g);
    if (rc < 0) {
        app_say(a, 1, "%s failed: %s", g->nodes[g->cursor].name, sf_strerror(rc));
        a->target = -1;
        a->running = 0;
    }
    return rc;
}

// Steps toward a->target for at most budget_ms.
static int run_slice(struct app *a, int budget_ms)
{
    struct graph *g = app_graph_on_screen(a);
    double start = now_ms();
    int rc = 0;
    while (g->cursor <= a->target) {
        if ((rc = step_once(a)) <= 0)
            break;
        if (now_ms() - start > budget_ms)
            break;
    }
    return rc;
}

// The work after a move is done here, once per move, rather than by the graph's observer:
// the observer hears of the nodes that run, but not of a step back, a jump back, a rebuilt
// graph or the switch between the forward pass and the training iteration, and it hears of
// every node of a long move, where the view follows once, when the slice stops (the layer
// shown is that of the op the move stopped on). So every move goes through app_move, and
// app_move alone does the work after it.
int app_move(struct app *a, enum app_move how, int arg)
{
    struct graph *g = app_graph_on_screen(a);
    int rc = 0;
    switch (how) {
    case APP_MOVE_STEP:
        rc = step_once(a);
        break;
    case APP_MOVE_BACK:
        rc = graph_back(g);
        break;
    case APP_MOVE_START:
        graph_reset(g);
        rc = 1;
        break;
    case APP_MOVE_TO:
        rc = graph_goto_index(g, arg);
        break;
    case APP_MOVE_SLICE:
        rc = run_slice(a, arg);
        break;
    case APP_MOVE_NEW:
        break;
    }
    app_train_after_move(a);
    follow(a);
    return rc;
}

// Builds (or rebuilds for a new input) the forward pass with its sampling nodes; the graph
// keeps the input's ids. text is the prompt as typed, or NULL to show the ids decoded.
int app_build_forward(struct app *a, const int *ids, int n, const char *text, struct sf_diag *d)
{
    int rc = a->fwd.nodes
                 ? graph_set_input(&a->fwd, ids, n, d)
                 : graph_build_generate(&a->fwd, &a->model, ids, n, a->impl, &a->sampler, d);
    if (rc)
        return rc;
    if (text)
        snprintf(a->prompt, sizeof a->prompt, "%s", text);
    else // cut to fit between characters (a long generated text decodes to more than fits)
        a->prompt[utf8_cut(
            a->prompt, tokenizer_decode(&a->model.tok, a->fwd.ids, n, a->prompt, sizeof a->prompt),
            sizeof a->prompt - 1)] = '\0';
    a->target = -1;
    a->running = 0;
    a->view.row = n - 1;
    a->view.inspect = 0;
    app_train_leave(a);
    app_move(a, APP_MOVE_NEW, 0);
    return app_lens_reset(a);
}

// Encodes text (or reads the comma-separated ids_arg) as the new prompt and rebuilds; the
// message names an unknown word or a bad id.
int app_set_input(struct app *a, const char *ids_arg, const char *text)
{
    char msg[900] = "";
    struct sf_diag d;
    sf_diag_clear(&d);
    FILE *notes = fmemopen(msg, sizeof msg, "w");
    if (!notes)
        return SF_ERR_NOMEM;
    int *ids = NULL, n = 0;
    int rc = cli_input(&a->model, ids_arg, text, &ids, &n, notes);
    fclose(notes);
    if (rc) {
        msg[strcspn(msg, "\n")] = 0;
        app_say(a, 1, "%s", strncmp(msg, "stepformer: ", 12) == 0 ? msg + 12 : msg);
        free(ids);
        return rc;
    }
    rc = app_build_forward(a, ids, n, text, &d);
    free(ids);
    if (rc) {
        app_say(a, 1, "%s", sf_diag_format(&d, msg, sizeof msg));
        return rc;
    }
    if (msg[0]) { // the first note about an unknown word
        msg[strcspn(msg, "\n")] = 0;
        app_say(a, 1, "%s", strncmp(msg, "stepformer: note: ", 18) == 0 ? msg + 18 : msg);
    } else {
        app_say(a, 0, "new prompt: %d tokens; Space steps through the pass", n);
    }
    return 0;
}

int app_init(struct app *a, const struct app_options *o, FILE *err)
{
    memset(a, 0, sizeof *a);
    a->zoom = -1;
    a->target = -1;
    a->follow = 1;
    a->speed_ms = speeds[2];
    a->view.numbers = 1;
    a->seed = 42;
    a->beam = 1;
    a->loss_before = a->loss_after = NAN;
    a->impl = o->reference ? OP_IMPL_REF : OP_IMPL_FAST;
    if (cli_load_model(&a->model, o->model_path, o->tokenizer_path, err))
        return 2;
    snprintf(a->model_path, sizeof a->model_path, "%s",
             o->model_path ? o->model_path : "the shipped model");
    sampler_init(&a->sampler, 1, 1.0f, 0, 1.0f, a->seed);
    const struct model_config *c = &a->model.cfg;
    a->head_off = calloc((size_t)c->n_layer * (size_t)c->n_head, 1);
    if (!a->head_off) {
        app_free(a);
        return 1;
    }
    a->fwd.iv = (struct intervention){a->head_off, 0};
    const char *prompt = o->prompt || o->ids ? o->prompt : default_prompt;
    if (a->model.tok.kind == TOK_NONE && !o->ids && !o->prompt) {
        fprintf(err, "stepformer: this model has no tokenizer: give --ids 3,1,4, or --tokenizer "
                     "FILE for an llm.c checkpoint\n");
        app_free(a);
        return 2;
    }
    char safe[4 * APP_LINE_MAX];
    if (app_set_input(a, o->ids, prompt)) {
        fprintf(err, "stepformer: %s: %s\n", o->ids ? "--ids" : "--prompt",
                utf8_safe(safe, sizeof safe, a->message));
        app_free(a);
        return 2;
    }
    if (!a->message_error) // keep a note about an unknown word
        a->message[0] = 0;
    if (o->train && app_action(a, SF_ACTION_TRAIN_VIEW) && a->message_error) {
        fprintf(err, "stepformer: --train: %s\n", utf8_safe(safe, sizeof safe, a->message));
        app_free(a);
        return 2;
    }
    return 0;
}

void app_free(struct app *a)
{
    app_lesson_free(a);
    app_train_free(a);
    graph_free(&a->fwd);
    if (a->beams_active)
        beam_free(&a->beams);
    model_free(&a->model);
    free(a->head_off);
    free(a->lens.top);
    free(a->lens.prob);
    free(a->overlay_buf);
    free(a->overlay);
    memset(a, 0, sizeof *a);
}

// The index of the first node from the cursor on of at least `level`, or the last node.
static int index_of_level(const struct graph *g, int level)
{
    for (int i = g->cursor; i < g->n_nodes; i++)
        if ((int)g->nodes[i].level >= level)
            return i;
    return g->n_nodes - 1;
}

// Moves to have node `index` run: backward at once, forward in slices (app_tick).
int app_move_to(struct app *a, int index)
{
    struct graph *g = app_graph_on_screen(a);
    if (index < 0 || index >= g->n_nodes)
        return 0;
    if (index + 1 <= g->cursor) {
        app_move(a, APP_MOVE_TO, index);
        return APP_REDRAW;
    }
    a->target = index;
    app_tick(a, 40);
    return APP_REDRAW;
}

// Recomputes the forward pass from node `from` on and runs it back to node back_to (where it
// was): after an intervention (from 0) or a sampling setting (from the first sample.* node).
void app_rerun_from(struct app *a, int from, int back_to)
{
    app_train_leave(a);
    graph_invalidate(&a->fwd, from);
    if (from == 0)
        app_lens_reset(a);
    app_move_to(a, back_to);
}

void app_intervene(struct app *a, const char *what)
{
    int back_to = a->fwd.cursor - 1;
    struct intervention iv = {a->head_off, a->no_positions};
    graph_set_intervention(&a->fwd, &iv);
    app_say(a, 0, "%s: the pass reruns", what);
    app_rerun_from(a, 0, back_to);
}

int app_tick(struct app *a, int budget_ms)
{
    struct graph *g = app_graph_on_screen(a);
    if (a->lens_pending && a->target < 0 && !a->running) {
        app_lens_update(a);
        return APP_REDRAW;
    }
    if (a->target >= 0) {
        app_move(a, APP_MOVE_SLICE, budget_ms);
        if (a->target >= 0 && g->cursor > a->target) {
            a->target = -1;
            if (a->generate_pending) {
                a->generate_pending = 0;
                app_append_drawn(a);
            }
        }
        return APP_REDRAW;
    }
    if (a->running) {
        if (app_move(a, APP_MOVE_STEP, 0) <= 0)
            a->running = 0;
        return APP_REDRAW;
    }
    return 0;
}

int app_action(struct app *a, enum sf_action act)
{
    struct graph *g = app_graph_on_screen(a);
    const struct model_config *c = &a->model.cfg;
    a->message[0] = 0;
    a->message_error = 0;
    if (a->target >= 0 && act != SF_ACTION_QUIT && act != SF_ACTION_HELP) {
        a->target = -1; // a key during a long move stops it where it is
        a->generate_pending = 0;
        app_say(a, 0, "stopped at %s", graph_last(g) ? graph_last(g)->name : "the start");
        return APP_REDRAW;
    }
    switch (act) {
    case SF_ACTION_NONE:
        return 0;
    case SF_ACTION_STEP:
        if (app_move(a, APP_MOVE_STEP, 0) == 0)
            app_say(a, 0, "the end of the pass: Home starts again, x generates a token");
        return APP_REDRAW;
    case SF_ACTION_BACK:
        if (!app_move(a, APP_MOVE_BACK, 0))
            app_say(a, 0, "the start of the pass");
        return APP_REDRAW;
    case SF_ACTION_NEXT_SUBLAYER:
        return app_move_to(a, index_of_level(g, NODE_LEVEL_SUBLAYER));
    case SF_ACTION_NEXT_BLOCK:
        return app_move_to(a, index_of_level(g, NODE_LEVEL_BLOCK));
    case SF_ACTION_RUN_TO_END:
        return app_move_to(a, g->n_nodes - 1);
    case SF_ACTION_RESTART:
        a->running = 0;
        app_move(a, APP_MOVE_START, 0);
        return APP_REDRAW;
    case SF_ACTION_GOTO:
        app_entry_open(a, APP_MODE_GOTO);
        return APP_REDRAW;
    case SF_ACTION_RUN_PAUSE:
        a->running = !a->running && g->cursor < g->n_nodes;
        app_say(a, 0,
                a->running ? "running, one op every %d ms (+ faster, - slower, r pauses)"
                           : "paused",
                a->speed_ms);
        return APP_REDRAW;
    case SF_ACTION_FASTER:
    case SF_ACTION_SLOWER: {
        int k = 0;
        while (k < N_SPEEDS - 1 && speeds[k] > a->speed_ms)
            k++;
        k += act == SF_ACTION_FASTER ? 1 : -1;
        a->speed_ms = speeds[k < 0 ? 0 : (k >= N_SPEEDS ? N_SPEEDS - 1 : k)];
        app_say(a, 0, "run speed: one op every %d ms", a->speed_ms);
        return APP_REDRAW;
    }
    case SF_ACTION_NEXT_PANEL:
        a->follow = 0;
        a->selected = app_wrap(a->selected + 1, PANEL_COUNT);
        if (a->zoom >= 0)
            a->zoom = a->selected;
        app_say(a, 0, "panel: %s (z zooms it)", panel_name((enum panel_id)a->selected));
        return APP_REDRAW;
    case SF_ACTION_ZOOM:
        a->zoom = a->zoom >= 0 ? -1 : a->selected;
        if (a->zoom >= 0)
            a->follow = 0;
        return APP_REDRAW;
    case SF_ACTION_LAYER_NEXT:
    case SF_ACTION_LAYER_PREV:
        a->view.layer =
            app_wrap(a->view.layer + (act == SF_ACTION_LAYER_NEXT ? 1 : -1), c->n_layer);
        app_say(a, 0, "layer %d", a->view.layer);
        return APP_REDRAW;
    case SF_ACTION_HEAD_NEXT:
    case SF_ACTION_HEAD_PREV: // 0 .. H-1, then all heads (-1)
        a->view.head =
            app_wrap(a->view.head + 1 + (act == SF_ACTION_HEAD_NEXT ? 1 : -1), c->n_head + 1) - 1;
        if (a->view.head < 0)
            app_say(a, 0, "all %d heads of layer %d", c->n_head, a->view.layer);
        else
            app_say(a, 0, "head %d", a->view.head);
        return APP_REDRAW;
    case SF_ACTION_ROW_NEXT:
    case SF_ACTION_ROW_PREV: {
        int rows = g->n_tokens;
        const struct node *last = graph_last(g);
        const float *m;
        int r, cols;
        if (a->view.inspect && last && panel_matrix(&a->view, last, &m, &r, &cols))
            rows = r;
        a->view.row = app_wrap(a->view.row + (act == SF_ACTION_ROW_NEXT ? 1 : -1), rows);
        return APP_REDRAW;
    }
    case SF_ACTION_INSPECT: {
        const struct node *last = graph_last(g);
        const float *m;
        int rows, cols;
        if (a->view.inspect) {
            a->view.inspect = 0;
        } else if (!last || !panel_matrix(&a->view, last, &m, &rows, &cols)) {
            app_say(a, 0, "nothing to inspect yet: run an operation first");
        } else {
            a->view.inspect = 1;
            a->view.col = a->view.col >= cols ? cols - 1 : a->view.col;
            a->view.row = a->view.row >= rows ? rows - 1 : a->view.row;
            app_say(a, 0, "inspect: arrows move over %s; i or Esc leaves", last->name);
        }
        return APP_REDRAW;
    }
    case SF_ACTION_EDIT_PROMPT:
        app_entry_open(a, APP_MODE_PROMPT);
        return APP_REDRAW;
    case SF_ACTION_SAMPLING:
        app_entry_open(a, APP_MODE_SAMPLING);
        return APP_REDRAW;
    case SF_ACTION_GENERATE:
        return app_generate(a);
    case SF_ACTION_HEAD_OFF: {
        int h0 = a->view.head < 0 ? 0 : a->view.head, h1 = a->view.head < 0 ? c->n_head : h0 + 1;
        unsigned char *row = a->head_off + (size_t)a->view.layer * c->n_head;
        int turn_off = !row[h0];
        for (int h = h0; h < h1; h++)
            row[h] = (unsigned char)turn_off;
        char what[96];
        if (a->view.head < 0)
            snprintf(what, sizeof what, "all heads of L%d %s", a->view.layer,
                     turn_off ? "off" : "on");
        else
            snprintf(what, sizeof what, "L%d head %d %s", a->view.layer, h0,
                     turn_off ? "off" : "on again");
        app_intervene(a, what);
        return APP_REDRAW;
    }
    case SF_ACTION_NO_POSITIONS:
        if (c->pos == POS_NONE) {
            app_say(a, 0, "this model has no position embeddings");
            return APP_REDRAW;
        }
        a->no_positions = !a->no_positions;
        app_intervene(a,
                      a->no_positions ? "position embeddings dropped" : "position embeddings back");
        return APP_REDRAW;
    case SF_ACTION_NUMBERS:
        a->view.numbers = !a->view.numbers;
        return APP_REDRAW;
    case SF_ACTION_PALETTE:
        a->scheme = app_wrap(a->scheme + 1, 3);
        app_say(a, 0, "colours: %s",
                a->scheme == PALETTE_256 ? "256"
                : a->scheme == PALETTE_8 ? "8"
                                         : "none (shading)");
        return APP_REDRAW;
    case SF_ACTION_TRAIN_VIEW:
        if (a->train_view) {
            app_train_leave(a);
            app_move(a, APP_MOVE_NEW, 0);
            app_say(a, 0, "back to the forward pass (the shown model's weights are unchanged)");
        } else {
            app_train_enter(a);
        }
        return APP_REDRAW;
    case SF_ACTION_HELP:
        a->help = !a->help;
        return APP_REDRAW;
    case SF_ACTION_QUIT:
        return APP_QUIT;
    case SF_ACTION_CANCEL: // Esc: app_key acts on it before the actions
    case SF_ACTION_COUNT:
        break;
    }
    return 0;
}

int app_key(struct app *a, int key)
{
    if (a->lesson) {
        int r = app_lesson_key(a, key);
        if (r >= 0)
            return r;
    }
    if (a->help) {
        a->help = 0;
        return APP_REDRAW;
    }
    if (a->mode != APP_MODE_NORMAL)
        return app_entry_key(a, key);
    if (a->view.inspect && a->target < 0 && (key == SF_KEY_LEFT || key == SF_KEY_RIGHT)) {
        const struct node *last = graph_last(app_graph(a));
        const float *m;
        int rows, cols;
        if (last && panel_matrix(&a->view, last, &m, &rows, &cols))
            a->view.col = app_wrap(a->view.col + (key == SF_KEY_RIGHT ? 1 : -1), cols);
        return APP_REDRAW;
    }
    if (key == SF_KEY_ESCAPE) {
        if (a->target >= 0 || a->running) {
            a->target = -1;
            a->running = 0;
            app_say(a, 0, "stopped");
        } else if (a->view.inspect) {
            a->view.inspect = 0;
        } else if (a->zoom >= 0) {
            a->zoom = -1;
        }
        return APP_REDRAW;
    }
    return app_action(a, keymap_action(key));
}

int app_click(struct app *a, int x, int y)
{
    enum panel_id main = app_main_panel(a);
    struct view v = a->view;
    v.graph = app_graph(a);
    struct layout l;
    struct screen_state s;
    memset(&s, 0, sizeof s);
    if (a->lesson)
        app_lesson_screen(a, &s);
    app_layout(a, s.lesson, &l, a->width, a->height);
    if (l.too_small)
        return 0;
    for (int p = 0; p < PANEL_COUNT; p++) {
        struct rect r = l.panel[p];
        if (!l.shown[p] || x < r.x || x >= r.x + r.w || y < r.y || y >= r.y + r.h)
            continue;
        if (p != a->selected || p != (int)main)
            a->follow = 0;
        a->selected = p;
        if (p == PANEL_TOKENS) {
            int i = panel_tokens_hit(r, &v, x);
            if (i >= 0)
                a->view.row = i;
        } else if (p == PANEL_ATTENTION && a->view.head >= 0) {
            int i, j;
            if (panel_attention_hit(r, &v, x, y, &i, &j))
                a->view.row = i, a->view.col = j;
        }
        return APP_REDRAW;
    }
    return 0;
}
