// Lesson mode: runs a lesson script's beats on the application (the model steps exactly as
// scripted), asks its questions, keeps the progress, and lays out the narration. It plugs into
// the app through hooks (its keys, its part of the screen, freeing it) and drives the app
// through the app's own functions.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"
#include "stepformer/utf8.h"

// Directive errors name the line and column of the script.
#define FAIL(d, act, ...) (lesson_diag_add((d), 1, (act)->line, (act)->col, __VA_ARGS__), -1)

// Runs the move the app started to its end (a script does not wait for the screen); a
// failed op becomes a diagnostic.
static int finish(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    while (a->target >= 0)
        app_tick(a, 1 << 30);
    if (a->message_error)
        return FAIL(d, act, "%s", a->message);
    a->message[0] = 0;
    return 0;
}

static int act_goto(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    struct graph *g = app_graph_on_screen(a);
    int i = graph_find(g, act->text);
    if (i < 0) {
        const char *near[3];
        int n = graph_suggest(g, act->text, near, 3);
        return FAIL(d, act,
                    "no op '%s' in this lesson's %s (%d layers, %d heads)%s%s%s%s%s; `stepformer "
                    "trace --list` lists them",
                    act->text, a->train_view ? "training iteration" : "forward pass",
                    a->model.cfg.n_layer, a->model.cfg.n_head, n ? ": did you mean " : "",
                    n > 0 ? near[0] : "", n > 1 ? " or " : "", n > 1 ? near[1] : "", n ? "?" : "");
    }
    app_move_to(a, i);
    return finish(a, act, d);
}

static int act_step(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    struct graph *g = app_graph_on_screen(a);
    int left = g->n_nodes - g->cursor;
    if (act->n > left)
        return FAIL(d, act, "@step %d runs past the end of the pass: %d ops are left", act->n,
                    left);
    app_move_to(a, g->cursor + act->n - 1);
    return finish(a, act, d);
}

// The message the app left, as a diagnostic.
static int fail_message(struct app *a, const struct lesson_action *act, struct lesson_diags *d,
                        const char *what)
{
    return FAIL(d, act, "%s: %s", what, a->message[0] ? a->message : "failed");
}

static int act_generate(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    app_train_leave(a);
    for (int k = 0; k < act->n; k++) {
        if (a->fwd.n_tokens + 1 > a->model.cfg.n_ctx)
            return FAIL(d, act, "@generate: the context is full (%d tokens)", a->model.cfg.n_ctx);
        if (app_move(a, APP_MOVE_TO, a->fwd.n_nodes - 1) < 0 || a->fwd.drawn < 0)
            return FAIL(d, act, "@generate: the sampling ops failed");
        int n = a->fwd.n_tokens + 1;
        int *ids = malloc(sizeof(int) * (size_t)n);
        if (!ids)
            return FAIL(d, act, "out of memory");
        memcpy(ids, a->fwd.ids, sizeof(int) * (size_t)(n - 1));
        ids[n - 1] = a->fwd.drawn;
        struct sf_diag sd;
        char msg[SF_MSG_MAX];
        sf_diag_clear(&sd);
        int rc = app_build_forward(a, ids, n, NULL, &sd);
        free(ids);
        if (rc)
            return FAIL(d, act, "@generate: %s", sf_diag_format(&sd, msg, sizeof msg));
    }
    return 0;
}

static int act_intervene(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    const struct model_config *c = &a->model.cfg;
    if (a->train_view)
        return FAIL(d, act, "@intervene changes the forward pass: put '@view forward' before it");
    if (act->n == LESSON_IV_HEAD_OFF) {
        if (act->i >= c->n_layer || act->j >= c->n_head)
            return FAIL(d, act, "head-off %d %d: this model has layers 0..%d and heads 0..%d",
                        act->i, act->j, c->n_layer - 1, c->n_head - 1);
        a->head_off[(size_t)act->i * c->n_head + act->j] = 1;
    } else if (act->n == LESSON_IV_NO_POSITIONS) {
        if (c->pos == POS_NONE)
            return FAIL(d, act, "this model has no position embeddings to drop");
        a->no_positions = 1;
    } else {
        memset(a->head_off, 0, (size_t)c->n_layer * c->n_head);
        a->no_positions = 0;
    }
    app_intervene(a, "@intervene");
    return finish(a, act, d);
}

