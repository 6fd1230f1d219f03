/* test_model_minibatch_pack.c: the minibatch model's packed training
 * (model_minibatch_pack.c, network_pack.c, train_pack) against the lone
 * run and the plain scalar reference.
 *
 * Tolerance: none. Every run of a pack must equal, bit for bit (memcmp),
 * the same run trained alone by train_run (loss AND accuracy curves,
 * scores, status, epochs done, failure message) and the plain scalar code
 * of tests/reference_train.c (loss curves and scores); at every
 * instruction set the CPU supports, for every pack width 1..lanes, on
 * packs that mix seeds, L1/L2 penalties and learning rates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "dataset.h"
#include "lanes.h"
#include "model.h"
#include "network_pack.h"
#include "train.h"

#include "reference_train.c"

static int load_wdbc(void **state)
{
    dataset *data = calloc(1, sizeof *data);
    if (data == NULL)
        return -1;
    dataset_spec spec = dataset_spec_builtin("wdbc");
    sweep_error err;
    error_clear(&err);
    if (dataset_load(&spec, data, &err) != 0) {
        fprintf(stderr, "wdbc: %s\n", err.message);
        free(data);
        return -1;
    }
    *state = data;
    return 0;
}

static int free_wdbc(void **state)
{
    dataset_free(*state);
    free(*state);
    return 0;
}

static int same_doubles(const double *a, const double *b, int n)
{
    return memcmp(a, b, (size_t)n * sizeof(double)) == 0;
}

/* Everything a run result holds, bit for bit. */
static int same_result(const run_result *a, const run_result *b, int epochs)
{
    return a->status == b->status && a->epochs_done == b->epochs_done &&
           same_doubles(a->train_loss, b->train_loss, epochs) &&
           same_doubles(a->val_loss, b->val_loss, epochs) &&
           same_doubles(a->train_acc, b->train_acc, epochs) &&
           same_doubles(a->val_acc, b->val_acc, epochs) &&
           same_doubles(&a->train_score, &b->train_score, 1) &&
           same_doubles(&a->val_score, &b->val_score, 1) &&
           same_doubles(&a->test_score, &b->test_score, 1) && strcmp(a->failure, b->failure) == 0;
}

/* The loss curves, scores, status and epochs of the plain reference. */
static int same_as_reference(const run_result *a, const run_result *reference, int epochs)
{
    return a->status == reference->status && a->epochs_done == reference->epochs_done &&
           same_doubles(a->train_loss, reference->train_loss, epochs) &&
           same_doubles(a->val_loss, reference->val_loss, epochs) &&
           same_doubles(&a->train_score, &reference->train_score, 1) &&
           same_doubles(&a->val_score, &reference->val_score, 1) &&
           same_doubles(&a->test_score, &reference->test_score, 1);
}

/* Run runs[0..n) as one pack at `isa` and each alone; count the runs that
 * differ from their lone run or (with `with_reference`) the reference. */
static int count_pack_differences(const dataset *data, simd_isa isa, const train_params *runs,
                                  int n, bool with_reference, const char *label)
{
    sweep_error err;
    error_clear(&err);
    train_workspace *workspace = train_workspace_new_for(isa);
    assert_non_null(workspace);
    run_result packed[LANES_MAX], alone[LANES_MAX];
    run_result *packed_results[LANES_MAX];
    const train_params *pack_runs[LANES_MAX];
    for (int i = 0; i < n; i++) {
        assert_int_equal(run_result_init(&packed[i], runs[i].epochs, &err), 0);
        assert_int_equal(run_result_init(&alone[i], runs[i].epochs, &err), 0);
        packed_results[i] = &packed[i];
        pack_runs[i] = &runs[i];
    }
    if (train_pack(workspace, data, pack_runs, n, packed_results, &err) != 0)
        fail_msg("train_pack: %s", err.message);
    int differences = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(train_run(workspace, data, &runs[i], &alone[i], &err), 0);
        int same = same_result(&packed[i], &alone[i], runs[i].epochs);
        if (same && with_reference) {
            run_result reference;
            assert_int_equal(run_result_init(&reference, runs[i].epochs, &err), 0);
            assert_int_equal(reference_train_run(data, &runs[i], &reference), 0);
            same = same_as_reference(&packed[i], &reference, runs[i].epochs);
            run_result_free(&reference);
        }
        if (!same)
            printf("  DIFFERENT: %s [%s] lane %d of %d (status %d/%d, epochs %d/%d)\n", label,
                   simd_name(isa), i, n, packed[i].status, alone[i].status, packed[i].epochs_done,
                   alone[i].epochs_done);
        differences += !same;
        run_result_free(&packed[i]);
        run_result_free(&alone[i]);
    }
    train_workspace_delete(workspace);
    return differences;
}

