/* lanes.c: the scalar helpers of the packed models. See lanes.h. */
#include "lanes.h"

#include <math.h>
#include <stddef.h>

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

void lanes_gather_rows(const double *x, const double *y, int n_features, const int *const *orders,
                       int start, int m, int width, double *out, double *y_out)
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
