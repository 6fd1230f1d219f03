/* test_multiclass.c: the chapter 7-1 MultiClassNetwork (src/multiclass.c,
 * src/model_multiclass.c) against the textbook's numpy code and against its
 * own scalar reference.
 *
 * - numpy: tests/data/multiclass_*.csv, made by scripts/textbook_numpy.py
 *   --model multiclass on the small sets of tests/data/multiclass/ (commands
 *   in tests/data/README.md). Curves within an ABSOLUTE 1e-9 at every epoch
 *   (numpy's BLAS and pairwise sums round differently, by ~1e-15);
 *   accuracies, being counts over rows, EXACTLY.
 * - the fast path (vector kernels that skip zero inputs, every instruction
 *   set the CPU has, one or two threads) equals tests/reference_multiclass.c
 *   (dense scalar loops) BIT FOR BIT.
 *
 * The CSVs are read by a small parser of our own, not the dataset module:
 * their features are already what the network trains on.
 */
/* mmap's MAP_ANONYMOUS is not POSIX 2008 (the build's level): for the
 * guard page of test_lists_at_end_of_x */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model.h"
#include "multiclass.h"
#include "value_codes.h"
#include "train.h"

#include "reference_multiclass.c"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

static const double CURVE_TOLERANCE = 1e-9; /* absolute, at every epoch */

enum { MAX_LINE = 1 << 16, MAX_EPOCHS = 200 };

#include "dataset.h"

/* ---- the data sets: features..., target, split ---- */

static void append_row(double **x, double **y, int *n, const double *values, int d, double target)
{
    *x = realloc(*x, (size_t)(*n + 1) * (size_t)d * sizeof(double));
    *y = realloc(*y, (size_t)(*n + 1) * sizeof(double));
    assert_non_null(*x);
    assert_non_null(*y);
    memcpy(*x + (size_t)*n * (size_t)d, values, (size_t)d * sizeof(double));
    (*y)[*n] = target;
    (*n)++;
}

static void load_set(const char *file_name, dataset *data)
{
    char path[512];
    snprintf(path, sizeof path, "%s/multiclass/%s", TEST_DATA_DIR, file_name);
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    static char line[MAX_LINE];
    assert_non_null(fgets(line, sizeof line, file));
    int columns = 1;
    for (const char *c = line; *c != '\0'; c++)
        columns += *c == ',';
    const int d = columns - 2;
    memset(data, 0, sizeof *data);
    data->name = strdup(file_name);
    data->n_features = d;
    double *values = malloc((size_t)d * sizeof(double));
    while (fgets(line, sizeof line, file) != NULL) {
        char *cursor = line;
        for (int f = 0; f < d; f++)
            values[f] = strtod(cursor, &cursor), cursor++;
        double target = strtod(cursor, &cursor);
        cursor++;
        if (target + 1 > data->n_classes)
            data->n_classes = (int)target + 1;
        if (strncmp(cursor, "train", 5) == 0)
            append_row(&data->x_train, &data->y_train, &data->n_train, values, d, target);
        else if (strncmp(cursor, "val", 3) == 0)
            append_row(&data->x_val, &data->y_val, &data->n_val, values, d, target);
        else
            append_row(&data->x_test, &data->y_test, &data->n_test, values, d, target);
    }
    free(values);
    fclose(file);
}

static void free_set(dataset *data)
{
    free(data->name);
    free(data->x_train), free(data->y_train);
    free(data->x_val), free(data->y_val);
    free(data->x_test), free(data->y_test);
}

typedef struct {
    dataset iris, wine, digits;
} sets;

static int setup(void **state)
{
    sets *all = calloc(1, sizeof(sets));
    load_set("iris.csv", &all->iris);
    load_set("wine.csv", &all->wine);
    load_set("digits.csv", &all->digits);
    *state = all;
    return 0;
}

static int teardown(void **state)
{
    sets *all = *state;
    free_set(&all->iris);
    free_set(&all->wine);
    free_set(&all->digits);
    free(all);
    return 0;
}

static train_params mc_params(int batch_size, double lr, double l1, double l2, int units,
                              int epochs, uint32_t seed)
{
    train_params params = params_defaults();
    params.model = MODEL_MULTICLASS;
    params.batch_size = batch_size;
    params.learning_rate = lr;
    params.l1 = l1;
    params.l2 = l2;
    params.units = units;
    params.epochs = epochs;
    params.seed = seed;
    return params;
}

static void run_on(train_workspace *workspace, const dataset *data, const train_params *params,
                   run_result *result)
{
    sweep_error err = {0};
    assert_int_equal(run_result_init(result, params->epochs, &err), 0);
    if (train_run(workspace, data, params, result, &err) != 0)
        fail_msg("train_run: %s", err.message);
}

static void run(const dataset *data, const train_params *params, run_result *result)
{
    train_workspace *workspace = train_workspace_new();
    assert_non_null(workspace);
    run_on(workspace, data, params, result);
    train_workspace_delete(workspace);
}

/* ---- numpy ---- */

typedef struct {
    int n_epochs;
    double train_loss[MAX_EPOCHS], val_loss[MAX_EPOCHS];
    double train_score, val_score, test_score;
} numpy_curves;

static void read_numpy(const char *file_name, numpy_curves *out)
{
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, file_name);
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    out->n_epochs = 0;
    out->train_score = out->val_score = out->test_score = NAN;
    while (fgets(line, sizeof line, file) != NULL) {
        int epoch;
        double train, val, score;
        if (sscanf(line, "%d,%lf,%lf", &epoch, &train, &val) == 3) {
            assert_int_equal(epoch, out->n_epochs);
            assert_true(epoch < MAX_EPOCHS);
            out->train_loss[epoch] = train;
            out->val_loss[epoch] = val;
            out->n_epochs++;
        } else if (sscanf(line, "# train_score %lf", &score) == 1) {
            out->train_score = score;
        } else if (sscanf(line, "# val_score %lf", &score) == 1) {
            out->val_score = score;
        } else if (sscanf(line, "# test_score %lf", &score) == 1) {
            out->test_score = score;
        }
    }
    fclose(file);
}

