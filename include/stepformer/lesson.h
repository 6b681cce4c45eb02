// Lesson scripts: a plain-text (Markdown-friendly) file of beats, each with narration, the
// moves the model makes and what the screen shows, and check questions. The parser reports
// every problem as file:line:col; the runner lives with the application, which owns the
// model and the screen. Format: lessons/README.md.
#ifndef STEPFORMER_LESSON_H
#define STEPFORMER_LESSON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "stepformer/err.h"
#include "stepformer/graph.h"

#define LESSON_LINE_MAX    4096 // longest line a lesson may have (bytes)
#define LESSON_FILE_MAX    (16 << 20)
#define LESSON_MAX_PANELS  8
#define LESSON_MAX_CHOICES 8   // choices of one question
#define LESSON_MAX_DIAGS   100 // diagnostics kept per file; more are counted
#define LESSON_MSG_MAX     300 // bytes of a kept diagnostic's text (longer ones are cut)
#define LESSON_ID_MAX      128 // bytes of a lesson id, with its terminating NUL
#define LESSON_PATH_MAX    512 // bytes of a lesson's path that are kept, with its NUL

// What a beat's directive asks for when the beat starts. The directive table in lesson.c
// maps each keyword to one of these (lesson_op_name gives it back).
enum lesson_op {
    LESSON_PROMPT,
    LESSON_VIEW,
    LESSON_GOTO,
    LESSON_STEP,
    LESSON_PANELS,
    LESSON_FOCUS,
    LESSON_ZOOM,
    LESSON_LAYER,
    LESSON_HEAD,
    LESSON_HIGHLIGHT,
    LESSON_NUMBERS,
    LESSON_SAMPLER,
    LESSON_GENERATE,
    LESSON_INTERVENE,
    LESSON_LEARN,
    LESSON_OP_COUNT
};

enum lesson_highlight { LESSON_HL_OFF = 0, LESSON_HL_TOKEN, LESSON_HL_HEAD, LESSON_HL_CELL };
enum lesson_intervene { LESSON_IV_NONE = 0, LESSON_IV_HEAD_OFF, LESSON_IV_NO_POSITIONS };
// @learn: a new model learning from random weights (start), trained to a step (run-to), the
// lesson's own model again (off), or the weights of a model file (weights).
enum lesson_learn {
    LESSON_LEARN_START = 0,
    LESSON_LEARN_RUN_TO,
    LESSON_LEARN_OFF,
    LESSON_LEARN_WEIGHTS
};

// One directive of a beat, applied in order when the beat starts.
struct lesson_action {
    enum lesson_op op;
    int line, col; // where its argument starts, for messages at run time
    char *text;    // PROMPT: the text; GOTO: the op name; LEARN weights: the model's name
    // STEP, GENERATE: count; LAYER: layer; HEAD: head (-1 all); NUMBERS, VIEW (1 training):
    // 0/1; ZOOM: panel or -1; FOCUS: panel; HIGHLIGHT: kind; INTERVENE, LEARN: kind.
    int n;
    // LEARN start: the run's steps, batch and sequence (seed in seed); run-to: the step in steps.
    int steps, batch, seq;
    int i, j; // HIGHLIGHT: token / head / cell (i, j); INTERVENE head-off: layer i, head j
    int panels[LESSON_MAX_PANELS];
    int n_panels;
    // SAMPLER
    int greedy;
    float temperature, top_p;
    int top_k;
    unsigned long long seed;
};

// A check question: multiple choice (choices, one correct) or a typed answer, fixed
// (alternatives) or live (computed from the model when the question is asked).
struct lesson_question {
    int line;
    char *text;
    char **choices;
    int n_choices;
    int correct;    // the correct choice, or -1 for a typed answer
    char **answers; // typed: accepted answers (numbers compare with the tolerance)
    int n_answers;
    char *live; // typed: an expression of the model's state (lesson_live_eval), or NULL
    int live_line, live_col;
    double tolerance; // < 0: the default (1% of the answer, at least 0.01)
    char *hint, *explain;
    // What picking choice i says (@feedback), or NULL; 1 when the choices are shown as written
    // (@keep-order), else in each student's own order.
    char *feedback[LESSON_MAX_CHOICES];
    int keep_order;
};

