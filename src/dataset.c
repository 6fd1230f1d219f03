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