/* Train `params` and compare with numpy's `file_name`. */
static void check_numpy(const dataset *data, const train_params *params, const char *file_name)
{
    static numpy_curves numpy;
    read_numpy(file_name, &numpy);
    assert_int_equal(numpy.n_epochs, params->epochs);
    run_result result;
    run(data, params, &result);
    assert_int_equal(result.status, RUN_DONE);
    double worst = 0.0;
    for (int e = 0; e < params->epochs; e++) {
        double dt = fabs(result.train_loss[e] - numpy.train_loss[e]);
        double dv = fabs(result.val_loss[e] - numpy.val_loss[e]);
        worst = fmax(worst, fmax(dt, dv));
        if (!(dt <= CURVE_TOLERANCE && dv <= CURVE_TOLERANCE))
            fail_msg("%s epoch %d: train %.17g vs %.17g, val %.17g vs %.17g", file_name, e,
                     result.train_loss[e], numpy.train_loss[e], result.val_loss[e],
                     numpy.val_loss[e]);
    }
    printf("%s: worst difference %.3g; scores train %.17g val %.17g test %.17g\n", file_name, worst,
           result.train_score, result.val_score, result.test_score);
    if (isnan(numpy.val_score)) { /* the book's run: its printed val accuracy */
        assert_true(result.val_score == 0.8150833333333334);
    } else {
        assert_true(result.train_score == numpy.train_score);
        assert_true(result.val_score == numpy.val_score);
        assert_true(result.test_score == numpy.test_score);
    }
    run_result_free(&result);
}

static void test_iris_batch16(void **state)
{
    sets *all = *state;
    train_params params = mc_params(16, 0.1, 0.0, 0.0, 10, 100, 42);
    check_numpy(&all->iris, &params, "multiclass_iris_bs16.csv");
}

static void test_iris_sgd_l2(void **state)
{
    sets *all = *state;
    train_params params = mc_params(1, 0.1, 0.0, 0.01, 10, 20, 7);
    check_numpy(&all->iris, &params, "multiclass_iris_bs1_l2.csv");
}

static void test_iris_full_batch_l1(void **state)
{
    sets *all = *state;
    train_params params = mc_params(200, 0.1, 0.001, 0.0, 10, 100, 3);
    check_numpy(&all->iris, &params, "multiclass_iris_full_l1.csv");
}

static void test_wine_l1_l2(void **state)
{
    sets *all = *state;
    train_params params = mc_params(32, 0.1, 0.001, 0.01, 7, 50, 0);
    check_numpy(&all->wine, &params, "multiclass_wine_units7_bs32.csv");
}

static void test_digits_l2(void **state)
{
    sets *all = *state;
    train_params params = mc_params(64, 0.1, 0.0, 0.001, 20, 20, 42);
    check_numpy(&all->digits, &params, "multiclass_digits_bs64_l2.csv");
}

static void test_digits_odd_batch(void **state)
{
    sets *all = *state;
    train_params params = mc_params(100, 0.5, 0.0, 0.0, 13, 10, 5);
    check_numpy(&all->digits, &params, "multiclass_digits_bs100.csv");
}

/* ---- the fast path against the scalar reference, bit for bit ---- */

static int same_doubles(const double *a, const double *b, int n)
{
    return memcmp(a, b, (size_t)n * sizeof(double)) == 0;
}

static void check_same_as_reference(const run_result *fast, const refmc_result *reference,
                                    const train_params *params, const char *label)
{
    if (fast->epochs_done != reference->epochs_done ||
        !same_doubles(fast->train_loss, reference->train_loss, params->epochs) ||
        !same_doubles(fast->val_loss, reference->val_loss, params->epochs))
        fail_msg("%s: curves differ from the reference (epochs %d vs %d)", label, fast->epochs_done,
                 reference->epochs_done);
    if (!same_doubles(&fast->train_score, &reference->train_score, 1) ||
        !same_doubles(&fast->val_score, &reference->val_score, 1) ||
        !same_doubles(&fast->test_score, &reference->test_score, 1))
        fail_msg("%s: scores differ from the reference", label);
}

/* The run of `params` on `data` on every instruction set this CPU has,
 * each the reference's bits (failures named `what` [isa]); returns how
 * many instruction sets ran. */
static int check_every_isa(const dataset *data, const train_params *params,
                           const refmc_result *reference, const char *what)
{
    int compared = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        train_workspace *workspace = train_workspace_new_for((simd_isa)isa);
        assert_non_null(workspace);
        run_result fast;
        run_on(workspace, data, params, &fast);
        char label[160];
        snprintf(label, sizeof label, "%s [%s]", what, simd_name((simd_isa)isa));
        check_same_as_reference(&fast, reference, params, label);
        compared++;
        run_result_free(&fast);
        train_workspace_delete(workspace);
    }
    return compared;
}

/* Shapes that exercise the kernels' blocks and tails: units below, at and
 * above the lanes and blocks, classes 3 and 10, batch sizes 1, odd (a row
 * left over from the pairs), power of two, full, over one block of rows;
 * L1 and L2. */
