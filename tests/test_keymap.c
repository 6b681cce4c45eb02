// Tests of the key tables: the defaults users guess, one action per key in each context, every
// action reachable and described in the help.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stepformer/keymap.h"

static void test_keymap_defaults_a_user_can_guess(void **state)
{
    (void)state;
    const struct {
        int key;
        enum sf_action action;
    } want[] = {{' ', SF_ACTION_STEP},
                {SF_KEY_RIGHT, SF_ACTION_STEP},
                {SF_KEY_BACKSPACE, SF_ACTION_BACK},
                {SF_KEY_LEFT, SF_ACTION_BACK},
                {'n', SF_ACTION_NEXT_SUBLAYER},
                {'N', SF_ACTION_NEXT_BLOCK},
                {'g', SF_ACTION_GOTO},
                {SF_KEY_END, SF_ACTION_RUN_TO_END},
                {'G', SF_ACTION_RUN_TO_END},
                {SF_KEY_HOME, SF_ACTION_RESTART},
                {SF_KEY_TAB, SF_ACTION_NEXT_PANEL},
                {'z', SF_ACTION_ZOOM},
                {'?', SF_ACTION_HELP},
                {'q', SF_ACTION_QUIT},
                {SF_KEY_PAGE_DOWN, SF_ACTION_STEP},
                {SF_KEY_PAGE_UP, SF_ACTION_BACK}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(keymap_action(want[i].key), want[i].action);
    assert_int_equal(keymap_action('#'), SF_ACTION_NONE);
}

static void test_keymap_one_action_per_key_and_every_action_bound(void **state)
{
    (void)state;
    size_t n;
    const struct key_binding *b = keymap_bindings(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_true(b[i].key != b[j].key);
    char line[160];
    for (int a = 1; a < SF_ACTION_COUNT; a++) {
        int bound = 0;
        for (size_t i = 0; i < n; i++)
            bound |= b[i].action == (enum sf_action)a;
        assert_true(bound);
        keymap_help_line((enum sf_action)a, line, sizeof line);
        assert_true(strlen(keymap_action_help((enum sf_action)a)) > 3);
        assert_non_null(strstr(line, keymap_action_help((enum sf_action)a)));
    }
    assert_string_equal(keymap_help_line(SF_ACTION_STEP, line, sizeof line),
                        "Space Right PgDn       run the next operation");
}

// Every context: a key means one thing in it, each of its commands has keys (but where the
// context has no use for one: presenting takes no typed answer, lesson mode leaves q to the
// screen), and its help line names them.
static void test_keymap_contexts_bind_every_command_once(void **state)
{
    (void)state;
    char line[160];
    for (int c = KEYMAP_EDIT; c < KEYMAP_CONTEXT_COUNT; c++) {
        size_t n;
        const struct key_command *b = keymap_context_bindings((enum keymap_context)c, &n);
        assert_true(n > 0);
        assert_true(strlen(keymap_context_title((enum keymap_context)c)) > 3);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = i + 1; j < n; j++)
                assert_true(b[i].key != b[j].key);
            assert_int_equal(keymap_command((enum keymap_context)c, b[i].key), b[i].command);
        }
        for (int cmd = 1; cmd <= keymap_commands((enum keymap_context)c); cmd++) {
            int bound = 0;
            for (size_t i = 0; i < n; i++)
                bound |= b[i].command == cmd;
            int unused = (c == KEYMAP_PRESENT && cmd == SF_BEAT_ANSWER) ||
                         (c == KEYMAP_LESSON && cmd == SF_BEAT_QUIT);
            assert_int_equal(bound, !unused);
            keymap_command_line((enum keymap_context)c, cmd, line, sizeof line);
            assert_non_null(strstr(line, keymap_command_help((enum keymap_context)c, cmd)));
        }
        assert_int_equal(keymap_command((enum keymap_context)c, '#'), 0);
    }
    assert_int_equal(keymap_commands(KEYMAP_SCREEN), SF_ACTION_COUNT - 1);
    assert_int_equal(keymap_commands(KEYMAP_EDIT), SF_EDIT_COUNT - 1);
}

// The keys of a line editor as a shell has them.
static void test_keymap_typing_keys(void **state)
{
    (void)state;
    const struct {
        int key;
        enum sf_edit edit;
    } want[] = {{SF_KEY_ENTER, SF_EDIT_ACCEPT},     {SF_KEY_ESCAPE, SF_EDIT_CANCEL},
                {SF_KEY_TAB, SF_EDIT_COMPLETE},     {SF_KEY_LEFT, SF_EDIT_LEFT},
                {SF_KEY_RIGHT, SF_EDIT_RIGHT},      {SF_KEY_HOME, SF_EDIT_HOME},
                {SF_KEY_CTRL_A, SF_EDIT_HOME},      {SF_KEY_END, SF_EDIT_END},
                {SF_KEY_CTRL_E, SF_EDIT_END},       {SF_KEY_BACKSPACE, SF_EDIT_BACKSPACE},
                {SF_KEY_DELETE, SF_EDIT_DELETE},    {SF_KEY_CTRL_U, SF_EDIT_KILL_START},
                {SF_KEY_CTRL_W, SF_EDIT_KILL_WORD}, {SF_KEY_CTRL_K, SF_EDIT_KILL_END}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(keymap_command(KEYMAP_EDIT, want[i].key), want[i].edit);
    assert_int_equal(keymap_command(KEYMAP_EDIT, 'a'), SF_EDIT_NONE); // characters are typed
    assert_int_equal(keymap_command(KEYMAP_CELL, SF_KEY_RIGHT), SF_CELL_RIGHT);
    assert_int_equal(keymap_action(SF_KEY_ESCAPE), SF_ACTION_CANCEL);
    char label[16], line[160];
    assert_string_equal(keymap_key_label(SF_KEY_CTRL_U, label, sizeof label), "Ctrl-U");
    assert_string_equal(keymap_key_label(SF_KEY_DELETE, label, sizeof label), "Del");
    assert_string_equal(keymap_command_line(KEYMAP_EDIT, SF_EDIT_END, line, sizeof line),
                        "End Ctrl-E             the cursor to the end of the line");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keymap_defaults_a_user_can_guess),
        cmocka_unit_test(test_keymap_one_action_per_key_and_every_action_bound),
        cmocka_unit_test(test_keymap_contexts_bind_every_command_once),
        cmocka_unit_test(test_keymap_typing_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