static int act_highlight(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    const struct graph *g = app_graph(a);
    const struct model_config *c = &a->model.cfg;
    switch (act->n) {
    case LESSON_HL_TOKEN:
        if (act->i >= g->n_tokens)
            return FAIL(d, act, "token %d: the input has positions 0..%d", act->i, g->n_tokens - 1);
        a->view.row = act->i;
        a->view.inspect = 0;
        return 0;
    case LESSON_HL_HEAD:
        if (act->i >= c->n_head)
            return FAIL(d, act, "head %d: this model has heads 0..%d", act->i, c->n_head - 1);
        a->view.head = act->i;
        return 0;
    case LESSON_HL_CELL: {
        const struct node *last = graph_last(g);
        const float *m;
        int rows, cols;
        if (!last || !panel_matrix(&a->view, last, &m, &rows, &cols))
            return FAIL(d, act, "@highlight cell: %s has no matrix to point into",
                        last ? last->name : "nothing has run yet, so there");
        if (act->i >= rows || act->j >= cols)
            return FAIL(d, act, "cell %d %d: %s is %d x %d here", act->i, act->j, last->name, rows,
                        cols);
        a->view.inspect = 1;
        a->view.row = act->i;
        a->view.col = act->j;
        return 0;
    }
    default:
        a->view.inspect = 0;
        return 0;
    }
}

static void add_panel(struct app_lesson *ls, int p)
{
    for (int i = 0; i < ls->n_panels; i++)
        if (ls->panels[i] == p)
            return;
    if (ls->n_panels < LESSON_MAX_PANELS)
        ls->panels[ls->n_panels++] = p;
}

static int apply(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    struct app_lesson *ls = a->lesson;
    const struct model_config *c = &a->model.cfg;
    switch (act->op) {
    case LESSON_PROMPT:
        if (app_set_input(a, NULL, act->text, NULL) || a->message_error)
            return fail_message(a, act, d, "@prompt");
        a->message[0] = 0;
        return 0;
    case LESSON_VIEW:
        if (act->n && !a->train_view && app_train_enter(a))
            return fail_message(a, act, d, "@view training");
        if (!act->n && a->train_view) {
            app_train_leave(a);
            app_move(a, APP_MOVE_NEW, 0);
        }
        a->message[0] = 0;
        return 0;
    case LESSON_GOTO:
        return act_goto(a, act, d);
    case LESSON_STEP:
        return act_step(a, act, d);
    case LESSON_PANELS:
        memcpy(ls->panels, act->panels, sizeof ls->panels);
        ls->n_panels = act->n_panels;
        ls->focus = -1;
        a->zoom = -1;
        return 0;
    case LESSON_FOCUS:
        add_panel(ls, act->n);
        ls->focus = act->n;
        a->selected = act->n;
        return 0;
    case LESSON_ZOOM:
        a->zoom = act->n;
        if (act->n >= 0)
            a->selected = act->n;
        return 0;
    case LESSON_LAYER:
        if (act->n >= c->n_layer)
            return FAIL(d, act, "layer %d: this model has layers 0..%d", act->n, c->n_layer - 1);
        a->view.layer = act->n;
        return 0;
    case LESSON_HEAD:
        if (act->n >= c->n_head)
            return FAIL(d, act, "head %d: this model has heads 0..%d", act->n, c->n_head - 1);
        a->view.head = act->n;
        return 0;
    case LESSON_HIGHLIGHT:
        return act_highlight(a, act, d);
    case LESSON_NUMBERS:
        a->view.numbers = act->n;
        return 0;
    case LESSON_SAMPLER:
        a->seed = act->seed;
        sampler_init(&a->sampler, act->greedy, act->temperature, act->top_k, act->top_p, a->seed);
        if (a->train_view)
            return 0;
        app_rerun_from(a, graph_find(&a->fwd, "sample.temperature"), a->fwd.cursor - 1);
        return finish(a, act, d);
    case LESSON_GENERATE:
        return act_generate(a, act, d);
    case LESSON_INTERVENE:
        return act_intervene(a, act, d);
    case LESSON_LEARN:
        return app_learn_lesson(a, act, d);
    case LESSON_OP_COUNT:
        break;
    }
    return 0;
}

