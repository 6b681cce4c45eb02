// The learn view: a fresh model learns on the textbook corpus inside the screen. Its training
// steps run between frames (app_tick, a slice of about 30 ms at a time) so the screen never
// blocks; the loss curve grows every step, the attention and next-token panels on the probe
// sentence are recomputed every few steps. Paused, the step-through screen (and the training
// view) open on the weights as they are, and W comes back.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stepformer/checkpoint.h"
#include "stepformer/clock.h"
#include "stepformer/datadir.h"
#include "stepformer/learn.h"
#include "stepformer/panel_loss_curve.h"
#include "stepformer/text.h"
#include "app_priv.h"

// The probe: J&M's agreement example. Its position 4 (the attractor, "cabinet") predicts the
// verb; its attention onto position 1 (the subject, "keys") is what an agreement head does. A
// sentence of the user's own is probed at the position that predicts its last word.
static const char probe_text[] = "the keys to the cabinet are";
#define PROBE_SUBJECT     1
#define PROBE_EVERY       10 // steps between recomputing the probe while training runs
#define SLICE_MS          30 // training per frame, at most (one step always runs)
#define DEFAULT_SAVE      "learned.sfm"
#define FAIL(d, act, ...) (lesson_diag_add((d), 1, (act)->line, (act)->col, __VA_ARGS__), -1)

struct app_learn {
    struct learn run;
    struct graph probe; // the probe sentence on the model in training
    int *probe_ids, probe_n;
    int probe_row;  // the position whose next-token distribution and attention row are shown
    int probe_key;  // the position an agreement head attends to, or -1: the one most attended
    int probe_step; // the step the probe was run at, or -1
    int running;
    int stepping;  // 1: the step-through screen is open on the weights (W comes back)
    int auto_head; // 1: the head shown follows the attention from the attractor to the subject
    double speed_start_ms;
    int speed_start_step;
    double steps_per_s; // while running, since it was last resumed
    char save_path[512];
    char status[256];
    struct learn_screen screen;
};

const struct learn *app_learn_run(const struct app *a)
{
    return a->learn ? &a->learn->run : NULL;
}

// The head of the model in training that attends most from the probe's row onto its key
// position (with no key position: onto any one earlier word but the first, which many heads
// use as a resting place).
static void choose_head(struct app *a)
{
    struct app_learn *L = a->learn;
    int H = L->run.model.cfg.n_head, N = L->probe.n_tokens, row = L->probe_row;
    int bl = -1, bh = 0, bk = 0;
    float best = -1;
    int k0 = L->probe_key >= 0 ? L->probe_key : (row >= 2 ? 1 : 0);
    int k1 = L->probe_key >= 0 ? L->probe_key : (row >= 2 ? row - 1 : row);
    for (int l = 0; l < L->run.model.cfg.n_layer; l++) {
        int k = graph_find_role(&L->probe, l, ROLE_ATTN_SOFTMAX);
        if (k < 0 || !graph_node_done(&L->probe, k))
            continue;
        const float *p = L->probe.nodes[k].out.data; // (H, N, N)
        for (int h = 0; h < H; h++)
            for (int j = k0; j <= k1; j++) {
                float w = p[((size_t)h * N + row) * N + j];
                if (w > best)
                    best = w, bl = l, bh = h, bk = j;
            }
    }
    if (bl >= 0)
        a->view.layer = bl, a->view.head = bh, a->view.col = bk;
}

// Runs the probe on the weights as they are now.
static void probe_refresh(struct app *a)
{
    struct app_learn *L = a->learn;
    graph_invalidate(&L->probe, 0);
    if (graph_run_to_end(&L->probe) < 0) {
        app_say(a, 1, "the probe sentence could not be run");
        return;
    }
    L->probe_step = L->run.step;
    if (L->auto_head)
        choose_head(a);
}

