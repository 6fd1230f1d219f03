/* Tests of src/paths.c: mkdir -p of a file's folder (and its undoing), links
 * followed to the file they lead to, same-file checks. Exact messages and
 * exact paths: no tolerance applies. */
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
    assert_int_not_equal(stat(created, &info), 0); /* the file itself is not made */
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

static bool is_folder(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static void touch(const char *path)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("x\n", file);
    fclose(file);
}

/* A path too deep for the system (longer than PATH_MAX) fails only after
 * about 2,000 folders were made: none of them may stay behind. */
static void test_failed_deep_path_leaves_no_folders(void **state)
{
    (void)state;
    size_t levels = 2100;
    size_t size = strlen(temp_folder) + sizeof "/deep" + 2 * levels + sizeof "out.h5";
    char *path = malloc(size);
    assert_non_null(path);
    int used = snprintf(path, size, "%s/deep/", temp_folder);
    for (size_t level = 0; level < levels; level++)
        used += snprintf(path + used, size - (size_t)used, "a/");
    snprintf(path + used, size - (size_t)used, "out.h5");
    sweep_error err = {0};
    assert_int_equal(paths_make_parent_folders(path, &err), -1);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    /* (The reason, at the end of a 4 KiB path, is past what a message holds.) */
    assert_int_equal(strncmp(err.message, "cannot create folder ", 21), 0);
    char top[600];
    snprintf(top, sizeof top, "%s/deep", temp_folder);
    assert_false(is_folder(top));
    free(path);
}

/* What was made is noted, and removed again up to it; folders that existed
 * before stay, and so does a folder that something else moved into. */
static void test_made_folders_noted_and_removed(void **state)
{
    (void)state;
    char existing[512], path[600], made_expected[600];
    snprintf(existing, sizeof existing, "%s/kept", temp_folder);
    assert_int_equal(mkdir(existing, 0777), 0);
    snprintf(path, sizeof path, "%s/new/sub/out.h5", existing);
    snprintf(made_expected, sizeof made_expected, "%s/new", existing);
    char *made = NULL;
    sweep_error err = {0};
    assert_int_equal(paths_make_parent_folders_noting(path, &made, &err), 0);
    assert_non_null(made);
    assert_string_equal(made, made_expected);
    paths_remove_made_folders(path, made);
    assert_false(is_folder(made_expected));
    assert_true(is_folder(existing));
    free(made);

    /* Nothing made: nothing noted. */
    snprintf(path, sizeof path, "%s/out.h5", existing);
    assert_int_equal(paths_make_parent_folders_noting(path, &made, &err), 0);
    assert_null(made);
    paths_remove_made_folders(path, NULL);

    /* A file appeared in a made folder: it and its parents stay. */
    char file[700];
    snprintf(path, sizeof path, "%s/new/sub/out.h5", existing);
    assert_int_equal(paths_make_parent_folders_noting(path, &made, &err), 0);
    snprintf(file, sizeof file, "%s/new/sub/other", existing);
    touch(file);
    paths_remove_made_folders(path, made);
    assert_true(is_folder(made_expected));
    free(made);
}

static void test_follow_links(void **state)
{
    (void)state;
    char real[512], link[600], chain[512], folder[512], expected[700];
    snprintf(real, sizeof real, "%s/real.h5", temp_folder);
    touch(real);
    char *target = NULL;
    sweep_error err = {0};

    /* Not a link, or missing: itself. */
    assert_int_equal(paths_follow_links(real, &target, &err), 0);
    assert_string_equal(target, real);
    free(target);
    snprintf(link, sizeof link, "%s/missing.h5", temp_folder);
    assert_int_equal(paths_follow_links(link, &target, &err), 0);
    assert_string_equal(target, link);
    free(target);

    /* A relative target is taken from the link's folder; chains are
     * followed to the end. */
    snprintf(folder, sizeof folder, "%s/links", temp_folder);
    assert_int_equal(mkdir(folder, 0777), 0);
    snprintf(link, sizeof link, "%s/link.h5", folder);
    assert_int_equal(symlink("../real.h5", link), 0);
    snprintf(chain, sizeof chain, "%s/chain.h5", temp_folder);
    assert_int_equal(symlink("links/link.h5", chain), 0);
    assert_int_equal(paths_follow_links(chain, &target, &err), 0);
    snprintf(expected, sizeof expected, "%s/links/../real.h5", temp_folder);
    assert_string_equal(target, expected);
    free(target);

    /* An absolute target. */
    snprintf(link, sizeof link, "%s/absolute.h5", temp_folder);
    assert_int_equal(symlink(real, link), 0);
    assert_int_equal(paths_follow_links(link, &target, &err), 0);
    assert_string_equal(target, real);
    free(target);
}

static void test_dangling_and_looping_links_refused(void **state)
{
    (void)state;
    char link[512], other[512], expected[900];
    snprintf(link, sizeof link, "%s/dangling.h5", temp_folder);
    assert_int_equal(symlink("nowhere/x.h5", link), 0);
    char *target = (char *)link;
    sweep_error err = {0};
    assert_int_equal(paths_follow_links(link, &target, &err), -1);
    assert_null(target);
    assert_int_equal(err.kind, ERROR_INPUT);
    snprintf(expected, sizeof expected,
             "%s: a symbolic link to a missing file (%s/nowhere/x.h5); "
             "sweep writes through a link only into an existing file",
             link, temp_folder);
    assert_string_equal(err.message, expected);

    snprintf(link, sizeof link, "%s/loop_a", temp_folder);
    snprintf(other, sizeof other, "%s/loop_b", temp_folder);
    assert_int_equal(symlink("loop_b", link), 0);
    assert_int_equal(symlink("loop_a", other), 0);
    assert_int_equal(paths_follow_links(link, &target, &err), -1);
    snprintf(expected, sizeof expected, "%s: too many levels of symbolic links", link);
    assert_string_equal(err.message, expected);
}

static void test_same_file(void **state)
{
    (void)state;
    char a[512], b[512], link[512], missing[512];
    snprintf(a, sizeof a, "%s/same_a", temp_folder);
    snprintf(b, sizeof b, "%s/same_b", temp_folder);
    snprintf(link, sizeof link, "%s/same_link", temp_folder);
    snprintf(missing, sizeof missing, "%s/same_missing", temp_folder);
    touch(a);
    touch(b);
    assert_int_equal(symlink("same_a", link), 0);
    assert_true(paths_same_file(a, link));
    assert_true(paths_same_file(a, a));
    assert_false(paths_same_file(a, b));
    assert_false(paths_same_file(a, missing));
    assert_false(paths_same_file(missing, missing));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creates_every_missing_level),
        cmocka_unit_test(test_plain_name_needs_nothing),
        cmocka_unit_test(test_file_in_the_way_reported),
        cmocka_unit_test(test_failed_deep_path_leaves_no_folders),
        cmocka_unit_test(test_made_folders_noted_and_removed),
        cmocka_unit_test(test_follow_links),
        cmocka_unit_test(test_dangling_and_looping_links_refused),
        cmocka_unit_test(test_same_file),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