/* Runs of one shape, lane i with its own seed, penalties and rate. */
static void mixed_runs(int batch_size, int units, int epochs, int n, train_params *runs)
{
    static const double penalties[][2] = {{0.0, 0.01}, {0.001, 0.0}, {0.001, 0.01}, {0.0, 0.0}};
    static const double rates[] = {0.1, 0.05, 0.2, 0.01, 0.3};
    for (int i = 0; i < n; i++) {
        runs[i] = params_defaults();
        runs[i].batch_size = batch_size;
        runs[i].units = units;
        runs[i].epochs = epochs;
        runs[i].seed = (uint32_t)(42 + 1000 * i);
        runs[i].l1 = penalties[i % 4][0];
        runs[i].l2 = penalties[i % 4][1];
        runs[i].learning_rate = rates[i % 5];
    }
}

/* The grid: batch sizes 1, 3, 8, 32, 364 (all the train rows) and 1000
 * (more) x units 1, 7, 10, 13 x every supported level, each a full pack of
 * mixed runs, 12 epochs; and every pack width 1 .. lanes once. */
static void test_pack_equals_lone_and_reference(void **state)
{
    const dataset *data = *state;
    static const int batch_sizes[] = {1, 3, 8, 32, 364, 1000};
    static const int unit_counts[] = {1, 7, 10, 13};
    int runs_checked = 0, differences = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        const int lanes = simd_lanes((simd_isa)isa);
        train_params runs[LANES_MAX];
        for (size_t b = 0; b < sizeof batch_sizes / sizeof batch_sizes[0]; b++)
            for (size_t u = 0; u < sizeof unit_counts / sizeof unit_counts[0]; u++) {
                mixed_runs(batch_sizes[b], unit_counts[u], 12, lanes, runs);
                char label[80];
                snprintf(label, sizeof label, "batch %d units %d", batch_sizes[b], unit_counts[u]);
                differences +=
                    count_pack_differences(data, (simd_isa)isa, runs, lanes, b % 2 == 0, label);
                runs_checked += lanes;
            }
        for (int width = 1; width <= lanes; width++) {
            mixed_runs(16, 10, 8, width, runs);
            differences +=
                count_pack_differences(data, (simd_isa)isa, runs, width, true, "pack width");
            runs_checked += width;
        }
    }
    printf("packed vs lone and reference: %d runs, %d differ (tolerance: none)\n", runs_checked,
           differences);
    assert_int_equal(differences, 0);
}

/* The batch kernel takes the rows in chunks (network_pack_chunk_rows: 34
 * rows of wdbc at 8 lanes, 68 at 4, 64 at 2) and the units in blocks of
 * PACK_UNIT_BLOCK (12 or 16): batch sizes around the chunk's edges (a batch
 * one row short of a chunk, one and two rows over, two chunks and one row)
 * and unit counts 2 and 17 (two blocks at every level), 4 epochs, each a
 * full pack of mixed runs. */
