/* model_multiclass_pack.c: the multi-class model's runs trained side by
 * side, one run per vector lane (model_pack_ops, model.h).
 *
 * A pack holds as many runs as a vector holds doubles (2, 4 or 8) that share
 * the data, batch_size, units and epochs; their seeds, L1, L2 and learning
 * rates may differ. Every lane follows model_multiclass.c's sequence (seed
 * once, init, a permutation per epoch continuing the stream) and
 * multiclass.c's EVALUATION ORDER, so each lane gives its run's bits; the
 * kernels (multiclass_pack_simd.inc) vectorize across the lanes, never
 * across a sum. Lanes differ in their batches' rows (each run shuffles with
 * its own stream, the streams side by side in rng_lanes), so every batch
 * first gathers its rows lane by lane (lanes_gather_rows).
 *
 * What packing gains over one run at a time: no padding lanes whatever the
 * number of units and classes, whole vectors in the softmax and the
 * per-row sums, and the latency chains of one run overlapped with the
 * others'. What it loses: the lone run skips zero inputs in blocks, and
 * a pack's weights are lanes times larger (see pack_worthwhile).
 *
 * Lanes past n_lanes copy lane 0 (their results are dropped). A lane whose
 * epoch gives a non-finite loss is failed: from the next epoch on its
 * weights are held at zero (so that they cannot slow the others down, see
 * mcp_tile's mask) and its outcomes and scores are NaN.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fastmath.h"
#include "lanes.h"
#include "model.h"
#include "rng.h"
#include "rng_lanes.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

enum { MCP_BLOCK = 8 /* sums kept in registers at once */ };

typedef struct {
    simd_isa isa;
    int lanes;   /* doubles per vector: runs per pack */
    int n_lanes; /* runs in the pack (the other lanes copy lane 0) */
    int n_features, units, classes, batch_rows;
    /* the weights, value i of lane l at i * lanes + l */
    model_buffer w1; /* (n_features, units, lanes) */
    model_buffer b1; /* (units, lanes) */
    model_buffer w2; /* (units, classes, lanes) */
    model_buffer b2; /* (classes, lanes) */
    /* each lane's hyperparameters, (lanes) */
    model_buffer learning_rate, l1, l2;
    /* the batch in progress: each lane's rows gathered, and scratch */
    model_buffer x;      /* (batch_rows, n_features, lanes) */
    model_buffer target; /* (batch_rows, lanes) the rows' classes */
    model_buffer a1, e1; /* (batch_rows, units, lanes) */
    model_buffer z2;     /* (batch_rows, classes, lanes) */
    model_buffer err;    /* (batch_rows, classes, lanes) */
    bool w1_finite;      /* every lane's w1 finite: zero inputs need no mask */
    int *order;          /* (lanes, n_train) each lane's permutation */
    size_t order_capacity;
    int *orders[LANES_MAX];   /* lane l's permutation: order + l * n_train */
    numpy_rng rng[LANES_MAX]; /* the init's draws */
    rng_lanes shuffles;       /* then the epochs' permutations, side by side */
    bool failed[LANES_MAX];
} multiclass_pack;

/* ---- the kernels, one copy per instruction set ---- */

#define SIMD_SUFFIX generic
#define SIMD_LANES 2
#define SIMD_TARGET_ATTRIBUTE
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "multiclass_pack_simd.inc"
#include "simd_end.inc"

#if defined(__x86_64__) || defined(__i386__)
#define MCP_X86_LEVELS 1
#define SIMD_SUFFIX avx2
#define SIMD_LANES 4
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx2")))
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "multiclass_pack_simd.inc"
#include "simd_end.inc"

#define SIMD_SUFFIX avx512
#define SIMD_LANES 8
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx512f,avx2")))
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "multiclass_pack_simd.inc"
#include "simd_end.inc"
#endif

static void train_batch(multiclass_pack *p, int m, double *loss, double *correct)
{
#ifdef MCP_X86_LEVELS
    if (p->isa == SIMD_AVX512) {
        mcp_train_batch_avx512(p, m, loss, correct);
        return;
    }
    if (p->isa == SIMD_AVX2) {
        mcp_train_batch_avx2(p, m, loss, correct);
        return;
    }
#endif
    mcp_train_batch_generic(p, m, loss, correct);
}

