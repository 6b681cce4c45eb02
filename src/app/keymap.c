// The key table: the one place that binds keys to actions, read by input and by the help.
#include "stepformer/keymap.h"

#include <stdio.h>
#include <string.h>

static const char *const action_names[SF_ACTION_COUNT] = {"none",
#define SF_X(name, help) #name,
                                                          SF_ACTION_LIST(SF_X)
#undef SF_X
};

static const char *const action_helps[SF_ACTION_COUNT] = {"",
#define SF_X(name, help) help,
                                                          SF_ACTION_LIST(SF_X)
#undef SF_X
};

// Defaults a user can guess: Space or -> step, Backspace or <- back, n / N next sublayer /
// block, g goto, End or G to the end, Home restart, Tab next panel, z zoom, ? help, q quit.
// PgDn / PgUp step and step back too, so a presentation clicker works.
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
    {'o', SF_ACTION_HEAD_OFF},
    {'p', SF_ACTION_NO_POSITIONS},
    {'c', SF_ACTION_NUMBERS},
    {'P', SF_ACTION_PALETTE},
    {'t', SF_ACTION_TRAIN_VIEW},
    {'?', SF_ACTION_HELP},
    {'q', SF_ACTION_QUIT},
};

#define N_BINDINGS (sizeof bindings / sizeof bindings[0])

enum sf_action keymap_action(int key)
{
    for (size_t i = 0; i < N_BINDINGS; i++)
        if (bindings[i].key == key)
            return bindings[i].action;
    return SF_ACTION_NONE;
}

const char *keymap_action_name(enum sf_action a)
{
    return (a >= 0 && a < SF_ACTION_COUNT) ? action_names[a] : "?";
}

const char *keymap_action_help(enum sf_action a)
{
    return (a >= 0 && a < SF_ACTION_COUNT) ? action_helps[a] : "";
}

const struct key_binding *keymap_bindings(size_t *count)
{
    *count = N_BINDINGS;
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
                 {SF_KEY_TAB, "Tab"},
                 {SF_KEY_ENTER, "Enter"},
                 {SF_KEY_ESCAPE, "Esc"}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (named[i].key == key) {
            snprintf(buf, size, "%s", named[i].label);
            return buf;
        }
    snprintf(buf, size, "%c", key > 32 && key < 127 ? key : '?');
    return buf;
}

const char *keymap_help_line(enum sf_action a, char *buf, size_t size)
{
    char keys[64] = "", label[16];
    size_t o = 0;
    for (size_t i = 0; i < N_BINDINGS; i++)
        if (bindings[i].action == a && o < sizeof keys)
            o += (size_t)snprintf(keys + o, sizeof keys - o, "%s%s", o ? " " : "",
                                  keymap_key_label(bindings[i].key, label, sizeof label));
    snprintf(buf, size, "%-22s %s", keys, keymap_action_help(a));
    return buf;
}
