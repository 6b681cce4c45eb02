// Keys and actions: one table per context binds keys to what they do and also writes the help
// overlay. The terminal backend turns its key codes into these; app logic is driven by actions
// alone.
#ifndef STEPFORMER_KEYMAP_H
#define STEPFORMER_KEYMAP_H

#include <stddef.h>

// The step-through screen. X(name, help)
#define SF_ACTION_LIST(X)                                                                          \
    X(STEP, "run the next operation")                                                              \
    X(BACK, "step back one operation (nothing is recomputed)")                                     \
    X(NEXT_SUBLAYER, "run to the end of the sublayer")                                             \
    X(NEXT_BLOCK, "run to the end of the block")                                                   \
    X(GOTO, "go to an operation by name")                                                          \
    X(RUN_TO_END, "run to the end of the pass")                                                    \
    X(RESTART, "back to the first operation")                                                      \
    X(RUN_PAUSE, "run or pause, one operation at a time")                                          \
    X(FASTER, "run faster")                                                                        \
    X(SLOWER, "run slower")                                                                        \
    X(NEXT_PANEL, "select the next panel")                                                         \
    X(ZOOM, "zoom the selected panel to the whole screen, or back")                                \
    X(PRESENT, "presenter view: one large panel, the equation below it; or back")                  \
    X(CANCEL, "stop a long move, else leave inspect, zoom or presenter view")                      \
    X(LAYER_NEXT, "show the next layer")                                                           \
    X(LAYER_PREV, "show the previous layer")                                                       \
    X(HEAD_NEXT, "show the next head")                                                             \
    X(HEAD_PREV, "show the previous head")                                                         \
    X(ROW_NEXT, "select the next token row")                                                       \
    X(ROW_PREV, "select the previous token row")                                                   \
    X(INSPECT, "inspect a cell: how its number was computed")                                      \
    X(EDIT_PROMPT, "type a new prompt")                                                            \
    X(SAMPLING, "sampling settings: greedy, beam, temperature, top-k, top-p, seed")                \
    X(GENERATE, "generate the next token through the sample.* operations")                         \
    X(PIN, "pin the next-token distribution to compare after a change, or unpin it")               \
    X(HEAD_OFF, "switch the selected head off, or on again")                                       \
    X(NO_POSITIONS, "drop the position embeddings, or bring them back")                            \
    X(NUMBERS, "numbers or colours in the matrices")                                               \
    X(PRODUCT, "at a projection (attn.q/k/v, attn.proj, ffn.up/down, head.logits): X · W = Y")     \
    X(PALETTE, "the next colour scheme")                                                           \
    X(TRAIN_VIEW, "one training iteration on this sentence")                                       \
    X(HEAD_VIEW, "head view: the selected token's attention in every head of the layer")           \
    X(HEAD_VIEW_REVERSE, "head view: which queries attend to the selected token, or back")         \
    X(MODEL_VIEW, "model view: every layer by every head as small attention maps")                 \
    X(FIND_HEAD, "head finder: type a query and a key; every head ranked by their alpha")          \
    X(SCREENSHOT, "save the screen as a picture: stepformer-OP-N.svg")                             \
    X(HELP, "this help")                                                                           \
    X(QUIT, "quit")

enum sf_action {
    SF_ACTION_NONE = 0,
#define SF_X(name, help) SF_ACTION_##name,
    SF_ACTION_LIST(SF_X)
#undef SF_X
        SF_ACTION_COUNT
};

