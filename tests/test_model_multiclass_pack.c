/* test_model_multiclass_pack.c: the multi-class model's packed training
 * (src/model_multiclass_pack.c, MODEL_MULTICLASS_OPS.pack) against the same
 * runs trained one at a time (MODEL_MULTICLASS_OPS) and against
 * tests/reference_multiclass.c.
 *
 * Tolerance: NONE. Every lane's epoch outcomes (losses and accuracies) and
 * final scores must equal its lone run's BIT FOR BIT, on every instruction
 * set the CPU has, for every number of runs 1 ... width, with seeds, L1, L2
 * and learning rates mixed in one pack, on the built-in iris, wine and
 * digits, batch 1, odd and full. A lane that diverges must fail at its lone
 * run's epoch with the same non-finite loss, and leave the others exact.
 *
 * `test_model_multiclass_pack bench` instead times packed against
 * one-at-a-time training on digits (see bench below).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "model.h"

#include "reference_multiclass.c"

enum { MAX_LANES = 8, MAX_EPOCHS = 8 };

typedef struct {
    dataset iris, wine, digits;
} sets;

static void load_builtin(const char *name, dataset *data)
{
    sweep_error err = {0};
    dataset_spec spec = dataset_spec_builtin(name);
    if (dataset_load(&spec, data, &err) != 0)
        fail_msg("%s: %s", name, err.message);
}

static int setup(void **state)
{
    sets *all = calloc(1, sizeof(sets));
    load_builtin("iris", &all->iris);
    load_builtin("wine", &all->wine);
    load_builtin("digits", &all->digits);
    *state = all;
    return 0;
}

static int teardown(void **state)
{
    sets *all = *state;
    dataset_free(&all->iris);
    dataset_free(&all->wine);
    dataset_free(&all->digits);
    free(all);
    return 0;
}

/* What a run gives: every epoch's outcome up to and including the first
 * non-finite one, then the scores if it finished. */
typedef struct {
    epoch_outcome epochs[MAX_EPOCHS];
    int epochs_run; /* outcomes held */
    bool failed;
    double train, val, test;
} run_record;

static bool outcome_finite(const epoch_outcome *outcome)
{
    return isfinite(outcome->train_loss) && isfinite(outcome->val_loss);
}

/* The run alone, as train_run drives a model. */
static void run_alone(simd_isa isa, const dataset *data, const train_params *params,
                      run_record *out)
{
    const model_ops *model = &MODEL_MULTICLASS_OPS;
    void *state = model->state_new(isa);
    assert_non_null(state);
    sweep_error err = {0};
    assert_int_equal(model->start(state, data, params, &err), 0);
    memset(out, 0, sizeof *out);
    for (int e = 0; e < params->epochs && !out->failed; e++) {
        model->epoch(state, data, params, &out->epochs[e]);
        out->epochs_run = e + 1;
        out->failed = !outcome_finite(&out->epochs[e]);
    }
    if (!out->failed)
        model->scores(state, data, &out->train, &out->val, &out->test);
    model->state_delete(state);
}

/* The runs as one pack. */
static void run_pack(simd_isa isa, const dataset *data, const train_params *runs, int n_runs,
                     run_record *out)
{
    const model_pack_ops *pack = MODEL_MULTICLASS_OPS.pack;
    const train_params *lanes[MAX_LANES];
    for (int l = 0; l < n_runs; l++)
        lanes[l] = &runs[l];
    void *state = pack->state_new(isa);
    assert_non_null(state);
    sweep_error err = {0};
    assert_int_equal(pack->start(state, data, lanes, n_runs, &err), 0);
    memset(out, 0, (size_t)n_runs * sizeof *out);
    for (int e = 0; e < runs[0].epochs; e++) {
        epoch_outcome outcomes[MAX_LANES];
        pack->epoch(state, data, outcomes);
        for (int l = 0; l < n_runs; l++)
            if (!out[l].failed) {
                out[l].epochs[e] = outcomes[l];
                out[l].epochs_run = e + 1;
                out[l].failed = !outcome_finite(&outcomes[l]);
            }
    }
    double train[MAX_LANES], val[MAX_LANES], test[MAX_LANES];
    pack->scores(state, data, train, val, test);
    for (int l = 0; l < n_runs; l++)
        if (!out[l].failed) {
            out[l].train = train[l];
            out[l].val = val[l];
            out[l].test = test[l];
        }
    pack->state_delete(state);
}

