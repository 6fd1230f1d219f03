/* report.h: what a person sees on the terminal.
 *
 * The progress line on stderr while a sweep runs, the dry-run table of the
 * expanded runs, and the summary table printed when a sweep ends.
 */
#ifndef SWEEP_REPORT_H
#define SWEEP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "folds.h"
#include "params.h"
#include "run_summary.h"

typedef struct {
    FILE *stream;         /* where progress goes (stderr) */
    bool quiet;           /* print nothing */
    bool is_terminal;     /* one updating line instead of plain lines */
    size_t n_runs;        /* total runs */
    double start_seconds; /* monotonic clock at the start */
    double last_print;    /* monotonic time of the last line printed */
    int last_width;       /* characters of the last updating line */
    size_t last_finished; /* runs finished at the last line printed */
    size_t last_tenth;    /* tenths of the runs finished at the last plain line */
} progress;


void progress_start(progress *state, FILE *stream, size_t n_runs, bool quiet);

/* Report that `n_finished` runs are finished, `n_failed` of them failed.
 * Rate-limited: prints at most a few times a second on a terminal and every
 * ~10% or 30 s otherwise, and always for the last run. */
void progress_update(progress *state, size_t n_finished, size_t n_failed);

/* End the updating line. */
void progress_finish(progress *state);

/* The dry-run table: one row per run (with repeat and fold columns when a
 * run has a fold), then the count. With `cv` (NULL: none) the count says
 * how the grid's runs multiply: "60 runs (12 grid points x 5 folds)", and
 * "x 3 repeats" with repeats; pass it only for a whole grid (a shard's runs
 * are not whole grid points). */
void report_runs(FILE *out, const train_params *runs, size_t n_runs, const fold_settings *cv);

/* The final table: for each grid point (runs equal in every parameter but
 * the seed, and under cross-validation the fold and repeat: all of them
 * pooled), the mean val accuracy with its 95% confidence interval (Student
 * t on the runs' scores, mean ± t(0.975, n-1) s / sqrt(n)) and n, the runs
 * it rests on (`done`), best first. Under cross-validation the runs share
 * training rows, so they are not independent and this interval is
 * optimistic (scripts/compare.py corrects for that when comparing);
 * failed and pending runs are counted in their own columns (shown only when
 * there are such runs), not averaged. Runs are grouped by sorting, so the
 * cost is O(n log n) whatever the order of the grid's keys. */
int report_summary(FILE *out, const train_params *runs, const run_summary *summaries, size_t n_runs,
                   sweep_error *err);

/* Work report_summary would do at the end, done ahead by the thread that
 * will call it (thread 0 while the workers train): the t quantile of the
 * first grid point's runs (or, under cross-validation, its splits), which
 * every point of a usual grid shares (report_t_975 keeps the last one
 * asked). Changes nothing in the table. */
void report_summary_prepare(const train_params *runs, size_t n_runs);

/* The 0.975 quantile of Student's t with `df` >= 1 degrees of freedom
 * (12.706... for 1, 1.96 as df grows), within 1e-10: the half-width of a
 * 95% interval is that times s / sqrt(n). NaN for df < 1. */
double report_t_975(int df);

#endif
