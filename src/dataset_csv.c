/* dataset_csv.c: CSV text to a data set: the header's columns, the rows
 * of numeric features and a class target, the split into train/val/test
 * rows and standardization with the train rows' statistics.
 *
 * Two ways to split, both chosen to give the textbook's rows exactly:
 *   - a split column whose cells are train, val or test (rows keep their file
 *     order within each split; the built-in wdbc set has one);
 *   - no split column: scikit-learn's train_test_split(stratify=y,
 *     random_state=seed), once for the test rows and once more for the val
 *     rows, reproduced draw for draw (split.h).
 *
 * Decisions a user may meet:
 *   - Cells may have spaces or tabs around them; they are trimmed (csv.h).
 *   - Numbers are plain decimal ("12", "-0.5", "1e-3"); NaN, inf, hex and
 *     empty cells are rejected, as is a value too large for a double.
 *   - The target holds class numbers 0..K-1 or class names (labels.h).
 *   - A feature column whose train values are all equal is centred and left
 *     unscaled, as scikit-learn's StandardScaler does (numpy would divide by
 *     a zero std and fill the column with NaN).
 */
#include "dataset.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "labels.h"
#include "number.h"
#include "split.h"

/* How many characters of a bad cell a message quotes. */
#define CELL_QUOTE_MAX 40

enum split_kind { SPLIT_TRAIN = 0, SPLIT_VAL = 1, SPLIT_TEST = 2 };

/* The rows of a file in file order, before they are split. */
typedef struct {
    double *x;         /* (n_rows, n_features) raw feature values */
    double *y;         /* (n_rows) label id while reading, then the class 0..K-1 */
    signed char *part; /* (n_rows) enum split_kind; only with a split column */
    size_t n_rows;
    size_t capacity;  /* rows allocated in each array */
    label_set labels; /* the distinct target cells */
} raw_rows;


/* ---- numbers ---------------------------------------------------------- */

typedef enum {
    CELL_NUMBER,
    CELL_EMPTY,
    CELL_NOT_A_NUMBER,
    CELL_NOT_FINITE,  /* nan, inf, infinity (any case, any sign) */
    CELL_OUT_OF_RANGE /* decimal, but beyond the largest double */
} cell_status;

/* Parse a trimmed cell as plain decimal notation, [+-]d[.d][(e|E)[+-]d].
 * The syntax is checked here so that strtod's extras (hex floats, "nan",
 * "infinity") never slip through; the value itself comes from strtod, which
 * rounds correctly in glibc, as Python's float() does. */
static cell_status parse_number(const char *cell, double *value)
{
    if (cell[0] == '\0')
        return CELL_EMPTY;
    const char *p = cell;
    if (*p == '+' || *p == '-')
        p++;
    if (strcasecmp(p, "nan") == 0 || strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0)
        return CELL_NOT_FINITE;

    p = number_skip_decimal(p);
    if (p == NULL || *p != '\0')
        return CELL_NOT_A_NUMBER;

    char *end = NULL;
    errno = 0;
    double parsed = strtod(cell, &end);
    if (end != p)
        return CELL_NOT_A_NUMBER;
    /* Underflow to zero or a subnormal is what float() gives too; accept it. */
    if (isinf(parsed))
        return CELL_OUT_OF_RANGE;
    *value = parsed;
    return CELL_NUMBER;
}

/* Report a feature or target cell that is not a usable number. */
static int cell_error(sweep_error *err, const char *source, size_t line, const char *column,
                      const char *cell, cell_status status)
{
    int quoted = (int)strnlen(cell, CELL_QUOTE_MAX);
    const char *more = cell[quoted] != '\0' ? "..." : "";
    switch (status) {
    case CELL_EMPTY:
        return error_set(err, ERROR_INPUT,
                         "%s:%zu: column '%s' is empty (missing values are not supported)", source,
                         line, column);
    case CELL_NOT_FINITE:
        return error_set(err, ERROR_INPUT,
                         "%s:%zu: column '%s' is '%s' (NaN and infinite values are not supported)",
                         source, line, column, cell);
    case CELL_OUT_OF_RANGE:
        return error_set(err, ERROR_INPUT,
                         "%s:%zu: column '%s': '%.*s%s' is too large for a double", source, line,
                         column, quoted, cell, more);
    default:
        return error_set(err, ERROR_INPUT, "%s:%zu: column '%s': '%.*s%s' is not a number", source,
                         line, column, quoted, cell, more);
    }
}