static void evaluate(multiclass_pack *p, const double *x, const double *y, int n, double *loss,
                     double *correct)
{
    for (int l = 0; l < p->lanes; l++)
        loss[l] = correct[l] = 0.0;
#ifdef MCP_X86_LEVELS
    if (p->isa == SIMD_AVX512) {
        mcp_evaluate_avx512(p, x, y, n, loss, correct);
        return;
    }
    if (p->isa == SIMD_AVX2) {
        mcp_evaluate_avx2(p, x, y, n, loss, correct);
        return;
    }
#endif
    mcp_evaluate_generic(p, x, y, n, loss, correct);
}

static void reg_loss(const multiclass_pack *p, double *out)
{
#ifdef MCP_X86_LEVELS
    if (p->isa == SIMD_AVX512) {
        mcp_reg_loss_avx512(p, out);
        return;
    }
    if (p->isa == SIMD_AVX2) {
        mcp_reg_loss_avx2(p, out);
        return;
    }
#endif
    mcp_reg_loss_generic(p, out);
}

/* ---- the pack ops ---- */

static int pack_width(simd_isa isa)
{
    return simd_lanes(isa);
}

/* Whether a pack beats its runs one at a time: while the weights of 8
 * lanes stay within 1 MiB (the L2 cache of the Ice Lake core is 1.25 MiB;
 * beyond it the tiles' w1 and e1 stream from L3). Measured with
 * `test_model_multiclass_pack bench 5 32 UNITS ISA 4` (16 runs of digits,
 * batch 32; packed over one at a time, medians of 5 alternated rounds, on
 * a loaded machine): AVX-512 1.78x at 32 units (156 KiB for 8 lanes), 1.58x
 * at 96 (467 KiB), 1.52x at 192 (934 KiB), 1.11x at 384 (1.9 MiB); AVX2
 * (4 lanes, half the bytes) 1.46x, 1.11x, 0.96x, 0.99x. fashion-MNIST
 * (batch 256, one epoch, AVX-512): 1.80x at 10 units (509 KiB), 1.43x at 20
 * (995 KiB), 0.38x at 48 (2.4 MiB): the book's 100 units (5 MiB) stay with
 * the lone-run kernel, which also skips the zero pixels. */
static bool pack_worthwhile(const train_params *params, const dataset *data)
{
    const double weights = ((double)data->n_features + data->n_classes + 2.0) * params->units;
    const double bytes = weights * LANES_MAX * sizeof(double);
    return bytes <= 1024.0 * 1024.0;
}

static void *pack_new(simd_isa isa)
{
    multiclass_pack *p = calloc(1, sizeof(multiclass_pack));
    if (p != NULL) {
        p->isa = isa;
        p->lanes = simd_lanes(isa);
    }
    return p;
}

static void pack_delete(void *opaque)
{
    multiclass_pack *p = opaque;
    if (p == NULL)
        return;
    model_buffer *buffers[] = {&p->w1, &p->b1, &p->w2, &p->b2, &p->learning_rate, &p->l1, &p->l2,
                               &p->x,  &p->a1, &p->e1, &p->z2, &p->target,        &p->err};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        model_buffer_free(buffers[i]);
    free(p->order);
    rng_lanes_free(&p->shuffles);
    free(p);
}

