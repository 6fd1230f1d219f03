/* pack_parts.c: each pass of the packed minibatch epoch alone, measured.
 *
 * The AVX-512 pack (8 runs) at wdbc's shape (30 features, 10 hidden units;
 * 364 train and 91 val rows): every pass the evaluation order requires is
 * run alone in a loop on the same data, which then sits in L1/L2 as in the
 * kernel, and timed by the thread's CPU clock (the machine is shared);
 * the fastest of many rounds is its cost at its best. The passes are the
 * project's own code (network_pack.c is included, so its static kernels
 * are called directly), not copies. It prints cycles per pack of train
 * rows (at the clock given in GHz, or else at the clock measure.h reads
 * off the two floating-point ports), the sum over the passes of a whole
 * epoch at each batch size, and the vector operations per row they do.
 * It is not built with the project; run it by hand:
 *
 *   gcc -O3 -DNDEBUG -ffp-contract=off -Isrc -o /tmp/pack_parts scripts/pack_parts.c \
 *       src/fastmath.c src/lanes.c src/rng.c src/rng_lanes.c src/simd.c src/error.c -lm
 *   /tmp/pack_parts [rounds] [GHz]
 *
 * (docs/performance.md quotes its result.)
 */
#include "../src/network_pack.c"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "error.h"
#include "measure.h"
#include "rng_lanes.h"

enum { FEATURES = 30, UNITS = 10, LANES = 8, TRAIN = 364, VAL = 91 };


