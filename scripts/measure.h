/* measure.h: the clocks of the by-hand measurements (forward_loop.c,
 * multiclass_parts.c, pack_parts.c): the thread's CPU time, and the core's
 * clock as the two floating-point ports see it. Header-only, so that each
 * stays one file to compile. */
#ifndef SWEEP_SCRIPTS_MEASURE_H
#define SWEEP_SCRIPTS_MEASURE_H

#include <time.h>

static double cpu_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* The core's clock, measured: 12 independent chains of a vector
 * multiplication and an addition in registers (scripts/peak_flops.c's
 * loop) issue 2 vector operations a cycle, so their rate over 2 is the
 * clock at which the two ports are the bound. Needs AVX-512; built with
 * -ffp-contract=off, so that each step stays two operations. */
typedef double measure_vec8 __attribute__((vector_size(64)));
__attribute__((target("avx512f"), noinline, unused)) static double core_clock_hz(void)
{
    const long steps = 4000000;
    measure_vec8 chain[12], m = {0}, k = {0};
    m += 0.999999;
    k += 1e-6;
    for (int i = 0; i < 12; i++)
        chain[i] = m * (double)(i + 1);
    const double start = cpu_seconds();
    for (long step = 0; step < steps; step++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            chain[i] = chain[i] * m + k;
    }
    const double seconds = cpu_seconds() - start;
    measure_vec8 total = chain[0];
    for (int i = 1; i < 12; i++)
        total += chain[i];
    volatile double sink = total[0] + total[7]; /* every chain is used */
    (void)sink;
    return 24.0 * (double)steps / 2.0 / seconds;
}

#endif