// The state before the first beat: the starting prompt, default settings, no interventions.
static void script_reset(struct app *a)
{
    struct app_lesson *ls = a->lesson;
    const struct model_config *c = &a->model.cfg;
    app_train_leave(a);
    memset(a->head_off, 0, (size_t)c->n_layer * c->n_head);
    a->no_positions = 0;
    struct intervention iv = {a->head_off, 0};
    graph_set_intervention(&a->fwd, &iv);
    a->seed = 42;
    a->beam = 1;
    if (a->beams_active) {
        beam_free(&a->beams);
        a->beams_active = 0;
    }
    sampler_init(&a->sampler, 1, 1.0f, 0, 1.0f, a->seed);
    a->view.layer = a->view.head = 0;
    a->view.numbers = 1;
    a->view.inspect = 0;
    a->zoom = -1;
    a->target = -1;
    a->running = 0;
    a->mode = APP_MODE_NORMAL;
    ls->n_panels = 0;
    ls->focus = -1;
    // Only when the script does not set its own prompt first. The pass is at its start either
    // way (the interventions were just reset).
    const struct lesson_beat *b0 = &ls->l.beats[0];
    if (!(b0->n_acts && b0->acts[0].op == LESSON_PROMPT) && strcmp(a->prompt, ls->start_prompt))
        app_set_input(a, NULL, ls->start_prompt, NULL);
    app_lens_reset(a);
    app_move(a, APP_MOVE_START, 0);
}

static int apply_beat(struct app *a, int k, struct lesson_diags *d)
{
    const struct lesson_beat *b = &a->lesson->l.beats[k];
    int rc = 0;
    for (int i = 0; i < b->n_acts; i++)
        if (apply(a, &b->acts[i], d))
            rc = -1;
    return rc;
}

// Saves the place reached. On failure says why in the status line (the file and the reason),
// once, and stops saving: the lesson goes on. Returns 1 when it failed just now.
static int save_progress(struct app *a)
{
    struct app_lesson *ls = a->lesson;
    if (!ls->keep_progress)
        return 0;
    struct sf_diag sd;
    char msg[SF_MSG_MAX];
    sf_diag_clear(&sd);
    // Done: the last beat is reached with its question answered (no Space past it needed),
    // or the lesson was done before (taking it again does not undo that).
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    int done = ls->done || ls->was_done ||
               (ls->beat == ls->l.n_beats - 1 && (!q || ls->answered[ls->beat]));
    int rc = lesson_progress_set(&ls->progress, ls->l.id, ls->beat, ls->l.n_beats, done);
    if (rc)
        sf_diag_set(&sd, rc, ls->progress.path, 0, 0, "%s", sf_strerror(rc));
    else
        rc = lesson_progress_save(&ls->progress, &sd);
    if (!rc)
        return 0;
    app_say(a, 1, "progress not saved: %s", sf_diag_format(&sd, msg, sizeof msg));
    ls->keep_progress = 0; // say it once
    ls->save_failed = 1;
    return 1;
}

// Says msg, after the failure to save when saving failed just now (so it stays in sight).
// "; next: stepformer lesson 5" for the lesson after this one in the lessons folder; "" for the
// last one, or a lesson opened from a file elsewhere. Returns buf.
static const char *next_lesson(const struct app_lesson *ls, char *buf, size_t size)
{
    int n = 0;
    char **list = lesson_list(&n);
    buf[0] = 0;
    for (int i = 0; list && i + 1 < n; i++)
        if (strcmp(list[i], ls->l.path) == 0) {
            snprintf(buf, size, "; next: stepformer lesson %d", lesson_list_number(list[i + 1]));
            break;
        }
    lesson_list_free(list, n);
    return buf;
}

static void say_after_save(struct app *a, int failed, const char *msg)
{
    if (!failed) {
        app_say(a, 0, "%s", msg);
        return;
    }
    char why[sizeof a->message];
    snprintf(why, sizeof why, "%s", a->message);
    app_say(a, 1, "%s; %s", why, msg);
}