static void learn_free_hook(struct app *a)
{
    struct app_learn *L = a->learn;
    if (!L)
        return;
    graph_free(&L->probe);
    learn_free(&L->run);
    free(L->probe_ids);
    free(L);
    a->learn = NULL;
    a->hooks = NULL;
}

// Steps for at most budget_ms (one at least); the probe follows every PROBE_EVERY steps, and
// at once when the run stops.
static int learn_tick(struct app *a, int budget_ms)
{
    struct app_learn *L = a->learn;
    struct sf_diag d;
    char msg[SF_MSG_MAX];
    double start = sf_now_ms();
    int rc;
    sf_diag_clear(&d);
    do
        rc = learn_step(&L->run, &d);
    while (rc > 0 && sf_now_ms() - start < budget_ms);
    double now = sf_now_ms();
    if (now > L->speed_start_ms)
        L->steps_per_s = (L->run.step - L->speed_start_step) * 1000.0 / (now - L->speed_start_ms);
    if (rc < 0) {
        L->running = 0;
        app_say(a, 1, "training stopped: %s", sf_diag_format(&d, msg, sizeof msg));
    } else if (rc == 0) {
        L->running = 0;
        app_say(a, 0, "the run is done: %d steps; S saves the model, Enter opens it", L->run.step);
    }
    if (!L->running || L->run.step - L->probe_step >= PROBE_EVERY)
        probe_refresh(a);
    return APP_REDRAW;
}

// Runs a slice of training steps (at most budget_ms, and about 30 ms) while the learn view
// trains; APP_REDRAW, or 0 when it does not.
static int learn_tick_hook(struct app *a, int budget_ms)
{
    if (!a->learn || !a->learn->running || a->learn->stepping)
        return 0;
    return learn_tick(a, budget_ms < SLICE_MS ? budget_ms : SLICE_MS);
}

// 1 while the learn view trains.
static int learn_busy_hook(const struct app *a)
{
    return a->learn && a->learn->running && !a->learn->stepping;
}

static void set_running(struct app *a, int on)
{
    struct app_learn *L = a->learn;
    L->running = on && L->run.step < L->run.o.steps;
    L->speed_start_ms = sf_now_ms();
    L->speed_start_step = L->run.step;
    L->steps_per_s = 0;
    if (!L->running && L->probe_step != L->run.step)
        probe_refresh(a);
}

// Enter and t: the step-through screen, or the training view, on the weights as they are.
static int open_screen(struct app *a, int train)
{
    struct app_learn *L = a->learn;
    struct sf_diag d;
    char prompt[APP_PROMPT_MAX];
    if (L->running) {
        app_say(a, 0,
                "pause first (Space): the step-through screen opens on weights that hold "
                "still");
        return APP_REDRAW;
    }
    if (model_copy_params(&a->model, &L->run.model)) {
        app_say(a, 1, "out of memory for the weights");
        return APP_REDRAW;
    }
    snprintf(prompt, sizeof prompt, "%s", a->prompt);
    sf_diag_clear(&d);
    if (app_set_input(a, NULL, prompt, &d))
        return APP_REDRAW;
    L->stepping = 1;
    a->zoom = -1;
    if (train && app_train_enter(a))
        return APP_REDRAW;
    app_say(a, 0, "%s on the weights after step %d; W: back to the learn view",
            train ? "one training iteration" : "the step-through screen", L->run.step);
    return APP_REDRAW;
}

static int save_model(struct app *a)
{
    struct app_learn *L = a->learn;
    struct sf_diag d;
    char msg[SF_MSG_MAX];
    sf_diag_clear(&d);
    if (checkpoint_save(&L->run.model, L->save_path, &d))
        app_say(a, 1, "not saved: %s", sf_diag_format(&d, msg, sizeof msg));
    else
        app_say(a, 0, "saved the model after step %d to %s", L->run.step, L->save_path);
    return APP_REDRAW;
}

