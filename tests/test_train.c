/* test_train.c: whole training runs against the textbook's numpy code.
 *
 * The references are loss curves and accuracies printed by numpy 1.24:
 * tests/data/book_bs32.csv and book_bs128.csv (the book's two runs) and the
 * textbook_*.csv files made by scripts/textbook_numpy.py (commands in
 * tests/data/README.md). Losses may differ from numpy's by the rounding of
 * its BLAS dot products and pairwise sums, so curves are compared with an
 * ABSOLUTE tolerance of 1e-9 at every epoch (the observed differences are
 * ~1e-15); accuracies are counts over rows and must be EXACTLY equal.
 *
 * The fast path (vectorized kernels, every instruction set the CPU supports)
 * must also equal the plain scalar code of tests/reference_train.c BIT FOR
 * BIT on a grid of runs (test_fast_equals_reference).
 *
 * The data is read here from data/wdbc.csv with a small parser of our own,
 * not through the dataset module, and standardized with the train rows'
 * mean and population standard deviation, summed in row order like numpy's
 * column reductions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "train.h"

#include "reference_train.c"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif
#ifndef SOURCE_DIR
#define SOURCE_DIR "."
#endif

enum { WDBC_FEATURES = 30, WDBC_ROWS = 569, MAX_EPOCHS = 1000 };

static const double CURVE_TOLERANCE = 1e-9; /* absolute, at every epoch */

/* ---- the data set, read once for all tests ---- */

typedef struct {
    double x[WDBC_ROWS][WDBC_FEATURES];
    double y[WDBC_ROWS];
    int n;
} split_rows;

static void fill_split(dataset *data, const split_rows *rows, int which)
{
    double *x = rows->n > 0 ? malloc((size_t)rows->n * WDBC_FEATURES * sizeof(double)) : NULL;
    double *y = rows->n > 0 ? malloc((size_t)rows->n * sizeof(double)) : NULL;
    assert_true(rows->n == 0 || (x != NULL && y != NULL));
    for (int r = 0; r < rows->n; r++) {
        memcpy(x + (size_t)r * WDBC_FEATURES, rows->x[r], sizeof rows->x[r]);
        y[r] = rows->y[r];
    }
    if (which == 0) {
        data->n_train = rows->n, data->x_train = x, data->y_train = y;
    } else if (which == 1) {
        data->n_val = rows->n, data->x_val = x, data->y_val = y;
    } else {
        data->n_test = rows->n, data->x_test = x, data->y_test = y;
    }
}

/* Standardize every split with the train rows' mean and std (ddof 0). */
static void standardize(dataset *data)
{
    const int n = data->n_train;
    for (int f = 0; f < WDBC_FEATURES; f++) {
        double sum = 0.0;
        for (int r = 0; r < n; r++)
            sum += data->x_train[(size_t)r * WDBC_FEATURES + f];
        double mean = sum / n;
        double squares = 0.0;
        for (int r = 0; r < n; r++) {
            double centered = data->x_train[(size_t)r * WDBC_FEATURES + f] - mean;
            squares += centered * centered;
        }
        double std = sqrt(squares / n);
        double *xs[3] = {data->x_train, data->x_val, data->x_test};
        int ns[3] = {data->n_train, data->n_val, data->n_test};
        for (int s = 0; s < 3; s++)
            for (int r = 0; r < ns[s]; r++)
                xs[s][(size_t)r * WDBC_FEATURES + f] =
                    (xs[s][(size_t)r * WDBC_FEATURES + f] - mean) / std;
    }
}

