/* multiclass_parts.c: where an epoch of the book's fashion-MNIST run goes,
 * pass by pass, against the rate its arithmetic allows.
 *
 * The chapter 7 network (units 100, batch 256, seed 42) on fashion-MNIST,
 * coded as `sweep` codes it, one epoch per round as model_multiclass.c
 * runs it: per batch the listing of its inputs, the forward pass, the
 * softmax, the backward pass and the SGD update, then the val rows. Each
 * pass is timed where it runs (the thread's CPU clock around every call,
 * so its caches are the epoch's own), and the fastest of the rounds is
 * kept for each. The passes are the project's kernels (multiclass.c is
 * included, so its static ones are called directly), at the best
 * instruction set of the machine.
 *
 * It prints, per nonzero train input, each pass's cycles at the core's
 * clock (measured before every epoch, as scripts/peak_flops.c measures
 * it), and the rate of the three passes that hold nearly all of the
 * arithmetic in vector operations a cycle, against the 2 a cycle of the
 * two floating-point ports; given numpy's CPU seconds an epoch (from
 * scripts/bench_fashion), the rate those three would need for 3x numpy
 * with the other passes as they are. It also times the kernels on one
 * batch repeated, where the caches and the branch predictor flatter
 * them. It is not built with the project; with the project built in
 * build/ (scripts/build build) and fashion-MNIST installed (apt-get
 * install dataset-fashion-mnist), on a CPU with AVX-512, run it by hand:
 *
 *   gcc -O2 -ffp-contract=off -Isrc -o /tmp/multiclass_parts \
 *       scripts/multiclass_parts.c build/libsweepcore.a -lz -lm
 *   /tmp/multiclass_parts 5 0.91        # rounds, numpy's s/epoch
 *
 * (docs/performance_multiclass.md quotes its result.)
 */
#include "../src/multiclass.c"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dataset.h"
#include "fashion.h"
#include "measure.h"
#include "params.h"
#include "rng.h"

enum { UNITS = 100, BATCH = 256, PASSES = 6 };
static const char *const PASS_NAMES[PASSES] = {"listing",  "forward", "softmax",
                                               "backward", "update",  "val rows"};
enum { LISTING, FORWARD, SOFTMAX, BACKWARD, UPDATE, VAL };


static void *zeroed(size_t n, size_t size)
{
    void *p = aligned_alloc(64, (n * size + 16 * 64 + 63) / 64 * 64);
    if (p == NULL) {
        fprintf(stderr, "multiclass_parts: out of memory\n");
        exit(1);
    }
    memset(p, 0, (n * size + 16 * 64 + 63) / 64 * 64);
    return p;
}

