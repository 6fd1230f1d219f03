/* rng_lanes.h: the numpy generators of several runs, side by side.
 *
 * Runs trained side by side in vector lanes (model.h, model_pack_ops) each
 * draw their epoch orders from their own MT19937 stream. An rng_lanes holds
 * up to RNG_LANES_MAX such streams; each lane gives exactly the numbers the
 * lane's numpy_rng (rng.h) would give, so a run's shuffles do not depend on
 * which runs share its pack.
 *
 * What makes it faster than one rng_permutation per run: the refill of a
 * stream's 624 state words and their tempering run on vectors of 32-bit
 * words (4 with SSE2, 8 with AVX2, 16 with AVX-512), into a buffer of
 * tempered outputs that the shuffles' bounded draws read. Integer
 * arithmetic only: every instruction set gives the same bits.
 *
 * The lanes own their memory (rng_lanes_init / rng_lanes_free); each lane's
 * stream is independent of the others, and an rng_lanes is used by one
 * thread at a time.
 */
#ifndef SWEEP_RNG_LANES_H
#define SWEEP_RNG_LANES_H

#include <stdint.h>

#include "error.h"
#include "rng.h"
#include "simd.h"

enum { RNG_LANES_MAX = 16 };

typedef struct rng_lane_stream rng_lane_stream; /* one lane's stream (rng_lanes.c) */

typedef struct {
    int n_lanes;              /* streams in use: 1 ... RNG_LANES_MAX */
    simd_isa isa;             /* the instruction set of the refills */
    rng_lane_stream *streams; /* [n_lanes], owned */
} rng_lanes;

/* n_lanes streams whose refills use `isa` (which the CPU must support);
 * each lane seeded as rng_seed(0) until seeded or loaded. -1 with
 * ERROR_RUNTIME when n_lanes is out of range, `isa` unsupported or memory
 * short. */
int rng_lanes_init(rng_lanes *lanes, int n_lanes, simd_isa isa, sweep_error *err);

/* Frees the streams; safe on a zeroed or already freed rng_lanes. */
void rng_lanes_free(rng_lanes *lanes);

/* rng_seed(seed) for one lane (the textbook reseeds before its epochs). */
void rng_lanes_seed(rng_lanes *lanes, int lane, uint32_t seed);

/* The lane continues the stream of `rng` from where it stands (for
 * example after the initial weights' normal draws). */
void rng_lanes_load(rng_lanes *lanes, int lane, const numpy_rng *rng);

/* The lane's stream as a numpy_rng: rng_lanes_load of it continues it. */
void rng_lanes_store(const rng_lanes *lanes, int lane, numpy_rng *rng);

/* rng_next_uint32 of one lane. */
uint32_t rng_lanes_next_uint32(rng_lanes *lanes, int lane);

/* rng_shuffle(values[lane], n) of every lane, bit for bit (values has
 * n_lanes arrays of n ints). */
void rng_lanes_shuffles(rng_lanes *lanes, int n, int *const *values);

/* rng_permutation(orders[lane], n) of every lane, bit for bit. */
void rng_lanes_permutations(rng_lanes *lanes, int n, int *const *orders);

#endif
