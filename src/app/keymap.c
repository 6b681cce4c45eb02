// The key tables: the one place that binds keys to actions in each context, read by input and
// by the help.
#include "stepformer/keymap.h"

#include <stdio.h>
#include <string.h>

static const char *const action_names[SF_ACTION_COUNT] = {"none",
#define SF_X(name, help) #name,
                                                          SF_ACTION_LIST(SF_X)
#undef SF_X
};

#define SF_X(name, help) help,
static const char *const action_helps[SF_ACTION_COUNT] = {"", SF_ACTION_LIST(SF_X)};
static const char *const edit_helps[SF_EDIT_COUNT] = {"", SF_EDIT_LIST(SF_X)};
static const char *const cell_helps[SF_CELL_COUNT] = {"", SF_CELL_LIST(SF_X)};
static const char *const box_helps[SF_BOX_COUNT] = {"", SF_BOX_LIST(SF_X)};
static const char *const beat_helps[SF_BEAT_COUNT] = {"", SF_BEAT_LIST(SF_X)};
static const char *const pick_helps[SF_PICK_COUNT] = {"", SF_PICK_LIST(SF_X)};
static const char *const learn_helps[SF_LEARN_COUNT] = {"", SF_LEARN_LIST(SF_X)};
#undef SF_X

// Defaults a user can guess: Space or -> step, Backspace or <- back, n / N next sublayer /
// block, g goto, End or G to the end, Home restart, Tab next panel, z zoom, ? help, q quit.
// PgDn / PgUp step and step back too, so a presentation clicker works; F is the presenter view.
static const struct key_binding bindings[] = {
    {' ', SF_ACTION_STEP},
    {SF_KEY_RIGHT, SF_ACTION_STEP},
    {SF_KEY_PAGE_DOWN, SF_ACTION_STEP},
    {SF_KEY_BACKSPACE, SF_ACTION_BACK},
    {SF_KEY_LEFT, SF_ACTION_BACK},
    {SF_KEY_PAGE_UP, SF_ACTION_BACK},
    {'n', SF_ACTION_NEXT_SUBLAYER},
    {'N', SF_ACTION_NEXT_BLOCK},
    {'g', SF_ACTION_GOTO},
    {SF_KEY_END, SF_ACTION_RUN_TO_END},
    {'G', SF_ACTION_RUN_TO_END},
    {SF_KEY_HOME, SF_ACTION_RESTART},
    {'r', SF_ACTION_RUN_PAUSE},
    {'+', SF_ACTION_FASTER},
    {'-', SF_ACTION_SLOWER},
    {SF_KEY_TAB, SF_ACTION_NEXT_PANEL},
    {'z', SF_ACTION_ZOOM},
    {'F', SF_ACTION_PRESENT},
    {SF_KEY_ESCAPE, SF_ACTION_CANCEL},
    {'l', SF_ACTION_LAYER_NEXT},
    {'L', SF_ACTION_LAYER_PREV},
    {'h', SF_ACTION_HEAD_NEXT},
    {'H', SF_ACTION_HEAD_PREV},
    {SF_KEY_DOWN, SF_ACTION_ROW_NEXT},
    {'j', SF_ACTION_ROW_NEXT},
    {SF_KEY_UP, SF_ACTION_ROW_PREV},
    {'k', SF_ACTION_ROW_PREV},
    {'i', SF_ACTION_INSPECT},
    {'e', SF_ACTION_EDIT_PROMPT},
    {'s', SF_ACTION_SAMPLING},
    {'x', SF_ACTION_GENERATE},
    {'b', SF_ACTION_PIN},
    {'o', SF_ACTION_HEAD_OFF},
    {'p', SF_ACTION_NO_POSITIONS},
    {'c', SF_ACTION_NUMBERS},
    {'w', SF_ACTION_PRODUCT},
    {'P', SF_ACTION_PALETTE},
    {'t', SF_ACTION_TRAIN_VIEW},
    {'v', SF_ACTION_HEAD_VIEW},
    {'V', SF_ACTION_HEAD_VIEW_REVERSE},
    {'m', SF_ACTION_MODEL_VIEW},
    {'f', SF_ACTION_FIND_HEAD},
    {'S', SF_ACTION_SCREENSHOT},
    {'?', SF_ACTION_HELP},
    {'q', SF_ACTION_QUIT},
};

