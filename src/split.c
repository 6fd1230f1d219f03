/* split.c: stratified splits as scikit-learn 1.2 makes them (see split.h).
 *
 * Every float expression and every draw follows sklearn's code in order:
 * changing either moves rows between the splits or reorders them.
 */
#include "split.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* Scratch arrays of one stratified split, indexed by the classes present. */
typedef struct {
    int *class_value; /* class number of each present class, ascending */
    int *counts;      /* rows of each present class */
    int *class_start; /* offset of its rows in class_rows */
    int *n_i, *t_i;   /* train and test rows drawn per class */
    int *remaining;   /* counts - n_i */
    double *continuous, *floored, *remainder, *values;
    int *inds, *order; /* approximate_mode's tie groups */
    int n_classes;     /* present in the rows */
} class_table;

static void class_table_free(class_table *table)
{
    free(table->class_value);
    free(table->counts);
    free(table->class_start);
    free(table->n_i);
    free(table->t_i);
    free(table->remaining);
    free(table->continuous);
    free(table->floored);
    free(table->remainder);
    free(table->values);
    free(table->inds);
    free(table->order);
    memset(table, 0, sizeof *table);
}

static int class_table_alloc(class_table *table, int k)
{
    size_t n = (size_t)k;
    table->class_value = malloc(n * sizeof(int));
    table->counts = malloc(n * sizeof(int));
    table->class_start = malloc(n * sizeof(int));
    table->n_i = malloc(n * sizeof(int));
    table->t_i = malloc(n * sizeof(int));
    table->remaining = malloc(n * sizeof(int));
    table->continuous = malloc(n * sizeof(double));
    table->floored = malloc(n * sizeof(double));
    table->remainder = malloc(n * sizeof(double));
    table->values = malloc(n * sizeof(double));
    table->inds = malloc(n * sizeof(int));
    table->order = malloc(n * sizeof(int));
    bool ok = table->class_value && table->counts && table->class_start && table->n_i &&
              table->t_i && table->remaining && table->continuous && table->floored &&
              table->remainder && table->values && table->inds && table->order;
    return ok ? 0 : -1;
}

static int compare_doubles_descending(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* sklearn.utils._approximate_mode: how many of n_draws rows each class gets.
 * The floors of the proportional shares, then one more for the classes with
 * the largest remainders; among equal remainders rng.choice(inds, k,
 * replace=False) picks, which in the legacy generator is
 * permutation(len(inds))[:k] -- so the draws are consumed even without ties.
 * The float expressions are numpy's, operation for operation (the floors are
 * whole numbers, so their sum is exact in any order). */
static void approximate_mode(class_table *t, const int *class_counts, int n_draws, numpy_rng *rng,
                             int *drawn)
{
    int k = t->n_classes;
    double total = 0.0;
    for (int c = 0; c < k; c++)
        total += (double)class_counts[c];
    double floored_sum = 0.0;
    for (int c = 0; c < k; c++) {
        t->continuous[c] = (double)class_counts[c] / total * (double)n_draws;
        t->floored[c] = floor(t->continuous[c]);
        floored_sum += t->floored[c];
        t->remainder[c] = t->continuous[c] - t->floored[c];
    }
    int need_to_add = (int)((double)n_draws - floored_sum);

    /* np.sort(np.unique(remainder))[::-1]: distinct remainders, largest first. */
    memcpy(t->values, t->remainder, (size_t)k * sizeof *t->values);
    qsort(t->values, (size_t)k, sizeof *t->values, compare_doubles_descending);
    int n_values = 0;
    for (int c = 0; c < k; c++)
        if (n_values == 0 || t->values[n_values - 1] != t->values[c])
            t->values[n_values++] = t->values[c];

    for (int v = 0; v < n_values && need_to_add > 0; v++) {
        int n_inds = 0; /* np.where(remainder == value) */
        for (int c = 0; c < k; c++)
            if (t->remainder[c] == t->values[v])
                t->inds[n_inds++] = c;
        int add_now = n_inds < need_to_add ? n_inds : need_to_add;
        rng_permutation(rng, t->order, n_inds);
        for (int j = 0; j < add_now; j++)
            t->floored[t->inds[t->order[j]]] += 1.0;
        need_to_add -= add_now;
    }
    for (int c = 0; c < k; c++)
        drawn[c] = (int)t->floored[c];
}

static void describe_class(const split_labels *labels, int c, char *out, size_t size)
{
    if (labels->class_names != NULL)
        snprintf(out, size, "%.64s", labels->class_names[c]);
    else
        snprintf(out, size, "%d", c);
}

/* np.unique(y[rows]) with counts, and a stable argsort of the rows by class
 * (a counting sort: positions into `rows`, class by class, in row order). */
