/* grid.h: expanding grids of hyperparameter values into runs.
 *
 * A grid is an ordered list of keys, each with a list of values. Its runs are
 * the Cartesian product in itertools.product order: keys in written order,
 * the last key varying fastest. A config may hold several grids; its runs are
 * the concatenation of theirs. Keys not in a grid take the model's values.
 */
#ifndef SWEEP_GRID_H
#define SWEEP_GRID_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "params.h"

typedef struct {
    int n_keys;                       /* keys in written order */
    param_id keys[PARAM_COUNT];       /* each at most once */
    double *values[PARAM_COUNT];      /* values[i]: the n_values[i] values of keys[i] */
    int n_values[PARAM_COUNT];        /* >= 1 each */
} grid_spec;

void grid_spec_free(grid_spec *grid);

/* Number of runs of the grids, without allocating. Fails with ERROR_INPUT
 * when the count overflows size_t or exceeds max_runs. */
int grid_count(const grid_spec *grids, int n_grids, size_t max_runs, size_t *n_runs,
               sweep_error *err);

/* The runs, in order; *runs is malloc'd and owned by the caller. With no
 * grids there is one run: the model itself. */
int grid_expand(const train_params *model, const grid_spec *grids, int n_grids,
                size_t max_runs, train_params **runs, size_t *n_runs, sweep_error *err);

/* Python's range(start, stop, step) as doubles (whole numbers only;
 * step != 0). An empty result is an error. */
int grid_range(double start, double stop, double step, double **values, int *n_values,
               sweep_error *err);

/* numpy.linspace(start, stop, num): start + i*step, the last value exactly stop. */
int grid_linspace(double start, double stop, int num, double **values, sweep_error *err);

/* numpy.logspace(start, stop, num): pow(10, linspace(start, stop, num)). */
int grid_logspace(double start, double stop, int num, double **values, sweep_error *err);

/* Marks in swept[] the parameters whose value differs between runs. */
void grid_swept(const train_params *runs, size_t n_runs, bool swept[PARAM_COUNT]);

#endif
