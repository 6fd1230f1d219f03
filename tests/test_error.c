/* Tests of src/error.c: what an error message keeps when it is long and how it
 * shows bytes a terminal would act on. Exact string comparisons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "error.h"

/* A path of 3,000 bytes: the message keeps its start (the path's first
 * folders) and its end (the reason), with "…" in place of the middle. */
static void test_long_message_keeps_its_end(void **state)
{
    (void)state;
    static char path[3001];
    memset(path, 'd', sizeof path - 1);
    memcpy(path, "/first/", 7);
    memcpy(path + sizeof path - 1 - 9, "/last.csv", 9);
    sweep_error err = {0};
    error_set(&err, ERROR_INPUT, "%s: cannot open: %s", path, "No such file or directory");
    size_t length = strlen(err.message);
    assert_true(length <= sizeof err.message - 1);
    assert_true(length >= sizeof err.message - 8);
    assert_memory_equal(err.message, "/first/ddd", 10);
    const char *end = "ddd/last.csv: cannot open: No such file or directory";
    assert_string_equal(err.message + length - strlen(end), end);
    assert_non_null(strstr(err.message, "d\xE2\x80\xA6"
                                        "d"));
    /* A message that fits is not touched. */
    error_set(&err, ERROR_INPUT, "%s", "short: reason");
    assert_string_equal(err.message, "short: reason");
}

/* Control bytes, C1 controls, bidirectional overrides and invalid UTF-8 are
 * shown as \xNN; printable UTF-8 (Korean, ±, é) is kept. */
static void test_unprintable_bytes_are_escaped(void **state)
{
    (void)state;
    sweep_error err = {0};
    error_set(&err, ERROR_INPUT, "a.csv:1: column '%s' is bad", "x\x1b[31mred\x07\ty");
    assert_string_equal(err.message, "a.csv:1: column 'x\\x1B[31mred\\x07\\x09y' is bad");
    error_set(&err, ERROR_INPUT, "%s",
              "\xC2\x9B"
              "2J \xE2\x80\xAE"
              "abc \x7F");
    assert_string_equal(err.message, "\\xC2\\x9B2J \\xE2\\x80\\xAEabc \\x7F");
    error_set(&err, ERROR_INPUT, "%s", "bad \xFF\xC3 lone \xED\xA0\x80 overlong \xC0\xAF");
    assert_string_equal(err.message, "bad \\xFF\\xC3 lone \\xED\\xA0\\x80 overlong \\xC0\\xAF");
    error_set(&err, ERROR_INPUT, "%s", "딥러닝 ± é \xF0\x9F\x98\x80");
    assert_string_equal(err.message, "딥러닝 ± é \xF0\x9F\x98\x80");
}

/* Shortening counts the escaped width and never splits an escape or a
 * character. */
static void test_shortening_respects_units(void **state)
{
    (void)state;
    char out[16];
    error_printable("\x01\x02\x03\x04\x05\x06\x07\x08", out, sizeof out);
    /* 8 escapes of 4 bytes in 15 bytes of room: 6 for the head, 3 for "…" and
     * 6 for the tail, so one whole escape on each side. */
    assert_string_equal(out, "\\x01\xE2\x80\xA6\\x08");
    error_printable("ééééééééééé", out, sizeof out);
    assert_string_equal(out, "ééé\xE2\x80\xA6ééé");
    error_printable("fits", out, sizeof out);
    assert_string_equal(out, "fits");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_message_keeps_its_end),
        cmocka_unit_test(test_unprintable_bytes_are_escaped),
        cmocka_unit_test(test_shortening_respects_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