static bool same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The failing epoch's losses: the same bits, or both NaN (a NaN's sign
 * bit follows the operand order of the instruction that made it, which
 * compilers may swap in a commutative operation; train.c reports "nan"
 * for either). */
static bool same_failing_loss(double a, double b)
{
    return same_double(a, b) || (isnan(a) && isnan(b));
}

static void check_same(const run_record *pack, const run_record *alone, const char *label, int lane)
{
    if (pack->epochs_run != alone->epochs_run || pack->failed != alone->failed)
        fail_msg("%s lane %d: %d epochs%s packed, %d%s alone", label, lane, pack->epochs_run,
                 pack->failed ? " (failed)" : "", alone->epochs_run,
                 alone->failed ? " (failed)" : "");
    for (int e = 0; e < alone->epochs_run; e++) {
        const epoch_outcome *a = &pack->epochs[e], *b = &alone->epochs[e];
        bool last_failed = alone->failed && e == alone->epochs_run - 1;
        /* the failing epoch's losses only: its accuracies mean nothing */
        bool same = last_failed ? same_failing_loss(a->train_loss, b->train_loss) &&
                                      same_failing_loss(a->val_loss, b->val_loss)
                                : same_double(a->train_loss, b->train_loss) &&
                                      same_double(a->val_loss, b->val_loss) &&
                                      same_double(a->train_acc, b->train_acc) &&
                                      same_double(a->val_acc, b->val_acc);
        if (!same)
            fail_msg("%s lane %d epoch %d: packed %.17g %.17g %.17g %.17g, alone %.17g %.17g "
                     "%.17g %.17g",
                     label, lane, e, a->train_loss, a->val_loss, a->train_acc, a->val_acc,
                     b->train_loss, b->val_loss, b->train_acc, b->val_acc);
    }
    if (!alone->failed &&
        (!same_double(pack->train, alone->train) || !same_double(pack->val, alone->val) ||
         !same_double(pack->test, alone->test)))
        fail_msg("%s lane %d: scores differ", label, lane);
}

/* n runs that differ in seed, L1, L2 and learning rate. */
static void mixed_runs(int batch_size, int units, int epochs, int n, train_params *runs)
{
    static const double rates[] = {0.1, 0.05, 0.3, 0.01};
    static const double l1s[] = {0.0, 0.001, 0.0, 0.01};
    static const double l2s[] = {0.0, 0.0, 0.01, 0.002};
    for (int l = 0; l < n; l++) {
        runs[l] = params_defaults();
        runs[l].model = MODEL_MULTICLASS;
        runs[l].batch_size = batch_size;
        runs[l].units = units;
        runs[l].epochs = epochs;
        runs[l].seed = 42u + 1000u * (uint32_t)l;
        runs[l].learning_rate = rates[l % 4];
        runs[l].l1 = l1s[(l / 2) % 4];
        runs[l].l2 = l2s[(l + 1) % 4];
    }
}

/* The pack of `runs` equals each run alone on `isa`. */
static void check_pack(simd_isa isa, const dataset *data, const train_params *runs, int n,
                       const char *label)
{
    run_record packed[MAX_LANES], alone;
    run_pack(isa, data, runs, n, packed);
    for (int l = 0; l < n; l++) {
        run_alone(isa, data, &runs[l], &alone);
        check_same(&packed[l], &alone, label, l);
    }
}

