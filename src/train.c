/* train.c: one run of the textbook's MinibatchNetwork.fit, then its scores.
 *
 * The sequence of the numpy code, step for step:
 *   seed(seed); w1, w2 = normal draws (network_init); seed(seed) again;
 *   every epoch: order = permutation(n_train); consecutive slices of
 *   batch_size rows of that order are the batches (the last one shorter);
 *   each batch is trained by network_train_batch (batch size 1: the whole
 *   epoch by network_train_single_rows, the same numbers).
 * The batches save their outputs; the train loss is computed from them after
 * the epoch, in the order below.
 *
 * LOSS ORDER (see network.c for the kernels' order):
 *   train_loss[e] = ((Σ_b batch_loss[b], in batch order from 0.0) + reg) / n_train
 *     where batch_loss[b] is the batch's rows summed in the batch's row order
 *     from 0.0, with the outputs before that batch's update, and reg is
 *     network_reg_loss with the end-of-epoch weights;
 *   val_loss[e]   = ((Σ_r over the val rows in file order from 0.0) + reg) / n_val
 *     with the end-of-epoch weights.
 * Scores after the last epoch: correct / rows of (z2 > 0) == y on the train,
 * val and test rows.
 *
 * The workspace holds every array of a run; it grows at the start of a run
 * and nothing is allocated inside the epoch loop.
 */
#include "train.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "network.h"
#include "rng.h"
#include "simd.h"

/* Rows per forward pass of the evaluations (val loss, scores): any count
 * gives the same bits, since the losses go into one running total. */
enum { EVALUATION_ROWS = 128 };

/* A growable, 64-byte aligned, zero-filled array of doubles. */
typedef struct {
    double *data;
    size_t capacity;   /* elements allocated */
} double_buffer;

