/* Tests of src/team.c: one process's threads of a sweep and their queues.
 *
 * Reference: the runs of the schedule (each trained exactly once) and
 * train_run of the same run on this thread. Tolerance: none; results compare
 * bit for bit (memcmp). Nothing here depends on timing: waits are ended by
 * the event they wait for, and a test that waits for a timeout only checks
 * that it returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "team.h"

#define N_RUNS 9

typedef struct {
    sweep_team team;
    dataset data;
    train_params runs[N_RUNS];
    size_t schedule[N_RUNS];
    int n_stored[N_RUNS];
    run_result stored[N_RUNS];
    int n_steps;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    sweep_error err = {0};
    dataset_spec spec = dataset_spec_builtin("wdbc");
    assert_int_equal(dataset_load(&spec, &f->data, &err), 0);
    for (size_t run = 0; run < N_RUNS; run++) {
        f->runs[run] = params_defaults();
        f->runs[run].epochs = 2 + (int)(run % 3);
        f->runs[run].units = 3;
        f->runs[run].seed = (uint32_t)(100 + run);
        f->schedule[run] = (run * 4) % N_RUNS; /* a permutation: 0 4 8 3 7 2 6 1 5 */
    }
    f->team = (sweep_team){.runs = f->runs,
                           .schedule = f->schedule,
                           .n_runs = N_RUNS,
                           .n_scheduled = N_RUNS,
                           .data = &f->data};
    team_init(&f->team);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    team_destroy(&f->team);
    for (size_t run = 0; run < N_RUNS; run++)
        run_result_free(&f->stored[run]);
    dataset_free(&f->data);
    free(f);
    return 0;
}

/* Thread 0's step: keep every finished run; over once the workers left. */
static bool collect(void *context, bool wait)
{
    fixture *f = context;
    bool workers_gone = false;
    finished_run *batch = team_take_finished(&f->team, wait, 0.01, &workers_gone);
    while (batch != NULL) {
        finished_run *item = batch;
        batch = item->next;
        assert_true(item->index < N_RUNS);
        f->n_stored[item->index]++;
        run_result_free(&f->stored[item->index]);
        f->stored[item->index] = item->result; /* takes the curves */
        free(item);
    }
    f->n_steps++;
    return workers_gone;
}

static void check_every_run_trained_once(fixture *f)
{
    train_workspace *workspace = train_workspace_new();
    assert_non_null(workspace);
    sweep_error err = {0};
    for (size_t run = 0; run < N_RUNS; run++) {
        assert_int_equal(f->n_stored[run], 1);
        run_result local;
        int epochs = f->runs[run].epochs;
        assert_int_equal(run_result_init(&local, epochs, &err), 0);
        assert_int_equal(train_run(workspace, &f->data, &f->runs[run], &local, &err), 0);
        const run_result *got = &f->stored[run];
        assert_int_equal(got->status, local.status);
        assert_int_equal(got->epochs_done, local.epochs_done);
        assert_memory_equal(&got->val_score, &local.val_score, sizeof(double));
        assert_memory_equal(got->val_loss, local.val_loss, (size_t)epochs * sizeof(double));
        assert_memory_equal(got->train_loss, local.train_loss, (size_t)epochs * sizeof(double));
        assert_true(got->seconds >= 0);
        run_result_free(&local);
    }
    train_workspace_delete(workspace);
    assert_int_equal(team_worker_error(&f->team).kind, ERROR_NONE);
}

static void test_workers_train_the_schedule(void **state)
{
    fixture *f = *state;
    team_run(&f->team, 3, collect, f);
    check_every_run_trained_once(f);
    assert_true(team_schedule_used_up(&f->team));
    assert_int_equal(f->team.active_workers, 0);
}

/* Inside a parallel region with nesting off, OpenMP gives the team one
 * thread, which must train and step in turn. */
static void test_a_team_of_one_thread_trains_and_steps(void **state)
{
    fixture *f = *state;
    int levels = omp_get_max_active_levels();
    omp_set_max_active_levels(1);
    int team_size = 0;
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        {
#pragma omp parallel num_threads(3)
            {
#pragma omp single
                team_size = omp_get_num_threads();
            }
            team_run(&f->team, 3, collect, f);
        }
    }
    omp_set_max_active_levels(levels);
    assert_int_equal(team_size, 1);
    check_every_run_trained_once(f);
    /* It stepped between runs, not only at the end. */
    assert_true(f->n_steps >= N_RUNS);
}

/* Another rank's inbox: first in, first out; closed with `abandon` it drops
 * what waits. */
