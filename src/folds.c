/* folds.c: scikit-learn 1.2's StratifiedKFold and RepeatedStratifiedKFold.
 *
 * The rules are scikit-learn's (_split.py, StratifiedKFold._make_test_folds
 * and _RepeatedSplits.split); the code is written here. The only randomness
 * is RandomState.shuffle, which rng.c reproduces bit for bit.
 */
#include "folds.h"

#include <math.h>
#include <stdio.h>
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
        return error_set(err, ERROR_INPUT, "cross-validation: folds must be 2 or more, got %d",
                         settings->n_splits);
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

/* Scratch memory of one folds_assign call; per class arrays hold up to
 * n_rows entries since every row may be a class of its own. */
typedef struct {
    int n_rows;
    int n_classes;
    int *class_of_row;  /* (n_rows) class number by first appearance */
    int *class_size;    /* (n_classes) rows of each class */
    int *class_start;   /* (n_classes) where each class begins among the rows sorted by class */
    int *next_of_class; /* (n_classes) cursor into fold_list while handing out */
    int *fold_list;     /* (n_rows) the fold numbers of each class, class by class */
    int *fold_count;    /* (n_splits) one class's rows per fold */
} fold_workspace;

/* The fold numbers each class hands out, laid out by class: class k's are
 * fold_list[class_start[k] .. class_start[k] + class_size[k]). The rows
 * sorted by class are dealt to folds round-robin, so the row at sorted
 * position p counts for fold p % n_splits; each class lists its folds in
 * ascending blocks of those counts. */
static void deal_folds(fold_workspace *work, int n_splits)
{
    for (int k = 0; k < work->n_classes; k++) {
        int begin = work->class_start[k], end = begin + work->class_size[k];
        for (int fold = 0; fold < n_splits; fold++)
            work->fold_count[fold] = 0;
        for (int p = begin; p < end; p++)
            work->fold_count[p % n_splits]++;
        int *out = work->fold_list + begin;
        for (int fold = 0; fold < n_splits; fold++)
            for (int j = 0; j < work->fold_count[fold]; j++)
                *out++ = fold;
    }
}

/* One split: deal, shuffle each class's list if asked, hand out in file order. */
static void assign_one_split(fold_workspace *work, const fold_settings *settings, numpy_rng *rng,
                             int *fold_of_row)
{
    deal_folds(work, settings->n_splits);
    for (int k = 0; k < work->n_classes; k++) {
        if (settings->shuffle)
            rng_shuffle(rng, work->fold_list + work->class_start[k], work->class_size[k]);
        work->next_of_class[k] = work->class_start[k];
    }
    for (int i = 0; i < work->n_rows; i++)
        fold_of_row[i] = work->fold_list[work->next_of_class[work->class_of_row[i]]++];
}

/* Class starts in sorted order; the smallest and largest class sizes. */
static void measure_classes(fold_workspace *work, int *smallest, int *largest)
{
    *smallest = work->n_rows;
    *largest = 0;
    for (int k = 0, start = 0; k < work->n_classes; start += work->class_size[k], k++) {
        work->class_start[k] = start;
        if (work->class_size[k] < *smallest)
            *smallest = work->class_size[k];
        if (work->class_size[k] > *largest)
            *largest = work->class_size[k];
    }
}

int folds_assign(const double *labels, int n_rows, const fold_settings *settings, int *fold_of_row,
                 fold_summary *summary, sweep_error *err)
{
    if (check_settings(n_rows, settings, err) != 0)
        return -1;
    int status = -1;
    size_t n = (size_t)n_rows;
    fold_workspace work = {
        .n_rows = n_rows,
        .class_of_row = malloc(n * sizeof *work.class_of_row),
        .class_size = malloc(n * sizeof *work.class_size),
        .class_start = malloc(n * sizeof *work.class_start),
        .next_of_class = malloc(n * sizeof *work.next_of_class),
        .fold_list = malloc(n * sizeof *work.fold_list),
        .fold_count = malloc((size_t)settings->n_splits * sizeof *work.fold_count),
    };
    if (work.class_of_row == NULL || work.class_size == NULL || work.class_start == NULL ||
        work.next_of_class == NULL || work.fold_list == NULL || work.fold_count == NULL) {
        error_set(err, ERROR_RUNTIME, "cross-validation: out of memory for %d rows", n_rows);
        goto cleanup;
    }
    work.n_classes = encode_classes(labels, n_rows, work.class_of_row, work.class_size, err);
    if (work.n_classes < 0)
        goto cleanup;
    int smallest, largest;
    measure_classes(&work, &smallest, &largest);
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
        assign_one_split(&work, settings, &rng, fold_of_row + (size_t)r * n);
    if (summary != NULL)
        *summary = (fold_summary){.n_classes = work.n_classes, .smallest_class = smallest};
    status = 0;
cleanup:
    free(work.class_of_row);
    free(work.class_size);
    free(work.class_start);
    free(work.next_of_class);
    free(work.fold_list);
    free(work.fold_count);
    return status;
}

bool folds_same_settings(const fold_settings *a, const fold_settings *b)
{
    bool a_cv = a->n_splits > 0, b_cv = b->n_splits > 0;
    if (!a_cv || !b_cv)
        return a_cv == b_cv;
    return a->n_splits == b->n_splits && a->n_repeats == b->n_repeats && a->shuffle == b->shuffle &&
           (!a->shuffle || a->seed == b->seed);
}

void folds_describe(const fold_settings *settings, char *text, size_t size)
{
    if (settings->n_splits <= 0) {
        snprintf(text, size, "no cross-validation");
        return;
    }
    char repeats[48] = "";
    if (settings->n_repeats > 1)
        snprintf(repeats, sizeof repeats, " x %d repeats", settings->n_repeats);
    if (settings->shuffle)
        snprintf(text, size, "%d folds%s, shuffled with seed %lu", settings->n_splits, repeats,
                 (unsigned long)settings->seed);
    else
        snprintf(text, size, "%d folds%s, not shuffled", settings->n_splits, repeats);
}