/* A net and scratch shaped as model_multiclass.c shapes them. */
static void setup(const dataset *data, multiclass_net *net, multiclass_scratch *s,
                  uint64_t **val_masks)
{
    const simd_isa isa = simd_best();
    const int capacity = BATCH > 1024 ? BATCH : 1024;
    const multiclass_sizes size =
        multiclass_array_sizes(isa, data->n_features, UNITS, data->n_classes, capacity);
    *net = (multiclass_net){.n_features = data->n_features,
                            .units = UNITS,
                            .classes = data->n_classes,
                            .stride = multiclass_stride(isa, UNITS),
                            .class_stride = multiclass_stride(isa, data->n_classes),
                            .isa = isa,
                            .w1 = zeroed(size.w1, sizeof(double)),
                            .b1 = zeroed(size.b1, sizeof(double)),
                            .w2 = zeroed(size.w2, sizeof(double)),
                            .w2t = zeroed(size.w2t, sizeof(double)),
                            .b2 = zeroed(size.b2, sizeof(double))};
    uint64_t *masks = zeroed((size_t)data->n_train * size.mask_words, sizeof(uint64_t));
    *val_masks = zeroed((size_t)data->n_val * size.mask_words, sizeof(uint64_t));
    multiclass_row_masks(data->x_train, data->n_features, data->n_train, (int)size.mask_words,
                         masks);
    multiclass_row_masks(data->x_val, data->n_features, data->n_val, (int)size.mask_words,
                         *val_masks);
    *s = (multiclass_scratch){.capacity = capacity,
                              .a1 = zeroed(size.a1, sizeof(double)),
                              .e1 = zeroed(size.e1, sizeof(double)),
                              .z2 = zeroed(size.z2, sizeof(double)),
                              .err = zeroed(size.err, sizeof(double)),
                              .sum_w1 = zeroed(size.sum_w1, sizeof(double)),
                              .sum_w2 = zeroed(size.sum_w2, sizeof(double)),
                              .sum_b1 = zeroed(size.sum_b1, sizeof(double)),
                              .row_start = zeroed(size.row_start, sizeof(int)),
                              .row_index = zeroed(size.row_index, sizeof(int)),
                              .row_value = zeroed(size.row_value, sizeof(double)),
                              .input_start = zeroed(size.input_start, sizeof(int)),
                              .input_index = zeroed(size.input_index, sizeof(int)),
                              .input_value_a = zeroed(size.input_value_a, sizeof(double)),
                              .input_value_b = zeroed(size.input_value_b, sizeof(double)),
                              .code_table = data->code_values,
                              .codes = data->codes_train,
                              .row_code = zeroed(size.row_code, 1),
                              .input_code_a = zeroed(size.input_code, 1),
                              .input_code_b = zeroed(size.input_code, 1),
                              .mask_words = (int)size.mask_words,
                              .masks = masks,
                              .chunk_masks = zeroed(size.chunk_masks, sizeof(uint64_t))};
}

/* One epoch as multiclass_epoch runs it, with multiclass_train_batch's
 * passes timed one by one; seconds[] gets each pass's total. Returns the
 * val loss: the same bits as `sweep`'s for the book's run (no penalties),
 * which checks that these are the passes of multiclass_train_batch. */
static double timed_epoch(const dataset *data, multiclass_net *net, multiclass_scratch *s,
                          const uint64_t *val_masks, numpy_rng *rng, int *order,
                          const train_params *params, double seconds[PASSES])
{
    const size_t class_stride = (size_t)net->class_stride;
    rng_permutation(rng, order, data->n_train);
    for (int start = 0; start < data->n_train; start += BATCH) {
        const int m = data->n_train - start < BATCH ? data->n_train - start : BATCH;
        const int *rows = order + start;
        double t0 = cpu_seconds();
        list_inputs(net, data->x_train, s->codes, rows, m, s->masks, true, s);
        double t1 = cpu_seconds();
        forward(net, m, s);
        double t2 = cpu_seconds();
        exp_rows(net, m, s);
        double err_total = 0.0;
        for (int r = 0; r < m; r++) {
            double *err_row = s->err + (size_t)r * class_stride;
            softmax_row(net, err_row, (int)data->y_train[rows[r]]);
            for (int k = 0; k < net->classes; k++)
                err_total += err_row[k];
        }
        double t3 = cpu_seconds();
        backward(net, m, s);
        double t4 = cpu_seconds();
        apply_sgd(net, m, s, params);
        for (int k = 0; k < net->classes; k++)
            net->b2[k] = net->b2[k] - params->learning_rate * (err_total / (double)m);
        transpose_w2(net);
        double t5 = cpu_seconds();
        seconds[LISTING] += t1 - t0;
        seconds[FORWARD] += t2 - t1;
        seconds[SOFTMAX] += t3 - t2;
        seconds[BACKWARD] += t4 - t3;
        seconds[UPDATE] += t5 - t4;
    }
    double t0 = cpu_seconds();
    int correct;
    double val_total = multiclass_evaluate(net, data->x_val, data->y_val, data->n_val, val_masks,
                                           data->codes_val, 0.0, &correct, s);
    seconds[VAL] += cpu_seconds() - t0;
    return val_total / data->n_val;
}

