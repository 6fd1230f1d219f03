/* reference_train.c: the plain scalar training, the exactness reference.
 *
 * This is network.c and train.c as they were before the kernels were
 * vectorized: simple loops in exactly the evaluation order written at the
 * top of src/network.c and src/train.c, with exp and log replaced by
 * fastmath_exp and fastmath_log (the project's own, which the kernels use
 * too). The fast path (network_train_batch, train_run) must give these
 * numbers bit for bit. Included by tests/test_network.c and
 * tests/test_train.c; everything here is static (and may go unused).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fastmath.h"
#include "params.h"
#include "rng.h"
#include "train.h"

#define REFERENCE static __attribute__((unused))

typedef struct {
    int n_features;
    int units;
    double *w1; /* (n_features, units) row-major */
    double *b1; /* (units) */
    double *w2; /* (units) */
    double b2;
} ref_network;

typedef struct {
    double *dw1, *db1, *dw2; /* shapes of w1, b1, w2 */
    double db2;
} ref_grads;

typedef struct {
    double *a1;  /* (rows, units) */
    double *z2;  /* (rows) */
    double *a;   /* (rows) */
    double *err; /* (rows) */
    double *e1;  /* (rows, units) */
} ref_activations;

REFERENCE double ref_sigmoid(double z)
{
    double clipped = z < -100.0 ? -100.0 : z;
    return 1.0 / (1.0 + fastmath_exp(-clipped));
}

REFERENCE double ref_sign_of(double value)
{
    if (value > 0.0)
        return 1.0;
    if (value < 0.0)
        return -1.0;
    return value == 0.0 ? 0.0 : value;
}

REFERENCE void ref_init(ref_network *net, numpy_rng *rng)
{
    const size_t n_w1 = (size_t)net->n_features * net->units;
    for (size_t i = 0; i < n_w1; i++)
        net->w1[i] = rng_gauss(rng);
    for (int h = 0; h < net->units; h++)
        net->b1[h] = 0.0;
    for (int h = 0; h < net->units; h++)
        net->w2[h] = rng_gauss(rng);
    net->b2 = 0.0;
}

REFERENCE void ref_forward(const ref_network *net, const double *x, int m, ref_activations *acts)
{
    const int n_features = net->n_features;
    const int units = net->units;
    for (int r = 0; r < m; r++) {
        const double *x_row = x + (size_t)r * n_features;
        double *a1_row = acts->a1 + (size_t)r * units;
        for (int h = 0; h < units; h++) {
            double sum = 0.0;
            for (int f = 0; f < n_features; f++)
                sum += x_row[f] * net->w1[(size_t)f * units + h];
            a1_row[h] = ref_sigmoid(sum + net->b1[h]);
        }
        double sum = 0.0;
        for (int h = 0; h < units; h++)
            sum += a1_row[h] * net->w2[h];
        acts->z2[r] = sum + net->b2;
        acts->a[r] = ref_sigmoid(acts->z2[r]);
    }
}

REFERENCE void ref_backward(const ref_network *net, const double *x, const double *y, int m,
                            ref_activations *acts, ref_grads *grads)
{
    const int n_features = net->n_features;
    const int units = net->units;
    const double rows = (double)m;
    for (int r = 0; r < m; r++)
        acts->err[r] = acts->a[r] - y[r];
    for (int h = 0; h < units; h++) {
        double sum = 0.0;
        for (int r = 0; r < m; r++)
            sum += acts->a1[(size_t)r * units + h] * acts->err[r];
        grads->dw2[h] = sum / rows;
    }
    double err_sum = 0.0;
    for (int r = 0; r < m; r++)
        err_sum += acts->err[r];
    grads->db2 = err_sum / rows;
    for (int r = 0; r < m; r++) {
        const double *a1_row = acts->a1 + (size_t)r * units;
        double *e1_row = acts->e1 + (size_t)r * units;
        for (int h = 0; h < units; h++)
            e1_row[h] = ((acts->err[r] * net->w2[h]) * a1_row[h]) * (1.0 - a1_row[h]);
    }
    for (int f = 0; f < n_features; f++) {
        for (int h = 0; h < units; h++) {
            double sum = 0.0;
            for (int r = 0; r < m; r++)
                sum += x[(size_t)r * n_features + f] * acts->e1[(size_t)r * units + h];
            grads->dw1[(size_t)f * units + h] = sum / rows;
        }
    }
    for (int h = 0; h < units; h++) {
        double sum = 0.0;
        for (int r = 0; r < m; r++)
            sum += acts->e1[(size_t)r * units + h];
        grads->db1[h] = sum / rows;
    }
}