static int reserve(multiclass_pack *p, size_t n_train, sweep_error *err)
{
    const size_t lanes = (size_t)p->lanes, units = (size_t)p->units;
    const size_t classes = (size_t)p->classes, rows = (size_t)p->batch_rows;
    const size_t n_features = (size_t)p->n_features;
    if (model_buffer_reserve(&p->w1, n_features * units * lanes, err) < 0 ||
        model_buffer_reserve(&p->b1, units * lanes, err) < 0 ||
        model_buffer_reserve(&p->w2, units * classes * lanes, err) < 0 ||
        model_buffer_reserve(&p->b2, classes * lanes, err) < 0 ||
        model_buffer_reserve(&p->learning_rate, lanes, err) < 0 ||
        model_buffer_reserve(&p->l1, lanes, err) < 0 ||
        model_buffer_reserve(&p->l2, lanes, err) < 0 ||
        model_buffer_reserve(&p->x, rows * n_features * lanes, err) < 0 ||
        model_buffer_reserve(&p->target, rows * lanes, err) < 0 ||
        model_buffer_reserve(&p->a1, rows * units * lanes, err) < 0 ||
        model_buffer_reserve(&p->e1, rows * units * lanes, err) < 0 ||
        model_buffer_reserve(&p->z2, rows * classes * lanes, err) < 0 ||
        model_buffer_reserve(&p->err, rows * classes * lanes, err) < 0)
        return -1;
    return model_int_reserve(&p->order, &p->order_capacity, n_train * lanes, err);
}

/* Lane l's weights: multiclass_init's draws (w1 row by row, then w2) from
 * its seed; biases zero. */
static void init_lane(multiclass_pack *p, int l)
{
    const size_t lanes = (size_t)p->lanes;
    const size_t n_w1 = (size_t)p->n_features * (size_t)p->units;
    const size_t n_w2 = (size_t)p->units * (size_t)p->classes;
    for (size_t i = 0; i < n_w1; i++)
        p->w1.data[i * lanes + (size_t)l] = rng_gauss(&p->rng[l]);
    for (size_t i = 0; i < n_w2; i++)
        p->w2.data[i * lanes + (size_t)l] = rng_gauss(&p->rng[l]);
    for (int h = 0; h < p->units; h++)
        p->b1.data[(size_t)h * lanes + (size_t)l] = 0.0;
    for (int k = 0; k < p->classes; k++)
        p->b2.data[(size_t)k * lanes + (size_t)l] = 0.0;
}

/* A failed lane's weights held at zero: finite, so the others keep the
 * unmasked kernels. */
static void clear_lane(multiclass_pack *p, int l)
{
    const size_t lanes = (size_t)p->lanes;
    const size_t n_w1 = (size_t)p->n_features * (size_t)p->units;
    const size_t n_w2 = (size_t)p->units * (size_t)p->classes;
    for (size_t i = 0; i < n_w1; i++)
        p->w1.data[i * lanes + (size_t)l] = 0.0;
    for (size_t i = 0; i < n_w2; i++)
        p->w2.data[i * lanes + (size_t)l] = 0.0;
    for (int h = 0; h < p->units; h++)
        p->b1.data[(size_t)h * lanes + (size_t)l] = 0.0;
    for (int k = 0; k < p->classes; k++)
        p->b2.data[(size_t)k * lanes + (size_t)l] = 0.0;
}

static int pack_start(void *opaque, const dataset *data, const train_params *const *runs,
                      int n_runs, sweep_error *err)
{
    multiclass_pack *p = opaque;
    if (n_runs < 1 || n_runs > p->lanes)
        return error_set(err, ERROR_RUNTIME, "multiclass pack: %d runs for %d lanes", n_runs,
                         p->lanes);
    if (MODEL_MULTICLASS_OPS.check_data(data, err) < 0)
        return -1;
    const train_params *lanes[LANES_MAX];
    lanes_fill(runs, n_runs, p->lanes, lanes);
    for (int l = 1; l < n_runs; l++)
        if (lanes[l]->batch_size != lanes[0]->batch_size || lanes[l]->units != lanes[0]->units ||
            lanes[l]->epochs != lanes[0]->epochs)
            return error_set(err, ERROR_RUNTIME,
                             "multiclass pack: run %d differs in batch_size, units or epochs", l);
    p->n_lanes = n_runs;
    p->n_features = data->n_features;
    p->units = lanes[0]->units;
    p->classes = data->n_classes;
    p->batch_rows = lanes[0]->batch_size < data->n_train ? lanes[0]->batch_size : data->n_train;
    if (reserve(p, (size_t)data->n_train, err) < 0)
        return -1;
    if (p->shuffles.streams == NULL && rng_lanes_init(&p->shuffles, p->lanes, p->isa, err) < 0)
        return -1;
    for (int l = 0; l < p->lanes; l++) {
        p->learning_rate.data[l] = lanes[l]->learning_rate;
        p->l1.data[l] = lanes[l]->l1;
        p->l2.data[l] = lanes[l]->l2;
        p->failed[l] = false;
        p->orders[l] = p->order + (size_t)l * (size_t)data->n_train;
        rng_seed(&p->rng[l], lanes[l]->seed); /* once: the shuffles continue the stream */
        init_lane(p, l);
        rng_lanes_load(&p->shuffles, l, &p->rng[l]);
    }
    p->w1_finite = true;
    return 0;
}

