/* Tests of src/protocol.c: how the ranks of an MPI sweep share its runs.
 *
 * Both sides run in this one process and talk through a fake transport: an
 * in-memory list of messages (per destination in the order sent, as MPI
 * delivers them between two ranks). The state-machine tests step rank 0's
 * coordinator and the other ranks' couriers by hand and play the workers
 * themselves; the last test runs a whole rank (protocol_serve_sweep, with
 * its own team of threads training) against the coordinator.
 *
 * Reference: the runs handed out (every scheduled run stored exactly once),
 * the messages' counts and kinds, and, for the whole rank, train_run of the
 * same run in this process. Tolerance: none; results compare bit for bit
 * (memcmp). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "protocol.h"
#include "team.h"
#include "wire.h"

/* ---- the fake transport ---------------------------------------------------- */

typedef struct message {
    int from, to, tag;
    void *bytes;
    size_t size;
    struct message *next;
} message;

typedef struct {
    pthread_mutex_t lock; /* the whole-rank test sends from two threads */
    message *head;
    int n_ranks;
    int n_sent[8][8]; /* [tag][to] */
    bool gave_up[8];  /* [rank] */
} fake_network;

typedef struct {
    fake_network *network;
    int rank;
} fake_link;

static int fake_send(void *link, int to, int tag, void *bytes, size_t size, sweep_error *err)
{
    (void)err;
    fake_link *self = link;
    message *item = calloc(1, sizeof *item);
    assert_non_null(item);
    *item = (message){self->rank, to, tag, bytes, size, NULL};
    fake_network *network = self->network;
    pthread_mutex_lock(&network->lock);
    message **end = &network->head;
    while (*end != NULL)
        end = &(*end)->next;
    *end = item;
    if (tag >= 0 && tag < 8 && to >= 0 && to < 8)
        network->n_sent[tag][to]++;
    pthread_mutex_unlock(&network->lock);
    return 0;
}

/* A broadcast travels as a message of its own kind to every other rank. */
#define BROADCAST_TAG (-1)

/* Take the first message for this rank: a broadcast, or any other. */
static message *take_message(fake_link *self, bool broadcast)
{
    fake_network *network = self->network;
    pthread_mutex_lock(&network->lock);
    message **at = &network->head;
    while (*at != NULL && ((*at)->to != self->rank || ((*at)->tag == BROADCAST_TAG) != broadcast))
        at = &(*at)->next;
    message *item = *at;
    if (item != NULL)
        *at = item->next;
    pthread_mutex_unlock(&network->lock);
    return item;
}

static int fake_receive(void *link, int *from, int *tag, void **bytes, size_t *size,
                        sweep_error *err)
{
    (void)err;
    message *item = take_message(link, false);
    if (item == NULL)
        return 0;
    *from = item->from;
    *tag = item->tag;
    *bytes = item->bytes;
    *size = item->size;
    free(item);
    return 1;
}

static int fake_progress(void *link, sweep_error *err)
{
    (void)link;
    (void)err;
    return 0;
}

static int fake_broadcast(void *link, const void *bytes, size_t size, sweep_error *err)
{
    fake_link *self = link;
    for (int to = 0; to < self->network->n_ranks; to++) {
        if (to == self->rank)
            continue;
        void *copy = malloc(size > 0 ? size : 1);
        assert_non_null(copy);
        if (size > 0) /* an empty array is sent as NULL */
            memcpy(copy, bytes, size);
        fake_send(link, to, BROADCAST_TAG, copy, size, err);
    }
    return 0;
}

/* Waits, as the collective does, but gives up after a minute (a test that
 * hangs tells nothing). */
static int fake_receive_broadcast(void *link, void **bytes, size_t *size, sweep_error *err)
{
    struct timespec pause = {0, 1000000};
    for (int tries = 0; tries < 60000; tries++) {
        message *item = take_message(link, true);
        if (item != NULL) {
            *bytes = item->bytes;
            *size = item->size;
            free(item);
            return 0;
        }
        nanosleep(&pause, NULL);
    }
    return error_set(err, ERROR_RUNTIME, "fake network: no broadcast came");
}

