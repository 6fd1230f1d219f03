#include "sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "dataset.h"
#include "grid.h"
#include "lock.h"
#include "model.h"
#include "paths.h"
#include "protocol.h"
#include "report.h"
#include "results.h"
#include "resume.h"
#include "schedule.h"
#include "team.h"
#include "train.h"
#include "wire.h"

/* A sweep alone, or rank 0 of an MPI job: the team of threads (team.h)
 * trains, and its thread 0 stores every finished run in the results file;
 * in an MPI job thread 0 also hands runs to the other ranks and stores
 * theirs (protocol.h). sweep_execute is a short sequence of named steps:
 * prepare (grid, data, shard), open or resume the results file, run the
 * team, conclude (close the file, print the summary). */

/* Alone, thread 0 stores finished runs every WRITER_PERIOD seconds, or as
 * soon as a backlog waits (team.h): a kill loses at most that much work
 * (those runs read as pending and --resume trains them again). */
#define WRITER_PERIOD 0.02

/* What thread 0 of rank 0 (or of a sweep alone) owns: the results file,
 * the progress line and the per-run values of the summary. */
typedef struct {
    sweep_team *team;
    results_writer *writer;
    bool build_pending;  /* the file is built by thread 0's first step */
    const dataset *data; /* its fingerprint goes into the file as it is built */
    progress progress;
    size_t n_written, n_failed;
    run_summary *summaries;            /* (n_runs) for the summary */
    sweep_error writer_error;          /* the first error of the writer (or of the messages) */
    protocol_coordinator *coordinator; /* the other ranks of an MPI job; NULL alone */
} sweep_writer;

/* Everything one sweep_execute holds, freed by sweep_state_free. */
typedef struct {
    train_params *runs; /* (n_runs) the grid's runs, or the shard's */
    size_t n_runs;
    size_t n_grid_runs; /* runs in the whole grid (grid points x repeats x folds) */
    size_t n_points;    /* grid points (the grid's runs before cross-validation) */
    size_t *members;    /* (n_runs) with a shard: each run's place in the grid */
    char shard[48];     /* "K/N", or "" */
    dataset data;
    fold_settings cv;       /* n_splits 0 without cross-validation */
    dataset_folds folds;    /* under cross-validation: the data set of every fold */
    dataset raw;            /* under cv with standardization: the rows before it */
    const model_ops *model; /* the network every run trains (model.h) */
    char checksum[17];      /* of the data set, made to resume (a new file gets it later) */
    int requested;          /* worker threads asked for (0: all cores) */
    const char *output;     /* the results file */
    output_lock *lock;
    bool resuming;
    results_index index;  /* with resuming: the file's runs */
    long long *copy_from; /* (n_runs) resume: the file's run to keep, or -1 */
    size_t *schedule;     /* (n_runs) runs to train, most expensive first */
    size_t *pack_end;     /* (n_runs) schedule_packs: where each slot's pack ends */
    sweep_team team;
    sweep_writer writer;
    bool distributed; /* rank 0 of an MPI job of several ranks */
    protocol_coordinator coordinator;
} sweep_state;

int sweep_worker_count(int requested, size_t n_runs)
{
    return team_worker_count(requested, n_runs);
}

/* ---- thread 0: the writer ------------------------------------------------- */

/* Store one finished run (local or from another rank). */
static void store_result(void *context, size_t index, const run_result *result)
{
    sweep_writer *writer = context;
    if (writer->writer_error.kind != ERROR_NONE)
        return;
    if (results_write_run(writer->writer, index, result, &writer->writer_error) != 0) {
        team_halt(writer->team);
        return;
    }
    writer->summaries[index] = run_summary_of(result);
    writer->n_written++;
    if (result->status == RUN_FAILED)
        writer->n_failed++;
    progress_update(&writer->progress, writer->n_written, writer->n_failed);
}

