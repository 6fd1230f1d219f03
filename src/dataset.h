/* dataset.h: a classification data set split into train/val/test rows.
 *
 * Loaded once, then shared read-only by every worker. Features are stored
 * row-major and, unless standardize is off, standardized with the train rows'
 * mean and population standard deviation (ddof 0), as the textbook does with
 * x_train.mean(axis=0) and x_train.std(axis=0); a feature that is constant
 * in the train rows (std 0) is only centred, as scikit-learn's
 * StandardScaler does (x - mean, scale 1).
 *
 * Targets are classes 0..K-1 (K = n_classes >= 2) stored as doubles, so a
 * binary set holds 0.0 and 1.0 as it always has.
 */
#ifndef SWEEP_DATASET_H
#define SWEEP_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "folds.h"

/* Where the rows come from and how they are split; owned by the config. */
typedef struct {
    const char *builtin;         /* one of DATASET_BUILTIN_NAMES, or NULL when `path` is set */
    const char *path;            /* CSV file (already resolved against the config's folder) */
    const char *path_as_written; /* `path` as the config wrote it, for messages, or NULL */
    const char *path_origin;     /* where the config wrote it ("exp.yaml:1:17"), or NULL */
    const char *target;          /* name of the class column; default "target" */
    const char *split_column;    /* column of train/val/test; NULL: stratified split below */
    double val_fraction;         /* share of the non-test rows that become val rows */
    double test_fraction;        /* share of all rows that become test rows (split off first) */
    uint32_t split_seed;         /* seed of the stratified split */
    bool standardize;            /* standardize with the train rows' statistics */
} dataset_spec;

typedef struct {
    char *name;           /* "wdbc" or the CSV path */
    int n_features;       /* columns used as inputs */
    char **feature_names; /* (n_features) */
    int n_classes;        /* K >= 2 */
    char **class_names;   /* (n_classes) as written in the file, in class order */
    int n_train, n_val, n_test;
    double *x_train; /* (n_train, n_features) */
    double *y_train; /* (n_train) the class number 0..K-1 (0.0 or 1.0 for K = 2) */
    double *x_val;   /* (n_val, n_features) */
    double *y_val;   /* (n_val) */
    double *x_test;  /* (n_test, n_features); NULL when n_test == 0 */
    double *y_test;  /* (n_test) */
    /* The train and val features as one-byte codes into code_values,
     * row-major like x_train and x_val, 16 bytes of room after each array
     * (dataset_code_values); all three NULL when the set is not coded. */
    uint8_t *codes_train, *codes_val;
    double *code_values; /* (VALUE_CODES_MAX) */
} dataset;

/* The built-in sets, as a list for messages. wdbc, iris, wine and digits
 * are compiled in (builtin_data.h); fashion_mnist is read from Debian's
 * dataset-fashion-mnist package (fashion.h). */
#define DATASET_BUILTIN_NAMES "wdbc, iris, wine, digits, fashion_mnist"

/* true when `name` is one of DATASET_BUILTIN_NAMES. */
bool dataset_is_builtin(const char *name);

/* How a built-in set is loaded unless the config says otherwise: wdbc with
 * its own split column (the textbook's rows); iris, wine and digits with the
 * textbook's stratified splits (test 0.2, then val 0.2, seed 42);
 * fashion_mnist with its 10,000 test images as test rows, a stratified val
 * 0.2 of the 60,000 training images (seed 42), and no standardization
 * (chapter 7 divides the pixels by 255 instead). `name` must be built in. */
dataset_spec dataset_spec_builtin(const char *name);

/* dataset_spec_builtin("wdbc"). */
dataset_spec dataset_spec_default(void);

/* Read and split the rows. On failure `out` is left empty (safe to free) and
 * err says which file and line, e.g. "my.csv:17: column 'a' is empty
 * (missing values are not supported)". */
int dataset_load(const dataset_spec *spec, dataset *out, sweep_error *err);

/* Parse CSV text already in memory; `source_name` is used in messages. */
int dataset_load_csv_text(const char *text, size_t size, const char *source_name,
                          const dataset_spec *spec, dataset *out, sweep_error *err);

void dataset_free(dataset *data);

/* Code the train and val features (value_codes.h) when their values fit
 * one table, so that every run on the set shares one copy (55 MB for
 * fashion-MNIST) instead of coding its own. Leaves the set uncoded when
 * they do not fit or memory runs out: codes only make the multi-class
 * kernels faster, never different. */
void dataset_code_values(dataset *data);

/* Standardize x_train, x_val and x_test in place with x_train's mean and
 * population std, as described above; `source` names the set in messages
 * (a feature whose values overflow). */
int dataset_standardize(dataset *data, const char *source, sweep_error *err);

/* ---- cross-validation ---------------------------------------------------
 *
 * The folds of a data set, each a data set of its own: for repeat r and
 * fold k, its val rows are the rows of fold k and its train rows the other
 * folds' rows, both in file order, of the set's non-test rows (its train
 * rows, then its val rows); its test rows are the set's test rows. With
 * `standardize`, each is standardized with its own train rows' statistics,
 * as a Pipeline(StandardScaler, model) in GridSearchCV does.
 *
 * All of them are built once, before training, and then shared read-only
 * by every worker, like the data set: building one per run would redo the
 * same copies for every grid point. They cost repeats x folds copies of the
 * set, so more than DATASET_FOLDS_MAX_BYTES is refused (fashion-MNIST, 440
 * MB a copy, with more than 2 folds) rather than left to exhaust memory. */
#define DATASET_FOLDS_MAX_BYTES ((size_t)1 << 30) /* 1 GiB */

typedef struct {
    fold_settings settings;
    dataset *sets;      /* (n_repeats * n_splits), repeat-major */
    int smallest_class; /* members of the least populated class (scikit-learn warns
                           when it is below n_splits) */
} dataset_folds;

/* Build the folds of `rows`, a data set loaded without standardization.
 * ERROR_INPUT for settings the rows cannot take (folds_assign's errors, a
 * fold leaving fewer than 2 train rows, the memory bound above); on failure
 * `out` is left empty (safe to free). */
int dataset_folds_build(const dataset *rows, const fold_settings *settings, bool standardize,
                        dataset_folds *out, sweep_error *err);

/* The data set of (repeat, fold). */
const dataset *dataset_folds_get(const dataset_folds *folds, int repeat, int fold);

void dataset_folds_free(dataset_folds *folds);

/* A fingerprint of the rows a run trains and is scored on (the standardized
 * features and the targets of every split, their shapes, and the class
 * names unless they are just "0" and "1"), as 16 hex digits: FNV-1a 64 of
 * their bytes. (A binary set keeps the fingerprint it had before classes
 * had names, so older results files still resume.) A resumed sweep compares it with the one
 * stored in the results file, so it never mixes runs made on other data. */
void dataset_checksum(const dataset *data, char text[17]);

#endif
