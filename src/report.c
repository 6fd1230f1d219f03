#include "report.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "grid.h"

void progress_start(progress *state, FILE *stream, size_t n_runs, bool quiet)
{
    state->stream = stream;
    state->quiet = quiet;
    state->is_terminal = isatty(fileno(stream)) != 0;
    state->n_runs = n_runs;
    state->start_seconds = clock_seconds();
    state->last_print = state->start_seconds;
    state->last_width = 0;
    state->last_finished = 0;
    state->last_tenth = 0;
}

/* "1h02m", "3m05s", "12.3s": short enough for one terminal line. */
static void format_duration(double seconds, char *text, size_t size)
{
    if (!isfinite(seconds) || seconds < 0) {
        snprintf(text, size, "?");
    } else if (seconds < 60) {
        snprintf(text, size, "%.1fs", seconds);
    } else if (seconds < 3600) {
        long whole = (long)seconds;
        snprintf(text, size, "%ldm%02lds", whole / 60, whole % 60);
    } else {
        long whole = (long)seconds;
        snprintf(text, size, "%ldh%02ldm", whole / 3600, whole % 3600 / 60);
    }
}

void progress_update(progress *state, size_t n_finished, size_t n_failed)
{
    if (state->quiet)
        return;
    double now = clock_seconds();
    bool last = n_finished >= state->n_runs;
    double since_print = now - state->last_print;
    if (state->is_terminal) {
        /* Redraw a few times a second; the clock moves even when no run ends. */
        if (!last && since_print < 0.2)
            return;
        if (last && state->last_finished == n_finished && state->last_width > 0)
            return;
    } else {
        /* A log gets a line per tenth of the runs, the last run, and a
         * heartbeat every 30 s of silence; never the same line twice. */
        size_t tenth = state->n_runs > 0 ? n_finished * 10 / state->n_runs : 10;
        bool news = n_finished != state->last_finished;
        bool due = (news && (tenth > state->last_tenth || last)) || since_print >= 30;
        if (!due)
            return;
        state->last_tenth = tenth;
    }
    state->last_finished = n_finished;
    state->last_print = now;

    double elapsed = now - state->start_seconds;
    double rate = elapsed > 0 ? (double)n_finished / elapsed : 0;
    double eta = rate > 0 ? (double)(state->n_runs - n_finished) / rate : NAN;
    char elapsed_text[32], eta_text[32], failed_text[48] = "";
    format_duration(elapsed, elapsed_text, sizeof elapsed_text);
    format_duration(last ? 0 : eta, eta_text, sizeof eta_text);
    if (n_failed > 0)
        snprintf(failed_text, sizeof failed_text, ", %zu failed", n_failed);
    char line[256];
    int width = snprintf(line, sizeof line,
                         "sweep: %zu/%zu runs (%.0f%%%s), %.1f runs/s, elapsed %s, ETA %s",
                         n_finished, state->n_runs,
                         state->n_runs ? 100.0 * (double)n_finished / (double)state->n_runs : 100.0,
                         failed_text, rate, elapsed_text, eta_text);
    if (state->is_terminal) {
        /* Pad with spaces so a shorter line wipes the end of a longer one. */
        int pad = state->last_width > width ? state->last_width - width : 0;
        fprintf(state->stream, "\r%s%*s", line, pad, "");
        state->last_width = width;
    } else {
        fprintf(state->stream, "%s\n", line);
    }
    fflush(state->stream);
}

void progress_finish(progress *state)
{
    if (!state->quiet && state->is_terminal && state->last_width > 0)
        fputc('\n', state->stream);
    state->last_width = 0;
}

/* A parameter's value in a table cell: integers plainly, reals shortest. */
static void format_param(char *text, size_t size, param_id id, double value)
{
    if (PARAM_INFO[id].is_integer)
        snprintf(text, size, "%.0f", value);
    else
        snprintf(text, size, "%g", value);
}

