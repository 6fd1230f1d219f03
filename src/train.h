/* train.h: one training run of one of the textbook's networks.
 *
 * params->model chooses the network (model.h): chapter 6-3's
 * MinibatchNetwork (a 2-layer sigmoid network, n_features -> units -> 1) or
 * chapter 7-1's MultiClassNetwork (n_features -> units -> K, softmax), both
 * trained by minibatch SGD with L1/L2 penalties exactly as "Do it! 딥러닝
 * 입문" does it in numpy: same initialization draws, same epoch shuffles,
 * same update and loss formulas (see README, "The training"). Each worker
 * owns a train_workspace and its run_result; the dataset is shared read-only.
 */
#ifndef SWEEP_TRAIN_H
#define SWEEP_TRAIN_H

#include <signal.h>
#include <stdbool.h>

#include "dataset.h"
#include "error.h"
#include "params.h"
#include "simd.h"

typedef enum {
    RUN_PENDING = 0, /* not trained (yet) */
    RUN_DONE = 1,    /* trained to the last epoch */
    RUN_FAILED = 2   /* stopped early: the loss became NaN or infinite */
} run_status;

typedef struct {
    int epochs;         /* capacity of the curves: the run's epoch count */
    int epochs_done;    /* epochs actually trained (< epochs when failed) */
    double *train_loss; /* (epochs) NaN past epochs_done */
    double *val_loss;   /* (epochs) NaN past epochs_done */
    double *train_acc;  /* (epochs) accuracy in the epoch's batches; NaN past epochs_done */
    double *val_acc;    /* (epochs) val accuracy after the epoch; NaN past epochs_done */
    double train_score; /* accuracy on the train rows (z2 > 0, or argmax z2); NaN when failed */
    double val_score;   /* the same on the val rows */
    double test_score;  /* the same on the test rows; NaN without test rows */
    run_status status;
    char failure[160]; /* why a run failed, "" otherwise */
    double seconds;    /* wall time of the training (set by the caller) */
} run_result;

/* Allocate the curves for `epochs` epochs, filled with NaN. */
int run_result_init(run_result *result, int epochs, sweep_error *err);
void run_result_free(run_result *result);

/* Scratch memory of one worker, reused across its runs so that the hot loop
 * never allocates. Grows as needed for the run's units and batch size. */
typedef struct train_workspace train_workspace;

train_workspace *train_workspace_new(void);
void train_workspace_delete(train_workspace *workspace);

/* A workspace whose kernels use `isa` rather than the best this CPU has
 * (the results are the same bits; for tests and benchmarks). NULL when the
 * CPU cannot run `isa` or memory is short. */
train_workspace *train_workspace_new_for(simd_isa isa);

/* How long a run in flight may go on after `*cancel` becomes nonzero before
 * it is abandoned: short runs finish and are kept, a long one stops. */
#define TRAIN_CANCEL_GRACE_SECONDS 2.0

/* Watch `*cancel` (set by a signal handler; NULL: never) at every epoch:
 * TRAIN_CANCEL_GRACE_SECONDS after it is first seen set, train_run stops and
 * leaves the run pending (status RUN_PENDING, return 0). */
void train_workspace_set_cancel(train_workspace *workspace, const volatile sig_atomic_t *cancel);

/* Train one run. `result` must have been initialized for params->epochs.
 * Returns -1 only for a runtime error (out of memory); a diverging run is
 * not an error: it returns 0 with result->status == RUN_FAILED; nor is a
 * cancelled one (RUN_PENDING, see train_workspace_set_cancel). */
int train_run(train_workspace *workspace, const dataset *data, const train_params *params,
              run_result *result, sweep_error *err);

/* Whether runs a and b may train side by side in one pack: the same model,
 * batch_size, units and epochs (their seeds, L1/L2 and learning rates may
 * differ). */
bool train_params_packable(const train_params *a, const train_params *b);

/* Runs per pack for runs like `params` with this workspace's instruction
 * set: 1 when the model trains one run at a time. */
int train_pack_width(const train_workspace *workspace, const train_params *params);

/* Train runs[0..n_runs), packable with each other (train_params_packable),
 * n_runs <= train_pack_width, side by side: results[i] is, bit for bit,
 * what train_run gives for runs[i] (results[i] initialized for its
 * epochs). A run that diverges fails at its epoch while the others go on.
 * After a cancel (train_workspace_set_cancel) the whole pack is abandoned:
 * every result is left pending. A pack of one run is train_run. Returns -1
 * only for a runtime error. */
int train_pack(train_workspace *workspace, const dataset *data, const train_params *const *runs,
               int n_runs, run_result *const *results, sweep_error *err);

#endif
