/* dataset.h: a binary-classification data set split into train/val/test rows.
 *
 * Loaded once, then shared read-only by every worker. Features are stored
 * row-major and, unless standardize is off, standardized with the train rows'
 * mean and population standard deviation (ddof 0), as the textbook does with
 * x_train.mean(axis=0) and x_train.std(axis=0).
 */
#ifndef SWEEP_DATASET_H
#define SWEEP_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* Where the rows come from and how they are split; owned by the config. */
typedef struct {
    const char *builtin;        /* "wdbc", or NULL when `path` is set */
    const char *path;           /* CSV file (already resolved against the config's folder) */
    const char *target;         /* name of the 0/1 column; default "target" */
    const char *split_column;   /* column of train/val/test; NULL: stratified split below */
    double val_fraction;        /* share of the non-test rows that become val rows */
    double test_fraction;       /* share of all rows that become test rows (split off first) */
    uint32_t split_seed;        /* seed of the stratified split */
    bool standardize;           /* standardize with the train rows' statistics */
} dataset_spec;

typedef struct {
    char *name;             /* "wdbc" or the CSV path */
    int n_features;         /* columns used as inputs */
    char **feature_names;   /* (n_features) */
    int n_classes;          /* K >= 2 */
    char **class_names;     /* (n_classes) as written in the file, in class order */
    int n_train, n_val, n_test;
    double *x_train;        /* (n_train, n_features) */
    double *y_train;        /* (n_train) the class number 0..K-1 (0.0 or 1.0 for K = 2) */
    double *x_val;          /* (n_val, n_features) */
    double *y_val;          /* (n_val) */
    double *x_test;         /* (n_test, n_features); NULL when n_test == 0 */
    double *y_test;         /* (n_test) */
} dataset;

/* A spec for the built-in wdbc set with its own split column (the textbook's). */
dataset_spec dataset_spec_default(void);

/* Read and split the rows. On failure `out` is left empty (safe to free) and
 * err says which file and line, e.g. "my.csv:17: target must be 0 or 1, got 2". */
int dataset_load(const dataset_spec *spec, dataset *out, sweep_error *err);

/* Parse CSV text already in memory; `source_name` is used in messages. */
int dataset_load_csv_text(const char *text, size_t size, const char *source_name,
                          const dataset_spec *spec, dataset *out, sweep_error *err);

void dataset_free(dataset *data);

/* A fingerprint of the rows a run trains and is scored on (the standardized
 * features and the targets of every split, and their shapes), as 16 hex
 * digits: FNV-1a 64 of their bytes. A resumed sweep compares it with the one
 * stored in the results file, so it never mixes runs made on other data. */
void dataset_checksum(const dataset *data, char text[17]);

#endif