/* The runs a batch stores with one results_write_runs (two flushes). */
#define STORE_AT_ONCE 64

/* Store up to STORE_AT_ONCE runs of `batch`; returns the rest. */
static finished_run *store_some(sweep_writer *writer, finished_run *batch)
{
    size_t indices[STORE_AT_ONCE] = {0};
    const run_result *results[STORE_AT_ONCE] = {NULL};
    finished_run *items[STORE_AT_ONCE];
    size_t n = 0;
    for (; batch != NULL && n < STORE_AT_ONCE; batch = batch->next, n++) {
        items[n] = batch;
        indices[n] = batch->index;
        results[n] = &batch->result;
    }
    if (writer->writer_error.kind == ERROR_NONE &&
        results_write_runs(writer->writer, n, indices, results, &writer->writer_error) != 0)
        team_halt(writer->team);
    for (size_t i = 0; i < n && writer->writer_error.kind == ERROR_NONE; i++) {
        writer->summaries[indices[i]] = run_summary_of(results[i]);
        writer->n_written++;
        if (results[i]->status == RUN_FAILED)
            writer->n_failed++;
    }
    if (n > 0)
        progress_update(&writer->progress, writer->n_written, writer->n_failed);
    for (size_t i = 0; i < n; i++) {
        run_result_free(&items[i]->result);
        free(items[i]);
    }
    return batch;
}

/* Store a batch of finished runs, a few flushes for all of them. */
static void store_batch(sweep_writer *writer, finished_run *batch)
{
    while (batch != NULL)
        batch = store_some(writer, batch);
}

/* Builds the file results_create_later checked, with the data set's
 * fingerprint: both wait until here so that, on a sweep's first step,
 * the workers train while they are made (the fingerprint of fashion-MNIST's
 * 70,000 images takes half a second). */
static int build_results(sweep_writer *writer, sweep_error *err)
{
    char checksum[17];
    dataset_checksum(writer->data, checksum);
    writer->build_pending = false;
    if (results_set_data_checksum(writer->writer, checksum, err) != 0)
        return -1;
    return results_build(writer->writer, err);
}

/* Thread 0's step: store finished runs and, in an MPI job, serve the other
 * ranks. True when all work is over. */