static void fake_give_up(void *link)
{
    fake_link *self = link;
    self->network->gave_up[self->rank] = true;
}

static protocol_transport fake_transport(fake_link *link)
{
    return (protocol_transport){
        .link = link,
        .n_ranks = link->network->n_ranks,
        .broadcast = fake_broadcast,
        .receive_broadcast = fake_receive_broadcast,
        .send = fake_send,
        .receive = fake_receive,
        .progress = fake_progress,
        .flush = fake_progress,
        .give_up = fake_give_up,
    };
}

/* Put a message on the network as if rank `from` had sent it. */
static void inject(fake_network *network, int from, int to, int tag, void *bytes, size_t size)
{
    fake_link link = {network, from};
    assert_int_equal(fake_send(&link, to, tag, bytes, size, NULL), 0);
}

static int messages_waiting(fake_network *network, int to, int tag)
{
    int count = 0;
    for (message *item = network->head; item != NULL; item = item->next)
        count += item->to == to && item->tag == tag;
    return count;
}

static void free_network(fake_network *network)
{
    while (network->head != NULL) {
        message *item = network->head;
        network->head = item->next;
        free(item->bytes);
        free(item);
    }
    pthread_mutex_destroy(&network->lock);
}

/* ---- rank 0 and the other ranks, stepped by hand --------------------------- */

#define N_RUNS 7
#define MAX_RANKS 4

typedef struct {
    int n_stored[N_RUNS];
    run_result last[N_RUNS]; /* the last result stored for each run */
} store_log;

static void log_store(void *context, size_t index, const run_result *result)
{
    store_log *log = context;
    assert_true(index < N_RUNS);
    log->n_stored[index]++;
    run_result_free(&log->last[index]);
    sweep_error err = {0};
    assert_int_equal(run_result_init(&log->last[index], result->epochs, &err), 0);
    run_result owned = log->last[index]; /* its curves, to keep past the struct copy */
    const size_t bytes = (size_t)result->epochs * sizeof(double);
    memcpy(owned.train_loss, result->train_loss, bytes);
    memcpy(owned.val_loss, result->val_loss, bytes);
    memcpy(owned.train_acc, result->train_acc, bytes);
    memcpy(owned.val_acc, result->val_acc, bytes);
    log->last[index] = *result;
    log->last[index].train_loss = owned.train_loss;
    log->last[index].val_loss = owned.val_loss;
    log->last[index].train_acc = owned.train_acc;
    log->last[index].val_acc = owned.val_acc;
}

typedef struct {
    fake_network network;
    fake_link links[MAX_RANKS];
    train_params runs[N_RUNS];
    size_t schedule[N_RUNS];
    sweep_team teams[MAX_RANKS]; /* [0]: rank 0's */
    protocol_coordinator coordinator;
    protocol_courier couriers[MAX_RANKS]; /* [0] unused */
    sweep_error failure;
    store_log log;
    volatile sig_atomic_t interrupt[MAX_RANKS];
    bool courier_over[MAX_RANKS];
    bool workers_left[MAX_RANKS];
} sweep_job;

static sweep_job *job_new(int n_ranks, int n_workers)
{
    sweep_job *job = calloc(1, sizeof *job);
    assert_non_null(job);
    pthread_mutex_init(&job->network.lock, NULL);
    job->network.n_ranks = n_ranks;
    for (size_t run = 0; run < N_RUNS; run++) {
        job->runs[run] = params_defaults();
        job->runs[run].epochs = 3;
        job->runs[run].seed = (uint32_t)run;
        job->schedule[run] = N_RUNS - 1 - run; /* any order: the schedule's */
    }
    sweep_team *rank0 = &job->teams[0];
    *rank0 = (sweep_team){.runs = job->runs,
                          .schedule = job->schedule,
                          .n_runs = N_RUNS,
                          .n_scheduled = N_RUNS,
                          .interrupt = &job->interrupt[0],
                          .talks = true};
    team_init(rank0);
    sweep_error err = {0};
    for (int rank = 0; rank < n_ranks; rank++)
        job->links[rank] = (fake_link){&job->network, rank};
    assert_int_equal(protocol_coordinator_init(&job->coordinator, fake_transport(&job->links[0]),
                                               rank0, log_store, &job->log, &job->failure, &err),
                     0);
    for (int rank = 1; rank < n_ranks; rank++) {
        sweep_team *team = &job->teams[rank];
        *team = (sweep_team){.interrupt = &job->interrupt[rank], .talks = true};
        team_init(team);
        team->active_workers = n_workers; /* played by step_workers */
        job->workers_left[rank] = n_workers > 0;
        protocol_courier_init(&job->couriers[rank], fake_transport(&job->links[rank]), team);
        assert_int_equal(protocol_courier_ready(&job->couriers[rank], n_workers, &err), 0);
    }
    return job;
}