static long long count_nonzero(const uint64_t *masks, size_t words)
{
    long long n = 0;
    for (size_t i = 0; i < words; i++)
        n += __builtin_popcountll(masks[i]);
    return n;
}

/* Vector operations (multiplications and additions, AVX-512's 8 doubles
 * or fewer) of the three passes that hold the sums: the forward's z1 sums
 * and output layer, the backward's w1 sums, hidden errors, w2 and b1
 * sums, and the val rows' forward; the sigmoids, exps and logs are not
 * counted. ops[0..2]: forward, backward, val rows. */
static void count_operations(const multiclass_net *net, const dataset *data, long long train_inputs,
                             long long val_inputs, double ops[3])
{
    const int lanes = simd_lanes(net->isa);
    const double vecs = net->stride / lanes, class_vecs = net->class_stride / lanes;
    const double output = 2.0 * net->units * class_vecs;
    const double errors = 2.0 * net->classes * vecs + 3.0 * vecs + output + vecs;
    ops[0] = 2.0 * vecs * (double)train_inputs + output * data->n_train;
    ops[1] = 2.0 * vecs * (double)train_inputs + errors * data->n_train;
    ops[2] = 2.0 * vecs * (double)val_inputs + output * data->n_val;
}

static void report(const multiclass_net *net, const dataset *data, const double best[PASSES],
                   double best_epoch, long long train_inputs, long long val_inputs,
                   const double hot[3], long long batch_inputs, int rounds, double hz,
                   double numpy_epoch)
{
    printf("fastest of %d epochs, cycles at %.2f GHz (the fastest clock measured) per nonzero "
           "train input (val rows: per val input):\n",
           rounds, hz / 1e9);
    double sum = 0.0;
    for (int p = 0; p < PASSES; p++) {
        const long long per = p == VAL ? val_inputs : train_inputs;
        printf("  %-9s %6.2f  (%.3f s)\n", PASS_NAMES[p], best[p] * hz / (double)per, best[p]);
        sum += best[p];
    }
    double ops[3];
    count_operations(net, data, train_inputs, val_inputs, ops);
    printf("  vector operations a cycle (2 is the port bound): forward %.2f, backward %.2f, val "
           "rows %.2f\n",
           ops[0] / (best[FORWARD] * hz), ops[1] / (best[BACKWARD] * hz),
           ops[2] / (best[VAL] * hz));
    printf("  one batch repeated (its data cached, its branches learned): listing %.2f, forward "
           "%.2f, backward %.2f cycles per input\n",
           hot[0] * hz / (double)batch_inputs, hot[1] * hz / (double)batch_inputs,
           hot[2] * hz / (double)batch_inputs);
    const double all_ops = ops[0] + ops[1] + ops[2];
    const double sums_time = best[FORWARD] + best[BACKWARD] + best[VAL];
    printf("epoch %.3f s (the passes at their best %.3f s); their counted operations at the port "
           "bound %.3f s; forward, backward and val rows %.3f s, %.2f operations a cycle\n",
           best_epoch, sum, all_ops / 2.0 / hz, sums_time, all_ops / (sums_time * hz));
    if (numpy_epoch > 0.0) {
        const double budget = numpy_epoch / 3.0, others = sum - sums_time;
        printf("3x numpy's %.3f s an epoch: %.3f s; with the other passes as they are, the three "
               "would need %.2f operations a cycle\n",
               numpy_epoch, budget, budget > others ? all_ops / ((budget - others) * hz) : 1e9);
    }
}

/* The listing, forward and backward passes repeated on the first batch
 * of `order`: its data in the caches and its branches learned by the
 * predictor, as they never are in an epoch. hot[]: the fastest of each. */