// The beat's question, set up on arrival.
static int question_setup(struct app *a, struct lesson_diags *d)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    ls->picked = -1;
    ls->attempts = 0;
    ls->revealed = 0;
    ls->feedback[0] = 0;
    ls->feedback_error = 0;
    ls->live[0] = 0;
    ls->typing = 0;
    line_edit_clear(&a->input);
    if (!q)
        return 0;
    lesson_choice_order(q, ls->seed, ls->order);
    if (q->live) {
        char why[300];
        if (lesson_live_eval_learn(q->live, app_graph(a), ls->l.beats[ls->beat].worked,
                                   ls->learn ? app_learn_lesson_log(a) : NULL, ls->live,
                                   sizeof ls->live, &ls->live_value, &ls->live_numeric, why,
                                   sizeof why)) {
            lesson_diag_add(d, 1, q->live_line, q->live_col, "@live %s: %s", q->live, why);
            snprintf(ls->live, sizeof ls->live, "?");
            return -1;
        }
    }
    if (ls->answered[ls->beat] && !ls->present) {
        char want[160];
        app_lesson_expected(a, want, sizeof want);
        snprintf(ls->feedback, sizeof ls->feedback, "Answered: %s%s%s", want,
                 q->explain ? ". " : "", q->explain ? q->explain : "");
    } else if (q->correct < 0 && !ls->present) {
        ls->typing = 1;
    }
    return 0;
}

// The beat's facts: each one the model does not bear out goes to d, and the first is said in
// the narration pane; the lesson goes on (its narration may be wrong, its moves are not).
static void facts_check(struct app *a, int beat, struct lesson_diags *d)
{
    struct app_lesson *ls = a->lesson;
    struct lesson_diags *facts = malloc(sizeof *facts);
    if (!facts)
        return;
    lesson_diags_init(facts, ls->l.path);
    if (lesson_beat_facts(&ls->l.beats[beat], app_graph(a), facts) && facts->n) {
        for (int i = 0; i < facts->n; i++)
            lesson_diag_add(d, 1, facts->msgs[i].line, facts->msgs[i].col, "%s",
                            facts->msgs[i].text);
        snprintf(ls->feedback, sizeof ls->feedback,
                 "This beat says what the model does not bear out (line %d): %s",
                 facts->msgs[0].line, facts->msgs[0].text);
        ls->feedback_error = 1;
    }
    free(facts);
}

int app_lesson_goto(struct app *a, int beat, struct lesson_diags *d)
{
    struct app_lesson *ls = a->lesson;
    if (beat < 0 || beat >= ls->l.n_beats)
        return 0;
    int rc = 0;
    if (!ls->dirty && beat == ls->beat + 1) {
        rc = apply_beat(a, beat, d);
    } else {
        script_reset(a);
        for (int k = 0; k <= beat; k++)
            rc |= apply_beat(a, k, d);
    }
    ls->dirty = 0;
    ls->beat = beat;
    ls->done = 0;
    ls->narr_first = 0;
    rc |= question_setup(a, d);
    // The narration's live numbers, read from the model as it stands now: one that cannot be
    // computed is an error like a live answer.
    int errors = d ? d->errors : 0;
    free(ls->text);
    ls->text = lesson_beat_expand(&ls->l.beats[beat], app_graph(a), d);
    if (d && d->errors > errors)
        rc |= -1;
    facts_check(a, beat, d);
    save_progress(a);
    return rc;
}

// The position (from 0: the letter 'a') choice i of q is shown at.
static int shown_at(const struct app_lesson *ls, const struct lesson_question *q, int i)
{
    for (int k = 0; k < q->n_choices && k < LESSON_MAX_CHOICES; k++)
        if (ls->order[k] == i)
            return k;
    return i;
}

int app_lesson_expected(const struct app *a, char *buf, size_t size)
{
    const struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls ? ls->l.beats[ls->beat].q : NULL;
    buf[0] = 0;
    if (!q)
        return 0;
    if (q->correct >= 0)
        snprintf(buf, size, "%c", 'a' + shown_at(ls, q, q->correct));
    else if (q->live)
        snprintf(buf, size, "%s", ls->live);
    else
        snprintf(buf, size, "%s", q->answers[0]);
    return 1;
}

static void lesson_mode_free(struct app *a)
{
    if (!a->lesson)
        return;
    app_learn_lesson_free(a);
    lesson_free(&a->lesson->l);
    free(a->lesson->text);
    lesson_progress_free(&a->lesson->progress);
    free(a->lesson->answered);
    free(a->lesson);
    a->lesson = NULL;
    a->hooks = NULL;
}

