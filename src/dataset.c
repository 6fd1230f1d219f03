/* dataset.c: the data sets a sweep trains on: the built-in sets (CSV text
 * compiled in, or fashion-MNIST, fashion.c) and CSV files read whole; the
 * text becomes a data set in dataset_csv.c. Freeing and checksums.
 *
 * Decisions a user may meet:
 *   - Data files larger than DATASET_MAX_FILE_BYTES are refused: the whole
 *     file is read into memory before it is parsed.
 */
/* realpath, for the absolute path a message names. */
#define _XOPEN_SOURCE 700

#include "dataset.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_data.h"
#include "file_read.h"
#include "fashion.h"
#include "value_codes.h"

#define DATASET_MAX_FILE_BYTES ((size_t)1 << 30) /* 1 GiB */

/* The sets compiled in from data/NAME.csv. */
typedef struct {
    const char *name;
    const unsigned char *text;
    const size_t *size;
} builtin_csv;

static const builtin_csv BUILTIN_CSVS[] = {
    {"wdbc", builtin_wdbc_csv, &builtin_wdbc_csv_size},
    {"iris", builtin_iris_csv, &builtin_iris_csv_size},
    {"wine", builtin_wine_csv, &builtin_wine_csv_size},
    {"digits", builtin_digits_csv, &builtin_digits_csv_size},
};
#define N_BUILTIN_CSVS (sizeof BUILTIN_CSVS / sizeof BUILTIN_CSVS[0])

static const builtin_csv *find_builtin_csv(const char *name)
{
    for (size_t i = 0; i < N_BUILTIN_CSVS; i++)
        if (strcmp(BUILTIN_CSVS[i].name, name) == 0)
            return &BUILTIN_CSVS[i];
    return NULL;
}

bool dataset_is_builtin(const char *name)
{
    return find_builtin_csv(name) != NULL || strcmp(name, FASHION_NAME) == 0;
}

dataset_spec dataset_spec_builtin(const char *name)
{
    /* The textbook's split: test 0.2, then val 0.2 of the rest, seed 42.
     * wdbc ships those rows as its split column; the others are split. */
    dataset_spec spec = {
        .builtin = name,
        .path = NULL,
        .target = "target",
        .split_column = strcmp(name, "wdbc") == 0 ? "split" : NULL,
        .val_fraction = 0.2,
        .test_fraction = 0.2,
        .split_seed = 42,
        .standardize = true,
    };
    if (strcmp(name, FASHION_NAME) == 0) {
        spec.test_fraction = 0.0; /* the test rows are the t10k images */
        spec.standardize = false;
    }
    return spec;
}

dataset_spec dataset_spec_default(void)
{
    return dataset_spec_builtin("wdbc");
}

/* ---- files ------------------------------------------------------------ */

/* The file as a message names it: "'x.csv' (resolved to /home/u/exp/x.csv)"
 * when the config said where it was written, else the path alone. The
 * resolved path is absolute, so that a relative path's folder is not left
 * to guess. */
static void describe_data_file(const dataset_spec *spec, char *out, size_t size)
{
    if (spec->path_origin == NULL) {
        snprintf(out, size, "%s", spec->path);
        return;
    }
    char folder[PATH_MAX] = "";
    const char *slash = strrchr(spec->path, '/');
    const char *base = slash != NULL ? slash + 1 : spec->path;
    char *parent = slash != NULL ? strndup(spec->path, (size_t)(slash - spec->path) + 1)
                                 : strdup(".");
    if (parent == NULL || realpath(parent, folder) == NULL)
        snprintf(folder, sizeof folder, "%s", ".");
    free(parent);
    bool resolved = folder[0] == '/';
    snprintf(out, size, "'%s' (resolved to %s%s%s)",
             spec->path_as_written != NULL ? spec->path_as_written : spec->path,
             resolved ? folder : spec->path, resolved && strcmp(folder, "/") != 0 ? "/" : "",
             resolved ? base : "");
}

