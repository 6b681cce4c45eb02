// The input modes: goto (an op name, Tab completes), the prompt editor and the sampling
// settings box (arrows change a setting, or a number is typed), all on the one input line.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/text.h"
#include "app_priv.h"

int app_input_add(struct app *a, int cp)
{
    enum line_edit_result r = line_edit_insert(&a->input, cp);
    if (r == LINE_EDIT_FULL) // whole characters only, and say so
        app_say(a, 1, "too long: cut at %d characters (at most %d bytes)",
                line_edit_chars(&a->input), (int)sizeof a->input.text - 1);
    return r == LINE_EDIT_INSERTED;
}

enum sf_edit app_line_key(struct app *a, int key)
{
    enum sf_edit cmd = (enum sf_edit)keymap_command(KEYMAP_EDIT, key);
    if (cmd == SF_EDIT_ACCEPT || cmd == SF_EDIT_CANCEL || cmd == SF_EDIT_COMPLETE)
        return cmd;
    if (cmd != SF_EDIT_NONE)
        line_edit_apply(&a->input, cmd);
    else
        app_input_add(a, key); // takes characters only
    return SF_EDIT_NONE;
}

void app_entry_open(struct app *a, enum app_mode mode)
{
    a->mode = mode;
    a->sampling_typing = 0;
    if (mode == APP_MODE_PROMPT)
        line_edit_set(&a->input, a->prompt);
    else if (mode == APP_MODE_GOTO || mode == APP_MODE_FIND)
        line_edit_clear(&a->input);
}

// Tab in goto: completes to the longest common prefix of the matching names.
static void goto_complete(struct app *a)
{
    const struct graph *g = app_graph(a);
    int count = 0, common = 0;
    const char *first = NULL;
    char list[APP_LINE_MAX];
    size_t k = 0;
    list[0] = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const char *name = g->nodes[i].name;
        if (strncmp(name, a->input.text, (size_t)a->input.len) != 0)
            continue;
        if (!first) {
            first = name;
            common = (int)strlen(name);
        } else {
            int j = 0;
            while (j < common && first[j] == name[j])
                j++;
            common = j;
        }
        if (count < 8 && k < sizeof list)
            k += (size_t)snprintf(list + k, sizeof list - k, " %s", name);
        count++;
    }
    if (!first) {
        app_say(a, 1, "no op starts with '%s'", a->input.text);
        return;
    }
    char name[SF_NODE_NAME_MAX];
    snprintf(name, sizeof name, "%.*s", common, first);
    line_edit_set(&a->input, name);
    if (count > 1)
        app_say(a, 0, "%d ops:%s%s", count, list, count > 8 ? " …" : "");
}

static void goto_enter(struct app *a)
{
    struct graph *g = app_graph_on_screen(a);
    const char *name = a->input.text;
    a->mode = APP_MODE_NORMAL;
    if (!a->input.len)
        return;
    int i = graph_find(g, name);
    if (i < 0) {
        const char *near[3];
        int n = graph_suggest(g, name, near, 3);
        app_say(a, 1, "no op called '%s'%s%s%s%s%s", name, n ? "; did you mean " : "",
                n > 0 ? near[0] : "", n > 1 ? ", " : "", n > 1 ? near[1] : "", n ? "?" : "");
        return;
    }
    app_move_to(a, i);
}

// Goto and the prompt: the line takes the keys; Enter goes (or runs the prompt), Esc cancels.
static int line_mode_key(struct app *a, int key)
{
    switch (app_line_key(a, key)) {
    case SF_EDIT_CANCEL:
        a->mode = APP_MODE_NORMAL;
        a->message[0] = 0;
        break;
    case SF_EDIT_ACCEPT:
        if (a->mode == APP_MODE_GOTO) {
            goto_enter(a);
        } else {
            a->mode = APP_MODE_NORMAL;
            app_set_input(a, NULL, a->input.text, NULL);
        }
        break;
    case SF_EDIT_COMPLETE:
        if (a->mode == APP_MODE_GOTO)
            goto_complete(a);
        break;
    default:
        break;
    }
    return APP_REDRAW;
}