static int pick_head(struct app *a, enum sf_learn c)
{
    struct app_learn *L = a->learn;
    int H = a->model.cfg.n_head, nl = a->model.cfg.n_layer;
    if (c == SF_LEARN_AUTO_HEAD) {
        char from[32], to[32];
        L->auto_head = 1;
        choose_head(a);
        tokenizer_piece_str(&a->model.tok, L->probe_ids[L->probe_row], from, sizeof from);
        tokenizer_piece_str(&a->model.tok, L->probe_ids[a->view.col], to, sizeof to);
        app_say(a, 0, "the head that attends most from '%s' to '%s': L%d h%d, as it changes", from,
                to, a->view.layer, a->view.head);
        return APP_REDRAW;
    }
    L->auto_head = 0;
    if (c == SF_LEARN_LAYER_NEXT || c == SF_LEARN_LAYER_PREV)
        a->view.layer = app_wrap(a->view.layer + (c == SF_LEARN_LAYER_NEXT ? 1 : -1), nl);
    else
        a->view.head = app_wrap(a->view.head + 1 + (c == SF_LEARN_HEAD_NEXT ? 1 : -1), H + 1) - 1;
    if (a->view.head < 0)
        app_say(a, 0, "all %d heads of layer %d (a: the head chosen by its attention)", H,
                a->view.layer);
    else
        app_say(a, 0, "layer %d head %d (a: the head chosen by its attention)", a->view.layer,
                a->view.head);
    return APP_REDRAW;
}

static int learn_command(struct app *a, enum sf_learn c)
{
    struct app_learn *L = a->learn;
    switch (c) {
    case SF_LEARN_RUN_PAUSE:
        set_running(a, !L->running);
        app_say(a, 0,
                L->running ? "training"
                           : "paused at step %d: . steps, Enter opens the "
                             "step-through screen on these weights",
                L->run.step);
        return APP_REDRAW;
    case SF_LEARN_STEP: {
        int before = L->run.step;
        set_running(a, 0);
        learn_tick(a, 0);
        if (L->run.step > before && L->run.step < L->run.o.steps)
            app_say(a, 0, "step %d: loss %.3f", L->run.step, (double)L->run.loss[before]);
        return APP_REDRAW;
    }
    case SF_LEARN_OPEN:
    case SF_LEARN_TRAIN_VIEW:
        return open_screen(a, c == SF_LEARN_TRAIN_VIEW);
    case SF_LEARN_NUMBERS:
        a->view.numbers = !a->view.numbers;
        return APP_REDRAW;
    case SF_LEARN_SAVE:
        return save_model(a);
    case SF_LEARN_BACK:
        app_say(a, 0, "the learn view is on screen already");
        return APP_REDRAW;
    default:
        return pick_head(a, c);
    }
}

static int learn_key(struct app *a, int key)
{
    struct app_learn *L = a->learn;
    if (a->help || a->mode != APP_MODE_NORMAL)
        return -1;
    enum sf_learn c = (enum sf_learn)keymap_command(KEYMAP_LEARN, key);
    if (L->stepping) { // the step-through screen: its own keys, and W back
        if (c != SF_LEARN_BACK)
            return -1;
        app_train_leave(a);
        app_move(a, APP_MOVE_NEW, 0);
        L->stepping = 0;
        a->running = 0;
        a->target = -1;
        app_say(a, 0, "the learn view: Space trains on from step %d", L->run.step);
        return APP_REDRAW;
    }
    if (c != SF_LEARN_NONE)
        return learn_command(a, c);
    enum sf_action act = keymap_action(key);
    if (act == SF_ACTION_HELP || act == SF_ACTION_QUIT)
        return -1;
    if (key != SF_KEY_ESCAPE)
        app_say(a, 0, "not a key of the learn view: ? lists them");
    return APP_REDRAW;
}

