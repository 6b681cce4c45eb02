// The action machine: a key becomes an action through the key tables, and each action is a
// small handler in one table that says what it keeps and what the screen must redo.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stepformer/export.h"
#include "stepformer/text.h"
#include "app_priv.h"

// Run speeds for run / pause, slowest first (milliseconds per operation).
static const int speeds[] = {1000, 500, APP_SPEED_START_MS, 120, 60, 25};
#define N_SPEEDS (int)(sizeof speeds / sizeof speeds[0])

// The index of the first node from the cursor on of at least `level`, or the last node.
static int index_of_level(const struct graph *g, int level)
{
    for (int i = g->cursor; i < g->n_nodes; i++)
        if ((int)g->nodes[i].level >= level)
            return i;
    return g->n_nodes - 1;
}

static int act_none(struct app *a, enum sf_action act)
{
    (void)a, (void)act;
    return 0;
}

static int act_step(struct app *a, enum sf_action act)
{
    (void)act;
    if (app_move(a, APP_MOVE_STEP, 0) == 0)
        app_say(a, 0, "the end of the pass: Home starts again, x generates a token");
    return APP_REDRAW;
}

static int act_back(struct app *a, enum sf_action act)
{
    (void)act;
    if (!app_move(a, APP_MOVE_BACK, 0))
        app_say(a, 0, "the start of the pass");
    return APP_REDRAW;
}

// n, N and G: long moves, in slices.
static int act_run_to(struct app *a, enum sf_action act)
{
    const struct graph *g = app_graph(a);
    return app_move_to(a, act == SF_ACTION_NEXT_SUBLAYER ? index_of_level(g, NODE_LEVEL_SUBLAYER)
                          : act == SF_ACTION_NEXT_BLOCK  ? index_of_level(g, NODE_LEVEL_BLOCK)
                                                         : g->n_nodes - 1);
}

static int act_restart(struct app *a, enum sf_action act)
{
    (void)act;
    a->running = 0;
    app_move(a, APP_MOVE_START, 0);
    return APP_REDRAW;
}

// g, e and s: the input modes.
static int act_entry(struct app *a, enum sf_action act)
{
    app_entry_open(a, act == SF_ACTION_GOTO          ? APP_MODE_GOTO
                      : act == SF_ACTION_EDIT_PROMPT ? APP_MODE_PROMPT
                                                     : APP_MODE_SAMPLING);
    return APP_REDRAW;
}

static int act_run_pause(struct app *a, enum sf_action act)
{
    (void)act;
    const struct graph *g = app_graph(a);
    a->running = !a->running && g->cursor < g->n_nodes;
    app_say(a, 0,
            a->running ? "running, one op every %d ms (+ faster, - slower, r pauses)" : "paused",
            a->speed_ms);
    return APP_REDRAW;
}

static int act_speed(struct app *a, enum sf_action act)
{
    int k = 0;
    while (k < N_SPEEDS - 1 && speeds[k] > a->speed_ms)
        k++;
    k += act == SF_ACTION_FASTER ? 1 : -1;
    a->speed_ms = speeds[k < 0 ? 0 : (k >= N_SPEEDS ? N_SPEEDS - 1 : k)];
    app_say(a, 0, "run speed: one op every %d ms", a->speed_ms);
    return APP_REDRAW;
}

static int act_next_panel(struct app *a, enum sf_action act)
{
    (void)act;
    a->follow = 0;
    a->selected = app_wrap(a->selected + 1, PANEL_COUNT);
    if (a->zoom >= 0)
        a->zoom = a->selected;
    app_say(a, 0, "panel: %s (z zooms it)", panel_name((enum panel_id)a->selected));
    return APP_REDRAW;
}

static int act_zoom(struct app *a, enum sf_action act)
{
    (void)act;
    a->zoom = a->zoom >= 0 ? -1 : a->selected;
    if (a->zoom >= 0)
        a->follow = 0;
    return APP_REDRAW;
}

// F: the presenter view, or back to the whole screen (lesson mode has its own: --present).
static int act_present(struct app *a, enum sf_action act)
{
    (void)act;
    if (a->hooks) {
        app_say(a, 0, "lessons have their own presenter view: stepformer lesson --present");
        return APP_REDRAW;
    }
    a->present = !a->present;
    app_say(a, 0,
            a->present ? "presenter view: PgDn or Right runs the next op, PgUp or Left steps "
                         "back; F or Esc leaves"
                       : "the whole screen again (F: the presenter view)");
    return APP_REDRAW;
}