/* data/wdbc.csv: a header, then 30 features, target, split (train/val/test). */
static int load_wdbc(void **state)
{
    const char *path = SOURCE_DIR "/data/wdbc.csv";
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    static split_rows splits[3];
    static char line[8192];
    if (fgets(line, sizeof line, file) == NULL) { /* header */
        fclose(file);
        return -1;
    }
    while (fgets(line, sizeof line, file) != NULL) {
        double values[WDBC_FEATURES + 1];
        char *cursor = line;
        for (int c = 0; c < WDBC_FEATURES + 1; c++) {
            char *end;
            values[c] = strtod(cursor, &end);
            if (end == cursor || *end != ',') {
                fclose(file);
                fprintf(stderr, "%s: bad line: %s", path, line);
                return -1;
            }
            cursor = end + 1;
        }
        int which = strncmp(cursor, "train", 5) == 0 ? 0 : strncmp(cursor, "val", 3) == 0 ? 1 : 2;
        split_rows *rows = &splits[which];
        memcpy(rows->x[rows->n], values, sizeof rows->x[rows->n]);
        rows->y[rows->n] = values[WDBC_FEATURES];
        rows->n++;
    }
    fclose(file);

    dataset *data = calloc(1, sizeof *data);
    if (data == NULL)
        return -1;
    data->name = "wdbc (test copy)";
    data->n_features = WDBC_FEATURES;
    for (int s = 0; s < 3; s++)
        fill_split(data, &splits[s], s);
    if (data->n_train != 364 || data->n_val != 91 || data->n_test != 114) {
        fprintf(stderr, "unexpected split sizes %d/%d/%d\n", data->n_train, data->n_val,
                data->n_test);
        return -1;
    }
    standardize(data);
    *state = data;
    return 0;
}

static int free_wdbc(void **state)
{
    dataset *data = *state;
    free(data->x_train), free(data->y_train);
    free(data->x_val), free(data->y_val);
    free(data->x_test), free(data->y_test);
    free(data);
    return 0;
}

/* ---- reference curves ---- */

typedef struct {
    int n_epochs;
    double train_loss[MAX_EPOCHS];
    double val_loss[MAX_EPOCHS];
    double train_score, val_score, test_score; /* NaN when the file has none */
} reference_run;

/* Read "epoch,train_loss,val_loss" rows and "# name value" score lines. */
static void read_reference(const char *file_name, reference_run *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, file_name);
    FILE *file = fopen(path, "r");
    if (file == NULL)
        fail_msg("cannot open %s", path);
    out->n_epochs = 0;
    out->train_score = out->val_score = out->test_score = NAN;
    char line[512];
    while (fgets(line, sizeof line, file) != NULL) {
        char name[64];
        double value;
        int epoch;
        if (line[0] == '#') {
            if (sscanf(line, "# %63s %lf", name, &value) == 2) {
                if (strcmp(name, "train_score") == 0)
                    out->train_score = value;
                else if (strcmp(name, "val_score") == 0)
                    out->val_score = value;
                else if (strcmp(name, "test_score") == 0)
                    out->test_score = value;
            }
            continue;
        }
        if (strncmp(line, "epoch,", 6) == 0)
            continue;
        char *end;
        epoch = (int)strtol(line, &end, 10);
        assert_int_equal(epoch, out->n_epochs);
        assert_true(epoch < MAX_EPOCHS);
        out->train_loss[epoch] = strtod(end + 1, &end);
        out->val_loss[epoch] = strtod(end + 1, &end);
        out->n_epochs++;
    }
    fclose(file);
    assert_true(out->n_epochs > 0);
}

static train_params textbook_params(int batch_size, double l1, double l2, int units, int epochs)
{
    train_params params = params_defaults(); /* learning rate 0.1, seed 42 */
    params.batch_size = batch_size;
    params.l1 = l1;
    params.l2 = l2;
    params.units = units;
    params.epochs = epochs;
    return params;
}

/* Train with a fresh workspace; the run must succeed (return 0). */
static void run(const dataset *data, const train_params *params, run_result *result)
{
    sweep_error err;
    error_clear(&err);
    assert_int_equal(run_result_init(result, params->epochs, &err), 0);
    train_workspace *workspace = train_workspace_new();
    assert_non_null(workspace);
    int status = train_run(workspace, data, params, result, &err);
    if (status != 0)
        fail_msg("train_run failed: %s", err.message);
    train_workspace_delete(workspace);
}

/* Tolerance CURVE_TOLERANCE (absolute) at every epoch against `reference`;
 * prints the largest differences. */
