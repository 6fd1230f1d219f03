/* test_labels.c: class numbers from target cells (src/labels.c).
 *
 * The numbering must be scikit-learn's LabelEncoder (np.unique: byte order
 * for ASCII names) or the numbers themselves; tolerances: none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"

/* Add `cells` in order; return the ids in ids[]. */
static void add_all(label_set *set, const char *const *cells, int n, int *ids)
{
    sweep_error err;
    error_clear(&err);
    for (int i = 0; i < n; i++)
        assert_int_equal(label_set_add(set, cells[i], "t.csv", (size_t)i + 2, "target", &ids[i],
                                       &err),
                         0);
}

static void test_names_in_byte_order(void **state)
{
    (void)state;
    const char *cells[] = {"virginica", "setosa", "virginica", "Zebra", "versicolor", "setosa"};
    int ids[6];
    label_set set = {0};
    add_all(&set, cells, 6, ids);
    assert_int_equal(set.n, 4);
    /* Ids in order of first appearance. */
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 0);
    assert_int_equal(ids[3], 2);
    assert_int_equal(ids[4], 3);
    int *class_of_id = NULL, n_classes = 0;
    char **names = NULL;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(label_set_finish(&set, "t.csv", "target", &class_of_id, &names, &n_classes,
                                      &err),
                     0);
    assert_int_equal(n_classes, 4);
    /* np.unique(["virginica", "setosa", "Zebra", "versicolor"]). */
    const char *expected[] = {"Zebra", "setosa", "versicolor", "virginica"};
    for (int c = 0; c < 4; c++)
        assert_string_equal(names[c], expected[c]);
    assert_int_equal(class_of_id[0], 3);
    assert_int_equal(class_of_id[1], 1);
    assert_int_equal(class_of_id[2], 0);
    assert_int_equal(class_of_id[3], 2);
    free(class_of_id);
    label_names_free(names, n_classes);
    label_set_free(&set);
}

static void test_numbers_are_classes(void **state)
{
    (void)state;
    const char *cells[] = {"2", "0", "1e0", "1", "+2", "0.0"};
    int ids[6];
    label_set set = {0};
    add_all(&set, cells, 6, ids);
    int *class_of_id = NULL, n_classes = 0;
    char **names = NULL;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(label_set_finish(&set, "t.csv", "target", &class_of_id, &names, &n_classes,
                                      &err),
                     0);
    assert_int_equal(n_classes, 3);
    assert_string_equal(names[0], "0");
    assert_string_equal(names[1], "1");
    assert_string_equal(names[2], "2");
    int expected[6] = {2, 0, 1, 1, 2, 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(class_of_id[ids[i]], expected[i]);
    free(class_of_id);
    label_names_free(names, n_classes);
    label_set_free(&set);
}

static void test_too_many_distinct_values(void **state)
{
    (void)state;
    label_set set = {0};
    sweep_error err;
    error_clear(&err);
    int id = 0;
    char cell[32];
    for (int i = 0; i < LABELS_MAX_CLASSES; i++) {
        snprintf(cell, sizeof cell, "%d", (i * 7919) % LABELS_MAX_CLASSES);
        assert_int_equal(label_set_add(&set, cell, "t.csv", 2, "target", &id, &err), 0);
    }
    assert_int_equal(set.n, LABELS_MAX_CLASSES);
    /* A value already seen is still fine; a new one is not. */
    assert_int_equal(label_set_add(&set, "17", "t.csv", 3, "target", &id, &err), 0);
    assert_int_equal(label_set_add(&set, "0.5", "t.csv", 4, "price", &id, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "t.csv:4: column 'price' has more than 10000 distinct "
                                     "values; the target must hold class labels");
    label_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_in_byte_order),
        cmocka_unit_test(test_numbers_are_classes),
        cmocka_unit_test(test_too_many_distinct_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
