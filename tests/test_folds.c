/* test_folds.c: stratified fold assignment, compared with scikit-learn itself.
 *
 * Every comparison is EXACT (fold numbers are integers). The references are
 * scikit-learn 1.2's StratifiedKFold and RepeatedStratifiedKFold outputs in
 * tests/data/folds/ (one CSV per label vector), written by
 * tests/data/make_fold_fixtures.py (its docstring gives the format): per
 * label vector, K in {2, 3, 5, 10}, R in {1, 3}, seeds 0, 42 and 2^32-1,
 * shuffle on and off, and whether scikit-learn warned or raised.
 *
 * `test_folds FILE...` checks the given fixture files instead of the stored
 * ones: tests/test_folds_live.py runs it on fixtures it has just made with
 * live scikit-learn from random labels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folds.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

/* A fixture file read into memory: the labels, then one case per line. */
typedef struct {
    double *labels;
    int n_rows;
    char **case_lines; /* the unparsed case lines, owned */
    int n_cases;
} fold_fixture;

static void free_fixture(fold_fixture *fixture)
{
    free(fixture->labels);
    for (int i = 0; i < fixture->n_cases; i++)
        free(fixture->case_lines[i]);
    free(fixture->case_lines);
}

/* Split "labels,v,v,..." into doubles. */
static void parse_labels(char *line, fold_fixture *fixture)
{
    assert_true(strncmp(line, "labels,", 7) == 0);
    int capacity = 16;
    fixture->labels = malloc((size_t)capacity * sizeof *fixture->labels);
    assert_non_null(fixture->labels);
    for (char *field = strtok(line + 7, ",\n"); field != NULL; field = strtok(NULL, ",\n")) {
        if (fixture->n_rows == capacity) {
            capacity *= 2;
            fixture->labels = realloc(fixture->labels, (size_t)capacity * sizeof *fixture->labels);
            assert_non_null(fixture->labels);
        }
        char *end;
        fixture->labels[fixture->n_rows++] = strtod(field, &end);
        assert_true(end != field);
    }
}

static void read_fixture(const char *path, fold_fixture *fixture)
{
    *fixture = (fold_fixture){0};
    FILE *file = fopen(path, "r");
    if (file == NULL)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t size = 0;
    if (getline(&line, &size, file) < 0)
        fail_msg("%s: empty", path);
    parse_labels(line, fixture);
    int capacity = 0;
    while (getline(&line, &size, file) >= 0) {
        if (fixture->n_cases == capacity) {
            capacity = capacity == 0 ? 16 : 2 * capacity;
            fixture->case_lines =
                realloc(fixture->case_lines, (size_t)capacity * sizeof *fixture->case_lines);
            assert_non_null(fixture->case_lines);
        }
        fixture->case_lines[fixture->n_cases] = strdup(line);
        assert_non_null(fixture->case_lines[fixture->n_cases]);
        fixture->n_cases++;
    }
    free(line);
    fclose(file);
}