// The status line of the learn view when no message is up.
static void learn_status(struct app *a)
{
    struct app_learn *L = a->learn;
    const struct learn_options *o = &L->run.o;
    char speed[48] = "";
    if (L->running && L->steps_per_s > 0)
        text_format(speed, sizeof speed, "%.0f steps/s, ", L->steps_per_s);
    text_format(L->status, sizeof L->status,
                " %s: %sbatch %d × %d, lr %g, seed %llu; attention and next token at step %d",
                L->running ? "training" : "paused", speed, o->B, o->T, (double)o->lr,
                (unsigned long long)o->seed, L->probe_step);
}

static void learn_screen_hook(struct app *a, struct screen_state *s)
{
    struct app_learn *L = a->learn;
    if (L->stepping) {
        s->keys = "W learn view  ? help ";
        return;
    }
    struct learn_screen *ls = &L->screen;
    ls->loss = L->run.loss;
    ls->n = L->run.step;
    ls->steps = L->run.o.steps;
    ls->evals = L->run.evals;
    ls->n_evals = L->run.n_evals;
    ls->probe_step = L->probe_step;
    ls->auto_head = L->auto_head;
    s->learn = ls;
    s->view = a->view;
    s->view.graph = &L->probe;
    s->view.row = L->probe_row;
    s->view.inspect = 1; // the attractor's weight on the subject, marked and kept in view
    s->view.col = L->probe_key >= 0 ? L->probe_key : a->view.col;
    s->view.product = 0;
    s->view.sampler = NULL;
    s->view.lens = NULL;
    s->view.next = NULL;
    s->view.beams = NULL;
    s->selected = -1;
    s->zoom = -1;
    s->present = 0;
    learn_status(a);
    s->status = L->status;
    s->keys = L->running ? "Space pauses  ? help " : "Space trains  . step  Enter open  ? help ";
}

static int learn_help(const struct app *a)
{
    (void)a;
    return KEYMAP_LEARN;
}

static const struct app_hooks learn_hooks = {learn_key,       learn_screen_hook, learn_help,
                                             learn_free_hook, learn_busy_hook,   learn_tick_hook};

// The probe sentence encoded (at least two tokens, at most the context) and its graph.
static int probe_init(struct app *a, struct app_learn *L, const char *sentence, struct sf_diag *d)
{
    int n_ctx = a->model.cfg.n_ctx;
    L->probe_ids = malloc(sizeof *L->probe_ids * (size_t)(n_ctx + 1));
    if (!L->probe_ids)
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    int rc = tokenizer_encode(&a->model.tok, sentence ? sentence : probe_text, L->probe_ids, n_ctx,
                              &L->probe_n, d);
    if (!rc && L->probe_n < 2)
        rc = sf_diag_set(d, SF_ERR_ARG, "--prompt", 0, 0,
                         "the learn view's sentence needs at least two tokens");
    if (rc)
        return rc;
    L->probe_row = L->probe_n - 2; // the position that predicts the last word
    L->probe_key = sentence ? -1 : PROBE_SUBJECT;
    return graph_build(&L->probe, &L->run.model, L->probe_ids, L->probe_n, L->run.o.impl, d);
}

int app_learn_start(struct app *a, const struct learn_options *o, const char *sentence,
                    const char *save_path, struct sf_diag *d)
{
    if (a->hooks)
        return sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0, "the learn view cannot open in a lesson");
    struct app_learn *L = calloc(1, sizeof *L);
    if (!L)
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    int rc = learn_init(&L->run, &a->model, o, d);
    if (!rc)
        rc = probe_init(a, L, sentence, d);
    if (rc) {
        graph_free(&L->probe);
        learn_free(&L->run);
        free(L->probe_ids);
        free(L);
        return rc;
    }
    snprintf(L->save_path, sizeof L->save_path, "%s", save_path ? save_path : DEFAULT_SAVE);
    a->learn = L;
    a->hooks = &learn_hooks;
    L->auto_head = 1;
    L->probe_step = -1;
    probe_refresh(a);
    set_running(a, 1);
    a->message[0] = '\0'; // the status line shows the run
    return 0;
}

