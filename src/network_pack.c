/* network_pack.c: the packed network (network_pack.h): its scalar parts and
 * the kernels' copies per instruction set. */
#include "network_pack.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "fastmath.h"
#include "lanes.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

void network_pack_init(network_pack *pack, numpy_rng *rngs)
{
    const size_t width = (size_t)pack->width, units = (size_t)pack->units;
    const size_t n_w1 = (size_t)pack->n_features * units;
    memset(pack->b1, 0, units * width * sizeof(double));
    memset(pack->b2, 0, width * sizeof(double));
    /* network_init's draws per lane: w1 row by row, then w2 */
    for (size_t lane = 0; lane < width; lane++) {
        for (size_t i = 0; i < n_w1; i++)
            pack->w1[i * width + lane] = rng_gauss(&rngs[lane]);
        for (size_t h = 0; h < units; h++)
            pack->w2[h * width + lane] = rng_gauss(&rngs[lane]);
    }
}

void network_pack_reg_loss(const network_pack *pack, double *reg)
{
    const size_t width = (size_t)pack->width, units = (size_t)pack->units;
    const size_t n_w1 = (size_t)pack->n_features * units;
    for (size_t lane = 0; lane < width; lane++) {
        double abs_w1 = 0.0, abs_w2 = 0.0, square_w1 = 0.0, square_w2 = 0.0;
        for (size_t i = 0; i < n_w1; i++) {
            const double w = pack->w1[i * width + lane];
            abs_w1 += fabs(w);
            square_w1 += w * w;
        }
        for (size_t h = 0; h < units; h++) {
            const double w = pack->w2[h * width + lane];
            abs_w2 += fabs(w);
            square_w2 += w * w;
        }
        const double l1 = pack->l1[lane], l2 = pack->l2[lane];
        reg[lane] = l1 * (abs_w1 + abs_w2) + l2 / 2.0 * (square_w1 + square_w2);
    }
}

/* ---- the kernels, one copy per instruction set ---- */

#define SIMD_SUFFIX generic
#define SIMD_LANES 2
#define SIMD_TARGET_ATTRIBUTE
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "lanes_simd.inc"
#include "network_pack_simd.inc"
#include "lanes_simd_end.inc"
#include "simd_end.inc"

#if defined(__x86_64__) || defined(__i386__)
#define NETWORK_PACK_X86_LEVELS 1

#define SIMD_SUFFIX avx2
#define SIMD_LANES 4
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx2")))
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "lanes_simd.inc"
#include "network_pack_simd.inc"
#include "lanes_simd_end.inc"
#include "simd_end.inc"

#define SIMD_SUFFIX avx512
#define SIMD_LANES 8
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx512f,avx2")))
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "lanes_simd.inc"
#include "network_pack_simd.inc"
#include "lanes_simd_end.inc"
#include "simd_end.inc"
#endif

void network_pack_train_batch(network_pack *pack, network_pack_scratch *scratch, int m,
                              double *batch_loss, int *correct)
{
    switch (pack->isa) {
#ifdef NETWORK_PACK_X86_LEVELS
    case SIMD_AVX512:
        pack_train_batch_avx512(pack, scratch, m, batch_loss, correct);
        return;
    case SIMD_AVX2:
        pack_train_batch_avx2(pack, scratch, m, batch_loss, correct);
        return;
#endif
    default:
        pack_train_batch_generic(pack, scratch, m, batch_loss, correct);
        return;
    }
}

void network_pack_evaluate(const network_pack *pack, network_pack_scratch *scratch, const double *x,
                           const double *y, int n, double *loss_total, int *correct)
{
    switch (pack->isa) {
#ifdef NETWORK_PACK_X86_LEVELS
    case SIMD_AVX512:
        pack_evaluate_avx512(pack, scratch, x, y, n, loss_total, correct);
        return;
    case SIMD_AVX2:
        pack_evaluate_avx2(pack, scratch, x, y, n, loss_total, correct);
        return;
#endif
    default:
        pack_evaluate_generic(pack, scratch, x, y, n, loss_total, correct);
        return;
    }
}
