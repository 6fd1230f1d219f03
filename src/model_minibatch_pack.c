/* model_minibatch_pack.c: the minibatch model's packed training
 * (model.h, model_pack_ops): up to `width` runs of MinibatchNetwork.fit
 * side by side, one per vector lane (network_pack.h).
 *
 * Each lane follows model_minibatch.c step for step with its own
 * generator: seed, network_init's draws, seed again, and every epoch its
 * own permutation, whose batches' rows are gathered into the packed
 * layout. The losses are summed in LOSS ORDER (model_minibatch.c) per lane:
 * the batches' row losses from 0.0, then the batches in order, plus reg,
 * over the rows; so each lane's curves and scores are the lone run's bits.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lanes.h"
#include "model.h"
#include "network_pack.h"
#include "rng.h"
#include "rng_lanes.h"

/* The gathered rows of a batch (capacity x n_features x width doubles)
 * above this many bytes: the runs are trained alone (see worthwhile). */
#define PACK_GATHER_BYTES_MAX (64u << 20)

/* Rows gathered at a time for plain SGD (batch size 1). */
enum { SINGLE_ROW_CHUNK = 64 };

typedef struct {
    simd_isa isa;
    int width; /* lanes per pack */
    model_buffer w1, b1, w2, b2, l1, l2, learning_rate;
    model_buffer x, y, a1, e1, out, err, sum_w1, sum_w2, sum_b1;
    int *orders; /* (width, n_train) each lane's epoch permutation */
    size_t orders_capacity;
    int *lane_orders[LANES_MAX]; /* rows of `orders` */
    numpy_rng rngs[LANES_MAX];   /* the initial weights' draws */
    rng_lanes shuffles;          /* the epochs' permutations, all lanes at once */
    network_pack pack;
    network_pack_scratch scratch;
    int n_lanes;    /* runs in the pack (the other lanes are copies of lane 0) */
    int batch_rows; /* batch_size, at most n_train */
} pack_state;

static int pack_width(simd_isa isa)
{
    return simd_lanes(isa);
}

static bool pack_worthwhile(const train_params *params, const dataset *data)
{
    const double rows = params->batch_size < data->n_train ? params->batch_size : data->n_train;
    return rows * data->n_features * LANES_MAX * sizeof(double) <= PACK_GATHER_BYTES_MAX;
}

static void *pack_new(simd_isa isa)
{
    pack_state *state = calloc(1, sizeof(pack_state));
    if (state != NULL) {
        state->isa = isa;
        state->width = pack_width(isa);
    }
    return state;
}

static void pack_delete(void *opaque)
{
    pack_state *state = opaque;
    if (state == NULL)
        return;
    model_buffer *buffers[] = {&state->w1,
                               &state->b1,
                               &state->w2,
                               &state->b2,
                               &state->l1,
                               &state->l2,
                               &state->learning_rate,
                               &state->x,
                               &state->y,
                               &state->a1,
                               &state->e1,
                               &state->out,
                               &state->err,
                               &state->sum_w1,
                               &state->sum_w2,
                               &state->sum_b1};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        model_buffer_free(buffers[i]);
    free(state->orders);
    rng_lanes_free(&state->shuffles);
    free(state);
}