static void test_the_inbox(void **state)
{
    fixture *f = *state;
    sweep_team *team = &f->team;
    team->runs = NULL; /* a rank other than 0 */
    size_t index = 0;
    train_params params;
    assert_int_equal(team_take_run(team, false, &index, &params), 2);
    for (size_t run = 0; run < 3; run++) {
        assigned_run *item = calloc(1, sizeof *item);
        assert_non_null(item);
        item->index = 10 + run;
        item->params = f->runs[run];
        team_deliver(team, item);
    }
    assert_int_equal(team_take_run(team, false, &index, &params), 0);
    assert_int_equal(index, 10);
    assert_int_equal(params_compare(&params, &f->runs[0]), 0);
    assert_int_equal(team_take_run(team, true, &index, &params), 0);
    assert_int_equal(index, 11);
    assert_false(team_inbox_closed(team));
    team_close_inbox(team, false); /* drain: what waits is still trained */
    assert_true(team_inbox_closed(team));
    assert_int_equal(team_take_run(team, true, &index, &params), 0);
    assert_int_equal(index, 12);
    assert_int_equal(team_take_run(team, true, &index, &params), 1);

    assigned_run *item = calloc(1, sizeof *item);
    assert_non_null(item);
    team_deliver(team, item);
    team_close_inbox(team, true);
    assert_null(team->inbox_head);
    assert_null(team->inbox_tail);
    assert_int_equal(team_take_run(team, false, &index, &params), 1);
}

static void *wait_for_a_run(void *argument)
{
    sweep_team *team = argument;
    size_t index = 0;
    train_params params;
    static int taken;
    taken = team_take_run(team, true, &index, &params);
    return &taken;
}

/* A worker waiting on an empty inbox leaves when the team halts. */
static void test_halt_wakes_a_waiting_worker(void **state)
{
    fixture *f = *state;
    f->team.runs = NULL;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, wait_for_a_run, &f->team), 0);
    team_halt(&f->team);
    void *taken = NULL;
    assert_int_equal(pthread_join(thread, &taken), 0);
    assert_int_equal(*(int *)taken, 1);
    assert_true(team_stopped(&f->team));
}

static void test_the_first_error_is_kept(void **state)
{
    fixture *f = *state;
    sweep_error first, second;
    error_set(&first, ERROR_RUNTIME, "out of memory for run 4");
    error_set(&second, ERROR_RUNTIME, "out of memory for run 5");
    team_record_error(&f->team, &first);
    team_record_error(&f->team, &second);
    assert_string_equal(team_worker_error(&f->team).message, "out of memory for run 4");
    assert_true(team_stopped(&f->team));
    size_t index = 0;
    train_params params;
    assert_int_equal(team_take_run(&f->team, false, &index, &params), 1);
}

/* The finished-run queue keeps the order of the pushes; workers_gone says
 * whether any worker may still push. */
static void test_the_finished_queue(void **state)
{
    fixture *f = *state;
    sweep_team *team = &f->team;
    team->active_workers = 1;
    bool workers_gone = true;
    assert_null(team_take_finished(team, true, 0.001, &workers_gone)); /* times out */
    assert_false(workers_gone);
    for (size_t run = 0; run < 3; run++) {
        finished_run *item = calloc(1, sizeof *item);
        assert_non_null(item);
        item->index = run;
        team_push_finished(team, item);
    }
    team_leave(team);
    finished_run *batch = team_take_finished(team, true, 10.0, &workers_gone);
    assert_true(workers_gone);
    size_t expected = 0;
    for (finished_run *item = batch; item != NULL; item = item->next)
        assert_int_equal(item->index, expected++);
    assert_int_equal(expected, 3);
    team_free_finished(batch);
    /* Nothing queued and no worker left: no wait at all. */
    assert_null(team_take_finished(team, true, 1000.0, &workers_gone));
}

/* Packs pushed at once keep their runs' order; thread 0 takes them all in
 * one batch, without waiting since the queue is not empty. */
static void test_finished_packs_keep_their_order(void **state)
{
    fixture *f = *state;
    sweep_team *team = &f->team;
    team->active_workers = 1;
    size_t pushed = 0;
    for (int pack = 0; pack < 7; pack++) {
        finished_run *items[9];
        for (int i = 0; i < 9; i++) {
            items[i] = calloc(1, sizeof *items[i]);
            assert_non_null(items[i]);
            items[i]->index = pushed++;
        }
        team_push_finished_pack(team, items, 9);
    }
    bool workers_gone = true;
    finished_run *batch = team_take_finished(team, true, 60.0, &workers_gone);
    size_t expected = 0;
    for (finished_run *item = batch; item != NULL; item = item->next)
        assert_int_equal(item->index, expected++);
    assert_int_equal(expected, 63);
    assert_false(workers_gone);
    team_free_finished(batch);
    assert_int_equal(team->n_queued, 0);
}

static void test_worker_count(void **state)
{
    (void)state;
    assert_int_equal(team_worker_count(4, 2), 2);
    assert_int_equal(team_worker_count(3, 100), 3);
    assert_int_equal(team_worker_count(0, 1), 1);
    assert_int_equal(team_worker_count(0, 0),
                     omp_get_max_threads() > 0 ? omp_get_max_threads() : 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_workers_train_the_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_team_of_one_thread_trains_and_steps, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_inbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_halt_wakes_a_waiting_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_first_error_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_finished_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finished_packs_keep_their_order, setup, teardown),
        cmocka_unit_test(test_worker_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