static void job_free(sweep_job *job)
{
    for (int rank = 0; rank < job->network.n_ranks; rank++)
        team_destroy(&job->teams[rank]);
    protocol_coordinator_free(&job->coordinator);
    for (size_t run = 0; run < N_RUNS; run++)
        run_result_free(&job->log.last[run]);
    free_network(&job->network);
    free(job);
}

/* A result that says which run and which rank made it. */
static finished_run *fake_result(size_t index, int rank)
{
    finished_run *item = calloc(1, sizeof *item);
    assert_non_null(item);
    item->index = index;
    sweep_error err = {0};
    assert_int_equal(run_result_init(&item->result, 3, &err), 0);
    item->result.epochs_done = 3;
    for (int epoch = 0; epoch < 3; epoch++) {
        item->result.train_loss[epoch] = 1.0 / (double)(index + 1) + epoch;
        item->result.val_loss[epoch] = 2.0 / (double)(index + 1) + epoch;
    }
    item->result.status = RUN_DONE;
    item->result.val_score = (double)index + 0.25;
    item->result.test_score = (double)rank;
    return item;
}

/* The workers of `rank` (played here): train everything in the inbox; all
 * of them leave once it is closed and empty. */
static void step_workers(sweep_job *job, int rank)
{
    sweep_team *team = &job->teams[rank];
    if (!job->workers_left[rank])
        return;
    for (;;) {
        size_t index = 0;
        train_params params;
        int taken = team_take_run(team, false, &index, &params);
        if (taken == 2)
            return;
        if (taken == 1) {
            while (team->active_workers > 0)
                team_leave(team);
            job->workers_left[rank] = false;
            return;
        }
        assert_int_equal(params_compare(&params, &job->runs[index]), 0);
        team_push_finished(team, fake_result(index, rank));
    }
}

/* Step every side until all say the work is over; false when that takes
 * more than `max_rounds` rounds. */
static bool run_job(sweep_job *job, int max_rounds)
{
    for (int round = 0; round < max_rounds; round++) {
        bool over = protocol_serve_ranks(&job->coordinator);
        for (int rank = 1; rank < job->network.n_ranks; rank++) {
            step_workers(job, rank);
            if (!job->courier_over[rank])
                job->courier_over[rank] = protocol_courier_step(&job->couriers[rank], false);
            over = over && job->courier_over[rank];
        }
        if (over)
            return true;
    }
    return false;
}

static void test_every_run_is_stored_once(void **state)
{
    (void)state;
    sweep_job *job = job_new(3, 2);
    assert_true(run_job(job, 100));
    for (size_t run = 0; run < N_RUNS; run++) {
        assert_int_equal(job->log.n_stored[run], 1);
        assert_int_equal(job->log.last[run].status, RUN_DONE);
        assert_true(job->log.last[run].val_score == (double)run + 0.25);
        assert_true(job->log.last[run].val_loss[2] == 2.0 / (double)(run + 1) + 2);
    }
    /* Both ranks trained, and each heard STOP DRAIN once and said DONE. */
    int n_work = job->network.n_sent[PROTOCOL_WORK][1] + job->network.n_sent[PROTOCOL_WORK][2];
    assert_int_equal(n_work, N_RUNS);
    assert_true(job->network.n_sent[PROTOCOL_WORK][1] > 0);
    assert_true(job->network.n_sent[PROTOCOL_WORK][2] > 0);
    for (int rank = 1; rank < 3; rank++) {
        assert_int_equal(job->network.n_sent[PROTOCOL_STOP][rank], 1);
        assert_int_equal(job->coordinator.remotes[rank].stop_sent, PROTOCOL_STOP_DRAIN);
        assert_true(job->coordinator.remotes[rank].done);
    }
    assert_int_equal(job->network.n_sent[PROTOCOL_DONE][0], 2);
    assert_int_equal(job->failure.kind, ERROR_NONE);
    assert_null(job->network.head);
    job_free(job);
}