static double *doubles(size_t n)
{
    double *p = aligned_alloc(64, (n * sizeof(double) + 63) / 64 * 64);
    if (p == NULL) {
        fprintf(stderr, "pack_parts: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = 0.0;
    return p;
}

/* The data and one pack's state. */
static double *x_train, *y_train, *x_val, *y_val;
static network_pack pack;
static network_pack_scratch scratch;
static int chunk_rows;
static rng_lanes shuffles;
static int *orders[LANES];

static double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

static void setup(void)
{
    uint64_t state = 42;
    x_train = doubles((size_t)TRAIN * FEATURES);
    y_train = doubles(TRAIN);
    x_val = doubles((size_t)VAL * FEATURES);
    y_val = doubles(VAL);
    for (size_t i = 0; i < (size_t)TRAIN * FEATURES; i++)
        x_train[i] = 4.0 * uniform(&state) - 2.0;
    for (size_t i = 0; i < (size_t)VAL * FEATURES; i++)
        x_val[i] = 4.0 * uniform(&state) - 2.0;
    for (int r = 0; r < TRAIN; r++)
        y_train[r] = uniform(&state) < 0.6;
    for (int r = 0; r < VAL; r++)
        y_val[r] = uniform(&state) < 0.6;
    chunk_rows = network_pack_chunk_rows(FEATURES, LANES);
    static double l1[LANES], l2[LANES], rate[LANES];
    for (int lane = 0; lane < LANES; lane++) {
        l2[lane] = 0.01;
        rate[lane] = 0.1;
    }
    pack = (network_pack){.n_features = FEATURES,
                          .units = UNITS,
                          .width = LANES,
                          .isa = SIMD_AVX512,
                          .l2_only = true,
                          .w1 = doubles((size_t)FEATURES * UNITS * LANES),
                          .b1 = doubles(UNITS * LANES),
                          .w2 = doubles(UNITS * LANES),
                          .b2 = doubles(LANES),
                          .l1 = l1,
                          .l2 = l2,
                          .learning_rate = rate};
    for (size_t i = 0; i < (size_t)FEATURES * UNITS * LANES; i++)
        pack.w1[i] = 0.4 * uniform(&state) - 0.2;
    for (size_t i = 0; i < UNITS * LANES; i++)
        pack.w2[i] = uniform(&state) - 0.5;
    const size_t hidden = (size_t)chunk_rows * UNITS * LANES;
    scratch = (network_pack_scratch){.capacity = TRAIN,
                                     .x = doubles((size_t)TRAIN * FEATURES * LANES),
                                     .y = doubles((size_t)TRAIN * LANES),
                                     .a1 = doubles(hidden),
                                     .e1 = doubles(hidden),
                                     .out = doubles((size_t)chunk_rows * LANES),
                                     .err = doubles((size_t)chunk_rows * LANES),
                                     .sum_w1 = doubles((size_t)FEATURES * UNITS * LANES),
                                     .sum_w2 = doubles(UNITS * LANES),
                                     .sum_b1 = doubles(UNITS * LANES)};
    sweep_error err;
    error_clear(&err);
    if (rng_lanes_init(&shuffles, LANES, SIMD_AVX512, &err) < 0) {
        fprintf(stderr, "pack_parts: %s\n", err.message);
        exit(1);
    }
    for (int lane = 0; lane < LANES; lane++) {
        rng_lanes_seed(&shuffles, lane, (uint32_t)(42 + lane));
        orders[lane] = malloc(TRAIN * sizeof(int));
    }
    rng_lanes_permutations(&shuffles, TRAIN, orders);
    lanes_gather_rows(x_train, y_train, FEATURES, (const int *const *)orders, 0, TRAIN, LANES,
                      scratch.x, scratch.y);
}

/* ---- the passes; each returns the pack rows it did ---- */

/* z1 sums of a chunk of rows (the forward's first step) */
__attribute__((target("avx512f,avx2"), noinline)) static int pass_z1(int m)
{
    for (int r = 0; r < chunk_rows; r++)
        pack_z1_units_avx512(&pack, scratch.x + (size_t)r * FEATURES * LANES, false, 0, UNITS,
                             scratch.a1 + (size_t)r * UNITS * LANES);
    (void)m;
    return chunk_rows;
}

/* the hidden sigmoids of a chunk (values kept finite and moderate: the
 * pass is run on its own output over and over) */
__attribute__((target("avx512f,avx2"), noinline)) static int pass_sigmoids(int m)
{
    lanes_sigmoids_avx512(scratch.a1, (size_t)chunk_rows * UNITS);
    (void)m;
    return chunk_rows;
}

/* the hidden errors and the w2 and b1 sums of a chunk */
__attribute__((target("avx512f,avx2"), noinline)) static int pass_hidden(int m)
{
    pack_hidden_units_avx512(&pack, &scratch, chunk_rows, true, 0, UNITS);
    (void)m;
    return chunk_rows;
}

/* the w1 gradient sums of a chunk */
__attribute__((target("avx512f,avx2"), noinline)) static int pass_w1_sums(int m)
{
    for (int f = 0; f < FEATURES; f++)
        pack_w1_sums_units_avx512(&pack, &scratch, scratch.x, chunk_rows, true, f, 0, UNITS);
    (void)m;
    return chunk_rows;
}

/* the forward of a chunk: z1 sums, hidden sigmoids, z2 sums */
__attribute__((target("avx512f,avx2"), noinline)) static int pass_forward(int m)
{
    pack_forward_rows_avx512(&pack, scratch.x, false, (size_t)FEATURES * LANES, chunk_rows,
                             scratch.a1, scratch.out);
    (void)m;
    return chunk_rows;
}

/* the output sigmoids and loss rows of a chunk (the errors' subtraction
 * and the right-row count, a few operations a row, left out) */
__attribute__((target("avx512f,avx2"), noinline)) static int pass_outputs(int m)
{
    for (int r = 0; r < chunk_rows; r++) /* moderate z2, every round the same */
        for (int lane = 0; lane < LANES; lane++)
            scratch.out[r * LANES + lane] = 0.25 * (r % 9) - 1.0;
    lanes_sigmoids_avx512(scratch.out, (size_t)chunk_rows);
    const v8d loss = lanes_cross_entropy_rows_avx512(vsplat_avx512(0.0), scratch.out, scratch.y,
                                                     false, (size_t)chunk_rows);
    scratch.err[0] = loss[0];
    (void)m;
    return chunk_rows;
}

/* the SGD steps of one batch (w1, w2 and b1; b2 is one vector), per row of
 * a batch of m */
__attribute__((target("avx512f,avx2"), noinline)) static int pass_sgd(int m)
{
    const lanes_divisor_avx512 divisor = lanes_divisor_for_avx512(m);
    pack_sgd_avx512(&pack, pack.w1, scratch.sum_w1, (size_t)FEATURES * UNITS, divisor, true, true);
    pack_sgd_avx512(&pack, pack.w2, scratch.sum_w2, UNITS, divisor, true, true);
    pack_sgd_avx512(&pack, pack.b1, scratch.sum_b1, UNITS, divisor, false, false);
    return m;
}

/* the whole batch kernel on gathered rows (forward, outputs, hidden
 * errors, w1 sums, SGD) */
static int pass_kernel(int m)
{
    double loss[LANES];
    int correct[LANES] = {0};
    for (int start = 0; start + m <= TRAIN; start += m) {
        network_pack_scratch at = scratch;
        at.x = scratch.x + (size_t)start * FEATURES * LANES;
        at.y = scratch.y + (size_t)start * LANES;
        network_pack_train_batch(&pack, &at, m, loss, correct);
    }
    return TRAIN / m * m;
}

/* an epoch as model_minibatch_pack.c runs it: the permutations, then per
 * batch the row copy and the kernel, then the val rows; per train row */
static int pass_epoch(int m)
{
    double loss[LANES], val_loss[LANES] = {0.0};
    int correct[LANES] = {0}, val_correct[LANES];
    rng_lanes_permutations(&shuffles, TRAIN, orders);
    for (int start = 0; start < TRAIN; start += m) {
        const int rows = TRAIN - start < m ? TRAIN - start : m;
        lanes_gather_rows(x_train, y_train, FEATURES, (const int *const *)orders, start, rows,
                          LANES, scratch.x, scratch.y);
        network_pack_train_batch(&pack, &scratch, rows, loss, correct);
    }
    network_pack_evaluate(&pack, &scratch, x_val, y_val, VAL, val_loss, val_correct);
    return TRAIN;
}

/* the row copy of a batch */
static int pass_gather(int m)
{
    lanes_gather_rows(x_train, y_train, FEATURES, (const int *const *)orders, 0, m, LANES,
                      scratch.x, scratch.y);
    return m;
}

/* the epoch's permutations of every lane */
static int pass_shuffle(int m)
{
    (void)m;
    rng_lanes_permutations(&shuffles, TRAIN, orders);
    return TRAIN;
}

/* the val rows' evaluation */
static int pass_val(int m)
{
    double loss[LANES] = {0.0};
    int correct[LANES];
    (void)m;
    network_pack_evaluate(&pack, &scratch, x_val, y_val, VAL, loss, correct);
    return VAL;
}

static double clock_hz;

/* One round of a pass: cycles (at clock_hz) per pack row. */
static double round_cycles(int (*pass)(int), int m)
{
    int rows = 0;
    const double start = cpu_seconds();
    while (rows < 20000)
        rows += pass(m);
    return (cpu_seconds() - start) * clock_hz / rows;
}

enum { Z1, SIGMOIDS, FORWARD, OUTPUTS, HIDDEN, W1_SUMS, SHUFFLE, VAL_ROWS, PER_BATCH };
enum {
    N_BATCHES = 4,
    GATHER = PER_BATCH,
    SGD = PER_BATCH + N_BATCHES,
    KERNEL = PER_BATCH + 2 * N_BATCHES,
    EPOCH = PER_BATCH + 3 * N_BATCHES,
    N_PASSES = PER_BATCH + 4 * N_BATCHES
};
static const int batches[N_BATCHES] = {8, 32, 128, 364};

/* best[p]: the fastest round of each pass; the passes take turns round
 * by round, so that a stretch of load on the shared machine slows a
 * round of each rather than every round of one */
static void measure(int rounds, double *best)
{
    int (*const passes[PER_BATCH])(int) = {pass_z1,     pass_sigmoids, pass_forward, pass_outputs,
                                           pass_hidden, pass_w1_sums,  pass_shuffle, pass_val};
    for (int p = 0; p < N_PASSES; p++)
        best[p] = 1e30;
    for (int round = 0; round < rounds; round++) {
        double cycles[N_PASSES];
        for (int p = 0; p < PER_BATCH; p++)
            cycles[p] = round_cycles(passes[p], 0);
        for (int b = 0; b < N_BATCHES; b++) {
            cycles[GATHER + b] = round_cycles(pass_gather, batches[b]);
            cycles[SGD + b] = round_cycles(pass_sgd, batches[b]);
            cycles[KERNEL + b] = round_cycles(pass_kernel, batches[b]);
            cycles[EPOCH + b] = round_cycles(pass_epoch, batches[b]);
        }
        for (int p = 0; p < N_PASSES; p++)
            best[p] = cycles[p] < best[p] ? cycles[p] : best[p];
    }
    best[VAL_ROWS] *= (double)VAL / TRAIN; /* per train row */
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 21;
    if (!simd_supported(SIMD_AVX512)) {
        fprintf(stderr, "pack_parts: this CPU has no AVX-512\n");
        return 1;
    }
    clock_hz = argc > 2 ? atof(argv[2]) * 1e9 : core_clock_hz();
    if (rounds < 1 || clock_hz <= 0.0) {
        fprintf(stderr, "usage: pack_parts [rounds] [GHz]\n");
        return 2;
    }
    setup();
    double best[N_PASSES];
    measure(rounds, best);
    printf("cycles (%.2f GHz) per pack of 8 train rows, each pass alone at its best (%d rounds):\n",
           clock_hz / 1e9, rounds);
    printf("  z1 sums %.0f (600 vector ops), hidden sigmoids %.0f (10 x ~41), forward in all %.0f "
           "(z2 sums %.0f)\n",
           best[Z1], best[SIGMOIDS], best[FORWARD], best[FORWARD] - best[Z1] - best[SIGMOIDS]);
    printf("  output sigmoid + loss row %.0f, hidden errors and w2/b1 sums %.0f, w1 sums %.0f "
           "(600)\n",
           best[OUTPUTS], best[HIDDEN], best[W1_SUMS]);
    printf("  shuffles %.0f, val rows (91 per 364 train rows) %.0f\n", best[SHUFFLE],
           best[VAL_ROWS]);
    printf("batch  copy  SGD  sum of the passes  kernel alone  kernel+copy+shuffles+val  epoch\n");
    for (int b = 0; b < N_BATCHES; b++) {
        const double sum = best[FORWARD] + best[OUTPUTS] + best[HIDDEN] + best[W1_SUMS] +
                           best[SGD + b] + best[GATHER + b] + best[SHUFFLE] + best[VAL_ROWS];
        printf("%5d  %4.0f  %3.0f  %17.0f  %12.0f  %24.0f  %5.0f\n", batches[b], best[GATHER + b],
               best[SGD + b], sum, best[KERNEL + b],
               best[KERNEL + b] + best[GATHER + b] + best[SHUFFLE] + best[VAL_ROWS],
               best[EPOCH + b]);
    }
    return 0;
}
