/* forward_loop.c: the multi-class forward pass's inner loop alone, on
 * synthetic lists of several shapes, to see what the shape costs.
 *
 * The loop is the one of mc_hidden_block at 100 units with AVX-512: per
 * listed input, 13 vector multiplications of the broadcast input (taken
 * from a table by its one-byte code) by a row of w1 (104 doubles, read by
 * base and displacement), each added to one of 13 sums held in registers.
 * What changes is what the lists look like:
 *   unbroken     one long list, its inputs within 48 features (w1 in L1)
 *   segments     the same cut into segments of 24 inputs, the sums stored
 *                and reloaded between them (the loop's exit each time)
 *   rows         256 rows' segments of random length (50% of 48 features),
 *                chunk by chunk, each row's sums waiting in its own row
 *                between chunks: the kernel's shape
 *   one row      the same, every row's sums in one place (no traffic for
 *                them)
 *   all of w1    one long list over all 784 features (w1 from L2)
 * Cycles per listed input are at the core's clock, measured in the same
 * process by a loop of 12 independent multiply-then-add chains in
 * registers (2 vector operations a cycle, as scripts/peak_flops.c); the
 * fastest of the rounds. Not built with the project; run it by hand on a
 * CPU with AVX-512:
 *
 *   gcc -O2 -ffp-contract=off -o /tmp/forward_loop scripts/forward_loop.c && /tmp/forward_loop
 *
 * (docs/performance_multiclass.md quotes its result.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "measure.h"

enum { VECS = 13, STRIDE = 104, FEATURES = 784, CHUNK = 48, ROWS = 256, INPUTS = 1 << 16 };

typedef double vec8 __attribute__((vector_size(64)));


/* Lists: a segment's inputs at index[start[s]..start[s + 1]), each the
 * offset of its row of w1 and a code; segment s adds into sums + home[s]. */
typedef struct {
    int *start, *index, *home, segments;
    uint8_t *code;
} lists;

/* Every segment: its sums loaded from their home, its terms added, the
 * sums stored back. */
__attribute__((target("avx512f"), noinline)) static void walk(const lists *l, const double *w1,
                                                              const double *table, double *sums)
{
    for (int s = 0; s < l->segments; s++) {
        double *out = sums + l->home[s];
        vec8 sum[VECS];
#pragma GCC unroll 16
        for (int j = 0; j < VECS; j++)
            sum[j] = *(const vec8 *)(out + 8 * j);
        for (int k = l->start[s]; k < l->start[s + 1]; k++) {
            const double *row = w1 + l->index[k];
            __asm__("" : "+r"(row)); /* base + displacement, as the kernel */
            const double v = table[l->code[k]];
            const vec8 x = {v, v, v, v, v, v, v, v};
#pragma GCC unroll 16
            for (int j = 0; j < VECS; j++)
                sum[j] = sum[j] + x * *(const vec8 *)(row + 8 * j);
        }
#pragma GCC unroll 16
        for (int j = 0; j < VECS; j++)
            *(vec8 *)(out + 8 * j) = sum[j];
    }
}

static uint32_t next_random(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Inputs over `span` features cut into segments of `length` (0: random,
 * 50% of each CHUNK of features per row and chunk); `homes` rows of sums. */
static void make_lists(lists *l, int span, int length, int homes)
{
    uint32_t state = 1;
    int n = 0, s = 0;
    if (length == 0) {
        for (int c = 0; c < FEATURES / CHUNK; c++)
            for (int r = 0; r < ROWS; r++, s++) {
                l->start[s] = n;
                l->home[s] = (r % homes) * STRIDE;
                for (int f = c * CHUNK; f < (c + 1) * CHUNK; f++)
                    if (next_random(&state) % 2 == 0) {
                        l->index[n] = f * STRIDE;
                        l->code[n++] = (uint8_t)(1 + next_random(&state) % 255);
                    }
            }
    } else {
        for (; n < INPUTS; n++) {
            if (n % length == 0) {
                l->start[s] = n;
                l->home[s++] = 0;
            }
            l->index[n] = (int)(next_random(&state) % (uint32_t)span) * STRIDE;
            l->code[n] = (uint8_t)(1 + next_random(&state) % 255);
        }
    }
    l->start[s] = n;
    l->segments = s;
}

int main(void)
{
    static const struct {
        const char *name;
        int span, length, homes;
    } shapes[] = {{"unbroken", CHUNK, INPUTS, 1},
                  {"segments", CHUNK, 24, 1},
                  {"rows", FEATURES, 0, ROWS},
                  {"one row", FEATURES, 0, 1},
                  {"all of w1", FEATURES, INPUTS, 1}};
    enum { SHAPES = sizeof shapes / sizeof shapes[0], ROUNDS = 9, REPEATS = 20 };
    if (!__builtin_cpu_supports("avx512f")) {
        fprintf(stderr, "forward_loop: this CPU has no AVX-512\n");
        return 1;
    }
    const size_t cap = (size_t)ROWS * FEATURES;
    double *w1 = aligned_alloc(64, FEATURES * STRIDE * sizeof(double));
    double *sums = aligned_alloc(64, ROWS * STRIDE * sizeof(double));
    lists l = {malloc((cap + 1) * sizeof(int)), malloc(cap * sizeof(int)),
               malloc(cap * sizeof(int)), 0, malloc(cap)};
    if (w1 == NULL || sums == NULL || l.start == NULL || l.index == NULL || l.home == NULL ||
        l.code == NULL) {
        fprintf(stderr, "forward_loop: out of memory\n");
        return 1;
    }
    double table[256];
    for (int i = 0; i < 256; i++)
        table[i] = i / 255.0;
    for (int i = 0; i < FEATURES * STRIDE; i++)
        w1[i] = 1e-3 * (i % 97);
    double hz = 0.0;
    for (int shape = 0; shape < SHAPES; shape++) {
        make_lists(&l, shapes[shape].span, shapes[shape].length, shapes[shape].homes);
        const long inputs = l.start[l.segments];
        double best = 1e300;
        for (int round = 0; round < ROUNDS; round++) {
            const double round_hz = core_clock_hz();
            hz = round_hz > hz ? round_hz : hz;
            memset(sums, 0, ROWS * STRIDE * sizeof(double));
            const double start = cpu_seconds();
            for (int repeat = 0; repeat < REPEATS; repeat++)
                walk(&l, w1, table, sums);
            const double seconds = cpu_seconds() - start;
            best = seconds < best ? seconds : best;
        }
        printf("%-10s %6.2f cycles per input (%ld inputs in %d segments)\n", shapes[shape].name,
               best * hz / (double)(inputs * REPEATS), inputs, l.segments);
    }
    printf("clock %.2f GHz (the fastest measured); the two ports' bound is 13 cycles per input\n",
           hz / 1e9);
    return 0;
}
