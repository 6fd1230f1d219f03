#include "grid.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Whole numbers up to 2^53 are exact in a double; range bounds beyond it
 * would silently stop being the numbers the user wrote. */
#define RANGE_BOUND 9007199254740992.0

void grid_spec_free(grid_spec *grid)
{
    if (grid == NULL)
        return;
    for (int i = 0; i < PARAM_COUNT; i++)
        free(grid->values[i]);
    memset(grid, 0, sizeof *grid);
}

int grid_count(const grid_spec *grids, int n_grids, size_t max_runs, size_t *n_runs,
               sweep_error *err)
{
    const char *subject = n_grids > 1 ? "the grids have" : "the grid has";
    size_t total = n_grids == 0 ? 1 : 0;
    bool overflow = false;

    *n_runs = 0;
    for (int g = 0; g < n_grids; g++) {
        size_t product = 1;
        for (int k = 0; k < grids[g].n_keys; k++) {
            size_t n = grids[g].n_values[k] > 0 ? (size_t)grids[g].n_values[k] : 0;
            if (n != 0 && product > SIZE_MAX / n) {
                overflow = true;
                break;
            }
            product *= n;
        }
        if (overflow || product > SIZE_MAX - total) {
            overflow = true;
            break;
        }
        total += product;
    }
    if (overflow && max_runs == 0)
        return error_set(err, ERROR_INPUT, "%s more runs than can be counted (over %zu)", subject,
                         (size_t)SIZE_MAX);
    if (overflow)
        return error_set(err, ERROR_INPUT,
                         "%s more runs than can be counted (over %zu), more than the limit "
                         "of %zu (raise it with --max-runs)",
                         subject, (size_t)SIZE_MAX, max_runs);
    if (max_runs != 0 && total > max_runs)
        return error_set(err, ERROR_INPUT,
                         "%s %zu runs, more than the limit of %zu (raise it with --max-runs)",
                         subject, total, max_runs);
    *n_runs = total;
    return 0;
}