// The sampling box's field one step down (dir -1) or up (+1).
static void sampling_change(struct app *a, int dir)
{
    struct sampler *s = &a->sampler;
    switch (a->sampling_field) {
    case APP_FIELD_DECODING: { // greedy, sampling, beam search
        int mode = app_wrap((a->beam > 1 ? 2 : s->greedy ? 0 : 1) + dir, 3);
        s->greedy = mode != 1;
        a->beam = mode == 2 ? (a->beam > 1 ? a->beam : 3) : 1;
        break;
    }
    case APP_FIELD_TEMPERATURE: {
        float t = s->temperature + 0.1f * (float)dir;
        s->temperature = t < 0.1f ? 0.1f : (t > 5.0f ? 5.0f : roundf(t * 10) / 10);
        break;
    }
    case APP_FIELD_TOP_K:
        s->top_k = s->top_k + dir < 0 ? 0 : s->top_k + dir;
        break;
    case APP_FIELD_TOP_P: {
        float p = s->top_p + 0.05f * (float)dir;
        s->top_p = p < 0.05f ? 0.05f : (p > 1.0f ? 1.0f : roundf(p * 20) / 20);
        break;
    }
    case APP_FIELD_SEED:
        a->seed = (unsigned long long)((long long)a->seed + dir < 0 ? 0 : (long long)a->seed + dir);
        break;
    case APP_FIELD_BEAM:
        a->beam = a->beam + dir < 1 ? 1 : (a->beam + dir > 8 ? 8 : a->beam + dir);
        break;
    }
}

// The number typed on the line, read whole, when it lies in [lo, hi]; 0 on success. It starts
// with a digit or '.': no space around it, no sign; one too small for full precision is refused.
static int typed_number(const char *t, double lo, double hi, double *v)
{
    return text_parse_double(t, lo, hi, TEXT_NUM_UNSIGNED, v);
}

// The value typed for the sampling field, inside the field's limits; temperature and top-p go
// to the nearest step the arrows reach (0.1 and 0.05), so that what the box shows is what is
// used. A value out of limits is refused with a message and the line stays.
static void sampling_set_typed(struct app *a)
{
    struct sampler *s = &a->sampler;
    const char *t = a->input.text;
    int V = a->model.cfg.vocab_size, bad = 0;
    double v = 0, step = 0, now = 0;
    const char *rounded = NULL; // the setting a typed value was rounded for
    switch (a->sampling_field) {
    case APP_FIELD_TEMPERATURE:
        if (!(bad = typed_number(t, 0.1, 5, &v)))
            s->temperature = roundf((float)v * 10) / 10;
        rounded = !bad && fabs(v - (double)s->temperature) > 1e-6 ? "temperature" : NULL;
        step = 0.1, now = s->temperature;
        break;
    case APP_FIELD_TOP_K:
        if (!(bad = typed_number(t, 0, V, &v) || v != floor(v)))
            s->top_k = (int)v;
        break;
    case APP_FIELD_TOP_P:
        if (!(bad = typed_number(t, 0.05, 1, &v)))
            s->top_p = roundf((float)v * 20) / 20;
        rounded = !bad && fabs(v - (double)s->top_p) > 1e-6 ? "top-p" : NULL;
        step = 0.05, now = s->top_p;
        break;
    case APP_FIELD_SEED: { // digits only
        uint64_t seed;
        if (!(bad = text_parse_u64(t, 0, UINT64_MAX, TEXT_NUM_UNSIGNED, &seed)))
            a->seed = seed;
        break;
    }
    case APP_FIELD_BEAM:
        if (!(bad = typed_number(t, 1, 8, &v) || v != floor(v)))
            a->beam = (int)v;
        break;
    }
    static const char *const limits[APP_FIELD_COUNT] = {
        "",
        "a number from 0.1 to 5",
        "a whole number from 0 (no limit) to the vocabulary size",
        "a number from 0.05 to 1",
        "a whole number from 0 to 18446744073709551615",
        "a whole number from 1 to 8"};
    if (bad) {
        app_say(a, 1, "'%s' is not %s (Esc keeps the setting)", t, limits[a->sampling_field]);
        return;
    }
    a->sampling_typing = 0;
    a->message[0] = 0;
    if (rounded) // what the box shows is what is used: say that it is not what was typed
        app_say(a, 0, "%s %s is set to %g: the settings go in steps of %g", rounded, t, now, step);
}