static train_params fast_cases(int i, const sets *all, const dataset **data)
{
    static const struct {
        int set, batch, units, epochs;
        double lr, l1, l2;
    } cases[] = {
        {0, 1, 3, 3, 0.1, 0.0, 0.0},       {0, 7, 10, 10, 0.1, 0.001, 0.01},
        {0, 96, 33, 10, 0.3, 0.0, 0.02},   {1, 16, 5, 10, 0.1, 0.01, 0.0},
        {1, 500, 40, 10, 0.1, 0.0, 0.0},   {2, 64, 20, 2, 0.1, 0.0, 0.001},
        {2, 37, 100, 1, 0.1, 0.001, 0.01}, {2, 256, 1, 2, 0.5, 0.0, 0.0},
        {2, 601, 20, 2, 0.1, 0.0, 0.001}, /* 300 pairs in blocks of 128, 128, 44, and one row */
    };
    const dataset *by_set[] = {&all->iris, &all->wine, &all->digits};
    *data = by_set[cases[i].set];
    return mc_params(cases[i].batch, cases[i].lr, cases[i].l1, cases[i].l2, cases[i].units,
                     cases[i].epochs, (uint32_t)(i * 11 + 1));
}
enum { FAST_CASES = 9 };

static void test_fast_equals_reference(void **state)
{
    const sets *all = *state;
    int levels = 0;
    for (int c = 0; c < FAST_CASES; c++) {
        const dataset *data;
        train_params params = fast_cases(c, all, &data);
        refmc_result reference;
        refmc_run(data, &params, &reference);
        char what[96];
        snprintf(what, sizeof what, "case %d on %s", c, data->name);
        const int ran = check_every_isa(data, &params, &reference, what);
        if (c == 0)
            levels = ran;
        refmc_result_free(&reference);
    }
    printf("fast path == reference on %d instruction set(s)\n", levels);
    assert_true(levels >= 1);
}

/* A made-up sparse set wider than the kernels' chunks of features (150
 * features: three chunks of MULTICLASS_CHUNK = 48 and one of 6) and units
 * wider than one register block on every level: about two thirds of the
 * inputs are 0, whole rows and whole chunks of a row too, so the input
 * lists hold rows with nothing in a chunk (or nothing at all), chunks with
 * everything, rows nonzero only at the chunks' first and last features,
 * and the padding of the last chunk. */
enum { WIDE_FEATURES = 150, WIDE_CLASSES = 4 };
_Static_assert(WIDE_FEATURES > 2 * MULTICLASS_CHUNK && WIDE_FEATURES % MULTICLASS_CHUNK != 0,
               "the wide set has two whole chunks and ends in a partial one");

/* Whether input f of a row of kind `kind` is zero (`draw`: a random draw). */
static bool wide_zero(int kind, int f, uint32_t draw)
{
    switch (kind) {
    case 0: /* all zero */
        return true;
    case 1: /* the second chunk zero */
        return (f >= MULTICLASS_CHUNK && f < 2 * MULTICLASS_CHUNK) || draw % 3 != 0;
    case 2: /* all nonzero */
        return false;
    case 3: /* only the first and last feature of each chunk, and the last one */
        return !(f % MULTICLASS_CHUNK == 0 || f % MULTICLASS_CHUNK == MULTICLASS_CHUNK - 1 ||
                 f == WIDE_FEATURES - 1);
    default:
        return draw % 3 != 0;
    }
}

static void fill_wide_rows(double *x, double *y, int n, uint32_t *state)
{
    for (int r = 0; r < n; r++) {
        for (int f = 0; f < WIDE_FEATURES; f++) {
            *state = *state * 1664525u + 1013904223u;
            const double value = (double)(*state >> 8) / (double)(1u << 24) - 0.3;
            x[(size_t)r * WIDE_FEATURES + f] = wide_zero(r % 7, f, *state >> 4) ? 0.0 : value;
        }
        y[r] = (double)(r % WIDE_CLASSES);
    }
}

static void test_wide_sparse_equals_reference(void **state)
{
    (void)state;
    enum { N_TRAIN = 90, N_VAL = 31, N_TEST = 20 };
    static double x_train[N_TRAIN * WIDE_FEATURES], x_val[N_VAL * WIDE_FEATURES],
        x_test[N_TEST * WIDE_FEATURES], y_train[N_TRAIN], y_val[N_VAL], y_test[N_TEST];
    uint32_t seed = 12345u;
    fill_wide_rows(x_train, y_train, N_TRAIN, &seed);
    fill_wide_rows(x_val, y_val, N_VAL, &seed);
    fill_wide_rows(x_test, y_test, N_TEST, &seed);
    dataset data = {.name = "wide",
                    .n_features = WIDE_FEATURES,
                    .n_classes = WIDE_CLASSES,
                    .n_train = N_TRAIN,
                    .n_val = N_VAL,
                    .n_test = N_TEST,
                    .x_train = x_train,
                    .y_train = y_train,
                    .x_val = x_val,
                    .y_val = y_val,
                    .x_test = x_test,
                    .y_test = y_test};
    const train_params cases[] = {
        mc_params(16, 0.1, 0.0, 0.0, 130, 4, 3),   /* AVX-512: 17 vectors, blocks 9 + 8 */
        mc_params(7, 0.05, 0.001, 0.01, 45, 3, 8), /* AVX2: 12 vectors, one full block */
        mc_params(90, 0.2, 0.0, 0.001, 1, 5, 1),   /* one unit; one batch of all rows */
    };
    int compared = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        refmc_result reference;
        refmc_run(&data, &cases[c], &reference);
        char what[32];
        snprintf(what, sizeof what, "wide case %zu", c);
        compared += check_every_isa(&data, &cases[c], &reference, what);
        refmc_result_free(&reference);
    }
    assert_true(compared >= 3);
}

/* The wide set's inputs rounded to a palette of 97 values (-0.0 among
 * them), so that they fit one table of codes: coded by the data set
 * (dataset_code_values, as a sweep does) or by each run (a set without
 * codes), every instruction set gives the reference's bits. */
