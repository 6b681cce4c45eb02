// The screen state: what the screen shows for the app's state (the view, the layout, the
// status line, the help and the sampling box), built without changing anything but the frame
// buffers it points into.
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"
#include "stepformer/utf8.h"
#include "app_priv.h"

// The number of characters of UTF-8 text s (its bytes that do not continue a character).
static int count_chars(const char *s)
{
    return (int)utf8_count(s, strlen(s));
}

void app_help_init(struct app *a)
{
    struct app_help *h = &a->help_text;
    int k = 0;
    for (int c = 0; c < KEYMAP_CONTEXT_COUNT; c++) {
        struct overlay_section *sec = &h->section[c];
        sec->title = keymap_context_title((enum keymap_context)c);
        sec->lines = h->lines + k;
        sec->n = 0;
        size_t nb;
        const struct key_command *b = keymap_context_bindings((enum keymap_context)c, &nb);
        for (int cmd = 1; cmd <= keymap_commands((enum keymap_context)c); cmd++) {
            int bound = c == KEYMAP_SCREEN; // every screen action has keys
            for (size_t i = 0; i < nb; i++)
                bound |= b[i].command == cmd;
            if (!bound || k >= APP_HELP_LINES)
                continue;
            keymap_command_line((enum keymap_context)c, cmd, h->text[k], sizeof h->text[k]);
            h->lines[k] = h->text[k];
            k++;
            sec->n++;
        }
    }
}

enum panel_id app_main_panel(const struct app *a)
{
    enum panel_id p = (enum panel_id)a->selected;
    if (p == PANEL_TOKENS || p == PANEL_TIMELINE || p == PANEL_EQUATION)
        p = layout_focus(graph_last(app_graph(a)));
    return p;
}

// The help box: a line per screen action, then the other key tables under their titles. A mode
// plugged in (lesson mode) has its own keys first; the screen's follow under their title.
static void help_lines(struct app *a, struct screen_state *s)
{
    const struct app_help *h = &a->help_text;
    static const enum keymap_context others[] = {KEYMAP_EDIT, KEYMAP_CELL, KEYMAP_PICK, KEYMAP_BOX};
    int n = 0, first = a->hooks && a->hooks->help ? a->hooks->help(a) : -1;
    s->overlay_title = "Keys  (any other key closes this)";
    if (first > KEYMAP_SCREEN && first < KEYMAP_CONTEXT_COUNT) {
        a->frame.more[n++] = h->section[first];
        a->frame.more[n++] = h->section[KEYMAP_SCREEN];
    } else {
        s->overlay = h->section[KEYMAP_SCREEN].lines;
        s->n_overlay = h->section[KEYMAP_SCREEN].n;
    }
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        a->frame.more[n++] = h->section[others[i]];
    s->overlay_more = a->frame.more;
    s->n_overlay_more = n;
    s->overlay_first = a->help_first;
}

// The sampling box: a line per setting; the one being typed shows the input line.
static void sampling_lines(struct app *a, struct screen_state *s)
{
    static const char *const labels[APP_FIELD_COUNT] = {"decoding", "temperature", "top-k",
                                                        "top-p",    "seed",        "beam width"};
    char(*t)[160] = a->frame.sampling_text;
    const struct sampler *p = &a->sampler;
    snprintf(t[APP_FIELD_DECODING], 160, "%-13s %s", labels[APP_FIELD_DECODING],
             a->beam > 1 ? "beam search"
             : p->greedy ? "greedy (the most probable token)"
                         : "sampling (a random draw)");
    text_format(t[APP_FIELD_TEMPERATURE], 160, "%-13s %.1f", labels[APP_FIELD_TEMPERATURE],
                (double)p->temperature);
    snprintf(t[APP_FIELD_TOP_K], 160, "%-13s %d%s", labels[APP_FIELD_TOP_K], p->top_k,
             p->top_k ? "" : " (no limit)");
    text_format(t[APP_FIELD_TOP_P], 160, "%-13s %.2f%s", labels[APP_FIELD_TOP_P], (double)p->top_p,
                p->top_p >= 1 ? " (no limit)" : "");
    snprintf(t[APP_FIELD_SEED], 160, "%-13s %llu", labels[APP_FIELD_SEED], a->seed);
    snprintf(t[APP_FIELD_BEAM], 160, "%-13s %d", labels[APP_FIELD_BEAM], a->beam);
    s->overlay_cursor_col = -1;
    if (a->sampling_typing) {
        char value[120];
        int col;
        line_edit_view(&a->input, 40, value, sizeof value, &col);
        snprintf(t[a->sampling_field], 160, "%-13s %s", labels[a->sampling_field], value);
        s->overlay_cursor_col = 14 + col;
    }
    for (int i = 0; i < APP_FIELD_COUNT; i++)
        a->frame.sampling_ptr[i] = t[i];
    s->overlay_title = a->sampling_typing
                           ? "Sampling  (type the value: Enter sets it, Esc keeps the setting)"
                           : "Sampling  (up/down choose, left/right or type to change, Enter "
                             "applies)";
    s->overlay = a->frame.sampling_ptr;
    s->n_overlay = APP_FIELD_COUNT;
    s->overlay_cursor = a->sampling_field;
}

