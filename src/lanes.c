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
/* Where row `r` of the gather starts in x for each of the `width` lanes
 * (rows[lane]), its targets stored in y_out's row r. */
static inline void lane_rows(const double *x, const double *y, int n_features,
                             const int *const *orders, int start, int r, int width,
                             const double **rows, double *y_out)
{
    for (int lane = 0; lane < width; lane++) {
        const int row = orders[lane][start + r];
        rows[lane] = x + (size_t)row * (size_t)n_features;
        y_out[(size_t)r * (size_t)width + (size_t)lane] = y[row];
    }
}

/* 8 lanes, at least 8 features: blocks of 8 features x 8 lanes transposed
 * in registers. The first step of the transpose is done by the loads:
 * half rows (4 features) of lanes a and a + 4 go into one vector's halves
 * (a 256-bit load and a load inserted into the upper half), so that two
 * steps of shuffles are left (16 for 64 doubles, where a transpose of
 * whole-row loads takes 24: the shuffles, on one port, bound the copy).
 * The last block overlaps the one before when 8 does not divide the
 * features: it stores the same values again. */
__attribute__((target("avx512f"))) static void gather_rows_8(const double *x, const double *y,
                                                             int n_features,
                                                             const int *const *orders, int start,
                                                             int m, double *out, double *y_out)
{
    /* the 128-bit quarters 0 of a, 0 of b, 2 of a, 2 of b; and 1, 1, 3, 3 */
    const __m512i quarters_even = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i quarters_odd = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for (int r = 0; r < m; r++) {
        const double *rows[8];
        lane_rows(x, y, n_features, orders, start, r, 8, rows, y_out);
        double *row_out = out + (size_t)r * (size_t)n_features * 8;
        for (int f0 = 0; f0 < n_features; f0 += 8) {
            const int f = f0 + 8 <= n_features ? f0 : n_features - 8;
            for (int half = 0; half < 2; half++) { /* features f..f+3, then f+4..f+7 */
                const int g = f + 4 * half;
                __m512d lanes_pair[4]; /* lane a's 4 features, lane a + 4's */
                for (int a = 0; a < 4; a++)
                    lanes_pair[a] =
                        _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(rows[a] + g)),
                                           _mm256_loadu_pd(rows[a + 4] + g), 1);
                /* per 128-bit quarter: features (0, 2 | 1, 3) of lanes (0, 1), (2, 3) */
                const __m512d low01 = _mm512_unpacklo_pd(lanes_pair[0], lanes_pair[1]);
                const __m512d high01 = _mm512_unpackhi_pd(lanes_pair[0], lanes_pair[1]);
                const __m512d low23 = _mm512_unpacklo_pd(lanes_pair[2], lanes_pair[3]);
                const __m512d high23 = _mm512_unpackhi_pd(lanes_pair[2], lanes_pair[3]);
                double *block_out = row_out + (size_t)g * 8;
                _mm512_storeu_pd(block_out, _mm512_permutex2var_pd(low01, quarters_even, low23));
                _mm512_storeu_pd(block_out + 8,
                                 _mm512_permutex2var_pd(high01, quarters_even, high23));
                _mm512_storeu_pd(block_out + 16,
                                 _mm512_permutex2var_pd(low01, quarters_odd, low23));
                _mm512_storeu_pd(block_out + 24,
                                 _mm512_permutex2var_pd(high01, quarters_odd, high23));
            }
        }
    }
}

/* 4 lanes, at least 4 features: blocks of 4 features x 4 lanes. Half rows
 * (2 features) of lanes 0 and 2 go into one vector's halves, of lanes 1
 * and 3 into another, so that one unpack gives a feature of all 4 lanes:
 * 8 loads, 4 shuffles and 4 stores move 16 doubles (the scalar copy, one
 * store per double, took a fifth of an AVX2 pack's time). */
__attribute__((target("avx2"))) static void gather_rows_4(const double *x, const double *y,
                                                          int n_features, const int *const *orders,
                                                          int start, int m, double *out,
                                                          double *y_out)
{
    for (int r = 0; r < m; r++) {
        const double *rows[4];
        lane_rows(x, y, n_features, orders, start, r, 4, rows, y_out);
        double *row_out = out + (size_t)r * (size_t)n_features * 4;
        for (int f0 = 0; f0 < n_features; f0 += 4) {
            const int f = f0 + 4 <= n_features ? f0 : n_features - 4;
            for (int half = 0; half < 2; half++) { /* features f, f+1, then f+2, f+3 */
                const int g = f + 2 * half;
                /* lanes 0 and 2 (1 and 3): features g, g+1 of each */
                const __m256d even_lanes =
                    _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(rows[0] + g)),
                                         _mm_loadu_pd(rows[2] + g), 1);
                const __m256d odd_lanes =
                    _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(rows[1] + g)),
                                         _mm_loadu_pd(rows[3] + g), 1);
                _mm256_storeu_pd(row_out + (size_t)g * 4,
                                 _mm256_unpacklo_pd(even_lanes, odd_lanes));
                _mm256_storeu_pd(row_out + (size_t)(g + 1) * 4,
                                 _mm256_unpackhi_pd(even_lanes, odd_lanes));
            }
        }
    }
}

/* 2 lanes (SSE2, every x86-64), at least 2 features: 2 features of both
 * lanes at a time, one unpack per feature (2 loads and 2 stores for 4
 * doubles, where the scalar copy stores each double alone). */
static void gather_rows_2(const double *x, const double *y, int n_features,
                          const int *const *orders, int start, int m, double *out, double *y_out)
{
    for (int r = 0; r < m; r++) {
        const double *rows[2];
        lane_rows(x, y, n_features, orders, start, r, 2, rows, y_out);
        const double *lane0 = rows[0], *lane1 = rows[1];
        double *row_out = out + (size_t)r * (size_t)n_features * 2;
        for (int f0 = 0; f0 < n_features; f0 += 2) {
            const int f = f0 + 2 <= n_features ? f0 : n_features - 2;
            const __m128d a = _mm_loadu_pd(lane0 + f), b = _mm_loadu_pd(lane1 + f);
            _mm_storeu_pd(row_out + (size_t)f * 2, _mm_unpacklo_pd(a, b));
            _mm_storeu_pd(row_out + (size_t)(f + 1) * 2, _mm_unpackhi_pd(a, b));
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
    if (width == 4 && n_features >= 4 && simd_supported(SIMD_AVX2)) {
        gather_rows_4(x, y, n_features, orders, start, m, out, y_out);
        return;
    }
    if (width == 2 && n_features >= 2) {
        gather_rows_2(x, y, n_features, orders, start, m, out, y_out);
        return;
    }
#endif
    gather_rows_scalar(x, y, n_features, orders, start, m, width, out, y_out);
}