// Esc: the first of these that applies (the message stays).
static int act_cancel(struct app *a, enum sf_action act)
{
    (void)act;
    if (a->target >= 0 || a->running) {
        a->target = -1;
        a->running = 0;
        app_say(a, 0, "stopped");
    } else if (a->view.inspect) {
        app_inspect_leave(a);
    } else if (a->zoom >= 0) {
        a->zoom = -1;
    } else if (a->present && !a->hooks) {
        a->present = 0;
        app_say(a, 0, "the whole screen again (F: the presenter view)");
    }
    return APP_REDRAW;
}

static int act_layer(struct app *a, enum sf_action act)
{
    int d = act == SF_ACTION_LAYER_NEXT ? 1 : -1;
    a->view.layer = app_wrap(a->view.layer + d, a->model.cfg.n_layer);
    app_say(a, 0, "layer %d", a->view.layer);
    return APP_REDRAW;
}

// Heads 0 .. H-1, then all heads (-1).
static int act_head(struct app *a, enum sf_action act)
{
    int H = a->model.cfg.n_head, d = act == SF_ACTION_HEAD_NEXT ? 1 : -1;
    a->view.head = app_wrap(a->view.head + 1 + d, H + 1) - 1;
    if (a->view.head < 0)
        app_say(a, 0, "all %d heads of layer %d", H, a->view.layer);
    else
        app_say(a, 0, "head %d", a->view.head);
    return APP_REDRAW;
}

// The token rows, or the rows of the inspected matrix.
static int act_row(struct app *a, enum sf_action act)
{
    const struct graph *g = app_graph(a);
    const struct node *last = graph_last(g);
    const float *m;
    int rows = g->n_tokens, r, cols;
    if (a->view.inspect && last && panel_matrix(&a->view, last, &m, &r, &cols))
        rows = r;
    a->view.row = app_wrap(a->view.row + (act == SF_ACTION_ROW_NEXT ? 1 : -1), rows);
    return APP_REDRAW;
}

static int act_inspect(struct app *a, enum sf_action act)
{
    (void)act;
    const struct node *last = graph_last(app_graph(a));
    const float *m;
    int rows, cols;
    if (a->view.inspect) {
        app_inspect_leave(a);
    } else if (!last || !panel_matrix(&a->view, last, &m, &rows, &cols)) {
        app_say(a, 0, "nothing to inspect yet: run an operation first");
    } else {
        a->view.inspect = 1;
        app_inspect_fit(a, rows, cols);
        app_say(a, 0, "inspect: arrows move over %s; i or Esc leaves", last->name);
    }
    return APP_REDRAW;
}

static int act_generate(struct app *a, enum sf_action act)
{
    (void)act;
    return app_generate(a);
}

// o: the selected head of the layer shown (or all its heads) off, or on again.
static int act_head_off(struct app *a, enum sf_action act)
{
    (void)act;
    int H = a->model.cfg.n_head, layer = a->view.layer;
    int h0 = a->view.head < 0 ? 0 : a->view.head, h1 = a->view.head < 0 ? H : h0 + 1;
    unsigned char *row = a->head_off + (size_t)layer * H;
    int turn_off = !row[h0];
    for (int h = h0; h < h1; h++)
        row[h] = (unsigned char)turn_off;
    char what[96];
    if (a->view.head < 0)
        snprintf(what, sizeof what, "all heads of L%d %s", layer, turn_off ? "off" : "on");
    else
        snprintf(what, sizeof what, "L%d head %d %s", layer, h0, turn_off ? "off" : "on again");
    app_intervene(a, what);
    return APP_REDRAW;
}

static int act_no_positions(struct app *a, enum sf_action act)
{
    (void)act;
    if (a->model.cfg.pos == POS_NONE) {
        app_say(a, 0, "this model has no position embeddings");
        return APP_REDRAW;
    }
    a->no_positions = !a->no_positions;
    app_intervene(a, a->no_positions ? "position embeddings dropped" : "position embeddings back");
    return APP_REDRAW;
}

