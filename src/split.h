/* split.h: scikit-learn's stratified train_test_split, draw for draw.
 *
 * The textbook splits its data with train_test_split(x, y, stratify=y,
 * test_size=f, random_state=seed) of scikit-learn 1.2, whose rows depend on
 * numpy's legacy generator; reproducing every draw (rng.h) gives the same
 * rows in the same order, which the training runs need to match the book.
 * Works on row ids and a class number per row, so the same code splits a
 * CSV file, a built-in set and the fashion-MNIST images.
 */
#ifndef SWEEP_SPLIT_H
#define SWEEP_SPLIT_H

#include <stdint.h>

#include "error.h"

/* The classes of the rows being split. */
typedef struct {
    const double *y;          /* class number 0..n_classes-1 of each row id */
    int n_classes;            /* K >= 1 */
    char *const *class_names; /* (n_classes) for messages; NULL: the numbers */
    const char *source;       /* starts every message ("my.csv: ...") */
} split_labels;

/* Row ids of each split, each in the order scikit-learn returns them. */
typedef struct {
    int *train, *val, *test; /* (n_train), (n_val), (n_test) */
    int n_train, n_val, n_test;
} row_split;

/* train_test_split(rows, stratify=y[rows], test_size=test_fraction,
 * random_state=seed): StratifiedShuffleSplit._iter_indices with a fresh
 * RandomState(seed). rows: (n) row ids; fills *train (n_train) and *test
 * (n_test) with row ids. `role` names the split in messages ("val"). */
int split_stratified(const split_labels *labels, const int *rows, int n, double test_fraction,
                     uint32_t seed, const char *role, int **train, int *n_train, int **test,
                     int *n_test, sweep_error *err);

/* The textbook's two splits of rows 0..n-1 with one seed: test rows first
 * (skipped when test_fraction is 0), then val rows from the rest. */
int split_textbook(const split_labels *labels, int n, double test_fraction, double val_fraction,
                   uint32_t seed, row_split *out, sweep_error *err);

void row_split_free(row_split *split);

#endif
