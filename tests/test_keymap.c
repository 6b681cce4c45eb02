// Tests of the key table: the defaults users guess, one action per key, every action
// reachable and described in the help.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keymap_defaults_a_user_can_guess),
        cmocka_unit_test(test_keymap_one_action_per_key_and_every_action_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
