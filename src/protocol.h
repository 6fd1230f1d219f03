/* protocol.h: how the ranks of an MPI sweep share its runs.
 *
 * Rank 0 does everything a sweep alone does (config, data, results file,
 * resume, schedule); its team of threads is the same too (team.h): thread 0
 * writes, the others train runs taken from the schedule, most expensive
 * first. Thread 0 also talks to the other ranks (it is the main thread: MPI
 * needs only MPI_THREAD_FUNNELED): it is the coordinator below, taking runs
 * from the same schedule for them, so that every rank, rank 0 included,
 * trains.
 *
 * Rank 0 broadcasts a start packet (wire.h: settings and the data set's
 * shapes), then the data set's arrays, one broadcast each, which each rank
 * keeps as they arrive, with no packed copy of the data set. Each
 * other rank then runs a team of its own: thread 0 is its courier, the others
 * train runs from an inbox that the courier fills. Messages (wire.h packs
 * their bodies):
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
 * sides look at the messages every PROTOCOL_POLL_SECONDS, sleeping in
 * between.
 *
 * The messages move through a protocol_transport: the cluster's in the
 * program, an in-memory one in the tests, which drive both sides in one
 * process.
 */
#ifndef SWEEP_PROTOCOL_H
#define SWEEP_PROTOCOL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cluster.h"
#include "error.h"
#include "team.h"
#include "train.h"
#include "wire.h"

enum {
    PROTOCOL_READY = 1,
    PROTOCOL_WORK = 2,
    PROTOCOL_RESULT = 3,
    PROTOCOL_STOP = 4,
    PROTOCOL_ERROR = 5,
    PROTOCOL_INTERRUPTED = 6,
    PROTOCOL_DONE = 7
};

enum { PROTOCOL_STOP_DRAIN = 1, PROTOCOL_STOP_ABANDON = 2 };

/* Between two looks at the messages: short next to a run (>= ~1 ms) and
 * long enough that looking costs nothing measurable. */
#define PROTOCOL_POLL_SECONDS 0.002

/* Messages between ranks; each function behaves as its cluster.h namesake
 * (cluster_send, cluster_receive, cluster_progress, cluster_flush,
 * cluster_give_up, cluster_broadcast, cluster_receive_broadcast), on
 * `link`. */
typedef struct {
    void *link;
    int n_ranks;
    int (*broadcast)(void *link, const void *bytes, size_t size, sweep_error *err);
    int (*receive_broadcast)(void *link, void **bytes, size_t *size, sweep_error *err);
    int (*send)(void *link, int to, int tag, void *bytes, size_t size, sweep_error *err);
    int (*receive)(void *link, int *from, int *tag, void **bytes, size_t *size, sweep_error *err);
    int (*progress)(void *link, sweep_error *err);
    int (*flush)(void *link, sweep_error *err);
    void (*give_up)(void *link);
} protocol_transport;

/* The transport of an MPI job. */
protocol_transport protocol_cluster_transport(cluster *job);

/* What rank 0 knows of another rank. */
typedef struct {
    long long credit; /* runs it has room for */
    int stop_sent;    /* 0, PROTOCOL_STOP_DRAIN or PROTOCOL_STOP_ABANDON */
    bool done;        /* it said DONE */
} protocol_remote;

/* Rank 0's side. */
typedef struct {
    protocol_transport transport;
    sweep_team *team; /* the schedule to hand out; errors of other ranks go here */
    /* Stores a finished run of another rank (the result stays the caller's). */
    void (*store)(void *context, size_t index, const run_result *result);
    void *store_context;
    sweep_error *failure;     /* when the messages fail, their error goes here unless
                                   another (of the writer) is there already */
    protocol_remote *remotes; /* (n_ranks), [0] unused */
    int remote_signal;        /* the signal that stopped another rank, or 0 */
    bool failed;              /* the ranks cannot talk any more */
} protocol_coordinator;

/* `coordinator` is filled; protocol_coordinator_free frees it. */
int protocol_coordinator_init(protocol_coordinator *coordinator, protocol_transport transport,
                              sweep_team *team,
                              void (*store)(void *context, size_t index, const run_result *result),
                              void *store_context, sweep_error *failure, sweep_error *err);
void protocol_coordinator_free(protocol_coordinator *coordinator);

/* Send the other ranks the start packet and the data set's arrays: what
 * they need to train. */
int protocol_start_ranks(protocol_coordinator *coordinator, const wire_settings *settings,
                         const dataset *data, sweep_error *err);

/* Read every message that has come, hand out runs to the ranks that have
 * room, tell them to stop when it is time. Never waits. True when every
 * other rank is done (or the messages failed). */
bool protocol_serve_ranks(protocol_coordinator *coordinator);

/* Another rank's side. */
typedef struct {
    protocol_transport transport;
    sweep_team *team;                /* its inbox, finished runs and errors */
    sweep_error error;               /* why the messages failed */
    bool failed;                     /* the ranks cannot talk any more */
    bool error_sent, interrupt_sent; /* told rank 0 already */
} protocol_courier;

void protocol_courier_init(protocol_courier *courier, protocol_transport transport,
                           sweep_team *team);
/* Tell rank 0 how many workers this rank has (READY). */
int protocol_courier_ready(protocol_courier *courier, int n_workers, sweep_error *err);
/* Send finished runs, errors and signals to rank 0, fill the inbox from it;
 * with `wait`, first wait a moment for a finished run. True when all work
 * is over (DONE sent, or the messages failed). */
bool protocol_courier_step(protocol_courier *courier, bool wait);

/* On another rank: serve the sweeps rank 0 starts until it says that the
 * program ends (the finish packet); *exit_status is then the status rank 0
 * exits with. Returns -1 only when the ranks cannot talk any more (after
 * giving up on them). */
int protocol_serve(protocol_transport transport, const volatile sig_atomic_t *interrupt,
                   int *exit_status, sweep_error *err);

/* On rank 0, last of all: tell the other ranks (in protocol_serve) to end
 * with `exit_status`. */
int protocol_conclude(protocol_transport transport, int exit_status, sweep_error *err);

/* On another rank: one sweep, from its start packet to DONE. Returns -1
 * only when the ranks cannot talk any more; any other problem is sent to
 * rank 0 (ERROR), which stops the sweep and reports it. */
int protocol_serve_sweep(protocol_transport transport, const void *packet, size_t size,
                         const volatile sig_atomic_t *interrupt, sweep_error *err);

#endif
