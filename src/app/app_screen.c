// The screen state: what the screen shows for the app's state (the view, the status line, the
// help and the sampling box).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/text.h"
#include "app_priv.h"

// The number of characters of UTF-8 text s (its bytes that do not continue a character).
static int count_chars(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

enum panel_id app_main_panel(const struct app *a)
{
    enum panel_id p = (enum panel_id)a->selected;
    if (p == PANEL_TOKENS || p == PANEL_TIMELINE || p == PANEL_EQUATION)
        p = layout_focus(graph_last(app_graph(a)));
    return p;
}

void app_layout(struct app *a, const struct lesson_screen *ls, struct layout *l, int w, int h)
{
    struct rect narration;
    if (ls)
        layout_lesson(l, &narration, w, h, ls->panels, ls->n_panels, ls->focus, a->zoom,
                      ls->present, ls->present ? panel_narration_height(ls, w) : 0);
    else
        layout_compute(l, w, h, a->zoom, app_main_panel(a));
}

// The help box's lines (one per action, from the key table), built once.
static void help_lines(struct app *a, struct screen_state *s)
{
    if (!a->overlay) {
        a->overlay = calloc(SF_ACTION_COUNT, sizeof *a->overlay);
        a->overlay_buf = calloc(SF_ACTION_COUNT, 96);
        if (!a->overlay || !a->overlay_buf)
            return;
        for (int i = 1; i < SF_ACTION_COUNT; i++) {
            char *line = a->overlay_buf + (size_t)i * 96;
            keymap_help_line((enum sf_action)i, line, 96);
            a->overlay[i - 1] = line;
        }
    }
    s->overlay_title = "Keys  (any key closes this)";
    s->overlay = a->overlay;
    s->n_overlay = SF_ACTION_COUNT - 1;
}

static void sampling_lines(struct app *a, struct screen_state *s)
{
    const struct sampler *p = &a->sampler;
    snprintf(a->sampling_text[APP_FIELD_DECODING], 96, "decoding      %s",
             a->beam > 1 ? "beam search"
             : p->greedy ? "greedy (the most probable token)"
                         : "sampling (a random draw)");
    text_format(a->sampling_text[APP_FIELD_TEMPERATURE], 96, "temperature   %.1f",
                (double)p->temperature);
    snprintf(a->sampling_text[APP_FIELD_TOP_K], 96, "top-k         %d%s", p->top_k,
             p->top_k ? "" : " (no limit)");
    text_format(a->sampling_text[APP_FIELD_TOP_P], 96, "top-p         %.2f%s", (double)p->top_p,
                p->top_p >= 1 ? " (no limit)" : "");
    snprintf(a->sampling_text[APP_FIELD_SEED], 96, "seed          %llu", a->seed);
    snprintf(a->sampling_text[APP_FIELD_BEAM], 96, "beam width    %d", a->beam);
    for (int i = 0; i < APP_FIELD_COUNT; i++)
        a->sampling_ptr[i] = a->sampling_text[i];
    s->overlay_title = "Sampling  (up/down choose, left/right change, Enter applies)";
    s->overlay = a->sampling_ptr;
    s->n_overlay = APP_FIELD_COUNT;
    s->overlay_cursor = a->sampling_field;
}

// The status line of an input mode: " LABEL: TEXT_   HINT", where a message (what became of
// the typing: a completion list, a cut) takes the hint's place. When the line is wider than
// the screen, TEXT is the end of the input after "…", so the cursor and the message stay in
// sight.
static void input_status(struct app *a, const char *label, const char *hint, const char *keys)
{
    const char *tail = a->message[0] ? a->message : hint;
    int width = a->width > 0 ? a->width : 80, keys_w = (int)strlen(keys);
    // The keys sit at the right end of the status line when they take at most a third of it.
    int room = width - (keys_w <= width / 3 ? keys_w + 1 : 0) - count_chars(label) -
               count_chars(tail) - 7; // " ", ": ", "_   "
    room = room < 10 ? 10 : room;
    const char *text = a->input;
    int skip = count_chars(text) - room;
    if (skip > 0) {
        for (skip++; skip > 0; skip--) // one more for the "…"
            do
                text++;
            while (((unsigned char)*text & 0xc0) == 0x80);
    }
    snprintf(a->status, sizeof a->status, " %s: %s%s_   %s", label, text != a->input ? "…" : "",
             text, tail);
}

void app_screen(struct app *a, struct screen_state *s)
{
    const struct graph *g = app_graph(a);
    memset(s, 0, sizeof *s);
    s->view = a->view;
    s->view.graph = g;
    s->view.sampler = &a->sampler;
    s->view.beams = a->beams_active ? &a->beams : NULL;
    s->view.loss_before = a->loss_before;
    s->view.loss_after = a->loss_after;
    s->selected = a->selected;
    s->zoom = a->zoom;
    s->main = app_main_panel(a);
    s->overlay_cursor = -1;
    s->keys = a->running ? "running  r pauses " : "? help  q quit ";
    if (a->hooks && a->hooks->screen) // its pane, its panels and its keys
        a->hooks->screen(a, s);
    if (!a->train_view) {
        struct layout l;
        app_layout(a, s->lesson, &l, a->width ? a->width : 80, a->height ? a->height : 24);
        if (l.shown[PANEL_LOGIT_LENS]) {
            app_lens_update(a);
            s->view.lens = &a->lens;
        }
    }
    if (a->help)
        help_lines(a, s);
    else if (a->mode == APP_MODE_SAMPLING)
        sampling_lines(a, s);
    if (a->mode == APP_MODE_GOTO) {
        input_status(a, "goto", "(Tab completes, Enter goes, Esc)", s->keys);
        s->status = a->status;
    } else if (a->mode == APP_MODE_PROMPT) {
        input_status(a, "prompt", "(Enter runs it, Esc cancels)", s->keys);
        s->status = a->status;
    } else if (a->target >= 0) {
        snprintf(a->status, sizeof a->status, " running to %s … %d/%d  (any key stops)",
                 g->nodes[a->target].name, g->cursor, a->target + 1);
        s->status = a->status;
    } else if (a->message[0]) {
        snprintf(a->status, sizeof a->status, " %s", a->message);
        s->status = a->status;
        s->notice = a->message_error;
    }
}