// A lesson's run (@learn): the run, the lesson's own weights, the weights at every step the
// script ran to (so going back replays without training), and the record the narration reads.
#define SCRIPT_SNAPS      32
#define SCRIPT_EVAL_EVERY 25  // the held-out loss and the agreement items every this many steps
#define SCRIPT_ITEMS      100 // held-out agreement items scored

#define SCRIPT_FILES 16 // model files of '@learn weights' kept

// The weights of a model file ('@learn weights NAME').
struct script_file {
    char *name;
    struct model m;
    float agree; // the share of the items it gets right (< 0: not scored yet)
};

struct app_learn_script {
    struct learn run;
    struct model original; // the lesson's model's weights
    float original_agree;  // the share of the items they get right (< 0: not scored yet)
    struct model snap[SCRIPT_SNAPS];
    int snap_step[SCRIPT_SNAPS], n_snaps;
    float snap_agree[SCRIPT_SNAPS];
    struct script_file file[SCRIPT_FILES];
    int n_files;
    int at; // the step whose weights are on screen (-1: the lesson's own)
    int *eval_step;
    float *heldout, *agreement;
    struct lesson_learn_log log;
};

static void script_free(struct app_learn_script *S)
{
    learn_free(&S->run);
    S->original.tok = (struct tokenizer){0};
    model_free(&S->original);
    for (int i = 0; i < S->n_snaps; i++) {
        S->snap[i].tok = (struct tokenizer){0};
        model_free(&S->snap[i]);
    }
    for (int i = 0; i < S->n_files; i++) {
        free(S->file[i].name);
        model_free(&S->file[i].m);
    }
    free(S->eval_step);
    free(S->heldout);
    free(S->agreement);
    free(S);
}

// The last lesson run, kept when its lesson closes: the same lesson opened again in the same
// process (checking a lesson, a test at several sizes) takes it instead of training again.
static struct app_learn_script *kept_run;

void app_learn_lesson_free(struct app *a)
{
    if (a->lesson && a->lesson->learn) {
        if (kept_run)
            script_free(kept_run);
        kept_run = a->lesson->learn;
        a->lesson->learn = NULL;
    }
}

// The kept run when it has these settings and started from this model's weights and
// configuration; NULL otherwise.
static struct app_learn_script *take_kept(const struct model *m, const struct learn_options *o)
{
    struct app_learn_script *S = kept_run;
    if (!S || S->run.o.seed != o->seed || S->run.o.steps != o->steps || S->run.o.B != o->B ||
        S->run.o.T != o->T || memcmp(&S->original.cfg, &m->cfg, sizeof m->cfg) != 0 ||
        !model_params_equal(&S->original, m))
        return NULL;
    kept_run = NULL;
    return S;
}

const struct lesson_learn_log *app_learn_lesson_log(const struct app *a)
{
    return a->lesson && a->lesson->learn ? &a->lesson->learn->log : NULL;
}

// The record up to the step on screen.
static void script_log(struct app_learn_script *S)
{
    const struct learn *L = &S->run;
    int at = S->at < 0 ? L->step : S->at, n = 0;
    for (int i = 0; i < L->n_evals && L->evals[i].step <= at; i++, n++) {
        S->eval_step[i] = L->evals[i].step;
        S->heldout[i] = L->evals[i].heldout;
        S->agreement[i] = L->evals[i].total ? (float)L->evals[i].right / L->evals[i].total : 0;
    }
    float shown = S->log.shown_agreement;
    S->log =
        (struct lesson_learn_log){L->loss, at, S->eval_step, S->heldout, S->agreement, n, shown};
}

// Keeps a copy of the run's weights at its step (when there is room; else it is trained again).
static void script_snap(struct app_learn_script *S)
{
    if (S->n_snaps == SCRIPT_SNAPS)
        return;
    struct model *m = &S->snap[S->n_snaps];
    if (model_init(m, &S->run.model.cfg, NULL) || model_copy_params(m, &S->run.model)) {
        model_free(m);
        return;
    }
    S->snap_agree[S->n_snaps] = -1;
    S->snap_step[S->n_snaps++] = S->run.step;
}