struct train_workspace {
    simd_isa isa;                    /* the kernels' instruction set */
    double_buffer w1, b1, w2;        /* parameters: (n_features, stride), (stride), (stride) */
    double_buffer a1, e1;            /* (capacity, stride) */
    double_buffer z2, a, err, loss;  /* (capacity rounded up to the lanes) */
    double_buffer sum_w2, sum_b1;    /* (stride) */
    double_buffer sum_w1;            /* (n_features, stride) */
    /* the epoch's outputs, targets and row losses in batch order (n_train) */
    double_buffer epoch_outputs, epoch_targets, epoch_losses;
    int *order;                      /* (n_train) the epoch's permutation */
    size_t order_capacity;
    const volatile sig_atomic_t *cancel;  /* nonzero: abandon the run after the grace */
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

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

void train_workspace_delete(train_workspace *workspace)
{
    if (workspace == NULL)
        return;
    double_buffer *buffers[] = {&workspace->w1,     &workspace->b1,     &workspace->w2,
                                &workspace->a1,     &workspace->e1,     &workspace->z2,
                                &workspace->a,      &workspace->err,    &workspace->loss,
                                &workspace->sum_w2, &workspace->sum_b1, &workspace->epoch_outputs,
                                &workspace->epoch_targets, &workspace->epoch_losses,
                                &workspace->sum_w1};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        free(buffers[i]->data);
    free(workspace->order);
    free(workspace);
}

int run_result_init(run_result *result, int epochs, sweep_error *err)
{
    memset(result, 0, sizeof *result);
    if (epochs < 1)
        return error_set(err, ERROR_RUNTIME, "run_result_init: epochs must be >= 1, got %d", epochs);
    result->train_loss = malloc((size_t)epochs * sizeof(double));
    result->val_loss = malloc((size_t)epochs * sizeof(double));
    if (result->train_loss == NULL || result->val_loss == NULL) {
        run_result_free(result);
        return error_set(err, ERROR_RUNTIME, "out of memory for the loss curves of %d epochs",
                         epochs);
    }
    result->epochs = epochs;
    for (int e = 0; e < epochs; e++) {
        result->train_loss[e] = NAN;
        result->val_loss[e] = NAN;
    }
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
    result->train_loss = NULL;
    result->val_loss = NULL;
    result->epochs = 0;
}

/* Make `buffer` hold at least `needed` doubles, zero-filled (contents not
 * kept), 64-byte aligned so that vectors do not straddle cache lines. */
static int reserve(double_buffer *buffer, size_t needed, sweep_error *err)
{
    if (needed <= buffer->capacity)
        return 0;
    free(buffer->data);
    buffer->data = NULL;
    buffer->capacity = 0;
    size_t rounded = (needed + 7) / 8 * 8;   /* aligned_alloc: a multiple of the alignment */
    if (rounded > SIZE_MAX / sizeof(double))
        return error_set(err, ERROR_RUNTIME, "training arrays of %zu doubles are too large",
                         needed);
    buffer->data = aligned_alloc(64, rounded * sizeof(double));
    if (buffer->data == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for training arrays of %zu doubles",
                         needed);
    memset(buffer->data, 0, rounded * sizeof(double));
    buffer->capacity = rounded;
    return 0;
}

/* Grow the workspace for a run with these shapes (`capacity` rows per pass). */
static int workspace_reserve(train_workspace *ws, int n_features, int units, int capacity,
                             int n_train, sweep_error *err)
{
    const size_t stride = (size_t)network_stride(ws->isa, units);
    const size_t hidden = network_scratch_doubles(ws->isa, units, capacity);
    const size_t rows = network_row_doubles(ws->isa, capacity);
    if (stride != 0 && (size_t)n_features > SIZE_MAX / sizeof(double) / stride)
        return error_set(err, ERROR_RUNTIME, "training arrays of %d x %zu are too large",
                         n_features, stride);
    if (reserve(&ws->w1, (size_t)n_features * stride, err) < 0 ||
        reserve(&ws->b1, stride, err) < 0 || reserve(&ws->w2, stride, err) < 0 ||
        reserve(&ws->a1, hidden, err) < 0 || reserve(&ws->e1, hidden, err) < 0 ||
        reserve(&ws->z2, rows, err) < 0 || reserve(&ws->a, rows, err) < 0 ||
        reserve(&ws->err, rows, err) < 0 || reserve(&ws->loss, rows, err) < 0 ||
        reserve(&ws->sum_w2, stride, err) < 0 || reserve(&ws->sum_b1, stride, err) < 0 ||
        reserve(&ws->sum_w1, (size_t)n_features * stride, err) < 0 ||
        reserve(&ws->epoch_outputs, (size_t)n_train, err) < 0 ||
        reserve(&ws->epoch_targets, (size_t)n_train, err) < 0 ||
        reserve(&ws->epoch_losses, (size_t)n_train, err) < 0)
        return -1;
    if ((size_t)n_train > ws->order_capacity) {
        free(ws->order);
        ws->order = malloc((size_t)n_train * sizeof(int));
        ws->order_capacity = ws->order == NULL ? 0 : (size_t)n_train;
        if (ws->order == NULL)
            return error_set(err, ERROR_RUNTIME, "out of memory for an order of %d rows",
                             n_train);
    }
    return 0;
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
        return error_set(err, ERROR_RUNTIME,
                         "train_run: result holds %d epochs, the run needs %d", result->epochs,
                         params->epochs);
    if (data->n_train < 1 || data->n_val < 1)
        return error_set(err, ERROR_INPUT,
                         "%s: training needs at least one train and one val row (has %d and %d)",
                         data->name != NULL ? data->name : "data set", data->n_train,
                         data->n_val);
    if (params->batch_size < 1 || params->units < 1 || params->epochs < 1)
        return error_set(err, ERROR_RUNTIME,
                         "train_run: batch_size, units and epochs must be >= 1");

    for (int e = 0; e < result->epochs; e++) {
        result->train_loss[e] = NAN;
        result->val_loss[e] = NAN;
    }
    result->epochs_done = 0;
    result->train_score = result->val_score = result->test_score = NAN;
    result->status = RUN_PENDING;
    result->failure[0] = '\0';

    const int n_features = data->n_features;
    const int n_train = data->n_train;
    /* a batch larger than the train rows is the whole (shuffled) train set */
    const int batch_rows = params->batch_size < n_train ? params->batch_size : n_train;
    const int capacity = batch_rows > EVALUATION_ROWS ? batch_rows : EVALUATION_ROWS;
    if (workspace_reserve(workspace, n_features, params->units, capacity, n_train, err) < 0)
        return -1;

    network net = {
        .n_features = n_features,
        .units = params->units,
        .stride = network_stride(workspace->isa, params->units),
        .isa = workspace->isa,
        .w1 = workspace->w1.data,
        .b1 = workspace->b1.data,
        .w2 = workspace->w2.data,
        .b2 = 0.0,
    };
    network_scratch scratch = {
        .capacity = capacity,
        .a1 = workspace->a1.data,
        .e1 = workspace->e1.data,
        .z2 = workspace->z2.data,
        .a = workspace->a.data,
        .err = workspace->err.data,
        .loss = workspace->loss.data,
        .sum_w2 = workspace->sum_w2.data,
        .sum_b1 = workspace->sum_b1.data,
        .sum_w1 = workspace->sum_w1.data,
    };
    int *order = workspace->order;
    double *epoch_outputs = workspace->epoch_outputs.data;
    double *epoch_targets = workspace->epoch_targets.data;
    double *epoch_losses = workspace->epoch_losses.data;

    /* The textbook seeds for the initial weights and seeds again, with the
     * same value, before the first shuffle. */
    numpy_rng rng;
    rng_seed(&rng, params->seed);
    network_init(&net, &rng);
    rng_seed(&rng, params->seed);

    double cancel_deadline = 0.0;   /* 0: no cancel seen yet */
    for (int epoch = 0; epoch < params->epochs; epoch++) {
        /* One volatile load per epoch; the clock only once cancelled. */
        if (workspace->cancel != NULL && *workspace->cancel != 0) {
            double now = monotonic_seconds();
            if (cancel_deadline == 0.0)
                cancel_deadline = now + TRAIN_CANCEL_GRACE_SECONDS;
            else if (now > cancel_deadline) {
                for (int e = 0; e < result->epochs; e++)
                    result->train_loss[e] = result->val_loss[e] = NAN;
                result->epochs_done = 0;
                result->status = RUN_PENDING;
                return 0;
            }
        }
        rng_permutation(&rng, order, n_train);
        if (batch_rows == 1) {
            network_train_single_rows(&net, data->x_train, data->y_train, order, n_train, params,
                                      &scratch, epoch_outputs);
        } else {
            for (int start = 0; start < n_train; start += batch_rows) {
                int m = n_train - start < batch_rows ? n_train - start : batch_rows;
                network_train_batch(&net, data->x_train, data->y_train, order + start, m,
                                    params, &scratch, epoch_outputs + start);
            }
        }
        /* the batches' losses from their outputs, summed as the textbook
         * does: each batch's rows from 0.0, then the batches in order */
        for (int i = 0; i < n_train; i++)
            epoch_targets[i] = data->y_train[order[i]];
        network_cross_entropy_rows(net.isa, epoch_outputs, epoch_targets, n_train, epoch_losses);
        double loss = 0.0;
        for (int start = 0; start < n_train; start += batch_rows) {
            int m = n_train - start < batch_rows ? n_train - start : batch_rows;
            double batch_loss = 0.0;
            for (int r = 0; r < m; r++)
                batch_loss += epoch_losses[start + r];
            loss += batch_loss;
        }
        double reg = network_reg_loss(&net, params->l1, params->l2);
        double train_loss = (loss + reg) / n_train;

        int unused_correct;
        double val_total =
            network_evaluate(&net, data->x_val, data->y_val, data->n_val, 0.0, &unused_correct,
                             &scratch);
        double val_loss = (val_total + reg) / data->n_val;

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
        result->epochs_done = epoch + 1;
    }

    int correct;
    network_evaluate(&net, data->x_train, data->y_train, n_train, 0.0, &correct, &scratch);
    result->train_score = (double)correct / n_train;
    network_evaluate(&net, data->x_val, data->y_val, data->n_val, 0.0, &correct, &scratch);
    result->val_score = (double)correct / data->n_val;
    if (data->n_test > 0) {
        network_evaluate(&net, data->x_test, data->y_test, data->n_test, 0.0, &correct,
                         &scratch);
        result->test_score = (double)correct / data->n_test;
    }
    result->status = RUN_DONE;
    return 0;
}
