/* labels.c: class numbers from target cells (see labels.h). */
#include "labels.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

/* How many characters of a label a message quotes. */
#define LABEL_QUOTE_MAX 40

/* Position in set->by_name where `cell` is or would go. */
static int find_slot(const label_set *set, const char *cell, bool *found)
{
    int low = 0, high = set->n;
    *found = false;
    while (low < high) {
        int mid = low + (high - low) / 2;
        int order = strcmp(set->names[set->by_name[mid]], cell);
        if (order == 0) {
            *found = true;
            return mid;
        }
        if (order < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

static int grow(label_set *set)
{
    int capacity = set->capacity ? set->capacity * 2 : 8;
    if (capacity > LABELS_MAX_CLASSES)
        capacity = LABELS_MAX_CLASSES;
    char **names = realloc(set->names, (size_t)capacity * sizeof *names);
    if (names != NULL)
        set->names = names;
    size_t *lines = realloc(set->first_line, (size_t)capacity * sizeof *lines);
    if (lines != NULL)
        set->first_line = lines;
    int *by_name = realloc(set->by_name, (size_t)capacity * sizeof *by_name);
    if (by_name != NULL)
        set->by_name = by_name;
    if (names == NULL || lines == NULL || by_name == NULL)
        return -1;
    set->capacity = capacity;
    return 0;
}

int label_set_add(label_set *set, const char *cell, const char *source, size_t line,
                  const char *column, int *id, sweep_error *err)
{
    bool found = false;
    int slot = find_slot(set, cell, &found);
    if (found) {
        *id = set->by_name[slot];
        return 0;
    }
    if (set->n >= LABELS_MAX_CLASSES)
        return error_set(err, ERROR_INPUT,
                         "%s:%zu: column '%s' has more than %d distinct values; the target must "
                         "hold class labels",
                         source, line, column, LABELS_MAX_CLASSES);
    if (set->n == set->capacity && grow(set) != 0)
        return error_set(err, ERROR_RUNTIME, "%s:%zu: out of memory", source, line);
    char *name = strdup(cell);
    if (name == NULL)
        return error_set(err, ERROR_RUNTIME, "%s:%zu: out of memory", source, line);
    memmove(set->by_name + slot + 1, set->by_name + slot,
            (size_t)(set->n - slot) * sizeof *set->by_name);
    set->by_name[slot] = set->n;
    set->names[set->n] = name;
    set->first_line[set->n] = line;
    *id = set->n++;
    return 0;
}

/* A plain decimal number (the syntax CSV features use), or false. */
static bool label_number(const char *cell, double *value)
{
    const char *p = cell;
    if (*p == '+' || *p == '-')
        p++;
    p = number_skip_decimal(p);
    if (p == NULL || *p != '\0')
        return false;
    *value = strtod(cell, NULL);
    return true;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Numbers as classes: the distinct values must be exactly 0..K-1. */
static int number_classes(const label_set *set, const double *values, const char *source,
                          const char *column, int *class_of_id, int *n_classes, sweep_error *err)
{
    double *sorted = malloc((size_t)set->n * sizeof *sorted);
    if (sorted == NULL)
        return error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
    memcpy(sorted, values, (size_t)set->n * sizeof *sorted);
    qsort(sorted, (size_t)set->n, sizeof *sorted, compare_doubles);
    int k = 0;
    for (int i = 0; i < set->n; i++)
        if (k == 0 || sorted[k - 1] != sorted[i])
            sorted[k++] = sorted[i];
    free(sorted);
    *n_classes = k;
    if (k < 2)
        return 0; /* the caller reports a single class */

    for (int id = 0; id < set->n; id++) {
        double v = values[id];
        if (!(v >= 0.0 && v < (double)k && v == floor(v))) {
            const char *cell = set->names[id];
            int quoted = (int)strnlen(cell, LABEL_QUOTE_MAX);
            return error_set(err, ERROR_INPUT,
                             "%s:%zu: target %.*s%s in column '%s' is not a class number "
                             "0..%d (numeric targets must be the whole numbers 0..K-1, here "
                             "K = %d; or write class names)",
                             source, set->first_line[id], quoted, cell, cell[quoted] ? "..." : "",
                             column, k - 1, k);
        }
        class_of_id[id] = (int)v;
    }
    return 0;
}

int label_set_finish(const label_set *set, const char *source, const char *column,
                     int **class_of_id_out, char ***names_out, int *n_classes_out, sweep_error *err)
{
    int status = -1, n_classes = 0;
    char **names = NULL;
    int *class_of_id = malloc((size_t)(set->n > 0 ? set->n : 1) * sizeof *class_of_id);
    double *values = malloc((size_t)(set->n > 0 ? set->n : 1) * sizeof *values);
    *class_of_id_out = NULL;
    *names_out = NULL;
    *n_classes_out = 0;
    if (class_of_id == NULL || values == NULL) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
        goto cleanup;
    }
    bool numeric = true;
    for (int id = 0; id < set->n && numeric; id++)
        numeric = label_number(set->names[id], &values[id]);

    if (numeric) {
        if (number_classes(set, values, source, column, class_of_id, &n_classes, err) != 0)
            goto cleanup;
    } else {
        n_classes = set->n; /* by_name is the byte order already */
        for (int c = 0; c < n_classes; c++)
            class_of_id[set->by_name[c]] = c;
    }
    if (n_classes < 2) {
        error_set(err, ERROR_INPUT,
                  "%s: column '%s' has one class only; a classifier needs at least 2", source,
                  column);
        goto cleanup;
    }
    names = calloc((size_t)n_classes, sizeof *names);
    if (names == NULL) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
        goto cleanup;
    }
    for (int id = 0; id < set->n; id++) {
        int c = class_of_id[id];
        if (names[c] != NULL)
            continue;
        char number[16];
        snprintf(number, sizeof number, "%d", c);
        names[c] = strdup(numeric ? number : set->names[id]);
        if (names[c] == NULL) {
            error_set(err, ERROR_RUNTIME, "%s: out of memory", source);
            goto cleanup;
        }
    }
    *class_of_id_out = class_of_id;
    *names_out = names;
    *n_classes_out = n_classes;
    class_of_id = NULL;
    names = NULL;
    status = 0;

cleanup:
    label_names_free(names, n_classes);
    free(class_of_id);
    free(values);
    return status;
}

void label_set_free(label_set *set)
{
    for (int i = 0; i < set->n; i++)
        free(set->names[i]);
    free(set->names);
    free(set->first_line);
    free(set->by_name);
    memset(set, 0, sizeof *set);
}

void label_names_free(char **names, int n)
{
    for (int i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}
