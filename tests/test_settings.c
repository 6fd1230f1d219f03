/* test_settings.c: the table of sweep-wide settings (src/settings.c).
 *
 * The words are compared as whole strings; bounds are checked exactly at
 * and one past each end (whole numbers, exact as doubles; LLONG_MAX is not,
 * so its neighbourhood is checked at 2^63, which must be refused).
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "settings.h"

static void test_words_of_threads(void **state)
{
    (void)state;
    char text[160];
    settings_expected(SETTING_THREADS, text, sizeof text);
    assert_string_equal(text, "a whole number in 0..4096");
    settings_rule(SETTING_THREADS, text, sizeof text);
    assert_string_equal(text, "must be a whole number in 0..4096 (0 = all cores)");
    /* Without a note the rule ends at the range. */
    settings_rule(SETTING_MAX_RUNS, text, sizeof text);
    assert_string_equal(text, "must be a whole number in 1..9223372036854775807");
}

static void test_threads_bounds(void **state)
{
    (void)state;
    const setting_info *info = &SETTING_INFO[SETTING_THREADS];
    assert_true(settings_allows(SETTING_THREADS, (double)info->min));
    assert_true(settings_allows(SETTING_THREADS, (double)info->max));
    assert_false(settings_allows(SETTING_THREADS, (double)info->min - 1));
    assert_false(settings_allows(SETTING_THREADS, (double)info->max + 1));
    assert_false(settings_allows(SETTING_THREADS, 2.5));
    assert_false(settings_allows(SETTING_THREADS, NAN));
    assert_false(settings_allows(SETTING_THREADS, INFINITY));
    assert_false(settings_allows(SETTING_THREADS, -INFINITY));
}

static void test_max_runs_bounds(void **state)
{
    (void)state;
    assert_false(settings_allows(SETTING_MAX_RUNS, 0));
    assert_true(settings_allows(SETTING_MAX_RUNS, 1));
    assert_true(settings_allows(SETTING_MAX_RUNS, 4611686018427387904.0));  /* 2^62 */
    assert_false(settings_allows(SETTING_MAX_RUNS, 9223372036854775808.0)); /* 2^63 */
    assert_true(CONFIG_DEFAULT_MAX_RUNS >= SETTING_INFO[SETTING_MAX_RUNS].min);
}

static void test_every_setting_is_named(void **state)
{
    (void)state;
    for (int id = 0; id < SETTING_COUNT; id++) {
        const setting_info *info = &SETTING_INFO[id];
        assert_non_null(info->name);
        /* read somewhere: from the command line, the config, or both */
        assert_true(info->option != NULL || info->config_key != NULL);
        assert_true(info->min <= info->max);
    }
    assert_string_equal(SETTING_INFO[SETTING_THREADS].config_key, "threads");
    assert_string_equal(SETTING_INFO[SETTING_THREADS].option, "-j");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_of_threads),
        cmocka_unit_test(test_threads_bounds),
        cmocka_unit_test(test_max_runs_bounds),
        cmocka_unit_test(test_every_setting_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