// What the learn-* live expressions read: the record of the lesson's run (@learn), kept by the
// app. loss[k] is the training loss of step k + 1 of the n done; evaluation i, after
// eval_step[i] steps, has the held-out loss and the share of held-out agreement items right.
// shown_agreement: the share of the same items that the weights on screen get right (< 0 before
// any @learn has put weights on screen).
struct lesson_learn_log {
    const float *loss;
    int n;
    const int *eval_step;
    const float *heldout, *agreement;
    int n_evals;
    float shown_agreement;
};

// A value the lesson reads from the model when the beat is shown: a live number in the
// narration ({{EXPRESSION [FORMAT]}}) or a fact the lesson relies on (@fact EXPRESSION OP VALUE).
struct lesson_live {
    int line, col;
    char *expr;  // a live expression (lesson_live_eval)
    char *fmt;   // inline: a printf format for a number ("%.2f", "%.0f%" for a percentage), or NULL
    char *want;  // fact: the value it is compared with; NULL for an inline number
    char cmp[3]; // fact: "=", "!=", "<", ">", "<=", ">="
    const struct lesson_worked *worked;   // the beat's worked example ({{worked ...}}), or NULL
    const struct lesson_learn_log *learn; // the lesson's learn run ({{learn-loss ...}}), or NULL
};

// A worked example: small matrices a lesson defines with @worked (lessons/README.md), and
// attention worked through on them by the reference kernels (src/core/ops_ref.c), so that the
// worked panel and the narration's {{worked ...}} numbers are the engine's own, the same on
// every CPU. Rows are tokens; indices count from 0.
#define LESSON_WORKED_MAX   8 // rows and columns of each matrix
#define LESSON_WORKED_CELLS (LESSON_WORKED_MAX * LESSON_WORKED_MAX)

// The matrices a lesson may give (F(id, keyword, what it is)).
#define SF_WORKED_LIST(F)                                                                          \
    F(X, "x", "the input vectors x_i, one row per token")                                          \
    F(Q, "q", "the queries q_i (else x W^Q, else x)")                                              \
    F(K, "k", "the keys k_j (else x W^K, else x)")                                                 \
    F(V, "v", "the values v_j (else x W^V, else x)")                                               \
    F(WQ, "wq", "W^Q: Q = x W^Q")                                                                  \
    F(WK, "wk", "W^K: K = x W^K")                                                                  \
    F(WV, "wv", "W^V: V = x W^V")

enum lesson_worked_input {
#define SF_X(id, kw, help) LESSON_WK_##id,
    SF_WORKED_LIST(SF_X)
#undef SF_X
        LESSON_WK_COUNT
};

struct lesson_worked {
    // What the lesson wrote: each matrix (rows x cols, 0 rows when not given) and its line.
    float in[LESSON_WK_COUNT][LESSON_WORKED_CELLS];
    int in_rows[LESSON_WK_COUNT], in_cols[LESSON_WK_COUNT], in_line[LESSON_WK_COUNT];
    char tokens[LESSON_WORKED_MAX][24]; // the rows' words (@worked tokens), or "" for x_i
    int n_tokens, tokens_line;
    int scale; // 1: the scores are divided by sqrt(d_k) before the softmax
    int show;  // the last step the panel shows (@worked show): LESSON_WK_SHOW_*
    // Computed: n tokens; Q, K (n, d_k) and V (n, d_v) as used; the scores q_i . k_j (n, n);
    // scaled: score / sqrt(d_k) (the scores again when scale is 0); masked: scaled with -inf
    // above the diagonal; alpha = softmax(masked) by rows; out: a_i = sum_j alpha_ij v_j (n, d_v).
    int n, d_k, d_v;
    float q[LESSON_WORKED_CELLS], k[LESSON_WORKED_CELLS], v[LESSON_WORKED_CELLS];
    float score[LESSON_WORKED_CELLS], scaled[LESSON_WORKED_CELLS], masked[LESSON_WORKED_CELLS];
    float alpha[LESSON_WORKED_CELLS], out[LESSON_WORKED_CELLS];
};

// The steps of a worked example, as '@worked show STEP' names them (the panel shows the steps up
// to the one named; ALL, the default, is every step).
enum lesson_worked_step {
    LESSON_WK_SHOW_ALL = 0,
    LESSON_WK_SHOW_INPUTS, // "inputs": x (q, k, v)
    LESSON_WK_SHOW_SCORE,  // "score": and the scores (scaled)
    LESSON_WK_SHOW_ALPHA,  // "alpha": and the softmax weights
    LESSON_WK_SHOW_OUT,    // "out": and the outputs a_i
};