/* Grow the state for runs of these shapes (`capacity` rows per batch). */
static int reserve_arrays(pack_state *ws, int n_features, int units, int capacity, int n_train,
                          sweep_error *err)
{
    const size_t width = (size_t)ws->width;
    const size_t n_w1 = (size_t)n_features * (size_t)units * width;
    const size_t rows = (size_t)capacity * width;
    /* a chunk's hidden values, outputs and errors (network_pack.h) */
    const size_t chunk = (size_t)network_pack_chunk_rows(n_features, ws->width);
    const size_t hidden = chunk * (size_t)units * width;
    if (model_buffer_reserve(&ws->w1, n_w1, err) < 0 ||
        model_buffer_reserve(&ws->b1, (size_t)units * width, err) < 0 ||
        model_buffer_reserve(&ws->w2, (size_t)units * width, err) < 0 ||
        model_buffer_reserve(&ws->b2, width, err) < 0 ||
        model_buffer_reserve(&ws->l1, width, err) < 0 ||
        model_buffer_reserve(&ws->l2, width, err) < 0 ||
        model_buffer_reserve(&ws->learning_rate, width, err) < 0 ||
        model_buffer_reserve(&ws->x, rows * (size_t)n_features, err) < 0 ||
        model_buffer_reserve(&ws->y, rows, err) < 0 ||
        model_buffer_reserve(&ws->a1, hidden, err) < 0 ||
        model_buffer_reserve(&ws->e1, hidden, err) < 0 ||
        model_buffer_reserve(&ws->out, chunk * width, err) < 0 ||
        model_buffer_reserve(&ws->err, chunk * width, err) < 0 ||
        model_buffer_reserve(&ws->sum_w1, n_w1, err) < 0 ||
        model_buffer_reserve(&ws->sum_w2, (size_t)units * width, err) < 0 ||
        model_buffer_reserve(&ws->sum_b1, (size_t)units * width, err) < 0)
        return -1;
    if (model_int_reserve(&ws->orders, &ws->orders_capacity, (size_t)n_train * width, err) < 0)
        return -1;
    for (size_t lane = 0; lane < width; lane++)
        ws->lane_orders[lane] = ws->orders + lane * (size_t)n_train;
    return 0;
}

static int pack_start(void *opaque, const dataset *data, const train_params *const *runs,
                      int n_runs, sweep_error *err)
{
    pack_state *ws = opaque;
    if (n_runs < 1 || n_runs > ws->width)
        return error_set(err, ERROR_RUNTIME, "a pack of %d runs in %d lanes", n_runs, ws->width);
    const train_params *lanes[LANES_MAX];
    lanes_fill(runs, n_runs, ws->width, lanes);
    const int n_train = data->n_train;
    ws->n_lanes = n_runs;
    ws->batch_rows = runs[0]->batch_size < n_train ? runs[0]->batch_size : n_train;
    /* the evaluations use one row at a time; the batches need batch_rows,
     * plain SGD gathers chunks of rows */
    const int capacity = ws->batch_rows > 1
                             ? ws->batch_rows
                             : (n_train < SINGLE_ROW_CHUNK ? n_train : SINGLE_ROW_CHUNK);
    if (reserve_arrays(ws, data->n_features, runs[0]->units, capacity, n_train, err) < 0)
        return -1;
    for (int lane = 0; lane < ws->width; lane++) {
        ws->l1.data[lane] = lanes[lane]->l1;
        ws->l2.data[lane] = lanes[lane]->l2;
        ws->learning_rate.data[lane] = lanes[lane]->learning_rate;
    }
    ws->pack = (network_pack){
        .n_features = data->n_features,
        .units = runs[0]->units,
        .width = ws->width,
        .isa = ws->isa,
        .l2_only = lanes_l2_only(lanes, ws->width),
        .w1 = ws->w1.data,
        .b1 = ws->b1.data,
        .w2 = ws->w2.data,
        .b2 = ws->b2.data,
        .l1 = ws->l1.data,
        .l2 = ws->l2.data,
        .learning_rate = ws->learning_rate.data,
    };
    ws->scratch = (network_pack_scratch){
        .capacity = capacity,
        .x = ws->x.data,
        .y = ws->y.data,
        .a1 = ws->a1.data,
        .e1 = ws->e1.data,
        .out = ws->out.data,
        .err = ws->err.data,
        .sum_w1 = ws->sum_w1.data,
        .sum_w2 = ws->sum_w2.data,
        .sum_b1 = ws->sum_b1.data,
    };
    /* seed, initial weights, seed again: as model_minibatch.c, per lane */
    for (int lane = 0; lane < ws->width; lane++)
        rng_seed(&ws->rngs[lane], lanes[lane]->seed);
    network_pack_init(&ws->pack, ws->rngs);
    if (ws->shuffles.streams == NULL && rng_lanes_init(&ws->shuffles, ws->width, ws->isa, err) < 0)
        return -1;
    for (int lane = 0; lane < ws->width; lane++)
        rng_lanes_seed(&ws->shuffles, lane, lanes[lane]->seed);
    return 0;
}

