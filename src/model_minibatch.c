/* model_minibatch.c: the textbook's chapter 6-3 MinibatchNetwork as a model
 * (model.h): one run of MinibatchNetwork.fit, then its scores.
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
 * The state holds every array of a run; it grows at the start of a run and
 * nothing is allocated inside the epoch loop.
 */
#include <math.h>
#include <stdlib.h>

#include "model.h"
#include "network.h"
#include "rng.h"

/* Rows per forward pass of the evaluations (val loss, scores): any count
 * gives the same bits, since the losses go into one running total. */
enum { EVALUATION_ROWS = 128 };

typedef struct {
    simd_isa isa;                  /* the kernels' instruction set */
    model_buffer w1, b1, w2;       /* parameters: (n_features, stride), (stride), (stride) */
    model_buffer a1, e1;           /* (capacity, stride) */
    model_buffer z2, a, err, loss; /* (capacity rounded up to the lanes) */
    model_buffer sum_w2, sum_b1;   /* (stride) */
    model_buffer sum_w1;           /* (n_features, stride) */
    /* the epoch's outputs, targets and row losses in batch order (n_train) */
    model_buffer epoch_outputs, epoch_targets, epoch_losses;
    int *order; /* (n_train) the epoch's permutation */
    size_t order_capacity;
    /* the run in progress */
    network net;
    network_scratch scratch;
    numpy_rng rng;
    int batch_rows; /* batch_size, at most n_train */
} minibatch_state;

static void *minibatch_new(simd_isa isa)
{
    minibatch_state *state = calloc(1, sizeof(minibatch_state));
    if (state != NULL)
        state->isa = isa == SIMD_AVX512 ? SIMD_AVX2 : isa; /* no AVX-512 body (simd.h) */
    return state;
}

static void minibatch_delete(void *opaque)
{
    minibatch_state *state = opaque;
    if (state == NULL)
        return;
    model_buffer *buffers[] = {&state->w1,
                               &state->b1,
                               &state->w2,
                               &state->a1,
                               &state->e1,
                               &state->z2,
                               &state->a,
                               &state->err,
                               &state->loss,
                               &state->sum_w2,
                               &state->sum_b1,
                               &state->epoch_outputs,
                               &state->epoch_targets,
                               &state->epoch_losses,
                               &state->sum_w1};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        model_buffer_free(buffers[i]);
    free(state->order);
    free(state);
}

static int minibatch_check_data(const dataset *data, sweep_error *err)
{
    if (data->n_classes != 2)
        return error_set(err, ERROR_INPUT,
                         "%s: model type minibatch needs exactly 2 classes, the data has %d "
                         "(use model: {type: multiclass})",
                         data->name != NULL ? data->name : "data set", data->n_classes);
    return 0;
}

static double minibatch_cost(const train_params *params, const dataset *data)
{
    double n_batches = ceil((double)data->n_train / params->batch_size);
    double per_row = (double)params->units * (2.0 * data->n_features + 4.0);
    double per_batch = (double)params->units * (2.0 * data->n_features + 4.0) + 64.0;
    return (double)params->epochs * (data->n_train * per_row + n_batches * per_batch);
}

/* Grow the state for a run with these shapes (`capacity` rows per pass). */
static int reserve_arrays(minibatch_state *ws, int n_features, int units, int capacity, int n_train,
                          sweep_error *err)
{
    const size_t stride = (size_t)network_stride(ws->isa, units);
    const size_t hidden = network_scratch_doubles(ws->isa, units, capacity);
    const size_t rows = network_row_doubles(ws->isa, capacity);
    if (stride != 0 && (size_t)n_features > SIZE_MAX / sizeof(double) / stride)
        return error_set(err, ERROR_RUNTIME, "training arrays of %d x %zu are too large",
                         n_features, stride);
    if (model_buffer_reserve(&ws->w1, (size_t)n_features * stride, err) < 0 ||
        model_buffer_reserve(&ws->b1, stride, err) < 0 ||
        model_buffer_reserve(&ws->w2, stride, err) < 0 ||
        model_buffer_reserve(&ws->a1, hidden, err) < 0 ||
        model_buffer_reserve(&ws->e1, hidden, err) < 0 ||
        model_buffer_reserve(&ws->z2, rows, err) < 0 ||
        model_buffer_reserve(&ws->a, rows, err) < 0 ||
        model_buffer_reserve(&ws->err, rows, err) < 0 ||
        model_buffer_reserve(&ws->loss, rows, err) < 0 ||
        model_buffer_reserve(&ws->sum_w2, stride, err) < 0 ||
        model_buffer_reserve(&ws->sum_b1, stride, err) < 0 ||
        model_buffer_reserve(&ws->sum_w1, (size_t)n_features * stride, err) < 0 ||
        model_buffer_reserve(&ws->epoch_outputs, (size_t)n_train, err) < 0 ||
        model_buffer_reserve(&ws->epoch_targets, (size_t)n_train, err) < 0 ||
        model_buffer_reserve(&ws->epoch_losses, (size_t)n_train, err) < 0)
        return -1;
    return model_int_reserve(&ws->order, &ws->order_capacity, (size_t)n_train, err);
}

