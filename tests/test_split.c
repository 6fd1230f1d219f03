/* test_split.c: scikit-learn's stratified split (src/split.c).
 *
 * The row-for-row comparisons with scikit-learn run through the loaders
 * (tests/test_dataset.c: tests/data/csv/split_cases.txt, the built-in sets;
 * tests/test_fashion.c: fashion-MNIST). Here: the API's own contract, a
 * case worked out by hand, and the messages, which name classes by name.
 * Tolerances: none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "split.h"

static void test_every_row_once_and_stratified(void **state)
{
    (void)state;
    /* 30 rows of classes 0, 1, 2 (10 each): test 0.2 -> 6 rows, 2 of
     * each class; then val 0.25 of 24 -> 6 rows, 2 of each class. */
    double y[30];
    for (int i = 0; i < 30; i++)
        y[i] = (double)(i % 3);
    split_labels labels = {y, 3, NULL, "t"};
    row_split split;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(split_textbook(&labels, 30, 0.2, 0.25, 42, &split, &err), 0);
    assert_int_equal(split.n_test, 6);
    assert_int_equal(split.n_val, 6);
    assert_int_equal(split.n_train, 18);
    int seen[30] = {0}, per_class[3][3] = {{0}};
    const int *parts[3] = {split.train, split.val, split.test};
    int n[3] = {split.n_train, split.n_val, split.n_test};
    for (int p = 0; p < 3; p++)
        for (int k = 0; k < n[p]; k++) {
            seen[parts[p][k]]++;
            per_class[p][parts[p][k] % 3]++;
        }
    for (int i = 0; i < 30; i++)
        assert_int_equal(seen[i], 1);
    for (int c = 0; c < 3; c++) {
        assert_int_equal(per_class[0][c], 6);
        assert_int_equal(per_class[1][c], 2);
        assert_int_equal(per_class[2][c], 2);
    }
    row_split_free(&split);
}

static void test_messages_name_the_class(void **state)
{
    (void)state;
    double y[7] = {0, 1, 1, 2, 2, 2, 1};
    char *names[3] = {"setosa", "versicolor", "virginica"};
    split_labels labels = {y, 3, names, "iris.csv"};
    row_split split;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(split_textbook(&labels, 7, 0.3, 0.3, 1, &split, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message,
                        "iris.csv: cannot make a stratified split for the test rows: target "
                        "setosa has only 1 row among 7 (need at least 2 of each class)");
    assert_null(split.train);
    /* A class absent from the rows is no class of the split (np.unique). */
    double two[8] = {0, 0, 0, 0, 2, 2, 2, 2};
    labels.y = two;
    assert_int_equal(split_textbook(&labels, 8, 0.25, 0.5, 1, &split, &err), 0);
    assert_int_equal(split.n_test, 2);
    row_split_free(&split);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_once_and_stratified),
        cmocka_unit_test(test_messages_name_the_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