// The share of the run's held-out agreement items (learn-agreement's) that m gets right: the
// right verb more probable than the wrong one, each scored by item_logprob as `stepformer eval`
// scores it, on the reference kernels.
static float script_agreement(struct app_learn_script *S, struct model *m)
{
    struct graph g = {0};
    int right = 0, total = 0, n;
    for (int i = 0; i < S->run.n_items; i++) {
        const struct learn_item *it = &S->run.items[i];
        double lw = item_logprob(m, &g, S->run.item_ids, it->prefix, it->wrong, OP_IMPL_REF, &n);
        double lr = item_logprob(m, &g, S->run.item_ids, it->prefix, it->right, OP_IMPL_REF, &n);
        if (isnan(lw) || isnan(lr))
            continue;
        total++;
        right += lr > lw;
    }
    graph_free(&g);
    return total ? (float)right / (float)total : 0;
}

// The weights src on screen: the pass on the prompt starts again. *agree is their share of the
// agreement items right (scored now when it is < 0), which {{agreement}} reads.
static int script_show(struct app *a, const struct model *src, float *agree)
{
    struct app_learn_script *S = a->lesson->learn;
    char prompt[APP_PROMPT_MAX];
    if (model_copy_params(&a->model, src))
        return -1;
    if (*agree < 0)
        *agree = script_agreement(S, &a->model);
    S->log.shown_agreement = *agree;
    snprintf(prompt, sizeof prompt, "%s", a->prompt);
    int rc = app_set_input(a, NULL, prompt, NULL);
    a->message[0] = '\0';
    return rc ? -1 : 0;
}

// The narration's learn-* numbers read S's record.
static void link_lives(struct app_lesson *ls, struct app_learn_script *S)
{
    for (int b = 0; b < ls->l.n_beats; b++)
        for (int i = 0; i < ls->l.beats[b].n_lives; i++)
            ls->l.beats[b].lives[i].learn = &S->log;
}

// S back at its start: step 0's weights on screen.
static int script_rewind(struct app *a, struct app_learn_script *S)
{
    S->at = 0;
    script_log(S);
    link_lives(a->lesson, S);
    return script_show(a, &S->snap[0], &S->snap_agree[0]);
}

// '@learn start': a new run, or the one already made with the same settings (a replay, or the
// run kept from the same lesson opened before).
static int script_start(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    struct app_lesson *ls = a->lesson;
    struct app_learn_script *S = ls->learn;
    struct learn_options o = SF_LEARN_DEFAULTS;
    struct sf_diag e;
    o.seed = act->seed, o.steps = act->steps, o.B = act->batch, o.T = act->seq;
    o.eval_every = SCRIPT_EVAL_EVERY, o.agree_items = SCRIPT_ITEMS, o.impl = OP_IMPL_REF;
    if (S && S->run.o.seed == o.seed && S->run.o.steps == o.steps && S->run.o.B == o.B &&
        S->run.o.T == o.T)
        return script_rewind(a, S) ? FAIL(d, act, "@learn start: out of memory") : 0;
    struct app_learn_script *kept = take_kept(&a->model, &o);
    app_learn_lesson_free(a);
    if (kept) {
        ls->learn = kept;
        return script_rewind(a, kept) ? FAIL(d, act, "@learn start: out of memory") : 0;
    }
    S = ls->learn = calloc(1, sizeof *S);
    if (!S)
        return FAIL(d, act, "@learn start: out of memory");
    S->log.shown_agreement = -1; // nothing on screen scored yet
    sf_diag_clear(&e);
    int rc = model_init(&S->original, &a->model.cfg, &e);
    if (!rc)
        rc = model_copy_params(&S->original, &a->model);
    S->original_agree = -1;
    if (!rc)
        rc = learn_init(&S->run, &a->model, &o, &e);
    size_t n = (size_t)S->run.max_evals;
    S->eval_step = calloc(n + 1, sizeof *S->eval_step);
    S->heldout = calloc(n + 1, sizeof *S->heldout);
    S->agreement = calloc(n + 1, sizeof *S->agreement);
    if (rc || !S->eval_step || !S->heldout || !S->agreement) {
        app_learn_lesson_free(a);
        return FAIL(d, act, "@learn start: %s", e.msg[0] ? e.msg : "out of memory");
    }
    float unkept = -1;
    script_snap(S);
    S->at = 0;
    script_log(S);
    link_lives(ls, S);
    return script_show(a, &S->run.model, S->n_snaps ? &S->snap_agree[0] : &unkept)
               ? FAIL(d, act, "@learn start: out of memory")
               : 0;
}