/* READY n gives room for n runs: no more are sent until results come back. */
static void test_runs_follow_the_credit(void **state)
{
    (void)state;
    sweep_job *job = job_new(2, 1); /* one worker: room for 2 */
    assert_false(protocol_serve_ranks(&job->coordinator));
    assert_int_equal(messages_waiting(&job->network, 1, PROTOCOL_WORK), 2);
    assert_false(protocol_serve_ranks(&job->coordinator));
    assert_int_equal(messages_waiting(&job->network, 1, PROTOCOL_WORK), 2);
    assert_int_equal(job->coordinator.remotes[1].credit, 0);
    /* The largest first: the schedule's order. */
    assert_false(protocol_courier_step(&job->couriers[1], false));
    size_t index = 0;
    train_params params;
    assert_int_equal(team_take_run(&job->teams[1], false, &index, &params), 0);
    assert_int_equal(index, job->schedule[0]);
    team_push_finished(&job->teams[1], fake_result(index, 1));
    assert_false(protocol_courier_step(&job->couriers[1], false));
    assert_false(protocol_serve_ranks(&job->coordinator));
    assert_int_equal(job->log.n_stored[index], 1);
    assert_int_equal(messages_waiting(&job->network, 1, PROTOCOL_WORK), 1);
    assert_int_equal(job->network.n_sent[PROTOCOL_WORK][1], 3);
    assert_true(run_job(job, 100));
    job_free(job);
}

/* A signal on another rank stops the whole sweep: rank 0 learns the
 * signal, sends STOP ABANDON, and the rank drops its inbox. */
static void test_an_interrupt_elsewhere_stops_all(void **state)
{
    (void)state;
    sweep_job *job = job_new(3, 1);
    assert_false(protocol_serve_ranks(&job->coordinator));
    assert_false(protocol_courier_step(&job->couriers[1], false)); /* takes 2 runs */
    job->interrupt[1] = SIGTERM;
    assert_false(protocol_courier_step(&job->couriers[1], false));
    assert_int_equal(job->network.n_sent[PROTOCOL_INTERRUPTED][0], 1);
    assert_true(team_stopped(&job->teams[1]));
    assert_false(protocol_serve_ranks(&job->coordinator));
    assert_int_equal(job->coordinator.remote_signal, SIGTERM);
    assert_true(team_stopped(&job->teams[0]));
    for (int rank = 1; rank < 3; rank++)
        assert_int_equal(job->coordinator.remotes[rank].stop_sent, PROTOCOL_STOP_ABANDON);
    assert_true(run_job(job, 100));
    assert_null(job->teams[1].inbox_head);
    /* Rank 1 trained nothing after its signal; nothing more was handed out. */
    int n_stored = 0;
    for (size_t run = 0; run < N_RUNS; run++)
        n_stored += job->log.n_stored[run];
    assert_int_equal(n_stored, job->network.n_sent[PROTOCOL_RESULT][0]);
    assert_int_equal(job->network.n_sent[PROTOCOL_WORK][1] + job->network.n_sent[PROTOCOL_WORK][2],
                     4);
    assert_int_equal(job->failure.kind, ERROR_NONE);
    job_free(job);
}

/* A worker's error on another rank reaches rank 0 named by its rank, and
 * stops the sweep. */
