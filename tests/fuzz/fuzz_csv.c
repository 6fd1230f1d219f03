/* fuzz_csv.c: libFuzzer entry point for the CSV data-set reader (csv.c and
 * dataset.c).
 *
 * The input is a whole CSV file. It is loaded with each of a few specs: the
 * built-in set's own split column, sklearn's stratified split with and
 * without test rows, other column names, standardization on and off. A
 * crash, a leak or a sanitizer report is a bug, and so is any broken promise
 * of dataset.h, checked with abort() so that the fuzzer keeps the input:
 *   - a failure is ERROR_INPUT with a one-line message and an empty data set
 *     (ERROR_RUNTIME, i.e. out of memory, means the input got past a limit);
 *   - a success has at least one feature, two train rows and one val row,
 *     K >= 2 named classes and targets that are class numbers 0..K-1,
 *     finite features, and x_test NULL exactly when there are no test rows.
 *
 * Built two ways: with clang -fsanitize=fuzzer (CMake option SWEEP_FUZZ,
 * scripts/fuzz) and with any compiler as a plain function that
 * tests/fuzz/corpus_driver.c calls on every file of tests/fuzz/corpus/csv.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const sweep_error *err, const dataset *data)
{
    dataset zero;
    memset(&zero, 0, sizeof zero);
    if (err->kind == ERROR_RUNTIME) {
        /* The only runtime error here is running out of memory, which a
         * hostile input must not cause within the memory caps of
         * corpus_driver.c and scripts/fuzz. */
        fprintf(stderr, "fuzz_csv: runtime error: %s\n", err->message);
        abort();
    }
    if (err->kind == ERROR_NONE || err->message[0] == '\0' || strchr(err->message, '\n') != NULL) {
        fprintf(stderr, "fuzz_csv: bad error report (kind %d): '%s'\n", (int)err->kind,
                err->message);
        abort();
    }
    if (memcmp(data, &zero, sizeof zero) != 0) {
        fprintf(stderr, "fuzz_csv: a failed load left data in the data set\n");
        abort();
    }
}

static void check_block(const double *x, const double *y, int n_rows, int n_features, int n_classes,
                        const char *block)
{
    for (size_t i = 0; i < (size_t)n_rows * (size_t)n_features; i++)
        if (!isfinite(x[i])) {
            fprintf(stderr, "fuzz_csv: %s value %zu is %g\n", block, i, x[i]);
            abort();
        }
    for (int i = 0; i < n_rows; i++)
        if (!(y[i] >= 0.0 && y[i] < (double)n_classes && y[i] == floor(y[i]) && !signbit(y[i]))) {
            fprintf(stderr, "fuzz_csv: %s target %d is %g\n", block, i, y[i]);
            abort();
        }
}

static void check_loaded(const dataset *data)
{
    if (data->n_features < 1 || data->feature_names == NULL || data->n_train < 2 ||
        data->n_val < 1 || data->n_test < 0 || (data->n_test == 0) != (data->x_test == NULL)) {
        fprintf(stderr, "fuzz_csv: bad shape: %d features, %d/%d/%d rows\n", data->n_features,
                data->n_train, data->n_val, data->n_test);
        abort();
    }
    for (int j = 0; j < data->n_features; j++)
        if (data->feature_names[j] == NULL || data->feature_names[j][0] == '\0') {
            fprintf(stderr, "fuzz_csv: feature %d has no name\n", j);
            abort();
        }
    if (data->n_classes < 2 || data->class_names == NULL) {
        fprintf(stderr, "fuzz_csv: %d classes\n", data->n_classes);
        abort();
    }
    for (int c = 0; c < data->n_classes; c++)
        if (data->class_names[c] == NULL || data->class_names[c][0] == '\0') {
            fprintf(stderr, "fuzz_csv: class %d has no name\n", c);
            abort();
        }
    int k = data->n_classes;
    check_block(data->x_train, data->y_train, data->n_train, data->n_features, k, "train");
    check_block(data->x_val, data->y_val, data->n_val, data->n_features, k, "val");
    if (data->n_test > 0)
        check_block(data->x_test, data->y_test, data->n_test, data->n_features, k, "test");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dataset_spec specs[4];
    /* The built-in set's layout: a split column of train/val/test. */
    specs[0] = dataset_spec_default();
    specs[0].builtin = NULL;
    specs[0].path = "fuzz.csv";
    /* The config's default for a CSV: stratified, no test rows. */
    specs[1] = specs[0];
    specs[1].split_column = NULL;
    specs[1].val_fraction = 0.2;
    specs[1].test_fraction = 0.0;
    specs[1].split_seed = 42;
    /* Stratified with test rows, not standardized. */
    specs[2] = specs[1];
    specs[2].val_fraction = 0.25;
    specs[2].test_fraction = 0.2;
    specs[2].split_seed = 7;
    specs[2].standardize = false;
    /* Other column names, a split column, not standardized. */
    specs[3] = specs[0];
    specs[3].target = "label";
    specs[3].split_column = "part";
    specs[3].standardize = false;

    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        dataset loaded;
        sweep_error err = {0};
        if (dataset_load_csv_text((const char *)data, size, "fuzz.csv", &specs[s], &loaded, &err) !=
            0) {
            check_error(&err, &loaded);
        } else {
            check_loaded(&loaded);
        }
        dataset_free(&loaded);
    }
    return 0;
}
