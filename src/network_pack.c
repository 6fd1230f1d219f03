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

/* The packed rows a batch kernel takes at a time (network_pack_simd.inc).
 * Between chunks the gradient sums are stored and loaded again (n_features
 * x units vectors), so larger chunks cost less: 64 KB (34 wdbc rows at 8
 * lanes) measured as fast as whole batches, 16 KB about 10% slower. The
 * chunk bounds the hidden values' scratch (chunk x units x lanes). */
#ifndef PACK_CHUNK_BYTES
#define PACK_CHUNK_BYTES (64 * 1024)
#endif
/* ...and at most this many (few features: the hidden values' share) */
#define PACK_CHUNK_ROWS_MAX 64

int network_pack_chunk_rows(int n_features, int width)
{
    const size_t row_bytes = (size_t)n_features * (size_t)width * sizeof(double);
    const size_t rows = PACK_CHUNK_BYTES / (row_bytes > 0 ? row_bytes : 1);
    return rows < 1 ? 1 : (rows > PACK_CHUNK_ROWS_MAX ? PACK_CHUNK_ROWS_MAX : (int)rows);
}

/* ---- the kernels, one copy per instruction set ----
 * PACK_UNIT_BLOCK: the units whose sums stay in registers, for 16 vector
 * registers (SSE2, AVX2) or 32 (AVX-512). */

#define SIMD_SUFFIX generic
#define SIMD_LANES 2
#define SIMD_TARGET_ATTRIBUTE
#define PACK_UNIT_BLOCK 12
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "lanes_simd.inc"
#include "network_pack_simd.inc"
#include "lanes_simd_end.inc"
#include "simd_end.inc"
#undef PACK_UNIT_BLOCK

#if defined(__x86_64__) || defined(__i386__)
#define NETWORK_PACK_X86_LEVELS 1

#define SIMD_SUFFIX avx2
#define SIMD_LANES 4
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx2")))
#define PACK_UNIT_BLOCK 12
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "lanes_simd.inc"
#include "network_pack_simd.inc"
#include "lanes_simd_end.inc"
#include "simd_end.inc"
#undef PACK_UNIT_BLOCK

#define SIMD_SUFFIX avx512
#define SIMD_LANES 8
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx512f,avx2")))
#define PACK_UNIT_BLOCK 16
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "lanes_simd.inc"
#include "network_pack_simd.inc"
#include "lanes_simd_end.inc"
#include "simd_end.inc"
#undef PACK_UNIT_BLOCK
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

void network_pack_train_single_rows(network_pack *pack, network_pack_scratch *scratch, int n,
                                    double *loss_total, int *correct)
{
    int status;
    switch (pack->isa) {
#ifdef NETWORK_PACK_X86_LEVELS
    case SIMD_AVX512:
        status = pack_train_single_rows_avx512(pack, scratch, n, loss_total, correct);
        break;
    case SIMD_AVX2:
        status = pack_train_single_rows_avx2(pack, scratch, n, loss_total, correct);
        break;
#endif
    default:
        status = pack_train_single_rows_generic(pack, scratch, n, loss_total, correct);
        break;
    }
    if (status == 0)
        return;
    /* too many units to keep in registers: row by row */
    const size_t row = (size_t)pack->n_features * (size_t)pack->width;
    double *const x = scratch->x, *const y = scratch->y;
    for (int i = 0; i < n; i++) {
        double batch_loss[LANES_MAX];
        scratch->x = x + (size_t)i * row;
        scratch->y = y + (size_t)i * (size_t)pack->width;
        network_pack_train_batch(pack, scratch, 1, batch_loss, correct);
        for (int lane = 0; lane < pack->width; lane++)
            loss_total[lane] += batch_loss[lane];
    }
    scratch->x = x;
    scratch->y = y;
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

void network_pack_reg_loss(const network_pack *pack, double *reg)
{
    switch (pack->isa) {
#ifdef NETWORK_PACK_X86_LEVELS
    case SIMD_AVX512:
        pack_reg_loss_avx512(pack, reg);
        return;
    case SIMD_AVX2:
        pack_reg_loss_avx2(pack, reg);
        return;
#endif
    default:
        pack_reg_loss_generic(pack, reg);
        return;
    }
}