// '@learn run-to N': the weights kept for step N, else the run trained on (or again) to N.
static int script_run_to(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    struct app_learn_script *S = a->lesson->learn;
    int want = act->steps;
    struct sf_diag e;
    if (!S)
        return FAIL(d, act, "@learn run-to: no run: '@learn start' comes first");
    for (int i = 0; i < S->n_snaps; i++)
        if (S->snap_step[i] == want) {
            S->at = want;
            script_log(S);
            return script_show(a, &S->snap[i], &S->snap_agree[i])
                       ? FAIL(d, act, "@learn run-to: out of memory")
                       : 0;
        }
    if (S->run.step > want) { // past it, without its weights: from the start again
        struct lesson_action start = *act;
        start.n = LESSON_LEARN_START;
        start.seed = S->run.o.seed, start.steps = S->run.o.steps;
        start.batch = S->run.o.B, start.seq = S->run.o.T;
        app_learn_lesson_free(a);
        if (script_start(a, &start, d))
            return -1;
        S = a->lesson->learn;
    }
    sf_diag_clear(&e);
    while (S->run.step < want) {
        int rc = learn_step(&S->run, &e);
        if (rc <= 0)
            return FAIL(d, act, "@learn run-to %d: %s", want,
                        rc ? e.msg : "the run has fewer steps");
    }
    float unkept = -1, *agree = &unkept;
    script_snap(S);
    if (S->n_snaps > 0 && S->snap_step[S->n_snaps - 1] == want)
        agree = &S->snap_agree[S->n_snaps - 1];
    S->at = want;
    script_log(S);
    return script_show(a, &S->run.model, agree) ? FAIL(d, act, "@learn run-to: out of memory") : 0;
}

// The first way two configurations differ, into why; 0 when they are the same.
static int config_differs(const struct model_config *f, const struct model_config *m, char *why,
                          size_t wn)
{
    const struct {
        const char *name;
        int file, lesson;
    } v[] = {{"layers", f->n_layer, m->n_layer},
             {"heads", f->n_head, m->n_head},
             {"d_model", f->d_model, m->d_model},
             {"d_ff", f->d_ff, m->d_ff},
             {"vocabulary", f->vocab_size, m->vocab_size},
             {"context", f->n_ctx, m->n_ctx},
             {"norm", (int)f->norm, (int)m->norm},
             {"final norm", f->final_norm, m->final_norm},
             {"positions", (int)f->pos, (int)m->pos},
             {"activation", (int)f->act, (int)m->act},
             {"bias", f->bias, m->bias},
             {"tied", f->tied, m->tied}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i].file != v[i].lesson) {
            snprintf(why, wn, "%s %d, the lesson's model %d", v[i].name, v[i].file, v[i].lesson);
            return 1;
        }
    if (f->ln_eps != m->ln_eps) {
        snprintf(why, wn, "LayerNorm epsilon %g, the lesson's model %g", (double)f->ln_eps,
                 (double)m->ln_eps);
        return 1;
    }
    return 0;
}

