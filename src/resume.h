/* resume.h: continuing a sweep into its existing results file.
 *
 * A file is continued only when it was made from the same data (its
 * checksum) and, for a shard, is the same shard: a shard's file grows into
 * the whole grid's without --shard, but is never continued as another
 * shard. Runs are matched by their hyperparameters, not their position, so
 * a config that only adds runs (more seeds, another batch size) grows the
 * file; every run of the file must still be in the config.
 */
#ifndef SWEEP_RESUME_H
#define SWEEP_RESUME_H

#include <stdbool.h>
#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "params.h"
#include "results.h"

/* ERROR_INPUT, naming `path`, when the file `index` describes may not be
 * continued by `model` (its name) with `data` (whose checksum is
 * `checksum`) as `shard` ("K/N", or "" for the whole grid). */
int resume_check_origin(const char *path, const results_index *index, const dataset *data,
                        const char *model, const char *checksum, const char *shard,
                        sweep_error *err);

/* ERROR_INPUT, naming `path`, when the file was made with other
 * cross-validation settings than `cv` (with cv and without, or other
 * folds): its runs were scored on other rows. */
int resume_check_cv(const char *path, const results_index *index, const fold_settings *cv,
                    sweep_error *err);

/* Which run of the file each of the config's `runs` takes its results from:
 * copy_from[run] = index in the file, or -1 to train it (pending runs, and
 * failed ones with `retry_failed`); *n_kept counts the others. ERROR_INPUT
 * when a run of the file is not in the config. O(n log n): both lists are
 * sorted. */
int resume_match(const char *path, const results_index *index, const train_params *runs,
                 size_t n_runs, bool retry_failed, long long *copy_from, size_t *n_kept,
                 sweep_error *err);

#endif
