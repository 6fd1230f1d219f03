/* protocol.c: how the ranks of an MPI sweep share its runs. See protocol.h. */
#include "protocol.h"

#include <stdlib.h>

#include "schedule.h"
#include "simd.h"

/* ---- the cluster as a transport ------------------------------------------ */

static int cluster_link_send(void *link, int to, int tag, void *bytes, size_t size,
                             sweep_error *err)
{
    return cluster_send(link, to, tag, bytes, size, err);
}

static int cluster_link_receive(void *link, int *from, int *tag, void **bytes, size_t *size,
                                sweep_error *err)
{
    return cluster_receive(link, from, tag, bytes, size, err);
}

static int cluster_link_progress(void *link, sweep_error *err)
{
    return cluster_progress(link, err);
}

static int cluster_link_flush(void *link, sweep_error *err)
{
    return cluster_flush(link, err);
}

static void cluster_link_give_up(void *link)
{
    cluster_give_up(link);
}

static int cluster_link_broadcast(void *link, const void *bytes, size_t size, sweep_error *err)
{
    return cluster_broadcast(link, bytes, size, err);
}

static int cluster_link_receive_broadcast(void *link, void **bytes, size_t *size, sweep_error *err)
{
    return cluster_receive_broadcast(link, bytes, size, err);
}

protocol_transport protocol_cluster_transport(cluster *job)
{
    return (protocol_transport){
        .link = job,
        .n_ranks = cluster_size(job),
        .broadcast = cluster_link_broadcast,
        .receive_broadcast = cluster_link_receive_broadcast,
        .send = cluster_link_send,
        .receive = cluster_link_receive,
        .progress = cluster_link_progress,
        .flush = cluster_link_flush,
        .give_up = cluster_link_give_up,
    };
}

/* ---- both sides ------------------------------------------------------------ */

/* Send a message whose body wire.h packed (pack_status != 0: it failed). */
static int send_packed(const protocol_transport *transport, int to, int tag, int pack_status,
                       void *bytes, size_t size, sweep_error *err)
{
    if (pack_status != 0)
        return -1;
    return transport->send(transport->link, to, tag, bytes, size, err);
}

static int send_number(const protocol_transport *transport, int to, int tag, long long value,
                       sweep_error *err)
{
    void *bytes = NULL;
    size_t size = 0;
    int packed = wire_pack_number(value, &bytes, &size, err);
    return send_packed(transport, to, tag, packed, bytes, size, err);
}

/* ---- rank 0 ---------------------------------------------------------------- */