// The keys of a line editor as readline and most shells have them.
static const struct key_command edit_bindings[] = {
    {SF_KEY_ENTER, SF_EDIT_ACCEPT},     {SF_KEY_ESCAPE, SF_EDIT_CANCEL},
    {SF_KEY_TAB, SF_EDIT_COMPLETE},     {SF_KEY_LEFT, SF_EDIT_LEFT},
    {SF_KEY_RIGHT, SF_EDIT_RIGHT},      {SF_KEY_HOME, SF_EDIT_HOME},
    {SF_KEY_CTRL_A, SF_EDIT_HOME},      {SF_KEY_END, SF_EDIT_END},
    {SF_KEY_CTRL_E, SF_EDIT_END},       {SF_KEY_BACKSPACE, SF_EDIT_BACKSPACE},
    {SF_KEY_DELETE, SF_EDIT_DELETE},    {SF_KEY_CTRL_U, SF_EDIT_KILL_START},
    {SF_KEY_CTRL_W, SF_EDIT_KILL_WORD}, {SF_KEY_CTRL_K, SF_EDIT_KILL_END},
};

static const struct key_command cell_bindings[] = {
    {SF_KEY_LEFT, SF_CELL_LEFT},
    {SF_KEY_RIGHT, SF_CELL_RIGHT},
};

static const struct key_command box_bindings[] = {
    {SF_KEY_UP, SF_BOX_PREV}, {'k', SF_BOX_PREV},           {SF_KEY_DOWN, SF_BOX_NEXT},
    {'j', SF_BOX_NEXT},       {SF_KEY_TAB, SF_BOX_NEXT},    {SF_KEY_LEFT, SF_BOX_LESS},
    {'-', SF_BOX_LESS},       {'h', SF_BOX_LESS},           {SF_KEY_RIGHT, SF_BOX_MORE},
    {'+', SF_BOX_MORE},       {'=', SF_BOX_MORE},           {'l', SF_BOX_MORE},
    {' ', SF_BOX_MORE},       {SF_KEY_ENTER, SF_BOX_CLOSE}, {SF_KEY_ESCAPE, SF_BOX_CLOSE},
    {'s', SF_BOX_CLOSE},      {'q', SF_BOX_CLOSE},
};

static const struct key_command pick_bindings[] = {
    {SF_KEY_UP, SF_PICK_UP},       {SF_KEY_DOWN, SF_PICK_DOWN},  {SF_KEY_LEFT, SF_PICK_LEFT},
    {SF_KEY_RIGHT, SF_PICK_RIGHT}, {SF_KEY_ENTER, SF_PICK_OPEN}, {'1', SF_PICK_RANK},
    {'2', SF_PICK_RANK},           {'3', SF_PICK_RANK},          {'4', SF_PICK_RANK},
    {'5', SF_PICK_RANK},           {'6', SF_PICK_RANK},          {'7', SF_PICK_RANK},
    {'8', SF_PICK_RANK},           {'9', SF_PICK_RANK},
};

static const struct key_command lesson_bindings[] = {
    {' ', SF_BEAT_NEXT},
    {SF_KEY_PAGE_DOWN, SF_BEAT_NEXT},
    {SF_KEY_BACKSPACE, SF_BEAT_BACK},
    {SF_KEY_PAGE_UP, SF_BEAT_BACK},
    {SF_KEY_ENTER, SF_BEAT_ANSWER},
    {']', SF_BEAT_SCROLL_DOWN},
    {'[', SF_BEAT_SCROLL_UP},
};

