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

/* Carry over into the new file, from one old file at `old_path`, the rows
 * of the runs whose origin names it as `source`: new run i takes old run
 * origins[i].row. The curves go row by row; the per-run values into the
 * caller's columns (4, n) (train/val/test score, seconds), `status` (n) and
 * `failure` (n, FAILURE_BYTES), written once every source is read. The old
 * file is an input: results_source checks it before any of it is read, and
 * its problems are ERROR_INPUT (see results_source.h). */
static int copy_rows_from(results_writer *writer, const char *old_path, int source,
                          const results_origin *origins, double *new_columns,
                          int8_t *new_status, char *new_failure, sweep_error *err)
{
    int status = -1;
    results_source *old = NULL;
    size_t n = writer->n_runs;
    double *columns = NULL;      /* (4, n_old) train/val/test score, seconds */
    int8_t *old_status = NULL;   /* (n_old) */
    char *old_failure = NULL;    /* (n_old, FAILURE_BYTES) */
    double *row = NULL;          /* (max_epochs) */

    if (results_source_open(old_path, &old, err) != 0)
        goto cleanup;
    size_t n_old = results_source_runs(old);
    columns = malloc(n_old * 4 * sizeof *columns);
    old_status = malloc(n_old);
    old_failure = malloc(n_old * FAILURE_BYTES);
    row = malloc((size_t)writer->max_epochs * sizeof *row);
    if (columns == NULL || old_status == NULL || old_failure == NULL || row == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    const char *column_names[4] = {"train_score", "val_score", "test_score", "seconds"};
    for (int c = 0; c < 4; c++)
        if (results_source_read_reals(old, column_names[c], &columns[c * n_old], err) != 0)
            goto cleanup;
    if (results_source_read_status(old, old_status, err) != 0 ||
        results_source_read_failures(old, old_failure, FAILURE_BYTES, err) != 0)
        goto cleanup;
    const char *curve_names[2] = {"train_loss", "val_loss"};
    hid_t new_curves[2] = {writer->train_loss, writer->val_loss};
    for (size_t run = 0; run < n; run++) {
        if (origins[run].source != source)
            continue;
        long long from = origins[run].row;
        if (from < 0 || (unsigned long long)from >= n_old) {
            error_set(err, ERROR_INPUT, "%s: not a valid sweep results file: no run %lld to copy "
                      "(it has %zu)", old_path, from, n_old);
            goto cleanup;
        }
        for (int c = 0; c < 4; c++)
            new_columns[c * n + run] = columns[c * n_old + (size_t)from];
        new_status[run] = old_status[from];
        memcpy(&new_failure[run * FAILURE_BYTES], &old_failure[(size_t)from * FAILURE_BYTES],
               FAILURE_BYTES);
        size_t epochs = (size_t)writer->run_epochs[run];
        for (int c = 0; c < 2; c++)
            if (results_source_read_curve(old, curve_names[c], (size_t)from, epochs, row,
                                          err) != 0 ||
                results_write_slab(writer, new_curves[c], curve_names[c], 2, run, epochs,
                                   H5T_NATIVE_DOUBLE, row, err) < 0)
                goto cleanup;
    }
    status = 0;
cleanup:
    results_source_close(old);
    free(columns);
    free(old_status);
    free(old_failure);
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
    double *new_columns = malloc(n * 4 * sizeof *new_columns);   /* (4, n) */
    int8_t *new_status = calloc(n, 1);                           /* (n) */
    char *new_failure = calloc(n, FAILURE_BYTES);                /* (n, FAILURE_BYTES) */
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
    const char *column_names[4] = {"train_score", "val_score", "test_score", "seconds"};
    hid_t new_column_ids[4] = {writer->train_score, writer->val_score, writer->test_score,
                               writer->seconds};
    for (int c = 0; c < 4; c++)
        if (results_write_slab(writer, new_column_ids[c], column_names[c], 1, 0, n,
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