static void test_coded_set_equals_reference(void **state)
{
    (void)state;
    enum { N_TRAIN = 90, N_VAL = 31 };
    static double x_train[N_TRAIN * WIDE_FEATURES], x_val[N_VAL * WIDE_FEATURES], y_train[N_TRAIN],
        y_val[N_VAL];
    uint32_t seed = 777u;
    fill_wide_rows(x_train, y_train, N_TRAIN, &seed);
    fill_wide_rows(x_val, y_val, N_VAL, &seed);
    for (int i = 0; i < N_TRAIN * WIDE_FEATURES; i++)
        x_train[i] = x_train[i] == 0.0 ? (i % 5 == 0 ? -0.0 : 0.0) : round(x_train[i] * 48) / 48;
    for (int i = 0; i < N_VAL * WIDE_FEATURES; i++)
        x_val[i] = round(x_val[i] * 48) / 48;
    dataset data = {.name = "palette",
                    .n_features = WIDE_FEATURES,
                    .n_classes = WIDE_CLASSES,
                    .n_train = N_TRAIN,
                    .n_val = N_VAL,
                    .x_train = x_train,
                    .y_train = y_train,
                    .x_val = x_val,
                    .y_val = y_val};
    const train_params params = mc_params(16, 0.1, 0.001, 0.01, 130, 3, 4);
    refmc_result reference;
    refmc_run(&data, &params, &reference);
    int compared = 0;
    for (int by_set = 0; by_set < 2; by_set++) {
        if (by_set) {
            dataset_code_values(&data);
            assert_non_null(data.codes_train);
        }
        compared +=
            check_every_isa(&data, &params, &reference,
                            by_set ? "palette, coded by the set" : "palette, coded by the run");
    }
    free(data.codes_train);
    free(data.codes_val);
    free(data.code_values);
    refmc_result_free(&reference);
    assert_true(compared >= 2);
}

/* A run that diverges stops at the same epoch as the reference, as failed. */
static void test_divergence(void **state)
{
    const sets *all = *state;
    train_params params = mc_params(16, 3.0, 0.0, 12.0, 10, 30, 42);
    refmc_result reference;
    refmc_run(&all->iris, &params, &reference);
    run_result fast;
    run(&all->iris, &params, &fast);
    assert_int_equal(fast.status, RUN_FAILED);
    assert_true(reference.epochs_done < params.epochs);
    check_same_as_reference(&fast, &reference, &params, "divergence");
    printf("diverged after %d epochs: %s\n", fast.epochs_done, fast.failure);
    run_result_free(&fast);
    refmc_result_free(&reference);
}

/* Runs trained two at a time on two threads give the bits of one thread. */
typedef struct {
    const sets *all;
    int first; /* cases first, first + 2, ... */
    run_result results[FAST_CASES];
} thread_job;

static void *train_cases(void *opaque)
{
    thread_job *job = opaque;
    train_workspace *workspace = train_workspace_new();
    for (int c = job->first; c < FAST_CASES; c += 2) {
        const dataset *data;
        train_params params = fast_cases(c, job->all, &data);
        sweep_error err = {0};
        run_result_init(&job->results[c], params.epochs, &err);
        train_run(workspace, data, &params, &job->results[c], &err);
    }
    train_workspace_delete(workspace);
    return NULL;
}

static void test_two_threads(void **state)
{
    const sets *all = *state;
    static thread_job jobs[2];
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) {
        jobs[t] = (thread_job){.all = all, .first = t};
        assert_int_equal(pthread_create(&threads[t], NULL, train_cases, &jobs[t]), 0);
    }
    for (int t = 0; t < 2; t++)
        pthread_join(threads[t], NULL);
    for (int c = 0; c < FAST_CASES; c++) {
        const dataset *data;
        train_params params = fast_cases(c, all, &data);
        run_result serial;
        run(data, &params, &serial);
        const run_result *threaded = &jobs[c % 2].results[c];
        assert_int_equal(threaded->epochs_done, serial.epochs_done);
        assert_true(same_doubles(threaded->train_loss, serial.train_loss, params.epochs));
        assert_true(same_doubles(threaded->val_loss, serial.val_loss, params.epochs));
        assert_true(same_doubles(&threaded->val_score, &serial.val_score, 1));
        run_result_free(&serial);
        run_result_free(&jobs[c % 2].results[c]);
    }
}

/* ---- zero inputs add nothing, whatever the weights and errors hold ---- */

/* The w1 gradient runs the rows of a batch in pairs, each over the features
 * where both rows, or only it, are nonzero; the forward sums walk each
 * row's own nonzero inputs. These check that a zero input adds NOTHING
 * once w1 (forward) or a row's e1 (w1 gradient) is not finite, as the
 * scalar reference has it: 0 * inf and 0 * NaN would be NaN. */
enum { TINY_FEATURES = 3, TINY_UNITS = 2, TINY_CLASSES = 2, TINY_ROWS = 2 };

typedef struct {
    multiclass_net net;
    multiclass_scratch scratch;
    void *memory[32];
    int n_memory;
    uint64_t masks[TINY_ROWS];
} tiny_model;

static double *tiny_doubles(tiny_model *model, size_t n)
{
    double *p = calloc(n > 0 ? n : 1, sizeof(double));
    assert_non_null(p);
    model->memory[model->n_memory++] = p;
    return p;
}

static int *tiny_ints(tiny_model *model, size_t n)
{
    int *p = calloc(n > 0 ? n : 1, sizeof(int));
    assert_non_null(p);
    model->memory[model->n_memory++] = p;
    return p;
}

