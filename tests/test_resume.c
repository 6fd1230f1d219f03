/* Tests of src/resume.c: which runs of an existing results file a resumed
 * sweep keeps, and which files it refuses to continue.
 *
 * Reference: the runs' places, worked out by hand for each case, and the
 * exact one-line messages. No tolerance is involved (no arithmetic). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "resume.h"

/* Four runs of the config, differing in seed and batch size. */
static void config_runs(train_params runs[4])
{
    for (int run = 0; run < 4; run++) {
        runs[run] = params_defaults();
        runs[run].seed = (uint32_t)(run % 2);
        runs[run].batch_size = run < 2 ? 8 : 32;
    }
}

/* A file of `n_runs` runs (hyperparameters and summaries) and nothing else. */
static results_index file_of(train_params *runs, run_summary *summaries, size_t n_runs)
{
    results_index index = {0};
    index.n_runs = n_runs;
    index.runs = runs;
    index.summaries = summaries;
    index.dataset_name = "wdbc";
    index.data_checksum = "0123456789abcdef";
    index.shard = "";
    index.model = "minibatch";
    return index;
}

static void test_runs_are_matched_by_their_hyperparameters(void **state)
{
    (void)state;
    train_params ours[4];
    config_runs(ours);
    /* The file holds runs 3, 0 and 1 of the config, in that order. */
    train_params theirs[3] = {ours[3], ours[0], ours[1]};
    run_summary summaries[3] = {{.status = RUN_DONE},
                                {.status = RUN_FAILED},
                                {.status = RUN_PENDING}};
    results_index index = file_of(theirs, summaries, 3);
    long long copy_from[4];
    size_t n_kept = 99;
    sweep_error err = {0};
    assert_int_equal(resume_match("f.h5", &index, ours, 4, false, copy_from, &n_kept, &err), 0);
    assert_int_equal(copy_from[0], 1);  /* failed: kept */
    assert_int_equal(copy_from[1], -1); /* pending: trained */
    assert_int_equal(copy_from[2], -1); /* new: trained */
    assert_int_equal(copy_from[3], 0);  /* done: kept */
    assert_int_equal(n_kept, 2);

    assert_int_equal(resume_match("f.h5", &index, ours, 4, true, copy_from, &n_kept, &err), 0);
    assert_int_equal(copy_from[0], -1); /* failed, with --retry-failed: trained again */
    assert_int_equal(copy_from[3], 0);
    assert_int_equal(n_kept, 1);
}

static void test_a_run_missing_from_the_config_is_refused(void **state)
{
    (void)state;
    train_params ours[4];
    config_runs(ours);
    train_params theirs[3] = {ours[2], ours[0], ours[1]};
    theirs[1].units = 11; /* not in the config */
    theirs[2].units = 12; /* nor this; the first one (run 1) is named */
    run_summary summaries[3] = {{.status = RUN_DONE}, {.status = RUN_DONE}, {.status = RUN_DONE}};
    results_index index = file_of(theirs, summaries, 3);
    long long copy_from[4];
    size_t n_kept = 0;
    sweep_error err = {0};
    assert_int_equal(resume_match("f.h5", &index, ours, 4, false, copy_from, &n_kept, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    char described[512], expected[800];
    params_describe(&theirs[1], described, sizeof described);
    snprintf(expected, sizeof expected,
             "f.h5: cannot resume: 2 of its 3 runs are not in the config, e.g. run 1 (%s); use "
             "-o for a new file, or --overwrite",
             described);
    assert_string_equal(err.message, expected);
}

static void test_an_empty_file_or_config(void **state)
{
    (void)state;
    train_params ours[4];
    config_runs(ours);
    results_index index = file_of(NULL, NULL, 0);
    long long copy_from[4] = {5, 5, 5, 5};
    size_t n_kept = 7;
    sweep_error err = {0};
    assert_int_equal(resume_match("f.h5", &index, ours, 4, false, copy_from, &n_kept, &err), 0);
    for (int run = 0; run < 4; run++)
        assert_int_equal(copy_from[run], -1);
    assert_int_equal(n_kept, 0);
}

static void test_the_file_must_come_from_the_same_data_and_shard(void **state)
{
    (void)state;
    results_index index = file_of(NULL, NULL, 0);
    dataset data = {.name = "iris"};
    sweep_error err = {0};
    assert_int_equal(resume_check_origin("f.h5", &index, &data, "minibatch", "0123456789abcdef", "",
                                         &err),
                     0);
    assert_int_equal(resume_check_origin("f.h5", &index, &data, "minibatch", "fedcba9876543210", "",
                                         &err),
                     -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "f.h5: cannot resume: it was made from other data (wdbc, "
                                     "checksum 0123456789abcdef; the config's data iris has "
                                     "checksum fedcba9876543210)");
    /* A file without a checksum (an older one) is taken on trust. */
    index.data_checksum = "";
    assert_int_equal(resume_check_origin("f.h5", &index, &data, "minibatch", "fedcba9876543210", "",
                                         &err),
                     0);

    assert_int_equal(resume_check_origin("f.h5", &index, &data, "minibatch", "x", "1/4", &err), -1);
    assert_string_equal(err.message, "f.h5: cannot resume it as shard 1/4: it holds the whole "
                                     "grid (resume it without --shard)");
    index.shard = "2/4";
    assert_int_equal(resume_check_origin("f.h5", &index, &data, "minibatch", "x", "1/4", &err), -1);
    assert_string_equal(err.message, "f.h5: cannot resume it as shard 1/4: it is shard 2/4");
    assert_int_equal(resume_check_origin("f.h5", &index, &data, "minibatch", "x", "2/4", &err), 0);
    /* A shard's file grows into the whole grid's. */
    assert_int_equal(resume_check_origin("f.h5", &index, &data, "minibatch", "x", "", &err), 0);
    /* Runs of another network are never mixed in. */
    assert_int_equal(resume_check_origin("f.h5", &index, &data, "multiclass", "x", "", &err), -1);
    assert_string_equal(err.message, "f.h5: cannot resume: it holds runs of model minibatch, the "
                                     "config trains multiclass");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_are_matched_by_their_hyperparameters),
        cmocka_unit_test(test_a_run_missing_from_the_config_is_refused),
        cmocka_unit_test(test_an_empty_file_or_config),
        cmocka_unit_test(test_the_file_must_come_from_the_same_data_and_shard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
