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
#include "model.h"
#include "simd.h"

struct train_workspace {
    simd_isa isa;                        /* the kernels' instruction set */
    void *states[MODEL_COUNT];           /* each model's arrays, NULL until used */
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

int train_run(train_workspace *workspace, const dataset *data, const train_params *params,
              run_result *result, sweep_error *err)
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

    clear_curves(result);
    result->epochs_done = 0;
    result->train_score = result->val_score = result->test_score = NAN;
    result->status = RUN_PENDING;
    result->failure[0] = '\0';

    const model_id id = (unsigned)params->model < MODEL_COUNT ? params->model : MODEL_MINIBATCH;
    const model_ops *model = model_get(id);
    void **state = &workspace->states[id];
    if (*state == NULL && (*state = model->state_new(workspace->isa)) == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for a %s workspace", model->name);
    if (model->start(*state, data, params, err) < 0)
        return -1;

    double cancel_deadline = 0.0; /* 0: no cancel seen yet */
    for (int epoch = 0; epoch < params->epochs; epoch++) {
        /* One volatile load per epoch; the clock only once cancelled. */
        if (workspace->cancel != NULL && *workspace->cancel != 0) {
            double now = clock_seconds();
            if (cancel_deadline == 0.0)
                cancel_deadline = now + TRAIN_CANCEL_GRACE_SECONDS;
            else if (now > cancel_deadline) {
                clear_curves(result);
                result->epochs_done = 0;
                result->status = RUN_PENDING;
                return 0;
            }
        }
        epoch_outcome outcome;
        model->epoch(*state, data, params, &outcome);
        const double train_loss = outcome.train_loss, val_loss = outcome.val_loss;
        if (!isfinite(train_loss) || !isfinite(val_loss)) {
            /* Diverged: the numbers from here on mean nothing. Not an error
             * of the program: the run is recorded as failed. */
            const char *which = !isfinite(train_loss) ? "train" : "val";
            double value = !isfinite(train_loss) ? train_loss : val_loss;
            snprintf(result->failure, sizeof result->failure,
                     "%s loss became %s at epoch %d (0-based)", which, non_finite_name(value),
                     epoch);
            result->status = RUN_FAILED;
            result->epochs_done = epoch;
            return 0;
        }
        result->train_loss[epoch] = train_loss;
        result->val_loss[epoch] = val_loss;
        result->train_acc[epoch] = outcome.train_acc;
        result->val_acc[epoch] = outcome.val_acc;
        result->epochs_done = epoch + 1;
    }

    model->scores(*state, data, &result->train_score, &result->val_score, &result->test_score);
    result->status = RUN_DONE;
    return 0;
}