/* Every instruction set, every pack size 1 ... width, odd batch, units
 * below and above the register block. */
static void test_every_width(void **state)
{
    const sets *all = *state;
    const model_pack_ops *pack = MODEL_MULTICLASS_OPS.pack;
    int levels = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        levels++;
        const int width = pack->width((simd_isa)isa);
        assert_true(width >= 2 && width <= MAX_LANES);
        for (int n = 1; n <= width; n++) {
            train_params runs[MAX_LANES];
            mixed_runs(7, n % 2 == 0 ? 11 : 5, 3, n, runs);
            char label[64];
            snprintf(label, sizeof label, "%s iris %d runs", simd_name((simd_isa)isa), n);
            check_pack((simd_isa)isa, &all->iris, runs, n, label);
        }
    }
    printf("packs == lone runs on %d instruction set(s)\n", levels);
    assert_true(levels >= 1);
}

/* Full packs on the three sets, batch 1, odd and full. */
static void test_sets_and_batches(void **state)
{
    const sets *all = *state;
    const dataset *data[] = {&all->iris, &all->wine, &all->digits};
    const char *names[] = {"iris", "wine", "digits"};
    const int batches[] = {1, 13, 100000};
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        const int width = MODEL_MULTICLASS_OPS.pack->width((simd_isa)isa);
        for (int d = 0; d < 3; d++)
            for (int b = 0; b < 3; b++) {
                /* digits at batch 1 is the slow case: one epoch */
                const int epochs = d == 2 && b == 0 ? 1 : 2;
                train_params runs[MAX_LANES];
                mixed_runs(batches[b], d == 2 ? 19 : 10, epochs, width, runs);
                char label[64];
                snprintf(label, sizeof label, "%s %s batch %d", simd_name((simd_isa)isa), names[d],
                         batches[b]);
                check_pack((simd_isa)isa, data[d], runs, width, label);
            }
    }
}

/* One lane diverges: it fails at its lone run's epoch with the same
 * non-finite loss (inf or NaN), and the others stay exact. */
static void check_divergent_lane(const dataset *data, double learning_rate, double l1, double l2,
                                 int epochs, const char *label)
{
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        const int width = MODEL_MULTICLASS_OPS.pack->width((simd_isa)isa);
        train_params runs[MAX_LANES];
        mixed_runs(16, 10, epochs, width, runs);
        runs[1].learning_rate = learning_rate;
        runs[1].l1 = l1;
        runs[1].l2 = l2;
        run_record packed[MAX_LANES], alone;
        run_pack((simd_isa)isa, data, runs, width, packed);
        assert_true(packed[1].failed);
        assert_true(packed[1].epochs_run < runs[1].epochs);
        for (int l = 0; l < width; l++) {
            run_alone((simd_isa)isa, data, &runs[l], &alone);
            check_same(&packed[l], &alone, label, l);
        }
        printf("%s %s: lane 1 failed at epoch %d, train loss %g\n", label, simd_name((simd_isa)isa),
               packed[1].epochs_run - 1, packed[1].epochs[packed[1].epochs_run - 1].train_loss);
    }
}

static void test_divergent_lane(void **state)
{
    const sets *all = *state;
    check_divergent_lane(&all->iris, 3.0, 0.0, 12.0, 6, "iris");
    /* Every other input 0.0 and a step (1e308) that makes weights inf in
     * the first batch: the lane fails at its lone run's epoch (which skips
     * the zero inputs where the pack masks them) and the others stay
     * exact. */
    dataset holes = all->iris;
    const size_t n = (size_t)holes.n_train * (size_t)holes.n_features;
    holes.x_train = malloc(n * sizeof(double));
    assert_non_null(holes.x_train);
    for (size_t i = 0; i < n; i++)
        holes.x_train[i] = i % 2 == 0 ? 0.0 : all->iris.x_train[i];
    check_divergent_lane(&holes, 1e308, 1e-300, 0.0, 4, "iris with zeros");
    free(holes.x_train);
}

