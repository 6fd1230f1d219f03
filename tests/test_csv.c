/* test_csv.c: the plain CSV reader (src/csv.c).
 *
 * Every check is exact: field text, line numbers and messages are compared
 * with strcmp / integer equality against the values written here by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Read all rows of `text` and render them as "line:[f1|f2]" joined by " ",
 * so one string comparison checks fields, trimming and line numbers. */
static int render_rows(const char *text, size_t size, char *out, size_t out_size, sweep_error *err)
{
    csv_reader reader;
    int status = -1;
    size_t used = 0;
    out[0] = '\0';
    if (csv_reader_open(&reader, text, size, "t.csv", err) != 0)
        goto cleanup;
    for (;;) {
        bool got_row = false;
        if (csv_next_row(&reader, &got_row, err) != 0)
            goto cleanup;
        if (!got_row)
            break;
        used +=
            (size_t)snprintf(out + used, out_size - used, "%s%zu:[", used ? " " : "", reader.line);
        for (size_t i = 0; i < reader.n_fields; i++)
            used += (size_t)snprintf(out + used, out_size - used, "%s%s", i ? "|" : "",
                                     reader.fields[i]);
        used += (size_t)snprintf(out + used, out_size - used, "]");
        assert_true(used < out_size);
    }
    status = 0;
cleanup:
    csv_reader_close(&reader);
    return status;
}

static void check_rows(const char *text, size_t size, const char *expected)
{
    char rendered[512];
    sweep_error err;
    error_clear(&err);
    assert_int_equal(render_rows(text, size, rendered, sizeof rendered, &err), 0);
    assert_string_equal(rendered, expected);
}

static void check_error(const char *text, size_t size, const char *expected)
{
    char rendered[512];
    sweep_error err;
    error_clear(&err);
    assert_int_equal(render_rows(text, size, rendered, sizeof rendered, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, expected);
}

#define ROWS(text, expected) check_rows(text, sizeof(text) - 1, expected)
#define FAILS(text, expected) check_error(text, sizeof(text) - 1, expected)

static void test_line_endings(void **state)
{
    (void)state;
    const char *both = "1:[a|b] 2:[1|2]";
    ROWS("a,b\n1,2\n", both);
    ROWS("a,b\n1,2", both);       /* no final newline */
    ROWS("a,b\r\n1,2\r\n", both); /* CRLF */
    ROWS("a,b\r\n1,2", both);
    ROWS("a,b\n1,2\n\n", both);         /* blank last line */
    ROWS("a,b\n1,2\n  \r\n\t\n", both); /* whitespace-only last lines */
}

static void test_blank_lines_keep_line_numbers(void **state)
{
    (void)state;
    ROWS("\n\na,b\n\n1,2\n", "3:[a|b] 5:[1|2]");
}

static void test_trimming_and_empty_fields(void **state)
{
    (void)state;
    ROWS(" a ,\tb\t\n 1 , 2 \n", "1:[a|b] 2:[1|2]");
    ROWS("a,,b\n,,\n", "1:[a||b] 2:[||]");
}

static void test_byte_order_mark_skipped(void **state)
{
    (void)state;
    ROWS("\xEF\xBB\xBF"
         "a,b\n1,2\n",
         "1:[a|b] 2:[1|2]");
}

static void test_empty_text_has_no_rows(void **state)
{
    (void)state;
    ROWS("", "");
    ROWS("\n\r\n \n", "");
}

static void test_text_need_not_end_in_nul(void **state)
{
    (void)state;
    /* The reader copies `size` bytes; the byte after them is never read
     * (ASan would flag it: the buffer is exactly 3 bytes). */
    char *exact = malloc(3);
    assert_non_null(exact);
    memcpy(exact, "a,b", 3);
    check_rows(exact, 3, "1:[a|b]");
    free(exact);
}

static void test_errors(void **state)
{
    (void)state;
    FAILS("a,b\n1,\"2\"\n",
          "t.csv:2: quoted fields are not supported (found '\"' at character 3); write plain "
          "numbers and names separated by commas");
    FAILS("a,b\n1\r2,3\n",
          "t.csv:2: carriage return inside a line at character 2 (only \\n and \\r\\n line "
          "endings are supported)");
    FAILS("a,b\n1,2\n3,\0"
          "4\n",
          "t.csv:3: NUL byte at character 3 (this does not look like a text file)");
    FAILS("\0", "t.csv:1: NUL byte at character 1 (this does not look like a text file)");
}

static void test_long_line(void **state)
{
    (void)state;
    /* 200001 fields on one 400001-byte line: no fixed-size buffers. */
    size_t n_fields = 200001, size = 2 * n_fields - 1;
    char *text = malloc(size);
    assert_non_null(text);
    for (size_t i = 0; i < size; i++)
        text[i] = i % 2 ? ',' : '7';
    csv_reader reader;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(csv_reader_open(&reader, text, size, "t.csv", &err), 0);
    bool got_row = false;
    assert_int_equal(csv_next_row(&reader, &got_row, &err), 0);
    assert_true(got_row);
    assert_int_equal(reader.n_fields, n_fields);
    assert_string_equal(reader.fields[n_fields - 1], "7");
    assert_int_equal(csv_next_row(&reader, &got_row, &err), 0);
    assert_false(got_row);
    csv_reader_close(&reader);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_blank_lines_keep_line_numbers),
        cmocka_unit_test(test_trimming_and_empty_fields),
        cmocka_unit_test(test_byte_order_mark_skipped),
        cmocka_unit_test(test_empty_text_has_no_rows),
        cmocka_unit_test(test_text_need_not_end_in_nul),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_long_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
