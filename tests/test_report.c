/* Tests of src/report.c: the dry-run table, the summary table and the
 * progress lines. Expected texts are exact (formatting is the contract). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Everything written to a temporary stream, as a malloc'd string. */
static char *stream_text(FILE *stream)
{
    long size = ftell(stream);
    rewind(stream);
    char *text = calloc((size_t)size + 1, 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, stream), (size_t)size);
    return text;
}

static train_params run_with(int batch_size, double l2, uint32_t seed)
{
    train_params params = params_defaults();
    params.batch_size = batch_size;
    params.l2 = l2;
    params.seed = seed;
    return params;
}

static void test_runs_table(void **state)
{
    (void)state;
    train_params runs[2] = {run_with(32, 0.01, 42), run_with(128, 0.01, 42)};
    FILE *out = tmpfile();
    assert_non_null(out);
    report_runs(out, runs, 2, NULL);
    char *text = stream_text(out);
    const char *expected =
        "   run    batch_size learning_rate            l1            l2         units        epochs          seed\n"
        "     0            32           0.1             0          0.01            10           500            42\n"
        "     1           128           0.1             0          0.01            10           500            42\n"
        "2 runs\n";
    assert_string_equal(text, expected);
    free(text);
    fclose(out);
}

/* Under cross-validation: repeat and fold columns, and the count says how
 * the grid's points multiply. */
static void test_runs_table_with_folds(void **state)
{
    (void)state;
    train_params runs[4];
    for (int i = 0; i < 4; i++) {
        runs[i] = run_with(32, 0.0, 0);
        runs[i].repeat = i / 2;
        runs[i].fold = i % 2;
    }
    FILE *out = tmpfile();
    fold_settings cv = {.n_splits = 2, .n_repeats = 2, .shuffle = true, .seed = 0};
    report_runs(out, runs, 4, &cv);
    char *text = stream_text(out);
    const char *header_end = strstr(text, "seed repeat fold\n");
    assert_non_null(header_end);
    assert_non_null(strstr(text, "            0      1    0\n"));
    assert_non_null(strstr(text, "\n4 runs (1 grid point x 2 repeats x 2 folds)\n"));
    free(text);
    fclose(out);
    cv.n_repeats = 1;
    out = tmpfile();
    report_runs(out, runs, 4, &cv);
    text = stream_text(out);
    assert_non_null(strstr(text, "\n4 runs (2 grid points x 2 folds)\n"));
    free(text);
    fclose(out);
}

/* Two grid points with three seeds each; the second point is better, one of
 * its runs failed and is counted, not averaged. Means and sample std are
 * checked against values worked out by hand (exact to the printed digits). */
static void test_summary_groups_and_orders(void **state)
{
    (void)state;
    train_params runs[6] = {run_with(32, 0, 0),  run_with(32, 0, 1),  run_with(32, 0, 2),
                            run_with(128, 0, 0), run_with(128, 0, 1), run_with(128, 0, 2)};
    run_summary summaries[6] = {{RUN_DONE, 0.90, 0.80, 0.3}, {RUN_DONE, 0.92, 0.80, 0.3},
                                {RUN_DONE, 0.94, 0.80, 0.3}, {RUN_DONE, 0.97, 0.90, 0.1},
                                {RUN_DONE, 0.99, 0.90, 0.2}, {RUN_FAILED, NAN, NAN, NAN}};
    FILE *out = tmpfile();
    sweep_error err = {0};
    assert_int_equal(report_summary(out, runs, summaries, 6, &err), 0);
    char *text = stream_text(out);
    /* 128: mean 0.98, s = sqrt(((0.01)^2*2)/1) = 0.014142, n 2, t(0.975, 1) =
     * 12.706205: half-width 0.127062; 32: mean 0.92, s 0.02, n 3, t(0.975, 2)
     * = 4.302653: half-width 0.049683 (t from mpmath). */
    const char *expected =
        "   batch_size  done  failed  val_acc [95% CI]           test_acc    val_loss\n"
        "          128     2       1   0.9800 [0.8529, 1.1071]     0.9000      0.1500\n"
        "           32     3       0   0.9200 [0.8703, 0.9697]     0.8000      0.3000\n";
    assert_string_equal(text, expected);
    free(text);
    fclose(out);
}

/* Preparing the summary ahead (the t quantile of the first point's runs, here
 * t(0.975, 2)) changes nothing in it: the same table as above, where the
 * other point needs t(0.975, 1). */