// Goes to beat k and reports a script error in the pane.
static void show_beat(struct app *a, int k)
{
    struct lesson_diags d;
    lesson_diags_init(&d, a->lesson->l.path);
    if (app_lesson_goto(a, k, &d) && d.n) {
        snprintf(a->lesson->feedback, sizeof a->lesson->feedback,
                 "This beat could not run as written (line %d): %s", d.msgs[0].line,
                 d.msgs[0].text);
        a->lesson->feedback_error = 1;
    }
}

static void answer_right(struct app *a, const char *how)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    ls->answered[ls->beat] = 1;
    if (ls->beat == ls->l.n_beats - 1)
        save_progress(a); // the lesson is done
    ls->typing = 0;
    ls->feedback_error = 0;
    snprintf(ls->feedback, sizeof ls->feedback, "%s%s%s  (Space goes on)", how,
             q->explain ? " " : "", q->explain ? q->explain : "");
    ls->feedback[utf8_cut(ls->feedback, strlen(ls->feedback), sizeof ls->feedback - 1)] = '\0';
}

// A wrong answer: what it was, what the lesson says about it (a choice's feedback, or NULL)
// and the hint.
static void answer_wrong(struct app *a, const char *what, const char *about)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    ls->attempts++;
    ls->feedback_error = 1;
    // Typing, the answer line takes every key: a hint that names a key of the screen (h, l,
    // i...) needs Esc first, so the hint says so.
    snprintf(ls->feedback, sizeof ls->feedback, "Not quite: %s is not it.%s%s%s%s%s%s", what,
             about ? " " : "", about ? about : "", q->hint ? " Hint: " : "", q->hint ? q->hint : "",
             q->hint && ls->typing ? "  (Esc first lets the screen's keys work; Enter types "
                                     "again)"
                                   : "",
             ls->attempts >= 2 ? "  (Enter with no answer shows it)" : "");
    ls->feedback[utf8_cut(ls->feedback, strlen(ls->feedback), sizeof ls->feedback - 1)] = '\0';
}

static void reveal(struct app *a)
{
    char want[160];
    app_lesson_expected(a, want, sizeof want);
    char how[200];
    snprintf(how, sizeof how, "The answer: %s.", want);
    answer_right(a, how);
}

static void check_typed(struct app *a)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    const char *typed = a->input.text;
    if (!a->input.len) {
        if (ls->attempts >= 2)
            reveal(a);
        return;
    }
    // The answer as quoted back: its first 120 bytes (between characters), so the hint and
    // the explanation after it always fit.
    int shown = (int)utf8_cut(typed, (size_t)a->input.len, 120);
    const char *more = shown < a->input.len ? "…" : "";
    int need = 0;
    enum lesson_verdict v =
        lesson_answer_check(q, typed, ls->live, ls->live_numeric, ls->live_value, &need);
    if (v == LESSON_RIGHT) {
        char want[160], how[200];
        app_lesson_expected(a, want, sizeof want);
        snprintf(how, sizeof how, "Right: %s.", want);
        answer_right(a, how);
    } else if (v == LESSON_CLOSE) {
        ls->feedback_error = 1;
        snprintf(ls->feedback, sizeof ls->feedback,
                 "Close: give %d decimal%s ('%.*s%s' differs from the answer only in the "
                 "rounding).",
                 need, need == 1 ? "" : "s", shown, typed, more);
        if (need == 0)
            snprintf(ls->feedback, sizeof ls->feedback,
                     "Close: give a whole number ('%.*s%s' differs from the answer only in the "
                     "rounding).",
                     shown, typed, more);
    } else {
        char what[160];
        snprintf(what, sizeof what, "'%.*s%s'", shown, typed, more);
        answer_wrong(a, what, NULL);
    }
    line_edit_clear(&a->input);
}