/* The whole file in memory (the CSV reader needs no line buffers that way).
 * Only regular files: a device (/dev/zero), a FIFO or a folder is refused
 * before anything is read, and so is a file above DATASET_MAX_FILE_BYTES.
 * The open does not block on a FIFO, so that it can be refused. */
static int read_whole_file(const dataset_spec *spec, char **text_out, size_t *size_out,
                           sweep_error *err)
{
    char file_name[2 * PATH_MAX + 64], shown[3 * PATH_MAX];
    /* "exp.yaml:1:17: dataset.path: 'x.csv' (resolved to /abs/x.csv)" */
    describe_data_file(spec, file_name, sizeof file_name);
    snprintf(shown, sizeof shown, "%s%s%s", spec->path_origin != NULL ? spec->path_origin : "",
             spec->path_origin != NULL ? ": dataset.path: " : "", file_name);
    const size_t limit_gib = DATASET_MAX_FILE_BYTES >> 30;
    const file_read_options options = {.max_bytes = DATASET_MAX_FILE_BYTES, .regular_only = true};
    file_read_problem problem;
    switch (file_read_whole(spec->path, &options, text_out, size_out, &problem)) {
    case FILE_READ_OK:
        return 0;
    case FILE_READ_CANNOT_OPEN:
        if (spec->path_origin != NULL)
            return error_set(err, ERROR_INPUT, "%s: dataset.path: cannot open %s: %s",
                             spec->path_origin, file_name, strerror(problem.error));
        return error_set(err, ERROR_INPUT, "%s: cannot open: %s", spec->path,
                         strerror(problem.error));
    case FILE_READ_NOT_REGULAR:
        return error_set(err, ERROR_INPUT,
                         "%s: is %s, not a regular file; data files are read whole", shown,
                         problem.kind);
    case FILE_READ_TOO_LARGE:
        if (problem.size >= 0)
            return error_set(err, ERROR_INPUT,
                             "%s: the file is larger than %zu GiB (%lld bytes); data files are "
                             "read whole and bigger ones are refused",
                             shown, limit_gib, problem.size);
        return error_set(err, ERROR_INPUT,
                         "%s: the file is larger than %zu GiB; data files are read whole and "
                         "bigger ones are refused",
                         shown, limit_gib);
    case FILE_READ_CANNOT_READ:
        return error_set(err, ERROR_RUNTIME, "%s: cannot read: %s", shown, strerror(problem.error));
    case FILE_READ_NO_MEMORY:
        return error_set(err, ERROR_RUNTIME, "%s: out of memory reading the file", shown);
    }
    return error_set(err, ERROR_RUNTIME, "%s: cannot read", shown);
}

int dataset_load(const dataset_spec *spec, dataset *out, sweep_error *err)
{
    memset(out, 0, sizeof *out);
    if (spec->builtin != NULL) {
        if (strcmp(spec->builtin, FASHION_NAME) == 0)
            return fashion_load(FASHION_DEFAULT_DIR, spec, out, err);
        const builtin_csv *csv = find_builtin_csv(spec->builtin);
        if (csv == NULL)
            return error_set(err, ERROR_INPUT, "unknown built-in data set '%s' (known: %s)",
                             spec->builtin, DATASET_BUILTIN_NAMES);
        /* wdbc's rows are the textbook's split already: it always uses its
         * split column (a stratified split of them would give other rows). */
        dataset_spec builtin_spec = *spec;
        if (builtin_spec.split_column == NULL && strcmp(csv->name, "wdbc") == 0)
            builtin_spec.split_column = "split";
        return dataset_load_csv_text((const char *)csv->text, *csv->size, csv->name, &builtin_spec,
                                     out, err);
    }
    if (spec->path == NULL)
        return error_set(err, ERROR_INPUT, "the data set has neither a built-in name nor a path");

    char *text = NULL;
    size_t size = 0;
    if (read_whole_file(spec, &text, &size, err) != 0)
        return -1;
    int status = dataset_load_csv_text(text, size, spec->path, spec, out, err);
    free(text);
    return status;
}