// A presentation clicker sends PgDn / PgUp or the arrows.
static const struct key_command present_bindings[] = {
    {' ', SF_BEAT_NEXT},
    {SF_KEY_PAGE_DOWN, SF_BEAT_NEXT},
    {SF_KEY_RIGHT, SF_BEAT_NEXT},
    {SF_KEY_DOWN, SF_BEAT_NEXT},
    {SF_KEY_ENTER, SF_BEAT_NEXT},
    {SF_KEY_BACKSPACE, SF_BEAT_BACK},
    {SF_KEY_PAGE_UP, SF_BEAT_BACK},
    {SF_KEY_LEFT, SF_BEAT_BACK},
    {SF_KEY_UP, SF_BEAT_BACK},
    {'q', SF_BEAT_QUIT},
    {SF_KEY_ESCAPE, SF_BEAT_QUIT},
    {']', SF_BEAT_SCROLL_DOWN},
    {'[', SF_BEAT_SCROLL_UP},
};

// Space runs and pauses as r does on the screen; the layer and head keys are the screen's.
static const struct key_command learn_bindings[] = {
    {' ', SF_LEARN_RUN_PAUSE},     {'r', SF_LEARN_RUN_PAUSE},     {'.', SF_LEARN_STEP},
    {SF_KEY_RIGHT, SF_LEARN_STEP}, {SF_KEY_ENTER, SF_LEARN_OPEN}, {'t', SF_LEARN_TRAIN_VIEW},
    {'W', SF_LEARN_BACK},          {'l', SF_LEARN_LAYER_NEXT},    {'L', SF_LEARN_LAYER_PREV},
    {'h', SF_LEARN_HEAD_NEXT},     {'H', SF_LEARN_HEAD_PREV},     {'a', SF_LEARN_AUTO_HEAD},
    {'c', SF_LEARN_NUMBERS},       {'S', SF_LEARN_SAVE},
};

#define N_OF(t) (sizeof t / sizeof t[0])

// The contexts other than the screen's (whose table is typed by its enum).
static const struct {
    const char *title;
    const struct key_command *bindings;
    size_t n;
    const char *const *helps;
    int count;
} contexts[KEYMAP_CONTEXT_COUNT] = {
    [KEYMAP_SCREEN] = {"The step-through screen", NULL, 0, action_helps, SF_ACTION_COUNT},
    [KEYMAP_EDIT] = {"Typing: goto, the prompt, a sampling value, an answer", edit_bindings,
                     N_OF(edit_bindings), edit_helps, SF_EDIT_COUNT},
    [KEYMAP_CELL] = {"Inspecting", cell_bindings, N_OF(cell_bindings), cell_helps, SF_CELL_COUNT},
    [KEYMAP_BOX] = {"Sampling box (a digit types a number)", box_bindings, N_OF(box_bindings),
                    box_helps, SF_BOX_COUNT},
    [KEYMAP_LESSON] = {"Lesson (a letter picks a choice)", lesson_bindings, N_OF(lesson_bindings),
                       beat_helps, SF_BEAT_COUNT},
    [KEYMAP_PRESENT] = {"Presenting a lesson", present_bindings, N_OF(present_bindings), beat_helps,
                        SF_BEAT_COUNT},
    [KEYMAP_PICK] = {"Model view, head finder, head view (when selected)", pick_bindings,
                     N_OF(pick_bindings), pick_helps, SF_PICK_COUNT},
    [KEYMAP_LEARN] = {"Learn view (? and q as on the screen)", learn_bindings, N_OF(learn_bindings),
                      learn_helps, SF_LEARN_COUNT},
};

// The number of bindings of context c, and binding i (its command; its key in *key).
static size_t n_bindings(enum keymap_context c)
{
    return c == KEYMAP_SCREEN ? N_OF(bindings) : contexts[c].n;
}