// Picks choice i (as written); the reply quotes it by the letter it is shown with, with what
// the lesson says about that choice.
static void pick(struct app *a, int i)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    ls->picked = i;
    // The choice as quoted back: its first 120 bytes (between characters, with "…").
    const char *text = q->choices[i];
    size_t len = strlen(text);
    int n = (int)utf8_cut(text, len, 120);
    char what[200];
    snprintf(what, sizeof what, "%c) %.*s%s", 'a' + shown_at(ls, q, i), n, text,
             (size_t)n < len ? "…" : "");
    if (i == q->correct) {
        char how[1024];
        int stop = !strchr(".?!", what[strlen(what) - 1]); // no second full stop
        snprintf(how, sizeof how, "Right: %s%s%s%s", what, stop ? "." : "",
                 q->feedback[i] ? " " : "", q->feedback[i] ? q->feedback[i] : "");
        answer_right(a, how);
    } else {
        answer_wrong(a, what, q->feedback[i]);
    }
}

static int next_beat(struct app *a)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    if (ls->present) {
        if (q && !ls->revealed) {
            ls->revealed = 1;
            char want[160];
            app_lesson_expected(a, want, sizeof want);
            snprintf(ls->feedback, sizeof ls->feedback, "Answer: %s.%s%s", want,
                     q->explain ? " " : "", q->explain ? q->explain : "");
            return APP_REDRAW;
        }
    } else if (q && !ls->answered[ls->beat]) {
        app_say(a, 1, "%s",
                q->correct >= 0 ? "answer the question first: press the letter of your choice"
                                : "answer the question first: type it and press Enter");
        if (q->correct < 0)
            ls->typing = 1;
        return APP_REDRAW;
    }
    if (ls->beat + 1 >= ls->l.n_beats) {
        ls->done = 1;
        int failed = save_progress(a);
        char msg[200], next[64];
        snprintf(msg, sizeof msg, "the end of the lesson%s: q quits, Backspace goes back%s",
                 ls->keep_progress ? " (saved as done)" : "", next_lesson(ls, next, sizeof next));
        say_after_save(a, failed, msg);
        return APP_REDRAW;
    }
    show_beat(a, ls->beat + 1);
    return APP_REDRAW;
}

static int prev_beat(struct app *a)
{
    struct app_lesson *ls = a->lesson;
    if (ls->present && ls->revealed) {
        ls->revealed = 0;
        ls->feedback[0] = 0;
        return APP_REDRAW;
    }
    if (ls->done) {
        ls->done = 0;
        return APP_REDRAW;
    }
    if (ls->beat == 0) {
        app_say(a, 0, "the first beat of the lesson");
        return APP_REDRAW;
    }
    show_beat(a, ls->beat - 1);
    return APP_REDRAW;
}

// Actions that leave the beat as the script set it (anything else, even a change of head,
// makes the next beat replay the script so that it looks as written).
static int keeps_beat(enum sf_action act)
{
    return act == SF_ACTION_PALETTE || act == SF_ACTION_HELP || act == SF_ACTION_QUIT ||
           act == SF_ACTION_CANCEL || act == SF_ACTION_NONE;
}

static int scroll_narration(struct app *a, int dir);

// Typing the answer: the input line takes the keys; Enter checks it, Esc lets the other keys
// work, Backspace on an empty line goes back a beat.
static int answer_key(struct app *a, int key)
{
    struct app_lesson *ls = a->lesson;
    enum sf_edit cmd = (enum sf_edit)keymap_command(KEYMAP_EDIT, key);
    if (cmd == SF_EDIT_CANCEL) {
        ls->typing = 0;
        app_say(a, 0, "the other keys work now; Enter goes back to the answer");
    } else if (cmd == SF_EDIT_ACCEPT) {
        check_typed(a);
    } else if (cmd == SF_EDIT_BACKSPACE && !a->input.len) {
        return prev_beat(a);
    } else if (key == SF_KEY_DOWN || key == SF_KEY_UP) { // ] and [ would be typed
        return scroll_narration(a, key == SF_KEY_DOWN ? 1 : -1);
    } else {
        app_line_key(a, key);
    }
    return APP_REDRAW;
}

