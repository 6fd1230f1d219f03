/* merge.h: `sweep merge OUT PART...`, one results file from the files of
 * independent jobs (the shards of a job array, or any sweeps of one grid).
 *
 * The parts must come from the same sweep: equal data (data_checksum) and
 * equal effective configs (but for `name:`, `output:` and `threads:`, which
 * change no result). The grid is expanded again from that effective config, and
 * every run of every part must be the grid's run at its position (the `run`
 * coordinate) with the same hyperparameters. No run may be finished (done
 * or failed) in two parts. OUT then holds every run of the grid, each
 * finished one copied bit for bit from its part, and is the file an
 * unsharded sweep makes (compressed) when no run is missing; missing runs
 * stay pending, for `sweep CONFIG --resume -o OUT`.
 */
#ifndef SWEEP_MERGE_H
#define SWEEP_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

typedef struct {
    const char *output;       /* OUT */
    const char *const *parts; /* (n_parts) results files */
    int n_parts;
    bool overwrite; /* replace an existing OUT */
} merge_options;

typedef struct {
    size_t n_runs; /* runs of the grid */
    size_t n_done;
    size_t n_failed;
    size_t n_missing; /* finished in no part: pending in OUT */
} merge_outcome;

/* Merge the parts into OUT. When runs are missing, `report` gets a line
 * naming the first few and the command that trains them. Errors: ERROR_INPUT
 * for a part that is not a results file, parts of different sweeps
 * ("B: not from the same sweep as A: ..."), a run finished in two parts
 * ("run 7 (...) is finished in both A and B"), an existing OUT without
 * `overwrite`; ERROR_RUNTIME for I/O. Nothing is written on error. */
int merge_parts(const merge_options *options, FILE *report, merge_outcome *outcome,
                sweep_error *err);

#endif
