/* team.c: the threads of one process of a sweep and their queues. See team.h. */
#include "team.h"

#include <omp.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "lanes.h"
#include "schedule.h"
#include "simd.h"

/* team_push_finished (one run at a time) wakes thread 0 only once
 * WAKE_BACKLOG finished runs wait; otherwise thread 0 looks at its own pace. */
#define WAKE_BACKLOG 64

int team_worker_count(int requested, size_t n_runs)
{
    int count = requested > 0 ? requested : omp_get_max_threads();
    if (count < 1)
        count = 1;
    if (n_runs > 0 && (size_t)count > n_runs)
        count = (int)n_runs;
    return count;
}

void team_init(sweep_team *team)
{
    pthread_mutex_init(&team->lock, NULL);
    pthread_cond_init(&team->changed, NULL);
    pthread_cond_init(&team->inbox_changed, NULL);
}

void team_free_finished(finished_run *batch)
{
    while (batch != NULL) {
        finished_run *item = batch;
        batch = item->next;
        run_result_free(&item->result);
        free(item);
    }
}

void team_destroy(sweep_team *team)
{
    team_close_inbox(team, true);
    team_free_finished(team->head); /* left only when thread 0 stopped early */
    team->head = team->tail = NULL;
    pthread_mutex_destroy(&team->lock);
    pthread_cond_destroy(&team->changed);
    pthread_cond_destroy(&team->inbox_changed);
}

bool team_stopped(const sweep_team *team)
{
    return atomic_load(&team->stop) || (team->interrupt != NULL && *team->interrupt != 0);
}

void team_halt(sweep_team *team)
{
    atomic_store(&team->stop, 1);
    pthread_mutex_lock(&team->lock);
    pthread_cond_broadcast(&team->inbox_changed);
    pthread_mutex_unlock(&team->lock);
}

void team_record_error(sweep_team *team, const sweep_error *err)
{
    pthread_mutex_lock(&team->lock);
    if (team->worker_error.kind == ERROR_NONE)
        team->worker_error = *err;
    pthread_mutex_unlock(&team->lock);
    team_halt(team);
}

sweep_error team_worker_error(sweep_team *team)
{
    pthread_mutex_lock(&team->lock);
    sweep_error worker_error = team->worker_error;
    pthread_mutex_unlock(&team->lock);
    return worker_error;
}

bool team_take_slot(sweep_team *team, size_t *index)
{
    size_t slot = atomic_fetch_add(&team->next_slot, 1);
    if (slot >= team->n_scheduled)
        return false;
    *index = team->schedule[slot];
    return true;
}

bool team_take_pack(sweep_team *team, size_t *first, size_t *count)
{
    size_t slot = atomic_load(&team->next_slot), end;
    /* another rank may take single slots of a pack meanwhile (team_take_slot):
     * this takes what is left of the pack */
    do {
        if (slot >= team->n_scheduled)
            return false;
        end = team->pack_end != NULL ? team->pack_end[slot] : slot + 1;
    } while (!atomic_compare_exchange_weak(&team->next_slot, &slot, end));
    *first = slot;
    *count = end - slot;
    return true;
}

bool team_schedule_used_up(sweep_team *team)
{
    return atomic_load(&team->next_slot) >= team->n_scheduled;
}

void team_push_finished(sweep_team *team, finished_run *item)
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
     * woken only for a backlog, and otherwise looks at its own pace. */
    if (++team->n_queued >= WAKE_BACKLOG)
        pthread_cond_signal(&team->changed);
    pthread_mutex_unlock(&team->lock);
}

void team_push_finished_pack(sweep_team *team, finished_run *const *items, int n)
{
    pthread_mutex_lock(&team->lock);
    for (int i = 0; i < n; i++) {
        items[i]->next = NULL;
        if (team->tail != NULL)
            team->tail->next = items[i];
        else
            team->head = items[i];
        team->tail = items[i];
        team->n_queued++;
    }
    /* As team_push_finished: thread 0 is woken only for a backlog. Waking
     * it for every pack was measured slower on the loaded machine: the
     * woken thread 0 ran on the worker's core at once (wake-up preemption),
     * holding up the next pack, where its own look every WRITER_PERIOD
     * lands anywhere, on a core that is free if one is. */
    if (team->n_queued >= WAKE_BACKLOG)
        pthread_cond_signal(&team->changed);
    pthread_mutex_unlock(&team->lock);
}