static void test_an_error_elsewhere_is_reported(void **state)
{
    (void)state;
    sweep_job *job = job_new(3, 1);
    assert_false(protocol_serve_ranks(&job->coordinator));
    sweep_error err;
    error_set(&err, ERROR_RUNTIME, "out of memory for run 3");
    team_record_error(&job->teams[2], &err);
    assert_false(protocol_courier_step(&job->couriers[2], false));
    assert_false(protocol_serve_ranks(&job->coordinator));
    sweep_error reported = team_worker_error(&job->teams[0]);
    assert_int_equal(reported.kind, ERROR_RUNTIME);
    assert_string_equal(reported.message, "rank 2: out of memory for run 3");
    assert_true(team_stopped(&job->teams[0]));
    assert_true(run_job(job, 100));
    assert_int_equal(job->network.n_sent[PROTOCOL_ERROR][0], 1);
    job_free(job);
}

/* Messages that make no sense end the talking, with a one-line error. */
static void check_refused(int from, int tag, void *bytes, size_t size, const char *expected)
{
    sweep_job *job = job_new(3, 1);
    inject(&job->network, from, 0, tag, bytes, size);
    assert_true(protocol_serve_ranks(&job->coordinator));
    assert_true(job->coordinator.failed);
    assert_true(job->network.gave_up[0]);
    assert_int_equal(job->failure.kind, ERROR_RUNTIME);
    assert_string_equal(job->failure.message, expected);
    assert_true(team_stopped(&job->teams[0]));
    assert_true(protocol_serve_ranks(&job->coordinator)); /* and stays over */
    job_free(job);
}

static void test_rank0_refuses_malformed_messages(void **state)
{
    (void)state;
    sweep_error err = {0};
    check_refused(1, 42, NULL, 0, "rank 1 sent a message with tag 42");
    check_refused(5, PROTOCOL_DONE, NULL, 0, "MPI: a message from rank 5 of 3");
    void *bytes = NULL;
    size_t size = 0;
    finished_run *item = fake_result(N_RUNS + 2, 1);
    assert_int_equal(wire_pack_result(N_RUNS + 2, &item->result, &bytes, &size, &err), 0);
    team_free_finished(item);
    check_refused(2, PROTOCOL_RESULT, bytes, size, "rank 2 sent run 9 of 7");
    /* A body too short for a number (wire.c says why). */
    unsigned char *truncated = malloc(3);
    assert_non_null(truncated);
    memset(truncated, 0, 3);
    sweep_job *job = job_new(2, 1);
    inject(&job->network, 1, 0, PROTOCOL_READY, truncated, 3);
    assert_true(protocol_serve_ranks(&job->coordinator));
    assert_true(job->coordinator.failed);
    assert_int_equal(job->failure.kind, ERROR_RUNTIME);
    job_free(job);
}

/* The first error stays: the writer's, when it came before the messages'. */
static void test_rank0_keeps_the_first_error(void **state)
{
    (void)state;
    sweep_job *job = job_new(2, 1);
    error_set(&job->failure, ERROR_RUNTIME, "results.h5: disk full");
    inject(&job->network, 1, 0, 42, NULL, 0);
    assert_true(protocol_serve_ranks(&job->coordinator));
    assert_string_equal(job->failure.message, "results.h5: disk full");
    job_free(job);
}

static void test_courier_refuses_malformed_orders(void **state)
{
    (void)state;
    sweep_job *job = job_new(3, 1);
    inject(&job->network, 0, 1, 42, NULL, 0);
    assert_true(protocol_courier_step(&job->couriers[1], false));
    assert_true(job->couriers[1].failed);
    assert_true(job->network.gave_up[1]);
    assert_string_equal(job->couriers[1].error.message, "rank 0 sent a message with tag 42");
    assert_true(team_stopped(&job->teams[1]));
    job_free(job);

    job = job_new(3, 1);
    inject(&job->network, 2, 1, PROTOCOL_WORK, NULL, 0);
    assert_true(protocol_courier_step(&job->couriers[1], false));
    assert_string_equal(job->couriers[1].error.message, "MPI: a message from rank 2");
    job_free(job);
}

/* ---- a whole rank against rank 0 ------------------------------------------ */

typedef struct {
    fake_link *link;
    int status;
    int exit_status;
    sweep_error err;
} serving_rank;