/* Run one case line "K,R,shuffle,seed,outcome,folds..." and compare. */
static void check_case(const fold_fixture *fixture, char *line, const char *path)
{
    fold_settings settings = {0};
    int shuffle = 0;
    unsigned long seed = 0;
    char outcome[8] = "";
    int consumed = 0;
    int n_read = sscanf(line, "%d,%d,%d,%lu,%7[a-z]%n", &settings.n_splits, &settings.n_repeats,
                        &shuffle, &seed, outcome, &consumed);
    assert_int_equal(n_read, 5);
    settings.shuffle = shuffle != 0;
    settings.seed = (uint32_t)seed;
    size_t n_folds = (size_t)settings.n_repeats * (size_t)fixture->n_rows;
    int *got = malloc(n_folds * sizeof *got);
    assert_non_null(got);

    sweep_error err = {0};
    fold_summary summary = {0};
    int status = folds_assign(fixture->labels, fixture->n_rows, &settings, got, &summary, &err);
    if (strcmp(outcome, "error") == 0) {
        if (status == 0)
            fail_msg("%s: K=%d R=%d seed=%lu: scikit-learn raises, folds_assign accepted", path,
                     settings.n_splits, settings.n_repeats, seed);
        assert_int_equal(err.kind, ERROR_INPUT);
        free(got);
        return;
    }
    if (status != 0)
        fail_msg("%s: K=%d R=%d: %s", path, settings.n_splits, settings.n_repeats, err.message);
    /* scikit-learn warns exactly when the smallest class is below K */
    assert_int_equal(strcmp(outcome, "warn") == 0, summary.smallest_class < settings.n_splits);

    int n_mismatches = 0;
    char *cursor = line + consumed;
    for (size_t i = 0; i < n_folds; i++) {
        char *end;
        assert_int_equal(*cursor, ',');
        long expected = strtol(cursor + 1, &end, 10);
        assert_true(end != cursor + 1);
        cursor = end;
        n_mismatches += got[i] != expected;
    }
    assert_true(*cursor == '\n' || *cursor == '\0');
    if (n_mismatches != 0)
        fail_msg("%s: K=%d R=%d shuffle=%d seed=%lu: %d of %zu fold numbers differ", path,
                 settings.n_splits, settings.n_repeats, shuffle, seed, n_mismatches, n_folds);
    free(got);
}

/* Every case of one fixture file; prints how many were compared. */
static void check_fixture_file(const char *path)
{
    fold_fixture fixture;
    read_fixture(path, &fixture);
    assert_true(fixture.n_cases > 0);
    for (int i = 0; i < fixture.n_cases; i++)
        check_case(&fixture, fixture.case_lines[i], path);
    printf("%s: %d rows, %d cases equal scikit-learn's\n", path, fixture.n_rows, fixture.n_cases);
    free_fixture(&fixture);
}

/* Exact, against scikit-learn: the rows cross-validation splits in wdbc
 * (its 364 train rows, then its 91 val rows). */
static void test_wdbc_non_test_rows(void **state)
{
    (void)state;
    check_fixture_file(TEST_DATA_DIR "/folds/wdbc_non_test.csv");
}

/* Exact: three classes first seen in the order 0, 2, 1, so that numbering
 * by first appearance differs from numbering by value. */
static void test_three_classes(void **state)
{
    (void)state;
    check_fixture_file(TEST_DATA_DIR "/folds/three_classes.csv");
}

/* Exact: a class of 4 rows with K = 5 and 10, where scikit-learn warns. */
static void test_small_class_warns(void **state)
{
    (void)state;
    check_fixture_file(TEST_DATA_DIR "/folds/small_lopsided.csv");
}

/* Exact: 9 rows, so K = 10 is refused as scikit-learn refuses it. */
static void test_tiny_refused(void **state)
{
    (void)state;
    check_fixture_file(TEST_DATA_DIR "/folds/tiny.csv");
}

/* Exact: labels -3 and 7, the larger seen first. */
static void test_spaced_labels(void **state)
{
    (void)state;
    check_fixture_file(TEST_DATA_DIR "/folds/spaced.csv");
}

/* Worked by hand (and equal to StratifiedKFold(2).split): value 1 is class
 * 0 (seen first) with 5 rows, value 0 class 1 with 3. Sorted by class, the
 * positions 0..4 deal folds 0,1,0,1,0 (three 0s, two 1s) and 5..7 deal
 * 1,0,1 (one 0, two 1s); each class hands its blocks out in file order. */
static void test_unshuffled_by_hand(void **state)
{
    (void)state;
    const double labels[8] = {1, 1, 0, 0, 1, 0, 1, 1};
    const int expected[8] = {0, 0, 0, 1, 0, 1, 1, 1};
    fold_settings settings = {.n_splits = 2, .n_repeats = 1, .shuffle = false, .seed = 7};
    int got[8];
    fold_summary summary;
    sweep_error err = {0};
    assert_int_equal(folds_assign(labels, 8, &settings, got, &summary, &err), 0);
    assert_memory_equal(got, expected, sizeof expected);
    assert_int_equal(summary.n_classes, 2);
    assert_int_equal(summary.smallest_class, 3);
}

