/* lanes.h: what the packed models share (model.h, model_pack_ops): runs
 * trained side by side, one run per vector lane.
 *
 * Layout of a packed array: every scalar of a lone run becomes `width`
 * consecutive doubles, one per lane, so that a vector load reads that
 * scalar of every run at once: lone[i] of lane l is packed[i * width + l].
 * Each lane then does its run's operations in its run's order, and no
 * operation crosses lanes, so every lane has the lone run's bits.
 *
 * The vector helpers (sigmoid, penalties, division by the row count, loss
 * rows) are the template lanes_simd.inc; the scalar ones are here.
 */
#ifndef SWEEP_LANES_H
#define SWEEP_LANES_H

#include <stdbool.h>

#include "params.h"
#include "rng.h"

/* The most lanes a pack has (AVX-512: 8 doubles). */
#define LANES_MAX 8

/* lanes[0..width): the runs, then copies of runs[0] in the idle lanes (their
 * results are dropped; a copy computes numbers as finite as lane 0's). */
void lanes_fill(const train_params *const *runs, int n_runs, int width, const train_params **lanes);

/* Whether every lane's penalty is l2 alone (l1 exactly +0.0, l2 finite):
 * the kernels may then use the shorter form of the penalty (see
 * lanes_simd.inc), the same bits. */
bool lanes_l2_only(const train_params *const *lanes, int width);

/* Each lane's np.random.permutation(n) from its own generator:
 * orders[lane][0..n). */
void lanes_permutations(numpy_rng *rngs, int width, int *const *orders, int n);

/* The m rows orders[lane][start + r] of x (n_features columns), packed:
 * out[(r * n_features + f) * width + lane] = x[orders[lane][start + r]][f];
 * and their targets: y_out[r * width + lane]. */
void lanes_gather_rows(const double *x, const double *y, int n_features, const int *const *orders,
                       int start, int m, int width, double *out, double *y_out);

#endif