static uint8_t *tiny_bytes(tiny_model *model, size_t n)
{
    return (uint8_t *)tiny_doubles(model, (n + sizeof(double) - 1) / sizeof(double));
}

/* A scratch for up to `capacity` rows, its arrays owned by the model (no
 * train masks: the caller sets them if it trains). */
static multiclass_scratch tiny_scratch(tiny_model *model, multiclass_sizes size, int capacity)
{
    return (multiclass_scratch){.capacity = capacity,
                                .a1 = tiny_doubles(model, size.a1),
                                .e1 = tiny_doubles(model, size.e1),
                                .z2 = tiny_doubles(model, size.z2),
                                .err = tiny_doubles(model, size.err),
                                .sum_w1 = tiny_doubles(model, size.sum_w1),
                                .sum_w2 = tiny_doubles(model, size.sum_w2),
                                .sum_b1 = tiny_doubles(model, size.sum_b1),
                                .row_start = tiny_ints(model, size.row_start),
                                .row_index = tiny_ints(model, size.row_index),
                                .row_value = tiny_doubles(model, size.row_value),
                                .input_start = tiny_ints(model, size.input_start),
                                .input_index = tiny_ints(model, size.input_index),
                                .input_value_a = tiny_doubles(model, size.input_value_a),
                                .input_value_b = tiny_doubles(model, size.input_value_b),
                                .row_code = tiny_bytes(model, size.row_code),
                                .input_code_a = tiny_bytes(model, size.input_code),
                                .input_code_b = tiny_bytes(model, size.input_code),
                                .mask_words = (int)size.mask_words,
                                .chunk_masks = (uint64_t *)tiny_doubles(model, size.chunk_masks)};
}

/* model's net (zeroed first) of the given shape, its weight arrays from the
 * model's own allocations; returns the array sizes for its scratch. */
static multiclass_sizes model_net_new(tiny_model *model, simd_isa isa, int n_features, int units,
                                      int classes, int capacity)
{
    memset(model, 0, sizeof *model);
    multiclass_sizes size = multiclass_array_sizes(isa, n_features, units, classes, capacity);
    model->net = (multiclass_net){.n_features = n_features,
                                  .units = units,
                                  .classes = classes,
                                  .stride = multiclass_stride(isa, units),
                                  .class_stride = multiclass_stride(isa, classes),
                                  .isa = isa,
                                  .w1 = tiny_doubles(model, size.w1),
                                  .b1 = tiny_doubles(model, size.b1),
                                  .w2 = tiny_doubles(model, size.w2),
                                  .w2t = tiny_doubles(model, size.w2t),
                                  .b2 = tiny_doubles(model, size.b2)};
    return size;
}

/* A net of 3 inputs, 2 units and 2 classes with every weight 0.5 and room
 * for 2 rows; the rows' masks from x. */
static void tiny_model_new(tiny_model *model, simd_isa isa, const double *x)
{
    multiclass_sizes size =
        model_net_new(model, isa, TINY_FEATURES, TINY_UNITS, TINY_CLASSES, TINY_ROWS);
    multiclass_net *net = &model->net;
    for (int f = 0; f < TINY_FEATURES; f++)
        for (int h = 0; h < TINY_UNITS; h++)
            net->w1[f * net->stride + h] = 0.5;
    for (int h = 0; h < TINY_UNITS; h++)
        for (int k = 0; k < TINY_CLASSES; k++) {
            net->w2[h * net->class_stride + k] = 0.5;
            net->w2t[k * net->stride + h] = 0.5;
        }
    multiclass_row_masks(x, TINY_FEATURES, TINY_ROWS, (int)size.mask_words, model->masks);
    model->scratch = tiny_scratch(model, size, TINY_ROWS);
    model->scratch.masks = model->masks;
}

static void tiny_model_free(tiny_model *model)
{
    for (int i = 0; i < model->n_memory; i++)
        free(model->memory[i]);
}

/* w1 of an input that row 0 lacks is +inf: row 0's loss stays that of its
 * own inputs, evaluated beside row 1 or alone, bit for bit. */
static void test_forward_infinite_w1(void **state)
{
    (void)state;
    static const double x[TINY_ROWS * TINY_FEATURES] = {0.25, 0.0, 0.75, 0.5, 1.0, 0.0};
    static const double y[TINY_ROWS] = {0.0, 1.0};
    int checked = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        tiny_model model;
        tiny_model_new(&model, (simd_isa)isa, x);
        model.net.w1[1 * model.net.stride + 0] = INFINITY; /* input 1: row 1 only */
        int correct_pair, correct_alone;
        double pair = multiclass_evaluate(&model.net, x, y, TINY_ROWS, NULL, NULL, 0.0,
                                          &correct_pair, &model.scratch);
        double alone = multiclass_evaluate(&model.net, x, y, 1, NULL, NULL, 0.0, &correct_alone,
                                           &model.scratch);
        int correct_second;
        alone = multiclass_evaluate(&model.net, x + TINY_FEATURES, y + 1, 1, NULL, NULL, alone,
                                    &correct_second, &model.scratch);
        if (!isfinite(pair) || memcmp(&pair, &alone, sizeof pair) != 0)
            fail_msg("[%s] loss of the pair %.17g, of the rows alone %.17g",
                     simd_name((simd_isa)isa), pair, alone);
        assert_int_equal(correct_pair, correct_alone + correct_second);
        tiny_model_free(&model);
        checked++;
    }
    assert_true(checked >= 1);
}

/* Row 0's softmax overflows (exp(1000) / exp(1000): NaN), so its e1 is
 * NaN; input 1 is zero in row 0, so dw1 of input 1 is row 1's term alone,
 * finite, and so is w1 after the update. */
