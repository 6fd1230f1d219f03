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
#include "folds.h"
#include "params.h"

typedef struct {
    int n_keys;                  /* keys in written order */
    param_id keys[PARAM_COUNT];  /* each at most once */
    double *values[PARAM_COUNT]; /* values[i]: the n_values[i] values of keys[i] */
    int n_values[PARAM_COUNT];   /* >= 1 each */
} grid_spec;

/* Frees every values[] array (a zeroed grid_spec is empty) and zeroes the grid. */
void grid_spec_free(grid_spec *grid);

/* Number of runs of the grids, without allocating. Fails with ERROR_INPUT
 * when the count overflows size_t or exceeds max_runs (0: no limit but size_t).
 * The message has no position; the config reader puts the grid's in front. */
int grid_count(const grid_spec *grids, int n_grids, size_t max_runs, size_t *n_runs,
               sweep_error *err);

/* The runs, in order; *runs is malloc'd and owned by the caller. With no
 * grids there is one run: the model itself. */
int grid_expand(const train_params *model, const grid_spec *grids, int n_grids, size_t max_runs,
                train_params **runs, size_t *n_runs, sweep_error *err);

/* How many values Python's range(start, stop, step) has (0 when empty).
 * Fails with ERROR_INPUT unless all three are whole numbers of magnitude
 * <= 2^53 (exact in a double) and step != 0. */
int grid_range_count(double start, double stop, double step, size_t *count, sweep_error *err);

/* Python's range(start, stop, step) as doubles (whole numbers only;
 * step != 0). An empty result is an error. */
int grid_range(double start, double stop, double step, double **values, int *n_values,
               sweep_error *err);

/* numpy.linspace(start, stop, num): start + i*step, the last value exactly stop.
 * num >= 1; the same arithmetic as numpy 1.24, so the values are bit-identical. */
int grid_linspace(double start, double stop, int num, double **values, sweep_error *err);

/* numpy.logspace(start, stop, num): pow(10, linspace(start, stop, num)) with
 * the C library's pow (glibc: within 0.52 ulp, so 10^-1 is 0.1). numpy gives
 * the same bits unless it uses its AVX-512 SVML power, which is looser
 * (numpy 1.24 on an AVX-512 CPU: logspace(-3, -1, 3)[2] == 0.09999999999999999). */
int grid_logspace(double start, double stop, int num, double **values, sweep_error *err);

/* Cross-validation: replace the n_points runs of *runs by n_points x
 * repeats x folds runs, grid point major, then repeat, then fold (run
 * (p * R + r) * K + k), each with its `repeat` and `fold` set. The order
 * never depends on the data, so a sweep, its shards and `merge` agree on
 * it. *runs is reallocated; on failure it is left as it was. */
int grid_cross_folds(const fold_settings *cv, train_params **runs, size_t *n_runs,
                     sweep_error *err);

/* Finds two runs with the same hyperparameters in O(n log n) (a sort, no
 * scan of pairs): *second is the earliest run that repeats an earlier one,
 * *first the earliest run it repeats. Returns 1 when there are such runs,
 * 0 when every run is different, -1 when out of memory. */
int grid_find_duplicate(const train_params *runs, size_t n_runs, size_t *first, size_t *second,
                        sweep_error *err);

/* Which grid run `run` of grid_expand comes from, and the index of its value
 * of each key of that grid (index[k] for keys[k]). `run` < the grids' count. */
void grid_locate(const grid_spec *grids, int n_grids, size_t run, int *grid,
                 int index[PARAM_COUNT]);

/* Marks in swept[] the parameters whose value differs between runs. */
void grid_swept(const train_params *runs, size_t n_runs, bool swept[PARAM_COUNT]);

#endif
