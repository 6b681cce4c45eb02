// The input modes: goto (an op name, Tab completes), the prompt editor and the sampling
// settings box.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/utf8.h"
#include "app_priv.h"

// The number of characters of UTF-8 text s (its bytes that do not continue a character).
static int count_chars(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

int app_input_add(struct app *a, int cp)
{
    // Characters only: no control (C0, DEL, C1), no surrogate, nothing above U+10FFFF.
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
        return 0;
    char u[4];
    int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n == 1) {
        u[0] = (char)cp;
    } else {
        for (int i = n - 1; i > 0; i--, cp >>= 6)
            u[i] = (char)(0x80 | (cp & 0x3f));
        u[0] = (char)((n == 2 ? 0xc0 : n == 3 ? 0xe0 : 0xf0) | cp);
    }
    if (a->input_len + n >= (int)sizeof a->input) { // whole characters only, and say so
        app_say(a, 1, "too long: cut at %d characters (at most %d bytes)", count_chars(a->input),
                (int)sizeof a->input - 1);
        return 0;
    }
    memcpy(a->input + a->input_len, u, (size_t)n);
    a->input_len += n;
    a->input[a->input_len] = 0;
    return 1;
}

void app_input_backspace(struct app *a)
{
    // The last character goes: a whole UTF-8 sequence, or one byte of text that is not UTF-8
    // (the prompt decoded from byte-level pieces can hold such bytes).
    if (a->input_len > 0)
        a->input_len = (int)utf8_cut(a->input, (size_t)a->input_len, (size_t)a->input_len - 1);
    a->input[a->input_len] = 0;
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
        if (strncmp(name, a->input, (size_t)a->input_len) != 0)
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
        app_say(a, 1, "no op starts with '%s'", a->input);
        return;
    }
    snprintf(a->input, sizeof a->input, "%.*s", common, first);
    a->input_len = (int)strlen(a->input);
    if (count > 1)
        app_say(a, 0, "%d ops:%s%s", count, list, count > 8 ? " …" : "");
}

static void goto_enter(struct app *a)
{
    struct graph *g = app_graph_on_screen(a);
    a->mode = APP_MODE_NORMAL;
    if (!a->input_len)
        return;
    int i = graph_find(g, a->input);
    if (i < 0) {
        const char *near[3];
        int n = graph_suggest(g, a->input, near, 3);
        app_say(a, 1, "no op called '%s'%s%s%s%s%s", a->input, n ? "; did you mean " : "",
                n > 0 ? near[0] : "", n > 1 ? ", " : "", n > 1 ? near[1] : "", n ? "?" : "");
        return;
    }
    app_move_to(a, i);
}

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

// Closing the box applies the settings: a new sampler (seeded) and a rebuilt pass.
static void sampling_apply(struct app *a)
{
    struct sampler *s = &a->sampler;
    sampler_init(s, s->greedy, s->temperature, s->top_k, s->top_p, a->seed);
    if (a->beams_active) {
        beam_free(&a->beams);
        a->beams_active = 0;
    }
    app_rerun_from(a, graph_find(&a->fwd, "sample.temperature"), a->fwd.cursor - 1);
    if (a->beam > 1)
        app_say(a, 0, "beam search, %d beams: x extends every beam by one token", a->beam);
    else if (s->greedy)
        app_say(a, 0, "greedy decoding: x appends the most probable token");
    else
        app_say(a, 0, "sampling: temperature %.1f, top-k %d, top-p %.2f, seed %llu",
                (double)s->temperature, s->top_k, (double)s->top_p, a->seed);
}

void app_entry_open(struct app *a, enum app_mode mode)
{
    a->mode = mode;
    if (mode == APP_MODE_GOTO) {
        a->input[0] = 0;
        a->input_len = 0;
    } else if (mode == APP_MODE_PROMPT) {
        snprintf(a->input, sizeof a->input, "%s", a->prompt);
        a->input_len = (int)strlen(a->input);
    }
}

int app_entry_key(struct app *a, int key)
{
    switch (a->mode) {
    case APP_MODE_GOTO:
    case APP_MODE_PROMPT:
        if (key == SF_KEY_ESCAPE) {
            a->mode = APP_MODE_NORMAL;
            a->message[0] = 0;
        } else if (key == SF_KEY_ENTER || key == '\r') {
            if (a->mode == APP_MODE_GOTO) {
                goto_enter(a);
            } else {
                a->mode = APP_MODE_NORMAL;
                app_set_input(a, NULL, a->input);
            }
        } else if (key == SF_KEY_BACKSPACE || key == 127 || key == 8) {
            app_input_backspace(a);
        } else if (key == 21) { // Ctrl-U
            a->input_len = 0;
            a->input[0] = 0;
        } else if (key == SF_KEY_TAB && a->mode == APP_MODE_GOTO) {
            goto_complete(a);
        } else if (key >= 32 && key != 127) {
            app_input_add(a, key);
        }
        return APP_REDRAW;
    case APP_MODE_SAMPLING:
        if (key == SF_KEY_UP || key == 'k')
            a->sampling_field = app_wrap(a->sampling_field - 1, APP_FIELD_COUNT);
        else if (key == SF_KEY_DOWN || key == 'j' || key == SF_KEY_TAB)
            a->sampling_field = app_wrap(a->sampling_field + 1, APP_FIELD_COUNT);
        else if (key == SF_KEY_LEFT || key == '-' || key == 'h')
            sampling_change(a, -1);
        else if (key == SF_KEY_RIGHT || key == '+' || key == '=' || key == 'l' || key == ' ')
            sampling_change(a, 1);
        else if (key == SF_KEY_ENTER || key == '\r' || key == SF_KEY_ESCAPE || key == 's' ||
                 key == 'q') {
            a->mode = APP_MODE_NORMAL;
            sampling_apply(a);
        }
        return APP_REDRAW;
    case APP_MODE_NORMAL:
        break;
    }
    return 0;
}