// The keyword of input i ("wq"), or "?".
const char *lesson_worked_name(enum lesson_worked_input i);
// Works the example through: checks the shapes of what w holds and fills its computed part.
// Returns 0, or -1 with why saying what does not fit and *input the matrix at fault.
int lesson_worked_compute(struct lesson_worked *w, int *input, char *why, size_t wn);
// The value of a worked expression's words (after "worked"): PART ROW [COL] with PART one of
// x q k v score scaled alpha out (an entry), or n, d_k, d_v (a size). Returns 0, or -1 with why.
int lesson_worked_value(const struct lesson_worked *w, char **words, int n, double *value,
                        char *why, size_t wn);
// Checks the words' syntax (no example needed). Returns 0, or -1 with why.
int lesson_worked_check(char **words, int n, char *why, size_t wn);

struct lesson_beat {
    int line;                  // where it starts
    struct lesson_live *lives; // inline numbers (in the order of their {{ in text), then facts
    int n_lives;
    struct lesson_action *acts;
    int n_acts;
    char *text;                // narration: paragraphs separated by "\n\n", lines by "\n"
    struct lesson_question *q; // or NULL
    // The worked example in force at this beat (the last one @worked built, up to this beat), or
    // NULL; worked_own: 1 when this beat's @worked lines made it (the beat frees it).
    struct lesson_worked *worked;
    int worked_own;
};

struct lesson {
    char path[LESSON_PATH_MAX];
    char id[LESSON_ID_MAX]; // the file name without directory and ".md": the key for progress
    char *title;            // from the first "# " heading
    char *section;          // @section (what the lesson maps to), or NULL
    char *model;            // @model as written ("textbook", "gpt2_124M.bin"), or NULL
    int model_line, model_col;
    struct lesson_beat *beats;
    int n_beats;
};

struct lesson_msg {
    int line, col;
    int error; // 0: a note
    char text[LESSON_MSG_MAX];
};

struct lesson_diags {
    char file[LESSON_PATH_MAX];
    struct lesson_msg msgs[LESSON_MAX_DIAGS];
    int n;      // kept
    int errors; // all errors, including ones not kept
    int notes;
    int warnings;
};

#define LESSON_WARNING 2 // the level of a warning: reported, but not an error

