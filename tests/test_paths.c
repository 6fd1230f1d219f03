/* Tests of src/paths.c: mkdir -p of a file's folder. Exact messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

#include "temp_folder.h"

static void test_creates_every_missing_level(void **state)
{
    (void)state;
    char path[512], created[512];
    snprintf(path, sizeof path, "%s/a/b//c/out.h5", temp_folder);
    sweep_error err = {0};
    assert_int_equal(paths_make_parent_folders(path, &err), 0);
    snprintf(created, sizeof created, "%s/a/b/c", temp_folder);
    struct stat info;
    assert_int_equal(stat(created, &info), 0);
    assert_true(S_ISDIR(info.st_mode));
    snprintf(created, sizeof created, "%s/a/b/c/out.h5", temp_folder);
    assert_int_not_equal(stat(created, &info), 0);   /* the file itself is not made */
    /* Again: nothing to do. */
    assert_int_equal(paths_make_parent_folders(path, &err), 0);
}

static void test_plain_name_needs_nothing(void **state)
{
    (void)state;
    sweep_error err = {0};
    assert_int_equal(paths_make_parent_folders("out.h5", &err), 0);
    assert_int_equal(paths_make_parent_folders("/out.h5", &err), 0);
}

static void test_file_in_the_way_reported(void **state)
{
    (void)state;
    char blocker[512], path[600], expected[700];
    snprintf(blocker, sizeof blocker, "%s/plain_file", temp_folder);
    FILE *file = fopen(blocker, "w");
    assert_non_null(file);
    fclose(file);
    snprintf(path, sizeof path, "%s/sub/out.h5", blocker);
    sweep_error err = {0};
    assert_int_equal(paths_make_parent_folders(path, &err), -1);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    snprintf(expected, sizeof expected, "cannot create folder %s/sub: Not a directory", blocker);
    assert_string_equal(err.message, expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creates_every_missing_level),
        cmocka_unit_test(test_plain_name_needs_nothing),
        cmocka_unit_test(test_file_in_the_way_reported),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
