/* network.c: forward, backward and SGD update of the 2-layer network.
 *
 * EVALUATION ORDER. sweep's results must not depend on the build, the CPU or
 * later optimizations, so every floating-point expression is evaluated in the
 * one order written here (and compiled with -ffp-contract=off: no fused
 * multiply-adds). "Σ_k ... in k order" means: acc = 0.0; for k = 0, 1, ...:
 * acc += term. exp and log are fastmath_exp and fastmath_log (fastmath.h).
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
 * a few ulps, which the tests bound. tests/reference_train.c is this order
 * as plain scalar loops.
 *
 * The kernels (network_simd.inc) compute exactly these numbers with hidden
 * units in vector lanes; they also use three rewrites that give the same
 * bits for every input (the comments at each say why): x / m is x for m = 1
 * and x * (1/m) when m is a power of two; a loss row with y in {0, 1} takes
 * one log; the sigmoid also clips z at 700. The output layer's sum over the
 * units and the loss totals stay scalar. The training loss is computed after
 * the epoch (train.c) from the outputs each batch saved: the logs are off the
 * batches' critical path, and the sums keep their order.
 */
#include "network.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "fastmath.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* Whether the penalty l1 sign(w) + l2 w may be computed as l2 w (see
 * penalty() in network_simd.inc): l1 is exactly +0.0 and l2 finite. */
static bool l2_only_penalty(const train_params *params)
{
    return params->l1 == 0.0 && !signbit(params->l1) && isfinite(params->l2);
}

double network_sigmoid(double z)
{
    /* not fmax(): a NaN must stay NaN so that a diverged run is detected */
    double clipped = z < -100.0 ? -100.0 : z;
    return 1.0 / (1.0 + fastmath_exp(-clipped));
}

int network_stride(simd_isa isa, int units)
{
    const int lanes = simd_lanes(isa);
    return (units + lanes - 1) / lanes * lanes;
}

size_t network_row_doubles(simd_isa isa, int capacity)
{
    const int lanes = simd_lanes(isa);
    return (size_t)(capacity + lanes - 1) / (size_t)lanes * (size_t)lanes;
}

size_t network_scratch_doubles(simd_isa isa, int units, int capacity)
{
    return (size_t)network_stride(isa, units) * (size_t)capacity;
}

void network_init(network *net, numpy_rng *rng)
{
    const size_t stride = (size_t)net->stride;
    memset(net->w1, 0, (size_t)net->n_features * stride * sizeof(double));
    memset(net->b1, 0, stride * sizeof(double));
    memset(net->w2, 0, stride * sizeof(double));
    for (int f = 0; f < net->n_features; f++)
        for (int h = 0; h < net->units; h++)
            net->w1[(size_t)f * stride + h] = rng_gauss(rng); /* normal(0, 1) is 0 + 1 * gauss */
    for (int h = 0; h < net->units; h++)
        net->w2[h] = rng_gauss(rng);
    net->b2 = 0.0;
}

double network_reg_loss(const network *net, double l1, double l2)
{
    double abs_w1 = 0.0, abs_w2 = 0.0, square_w1 = 0.0, square_w2 = 0.0;
    for (int f = 0; f < net->n_features; f++) {
        const double *w1_row = net->w1 + (size_t)f * net->stride;
        for (int h = 0; h < net->units; h++) {
            abs_w1 += fabs(w1_row[h]);
            square_w1 += w1_row[h] * w1_row[h];
        }
    }
    for (int h = 0; h < net->units; h++) {
        abs_w2 += fabs(net->w2[h]);
        square_w2 += net->w2[h] * net->w2[h];
    }
    return l1 * (abs_w1 + abs_w2) + l2 / 2.0 * (square_w1 + square_w2);
}

void network_get_weights(const network *net, double *w1, double *b1, double *w2)
{
    for (int f = 0; f < net->n_features; f++)
        memcpy(w1 + (size_t)f * net->units, net->w1 + (size_t)f * net->stride,
               (size_t)net->units * sizeof(double));
    memcpy(b1, net->b1, (size_t)net->units * sizeof(double));
    memcpy(w2, net->w2, (size_t)net->units * sizeof(double));
}

void network_set_weights(network *net, const double *w1, const double *b1, const double *w2)
{
    const size_t stride = (size_t)net->stride;
    memset(net->w1, 0, (size_t)net->n_features * stride * sizeof(double));
    memset(net->b1, 0, stride * sizeof(double));
    memset(net->w2, 0, stride * sizeof(double));
    for (int f = 0; f < net->n_features; f++)
        memcpy(net->w1 + (size_t)f * stride, w1 + (size_t)f * net->units,
               (size_t)net->units * sizeof(double));
    memcpy(net->b1, b1, (size_t)net->units * sizeof(double));
    memcpy(net->w2, w2, (size_t)net->units * sizeof(double));
}

