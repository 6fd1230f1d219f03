/* results.h: the results file, one HDF5 file per sweep.
 *
 * The only module that sees HDF5: results.c writes (with results_layout.c
 * and results_copy.c, sharing results_writer.h), results_read.c reads back
 * (with results_bytes.c; results_source.h is the internal interface of
 * reading, used by the writer to copy rows). The layout is
 * netCDF-4 compatible so that xarray.open_dataset(path, engine="h5netcdf")
 * opens it: dimension scales `run` and `epoch`; (run, epoch) float64 `train_loss`, `val_loss`,
 * `train_acc`, `val_acc` (chunked, compressed, NaN where a run has fewer epochs); (run) float64 `train_score`,
 * `val_score`, `test_score`, `seconds`; (run) int8 `status` (0 pending,
 * 1 done, 2 failed) and `failure` (text); one (run) dataset per
 * hyperparameter; under cross-validation only, (run) int32 `fold` and
 * `repeat` (the fold whose rows were the run's val rows, and its repeat)
 * and root attributes cv_folds, cv_repeats, cv_shuffle (0/1), cv_seed. A
 * file without them reads back as one without cv (fold = repeat = -1). Every object is created up front with each run pending;
 * runs are written as they finish, status last, by one thread only.
 *
 * Crash safety (see results.c): the file appears at its path only once
 * complete (built as PATH.partial, then renamed; beside the file a symbolic
 * link PATH leads to, which stays a link), and while a sweep runs its
 * space is all allocated, so writing a run changes data in place and never
 * the file's structure. A writer killed at any moment leaves a file that
 * opens, in which every run marked done or failed is whole. At the end of a
 * complete sweep the file is rewritten compressed, again beside it; that
 * copy is built in memory while runs are written (results_compact.c), so
 * the end only writes it out.
 */
#ifndef SWEEP_RESULTS_H
#define SWEEP_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "folds.h"
#include "params.h"
#include "run_summary.h"
#include "train.h"

/* Root attributes describing where the results came from. NULL strings are
 * stored as "". */
typedef struct {
    const char *config_text;      /* the config file's text */
    const char *config_path;      /* its path as given */
    const char *overrides;        /* --set arguments, one per line */
    const char *effective_config; /* the configuration after --set, YAML */
    const char *version;          /* program version */
    const char *start_time_utc;   /* ISO 8601, e.g. 2026-11-26T14:05:00Z */
    const char *host;             /* host name */
    int threads;                  /* worker threads used */
    const char *dataset_name;     /* "wdbc" or the CSV path */
    int n_train, n_val, n_test;   /* row counts */
    int n_features;
    const char *data_checksum;      /* fingerprint of the rows (dataset_checksum) */
    const char *model;              /* the model's name (model.h); NULL: "minibatch" */
    int n_classes;                  /* classes of the target (0: not stored) */
    const char *const *class_names; /* (n_classes) their names, in class order; may be NULL */
    int ranks;                      /* MPI ranks that trained the runs (0 is stored as 1) */
    /* A shard's file (sweep --shard K/N) holds only its runs: */
    const char *shard;         /* "K/N"; NULL or "" for a whole grid's file */
    const size_t *run_numbers; /* (n_runs) each run's position in the whole grid, the
                                      `run` coordinate; NULL: 0..n_runs-1 */
    size_t grid_runs;          /* with shard: the runs of the whole grid */
    fold_settings cv;          /* cross-validation; n_splits 0 without (nothing stored) */
} results_meta;

/* What a resuming sweep needs to know of an existing results file. */
typedef struct {
    size_t n_runs;
    bool has_accuracy;      /* it has the accuracy curves (earlier versions' files do not) */
    train_params *runs;     /* (n_runs) hyperparameters */
    run_summary *summaries; /* (n_runs) status, scores, val loss of the last epoch */
    char *dataset_name;     /* root attribute `dataset` */
    char *data_checksum;    /* root attribute `data_checksum` ("" if absent) */
    char *model;            /* root attribute `model` ("minibatch" if absent: the
                                      files made before there was a choice) */
    int n_classes;          /* root attribute `n_classes` (-1 if absent) */
    char **class_names;     /* (n_classes) root attribute `class_names`; NULL if absent */
    int n_train, n_val, n_test, n_features;
    long long *run_numbers; /* (n_runs) the `run` coordinate */
    /* The other root attributes ("" or -1 when absent). */
    char *config_text, *config_path, *overrides, *effective_config, *version;
    char *start_time_utc, *host, *shard;
    int threads, ranks;
    long long grid_runs;
    fold_settings cv; /* the cv_* attributes; n_splits 0 without cv or when absent */
} results_index;