static void check_curves(const run_result *result, const reference_run *reference,
                         const char *label)
{
    assert_int_equal(result->status, RUN_DONE);
    assert_int_equal(result->epochs_done, reference->n_epochs);
    double max_train = 0.0, max_val = 0.0;
    for (int e = 0; e < reference->n_epochs; e++) {
        double train_diff = fabs(result->train_loss[e] - reference->train_loss[e]);
        double val_diff = fabs(result->val_loss[e] - reference->val_loss[e]);
        /* written so that a NaN difference counts as too large */
        if (!(train_diff <= max_train))
            max_train = train_diff;
        if (!(val_diff <= max_val))
            max_val = val_diff;
    }
    printf("%s: %d epochs, max |train_loss - numpy| = %.3g, max |val_loss - numpy| = %.3g "
           "(tolerance %g)\n",
           label, reference->n_epochs, max_train, max_val, CURVE_TOLERANCE);
    assert_true(max_train <= CURVE_TOLERANCE);
    assert_true(max_val <= CURVE_TOLERANCE);
}

/* Exact: the accuracies are ratios of counts, so they must be the very same
 * doubles as numpy's. */
static void check_scores(const run_result *result, const reference_run *reference,
                         const char *label)
{
    printf("%s: scores train %.17g val %.17g test %.17g (numpy %.17g %.17g %.17g)\n", label,
           result->train_score, result->val_score, result->test_score, reference->train_score,
           reference->val_score, reference->test_score);
    assert_true(result->train_score == reference->train_score);
    assert_true(result->val_score == reference->val_score);
    assert_true(result->test_score == reference->test_score);
}

/* Run `params` and compare with the numpy output in `file_name`: curves within
 * CURVE_TOLERANCE, scores exactly (when the file has them). The result is left
 * in *result for further checks; the caller frees it. */
static void check_against(const dataset *data, const train_params *params, const char *file_name,
                          run_result *result)
{
    static reference_run reference;
    read_reference(file_name, &reference);
    assert_int_equal(reference.n_epochs, params->epochs);
    run(data, params, result);
    check_curves(result, &reference, file_name);
    if (!isnan(reference.train_score))
        check_scores(result, &reference, file_name);
}

static int same_doubles(const double *a, const double *b, int n)
{
    return memcmp(a, b, (size_t)n * sizeof(double)) == 0;
}

/* ---- tests ---- */

/* The book's first run: l2 0.01, batch 32, 500 epochs. Curves within 1e-9 of
 * book_bs32.csv; val accuracy exactly 89/91, train exactly 361/364. */
static void test_book_batch32(void **state)
{
    const dataset *data = *state;
    train_params params = textbook_params(32, 0.0, 0.01, 10, 500);
    run_result result;
    check_against(data, &params, "book_bs32.csv", &result);
    printf("book_bs32.csv: scores train %.17g val %.17g\n", result.train_score, result.val_score);
    assert_true(result.val_score == 0.978021978021978);
    assert_true(result.train_score == 0.9917582417582418);
    run_result_free(&result);
}

/* The book's second run: batch 128. Curves within 1e-9 of book_bs128.csv;
 * val accuracy exactly 89/91, train exactly 358/364. */
static void test_book_batch128(void **state)
{
    const dataset *data = *state;
    train_params params = textbook_params(128, 0.0, 0.01, 10, 500);
    run_result result;
    check_against(data, &params, "book_bs128.csv", &result);
    printf("book_bs128.csv: scores train %.17g val %.17g\n", result.train_score, result.val_score);
    assert_true(result.val_score == 0.978021978021978);
    assert_true(result.train_score == 0.9835164835164835);
    run_result_free(&result);
}

/* L1 (with its sign() gradient) against numpy, batch 128, 100 epochs: 1e-9. */
static void test_l1_batch128(void **state)
{
    train_params params = textbook_params(128, 0.001, 0.0, 10, 100);
    run_result result;
    check_against(*state, &params, "textbook_l1_bs128.csv", &result);
    run_result_free(&result);
}

/* Full batch: batch_size 364 and 1000 (> n_train, the whole train set, as
 * numpy's slicing does) both match numpy's 364 within 1e-9, and each other
 * bitwise. */
static void test_full_batch(void **state)
{
    const dataset *data = *state;
    train_params params = textbook_params(364, 0.001, 0.0, 10, 100);
    run_result exact, larger;
    check_against(data, &params, "textbook_l1_full_batch.csv", &exact);
    params.batch_size = 1000;
    run(data, &params, &larger);
    assert_true(same_doubles(exact.train_loss, larger.train_loss, 100));
    assert_true(same_doubles(exact.val_loss, larger.val_loss, 100));
    run_result_free(&exact);
    run_result_free(&larger);
}