static int minibatch_start(void *opaque, const dataset *data, const train_params *params,
                           sweep_error *err)
{
    minibatch_state *ws = opaque;
    const int n_train = data->n_train;
    /* a batch larger than the train rows is the whole (shuffled) train set */
    ws->batch_rows = params->batch_size < n_train ? params->batch_size : n_train;
    const int capacity = ws->batch_rows > EVALUATION_ROWS ? ws->batch_rows : EVALUATION_ROWS;
    if (reserve_arrays(ws, data->n_features, params->units, capacity, n_train, err) < 0)
        return -1;
    ws->net = (network){
        .n_features = data->n_features,
        .units = params->units,
        .stride = network_stride(ws->isa, params->units),
        .isa = ws->isa,
        .w1 = ws->w1.data,
        .b1 = ws->b1.data,
        .w2 = ws->w2.data,
        .b2 = 0.0,
    };
    ws->scratch = (network_scratch){
        .capacity = capacity,
        .a1 = ws->a1.data,
        .e1 = ws->e1.data,
        .z2 = ws->z2.data,
        .a = ws->a.data,
        .err = ws->err.data,
        .loss = ws->loss.data,
        .sum_w2 = ws->sum_w2.data,
        .sum_b1 = ws->sum_b1.data,
        .sum_w1 = ws->sum_w1.data,
    };
    /* The textbook seeds for the initial weights and seeds again, with the
     * same value, before the first shuffle. */
    rng_seed(&ws->rng, params->seed);
    network_init(&ws->net, &ws->rng);
    rng_seed(&ws->rng, params->seed);
    return 0;
}

static void minibatch_epoch(void *opaque, const dataset *data, const train_params *params,
                            epoch_outcome *outcome)
{
    minibatch_state *ws = opaque;
    network *net = &ws->net;
    const int n_train = data->n_train, batch_rows = ws->batch_rows;
    int *order = ws->order;
    double *epoch_outputs = ws->epoch_outputs.data;
    double *epoch_targets = ws->epoch_targets.data;
    double *epoch_losses = ws->epoch_losses.data;

    rng_permutation(&ws->rng, order, n_train);
    if (batch_rows == 1) {
        network_train_single_rows(net, data->x_train, data->y_train, order, n_train, params,
                                  &ws->scratch, epoch_outputs);
    } else {
        for (int start = 0; start < n_train; start += batch_rows) {
            int m = n_train - start < batch_rows ? n_train - start : batch_rows;
            network_train_batch(net, data->x_train, data->y_train, order + start, m, params,
                                &ws->scratch, epoch_outputs + start);
        }
    }
    /* the batches' losses from their outputs, summed as the textbook does:
     * each batch's rows from 0.0, then the batches in order */
    int train_correct = 0;
    for (int i = 0; i < n_train; i++) {
        epoch_targets[i] = data->y_train[order[i]];
        train_correct += (epoch_outputs[i] > 0.5) == (epoch_targets[i] == 1.0);
    }
    network_cross_entropy_rows(net->isa, epoch_outputs, epoch_targets, n_train, epoch_losses);
    double loss = 0.0;
    for (int start = 0; start < n_train; start += batch_rows) {
        int m = n_train - start < batch_rows ? n_train - start : batch_rows;
        double batch_loss = 0.0;
        for (int r = 0; r < m; r++)
            batch_loss += epoch_losses[start + r];
        loss += batch_loss;
    }
    double reg = network_reg_loss(net, params->l1, params->l2);
    outcome->train_loss = (loss + reg) / n_train;
    outcome->train_acc = (double)train_correct / n_train;

    int val_correct;
    double val_total = network_evaluate(net, data->x_val, data->y_val, data->n_val, 0.0,
                                        &val_correct, &ws->scratch);
    outcome->val_loss = (val_total + reg) / data->n_val;
    outcome->val_acc = (double)val_correct / data->n_val;
}

static void minibatch_scores(void *opaque, const dataset *data, double *train, double *val,
                             double *test)
{
    minibatch_state *ws = opaque;
    int correct;
    network_evaluate(&ws->net, data->x_train, data->y_train, data->n_train, 0.0, &correct,
                     &ws->scratch);
    *train = (double)correct / data->n_train;
    network_evaluate(&ws->net, data->x_val, data->y_val, data->n_val, 0.0, &correct, &ws->scratch);
    *val = (double)correct / data->n_val;
    *test = NAN;
    if (data->n_test > 0) {
        network_evaluate(&ws->net, data->x_test, data->y_test, data->n_test, 0.0, &correct,
                         &ws->scratch);
        *test = (double)correct / data->n_test;
    }
}

const model_ops MODEL_MINIBATCH_OPS = {
    .name = "minibatch",
    .check_data = minibatch_check_data,
    .cost = minibatch_cost,
    .state_new = minibatch_new,
    .state_delete = minibatch_delete,
    .start = minibatch_start,
    .epoch = minibatch_epoch,
    .scores = minibatch_scores,
    .pack = &MODEL_MINIBATCH_PACK_OPS,
};