void team_leave(sweep_team *team)
{
    pthread_mutex_lock(&team->lock);
    team->active_workers--;
    pthread_cond_signal(&team->changed);
    pthread_mutex_unlock(&team->lock);
}

finished_run *team_take_finished(sweep_team *team, bool wait, double seconds, bool *workers_gone)
{
    pthread_mutex_lock(&team->lock);
    if (wait && team->head == NULL && (team->active_workers > 0 || team->talks)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long nanoseconds = until.tv_nsec + (long)(seconds * 1e9);
        until.tv_sec += nanoseconds / 1000000000L;
        until.tv_nsec = nanoseconds % 1000000000L;
        pthread_cond_timedwait(&team->changed, &team->lock, &until);
    }
    finished_run *batch = team->head;
    team->head = team->tail = NULL;
    team->n_queued = 0;
    *workers_gone = team->active_workers == 0;
    pthread_mutex_unlock(&team->lock);
    return batch;
}

void team_deliver(sweep_team *team, assigned_run *item)
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

void team_close_inbox(sweep_team *team, bool abandon)
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

bool team_inbox_closed(sweep_team *team)
{
    pthread_mutex_lock(&team->lock);
    bool closed = team->inbox_closed;
    pthread_mutex_unlock(&team->lock);
    return closed;
}

/* Another rank: the inbox's first run, and those after it that can train
 * in its pack (all taken under the lock). */
static int take_from_inbox(sweep_team *team, bool may_wait, int max_runs, size_t *indices,
                           train_params *params, int *n_taken)
{
    int taken;
    pthread_mutex_lock(&team->lock);
    while (may_wait && team->inbox_head == NULL && !team->inbox_closed && !team_stopped(team))
        pthread_cond_wait(&team->inbox_changed, &team->lock);
    assigned_run *item = team_stopped(team) ? NULL : team->inbox_head;
    if (item != NULL) {
        int width = max_runs > 1 && team->data != NULL
                        ? schedule_pack_width(&item->params, team->data, simd_best())
                        : 1;
        width = width < max_runs ? width : max_runs;
        int n = 0;
        while (item != NULL && n < width &&
               (n == 0 || train_params_packable(&params[0], &item->params))) {
            team->inbox_head = item->next;
            indices[n] = item->index;
            params[n++] = item->params;
            free(item);
            item = team->inbox_head;
        }
        if (team->inbox_head == NULL)
            team->inbox_tail = NULL;
        *n_taken = n;
        taken = 0;
    } else {
        taken = team->inbox_closed || team_stopped(team) ? 1 : 2;
    }
    pthread_mutex_unlock(&team->lock);
    return taken;
}

int team_take_runs(sweep_team *team, bool may_wait, size_t *indices, train_params *params,
                   int *n_taken)
{
    *n_taken = 0;
    if (team_stopped(team))
        return 1;
    if (team->runs == NULL)
        return take_from_inbox(team, may_wait, LANES_MAX, indices, params, n_taken);
    size_t first, count;
    if (!team_take_pack(team, &first, &count))
        return 1;
    for (size_t i = 0; i < count && i < LANES_MAX; i++) {
        indices[i] = team->schedule[first + i];
        params[i] = team->runs[indices[i]];
    }
    *n_taken = count < LANES_MAX ? (int)count : LANES_MAX;
    return 0;
}

int team_take_run(sweep_team *team, bool may_wait, size_t *index, train_params *params)
{
    if (team_stopped(team))
        return 1;
    if (team->runs != NULL) {
        if (!team_take_slot(team, index))
            return 1;
        *params = team->runs[*index];
        return 0;
    }
    int n_taken = 0;
    return take_from_inbox(team, may_wait, 1, index, params, &n_taken);
}

/* The data set a run trains on: its fold's under cross-validation. Under
 * cv, a fold the team has no set for is an error rather than a run
 * silently trained on other rows. */
static const dataset *run_data(const sweep_team *team, const train_params *params, size_t index,
                               sweep_error *err)
{
    if (team->folds == NULL)
        return team->data;
    const dataset_folds *folds = team->folds;
    if (folds == NULL || params->fold < 0 || params->fold >= folds->settings.n_splits ||
        params->repeat < 0 || params->repeat >= folds->settings.n_repeats) {
        error_set(err, ERROR_RUNTIME, "run %zu: fold %d of repeat %d has no data set here", index,
                  params->fold, params->repeat);
        return NULL;
    }
    return dataset_folds_get(folds, params->repeat, params->fold);
}