// An input line: goto, the prompt, a value typed into the sampling box, a lesson's answer.
// Printable characters are typed at the cursor; these are the other keys. X(name, help)
#define SF_EDIT_LIST(X)                                                                            \
    X(ACCEPT, "goto, run the prompt, set a value, find the heads, check an answer")                \
    X(CANCEL, "leave the line (goto and the prompt: cancel them)")                                 \
    X(COMPLETE, "goto: complete the op name")                                                      \
    X(LEFT, "the cursor one character left")                                                       \
    X(RIGHT, "the cursor one character right")                                                     \
    X(HOME, "the cursor to the start of the line")                                                 \
    X(END, "the cursor to the end of the line")                                                    \
    X(BACKSPACE, "delete the character before the cursor")                                         \
    X(DELETE, "delete the character under the cursor")                                             \
    X(KILL_START, "delete from the start of the line to the cursor")                               \
    X(KILL_WORD, "delete the word before the cursor")                                              \
    X(KILL_END, "delete from the cursor to the end of the line")

enum sf_edit {
    SF_EDIT_NONE = 0,
#define SF_X(name, help) SF_EDIT_##name,
    SF_EDIT_LIST(SF_X)
#undef SF_X
        SF_EDIT_COUNT
};

// While the inspect cursor is up these keys move it; every other key keeps its screen action.
#define SF_CELL_LIST(X)                                                                            \
    X(LEFT, "the inspect cursor one column left")                                                  \
    X(RIGHT, "the inspect cursor one column right")

enum sf_cell {
    SF_CELL_NONE = 0,
#define SF_X(name, help) SF_CELL_##name,
    SF_CELL_LIST(SF_X)
#undef SF_X
        SF_CELL_COUNT
};

// The sampling settings box (a digit typed on a number starts an input line for it).
#define SF_BOX_LIST(X)                                                                             \
    X(PREV, "the setting above")                                                                   \
    X(NEXT, "the setting below")                                                                   \
    X(LESS, "one step down (decoding: the mode before)")                                           \
    X(MORE, "one step up (decoding: the next mode)")                                               \
    X(CLOSE, "apply the settings and close the box")

enum sf_box {
    SF_BOX_NONE = 0,
#define SF_X(name, help) SF_BOX_##name,
    SF_BOX_LIST(SF_X)
#undef SF_X
        SF_BOX_COUNT
};

// The model view, the head finder and the head view, when selected (other keys keep their
// screen action; Up and Down select the token in the head view). X(name, help)
#define SF_PICK_LIST(X)                                                                            \
    X(UP, "model view: the layer above; finder: the rank above")                                   \
    X(DOWN, "model view: the layer below; finder: the rank below")                                 \
    X(LEFT, "model view: the head to the left; head view: the marked row up")                      \
    X(RIGHT, "model view: the head to the right; head view: the marked row down")                  \
    X(OPEN, "open the head's attention matrix (head view: rank heads for the row)")                \
    X(RANK, "finder: open the head ranked 1 to 9")

enum sf_pick {
    SF_PICK_NONE = 0,
#define SF_X(name, help) SF_PICK_##name,
    SF_PICK_LIST(SF_X)
#undef SF_X
        SF_PICK_COUNT
};

// Lesson mode between questions, and presenting (a letter or digit that names a choice of the
// question on screen picks it). X(name, help)
#define SF_BEAT_LIST(X)                                                                            \
    X(NEXT, "the next beat")                                                                       \
    X(BACK, "the beat before")                                                                     \
    X(ANSWER, "type the answer; after two wrong answers, show it")                                 \
    X(QUIT, "quit the lesson")                                                                     \
    X(SCROLL_DOWN, "scroll the narration on when it says \"more\" (Down while typing)")            \
    X(SCROLL_UP, "scroll the narration back (Up while typing)")

enum sf_beat {
    SF_BEAT_NONE = 0,
#define SF_X(name, help) SF_BEAT_##name,
    SF_BEAT_LIST(SF_X)
#undef SF_X
        SF_BEAT_COUNT
};

