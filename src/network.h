/* network.h: the textbook's 2-layer sigmoid network on one minibatch.
 *
 * n_features -> units (sigmoid) -> 1 (sigmoid), cross-entropy loss, SGD with
 * L1/L2 penalties on the weights (not the biases). These are the kernels of
 * DualLayer.forpass / backprop / training / reg_loss from chapter 6 of
 * "Do it! 딥러닝 입문"; train.c runs them over epochs and batches. The exact
 * floating-point evaluation order, which the results depend on bit for bit,
 * is written down at the top of network.c.
 *
 * Nothing here allocates: every array belongs to the caller (train.c's
 * workspace), so the kernels can run in the hot loop.
 */
#ifndef SWEEP_NETWORK_H
#define SWEEP_NETWORK_H

#include "params.h"
#include "rng.h"

/* The parameters. Arrays are owned by the caller. */
typedef struct {
    int n_features;   /* inputs */
    int units;        /* hidden units */
    double *w1;       /* (n_features, units) row-major */
    double *b1;       /* (units) */
    double *w2;       /* (units) = the (units, 1) output weights */
    double b2;        /* output bias */
} network;

/* Gradients of the batch loss, same shapes as the parameters. */
typedef struct {
    double *dw1;      /* (n_features, units) */
    double *db1;      /* (units) */
    double *dw2;      /* (units) */
    double db2;
} network_grads;

/* Per-row values of a forward/backward pass over at most `capacity` rows. */
typedef struct {
    double *a1;       /* (rows, units) hidden activations */
    double *z2;       /* (rows) output before the sigmoid */
    double *a;        /* (rows) output activation */
    double *err;      /* (rows) a - y */
    double *e1;       /* (rows, units) error reaching the hidden layer */
} network_activations;

/* 1 / (1 + exp(-z)) with z clipped below at -100 (np.clip(z, -100, None)),
 * NaN passing through. */
double network_sigmoid(double z);

/* RandomInitNetwork.init_weights: w1 from n_features * units normals drawn
 * row by row, then w2 from `units` normals; biases zero. The caller seeds. */
void network_init(network *net, numpy_rng *rng);

/* forpass + activation on m rows of x (m, n_features): fills acts->a1,
 * acts->z2 and acts->a for those rows. */
void network_forward(const network *net, const double *x, int m, network_activations *acts);

/* backprop for the rows of the last forward pass on x (m, n_features) with
 * targets y (m): fills acts->err, acts->e1 and all of grads, the gradients
 * of the mean cross-entropy (no penalties). */
void network_backward(const network *net, const double *x, const double *y, int m,
                      network_activations *acts, network_grads *grads);

/* The gradients of the L1/L2 penalties, added to dw1 and dw2. */
void network_add_penalty_grads(const network *net, double l1, double l2, int m,
                               network_grads *grads);

/* One SGD step: each parameter -= learning_rate * its gradient. */
void network_update(network *net, const network_grads *grads, double learning_rate);

/* The textbook's `training`: forward, backward, penalties, update on one
 * batch x (m, n_features), y (m). Returns the batch's summed cross-entropy,
 * computed from the outputs BEFORE the update. */
double network_train_batch(network *net, const double *x, const double *y, int m,
                           const train_params *params, network_activations *acts,
                           network_grads *grads);

/* Adds, row by row, -(y log a + (1 - y) log(1 - a)) with a clipped to
 * [1e-10, 1 - 1e-10] to `total` and returns it. Passing the running total
 * (rather than summing each chunk apart) makes the result independent of how
 * the rows are split into chunks. */
double network_cross_entropy_add(double total, const double *a, const double *y, int m);

/* reg_loss: l1 (sum|w1| + sum|w2|) + l2/2 (sum w1^2 + sum w2^2). */
double network_reg_loss(const network *net, double l1, double l2);

/* How many of the m rows are classified right: (z2 > 0) == (y == 1). */
int network_count_correct(const double *z2, const double *y, int m);

#endif
