/* rng.c: numpy's legacy RandomState draws, reimplemented bit for bit.
 *
 * The algorithms are those of numpy 1.24's legacy path (facts taken from its
 * documentation and source layout, code written here): MT19937 by Matsumoto
 * and Nishimura with the init_genrand seeding, random_sample's 53-bit double
 * from two outputs, legacy_gauss (the Marsaglia polar method that caches its
 * second value), random_interval's masked rejection and the Fisher-Yates
 * shuffle of RandomState.shuffle.
 */
#include "rng.h"

#include <math.h>

enum {
    MT_N = 624, /* state words */
    MT_M = 397  /* the twist's middle offset */
};

#define MT_MATRIX_A 0x9908b0dfU
#define MT_UPPER_MASK 0x80000000U
#define MT_LOWER_MASK 0x7fffffffU

void rng_seed(numpy_rng *rng, uint32_t seed)
{
    rng->key[0] = seed;
    for (int i = 1; i < MT_N; i++) {
        uint32_t previous = rng->key[i - 1];
        /* unsigned arithmetic wraps modulo 2^32, as init_genrand requires */
        rng->key[i] = 1812433253U * (previous ^ (previous >> 30)) + (uint32_t)i;
    }
    rng->pos = MT_N;
    rng->has_gauss = 0;
    rng->gauss = 0.0;
}

/* Twist: compute the next 624 state words at once, in three runs split
 * where i + 1 and i + M wrap around, so that no index needs a modulo. */
static void rng_regenerate(numpy_rng *rng)
{
    uint32_t *key = rng->key;
    int i = 0;
    for (; i < MT_N - MT_M; i++) {
        uint32_t y = (key[i] & MT_UPPER_MASK) | (key[i + 1] & MT_LOWER_MASK);
        key[i] = key[i + MT_M] ^ (y >> 1) ^ ((y & 1U) ? MT_MATRIX_A : 0U);
    }
    for (; i < MT_N - 1; i++) {
        uint32_t y = (key[i] & MT_UPPER_MASK) | (key[i + 1] & MT_LOWER_MASK);
        key[i] = key[i + MT_M - MT_N] ^ (y >> 1) ^ ((y & 1U) ? MT_MATRIX_A : 0U);
    }
    uint32_t y = (key[MT_N - 1] & MT_UPPER_MASK) | (key[0] & MT_LOWER_MASK);
    key[MT_N - 1] = key[MT_M - 1] ^ (y >> 1) ^ ((y & 1U) ? MT_MATRIX_A : 0U);
    rng->pos = 0;
}

/* The next tempered output; static inline so that the shuffle's rejection
 * loop does not pay a call per draw. */
static inline uint32_t next_output(numpy_rng *rng)
{
    if (rng->pos >= MT_N)
        rng_regenerate(rng);
    uint32_t y = rng->key[rng->pos++];
    /* tempering */
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

uint32_t rng_next_uint32(numpy_rng *rng)
{
    return next_output(rng);
}

double rng_next_double(numpy_rng *rng)
{
    uint32_t high = rng_next_uint32(rng) >> 5;             /* 27 bits */
    uint32_t low = rng_next_uint32(rng) >> 6;              /* 26 bits */
    return (high * 67108864.0 + low) / 9007199254740992.0; /* / 2^53 */
}

double rng_gauss(numpy_rng *rng)
{
    if (rng->has_gauss) {
        double cached = rng->gauss;
        rng->has_gauss = 0;
        rng->gauss = 0.0;
        return cached;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * rng_next_double(rng) - 1.0;
        x2 = 2.0 * rng_next_double(rng) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    rng->gauss = f * x1;
    rng->has_gauss = 1;
    return f * x2;
}

/* Two outputs as one 64-bit value, the first in the high half (numpy's
 * mt19937 next_uint64). */
static uint64_t rng_next_uint64(numpy_rng *rng)
{
    uint64_t high = rng_next_uint32(rng);
    uint64_t low = rng_next_uint32(rng);
    return (high << 32) | low;
}

uint64_t rng_interval(numpy_rng *rng, uint64_t max)
{
    if (max == 0)
        return 0;
    /* the smallest all-ones mask covering max */
    uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    uint64_t value;
    if (max <= 0xffffffffU) {
        do {
            value = next_output(rng) & mask;
        } while (value > max);
    } else {
        do {
            value = rng_next_uint64(rng) & mask;
        } while (value > max);
    }
    return value;
}

void rng_shuffle(numpy_rng *rng, int *values, int n)
{
    for (int i = n - 1; i >= 1; i--) {
        int j = (int)rng_interval(rng, (uint64_t)i);
        int swapped = values[i];
        values[i] = values[j];
        values[j] = swapped;
    }
}

void rng_permutation(numpy_rng *rng, int *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = i;
    rng_shuffle(rng, out, n);
}
