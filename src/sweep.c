#include "sweep.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "grid.h"
#include "lock.h"
#include "paths.h"
#include "report.h"
#include "results.h"
#include "schedule.h"
#include "train.h"
#include "wire.h"

/* ---- The MPI protocol ------------------------------------------------------
 *
 * Rank 0 does everything a sweep alone does (config, data, results file,
 * resume, schedule); its team of threads is the same too: OpenMP thread 0
 * writes, the others train runs taken from the schedule, most expensive
 * first. Thread 0 also talks to the other ranks (it is the main thread: MPI
 * needs only MPI_THREAD_FUNNELED), taking runs from the same schedule for
 * them, so that every rank, rank 0 included, trains.
 *
 * Rank 0 broadcasts a start packet (wire.h: settings and data set). Each
 * other rank then runs a team of its own: thread 0 is its courier, the others
 * train runs from an inbox that the courier fills. Messages (tags below):
 *
 *   rank -> 0   READY n      room for n runs (two per worker: one trains while
 *                            the next waits, so a worker never waits for the
 *                            network; and few enough to keep the end balanced)
 *   0 -> rank   WORK         one run: index and hyperparameters
 *   rank -> 0   RESULT       a finished run (done or failed); room for one more
 *   0 -> rank   STOP mode    no more runs: DRAIN (train the inbox: the
 *                            schedule is used up) or ABANDON (drop the inbox:
 *                            a signal or an error stops the sweep)
 *   rank -> 0   ERROR        a runtime error; the rank trains no more
 *   rank -> 0   INTERRUPTED  a signal reached that rank: rank 0 stops the
 *                            whole sweep as if it had been signalled
 *   rank -> 0   DONE         after STOP, once its runs are trained and sent;
 *                            its last message
 *
 * Rank 0 writes every result as it arrives, exactly as a local one (row,
 * flush, status, flush), so the file's crash safety is the same; it leaves
 * the team when its workers are gone and every rank said DONE, then
 * finishes the file and, last, broadcasts a finish packet with the exit
 * status that every rank returns. A rank that dies takes only its runs in
 * flight with it: they stay pending, and --resume trains them.
 *
 * Waiting: no thread spins. Workers wait on condition variables; the two
 * couriers look at the messages every POLL_SECONDS, sleeping in between.
 */
enum {
    TAG_READY = 1,
    TAG_WORK = 2,
    TAG_RESULT = 3,
    TAG_STOP = 4,
    TAG_ERROR = 5,
    TAG_INTERRUPTED = 6,
    TAG_DONE = 7
};

enum { STOP_DRAIN = 1, STOP_ABANDON = 2 };

/* Between two looks at the messages: short next to a run (>= ~1 ms) and
 * long enough that looking costs nothing measurable. */
#define POLL_SECONDS 0.002
/* Alone, thread 0 stores finished runs every WRITER_PERIOD seconds, or as
 * soon as WAKE_BACKLOG of them wait: a kill loses at most that much work
 * (those runs read as pending and --resume trains them again). */
#define WRITER_PERIOD 0.02
#define WAKE_BACKLOG 64

/* A run handed from a worker to the writer (or courier). */
typedef struct finished_run {
    size_t index;                 /* position in the expanded grid */
    run_result result;            /* owned; freed by the writer */
    struct finished_run *next;
} finished_run;

/* A run handed by rank 0 to another rank, waiting in its inbox. */
typedef struct assigned_run {
    size_t index;
    train_params params;
    struct assigned_run *next;
} assigned_run;

/* What rank 0 knows of another rank. */
typedef struct {
    long long credit;   /* runs it has room for */
    int stop_sent;      /* 0, STOP_DRAIN or STOP_ABANDON */
    bool done;          /* it said DONE */
} remote_rank;

/* Everything the team shares. Workers read `runs` and `data`, take run
 * numbers from `next_slot` (or, on a rank other than 0, runs from the
 * inbox), and push finished runs; only thread 0 touches `writer`, the
 * per-run score arrays and the messages. */
typedef struct {
    const train_params *runs;      /* (n_runs); NULL on a rank other than 0 */
    const size_t *schedule;        /* (n_scheduled) run indices, most expensive first */
    size_t n_runs;
    size_t n_scheduled;            /* runs to train (all but those kept on resume) */
    const volatile sig_atomic_t *interrupt;  /* nonzero: take no more runs */
    const dataset *data;
    size_t next_slot;              /* next entry of `schedule` to train (atomic) */
    int stop;                      /* set when a worker or the writer failed, or another rank
                                      was interrupted: take no more runs (atomic) */

    pthread_mutex_t lock;          /* guards the fields below */
    pthread_cond_t changed;        /* a run was pushed or a worker left */
    finished_run *head, *tail;     /* FIFO of finished runs */
    size_t n_queued;               /* runs in it since thread 0 last took them */
    int active_workers;
    sweep_error worker_error;      /* the first runtime error of a worker (or another rank) */
    assigned_run *inbox_head, *inbox_tail;  /* other ranks: runs not yet taken */
    bool inbox_closed;             /* other ranks: rank 0 sends no more */
    pthread_cond_t inbox_changed;  /* other ranks: the inbox changed, or the team stops */

    results_writer *writer;
    progress progress;
    size_t n_written, n_failed;
    run_summary *summaries;        /* (n_runs) for the summary */
    sweep_error writer_error;      /* the first error of the writer (or of the messages) */

    cluster *job;                  /* an MPI job of more than one rank, else NULL */
    remote_rank *remotes;          /* rank 0: (cluster size), [0] unused */
    int remote_signal;             /* rank 0: the signal that stopped another rank */
    bool messages_failed;          /* the ranks cannot talk any more */
    bool error_sent, interrupt_sent;  /* other ranks: told rank 0 already */
} sweep_team;