static void *serve(void *argument)
{
    serving_rank *rank = argument;
    rank->status = protocol_serve(fake_transport(rank->link), NULL, &rank->exit_status, &rank->err);
    return NULL;
}

/* A job of rank 0 and a rank 1 that runs protocol_serve on a thread of its
 * own; job_new's READY is dropped, since the real rank says it itself. */
static sweep_job *start_serving(serving_rank *rank, pthread_t *thread)
{
    sweep_job *job = job_new(2, 0);
    message *ready = job->network.head;
    job->network.head = NULL;
    free(ready->bytes);
    free(ready);
    *rank = (serving_rank){.link = &job->links[1]};
    assert_int_equal(pthread_create(thread, NULL, serve, rank), 0);
    return job;
}

/* Rank 0 serves until every rank is done (at most two minutes). */
static void serve_until_done(sweep_job *job)
{
    struct timespec pause = {0, 1000000};
    time_t give_up_at = time(NULL) + 120;
    bool over = false;
    while (!over && time(NULL) < give_up_at) {
        over = protocol_serve_ranks(&job->coordinator);
        nanosleep(&pause, NULL);
    }
    assert_true(over);
}

/* Rank 1 trains every run on its own threads (rank 0 has no workers); what
 * rank 0 stores equals train_run's result for the same run, bit for bit;
 * the exit status of the finish packet is rank 1's. */