/* Plain SGD, one row per batch, 3 epochs (1092 updates): 1e-9 against numpy. */
static void test_batch1(void **state)
{
    train_params params = textbook_params(1, 0.0, 0.01, 10, 3);
    run_result result;
    check_against(*state, &params, "textbook_bs1.csv", &result);
    run_result_free(&result);
}

/* 7 hidden units, batches of 3 (last batch 1 row), L1 and L2: 1e-9. */
static void test_units7_batch3(void **state)
{
    train_params params = textbook_params(3, 0.001, 0.01, 7, 10);
    run_result result;
    check_against(*state, &params, "textbook_units7_bs3.csv", &result);
    run_result_free(&result);
}

/* Learning rate 1e6 with l2 0.01: the weights overflow. numpy's first
 * non-finite loss is at epoch 4 (0-based) (textbook_diverge.csv); the run must
 * stop there as RUN_FAILED, return 0 (not a program error), keep the finite
 * epochs (relative tolerance 1e-9: the losses are ~1e62 and up), NaN the
 * rest and the scores. */
static void test_divergence(void **state)
{
    const dataset *data = *state;
    static reference_run reference;
    read_reference("textbook_diverge.csv", &reference);
    int first_bad = 0;
    while (first_bad < reference.n_epochs && isfinite(reference.train_loss[first_bad]) &&
           isfinite(reference.val_loss[first_bad]))
        first_bad++;
    assert_int_equal(first_bad, 4);

    train_params params = textbook_params(32, 0.0, 0.01, 10, 30);
    params.learning_rate = 1e6;
    run_result result;
    run(data, &params, &result);
    printf("diverging run: status %d, epochs_done %d, failure \"%s\"\n", result.status,
           result.epochs_done, result.failure);
    assert_int_equal(result.status, RUN_FAILED);
    assert_int_equal(result.epochs_done, first_bad);
    assert_string_equal(result.failure, "train loss became inf at epoch 4 (0-based)");
    double max_relative = 0.0;
    for (int e = 0; e < first_bad; e++) {
        double train_rel = fabs(result.train_loss[e] / reference.train_loss[e] - 1.0);
        double val_rel = fabs(result.val_loss[e] / reference.val_loss[e] - 1.0);
        if (!(train_rel <= max_relative))
            max_relative = train_rel;
        if (!(val_rel <= max_relative))
            max_relative = val_rel;
    }
    printf("diverging run: max relative difference of the finite epochs %.3g (tolerance 1e-9)\n",
           max_relative);
    assert_true(max_relative <= 1e-9);
    for (int e = first_bad; e < params.epochs; e++) {
        assert_true(isnan(result.train_loss[e]));
        assert_true(isnan(result.val_loss[e]));
    }
    assert_true(isnan(result.train_score));
    assert_true(isnan(result.val_score));
    assert_true(isnan(result.test_score));
    run_result_free(&result);
}

/* Bitwise: the same parameters give the same curves, also when the workspace
 * has been grown and used by runs of other shapes in between. */
static void test_determinism_and_workspace_reuse(void **state)
{
    const dataset *data = *state;
    sweep_error err;
    error_clear(&err);
    train_params shapes[4] = {
        textbook_params(32, 0.001, 0.01, 10, 20),
        textbook_params(3, 0.0, 0.01, 7, 20),
        textbook_params(128, 0.001, 0.0, 25, 20),
        textbook_params(1, 0.0, 0.0, 1, 20),
    };
    run_result first[4], again[4];
    train_workspace *workspace = train_workspace_new();
    assert_non_null(workspace);
    for (int pass = 0; pass < 2; pass++) {
        run_result *results = pass == 0 ? first : again;
        for (int i = 0; i < 4; i++) {
            /* the second pass runs the shapes in reverse order */
            int k = pass == 0 ? i : 3 - i;
            assert_int_equal(run_result_init(&results[k], shapes[k].epochs, &err), 0);
            assert_int_equal(train_run(workspace, data, &shapes[k], &results[k], &err), 0);
            assert_int_equal(results[k].status, RUN_DONE);
        }
    }
    train_workspace_delete(workspace);

    /* and a fresh workspace agrees too */
    run_result fresh;
    run(data, &shapes[0], &fresh);
    assert_true(same_doubles(fresh.train_loss, first[0].train_loss, 20));
    assert_true(same_doubles(fresh.val_loss, first[0].val_loss, 20));
    run_result_free(&fresh);

    /* the shapes are different runs, so the comparisons above are not vacuous */
    assert_false(same_doubles(first[0].train_loss, first[1].train_loss, 20));

    for (int k = 0; k < 4; k++) {
        assert_true(same_doubles(first[k].train_loss, again[k].train_loss, 20));
        assert_true(same_doubles(first[k].val_loss, again[k].val_loss, 20));
        assert_true(first[k].train_score == again[k].train_score);
        assert_true(first[k].val_score == again[k].val_score);
        assert_true(first[k].test_score == again[k].test_score);
        run_result_free(&first[k]);
        run_result_free(&again[k]);
    }
}

