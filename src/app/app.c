// The application context: the model, the prompt and the pass on screen, and every move of
// its cursor (after which the view follows the op that ran last).
#include "stepformer/app.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/cli.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"
#include "app_priv.h"
#include "stepformer/clock.h"

static const char default_prompt[] = "the keys to the cabinet are on the table";

void app_say(struct app *a, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vformat(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
    // A message longer than the line is cut between characters, never inside one.
    a->message[utf8_cut(a->message, strlen(a->message), sizeof a->message - 1)] = '\0';
    a->message_error = error;
    a->input_note = 0;
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
    return a->target >= 0 || a->running || app_lens_waiting(a) || app_next_waiting(a) ||
           (a->hooks && a->hooks->busy && a->hooks->busy(a));
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
        if (!last || !panel_matrix(&a->view, last, &m, &rows, &cols))
            app_inspect_leave(a);
        else
            app_inspect_fit(a, rows, cols);
    } else {
        a->token_row = -1; // inspect was turned off without leaving it (a lesson's beat)
    }
}

void app_inspect_fit(struct app *a, int rows, int cols)
{
    if (a->token_row >= 0 && a->token_row < rows) { // the matrix has the token's row again
        a->view.row = a->token_row;
        a->token_row = -1;
    }
    if (a->view.row >= rows) {
        if (a->token_row < 0)
            a->token_row = a->view.row;
        a->view.row = rows - 1;
    }
    a->view.col = a->view.col >= cols ? cols - 1 : a->view.col;
}

void app_inspect_leave(struct app *a)
{
    a->view.inspect = 0;
    if (a->token_row >= 0 && a->token_row < app_graph(a)->n_tokens)
        a->view.row = a->token_row;
    a->token_row = -1;
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
    double start = sf_now_ms();
    int rc = 0;
    while (g->cursor <= a->target) {
        if ((rc = step_once(a)) <= 0)
            break;
        if (sf_now_ms() - start > budget_ms)
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
    if (!a->train_view)
        app_lens_update(a);
    app_next_update(a);
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
    a->token_row = -1;
    if (text || a->view.find_query >= n || a->view.find_key >= n) // a new prompt: a new pair
        a->view.find_query = a->view.find_key = -1;
    rc = app_lens_reset(a);
    app_train_leave(a);
    app_move(a, APP_MOVE_NEW, 0);
    return rc;
}

void app_input_note(const struct app *a, int width, char *buf, size_t size, int *error)
{
    static const char unknown[] = "not in the vocabulary: ", lower_short[] = "input lower-cased; ";
    const char *text = a->prompt;
    const int *ids = a->fwd.ids;
    int n = a->fwd.n_tokens, lower = cli_input_lowercased(&a->model, text);
    // The status line's room beside "? help  q quit " (and its leading space).
    int room = (width > 0 ? width : SF_MIN_W) - 17;
    char list[APP_LINE_MAX];
    int want = room - (int)(sizeof unknown - 1) - (lower ? (int)sizeof lower_short - 1 : 0);
    want = want < 24 ? 24 : want > (int)sizeof list ? (int)sizeof list : want;
    int count = cli_unknown_list(&a->model, text, ids, n, list, (size_t)want);
    *error = count > 0;
    if (count && lower && (int)(strlen(list) + sizeof unknown + sizeof CLI_LOWERCASED_NOTE) <= room)
        text_format(buf, size, "%s%s; %s", unknown, list, CLI_LOWERCASED_NOTE);
    else if (count)
        text_format(buf, size, "%s%s%s", lower ? lower_short : "", unknown, list);
    else if (lower)
        text_format(buf, size, "%s (%d tokens)", CLI_LOWERCASED_NOTE, n);
    else
        text_format(buf, size, "new prompt: %d tokens; Space steps through the pass", n);
}

// Encodes text (or reads the comma-separated ids_arg) as the new prompt and rebuilds; the
// message names every unknown word, a lower-cased input or a bad id.
int app_set_input(struct app *a, const char *ids_arg, const char *text, struct sf_diag *why)
{
    char msg[SF_MSG_MAX];
    struct sf_diag own, *d = why ? why : &own;
    int *ids = NULL, n = 0;
    int rc = cli_input(&a->model, ids_arg, text, &ids, &n, d);
    if (!rc)
        rc = app_build_forward(a, ids, n, text, d);
    if (rc) {
        app_say(a, 1, "%s", sf_diag_format(d, msg, sizeof msg));
        free(ids);
        return rc;
    }
    free(ids);
    if (!text) {
        app_say(a, 0, "new prompt: %d tokens; Space steps through the pass", n);
        return 0;
    }
    char note[APP_LINE_MAX];
    int error;
    app_input_note(a, a->width, note, sizeof note, &error);
    app_say(a, error, "%s", note);
    a->input_note = 1; // composed again for the width of the screen it is shown on
    return 0;
}

int app_init(struct app *a, const struct app_options *o, struct sf_diag *d)
{
    memset(a, 0, sizeof *a);
    a->zoom = -1;
    a->target = -1;
    a->token_row = -1;
    a->follow = 1;
    a->speed_ms = APP_SPEED_START_MS;
    a->view.numbers = 1;
    a->view.find_query = a->view.find_key = -1; // nothing asked of the head finder yet
    a->seed = 42;
    a->beam = 1;
    a->loss_before = a->loss_after = NAN;
    a->impl = o->reference ? OP_IMPL_REF : OP_IMPL_FAST;
    a->present = o->present;
    a->scheme = o->palette > 0 ? o->palette - 1 : PALETTE_256;
    a->scheme_chosen = o->palette > 0;
    if (cli_load_model(&a->model, o->model_path, o->tokenizer_path, d))
        return 2;
    snprintf(a->model_path, sizeof a->model_path, "%s",
             o->model_path ? o->model_path : "the shipped model");
    sampler_init(&a->sampler, 1, 1.0f, 0, 1.0f, a->seed);
    const struct model_config *c = &a->model.cfg;
    a->head_off = calloc((size_t)c->n_layer * (size_t)c->n_head, 1);
    if (!a->head_off) {
        app_free(a);
        return 2;
    }
    a->fwd.iv = (struct intervention){a->head_off, 0};
    const char *prompt = o->prompt || o->ids ? o->prompt : default_prompt;
    if (a->model.tok.kind == TOK_NONE && !o->ids && !o->prompt) {
        if (a->model.hf_folder)
            sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0,
                        "the Hugging Face folder has no tokenizer files (vocab.json and "
                        "merges.txt, or tokenizer.json): download them into the folder, or give "
                        "--ids 3,1,4");
        else
            sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0,
                        "this model has no tokenizer: give --ids 3,1,4, or --tokenizer FILE for "
                        "an llm.c checkpoint");
        app_free(a);
        return 2;
    }
    if (app_set_input(a, o->ids, prompt, d)) {
        if (!d->file[0]) // the option the input came from
            snprintf(d->file, sizeof d->file, "%s", o->ids ? "--ids" : "--prompt");
        app_free(a);
        return 2;
    }
    if (!a->message_error && !(prompt && cli_input_lowercased(&a->model, prompt)))
        a->message[0] = 0; // keep a note about unknown words or a lower-cased input
    if (o->train && app_train_enter(a)) {
        sf_diag_set(d, SF_ERR_ARG, "--train", 0, 0, "%s", a->message);
        app_free(a);
        return 2;
    }
    return 0;
}

