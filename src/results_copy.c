/* results_copy.c: rows carried over from existing results files.
 *
 * --resume carries the finished runs of the file it continues, `sweep merge`
 * the runs of its parts, and compaction every run of the file it rewrites.
 * An old file is an input: results_source checks it whole before any of it
 * is read, and its problems are ERROR_INPUT (see results_source.h).
 */
#include "results_writer.h"

#include "results_source.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

/* The per-run values of an old file of n_old runs: its columns (4, n_old)
 * train/val/test score and seconds, `status` (n_old) and `failure`
 * (n_old, FAILURE_BYTES). */
typedef struct {
    size_t n_old;
    double *columns;
    int8_t *status;
    char *failure;
} old_values;

static const char *const COLUMN_NAMES[4] = {"train_score", "val_score", "test_score", "seconds"};

static int read_old_values(results_source *old, old_values *values, sweep_error *err)
{
    size_t n_old = values->n_old = results_source_runs(old);
    values->columns = malloc(n_old * 4 * sizeof *values->columns);
    values->status = malloc(n_old);
    values->failure = malloc(n_old * FAILURE_BYTES);
    if (values->columns == NULL || values->status == NULL || values->failure == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    for (int c = 0; c < 4; c++)
        if (results_source_read_reals(old, COLUMN_NAMES[c], &values->columns[c * n_old], err) != 0)
            return -1;
    if (results_source_read_status(old, values->status, err) != 0 ||
        results_source_read_failures(old, values->failure, FAILURE_BYTES, err) != 0)
        return -1;
    return 0;
}

/* The curves of old run `from` into row `run` of the new file, through
 * `row` (max_epochs). An old file made before the accuracy curves existed
 * gives only its loss curves: the run's accuracy curves stay the NaN fill,
 * "not recorded", rather than the run being dropped and trained again. */
static int copy_curves(results_writer *writer, results_source *old, size_t run, size_t from,
                       double *row, sweep_error *err)
{
    const char *curve_names[4] = {"train_loss", "val_loss", "train_acc", "val_acc"};
    hid_t new_curves[4] = {writer->train_loss, writer->val_loss, writer->train_acc,
                           writer->val_acc};
    int n_curves = results_source_has_accuracy(old) ? 4 : 2;
    size_t epochs = (size_t)writer->run_epochs[run];
    for (int c = 0; c < n_curves; c++)
        if (results_source_read_curve(old, curve_names[c], from, epochs, row, err) != 0 ||
            results_write_slab(writer, new_curves[c], curve_names[c], 2, run, epochs,
                               H5T_NATIVE_DOUBLE, row, err) < 0)
            return -1;
    return 0;
}

/* Carry over into the new file, from one old file at `old_path`, the rows
 * of the runs whose origin names it as `source`: new run i takes old run
 * origins[i].row. The curves go row by row; the per-run values into the
 * caller's columns (4, n) (train/val/test score, seconds), `status` (n) and
 * `failure` (n, FAILURE_BYTES), written once every source is read. The old
 * file is an input: results_source checks it before any of it is read, and
 * its problems are ERROR_INPUT (see results_source.h). */
static int copy_rows_from(results_writer *writer, const char *old_path, int source,
                          const results_origin *origins, double *new_columns, int8_t *new_status,
                          char *new_failure, sweep_error *err)
{
    int status = -1;
    results_source *old = NULL;
    size_t n = writer->n_runs;
    old_values values = {0};
    double *row = NULL; /* (max_epochs) */

    if (results_source_open(old_path, &old, err) != 0 || read_old_values(old, &values, err) != 0)
        goto cleanup;
    size_t n_old = values.n_old;
    row = malloc((size_t)writer->max_epochs * sizeof *row);
    if (row == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    for (size_t run = 0; run < n; run++) {
        if (origins[run].source != source)
            continue;
        long long from = origins[run].row;
        if (from < 0 || (unsigned long long)from >= n_old) {
            error_set(err, ERROR_INPUT,
                      "%s: not a valid sweep results file: no run %lld to copy "
                      "(it has %zu)",
                      old_path, from, n_old);
            goto cleanup;
        }
        for (int c = 0; c < 4; c++)
            new_columns[c * n + run] = values.columns[c * n_old + (size_t)from];
        new_status[run] = values.status[from];
        memcpy(&new_failure[run * FAILURE_BYTES], &values.failure[(size_t)from * FAILURE_BYTES],
               FAILURE_BYTES);
        if (copy_curves(writer, old, run, (size_t)from, row, err) != 0)
            goto cleanup;
    }
    status = 0;
cleanup:
    results_source_close(old);
    free(values.columns);
    free(values.status);
    free(values.failure);
    free(row);
    return status;
}

/* Carry over rows of old files: new run i takes row origins[i].row of file
 * sources[origins[i].source] (nothing when the source is < 0). The per-run
 * values are written as whole columns at the end. */
int results_copy_rows(results_writer *writer, const char *const *sources, int n_sources,
                      const results_origin *origins, sweep_error *err)
{
    int status = -1;
    size_t n = writer->n_runs;
    double *new_columns = malloc(n * 4 * sizeof *new_columns); /* (4, n) */
    int8_t *new_status = calloc(n, 1);                         /* (n) */
    char *new_failure = calloc(n, FAILURE_BYTES);              /* (n, FAILURE_BYTES) */
    if (new_columns == NULL || new_status == NULL || new_failure == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < 4 * n; i++)
        new_columns[i] = NAN;
    for (int source = 0; source < n_sources; source++) {
        bool used = false;
        for (size_t run = 0; run < n && !used; run++)
            used = origins[run].source == source;
        if (used && copy_rows_from(writer, sources[source], source, origins, new_columns,
                                   new_status, new_failure, err) < 0)
            goto cleanup;
    }
    hid_t new_column_ids[4] = {writer->train_score, writer->val_score, writer->test_score,
                               writer->seconds};
    for (int c = 0; c < 4; c++)
        if (results_write_slab(writer, new_column_ids[c], COLUMN_NAMES[c], 1, 0, n,
                               H5T_NATIVE_DOUBLE, &new_columns[c * n], err) < 0)
            goto cleanup;
    if (results_write_slab(writer, writer->failure, "failure", 1, 0, n, writer->failure_type,
                           new_failure, err) < 0 ||
        results_write_slab(writer, writer->status, "status", 1, 0, n, H5T_NATIVE_INT8, new_status,
                           err) < 0)
        goto cleanup;
    status = 0;
cleanup:
    free(new_columns);
    free(new_status);
    free(new_failure);
    return status;
}
