/* sweep.h: running a whole sweep.
 *
 * Expands the config's grid, loads the data set once, trains every run on a
 * team of OpenMP workers (each owning its model, generator and scratch
 * memory) and hands each finished run to a single writer thread, which
 * stores it in the results file and reports progress.
 */
#ifndef SWEEP_SWEEP_H
#define SWEEP_SWEEP_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "error.h"

typedef struct {
    const char *output;   /* results file; NULL: the config's output */
    int threads;          /* worker threads; -1: the config's; 0: all cores */
    bool overwrite;       /* replace an existing results file */
    bool dry_run;         /* print the expanded runs and train nothing */
    bool quiet;           /* no progress on stderr */
    bool resume;          /* continue into an existing results file */
    bool retry_failed;    /* with resume: train failed runs again */
    /* Set (to the signal's number) by a signal handler: stop taking runs,
     * store the running ones, close the file. NULL: never. */
    const volatile sig_atomic_t *interrupt;
} sweep_options;

typedef struct {
    size_t n_runs;        /* runs in the grid */
    size_t n_done;        /* trained to the last epoch */
    size_t n_failed;      /* stopped by a NaN or infinite loss */
    size_t n_kept;        /* with resume: runs carried over from the file */
    size_t n_pending;     /* runs left untrained (interrupted) */
    double seconds;       /* wall time of the training phase */
    int interrupted;      /* the signal that stopped the sweep, or 0 */
} sweep_outcome;

/* Run the sweep; `out` receives the dry-run table or the final summary. */
int sweep_execute(const sweep_config *config, const sweep_options *options, FILE *out,
                  sweep_outcome *outcome, sweep_error *err);

/* Number of worker threads for a requested count (0 = all cores), never more
 * than the number of runs and never less than 1. */
int sweep_worker_count(int requested, size_t n_runs);

#endif