// The status line of an input mode: " LABEL: TEXT   HINT", where a message (what became of
// the typing: a completion list, a cut) takes the hint's place. TEXT is the part of the line
// around its cursor that fits beside the rest (line_edit_view: the end, with "_" for the
// cursor, while typing at the end), so the cursor and the message stay in sight.
static void input_status(struct app *a, struct screen_state *s, const char *label, const char *hint)
{
    const char *tail = a->message[0] ? a->message : hint, *keys = s->keys;
    int width = a->width > 0 ? a->width : 80, keys_w = (int)strlen(keys);
    // The keys sit at the right end of the status line when they take at most a third of it.
    int room = width - (keys_w <= width / 3 ? keys_w + 1 : 0) - count_chars(label) -
               count_chars(tail) - 7; // " ", ": ", "_   "
    room = room < 10 ? 10 : room;
    char view[LINE_EDIT_SIZE + 16];
    int col;
    line_edit_view(&a->input, room + 1, view, sizeof view, &col);
    snprintf(a->frame.status, sizeof a->frame.status, " %s: %s   %s", label, view, tail);
    s->status = a->frame.status;
    s->status_cursor = 3 + count_chars(label) + col;
}

// The status line: an input line, a long move's progress or the message (else the screen
// shows the op that ran last).
static void status_line(struct app *a, struct screen_state *s)
{
    const struct graph *g = app_graph(a);
    if (a->mode == APP_MODE_GOTO) {
        input_status(a, s, "goto", "(Tab completes, Enter goes, Esc)");
    } else if (a->mode == APP_MODE_FIND) {
        input_status(a, s, "find heads, query key", "(e.g. \"it chicken\" or \"7 1\"; Enter, Esc)");
    } else if (a->mode == APP_MODE_PROMPT) {
        input_status(a, s, "prompt", "(Enter runs it, Esc cancels)");
    } else if (a->target >= 0) {
        snprintf(a->frame.status, sizeof a->frame.status, " running to %s … %d/%d  (any key stops)",
                 g->nodes[a->target].name, g->cursor, a->target + 1);
        s->status = a->frame.status;
    } else if (a->message[0] && a->input_note) { // as many unknown words as this width holds
        int error;
        a->frame.status[0] = ' ';
        app_input_note(a, a->width, a->frame.status + 1, sizeof a->frame.status - 1, &error);
        s->status = a->frame.status;
        s->notice = error;
    } else if (a->message[0]) {
        snprintf(a->frame.status, sizeof a->frame.status, " %s", a->message);
        s->status = a->frame.status;
        s->notice = a->message_error;
    }
}

// The status line's right end in the presenter view: that it is on and how to leave it, then
// as many of the other hints as take at most a third of the line (where the keys stay
// drawn). ASCII, so its bytes are its columns.
static const char *present_keys(int width)
{
    static const char *const keys[] = {
        "presenting: F or Esc leaves  PgDn/PgUp step  ? help  q quit ",
        "presenting: F or Esc leaves  ? help  q quit ",
        "presenting: F leaves  ? help ",
        "presenting: F leaves ",
    };
    size_t n = sizeof keys / sizeof keys[0];
    for (size_t i = 0; i + 1 < n; i++)
        if ((int)strlen(keys[i]) <= width / 3)
            return keys[i];
    return keys[n - 1];
}

void app_screen(struct app *a, struct screen_state *s)
{
    const struct graph *g = app_graph(a);
    memset(s, 0, sizeof *s);
    s->view = a->view;
    s->view.graph = g;
    s->view.sampler = &a->sampler;
    s->view.beams = a->beams_active ? &a->beams : NULL;
    s->view.lens = a->train_view ? NULL : &a->lens;
    s->view.next = a->train_view ? NULL : &a->next.aux;
    s->view.loss_before = a->loss_before;
    s->view.loss_after = a->loss_after;
    s->view.loss_after_pos = a->train_view ? a->loss_after_pos : NULL;
    s->selected = a->selected;
    s->zoom = a->zoom;
    s->main = app_main_panel(a);
    s->overlay_cursor = s->overlay_cursor_col = s->status_cursor = -1;
    s->present = a->present && !a->hooks;
    s->keys = a->running && s->present ? "presenting  r pauses "
              : a->running             ? "running  r pauses "
              : s->present             ? present_keys(a->width ? a->width : 80)
                                       : "? help  q quit ";
    if (a->hooks && a->hooks->screen) // its pane, its panels and its keys
        a->hooks->screen(a, s);
    screen_layout(s, a->width ? a->width : 80, a->height ? a->height : 24);
    a->frame.layout = s->layout;
    a->frame.built = 1;
    if (a->help)
        help_lines(a, s);
    else if (a->mode == APP_MODE_SAMPLING)
        sampling_lines(a, s);
    status_line(a, s);
}
