/* Tests of src/lock.c: one writer per results file. flock(2) locks belong to
 * an open file description, so a second acquire in the same process
 * conflicts exactly as a second process would. Exact messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"

#include "temp_folder.h"

static bool exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

static void test_second_writer_refused_until_release(void **state)
{
    (void)state;
    char path[512], lock_path[520], expected[700];
    snprintf(path, sizeof path, "%s/out.h5", temp_folder);
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    output_lock *first = NULL, *second = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(path, &first, &err), 0);
    assert_true(exists(lock_path));

    assert_int_equal(output_lock_acquire(path, &second, &err), -1);
    assert_null(second);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    snprintf(expected, sizeof expected,
             "%s: another sweep (pid %ld) is writing it; wait for it or use -o", path,
             (long)getpid());
    assert_string_equal(err.message, expected);

    output_lock_release(first);
    assert_false(exists(lock_path));   /* no clutter left behind */
    assert_int_equal(output_lock_acquire(path, &second, &err), 0);
    output_lock_release(second);
}

/* A lock file left by a killed sweep (no process holds it) is taken over. */
static void test_stale_lock_file_taken_over(void **state)
{
    (void)state;
    char path[512], lock_path[520];
    snprintf(path, sizeof path, "%s/stale.h5", temp_folder);
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    FILE *stale = fopen(lock_path, "w");
    assert_non_null(stale);
    fputs("999999\n", stale);
    fclose(stale);
    output_lock *lock = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(path, &lock, &err), 0);
    output_lock_release(lock);
}

/* Different outputs in one folder do not exclude each other; missing
 * folders are created. */
static void test_outputs_are_independent(void **state)
{
    (void)state;
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/new/sub/a.h5", temp_folder);
    snprintf(b, sizeof b, "%s/new/sub/b.h5", temp_folder);
    output_lock *lock_a = NULL, *lock_b = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(a, &lock_a, &err), 0);
    assert_int_equal(output_lock_acquire(b, &lock_b, &err), 0);
    output_lock_release(lock_a);
    output_lock_release(lock_b);
    output_lock_release(NULL);
}

static void test_unwritable_folder_reported(void **state)
{
    (void)state;
    output_lock *lock = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire("/proc/sweep_test/x.h5", &lock, &err), -1);
    assert_null(lock);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    assert_string_equal(err.message,
                        "cannot create folder /proc/sweep_test: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_writer_refused_until_release),
        cmocka_unit_test(test_stale_lock_file_taken_over),
        cmocka_unit_test(test_outputs_are_independent),
        cmocka_unit_test(test_unwritable_folder_reported),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
