// The application: one context holding the model, the prompt, the graphs, the selection and the
// modes, driven by keys and actions alone (the terminal backend only feeds keys and presents
// the screen), so its logic is tested by feeding it actions.
#ifndef STEPFORMER_APP_H
#define STEPFORMER_APP_H

#include <stdio.h>

#include "stepformer/beam.h"
#include "stepformer/keymap.h"
#include "stepformer/lesson.h"
#include "stepformer/line_edit.h"
#include "stepformer/palette.h"
#include "stepformer/screen.h"

#define APP_PROMPT_MAX LINE_EDIT_SIZE
#define APP_LINE_MAX   512
// The help's lines: one per command of every key table.
#define APP_HELP_LINES                                                                             \
    (SF_ACTION_COUNT + SF_EDIT_COUNT + SF_CELL_COUNT + SF_BOX_COUNT + 2 * SF_BEAT_COUNT +          \
     SF_PICK_COUNT + SF_LEARN_COUNT)

// What app_key and app_action ask of the caller.
enum { APP_REDRAW = 1, APP_QUIT = 2 };

enum app_mode {
    APP_MODE_NORMAL = 0,
    APP_MODE_GOTO,     // typing an op name (Tab completes)
    APP_MODE_PROMPT,   // editing the prompt
    APP_MODE_SAMPLING, // the sampling settings box
    APP_MODE_FIND,     // the head finder's query and key
};

// The sampling box's settings, in the order it lists them (struct app's sampling_field).
enum app_field {
    APP_FIELD_DECODING,
    APP_FIELD_TEMPERATURE,
    APP_FIELD_TOP_K,
    APP_FIELD_TOP_P,
    APP_FIELD_SEED,
    APP_FIELD_BEAM,
    APP_FIELD_COUNT
};

struct app;

// A mode that plugs into the app (lesson mode): the app calls these hooks and names nothing
// else of it; the mode uses the app's own functions. Set with the mode's start, undone by
// app_free.
struct app_hooks {
    // A key before the screen's own: APP_* flags, or -1 to leave the key to them.
    int (*key)(struct app *a, int key);
    // Its part of the screen state (its pane, its panels, its keys), in its own buffers.
    void (*screen)(struct app *a, struct screen_state *s);
    // The key table the help lists first, before the screen's (enum keymap_context), or -1.
    int (*help)(const struct app *a);
    void (*free)(struct app *a);
    // Work of its own between frames (the learn view trains): 1 while it has some, and a slice
    // of it in at most budget_ms (APP_* flags). NULL: none.
    int (*busy)(const struct app *a);
    int (*tick)(struct app *a, int budget_ms);
};

// What app_screen writes, and nothing else (a mode plugged in writes its own buffers): the text
// the screen state points into, and the layout of the last frame, which clicks read.
struct app_frame {
    char status[APP_PROMPT_MAX + APP_LINE_MAX + 128];
    char sampling_text[APP_FIELD_COUNT][160];
    const char *sampling_ptr[APP_FIELD_COUNT];
    struct overlay_section more[KEYMAP_CONTEXT_COUNT]; // the help's sections on screen
    int built;                                         // 1 once a screen state was built
    struct layout layout;
};

// The help: a line per bound command of each key table, written once by app_init.
struct app_help {
    char text[APP_HELP_LINES][96];
    const char *lines[APP_HELP_LINES];
    struct overlay_section section[KEYMAP_CONTEXT_COUNT];
};

struct app_options {
    const char *model_path;     // NULL: $STEPFORMER_MODEL or the shipped model
    const char *tokenizer_path; // NULL: beside the model, for llm.c checkpoints
    const char *prompt;         // NULL: the default prompt
    const char *ids;            // instead of a prompt: token ids "3,1,4"
    int train;                  // 1: open in the training view
    int reference;              // 1: the reference loops instead of BLAS (--impl ref)
    int present;                // 1: open in the presenter view (--present)
    int palette;                // 1 + enum palette_scheme (--palette), 0: from the terminal
};