static void pack_epoch(void *opaque, const dataset *data, epoch_outcome *outcomes)
{
    pack_state *ws = opaque;
    const int n_train = data->n_train, batch_rows = ws->batch_rows, width = ws->width;
    double loss[LANES_MAX] = {0.0}, batch_loss[LANES_MAX], reg[LANES_MAX];
    double val_total[LANES_MAX] = {0.0};
    int train_correct[LANES_MAX] = {0}, val_correct[LANES_MAX];

    rng_lanes_permutations(&ws->shuffles, n_train, ws->lane_orders);
    if (batch_rows == 1) {
        /* plain SGD: the fused kernel over chunks of gathered rows */
        for (int start = 0; start < n_train; start += ws->scratch.capacity) {
            const int n = n_train - start < ws->scratch.capacity ? n_train - start
                                                                 : ws->scratch.capacity;
            lanes_gather_rows(data->x_train, data->y_train, data->n_features,
                              (const int *const *)ws->lane_orders, start, n, width, ws->scratch.x,
                              ws->scratch.y);
            network_pack_train_single_rows(&ws->pack, &ws->scratch, n, loss, train_correct);
        }
    }
    for (int start = 0; batch_rows > 1 && start < n_train; start += batch_rows) {
        const int m = n_train - start < batch_rows ? n_train - start : batch_rows;
        lanes_gather_rows(data->x_train, data->y_train, data->n_features,
                          (const int *const *)ws->lane_orders, start, m, width, ws->scratch.x,
                          ws->scratch.y);
        network_pack_train_batch(&ws->pack, &ws->scratch, m, batch_loss, train_correct);
        for (int lane = 0; lane < width; lane++)
            loss[lane] += batch_loss[lane];
    }
    network_pack_reg_loss(&ws->pack, reg);
    network_pack_evaluate(&ws->pack, &ws->scratch, data->x_val, data->y_val, data->n_val, val_total,
                          val_correct);
    for (int lane = 0; lane < ws->n_lanes; lane++) {
        outcomes[lane].train_loss = (loss[lane] + reg[lane]) / n_train;
        outcomes[lane].train_acc = (double)train_correct[lane] / n_train;
        outcomes[lane].val_loss = (val_total[lane] + reg[lane]) / data->n_val;
        outcomes[lane].val_acc = (double)val_correct[lane] / data->n_val;
    }
}

static void pack_scores(void *opaque, const dataset *data, double *train, double *val, double *test)
{
    pack_state *ws = opaque;
    double unused[LANES_MAX] = {0.0};
    int correct[LANES_MAX];
    network_pack_evaluate(&ws->pack, &ws->scratch, data->x_train, data->y_train, data->n_train,
                          unused, correct);
    for (int lane = 0; lane < ws->n_lanes; lane++)
        train[lane] = (double)correct[lane] / data->n_train;
    network_pack_evaluate(&ws->pack, &ws->scratch, data->x_val, data->y_val, data->n_val, unused,
                          correct);
    for (int lane = 0; lane < ws->n_lanes; lane++)
        val[lane] = (double)correct[lane] / data->n_val;
    if (data->n_test > 0)
        network_pack_evaluate(&ws->pack, &ws->scratch, data->x_test, data->y_test, data->n_test,
                              unused, correct);
    for (int lane = 0; lane < ws->n_lanes; lane++)
        test[lane] = data->n_test > 0 ? (double)correct[lane] / data->n_test : NAN;
}

const model_pack_ops MODEL_MINIBATCH_PACK_OPS = {
    .width = pack_width,
    .worthwhile = pack_worthwhile,
    .state_new = pack_new,
    .state_delete = pack_delete,
    .start = pack_start,
    .epoch = pack_epoch,
    .scores = pack_scores,
};