/* "60 runs" or "60 runs (12 grid points x 3 repeats x 5 folds)". */
static void print_run_count(FILE *out, size_t n_runs, const fold_settings *cv)
{
    fprintf(out, "%zu run%s", n_runs, n_runs == 1 ? "" : "s");
    size_t per_point = cv != NULL && cv->n_splits > 0 ? (size_t)cv->n_splits * cv->n_repeats : 0;
    if (per_point > 0 && n_runs % per_point == 0) {
        size_t points = n_runs / per_point;
        fprintf(out, " (%zu grid point%s", points, points == 1 ? "" : "s");
        if (cv->n_repeats > 1)
            fprintf(out, " x %d repeats", cv->n_repeats);
        fprintf(out, " x %d folds)", cv->n_splits);
    }
    fputc('\n', out);
}

void report_runs(FILE *out, const train_params *runs, size_t n_runs, const fold_settings *cv)
{
    bool folds = false;
    for (size_t run = 0; run < n_runs && !folds; run++)
        folds = runs[run].fold != PARAMS_NO_FOLD;
    fprintf(out, "%6s", "run");
    for (int id = 0; id < PARAM_COUNT; id++)
        fprintf(out, " %13s", PARAM_INFO[id].name);
    if (folds)
        fprintf(out, " %6s %4s", "repeat", "fold");
    fputc('\n', out);
    for (size_t run = 0; run < n_runs; run++) {
        fprintf(out, "%6zu", run);
        for (int id = 0; id < PARAM_COUNT; id++) {
            char cell[32];
            format_param(cell, sizeof cell, (param_id)id, params_get(&runs[run], (param_id)id));
            fprintf(out, " %13s", cell);
        }
        if (folds)
            fprintf(out, " %6d %4d", runs[run].repeat, runs[run].fold);
        fputc('\n', out);
    }
    print_run_count(out, n_runs, cv);
}

/* One grid point of the summary: the runs that differ only in their seed. */
typedef struct {
    size_t first_run; /* a run of the group, for its parameter values */
    size_t n_done;    /* runs averaged */
    size_t n_failed;  /* runs whose loss became NaN or inf (status 2) */
    size_t n_pending; /* runs not trained yet (status 0) */
    double val_sum, val_sum_sq, test_sum, loss_sum;
    double val_mean, val_std, val_half_width, test_mean, loss_mean;
} summary_group;

/* The t density's integral from 0 to x (Simpson's rule, in log space for
 * the constant); the density is smooth, so 4096 steps give ~1e-12. */
static double t_integral(double x, double df)
{
    enum { STEPS = 4096 };
    double log_scale =
        lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * 3.14159265358979323846);
    double h = x / STEPS, sum = 0;
    for (int i = 0; i <= STEPS; i++) {
        double u = i * h;
        double density = exp(log_scale - (df + 1) / 2 * log1p(u * u / df));
        sum += density * (i == 0 || i == STEPS ? 1 : i % 2 == 1 ? 4 : 2);
    }
    return sum * h / 3;
}

double report_t_975(int df)
{
    if (df < 1)
        return NAN;
    /* The last one asked, since a summary's points mostly share n. */
    static _Thread_local int cached_df = 0;
    static _Thread_local double cached = NAN;
    if (df == cached_df)
        return cached;
    /* The quantile is in (1.95, 12.8) for every df: bisect the CDF there. */
    double low = 1.9, high = 12.8;
    for (int i = 0; i < 60; i++) {
        double middle = (low + high) / 2;
        if (t_integral(middle, df) < 0.475)
            low = middle;
        else
            high = middle;
    }
    cached_df = df;
    cached = (low + high) / 2;
    return cached;
}

static bool same_point(const train_params *a, const train_params *b)
{
    for (int id = 0; id < PARAM_COUNT; id++)
        if (id != PARAM_SEED && params_get(a, (param_id)id) != params_get(b, (param_id)id))
            return false;
    return true;
}

/* Runs (as pointers into one array) by every parameter but the seed, then
 * by position: the runs of a grid point end up next to each other. */
