/* lanes.c: the scalar helpers of the packed models. See lanes.h. */
#include "lanes.h"

#include <math.h>
#include <stddef.h>

#include "simd.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

void lanes_fill(const train_params *const *runs, int n_runs, int width, const train_params **lanes)
{
    for (int lane = 0; lane < width; lane++)
        lanes[lane] = runs[lane < n_runs ? lane : 0];
}

bool lanes_l2_only(const train_params *const *lanes, int width)
{
    for (int lane = 0; lane < width; lane++)
        if (!(lanes[lane]->l1 == 0.0 && !signbit(lanes[lane]->l1) && isfinite(lanes[lane]->l2)))
            return false;
    return true;
}

void lanes_permutations(numpy_rng *rngs, int width, int *const *orders, int n)
{
    for (int lane = 0; lane < width; lane++)
        rng_permutation(&rngs[lane], orders[lane], n);
}

/* The scalar gather: one store per double. */
static void gather_rows_scalar(const double *x, const double *y, int n_features,
                               const int *const *orders, int start, int m, int width, double *out,
                               double *y_out)
{
    const size_t stride = (size_t)width;
    for (int r = 0; r < m; r++) {
        double *row_out = out + (size_t)r * (size_t)n_features * stride;
        for (int lane = 0; lane < width; lane++) {
            const int row = orders[lane][start + r];
            const double *row_in = x + (size_t)row * (size_t)n_features;
            for (int f = 0; f < n_features; f++)
                row_out[(size_t)f * stride + (size_t)lane] = row_in[f];
            y_out[(size_t)r * stride + (size_t)lane] = y[row];
        }
    }
}

#if defined(__x86_64__)
/* 8 lanes, at least 8 features: blocks of 8 features x 8 lanes transposed
 * in registers (8 loads, 24 shuffles, 8 stores for 64 doubles, where the
 * scalar gather needs 64 stores). The last block overlaps the one before
 * when 8 does not divide the features: it stores the same values again. */
__attribute__((target("avx512f"))) static void gather_rows_8(const double *x, const double *y,
                                                             int n_features,
                                                             const int *const *orders, int start,
                                                             int m, double *out, double *y_out)
{
    const __m512i pair_low = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i pair_high = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    const __m512i half_low = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
    const __m512i half_high = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
    for (int r = 0; r < m; r++) {
        const double *rows[8];
        for (int lane = 0; lane < 8; lane++) {
            const int row = orders[lane][start + r];
            rows[lane] = x + (size_t)row * (size_t)n_features;
            y_out[(size_t)r * 8 + (size_t)lane] = y[row];
        }
        double *row_out = out + (size_t)r * (size_t)n_features * 8;
        for (int f0 = 0; f0 < n_features; f0 += 8) {
            const int f = f0 + 8 <= n_features ? f0 : n_features - 8;
            __m512d t[8], u[8];
            for (int pair = 0; pair < 4; pair++) {
                const __m512d a = _mm512_loadu_pd(rows[2 * pair] + f);
                const __m512d b = _mm512_loadu_pd(rows[2 * pair + 1] + f);
                t[2 * pair] = _mm512_unpacklo_pd(a, b);     /* features 0 2 4 6 */
                t[2 * pair + 1] = _mm512_unpackhi_pd(a, b); /* features 1 3 5 7 */
            }
            for (int half = 0; half < 2; half++) { /* lanes 0-3, then 4-7 */
                __m512d *even = &t[4 * half], *quad = &u[4 * half];
                quad[0] = _mm512_permutex2var_pd(even[0], pair_low, even[2]);  /* 0, 4 */
                quad[1] = _mm512_permutex2var_pd(even[0], pair_high, even[2]); /* 2, 6 */
                quad[2] = _mm512_permutex2var_pd(even[1], pair_low, even[3]);  /* 1, 5 */
                quad[3] = _mm512_permutex2var_pd(even[1], pair_high, even[3]); /* 3, 7 */
            }
            static const int feature_of[4][2] = {{0, 4}, {2, 6}, {1, 5}, {3, 7}};
            for (int q = 0; q < 4; q++) {
                _mm512_storeu_pd(row_out + (size_t)(f + feature_of[q][0]) * 8,
                                 _mm512_permutex2var_pd(u[q], half_low, u[4 + q]));
                _mm512_storeu_pd(row_out + (size_t)(f + feature_of[q][1]) * 8,
                                 _mm512_permutex2var_pd(u[q], half_high, u[4 + q]));
            }
        }
    }
}
#endif

void lanes_gather_rows(const double *x, const double *y, int n_features, const int *const *orders,
                       int start, int m, int width, double *out, double *y_out)
{
#if defined(__x86_64__)
    if (width == 8 && n_features >= 8 && simd_supported(SIMD_AVX512)) {
        gather_rows_8(x, y, n_features, orders, start, m, out, y_out);
        return;
    }
#endif
    gather_rows_scalar(x, y, n_features, orders, start, m, width, out, y_out);
}