static void test_pair_gradient_nan_error(void **state)
{
    (void)state;
    static const double x[TINY_ROWS * TINY_FEATURES] = {1.0, 0.0, 0.0, 0.0, 1.0, 0.0};
    static const double y[TINY_ROWS] = {0.0, 1.0};
    static const int rows[TINY_ROWS] = {0, 1};
    train_params params = mc_params(TINY_ROWS, 0.1, 0.0, 0.0, TINY_UNITS, 1, 1);
    int checked = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        tiny_model model;
        tiny_model_new(&model, (simd_isa)isa, x);
        multiclass_net *net = &model.net;
        for (int h = 0; h < TINY_UNITS; h++) {
            net->w1[0 * net->stride + h] = 100.0; /* row 0: a1 = 1 */
            net->w1[1 * net->stride + h] = -1.0;  /* row 1: a1 = 0.27 */
            for (int k = 0; k < TINY_CLASSES; k++) {
                net->w2[h * net->class_stride + k] = 1000.0; /* row 0's z2: 2000 */
                net->w2t[k * net->stride + h] = 1000.0;
            }
        }
        int correct;
        double loss =
            multiclass_train_batch(net, x, y, rows, TINY_ROWS, &params, &model.scratch, &correct);
        assert_true(isnan(loss)); /* row 0's */
        for (int h = 0; h < TINY_UNITS; h++) {
            assert_true(isnan(net->w1[0 * net->stride + h])); /* row 0's input */
            if (!isfinite(net->w1[1 * net->stride + h]))
                fail_msg("[%s] w1[1][%d] = %g: row 0's NaN error reached an input it lacks",
                         simd_name((simd_isa)isa), h, net->w1[1 * net->stride + h]);
        }
        tiny_model_free(&model);
        checked++;
    }
    assert_true(checked >= 1);
}

/* ---- the input lists at the end of x ---- */

/* A net of `n_features` inputs for evaluations of up to `capacity` rows,
 * its weights normal(0, 1) (seed 5). */
static void eval_model_new(tiny_model *model, simd_isa isa, int n_features, int capacity)
{
    enum { UNITS = 20, CLASSES = 3 };
    multiclass_sizes size = model_net_new(model, isa, n_features, UNITS, CLASSES, capacity);
    numpy_rng rng;
    rng_seed(&rng, 5);
    multiclass_init(&model->net, &rng);
    model->scratch = tiny_scratch(model, size, capacity);
}

/* A training batch of the rows of x (rows 2, 0, 1: a pair and a row
 * alone) on a fresh eval_model: its loss, and its w1 after the update
 * copied into w1_after (n_features * stride doubles). */
static double train_rows_of(tiny_model *model, const double *x, const double *y, int n_features,
                            double *w1_after)
{
    enum { ROWS = 3 };
    static const int rows[ROWS] = {2, 0, 1};
    uint64_t masks[ROWS * 4];
    assert_true(model->scratch.mask_words <= 4);
    multiclass_row_masks(x, n_features, ROWS, model->scratch.mask_words, masks);
    model->scratch.masks = masks;
    train_params params = mc_params(ROWS, 0.1, 0.001, 0.01, model->net.units, 1, 1);
    int correct;
    double loss =
        multiclass_train_batch(&model->net, x, y, rows, ROWS, &params, &model->scratch, &correct);
    memcpy(w1_after, model->net.w1,
           (size_t)n_features * (size_t)model->net.stride * sizeof(double));
    model->scratch.masks = NULL;
    return loss;
}

/* `bytes` of memory that end right before an unreadable page (a read past
 * them faults); guarded_free gives it back. */
typedef struct {
    char *region;
    size_t length;
} guarded_memory;

static void *guarded_end(size_t bytes, guarded_memory *memory)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t pages = (bytes + page - 1) / page;
    memory->length = (pages + 1) * page;
    memory->region =
        mmap(NULL, memory->length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(memory->region != MAP_FAILED);
    assert_int_equal(mprotect(memory->region + pages * page, page, PROT_NONE), 0);
    return memory->region + pages * page - bytes;
}

static void guarded_free(guarded_memory *memory)
{
    munmap(memory->region, memory->length);
}

/* One instruction set's evaluation loss and training batch (loss, w1 of
 * n_w1 doubles) of the rows done two ways, `way` and `other`, the same bits
 * as each other and as the first instruction set's (`expected`, from
 * `other`). */
typedef struct {
    double loss, trained;
    const double *w1;
} batch_outcome;

static void check_same_outcomes(const char *isa, const char *way, const char *other,
                                const batch_outcome *a, const batch_outcome *b,
                                const batch_outcome *expected, size_t n_w1)
{
    if (!isfinite(a->loss) || memcmp(&a->loss, &b->loss, sizeof a->loss) != 0 ||
        memcmp(&a->loss, &expected->loss, sizeof a->loss) != 0)
        fail_msg("[%s] loss %.17g %s, %.17g %s, %.17g on SSE2", isa, a->loss, way, b->loss, other,
                 expected->loss);
    if (!isfinite(a->trained) || memcmp(&a->trained, &b->trained, sizeof a->trained) != 0 ||
        memcmp(&a->trained, &expected->trained, sizeof a->trained) != 0 ||
        memcmp(a->w1, b->w1, n_w1 * sizeof(double)) != 0)
        fail_msg("[%s] training batch: loss %.17g %s, %.17g %s, %.17g on SSE2, or w1 differs", isa,
                 a->trained, way, b->trained, other, expected->trained);
}

/* The listing reads a row's inputs 16 at a time with AVX-512 (loads under
 * the mask of the features listed): rows that end right before an
 * unreadable page, 150 inputs each (not a multiple of 16 or 8), their last
 * inputs nonzero, three rows (a pair and a row alone): every evaluation
 * (row lists) and training batch (row and pair lists) on every instruction
 * set gives the bits of the rows copied elsewhere and of the plain SSE2
 * code, and reads nothing past x (a fault otherwise). */
