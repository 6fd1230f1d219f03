/* rng_lanes.c: several numpy_rng streams side by side (rng_lanes.h).
 *
 * Each lane keeps its MT19937 state exactly as numpy_rng does, plus the
 * tempered outputs of the current state block, so a draw is one load. The
 * refill (twist and tempering of 624 words) is the vector template
 * rng_lanes_simd.inc; the bounded draws of the shuffles (numpy's
 * random_interval: mask, then reject values above the bound) take a
 * lane-dependent number of words and are done per lane from the buffer.
 */
#include "rng_lanes.h"

#include <stdlib.h>
#include <string.h>

/* MT19937's constants, as in rng.c */
enum { MT_N = 624, MT_M = 397 };

/* chunks shorter than this are stepped word by word (shuffle_steps) */
enum { RNG_SHORT_CHUNK = 32 };
#define MT_MATRIX_A 0x9908b0dfU
#define MT_UPPER_MASK 0x80000000U
#define MT_LOWER_MASK 0x7fffffffU
#define MT_TEMPER_B 0x9d2c5680U
#define MT_TEMPER_C 0xefc60000U

_Static_assert(sizeof(((numpy_rng *)0)->key) == MT_N * sizeof(uint32_t),
               "numpy_rng holds one MT19937 state");

struct rng_lane_stream {
    _Alignas(64) uint32_t key[MT_N];    /* the MT19937 state, as numpy_rng.key */
    _Alignas(64) uint32_t output[MT_N]; /* tempered key words, valid from pos on */
    int pos;                            /* next index into output; MT_N: refill first */
    int has_gauss;                      /* numpy_rng's cached normal, carried along */
    double gauss;                       /* (the lanes draw no normals) */
};

static inline uint32_t mt_twist_word(uint32_t current, uint32_t next, uint32_t distant)
{
    uint32_t y = (current & MT_UPPER_MASK) | (next & MT_LOWER_MASK);
    return distant ^ (y >> 1) ^ ((0U - (y & 1U)) & MT_MATRIX_A);
}

static inline uint32_t mt_temper(uint32_t y)
{
    y ^= y >> 11;
    y ^= (y << 7) & MT_TEMPER_B;
    y ^= (y << 15) & MT_TEMPER_C;
    y ^= y >> 18;
    return y;
}

/* The indices one chunk of words draws for i = top, top - 1, ...: every
 * word's masked value is written to draws[accepted] and `accepted` grows
 * when it is within its bound, top - accepted; a rejected value is
 * overwritten by the next. No branch: whether a word is rejected is a coin
 * toss the branch predictor loses about once in four words, which was most
 * of the time of rng.c's loop. The bound test is written as one unsigned
 * comparison of `accepted` (offset by 2^32) with a limit computed from the
 * word alone, so that the loop-carried chain is a compare and an add. */
static inline uint32_t draw_chunk(const uint32_t *words, uint32_t steps, uint32_t mask, uint32_t top,
                           uint32_t *draws)
{
    const uint64_t offset = (uint64_t)1 << 32;
    const uint64_t limit = (uint64_t)top + 1 + offset;
    uint64_t accepted = offset;
    for (uint32_t s = 0; s < steps; s++) {
        uint32_t j = words[s] & mask;
        draws[(uint32_t)accepted] = j;
        accepted += accepted < limit - j; /* j <= top - accepted */
    }
    return (uint32_t)accepted;
}

/* `steps` words of a shuffle one by one, for when the mask is about to
 * change (the last words of an octave, where draw_chunk's chunks would be
 * a word or two): a rejected word swaps values[i] with itself, an accepted
 * one swaps values[i] and values[j] and lowers i, and the mask follows i.
 * The caller keeps steps <= i, so i stays >= 1 at every step. */
static inline uint32_t shuffle_steps(const uint32_t *words, uint32_t steps, uint32_t i,
                                     int *values)
{
    uint32_t mask = UINT32_MAX >> __builtin_clz(i);
    for (uint32_t s = 0; s < steps; s++) {
        uint32_t j = words[s] & mask;
        uint32_t accepted = j <= i;
        j = accepted ? j : i;
        int swapped = values[i];
        values[i] = values[j];
        values[j] = swapped;
        i -= accepted;
        mask = i <= mask >> 1 ? mask >> 1 : mask;
    }
    return i;
}

#define SIMD_SUFFIX generic
#define SIMD_LANES 2
#define SIMD_TARGET_ATTRIBUTE
#include "simd_begin.inc"
#include "rng_lanes_simd.inc"
#include "simd_end.inc"

#if defined(__x86_64__)
#define RNG_LANES_X86 1
#define SIMD_SUFFIX avx2
#define SIMD_LANES 4
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx2")))
#include "simd_begin.inc"
#include "rng_lanes_simd.inc"
#include "simd_end.inc"

