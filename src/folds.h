/* folds.h: stratified k-fold assignment, exactly as scikit-learn 1.2 splits.
 *
 * Cross-validation must give the folds a scikit-learn user gets from
 * StratifiedKFold(n_splits, shuffle, random_state) and
 * RepeatedStratifiedKFold(n_splits, n_repeats, random_state) on the same
 * labels, so that sweep's per-fold scores can be compared with GridSearchCV's
 * one for one. The caller passes the label of every row in file order and
 * gets back, for each repeat, the fold in which each row is a test (val) row;
 * the other folds' rows are that split's train rows.
 *
 * How scikit-learn does it (sklearn/model_selection/_split.py):
 * - classes are numbered by first appearance in the labels;
 * - the rows sorted by class number are dealt round-robin to the folds, which
 *   fixes how many rows of each class each fold gets;
 * - each class's fold numbers, in ascending blocks, are given to that class's
 *   rows in file order; with shuffle, each class's block list is first
 *   shuffled (RandomState.shuffle) by one generator, seeded once per call and
 *   used for the classes in order;
 * - RepeatedStratifiedKFold hands that same generator to every repeat, so
 *   repeat r continues the stream where repeat r-1 stopped.
 */
#ifndef SWEEP_FOLDS_H
#define SWEEP_FOLDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct {
    int n_splits;  /* K, at least 2 */
    int n_repeats; /* R, at least 1; more than 1 needs shuffle (RepeatedStratifiedKFold) */
    bool shuffle;  /* shuffle each class's fold numbers; seed is ignored without it */
    uint32_t seed; /* random_state: np.random.RandomState(seed) */
} fold_settings;

/* What the labels looked like; lets the caller warn as scikit-learn does. */
typedef struct {
    int n_classes;      /* distinct labels */
    int smallest_class; /* members of the least populated class */
} fold_summary;

/* Fill fold_of_row (n_repeats * n_rows ints, repeat-major: the fold of row i
 * in repeat r is fold_of_row[r * n_rows + i]) for the labels of n_rows rows.
 *
 * Labels are class values as doubles (0.0/1.0, or any integral values for
 * more classes); each distinct value is one class. Input errors, as
 * scikit-learn raises them: fewer than 2 splits, more splits than rows, a
 * non-integral or non-finite label (scikit-learn: "continuous" target), or
 * every class smaller than n_splits. A class smaller than n_splits while
 * another is not is accepted, as scikit-learn accepts it with a warning:
 * some folds then hold none of that class. summary->smallest_class <
 * n_splits tells the caller to warn. `summary` may be NULL.
 *
 * Returns 0, or -1 with err set (ERROR_INPUT for bad settings or labels,
 * ERROR_RUNTIME when out of memory); fold_of_row is then unspecified. */
int folds_assign(const double *labels, int n_rows, const fold_settings *settings, int *fold_of_row,
                 fold_summary *summary, sweep_error *err);

/* Do a and b give the same folds? n_splits 0 is "no cross-validation";
 * the seed only counts with shuffle, as scikit-learn ignores it without. */
bool folds_same_settings(const fold_settings *a, const fold_settings *b);

/* "5 folds, shuffle, seed 0" / "3 folds x 2 repeats, seed 7" / "no
 * cross-validation", for messages. */
void folds_describe(const fold_settings *settings, char *text, size_t size);

#endif