int grid_expand(const train_params *model, const grid_spec *grids, int n_grids, size_t max_runs,
                train_params **runs, size_t *n_runs, sweep_error *err)
{
    size_t count = 0;
    *runs = NULL;
    *n_runs = 0;
    if (grid_count(grids, n_grids, max_runs, &count, err) < 0)
        return -1;
    if (count > SIZE_MAX / sizeof(train_params))
        return error_set(err, ERROR_RUNTIME, "out of memory: cannot hold %zu runs", count);
    /* At least one element, so that a NULL from malloc always means failure. */
    train_params *expanded = malloc((count ? count : 1) * sizeof *expanded);
    if (expanded == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory: cannot hold %zu runs", count);

    size_t run = 0;
    if (n_grids == 0)
        expanded[run++] = *model;
    for (int g = 0; g < n_grids; g++) {
        const grid_spec *grid = &grids[g];
        bool empty = false;
        for (int k = 0; k < grid->n_keys; k++)
            empty = empty || grid->n_values[k] <= 0;
        if (empty)
            continue;
        /* An odometer over the value indices: the last key turns fastest,
         * as in itertools.product. A grid without keys gives one run. */
        int index[PARAM_COUNT] = {0};
        for (;;) {
            train_params params = *model;
            for (int k = 0; k < grid->n_keys; k++)
                params_set(&params, grid->keys[k], grid->values[k][index[k]]);
            expanded[run++] = params;
            int k = grid->n_keys - 1;
            while (k >= 0 && ++index[k] == grid->n_values[k]) {
                index[k] = 0;
                k--;
            }
            if (k < 0)
                break;
        }
    }
    *runs = expanded;
    *n_runs = run;
    return 0;
}

int grid_range_count(double start, double stop, double step, size_t *count, sweep_error *err)
{
    const double bounds[3] = {start, stop, step};
    const char *names[3] = {"start", "stop", "step"};

    *count = 0;
    for (int i = 0; i < 3; i++) {
        if (!isfinite(bounds[i]) || bounds[i] != floor(bounds[i]))
            return error_set(err, ERROR_INPUT, "range %s must be a whole number, got %.17g",
                             names[i], bounds[i]);
        if (fabs(bounds[i]) > RANGE_BOUND)
            return error_set(err, ERROR_INPUT, "range %s must be between -2^53 and 2^53, got %.17g",
                             names[i], bounds[i]);
    }
    if (step == 0)
        return error_set(err, ERROR_INPUT, "range step must not be 0");

    /* Exact in 64-bit integers: |stop - start| <= 2^54, |step| <= 2^53. */
    int64_t first = (int64_t)start, last = (int64_t)stop, stride = (int64_t)step;
    uint64_t n = 0;
    if (stride > 0 && first < last)
        n = ((uint64_t)(last - first) + (uint64_t)stride - 1) / (uint64_t)stride;
    else if (stride < 0 && first > last)
        n = ((uint64_t)(first - last) + (uint64_t)(-stride) - 1) / (uint64_t)(-stride);
    *count = n > SIZE_MAX ? SIZE_MAX : (size_t)n;
    return 0;
}

int grid_range(double start, double stop, double step, double **values, int *n_values,
               sweep_error *err)
{
    size_t count = 0;
    *values = NULL;
    *n_values = 0;
    if (grid_range_count(start, stop, step, &count, err) < 0)
        return -1;
    if (count == 0)
        return error_set(err, ERROR_INPUT, "range(%.0f, %.0f, %.0f) is empty", start, stop, step);
    if (count > INT_MAX)
        return error_set(err, ERROR_INPUT, "range(%.0f, %.0f, %.0f) has %zu values, too many",
                         start, stop, step, count);
    double *range = malloc(count * sizeof *range);
    if (range == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    /* Every value lies between start and stop, so it is exact as a double. */
    int64_t first = (int64_t)start, stride = (int64_t)step;
    for (size_t i = 0; i < count; i++)
        range[i] = (double)(first + (int64_t)i * stride);
    *values = range;
    *n_values = (int)count;
    return 0;
}

int grid_linspace(double start, double stop, int num, double **values, sweep_error *err)
{
    *values = NULL;
    if (num < 1)
        return error_set(err, ERROR_INPUT, "linspace num must be >= 1, got %d", num);
    double *y = malloc((size_t)num * sizeof *y);
    if (y == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");

    /* numpy 1.24 function_base.linspace with endpoint=True, step by step:
     * y = arange(num) * step (or arange(num) / div * delta when step
     * underflows to 0, gh-5437), then y += start, then y[-1] = stop. */
    int div = num - 1;
    double delta = stop - start;
    if (div > 0) {
        double step = delta / div;
        if (step == 0) {
            for (int i = 0; i < num; i++)
                y[i] = ((double)i / div) * delta;
        } else {
            for (int i = 0; i < num; i++)
                y[i] = (double)i * step;
        }
    } else {
        y[0] = 0.0 * delta;
    }
    for (int i = 0; i < num; i++)
        y[i] += start;
    if (num > 1)
        y[num - 1] = stop;
    *values = y;
    return 0;
}

int grid_logspace(double start, double stop, int num, double **values, sweep_error *err)
{
    if (grid_linspace(start, stop, num, values, err) < 0)
        return -1;
    for (int i = 0; i < num; i++)
        (*values)[i] = pow(10.0, (*values)[i]);
    return 0;
}

/* Orders pointers into one array of runs by their hyperparameters, then by
 * position, so that equal runs end up together, earliest first. */
static int compare_run_pointers(const void *a, const void *b)
{
    const train_params *x = *(const train_params *const *)a;
    const train_params *y = *(const train_params *const *)b;
    int order = params_compare(x, y);
    if (order != 0)
        return order;
    return x < y ? -1 : x > y ? 1 : 0;
}

int grid_cross_folds(const fold_settings *cv, train_params **runs, size_t *n_runs, sweep_error *err)
{
    size_t per_point = (size_t)cv->n_splits * (size_t)cv->n_repeats;
    size_t n_points = *n_runs;
    if (per_point == 0 || n_points > SIZE_MAX / sizeof **runs / per_point)
        return error_set(err, ERROR_INPUT, "%zu grid points x %zu folds: too many runs", n_points,
                         per_point);
    train_params *crossed = malloc((n_points > 0 ? n_points : 1) * per_point * sizeof *crossed);
    if (crossed == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for %zu runs", n_points * per_point);
    size_t run = 0;
    for (size_t point = 0; point < n_points; point++)
        for (int repeat = 0; repeat < cv->n_repeats; repeat++)
            for (int fold = 0; fold < cv->n_splits; fold++) {
                crossed[run] = (*runs)[point];
                crossed[run].repeat = repeat;
                crossed[run].fold = fold;
                run++;
            }
    free(*runs);
    *runs = crossed;
    *n_runs = run;
    return 0;
}

int grid_find_duplicate(const train_params *runs, size_t n_runs, size_t *first, size_t *second,
                        sweep_error *err)
{
    *first = *second = 0;
    if (n_runs < 2)
        return 0;
    const train_params **sorted = malloc(n_runs * sizeof *sorted);
    if (sorted == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory: cannot compare %zu runs", n_runs);
    for (size_t i = 0; i < n_runs; i++)
        sorted[i] = &runs[i];
    qsort(sorted, n_runs, sizeof *sorted, compare_run_pointers);
    /* In a group of equal runs the first is the earliest and the second
     * the earliest repeat; report the group whose repeat comes first. */
    int found = 0;
    for (size_t i = 1; i < n_runs; i++) {
        if (params_compare(sorted[i - 1], sorted[i]) != 0 ||
            (i >= 2 && params_compare(sorted[i - 2], sorted[i]) == 0))
            continue;
        size_t repeat = (size_t)(sorted[i] - runs);
        if (!found || repeat < *second) {
            *first = (size_t)(sorted[i - 1] - runs);
            *second = repeat;
            found = 1;
        }
    }
    free(sorted);
    return found;
}

void grid_locate(const grid_spec *grids, int n_grids, size_t run, int *grid, int index[PARAM_COUNT])
{
    int g = 0;
    for (; g < n_grids - 1; g++) {
        size_t size = 1;
        for (int k = 0; k < grids[g].n_keys; k++)
            size *= (size_t)grids[g].n_values[k];
        if (run < size)
            break;
        run -= size;
    }
    *grid = g;
    /* The odometer of grid_expand read backwards: the last key is the
     * fastest digit. */
    for (int k = grids[g].n_keys - 1; k >= 0; k--) {
        index[k] = (int)(run % (size_t)grids[g].n_values[k]);
        run /= (size_t)grids[g].n_values[k];
    }
}

void grid_swept(const train_params *runs, size_t n_runs, bool swept[PARAM_COUNT])
{
    for (int id = 0; id < PARAM_COUNT; id++) {
        swept[id] = false;
        for (size_t r = 1; r < n_runs && !swept[id]; r++)
            swept[id] = params_get(&runs[r], (param_id)id) != params_get(&runs[0], (param_id)id);
    }
}
