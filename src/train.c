/* train.c: one run of the textbook's MinibatchNetwork.fit, then its scores.
 *
 * The sequence of the numpy code, step for step:
 *   seed(seed); w1, w2 = normal draws (network_init); seed(seed) again;
 *   every epoch: order = permutation(n_train); consecutive slices of
 *   batch_size rows of that order are the batches (the last one shorter);
 *   each batch is trained by network_train_batch.
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

#include "network.h"
#include "rng.h"

/* A growable array of doubles. */
typedef struct {
    double *data;
    size_t capacity;   /* elements allocated */
} double_buffer;

struct train_workspace {
    double_buffer w1, b1, w2;        /* parameters: (n_features, units), (units), (units) */
    double_buffer dw1, db1, dw2;     /* their gradients */
    double_buffer a1, e1;            /* (batch_rows, units) */
    double_buffer z2, a, err;        /* (batch_rows) */
    double_buffer x_batch;           /* (batch_rows, n_features) the gathered batch */
    double_buffer y_batch;           /* (batch_rows) */
    int *order;                      /* (n_train) the epoch's permutation */
    size_t order_capacity;
};

train_workspace *train_workspace_new(void)
{
    return calloc(1, sizeof(train_workspace));
}

void train_workspace_delete(train_workspace *workspace)
{
    if (workspace == NULL)
        return;
    double_buffer *buffers[] = {&workspace->w1, &workspace->b1, &workspace->w2,
                                &workspace->dw1, &workspace->db1, &workspace->dw2,
                                &workspace->a1, &workspace->e1, &workspace->z2,
                                &workspace->a, &workspace->err, &workspace->x_batch,
                                &workspace->y_batch};
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

/* Make `buffer` hold at least rows * columns doubles (contents not kept). */
static int reserve(double_buffer *buffer, size_t rows, size_t columns, sweep_error *err)
{
    if (columns != 0 && rows > SIZE_MAX / sizeof(double) / columns)
        return error_set(err, ERROR_RUNTIME, "training arrays of %zu x %zu are too large", rows,
                         columns);
    size_t needed = rows * columns;
    if (needed <= buffer->capacity)
        return 0;
    free(buffer->data);
    buffer->data = malloc(needed * sizeof(double));
    buffer->capacity = buffer->data == NULL ? 0 : needed;
    if (buffer->data == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for training arrays of %zu doubles",
                         needed);
    return 0;
}

/* Grow the workspace for a run with these shapes. */
static int workspace_reserve(train_workspace *ws, size_t n_features, size_t units,
                             size_t batch_rows, size_t n_train, sweep_error *err)
{
    if (reserve(&ws->w1, n_features, units, err) < 0 || reserve(&ws->b1, units, 1, err) < 0 ||
        reserve(&ws->w2, units, 1, err) < 0 || reserve(&ws->dw1, n_features, units, err) < 0 ||
        reserve(&ws->db1, units, 1, err) < 0 || reserve(&ws->dw2, units, 1, err) < 0 ||
        reserve(&ws->a1, batch_rows, units, err) < 0 ||
        reserve(&ws->e1, batch_rows, units, err) < 0 ||
        reserve(&ws->z2, batch_rows, 1, err) < 0 || reserve(&ws->a, batch_rows, 1, err) < 0 ||
        reserve(&ws->err, batch_rows, 1, err) < 0 ||
        reserve(&ws->x_batch, batch_rows, n_features, err) < 0 ||
        reserve(&ws->y_batch, batch_rows, 1, err) < 0)
        return -1;
    if (n_train > ws->order_capacity) {
        free(ws->order);
        ws->order = malloc(n_train * sizeof(int));
        ws->order_capacity = ws->order == NULL ? 0 : n_train;
        if (ws->order == NULL)
            return error_set(err, ERROR_RUNTIME, "out of memory for an order of %zu rows",
                             n_train);
    }
    return 0;
}

/* Forward pass over n rows of x (n, n_features) in chunks that fit the
 * workspace; adds the rows' cross-entropy to *loss_total (in row order) and
 * returns the number of correctly classified rows. */
static int evaluate(const network *net, const double *x, const double *y, int n,
                    int chunk_rows, network_activations *acts, double *loss_total)
{
    int correct = 0;
    for (int start = 0; start < n; start += chunk_rows) {
        int m = n - start < chunk_rows ? n - start : chunk_rows;
        const double *x_chunk = x + (size_t)start * net->n_features;
        network_forward(net, x_chunk, m, acts);
        *loss_total = network_cross_entropy_add(*loss_total, acts->a, y + start, m);
        correct += network_count_correct(acts->z2, y + start, m);
    }
    return correct;
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
    if (workspace_reserve(workspace, (size_t)n_features, (size_t)params->units,
                          (size_t)batch_rows, (size_t)n_train, err) < 0)
        return -1;

    network net = {
        .n_features = n_features,
        .units = params->units,
        .w1 = workspace->w1.data,
        .b1 = workspace->b1.data,
        .w2 = workspace->w2.data,
        .b2 = 0.0,
    };
    network_grads grads = {
        .dw1 = workspace->dw1.data,
        .db1 = workspace->db1.data,
        .dw2 = workspace->dw2.data,
        .db2 = 0.0,
    };
    network_activations acts = {
        .a1 = workspace->a1.data,
        .z2 = workspace->z2.data,
        .a = workspace->a.data,
        .err = workspace->err.data,
        .e1 = workspace->e1.data,
    };
    double *x_batch = workspace->x_batch.data;
    double *y_batch = workspace->y_batch.data;
    int *order = workspace->order;

    /* The textbook seeds for the initial weights and seeds again, with the
     * same value, before the first shuffle. */
    numpy_rng rng;
    rng_seed(&rng, params->seed);
    network_init(&net, &rng);
    rng_seed(&rng, params->seed);

    for (int epoch = 0; epoch < params->epochs; epoch++) {
        rng_permutation(&rng, order, n_train);
        double loss = 0.0;
        for (int start = 0; start < n_train; start += batch_rows) {
            int m = n_train - start < batch_rows ? n_train - start : batch_rows;
            for (int r = 0; r < m; r++) {
                int row = order[start + r];
                memcpy(x_batch + (size_t)r * n_features,
                       data->x_train + (size_t)row * n_features, (size_t)n_features * sizeof(double));
                y_batch[r] = data->y_train[row];
            }
            loss += network_train_batch(&net, x_batch, y_batch, m, params, &acts, &grads);
        }
        double reg = network_reg_loss(&net, params->l1, params->l2);
        double train_loss = (loss + reg) / n_train;

        double val_total = 0.0;
        evaluate(&net, data->x_val, data->y_val, data->n_val, batch_rows, &acts, &val_total);
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

    double unused_loss = 0.0;
    int correct = evaluate(&net, data->x_train, data->y_train, n_train, batch_rows, &acts,
                           &unused_loss);
    result->train_score = (double)correct / n_train;
    correct = evaluate(&net, data->x_val, data->y_val, data->n_val, batch_rows, &acts,
                       &unused_loss);
    result->val_score = (double)correct / data->n_val;
    if (data->n_test > 0) {
        correct = evaluate(&net, data->x_test, data->y_test, data->n_test, batch_rows, &acts,
                           &unused_loss);
        result->test_score = (double)correct / data->n_test;
    }
    result->status = RUN_DONE;
    return 0;
}