REFERENCE void ref_add_penalty_grads(const ref_network *net, double l1, double l2, int m,
                                     ref_grads *grads)
{
    const double rows = (double)m;
    const size_t n_w1 = (size_t)net->n_features * net->units;
    for (size_t i = 0; i < n_w1; i++)
        grads->dw1[i] += (l1 * ref_sign_of(net->w1[i]) + l2 * net->w1[i]) / rows;
    for (int h = 0; h < net->units; h++)
        grads->dw2[h] += (l1 * ref_sign_of(net->w2[h]) + l2 * net->w2[h]) / rows;
}

REFERENCE void ref_update(ref_network *net, const ref_grads *grads, double learning_rate)
{
    const size_t n_w1 = (size_t)net->n_features * net->units;
    for (size_t i = 0; i < n_w1; i++)
        net->w1[i] -= learning_rate * grads->dw1[i];
    for (int h = 0; h < net->units; h++)
        net->b1[h] -= learning_rate * grads->db1[h];
    for (int h = 0; h < net->units; h++)
        net->w2[h] -= learning_rate * grads->dw2[h];
    net->b2 -= learning_rate * grads->db2;
}

REFERENCE double ref_cross_entropy_add(double total, const double *a, const double *y, int m)
{
    const double lowest = 1e-10, highest = 1.0 - 1e-10;
    for (int r = 0; r < m; r++) {
        double clipped = a[r] < lowest ? lowest : (a[r] > highest ? highest : a[r]);
        total += -(y[r] * fastmath_log(clipped) + (1.0 - y[r]) * fastmath_log(1.0 - clipped));
    }
    return total;
}

REFERENCE double ref_train_batch(ref_network *net, const double *x, const double *y, int m,
                                 const train_params *params, ref_activations *acts,
                                 ref_grads *grads)
{
    ref_forward(net, x, m, acts);
    double batch_loss = ref_cross_entropy_add(0.0, acts->a, y, m);
    ref_backward(net, x, y, m, acts, grads);
    ref_add_penalty_grads(net, params->l1, params->l2, m, grads);
    ref_update(net, grads, params->learning_rate);
    return batch_loss;
}

REFERENCE double ref_reg_loss(const ref_network *net, double l1, double l2)
{
    const size_t n_w1 = (size_t)net->n_features * net->units;
    double abs_w1 = 0.0, abs_w2 = 0.0, square_w1 = 0.0, square_w2 = 0.0;
    for (size_t i = 0; i < n_w1; i++) {
        abs_w1 += fabs(net->w1[i]);
        square_w1 += net->w1[i] * net->w1[i];
    }
    for (int h = 0; h < net->units; h++) {
        abs_w2 += fabs(net->w2[h]);
        square_w2 += net->w2[h] * net->w2[h];
    }
    return l1 * (abs_w1 + abs_w2) + l2 / 2.0 * (square_w1 + square_w2);
}

REFERENCE int ref_count_correct(const double *z2, const double *y, int m)
{
    int correct = 0;
    for (int r = 0; r < m; r++) {
        double predicted = z2[r] > 0.0 ? 1.0 : 0.0;
        if (predicted == y[r])
            correct++;
    }
    return correct;
}

/* Forward in chunks of chunk_rows; adds the loss to *loss_total, returns the
 * correct count. */
REFERENCE int ref_evaluate(const ref_network *net, const double *x, const double *y, int n,
                           int chunk_rows, ref_activations *acts, double *loss_total)
{
    int correct = 0;
    for (int start = 0; start < n; start += chunk_rows) {
        int m = n - start < chunk_rows ? n - start : chunk_rows;
        ref_forward(net, x + (size_t)start * net->n_features, m, acts);
        *loss_total = ref_cross_entropy_add(*loss_total, acts->a, y + start, m);
        correct += ref_count_correct(acts->z2, y + start, m);
    }
    return correct;
}

/* Arrays of a reference network and its activations for batch_rows rows. */
typedef struct {
    ref_network net;
    ref_grads grads;
    ref_activations acts;
    double *x_batch, *y_batch;
    int *order;
} ref_model;

