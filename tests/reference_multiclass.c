/* reference_multiclass.c: the plain scalar MultiClassNetwork, the exactness
 * reference of the multi-class kernels.
 *
 * Dense loops (every input, zero or not) in exactly the evaluation order
 * written at the top of src/multiclass.c and src/model_multiclass.c, with
 * fastmath_exp and fastmath_log. The fast path (train_run with model
 * multiclass, every instruction set) must give these numbers bit for bit.
 * Included by tests/test_multiclass.c; everything here is static.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "fastmath.h"
#include "params.h"
#include "rng.h"

typedef struct {
    int d, units, classes;
    double *w1; /* (d, units) */
    double *b1; /* (units) */
    double *w2; /* (units, classes) */
    double *b2; /* (classes) */
} refmc_net;

/* What a reference run gives. */
typedef struct {
    double *train_loss, *val_loss; /* (epochs) NaN past a failure */
    int epochs_done;
    double train_score, val_score, test_score;
} refmc_result;

static double refmc_clip(double v, double low, double high)
{
    return v < low ? low : (v > high ? high : v);
}

static double refmc_sign(double v)
{
    return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : (v == 0.0 ? 0.0 : v));
}

/* z2 (m, classes) and a1 (m, units) of the m rows x[rows[r]]. */
static void refmc_forward(const refmc_net *net, const double *x, const int *rows, int m, double *a1,
                          double *z2)
{
    for (int r = 0; r < m; r++) {
        const double *row = x + (size_t)net->d * (size_t)(rows != NULL ? rows[r] : r);
        for (int h = 0; h < net->units; h++) {
            double sum = 0.0;
            for (int f = 0; f < net->d; f++)
                sum += row[f] * net->w1[(size_t)f * net->units + h];
            double z = sum + net->b1[h];
            z = z < -100.0 ? -100.0 : z;
            a1[(size_t)r * net->units + h] = 1.0 / (1.0 + fastmath_exp(-z));
        }
        for (int k = 0; k < net->classes; k++) {
            double sum = 0.0;
            for (int h = 0; h < net->units; h++)
                sum += a1[(size_t)r * net->units + h] * net->w2[(size_t)h * net->classes + k];
            z2[(size_t)r * net->classes + k] = sum + net->b2[k];
        }
    }
}

/* softmax of row r into a (classes); returns its loss against `target`. */
static double refmc_softmax(const double *z2_row, int classes, int target, double *a)
{
    double total = 0.0;
    for (int k = 0; k < classes; k++) {
        double z = z2_row[k] < -100.0 ? -100.0 : z2_row[k];
        a[k] = fastmath_exp(z);
        total += a[k];
    }
    for (int k = 0; k < classes; k++)
        a[k] = a[k] / total;
    return -fastmath_log(refmc_clip(a[target], 1e-10, 1.0 - 1e-10));
}

/* One batch; returns its loss. */
static double refmc_batch(refmc_net *net, const double *x, const double *y, const int *rows, int m,
                          const train_params *p)
{
    const int d = net->d, units = net->units, classes = net->classes;
    double *a1 = calloc((size_t)m * units, sizeof(double));
    double *z2 = calloc((size_t)m * classes, sizeof(double));
    double *err = calloc((size_t)m * classes, sizeof(double));
    double *e1 = calloc((size_t)m * units, sizeof(double));
    refmc_forward(net, x, rows, m, a1, z2);
    double loss = 0.0, err_total = 0.0;
    for (int r = 0; r < m; r++) {
        const int target = (int)y[rows[r]];
        double *err_row = err + (size_t)r * classes;
        loss += refmc_softmax(z2 + (size_t)r * classes, classes, target, err_row);
        for (int k = 0; k < classes; k++)
            err_row[k] = err_row[k] - (k == target ? 1.0 : 0.0);
        for (int k = 0; k < classes; k++)
            err_total += err_row[k];
    }
    const double rows_m = (double)m;
    for (int r = 0; r < m; r++)
        for (int h = 0; h < units; h++) {
            double sum = 0.0;
            for (int k = 0; k < classes; k++)
                sum += err[(size_t)r * classes + k] * net->w2[(size_t)h * classes + k];
            double a = a1[(size_t)r * units + h];
            e1[(size_t)r * units + h] = sum * a * (1.0 - a);
        }
    /* gradients from the weights before the update, then the update */
    double *dw2 = calloc((size_t)units * classes, sizeof(double));
    for (int h = 0; h < units; h++)
        for (int k = 0; k < classes; k++) {
            double sum = 0.0;
            for (int r = 0; r < m; r++)
                sum += a1[(size_t)r * units + h] * err[(size_t)r * classes + k];
            dw2[(size_t)h * classes + k] = sum;
        }
    for (int f = 0; f < d; f++)
        for (int h = 0; h < units; h++) {
            double sum = 0.0;
            for (int r = 0; r < m; r++)
                sum += x[(size_t)d * rows[r] + f] * e1[(size_t)r * units + h];
            double *w = &net->w1[(size_t)f * units + h];
            double g = sum / rows_m;
            g = g + (p->l1 * refmc_sign(*w) + p->l2 * *w) / rows_m;
            *w = *w - p->learning_rate * g;
        }
    for (int h = 0; h < units; h++) {
        double sum = 0.0;
        for (int r = 0; r < m; r++)
            sum += e1[(size_t)r * units + h];
        net->b1[h] = net->b1[h] - p->learning_rate * (sum / rows_m);
    }
    for (size_t i = 0; i < (size_t)units * classes; i++) {
        double g = dw2[i] / rows_m;
        g = g + (p->l1 * refmc_sign(net->w2[i]) + p->l2 * net->w2[i]) / rows_m;
        net->w2[i] = net->w2[i] - p->learning_rate * g;
    }
    const double db2 = err_total / rows_m;
    for (int k = 0; k < classes; k++)
        net->b2[k] = net->b2[k] - p->learning_rate * db2;
    free(a1), free(z2), free(err), free(e1), free(dw2);
    return loss;
}

