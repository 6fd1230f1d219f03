/* results.h: the results file, one HDF5 file per sweep.
 *
 * The only module that sees HDF5. The layout is netCDF-4 compatible so that
 * xarray.open_dataset(path, engine="h5netcdf") opens it: dimension scales
 * `run` and `epoch`; (run, epoch) float64 `train_loss`, `val_loss` (chunked,
 * compressed, NaN where a run has fewer epochs); (run) float64 `train_score`,
 * `val_score`, `test_score`, `seconds`; (run) int8 `status` (0 pending,
 * 1 done, 2 failed) and `failure` (text); one (run) dataset per
 * hyperparameter. Every object is created up front with each run pending;
 * runs are written as they finish, status last, by one thread only.
 */
#ifndef SWEEP_RESULTS_H
#define SWEEP_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "params.h"
#include "train.h"

/* Root attributes describing where the results came from. NULL strings are
 * stored as "". */
typedef struct {
    const char *config_text;       /* the config file's text */
    const char *config_path;       /* its path as given */
    const char *overrides;         /* --set arguments, one per line */
    const char *effective_config;  /* the configuration after --set, YAML */
    const char *version;           /* program version */
    const char *start_time_utc;    /* ISO 8601, e.g. 2026-11-26T14:05:00Z */
    const char *host;              /* host name */
    int threads;                   /* worker threads used */
    const char *dataset_name;      /* "wdbc" or the CSV path */
    int n_train, n_val, n_test;    /* row counts */
    int n_features;
} results_meta;

typedef struct results_writer results_writer;

/* Create the file with every run pending. Refuses an existing file unless
 * `overwrite`; creates missing parent folders. Errors: ERROR_INPUT for
 * "OUT: exists (use --overwrite to replace it)" and an output that is a
 * folder; ERROR_RUNTIME for anything the system or HDF5 refuses ("cannot
 * create OUT: Permission denied"), after removing a file it had created.
 * *out is NULL on failure. Needs at least one run.
 * Also turns off HDF5's closing of open files at exit (see results.c);
 * every run is flushed as it is written, so nothing is lost by that. */
int results_create(const char *path, bool overwrite, const results_meta *meta,
                   const train_params *runs, size_t n_runs, results_writer **out,
                   sweep_error *err);

/* Store one finished run (done or failed) at its index and flush; status is
 * written last. result->epochs must equal the run's epochs; failure text is
 * stored only for failed runs. */
int results_write_run(results_writer *writer, size_t run_index, const run_result *result,
                      sweep_error *err);

/* Close the file; frees the writer even on error. NULL is allowed. */
int results_close(results_writer *writer, sweep_error *err);

#endif
