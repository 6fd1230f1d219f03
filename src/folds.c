/* folds.c: scikit-learn 1.2's StratifiedKFold and RepeatedStratifiedKFold.
 *
 * The rules are scikit-learn's (_split.py, StratifiedKFold._make_test_folds
 * and _RepeatedSplits.split); the code is written here. The only randomness
 * is RandomState.shuffle, which rng.c reproduces bit for bit.
 */
#include "folds.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"

/* A label and the row it came from, sorted to find the distinct labels. */
typedef struct {
    double value;
    int row;
} labelled_row;

static int compare_labelled_rows(const void *a, const void *b)
{
    const labelled_row *left = a, *right = b;
    if (left->value != right->value)
        return left->value < right->value ? -1 : 1;
    return (left->row > right->row) - (left->row < right->row);
}

/* scikit-learn refuses a float target that is not integral ("continuous");
 * its test is y != y.astype(int), so values beyond int64 count as such too. */
static bool label_is_class(double value)
{
    return isfinite(value) && value == floor(value) && fabs(value) < 9223372036854775808.0;
}

static int check_settings(int n_rows, const fold_settings *settings, sweep_error *err)
{
    if (settings->n_splits < 2)
        return error_set(err, ERROR_INPUT,
                         "cross-validation: folds must be 2 or more, got %d", settings->n_splits);
    if (settings->n_repeats < 1)
        return error_set(err, ERROR_INPUT, "cross-validation: repeats must be 1 or more, got %d",
                         settings->n_repeats);
    if (settings->n_repeats > 1 && !settings->shuffle)
        return error_set(err, ERROR_INPUT,
                         "cross-validation: %d repeats without shuffle would repeat the same folds",
                         settings->n_repeats);
    if (settings->n_splits > n_rows)
        return error_set(err, ERROR_INPUT, "cross-validation: %d folds but only %d rows",
                         settings->n_splits, n_rows);
    return 0;
}

/* Number the classes by first appearance (scikit-learn's np.unique
 * return_index/return_inverse trick): class_of_row[i] for every row,
 * class_size[k] for every class; returns the number of classes, or -1. */
static int encode_classes(const double *labels, int n_rows, int *class_of_row, int *class_size,
                          sweep_error *err)
{
    labelled_row *sorted = malloc((size_t)n_rows * sizeof *sorted);
    if (sorted == NULL)
        return error_set(err, ERROR_RUNTIME, "cross-validation: out of memory for %d rows", n_rows);
    for (int i = 0; i < n_rows; i++) {
        if (!label_is_class(labels[i])) {
            free(sorted);
            return error_set(err, ERROR_INPUT,
                             "cross-validation: row %d: label %g is not a class (an integer)", i,
                             labels[i]);
        }
        sorted[i] = (labelled_row){labels[i], i};
    }
    qsort(sorted, (size_t)n_rows, sizeof *sorted, compare_labelled_rows);
    /* Within a run of equal labels the first entry is the label's first
     * row; mark it, then a pass in file order numbers the classes. */
    for (int i = 0; i < n_rows; i++)
        class_of_row[i] = -1;
    for (int i = 0; i < n_rows; i++)
        if (i == 0 || sorted[i].value != sorted[i - 1].value)
            class_of_row[sorted[i].row] = -2;
    int n_classes = 0;
    for (int i = 0; i < n_rows; i++)
        if (class_of_row[i] == -2)
            class_of_row[i] = n_classes++;
    /* every other row takes the class of its run's first row */
    int first_row = 0;
    for (int i = 0; i < n_rows; i++) {
        if (i == 0 || sorted[i].value != sorted[i - 1].value)
            first_row = sorted[i].row;
        else
            class_of_row[sorted[i].row] = class_of_row[first_row];
    }
    free(sorted);
    for (int k = 0; k < n_classes; k++)
        class_size[k] = 0;
    for (int i = 0; i < n_rows; i++)
        class_size[class_of_row[i]]++;
    return n_classes;
}