void app_free(struct app *a)
{
    if (a->hooks && a->hooks->free)
        a->hooks->free(a);
    app_train_free(a);
    graph_free(&a->fwd);
    if (a->beams_active)
        beam_free(&a->beams);
    model_free(&a->model);
    free(a->head_off);
    app_lens_free(a);
    app_next_free(a);
    memset(a, 0, sizeof *a);
}

int app_train_enter(struct app *a)
{
    struct sf_diag d;
    char msg[SF_MSG_MAX];
    sf_diag_clear(&d);
    int rc = app_train_build(a, &d);
    if (rc) {
        app_say(a, 1, "%s%s",
                rc == SF_ERR_EMPTY ? "" : "training view: ", sf_diag_format(&d, msg, sizeof msg));
        return rc;
    }
    app_move(a, APP_MOVE_NEW, 0);
    app_say(a, 0, "training view: one iteration on this sentence (%d positions), learning rate %g",
            a->fwd.n_tokens - 1, (double)a->opt.hp.lr);
    return 0;
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
    app_next_update(a); // also when nothing has run (no move): the pass without it starts
}

// Appends the token sample.draw chose to the prompt; the new pass runs.
void app_append_drawn(struct app *a)
{
    int drawn = a->fwd.drawn;
    if (drawn < 0)
        return;
    if (a->fwd.n_tokens + 1 > a->model.cfg.n_ctx) {
        app_say(a, 1, "the context is full (%d tokens): edit the prompt (e) to go on",
                a->model.cfg.n_ctx);
        return;
    }
    int *ids = malloc(sizeof(int) * (size_t)(a->fwd.n_tokens + 1));
    if (!ids)
        return;
    memcpy(ids, a->fwd.ids, sizeof(int) * (size_t)a->fwd.n_tokens);
    ids[a->fwd.n_tokens] = drawn;
    struct sf_diag d;
    char piece[64];
    sf_diag_clear(&d);
    int n = a->fwd.n_tokens + 1;
    if (app_build_forward(a, ids, n, NULL, &d) == 0) {
        tokenizer_piece_str(&a->model.tok, drawn, piece, sizeof piece);
        app_say(a, 0, "appended '%s' (%s); the new pass runs", piece,
                a->sampler.greedy ? "greedy" : "sampled");
        app_move_to(a, a->fwd.n_nodes - 1);
    }
    free(ids);
}

int app_tick(struct app *a, int budget_ms)
{
    struct graph *g = app_graph_on_screen(a);
    if (a->hooks && a->hooks->busy && a->hooks->busy(a))
        return a->hooks->tick(a, budget_ms);
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
    if (app_lens_waiting(a)) {
        app_lens_update(a);
        return APP_REDRAW;
    }
    if (app_next_waiting(a)) {
        app_next_tick(a, budget_ms);
        return APP_REDRAW;
    }
    return 0;
}