/* Read the runs and their status from an existing results file, checked
 * whole first (results_read.c): ERROR_INPUT, one line, when it is missing,
 * "PATH: not a valid sweep results file: WHAT" or "PATH: truncated or
 * damaged (WHAT)"; ERROR_RUNTIME only when out of memory. */
int results_read_index(const char *path, results_index *out, sweep_error *err);
void results_index_free(results_index *index);

typedef struct results_writer results_writer;

/* Create the file with every run pending. Refuses an existing file unless
 * `overwrite`; creates missing parent folders. Errors: ERROR_INPUT for
 * "OUT: exists (use --overwrite to replace it)" and an output that is a
 * folder; ERROR_RUNTIME for anything the system or HDF5 refuses ("cannot
 * create OUT: Permission denied"), after removing a file it had created.
 * A symbolic link `path` is written through: the file it leads to is
 * replaced (built beside it), the link stays; a link to a missing file is
 * ERROR_INPUT. Whatever is found at TARGET.partial is removed, never opened
 * (a link there leaves its target alone), unless it is a plain file that a
 * sweep did not leave: then ERROR_INPUT "TARGET.partial: exists and is not a
 * file of sweep's; remove or rename it".
 * *out is NULL on failure. Needs at least one run.
 * Also turns off HDF5's closing of open files at exit (see results.c);
 * every run is flushed as it is written, so nothing is lost by that. */
int results_create(const char *path, bool overwrite, const results_meta *meta,
                   const train_params *runs, size_t n_runs, results_writer **out, sweep_error *err);

/* results_create in two steps, so that the file can be built while the
 * first runs train: results_create_later does every check of the path that
 * can refuse it (the same errors as results_create, before anything is
 * built) and keeps a copy of `meta` and `runs`; results_build then builds
 * the file (ERROR_RUNTIME only; nothing is left at the path on failure,
 * and the writer is still closed with results_close). Runs are written
 * only once it is built. */
int results_create_later(const char *path, bool overwrite, const results_meta *meta,
                         const train_params *runs, size_t n_runs, results_writer **out,
                         sweep_error *err);
int results_build(results_writer *writer, sweep_error *err);

/* The root attribute data_checksum of a file results_create_later has not
 * built yet: the fingerprint of a large data set takes a while, which can
 * pass while the first runs train. ERROR_RUNTIME when out of memory or
 * when the file is built already. */
int results_set_data_checksum(results_writer *writer, const char *checksum, sweep_error *err);

/* Resume: build a new file for `runs` at `path` (which exists), carrying
 * over from it, for every run i with copy_from[i] >= 0, the row of its run
 * copy_from[i] (curves, scores, seconds, failure, status). The old file is
 * replaced only when the new one is complete. */
int results_create_resumed(const char *path, const results_meta *meta, const train_params *runs,
                           size_t n_runs, const long long *copy_from, results_writer **out,
                           sweep_error *err);

/* Where a run of a merged file comes from: row `row` of source file
 * `source`, or nowhere (pending) when source < 0. */
typedef struct {
    int source;
    long long row;
} results_origin;

/* Merge: build a new file for `runs` at `path` (refused when it exists,
 * unless `overwrite`), run i carrying over the row origins[i] of one of the
 * n_sources files `sources` (curves, scores, seconds, failure, status), the
 * others pending. `path` may be one of the sources. Like results_create, the
 * file takes its name only when complete. */
int results_create_merged(const char *path, bool overwrite, const results_meta *meta,
                          const train_params *runs, size_t n_runs, const char *const *sources,
                          int n_sources, const results_origin *origins, results_writer **out,
                          sweep_error *err);

/* Store one finished run (done or failed) at its index and flush; status is
 * written last. result->epochs must equal the run's epochs; failure text is
 * stored only for failed runs. */
int results_write_run(results_writer *writer, size_t run_index, const run_result *result,
                      sweep_error *err);

/* Store n_runs finished runs at once, as results_write_run stores each:
 * their rows, one flush, their statuses, one flush (a flush writes out whole
 * chunks, which neighbouring runs share). On an error the runs before the
 * failing one are stored. */
int results_write_runs(results_writer *writer, size_t n_runs, const size_t *run_indices,
                       const run_result *const *results, sweep_error *err);

/* Close the file; frees the writer even on error. NULL is allowed. With
 * `compact`, then rewrite it with compressed curves (beside it, renamed over
 * it when complete); if that fails the uncompressed file stays, whole. */
int results_close(results_writer *writer, bool compact, sweep_error *err);

#endif