// b: pins the next-token distribution in view (y, or at the last position the distribution
// sampling draws from), or unpins it; later changes show beside it (app_next_update).
static void pin_distribution(struct app *a)
{
    struct app_next *x = &a->next;
    if (x->pinned) {
        free(x->pinned);
        x->pinned = NULL;
        x->aux.pinned = NULL;
        x->aux.pinned_note = NULL;
        app_say(a, 0, "unpinned");
        return;
    }
    const struct graph *g = &a->fwd;
    int probs = graph_find_role(g, -1, ROLE_HEAD_PROBS), V = a->model.cfg.vocab_size;
    if (a->train_view || probs < 0 || !graph_node_done(g, probs)) {
        app_say(a, 1, "b pins the next-token distribution: run the forward pass to head.probs");
        return;
    }
    int row = a->view.row < g->n_tokens ? a->view.row : g->n_tokens - 1;
    int last = row == g->n_tokens - 1;
    const float *p =
        last && x->aux.sampled ? x->aux.sampled : g->nodes[probs].out.data + (size_t)row * V;
    if (!(x->pinned = malloc(sizeof(float) * (size_t)V))) {
        app_say(a, 1, "no memory to pin the distribution");
        return;
    }
    memcpy(x->pinned, p, sizeof(float) * (size_t)V);
    char raw[128], piece[64], badge[64], cut[48] = "";
    tokenizer_piece_str(&a->model.tok, g->ids[row], raw, sizeof raw);
    panel_fit(piece, sizeof piece, raw, 12);
    if (panel_intervention_badge(g, badge, sizeof badge) <= 0)
        text_format(badge, sizeof badge, "no intervention");
    if (last && x->aux.sampled) {
        int k = text_format(cut, sizeof cut, ", τ %.1f", (double)a->sampler.temperature);
        if (a->sampler.top_k > 0)
            k += text_format(cut + k, sizeof cut - (size_t)k, " top-k %d", a->sampler.top_k);
        if (a->sampler.top_p < 1.0f)
            text_format(cut + k, sizeof cut - (size_t)k, " top-p %.2f", (double)a->sampler.top_p);
    }
    text_format(x->pinned_note, sizeof x->pinned_note, "%s after '%s' (position %d)%s, %s",
                last && x->aux.sampled ? "p" : "y", piece, row, cut, badge);
    x->aux.pinned = x->pinned;
    x->aux.pinned_note = x->pinned_note;
    app_say(a, 0, "pinned %s: change a setting, the prompt or a head and compare; b unpins",
            x->pinned_note);
}

static int act_pin(struct app *a, enum sf_action act)
{
    (void)act;
    pin_distribution(a);
    return APP_REDRAW;
}

static int act_product(struct app *a, enum sf_action act)
{
    (void)act;
    a->view.product = !a->view.product;
    app_say(a, 0, "%s",
            a->view.product ? "projections show X · W = Y: the input, the weights and the output"
                            : "projections show their output");
    return APP_REDRAW;
}

static int act_numbers(struct app *a, enum sf_action act)
{
    (void)act;
    a->view.numbers = !a->view.numbers;
    return APP_REDRAW;
}

static int act_palette(struct app *a, enum sf_action act)
{
    (void)act;
    a->scheme = palette_next((enum palette_scheme)a->scheme);
    a->scheme_chosen = 1;
    app_say(a, 0, "colours: %s",
            a->scheme == PALETTE_256     ? "dark (256, on black)"
            : a->scheme == PALETTE_LIGHT ? "light (256, on white)"
            : a->scheme == PALETTE_8     ? "8"
                                         : "none (shading)");
    return APP_REDRAW;
}

static int act_train_view(struct app *a, enum sf_action act)
{
    (void)act;
    if (!a->train_view) {
        app_train_enter(a);
        return APP_REDRAW;
    }
    app_train_leave(a);
    app_move(a, APP_MOVE_NEW, 0);
    app_say(a, 0, "back to the forward pass (the shown model's weights are unchanged)");
    return APP_REDRAW;
}

static int act_help(struct app *a, enum sf_action act)
{
    (void)act;
    a->help = !a->help;
    a->help_first = 0;
    if (a->help)
        app_help_init(a);
    return APP_REDRAW;
}

// S: the screen as it is now, as an SVG picture in the current directory, named after the op
// with the first number not taken (stepformer-L1.attn.softmax-2.svg); the status line says
// what was written, or why not.
static int act_screenshot(struct app *a, enum sf_action act)
{
    (void)act;
    const struct node *last = graph_last(app_graph(a));
    char path[SF_NODE_NAME_MAX + 48], title[APP_PROMPT_MAX + 128];
    const char *op = last ? last->name : "start";
    for (int n = 1; n < 100000; n++) {
        snprintf(path, sizeof path, "stepformer-%s-%d.svg", op, n);
        if (access(path, F_OK) != 0)
            break;
    }
    struct grid g;
    struct sf_diag d;
    char msg[SF_MSG_MAX];
    sf_diag_clear(&d);
    int rc = app_shot(a, &g, 0, title, sizeof title);
    if (!rc)
        rc = export_write(path, &g, EXPORT_SVG, (enum palette_scheme)a->scheme, title, &d);
    if (rc && !d.msg[0])
        sf_diag_set(&d, rc, path, 0, 0, "%s", sf_strerror(rc));
    if (rc)
        app_say(a, 1, "screenshot not saved: %s", sf_diag_format(&d, msg, sizeof msg));
    else
        app_say(a, 0, "saved %s (%dx%d, %s colours)", path, g.w, g.h,
                palette_name((enum palette_scheme)a->scheme));
    if (g.cells)
        grid_free(&g);
    return APP_REDRAW;
}

