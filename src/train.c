/* train.c: one training run of any model (model.h), and its result.
 *
 * What every model shares lives here: the checks of a run, the epoch loop,
 * the watch for a cancel, and the detection of a diverged run (a train or
 * val loss that is not finite ends the run as failed). The model's own steps
 * (initialization, one epoch, the scores) come from its table entry; each
 * worker's workspace holds one state per model, made when first needed and
 * reused across the worker's runs.
 */
#include "train.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lanes.h"
#include "model.h"
#include "simd.h"

struct train_workspace {
    simd_isa isa;                        /* the kernels' instruction set */
    void *states[MODEL_COUNT];           /* each model's arrays, NULL until used */
    void *pack_states[MODEL_COUNT];      /* the same for packs of runs */
    const volatile sig_atomic_t *cancel; /* nonzero: abandon the run after the grace */
};

train_workspace *train_workspace_new_for(simd_isa isa)
{
    if (!simd_supported(isa))
        return NULL;
    train_workspace *workspace = calloc(1, sizeof(train_workspace));
    if (workspace != NULL)
        workspace->isa = isa;
    return workspace;
}

train_workspace *train_workspace_new(void)
{
    return train_workspace_new_for(simd_best());
}

void train_workspace_set_cancel(train_workspace *workspace, const volatile sig_atomic_t *cancel)
{
    workspace->cancel = cancel;
}

void train_workspace_delete(train_workspace *workspace)
{
    if (workspace == NULL)
        return;
    for (int id = 0; id < MODEL_COUNT; id++)
        if (workspace->states[id] != NULL)
            model_get((model_id)id)->state_delete(workspace->states[id]);
    for (int id = 0; id < MODEL_COUNT; id++)
        if (workspace->pack_states[id] != NULL)
            model_get((model_id)id)->pack->state_delete(workspace->pack_states[id]);
    free(workspace);
}

/* Every epoch of every curve NaN: not trained. */
static void clear_curves(run_result *result)
{
    for (int e = 0; e < result->epochs; e++)
        result->train_loss[e] = result->val_loss[e] = result->train_acc[e] = result->val_acc[e] =
            NAN;
}

int run_result_init(run_result *result, int epochs, sweep_error *err)
{
    memset(result, 0, sizeof *result);
    if (epochs < 1)
        return error_set(err, ERROR_RUNTIME, "run_result_init: epochs must be >= 1, got %d",
                         epochs);
    result->train_loss = malloc((size_t)epochs * sizeof(double));
    result->val_loss = malloc((size_t)epochs * sizeof(double));
    result->train_acc = malloc((size_t)epochs * sizeof(double));
    result->val_acc = malloc((size_t)epochs * sizeof(double));
    if (result->train_loss == NULL || result->val_loss == NULL || result->train_acc == NULL ||
        result->val_acc == NULL) {
        run_result_free(result);
        return error_set(err, ERROR_RUNTIME, "out of memory for the loss curves of %d epochs",
                         epochs);
    }
    result->epochs = epochs;
    clear_curves(result);
    result->train_score = NAN;
    result->val_score = NAN;
    result->test_score = NAN;
    result->status = RUN_PENDING;
    return 0;
}

void run_result_free(run_result *result)
{
    if (result == NULL)
        return;
    free(result->train_loss);
    free(result->val_loss);
    free(result->train_acc);
    free(result->val_acc);
    result->train_loss = NULL;
    result->val_loss = NULL;
    result->train_acc = NULL;
    result->val_acc = NULL;
    result->epochs = 0;
}

/* "inf", "-inf" or "nan", for the failure message. */
static const char *non_finite_name(double value)
{
    if (isnan(value))
        return "nan";
    return value > 0 ? "inf" : "-inf";
}

/* The checks every run gets before its training. */
static int check_run(const dataset *data, const train_params *params, const run_result *result,
                     sweep_error *err)
{
    if (result->epochs < params->epochs || result->train_loss == NULL)
        return error_set(err, ERROR_RUNTIME, "train_run: result holds %d epochs, the run needs %d",
                         result->epochs, params->epochs);
    if (data->n_train < 1 || data->n_val < 1)
        return error_set(err, ERROR_INPUT,
                         "%s: training needs at least one train and one val row (has %d and %d)",
                         data->name != NULL ? data->name : "data set", data->n_train, data->n_val);
    if (params->batch_size < 1 || params->units < 1 || params->epochs < 1)
        return error_set(err, ERROR_RUNTIME,
                         "train_run: batch_size, units and epochs must be >= 1");
    return 0;
}

/* Not trained: NaN curves and scores, pending. */
static void reset_result(run_result *result)
{
    clear_curves(result);
    result->epochs_done = 0;
    result->train_score = result->val_score = result->test_score = NAN;
    result->status = RUN_PENDING;
    result->failure[0] = '\0';
}

/* Whether the run in flight is to be abandoned now (see
 * train_workspace_set_cancel); *deadline is 0 until a cancel is seen. One
 * volatile load per epoch; the clock only once cancelled. */
static bool cancel_due(const train_workspace *workspace, double *deadline)
{
    if (workspace->cancel == NULL || *workspace->cancel == 0)
        return false;
    double now = clock_seconds();
    if (*deadline == 0.0) {
        *deadline = now + TRAIN_CANCEL_GRACE_SECONDS;
        return false;
    }
    return now > *deadline;
}

/* Record one epoch's outcome; false when a loss is not finite (the run
 * then failed at that epoch: the numbers from here on mean nothing, which
 * is not an error of the program but the run's result). */