/* The fold numbers each class hands out, laid out by class: class k's are
 * fold_list[class_start[k] .. class_start[k] + class_size[k]). The rows
 * sorted by class are dealt to folds round-robin, so the row at sorted
 * position p counts for fold p % n_splits; each class lists its folds in
 * ascending blocks of those counts. */
static void deal_folds(int n_classes, const int *class_start, const int *class_size,
                       int n_splits, int *fold_count, int *fold_list)
{
    for (int k = 0; k < n_classes; k++) {
        for (int fold = 0; fold < n_splits; fold++)
            fold_count[fold] = 0;
        for (int p = class_start[k]; p < class_start[k] + class_size[k]; p++)
            fold_count[p % n_splits]++;
        int *out = fold_list + class_start[k];
        for (int fold = 0; fold < n_splits; fold++)
            for (int j = 0; j < fold_count[fold]; j++)
                *out++ = fold;
    }
}

/* One split: deal, shuffle each class's list if asked, hand out in file order. */
static void assign_one_split(int n_rows, const int *class_of_row, int n_classes,
                             const int *class_start, const int *class_size,
                             const fold_settings *settings, numpy_rng *rng, int *fold_count,
                             int *fold_list, int *next_of_class, int *fold_of_row)
{
    deal_folds(n_classes, class_start, class_size, settings->n_splits, fold_count, fold_list);
    for (int k = 0; k < n_classes; k++) {
        if (settings->shuffle)
            rng_shuffle(rng, fold_list + class_start[k], class_size[k]);
        next_of_class[k] = class_start[k];
    }
    for (int i = 0; i < n_rows; i++)
        fold_of_row[i] = fold_list[next_of_class[class_of_row[i]]++];
}

int folds_assign(const double *labels, int n_rows, const fold_settings *settings,
                 int *fold_of_row, fold_summary *summary, sweep_error *err)
{
    if (check_settings(n_rows, settings, err) != 0)
        return -1;
    int status = -1;
    size_t n = (size_t)n_rows;
    /* per row: class, fold list; per class (at most n_rows): size, start,
     * cursor; per fold: count */
    int *class_of_row = malloc(n * sizeof *class_of_row);
    int *fold_list = malloc(n * sizeof *fold_list);
    int *class_size = malloc(n * sizeof *class_size);
    int *class_start = malloc(n * sizeof *class_start);
    int *next_of_class = malloc(n * sizeof *next_of_class);
    int *fold_count = malloc((size_t)settings->n_splits * sizeof *fold_count);
    if (class_of_row == NULL || fold_list == NULL || class_size == NULL || class_start == NULL ||
        next_of_class == NULL || fold_count == NULL) {
        error_set(err, ERROR_RUNTIME, "cross-validation: out of memory for %d rows", n_rows);
        goto cleanup;
    }
    int n_classes = encode_classes(labels, n_rows, class_of_row, class_size, err);
    if (n_classes < 0)
        goto cleanup;
    int smallest = n_rows, largest = 0;
    for (int k = 0, start = 0; k < n_classes; start += class_size[k], k++) {
        class_start[k] = start;
        smallest = class_size[k] < smallest ? class_size[k] : smallest;
        largest = class_size[k] > largest ? class_size[k] : largest;
    }
    if (largest < settings->n_splits) {
        error_set(err, ERROR_INPUT,
                  "cross-validation: %d folds but no class has that many rows (the largest has %d)",
                  settings->n_splits, largest);
        goto cleanup;
    }
    /* One generator for the whole call: RepeatedStratifiedKFold passes its
     * RandomState object on to every repeat rather than a fresh seed. */
    numpy_rng rng;
    rng_seed(&rng, settings->seed);
    for (int r = 0; r < settings->n_repeats; r++)
        assign_one_split(n_rows, class_of_row, n_classes, class_start, class_size, settings, &rng,
                         fold_count, fold_list, next_of_class, fold_of_row + (size_t)r * n);
    if (summary != NULL)
        *summary = (fold_summary){.n_classes = n_classes, .smallest_class = smallest};
    status = 0;
cleanup:
    free(class_of_row);
    free(fold_list);
    free(class_size);
    free(class_start);
    free(next_of_class);
    free(fold_count);
    return status;
}