void lesson_diags_init(struct lesson_diags *d, const char *file);
// Adds a message (d may be NULL: nothing is kept). error: 1 an error, 0 a note, LESSON_WARNING.
void lesson_diag_add(struct lesson_diags *d, int error, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
// The same with the arguments as a va_list.
void lesson_diag_vadd(struct lesson_diags *d, int error, int line, int col, const char *fmt,
                      va_list ap) __attribute__((format(printf, 5, 0)));
// Prints every message as "file:line:col: error: text" (notes as "note:").
void lesson_diags_print(const struct lesson_diags *d, FILE *f);

// The panels a lesson may name, by keyword (index = the screen's panel number).
struct lesson_panels {
    const char *const *names;
    int n;
};

// A lesson's id (the key of its progress): its file name without directory and ".md".
const char *lesson_id(const char *path, char *buf, size_t size);

// Parses a lesson from text (len bytes, any content) into l; every problem goes to d. Equation
// references {eq:KEY} are looked up in the table eq_table (the text of equations.md, or NULL
// when there is none). Returns 0 when d holds no errors; l is usable (and must be freed)
// either way.
int lesson_parse(struct lesson *l, const char *path, const char *text, size_t len,
                 const char *eq_table, const struct lesson_panels *panels, struct lesson_diags *d);
// Checks an equation table (equations.md) on its own: every row C with its number and source, or
// R with its section and equation; a key once. *rows and *confirmed count the rows and the C
// ones. Problems go to d at their line; returns 0, SF_ERR_FORMAT when there is one, or
// SF_ERR_IO / SF_ERR_NOMEM.
int lesson_check_equations(const char *path, int *rows, int *confirmed, struct lesson_diags *d);
// Reads path (and equations.md beside it, or in the shipped lessons directory) and parses it.
// A file that cannot be read, is too large or is empty is an error in d.
int lesson_load(struct lesson *l, const char *path, const struct lesson_panels *panels,
                struct lesson_diags *d);
void lesson_free(struct lesson *l);

// The keyword of the directive that adds op ("goto"), or "?".
const char *lesson_op_name(enum lesson_op op);

// How a directive or a live expression is written: its keyword, its arguments and what it does.
struct lesson_syntax {
    const char *name;  // "goto", "choice*", "prob"
    const char *usage; // "OP", "[N]", "on|off" (one of the words), "WORD POS"; "" for none
    const char *help;  // one line
};

// Directive i of the table the parser dispatches from (in the order its messages list them),
// or NULL past the last.
const struct lesson_syntax *lesson_directive(int i);
// Live expression i of the table lesson_live_eval dispatches from, or NULL past the last.
const struct lesson_syntax *lesson_live_kind(int i);

// Checks the syntax of a live expression; why gets the reason. Returns 0 when it is valid.
int lesson_live_check(const char *expr, char *why, size_t wn);
// Evaluates a live expression against the graph on screen. text gets the answer as shown;
// *numeric says whether it is a number (*value). Returns 0, or nonzero with why saying what
// has not run yet or is out of range.
int lesson_live_eval(const char *expr, const struct graph *g, char *text, size_t tn, double *value,
                     int *numeric, char *why, size_t wn);
// The same with the worked example in force (for 'worked ...'; NULL: none).
int lesson_live_eval_in(const char *expr, const struct graph *g, const struct lesson_worked *wk,
                        char *text, size_t tn, double *value, int *numeric, char *why, size_t wn);
// The same with the learn run's record too (for 'learn-...'; NULL: none).
int lesson_live_eval_learn(const char *expr, const struct graph *g, const struct lesson_worked *wk,
                           const struct lesson_learn_log *learn, char *text, size_t tn,
                           double *value, int *numeric, char *why, size_t wn);
// Evaluates EXPRESSION of a live number or a fact: a live expression, or live expressions and
// numbers combined with + - * /, parentheses and exp, ln, sqrt, abs (each a word of its own:
// "exp dot embed.pos 2 0 / ( exp dot embed.pos 2 0 + exp dot embed.pos 2 1 )"). A lone live
// expression gives what lesson_live_eval gives; with g NULL only the syntax is checked.
int lesson_calc_eval(const char *expr, const struct graph *g, char *text, size_t tn, double *value,
                     int *numeric, char *why, size_t wn);
int lesson_calc_check(const char *expr, char *why, size_t wn);
// lesson_calc_eval with the worked example in force (NULL: none).
int lesson_calc_eval_in(const char *expr, const struct graph *g, const struct lesson_worked *wk,
                        char *text, size_t tn, double *value, int *numeric, char *why, size_t wn);
// lesson_calc_eval_in with the learn run's record too (NULL: none).
int lesson_calc_eval_learn(const char *expr, const struct graph *g, const struct lesson_worked *wk,
                           const struct lesson_learn_log *learn, char *text, size_t tn,
                           double *value, int *numeric, char *why, size_t wn);
// The text of an inline live number as the narration shows it (its format, or as @live shows
// it). Returns 0, or nonzero with why filled.
int lesson_inline_format(const struct lesson_live *v, const struct graph *g, char *out, size_t n,
                         char *why, size_t wn);
// Checks a fact against the model: 1 when it holds, 0 when it does not (why says what the model
// has instead), -1 when it cannot be evaluated (why says why).
int lesson_fact_holds(const struct lesson_live *f, const struct graph *g, char *why, size_t wn);
// The beat's narration with every {{...}} replaced by its value (or "?" where it cannot be
// computed; each such value is an error in d, at its file:line:col). Returns the malloc'd
// text, or NULL when out of memory.
char *lesson_beat_expand(const struct lesson_beat *b, const struct graph *g,
                         struct lesson_diags *d);
// Checks the beat's facts against the model: each one that is false or cannot be evaluated
// is an error in d at its line. Returns how many failed.
int lesson_beat_facts(const struct lesson_beat *b, const struct graph *g, struct lesson_diags *d);
// Checks the syntax of an inline format ("%.2f", "%.0f%"); 0 when it is one.
int lesson_format_check(const char *fmt);

// Reads a typed number in the forms lessons print: "111,872" or "111 872" (groups of three),
// the minus sign U+2212, a leading '+', exponents ("1.2e6", "1.2×10^6", "1.2x10^6"), and the
// suffixes k, M, B ("85M"). *decimals gets the digits after the decimal point as typed (-1 with
// an exponent or a suffix). Returns 0, or -1 when s is not such a number.
int lesson_read_number(const char *s, double *v, int *decimals);

// How a typed answer compares with the question's answer.
enum lesson_verdict {
    LESSON_WRONG = 0,
    LESSON_RIGHT,
    LESSON_CLOSE, // a number that only the rounding separates from the answer
};
// Compares the answer typed: for a typed question one of the accepted answers (or the live
// value), numbers within the tolerance, words ignoring case, spaces and end punctuation. A
// number that is the answer rounded to fewer decimals than the tolerance needs (1.39 for 1.386
// within 0.001), or that rounds to the answer as written when it has fewer decimals, is
// LESSON_CLOSE with *decimals (may be NULL) the number of decimals to give.
enum lesson_verdict lesson_answer_check(const struct lesson_question *q, const char *typed,
                                        const char *live, int live_numeric, double live_value,
                                        int *decimals);
// 1 when lesson_answer_check says LESSON_RIGHT.
int lesson_answer_matches(const struct lesson_question *q, const char *typed, const char *live,
                          int live_numeric, double live_value);

// A student's seed for the order of the choices: from the lesson's id and the user's name.
unsigned long long lesson_choice_seed(const char *lesson_id, const char *user);
// The user's name for lesson_choice_seed: $USER, else $LOGNAME, else "student".
const char *lesson_user_name(void);
// The order question q's choices are shown in: order[k] is the choice shown k-th (with letter
// 'a' + k). As written when q keeps its order, else a permutation that depends only on seed
// and the question's line and choices (the same every time for one student).
void lesson_choice_order(const struct lesson_question *q, unsigned long long seed, int *order);

// The model file a lesson's @model names: a shipped model ("textbook", the default) in the
// models directory (datadir.h), or a file looked for beside the lesson, then there.
// Returns 0 with path filled, or nonzero with why saying what is missing and where to put it.
int lesson_model_path(const struct lesson *l, char *path, size_t size, char *why, size_t wn);

// Bytes of the lessons or models directory's path.
#define LESSON_DIR_MAX 4096
// Where lessons are (datadir_find: $STEPFORMER_LESSONS, a build tree, the installed data
// directory): 0 with dir filled, or -1 with why naming the places looked in.
int lesson_dir(char *dir, size_t size, char *why, size_t wn);
// Why lesson_list found no lessons: the places looked in, or the directory that has none.
void lesson_list_none(char *why, size_t wn);
// Finds a lesson by file path, number ("4"), name ("one-head") or file name ("04-one-head"),
// in the lessons directory. Returns 0 with path filled, or nonzero with why.
int lesson_find(const char *arg, char *path, size_t size, char *why, size_t wn);
// The lesson files of the lessons directory (NN-name.md), sorted; *n gets their number. The
// array and its strings are malloc'd (lesson_list_free).
char **lesson_list(int *n);
void lesson_list_free(char **list, int n);
// The number of a lesson of lesson_list: the two digits its file name starts with (3 for
// "03-one-head.md").
int lesson_list_number(const char *path);

// Progress kept between runs: per lesson id, the beat reached and whether it was finished.
struct lesson_progress_item {
    char id[LESSON_ID_MAX];
    int beat, n_beats, done;
};

struct lesson_progress {
    char path[1024];
    struct lesson_progress_item *items; // in the order they were first set (or read)
    int n;
    int bad_lines; // lines of the file that could not be read (ignored, rewritten on save)
    int cap;       // items allocated
    int *index;    // hash of the ids: item + 1 per slot, 0 empty (index_cap slots, or NULL)
    int index_cap;
};

// The progress file: $XDG_STATE_HOME/stepformer/progress, else ~/.local/state/stepformer/progress.
// Returns 0, or nonzero when neither variable gives a directory.
int lesson_progress_path(char *buf, size_t size);
// Loads the file (a missing file is empty progress; a line that cannot be read is counted in
// bad_lines; an id given twice keeps its last line). Time linear in the file. Returns 0 or
// SF_ERR_NOMEM. Format: lessons/README.md.
int lesson_progress_load(struct lesson_progress *p, const char *path);
// Writes the file atomically (temporary file, then rename), creating its directory; ids are
// written so that any id reads back the same. On failure d names the file and the reason.
int lesson_progress_save(const struct lesson_progress *p, struct sf_diag *d);
void lesson_progress_free(struct lesson_progress *p);
// The entry for id, or NULL.
const struct lesson_progress_item *lesson_progress_get(const struct lesson_progress *p,
                                                       const char *id);
// Sets id's entry (adding it if new). Returns 0, SF_ERR_ARG for an id that is empty or longer
// than an item holds (127 bytes), or SF_ERR_NOMEM.
int lesson_progress_set(struct lesson_progress *p, const char *id, int beat, int n_beats, int done);

#endif
