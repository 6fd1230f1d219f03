/* network.c: forward, backward and SGD update of the 2-layer network.
 *
 * EVALUATION ORDER. sweep's results must not depend on the build or on later
 * optimizations, so every floating-point expression is evaluated in the one
 * order written here (and compiled with -ffp-contract=off: no fused
 * multiply-adds). A faster kernel must reproduce these bits exactly: it may
 * reorder loops, but each sum below must still be accumulated in the order
 * given. "Σ_k ... in k order" means: acc = 0.0; for k = 0, 1, ...: acc += term.
 *
 *   z1[r][h]  = (Σ_f x[r][f] * w1[f][h], in f order) + b1[h]
 *   a1[r][h]  = sigmoid(z1[r][h])
 *   z2[r]     = (Σ_h a1[r][h] * w2[h], in h order) + b2
 *   a[r]      = sigmoid(z2[r]),   sigmoid(z) = 1.0 / (1.0 + exp(-max(z, -100)))
 *   err[r]    = a[r] - y[r]
 *   dw2[h]    = (Σ_r a1[r][h] * err[r], in r order) / m
 *   db2       = (Σ_r err[r], in r order) / m
 *   e1[r][h]  = ((err[r] * w2[h]) * a1[r][h]) * (1.0 - a1[r][h])
 *   dw1[f][h] = (Σ_r x[r][f] * e1[r][h], in r order) / m
 *   db1[h]    = (Σ_r e1[r][h], in r order) / m
 *   dw[i]     = dw[i] + (l1 * sign(w[i]) + l2 * w[i]) / m     for w1 and w2
 *   w[i]      = w[i] - learning_rate * dw[i]                  for all four
 *   loss row  = -(y * log(c) + (1.0 - y) * log(1.0 - c)),  c = a clipped to
 *               [1e-10, 1 - 1e-10]; rows added to a running total in r order
 *   reg_loss  = l1 * (S|w1| + S|w2|) + (l2 / 2) * (S w1^2 + S w2^2), each S a
 *               sum in storage (row-major) order from 0.0
 *
 * m is the batch's row count as a double. This is numpy's arithmetic
 * expression for expression (err = -(y - a) equals a - y exactly); only the
 * order inside numpy's sums (BLAS dot products, pairwise np.sum) differs, by
 * a few ulps, which the tests bound.
 */
#include "network.h"

#include <math.h>
#include <stddef.h>

double network_sigmoid(double z)
{
    /* not fmax(): a NaN must stay NaN so that a diverged run is detected */
    double clipped = z < -100.0 ? -100.0 : z;
    return 1.0 / (1.0 + exp(-clipped));
}

/* np.sign: -1, 0 or 1, and NaN for NaN. */
static double sign_of(double value)
{
    if (value > 0.0)
        return 1.0;
    if (value < 0.0)
        return -1.0;
    return value == 0.0 ? 0.0 : value;
}

void network_init(network *net, numpy_rng *rng)
{
    const size_t n_w1 = (size_t)net->n_features * net->units;
    for (size_t i = 0; i < n_w1; i++)
        net->w1[i] = rng_gauss(rng);   /* normal(0, 1) is 0 + 1 * gauss */
    for (int h = 0; h < net->units; h++)
        net->b1[h] = 0.0;
    for (int h = 0; h < net->units; h++)
        net->w2[h] = rng_gauss(rng);
    net->b2 = 0.0;
}

void network_forward(const network *net, const double *x, int m, network_activations *acts)
{
    const int n_features = net->n_features;
    const int units = net->units;
    for (int r = 0; r < m; r++) {
        const double *x_row = x + (size_t)r * n_features;      /* (n_features) */
        double *a1_row = acts->a1 + (size_t)r * units;         /* (units) */
        for (int h = 0; h < units; h++) {
            double sum = 0.0;
            for (int f = 0; f < n_features; f++)
                sum += x_row[f] * net->w1[(size_t)f * units + h];
            a1_row[h] = network_sigmoid(sum + net->b1[h]);
        }
        double sum = 0.0;
        for (int h = 0; h < units; h++)
            sum += a1_row[h] * net->w2[h];
        acts->z2[r] = sum + net->b2;
        acts->a[r] = network_sigmoid(acts->z2[r]);
    }
}

void network_backward(const network *net, const double *x, const double *y, int m,
                      network_activations *acts, network_grads *grads)
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

    /* the error through w2 and the hidden sigmoid's derivative a1 (1 - a1) */
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

void network_add_penalty_grads(const network *net, double l1, double l2, int m,
                               network_grads *grads)
{
    const double rows = (double)m;
    const size_t n_w1 = (size_t)net->n_features * net->units;
    for (size_t i = 0; i < n_w1; i++)
        grads->dw1[i] += (l1 * sign_of(net->w1[i]) + l2 * net->w1[i]) / rows;
    for (int h = 0; h < net->units; h++)
        grads->dw2[h] += (l1 * sign_of(net->w2[h]) + l2 * net->w2[h]) / rows;
}

void network_update(network *net, const network_grads *grads, double learning_rate)
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

double network_train_batch(network *net, const double *x, const double *y, int m,
                           const train_params *params, network_activations *acts,
                           network_grads *grads)
{
    network_forward(net, x, m, acts);
    double batch_loss = network_cross_entropy_add(0.0, acts->a, y, m);
    network_backward(net, x, y, m, acts, grads);
    network_add_penalty_grads(net, params->l1, params->l2, m, grads);
    network_update(net, grads, params->learning_rate);
    return batch_loss;
}

double network_cross_entropy_add(double total, const double *a, const double *y, int m)
{
    const double lowest = 1e-10, highest = 1.0 - 1e-10;   /* keeps log() finite */
    for (int r = 0; r < m; r++) {
        double clipped = a[r] < lowest ? lowest : (a[r] > highest ? highest : a[r]);
        total += -(y[r] * log(clipped) + (1.0 - y[r]) * log(1.0 - clipped));
    }
    return total;
}

double network_reg_loss(const network *net, double l1, double l2)
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

int network_count_correct(const double *z2, const double *y, int m)
{
    int correct = 0;
    for (int r = 0; r < m; r++) {
        double predicted = z2[r] > 0.0 ? 1.0 : 0.0;
        if (predicted == y[r])
            correct++;
    }
    return correct;
}