/* ---- header ----------------------------------------------------------- */

/* "a, b, c" or "a, b, c, ..., x, y" (with the count) for messages that say
 * which columns a file has. */
static void describe_columns(char *out, size_t out_size, char *const *names, size_t n_names)
{
    const size_t n_head = 5, n_tail = 2;
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n_names && used < out_size; i++) {
        bool elide = n_names > n_head + n_tail + 1 && i >= n_head && i < n_names - n_tail;
        if (elide) {
            if (i == n_head)
                used += (size_t)snprintf(out + used, out_size - used, ", ...");
            continue;
        }
        used += (size_t)snprintf(out + used, out_size - used, "%s%.32s", i ? ", " : "", names[i]);
    }
    if (n_names > n_head + n_tail + 1 && used < out_size)
        snprintf(out + used, out_size - used, " (%zu columns)", n_names);
}

static int compare_name_pointers(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reject empty and duplicate column names. Duplicates are found by sorting a
 * copy (a header can have very many columns), then located for the message. */
static int check_column_names(char *const *names, size_t n_names, const char *source, size_t line,
                              sweep_error *err)
{
    for (size_t i = 0; i < n_names; i++)
        if (names[i][0] == '\0')
            return error_set(err, ERROR_INPUT, "%s:%zu: column %zu has an empty name", source, line,
                             i + 1);

    int status = 0;
    char **sorted = malloc(n_names * sizeof *sorted);
    if (sorted == NULL)
        return error_set(err, ERROR_RUNTIME, "%s:%zu: out of memory", source, line);
    memcpy(sorted, names, n_names * sizeof *sorted);
    qsort(sorted, n_names, sizeof *sorted, compare_name_pointers);
    const char *duplicate = NULL;
    for (size_t i = 1; i < n_names && duplicate == NULL; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            duplicate = sorted[i];
    if (duplicate != NULL) {
        size_t first = 0, second = 0;
        for (size_t i = 0; i < n_names && second == 0; i++)
            if (strcmp(names[i], duplicate) == 0) {
                if (first == 0)
                    first = i + 1;
                else
                    second = i + 1;
            }
        status = error_set(err, ERROR_INPUT,
                           "%s:%zu: duplicate column name '%.64s' (columns %zu and %zu)", source,
                           line, duplicate, first, second);
    }
    free(sorted);
    return status;
}

/* Index of the column called `name`, or -1. */
static long find_column(char *const *names, size_t n_names, const char *name)
{
    for (size_t i = 0; i < n_names; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

/* ---- rows ------------------------------------------------------------- */

static void raw_rows_free(raw_rows *rows)
{
    free(rows->x);
    free(rows->y);
    free(rows->part);
    label_set_free(&rows->labels);
    memset(rows, 0, sizeof *rows);
}

/* Make room for one more row, doubling so a large file costs O(n) copies. */
static int raw_rows_reserve(raw_rows *rows, size_t n_features, const char *source, size_t line,
                            sweep_error *err)
{
    if (rows->n_rows < rows->capacity)
        return 0;
    if (rows->n_rows >= INT_MAX)
        return error_set(err, ERROR_INPUT, "%s:%zu: more than %d data rows", source, line, INT_MAX);
    /* The first block holds 256 rows, or fewer when rows are wide, so that
     * a short file with a header of many columns does not reserve memory
     * hundreds of times its size (20000 columns: 40 MB for one row). */
    size_t capacity = rows->capacity * 2;
    if (rows->capacity == 0) {
        capacity = ((size_t)1 << 16) / sizeof(double) / n_features;
        capacity = capacity < 1 ? 1 : capacity > 256 ? 256 : capacity;
    }
    if (capacity > INT_MAX)
        capacity = INT_MAX;
    if (capacity > SIZE_MAX / sizeof(double) / n_features)
        return error_set(err, ERROR_RUNTIME, "%s:%zu: too many values to hold in memory", source,
                         line);
    double *x = realloc(rows->x, capacity * n_features * sizeof *x);
    if (x != NULL)
        rows->x = x;
    double *y = realloc(rows->y, capacity * sizeof *y);
    if (y != NULL)
        rows->y = y;
    signed char *part = realloc(rows->part, capacity * sizeof *part);
    if (part != NULL)
        rows->part = part;
    if (x == NULL || y == NULL || part == NULL)
        return error_set(err, ERROR_RUNTIME, "%s:%zu: out of memory for %zu rows", source, line,
                         capacity);
    rows->capacity = capacity;
    return 0;
}

/* Which columns play which role. */
typedef struct {
    size_t n_columns;
    long target_column;
    long split_column; /* -1 without a split column */
    size_t n_features;
    size_t *feature_column; /* (n_features) column index of each feature */
} column_roles;

/* Parse one data row (already split into fields) into rows. */
static int parse_row(const csv_reader *reader, const column_roles *roles, char *const *names,
                     raw_rows *rows, sweep_error *err)
{
    const char *source = reader->source_name;
    size_t line = reader->line;
    if (reader->n_fields != roles->n_columns)
        return error_set(err, ERROR_INPUT,
                         "%s:%zu: expected %zu columns (as in the header), got %zu", source, line,
                         roles->n_columns, reader->n_fields);
    if (raw_rows_reserve(rows, roles->n_features, source, line, err) != 0)
        return -1;

    size_t row = rows->n_rows;
    double *x = rows->x + row * roles->n_features;
    for (size_t j = 0; j < roles->n_features; j++) {
        size_t column = roles->feature_column[j];
        cell_status status = parse_number(reader->fields[column], &x[j]);
        if (status != CELL_NUMBER)
            return cell_error(err, source, line, names[column], reader->fields[column], status);
    }

    const char *target_cell = reader->fields[roles->target_column];
    double target = 0.0;
    cell_status status = parse_number(target_cell, &target);
    if (status == CELL_EMPTY || status == CELL_NOT_FINITE)
        return cell_error(err, source, line, names[roles->target_column], target_cell, status);
    int label = 0;
    if (label_set_add(&rows->labels, target_cell, source, line, names[roles->target_column], &label,
                      err) != 0)
        return -1;
    rows->y[row] = (double)label;

    rows->part[row] = SPLIT_TRAIN;
    if (roles->split_column >= 0) {
        const char *cell = reader->fields[roles->split_column];
        if (strcmp(cell, "train") == 0)
            rows->part[row] = SPLIT_TRAIN;
        else if (strcmp(cell, "val") == 0)
            rows->part[row] = SPLIT_VAL;
        else if (strcmp(cell, "test") == 0)
            rows->part[row] = SPLIT_TEST;
        else {
            int quoted = (int)strnlen(cell, CELL_QUOTE_MAX);
            return error_set(err, ERROR_INPUT,
                             "%s:%zu: unknown split '%.*s%s' in column '%s' "
                             "(expected train, val or test)",
                             source, line, quoted, cell, cell[quoted] ? "..." : "",
                             names[roles->split_column]);
        }
    }
    rows->n_rows++;
    return 0;
}

/* ---- splits ----------------------------------------------------------- */

/* Test rows first (when test_fraction > 0), then val rows from the rest --
 * the textbook's two train_test_split calls with one seed (split.h). */
static int split_rows_stratified(const raw_rows *rows, const dataset *data,
                                 const dataset_spec *spec, const char *source, row_split *split,
                                 sweep_error *err)
{
    split_labels labels = {rows->y, data->n_classes, data->class_names, source};
    return split_textbook(&labels, (int)rows->n_rows, spec->test_fraction, spec->val_fraction,
                          spec->split_seed, split, err);
}

/* Rows of each split in file order, from the split column. */
static int split_by_column(const raw_rows *rows, const char *source, row_split *split,
                           sweep_error *err)
{
    int n = (int)rows->n_rows;
    split->train = malloc((size_t)n * sizeof *split->train);
    split->val = malloc((size_t)n * sizeof *split->val);
    split->test = malloc((size_t)n * sizeof *split->test);
    if (split->train == NULL || split->val == NULL || split->test == NULL)
        return error_set(err, ERROR_RUNTIME, "%s: out of memory splitting %d rows", source, n);
    for (int i = 0; i < n; i++) {
        if (rows->part[i] == SPLIT_TRAIN)
            split->train[split->n_train++] = i;
        else if (rows->part[i] == SPLIT_VAL)
            split->val[split->n_val++] = i;
        else
            split->test[split->n_test++] = i;
    }
    return 0;
}

/* ---- standardization -------------------------------------------------- */

/* x' = (x - mean) / std with the train rows' mean and population std, as
 * numpy computes x_train.mean(axis=0) and x_train.std(axis=0): along axis 0
 * of a C-contiguous array numpy adds the rows in order (its pairwise
 * summation only runs along the contiguous axis), then divides by n; the std
 * is sqrt(sum((x - mean)**2) / n) the same way. Matching the order of the
 * additions is what makes the results equal to numpy's bit for bit. */
int dataset_standardize(dataset *data, const char *source, sweep_error *err)
{
    int status = -1;
    int n_features = data->n_features, n_train = data->n_train;
    double *mean = calloc((size_t)n_features, sizeof *mean);
    double *std = calloc((size_t)n_features, sizeof *std);
    if (mean == NULL || std == NULL) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
        goto cleanup;
    }

    for (int i = 0; i < n_train; i++)
        for (int j = 0; j < n_features; j++)
            mean[j] += data->x_train[(size_t)i * n_features + j];
    for (int j = 0; j < n_features; j++)
        mean[j] /= (double)n_train;
    for (int i = 0; i < n_train; i++)
        for (int j = 0; j < n_features; j++) {
            double deviation = data->x_train[(size_t)i * n_features + j] - mean[j];
            std[j] += deviation * deviation;
        }
    for (int j = 0; j < n_features; j++) {
        std[j] = sqrt(std[j] / (double)n_train);

        /* scikit-learn's StandardScaler leaves a constant column unscaled
         * (scale 1) instead of dividing by 0; numpy's own division would
         * fill it with NaN. "Constant" is exact equality, or a std that
         * underflowed to 0, so every other column keeps numpy's bits. */
        bool constant = true;
        double first = data->x_train[j];
        for (int i = 1; i < n_train && constant; i++)
            constant = data->x_train[(size_t)i * n_features + j] == first;
        if (constant || std[j] == 0.0)
            std[j] = 1.0;
        if (!isfinite(mean[j]) || !isfinite(std[j])) {
            error_set(err, ERROR_INPUT,
                      "%s: feature '%s' has values too large to standardize (its train mean or "
                      "std overflows)",
                      source, data->feature_names[j]);
            goto cleanup;
        }
    }

    double *blocks[3] = {data->x_train, data->x_val, data->x_test};
    int block_rows[3] = {data->n_train, data->n_val, data->n_test};
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < block_rows[b]; i++)
            for (int j = 0; j < n_features; j++) {
                double *x = &blocks[b][(size_t)i * n_features + j];
                *x = (*x - mean[j]) / std[j];
                if (!isfinite(*x)) {
                    error_set(err, ERROR_INPUT,
                              "%s: feature '%s' becomes infinite when standardized (its train "
                              "std %g is too small for its values)",
                              source, data->feature_names[j], std[j]);
                    goto cleanup;
                }
            }
    status = 0;

cleanup:
    free(mean);
    free(std);
    return status;
}

/* ---- assembling the data set ------------------------------------------ */

static int copy_rows(const raw_rows *rows, const int *ids, int n, int n_features, double **x_out,
                     double **y_out)
{
    *x_out = NULL;
    *y_out = NULL;
    if (n == 0)
        return 0;
    double *x = malloc((size_t)n * (size_t)n_features * sizeof *x);
    double *y = malloc((size_t)n * sizeof *y);
    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        memcpy(x + (size_t)k * n_features, rows->x + (size_t)ids[k] * n_features,
               (size_t)n_features * sizeof *x);
        y[k] = rows->y[ids[k]];
    }
    *x_out = x;
    *y_out = y;
    return 0;
}

/* Train rows of one class teach nothing: the network learns to answer that
 * class and scores 1.0 on any val rows of it. Val and test rows of one
 * class are allowed: they still measure something true (how the network
 * does on that class), and a hand-made split may have them on purpose. */
static int check_train_classes(const raw_rows *rows, const row_split *split, const char *source,
                               const char *split_name, char *const *class_names, sweep_error *err)
{
    double first = rows->y[split->train[0]];
    const char *name = class_names[(int)first];
    for (int k = 1; k < split->n_train; k++)
        if (rows->y[split->train[k]] != first)
            return 0;
    if (split_name != NULL)
        return error_set(err, ERROR_INPUT,
                         "%s: every train row of column '%s' is of class '%s': a classifier "
                         "needs train rows of at least two classes",
                         source, split_name, name);
    return error_set(err, ERROR_INPUT,
                     "%s: every train row is of class '%s': a classifier needs train rows of "
                     "at least two classes",
                     source, name);
}

/* Number the classes of the target cells read (labels.h) and turn every
 * row's label id into its class; the names go to the data set. */
static int number_classes(raw_rows *rows, const char *source, const char *column, dataset *out,
                          sweep_error *err)
{
    int *class_of_id = NULL;
    if (label_set_finish(&rows->labels, source, column, &class_of_id, &out->class_names,
                         &out->n_classes, err) != 0)
        return -1;
    for (size_t i = 0; i < rows->n_rows; i++)
        rows->y[i] = (double)class_of_id[(int)rows->y[i]];
    free(class_of_id);
    return 0;
}

static int check_fraction(double value, bool zero_allowed, const char *what, const char *source,
                          sweep_error *err)
{
    bool ok = value < 1.0 && (zero_allowed ? value >= 0.0 : value > 0.0);
    if (!ok)
        return error_set(err, ERROR_INPUT, "%s: %s must be in %s, got %g", source, what,
                         zero_allowed ? "[0, 1)" : "(0, 1)", value);
    return 0;
}

/* Without a split column the rows are split by fractions, which must be
 * fractions; with one, it must not be the target column too. */
static int check_split_settings(const dataset_spec *spec, const char *source, const char *target,
                                sweep_error *err)
{
    const char *split_name = spec->split_column;
    if (split_name == NULL &&
        (check_fraction(spec->test_fraction, true, "test_fraction", source, err) != 0 ||
         check_fraction(spec->val_fraction, false, "val_fraction", source, err) != 0))
        return -1;
    if (split_name != NULL && strcmp(split_name, target) == 0)
        return error_set(err, ERROR_INPUT, "%s: the target and the split column are both '%s'",
                         source, target);
    return 0;
}

/* The header: names copied out, since the reader reuses its fields. The
 * caller frees *names_out (its *n_names_out entries, NULL or not) also on
 * failure. */
static int read_header(csv_reader *reader, const char *source, char ***names_out,
                       size_t *n_names_out, size_t *header_line, sweep_error *err)
{
    bool got_row = false;
    if (csv_next_row(reader, &got_row, err) != 0)
        return -1;
    if (!got_row)
        return error_set(err, ERROR_INPUT,
                         "%s:1: the file is empty (expected a header row of column names)", source);
    *header_line = reader->line;
    size_t n_names = reader->n_fields;
    char **names = calloc(n_names, sizeof *names);
    if (names == NULL)
        return error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
    *names_out = names;
    *n_names_out = n_names;
    for (size_t i = 0; i < n_names; i++) {
        names[i] = strdup(reader->fields[i]);
        if (names[i] == NULL)
            return error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
    }
    return check_column_names(names, n_names, source, *header_line, err);
}

/* Which column is the target, which the split (if any), and which are the
 * features: every other one, in file order. The caller frees
 * roles->feature_column also on failure. */
static int assign_column_roles(char *const *names, size_t n_names, size_t header_line,
                               const char *source, const char *target, const char *split_name,
                               column_roles *roles, sweep_error *err)
{
    char columns[512];
    roles->n_columns = n_names;
    roles->target_column = find_column(names, n_names, target);
    roles->split_column = split_name ? find_column(names, n_names, split_name) : -1;
    if (roles->target_column < 0 || (split_name != NULL && roles->split_column < 0)) {
        describe_columns(columns, sizeof columns, names, n_names);
        bool no_target = roles->target_column < 0;
        return error_set(err, ERROR_INPUT, "%s:%zu: no %s column '%s'; the columns are: %s", source,
                         header_line, no_target ? "target" : "split",
                         no_target ? target : split_name, columns);
    }
    roles->n_features = n_names - 1 - (roles->split_column >= 0);
    if (roles->n_features == 0)
        return error_set(err, ERROR_INPUT, "%s:%zu: no feature columns (only the target%s)", source,
                         header_line, roles->split_column >= 0 ? " and the split column" : "");
    if (roles->n_features > INT_MAX)
        return error_set(err, ERROR_INPUT, "%s:%zu: more than %d feature columns", source,
                         header_line, INT_MAX);
    roles->feature_column = malloc(roles->n_features * sizeof *roles->feature_column);
    if (roles->feature_column == NULL)
        return error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
    for (size_t i = 0, j = 0; i < n_names; i++)
        if ((long)i != roles->target_column && (long)i != roles->split_column)
            roles->feature_column[j++] = i;
    return 0;
}

/* Every row after the header, parsed into `rows`; at least one. */
static int read_rows(csv_reader *reader, const column_roles *roles, char *const *names,
                     size_t header_line, const char *source, raw_rows *rows, sweep_error *err)
{
    for (;;) {
        bool got_row = false;
        if (csv_next_row(reader, &got_row, err) != 0)
            return -1;
        if (!got_row)
            break;
        if (parse_row(reader, roles, names, rows, err) != 0)
            return -1;
    }
    if (rows->n_rows == 0)
        return error_set(err, ERROR_INPUT, "%s:%zu: only a header row, no data rows", source,
                         header_line);
    return 0;
}

/* Two train rows at least: one row has no spread to learn or to
 * standardize with. Val rows give the val loss every run records. */
static int check_split_sizes(const row_split *split, const char *source, const char *split_name,
                             sweep_error *err)
{
    if (split->n_train >= 2 && split->n_val >= 1)
        return 0;
    bool few_train = split->n_train < 2;
    if (split_name != NULL)
        return error_set(err, ERROR_INPUT, "%s: column '%s' has %d %s rows, need at least %d",
                         source, split_name, few_train ? split->n_train : split->n_val,
                         few_train ? "train" : "val", few_train ? 2 : 1);
    return error_set(err, ERROR_INPUT, "%s: the split leaves %d %s rows, need at least %d", source,
                     few_train ? split->n_train : split->n_val, few_train ? "train" : "val",
                     few_train ? 2 : 1);
}

/* The data set's name, feature names and the rows of each part, copied out
 * of the rows read. On failure the caller frees `out`. */
static int fill_dataset(const raw_rows *rows, const row_split *split, const column_roles *roles,
                        char *const *names, const char *source, dataset *out, sweep_error *err)
{
    int n_features = (int)roles->n_features;
    out->name = strdup(source);
    out->feature_names = calloc(roles->n_features, sizeof *out->feature_names);
    if (out->name == NULL || out->feature_names == NULL)
        return error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
    out->n_features = n_features;
    for (int j = 0; j < n_features; j++) {
        out->feature_names[j] = strdup(names[roles->feature_column[j]]);
        if (out->feature_names[j] == NULL)
            return error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
    }
    out->n_train = split->n_train;
    out->n_val = split->n_val;
    out->n_test = split->n_test;
    if (copy_rows(rows, split->train, split->n_train, n_features, &out->x_train, &out->y_train) !=
            0 ||
        copy_rows(rows, split->val, split->n_val, n_features, &out->x_val, &out->y_val) != 0 ||
        copy_rows(rows, split->test, split->n_test, n_features, &out->x_test, &out->y_test) != 0)
        return error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
    return 0;
}

int dataset_load_csv_text(const char *text, size_t size, const char *source_name,
                          const dataset_spec *spec, dataset *out, sweep_error *err)
{
    int status = -1;
    csv_reader reader;
    memset(&reader, 0, sizeof reader);
    char **names = NULL;
    size_t n_names = 0;
    size_t header_line = 0;
    column_roles roles = {0};
    raw_rows rows = {0};
    row_split split = {0};
    memset(out, 0, sizeof *out);

    const char *source = source_name ? source_name : "data";
    const char *target = spec->target ? spec->target : "target";
    const char *split_name = spec->split_column;
    if (check_split_settings(spec, source, target, err) != 0 ||
        csv_reader_open(&reader, text, size, source, err) != 0 ||
        read_header(&reader, source, &names, &n_names, &header_line, err) != 0 ||
        assign_column_roles(names, n_names, header_line, source, target, split_name, &roles, err) !=
            0 ||
        read_rows(&reader, &roles, names, header_line, source, &rows, err) != 0 ||
        number_classes(&rows, source, target, out, err) != 0)
        goto cleanup;
    if (split_name != NULL) {
        if (split_by_column(&rows, source, &split, err) != 0)
            goto cleanup;
    } else if (split_rows_stratified(&rows, out, spec, source, &split, err) != 0) {
        goto cleanup;
    }
    if (check_split_sizes(&split, source, split_name, err) != 0 ||
        check_train_classes(&rows, &split, source, split_name, out->class_names, err) != 0 ||
        fill_dataset(&rows, &split, &roles, names, source, out, err) != 0)
        goto cleanup;
    if (spec->standardize && dataset_standardize(out, source, err) != 0)
        goto cleanup;
    status = 0;

cleanup:
    if (status != 0)
        dataset_free(out);
    row_split_free(&split);
    raw_rows_free(&rows);
    free(roles.feature_column);
    for (size_t i = 0; names != NULL && i < n_names; i++)
        free(names[i]);
    free(names);
    csv_reader_close(&reader);
    return status;
}