int protocol_coordinator_init(protocol_coordinator *coordinator, protocol_transport transport,
                              sweep_team *team,
                              void (*store)(void *context, size_t index, const run_result *result),
                              void *store_context, sweep_error *failure, sweep_error *err)
{
    *coordinator = (protocol_coordinator){
        .transport = transport,
        .team = team,
        .store = store,
        .store_context = store_context,
        .failure = failure,
    };
    int n_ranks = transport.n_ranks;
    coordinator->remotes =
        calloc((size_t)(n_ranks > 0 ? n_ranks : 1), sizeof *coordinator->remotes);
    if (coordinator->remotes == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for %d ranks", n_ranks);
    return 0;
}

void protocol_coordinator_free(protocol_coordinator *coordinator)
{
    free(coordinator->remotes);
    coordinator->remotes = NULL;
}

int protocol_start_ranks(protocol_coordinator *coordinator, const wire_settings *settings,
                         const dataset *data, sweep_error *err)
{
    const protocol_transport *transport = &coordinator->transport;
    void *bytes = NULL;
    size_t size = 0;
    if (wire_pack_start(settings, data, &bytes, &size, err) != 0)
        return -1;
    int status = transport->broadcast(transport->link, bytes, size, err);
    free(bytes);
    /* The arrays go straight from the data set: no packed copy of them. */
    for (int which = 0; which < WIRE_N_ARRAYS && status == 0; which++) {
        const double *values = wire_array(data, which, &size);
        status = transport->broadcast(transport->link, values, size, err);
    }
    return status;
}

int protocol_conclude(protocol_transport transport, int exit_status, sweep_error *err)
{
    void *bytes = NULL;
    size_t size = 0;
    if (wire_pack_finish(exit_status, &bytes, &size, err) != 0)
        return -1;
    int status = transport.broadcast(transport.link, bytes, size, err);
    free(bytes);
    return status;
}

/* The ranks cannot talk any more (or a message made no sense): stop the
 * sweep, keep the error for the report, and stop waiting for the others;
 * cluster_end then ends the whole job. */
static void coordinator_failed(protocol_coordinator *coordinator, const sweep_error *err)
{
    if (coordinator->failure->kind == ERROR_NONE)
        *coordinator->failure = *err;
    coordinator->failed = true;
    coordinator->transport.give_up(coordinator->transport.link);
    team_halt(coordinator->team);
}

/* One message from another rank. */
static int handle_message(protocol_coordinator *coordinator, int from, int tag, const void *bytes,
                          size_t size, sweep_error *err)
{
    protocol_remote *remote = &coordinator->remotes[from];
    sweep_team *team = coordinator->team;
    long long number = 0;
    switch (tag) {
    case PROTOCOL_READY:
        if (wire_unpack_number(bytes, size, &number, err) != 0)
            return -1;
        remote->credit += number > 0 ? number : 0;
        return 0;
    case PROTOCOL_RESULT: {
        size_t index = 0;
        run_result result;
        if (wire_unpack_result(bytes, size, &index, &result, err) != 0)
            return -1;
        if (index >= team->n_runs) {
            run_result_free(&result);
            return error_set(err, ERROR_RUNTIME, "rank %d sent run %zu of %zu", from, index,
                             team->n_runs);
        }
        coordinator->store(coordinator->store_context, index, &result);
        run_result_free(&result);
        remote->credit++;
        return 0;
    }
    case PROTOCOL_ERROR: {
        sweep_error reported;
        if (wire_unpack_error(bytes, size, &reported, err) != 0)
            return -1;
        sweep_error named;
        error_set(&named, reported.kind, "rank %d: %s", from, reported.message);
        team_record_error(team, &named);
        return 0;
    }
    case PROTOCOL_INTERRUPTED:
        if (wire_unpack_number(bytes, size, &number, err) != 0)
            return -1;
        if (coordinator->remote_signal == 0)
            coordinator->remote_signal = (int)number;
        team_halt(team);
        return 0;
    case PROTOCOL_DONE:
        remote->done = true;
        return 0;
    default:
        return error_set(err, ERROR_RUNTIME, "rank %d sent a message with tag %d", from, tag);
    }
}

/* Read every message that has come. -1 when one fails or makes no sense. */
static int read_messages(protocol_coordinator *coordinator, sweep_error *err)
{
    const protocol_transport *transport = &coordinator->transport;
    for (;;) {
        int from = 0, tag = 0;
        void *bytes = NULL;
        size_t size = 0;
        int got = transport->receive(transport->link, &from, &tag, &bytes, &size, err);
        if (got == 0)
            return 0;
        if (got > 0 && (from < 1 || from >= transport->n_ranks)) {
            error_set(err, ERROR_RUNTIME, "MPI: a message from rank %d of %d", from,
                      transport->n_ranks);
            got = -1;
        }
        if (got < 0 || handle_message(coordinator, from, tag, bytes, size, err) != 0) {
            free(bytes);
            return -1;
        }
        free(bytes);
    }
}

/* Hand runs to `rank` while it has room; STOP DRAIN once the schedule is
 * used up. */
static int hand_out(protocol_coordinator *coordinator, int rank, sweep_error *err)
{
    const protocol_transport *transport = &coordinator->transport;
    sweep_team *team = coordinator->team;
    protocol_remote *remote = &coordinator->remotes[rank];
    int rc = 0;
    size_t index = 0;
    while (rc == 0 && remote->credit > 0) {
        if (!team_take_slot(team, &index))
            break;
        void *bytes = NULL;
        size_t size = 0;
        int packed = wire_pack_work(index, &team->runs[index], &bytes, &size, err);
        rc = send_packed(transport, rank, PROTOCOL_WORK, packed, bytes, size, err);
        remote->credit--;
    }
    if (rc == 0 && team_schedule_used_up(team)) {
        rc = send_number(transport, rank, PROTOCOL_STOP, PROTOCOL_STOP_DRAIN, err);
        remote->stop_sent = PROTOCOL_STOP_DRAIN;
    }
    return rc;
}

bool protocol_serve_ranks(protocol_coordinator *coordinator)
{
    if (coordinator->failed)
        return true;
    const protocol_transport *transport = &coordinator->transport;
    sweep_error err = {0};
    if (read_messages(coordinator, &err) != 0) {
        coordinator_failed(coordinator, &err);
        return true;
    }
    bool stopping = team_stopped(coordinator->team);
    bool all_done = true;
    for (int rank = 1; rank < transport->n_ranks; rank++) {
        protocol_remote *remote = &coordinator->remotes[rank];
        if (remote->done)
            continue;
        all_done = false;
        int rc = 0;
        if (stopping) {
            if (remote->stop_sent != PROTOCOL_STOP_ABANDON) {
                rc = send_number(transport, rank, PROTOCOL_STOP, PROTOCOL_STOP_ABANDON, &err);
                remote->stop_sent = PROTOCOL_STOP_ABANDON;
            }
        } else if (remote->stop_sent == 0) {
            rc = hand_out(coordinator, rank, &err);
        }
        if (rc != 0) {
            coordinator_failed(coordinator, &err);
            return true;
        }
    }
    if (transport->progress(transport->link, &err) != 0) {
        coordinator_failed(coordinator, &err);
        return true;
    }
    return all_done;
}

/* ---- the other ranks ------------------------------------------------------- */

void protocol_courier_init(protocol_courier *courier, protocol_transport transport,
                           sweep_team *team)
{
    *courier = (protocol_courier){.transport = transport, .team = team};
}

int protocol_courier_ready(protocol_courier *courier, int n_workers, sweep_error *err)
{
    return send_number(&courier->transport, 0, PROTOCOL_READY, 2LL * n_workers, err);
}

static void courier_failed(protocol_courier *courier, const sweep_error *err)
{
    if (courier->error.kind == ERROR_NONE)
        courier->error = *err;
    courier->failed = true;
    courier->transport.give_up(courier->transport.link);
    team_halt(courier->team);
}

/* One message from rank 0. */
static int receive_order(protocol_courier *courier, int tag, const void *bytes, size_t size,
                         sweep_error *err)
{
    long long number = 0;
    if (tag == PROTOCOL_WORK) {
        assigned_run *item = calloc(1, sizeof *item);
        if (item == NULL)
            return error_set(err, ERROR_RUNTIME, "out of memory");
        if (wire_unpack_work(bytes, size, &item->index, &item->params, err) != 0) {
            free(item);
            return -1;
        }
        team_deliver(courier->team, item);
        return 0;
    }
    if (tag == PROTOCOL_STOP) {
        if (wire_unpack_number(bytes, size, &number, err) != 0)
            return -1;
        team_close_inbox(courier->team, number == PROTOCOL_STOP_ABANDON);
        return 0;
    }
    return error_set(err, ERROR_RUNTIME, "rank 0 sent a message with tag %d", tag);
}

/* Send the finished runs (all freed, also after a failed send). */
static int send_results(protocol_courier *courier, finished_run *batch, sweep_error *err)
{
    int rc = 0;
    while (batch != NULL) {
        finished_run *item = batch;
        batch = item->next;
        if (rc == 0) {
            void *bytes = NULL;
            size_t size = 0;
            int packed = wire_pack_result(item->index, &item->result, &bytes, &size, err);
            rc = send_packed(&courier->transport, 0, PROTOCOL_RESULT, packed, bytes, size, err);
        }
        run_result_free(&item->result);
        free(item);
    }
    return rc;
}

/* Tell rank 0, once each, of a worker's error and of a signal. */
static int send_news(protocol_courier *courier, sweep_error *err)
{
    sweep_team *team = courier->team;
    int rc = 0;
    sweep_error worker_error = team_worker_error(team);
    if (!courier->error_sent && worker_error.kind != ERROR_NONE) {
        void *bytes = NULL;
        size_t size = 0;
        int packed = wire_pack_error(&worker_error, &bytes, &size, err);
        rc = send_packed(&courier->transport, 0, PROTOCOL_ERROR, packed, bytes, size, err);
        courier->error_sent = true;
    }
    int signal_number = team->interrupt != NULL ? (int)*team->interrupt : 0;
    if (rc == 0 && !courier->interrupt_sent && signal_number != 0) {
        rc = send_number(&courier->transport, 0, PROTOCOL_INTERRUPTED, signal_number, err);
        courier->interrupt_sent = true;
        team_halt(team); /* wake the workers waiting for runs: they leave */
    }
    return rc;
}

/* Take every order that has come from rank 0. */
static int read_orders(protocol_courier *courier, sweep_error *err)
{
    const protocol_transport *transport = &courier->transport;
    int rc = 0;
    while (rc == 0) {
        int from = 0, tag = 0;
        void *bytes = NULL;
        size_t size = 0;
        int got = transport->receive(transport->link, &from, &tag, &bytes, &size, err);
        if (got == 0)
            break;
        if (got > 0 && from != 0)
            got = error_set(err, ERROR_RUNTIME, "MPI: a message from rank %d", from);
        rc = got < 0 ? -1 : receive_order(courier, tag, bytes, size, err);
        free(bytes);
    }
    return rc;
}

bool protocol_courier_step(protocol_courier *courier, bool wait)
{
    if (courier->failed)
        return true;
    const protocol_transport *transport = &courier->transport;
    sweep_error err = {0};
    bool workers_gone = false;
    finished_run *batch =
        team_take_finished(courier->team, wait, PROTOCOL_POLL_SECONDS, &workers_gone);
    int rc = send_results(courier, batch, &err);
    if (rc == 0)
        rc = send_news(courier, &err);
    if (rc == 0)
        rc = read_orders(courier, &err);
    if (rc == 0)
        rc = transport->progress(transport->link, &err);
    bool closed = team_inbox_closed(courier->team);
    if (rc == 0 && closed && workers_gone) {
        rc = send_number(transport, 0, PROTOCOL_DONE, 0, &err);
        if (rc == 0)
            rc = transport->flush(transport->link, &err);
        if (rc == 0)
            return true;
    }
    if (rc != 0) {
        courier_failed(courier, &err);
        return true;
    }
    return false;
}

static bool courier_step(void *context, bool wait)
{
    return protocol_courier_step(context, wait);
}

/* The data set's arrays, which follow the start packet: each received
 * buffer becomes the array itself. They are taken even after `problem`
 * (a bad start packet or array), since rank 0 broadcasts them all; -1 only
 * when the ranks cannot talk any more. */
static int receive_arrays(const protocol_transport *transport, dataset *data, sweep_error *problem,
                          sweep_error *err)
{
    for (int which = 0; which < WIRE_N_ARRAYS; which++) {
        void *bytes = NULL;
        size_t size = 0;
        if (transport->receive_broadcast(transport->link, &bytes, &size, err) != 0)
            return -1;
        if (problem->kind != ERROR_NONE)
            free(bytes);
        else
            wire_adopt_array(data, which, bytes, size, problem);
    }
    return 0;
}

int protocol_serve_sweep(protocol_transport transport, const void *packet, size_t size,
                         const volatile sig_atomic_t *interrupt, sweep_error *err)
{
    int status = -1;
    dataset data = {0};
    dataset_folds folds = {0};
    wire_settings settings = {0};
    sweep_team team = {.interrupt = interrupt, .data = &data, .talks = true};
    team_init(&team);
    protocol_courier courier;
    protocol_courier_init(&courier, transport, &team);

    sweep_error problem = {0};
    int n_workers = 0;
    wire_unpack_start(packet, size, &settings, &data, &problem);
    if (receive_arrays(&transport, &data, &problem, err) != 0)
        goto cleanup;
    if (problem.kind == ERROR_NONE && settings.code_values)
        dataset_code_values(&data);
    /* Under cross-validation the folds are built here from the rows rank 0
     * sent, as rank 0 built its own. */
    if (problem.kind == ERROR_NONE &&
        (settings.cv.n_splits == 0 ||
         dataset_folds_build(&data, &settings.cv, settings.standardize_folds, &folds, &problem) ==
             0)) {
        team.folds = settings.cv.n_splits > 0 ? &folds : NULL;
        n_workers = team_worker_count(settings.threads, settings.n_runs);
    } else {
        team_record_error(&team, &problem);
    }
    /* credit for whole packs per worker: its inbox packs what it holds */
    const int lanes = schedule_packing_enabled() ? simd_lanes(simd_best()) : 1;
    if (protocol_courier_ready(&courier, n_workers * lanes, err) != 0)
        goto cleanup;
    if (n_workers > 0) {
        team_run(&team, n_workers, courier_step, &courier);
    } else {
        while (!protocol_courier_step(&courier, true)) {
        }
    }
    if (courier.failed) {
        *err = courier.error;
        goto cleanup;
    }
    status = 0;
cleanup:
    team_destroy(&team);
    dataset_folds_free(&folds);
    dataset_free(&data);
    return status;
}

int protocol_serve(protocol_transport transport, const volatile sig_atomic_t *interrupt,
                   int *exit_status, sweep_error *err)
{
    *exit_status = 1;
    for (;;) {
        void *packet = NULL;
        size_t size = 0;
        if (transport.receive_broadcast(transport.link, &packet, &size, err) != 0)
            return -1;
        int kind = wire_packet_kind(packet, size);
        int status = -1;
        if (kind == WIRE_FINISH)
            status = wire_unpack_finish(packet, size, exit_status, err);
        else if (kind == WIRE_START)
            status = protocol_serve_sweep(transport, packet, size, interrupt, err);
        else
            error_set(err, ERROR_RUNTIME, "a malformed packet from rank 0 (%zu bytes)", size);
        free(packet);
        if (status != 0) {
            transport.give_up(transport.link);
            return -1;
        }
        if (kind == WIRE_FINISH)
            return 0;
    }
}