static bool record_epoch(run_result *result, int epoch, const epoch_outcome *outcome)
{
    const double train_loss = outcome->train_loss, val_loss = outcome->val_loss;
    if (!isfinite(train_loss) || !isfinite(val_loss)) {
        const char *which = !isfinite(train_loss) ? "train" : "val";
        double value = !isfinite(train_loss) ? train_loss : val_loss;
        snprintf(result->failure, sizeof result->failure, "%s loss became %s at epoch %d (0-based)",
                 which, non_finite_name(value), epoch);
        result->status = RUN_FAILED;
        result->epochs_done = epoch;
        return false;
    }
    result->train_loss[epoch] = train_loss;
    result->val_loss[epoch] = val_loss;
    result->train_acc[epoch] = outcome->train_acc;
    result->val_acc[epoch] = outcome->val_acc;
    result->epochs_done = epoch + 1;
    return true;
}

int train_run(train_workspace *workspace, const dataset *data, const train_params *params,
              run_result *result, sweep_error *err)
{
    if (check_run(data, params, result, err) != 0)
        return -1;
    reset_result(result);

    const model_id id = (unsigned)params->model < MODEL_COUNT ? params->model : MODEL_MINIBATCH;
    const model_ops *model = model_get(id);
    void **state = &workspace->states[id];
    if (*state == NULL && (*state = model->state_new(workspace->isa)) == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for a %s workspace", model->name);
    if (model->start(*state, data, params, err) < 0)
        return -1;

    double cancel_deadline = 0.0;
    for (int epoch = 0; epoch < params->epochs; epoch++) {
        if (cancel_due(workspace, &cancel_deadline)) {
            reset_result(result);
            return 0;
        }
        epoch_outcome outcome;
        model->epoch(*state, data, params, &outcome);
        if (!record_epoch(result, epoch, &outcome))
            return 0;
    }

    model->scores(*state, data, &result->train_score, &result->val_score, &result->test_score);
    result->status = RUN_DONE;
    return 0;
}

int train_pack_width(const train_workspace *workspace, const train_params *params)
{
    const model_pack_ops *pack = model_get(params->model)->pack;
    int width = pack != NULL ? pack->width(workspace->isa) : 1;
    return width < LANES_MAX ? width : LANES_MAX;
}

/* The packed epochs of train_pack, once the runs are checked. */
static int train_lanes(train_workspace *workspace, const dataset *data,
                       const train_params *const *runs, int n_runs, run_result *const *results,
                       sweep_error *err)
{
    const model_id id = (unsigned)runs[0]->model < MODEL_COUNT ? runs[0]->model : MODEL_MINIBATCH;
    const model_ops *model = model_get(id);
    void **state = &workspace->pack_states[id];
    if (*state == NULL && (*state = model->pack->state_new(workspace->isa)) == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for a packed %s workspace",
                         model->name);
    if (model->pack->start(*state, data, runs, n_runs, err) < 0)
        return -1;

    double cancel_deadline = 0.0;
    int n_alive = n_runs;
    for (int epoch = 0; epoch < runs[0]->epochs && n_alive > 0; epoch++) {
        if (cancel_due(workspace, &cancel_deadline)) {
            /* the pack stays pending as a whole, failed lanes too */
            for (int lane = 0; lane < n_runs; lane++)
                reset_result(results[lane]);
            return 0;
        }
        epoch_outcome outcomes[LANES_MAX];
        model->pack->epoch(*state, data, outcomes);
        /* a diverged lane fails at that epoch; the others go on */
        for (int lane = 0; lane < n_runs; lane++)
            if (results[lane]->status == RUN_PENDING &&
                !record_epoch(results[lane], epoch, &outcomes[lane]))
                n_alive--;
    }
    double train[LANES_MAX], val[LANES_MAX], test[LANES_MAX];
    if (n_alive > 0)
        model->pack->scores(*state, data, train, val, test);
    for (int lane = 0; lane < n_runs; lane++)
        if (results[lane]->status == RUN_PENDING) {
            results[lane]->train_score = train[lane];
            results[lane]->val_score = val[lane];
            results[lane]->test_score = test[lane];
            results[lane]->status = RUN_DONE;
        }
    return 0;
}

int train_pack(train_workspace *workspace, const dataset *data, const train_params *const *runs,
               int n_runs, run_result *const *results, sweep_error *err)
{
    if (n_runs < 1)
        return 0;
    const model_pack_ops *pack = model_get(runs[0]->model)->pack;
    if (n_runs == 1 || pack == NULL) {
        for (int i = 0; i < n_runs; i++) {
            if (train_run(workspace, data, runs[i], results[i], err) != 0)
                return -1;
            if (results[i]->status == RUN_PENDING) /* abandoned: so are the rest */
                return 0;
        }
        return 0;
    }
    if (n_runs > train_pack_width(workspace, runs[0]))
        return error_set(err, ERROR_RUNTIME, "train_pack: %d runs for %d lanes", n_runs,
                         train_pack_width(workspace, runs[0]));
    for (int i = 0; i < n_runs; i++) {
        if (check_run(data, runs[i], results[i], err) != 0)
            return -1;
        if (!train_params_packable(runs[0], runs[i]))
            return error_set(err, ERROR_RUNTIME,
                             "train_pack: runs of different models or shapes in one pack");
        reset_result(results[i]);
    }
    return train_lanes(workspace, data, runs, n_runs, results, err);
}

bool train_params_packable(const train_params *a, const train_params *b)
{
    return a->model == b->model && a->batch_size == b->batch_size && a->units == b->units &&
           a->epochs == b->epochs;
}