void dataset_free(dataset *data)
{
    if (data == NULL)
        return;
    if (data->feature_names != NULL)
        for (int j = 0; j < data->n_features; j++)
            free(data->feature_names[j]);
    free(data->feature_names);
    if (data->class_names != NULL)
        for (int c = 0; c < data->n_classes; c++)
            free(data->class_names[c]);
    free(data->class_names);
    free(data->name);
    free(data->x_train);
    free(data->y_train);
    free(data->x_val);
    free(data->y_val);
    free(data->x_test);
    free(data->codes_train);
    free(data->codes_val);
    free(data->code_values);
    free(data->y_test);
    memset(data, 0, sizeof *data);
}

/* FNV-1a 64 (Fowler, Noll, Vo; public-domain algorithm) over `size` bytes. */
static uint64_t fnv1a_update(uint64_t hash, const void *bytes, size_t size)
{
    const unsigned char *byte = bytes;
    for (size_t i = 0; i < size; i++) {
        hash ^= byte[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

void dataset_checksum(const dataset *data, char text[17])
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    int shape[4] = {data->n_features, data->n_train, data->n_val, data->n_test};
    hash = fnv1a_update(hash, shape, sizeof shape);
    const double *arrays[6] = {data->x_train, data->y_train, data->x_val,
                               data->y_val,   data->x_test,  data->y_test};
    size_t rows[3] = {(size_t)data->n_train, (size_t)data->n_val, (size_t)data->n_test};
    for (int split = 0; split < 3; split++) {
        if (rows[split] == 0)
            continue;
        hash = fnv1a_update(hash, arrays[2 * split],
                            rows[split] * (size_t)data->n_features * sizeof(double));
        hash = fnv1a_update(hash, arrays[2 * split + 1], rows[split] * sizeof(double));
    }
    bool binary = data->class_names == NULL ||
                  (data->n_classes == 2 && strcmp(data->class_names[0], "0") == 0 &&
                   strcmp(data->class_names[1], "1") == 0);
    if (!binary) {
        hash = fnv1a_update(hash, &data->n_classes, sizeof data->n_classes);
        for (int c = 0; c < data->n_classes; c++) /* each name with its NUL */
            hash = fnv1a_update(hash, data->class_names[c], strlen(data->class_names[c]) + 1);
    }
    snprintf(text, 17, "%016llx", (unsigned long long)hash);
}

/* ---- cross-validation folds ------------------------------------------- */

static char **copy_names(char *const *names, int n)
{
    char **copy = calloc((size_t)(n > 0 ? n : 1), sizeof *copy);
    for (int i = 0; copy != NULL && i < n; i++)
        if ((copy[i] = strdup(names[i])) == NULL) {
            for (int j = 0; j < i; j++)
                free(copy[j]);
            free(copy);
            copy = NULL;
        }
    return copy;
}

/* Row `row` of the non-test rows: the train rows, then the val rows. */
static const double *non_test_row(const dataset *rows, int row, double *label)
{
    size_t width = (size_t)rows->n_features;
    if (row < rows->n_train) {
        *label = rows->y_train[row];
        return rows->x_train + (size_t)row * width;
    }
    *label = rows->y_val[row - rows->n_train];
    return rows->x_val + (size_t)(row - rows->n_train) * width;
}

/* One fold's data set: the rows whose fold is `fold` are val rows, the
 * others train rows, in file order; the test rows as they are. */
static int fill_fold(const dataset *rows, const int *fold_of_row, int fold, int n_in_fold,
                     dataset *out)
{
    int n_rows = rows->n_train + rows->n_val;
    size_t width = (size_t)rows->n_features;
    out->n_features = rows->n_features;
    out->n_classes = rows->n_classes;
    out->n_train = n_rows - n_in_fold;
    out->n_val = n_in_fold;
    out->n_test = rows->n_test;
    out->name = strdup(rows->name);
    /* the other ranks of an MPI job receive no feature names */
    out->feature_names =
        rows->feature_names != NULL ? copy_names(rows->feature_names, rows->n_features) : NULL;
    out->class_names = rows->class_names != NULL ? copy_names(rows->class_names, rows->n_classes)
                                                 : NULL;
    out->x_train = malloc((size_t)out->n_train * width * sizeof(double));
    out->y_train = malloc((size_t)out->n_train * sizeof(double));
    out->x_val = malloc((size_t)out->n_val * width * sizeof(double));
    out->y_val = malloc((size_t)out->n_val * sizeof(double));
    if (rows->n_test > 0) {
        out->x_test = malloc((size_t)rows->n_test * width * sizeof(double));
        out->y_test = malloc((size_t)rows->n_test * sizeof(double));
    }
    if (out->name == NULL || (rows->feature_names != NULL && out->feature_names == NULL) ||
        (rows->class_names != NULL && out->class_names == NULL) || out->x_train == NULL ||
        out->y_train == NULL || out->x_val == NULL || out->y_val == NULL ||
        (rows->n_test > 0 && (out->x_test == NULL || out->y_test == NULL)))
        return -1;
    int n_train = 0, n_val = 0;
    for (int row = 0; row < n_rows; row++) {
        double label = 0;
        const double *x = non_test_row(rows, row, &label);
        bool is_val = fold_of_row[row] == fold;
        double *x_to = is_val ? out->x_val + (size_t)n_val * width
                              : out->x_train + (size_t)n_train * width;
        memcpy(x_to, x, width * sizeof(double));
        if (is_val)
            out->y_val[n_val++] = label;
        else
            out->y_train[n_train++] = label;
    }
    if (rows->n_test > 0) {
        memcpy(out->x_test, rows->x_test, (size_t)rows->n_test * width * sizeof(double));
        memcpy(out->y_test, rows->y_test, (size_t)rows->n_test * sizeof(double));
    }
    return 0;
}

/* Refuse folds that would need more memory than DATASET_FOLDS_MAX_BYTES. */
static int check_folds_memory(const dataset *rows, const fold_settings *settings, sweep_error *err)
{
    double copies = (double)settings->n_splits * (double)settings->n_repeats;
    double per_copy = ((double)rows->n_train + rows->n_val + rows->n_test) *
                      ((double)rows->n_features + 1.0) * (double)sizeof(double);
    if (copies * per_copy <= (double)DATASET_FOLDS_MAX_BYTES)
        return 0;
    char repeats[40] = "";
    if (settings->n_repeats > 1)
        snprintf(repeats, sizeof repeats, " x %d repeats", settings->n_repeats);
    return error_set(err, ERROR_INPUT,
                     "%s: cross-validation with %d folds%s needs %d copies of the data set "
                     "(%.0f MiB), more than sweep holds (%zu MiB); use fewer folds or repeats",
                     rows->name, settings->n_splits, repeats,
                     settings->n_splits * settings->n_repeats, copies * per_copy / 1048576.0,
                     DATASET_FOLDS_MAX_BYTES >> 20);
}

/* Every fold of every repeat from the fold numbers of the rows. */
static int build_fold_sets(const dataset *rows, const int *fold_of_row, bool standardize,
                           dataset_folds *out, sweep_error *err)
{
    const fold_settings *settings = &out->settings;
    int n_rows = rows->n_train + rows->n_val;
    for (int repeat = 0; repeat < settings->n_repeats; repeat++) {
        const int *folds = fold_of_row + (size_t)repeat * (size_t)n_rows;
        for (int fold = 0; fold < settings->n_splits; fold++) {
            int n_in_fold = 0;
            for (int row = 0; row < n_rows; row++)
                n_in_fold += folds[row] == fold;
            if (n_rows - n_in_fold < 2)
                return error_set(err, ERROR_INPUT,
                                 "%s: cross-validation fold %d leaves %d train rows, need at "
                                 "least 2",
                                 rows->name, fold, n_rows - n_in_fold);
            dataset *set = &out->sets[repeat * settings->n_splits + fold];
            if (fill_fold(rows, folds, fold, n_in_fold, set) != 0)
                return error_set(err, ERROR_RUNTIME, "%s: out of memory for the folds", rows->name);
            if (standardize && dataset_standardize(set, rows->name, err) != 0)
                return -1;
        }
    }
    return 0;
}

int dataset_folds_build(const dataset *rows, const fold_settings *settings, bool standardize,
                        dataset_folds *out, sweep_error *err)
{
    int status = -1;
    memset(out, 0, sizeof *out);
    int n_rows = rows->n_train + rows->n_val;
    int *fold_of_row = NULL;
    double *labels = malloc((size_t)(n_rows > 0 ? n_rows : 1) * sizeof *labels);
    if (settings->n_repeats >= 1 && n_rows > 0)
        fold_of_row = malloc((size_t)settings->n_repeats * (size_t)n_rows * sizeof *fold_of_row);
    if (labels == NULL || (settings->n_repeats >= 1 && n_rows > 0 && fold_of_row == NULL)) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory for the folds", rows->name);
        goto cleanup;
    }
    for (int row = 0; row < n_rows; row++)
        labels[row] = row < rows->n_train ? rows->y_train[row] : rows->y_val[row - rows->n_train];
    fold_summary summary = {0};
    if (folds_assign(labels, n_rows, settings, fold_of_row, &summary, err) != 0 ||
        check_folds_memory(rows, settings, err) != 0)
        goto cleanup;
    out->settings = *settings;
    out->smallest_class = summary.smallest_class;
    out->sets = calloc((size_t)settings->n_repeats * (size_t)settings->n_splits, sizeof *out->sets);
    if (out->sets == NULL) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory for the folds", rows->name);
        goto cleanup;
    }
    if (build_fold_sets(rows, fold_of_row, standardize, out, err) != 0)
        goto cleanup;
    status = 0;
cleanup:
    if (status != 0)
        dataset_folds_free(out);
    free(labels);
    free(fold_of_row);
    return status;
}