static void test_a_whole_rank_trains_the_sweep(void **state)
{
    (void)state;
    sweep_error err = {0};
    dataset data = {0};
    dataset_spec spec = dataset_spec_builtin("wdbc");
    assert_int_equal(dataset_load(&spec, &data, &err), 0);
    serving_rank rank;
    pthread_t thread;
    sweep_job *job = start_serving(&rank, &thread);
    for (size_t run = 0; run < N_RUNS; run++)
        job->runs[run].units = 3;
    wire_settings settings = {.threads = 2, .n_runs = N_RUNS};
    assert_int_equal(protocol_start_ranks(&job->coordinator, &settings, &data, &err), 0);
    serve_until_done(job);
    assert_int_equal(protocol_conclude(job->coordinator.transport, 3, &err), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(rank.status, 0);
    assert_int_equal(rank.exit_status, 3);
    assert_int_equal(job->failure.kind, ERROR_NONE);
    assert_int_equal(team_worker_error(&job->teams[0]).kind, ERROR_NONE);

    train_workspace *workspace = train_workspace_new();
    assert_non_null(workspace);
    for (size_t run = 0; run < N_RUNS; run++) {
        assert_int_equal(job->log.n_stored[run], 1);
        run_result local;
        assert_int_equal(run_result_init(&local, 3, &err), 0);
        assert_int_equal(train_run(workspace, &data, &job->runs[run], &local, &err), 0);
        const run_result *remote = &job->log.last[run];
        assert_int_equal(remote->status, local.status);
        assert_memory_equal(&remote->val_score, &local.val_score, sizeof(double));
        assert_memory_equal(&remote->test_score, &local.test_score, sizeof(double));
        assert_memory_equal(remote->train_loss, local.train_loss, 3 * sizeof(double));
        assert_memory_equal(remote->val_loss, local.val_loss, 3 * sizeof(double));
        run_result_free(&local);
    }
    train_workspace_delete(workspace);
    job_free(job);
    dataset_free(&data);
}

/* A start packet the rank cannot read: it trains nothing, tells rank 0 why
 * (named by its rank), and still ends with the finish packet. */
static void test_a_bad_start_packet_is_reported(void **state)
{
    (void)state;
    sweep_error err = {0};
    serving_rank rank;
    pthread_t thread;
    sweep_job *job = start_serving(&rank, &thread);
    /* A start, cut short after its kind (numbers travel in memory form). */
    unsigned char packet[sizeof(int64_t) + 1] = {0};
    int64_t kind = WIRE_START;
    memcpy(packet, &kind, sizeof kind);
    assert_int_equal(job->coordinator.transport.broadcast(job->coordinator.transport.link, packet,
                                                          sizeof packet, &err),
                     0);
    /* Rank 0 sends the arrays whatever the rank makes of the packet. */
    for (int which = 0; which < WIRE_N_ARRAYS; which++)
        assert_int_equal(job->coordinator.transport.broadcast(job->coordinator.transport.link,
                                                              packet, 0, &err),
                         0);
    serve_until_done(job);
    assert_int_equal(protocol_conclude(job->coordinator.transport, 2, &err), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(rank.status, 0);
    assert_int_equal(rank.exit_status, 2);
    sweep_error reported = team_worker_error(&job->teams[0]);
    assert_int_equal(reported.kind, ERROR_RUNTIME);
    assert_true(strncmp(reported.message, "rank 1: ", 8) == 0);
    assert_int_equal(job->network.n_sent[PROTOCOL_WORK][1], 0);
    job_free(job);
}

/* A good start packet followed by an array that does not fit its shapes
 * (one value short): the rank trains nothing and tells rank 0 why, after
 * taking every array rank 0 sent, so that both still end together. */
static void test_a_bad_data_array_is_reported(void **state)
{
    (void)state;
    sweep_error err = {0};
    serving_rank rank;
    pthread_t thread;
    sweep_job *job = start_serving(&rank, &thread);
    double values[6] = {1, 2, 3, 4, 5, 6};
    dataset data = {.n_features = 2,
                    .n_train = 3,
                    .n_val = 1,
                    .x_train = values,
                    .y_train = values,
                    .x_val = values,
                    .y_val = values};
    wire_settings settings = {.threads = 2, .n_runs = N_RUNS};
    void *bytes = NULL;
    size_t size = 0;
    protocol_transport transport = job->coordinator.transport;
    assert_int_equal(wire_pack_start(&settings, &data, &bytes, &size, &err), 0);
    assert_int_equal(transport.broadcast(transport.link, bytes, size, &err), 0);
    free(bytes);
    for (int which = 0; which < WIRE_N_ARRAYS; which++) {
        const double *array = wire_array(&data, which, &size);
        size_t sent = which == 2 ? size - sizeof(double) : size;
        assert_int_equal(transport.broadcast(transport.link, array, sent, &err), 0);
    }
    serve_until_done(job);
    assert_int_equal(protocol_conclude(transport, 2, &err), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(rank.status, 0);
    assert_int_equal(rank.exit_status, 2);
    sweep_error reported = team_worker_error(&job->teams[0]);
    assert_int_equal(reported.kind, ERROR_RUNTIME);
    assert_non_null(strstr(reported.message, "a malformed data array 2 (8 bytes, 16 expected)"));
    assert_int_equal(job->network.n_sent[PROTOCOL_WORK][1], 0);
    job_free(job);
}

/* A broadcast that is neither start nor finish ends the talking. */
static void test_a_malformed_packet_ends_serving(void **state)
{
    (void)state;
    sweep_error err = {0};
    sweep_job *job = job_new(2, 1);
    unsigned char packet[] = {9, 9, 9};
    assert_int_equal(job->coordinator.transport.broadcast(job->coordinator.transport.link, packet,
                                                          sizeof packet, &err),
                     0);
    int exit_status = 0;
    assert_int_equal(protocol_serve(fake_transport(&job->links[1]), NULL, &exit_status, &err), -1);
    assert_string_equal(err.message, "a malformed packet from rank 0 (3 bytes)");
    assert_true(job->network.gave_up[1]);
    assert_int_equal(exit_status, 1);
    job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_run_is_stored_once),
        cmocka_unit_test(test_runs_follow_the_credit),
        cmocka_unit_test(test_an_interrupt_elsewhere_stops_all),
        cmocka_unit_test(test_an_error_elsewhere_is_reported),
        cmocka_unit_test(test_rank0_refuses_malformed_messages),
        cmocka_unit_test(test_rank0_keeps_the_first_error),
        cmocka_unit_test(test_courier_refuses_malformed_orders),
        cmocka_unit_test(test_a_whole_rank_trains_the_sweep),
        cmocka_unit_test(test_a_bad_start_packet_is_reported),
        cmocka_unit_test(test_a_bad_data_array_is_reported),
        cmocka_unit_test(test_a_malformed_packet_ends_serving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