static int act_quit(struct app *a, enum sf_action act)
{
    (void)a, (void)act;
    return APP_QUIT;
}

// What an action leaves alone: an action clears the status message first, and a key pressed
// during a long move stops it there instead of acting, unless the action says otherwise.
enum { KEEPS_MOVE = 1, KEEPS_MESSAGE = 2 };

static const struct {
    int (*run)(struct app *a, enum sf_action act);
    unsigned keeps;
} actions[SF_ACTION_COUNT] = {
    [SF_ACTION_NONE] = {act_none, 0},
    [SF_ACTION_STEP] = {act_step, 0},
    [SF_ACTION_BACK] = {act_back, 0},
    [SF_ACTION_NEXT_SUBLAYER] = {act_run_to, 0},
    [SF_ACTION_NEXT_BLOCK] = {act_run_to, 0},
    [SF_ACTION_GOTO] = {act_entry, 0},
    [SF_ACTION_RUN_TO_END] = {act_run_to, 0},
    [SF_ACTION_RESTART] = {act_restart, 0},
    [SF_ACTION_RUN_PAUSE] = {act_run_pause, 0},
    [SF_ACTION_FASTER] = {act_speed, 0},
    [SF_ACTION_SLOWER] = {act_speed, 0},
    [SF_ACTION_NEXT_PANEL] = {act_next_panel, 0},
    [SF_ACTION_ZOOM] = {act_zoom, 0},
    [SF_ACTION_PRESENT] = {act_present, 0},
    [SF_ACTION_CANCEL] = {act_cancel, KEEPS_MOVE | KEEPS_MESSAGE},
    [SF_ACTION_LAYER_NEXT] = {act_layer, 0},
    [SF_ACTION_LAYER_PREV] = {act_layer, 0},
    [SF_ACTION_HEAD_NEXT] = {act_head, 0},
    [SF_ACTION_HEAD_PREV] = {act_head, 0},
    [SF_ACTION_ROW_NEXT] = {act_row, 0},
    [SF_ACTION_ROW_PREV] = {act_row, 0},
    [SF_ACTION_INSPECT] = {act_inspect, 0},
    [SF_ACTION_EDIT_PROMPT] = {act_entry, 0},
    [SF_ACTION_SAMPLING] = {act_entry, 0},
    [SF_ACTION_GENERATE] = {act_generate, 0},
    [SF_ACTION_PIN] = {act_pin, 0},
    [SF_ACTION_HEAD_OFF] = {act_head_off, 0},
    [SF_ACTION_NO_POSITIONS] = {act_no_positions, 0},
    [SF_ACTION_NUMBERS] = {act_numbers, 0},
    [SF_ACTION_PRODUCT] = {act_product, 0},
    [SF_ACTION_PALETTE] = {act_palette, 0},
    [SF_ACTION_TRAIN_VIEW] = {act_train_view, 0},
    [SF_ACTION_HEAD_VIEW] = {app_heads_action, 0},
    [SF_ACTION_HEAD_VIEW_REVERSE] = {app_heads_action, 0},
    [SF_ACTION_MODEL_VIEW] = {app_heads_action, 0},
    [SF_ACTION_FIND_HEAD] = {app_heads_action, 0},
    [SF_ACTION_SCREENSHOT] = {act_screenshot, KEEPS_MOVE},
    [SF_ACTION_HELP] = {act_help, KEEPS_MOVE},
    [SF_ACTION_QUIT] = {act_quit, KEEPS_MOVE},
};

int app_action(struct app *a, enum sf_action act)
{
    if (act < 0 || act >= SF_ACTION_COUNT)
        return 0;
    if (!(actions[act].keeps & KEEPS_MESSAGE)) {
        a->message[0] = 0;
        a->message_error = 0;
    }
    if (a->target >= 0 && !(actions[act].keeps & KEEPS_MOVE)) {
        const struct node *last = graph_last(app_graph(a));
        a->target = -1; // a key during a long move stops it where it is
        a->generate_pending = 0;
        app_say(a, 0, "stopped at %s", last ? last->name : "the start");
        return APP_REDRAW;
    }
    return actions[act].run(a, act);
}