static int binding(enum keymap_context c, size_t i, int *key)
{
    if (c == KEYMAP_SCREEN) {
        *key = bindings[i].key;
        return (int)bindings[i].action;
    }
    *key = contexts[c].bindings[i].key;
    return contexts[c].bindings[i].command;
}

static int valid_context(enum keymap_context c)
{
    return c >= 0 && c < KEYMAP_CONTEXT_COUNT;
}

int keymap_command(enum keymap_context c, int key)
{
    if (!valid_context(c))
        return 0;
    for (size_t i = 0; i < n_bindings(c); i++) {
        int k, cmd = binding(c, i, &k);
        if (k == key)
            return cmd;
    }
    return 0;
}

int keymap_commands(enum keymap_context c)
{
    return valid_context(c) ? contexts[c].count - 1 : 0;
}

const char *keymap_command_help(enum keymap_context c, int command)
{
    if (!valid_context(c) || command < 0 || command >= contexts[c].count)
        return "";
    return contexts[c].helps[command];
}

const char *keymap_context_title(enum keymap_context c)
{
    return valid_context(c) ? contexts[c].title : "";
}

const struct key_command *keymap_context_bindings(enum keymap_context c, size_t *count)
{
    *count = valid_context(c) && c != KEYMAP_SCREEN ? contexts[c].n : 0;
    return *count ? contexts[c].bindings : NULL;
}

const char *keymap_command_line(enum keymap_context c, int command, char *buf, size_t size)
{
    char keys[64] = "", label[16];
    size_t o = 0;
    for (size_t i = 0; valid_context(c) && i < n_bindings(c); i++) {
        int k;
        if (binding(c, i, &k) == command && o < sizeof keys)
            o += (size_t)snprintf(keys + o, sizeof keys - o, "%s%s", o ? " " : "",
                                  keymap_key_label(k, label, sizeof label));
    }
    snprintf(buf, size, "%-22s %s", keys, keymap_command_help(c, command));
    return buf;
}

enum sf_action keymap_action(int key)
{
    return (enum sf_action)keymap_command(KEYMAP_SCREEN, key);
}

const char *keymap_action_name(enum sf_action a)
{
    return (a >= 0 && a < SF_ACTION_COUNT) ? action_names[a] : "?";
}

const char *keymap_action_help(enum sf_action a)
{
    return keymap_command_help(KEYMAP_SCREEN, (int)a);
}

const struct key_binding *keymap_bindings(size_t *count)
{
    *count = N_OF(bindings);
    return bindings;
}

const char *keymap_key_label(int key, char *buf, size_t size)
{
    static const struct {
        int key;
        const char *label;
    } named[] = {{' ', "Space"},
                 {SF_KEY_UP, "Up"},
                 {SF_KEY_DOWN, "Down"},
                 {SF_KEY_LEFT, "Left"},
                 {SF_KEY_RIGHT, "Right"},
                 {SF_KEY_HOME, "Home"},
                 {SF_KEY_END, "End"},
                 {SF_KEY_PAGE_UP, "PgUp"},
                 {SF_KEY_PAGE_DOWN, "PgDn"},
                 {SF_KEY_BACKSPACE, "Backspace"},
                 {SF_KEY_DELETE, "Del"},
                 {SF_KEY_TAB, "Tab"},
                 {SF_KEY_ENTER, "Enter"},
                 {SF_KEY_ESCAPE, "Esc"}};
    for (size_t i = 0; i < N_OF(named); i++)
        if (named[i].key == key) {
            snprintf(buf, size, "%s", named[i].label);
            return buf;
        }
    if (key >= 1 && key <= 26)
        snprintf(buf, size, "Ctrl-%c", 'A' + key - 1);
    else
        snprintf(buf, size, "%c", key > 32 && key < 127 ? key : '?');
    return buf;
}

const char *keymap_help_line(enum sf_action a, char *buf, size_t size)
{
    return keymap_command_line(KEYMAP_SCREEN, (int)a, buf, size);
}