// The learn view: a model learning from random weights on the screen (the screen's keys are
// not in force there, but for ? and q). X(name, help)
#define SF_LEARN_LIST(X)                                                                           \
    X(RUN_PAUSE, "train, or pause")                                                                \
    X(STEP, "one training step (pauses first)")                                                    \
    X(OPEN, "paused: the step-through screen on the weights as they are now")                      \
    X(TRAIN_VIEW, "paused: one training iteration, op by op, on the weights as they are now")      \
    X(BACK, "from the step-through screen: back to the learn view")                                \
    X(LAYER_NEXT, "the attention of the next layer")                                               \
    X(LAYER_PREV, "the attention of the previous layer")                                           \
    X(HEAD_NEXT, "the next head (after the last: all heads)")                                      \
    X(HEAD_PREV, "the previous head")                                                              \
    X(AUTO_HEAD, "the head that attends most from the attractor to the subject, as it changes")    \
    X(NUMBERS, "the attention as numbers or colours")                                              \
    X(SAVE, "save the model as it is now (the status line says where)")

enum sf_learn {
    SF_LEARN_NONE = 0,
#define SF_X(name, help) SF_LEARN_##name,
    SF_LEARN_LIST(SF_X)
#undef SF_X
        SF_LEARN_COUNT
};

// Where a key is read; each context has its own table, in which a key means one thing.
enum keymap_context {
    KEYMAP_SCREEN,  // the step-through screen: enum sf_action
    KEYMAP_EDIT,    // an input line: enum sf_edit
    KEYMAP_CELL,    // inspecting, before the screen's table: enum sf_cell
    KEYMAP_BOX,     // the sampling settings box: enum sf_box
    KEYMAP_LESSON,  // lesson mode, before the screen's table: enum sf_beat
    KEYMAP_PRESENT, // lesson mode presenting, before the screen's table: enum sf_beat
    KEYMAP_PICK,    // the model view, the finder, the head view, before the screen's: sf_pick
    KEYMAP_LEARN,   // the learn view, before the screen's: enum sf_learn
    KEYMAP_CONTEXT_COUNT
};

// Keys: printable characters are their own code; the others are these.
enum sf_key {
    SF_KEY_UP = -1,
    SF_KEY_DOWN = -2,
    SF_KEY_LEFT = -3,
    SF_KEY_RIGHT = -4,
    SF_KEY_HOME = -5,
    SF_KEY_END = -6,
    SF_KEY_PAGE_UP = -7,
    SF_KEY_PAGE_DOWN = -8,
    SF_KEY_BACKSPACE = -9,
    SF_KEY_DELETE = -10,
    SF_KEY_CTRL_A = 1,
    SF_KEY_CTRL_E = 5,
    SF_KEY_TAB = '\t',
    SF_KEY_ENTER = '\n',
    SF_KEY_CTRL_K = 11,
    SF_KEY_CTRL_U = 21,
    SF_KEY_CTRL_W = 23,
    SF_KEY_ESCAPE = 27,
};

// A binding of the screen's table.
struct key_binding {
    int key;
    enum sf_action action;
};

// A binding of any context's table: command is a value of the context's enum.
struct key_command {
    int key;
    int command;
};

// The action bound to key on the screen, or SF_ACTION_NONE.
enum sf_action keymap_action(int key);
const char *keymap_action_name(enum sf_action a);
const char *keymap_action_help(enum sf_action a);
// The screen's bindings in table order; *count gets their number.
const struct key_binding *keymap_bindings(size_t *count);
// A key's label as the help shows it ("Space", "Right", "g", "Ctrl-U").
const char *keymap_key_label(int key, char *buf, size_t size);
// Action a's help line: its keys, then what it does. Writes it into buf and returns buf.
const char *keymap_help_line(enum sf_action a, char *buf, size_t size);

// Any context: the command bound to key (0: none), the number of commands (1 .. n are
// bound), what a command does, the context's title in the help, its bindings in table order,
// and the help line of a command (its keys, then what it does).
int keymap_command(enum keymap_context c, int key);
int keymap_commands(enum keymap_context c);
const char *keymap_command_help(enum keymap_context c, int command);
const char *keymap_context_title(enum keymap_context c);
const struct key_command *keymap_context_bindings(enum keymap_context c, size_t *count);
const char *keymap_command_line(enum keymap_context c, int command, char *buf, size_t size);

#endif