/* Failed lanes cleared; whether every w1 is finite again. */
static void settle_failed_lanes(multiclass_pack *p)
{
    bool any = false;
    for (int l = 0; l < p->lanes; l++)
        if (p->failed[l]) {
            clear_lane(p, l);
            any = true;
        }
    if (!any || p->w1_finite)
        return;
    const size_t n = (size_t)p->n_features * (size_t)p->units * (size_t)p->lanes;
    p->w1_finite = true;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p->w1.data[i]))
            p->w1_finite = false;
}

static void pack_epoch(void *opaque, const dataset *data, epoch_outcome *outcomes)
{
    multiclass_pack *p = opaque;
    const int n_train = data->n_train, lanes = p->lanes;
    settle_failed_lanes(p);
    rng_lanes_permutations(&p->shuffles, n_train, p->orders);
    double loss[LANES_MAX] = {0}, correct[LANES_MAX] = {0}, reg[LANES_MAX];
    for (int start = 0; start < n_train; start += p->batch_rows) {
        const int m = n_train - start < p->batch_rows ? n_train - start : p->batch_rows;
        lanes_gather_rows(data->x_train, data->y_train, p->n_features,
                          (const int *const *)p->orders, start, m, lanes, p->x.data,
                          p->target.data);
        train_batch(p, m, loss, correct);
    }
    reg_loss(p, reg);
    double val_loss[LANES_MAX], val_correct[LANES_MAX];
    evaluate(p, data->x_val, data->y_val, data->n_val, val_loss, val_correct);
    for (int l = 0; l < lanes; l++) {
        epoch_outcome outcome = {
            .train_loss = (loss[l] + reg[l]) / n_train,
            .val_loss = (val_loss[l] + reg[l]) / data->n_val,
            .train_acc = correct[l] / n_train,
            .val_acc = val_correct[l] / data->n_val,
        };
        if (p->failed[l])
            outcome = (epoch_outcome){NAN, NAN, NAN, NAN};
        else if (!isfinite(outcome.train_loss) || !isfinite(outcome.val_loss))
            p->failed[l] = true;
        if (l < p->n_lanes)
            outcomes[l] = outcome;
    }
}

/* The share of rows each lane classifies right (NaN for a failed lane). */
static void pack_accuracy(multiclass_pack *p, const double *x, const double *y, int n, double *out)
{
    double loss[LANES_MAX], correct[LANES_MAX];
    evaluate(p, x, y, n, loss, correct);
    for (int l = 0; l < p->n_lanes; l++)
        out[l] = p->failed[l] ? NAN : correct[l] / n;
}

static void pack_scores(void *opaque, const dataset *data, double *train, double *val, double *test)
{
    multiclass_pack *p = opaque;
    pack_accuracy(p, data->x_train, data->y_train, data->n_train, train);
    pack_accuracy(p, data->x_val, data->y_val, data->n_val, val);
    if (data->n_test > 0)
        pack_accuracy(p, data->x_test, data->y_test, data->n_test, test);
    else
        for (int l = 0; l < p->n_lanes; l++)
            test[l] = NAN;
}

const model_pack_ops MODEL_MULTICLASS_PACK_OPS = {
    .width = pack_width,
    .worthwhile = pack_worthwhile,
    .state_new = pack_new,
    .state_delete = pack_delete,
    .start = pack_start,
    .epoch = pack_epoch,
    .scores = pack_scores,
};
