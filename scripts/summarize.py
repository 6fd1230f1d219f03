#!/usr/bin/python3
"""summarize.py: the table of a sweep's grid points, best first.

For each grid point (runs equal in every swept hyperparameter but the seed,
or grouped by the --by keys) the mean over its finished runs (seeds, and
folds and repeats under cross-validation, pooled) of val and test accuracy
and of the final train and val loss, with its 95% confidence interval and
the number of runs it rests on; sorted by mean val accuracy (then lowest
final val loss). Failed and pending runs are counted, not averaged.

The interval: without cross-validation the Student t interval over the
runs (they differ in their seed: the randomness of training on one val
set). Under cross-validation the runs of one split share their val rows and
the splits share training rows, so the runs of each split are averaged and
the interval is Nadeau and Bengio's corrected resampled t over the split
means (see sweep_stats.py).

--format cv_results prints GridSearchCV's cv_results_ as CSV instead: one
row per candidate (every hyperparameter that varies, seed included), the
splits as columns (see cv_results_table).

    scripts/summarize.py results/batch_grid.h5
    scripts/summarize.py results/batch_grid.h5 --by batch_size --csv table.csv
    scripts/summarize.py results/batch_cv.h5 --format cv_results > cv_results.csv
"""

import sys

import numpy as np
import pandas as pd

import sweep_results as sr
import sweep_stats

PROG = "summarize.py"
# (column in the runs table, heading in the text table, decimals)
MEASURES = (("val_score", "val_acc", 4), ("test_score", "test_acc", 4),
            ("final_train_loss", "train_loss", 5), ("final_val_loss", "val_loss", 5))


def parse_arguments(argv):
    parser = sr.OneLineParser(
        prog=PROG, description="Mean ± std over seeds of each grid point of a sweep "
        "results file, best val accuracy first.")
    parser.add_argument("results", metavar="RESULTS.h5", help="results file written by sweep")
    parser.add_argument("--by", metavar="KEY", nargs="+", action="extend", default=[],
                        help="group by these hyperparameters (default: every swept one but "
                        "the seed); one of " + ", ".join(sr.HYPERPARAMETERS))
    parser.add_argument("--csv", metavar="OUT",
                        help="also write the table as CSV to OUT ('-': CSV on stdout instead "
                        "of the text table)")
    parser.add_argument("--format", choices=("table", "cv_results"), default="table",
                        help="cv_results: GridSearchCV's cv_results_ as CSV on stdout (or to "
                        "--csv OUT), for a file made with cross-validation")
    parser.add_argument("--confidence", type=float, default=0.95, metavar="LEVEL",
                        help="confidence level of the intervals (default 0.95)")
    arguments = parser.parse_args(argv)
    if not 0.0 < arguments.confidence < 1.0:
        raise sr.SweepError(f"--confidence: must be between 0 and 1, got "
                            f"{arguments.confidence}")
    return arguments


def _split_numbers(sweep, runs):
    """Each run's split (repeat * K + fold), None for a single holdout."""
    if sweep.cv is None:
        return None
    return (runs["repeat"] * sweep.cv.folds + runs["fold"]).to_numpy()


def add_intervals(sweep, table, keys, confidence):
    """<column>_ci_low, <column>_ci_high and <column>_n (runs without cv,
    splits with cv) for each measure, per grid point of `table`."""
    done = sweep.done
    ratio = sweep.cv.test_train_ratio if sweep.cv else None
    for column, _, _ in MEASURES:
        lows, highs, counts = [], [], []
        for _, point in table.iterrows():
            mask = np.ones(len(done), dtype=bool)
            for key in keys:
                mask &= (done[key] == point[key]).to_numpy()
            runs = done[mask]
            interval = sweep_stats.split_interval(runs[column].to_numpy(),
                                                  _split_numbers(sweep, runs), ratio,
                                                  confidence)
            lows.append(interval.low)
            highs.append(interval.high)
            counts.append(interval.n)
        table[f"{column}_ci_low"] = lows
        table[f"{column}_ci_high"] = highs
        table[f"{column}_n"] = counts
    return table


def summary_table(sweep, keys, confidence=0.95):
    """The grid points with their statistics, best first."""
    table = sr.aggregate(sweep.runs, keys, [column for column, _, _ in MEASURES])
    table = add_intervals(sweep, table, keys, confidence)
    return table.sort_values(["val_score_mean", "final_val_loss_mean"],
                             ascending=[False, True], na_position="last", kind="mergesort")


def _candidate_order(runs, names):
    """GridSearchCV's order of the candidates: ParameterGrid takes the
    parameters sorted by name and varies the last fastest, each through its
    values in the order given. The order given is recovered as the order in
    which the values first appear among the runs (sweep varies its written
    last key fastest, so for one grid mapping that is the list order)."""
    positions = []
    for name in names:
        first_seen = {value: place for place, value in
                      enumerate(dict.fromkeys(runs[name].tolist()))}
        positions.append(runs[name].map(first_seen).to_numpy())
    return positions