// Lesson mode: the script, the beat on screen and the state of its question.
struct app_lesson {
    struct lesson l;
    int beat;                // the beat on screen
    int present;             // presenter mode: questions are not answered but revealed
    int revealed;            // presenting: this beat's answer is shown
    int typing;              // the answer line takes the keys
    int picked;              // the choice picked last, or -1
    int attempts;            // wrong answers to this beat's question
    int dirty;               // the model was moved off the script: the next beat replays
    int done;                // the last beat was passed
    int narr_first;          // the narration scrolled: its first line shown
    int was_done;            // the progress file had the lesson done when it started
    unsigned char *answered; // (n_beats) 1: the question of that beat is answered
    char live[128];          // this beat's live answer
    char *text;              // this beat's narration with its live numbers, or NULL
    int live_numeric;
    double live_value;
    char feedback[1024];
    int feedback_error;
    int panels[LESSON_MAX_PANELS]; // what the beat shows (none listed: the op's own panels)
    int n_panels;
    int focus; // the panel given the most room, or -1
    char start_prompt[APP_PROMPT_MAX];
    struct app_learn_script *learn; // the run of @learn (src/app/learn_view.c), or NULL
    struct lesson_progress progress;
    int keep_progress; // 1: progress is saved on every beat
    int save_failed;   // saving failed (said once; the beat counter says "not saved")

    // The choices as shown: order[k] (as written) has the letter 'a' + k; from the student's
    // seed (lesson_choice_seed). picked and the question's correct are as written.
    int order[LESSON_MAX_CHOICES];
    unsigned long long seed;
    // Buffers the screen state points into.
    char where[64];
    char input_line[APP_PROMPT_MAX + 32];
    int screen_panels[LESSON_MAX_PANELS];
    const char *choices[8];
    struct lesson_screen screen;
};

// The next-token numbers kept beside the pass (src/app/next_token.c): what the panels read
// (aux), the distribution sampled from and its key, and the pass without the interventions.
struct app_next {
    struct next_token_aux aux;
    float *sampled;    // (2, V) sampled from the pass, and from the pass without interventions
    uint64_t key;      // the logits and settings sampled was computed from
    int sampled_valid; // 1: sampled holds the distribution for key
    int without_sampled_valid;
    struct graph shadow;   // the pass without interventions (kept while one is in force)
    int built;             // 1: shadow is built for ids
    int *ids, n;           // the input it is for
    float *without;        // (n, V) its head.probs, then (V) its last row of logits
    float *without_logits; // inside without
    int done, failed;      // without holds the pass / it could not be computed
    float *pinned;         // (V) the distribution pinned for before / after, or NULL
    char pinned_note[160];
};

struct app {
    char model_path[512];
    enum op_impl impl;        // the kernel twin every graph of the app runs
    struct model model;       // the model the forward view runs (never changed)
    struct model train_model; // a copy the training iteration updates
    struct optimizer opt;
    struct graph fwd;            // the forward pass and the sample.* nodes
    struct graph train;          // one training iteration on the prompt (built on demand)
    int train_view;              // 1: the training graph is on screen
    char prompt[APP_PROMPT_MAX]; // the input as text (its ids are the forward graph's)
    // Sampling settings; beam > 1 generates by beam search instead of sampling.
    struct sampler sampler;
    unsigned long long seed;
    int beam;
    struct beam_search beams;
    int beams_active;
    // Interventions.
    unsigned char *head_off; // (n_layer, n_head)
    int no_positions;
    // The logit lens of the blocks that have run (rows of the others hold -1), and a cache of
    // the rows computed on this pass.
    struct lens lens;
    int lens_valid;  // blocks [0, lens_valid) are in the cache
    int lens_failed; // 1: a row could not be computed (no memory); none is tried until a reset
    struct app_next next;
    // Selection and screen state.
    struct view view;
    int token_row;     // the selected token while an inspected matrix has fewer rows, or -1
    int selected;      // enum panel_id
    int follow;        // 1: the main panel follows the op that ran last
    int zoom;          // a panel, or -1
    int present;       // 1: the presenter view (one large panel, the equation as a caption)
    int help;          // 1: the help overlay is up
    int help_first;    // the help's first row shown (it pages when it does not fit)
    int scheme;        // enum palette_scheme wanted (the terminal may offer fewer colours)
    int scheme_chosen; // 1: the scheme was asked for (--palette), not taken from the terminal
    int width, height; // the screen size the layout is computed for (mouse clicks)
    // Modes.
    enum app_mode mode;
    struct line_edit input; // goto, the prompt, a sampling value, a lesson's answer
    int sampling_field;     // enum app_field
    int sampling_typing;    // 1: a value for the sampling field is typed into input
    // Run / pause: one step every speed_ms while running.
    int running;
    int speed_ms;
    // A long move (to the end of a block or the pass) runs a slice at a time: the node index
    // it runs to, or -1.
    int target;
    int generate_pending; // 1: append the drawn token when the move ends
    // The status line's message (errors in the notice style).
    char message[APP_LINE_MAX];
    int message_error;
    int input_note; // 1: the message is the note on the typed prompt (app_input_note)
    float loss_before, loss_after;
    float *loss_after_pos; // (N - 1) the loss per position after the step, or NULL until known
    const struct app_hooks *hooks; // a mode plugged in (lesson mode), or NULL
    struct app_lesson *lesson;     // lesson mode's state, or NULL
    struct app_learn *learn;       // the learn view's state, or NULL
    struct app_help help_text;
    struct app_frame frame;
};

