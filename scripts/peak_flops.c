/* peak_flops.c: the core's peak for the arithmetic the training does, measured.
 *
 * The training uses no fused multiply-add (it would change the bits), so its
 * ceiling is the rate of separate vector multiplies and adds. This loop runs
 * 12 independent chains of "x = x * m; x = x + k" in registers (no memory
 * traffic, enough chains to cover the latencies) and prints GFLOP/s for
 * AVX-512 (8 doubles) and AVX2 (4 doubles), five rounds each. It is not
 * built with the project; run it by hand on an idle machine:
 *
 *   gcc -O2 -ffp-contract=off -o /tmp/peak_flops scripts/peak_flops.c && /tmp/peak_flops
 *
 * (docs/performance.md quotes its result.)
 */
#include <stdio.h>
#include <time.h>

typedef double v8 __attribute__((vector_size(64)));
typedef double v4 __attribute__((vector_size(32)));

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

#define STEP(x)                                                                                    \
    x = x * m;                                                                                     \
    x = x + k;

/* The chains start from values the compiler cannot know, and their sum is
 * returned, so that nothing is folded away. */
#define CHAINS(V, LANES, NAME, TARGET)                                                             \
    __attribute__((target(TARGET), noinline)) static double NAME(long steps, double seed)          \
    {                                                                                              \
        V zero = {0};                                                                              \
        V a0 = zero + seed, a1 = zero + seed * 2, a2 = zero + seed * 3, a3 = zero + seed * 4;     \
        V a4 = zero + seed * 5, a5 = zero + seed * 6, a6 = zero + seed * 7, a7 = zero + seed * 8; \
        V a8 = zero + seed * 9, a9 = zero + seed * 10, a10 = zero + seed * 11;                     \
        V a11 = zero + seed * 12;                                                                  \
        V m = zero + 0.999999, k = zero + 1e-6;                                                    \
        for (long step = 0; step < steps; step++) {                                                \
            STEP(a0) STEP(a1) STEP(a2) STEP(a3) STEP(a4) STEP(a5)                                  \
            STEP(a6) STEP(a7) STEP(a8) STEP(a9) STEP(a10) STEP(a11)                                \
        }                                                                                          \
        V sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;                       \
        double total = 0;                                                                          \
        for (int lane = 0; lane < LANES; lane++)                                                   \
            total += sum[lane];                                                                    \
        return total;                                                                              \
    }

CHAINS(v8, 8, chains_avx512, "avx512f")
CHAINS(v4, 4, chains_avx2, "avx2")

int main(int argc, char **argv)
{
    (void)argv;
    const long steps = 400000000 / 12;
    const double seed = 1.0 + argc;
    for (int round = 0; round < 5; round++) {
        double t0 = seconds_now();
        double check8 = chains_avx512(steps, seed);
        double t1 = seconds_now();
        double check4 = chains_avx2(steps, seed);
        double t2 = seconds_now();
        double flops8 = 2.0 * 8 * 12 * (double)steps, flops4 = 2.0 * 4 * 12 * (double)steps;
        printf("avx512 %.1f GFLOP/s  avx2 %.1f GFLOP/s  (checks %g %g)\n",
               flops8 / (t1 - t0) / 1e9, flops4 / (t2 - t1) / 1e9, check8, check4);
    }
    return 0;
}