static void test_summary_prepared_ahead_is_the_same(void **state)
{
    (void)state;
    train_params runs[6] = {run_with(32, 0, 0),  run_with(32, 0, 1),  run_with(32, 0, 2),
                            run_with(128, 0, 0), run_with(128, 0, 1), run_with(128, 0, 2)};
    run_summary summaries[6] = {{RUN_DONE, 0.90, 0.80, 0.3}, {RUN_DONE, 0.92, 0.80, 0.3},
                                {RUN_DONE, 0.94, 0.80, 0.3}, {RUN_DONE, 0.97, 0.90, 0.1},
                                {RUN_DONE, 0.99, 0.90, 0.2}, {RUN_FAILED, NAN, NAN, NAN}};
    report_summary_prepare(runs, 6);
    assert_true(fabs(report_t_975(2) - 4.3026527297494637) < 1e-10);
    FILE *out = tmpfile();
    sweep_error err = {0};
    assert_int_equal(report_summary(out, runs, summaries, 6, &err), 0);
    char *text = stream_text(out);
    const char *expected =
        "   batch_size  done  failed  val_acc [95% CI]           test_acc    val_loss\n"
        "          128     2       1   0.9800 [0.8529, 1.1071]     0.9000      0.1500\n"
        "           32     3       0   0.9200 [0.8703, 0.9697]     0.8000      0.3000\n";
    assert_string_equal(text, expected);
    free(text);
    fclose(out);
    report_summary_prepare(runs, 0); /* nothing to prepare */
}

/* Under cross-validation the interval goes over the split means with the
 * corrected resampled t: 2 seeds x 3 folds; the split means 0.91, 0.95 and
 * 0.97 have mean 0.943333 and s = 0.030551; with J = 3 splits and K = 3
 * folds the half-width is t(0.975, 2) * s * sqrt(1/3 + 1/2) = 0.119995
 * (scipy: [0.823338, 1.063329]). A plain t over the 6 runs would give
 * [0.9125, 0.9742]. */
static void test_summary_under_cv_uses_the_split_means(void **state)
{
    (void)state;
    const double scores[3][2] = {{0.90, 0.92}, {0.94, 0.96}, {0.96, 0.98}};
    train_params runs[6];
    run_summary summaries[6];
    for (int fold = 0; fold < 3; fold++)
        for (int seed = 0; seed < 2; seed++) {
            int i = fold * 2 + seed;
            runs[i] = run_with(32, 0, (uint32_t)seed);
            runs[i].fold = fold;
            runs[i].repeat = 0;
            summaries[i] = (run_summary){RUN_DONE, scores[fold][seed], 0.9, 0.2};
        }
    FILE *out = tmpfile();
    sweep_error err = {0};
    assert_int_equal(report_summary(out, runs, summaries, 6, &err), 0);
    char *text = stream_text(out);
    assert_non_null(strstr(text, "\n    6   0.9433 [0.8233, 1.0633]"));
    free(text);
    fclose(out);
}

/* The seed as the slowest key: the runs of a point are not next to each
 * other, and the table is the one of test_summary_groups_and_orders. */
static void test_summary_groups_whatever_the_key_order(void **state)
{
    (void)state;
    train_params runs[6] = {run_with(32, 0, 0),  run_with(128, 0, 0), run_with(32, 0, 1),
                            run_with(128, 0, 1), run_with(32, 0, 2),  run_with(128, 0, 2)};
    run_summary summaries[6] = {{RUN_DONE, 0.90, 0.80, 0.3}, {RUN_DONE, 0.97, 0.90, 0.1},
                                {RUN_DONE, 0.92, 0.80, 0.3}, {RUN_DONE, 0.99, 0.90, 0.2},
                                {RUN_DONE, 0.94, 0.80, 0.3}, {RUN_FAILED, NAN, NAN, NAN}};
    FILE *out = tmpfile();
    sweep_error err = {0};
    assert_int_equal(report_summary(out, runs, summaries, 6, &err), 0);
    char *text = stream_text(out);
    const char *expected =
        "   batch_size  done  failed  val_acc [95% CI]           test_acc    val_loss\n"
        "          128     2       1   0.9800 [0.8529, 1.1071]     0.9000      0.1500\n"
        "           32     3       0   0.9200 [0.8703, 0.9697]     0.8000      0.3000\n";
    assert_string_equal(text, expected);
    free(text);
    fclose(out);
}

