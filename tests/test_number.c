/* Tests of src/number.c: which texts are plain decimal numbers. Exact: each
 * case states where the scan must stop (or that it must refuse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "number.h"

static void test_accepted_numbers_are_skipped_whole(void **state)
{
    (void)state;
    const char *numbers[] = {"0", "42", "3.", ".5", "0.25", "1e3", "1E-3", "2.5e+10", "007"};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        const char *end = number_skip_decimal(numbers[i]);
        assert_non_null(end);
        assert_int_equal(end - numbers[i], strlen(numbers[i]));
    }
}

static void test_scan_stops_after_the_number(void **state)
{
    (void)state;
    const char *text = "12.5e3,7";
    assert_ptr_equal(number_skip_decimal(text), text + 6);
    text = "1x";
    assert_ptr_equal(number_skip_decimal(text), text + 1);
}

static void test_refused(void **state)
{
    (void)state;
    /* No digits, an exponent without digits, a sign (the caller's), words. */
    const char *refused[] = {"", ".", "e3", "1e", "1e+", "-1", "+1", "nan", "inf", "x1p3"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_null(number_skip_decimal(refused[i]));
}

static void test_digits_are_ascii_only(void **state)
{
    (void)state;
    assert_true(number_is_digit('0'));
    assert_true(number_is_digit('9'));
    assert_false(number_is_digit('a'));
    assert_false(number_is_digit('/'));
    assert_false(number_is_digit(':'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_numbers_are_skipped_whole),
        cmocka_unit_test(test_scan_stops_after_the_number),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_digits_are_ascii_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