/* Without test rows the test score is NaN and nothing else changes
 * (bitwise equal to the run with test rows). */
static void test_without_test_rows(void **state)
{
    const dataset *data = *state;
    dataset no_test = *data;
    no_test.n_test = 0;
    no_test.x_test = NULL;
    no_test.y_test = NULL;
    train_params params = textbook_params(32, 0.0, 0.01, 10, 5);
    run_result with, without;
    run(data, &params, &with);
    run(&no_test, &params, &without);
    assert_true(isfinite(with.test_score));
    assert_true(isnan(without.test_score));
    assert_true(same_doubles(with.train_loss, without.train_loss, 5));
    assert_true(same_doubles(with.val_loss, without.val_loss, 5));
    assert_true(with.train_score == without.train_score);
    assert_true(with.val_score == without.val_score);
    run_result_free(&with);
    run_result_free(&without);
}

/* A result sized for fewer epochs than the run is a caller error: -1 with a
 * message, nothing written. */
static void test_result_too_small(void **state)
{
    const dataset *data = *state;
    sweep_error err;
    error_clear(&err);
    run_result result;
    assert_int_equal(run_result_init(&result, 5, &err), 0);
    train_params params = textbook_params(32, 0.0, 0.0, 10, 10);
    train_workspace *workspace = train_workspace_new();
    assert_non_null(workspace);
    assert_int_equal(train_run(workspace, data, &params, &result, &err), -1);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    assert_string_equal(err.message, "train_run: result holds 5 epochs, the run needs 10");
    assert_int_equal(result.status, RUN_PENDING);
    assert_true(isnan(result.train_loss[0]));
    train_workspace_delete(workspace);
    run_result_free(&result);
}

/* After a cancel (a signal handler's flag), a run goes on for the grace
 * period and is then abandoned: pending, no curves. A run of 10^6 epochs
 * would take about a minute of CPU. The grace is wall-clock time, so the
 * wall time is at least the grace; the upper bound is on this thread's CPU
 * time, which a loaded machine does not stretch (it only stretches the wall
 * time): at most the grace plus 3 s of slack, far below the full run's. A
 * short run cancelled at its start still finishes within the grace and is
 * kept, equal to an uncancelled one. */
static double seconds_between(struct timespec start, struct timespec end)
{
    return (double)(end.tv_sec - start.tv_sec) + 1e-9 * (double)(end.tv_nsec - start.tv_nsec);
}

static void test_cancel_abandons_a_long_run(void **state)
{
    const dataset *data = *state;
    sweep_error err;
    error_clear(&err);
    volatile sig_atomic_t cancel = 1;
    train_workspace *workspace = train_workspace_new();
    assert_non_null(workspace);
    train_workspace_set_cancel(workspace, &cancel);

    run_result result;
    train_params params = textbook_params(364, 0.0, 0.01, 10, 1000000);
    assert_int_equal(run_result_init(&result, params.epochs, &err), 0);
    struct timespec start, end, cpu_start, cpu_end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start);
    assert_int_equal(train_run(workspace, data, &params, &result, &err), 0);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_end);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = seconds_between(start, end);
    double cpu_seconds = seconds_between(cpu_start, cpu_end);
    print_message("cancelled 10^6-epoch run stopped after %.2f s (%.2f s of CPU; grace %.1f s)\n",
                  seconds, cpu_seconds, TRAIN_CANCEL_GRACE_SECONDS);
    assert_true(seconds >= TRAIN_CANCEL_GRACE_SECONDS);
    assert_true(cpu_seconds < TRAIN_CANCEL_GRACE_SECONDS + 3.0);
    assert_int_equal(result.status, RUN_PENDING);
    assert_int_equal(result.epochs_done, 0);
    assert_true(isnan(result.train_loss[0]));
    run_result_free(&result);

    params = textbook_params(32, 0.0, 0.01, 10, 5);
    run_result kept, plain;
    assert_int_equal(run_result_init(&kept, params.epochs, &err), 0);
    assert_int_equal(train_run(workspace, data, &params, &kept, &err), 0);
    assert_int_equal(kept.status, RUN_DONE);
    train_workspace_set_cancel(workspace, NULL);
    run(data, &params, &plain);
    assert_true(same_doubles(kept.train_loss, plain.train_loss, 5));
    run_result_free(&kept);
    run_result_free(&plain);
    train_workspace_delete(workspace);
}

