/* Tests of src/lock.c: one writer per results file. flock(2) locks belong to
 * an open file description, so a second acquire in the same process
 * conflicts exactly as a second process would. Exact messages, and files
 * planted at the lock's name compared byte for byte: no tolerance. */
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
    assert_false(exists(lock_path)); /* no clutter left behind */
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

static const char VICTIM_TEXT[] = "someone else's file: must not change\n";

static void write_victim(const char *path)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(VICTIM_TEXT, file);
    fclose(file);
}

static void assert_victim_unchanged(const char *path)
{
    char text[256] = "";
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    size_t n = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[n] = '\0';
    assert_string_equal(text, VICTIM_TEXT);
}

/* A symbolic link planted at OUT.lock (by anyone who can write to the
 * output's folder) must not make the lock truncate and write its target. */
static void test_link_planted_at_lock_name_left_alone(void **state)
{
    (void)state;
    char path[512], lock_path[520], victim[512];
    snprintf(path, sizeof path, "%s/planted.h5", temp_folder);
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    snprintf(victim, sizeof victim, "%s/victim_of_symlink", temp_folder);
    write_victim(victim);
    assert_int_equal(symlink(victim, lock_path), 0);
    output_lock *lock = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(path, &lock, &err), 0);
    struct stat info;
    assert_int_equal(lstat(lock_path, &info), 0);
    assert_true(S_ISREG(info.st_mode)); /* a lock file of its own took the name */
    output_lock_release(lock);
    assert_victim_unchanged(victim);
    assert_false(exists(lock_path));
}

/* The same with a hard link: the name is a second name of another file. */
static void test_hard_link_planted_at_lock_name_left_alone(void **state)
{
    (void)state;
    char path[512], lock_path[520], victim[512];
    snprintf(path, sizeof path, "%s/hard.h5", temp_folder);
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    snprintf(victim, sizeof victim, "%s/victim_of_hard_link", temp_folder);
    write_victim(victim);
    assert_int_equal(link(victim, lock_path), 0);
    output_lock *lock = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(path, &lock, &err), 0);
    output_lock_release(lock);
    assert_victim_unchanged(victim);
}

/* One writer per file, whatever the name: a link to the output and another
 * spelling of its path meet the same lock. */
static void test_links_and_spellings_share_the_lock(void **state)
{
    (void)state;
    char real[512], link_path[512], spelled[600], sub[512], expected[700];
    snprintf(sub, sizeof sub, "%s/spell", temp_folder);
    assert_int_equal(mkdir(sub, 0777), 0);
    snprintf(real, sizeof real, "%s/real.h5", temp_folder);
    write_victim(real); /* the link must lead to an existing file */
    snprintf(link_path, sizeof link_path, "%s/spell/link.h5", temp_folder);
    assert_int_equal(symlink("../real.h5", link_path), 0);
    snprintf(spelled, sizeof spelled, "%s/spell/../real.h5", temp_folder);
    output_lock *held = NULL, *other = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(real, &held, &err), 0);

    assert_int_equal(output_lock_acquire(link_path, &other, &err), -1);
    assert_null(other);
    snprintf(expected, sizeof expected,
             "%s: another sweep (pid %ld) is writing it; wait for it or use -o", link_path,
             (long)getpid());
    assert_string_equal(err.message, expected);
    assert_int_equal(output_lock_acquire(spelled, &other, &err), -1);
    assert_null(other);
    output_lock_release(held);

    /* The other way round: locked through the link, refused by name. */
    assert_int_equal(output_lock_acquire(link_path, &held, &err), 0);
    assert_int_equal(output_lock_acquire(real, &other, &err), -1);
    output_lock_release(held);
}

/* A link to a missing file is refused (it could lead anywhere). */
static void test_dangling_link_refused(void **state)
{
    (void)state;
    char link_path[512], lock_path[600];
    snprintf(link_path, sizeof link_path, "%s/dangling.h5", temp_folder);
    assert_int_equal(symlink("elsewhere/made.h5", link_path), 0);
    output_lock *lock = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(link_path, &lock, &err), -1);
    assert_null(lock);
    assert_int_equal(err.kind, ERROR_INPUT);
    snprintf(lock_path, sizeof lock_path, "%s/elsewhere", temp_folder);
    assert_false(exists(lock_path)); /* no folder made for it either */
}

/* Folders made for an output that was never created are removed on
 * release; once the output exists they stay. */
static void test_made_folders_removed_unless_output_made(void **state)
{
    (void)state;
    char path[512], top[512];
    snprintf(top, sizeof top, "%s/made", temp_folder);
    snprintf(path, sizeof path, "%s/made/deeper/out.h5", temp_folder);
    output_lock *lock = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(path, &lock, &err), 0);
    assert_true(exists(top));
    output_lock_release(lock);
    assert_false(exists(top));

    assert_int_equal(output_lock_acquire(path, &lock, &err), 0);
    write_victim(path); /* the sweep made its output */
    output_lock_release(lock);
    assert_true(exists(path));
}

/* A plain file of someone else's that happens to have the lock's name is
 * neither truncated nor removed: refused, naming it. */
static void test_foreign_file_at_lock_name_refused(void **state)
{
    (void)state;
    char path[512], lock_path[520], expected[700];
    snprintf(path, sizeof path, "%s/notes.h5", temp_folder);
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    write_victim(lock_path);
    output_lock *lock = NULL;
    sweep_error err = {0};
    assert_int_equal(output_lock_acquire(path, &lock, &err), -1);
    assert_null(lock);
    assert_int_equal(err.kind, ERROR_INPUT);
    snprintf(expected, sizeof expected,
             "%s: exists and is not a lock file of sweep's; remove or rename it", lock_path);
    assert_string_equal(err.message, expected);
    assert_victim_unchanged(lock_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_writer_refused_until_release),
        cmocka_unit_test(test_stale_lock_file_taken_over),
        cmocka_unit_test(test_outputs_are_independent),
        cmocka_unit_test(test_unwritable_folder_reported),
        cmocka_unit_test(test_link_planted_at_lock_name_left_alone),
        cmocka_unit_test(test_hard_link_planted_at_lock_name_left_alone),
        cmocka_unit_test(test_links_and_spellings_share_the_lock),
        cmocka_unit_test(test_dangling_link_refused),
        cmocka_unit_test(test_made_folders_removed_unless_output_made),
        cmocka_unit_test(test_foreign_file_at_lock_name_refused),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