// Between questions: a choice's letter (or number) answers, Enter opens the answer line (or,
// after two wrong answers, shows the answer), Space and Backspace move between beats. -1: the
// key is not one of these.
static int beat_key(struct app *a, int key)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    enum sf_beat cmd = (enum sf_beat)keymap_command(KEYMAP_LESSON, key);
    int open = q && !ls->answered[ls->beat];
    if (open && q->correct >= 0) {
        int i = key >= 'a' && key < 'a' + q->n_choices   ? key - 'a'
                : key >= 'A' && key < 'A' + q->n_choices ? key - 'A'
                : key >= '1' && key < '1' + q->n_choices ? key - '1'
                                                         : -1;
        if (i >= 0) {
            pick(a, ls->order[i]);
            return APP_REDRAW;
        }
        if (cmd == SF_BEAT_ANSWER && ls->attempts >= 2) {
            reveal(a);
            return APP_REDRAW;
        }
    }
    if (open && q->correct < 0 && cmd == SF_BEAT_ANSWER) {
        ls->typing = 1;
        return APP_REDRAW;
    }
    if (cmd == SF_BEAT_NEXT)
        return next_beat(a);
    if (cmd == SF_BEAT_BACK)
        return prev_beat(a);
    if (cmd == SF_BEAT_SCROLL_DOWN || cmd == SF_BEAT_SCROLL_UP)
        return scroll_narration(a, cmd == SF_BEAT_SCROLL_DOWN ? 1 : -1);
    return -1;
}

static void lesson_screen(struct app *a, struct screen_state *s);

// ] and [: the narration a page on or back, within what the pane on screen can show.
static int scroll_narration(struct app *a, int dir)
{
    struct app_lesson *ls = a->lesson;
    struct screen_state s;
    memset(&s, 0, sizeof s);
    s.zoom = a->zoom;
    lesson_screen(a, &s);
    screen_layout(&s, a->width, a->height);
    int page, last = panel_narration_last_first(&ls->screen, s.narration, &page);
    int now = ls->narr_first > last ? last : ls->narr_first; // as drawn (after a resize)
    int first = now + dir * page;
    first = first > last ? last : first < 0 ? 0 : first;
    if (first == now)
        app_say(a, 0, "%s", dir > 0 ? "the end of the narration" : "the top of the narration");
    ls->narr_first = first;
    return APP_REDRAW;
}

// A key in lesson mode, before the screen's: presenting, the clicker's keys; typing, the
// answer line; else the beats and the question. The screen's keys come after (Tab goes
// through the beat's panels); any of them but a few makes the next beat replay the script.
static int lesson_key(struct app *a, int key)
{
    struct app_lesson *ls = a->lesson;
    if (a->help || a->mode != APP_MODE_NORMAL) {
        ls->dirty |= a->mode != APP_MODE_NORMAL;
        return -1;
    }
    a->message[0] = 0;
    a->message_error = 0;
    if (ls->present) {
        switch ((enum sf_beat)keymap_command(KEYMAP_PRESENT, key)) {
        case SF_BEAT_NEXT:
            return next_beat(a);
        case SF_BEAT_BACK:
            return prev_beat(a);
        case SF_BEAT_QUIT:
            return APP_QUIT;
        case SF_BEAT_SCROLL_DOWN:
            return scroll_narration(a, 1);
        case SF_BEAT_SCROLL_UP:
            return scroll_narration(a, -1);
        default:
            break;
        }
    } else if (ls->typing) {
        return answer_key(a, key);
    } else {
        int r = beat_key(a, key);
        if (r >= 0)
            return r;
    }
    enum sf_action act = keymap_action(key);
    if (act == SF_ACTION_NEXT_PANEL && ls->n_panels > 0) { // the beat's panels in turn
        ls->dirty = 1;
        int k = 0;
        while (k < ls->n_panels && ls->panels[k] != a->selected)
            k++;
        a->selected = ls->panels[(k + 1) % ls->n_panels];
        if (a->zoom >= 0)
            a->zoom = a->selected;
        return APP_REDRAW;
    }
    if (!keeps_beat(act))
        ls->dirty = 1;
    return -1;
}

