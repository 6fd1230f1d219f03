/* test_file_read.c: reading whole files (src/file_read.c).
 *
 * Contents are compared byte for byte with what the test wrote (exact);
 * each refusal is checked by its status and the detail it reports (errno,
 * the kind of file, the size). Files are written under a fresh /tmp folder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "file_read.h"
#include "temp_folder.h"

static void write_file(const char *path, const char *bytes, size_t size)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(bytes, 1, size, file), size);
    assert_int_equal(fclose(file), 0);
}

static void temp_path(const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", temp_folder, name);
}

static void test_reads_the_bytes_and_a_closing_nul(void **state)
{
    (void)state;
    char path[512];
    temp_path("data.txt", path, sizeof path);
    const char bytes[] = "a,b\n1,\0002\n"; /* an inner NUL is kept: size says the length */
    write_file(path, bytes, sizeof bytes - 1);
    file_read_options options = {.max_bytes = 1024, .regular_only = true};
    char *text = NULL;
    size_t size = 0;
    file_read_problem problem;
    assert_int_equal(file_read_whole(path, &options, &text, &size, &problem), FILE_READ_OK);
    assert_int_equal(size, sizeof bytes - 1);
    assert_memory_equal(text, bytes, size);
    assert_int_equal(text[size], '\0');
    free(text);
}

/* Larger than the first buffer (4 KiB), so the buffer grows several times. */
static void test_reads_a_file_larger_than_one_buffer(void **state)
{
    (void)state;
    char path[512];
    temp_path("big.txt", path, sizeof path);
    size_t n = 100000;
    char *bytes = malloc(n);
    assert_non_null(bytes);
    for (size_t i = 0; i < n; i++)
        bytes[i] = (char)('a' + i % 26);
    write_file(path, bytes, n);
    file_read_options options = {.max_bytes = n, .regular_only = false};
    char *text = NULL;
    size_t size = 0;
    assert_int_equal(file_read_whole(path, &options, &text, &size, NULL), FILE_READ_OK);
    assert_int_equal(size, n);
    assert_memory_equal(text, bytes, n);
    free(text);
    free(bytes);
}

static void test_empty_file_is_empty_text(void **state)
{
    (void)state;
    char path[512];
    temp_path("empty.txt", path, sizeof path);
    write_file(path, "", 0);
    file_read_options options = {.max_bytes = 10, .regular_only = true};
    char *text = NULL;
    size_t size = 1;
    assert_int_equal(file_read_whole(path, &options, &text, &size, NULL), FILE_READ_OK);
    assert_int_equal(size, 0);
    assert_non_null(text);
    assert_int_equal(text[0], '\0');
    free(text);
}

static void test_missing_file_reports_errno(void **state)
{
    (void)state;
    char path[512];
    temp_path("missing.txt", path, sizeof path);
    file_read_options options = {.max_bytes = 10, .regular_only = false};
    char *text = (char *)path; /* must be reset to NULL */
    size_t size = 1;
    file_read_problem problem;
    assert_int_equal(file_read_whole(path, &options, &text, &size, &problem),
                     FILE_READ_CANNOT_OPEN);
    assert_int_equal(problem.error, ENOENT);
    assert_null(text);
    assert_int_equal(size, 0);
}

/* At the limit is fine, one byte over is not; the size is reported. */
static void test_limit_is_inclusive(void **state)
{
    (void)state;
    char path[512];
    temp_path("ten.txt", path, sizeof path);
    write_file(path, "0123456789", 10);
    char *text = NULL;
    size_t size = 0;
    file_read_problem problem;
    file_read_options options = {.max_bytes = 10, .regular_only = true};
    assert_int_equal(file_read_whole(path, &options, &text, &size, &problem), FILE_READ_OK);
    assert_int_equal(size, 10);
    free(text);
    options.max_bytes = 9;
    assert_int_equal(file_read_whole(path, &options, &text, &size, &problem), FILE_READ_TOO_LARGE);
    assert_int_equal(problem.size, 10);
    assert_null(text);
}

static void test_folder_refused_or_unreadable(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    file_read_problem problem;
    file_read_options options = {.max_bytes = 10, .regular_only = true};
    assert_int_equal(file_read_whole(temp_folder, &options, &text, &size, &problem),
                     FILE_READ_NOT_REGULAR);
    assert_string_equal(problem.kind, "a directory");
    options.regular_only = false;
    assert_int_equal(file_read_whole(temp_folder, &options, &text, &size, &problem),
                     FILE_READ_CANNOT_READ);
    assert_int_equal(problem.error, EISDIR);
    assert_null(text);
}

/* A pipe has no size: without regular_only it is read to its end, and a
 * pipe that brings more than max_bytes is refused once it has. */
static void test_pipe_read_and_limited_while_reading(void **state)
{
    (void)state;
    for (int over = 0; over <= 1; over++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        const char *bytes = over ? "0123456789A" : "0123456789";
        size_t n = strlen(bytes);
        assert_int_equal(write(fds[1], bytes, n), (ssize_t)n);
        assert_int_equal(close(fds[1]), 0);
        char path[64];
        snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
        char *text = NULL;
        size_t size = 0;
        file_read_problem problem;
        file_read_options options = {.max_bytes = 10, .regular_only = false};
        file_read_status status = file_read_whole(path, &options, &text, &size, &problem);
        if (over) {
            assert_int_equal(status, FILE_READ_TOO_LARGE);
            assert_int_equal(problem.size, -1);
            assert_null(text);
        } else {
            assert_int_equal(status, FILE_READ_OK);
            assert_int_equal(size, n);
            assert_memory_equal(text, bytes, n);
        }
        free(text);
        close(fds[0]);
    }
}

static void test_fifo_refused_without_blocking(void **state)
{
    (void)state;
    char path[512];
    temp_path("fifo", path, sizeof path);
    assert_int_equal(mkfifo(path, 0600), 0);
    char *text = NULL;
    size_t size = 0;
    file_read_problem problem;
    file_read_options options = {.max_bytes = 10, .regular_only = true};
    /* No writer: a blocking open would never return. */
    assert_int_equal(file_read_whole(path, &options, &text, &size, &problem),
                     FILE_READ_NOT_REGULAR);
    assert_string_equal(problem.kind, "a FIFO");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_the_bytes_and_a_closing_nul),
        cmocka_unit_test(test_reads_a_file_larger_than_one_buffer),
        cmocka_unit_test(test_empty_file_is_empty_text),
        cmocka_unit_test(test_missing_file_reports_errno),
        cmocka_unit_test(test_limit_is_inclusive),
        cmocka_unit_test(test_folder_refused_or_unreadable),
        cmocka_unit_test(test_pipe_read_and_limited_while_reading),
        cmocka_unit_test(test_fifo_refused_without_blocking),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