// The inspect cursor one column left or right (around the matrix).
static int cell_move(struct app *a, enum sf_cell c)
{
    const struct node *last = graph_last(app_graph(a));
    const float *m;
    int rows, cols;
    if (last && panel_matrix(&a->view, last, &m, &rows, &cols))
        a->view.col = app_wrap(a->view.col + (c == SF_CELL_RIGHT ? 1 : -1), cols);
    return APP_REDRAW;
}

// A key while the help is up: Space, PgDn and Down page or scroll on, PgUp and Up back, Home
// and End to either end; any other key closes it and does nothing else.
static int help_key(struct app *a, int key)
{
    struct screen_state s;
    app_screen(a, &s);
    int page, last = screen_overlay_last_first(&s, a->width ? a->width : 80,
                                               a->height ? a->height : 24, &page);
    int first = a->help_first;
    if (key == ' ' || key == SF_KEY_PAGE_DOWN)
        first += page;
    else if (key == SF_KEY_DOWN)
        first++;
    else if (key == SF_KEY_PAGE_UP)
        first -= page;
    else if (key == SF_KEY_UP)
        first--;
    else if (key == SF_KEY_HOME)
        first = 0;
    else if (key == SF_KEY_END)
        first = last;
    else {
        a->help = 0;
        return APP_REDRAW;
    }
    a->help_first = first < 0 ? 0 : (first > last ? last : first);
    return APP_REDRAW;
}

// A key goes to the first that takes it: a mode plugged in (lesson mode), the help (any key
// closes it), an input mode, the inspect cursor, the screen's actions.
int app_key(struct app *a, int key)
{
    if (a->hooks && a->hooks->key) {
        int r = a->hooks->key(a, key);
        if (r >= 0)
            return r;
    }
    if (a->help)
        return help_key(a, key);
    if (a->mode == APP_MODE_FIND) // the finder's line: the entry line read by the head views
        return app_find_key(a, key);
    if (a->mode != APP_MODE_NORMAL)
        return app_entry_key(a, key);
    if (a->view.inspect && a->target < 0) {
        enum sf_cell c = (enum sf_cell)keymap_command(KEYMAP_CELL, key);
        if (c != SF_CELL_NONE)
            return cell_move(a, c);
    }
    if (!a->view.inspect && a->target < 0 &&
        (a->selected == PANEL_HEADS || a->selected == PANEL_MODEL || a->selected == PANEL_FINDER)) {
        int r = app_heads_key(a, key);
        if (r >= 0)
            return r;
    }
    return app_action(a, keymap_action(key));
}

int app_click(struct app *a, int x, int y)
{
    if (!a->frame.built) { // no frame yet: the one that would be drawn now
        struct screen_state s;
        app_screen(a, &s);
    }
    const struct layout *l = &a->frame.layout;
    enum panel_id main = app_main_panel(a);
    struct view v = a->view;
    v.graph = app_graph(a);
    if (l->too_small)
        return 0;
    for (int p = 0; p < PANEL_COUNT; p++) {
        struct rect r = l->panel[p];
        if (!l->shown[p] || x < r.x || x >= r.x + r.w || y < r.y || y >= r.y + r.h)
            continue;
        if (p != a->selected || p != (int)main)
            a->follow = 0;
        a->selected = p;
        if (p == PANEL_TOKENS) {
            int i = panel_tokens_hit(r, &v, x);
            if (i >= 0)
                a->view.row = i;
        } else if (p == PANEL_MODEL) {
            int l, h;
            if (panel_model_hit(r, &v, x, y, &l, &h))
                a->view.layer = l, a->view.head = h;
        } else if (p == PANEL_HEADS) { // marks the row: Enter ranks the heads for it
            int i = panel_heads_hit(r, &v, x, y), row = v.row;
            if (i >= 0 && a->view.heads_reverse)
                a->view.find_query = i, a->view.find_key = row;
            else if (i >= 0)
                a->view.find_key = i, a->view.find_query = row;
        } else if (p == PANEL_FINDER) {
            int k = panel_finder_hit(r, &v, x, y);
            if (k >= 0)
                a->view.find_sel = k;
        } else if (p == PANEL_ATTENTION && a->view.head >= 0) {
            int i, j;
            if (panel_attention_hit(r, &v, x, y, &i, &j))
                a->view.row = i, a->view.col = j;
        }
        return APP_REDRAW;
    }
    return 0;
}