/* Settings and labels scikit-learn refuses: one line each, input errors. */
static void expect_input_error(const double *labels, int n_rows, fold_settings settings,
                               const char *expected_message)
{
    int got[64];
    sweep_error err = {0};
    assert_true(n_rows * (settings.n_repeats > 0 ? settings.n_repeats : 1) <= 64);
    assert_int_equal(folds_assign(labels, n_rows, &settings, got, NULL, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, expected_message);
}

static void test_refusals(void **state)
{
    (void)state;
    const double labels[6] = {0, 1, 0, 1, 0, 1};
    expect_input_error(labels, 6, (fold_settings){1, 1, true, 0},
                       "cross-validation: folds must be 2 or more, got 1");
    expect_input_error(labels, 6, (fold_settings){2, 0, true, 0},
                       "cross-validation: repeats must be 1 or more, got 0");
    expect_input_error(labels, 6, (fold_settings){2, 3, false, 0},
                       "cross-validation: 3 repeats without shuffle would repeat the same folds");
    expect_input_error(labels, 6, (fold_settings){7, 1, true, 0},
                       "cross-validation: 7 folds but only 6 rows");
    expect_input_error(labels, 6, (fold_settings){4, 1, true, 0},
                       "cross-validation: 4 folds but no class has that many rows "
                       "(the largest has 3)");
    const double fractional[3] = {0, 0.5, 1};
    expect_input_error(fractional, 3, (fold_settings){2, 1, false, 0},
                       "cross-validation: row 1: label 0.5 is not a class (an integer)");
    const double not_a_number[3] = {0, 1, NAN};
    expect_input_error(not_a_number, 3, (fold_settings){2, 1, false, 0},
                       "cross-validation: row 2: label nan is not a class (an integer)");
}

/* Properties that hold whatever the seed: every fold of every repeat gets
 * floor or ceil of n/K rows, and each class is spread as evenly. */
static void test_fold_sizes_balanced(void **state)
{
    (void)state;
    enum { N = 103, K = 10, R = 3 };
    double labels[N];
    for (int i = 0; i < N; i++)
        labels[i] = (i * 7) % 3 == 0 ? 1.0 : 0.0;
    int folds[R * N];
    fold_settings settings = {.n_splits = K, .n_repeats = R, .shuffle = true, .seed = 123};
    sweep_error err = {0};
    assert_int_equal(folds_assign(labels, N, &settings, folds, NULL, &err), 0);
    for (int r = 0; r < R; r++) {
        int size[K] = {0}, ones[K] = {0};
        for (int i = 0; i < N; i++) {
            int fold = folds[r * N + i];
            assert_in_range(fold, 0, K - 1);
            size[fold]++;
            ones[fold] += labels[i] == 1.0;
        }
        for (int k = 0; k < K; k++) {
            assert_in_range(size[k], N / K, N / K + 1);
            assert_in_range(ones[k], 35 / K, 35 / K + 1); /* 35 rows have label 1 */
        }
    }
}

/* The fixture files named on the command line (the live comparison). */
static char **given_paths;
static int n_given_paths;

static void test_given_files(void **state)
{
    (void)state;
    for (int i = 0; i < n_given_paths; i++)
        check_fixture_file(given_paths[i]);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        given_paths = argv + 1;
        n_given_paths = argc - 1;
        const struct CMUnitTest given[] = {cmocka_unit_test(test_given_files)};
        return cmocka_run_group_tests(given, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wdbc_non_test_rows), cmocka_unit_test(test_three_classes),
        cmocka_unit_test(test_small_class_warns),  cmocka_unit_test(test_tiny_refused),
        cmocka_unit_test(test_spaced_labels),      cmocka_unit_test(test_unshuffled_by_hand),
        cmocka_unit_test(test_refusals),           cmocka_unit_test(test_fold_sizes_balanced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