// Loads the model and builds the pass on the prompt. Returns 0, or nonzero with a freed and d
// naming the file, option or word at fault (for cli_print_diag, or a lesson's diagnostics).
int app_init(struct app *a, const struct app_options *o, struct sf_diag *d);
void app_free(struct app *a);

// A key (a Unicode code point or an SF_KEY_*): text entry in the input modes, else its
// action. Returns APP_REDRAW / APP_QUIT flags.
int app_key(struct app *a, int key);
int app_action(struct app *a, enum sf_action act);
// A mouse click at (x, y) of the frame on screen (the last app_screen built; one is built if
// none was): selects the panel there, and in the tokens strip the token, in a matrix the cell.
int app_click(struct app *a, int x, int y);
// Work that runs in slices so the screen never waits: a long move for at most budget_ms, or
// while running one step, else the logit lens of a block that has run. Returns APP_REDRAW
// when something changed.
int app_tick(struct app *a, int budget_ms);
// 1 while a long move is under way, the pass is running or a logit lens row waits.
int app_busy(const struct app *a);
// The graph on screen (the forward pass or the training iteration).
const struct graph *app_graph(const struct app *a);
// The screen state for the current state, laid out for a->width x a->height (80 x 24 when
// unset). It points into a->frame, which is all it writes: building it changes nothing else.
void app_screen(struct app *a, struct screen_state *s);

// Lesson mode on l (which the app takes over; l is left empty): the screen shows the beats
// of the script, resuming where the progress file says the lesson was left when
// progress_path is set (progress is then saved on every beat). present: presenter mode.
// Errors of the script (an op this model lacks, a live answer that cannot be computed) go
// to d with their line and column. Returns 0, or nonzero when the lesson cannot start.
int app_lesson_start(struct app *a, struct lesson *l, int present, const char *progress_path,
                     struct lesson_diags *d);
// Shows beat k: the script runs from the start (or from the beat on screen when it is the
// next one), then the beat's question is set up. Returns 0, or nonzero with d filled.
int app_lesson_goto(struct app *a, int beat, struct lesson_diags *d);
// `stepformer lesson [NUMBER|NAME|FILE] [--present] [--restart]`: finds and checks the lesson,
// loads its model and starts lesson mode on a (resuming from the progress file unless
// presenting or restarting). Messages go to err; returns 0 or the exit status.
int app_lesson_open(struct app *a, int argc, char **argv, FILE *err);
// The answer to the question on screen as a student would give it (the correct choice's
// letter, the first accepted answer or the live value); 0 when the beat has no question.
int app_lesson_expected(const struct app *a, char *buf, size_t size);

// The learn view (src/app/learn_view.c): a fresh model of this model's configuration and
// vocabulary learns on the textbook corpus inside the screen, its steps run between frames by
// app_tick; the loss curve, the attention of a head and the next token on a sentence (NULL:
// "the keys to the cabinet are", at "cabinet"; else at the word before its last), the
// agreement accuracy. save_path: where S saves (NULL: learned.sfm). The run starts at once.
// Returns 0, or nonzero with d saying why.
struct learn_options;
struct learn;
int app_learn_start(struct app *a, const struct learn_options *o, const char *sentence,
                    const char *save_path, struct sf_diag *d);
// The run in the learn view, or NULL.
const struct learn *app_learn_run(const struct app *a);

#endif