/* ---- fast path == plain reference path, bit for bit ---- */

/* Bitwise (memcmp; a NaN entry equals only the same NaN bits): curves,
 * scores, status and epochs done. Prints the first difference. */
static int same_run(const run_result *fast, const run_result *reference, int epochs,
                    const char *label)
{
    int same = fast->status == reference->status && fast->epochs_done == reference->epochs_done &&
               same_doubles(fast->train_loss, reference->train_loss, epochs) &&
               same_doubles(fast->val_loss, reference->val_loss, epochs) &&
               same_doubles(&fast->train_score, &reference->train_score, 1) &&
               same_doubles(&fast->val_score, &reference->val_score, 1) &&
               same_doubles(&fast->test_score, &reference->test_score, 1);
    if (!same) {
        printf("  DIFFERENT: %s (status %d/%d, epochs %d/%d)\n", label, fast->status,
               reference->status, fast->epochs_done, reference->epochs_done);
        for (int e = 0; e < epochs; e++)
            if (!same_doubles(&fast->train_loss[e], &reference->train_loss[e], 1) ||
                !same_doubles(&fast->val_loss[e], &reference->val_loss[e], 1)) {
                printf("    epoch %d: train %a vs %a, val %a vs %a\n", e, fast->train_loss[e],
                       reference->train_loss[e], fast->val_loss[e], reference->val_loss[e]);
                break;
            }
    }
    return same;
}

/* Run `params` through train_run at every supported instruction set and
 * through reference_train_run; count the runs that differ in any bit. */
static int count_differences(const dataset *data, const train_params *params, const char *label)
{
    sweep_error err;
    error_clear(&err);
    run_result reference;
    assert_int_equal(run_result_init(&reference, params->epochs, &err), 0);
    assert_int_equal(reference_train_run(data, params, &reference), 0);
    int differences = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        train_workspace *workspace = train_workspace_new_for((simd_isa)isa);
        assert_non_null(workspace);
        run_result fast;
        assert_int_equal(run_result_init(&fast, params->epochs, &err), 0);
        assert_int_equal(train_run(workspace, data, params, &fast, &err), 0);
        char full_label[200];
        snprintf(full_label, sizeof full_label, "%s [%s]", label, simd_name((simd_isa)isa));
        if (!same_run(&fast, &reference, params->epochs, full_label))
            differences++;
        run_result_free(&fast);
        train_workspace_delete(workspace);
    }
    run_result_free(&reference);
    return differences;
}

/* Tolerance: none. The grid: batch sizes 1, 2, 3, 8, 32, 364 and 1000 (more
 * than the train rows) x units 1, 7, 10, 13 (odd counts leave padding lanes)
 * x {L2 only, L1 only, both, neither} with seeds 42, 0 and 12345 in turn,
 * 30 epochs each; every run at every supported instruction set must equal
 * the plain reference in every bit of both curves and the three scores. */