static int group_by_class(const split_labels *labels, const int *rows, int n, const char *role,
                          class_table *t, int *class_rows, sweep_error *err)
{
    int k = labels->n_classes;
    int *all_counts = calloc((size_t)k, sizeof *all_counts);
    if (all_counts == NULL)
        return error_set(err, ERROR_RUNTIME, "%s: out of memory splitting %d rows", labels->source,
                         n);
    for (int i = 0; i < n; i++)
        all_counts[(int)labels->y[rows[i]]]++;
    t->n_classes = 0;
    for (int c = 0; c < k; c++)
        if (all_counts[c] > 0) {
            t->class_value[t->n_classes] = c;
            t->counts[t->n_classes++] = all_counts[c];
        }
    int status = 0;
    for (int c = 0; c < t->n_classes && status == 0; c++)
        if (t->counts[c] < 2) {
            char name[80];
            describe_class(labels, t->class_value[c], name, sizeof name);
            status = error_set(err, ERROR_INPUT,
                               "%s: cannot make a stratified split for the %s rows: target %s "
                               "has only 1 row among %d (need at least 2 of each class)",
                               labels->source, role, name, n);
        }
    if (status == 0) {
        /* all_counts becomes each class's next free position. */
        for (int c = 0, filled = 0; c < t->n_classes; c++) {
            t->class_start[c] = filled;
            all_counts[t->class_value[c]] = filled;
            filled += t->counts[c];
        }
        for (int i = 0; i < n; i++)
            class_rows[all_counts[(int)labels->y[rows[i]]]++] = i;
    }
    free(all_counts);
    return status;
}

int split_stratified(const split_labels *labels, const int *rows, int n, double test_fraction,
                     uint32_t seed, const char *role, int **train_out, int *n_train_out,
                     int **test_out, int *n_test_out, sweep_error *err)
{
    int status = -1;
    const char *source = labels->source;
    class_table t = {0};
    int *class_rows = NULL, *perm = NULL, *train = NULL, *test = NULL;
    *train_out = *test_out = NULL;
    *n_train_out = *n_test_out = 0;

    /* n_test = ceil(test_size * n_samples), n_train = n_samples - n_test. */
    int n_test = (int)ceil(test_fraction * (double)n);
    int n_train = n - n_test;
    if (n_train <= 0) {
        error_set(err, ERROR_INPUT,
                  "%s: splitting off the %s rows (fraction %g) from %d rows leaves no rows", source,
                  role, test_fraction, n);
        goto cleanup;
    }
    class_rows = malloc((size_t)n * sizeof *class_rows);
    perm = malloc((size_t)n * sizeof *perm);
    train = malloc((size_t)n_train * sizeof *train);
    test = malloc((size_t)(n_test > 0 ? n_test : 1) * sizeof *test);
    if (class_rows == NULL || perm == NULL || train == NULL || test == NULL ||
        class_table_alloc(&t, labels->n_classes) != 0) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory splitting %d rows", source, n);
        goto cleanup;
    }
    if (group_by_class(labels, rows, n, role, &t, class_rows, err) != 0)
        goto cleanup;
    if (n_train < t.n_classes || n_test < t.n_classes) {
        error_set(err, ERROR_INPUT,
                  "%s: cannot make a stratified split for the %s rows: %d rows split %d/%d, "
                  "but each side needs at least one row of each of the %d classes",
                  source, role, n, n_train, n_test, t.n_classes);
        goto cleanup;
    }

    numpy_rng rng;
    rng_seed(&rng, seed);
    approximate_mode(&t, t.counts, n_train, &rng, t.n_i);
    for (int c = 0; c < t.n_classes; c++)
        t.remaining[c] = t.counts[c] - t.n_i[c];
    approximate_mode(&t, t.remaining, n_test, &rng, t.t_i);

    int filled_train = 0, filled_test = 0;
    for (int c = 0; c < t.n_classes; c++) {
        rng_permutation(&rng, perm, t.counts[c]);
        const int *members = class_rows + t.class_start[c];
        for (int j = 0; j < t.n_i[c]; j++)
            train[filled_train++] = members[perm[j]];
        for (int j = t.n_i[c]; j < t.n_i[c] + t.t_i[c]; j++)
            test[filled_test++] = members[perm[j]];
    }
    rng_shuffle(&rng, train, n_train);
    rng_shuffle(&rng, test, n_test);

    for (int j = 0; j < n_train; j++)
        train[j] = rows[train[j]];
    for (int j = 0; j < n_test; j++)
        test[j] = rows[test[j]];
    *train_out = train;
    *n_train_out = n_train;
    *test_out = test;
    *n_test_out = n_test;
    train = test = NULL;
    status = 0;

cleanup:
    class_table_free(&t);
    free(class_rows);
    free(perm);
    free(train);
    free(test);
    return status;
}

int split_textbook(const split_labels *labels, int n, double test_fraction, double val_fraction,
                   uint32_t seed, row_split *out, sweep_error *err)
{
    int status = -1;
    int *all = NULL, *rest = NULL;
    int n_rest = n;
    memset(out, 0, sizeof *out);

    all = malloc((size_t)(n > 0 ? n : 1) * sizeof *all);
    if (all == NULL) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory splitting %d rows", labels->source, n);
        goto cleanup;
    }
    for (int i = 0; i < n; i++)
        all[i] = i;
    if (test_fraction > 0.0) {
        if (split_stratified(labels, all, n, test_fraction, seed, "test", &rest, &n_rest,
                             &out->test, &out->n_test, err) != 0)
            goto cleanup;
    } else {
        rest = all;
        all = NULL;
    }
    if (split_stratified(labels, rest, n_rest, val_fraction, seed, "val", &out->train,
                         &out->n_train, &out->val, &out->n_val, err) != 0)
        goto cleanup;
    status = 0;

cleanup:
    if (status != 0)
        row_split_free(out);
    free(all);
    free(rest);
    return status;
}

void row_split_free(row_split *split)
{
    free(split->train);
    free(split->val);
    free(split->test);
    memset(split, 0, sizeof *split);
}