// The settings in force: a new sampler (seeded) and the sample.* ops rerun (and the
// distribution sampled from recomputed), at every change while the box is open, so the panels
// behind it show what the new settings sample from; closing the box also says what is set.
static void sampling_apply(struct app *a, int say)
{
    struct sampler *s = &a->sampler;
    sampler_init(s, s->greedy, s->temperature, s->top_k, s->top_p, a->seed);
    if (a->beams_active) {
        beam_free(&a->beams);
        a->beams_active = 0;
    }
    app_rerun_from(a, graph_find(&a->fwd, "sample.temperature"), a->fwd.cursor - 1);
    app_next_update(a);
    if (!say)
        return;
    if (a->beam > 1)
        app_say(a, 0, "beam search, %d beams: x extends every beam by one token", a->beam);
    else if (s->greedy)
        app_say(a, 0, "greedy decoding: x appends the most probable token");
    else
        app_say(a, 0, "sampling: temperature %.1f, top-k %d, top-p %.2f, seed %llu",
                (double)s->temperature, s->top_k, (double)s->top_p, a->seed);
}

// The sampling box: its keys choose and change the settings; a digit or a point on a number
// starts typing it on the input line (Enter sets it, Esc keeps the setting).
static int box_key(struct app *a, int key)
{
    if (a->sampling_typing) {
        enum sf_edit cmd = app_line_key(a, key);
        if (cmd == SF_EDIT_ACCEPT && (sampling_set_typed(a), !a->sampling_typing))
            sampling_apply(a, 0); // set: the panels behind the box show it at once
        else if (cmd == SF_EDIT_CANCEL)
            a->sampling_typing = 0, a->message[0] = 0;
        return APP_REDRAW;
    }
    enum sf_box cmd = (enum sf_box)keymap_command(KEYMAP_BOX, key);
    switch (cmd) {
    case SF_BOX_PREV:
        a->sampling_field = app_wrap(a->sampling_field - 1, APP_FIELD_COUNT);
        break;
    case SF_BOX_NEXT:
        a->sampling_field = app_wrap(a->sampling_field + 1, APP_FIELD_COUNT);
        break;
    case SF_BOX_LESS:
    case SF_BOX_MORE:
        sampling_change(a, cmd == SF_BOX_MORE ? 1 : -1);
        sampling_apply(a, 0);
        break;
    case SF_BOX_CLOSE:
        a->mode = APP_MODE_NORMAL;
        sampling_apply(a, 1);
        break;
    case SF_BOX_NONE:
    case SF_BOX_COUNT:
        if (a->sampling_field != APP_FIELD_DECODING && (key == '.' || (key >= '0' && key <= '9'))) {
            line_edit_clear(&a->input);
            app_input_add(a, key);
            a->sampling_typing = 1;
        }
        break;
    }
    return APP_REDRAW;
}

int app_entry_key(struct app *a, int key)
{
    switch (a->mode) {
    case APP_MODE_GOTO:
    case APP_MODE_PROMPT:
        return line_mode_key(a, key);
    case APP_MODE_SAMPLING:
        return box_key(a, key);
    case APP_MODE_FIND: // the head views read it (app_find_key)
    case APP_MODE_NORMAL:
        break;
    }
    return 0;
}
