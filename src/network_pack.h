/* network_pack.h: the 2-layer network of network.h for `width` runs at
 * once, one run per vector lane (lanes.h: the packed layout).
 *
 * Every lane does its run's operations in the evaluation order written at
 * the top of network.c, with its own learning rate and penalties, so each
 * lane's numbers are those of network_train_batch on that run alone, bit
 * for bit: the units are not in the lanes here (no padding whatever their
 * count), and no sum crosses lanes. The rows differ per lane (each run
 * shuffles with its own seed); the caller gathers them (lanes_gather_rows).
 * Nothing here allocates.
 */
#ifndef SWEEP_NETWORK_PACK_H
#define SWEEP_NETWORK_PACK_H

#include <stdbool.h>

#include "rng.h"
#include "simd.h"

typedef struct {
    int n_features;
    int units;
    int width;                       /* lanes: simd_lanes(isa) */
    simd_isa isa;                    /* the kernels' instruction set */
    bool l2_only;                    /* every lane's penalty is l2 alone (lanes_l2_only) */
    double *w1;                      /* (n_features, units, width) */
    double *b1;                      /* (units, width) */
    double *w2;                      /* (units, width) */
    double *b2;                      /* (width) */
    double *l1, *l2, *learning_rate; /* (width) each lane's run */
} network_pack;

/* The kernels take the rows chunk by chunk: per chunk, each step (sums,
 * sigmoids, ...) over all its rows, with the chunk's rows and hidden
 * values kept in L1. */
int network_pack_chunk_rows(int n_features, int width);

typedef struct {
    int capacity; /* rows */
    double *x;    /* (capacity, n_features, width) the batch's rows (lanes_gather_rows) */
    double *y;    /* (capacity, width) their targets */
    /* (chunk, units, width), chunk = network_pack_chunk_rows: one chunk's
     * hidden activations and errors */
    double *a1, *e1;
    double *out;             /* (chunk, width) a chunk's z2 */
    double *err;             /* (chunk, width) a chunk's out - y */
    double *sum_w1;          /* (n_features, units, width) */
    double *sum_w2, *sum_b1; /* (units, width) */
} network_pack_scratch;

/* Each lane's network_init from its own generator rngs[lane]. */
void network_pack_init(network_pack *pack, numpy_rng *rngs);

/* network_train_batch of every lane on the m rows in scratch->x and
 * scratch->y (m <= capacity). batch_loss[lane]: the rows' cross-entropy
 * summed in row order from 0.0 (outputs before the update); correct[lane]
 * grows by the rows whose output > 0.5 equals y == 1. */
void network_pack_train_batch(network_pack *pack, network_pack_scratch *scratch, int m,
                              double *batch_loss, int *correct);

/* Plain SGD (batch size 1) of every lane over the n rows in scratch->x
 * and scratch->y (n <= capacity): the same numbers as n calls of
 * network_pack_train_batch with one row each, fused. loss_total[lane] grows
 * by each row's loss in row order, correct[lane] as there. */
void network_pack_train_single_rows(network_pack *pack, network_pack_scratch *scratch, int n,
                                    double *loss_total, int *correct);

/* network_evaluate of every lane on the n rows of x (shared by the lanes):
 * loss_total[lane] grows by the rows' cross-entropy in row order,
 * correct[lane] is set to the count of (z2 > 0) == (y == 1). */
void network_pack_evaluate(const network_pack *pack, network_pack_scratch *scratch, const double *x,
                           const double *y, int n, double *loss_total, int *correct);

/* network_reg_loss of every lane: reg[lane]. */
void network_pack_reg_loss(const network_pack *pack, double *reg);

#endif