/* The pack against the plain scalar reference too (losses and scores). */
static void test_reference(void **state)
{
    const sets *all = *state;
    train_params runs[MAX_LANES];
    const simd_isa isa = simd_best();
    const int width = MODEL_MULTICLASS_OPS.pack->width(isa);
    mixed_runs(32, 12, 3, width, runs);
    run_record packed[MAX_LANES];
    run_pack(isa, &all->wine, runs, width, packed);
    for (int l = 0; l < width; l++) {
        refmc_result reference;
        refmc_run(&all->wine, &runs[l], &reference);
        assert_int_equal(reference.epochs_done, runs[l].epochs);
        for (int e = 0; e < runs[l].epochs; e++) {
            assert_true(same_double(packed[l].epochs[e].train_loss, reference.train_loss[e]));
            assert_true(same_double(packed[l].epochs[e].val_loss, reference.val_loss[e]));
        }
        assert_true(same_double(packed[l].train, reference.train_score));
        assert_true(same_double(packed[l].val, reference.val_score));
        assert_true(same_double(packed[l].test, reference.test_score));
        refmc_result_free(&reference);
    }
}

/* Runs that differ in batch_size, units or epochs are refused; so are more
 * runs than lanes. */
static void test_refused_packs(void **state)
{
    const sets *all = *state;
    const model_pack_ops *pack = MODEL_MULTICLASS_OPS.pack;
    const simd_isa isa = simd_best();
    const int width = pack->width(isa);
    train_params runs[MAX_LANES + 1];
    mixed_runs(8, 10, 2, MAX_LANES + 1, runs);
    runs[1].units = 11;
    const train_params *lanes[MAX_LANES + 1];
    for (int l = 0; l <= MAX_LANES; l++)
        lanes[l] = &runs[l];
    void *state_pack = pack->state_new(isa);
    sweep_error err = {0};
    assert_int_equal(pack->start(state_pack, &all->iris, lanes, 2, &err), -1);
    assert_non_null(strstr(err.message, "units"));
    runs[1].units = 10;
    assert_int_equal(pack->start(state_pack, &all->iris, lanes, width + 1, &err), -1);
    assert_int_equal(pack->start(state_pack, &all->iris, lanes, width, &err), 0);
    pack->state_delete(state_pack);
}

/* Packing is for weights that fit the L2 cache in 8 lanes (see
 * pack_worthwhile's measurements). */
static void test_worthwhile(void **state)
{
    const sets *all = *state;
    const model_pack_ops *pack = MODEL_MULTICLASS_OPS.pack;
    train_params params = params_defaults();
    params.model = MODEL_MULTICLASS;
    params.units = 32;
    assert_true(pack->worthwhile(&params, &all->digits));
    assert_true(pack->worthwhile(&params, &all->iris));
    params.units = 384; /* 1.9 MiB of weights in 8 lanes: beyond the L2 cache */
    assert_false(pack->worthwhile(&params, &all->digits));
    dataset fashion_shape = {.n_features = 784, .n_classes = 10};
    params.units = 100;
    assert_false(pack->worthwhile(&params, &fashion_shape));
    params.units = 10;
    assert_true(pack->worthwhile(&params, &fashion_shape));
}

/* ---- the benchmark: `test_model_multiclass_pack bench [rounds batch units isa|all epochs set]` ---- */

/* The thread's CPU seconds: the machine is shared, and CPU time leaves out
 * the time other programs hold the core. */