static void lesson_screen(struct app *a, struct screen_state *s)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_beat *b = &ls->l.beats[ls->beat];
    struct lesson_screen *sc = &ls->screen;
    memset(sc, 0, sizeof *sc);
    sc->title = ls->l.title;
    snprintf(ls->where, sizeof ls->where, "%s%d/%d%s", ls->done ? "done " : "", ls->beat + 1,
             ls->l.n_beats, ls->save_failed ? " not saved" : "");
    sc->where = ls->where;
    sc->text = ls->text ? ls->text : b->text;
    sc->present = ls->present;
    sc->narr_first = ls->narr_first;
    sc->correct = -1;
    sc->picked = -1;
    sc->input_cursor = -1;
    if (b->q) {
        sc->question = b->q->text;
        for (int i = 0; i < b->q->n_choices && i < 8; i++)
            ls->choices[i] = b->q->choices[ls->order[i]];
        sc->choices = ls->choices;
        sc->n_choices = b->q->n_choices < 8 ? b->q->n_choices : 8;
        sc->picked = ls->picked >= 0 ? shown_at(ls, b->q, ls->picked) : -1;
        if (ls->answered[ls->beat] || ls->revealed)
            sc->correct = shown_at(ls, b->q, b->q->correct);
        if (ls->typing) { // the cursor's cell: "_" at the end
            int at_end = a->input.cursor >= a->input.len;
            snprintf(ls->input_line, sizeof ls->input_line, "> %s%s", a->input.text,
                     at_end ? "_" : "");
            sc->input = ls->input_line;
            sc->input_cursor = 2 + line_edit_cursor_chars(&a->input);
        } else if (b->q->correct < 0 && !ls->answered[ls->beat] && !ls->present) {
            sc->input = "> (Enter to type your answer)";
        }
    }
    sc->feedback = ls->feedback[0] ? ls->feedback : NULL;
    sc->feedback_error = ls->feedback_error;
    // No panels named: the tokens, the equation and the panel of the op that ran last.
    int n = ls->n_panels;
    if (n) {
        memcpy(ls->screen_panels, ls->panels, sizeof(int) * (size_t)n);
    } else {
        enum panel_id p = layout_focus(graph_last(app_graph(a)));
        ls->screen_panels[n++] = PANEL_TOKENS;
        ls->screen_panels[n++] = PANEL_EQUATION;
        if (p != PANEL_TOKENS)
            ls->screen_panels[n++] = p;
    }
    sc->panels = ls->screen_panels;
    sc->n_panels = n;
    sc->focus = ls->focus;
    s->lesson = sc;
    s->view.worked = b->worked;
    if (ls->present)
        s->keys = "Space next  PgUp back  q quit ";
    else if (ls->typing)
        s->keys = "Enter checks  Esc other keys ";
    else
        s->keys = "Space next  Backspace back  ? keys  q quit ";
}

// The key table the help lists for lesson mode.
static int lesson_help(const struct app *a)
{
    return a->lesson->present ? KEYMAP_PRESENT : KEYMAP_LESSON;
}

static const struct app_hooks lesson_hooks = {lesson_key,       lesson_screen, lesson_help,
                                              lesson_mode_free, NULL,          NULL};

int app_lesson_start(struct app *a, struct lesson *l, int present, const char *progress_path,
                     struct lesson_diags *d)
{
    struct app_lesson *ls = calloc(1, sizeof *ls);
    if (!ls || l->n_beats < 1) {
        free(ls);
        lesson_free(l);
        return SF_ERR_NOMEM;
    }
    ls->l = *l;
    memset(l, 0, sizeof *l);
    ls->answered = calloc((size_t)ls->l.n_beats, 1);
    a->lesson = ls;
    a->hooks = &lesson_hooks;
    if (!ls->answered)
        return SF_ERR_NOMEM;
    ls->present = present;
    ls->seed = lesson_choice_seed(ls->l.id, lesson_user_name());
    ls->beat = -1;
    ls->focus = -1;
    snprintf(ls->start_prompt, sizeof ls->start_prompt, "%s", a->prompt);
    int start = 0;
    if (progress_path) {
        lesson_progress_load(&ls->progress, progress_path);
        ls->keep_progress = 1;
        const struct lesson_progress_item *it = lesson_progress_get(&ls->progress, ls->l.id);
        // Where it was left; a lesson done at its last beat starts again from the top, one
        // being taken again resumes (and stays done).
        if (it && it->beat < ls->l.n_beats - (it->done ? 1 : 0))
            start = it->beat;
        ls->was_done = it && it->done;
    }
    for (int k = 0; k < start; k++)
        ls->answered[k] = 1;
    int rc = app_lesson_goto(a, start, d);
    if (start > 0) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "welcome back: beat %d of %d, where you stopped (Backspace goes back)", start + 1,
                 ls->l.n_beats);
        say_after_save(a, ls->save_failed, msg);
    }
    return rc;
}