static void test_lists_at_end_of_x(void **state)
{
    (void)state;
    enum { FEATURES = 150, ROWS = 3 };
    const size_t bytes = (size_t)ROWS * FEATURES * sizeof(double);
    guarded_memory memory;
    double *x = guarded_end(bytes, &memory);
    static double copy[ROWS * FEATURES], w1_guarded[FEATURES * 24], w1_copied[FEATURES * 24];
    uint32_t seed = 99u;
    for (int i = 0; i < ROWS * FEATURES; i++) {
        seed = seed * 1664525u + 1013904223u;
        const int f = i % FEATURES;
        x[i] = (f >= FEATURES - 3 || (seed >> 7) % 2 == 0) ? (double)(seed >> 8) / 16777216.0 : 0.0;
    }
    memcpy(copy, x, bytes);
    static const double y[ROWS] = {0.0, 2.0, 1.0};
    batch_outcome expected = {NAN, NAN, NULL};
    int compared = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        tiny_model model, model_copy;
        eval_model_new(&model, (simd_isa)isa, FEATURES, ROWS);
        eval_model_new(&model_copy, (simd_isa)isa, FEATURES, ROWS);
        assert_true(FEATURES * model.net.stride <= FEATURES * 24);
        int correct_guarded, correct_copy;
        double guarded = multiclass_evaluate(&model.net, x, y, ROWS, NULL, NULL, 0.0,
                                             &correct_guarded, &model.scratch);
        double copied = multiclass_evaluate(&model.net, copy, y, ROWS, NULL, NULL, 0.0,
                                            &correct_copy, &model.scratch);
        double trained = train_rows_of(&model, x, y, FEATURES, w1_guarded);
        double trained_copy = train_rows_of(&model_copy, copy, y, FEATURES, w1_copied);
        const batch_outcome at_end = {guarded, trained, w1_guarded},
                            elsewhere = {copied, trained_copy, w1_copied};
        if (compared == 0)
            expected = elsewhere;
        check_same_outcomes(simd_name((simd_isa)isa), "at the end of x", "elsewhere", &at_end,
                            &elsewhere, &expected, FEATURES * (size_t)model.net.stride);
        assert_int_equal(correct_guarded, correct_copy);
        tiny_model_free(&model);
        tiny_model_free(&model_copy);
        compared++;
    }
    assert_true(compared >= 1);
    guarded_free(&memory);
}

/* Rows as codes (value_codes.h): the lists hold a byte per input, and the
 * AVX-512 listing reads a row's codes 16 at a time, up to 15 bytes past
 * the row's end. Rows of 150 inputs from a palette of 41 values (-0.0
 * among the zeros, so that a pair's zero entry is a code of its own),
 * coded into an array that ends 16 bytes before an unreadable page: every
 * evaluation and training batch on every instruction set gives the bits of
 * the same rows listed as values, and reads nothing past the 16 bytes. */
static void test_coded_lists_equal_values(void **state)
{
    (void)state;
    enum { FEATURES = 150, ROWS = 3, SLACK = 16 };
    guarded_memory memory;
    uint8_t *codes = guarded_end((size_t)ROWS * FEATURES + SLACK, &memory);
    static double x[ROWS * FEATURES], w1_coded[FEATURES * 24], w1_values[FEATURES * 24];
    uint32_t seed = 5u;
    for (int i = 0; i < ROWS * FEATURES; i++) {
        seed = seed * 1664525u + 1013904223u;
        const int f = i % FEATURES, draw = (int)((seed >> 9) % 40);
        x[i] = f >= FEATURES - 2 || (seed >> 20) % 2 == 0 ? (draw - 13) / 16.0
               : (seed >> 22) % 2 == 0                    ? -0.0
                                                          : 0.0;
    }
    value_table table;
    value_table_init(&table);
    assert_true(value_codes_encode(x, ROWS * FEATURES, &table, codes));
    uint64_t masks[ROWS * 4];
    static const double y[ROWS] = {1.0, 0.0, 2.0};
    batch_outcome expected = {NAN, NAN, NULL};
    int compared = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        tiny_model coded, plain;
        eval_model_new(&coded, (simd_isa)isa, FEATURES, ROWS);
        eval_model_new(&plain, (simd_isa)isa, FEATURES, ROWS);
        assert_true(FEATURES * coded.net.stride <= FEATURES * 24);
        multiclass_row_masks(x, FEATURES, ROWS, coded.scratch.mask_words, masks);
        coded.scratch.code_table = table.value;
        coded.scratch.codes = codes;
        int correct_coded, correct_plain;
        double loss_coded = multiclass_evaluate(&coded.net, x, y, ROWS, masks, codes, 0.0,
                                                &correct_coded, &coded.scratch);
        assert_true(coded.scratch.coded);
        double loss_plain = multiclass_evaluate(&plain.net, x, y, ROWS, masks, NULL, 0.0,
                                                &correct_plain, &plain.scratch);
        double trained_coded = train_rows_of(&coded, x, y, FEATURES, w1_coded);
        assert_true(coded.scratch.coded);
        double trained_plain = train_rows_of(&plain, x, y, FEATURES, w1_values);
        assert_false(plain.scratch.coded);
        const batch_outcome from_codes = {loss_coded, trained_coded, w1_coded},
                            from_values = {loss_plain, trained_plain, w1_values};
        if (compared == 0)
            expected = from_values;
        check_same_outcomes(simd_name((simd_isa)isa), "coded", "from values", &from_codes,
                            &from_values, &expected, FEATURES * (size_t)coded.net.stride);
        assert_int_equal(correct_coded, correct_plain);
        tiny_model_free(&coded);
        tiny_model_free(&plain);
        compared++;
    }
    assert_true(compared >= 1);
    guarded_free(&memory);
}