/* Free the items of a pack (and their results). */
static void free_items(finished_run **items, int n)
{
    for (int i = 0; i < n; i++)
        if (items[i] != NULL) {
            run_result_free(&items[i]->result);
            free(items[i]);
        }
}

/* Train the next pack of runs. Returns 0 when its runs were pushed, 1 when
 * there is nothing left to do (or the pack was abandoned after an
 * interrupt), 2 when nothing is there yet (see team_take_runs), -1 after
 * recording an error. */
static int train_next(sweep_team *team, train_workspace *workspace, bool may_wait)
{
    size_t indices[LANES_MAX];
    train_params params[LANES_MAX];
    int n = 0;
    int taken = team_take_runs(team, may_wait, indices, params, &n);
    if (taken != 0)
        return taken;
    sweep_error err = {0};
    finished_run *items[LANES_MAX] = {NULL};
    run_result *results[LANES_MAX];
    const train_params *runs[LANES_MAX];
    for (int i = 0; i < n; i++) {
        items[i] = calloc(1, sizeof *items[i]);
        if (items[i] == NULL) {
            error_set(&err, ERROR_RUNTIME, "out of memory for run %zu", indices[i]);
            goto fail;
        }
        items[i]->index = indices[i];
        if (run_result_init(&items[i]->result, params[i].epochs, &err) != 0)
            goto fail;
        results[i] = &items[i]->result;
        runs[i] = &params[i];
    }
    /* the runs of a pack share their fold (train_params_packable) */
    const dataset *data = run_data(team, &params[0], indices[0], &err);
    if (data == NULL)
        goto fail;
    double started = clock_seconds();
    if (train_pack(workspace, data, runs, n, results, &err) != 0)
        goto fail;
    /* a pack's time is shared by its runs */
    const double seconds = (clock_seconds() - started) / n;
    bool abandoned = false;
    finished_run *finished[LANES_MAX];
    int n_finished = 0;
    for (int i = 0; i < n; i++) {
        if (items[i]->result.status == RUN_PENDING) {
            /* Abandoned after an interrupt: stays pending in the file. */
            abandoned = true;
            continue;
        }
        items[i]->result.seconds = seconds;
        finished[n_finished++] = items[i];
        items[i] = NULL;
    }
    team_push_finished_pack(team, finished, n_finished);
    free_items(items, n);
    return abandoned ? 1 : 0;
fail:
    free_items(items, n);
    team_record_error(team, &err);
    return -1;
}

static train_workspace *new_workspace(sweep_team *team)
{
    train_workspace *workspace = train_workspace_new();
    if (workspace == NULL) {
        sweep_error err;
        error_set(&err, ERROR_RUNTIME, "out of memory for a worker's workspace");
        team_record_error(team, &err);
        return NULL;
    }
    /* After a Ctrl-C a long run is abandoned (left pending) rather than
     * holding up the exit; see TRAIN_CANCEL_GRACE_SECONDS. */
    train_workspace_set_cancel(workspace, team->interrupt);
    return workspace;
}

/* A team of one thread: it trains a run, then steps, in turn, until the
 * step says all work is over. */
static void train_and_step(sweep_team *team, bool (*step)(void *, bool), void *context)
{
    train_workspace *workspace = new_workspace(team);
    bool working = workspace != NULL;
    if (!working)
        team_leave(team);
    for (;;) {
        int trained = working ? train_next(team, workspace, false) : 1;
        if (working && trained != 0 && trained != 2) {
            working = false;
            team_leave(team);
        }
        if (step(context, trained != 0))
            break;
    }
    train_workspace_delete(workspace);
}

void team_run(sweep_team *team, int n_workers, bool (*step)(void *context, bool wait),
              void *context)
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
            train_and_step(team, step, context);
        } else if (thread != 0) {
            train_workspace *workspace = new_workspace(team);
            while (workspace != NULL && train_next(team, workspace, true) == 0) {
            }
            train_workspace_delete(workspace);
            team_leave(team);
        } else {
            while (!step(context, true)) {
            }
        }
    }
}
