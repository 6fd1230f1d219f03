/* sweep.h: running a whole sweep.
 *
 * Expands the config's grid, loads the data set once, trains every run on a
 * team of OpenMP workers (team.h: each owning its model, generator and
 * scratch memory) and hands each finished run to a single writer thread,
 * which stores it in the results file and reports progress. In an MPI job
 * rank 0 runs the sweep and the other ranks serve it (protocol.h).
 */
#ifndef SWEEP_SWEEP_H
#define SWEEP_SWEEP_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "cluster.h"
#include "config.h"
#include "error.h"
#include "params.h"

typedef struct {
    const char *output; /* results file; NULL: the config's output */
    int threads;        /* worker threads; -1: the config's; 0: all cores */
    bool overwrite;     /* replace an existing results file */
    bool dry_run;       /* print the expanded runs and train nothing */
    bool quiet;         /* no progress on stderr */
    bool resume;        /* continue into an existing results file */
    bool retry_failed;  /* with resume: train failed runs again */
    /* Set (to the signal's number) by a signal handler: stop taking runs,
     * store the running ones, close the file. NULL: never. */
    const volatile sig_atomic_t *interrupt;
    /* Shards (sweep --shard K/N): with shard_count > 0, train only shard
     * shard_index (0-based) of shard_count (schedule_shard), into a file
     * that holds only those runs (see results.h: run_numbers). */
    int shard_index;
    int shard_count;
    /* The MPI job when this process is its rank 0 (see cluster.h): the other
     * ranks train runs handed out by this one. NULL or a cluster of one:
     * this process trains alone. */
    cluster *job;
} sweep_options;

typedef struct {
    size_t n_runs;    /* runs in the grid */
    size_t n_done;    /* trained to the last epoch */
    size_t n_failed;  /* stopped by a NaN or infinite loss */
    size_t n_kept;    /* with resume: runs carried over from the file */
    size_t n_pending; /* runs left untrained (interrupted) */
    double seconds;   /* wall time of the training phase */
    int interrupted;  /* the signal that stopped the sweep, or 0 */
} sweep_outcome;

/* Run the sweep; `out` receives the dry-run table or the final summary. */
int sweep_execute(const sweep_config *config, const sweep_options *options, FILE *out,
                  sweep_outcome *outcome, sweep_error *err);

/* On a rank other than 0 of an MPI job: train the runs rank 0 hands out,
 * until rank 0 says that the program ends; *exit_status is then the status
 * rank 0 exits with, for this rank to exit with too. Returns -1 only when
 * the ranks cannot talk any more. */
int sweep_serve(cluster *job, const volatile sig_atomic_t *interrupt, int *exit_status,
                sweep_error *err);

/* On rank 0 of an MPI job, last of all: tell the other ranks (waiting in
 * sweep_serve) to end with `exit_status`. Nothing for a cluster of one. */
int sweep_conclude(cluster *job, int exit_status, sweep_error *err);

/* Number of worker threads for a requested count (0 = all cores), never more
 * than the number of runs and never less than 1. */
int sweep_worker_count(int requested, size_t n_runs);

#endif