def cv_results_table(sweep):
    """GridSearchCV's cv_results_ (as scikit-learn 1.2 computes it) from the
    runs of a cross-validated sweep. Columns: mean_fit_time, std_fit_time
    (from `seconds`), param_<name> for every hyperparameter that varies
    (sorted by name), split<i>_test_score (i = repeat * K + fold; the score
    on the fold's rows, sweep's val_score), mean_test_score, std_test_score
    (ddof 0), rank_test_score. A run that failed or has not run scores NaN,
    as error_score=nan gives."""
    if sweep.cv is None:
        raise sr.SweepError(f"{sweep.path}: --format cv_results needs a file made with "
                            "cross-validation (cv: in the config); this one has a single "
                            "holdout")
    runs = sweep.runs
    names = sorted(sweep.swept())
    n_splits = sweep.cv.splits
    split = (runs["repeat"] * sweep.cv.folds + runs["fold"]).to_numpy()
    if names:
        keys = list(zip(*_candidate_order(runs, names)))
        order = sorted(set(keys))
    else:
        keys, order = [()] * len(runs), [()]
    row_of = {key: row for row, key in enumerate(order)}
    scores = np.full((len(order), n_splits), np.nan)
    seconds = np.full((len(order), n_splits), np.nan)
    filled = np.zeros((len(order), n_splits), dtype=bool)
    done = (runs["status"] == sr.STATUS_DONE).to_numpy()
    for run, (key, k) in enumerate(zip(keys, split)):
        row = row_of[key]
        if filled[row, k]:
            raise sr.SweepError(f"{sweep.path}: two runs of one candidate on split {k} "
                                f"(run {runs.index[run]}): not a grid GridSearchCV could make")
        filled[row, k] = True
        seconds[row, k] = runs["seconds"].iat[run]
        if done[run]:
            scores[row, k] = runs["val_score"].iat[run]
    if not filled.all():
        row, k = np.argwhere(~filled)[0]
        raise sr.SweepError(f"{sweep.path}: candidate {row} has no run on split {k} (a shard's "
                            "file? merge the shards first)")
    first_run = {key: run for run, key in reversed(list(enumerate(keys)))}
    columns = {"mean_fit_time": sweep_stats.cv_mean(seconds),
               "std_fit_time": sweep_stats.cv_std(seconds)}
    for name in names:
        columns[f"param_{name}"] = [runs[name].iat[first_run[key]] for key in order]
    for k in range(n_splits):
        columns[f"split{k}_test_score"] = scores[:, k]
    columns["mean_test_score"] = sweep_stats.cv_mean(scores)
    columns["std_test_score"] = sweep_stats.cv_std(scores)
    columns["rank_test_score"] = sweep_stats.cv_rank(columns["mean_test_score"])
    return pd.DataFrame(columns)


def format_interval(mean, low, high, decimals):
    """'0.9780 [0.9712, 0.9848]'; the mean alone without an interval; '-'
    without a finished run."""
    if np.isnan(mean):
        return "-"
    if np.isnan(low) or np.isnan(high):
        return f"{mean:.{decimals}f}"
    return f"{mean:.{decimals}f} [{low:.{decimals}f}, {high:.{decimals}f}]"


def _title(sweep, confidence):
    total, done, failed, pending = sweep.counts()
    runs = "run" if total == 1 else "runs"
    level = f"{confidence * 100:g}%"
    head = f"{sweep.path}: {total} {runs} ({done} done, {failed} failed, {pending} pending); "
    if sweep.cv:
        return (head + f"cross-validation ({sweep.cv.describe()}); mean over seeds and splits "
                f"[{level} corrected resampled t interval over the split means], best val "
                "accuracy first")
    return head + f"mean over seeds [{level} t interval], best val accuracy first"


def text_table(sweep, table, keys, confidence=0.95):
    _, _, failed, pending = sweep.counts()
    lines = [_title(sweep, confidence)]
    measures = [m for m in MEASURES
                if not (m[0] == "test_score" and table["test_score_mean"].isna().all())]
    header = list(keys) + ["runs"] + (["splits"] if sweep.cv else []) + \
        [heading for _, heading, _ in measures]
    rows = []
    for _, point in table.iterrows():
        runs = f"{int(point['done'])}/{int(point['runs'])}"
        splits = [str(int(point["val_score_n"]))] if sweep.cv else []
        rows.append([sr.format_value(key, point[key]) for key in keys] + [runs] + splits +
                    [format_interval(point[f"{column}_mean"], point[f"{column}_ci_low"],
                                     point[f"{column}_ci_high"], decimals)
                     for column, _, decimals in measures])
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    lines.append("  ".join(cell.rjust(width) for cell, width in zip(header, widths)))
    lines.extend("  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows)
    if sweep.cv or failed or pending:
        note = "runs: finished/all, the runs each mean rests on"
        if sweep.cv:
            note += "; splits: the split means each interval rests on"
        if failed or pending:
            note += f"; {sweep.left_out_phrase()} of the averages"
        lines.append(note)
    return "\n".join(lines)


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    sr.check_keys(arguments.by, "--by")
    sweep = sr.open_results(arguments.results)
    if arguments.format == "cv_results":
        table = cv_results_table(sweep)
        table.to_csv(sys.stdout if arguments.csv in (None, "-") else arguments.csv, index=False)
        return 0
    keys = sr.grid_keys(sweep, arguments.by)
    table = summary_table(sweep, keys, arguments.confidence)
    if arguments.csv == "-":
        table.to_csv(sys.stdout, index=False)
        return 0
    if arguments.csv:
        table.to_csv(arguments.csv, index=False)
    print(text_table(sweep, table, keys, arguments.confidence))
    if arguments.csv:
        print(f"wrote {arguments.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(sr.run_main(PROG, main))