#define SIMD_SUFFIX avx512
#define SIMD_LANES 8
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx512f,avx2,popcnt")))
#include "simd_begin.inc"
#include "rng_lanes_simd.inc"
#include "simd_end.inc"
#endif

typedef void (*refill_function)(uint32_t *key, uint32_t *output);
typedef void (*shuffle_function)(rng_lane_stream *stream, int *values, int n);

static shuffle_function shuffle_for(simd_isa isa)
{
    switch (isa) {
#ifdef RNG_LANES_X86
    case SIMD_AVX2:
        return rng_shuffle_lane_avx2;
    case SIMD_AVX512:
        return rng_shuffle_lane_avx512;
#endif
    default:
        return rng_shuffle_lane_generic;
    }
}

static refill_function refill_for(simd_isa isa)
{
    switch (isa) {
#ifdef RNG_LANES_X86
    case SIMD_AVX2:
        return rng_refill_avx2;
    case SIMD_AVX512:
        return rng_refill_avx512;
#endif
    default:
        return rng_refill_generic;
    }
}

static void temper_from(simd_isa isa, const uint32_t *key, uint32_t *output, int from)
{
    switch (isa) {
#ifdef RNG_LANES_X86
    case SIMD_AVX2:
        rng_temper_from_avx2(key, output, from);
        return;
    case SIMD_AVX512:
        rng_temper_from_avx512(key, output, from);
        return;
#endif
    default:
        rng_temper_from_generic(key, output, from);
        return;
    }
}

int rng_lanes_init(rng_lanes *lanes, int n_lanes, simd_isa isa, sweep_error *err)
{
    lanes->n_lanes = 0;
    lanes->isa = SIMD_GENERIC;
    lanes->streams = NULL;
    if (n_lanes < 1 || n_lanes > RNG_LANES_MAX)
        return error_set(err, ERROR_RUNTIME, "rng_lanes: %d lanes (1 to %d)", n_lanes,
                         RNG_LANES_MAX);
    if (!simd_supported(isa))
        return error_set(err, ERROR_RUNTIME, "rng_lanes: this CPU cannot run %s", simd_name(isa));
    /* the struct's size is a multiple of its 64-byte alignment */
    lanes->streams = aligned_alloc(64, (size_t)n_lanes * sizeof(rng_lane_stream));
    if (lanes->streams == NULL)
        return error_set(err, ERROR_RUNTIME, "rng_lanes: out of memory for %d streams", n_lanes);
    lanes->n_lanes = n_lanes;
    lanes->isa = isa;
    for (int lane = 0; lane < n_lanes; lane++)
        rng_lanes_seed(lanes, lane, 0);
    return 0;
}

void rng_lanes_free(rng_lanes *lanes)
{
    free(lanes->streams);
    lanes->streams = NULL;
    lanes->n_lanes = 0;
}

void rng_lanes_seed(rng_lanes *lanes, int lane, uint32_t seed)
{
    numpy_rng seeded;
    rng_seed(&seeded, seed);
    rng_lanes_load(lanes, lane, &seeded);
}

void rng_lanes_load(rng_lanes *lanes, int lane, const numpy_rng *rng)
{
    rng_lane_stream *stream = &lanes->streams[lane];
    memcpy(stream->key, rng->key, sizeof stream->key);
    stream->pos = rng->pos;
    stream->has_gauss = rng->has_gauss;
    stream->gauss = rng->gauss;
    if (stream->pos < MT_N)
        temper_from(lanes->isa, stream->key, stream->output, stream->pos);
}

void rng_lanes_store(const rng_lanes *lanes, int lane, numpy_rng *rng)
{
    const rng_lane_stream *stream = &lanes->streams[lane];
    memcpy(rng->key, stream->key, sizeof rng->key);
    rng->pos = stream->pos;
    rng->has_gauss = stream->has_gauss;
    rng->gauss = stream->gauss;
}

uint32_t rng_lanes_next_uint32(rng_lanes *lanes, int lane)
{
    rng_lane_stream *stream = &lanes->streams[lane];
    if (stream->pos >= MT_N) {
        refill_for(lanes->isa)(stream->key, stream->output);
        stream->pos = 0;
    }
    return stream->output[stream->pos++];
}

void rng_lanes_shuffles(rng_lanes *lanes, int n, int *const *values)
{
    shuffle_function shuffle = shuffle_for(lanes->isa);
    for (int lane = 0; lane < lanes->n_lanes; lane++)
        shuffle(&lanes->streams[lane], values[lane], n);
}

void rng_lanes_permutations(rng_lanes *lanes, int n, int *const *orders)
{
    for (int lane = 0; lane < lanes->n_lanes; lane++)
        for (int i = 0; i < n; i++)
            orders[lane][i] = i;
    rng_lanes_shuffles(lanes, n, orders);
}
