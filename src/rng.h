/* rng.h: numpy's legacy generator (np.random.RandomState), bit for bit.
 *
 * The textbook seeds np.random.seed(42) and draws its initial weights with
 * np.random.normal and its epoch orders with np.random.permutation. To give
 * the same numbers we reimplement exactly those draws: MT19937 seeded with
 * init_genrand, 53-bit doubles, the polar Box-Muller with its cached second
 * value, and the masked-rejection bounded integer used by the legacy shuffle.
 * Each worker owns its own numpy_rng; nothing here is shared.
 */
#ifndef SWEEP_RNG_H
#define SWEEP_RNG_H

#include <stdint.h>

typedef struct {
    uint32_t key[624]; /* MT19937 state */
    int pos;           /* next index into key; 624 means "regenerate" */
    int has_gauss;     /* 1 when `gauss` holds the cached second normal */
    double gauss;      /* the cached normal from the last polar pair */
} numpy_rng;

/* np.random.seed(seed) for an integer seed: init_genrand, clears the cache. */
void rng_seed(numpy_rng *rng, uint32_t seed);

/* The next raw 32-bit output. */
uint32_t rng_next_uint32(numpy_rng *rng);

/* np.random.random_sample(): a double in [0, 1) from two outputs. */
double rng_next_double(numpy_rng *rng);

/* np.random.standard_normal() (legacy_gauss); normal(0, 1) is this value. */
double rng_gauss(numpy_rng *rng);

/* numpy's random_interval(max): a uniform integer in [0, max] by masked
 * rejection (32-bit draws when max fits in 32 bits). */
uint64_t rng_interval(numpy_rng *rng, uint64_t max);

/* The legacy RandomState.shuffle of a 1-d array of n ints, in place:
 * Fisher-Yates from index n-1 down to 1. */
void rng_shuffle(numpy_rng *rng, int *values, int n);

/* np.random.permutation(n): fills out[0..n) with 0..n-1 and shuffles it. */
void rng_permutation(numpy_rng *rng, int *out, int n);

#endif
