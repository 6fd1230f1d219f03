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
    const size_t *schedule;        /* (n_scheduled) run indices, most expensive first */
    size_t n_runs;
    size_t n_scheduled;            /* runs to train (all but those kept on resume) */
    const volatile sig_atomic_t *interrupt;  /* nonzero: take no more runs */
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

/* The runs to train (those with copy_from[run] < 0; all when copy_from is
 * NULL), most expensive first, ties in grid order. */
static int make_schedule(const train_params *runs, size_t n_runs, const long long *copy_from,
                         const dataset *data, size_t *schedule, size_t *n_scheduled,
                         sweep_error *err)
{
    scheduled_run *order = malloc((n_runs > 0 ? n_runs : 1) * sizeof *order);
    if (order == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for the schedule of %zu runs", n_runs);
    size_t n = 0;
    for (size_t run = 0; run < n_runs; run++)
        if (copy_from == NULL || copy_from[run] < 0)
            order[n++] = (scheduled_run){estimated_cost(&runs[run], data), run};
    qsort(order, n, sizeof *order, compare_cost);
    for (size_t slot = 0; slot < n; slot++)
        schedule[slot] = order[slot].index;
    *n_scheduled = n;
    free(order);
    return 0;
}

/* A run's hyperparameters as "batch_size=32, learning_rate=0.1, ...". */
static void describe_run(const train_params *params, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int id = 0; id < PARAM_COUNT && used < size; id++) {
        int n = snprintf(text + used, size - used, "%s%s=%.17g", id > 0 ? ", " : "",
                         PARAM_INFO[id].name, params_get(params, (param_id)id));
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int compare_params(const train_params *a, const train_params *b)
{
    for (int id = 0; id < PARAM_COUNT; id++) {
        double x = params_get(a, (param_id)id), y = params_get(b, (param_id)id);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* A run of one of the two lists, for matching them by sorting. */
typedef struct {
    const train_params *params;
    size_t index;
} run_ref;

static int compare_run_refs(const void *left, const void *right)
{
    const run_ref *a = left, *b = right;
    int order = compare_params(a->params, b->params);
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
        int order = i < n_runs ? compare_params(ours[i].params, theirs[j].params) : 1;
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
        signed char state = index->status[theirs[j].index];
        if (state == RUN_DONE || (state == RUN_FAILED && !retry_failed)) {
            copy_from[ours[i].index] = (long long)theirs[j].index;
            (*n_kept)++;
        }
        i++;
        j++;
    }
    if (n_missing > 0) {
        char described[512];
        describe_run(&index->runs[first_missing], described, sizeof described);
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
    if (__atomic_load_n(&team->stop, __ATOMIC_SEQ_CST) ||
        (team->interrupt != NULL && *team->interrupt != 0))
        return 1;
    size_t slot = __atomic_fetch_add(&team->next_slot, 1, __ATOMIC_SEQ_CST);
    if (slot >= team->n_scheduled)
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

/* The per-run values of the summary for the runs kept from the file. */
static void keep_runs(sweep_team *team, const results_index *index, const long long *copy_from)
{
    for (size_t run = 0; run < team->n_runs; run++) {
        long long from = copy_from[run];
        if (from < 0)
            continue;
        team->status[run] = index->status[from];
        team->val_score[run] = index->val_score[from];
        team->test_score[run] = index->test_score[from];
        team->final_val_loss[run] = index->final_val_loss[from];
    }
}

int sweep_execute(const sweep_config *config, const sweep_options *options, FILE *out,
                  sweep_outcome *outcome, sweep_error *err)
{
    int rc = -1;
    train_params *runs = NULL;
    size_t n_runs = 0, *schedule = NULL;
    long long *copy_from = NULL;
    dataset data = {0};
    sweep_team team = {0};
    results_index index = {0};
    output_lock *lock = NULL;
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
    };

    size_t n_alloc = n_runs > 0 ? n_runs : 1;
    schedule = malloc(n_alloc * sizeof *schedule);
    copy_from = malloc(n_alloc * sizeof *copy_from);
    team.val_score = malloc(n_alloc * sizeof *team.val_score);
    team.test_score = malloc(n_alloc * sizeof *team.test_score);
    team.final_val_loss = malloc(n_alloc * sizeof *team.final_val_loss);
    team.status = calloc(n_alloc, sizeof *team.status);
    if (schedule == NULL || copy_from == NULL || team.val_score == NULL ||
        team.test_score == NULL || team.final_val_loss == NULL || team.status == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory for %zu runs", n_runs);
        goto cleanup;
    }
    for (size_t run = 0; run < n_runs; run++)
        copy_from[run] = -1;

    /* From here on this process is the only writer of `output`. */
    if (output_lock_acquire(output, &lock, err) != 0)
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
    if (make_schedule(runs, n_runs, copy_from, &data, schedule, &team.n_scheduled, err) != 0)
        goto cleanup;

    team.runs = runs;
    team.schedule = schedule;
    team.n_runs = n_runs;
    team.data = &data;
    team.interrupt = options->interrupt;
    pthread_mutex_init(&team.lock, NULL);
    pthread_cond_init(&team.changed, NULL);
    team_ready = true;
    if (resuming)
        keep_runs(&team, &index, copy_from);
    progress_start(&team.progress, stderr, team.n_scheduled, options->quiet);

    double started_seconds = report_now();
    if (team.n_scheduled > 0)
        run_team(&team, sweep_worker_count(requested, team.n_scheduled));
    outcome->seconds = report_now() - started_seconds;
    progress_finish(&team.progress);
    outcome->n_failed = team.n_failed;
    outcome->n_done = team.n_written - team.n_failed;
    for (size_t run = 0; run < n_runs; run++)
        if (copy_from[run] >= 0 && team.status[run] == RUN_FAILED)
            outcome->n_failed++;
        else if (copy_from[run] >= 0)
            outcome->n_done++;
    outcome->n_pending = n_runs - outcome->n_done - outcome->n_failed;
    if (options->interrupt != NULL && *options->interrupt != 0)
        outcome->interrupted = (int)*options->interrupt;

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
    if (report_summary(out, runs, team.val_score, team.test_score, team.final_val_loss, team.status,
                       n_runs, err) != 0)
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
    }
    free(team.val_score);
    free(team.test_score);
    free(team.final_val_loss);
    free(team.status);
    free(schedule);
    free(copy_from);
    free(runs);
    results_index_free(&index);
    dataset_free(&data);
    return rc;
}