// The first way two tokenizers differ, into why; 0 when they are the same.
static int vocab_differs(const struct tokenizer *f, const struct tokenizer *m, char *why, size_t wn)
{
    if (f->kind != m->kind || f->n != m->n) {
        snprintf(why, wn, "another kind of vocabulary or %d pieces, the lesson's model %d", f->n,
                 m->n);
        return 1;
    }
    for (int i = 0; i < f->n; i++)
        if (f->lens[i] != m->lens[i] || memcmp(f->pieces[i], m->pieces[i], (size_t)f->lens[i])) {
            snprintf(why, wn, "token %d is '%.20s', the lesson's model's '%.20s'", i, f->pieces[i],
                     m->pieces[i]);
            return 1;
        }
    return 0;
}

// The model file NAME.sfm of the models directory, loaded and checked against the lesson's
// model (kept in S, so going back does not read it again); NULL after a message in d.
static struct script_file *script_file(struct app *a, struct app_learn_script *S,
                                       const struct lesson_action *act, struct lesson_diags *d)
{
    for (int i = 0; i < S->n_files; i++)
        if (strcmp(S->file[i].name, act->text) == 0)
            return &S->file[i];
    char dir[LESSON_DIR_MAX], path[LESSON_DIR_MAX + 256], why[LESSON_DIR_MAX + 256];
    struct sf_diag e;
    if (S->n_files == SCRIPT_FILES) {
        (void)FAIL(d, act, "@learn weights: a lesson takes at most %d model files", SCRIPT_FILES);
        return NULL;
    }
    if (datadir_find(DATADIR_MODELS, NULL, dir, sizeof dir, why, sizeof why)) {
        (void)FAIL(d, act, "@learn weights %s: %s", act->text, why);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%s.sfm", dir, act->text);
    struct script_file *f = &S->file[S->n_files];
    *f = (struct script_file){.agree = -1};
    sf_diag_clear(&e);
    if (access(path, F_OK) != 0) {
        (void)FAIL(d, act, "@learn weights %s: there is no model file %s", act->text, path);
        return NULL;
    }
    if (checkpoint_load(&f->m, path, &e)) {
        (void)FAIL(d, act, "@learn weights %s: %s", act->text, e.msg);
        return NULL;
    }
    if (config_differs(&f->m.cfg, &a->model.cfg, why, sizeof why) ||
        vocab_differs(&f->m.tok, &a->model.tok, why, sizeof why)) {
        (void)FAIL(d, act,
                   "@learn weights %s: %s is not of the lesson's model's configuration and "
                   "vocabulary: %s",
                   act->text, path, why);
        model_free(&f->m);
        return NULL;
    }
    f->name = strdup(act->text);
    if (!f->name) {
        model_free(&f->m);
        (void)FAIL(d, act, "@learn weights: out of memory");
        return NULL;
    }
    S->n_files++;
    return f;
}

int app_learn_lesson(struct app *a, const struct lesson_action *act, struct lesson_diags *d)
{
    struct app_learn_script *S = a->lesson->learn;
    switch ((enum lesson_learn)act->n) {
    case LESSON_LEARN_START:
        return script_start(a, act, d);
    case LESSON_LEARN_RUN_TO:
        return script_run_to(a, act, d);
    case LESSON_LEARN_OFF:
        if (!S)
            return FAIL(d, act, "@learn off: no run: '@learn start' comes first");
        return script_show(a, &S->original, &S->original_agree)
                   ? FAIL(d, act, "@learn off: out of memory")
                   : 0;
    case LESSON_LEARN_WEIGHTS: {
        if (!S)
            return FAIL(d, act, "@learn weights: no run: '@learn start' comes first");
        struct script_file *f = act->text ? script_file(a, S, act, d) : NULL;
        if (!f)
            return act->text ? -1 : FAIL(d, act, "@learn weights: out of memory");
        return script_show(a, &f->m, &f->agree) ? FAIL(d, act, "@learn weights: out of memory") : 0;
    }
    }
    return 0;
}