static void test_pack_chunk_and_block_edges(void **state)
{
    const dataset *data = *state;
    static const int unit_counts[] = {2, 17};
    int runs_checked = 0, differences = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        const int lanes = simd_lanes((simd_isa)isa);
        const int chunk = network_pack_chunk_rows(data->n_features, lanes);
        const int batch_sizes[] = {2, 31, chunk - 1, chunk + 1, chunk + 2, 2 * chunk + 1};
        train_params runs[LANES_MAX];
        for (size_t b = 0; b < sizeof batch_sizes / sizeof batch_sizes[0]; b++)
            for (size_t u = 0; u < sizeof unit_counts / sizeof unit_counts[0]; u++) {
                mixed_runs(batch_sizes[b], unit_counts[u], 4, lanes, runs);
                char label[80];
                snprintf(label, sizeof label, "chunk %d: batch %d units %d", chunk, batch_sizes[b],
                         unit_counts[u]);
                differences +=
                    count_pack_differences(data, (simd_isa)isa, runs, lanes, b == 3, label);
                runs_checked += lanes;
            }
    }
    printf("chunk and block edges: %d runs, %d differ (tolerance: none)\n", runs_checked,
           differences);
    assert_int_equal(differences, 0);
}

/* wdbc cut to its first n_features columns, or widened by repeating them
 * (other feature counts give other chunk sizes and gather paths). */
static void reshaped_copy(const dataset *data, int n_features, dataset *out, double **arrays)
{
    *out = *data;
    out->n_features = n_features;
    const double *sources[] = {data->x_train, data->x_val, data->x_test};
    const int counts[] = {data->n_train, data->n_val, data->n_test};
    for (int k = 0; k < 3; k++) {
        arrays[k] =
            malloc((size_t)(counts[k] > 0 ? counts[k] : 1) * (size_t)n_features * sizeof(double));
        assert_non_null(arrays[k]);
        for (int r = 0; r < counts[k]; r++)
            for (int f = 0; f < n_features; f++)
                arrays[k][(size_t)r * n_features + f] =
                    sources[k][(size_t)r * data->n_features + f % data->n_features] *
                    (1.0 + 0.01 * (f / data->n_features));
    }
    out->x_train = arrays[0];
    out->x_val = arrays[1];
    out->x_test = data->n_test > 0 ? arrays[2] : NULL;
}

/* 3 features (chunks of 64 rows, no 8-feature gather blocks), 9 (one
 * gather block and an overlapping one) and 250 (chunks of 4 rows at 8
 * lanes): every level, a full pack, batch sizes 1, 33 and 364. */
static void test_pack_feature_counts(void **state)
{
    const dataset *data = *state;
    static const int feature_counts[] = {3, 9, 250};
    static const int batch_sizes[] = {1, 33, 364};
    int differences = 0;
    for (size_t k = 0; k < sizeof feature_counts / sizeof feature_counts[0]; k++) {
        dataset reshaped;
        double *arrays[3];
        reshaped_copy(data, feature_counts[k], &reshaped, arrays);
        for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
            if (!simd_supported((simd_isa)isa))
                continue;
            const int lanes = simd_lanes((simd_isa)isa);
            train_params runs[LANES_MAX];
            for (size_t b = 0; b < sizeof batch_sizes / sizeof batch_sizes[0]; b++) {
                mixed_runs(batch_sizes[b], 10, 3, lanes, runs);
                char label[80];
                snprintf(label, sizeof label, "%d features, batch %d", feature_counts[k],
                         batch_sizes[b]);
                differences +=
                    count_pack_differences(&reshaped, (simd_isa)isa, runs, lanes, true, label);
            }
        }
        for (int i = 0; i < 3; i++)
            free(arrays[i]);
    }
    assert_int_equal(differences, 0);
}

/* One lane diverges (learning rate 1e6: its loss overflows) while the
 * others go on: it fails at the lone run's epoch with the lone run's
 * message, the others equal their lone runs. Also saturating rates 5, 50. */