static double cpu_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static double time_alone(simd_isa isa, const dataset *data, const train_params *runs, int n)
{
    const model_ops *model = &MODEL_MULTICLASS_OPS;
    void *state = model->state_new(isa);
    sweep_error err = {0};
    double start = cpu_seconds();
    for (int i = 0; i < n; i++) {
        epoch_outcome outcome;
        if (model->start(state, data, &runs[i], &err) < 0)
            fail_msg("%s", err.message);
        for (int e = 0; e < runs[i].epochs; e++)
            model->epoch(state, data, &runs[i], &outcome);
        double train, val, test;
        model->scores(state, data, &train, &val, &test);
    }
    double seconds = cpu_seconds() - start;
    model->state_delete(state);
    return seconds;
}

static double time_packed(simd_isa isa, const dataset *data, const train_params *runs, int n)
{
    const model_pack_ops *pack = MODEL_MULTICLASS_OPS.pack;
    const int width = pack->width(isa);
    void *state = pack->state_new(isa);
    sweep_error err = {0};
    double start = cpu_seconds();
    for (int first = 0; first < n; first += width) {
        const train_params *lanes[MAX_LANES];
        const int count = n - first < width ? n - first : width;
        for (int l = 0; l < count; l++)
            lanes[l] = &runs[first + l];
        epoch_outcome outcomes[MAX_LANES];
        if (pack->start(state, data, lanes, count, &err) < 0)
            fail_msg("%s", err.message);
        for (int e = 0; e < runs[first].epochs; e++)
            pack->epoch(state, data, outcomes);
        double train[MAX_LANES], val[MAX_LANES], test[MAX_LANES];
        pack->scores(state, data, train, val, test);
    }
    double seconds = cpu_seconds() - start;
    pack->state_delete(state);
    return seconds;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 16 runs on digits (units 32, batch 32, 20 epochs, mixed seeds and
 * penalties), one at a time and packed, alternated `rounds` times on every
 * instruction set: the medians and their ratio. */
static int bench(int rounds, int batch_size, int units, const char *only, int epochs,
                 const char *set)
{
    dataset digits; /* or `set` */
    load_builtin(set, &digits);
    enum { RUNS = 16, MAX_ROUNDS = 31 };
    rounds = rounds < 1 ? 1 : (rounds > MAX_ROUNDS ? MAX_ROUNDS : rounds);
    train_params runs[RUNS];
    mixed_runs(batch_size, units, epochs, RUNS, runs);
    printf("%s: %d train rows, %d runs, units %d, batch %d, %d epochs, %d rounds\n", set,
           digits.n_train, RUNS, units, batch_size, runs[0].epochs, rounds);
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa) ||
            (only != NULL && strcmp(only, simd_name((simd_isa)isa)) != 0))
            continue;
        double alone[MAX_ROUNDS], packed[MAX_ROUNDS];
        for (int r = 0; r < rounds; r++) {
            alone[r] = time_alone((simd_isa)isa, &digits, runs, RUNS);
            packed[r] = time_packed((simd_isa)isa, &digits, runs, RUNS);
        }
        qsort(alone, (size_t)rounds, sizeof(double), compare_doubles);
        qsort(packed, (size_t)rounds, sizeof(double), compare_doubles);
        const double a = alone[rounds / 2], p = packed[rounds / 2];
        printf("%-8s CPU time one at a time %7.2f ms/run  packed %7.2f ms/run  speedup %.2fx\n",
               simd_name((simd_isa)isa), 1e3 * a / RUNS, 1e3 * p / RUNS, a / p);
    }
    dataset_free(&digits);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "bench") == 0)
        return bench(argc > 2 ? atoi(argv[2]) : 5, argc > 3 ? atoi(argv[3]) : 32,
                     argc > 4 ? atoi(argv[4]) : 32,
                     argc > 5 && strcmp(argv[5], "all") != 0 ? argv[5] : NULL,
                     argc > 6 ? atoi(argv[6]) : 20, argc > 7 ? argv[7] : "digits");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_width),    cmocka_unit_test(test_sets_and_batches),
        cmocka_unit_test(test_divergent_lane), cmocka_unit_test(test_reference),
        cmocka_unit_test(test_refused_packs),  cmocka_unit_test(test_worthwhile),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
