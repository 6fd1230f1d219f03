/* results_source.h: an existing results file, opened to be read back.
 *
 * Internal to the results module (results.c writes, results_read.c reads):
 * a file read back by --resume or `sweep merge` is an input like a config,
 * possibly damaged or made by hand, so it is checked whole before anything
 * of it is used. results_source_open() checks the file's HDF5 superblock
 * against its size, then the rank, shape and type of every dataset that is
 * read, against each other; the readers below then cannot read past the
 * buffers they are given. Every problem is ERROR_INPUT, one line:
 *   "PATH: not a valid sweep results file: WHAT"   (a file that is not ours)
 *   "PATH: truncated or damaged (WHAT)"            (an HDF5 file that breaks)
 */
#ifndef SWEEP_RESULTS_SOURCE_H
#define SWEEP_RESULTS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "results.h"

typedef struct results_source results_source;

/* Open and check `path`. *out is NULL on failure. */
int results_source_open(const char *path, results_source **out, sweep_error *err);

/* The runs of the file (>= 1) and the width of its curves (epochs, >= 1). */
size_t results_source_runs(const results_source *source);
size_t results_source_epochs(const results_source *source);

/* A whole (run) float dataset (the scores, `seconds`) into values[n_runs]. */
int results_source_read_reals(const results_source *source, const char *name, double *values,
                              sweep_error *err);

/* `status` into status[n_runs]; any value but pending, done or failed is
 * refused. */
int results_source_read_status(const results_source *source, int8_t *status, sweep_error *err);

/* `failure` into texts[n_runs][width], each NUL-padded (not terminated when
 * it fills its width). */
int results_source_read_failures(const results_source *source, char *texts, size_t width,
                                 sweep_error *err);

/* The first `count` epochs of run `row` of curve `name` (train_loss,
 * val_loss) into values[count]. */
int results_source_read_curve(const results_source *source, const char *name, size_t row,
                              size_t count, double *values, sweep_error *err);

/* Whether the file has a dataset or group called `name`. */
bool results_source_has(const results_source *source, const char *name);

/* A whole-number root attribute into *value, -1 when absent. */
int results_source_count_attribute(const results_source *source, const char *name, long long *value,
                                   sweep_error *err);

/* The cross-validation of the file (results_read_cv.c): the cv_* root
 * attributes into index->cv and each run's `fold` and `repeat` into
 * index->runs (PARAMS_NO_FOLD when the file has none), checked against
 * each other. */
int results_read_folds(const results_source *source, const char *path, results_index *index,
                       sweep_error *err);

/* NULL is allowed. */
void results_source_close(results_source *source);

/* Before HDF5 opens `path` (results_bytes.c): a regular file with the HDF5
 * signature, as long as its superblock says (*file_bytes: its size), whose
 * global heaps hold together. */
int results_check_bytes(const char *path, long long *file_bytes, sweep_error *err);

/* The innermost message of HDF5's current error stack (the one that names
 * the cause, e.g. "No space left on device"), on one line; "HDF5 error" if
 * there is none. Call it before any other HDF5 call clears the stack. */
void results_hdf5_reason(char *text, size_t size);

#endif