REFERENCE int ref_model_new(ref_model *model, int n_features, int units, int batch_rows,
                            int n_train)
{
    memset(model, 0, sizeof *model);
    const size_t n_w1 = (size_t)n_features * units, hidden = (size_t)batch_rows * units;
    model->net = (ref_network){n_features,
                               units,
                               calloc(n_w1, sizeof(double)),
                               calloc(units, sizeof(double)),
                               calloc(units, sizeof(double)),
                               0.0};
    model->grads = (ref_grads){calloc(n_w1, sizeof(double)), calloc(units, sizeof(double)),
                               calloc(units, sizeof(double)), 0.0};
    model->acts =
        (ref_activations){calloc(hidden, sizeof(double)), calloc(batch_rows, sizeof(double)),
                          calloc(batch_rows, sizeof(double)), calloc(batch_rows, sizeof(double)),
                          calloc(hidden, sizeof(double))};
    model->x_batch = calloc((size_t)batch_rows * n_features, sizeof(double));
    model->y_batch = calloc(batch_rows, sizeof(double));
    model->order = calloc(n_train > 0 ? n_train : 1, sizeof(int));
    void *all[] = {model->net.w1,    model->net.b1,    model->net.w2,  model->grads.dw1,
                   model->grads.db1, model->grads.dw2, model->acts.a1, model->acts.z2,
                   model->acts.a,    model->acts.err,  model->acts.e1, model->x_batch,
                   model->y_batch,   model->order};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i] == NULL)
            return -1;
    return 0;
}

REFERENCE void ref_model_free(ref_model *model)
{
    void *all[] = {model->net.w1,    model->net.b1,    model->net.w2,  model->grads.dw1,
                   model->grads.db1, model->grads.dw2, model->acts.a1, model->acts.z2,
                   model->acts.a,    model->acts.err,  model->acts.e1, model->x_batch,
                   model->y_batch,   model->order};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}

/* train_run's plain predecessor: fills `result` (initialized for at least
 * params->epochs) the way train_run does. Returns -1 when out of memory. */
REFERENCE int reference_train_run(const dataset *data, const train_params *params,
                                  run_result *result)
{
    const int n_features = data->n_features, n_train = data->n_train;
    const int batch_rows = params->batch_size < n_train ? params->batch_size : n_train;
    ref_model model;
    if (ref_model_new(&model, n_features, params->units, batch_rows, n_train) < 0) {
        ref_model_free(&model);
        return -1;
    }
    for (int e = 0; e < result->epochs; e++)
        result->train_loss[e] = result->val_loss[e] = NAN;
    result->train_score = result->val_score = result->test_score = NAN;
    result->status = RUN_PENDING;
    result->epochs_done = 0;
    result->failure[0] = '\0';

    numpy_rng rng;
    rng_seed(&rng, params->seed);
    ref_init(&model.net, &rng);
    rng_seed(&rng, params->seed);
    for (int epoch = 0; epoch < params->epochs; epoch++) {
        rng_permutation(&rng, model.order, n_train);
        double loss = 0.0;
        for (int start = 0; start < n_train; start += batch_rows) {
            int m = n_train - start < batch_rows ? n_train - start : batch_rows;
            for (int r = 0; r < m; r++) {
                int row = model.order[start + r];
                memcpy(model.x_batch + (size_t)r * n_features,
                       data->x_train + (size_t)row * n_features,
                       (size_t)n_features * sizeof(double));
                model.y_batch[r] = data->y_train[row];
            }
            loss += ref_train_batch(&model.net, model.x_batch, model.y_batch, m, params,
                                    &model.acts, &model.grads);
        }
        double reg = ref_reg_loss(&model.net, params->l1, params->l2);
        double train_loss = (loss + reg) / n_train;
        double val_total = 0.0;
        ref_evaluate(&model.net, data->x_val, data->y_val, data->n_val, batch_rows, &model.acts,
                     &val_total);
        double val_loss = (val_total + reg) / data->n_val;
        if (!isfinite(train_loss) || !isfinite(val_loss)) {
            result->status = RUN_FAILED;
            result->epochs_done = epoch;
            ref_model_free(&model);
            return 0;
        }
        result->train_loss[epoch] = train_loss;
        result->val_loss[epoch] = val_loss;
        result->epochs_done = epoch + 1;
    }
    double unused = 0.0;
    result->train_score = (double)ref_evaluate(&model.net, data->x_train, data->y_train, n_train,
                                               batch_rows, &model.acts, &unused) /
                          n_train;
    result->val_score = (double)ref_evaluate(&model.net, data->x_val, data->y_val, data->n_val,
                                             batch_rows, &model.acts, &unused) /
                        data->n_val;
    if (data->n_test > 0)
        result->test_score = (double)ref_evaluate(&model.net, data->x_test, data->y_test,
                                                  data->n_test, batch_rows, &model.acts, &unused) /
                             data->n_test;
    result->status = RUN_DONE;
    ref_model_free(&model);
    return 0;
}
