// The views across heads from the app's side: opening the head view, the model view and the
// head finder, their keys (arrows, Enter, a rank's number), and the finder's input line (a
// query and a key, as words of the prompt or positions).
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

// Selects panel p (in the zoom when one is zoomed); the main panel stays on it until a move.
static void show_panel(struct app *a, enum panel_id p)
{
    a->selected = p;
    a->follow = 0;
    if (a->zoom >= 0)
        a->zoom = p;
}

int app_heads_action(struct app *a, enum sf_action act)
{
    switch (act) {
    case SF_ACTION_HEAD_VIEW_REVERSE:
        a->view.heads_reverse = !a->view.heads_reverse;
        show_panel(a, PANEL_HEADS);
        app_say(a, 0,
                a->view.heads_reverse ? "head view: the queries that attend to the selected token"
                                      : "head view: where the selected token looks");
        break;
    case SF_ACTION_MODEL_VIEW:
        show_panel(a, PANEL_MODEL);
        app_say(a, 0, "model view: arrows choose a layer and head, Enter opens it");
        break;
    case SF_ACTION_FIND_HEAD:
        app_entry_open(a, APP_MODE_FIND);
        break;
    default:
        show_panel(a, PANEL_HEADS);
        app_say(a, 0,
                "head view: j k the token, l the layer, V turns it around, ← → mark a row, Enter "
                "ranks heads");
        break;
    }
    return APP_REDRAW;
}

// Opens layer l, head h in the attention panel.
static void open_head(struct app *a, int l, int h)
{
    a->view.layer = l;
    a->view.head = h;
    show_panel(a, PANEL_ATTENTION);
    app_say(a, 0, "L%d head %d: its attention matrix (m: the model view, f: the finder)", l, h);
}

// The finder's rank k (from 0): opens it, or says there is none.
static int open_rank(struct app *a, int k)
{
    const struct graph *g = app_graph(a);
    const struct model_config *cfg = &a->model.cfg;
    int n_max = cfg->n_layer * cfg->n_head;
    struct finder_rank *r = malloc((size_t)n_max * sizeof *r);
    if (!r) {
        app_say(a, 1, "no memory for the ranking");
        return APP_REDRAW;
    }
    int n = a->view.find_query < 0
                ? 0
                : panel_finder_rank(g, a->view.find_query, a->view.find_key, r, n_max, NULL);
    if (k < n) {
        a->view.row = a->view.find_query;
        a->view.col = a->view.find_key;
        open_head(a, r[k].layer, r[k].head);
    } else {
        app_say(a, 1,
                n ? "the ranking has %d heads"
                  : "nothing ranked yet: f asks for a query "
                    "and a key",
                n);
    }
    free(r);
    return APP_REDRAW;
}

// Opens the finder on query q and key k: the pass runs through the last layer's softmax
// first when it has not, so every head is ranked.
static void find_open(struct app *a, int q, int k)
{
    struct graph *g = app_graph_on_screen(a);
    int last = graph_find_role(g, a->model.cfg.n_layer - 1, ROLE_ATTN_SOFTMAX);
    if (last >= 0 && g->cursor <= last)
        app_move(a, APP_MOVE_TO, last);
    a->view.find_query = q;
    a->view.find_key = k;
    a->view.find_sel = 0;
    a->view.row = q;
    show_panel(a, PANEL_FINDER);
}

// The model view's, the finder's and the head view's keys when one of them is selected;
// -1 for a key they leave to the screen.
int app_heads_key(struct app *a, int key)
{
    enum sf_pick c = (enum sf_pick)keymap_command(KEYMAP_PICK, key);
    const struct graph *g = app_graph(a);
    int L = a->model.cfg.n_layer, H = a->model.cfg.n_head, N = g->n_tokens;
    if (c == SF_PICK_NONE)
        return -1;
    if (a->selected == PANEL_MODEL) {
        int d = c == SF_PICK_UP || c == SF_PICK_LEFT ? -1 : 1,
            h = a->view.head < 0 ? 0 : a->view.head;
        if (c == SF_PICK_UP || c == SF_PICK_DOWN)
            a->view.layer = app_wrap(a->view.layer + d, L), a->view.head = h;
        else if (c == SF_PICK_LEFT || c == SF_PICK_RIGHT)
            a->view.head = app_wrap(h + d, H);
        else if (c == SF_PICK_OPEN)
            open_head(a, a->view.layer, h);
        else
            return -1;
        return APP_REDRAW;
    }
    if (a->selected == PANEL_FINDER) {
        if (c == SF_PICK_UP || c == SF_PICK_DOWN) {
            int s = a->view.find_sel + (c == SF_PICK_UP ? -1 : 1);
            a->view.find_sel = s < 0 ? 0 : s >= L * H ? L * H - 1 : s;
            return APP_REDRAW;
        }
        if (c == SF_PICK_OPEN)
            return open_rank(a, a->view.find_sel);
        if (c == SF_PICK_RANK)
            return open_rank(a, key - '1');
        return -1;
    }
    if (a->selected == PANEL_HEADS && (c == SF_PICK_LEFT || c == SF_PICK_RIGHT)) {
        int row = a->view.row < N ? a->view.row : N - 1, d = c == SF_PICK_LEFT ? -1 : 1;
        int lo = a->view.heads_reverse ? row : 0, hi = a->view.heads_reverse ? N - 1 : row;
        int *m = a->view.heads_reverse ? &a->view.find_query : &a->view.find_key;
        int at = *m < lo || *m > hi ? (d > 0 ? lo : hi) : *m + d;
        *m = at < lo ? hi : at > hi ? lo : at;
        if (a->view.heads_reverse)
            a->view.find_key = row;
        else
            a->view.find_query = row;
        return APP_REDRAW;
    }
    if (a->selected == PANEL_HEADS && c == SF_PICK_OPEN) {
        int row = a->view.row < N ? a->view.row : N - 1;
        int q = a->view.heads_reverse ? a->view.find_query : row;
        int k = a->view.heads_reverse ? row : a->view.find_key;
        if (q < 0 || k < 0 || q >= N || k > q) {
            app_say(a, 0, "← → mark a row first; Enter ranks every head for it");
            return APP_REDRAW;
        }
        find_open(a, q, k);
        return APP_REDRAW;
    }
    return -1;
}