/* The masks made from codes are those made from the doubles, word for
 * word: +0.0 and -0.0 zero, NaN and the infinities nonzero; widths that
 * end inside a word (150 features) and on one (64), and a width whose
 * last word holds one feature (129). */
static void test_coded_masks_equal_values(void **state)
{
    (void)state;
    enum { ROWS = 5, MAX_FEATURES = 150, WORDS = 3 };
    static const int widths[] = {150, 64, 129};
    static const double specials[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1.0 / 255.0, -2.5};
    static double x[ROWS * MAX_FEATURES];
    static uint8_t codes[ROWS * MAX_FEATURES];
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const int n_features = widths[w], words = (n_features + 63) / 64;
        uint32_t seed = 11u + (uint32_t)w;
        for (int i = 0; i < ROWS * n_features; i++) {
            seed = seed * 1664525u + 1013904223u;
            x[i] = specials[(seed >> 16) % (sizeof specials / sizeof specials[0])];
        }
        value_table table;
        value_table_init(&table);
        assert_true(value_codes_encode(x, (size_t)ROWS * (size_t)n_features, &table, codes));
        uint64_t from_values[ROWS * WORDS], from_codes[ROWS * WORDS];
        multiclass_row_masks(x, n_features, ROWS, words, from_values);
        multiclass_row_masks_coded(codes, table.value, n_features, ROWS, words, from_codes);
        for (int i = 0; i < ROWS * words; i++)
            assert_true(from_codes[i] == from_values[i]);
        assert_true(from_values[0] != 0 && from_values[0] != ~(uint64_t)0); /* both kinds met */
    }
}

/* ---- the model table ---- */

static void test_model_table(void **state)
{
    const sets *all = *state;
    assert_int_equal(model_find("minibatch"), MODEL_MINIBATCH);
    assert_int_equal(model_find("multiclass"), MODEL_MULTICLASS);
    assert_int_equal(model_find("mlp"), -1);
    sweep_error err = {0};
    /* the minibatch network has one output: exactly two classes */
    assert_int_equal(model_get(MODEL_MINIBATCH)->check_data(&all->iris, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_non_null(strstr(err.message, "2 classes"));
    assert_int_equal(model_get(MODEL_MULTICLASS)->check_data(&all->iris, &err), 0);
    /* costs grow with the work */
    train_params small = mc_params(16, 0.1, 0.0, 0.0, 10, 10, 1);
    train_params large = small;
    large.units = 100;
    assert_true(model_get(MODEL_MULTICLASS)->cost(&large, &all->digits) >
                model_get(MODEL_MULTICLASS)->cost(&small, &all->digits));
    /* a target outside 0..K-1 is refused, not indexed */
    dataset bad = all->iris;
    double *y = malloc((size_t)bad.n_train * sizeof(double));
    memcpy(y, bad.y_train, (size_t)bad.n_train * sizeof(double));
    y[5] = 3.0;
    bad.y_train = y;
    run_result result;
    assert_int_equal(run_result_init(&result, 10, &err), 0);
    train_workspace *workspace = train_workspace_new();
    assert_int_equal(train_run(workspace, &bad, &small, &result, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    train_workspace_delete(workspace);
    run_result_free(&result);
    free(y);
}

/* ---- the book's chapter 7-1 run on fashion-MNIST (its own CTest) ---- */

/* units 100, batch 256, 40 epochs, seed 42: every epoch within 1e-9 of the
 * shared reference (tests/data/book_ch7_fashion.csv) and val accuracy
 * exactly the 0.8150833333333334 the book prints. Skipped without Debian's
 * dataset-fashion-mnist package. */
static void test_fashion_book(void **state)
{
    (void)state;
    dataset data;
    sweep_error err = {0};
    dataset_spec spec = dataset_spec_builtin("fashion_mnist");
    if (dataset_load(&spec, &data, &err) != 0) {
        printf("skipped: %s\n", err.message);
        skip();
    }
    assert_int_equal(data.n_train, 48000);
    assert_int_equal(data.n_val, 12000);
    assert_int_equal(data.n_classes, 10);
    train_params params = mc_params(256, 0.1, 0.0, 0.0, 100, 40, 42);
    check_numpy(&data, &params, "book_ch7_fashion.csv");
    dataset_free(&data);
}

int main(int argc, char **argv)
{
    /* `test_multiclass fashion`: the slow book run alone */
    if (argc > 1 && strcmp(argv[1], "fashion") == 0) {
        const struct CMUnitTest slow[] = {cmocka_unit_test(test_fashion_book)};
        return cmocka_run_group_tests(slow, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iris_batch16),
        cmocka_unit_test(test_iris_sgd_l2),
        cmocka_unit_test(test_iris_full_batch_l1),
        cmocka_unit_test(test_wine_l1_l2),
        cmocka_unit_test(test_digits_l2),
        cmocka_unit_test(test_digits_odd_batch),
        cmocka_unit_test(test_fast_equals_reference),
        cmocka_unit_test(test_wide_sparse_equals_reference),
        cmocka_unit_test(test_coded_set_equals_reference),
        cmocka_unit_test(test_divergence),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_forward_infinite_w1),
        cmocka_unit_test(test_pair_gradient_nan_error),
        cmocka_unit_test(test_lists_at_end_of_x),
        cmocka_unit_test(test_coded_lists_equal_values),
        cmocka_unit_test(test_coded_masks_equal_values),
        cmocka_unit_test(test_model_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