static long long measure_hot(const dataset *data, multiclass_net *net, multiclass_scratch *s,
                             const int *order, double hot[3])
{
    long long batch_inputs = 0;
    for (int r = 0; r < BATCH; r++)
        batch_inputs += count_nonzero(s->masks + (size_t)order[r] * (size_t)s->mask_words,
                                      (size_t)s->mask_words);
    for (int p = 0; p < 3; p++)
        hot[p] = 1e300;
    for (int repeat = 0; repeat < 200; repeat++) {
        double t[4];
        t[0] = cpu_seconds();
        list_inputs(net, data->x_train, s->codes, order, BATCH, s->masks, true, s);
        t[1] = cpu_seconds();
        forward(net, BATCH, s);
        t[2] = cpu_seconds();
        backward(net, BATCH, s);
        t[3] = cpu_seconds();
        for (int p = 0; p < 3; p++)
            hot[p] = t[p + 1] - t[p] < hot[p] ? t[p + 1] - t[p] : hot[p];
    }
    return batch_inputs;
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 5;
    const double numpy_epoch = argc > 2 ? atof(argv[2]) : 0.0;
    dataset_spec spec = dataset_spec_builtin(FASHION_NAME);
    dataset data;
    sweep_error err = {0};
    if (rounds < 1 || numpy_epoch < 0.0) {
        fprintf(stderr, "usage: multiclass_parts [rounds] [numpy's CPU seconds an epoch]\n");
        return 2;
    }
    if (!simd_supported(SIMD_AVX512)) {
        fprintf(stderr, "multiclass_parts: this CPU has no AVX-512\n");
        return 1;
    }
    if (dataset_load(&spec, &data, &err) < 0) {
        fprintf(stderr, "multiclass_parts: %s\n", err.message);
        return 2;
    }
    dataset_code_values(&data);
    multiclass_net net;
    multiclass_scratch s;
    uint64_t *val_masks;
    setup(&data, &net, &s, &val_masks);
    const long long train_inputs =
        count_nonzero(s.masks, (size_t)data.n_train * (size_t)s.mask_words);
    const long long val_inputs =
        count_nonzero(val_masks, (size_t)data.n_val * (size_t)s.mask_words);
    train_params params = params_defaults();
    params.units = UNITS;
    params.batch_size = BATCH;
    int *order = zeroed((size_t)data.n_train, sizeof(int));
    numpy_rng rng;
    rng_seed(&rng, 42);
    multiclass_init(&net, &rng);

    printf("fashion-MNIST, units %d, batch %d, %s, %s; %lld nonzero train inputs, %lld val\n",
           UNITS, BATCH, simd_name(net.isa), s.codes != NULL ? "coded" : "not coded", train_inputs,
           val_inputs);
    double best[PASSES], best_epoch = 1e300, hz = 0.0;
    for (int p = 0; p < PASSES; p++)
        best[p] = 1e300;
    for (int round = 0; round < rounds; round++) {
        const double round_hz = core_clock_hz();
        double seconds[PASSES] = {0};
        double t0 = cpu_seconds();
        double val_loss = timed_epoch(&data, &net, &s, val_masks, &rng, order, &params, seconds);
        double epoch = cpu_seconds() - t0;
        printf("  epoch %d: %.3f s of CPU, val loss %.17g; clock %.2f GHz\n", round + 1, epoch,
               val_loss, round_hz / 1e9);
        for (int p = 0; p < PASSES; p++)
            best[p] = seconds[p] < best[p] ? seconds[p] : best[p];
        best_epoch = epoch < best_epoch ? epoch : best_epoch;
        hz = round_hz > hz ? round_hz : hz;
    }
    double hot[3];
    const long long batch_inputs = measure_hot(&data, &net, &s, order, hot);
    report(&net, &data, best, best_epoch, train_inputs, val_inputs, hot, batch_inputs, rounds, hz,
           numpy_epoch);
    return 0;
}
