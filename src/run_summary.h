/* run_summary.h: what the end-of-sweep summary keeps of each run.
 *
 * One record per run instead of parallel arrays: a sweep fills it as each
 * run is written (run_summary_of) or, for the runs a resumed sweep keeps,
 * from the results file (results_read_index); the summary table
 * (report_summary) and the done / failed counts read it.
 */
#ifndef SWEEP_RUN_SUMMARY_H
#define SWEEP_RUN_SUMMARY_H

#include <math.h>

#include "train.h"

typedef struct {
    run_status status;     /* pending, done or failed, as in the results file */
    double val_score;      /* accuracy on the val rows */
    double test_score;     /* accuracy on the test rows; NaN without test rows */
    double final_val_loss; /* val loss after the last epoch trained; NaN before any */
} run_summary;

/* The summary of a finished run. */
static inline run_summary run_summary_of(const run_result *result)
{
    return (run_summary){
        .status = result->status,
        .val_score = result->val_score,
        .test_score = result->test_score,
        .final_val_loss = result->epochs_done > 0 ? result->val_loss[result->epochs_done - 1] : NAN,
    };
}

#endif