/* ---- the kernels, one copy per instruction set ----
 * Block sizes per level: the sums of a block (rows or features times unit
 * vectors) plus the vectors they read must fit the 16 vector registers
 * (measured: 4 x 3 for AVX2 beats 3 x 3 and 8 x 3 with AVX-512's 32). */

#define SIMD_SUFFIX generic
#define SIMD_LANES 2
#define SIMD_TARGET_ATTRIBUTE
#define NETWORK_ROW_BLOCK 2
#define NETWORK_FEATURE_BLOCK 2
#define NETWORK_VEC_BLOCK 5
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "network_simd.inc"
#include "simd_end.inc"
#undef NETWORK_ROW_BLOCK
#undef NETWORK_FEATURE_BLOCK
#undef NETWORK_VEC_BLOCK

#if defined(__x86_64__) || defined(__i386__)
#define NETWORK_X86_LEVELS 1

#define SIMD_SUFFIX avx2
#define SIMD_LANES 4
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx2")))
#define NETWORK_ROW_BLOCK 4
#define NETWORK_FEATURE_BLOCK 4
#define NETWORK_VEC_BLOCK 3
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "network_simd.inc"
#include "simd_end.inc"
#undef NETWORK_ROW_BLOCK
#undef NETWORK_FEATURE_BLOCK
#undef NETWORK_VEC_BLOCK

#endif

void network_train_batch(network *net, const double *x, const double *y, const int *rows, int m,
                         const train_params *params, network_scratch *scratch,
                         double *batch_outputs)
{
    switch (net->isa) {
#ifdef NETWORK_X86_LEVELS
    case SIMD_AVX512: /* no AVX-512 body: the AVX2 one (simd.h) */
    case SIMD_AVX2:
        train_batch_avx2(net, x, y, rows, m, params, scratch, batch_outputs);
        return;
#endif
    default:
        train_batch_generic(net, x, y, rows, m, params, scratch, batch_outputs);
        return;
    }
}

void network_train_single_rows(network *net, const double *x, const double *y, const int *rows,
                               int n, const train_params *params, network_scratch *scratch,
                               double *outputs)
{
    int status;
    switch (net->isa) {
#ifdef NETWORK_X86_LEVELS
    case SIMD_AVX512: /* no AVX-512 body: the AVX2 one (simd.h) */
    case SIMD_AVX2:
        status = train_single_rows_avx2(net, x, y, rows, n, params, scratch, outputs);
        break;
#endif
    default:
        status = train_single_rows_generic(net, x, y, rows, n, params, scratch, outputs);
        break;
    }
    if (status != 0) /* too many units for the fused kernel */
        for (int i = 0; i < n; i++)
            network_train_batch(net, x, y, rows + i, 1, params, scratch, outputs + i);
}

void network_cross_entropy_rows(simd_isa isa, const double *a, const double *y, int n, double *loss)
{
    switch (isa) {
#ifdef NETWORK_X86_LEVELS
    case SIMD_AVX512: /* no AVX-512 body: the AVX2 one (simd.h) */
    case SIMD_AVX2:
        cross_entropy_rows_avx2(a, y, n, loss);
        return;
#endif
    default:
        cross_entropy_rows_generic(a, y, n, loss);
        return;
    }
}

double network_evaluate(const network *net, const double *x, const double *y, int n,
                        double loss_total, int *correct, network_scratch *scratch)
{
    switch (net->isa) {
#ifdef NETWORK_X86_LEVELS
    case SIMD_AVX512: /* no AVX-512 body: the AVX2 one (simd.h) */
    case SIMD_AVX2:
        return evaluate_avx2(net, x, y, n, loss_total, correct, scratch);
#endif
    default:
        return evaluate_generic(net, x, y, n, loss_total, correct, scratch);
    }
}

void network_sigmoid_array(simd_isa isa, const double *z, double *out, size_t n)
{
    switch (isa) {
#ifdef NETWORK_X86_LEVELS
    case SIMD_AVX512: /* no AVX-512 body: the AVX2 one (simd.h) */
    case SIMD_AVX2:
        sigmoid_array_avx2(z, out, n);
        return;
#endif
    default:
        sigmoid_array_generic(z, out, n);
        return;
    }
}
