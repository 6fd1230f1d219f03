#include "sweep.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dataset.h"
#include "grid.h"
#include "report.h"
#include "results.h"
#include "train.h"

/* A run handed from a worker to the writer. */
typedef struct finished_run {
    size_t index;                 /* position in the expanded grid */
    run_result result;            /* owned; freed by the writer */
    struct finished_run *next;
} finished_run;

/* Everything the team shares. Workers read `runs` and `data`, take run
 * numbers from `next_slot`, and push finished runs; only the writer touches
 * `writer` and the per-run score arrays. */
typedef struct {
    const train_params *runs;      /* (n_runs) */
    const size_t *schedule;        /* (n_runs) run indices, most expensive first */
    size_t n_runs;
    const dataset *data;
    size_t next_slot;              /* next entry of `schedule` to train (atomic) */
    int stop;                      /* set when a worker or the writer failed (atomic) */

    pthread_mutex_t lock;          /* guards the fields below */
    pthread_cond_t changed;        /* a run was pushed or a worker left */
    finished_run *head, *tail;     /* FIFO of finished runs */
    int active_workers;
    sweep_error worker_error;      /* the first runtime error of a worker */

    results_writer *writer;
    progress progress;
    size_t n_written, n_failed;
    double *val_score, *test_score, *final_val_loss;  /* (n_runs) for the summary */
    signed char *status;                               /* (n_runs) */
    sweep_error writer_error;      /* the first error of the writer */
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

/* The cost of a run in multiply-adds, roughly: used only to hand out the
 * longest runs first so that no worker is left with a long run at the end. */
static double estimated_cost(const train_params *params, const dataset *data)
{
    double n_batches = ceil((double)data->n_train / params->batch_size);
    double per_row = (double)params->units * (2.0 * data->n_features + 4.0);
    double per_batch = (double)params->units * (2.0 * data->n_features + 4.0) + 64.0;
    return (double)params->epochs * (data->n_train * per_row + n_batches * per_batch);
}

/* A run and its estimated cost, for ordering the schedule. */
typedef struct {
    double cost;
    size_t index;
} scheduled_run;

static int compare_cost(const void *left, const void *right)
{
    const scheduled_run *a = left, *b = right;
    if (a->cost != b->cost)
        return a->cost > b->cost ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* Run indices, most expensive first (ties in grid order). */
static int make_schedule(const train_params *runs, size_t n_runs, const dataset *data,
                         size_t *schedule, sweep_error *err)
{
    scheduled_run *order = malloc((n_runs > 0 ? n_runs : 1) * sizeof *order);
    if (order == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for the schedule of %zu runs", n_runs);
    for (size_t run = 0; run < n_runs; run++)
        order[run] = (scheduled_run){estimated_cost(&runs[run], data), run};
    qsort(order, n_runs, sizeof *order, compare_cost);
    for (size_t slot = 0; slot < n_runs; slot++)
        schedule[slot] = order[slot].index;
    free(order);
    return 0;
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
    pthread_cond_signal(&team->changed);
    pthread_mutex_unlock(&team->lock);
}

static void record_worker_error(sweep_team *team, const sweep_error *err)
{
    pthread_mutex_lock(&team->lock);
    if (team->worker_error.kind == ERROR_NONE)
        team->worker_error = *err;
    pthread_mutex_unlock(&team->lock);
    __atomic_store_n(&team->stop, 1, __ATOMIC_SEQ_CST);
}

/* Train the next run of the schedule. Returns 0 when a run was pushed, 1 when
 * there is nothing left to do, -1 after recording an error. */
static int train_next(sweep_team *team, train_workspace *workspace)
{
    if (__atomic_load_n(&team->stop, __ATOMIC_SEQ_CST))
        return 1;
    size_t slot = __atomic_fetch_add(&team->next_slot, 1, __ATOMIC_SEQ_CST);
    if (slot >= team->n_runs)
        return 1;
    size_t index = team->schedule[slot];
    const train_params *params = &team->runs[index];
    sweep_error err = {0};
    finished_run *item = calloc(1, sizeof *item);
    if (item == NULL) {
        error_set(&err, ERROR_RUNTIME, "out of memory for run %zu", index);
        goto fail;
    }
    item->index = index;
    if (run_result_init(&item->result, params->epochs, &err) != 0)
        goto fail;
    double started = report_now();
    if (train_run(workspace, team->data, params, &item->result, &err) != 0)
        goto fail;
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

/* Store the finished runs in the queue; with `wait`, block until there is at
 * least one or every worker has left (waking now and then to refresh the
 * progress line). Returns 1 when all work is over. */
static int write_finished(sweep_team *team, bool wait)
{
    pthread_mutex_lock(&team->lock);
    while (wait && team->head == NULL && team->active_workers > 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec += 1;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&team->changed, &team->lock, &until);
        if (team->head == NULL)
            progress_update(&team->progress, team->n_written, team->n_failed);
    }
    finished_run *batch = team->head;
    team->head = team->tail = NULL;
    bool workers_gone = team->active_workers == 0;
    pthread_mutex_unlock(&team->lock);

    while (batch != NULL) {
        finished_run *item = batch;
        batch = item->next;
        const run_result *result = &item->result;
        if (team->writer_error.kind == ERROR_NONE) {
            if (results_write_run(team->writer, item->index, result, &team->writer_error) != 0) {
                __atomic_store_n(&team->stop, 1, __ATOMIC_SEQ_CST);
            } else {
                team->status[item->index] = (signed char)result->status;
                team->val_score[item->index] = result->val_score;
                team->test_score[item->index] = result->test_score;
                team->final_val_loss[item->index] =
                    result->epochs_done > 0 ? result->val_loss[result->epochs_done - 1] : NAN;
                team->n_written++;
                if (result->status == RUN_FAILED)
                    team->n_failed++;
                progress_update(&team->progress, team->n_written, team->n_failed);
            }
        }
        run_result_free(&item->result);
        free(item);
    }
    return workers_gone;
}

/* The team: thread 0 writes, the others train. When OpenMP gives us a team of
 * one (OMP_THREAD_LIMIT=1, say) that thread does both in turn. */
static void run_team(sweep_team *team, int n_workers)
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
        if (team_size == 1 || thread != 0) {
            train_workspace *workspace = train_workspace_new();
            if (workspace == NULL) {
                sweep_error err;
                error_set(&err, ERROR_RUNTIME, "out of memory for a worker's workspace");
                record_worker_error(team, &err);
            }
            while (workspace != NULL && train_next(team, workspace) == 0)
                if (team_size == 1)
                    write_finished(team, false);
            train_workspace_delete(workspace);
            pthread_mutex_lock(&team->lock);
            team->active_workers--;
            pthread_cond_signal(&team->changed);
            pthread_mutex_unlock(&team->lock);
        }
        if (thread == 0)
            while (!write_finished(team, true)) {
            }
    }
    /* Runs pushed after the writer's last look. */
    write_finished(team, false);
}

static void format_utc_now(char *text, size_t size)
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(text, size, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

int sweep_execute(const sweep_config *config, const sweep_options *options, FILE *out,
                  sweep_outcome *outcome, sweep_error *err)
{
    int rc = -1;
    train_params *runs = NULL;
    size_t n_runs = 0, *schedule = NULL;
    dataset data = {0};
    sweep_team team = {0};
    bool team_ready = false;
    memset(outcome, 0, sizeof *outcome);

    if (grid_expand(&config->model, config->grids, config->n_grids, config->n_runs, &runs, &n_runs,
                    err) != 0)
        goto cleanup;
    outcome->n_runs = n_runs;
    if (dataset_load(&config->dataset, &data, err) != 0)
        goto cleanup;
    if (options->dry_run) {
        report_runs(out, runs, n_runs);
        fprintf(out, "data set %s: %d features, %d train, %d val, %d test rows\n", data.name,
                data.n_features, data.n_train, data.n_val, data.n_test);
        rc = 0;
        goto cleanup;
    }

    int requested = options->threads >= 0 ? options->threads : config->threads;
    int n_workers = sweep_worker_count(requested, n_runs);
    const char *output = options->output != NULL ? options->output : config->output;
    char started[32], host[256] = "unknown";
    format_utc_now(started, sizeof started);
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
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
    };

    schedule = malloc((n_runs > 0 ? n_runs : 1) * sizeof *schedule);
    team.val_score = malloc((n_runs > 0 ? n_runs : 1) * sizeof *team.val_score);
    team.test_score = malloc((n_runs > 0 ? n_runs : 1) * sizeof *team.test_score);
    team.final_val_loss = malloc((n_runs > 0 ? n_runs : 1) * sizeof *team.final_val_loss);
    team.status = calloc(n_runs > 0 ? n_runs : 1, sizeof *team.status);
    if (schedule == NULL || team.val_score == NULL || team.test_score == NULL ||
        team.final_val_loss == NULL || team.status == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory for %zu runs", n_runs);
        goto cleanup;
    }
    if (make_schedule(runs, n_runs, &data, schedule, err) != 0)
        goto cleanup;

    if (results_create(output, options->overwrite, &meta, runs, n_runs, &team.writer, err) != 0)
        goto cleanup;

    team.runs = runs;
    team.schedule = schedule;
    team.n_runs = n_runs;
    team.data = &data;
    pthread_mutex_init(&team.lock, NULL);
    pthread_cond_init(&team.changed, NULL);
    team_ready = true;
    progress_start(&team.progress, stderr, n_runs, options->quiet);

    double started_seconds = report_now();
    run_team(&team, n_workers);
    outcome->seconds = report_now() - started_seconds;
    progress_finish(&team.progress);
    outcome->n_done = team.n_written - team.n_failed;
    outcome->n_failed = team.n_failed;

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
    if (results_close(writer, err) != 0)
        goto cleanup;
    if (report_summary(out, runs, team.val_score, team.test_score, team.final_val_loss, team.status,
                       n_runs, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (team.writer != NULL) {
        /* Keep what was written; the first error is the one reported. */
        sweep_error ignored;
        results_close(team.writer, &ignored);
    }
    if (team_ready) {
        pthread_mutex_destroy(&team.lock);
        pthread_cond_destroy(&team.changed);
    }
    free(team.val_score);
    free(team.test_score);
    free(team.final_val_loss);
    free(team.status);
    free(schedule);
    free(runs);
    dataset_free(&data);
    return rc;
}