int sweep_worker_count(int requested, size_t n_runs)
{
    int count = requested > 0 ? requested : omp_get_max_threads();
    if (count < 1)
        count = 1;
    if (n_runs > 0 && (size_t)count > n_runs)
        count = (int)n_runs;
    return count;
}

/* A run of one of the two lists, for matching them by sorting. */
typedef struct {
    const train_params *params;
    size_t index;
} run_ref;

static int compare_run_refs(const void *left, const void *right)
{
    const run_ref *a = left, *b = right;
    int order = params_compare(a->params, b->params);
    if (order != 0)
        return order;
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* Resume: which run of the file each run of the config takes its results
 * from (copy_from[run] = index in the file, or -1 to train it). Runs are
 * matched by their hyperparameters, not their position, so a config that
 * only adds runs (more seeds, another batch size) grows the file. Every run
 * of the file must still be in the config, or the file is refused. */
static int match_runs(const char *path, const results_index *index, const train_params *runs,
                      size_t n_runs, bool retry_failed, long long *copy_from, size_t *n_kept,
                      sweep_error *err)
{
    int status = -1;
    run_ref *ours = malloc((n_runs > 0 ? n_runs : 1) * sizeof *ours);
    run_ref *theirs = malloc((index->n_runs > 0 ? index->n_runs : 1) * sizeof *theirs);
    if (ours == NULL || theirs == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    for (size_t run = 0; run < n_runs; run++) {
        ours[run] = (run_ref){&runs[run], run};
        copy_from[run] = -1;
    }
    for (size_t run = 0; run < index->n_runs; run++)
        theirs[run] = (run_ref){&index->runs[run], run};
    qsort(ours, n_runs, sizeof *ours, compare_run_refs);
    qsort(theirs, index->n_runs, sizeof *theirs, compare_run_refs);
    size_t i = 0, j = 0, n_missing = 0, first_missing = 0;
    *n_kept = 0;
    while (j < index->n_runs) {
        int order = i < n_runs ? params_compare(ours[i].params, theirs[j].params) : 1;
        if (order < 0) {
            i++;   /* a new run: trained */
            continue;
        }
        if (order > 0) {
            if (n_missing++ == 0 || theirs[j].index < first_missing)
                first_missing = theirs[j].index;
            j++;
            continue;
        }
        run_status state = index->summaries[theirs[j].index].status;
        if (state == RUN_DONE || (state == RUN_FAILED && !retry_failed)) {
            copy_from[ours[i].index] = (long long)theirs[j].index;
            (*n_kept)++;
        }
        i++;
        j++;
    }
    if (n_missing > 0) {
        char described[512];
        params_describe(&index->runs[first_missing], described, sizeof described);
        error_set(err, ERROR_INPUT,
                  "%s: cannot resume: %zu of its %zu runs are not in the config, e.g. run %zu "
                  "(%s); use -o for a new file, or --overwrite",
                  path, n_missing, index->n_runs, first_missing, described);
        goto cleanup;
    }
    status = 0;
cleanup:
    free(ours);
    free(theirs);
    return status;
}

/* ---- the team ------------------------------------------------------------ */

static bool team_stopped(const sweep_team *team)
{
    return __atomic_load_n(&team->stop, __ATOMIC_SEQ_CST) ||
           (team->interrupt != NULL && *team->interrupt != 0);
}

/* Take no more runs; wake the workers waiting for their inbox. */
static void halt_team(sweep_team *team)
{
    __atomic_store_n(&team->stop, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&team->lock);
    pthread_cond_broadcast(&team->inbox_changed);
    pthread_mutex_unlock(&team->lock);
}

static void push_finished(sweep_team *team, finished_run *item)
{
    pthread_mutex_lock(&team->lock);
    item->next = NULL;
    if (team->tail != NULL)
        team->tail->next = item;
    else
        team->head = item;
    team->tail = item;
    /* Waking thread 0 for every run costs more than a short run on a
     * virtual machine (a cross-core wake-up is a hypervisor exit): it is
     * woken only for a backlog, and otherwise looks every WRITER_PERIOD. */
    if (++team->n_queued >= WAKE_BACKLOG)
        pthread_cond_signal(&team->changed);
    pthread_mutex_unlock(&team->lock);
}

static void record_worker_error(sweep_team *team, const sweep_error *err)
{
    pthread_mutex_lock(&team->lock);
    if (team->worker_error.kind == ERROR_NONE)
        team->worker_error = *err;
    pthread_mutex_unlock(&team->lock);
    halt_team(team);
}

/* The next run to train: 0 with *index and *params, 1 when there is nothing
 * left to do, 2 when nothing is there yet (only without `may_wait`, on a
 * rank other than 0 whose inbox is empty). */
static int take_run(sweep_team *team, bool may_wait, size_t *index, train_params *params)
{
    if (team_stopped(team))
        return 1;
    if (team->runs != NULL) {
        size_t slot = __atomic_fetch_add(&team->next_slot, 1, __ATOMIC_SEQ_CST);
        if (slot >= team->n_scheduled)
            return 1;
        *index = team->schedule[slot];
        *params = team->runs[*index];
        return 0;
    }
    int taken;
    pthread_mutex_lock(&team->lock);
    while (may_wait && team->inbox_head == NULL && !team->inbox_closed && !team_stopped(team))
        pthread_cond_wait(&team->inbox_changed, &team->lock);
    assigned_run *item = team_stopped(team) ? NULL : team->inbox_head;
    if (item != NULL) {
        team->inbox_head = item->next;
        if (team->inbox_head == NULL)
            team->inbox_tail = NULL;
        *index = item->index;
        *params = item->params;
        free(item);
        taken = 0;
    } else {
        taken = team->inbox_closed || team_stopped(team) ? 1 : 2;
    }
    pthread_mutex_unlock(&team->lock);
    return taken;
}

/* Train the next run. Returns 0 when a run was pushed, 1 when there is
 * nothing left to do, 2 when nothing is there yet (see take_run), -1 after
 * recording an error. */
static int train_next(sweep_team *team, train_workspace *workspace, bool may_wait)
{
    size_t index;
    train_params params;
    int taken = take_run(team, may_wait, &index, &params);
    if (taken != 0)
        return taken;
    sweep_error err = {0};
    finished_run *item = calloc(1, sizeof *item);
    if (item == NULL) {
        error_set(&err, ERROR_RUNTIME, "out of memory for run %zu", index);
        goto fail;
    }
    item->index = index;
    if (run_result_init(&item->result, params.epochs, &err) != 0)
        goto fail;
    double started = report_now();
    if (train_run(workspace, team->data, &params, &item->result, &err) != 0)
        goto fail;
    if (item->result.status == RUN_PENDING) {
        /* Abandoned after an interrupt: stays pending in the file. */
        run_result_free(&item->result);
        free(item);
        return 1;
    }
    item->result.seconds = report_now() - started;
    push_finished(team, item);
    return 0;
fail:
    if (item != NULL)
        run_result_free(&item->result);
    free(item);
    record_worker_error(team, &err);
    return -1;
}

/* A worker is gone: thread 0 may be waiting for that. */
static void leave_team(sweep_team *team)
{
    pthread_mutex_lock(&team->lock);
    team->active_workers--;
    pthread_cond_signal(&team->changed);
    pthread_mutex_unlock(&team->lock);
}

static train_workspace *new_workspace(sweep_team *team)
{
    train_workspace *workspace = train_workspace_new();
    if (workspace == NULL) {
        sweep_error err;
        error_set(&err, ERROR_RUNTIME, "out of memory for a worker's workspace");
        record_worker_error(team, &err);
        return NULL;
    }
    /* After a Ctrl-C a long run is abandoned (left pending) rather than
     * holding up the exit; see TRAIN_CANCEL_GRACE_SECONDS. */
    train_workspace_set_cancel(workspace, team->interrupt);
    return workspace;
}

/* Take the finished runs off the queue; with `wait`, first wait up to
 * `seconds` for one when there is none (and workers are left, or other
 * ranks may send). *workers_gone: every worker had left when the queue was
 * taken, so no run will follow the batch. */
static finished_run *take_finished(sweep_team *team, bool wait, double seconds,
                                   bool *workers_gone)
{
    pthread_mutex_lock(&team->lock);
    if (wait && team->head == NULL && (team->active_workers > 0 || team->job != NULL)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long nanoseconds = until.tv_nsec + (long)(seconds * 1e9);
        until.tv_sec += nanoseconds / 1000000000L;
        until.tv_nsec = nanoseconds % 1000000000L;
        pthread_cond_timedwait(&team->changed, &team->lock, &until);
        if (team->head == NULL && team->job == NULL && team->writer != NULL)
            progress_update(&team->progress, team->n_written, team->n_failed);
    }
    finished_run *batch = team->head;
    team->head = team->tail = NULL;
    team->n_queued = 0;
    *workers_gone = team->active_workers == 0;
    pthread_mutex_unlock(&team->lock);
    return batch;
}

/* Rank 0: store one finished run (local or from another rank). */
static void store_result(sweep_team *team, size_t index, const run_result *result)
{
    if (team->writer_error.kind != ERROR_NONE)
        return;
    if (results_write_run(team->writer, index, result, &team->writer_error) != 0) {
        halt_team(team);
        return;
    }
    team->summaries[index] = run_summary_of(result);
    team->n_written++;
    if (result->status == RUN_FAILED)
        team->n_failed++;
    progress_update(&team->progress, team->n_written, team->n_failed);
}

static void store_batch(sweep_team *team, finished_run *batch)
{
    while (batch != NULL) {
        finished_run *item = batch;
        batch = item->next;
        store_result(team, item->index, &item->result);
        run_result_free(&item->result);
        free(item);
    }
}

/* Send a message whose body wire.h packed (pack_status != 0: it failed). */
static int send_packed(sweep_team *team, int to, int tag, int pack_status, void *bytes,
                       size_t size, sweep_error *err)
{
    if (pack_status != 0)
        return -1;
    return cluster_send(team->job, to, tag, bytes, size, err);
}

static int send_number(sweep_team *team, int to, int tag, long long value, sweep_error *err)
{
    void *bytes = NULL;
    size_t size = 0;
    int packed = wire_pack_number(value, &bytes, &size, err);
    return send_packed(team, to, tag, packed, bytes, size, err);
}

/* The ranks cannot talk any more (or a message made no sense): stop the
 * sweep, keep the error for the report, and stop waiting for the others;
 * cluster_end then ends the whole job. */
static void messages_failed(sweep_team *team, const sweep_error *err)
{
    if (team->writer_error.kind == ERROR_NONE)
        team->writer_error = *err;
    team->messages_failed = true;
    cluster_give_up(team->job);
    halt_team(team);
}

/* Rank 0: one message from another rank. */
static int handle_message(sweep_team *team, int from, int tag, const void *bytes, size_t size,
                          sweep_error *err)
{
    remote_rank *remote = &team->remotes[from];
    long long number = 0;
    switch (tag) {
    case TAG_READY:
        if (wire_unpack_number(bytes, size, &number, err) != 0)
            return -1;
        remote->credit += number > 0 ? number : 0;
        return 0;
    case TAG_RESULT: {
        size_t index = 0;
        run_result result;
        if (wire_unpack_result(bytes, size, &index, &result, err) != 0)
            return -1;
        if (index >= team->n_runs) {
            run_result_free(&result);
            return error_set(err, ERROR_RUNTIME, "rank %d sent run %zu of %zu", from, index,
                             team->n_runs);
        }
        store_result(team, index, &result);
        run_result_free(&result);
        remote->credit++;
        return 0;
    }
    case TAG_ERROR: {
        sweep_error reported;
        if (wire_unpack_error(bytes, size, &reported, err) != 0)
            return -1;
        sweep_error named;
        error_set(&named, reported.kind, "rank %d: %s", from, reported.message);
        record_worker_error(team, &named);
        return 0;
    }
    case TAG_INTERRUPTED:
        if (wire_unpack_number(bytes, size, &number, err) != 0)
            return -1;
        if (team->remote_signal == 0)
            team->remote_signal = (int)number;
        halt_team(team);
        return 0;
    case TAG_DONE:
        remote->done = true;
        return 0;
    default:
        return error_set(err, ERROR_RUNTIME, "rank %d sent a message with tag %d", from, tag);
    }
}

/* Rank 0: read every message that has come, hand out runs to the ranks that
 * have room, tell them to stop when it is time. True when every other rank
 * is done. */
static bool serve_ranks(sweep_team *team)
{
    if (team->messages_failed)
        return true;
    int n_ranks = cluster_size(team->job);
    sweep_error err = {0};
    for (;;) {
        int from = 0, tag = 0;
        void *bytes = NULL;
        size_t size = 0;
        int got = cluster_receive(team->job, &from, &tag, &bytes, &size, &err);
        if (got == 0)
            break;
        if (got > 0 && (from < 1 || from >= n_ranks)) {
            error_set(&err, ERROR_RUNTIME, "MPI: a message from rank %d of %d", from, n_ranks);
            got = -1;
        }
        if (got < 0 || handle_message(team, from, tag, bytes, size, &err) != 0) {
            free(bytes);
            messages_failed(team, &err);
            return true;
        }
        free(bytes);
    }
    bool stopping = team_stopped(team);
    bool all_done = true;
    for (int rank = 1; rank < n_ranks; rank++) {
        remote_rank *remote = &team->remotes[rank];
        if (remote->done)
            continue;
        all_done = false;
        int rc = 0;
        if (stopping) {
            if (remote->stop_sent != STOP_ABANDON) {
                rc = send_number(team, rank, TAG_STOP, STOP_ABANDON, &err);
                remote->stop_sent = STOP_ABANDON;
            }
        } else if (remote->stop_sent == 0) {
            while (rc == 0 && remote->credit > 0) {
                size_t slot = __atomic_fetch_add(&team->next_slot, 1, __ATOMIC_SEQ_CST);
                if (slot >= team->n_scheduled)
                    break;
                size_t index = team->schedule[slot];
                void *bytes = NULL;
                size_t size = 0;
                int packed = wire_pack_work(index, &team->runs[index], &bytes, &size, &err);
                rc = send_packed(team, rank, TAG_WORK, packed, bytes, size, &err);
                remote->credit--;
            }
            size_t next = __atomic_load_n(&team->next_slot, __ATOMIC_SEQ_CST);
            if (rc == 0 && next >= team->n_scheduled) {
                rc = send_number(team, rank, TAG_STOP, STOP_DRAIN, &err);
                remote->stop_sent = STOP_DRAIN;
            }
        }
        if (rc != 0) {
            messages_failed(team, &err);
            return true;
        }
    }
    if (cluster_progress(team->job, &err) != 0) {
        messages_failed(team, &err);
        return true;
    }
    return all_done;
}

/* Thread 0 of rank 0 (or of a sweep alone): store finished runs and, in an
 * MPI job, serve the other ranks. True when all work is over. */
static bool coordinate(sweep_team *team, bool wait)
{
    bool workers_gone = false;
    double seconds = team->job != NULL ? POLL_SECONDS : WRITER_PERIOD;
    finished_run *batch = take_finished(team, wait, seconds, &workers_gone);
    store_batch(team, batch);
    if (team->job == NULL)
        return workers_gone;
    bool ranks_done = serve_ranks(team);
    progress_update(&team->progress, team->n_written, team->n_failed);
    return workers_gone && ranks_done;
}

/* Another rank: put a run from rank 0 in the inbox. */
static void deliver(sweep_team *team, assigned_run *item)
{
    pthread_mutex_lock(&team->lock);
    item->next = NULL;
    if (team->inbox_tail != NULL)
        team->inbox_tail->next = item;
    else
        team->inbox_head = item;
    team->inbox_tail = item;
    pthread_cond_signal(&team->inbox_changed);
    pthread_mutex_unlock(&team->lock);
}

/* Another rank: no more runs will come; with `abandon`, drop the waiting
 * ones (they stay pending in the file). */
static void close_inbox(sweep_team *team, bool abandon)
{
    pthread_mutex_lock(&team->lock);
    team->inbox_closed = true;
    while (abandon && team->inbox_head != NULL) {
        assigned_run *item = team->inbox_head;
        team->inbox_head = item->next;
        free(item);
    }
    if (team->inbox_head == NULL)
        team->inbox_tail = NULL;
    pthread_cond_broadcast(&team->inbox_changed);
    pthread_mutex_unlock(&team->lock);
}

/* Another rank: one message from rank 0. */
static int receive_order(sweep_team *team, int tag, const void *bytes, size_t size,
                         sweep_error *err)
{
    long long number = 0;
    if (tag == TAG_WORK) {
        assigned_run *item = calloc(1, sizeof *item);
        if (item == NULL)
            return error_set(err, ERROR_RUNTIME, "out of memory");
        if (wire_unpack_work(bytes, size, &item->index, &item->params, err) != 0) {
            free(item);
            return -1;
        }
        deliver(team, item);
        return 0;
    }
    if (tag == TAG_STOP) {
        if (wire_unpack_number(bytes, size, &number, err) != 0)
            return -1;
        close_inbox(team, number == STOP_ABANDON);
        return 0;
    }
    return error_set(err, ERROR_RUNTIME, "rank 0 sent a message with tag %d", tag);
}

/* Thread 0 of another rank: send finished runs, errors and signals to rank
 * 0, fill the inbox from it. True when all work is over (DONE sent). */
static bool courier(sweep_team *team, bool wait)
{
    if (team->messages_failed)
        return true;
    sweep_error err = {0};
    bool workers_gone = false;
    finished_run *batch = take_finished(team, wait, POLL_SECONDS, &workers_gone);
    int rc = 0;
    while (batch != NULL) {
        finished_run *item = batch;
        batch = item->next;
        if (rc == 0) {
            void *bytes = NULL;
            size_t size = 0;
            int packed = wire_pack_result(item->index, &item->result, &bytes, &size, &err);
            rc = send_packed(team, 0, TAG_RESULT, packed, bytes, size, &err);
        }
        run_result_free(&item->result);
        free(item);
    }
    pthread_mutex_lock(&team->lock);
    sweep_error worker_error = team->worker_error;
    pthread_mutex_unlock(&team->lock);
    if (rc == 0 && !team->error_sent && worker_error.kind != ERROR_NONE) {
        void *bytes = NULL;
        size_t size = 0;
        int packed = wire_pack_error(&worker_error, &bytes, &size, &err);
        rc = send_packed(team, 0, TAG_ERROR, packed, bytes, size, &err);
        team->error_sent = true;
    }
    int signal_number = team->interrupt != NULL ? (int)*team->interrupt : 0;
    if (rc == 0 && !team->interrupt_sent && signal_number != 0) {
        rc = send_number(team, 0, TAG_INTERRUPTED, signal_number, &err);
        team->interrupt_sent = true;
        halt_team(team);   /* wake the workers waiting for runs: they leave */
    }
    while (rc == 0) {
        int from = 0, tag = 0;
        void *bytes = NULL;
        size_t size = 0;
        int got = cluster_receive(team->job, &from, &tag, &bytes, &size, &err);
        if (got == 0)
            break;
        if (got > 0 && from != 0)
            got = error_set(&err, ERROR_RUNTIME, "MPI: a message from rank %d", from);
        rc = got < 0 ? -1 : receive_order(team, tag, bytes, size, &err);
        free(bytes);
    }
    if (rc == 0)
        rc = cluster_progress(team->job, &err);
    pthread_mutex_lock(&team->lock);
    bool closed = team->inbox_closed;
    pthread_mutex_unlock(&team->lock);
    if (rc == 0 && closed && workers_gone) {
        rc = send_number(team, 0, TAG_DONE, 0, &err);
        if (rc == 0)
            rc = cluster_flush(team->job, &err);
        if (rc == 0)
            return true;
    }
    if (rc != 0) {
        messages_failed(team, &err);
        return true;
    }
    return false;
}

/* The team: thread 0 runs `step` (coordinate or courier) until it says all
 * is over, the others train. When OpenMP gives us a team of one
 * (OMP_THREAD_LIMIT=1, say) that thread does both in turn.
 *
 * (The loop in which a worker trains runs is the `thread != 0` branch.) */
static void run_team(sweep_team *team, int n_workers, bool (*step)(sweep_team *, bool))
{
    team->active_workers = n_workers;
#pragma omp parallel num_threads(n_workers + 1)
    {
        int team_size = omp_get_num_threads();
        int thread = omp_get_thread_num();
#pragma omp single
        {
            /* Fewer threads than asked for: correct the count of workers
             * before anyone can leave. */
            pthread_mutex_lock(&team->lock);
            team->active_workers = team_size > 1 ? team_size - 1 : 1;
            pthread_mutex_unlock(&team->lock);
        }
        if (team_size == 1) {
            train_workspace *workspace = new_workspace(team);
            bool working = workspace != NULL;
            if (!working)
                leave_team(team);
            for (;;) {
                int trained = working ? train_next(team, workspace, false) : 1;
                if (working && trained != 0 && trained != 2) {
                    working = false;
                    leave_team(team);
                }
                if (step(team, trained != 0))
                    break;
            }
            train_workspace_delete(workspace);
        } else if (thread != 0) {
            train_workspace *workspace = new_workspace(team);
            while (workspace != NULL && train_next(team, workspace, true) == 0) {
            }
            train_workspace_delete(workspace);
            leave_team(team);
        } else {
            while (!step(team, true)) {
            }
        }
    }
}

/* ---- a sweep on rank 0, or alone ------------------------------------------ */

static void format_utc_now(char *text, size_t size)
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(text, size, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* The per-run values of the summary for the runs kept from the file. */
static void keep_runs(sweep_team *team, const results_index *index, const long long *copy_from)
{
    for (size_t run = 0; run < team->n_runs; run++) {
        long long from = copy_from[run];
        if (from < 0)
            continue;
        team->summaries[run] = index->summaries[from];
    }
}

/* Keep only shard K/N of the runs: runs[] is compacted in place (grid
 * order) and *members says where each came from. */
static int select_shard(const sweep_options *options, const dataset *data, train_params *runs,
                        size_t *n_runs, size_t **members, sweep_error *err)
{
    size_t n_members = 0;
    if (schedule_shard(runs, *n_runs, data, options->shard_index, options->shard_count, members,
                       &n_members, err) != 0)
        return -1;
    for (size_t i = 0; i < n_members; i++)
        runs[i] = runs[(*members)[i]];   /* members ascend, so i <= members[i] */
    *n_runs = n_members;
    return 0;
}

/* Does `name` (one of the files a sweep writes) name an input of the sweep?
 * Returns the input's description, or NULL. */
static const char *input_named(const sweep_config *config, const char *name, char *what,
                               size_t size)
{
    if (paths_same_file(name, config->path))
        snprintf(what, size, "the config file %s", config->path);
    else if (config->dataset_path != NULL && paths_same_file(name, config->dataset_path))
        snprintf(what, size, "the data file %s that the config reads", config->dataset_path);
    else
        return NULL;
    return what;
}

/* An output that resolves to the config or to its data file would destroy
 * the sweep's own input, and so would the output's work files beside it
 * (TARGET.partial and TARGET.lock are replaced when found). Checked before
 * anything is touched. */
static int refuse_input_as_output(const sweep_config *config, const char *output,
                                  sweep_error *err)
{
    char *target = NULL;
    if (paths_follow_links(output, &target, err) != 0)
        return -1;
    int status = 0;
    char what[512];
    const char *input = input_named(config, target, what, sizeof what);
    if (input != NULL) {
        status = error_set(err, ERROR_INPUT, "%s: is %s; refusing to write over an input "
                           "(choose another output)", output, input);
        goto cleanup;
    }
    const char *suffixes[] = {".partial", ".lock"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t size = strlen(target) + strlen(suffixes[i]) + 1;
        char *name = malloc(size);
        if (name == NULL) {
            status = error_set(err, ERROR_RUNTIME, "out of memory");
            goto cleanup;
        }
        snprintf(name, size, "%s%s", target, suffixes[i]);
        input = input_named(config, name, what, sizeof what);
        if (input != NULL)
            status = error_set(err, ERROR_INPUT, "%s: sweep would replace %s beside it, which "
                               "is %s (choose another output)", output, name, input);
        free(name);
        if (status != 0)
            goto cleanup;
    }
cleanup:
    free(target);
    return status;
}

/* Rank 0 of an MPI job: send the other ranks what they need to train. */
static int start_ranks(sweep_team *team, int requested, const dataset *data, sweep_error *err)
{
    int n_ranks = cluster_size(team->job);
    team->remotes = calloc((size_t)n_ranks, sizeof *team->remotes);
    if (team->remotes == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for %d ranks", n_ranks);
    wire_settings settings = {requested, team->n_scheduled};
    void *bytes = NULL;
    size_t size = 0;
    if (wire_pack_start(&settings, data, &bytes, &size, err) != 0)
        return -1;
    int status = cluster_broadcast(team->job, bytes, size, err);
    free(bytes);
    return status;
}

int sweep_execute(const sweep_config *config, const sweep_options *options, FILE *out,
                  sweep_outcome *outcome, sweep_error *err)
{
    int rc = -1;
    train_params *runs = NULL;
    size_t n_runs = 0, *schedule = NULL, *members = NULL;
    long long *copy_from = NULL;
    dataset data = {0};
    sweep_team team = {0};
    results_index index = {0};
    output_lock *lock = NULL;
    bool team_ready = false;
    bool distributed = cluster_size(options->job) > 1 && cluster_rank(options->job) == 0;
    memset(outcome, 0, sizeof *outcome);

    if (grid_expand(&config->model, config->grids, config->n_grids, config->n_runs, &runs, &n_runs,
                    err) != 0)
        goto cleanup;
    size_t n_grid_runs = n_runs;
    if (dataset_load(&config->dataset, &data, err) != 0)
        goto cleanup;
    char shard[48] = "";
    if (options->shard_count > 0) {
        if (select_shard(options, &data, runs, &n_runs, &members, err) != 0)
            goto cleanup;
        snprintf(shard, sizeof shard, "%d/%d", options->shard_index, options->shard_count);
    }
    outcome->n_runs = n_runs;
    if (options->dry_run) {
        report_runs(out, runs, n_runs);
        if (members != NULL) {
            /* The table counts the shard's runs from 0; their places in the grid: */
            fprintf(out, "shard %s: %zu of the grid's %zu runs:", shard, n_runs, n_grid_runs);
            for (size_t i = 0; i < n_runs && i < 20; i++)
                fprintf(out, "%s %zu", i > 0 ? "," : "", members[i]);
            fprintf(out, "%s\n", n_runs > 20 ? ", ..." : "");
        }
        fprintf(out, "data set %s: %d features, %d train, %d val, %d test rows\n", data.name,
                data.n_features, data.n_train, data.n_val, data.n_test);
        rc = 0;
        goto cleanup;
    }

    int requested = options->threads >= 0 ? options->threads : config->threads;
    int n_workers = sweep_worker_count(requested, n_runs);
    const char *output = options->output != NULL ? options->output : config->output;
    char started[32], host[256] = "unknown", checksum[17];
    format_utc_now(started, sizeof started);
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    dataset_checksum(&data, checksum);
    results_meta meta = {
        .config_text = config->text,
        .config_path = config->path,
        .overrides = config->overrides,
        .effective_config = config->effective,
        .version = SWEEP_VERSION,
        .start_time_utc = started,
        .host = host,
        .threads = n_workers,
        .dataset_name = data.name,
        .n_train = data.n_train,
        .n_val = data.n_val,
        .n_test = data.n_test,
        .n_features = data.n_features,
        .data_checksum = checksum,
        .ranks = cluster_size(options->job),
        .shard = shard,
        .run_numbers = members,
        .grid_runs = n_grid_runs,
    };

    size_t n_alloc = n_runs > 0 ? n_runs : 1;
    schedule = malloc(n_alloc * sizeof *schedule);
    copy_from = malloc(n_alloc * sizeof *copy_from);
    team.summaries = calloc(n_alloc, sizeof *team.summaries);
    if (schedule == NULL || copy_from == NULL || team.summaries == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory for %zu runs", n_runs);
        goto cleanup;
    }
    for (size_t run = 0; run < n_runs; run++)
        copy_from[run] = -1;

    /* From here on this process is the only writer of `output`. */
    if (refuse_input_as_output(config, output, err) != 0 ||
        output_lock_acquire(output, &lock, err) != 0)
        goto cleanup;
    struct stat existing;
    bool resuming = options->resume && stat(output, &existing) == 0;
    if (resuming) {
        if (results_read_index(output, &index, err) != 0)
            goto cleanup;
        if (index.data_checksum[0] != '\0' && strcmp(index.data_checksum, checksum) != 0) {
            error_set(err, ERROR_INPUT,
                      "%s: cannot resume: it was made from other data (%s, checksum %s; the "
                      "config's data %s has checksum %s)",
                      output, index.dataset_name, index.data_checksum, data.name, checksum);
            goto cleanup;
        }
        /* A shard's file grows into the whole grid's without --shard, but
         * is never continued as another shard. */
        if (shard[0] != '\0' && strcmp(index.shard, shard) != 0) {
            if (index.shard[0] == '\0')
                error_set(err, ERROR_INPUT, "%s: cannot resume it as shard %s: it holds the "
                          "whole grid (resume it without --shard)", output, shard);
            else
                error_set(err, ERROR_INPUT, "%s: cannot resume it as shard %s: it is shard %s",
                          output, shard, index.shard);
            goto cleanup;
        }
        if (match_runs(output, &index, runs, n_runs, options->retry_failed, copy_from,
                       &outcome->n_kept, err) != 0)
            goto cleanup;
        if (!options->quiet)
            fprintf(stderr, "sweep: resuming %s: %zu of %zu runs kept, %zu to train\n", output,
                    outcome->n_kept, n_runs, n_runs - outcome->n_kept);
        if (results_create_resumed(output, &meta, runs, n_runs, copy_from, &team.writer, err) != 0)
            goto cleanup;
    } else if (results_create(output, options->overwrite, &meta, runs, n_runs, &team.writer,
                              err) != 0) {
        goto cleanup;
    }
    if (schedule_order(runs, n_runs, copy_from, &data, schedule, &team.n_scheduled, err) != 0)
        goto cleanup;

    team.runs = runs;
    team.schedule = schedule;
    team.n_runs = n_runs;
    team.data = &data;
    team.interrupt = options->interrupt;
    pthread_mutex_init(&team.lock, NULL);
    pthread_cond_init(&team.changed, NULL);
    pthread_cond_init(&team.inbox_changed, NULL);
    team_ready = true;
    if (resuming)
        keep_runs(&team, &index, copy_from);
    if (distributed) {
        /* Once the other ranks have started, the team runs in any case:
         * they wait for its STOP. */
        team.job = options->job;
        if (start_ranks(&team, requested, &data, err) != 0)
            goto cleanup;
    }
    progress_start(&team.progress, stderr, team.n_scheduled, options->quiet);

    double started_seconds = report_now();
    if (team.n_scheduled > 0 || distributed)
        run_team(&team, sweep_worker_count(requested, team.n_scheduled), coordinate);
    outcome->seconds = report_now() - started_seconds;
    progress_finish(&team.progress);
    outcome->n_failed = team.n_failed;
    outcome->n_done = team.n_written - team.n_failed;
    for (size_t run = 0; run < n_runs; run++)
        if (copy_from[run] >= 0 && team.summaries[run].status == RUN_FAILED)
            outcome->n_failed++;
        else if (copy_from[run] >= 0)
            outcome->n_done++;
    outcome->n_pending = n_runs - outcome->n_done - outcome->n_failed;
    if (options->interrupt != NULL && *options->interrupt != 0)
        outcome->interrupted = (int)*options->interrupt;
    else if (team.remote_signal != 0)
        outcome->interrupted = team.remote_signal;

    if (team.writer_error.kind != ERROR_NONE) {
        *err = team.writer_error;
        goto cleanup;
    }
    if (team.worker_error.kind != ERROR_NONE) {
        *err = team.worker_error;
        goto cleanup;
    }
    results_writer *writer = team.writer;
    team.writer = NULL;
    /* Compressed once every run is in; an interrupted file stays in the
     * form that runs are written into, ready for --resume. */
    if (results_close(writer, outcome->n_pending == 0, err) != 0)
        goto cleanup;
    if (report_summary(out, runs, team.summaries, n_runs, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (team.writer != NULL) {
        /* Keep what was written; the first error is the one reported. */
        sweep_error ignored;
        results_close(team.writer, false, &ignored);
    }
    output_lock_release(lock);
    if (team_ready) {
        pthread_mutex_destroy(&team.lock);
        pthread_cond_destroy(&team.changed);
        pthread_cond_destroy(&team.inbox_changed);
    }
    free(team.remotes);
    free(team.summaries);
    free(schedule);
    free(copy_from);
    free(members);
    free(runs);
    results_index_free(&index);
    dataset_free(&data);
    return rc;
}

/* ---- the other ranks -------------------------------------------------------- */

/* One sweep, from its start packet to DONE. Returns -1 only when the ranks
 * cannot talk any more; any other problem is sent to rank 0 (ERROR), which
 * stops the sweep and reports it. */
static int serve_sweep(cluster *job, const void *packet, size_t size,
                       const volatile sig_atomic_t *interrupt, sweep_error *err)
{
    int status = -1;
    sweep_team team = {0};
    dataset data = {0};
    wire_settings settings = {0, 0};
    team.job = job;
    team.interrupt = interrupt;
    team.data = &data;
    pthread_mutex_init(&team.lock, NULL);
    pthread_cond_init(&team.changed, NULL);
    pthread_cond_init(&team.inbox_changed, NULL);

    sweep_error problem = {0};
    int n_workers = 0;
    if (wire_unpack_start(packet, size, &settings, &data, &problem) == 0)
        n_workers = sweep_worker_count(settings.threads, settings.n_runs);
    else
        record_worker_error(&team, &problem);
    if (send_number(&team, 0, TAG_READY, 2LL * n_workers, err) != 0)
        goto cleanup;
    if (n_workers > 0) {
        run_team(&team, n_workers, courier);
    } else {
        while (!courier(&team, true)) {
        }
    }
    if (team.messages_failed) {
        *err = team.writer_error;
        goto cleanup;
    }
    status = 0;
cleanup:
    close_inbox(&team, true);
    while (team.head != NULL) {   /* left only when the messages failed */
        finished_run *item = team.head;
        team.head = item->next;
        run_result_free(&item->result);
        free(item);
    }
    pthread_mutex_destroy(&team.lock);
    pthread_cond_destroy(&team.changed);
    pthread_cond_destroy(&team.inbox_changed);
    dataset_free(&data);
    return status;
}

int sweep_serve(cluster *job, const volatile sig_atomic_t *interrupt, int *exit_status,
                sweep_error *err)
{
    *exit_status = 1;
    for (;;) {
        void *packet = NULL;
        size_t size = 0;
        if (cluster_receive_broadcast(job, &packet, &size, err) != 0)
            return -1;
        int kind = wire_packet_kind(packet, size);
        int status = -1;
        if (kind == WIRE_FINISH)
            status = wire_unpack_finish(packet, size, exit_status, err);
        else if (kind == WIRE_START)
            status = serve_sweep(job, packet, size, interrupt, err);
        else
            error_set(err, ERROR_RUNTIME, "a malformed packet from rank 0 (%zu bytes)", size);
        free(packet);
        if (status != 0) {
            cluster_give_up(job);
            return -1;
        }
        if (kind == WIRE_FINISH)
            return 0;
    }
}

int sweep_conclude(cluster *job, int exit_status, sweep_error *err)
{
    /* A job whose ranks no longer talk is ended by cluster_end instead. */
    if (cluster_size(job) < 2 || cluster_rank(job) != 0 || cluster_failed(job))
        return 0;
    void *bytes = NULL;
    size_t size = 0;
    if (wire_pack_finish(exit_status, &bytes, &size, err) != 0)
        return -1;
    int status = cluster_broadcast(job, bytes, size, err);
    free(bytes);
    return status;
}