static bool coordinate(void *context, bool wait)
{
    sweep_writer *writer = context;
    if (writer->build_pending) {
        /* Built while the workers train their first packs; until then
         * their runs wait in the queue. */
        if (build_results(writer, &writer->writer_error) != 0)
            team_halt(writer->team);
        report_summary_prepare(writer->team->runs, writer->team->n_runs);
    }
    bool workers_gone = false;
    double seconds = writer->coordinator != NULL ? PROTOCOL_POLL_SECONDS : WRITER_PERIOD;
    finished_run *batch = team_take_finished(writer->team, wait, seconds, &workers_gone);
    if (writer->coordinator == NULL) {
        /* The clock on the progress line moves even when no run ends. */
        if (wait && batch == NULL)
            progress_update(&writer->progress, writer->n_written, writer->n_failed);
        store_batch(writer, batch);
        return workers_gone;
    }
    store_batch(writer, batch);
    bool ranks_done = protocol_serve_ranks(writer->coordinator);
    progress_update(&writer->progress, writer->n_written, writer->n_failed);
    return workers_gone && ranks_done;
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
static void keep_runs(sweep_writer *writer, const results_index *index, const long long *copy_from,
                      size_t n_runs)
{
    for (size_t run = 0; run < n_runs; run++) {
        long long from = copy_from[run];
        if (from < 0)
            continue;
        writer->summaries[run] = index->summaries[from];
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
        runs[i] = runs[(*members)[i]]; /* members ascend, so i <= members[i] */
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
static int refuse_input_as_output(const sweep_config *config, const char *output, sweep_error *err)
{
    char *target = NULL;
    if (paths_follow_links(output, &target, err) != 0)
        return -1;
    int status = 0;
    char what[512];
    const char *input = input_named(config, target, what, sizeof what);
    if (input != NULL) {
        status = error_set(err, ERROR_INPUT,
                           "%s: is %s; refusing to write over an input "
                           "(choose another output)",
                           output, input);
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
            status = error_set(err, ERROR_INPUT,
                               "%s: sweep would replace %s beside it, which "
                               "is %s (choose another output)",
                               output, name, input);
        free(name);
        if (status != 0)
            goto cleanup;
    }
cleanup:
    free(target);
    return status;
}

/* Rank 0 of an MPI job: send the other ranks what they need to train. */
static int start_ranks(sweep_state *state, cluster *job, sweep_error *err)
{
    if (protocol_coordinator_init(&state->coordinator, protocol_cluster_transport(job),
                                  &state->team, store_result, &state->writer,
                                  &state->writer.writer_error, err) != 0)
        return -1;
    state->writer.coordinator = &state->coordinator;
    state->team.talks = true;
    wire_settings settings = {state->requested, state->team.n_scheduled, state->cv,
                              state->raw.x_train != NULL, state->data.codes_train != NULL};
    /* Under cv the ranks get the rows the folds are built from. */
    const dataset *rows = state->raw.x_train != NULL ? &state->raw : &state->data;
    return protocol_start_ranks(&state->coordinator, &settings, rows, err);
}

/* The folds' data sets, built from the rows before standardization (each
 * fold is standardized with its own train rows), which are kept for the
 * other ranks of an MPI job to build the same folds from. A set that is
 * not standardized is its own raw rows, read once. */
static int load_folds(sweep_state *state, const sweep_config *config, sweep_error *err)
{
    const dataset_spec *spec = &config->dataset;
    if (!spec->standardize)
        return dataset_folds_build(&state->data, &state->cv, false, &state->folds, err);
    dataset_spec raw_spec = *spec;
    raw_spec.standardize = false;
    if (dataset_load(&raw_spec, &state->raw, err) != 0)
        return -1;
    return dataset_folds_build(&state->raw, &state->cv, true, &state->folds, err);
}

/* Step 1: expand the grid, load the data set, keep only the shard. */
static int prepare(sweep_state *state, const sweep_config *config, const sweep_options *options,
                   sweep_error *err)
{
    if (grid_expand(&config->model, config->grids, config->n_grids, config->n_runs, &state->runs,
                    &state->n_runs, err) != 0)
        return -1;
    state->n_points = state->n_runs;
    state->cv = config->cv;
    if (state->cv.n_splits > 0 &&
        grid_cross_folds(&state->cv, &state->runs, &state->n_runs, err) != 0)
        return -1;
    state->n_grid_runs = state->n_runs;
    if (dataset_load(&config->dataset, &state->data, err) != 0)
        return -1;
    if (state->cv.n_splits > 0 && load_folds(state, config, err) != 0) {
        if (err->kind != ERROR_INPUT)
            return -1;
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return error_set(err, ERROR_INPUT, "%s: %s", config->path, why);
    }
    /* scikit-learn accepts such folds with a warning; so does sweep */
    if (state->cv.n_splits > 0 && state->folds.smallest_class < state->cv.n_splits &&
        !options->quiet)
        fprintf(stderr,
                "sweep: warning: the least populated class has %d members, fewer than the %d "
                "folds: some folds hold none of it\n",
                state->folds.smallest_class, state->cv.n_splits);
    state->model = model_get(config->model.model);
    if (state->model->check_data(&state->data, err) != 0) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return error_set(err, ERROR_INPUT, "%s: %s", config->path, why);
    }
    if (state->model->reads_codes && state->cv.n_splits == 0)
        dataset_code_values(&state->data); /* once, for every run (folds code their own) */
    if (options->shard_count > 0) {
        if (select_shard(options, &state->data, state->runs, &state->n_runs, &state->members,
                         err) != 0)
            return -1;
        snprintf(state->shard, sizeof state->shard, "%d/%d", options->shard_index,
                 options->shard_count);
    }
    return 0;
}

static void print_dry_run(FILE *out, const sweep_state *state)
{
    size_t n_runs = state->n_runs;
    report_runs(out, state->runs, n_runs, state->members == NULL ? &state->cv : NULL);
    if (state->members != NULL) {
        /* The table counts the shard's runs from 0; their places in the grid: */
        fprintf(out, "shard %s: %zu of the grid's %zu runs:", state->shard, n_runs,
                state->n_grid_runs);
        for (size_t i = 0; i < n_runs && i < 20; i++)
            fprintf(out, "%s %zu", i > 0 ? "," : "", state->members[i]);
        fprintf(out, "%s\n", n_runs > 20 ? ", ..." : "");
    }
    const dataset *data = &state->data;
    fprintf(out, "data set %s: %d features, %d train, %d val, %d test rows\n", data->name,
            data->n_features, data->n_train, data->n_val, data->n_test);
    fprintf(out, "model %s, %d classes\n", state->model->name, data->n_classes);
    if (state->cv.n_splits > 0) {
        char described[96];
        folds_describe(&state->cv, described, sizeof described);
        fprintf(out, "cross-validation: %s, over the %d train and val rows\n", described,
                data->n_train + data->n_val);
    }
}

static int allocate_runs(sweep_state *state, sweep_error *err)
{
    size_t n_alloc = state->n_runs > 0 ? state->n_runs : 1;
    sweep_writer *writer = &state->writer;
    state->schedule = malloc(n_alloc * sizeof *state->schedule);
    state->pack_end = malloc(n_alloc * sizeof *state->pack_end);
    state->copy_from = malloc(n_alloc * sizeof *state->copy_from);
    writer->summaries = calloc(n_alloc, sizeof *writer->summaries);
    if (state->schedule == NULL || state->pack_end == NULL || state->copy_from == NULL ||
        writer->summaries == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for %zu runs", state->n_runs);
    for (size_t run = 0; run < state->n_runs; run++)
        state->copy_from[run] = -1;
    return 0;
}

/* Continue into the existing file: keep its finished runs. */
static int resume_results(sweep_state *state, const results_meta *meta,
                          const sweep_options *options, sweep_outcome *outcome, sweep_error *err)
{
    const char *output = state->output;
    size_t n_runs = state->n_runs;
    if (results_read_index(output, &state->index, err) != 0 ||
        resume_check_origin(output, &state->index, &state->data, state->model->name,
                            state->checksum, state->shard, err) != 0 ||
        resume_check_cv(output, &state->index, &state->cv, err) != 0)
        return -1;
    if (resume_match(output, &state->index, state->runs, n_runs, options->retry_failed,
                     state->copy_from, &outcome->n_kept, err) != 0)
        return -1;
    if (!options->quiet)
        fprintf(stderr, "sweep: resuming %s: %zu of %zu runs kept, %zu to train\n", output,
                outcome->n_kept, n_runs, n_runs - outcome->n_kept);
    /* Kept rather than trained again: the runs are whole but for curves the
     * earlier version did not record. */
    if (!options->quiet && !state->index.has_accuracy && outcome->n_kept > 0)
        fprintf(stderr,
                "sweep: %s was made by an earlier version without accuracy curves: its %zu kept "
                "runs have NaN train_acc and val_acc (--overwrite trains them again)\n",
                output, outcome->n_kept);
    return results_create_resumed(output, meta, state->runs, n_runs, state->copy_from,
                                  &state->writer.writer, err);
}

/* Step 2: lock the output, create the results file or resume it, and order
 * the runs left to train. */
static int open_results(sweep_state *state, const sweep_config *config,
                        const sweep_options *options, sweep_outcome *outcome, sweep_error *err)
{
    state->requested = options->threads >= 0 ? options->threads : config->threads;
    state->output = options->output != NULL ? options->output : config->output;
    char started[32], host[256] = "unknown";
    format_utc_now(started, sizeof started);
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    const dataset *data = &state->data;
    results_meta meta = {
        .config_text = config->text,
        .config_path = config->path,
        .overrides = config->overrides,
        .effective_config = config->effective,
        .version = SWEEP_VERSION,
        .start_time_utc = started,
        .host = host,
        .threads = sweep_worker_count(state->requested, state->n_runs),
        .dataset_name = data->name,
        .n_train = data->n_train,
        .n_val = data->n_val,
        .n_test = data->n_test,
        .n_features = data->n_features,
        .data_checksum = state->checksum,
        .model = state->model->name,
        .n_classes = data->n_classes,
        .class_names = (const char *const *)data->class_names,
        .ranks = cluster_size(options->job),
        .shard = state->shard,
        .run_numbers = state->members,
        .grid_runs = state->n_grid_runs,
        .cv = state->cv,
    };
    if (allocate_runs(state, err) != 0)
        return -1;
    /* From here on this process is the only writer of `output`. */
    if (refuse_input_as_output(config, state->output, err) != 0 ||
        output_lock_acquire(state->output, &state->lock, err) != 0)
        return -1;
    struct stat existing;
    state->resuming = options->resume && stat(state->output, &existing) == 0;
    if (state->resuming) {
        /* the file's runs are kept only if they were trained on these rows */
        dataset_checksum(&state->data, state->checksum);
        if (resume_results(state, &meta, options, outcome, err) != 0)
            return -1;
    } else if (results_create_later(state->output, options->overwrite, &meta, state->runs,
                                    state->n_runs, &state->writer.writer, err) != 0) {
        return -1;
    } else {
        /* The path is checked; building the file (its layout written, put
         * on disk, with the data's fingerprint) is thread 0's first step. */
        state->writer.build_pending = true;
        state->writer.data = &state->data;
    }
    if (schedule_order(state->runs, state->n_runs, state->copy_from, data, state->schedule,
                       &state->team.n_scheduled, err) != 0)
        return -1;
    /* runs that can train side by side become consecutive packs */
    return schedule_packs(state->runs, data, simd_best(), state->schedule, state->team.n_scheduled,
                          state->pack_end, err);
}

/* How many runs ended which way, trained now or kept from the file. */
static void count_outcome(const sweep_state *state, const sweep_options *options,
                          sweep_outcome *outcome)
{
    const sweep_writer *writer = &state->writer;
    outcome->n_failed = writer->n_failed;
    outcome->n_done = writer->n_written - writer->n_failed;
    for (size_t run = 0; run < state->n_runs; run++)
        if (state->copy_from[run] >= 0 && writer->summaries[run].status == RUN_FAILED)
            outcome->n_failed++;
        else if (state->copy_from[run] >= 0)
            outcome->n_done++;
    outcome->n_pending = state->n_runs - outcome->n_done - outcome->n_failed;
    if (options->interrupt != NULL && *options->interrupt != 0)
        outcome->interrupted = (int)*options->interrupt;
    else if (state->distributed && state->coordinator.remote_signal != 0)
        outcome->interrupted = state->coordinator.remote_signal;
}

/* Step 3: train every scheduled run (and, on rank 0 of an MPI job, have the
 * other ranks train their share). */
static int run_sweep(sweep_state *state, const sweep_options *options, sweep_outcome *outcome,
                     sweep_error *err)
{
    sweep_team *team = &state->team;
    team->runs = state->runs;
    team->schedule = state->schedule;
    team->pack_end = state->pack_end;
    team->n_runs = state->n_runs;
    team->data = &state->data;
    team->folds = state->cv.n_splits > 0 ? &state->folds : NULL;
    team->interrupt = options->interrupt;
    state->writer.team = team;
    if (state->resuming)
        keep_runs(&state->writer, &state->index, state->copy_from, state->n_runs);
    /* Once the other ranks have started, the team runs in any case: they
     * wait for its STOP. */
    if (state->distributed && start_ranks(state, options->job, err) != 0)
        return -1;
    progress_start(&state->writer.progress, stderr, team->n_scheduled, options->quiet);

    double started_seconds = clock_seconds();
    if (team->n_scheduled > 0 || state->distributed)
        team_run(team, sweep_worker_count(state->requested, team->n_scheduled), coordinate,
                 &state->writer);
    outcome->seconds = clock_seconds() - started_seconds;
    if (state->writer.build_pending && build_results(&state->writer, err) != 0)
        return -1; /* no team ran (nothing to train): the file is built here */
    progress_finish(&state->writer.progress);
    count_outcome(state, options, outcome);
    return 0;
}

/* Step 4: report the first error, or close the file and print the
 * summary. */
static int conclude(sweep_state *state, FILE *out, const sweep_outcome *outcome, sweep_error *err)
{
    sweep_writer *writer = &state->writer;
    sweep_error worker_error = team_worker_error(&state->team);
    if (writer->writer_error.kind != ERROR_NONE) {
        *err = writer->writer_error;
        return -1;
    }
    if (worker_error.kind != ERROR_NONE) {
        *err = worker_error;
        return -1;
    }
    results_writer *results = writer->writer;
    writer->writer = NULL;
    /* Compressed once every run is in; an interrupted file stays in the
     * form that runs are written into, ready for --resume. */
    if (results_close(results, outcome->n_pending == 0, err) != 0)
        return -1;
    return report_summary(out, state->runs, writer->summaries, state->n_runs, err);
}

static void sweep_state_free(sweep_state *state)
{
    sweep_writer *writer = &state->writer;
    if (writer->writer != NULL) {
        /* Keep what was written; the first error is the one reported. */
        sweep_error ignored;
        results_close(writer->writer, false, &ignored);
    }
    output_lock_release(state->lock);
    team_destroy(&state->team);
    protocol_coordinator_free(&state->coordinator);
    free(writer->summaries);
    free(state->schedule);
    free(state->pack_end);
    free(state->copy_from);
    free(state->members);
    free(state->runs);
    results_index_free(&state->index);
    dataset_folds_free(&state->folds);
    dataset_free(&state->raw);
    dataset_free(&state->data);
}

int sweep_execute(const sweep_config *config, const sweep_options *options, FILE *out,
                  sweep_outcome *outcome, sweep_error *err)
{
    int rc = -1;
    sweep_state state = {0};
    team_init(&state.team);
    state.distributed = cluster_size(options->job) > 1 && cluster_rank(options->job) == 0;
    memset(outcome, 0, sizeof *outcome);

    if (prepare(&state, config, options, err) != 0)
        goto cleanup;
    outcome->n_runs = state.n_runs;
    if (options->dry_run) {
        print_dry_run(out, &state);
        rc = 0;
        goto cleanup;
    }
    if (open_results(&state, config, options, outcome, err) != 0 ||
        run_sweep(&state, options, outcome, err) != 0 || conclude(&state, out, outcome, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    sweep_state_free(&state);
    return rc;
}

/* ---- the other ranks -------------------------------------------------------- */

int sweep_serve(cluster *job, const volatile sig_atomic_t *interrupt, int *exit_status,
                sweep_error *err)
{
    return protocol_serve(protocol_cluster_transport(job), interrupt, exit_status, err);
}

int sweep_conclude(cluster *job, int exit_status, sweep_error *err)
{
    /* A job whose ranks no longer talk is ended by cluster_end instead. */
    if (cluster_size(job) < 2 || cluster_rank(job) != 0 || cluster_failed(job))
        return 0;
    return protocol_conclude(protocol_cluster_transport(job), exit_status, err);
}