static void test_fast_equals_reference(void **state)
{
    const dataset *data = *state;
    static const int batch_sizes[] = {1, 2, 3, 8, 32, 364, 1000};
    static const int unit_counts[] = {1, 7, 10, 13};
    static const double penalties[][2] = {{0.0, 0.01}, {0.001, 0.0}, {0.001, 0.01}, {0.0, 0.0}};
    static const uint32_t seeds[] = {42, 0, 12345};
    int runs = 0, differences = 0, turn = 0;
    for (size_t b = 0; b < sizeof batch_sizes / sizeof batch_sizes[0]; b++)
        for (size_t u = 0; u < sizeof unit_counts / sizeof unit_counts[0]; u++)
            for (size_t p = 0; p < sizeof penalties / sizeof penalties[0]; p++) {
                train_params params = textbook_params(batch_sizes[b], penalties[p][0],
                                                      penalties[p][1], unit_counts[u], 30);
                params.seed = seeds[turn++ % 3];
                char label[160];
                snprintf(label, sizeof label, "batch %d units %d l1 %g l2 %g seed %u",
                         params.batch_size, params.units, params.l1, params.l2, params.seed);
                differences += count_differences(data, &params, label);
                runs++;
            }
    printf("fast path vs plain reference: %d parameter sets x every supported level, %d "
           "differ (tolerance: none)\n",
           runs, differences);
    assert_int_equal(differences, 0);
}

/* Tolerance: none. Runs that leave the usual ranges: learning rates 5 and
 * 50 (saturated sigmoids, clipped outputs), 1e6 (overflow to inf and NaN:
 * the run must fail at the same epoch), and 40 hidden units (several
 * blocks of unit vectors). */
static void test_fast_equals_reference_extremes(void **state)
{
    const dataset *data = *state;
    const double learning_rates[] = {5.0, 50.0, 1e6};
    int differences = 0;
    for (int i = 0; i < 3; i++)
        for (int batch_size = 1; batch_size <= 64; batch_size *= 8) {
            train_params params = textbook_params(batch_size, 0.001, 0.01, 10, 20);
            params.learning_rate = learning_rates[i];
            char label[120];
            snprintf(label, sizeof label, "learning rate %g batch %d", params.learning_rate,
                     batch_size);
            differences += count_differences(data, &params, label);
        }
    train_params wide = textbook_params(16, 0.001, 0.01, 40, 20);
    differences += count_differences(data, &wide, "40 units");
    printf("extreme runs: %d differ (tolerance: none)\n", differences);
    assert_int_equal(differences, 0);
}

/* Tolerance: none. Targets other than 0 and 1 (soft labels): the kernels
 * then take two logs per row like the plain code; still bit for bit. */
static void test_fast_equals_reference_soft_labels(void **state)
{
    const dataset *data = *state;
    dataset soft = *data;
    double *y_train = malloc((size_t)data->n_train * sizeof(double));
    double *y_val = malloc((size_t)data->n_val * sizeof(double));
    assert_non_null(y_train);
    assert_non_null(y_val);
    for (int r = 0; r < data->n_train; r++)
        y_train[r] = data->y_train[r] == 1.0 ? 0.9 : (r % 7 == 0 ? 0.5 : 0.1);
    for (int r = 0; r < data->n_val; r++)
        y_val[r] = data->y_val[r] == 1.0 ? 0.75 : 0.25;
    soft.y_train = y_train;
    soft.y_val = y_val;
    int differences = 0;
    for (int batch_size = 1; batch_size <= 400; batch_size *= 20) {
        train_params params = textbook_params(batch_size, 0.0, 0.01, 10, 15);
        differences += count_differences(&soft, &params, "soft labels");
    }
    printf("soft labels: %d differ (tolerance: none)\n", differences);
    assert_int_equal(differences, 0);
    free(y_train);
    free(y_val);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_book_batch32),
        cmocka_unit_test(test_book_batch128),
        cmocka_unit_test(test_l1_batch128),
        cmocka_unit_test(test_full_batch),
        cmocka_unit_test(test_batch1),
        cmocka_unit_test(test_units7_batch3),
        cmocka_unit_test(test_divergence),
        cmocka_unit_test(test_determinism_and_workspace_reuse),
        cmocka_unit_test(test_without_test_rows),
        cmocka_unit_test(test_result_too_small),
        cmocka_unit_test(test_cancel_abandons_a_long_run),
        cmocka_unit_test(test_fast_equals_reference),
        cmocka_unit_test(test_fast_equals_reference_extremes),
        cmocka_unit_test(test_fast_equals_reference_soft_labels),
    };
    return cmocka_run_group_tests(tests, load_wdbc, free_wdbc);
}