const dataset *dataset_folds_get(const dataset_folds *folds, int repeat, int fold)
{
    return &folds->sets[repeat * folds->settings.n_splits + fold];
}

void dataset_folds_free(dataset_folds *folds)
{
    if (folds == NULL)
        return;
    if (folds->sets != NULL)
        for (int i = 0; i < folds->settings.n_repeats * folds->settings.n_splits; i++)
            dataset_free(&folds->sets[i]);
    free(folds->sets);
    memset(folds, 0, sizeof *folds);
}

void dataset_code_values(dataset *data)
{
    enum { READ_AHEAD = 16 }; /* the AVX-512 listing reads codes 16 at a time */
    if (data->codes_train != NULL)
        return;
    const size_t n_train = (size_t)data->n_train * (size_t)data->n_features;
    const size_t n_val = (size_t)data->n_val * (size_t)data->n_features;
    value_table *table = malloc(sizeof *table);
    uint8_t *train = calloc(n_train + READ_AHEAD, 1), *val = calloc(n_val + READ_AHEAD, 1);
    double *values = malloc(VALUE_CODES_MAX * sizeof(double));
    bool coded = false;
    if (table != NULL && train != NULL && val != NULL && values != NULL) {
        value_table_init(table);
        coded = value_codes_encode(data->x_train, n_train, table, train) &&
                value_codes_encode(data->x_val, n_val, table, val);
    }
    if (coded) {
        memcpy(values, table->value, VALUE_CODES_MAX * sizeof(double));
        data->codes_train = train;
        data->codes_val = val;
        data->code_values = values;
    } else {
        free(train);
        free(val);
        free(values);
    }
    free(table);
}