static double refmc_reg(const refmc_net *net, double l1, double l2)
{
    double abs1 = 0.0, abs2 = 0.0, sq1 = 0.0, sq2 = 0.0;
    for (size_t i = 0; i < (size_t)net->d * net->units; i++) {
        abs1 += fabs(net->w1[i]);
        sq1 += net->w1[i] * net->w1[i];
    }
    for (size_t i = 0; i < (size_t)net->units * net->classes; i++) {
        abs2 += fabs(net->w2[i]);
        sq2 += net->w2[i] * net->w2[i];
    }
    return l1 * (abs1 + abs2) + l2 / 2.0 * (sq1 + sq2);
}

/* Loss total over n rows (in order, from `total`) and the correct count. */
static double refmc_evaluate(const refmc_net *net, const double *x, const double *y, int n,
                             double total, int *correct)
{
    double *a1 = calloc((size_t)net->units, sizeof(double));
    double *z2 = calloc((size_t)net->classes, sizeof(double));
    double *a = calloc((size_t)net->classes, sizeof(double));
    *correct = 0;
    for (int r = 0; r < n; r++) {
        refmc_forward(net, x + (size_t)r * net->d, NULL, 1, a1, z2);
        int best = 0;
        for (int k = 1; k < net->classes; k++)
            if (z2[k] > z2[best])
                best = k;
        *correct += best == (int)y[r];
        total += refmc_softmax(z2, net->classes, (int)y[r], a);
    }
    free(a1), free(z2), free(a);
    return total;
}

/* The whole run: seed once, init, epochs, scores. */
static void refmc_run(const dataset *data, const train_params *p, refmc_result *out)
{
    refmc_net net = {data->n_features, p->units, data->n_classes, NULL, NULL, NULL, NULL};
    net.w1 = calloc((size_t)net.d * net.units, sizeof(double));
    net.b1 = calloc((size_t)net.units, sizeof(double));
    net.w2 = calloc((size_t)net.units * net.classes, sizeof(double));
    net.b2 = calloc((size_t)net.classes, sizeof(double));
    out->train_loss = malloc((size_t)p->epochs * sizeof(double));
    out->val_loss = malloc((size_t)p->epochs * sizeof(double));
    int *order = malloc((size_t)data->n_train * sizeof(int));
    numpy_rng rng;
    rng_seed(&rng, p->seed);
    for (size_t i = 0; i < (size_t)net.d * net.units; i++)
        net.w1[i] = rng_gauss(&rng);
    for (size_t i = 0; i < (size_t)net.units * net.classes; i++)
        net.w2[i] = rng_gauss(&rng);
    const int n = data->n_train, batch = p->batch_size < n ? p->batch_size : n;
    out->epochs_done = 0;
    out->train_score = out->val_score = out->test_score = NAN;
    for (int e = 0; e < p->epochs; e++)
        out->train_loss[e] = out->val_loss[e] = NAN;
    for (int e = 0; e < p->epochs; e++) {
        rng_permutation(&rng, order, n);
        double loss = 0.0;
        for (int start = 0; start < n; start += batch)
            loss += refmc_batch(&net, data->x_train, data->y_train, order + start,
                                n - start < batch ? n - start : batch, p);
        double reg = refmc_reg(&net, p->l1, p->l2);
        int unused;
        double train_loss = (loss + reg) / n;
        double val_loss =
            (refmc_evaluate(&net, data->x_val, data->y_val, data->n_val, 0.0, &unused) + reg) /
            data->n_val;
        if (!isfinite(train_loss) || !isfinite(val_loss))
            break;
        out->train_loss[e] = train_loss;
        out->val_loss[e] = val_loss;
        out->epochs_done = e + 1;
    }
    if (out->epochs_done == p->epochs) {
        int correct;
        refmc_evaluate(&net, data->x_train, data->y_train, n, 0.0, &correct);
        out->train_score = (double)correct / n;
        refmc_evaluate(&net, data->x_val, data->y_val, data->n_val, 0.0, &correct);
        out->val_score = (double)correct / data->n_val;
        if (data->n_test > 0) {
            refmc_evaluate(&net, data->x_test, data->y_test, data->n_test, 0.0, &correct);
            out->test_score = (double)correct / data->n_test;
        }
    }
    free(order), free(net.w1), free(net.b1), free(net.w2), free(net.b2);
}

static void refmc_result_free(refmc_result *result)
{
    free(result->train_loss);
    free(result->val_loss);
}
