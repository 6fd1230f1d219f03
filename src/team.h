/* team.h: one process's threads of a sweep, and the queues between them.
 *
 * Internal to the sweep (sweep.c, protocol.c and their tests). One OpenMP
 * team per process: thread 0 runs a `step` function until it says all work
 * is over (alone or on rank 0 it stores finished runs and serves the other
 * ranks, see sweep.c; on another rank it is the courier, see protocol.h);
 * the other threads are workers, each owning its train_workspace, that train
 * runs a pack at a time (train_pack: runs side by side in the vector lanes;
 * a pack of one is a lone run). On rank 0 (or alone) a worker takes the next run of
 * the schedule, most expensive first; on another rank it takes runs from an
 * inbox that the courier fills. A finished run goes onto a FIFO that
 * thread 0 empties.
 *
 * Why pthread mutexes and condition variables inside an OpenMP region:
 * OpenMP has locks but neither condition variables nor timed waits. Thread
 * 0 sleeps until a backlog builds up or a period passes, and a worker of
 * another rank sleeps until its inbox fills; with OpenMP alone both would
 * have to poll, costing a core or adding latency to every run.
 */
#ifndef SWEEP_TEAM_H
#define SWEEP_TEAM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "params.h"
#include "train.h"

/* A run handed from a worker to thread 0 (the writer or the courier). */
typedef struct finished_run {
    size_t index;      /* position in the expanded grid */
    run_result result; /* owned; freed by thread 0 */
    struct finished_run *next;
} finished_run;

/* A run handed by rank 0 to another rank, waiting in its inbox. */
typedef struct assigned_run {
    size_t index;
    train_params params;
    struct assigned_run *next;
} assigned_run;

/* Everything the team shares. Workers read `runs` and `data`, take run
 * numbers from `next_slot` (or, on a rank other than 0, runs from the
 * inbox), and push finished runs. Set the fields above `next_slot`, then
 * call team_init. */
typedef struct {
    const train_params *runs; /* (n_runs); NULL on a rank other than 0 */
    const size_t *schedule;   /* (n_scheduled) run indices, most expensive first */
    const size_t *pack_end;   /* (n_scheduled) schedule_packs: one past the last slot of
                                      the pack holding a slot; NULL: every run alone */
    size_t n_runs;
    size_t n_scheduled;                     /* runs to train (all but those kept on resume) */
    const volatile sig_atomic_t *interrupt; /* nonzero: take no more runs */
    const dataset *data;
    const dataset_folds *folds; /* cross-validation: a run with a fold trains on its
                                   set; NULL without cv */
    bool talks;                 /* thread 0 talks to other ranks: it waits for their
                                      messages even when no worker is left */

    atomic_size_t next_slot;   /* next entry of `schedule` to train */
    atomic_int stop;           /* set when a worker or the writer failed, or another rank
                                      was interrupted: take no more runs */
    pthread_mutex_t lock;      /* guards the fields below */
    pthread_cond_t changed;    /* a run was pushed or a worker left */
    finished_run *head, *tail; /* FIFO of finished runs */
    size_t n_queued;           /* runs in it since thread 0 last took them */
    int active_workers;
    sweep_error worker_error; /* the first runtime error of a worker (or another rank) */
    assigned_run *inbox_head, *inbox_tail; /* other ranks: runs not yet taken */
    bool inbox_closed;                     /* other ranks: rank 0 sends no more */
    pthread_cond_t inbox_changed;          /* other ranks: the inbox changed, or the team stops */
} sweep_team;

/* Number of worker threads for a requested count (0 = all cores), never
 * more than the number of runs and never less than 1. */
int team_worker_count(int requested, size_t n_runs);

/* Set up the lock and condition variables; team_destroy undoes it and
 * frees the runs still queued. */
void team_init(sweep_team *team);
void team_destroy(sweep_team *team);

/* The team takes no more runs (after team_halt, or a signal). */
bool team_stopped(const sweep_team *team);
/* Take no more runs; wake the workers waiting for their inbox. */
void team_halt(sweep_team *team);
/* Keep the first runtime error (of a worker or another rank) and halt. */
void team_record_error(sweep_team *team, const sweep_error *err);
/* The first error recorded (kind ERROR_NONE: none). */
sweep_error team_worker_error(sweep_team *team);

/* Rank 0: the next run of the schedule (shared by the local workers and
 * the other ranks). False when the schedule is used up. */
bool team_take_slot(sweep_team *team, size_t *index);
bool team_schedule_used_up(sweep_team *team);

/* Rank 0: the rest of the next pack of the schedule: slots
 * [*first, *first + *count). False when the schedule is used up. */
bool team_take_pack(sweep_team *team, size_t *first, size_t *count);

/* A worker hands a finished run to thread 0 (the item becomes its). */
void team_push_finished(sweep_team *team, finished_run *item);
/* A worker hands the finished runs of a pack to thread 0 (the items become
 * its), under one lock, as team_push_finished hands one. */
void team_push_finished_pack(sweep_team *team, finished_run *const *items, int n);
/* A worker is gone: thread 0 may be waiting for that. */
void team_leave(sweep_team *team);

/* Thread 0: take the finished runs off the queue; with `wait`, first wait
 * up to `seconds` for one when there is none (and workers are left, or
 * other ranks may send). *workers_gone: every worker had left when the
 * queue was taken, so no run will follow the batch. */
finished_run *team_take_finished(sweep_team *team, bool wait, double seconds, bool *workers_gone);
/* Free a batch (or the rest of one). */
void team_free_finished(finished_run *batch);

/* Another rank: put a run from rank 0 in the inbox (the item becomes the
 * team's). */
void team_deliver(sweep_team *team, assigned_run *item);
/* Another rank: no more runs will come; with `abandon`, drop the waiting
 * ones (they stay pending in the file). */
void team_close_inbox(sweep_team *team, bool abandon);
bool team_inbox_closed(sweep_team *team);

/* The next run to train: 0 with *index and *params, 1 when there is nothing
 * left to do, 2 when nothing is there yet (only without `may_wait`, on a
 * rank other than 0 whose inbox is empty). */
int team_take_run(sweep_team *team, bool may_wait, size_t *index, train_params *params);

/* The next runs to train, a pack of at most `max_runs` (<= LANES_MAX) that
 * can train side by side: rank 0 takes the next pack of the schedule,
 * another rank packs what its inbox holds (schedule_pack_width). Returns
 * as team_take_run, with *n_taken runs in indices and params. */
int team_take_runs(sweep_team *team, bool may_wait, size_t *indices, train_params *params,
                   int *n_taken);

/* Run the team: n_workers workers train while thread 0 calls
 * step(context, wait) until it returns true (all work is over). When
 * OpenMP gives a team of one thread (OMP_THREAD_LIMIT=1, or a nested
 * region), that thread trains and steps in turn. */
void team_run(sweep_team *team, int n_workers, bool (*step)(void *context, bool wait),
              void *context);

#endif
