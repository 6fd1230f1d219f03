/* labels.h: the classes of a target column, numbered like scikit-learn.
 *
 * A target column holds either class numbers or class names:
 *   - every cell a plain decimal number: the values must be the whole
 *     numbers 0..K-1 ("1" and "1.0" are the same class), and the class is
 *     the value, so a 0/1 column reads as it always has;
 *   - otherwise every cell is a name, and the classes are the distinct names
 *     in byte order (strcmp), numbered 0..K-1 as scikit-learn's LabelEncoder
 *     numbers np.unique of strings.
 * Cells are added row by row; label_set_finish decides which case it is.
 */
#ifndef SWEEP_LABELS_H
#define SWEEP_LABELS_H

#include <stddef.h>

#include "error.h"

/* More distinct targets than this means the column is not a class label. */
#define LABELS_MAX_CLASSES 10000

typedef struct {
    char **names;       /* (n) distinct cells, in the order first seen */
    size_t *first_line; /* (n) line where each first appeared, for messages */
    int *by_name;       /* (n) ids sorted by strcmp of their names, for lookup */
    int n;
    int capacity;
} label_set;

/* The id (0, 1, ... in order of first appearance) of the cell's text;
 * fails (ERROR_INPUT) past LABELS_MAX_CLASSES distinct cells. */
int label_set_add(label_set *set, const char *cell, const char *source, size_t line,
                  const char *column, int *id, sweep_error *err);

/* Number the classes: class_of_id (n ids) gets each id's class, names
 * (*n_classes) each class's name ("0", "1", ... for numbers). Both are
 * malloc'ed for the caller. Fails with one class, or with numbers that are
 * not the classes 0..K-1. */
int label_set_finish(const label_set *set, const char *source, const char *column,
                     int **class_of_id, char ***names, int *n_classes, sweep_error *err);

void label_set_free(label_set *set);

/* Free names[0..n) and names. */
void label_names_free(char **names, int n);

#endif