// 1 when a and b are the same text without regard to ASCII case.
static int same_word(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

// A word of the finder's line as a position: digits (a position of the prompt), or a token
// of the prompt, compared without case and the pieces' leading spaces; the last one at or
// before `before` (-1: anywhere), else the last one after it (*later 1). Returns -1 when none.
static int find_word(const struct graph *g, const char *w, int before, int *later)
{
    char *end;
    *later = 0;
    if (isdigit((unsigned char)w[0])) {
        long p = strtol(w, &end, 10);
        if (*end)
            return -1;
        *later = before >= 0 && p > before;
        return p < g->n_tokens ? (int)p : -1;
    }
    int found = -1, after = -1;
    for (int i = 0; i < g->n_tokens; i++) {
        char tok[96];
        tokenizer_piece_str(&g->model->tok, g->ids[i], tok, sizeof tok);
        const char *t = tok;
        while (*t == ' ')
            t++;
        if (!same_word(t, w))
            continue;
        if (before < 0 || i <= before)
            found = i;
        else if (after < 0)
            after = i;
    }
    if (found < 0 && after >= 0)
        *later = 1, found = after;
    return found;
}

// Enter on the finder's line: two words or positions, the query then the key. A problem is
// said on the line, which stays for a correction.
static void find_enter(struct app *a)
{
    const struct graph *g = app_graph(a);
    char line[LINE_EDIT_SIZE], *w[3] = {0};
    int n = 0;
    snprintf(line, sizeof line, "%s", a->input.text);
    for (char *t = line; *t;) { // the words between spaces; an arrow between them is left out
        while (*t == ' ' || *t == '\t')
            *t++ = 0;
        if (!*t)
            break;
        char *start = t;
        while (*t && *t != ' ' && *t != '\t')
            t++;
        if (strcmp(start, "->") != 0 && strncmp(start, "→", strlen("→")) != 0 && n < 3)
            w[n++] = start;
    }
    if (n != 2) {
        app_say(a, 1, "type two words of the prompt (or positions): the query, then the key");
        return;
    }
    int later, q = find_word(g, w[0], -1, &later), k = q < 0 ? -1 : find_word(g, w[1], q, &later);
    if (q < 0 || k < 0) {
        const char *bad = q < 0 ? w[0] : w[1];
        char text[LINE_EDIT_SIZE];
        tokenizer_decode(&a->model.tok, g->ids, g->n_tokens, text, sizeof text);
        if (strstr(text, bad)) // in the text, but split into pieces
            app_say(a, 1,
                    "\"%s\" is not one token of the prompt: type positions (0–%d) as the "
                    "tokens strip numbers them",
                    bad, g->n_tokens - 1);
        else
            app_say(a, 1, "\"%s\" is not a token of the prompt (positions 0–%d)", bad,
                    g->n_tokens - 1);
        return;
    }
    if (later) {
        app_say(a, 1, "\"%s\" (%d) comes after \"%s\" (%d): masked, its α is 0 in every head", w[1],
                k, w[0], q);
        return;
    }
    a->mode = APP_MODE_NORMAL;
    find_open(a, q, k);
    app_say(a, 0, "every head ranked by α(%s %d → %s %d): Enter or 1–9 opens one", w[0], q, w[1],
            k);
}

int app_find_key(struct app *a, int key)
{
    switch (app_line_key(a, key)) {
    case SF_EDIT_CANCEL:
        a->mode = APP_MODE_NORMAL;
        a->message[0] = 0;
        break;
    case SF_EDIT_ACCEPT:
        a->message[0] = 0;
        find_enter(a);
        break;
    default:
        break;
    }
    return APP_REDRAW;
}