/* One run per point: no spread to show; no test rows: no test column. */
static void test_summary_single_seed_without_test_rows(void **state)
{
    (void)state;
    train_params runs[2] = {run_with(32, 0.01, 42), run_with(128, 0.01, 42)};
    run_summary summaries[2] = {{RUN_DONE, 0.978021978021978, NAN, 0.07},
                                {RUN_DONE, 0.978021978021978, NAN, 0.08}};
    FILE *out = tmpfile();
    sweep_error err = {0};
    assert_int_equal(report_summary(out, runs, summaries, 2, &err), 0);
    char *text = stream_text(out);
    const char *expected = "   batch_size  done  val_acc [95% CI]            val_loss\n"
                           "           32     1   0.9780                       0.0700\n"
                           "          128     1   0.9780                       0.0800\n";
    assert_string_equal(text, expected);
    free(text);
    fclose(out);
}

/* Failed and pending runs each have a named column (no "2+1" to decode):
 * here a point with a failed run and one with a pending run. */
static void test_summary_names_failed_and_pending_counts(void **state)
{
    (void)state;
    train_params runs[4] = {run_with(32, 0, 0), run_with(32, 0, 1), run_with(128, 0, 0),
                            run_with(128, 0, 1)};
    run_summary summaries[4] = {{RUN_DONE, 0.90, 0.80, 0.3},
                                {RUN_FAILED, NAN, NAN, NAN},
                                {RUN_DONE, 0.95, 0.85, 0.2},
                                {RUN_PENDING, NAN, NAN, NAN}};
    FILE *out = tmpfile();
    sweep_error err = {0};
    assert_int_equal(report_summary(out, runs, summaries, 4, &err), 0);
    char *text = stream_text(out);
    const char *expected =
        "   batch_size  done  failed  pending  val_acc [95% CI]           test_acc    val_loss\n"
        "          128     1       0        1   0.9500                      0.8500      0.2000\n"
        "           32     1       1        0   0.9000                      0.8000      0.3000\n";
    assert_string_equal(text, expected);
    free(text);
    fclose(out);
}

/* Not a terminal: a plain line per tenth of the runs, and the last one. */
static void test_progress_plain_lines(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    progress bar;
    progress_start(&bar, out, 20, false);
    for (size_t done = 1; done <= 20; done++)
        progress_update(&bar, done, done >= 19 ? done - 18 : 0);
    progress_finish(&bar);
    char *text = stream_text(out);
    int lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 10); /* every 2nd run of 20 */
    assert_non_null(strstr(text, "sweep: 2/20 runs (10%)"));
    assert_non_null(strstr(text, "sweep: 20/20 runs (100%, 2 failed)"));
    assert_null(strchr(text, '\r'));
    free(text);
    fclose(out);
}

static void test_progress_quiet_prints_nothing(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    progress bar;
    progress_start(&bar, out, 3, true);
    for (size_t done = 1; done <= 3; done++)
        progress_update(&bar, done, 0);
    progress_finish(&bar);
    assert_int_equal(ftell(out), 0);
    fclose(out);
}

/* The t quantile against mpmath (30 digits: the root of
 * betainc(df/2, 1/2, 0, df/(df+t^2), regularized)/2 = 0.025), within 1e-10.
 * (scipy.stats.t.ppf is off by 1e-9 at df 59, so it is not the reference.)
 * df 0 has none. */
static void test_t_quantile_matches_mpmath(void **state)
{
    (void)state;
    const struct {
        int df;
        double quantile;
    } cases[] = {{1, 12.706204736174704},    {2, 4.3026527297494637},  {4, 2.7764451051977943},
                 {9, 2.2621571627982055},    {29, 2.0452296421327043}, {59, 2.0009953780882677},
                 {1000, 1.9623390808264085}, {4, 2.7764451051977943}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_true(fabs(report_t_975(cases[i].df) - cases[i].quantile) < 1e-10);
    assert_true(isnan(report_t_975(0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_table),
        cmocka_unit_test(test_runs_table_with_folds),
        cmocka_unit_test(test_summary_groups_and_orders),
        cmocka_unit_test(test_summary_prepared_ahead_is_the_same),
        cmocka_unit_test(test_t_quantile_matches_mpmath),
        cmocka_unit_test(test_summary_under_cv_uses_the_split_means),
        cmocka_unit_test(test_summary_groups_whatever_the_key_order),
        cmocka_unit_test(test_summary_single_seed_without_test_rows),
        cmocka_unit_test(test_summary_names_failed_and_pending_counts),
        cmocka_unit_test(test_progress_plain_lines),
        cmocka_unit_test(test_progress_quiet_prints_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
