// What the application's parts share inside src/app (the actions, the input modes, the
// training view, the logit lens, the screen state and lesson mode); nothing outside src/app
// includes this.
#ifndef STEPFORMER_APP_PRIV_H
#define STEPFORMER_APP_PRIV_H

#include "stepformer/app.h"

// v modulo n, in 0 .. n-1 for a negative v too (cycling through panels, layers, fields).
static inline int app_wrap(int v, int n)
{
    return ((v % n) + n) % n;
}

// app.c: the context, the pass on screen and the moves of its cursor.

// The run speed at the start (one of the speeds + and - choose from, in actions.c).
#define APP_SPEED_START_MS 250

// The status line's message (error 1: in the notice style).
void app_say(struct app *a, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// The graph on screen (the forward pass, or the training iteration).
struct graph *app_graph_on_screen(struct app *a);
// Rebuilds the forward pass for new ids (text: the prompt as typed, or NULL to decode).
int app_build_forward(struct app *a, const int *ids, int n, const char *text, struct sf_diag *d);
// Encodes text (or parses ids_arg) as the new prompt and rebuilds; the message names a
// problem, which why (when not NULL) also gets.
int app_set_input(struct app *a, const char *ids_arg, const char *text, struct sf_diag *why);

// The note on the prompt as typed (a->prompt, read into the forward pass's ids) for a status
// line `width` columns wide: every word read as the unknown token with its position (as many
// as fit, then how many more) and that the input was lower-cased, else its length; *error 1
// when a word is unknown.
void app_input_note(const struct app *a, int width, char *buf, size_t size, int *error);

// How app_move moves the cursor of the graph on screen.
enum app_move {
    APP_MOVE_STEP,  // run the next node (the message names a failure)
    APP_MOVE_BACK,  // back one node: nothing is recomputed
    APP_MOVE_START, // back to the first node
    APP_MOVE_TO,    // to just after node arg: backward at once, forward by running every node
    APP_MOVE_SLICE, // toward a->target, for at most arg milliseconds
    APP_MOVE_NEW,   // nothing moves, but the graph on screen is new (rebuilt, or the other view)
};
// Every move of the cursor, and every change of the graph on screen, ends here: it moves, then
// the view follows the node that ran last (the main panel, the layer, the selection inside the
// input and the inspect cursor inside the matrix), the training view takes its losses and the
// logit lens its rows. Returns what the graph's move returned (1 moved, 0 nowhere to go, <0).
int app_move(struct app *a, enum app_move how, int arg);
// Moves so that node `index` has just run: backward at once, forward in slices (app_tick
// runs them; a->target is the node still to reach, or -1).
int app_move_to(struct app *a, int index);
// After a change of a->head_off or a->no_positions: the pass reruns to where it was.
void app_intervene(struct app *a, const char *what);
// Recomputes the forward pass from node `from` and moves back to node back_to.
void app_rerun_from(struct app *a, int from, int back_to);
// Appends the token sample.draw chose and runs the new pass.
void app_append_drawn(struct app *a);
// Opens the training view (app_train_build), moves to its start and says so, or says why not.
int app_train_enter(struct app *a);

// generate.c: the next token, through the sample.* nodes or a beam-search step.
int app_generate(struct app *a);

// train_view.c: one training iteration on the prompt, on a copy of the model.
// Builds its graph without moving or saying anything: 0, or nonzero with d saying why.
int app_train_build(struct app *a, struct sf_diag *d);
// Back to the forward pass (the graph on screen changes: the caller moves with APP_MOVE_NEW).
void app_train_leave(struct app *a);
void app_train_free(struct app *a);
// After a move: the losses before and after the update, once the ops that give them have run.
void app_train_after_move(struct app *a);

// lens_cache.c: the logit lens rows of the forward pass.
// Sets up the cache for the forward graph's size (after a rebuild or an intervention).
int app_lens_reset(struct app *a);
void app_lens_free(struct app *a);
// 1 when a block has run whose row is not computed yet.
int app_lens_waiting(const struct app *a);
// Computes the row of at most one block that has run (one block of GPT-2 takes tens of
// milliseconds; app_tick asks again while app_lens_waiting), then shows the rows of the blocks
// that have run.
void app_lens_update(struct app *a);

// next_token.c: the distribution sampled from and the pass without the interventions.
// After a move: the sampled distribution follows the logits and the settings; with an
// intervention in force the pass without it starts when the input is new to it.
void app_next_update(struct app *a);
// 1 while the pass without the interventions runs.
int app_next_waiting(const struct app *a);
// Runs that pass for at most budget_ms.
void app_next_tick(struct app *a, int budget_ms);
void app_next_free(struct app *a);

// entry.c: the input modes (goto, the prompt, the sampling box) and the input line.
// Opens an input mode (goto: an empty line; the prompt: the prompt as it is; the sampling box
// leaves the line alone, so a lesson's answer half typed stays).
void app_entry_open(struct app *a, enum app_mode mode);
// A key in an input mode. Returns APP_* flags.
int app_entry_key(struct app *a, int key);
// A key for the input line: a character is typed at the cursor (app_input_add), a command of
// the typing table moves or deletes; returns SF_EDIT_NONE then. ACCEPT, CANCEL and COMPLETE are
// returned for the caller to act on.
enum sf_edit app_line_key(struct app *a, int key);
// Types code point cp at the cursor. Characters only (no control, surrogate or value above
// U+10FFFF), and whole ones: when the line is full it keeps what it has, says the text was
// cut, and returns 0 (else 1).
int app_input_add(struct app *a, int cp);

// heads_view.c: the head view, the model view and the head finder.
// v, V, m and f: opens the view (f: the finder's input line).
int app_heads_action(struct app *a, enum sf_action act);
// A key while one of the three is selected: APP_* flags, or -1 for a key they leave alone.
int app_heads_key(struct app *a, int key);
// A key on the finder's input line.
int app_find_key(struct app *a, int key);

// A lesson's @learn directive: start a run (the model on screen gets its random weights), train
// it to a step (the weights on screen are the run's then), or the lesson's own model again.
// Always on the reference kernels, so the numbers are the same on every machine; going back
// replays without training again (the weights at each step run to are kept). Errors go to d at
// the directive. Returns 0 or -1.
int app_learn_lesson(struct app *a, const struct lesson_action *act, struct lesson_diags *d);
void app_learn_lesson_free(struct app *a);
// The record the learn-* live expressions read (up to the step on screen).
const struct lesson_learn_log *app_learn_lesson_log(const struct app *a);

// app_screen.c: the screen state.
// The help's lines, from the key tables (once, at the start).
void app_help_init(struct app *a);
// The panel in the main place: the selected one, or for a fixed panel (tokens, timeline,
// equation) the one that belongs to the op that ran last.
enum panel_id app_main_panel(const struct app *a);

// shot.c: the screen as it is drawn now, at a->width x a->height, into g (made here; the
// caller frees it), after every long move and slice of work is done when settled (else as the
// terminal shows it), with a title naming the op, the view and the prompt. 0 or SF_ERR_*.
int app_shot(struct app *a, struct grid *g, int settled, char *title, size_t size);
// Ticks the app until every long move and slice of work is done.
void app_settle(struct app *a);

// cmd_lesson.c: opens the lesson file at path on its model (progress_path NULL:
// no progress kept; restart: from the first beat; impl: the kernels). Messages go to err;
// returns 0 or the exit status.
int app_lesson_open_path(struct app *a, const char *path, int present, const char *progress_path,
                         int restart, enum op_impl impl, FILE *err);

// The inspect cursor inside a rows x cols matrix: a token row the matrix lacks is kept in
// token_row (and given back when a matrix has it again, or on leaving).
void app_inspect_fit(struct app *a, int rows, int cols);
// Inspect off; the token row kept while inspecting comes back.
void app_inspect_leave(struct app *a);

#endif
