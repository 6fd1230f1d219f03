/* network.h: the textbook's 2-layer sigmoid network, trained one minibatch
 * at a time by vectorized kernels.
 *
 * n_features -> units (sigmoid) -> 1 (sigmoid), cross-entropy loss, SGD with
 * L1/L2 penalties on the weights (not the biases): DualLayer.forpass /
 * backprop / training / reg_loss from chapter 6 of "Do it! 딥러닝 입문".
 * The floating-point evaluation order, which the results depend on bit for
 * bit, is written down at the top of network.c; tests/reference_train.c is
 * the plain scalar code of that order, and the tests require the kernels to
 * reproduce it exactly on every instruction set (simd.h).
 *
 * Layout: the hidden units are the vector lanes, so a row of w1, of the
 * hidden activations and of the hidden errors holds `stride` doubles, the
 * units rounded up to the lane count; the columns past `units` are padding
 * kept at zero in the weights. Nothing here allocates: every array belongs
 * to the caller (train.c's workspace).
 */
#ifndef SWEEP_NETWORK_H
#define SWEEP_NETWORK_H

#include <stddef.h>

#include "params.h"
#include "rng.h"
#include "simd.h"

/* The parameters. Arrays are owned by the caller. */
typedef struct {
    int n_features; /* inputs */
    int units;      /* hidden units */
    int stride;     /* network_stride(isa, units): doubles per row of w1 */
    simd_isa isa;   /* the kernels' instruction set */
    double *w1;     /* (n_features, stride) row-major; w1[f][h] for h < units */
    double *b1;     /* (stride) */
    double *w2;     /* (stride): the (units, 1) output weights */
    double b2;      /* output bias */
} network;

/* Scratch arrays of a pass over at most `capacity` rows; a1 and e1 hold
 * network_scratch_doubles(), the row arrays network_row_doubles(), sum_w1
 * n_features * stride. */
typedef struct {
    int capacity;   /* rows */
    double *a1;     /* (capacity, stride) hidden activations */
    double *e1;     /* (capacity, stride) error reaching the hidden layer (and
                         scratch of the forward pass before that) */
    double *z2;     /* (capacity rounded up to the lanes) output before the sigmoid */
    double *a;      /* (same) output activation */
    double *err;    /* (same) a - y */
    double *loss;   /* (same) the rows' cross-entropy */
    double *sum_w2; /* (stride) the sums of dw2, before dividing by m */
    double *sum_b1; /* (stride) the sums of db1 */
    double *sum_w1; /* (n_features, stride) the sums of dw1 */
} network_scratch;

/* Doubles per row of w1 for `units` at `isa`: units rounded up to the lanes. */
int network_stride(simd_isa isa, int units);

/* Doubles each of a1 and e1 need for `capacity` rows (the others need
 * network_row_doubles(isa, capacity)). */
size_t network_scratch_doubles(simd_isa isa, int units, int capacity);
size_t network_row_doubles(simd_isa isa, int capacity);

/* 1 / (1 + exp(-z)) with z clipped below at -100 (np.clip(z, -100, None)),
 * NaN passing through; exp is fastmath_exp. */
double network_sigmoid(double z);

/* out[i] = network_sigmoid(z[i]) by the vector code of `isa` (for tests). */
void network_sigmoid_array(simd_isa isa, const double *z, double *out, size_t n);

/* RandomInitNetwork.init_weights: w1 from n_features * units normals drawn
 * row by row, then w2 from `units` normals; biases and padding zero. The
 * caller seeds. net->n_features, units, stride, isa and the arrays must be
 * set. */
void network_init(network *net, numpy_rng *rng);

/* The textbook's `training` on the m rows x[rows[i]] (x is (n, n_features)
 * row-major, y (n)): forward, backward, penalties, SGD update. The outputs
 * a (before the update) go to batch_outputs (m); the batch's cross-entropy
 * is network_cross_entropy_rows of those. m <= scratch->capacity. */
void network_train_batch(network *net, const double *x, const double *y, const int *rows, int m,
                         const train_params *params, network_scratch *scratch,
                         double *batch_outputs);

/* Plain SGD over rows[0..n): the same as n calls of network_train_batch
 * with one row each (outputs[i] is row i's output before its update), in
 * one fused pass per row. */
void network_train_single_rows(network *net, const double *x, const double *y, const int *rows,
                               int n, const train_params *params, network_scratch *scratch,
                               double *outputs);

/* loss[r] = -(y log c + (1 - y) log(1 - c)), c = a[r] clipped to
 * [1e-10, 1 - 1e-10], log = fastmath_log, for r < n; by the vector code of
 * `isa`. */
void network_cross_entropy_rows(simd_isa isa, const double *a, const double *y, int n,
                                double *loss);

/* Forward pass over the n rows of x (n, n_features), in chunks of the
 * scratch's capacity: adds each row's cross-entropy to `loss_total` in row
 * order and returns it; *correct receives the number of rows whose
 * (z2 > 0) equals (y == 1). */
double network_evaluate(const network *net, const double *x, const double *y, int n,
                        double loss_total, int *correct, network_scratch *scratch);

/* reg_loss: l1 (sum|w1| + sum|w2|) + l2/2 (sum w1^2 + sum w2^2). */
double network_reg_loss(const network *net, double l1, double l2);

/* The weights without padding: w1 (n_features, units), b1 and w2 (units). */
void network_get_weights(const network *net, double *w1, double *b1, double *w2);

/* The reverse: set the weights from unpadded arrays (padding zeroed). */
void network_set_weights(network *net, const double *w1, const double *b1, const double *w2);

#endif
