// Keys and actions: one table binds keys to actions and also writes the help overlay. The
// terminal backend turns its key codes into these; app logic is driven by actions alone.
#ifndef STEPFORMER_KEYMAP_H
#define STEPFORMER_KEYMAP_H

#include <stddef.h>

// X(name, help)
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
    X(HEAD_OFF, "switch the selected head off, or on again")                                       \
    X(NO_POSITIONS, "drop the position embeddings, or bring them back")                            \
    X(NUMBERS, "numbers or colours in the matrices")                                               \
    X(PALETTE, "the next colour scheme")                                                           \
    X(TRAIN_VIEW, "one training iteration on this sentence")                                       \
    X(HELP, "this help")                                                                           \
    X(QUIT, "quit")

enum sf_action {
    SF_ACTION_NONE = 0,
#define SF_X(name, help) SF_ACTION_##name,
    SF_ACTION_LIST(SF_X)
#undef SF_X
        SF_ACTION_COUNT
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
    SF_KEY_TAB = '\t',
    SF_KEY_ENTER = '\n',
    SF_KEY_ESCAPE = 27,
};

struct key_binding {
    int key;
    enum sf_action action;
};

// The action bound to key, or SF_ACTION_NONE.
enum sf_action keymap_action(int key);
const char *keymap_action_name(enum sf_action a);
const char *keymap_action_help(enum sf_action a);
// The bindings in table order; *count gets their number.
const struct key_binding *keymap_bindings(size_t *count);
// A key's label as the help shows it ("Space", "Right", "g").
const char *keymap_key_label(int key, char *buf, size_t size);
// Action a's help line: its keys, then what it does. Writes it into buf and returns buf.
const char *keymap_help_line(enum sf_action a, char *buf, size_t size);

#endif