static void test_pack_lane_diverges(void **state)
{
    const dataset *data = *state;
    int differences = 0, failed = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        const int lanes = simd_lanes((simd_isa)isa);
        for (int batch_size = 1; batch_size <= 64; batch_size *= 8) {
            train_params runs[LANES_MAX];
            mixed_runs(batch_size, 10, 20, lanes, runs);
            runs[lanes - 1].learning_rate = 1e6; /* with l2 0.01: inf at epoch 4 */
            runs[lanes - 1].l1 = 0.0;
            runs[lanes - 1].l2 = 0.01;
            runs[0].learning_rate = 5.0;
            if (lanes > 2)
                runs[1].learning_rate = 50.0;
            differences +=
                count_pack_differences(data, (simd_isa)isa, runs, lanes, true, "diverging lane");
            run_result alone;
            sweep_error err;
            assert_int_equal(run_result_init(&alone, 20, &err), 0);
            train_workspace *workspace = train_workspace_new_for((simd_isa)isa);
            assert_int_equal(train_run(workspace, data, &runs[lanes - 1], &alone, &err), 0);
            failed += alone.status == RUN_FAILED;
            train_workspace_delete(workspace);
            run_result_free(&alone);
        }
    }
    printf("packs with a diverging lane: %d differ, %d lone runs failed as they should\n",
           differences, failed);
    assert_int_equal(differences, 0);
    assert_true(failed > 0);
}

/* Targets other than 0 and 1: the loss takes both logs, still the lone bits. */
static void test_pack_soft_labels(void **state)
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
    const simd_isa isa = simd_best();
    train_params runs[LANES_MAX];
    mixed_runs(20, 10, 10, simd_lanes(isa), runs);
    differences += count_pack_differences(&soft, isa, runs, simd_lanes(isa), true, "soft labels");
    assert_int_equal(differences, 0);
    free(y_train);
    free(y_val);
}

/* A cancel abandons the whole pack: every run stays pending. */
static void test_pack_cancel_abandons_all(void **state)
{
    const dataset *data = *state;
    const simd_isa isa = simd_best();
    const int lanes = simd_lanes(isa);
    train_params runs[LANES_MAX];
    mixed_runs(32, 10, 1000000, lanes, runs);
    runs[0].learning_rate = 1e6; /* a failed lane is abandoned too */
    static volatile sig_atomic_t cancel = 1;
    train_workspace *workspace = train_workspace_new_for(isa);
    train_workspace_set_cancel(workspace, &cancel);
    run_result results[LANES_MAX];
    run_result *result_pointers[LANES_MAX];
    const train_params *pack_runs[LANES_MAX];
    sweep_error err;
    for (int i = 0; i < lanes; i++) {
        assert_int_equal(run_result_init(&results[i], runs[i].epochs, &err), 0);
        result_pointers[i] = &results[i];
        pack_runs[i] = &runs[i];
    }
    assert_int_equal(train_pack(workspace, data, pack_runs, lanes, result_pointers, &err), 0);
    for (int i = 0; i < lanes; i++) {
        assert_int_equal(results[i].status, RUN_PENDING);
        assert_int_equal(results[i].epochs_done, 0);
        assert_true(isnan(results[i].train_loss[0]));
        run_result_free(&results[i]);
    }
    train_workspace_delete(workspace);
}

/* Runs of different shapes are refused, as a runtime error. */
static void test_pack_refuses_mixed_shapes(void **state)
{
    const dataset *data = *state;
    const simd_isa isa = SIMD_GENERIC;
    train_params runs[2];
    mixed_runs(32, 10, 2, 2, runs);
    runs[1].units = 11;
    train_workspace *workspace = train_workspace_new_for(isa);
    run_result results[2];
    run_result *result_pointers[2] = {&results[0], &results[1]};
    const train_params *pack_runs[2] = {&runs[0], &runs[1]};
    sweep_error err;
    error_clear(&err);
    for (int i = 0; i < 2; i++)
        assert_int_equal(run_result_init(&results[i], 2, &err), 0);
    assert_int_equal(train_pack(workspace, data, pack_runs, 2, result_pointers, &err), -1);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    for (int i = 0; i < 2; i++)
        run_result_free(&results[i]);
    train_workspace_delete(workspace);
}

/* ---- the benchmark: `test_model_minibatch_pack bench [rounds batch isa|all epochs]` ---- */