static int compare_points(const void *left, const void *right)
{
    const train_params *a = *(const train_params *const *)left;
    const train_params *b = *(const train_params *const *)right;
    for (int id = 0; id < PARAM_COUNT; id++) {
        if (id == PARAM_SEED)
            continue;
        double x = params_get(a, (param_id)id), y = params_get(b, (param_id)id);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return a < b ? -1 : (a > b);
}

/* Number the grid points in order of first appearance: group_of_run[run],
 * groups[g].first_run; returns the number of points. Equal points are found
 * by sorting, O(n log n) whatever the order of the grid's keys: a search
 * among the points seen so far cost O(n x points) when the seed was not
 * the fastest key (4 s after 80,000 runs of 8,000 points, minutes at a
 * million runs). `sorted` and `group_of_key` are scratch of n_runs. */
static size_t group_runs(const train_params *runs, size_t n_runs, const train_params **sorted,
                         size_t *group_of_key, size_t *group_of_run, summary_group *groups)
{
    for (size_t run = 0; run < n_runs; run++)
        sorted[run] = &runs[run];
    qsort(sorted, n_runs, sizeof *sorted, compare_points);
    size_t key = 0; /* the point's rank in sorted order */
    for (size_t i = 0; i < n_runs; i++) {
        if (i > 0 && !same_point(sorted[i], sorted[i - 1]))
            key++;
        group_of_run[sorted[i] - runs] = key;
        group_of_key[key] = SIZE_MAX;
    }
    size_t n_groups = 0;
    for (size_t run = 0; run < n_runs; run++) {
        size_t *group = &group_of_key[group_of_run[run]];
        if (*group == SIZE_MAX) {
            *group = n_groups;
            groups[n_groups++].first_run = run;
        }
        group_of_run[run] = *group;
    }
    return n_groups;
}

/* The splits of a cross-validated sweep: K folds x R repeats (0 x 0 without
 * cv, when every run's fold is PARAMS_NO_FOLD). */
typedef struct {
    int folds, repeats;
} split_shape;

static split_shape find_splits(const train_params *runs, size_t n_runs)
{
    split_shape shape = {0, 0};
    for (size_t run = 0; run < n_runs; run++) {
        if (runs[run].fold < 0 || runs[run].repeat < 0)
            continue;
        if (runs[run].fold >= shape.folds)
            shape.folds = runs[run].fold + 1;
        if (runs[run].repeat >= shape.repeats)
            shape.repeats = runs[run].repeat + 1;
    }
    return shape;
}

/* Under cv the runs of one split share their val rows, and the splits share
 * most of their train rows, so the runs are not independent draws: the
 * interval goes over the split means (each split's runs averaged first)
 * with Nadeau and Bengio's (2003) corrected resampled t: variance x
 * (1/J + n_val/n_train), n_val/n_train = 1/(K-1), t with J-1 degrees of
 * freedom; scripts/sweep_stats.py's split_interval computes the same.
 * split_sum/split_count: the point's sums and counts of done runs per split. */
static void corrected_split_interval(const double *split_sum, const size_t *split_count,
                                     split_shape shape, summary_group *point)
{
    const size_t n_splits = (size_t)shape.folds * (size_t)shape.repeats;
    double total = 0.0, total_sq = 0.0;
    size_t used = 0;
    for (size_t j = 0; j < n_splits; j++) {
        if (split_count[j] == 0)
            continue;
        double mean = split_sum[j] / (double)split_count[j];
        total += mean;
        total_sq += mean * mean;
        used++;
    }
    const double n = (double)used;
    point->val_half_width = NAN;
    if (used < 2 || shape.folds < 2)
        return;
    point->val_mean = total / n;
    double variance = (total_sq - n * point->val_mean * point->val_mean) / (n - 1);
    variance = variance > 0 ? variance : 0;
    point->val_half_width =
        report_t_975((int)used - 1) * sqrt(variance * (1.0 / n + 1.0 / (double)(shape.folds - 1)));
}

/* The corrected interval of every point (groups[g]); -1 when out of memory. */
static int correct_for_splits(const train_params *runs, const run_summary *summaries, size_t n_runs,
                              const size_t *group_of_run, summary_group *groups, size_t n_groups,
                              split_shape shape, sweep_error *err)
{
    const size_t n_splits = (size_t)shape.folds * (size_t)shape.repeats;
    double *split_sum = calloc(n_groups * n_splits, sizeof *split_sum);
    size_t *split_count = calloc(n_groups * n_splits, sizeof *split_count);
    int rc = -1;
    if (split_sum == NULL || split_count == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory for the summary of %zu splits", n_splits);
        goto cleanup;
    }
    for (size_t run = 0; run < n_runs; run++) {
        if (summaries[run].status != RUN_DONE || runs[run].fold < 0 || runs[run].repeat < 0)
            continue;
        size_t j = group_of_run[run] * n_splits + (size_t)runs[run].repeat * (size_t)shape.folds +
                   (size_t)runs[run].fold;
        split_sum[j] += summaries[run].val_score;
        split_count[j]++;
    }
    for (size_t g = 0; g < n_groups; g++)
        corrected_split_interval(split_sum + g * n_splits, split_count + g * n_splits, shape,
                                 &groups[g]);
    rc = 0;
cleanup:
    free(split_sum);
    free(split_count);
    return rc;
}

/* Counts, then mean and sample std over the done runs of each point, summed
 * in run order. */
static void summarize_groups(const run_summary *summaries, size_t n_runs,
                             const size_t *group_of_run, summary_group *groups, size_t n_groups)
{
    for (size_t run = 0; run < n_runs; run++) {
        summary_group *point = &groups[group_of_run[run]];
        const run_summary *summary = &summaries[run];
        if (summary->status == RUN_DONE) {
            point->n_done++;
            point->val_sum += summary->val_score;
            point->val_sum_sq += summary->val_score * summary->val_score;
            point->test_sum += summary->test_score;
            point->loss_sum += summary->final_val_loss;
        } else if (summary->status == RUN_FAILED) {
            point->n_failed++;
        } else {
            point->n_pending++;
        }
    }
    for (size_t g = 0; g < n_groups; g++) {
        summary_group *point = &groups[g];
        double n = (double)point->n_done;
        point->val_mean = n > 0 ? point->val_sum / n : NAN;
        point->test_mean = n > 0 ? point->test_sum / n : NAN;
        point->loss_mean = n > 0 ? point->loss_sum / n : NAN;
        double variance =
            n > 1 ? (point->val_sum_sq - n * point->val_mean * point->val_mean) / (n - 1) : NAN;
        point->val_std = isnan(variance) ? NAN : sqrt(variance > 0 ? variance : 0);
        point->val_half_width =
            n > 1 ? report_t_975((int)point->n_done - 1) * point->val_std / sqrt(n) : NAN;
    }
}

static int compare_groups(const void *left, const void *right)
{
    const summary_group *a = left, *b = right;
    /* Groups with no finished run sink to the bottom. */
    if ((a->n_done == 0) != (b->n_done == 0))
        return a->n_done == 0 ? 1 : -1;
    if (a->val_mean != b->val_mean)
        return a->val_mean > b->val_mean ? -1 : 1;
    if (a->loss_mean != b->loss_mean)
        return a->loss_mean < b->loss_mean ? -1 : 1;
    return a->first_run < b->first_run ? -1 : (a->first_run > b->first_run);
}

/* Which optional columns the table has. */
typedef struct {
    bool swept[PARAM_COUNT]; /* a column per swept parameter but the seed */
    bool any_test, any_failed, any_pending;
} summary_columns;

static void choose_columns(const train_params *runs, const run_summary *summaries, size_t n_runs,
                           summary_columns *columns)
{
    grid_swept(runs, n_runs, columns->swept);
    columns->any_test = columns->any_failed = columns->any_pending = false;
    for (size_t run = 0; run < n_runs; run++) {
        const run_summary *summary = &summaries[run];
        columns->any_test = columns->any_test ||
                            (summary->status == RUN_DONE && !isnan(summary->test_score));
        columns->any_failed = columns->any_failed || summary->status == RUN_FAILED;
        columns->any_pending = columns->any_pending || summary->status == RUN_PENDING;
    }
}

static void print_header(FILE *out, const summary_columns *columns)
{
    for (int id = 0; id < PARAM_COUNT; id++)
        if (columns->swept[id] && id != PARAM_SEED)
            fprintf(out, "%13s ", PARAM_INFO[id].name);
    /* Each count has its own named column (failed and pending only when
     * there are such runs), so the table needs no legend. `done` is the n
     * each mean and interval rests on. */
    fprintf(out, "%5s%s%s%-26s%s%12s\n", "done", columns->any_failed ? "  failed" : "",
            columns->any_pending ? "  pending" : "", "  val_acc [95% CI]",
            columns->any_test ? "   test_acc" : "", "val_loss");
}

static void print_group(FILE *out, const summary_columns *columns, const train_params *point_run,
                        const summary_group *point)
{
    for (int id = 0; id < PARAM_COUNT; id++) {
        if (!columns->swept[id] || id == PARAM_SEED)
            continue;
        char cell[32];
        format_param(cell, sizeof cell, (param_id)id, params_get(point_run, (param_id)id));
        fprintf(out, "%13s ", cell);
    }
    fprintf(out, "%5zu", point->n_done);
    if (columns->any_failed)
        fprintf(out, " %7zu", point->n_failed);
    if (columns->any_pending)
        fprintf(out, " %8zu", point->n_pending);
    char interval[40] = "";
    if (!isnan(point->val_half_width))
        snprintf(interval, sizeof interval, " [%.4f, %.4f]",
                 point->val_mean - point->val_half_width, point->val_mean + point->val_half_width);
    fprintf(out, " %8.4f%-17s", point->val_mean, interval);
    if (columns->any_test)
        fprintf(out, " %10.4f", point->test_mean);
    fprintf(out, " %11.4f\n", point->loss_mean);
}

void report_summary_prepare(const train_params *runs, size_t n_runs)
{
    if (n_runs == 0)
        return;
    const split_shape shape = find_splits(runs, n_runs);
    size_t n_samples = 0;
    if (shape.folds > 0) {
        n_samples = (size_t)shape.folds * (size_t)shape.repeats;
    } else {
        for (size_t run = 0; run < n_runs; run++)
            n_samples += same_point(&runs[run], &runs[0]);
    }
    /* About 5 ms of exp and log1p per quantile: a long pause after a sweep
     * of short runs, spent here while the workers train instead. */
    if (n_samples > 1 && n_samples - 1 <= INT_MAX)
        report_t_975((int)(n_samples - 1));
}

int report_summary(FILE *out, const train_params *runs, const run_summary *summaries, size_t n_runs,
                   sweep_error *err)
{
    int rc = -1;
    size_t n_alloc = n_runs > 0 ? n_runs : 1;
    summary_group *groups = calloc(n_alloc, sizeof *groups);
    size_t *group_of_run = malloc(n_alloc * sizeof *group_of_run);
    size_t *group_of_key = malloc(n_alloc * sizeof *group_of_key);
    const train_params **sorted = malloc(n_alloc * sizeof *sorted);
    if (groups == NULL || group_of_run == NULL || group_of_key == NULL || sorted == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory for the summary of %zu runs", n_runs);
        goto cleanup;
    }
    size_t n_groups = group_runs(runs, n_runs, sorted, group_of_key, group_of_run, groups);
    summarize_groups(summaries, n_runs, group_of_run, groups, n_groups);
    const split_shape shape = find_splits(runs, n_runs);
    if (shape.folds > 0 && correct_for_splits(runs, summaries, n_runs, group_of_run, groups,
                                              n_groups, shape, err) != 0)
        goto cleanup;
    qsort(groups, n_groups, sizeof *groups, compare_groups);

    summary_columns columns;
    choose_columns(runs, summaries, n_runs, &columns);
    print_header(out, &columns);
    for (size_t g = 0; g < n_groups; g++)
        print_group(out, &columns, &runs[groups[g].first_run], &groups[g]);
    rc = 0;
cleanup:
    free(groups);
    free(group_of_run);
    free(group_of_key);
    free(sorted);
    return rc;
}