/* The thread's CPU seconds: the machine is shared, and CPU time leaves out
 * the time other programs hold the core. */
static double cpu_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* One pack of `lanes` runs on wdbc: the epochs' CPU seconds (start and
 * scores left out: they are the same whatever the kernel). */
static double time_pack_epochs(simd_isa isa, const dataset *data, const train_params *runs,
                               int lanes)
{
    const model_pack_ops *pack = MODEL_MINIBATCH_OPS.pack;
    void *state = pack->state_new(isa);
    assert_non_null(state);
    const train_params *lane_runs[LANES_MAX];
    for (int i = 0; i < lanes; i++)
        lane_runs[i] = &runs[i];
    sweep_error err;
    error_clear(&err);
    if (pack->start(state, data, lane_runs, lanes, &err) < 0)
        fail_msg("%s", err.message);
    epoch_outcome outcomes[LANES_MAX];
    const double start = cpu_seconds();
    for (int e = 0; e < runs[0].epochs; e++)
        pack->epoch(state, data, outcomes);
    const double seconds = cpu_seconds() - start;
    pack->state_delete(state);
    return seconds;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A full pack of runs (units 10, l2 0.01, 100 epochs, seeds 42...) at each
 * instruction set: the median over `rounds` of the epochs' CPU time per
 * run, and per pack of rows (one row of every lane's run), in cycles of a
 * 2.8 GHz core. */
static int bench(int rounds, int batch_size, const char *only, int epochs)
{
    dataset data;
    void *state = NULL;
    if (load_wdbc(&state) != 0)
        return 1;
    data = *(dataset *)state;
    enum { MAX_ROUNDS = 31 };
    rounds = rounds < 1 ? 1 : (rounds > MAX_ROUNDS ? MAX_ROUNDS : rounds);
    printf("wdbc: %d train rows, %d val rows, units 10, batch %d, %d epochs, %d rounds\n",
           data.n_train, data.n_val, batch_size, epochs, rounds);
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa) ||
            (only != NULL && strcmp(only, simd_name((simd_isa)isa)) != 0))
            continue;
        const int lanes = simd_lanes((simd_isa)isa);
        train_params runs[LANES_MAX];
        for (int i = 0; i < lanes; i++) {
            runs[i] = params_defaults();
            runs[i].batch_size = batch_size;
            runs[i].epochs = epochs;
            runs[i].l2 = 0.01;
            runs[i].seed = (uint32_t)(42 + i);
        }
        double seconds[MAX_ROUNDS];
        for (int r = 0; r < rounds; r++)
            seconds[r] = time_pack_epochs((simd_isa)isa, &data, runs, lanes);
        qsort(seconds, (size_t)rounds, sizeof(double), compare_doubles);
        const double median = seconds[rounds / 2];
        const double row_packs = (double)epochs * (data.n_train + data.n_val);
        printf("%-8s %d lanes: epochs' CPU time %.3f ms per run, %.0f cycles (2.8 GHz) per "
               "pack of rows (train and val)\n",
               simd_name((simd_isa)isa), lanes, 1e3 * median / lanes, median * 2.8e9 / row_packs);
    }
    free_wdbc(&state);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "bench") == 0)
        return bench(argc > 2 ? atoi(argv[2]) : 5, argc > 3 ? atoi(argv[3]) : 32,
                     argc > 4 && strcmp(argv[4], "all") != 0 ? argv[4] : NULL,
                     argc > 5 ? atoi(argv[5]) : 100);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_equals_lone_and_reference),
        cmocka_unit_test(test_pack_chunk_and_block_edges),
        cmocka_unit_test(test_pack_feature_counts),
        cmocka_unit_test(test_pack_lane_diverges),
        cmocka_unit_test(test_pack_soft_labels),
        cmocka_unit_test(test_pack_cancel_abandons_all),
        cmocka_unit_test(test_pack_refuses_mixed_shapes),
    };
    return cmocka_run_group_tests(tests, load_wdbc, free_wdbc);
}
