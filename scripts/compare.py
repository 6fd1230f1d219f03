#!/usr/bin/python3
"""compare.py: does a hyperparameter matter? Paired differences with intervals.

For each pair of values A, B of the hyperparameter given with --by, the
difference A - B in final val accuracy and in final val loss, paired over
everything else (the seed, the fold and repeat under cross-validation, and
the other hyperparameters): two finished runs form a pair when they differ
in --by alone. Printed: the mean difference, its confidence interval (95%
unless --confidence) and a plain verdict, "no evidence of a difference"
when the interval contains 0, else which value is better (higher accuracy,
lower loss); and the two-sided p-value of the same t test.

- Without cross-validation (one holdout): the paired t interval over the
  pairs (as scipy.stats.ttest_rel). It treats the pairs as independent
  draws and covers the randomness of training on this one val set, not
  how the difference would change on other data.
- With cross-validation (per-run `fold` and `repeat` datasets, root
  attributes `cv_folds`, `cv_repeats`): the pairs of each split (repeat,
  fold) are averaged, since runs on one split share their rows, and the J
  split means go into the corrected resampled t test of Nadeau and Bengio
  (2003): the variance of their mean is s^2 (1/J + n_test/n_train), with
  n_test/n_train = 1/(folds - 1), which accounts for the overlap of the
  splits' training rows; t with J - 1 degrees of freedom.

    scripts/compare.py results/batch_grid.h5 --by batch_size
    scripts/compare.py results/batch_grid.h5 --by l2 --csv l2.csv

Errors are one line, "compare.py: what is wrong", exit status 2.
"""

import argparse
import difflib
import itertools
import math
import os
import sys

import h5py
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep_results  # noqa: E402  (the scripts folder, whatever the working directory)
import sweep_stats  # noqa: E402

PROG = "compare.py"
HYPERPARAMETERS = ("batch_size", "learning_rate", "l1", "l2", "units", "epochs", "seed")
INTEGER_KEYS = ("batch_size", "units", "epochs", "seed")
STATUS_DONE = 1
# (column of the runs table, name in the output)
METRICS = (("val_score", "val_acc"), ("final_val_loss", "val_loss"))
ROW_BLOCK = 4096    # runs of val_loss read at a time


class CompareError(Exception):
    """A problem to report as one line and exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"{self.prog}: {message} (see --help)\n")
        sys.exit(2)


def parse_arguments(argv):
    parser = OneLineParser(prog=PROG, description="Paired differences in val accuracy and val "
                           "loss between the values of one hyperparameter, with confidence "
                           "intervals.")
    parser.add_argument("results", metavar="RESULTS.h5", help="results file written by sweep")
    parser.add_argument("--by", required=True, metavar="KEY",
                        help="the hyperparameter to compare: one of " + ", ".join(HYPERPARAMETERS))
    parser.add_argument("--confidence", type=float, default=0.95, metavar="LEVEL",
                        help="confidence level of the intervals (default 0.95)")
    parser.add_argument("--against", type=float, metavar="VALUE",
                        help="only the pairs that include this value of --by (say, the best "
                        "one): A is VALUE, B each other value")
    parser.add_argument("--where", metavar="KEY=VALUE", action="append", default=[],
                        help="only the runs with this value of another hyperparameter "
                        "(repeatable), e.g. --where batch_size=1")
    parser.add_argument("--csv", metavar="OUT",
                        help="also write the comparisons as CSV to OUT ('-': CSV on stdout "
                        "instead of the text)")
    arguments = parser.parse_args(argv)
    if arguments.by not in HYPERPARAMETERS:
        close = difflib.get_close_matches(arguments.by, HYPERPARAMETERS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise CompareError(f"--by: unknown key '{arguments.by}'{hint}; keys: "
                           + ", ".join(HYPERPARAMETERS))
    if not 0.0 < arguments.confidence < 1.0:
        raise CompareError(f"--confidence: must be between 0 and 1, got {arguments.confidence}")
    arguments.where = [parse_where(text, arguments.by) for text in arguments.where]
    return arguments


def parse_where(text, by):
    """'batch_size=1' -> ('batch_size', 1.0), checked."""
    key, sign, value = text.partition("=")
    key = key.strip()
    if not sign or key not in HYPERPARAMETERS or key == by:
        raise CompareError(f"--where: expected KEY=VALUE with KEY a hyperparameter other than "
                           f"--by ({', '.join(HYPERPARAMETERS)}), got '{text}'")
    try:
        return key, float(value)
    except ValueError:
        raise CompareError(f"--where: '{value}' is not a number in '{text}'") from None


def select(runs, where):
    """The runs matching every (key, value) of `where`; an error when none do."""
    for key, value in where:
        chosen = runs[runs[key] == value]
        if chosen.empty:
            shown = ", ".join(format_value(key, v) for v in sorted(runs[key].unique()))
            raise CompareError(f"--where: no run has {key} = {format_value(key, value)} "
                               f"(values: {shown})")
        runs = chosen
    return runs


def _final_values(dataset):
    """Each row's last non-NaN value (NaN for a row without any)."""
    n_runs = dataset.shape[0]
    result = np.full(n_runs, np.nan)
    for start in range(0, n_runs, ROW_BLOCK):
        block = np.asarray(dataset[start:start + ROW_BLOCK], dtype=np.float64)
        finite = ~np.isnan(block)
        has_any = finite.any(axis=1)
        last = block.shape[1] - 1 - np.argmax(finite[:, ::-1], axis=1)
        values = block[np.arange(block.shape[0]), last] if block.shape[1] else result[:0]
        result[start:start + block.shape[0]] = np.where(has_any, values, np.nan)
    return result


def _read_column(handle, path, name, n_runs):
    data = handle[name]
    if not isinstance(data, h5py.Dataset) or data.shape != (n_runs,):
        raise CompareError(f"{path}: malformed results file: '{name}' has shape "
                           f"{getattr(data, 'shape', None)}, expected ({n_runs},)")
    return data[()]


def read_runs(path):
    """(runs table, cv) from a results file: one row per run with the
    hyperparameters, status, val_score, final_val_loss and, under
    cross-validation, fold and repeat; cv is (folds, repeats) or None."""
    if not os.path.exists(path):
        raise CompareError(f"{path}: no such file")
    if os.path.isdir(path) or not h5py.is_hdf5(path):
        raise CompareError(f"{path}: not an HDF5 file")
    with h5py.File(path, "r") as handle:
        for name in ("status", "val_score", "val_loss") + HYPERPARAMETERS:
            if name not in handle or not isinstance(handle[name], h5py.Dataset):
                raise CompareError(f"{path}: not a sweep results file (no '{name}' dataset)")
        if handle["status"].ndim != 1:
            raise CompareError(f"{path}: malformed results file: 'status' is not 1-dimensional")
        n_runs = handle["status"].shape[0]
        runs = pd.DataFrame({name: _read_column(handle, path, name, n_runs)
                             for name in HYPERPARAMETERS + ("status", "val_score")})
        if handle["val_loss"].ndim != 2 or handle["val_loss"].shape[0] != n_runs:
            raise CompareError(f"{path}: malformed results file: 'val_loss' has shape "
                               f"{handle['val_loss'].shape}, expected ({n_runs}, epochs)")
        runs["final_val_loss"] = _final_values(handle["val_loss"])
        cv = _read_cv(handle, path, runs, n_runs)
    for name in INTEGER_KEYS + ("status",):
        runs[name] = runs[name].astype(np.int64)
    for name in ("learning_rate", "l1", "l2", "val_score", "final_val_loss"):
        runs[name] = runs[name].astype(np.float64)
    return runs, cv


def _read_cv(handle, path, runs, n_runs):
    """Add fold and repeat columns under cross-validation; (folds, repeats) or None.
    The checks are sweep_results.read_cv's, shared with summarize.py."""
    try:
        cv, fold, repeat = sweep_results.read_cv(path, handle, n_runs)
    except sweep_results.SweepError as error:
        raise CompareError(str(error)) from None
    if cv is None:
        return None
    runs["fold"] = fold
    runs["repeat"] = repeat
    return cv.folds, cv.repeats


def format_value(key, value):
    if key in INTEGER_KEYS:
        return str(int(value))
    return format(float(value), "g")


def paired_differences(runs, by, first, second, pair_keys, column):
    """A table of pair_keys and `difference` (first - second) for every pair
    of finished runs equal in pair_keys; raises when a key repeats."""
    done = runs[runs["status"] == STATUS_DONE]
    sides = []
    for value in (first, second):
        side = done[done[by] == value].set_index(pair_keys)[column]
        if not side.index.is_unique:
            raise CompareError(f"two finished runs with {by} = {format_value(by, value)} "
                               "agree in every other setting: nothing to pair them by")
        sides.append(side)
    joined = pd.concat(sides, axis=1, join="inner", keys=["first", "second"])
    joined["difference"] = joined["first"] - joined["second"]
    return joined.reset_index()


# Which sign of A - B means A is better.
HIGHER_IS_BETTER = {"val_acc": True, "val_loss": False}


def verdict(interval, by, first, second, name):
    """'no evidence of a difference' when the interval contains 0, else
    'batch_size 8 better than 32' (higher accuracy, lower loss)."""
    if not interval.has_interval:
        return "too few pairs for an interval"
    if interval.contains_zero():
        return "no evidence of a difference"
    first_better = (interval.mean > 0) == HIGHER_IS_BETTER[name]
    better, worse = (first, second) if first_better else (second, first)
    return f"{by} {format_value(by, better)} better than {format_value(by, worse)}"


def value_pairs(values, by, against):
    """Every pair (A, B) of values in order; with `against`, (against, B)
    for every other B."""
    if against is None:
        return list(itertools.combinations(values, 2))
    matches = [value for value in values if value == against]
    if not matches:
        shown = ", ".join(format_value(by, v) for v in values)
        raise CompareError(f"--against: {format_value(by, against)} is not a value of {by} "
                           f"among the finished runs ({shown})")
    return [(matches[0], value) for value in values if value != against]


def compare(runs, cv, by, confidence, against=None):
    """One dict per (pair of values, metric), in value order."""
    others = [key for key in HYPERPARAMETERS if key != by]
    pair_keys = others + (["repeat", "fold"] if cv else [])
    values = sorted(runs.loc[runs["status"] == STATUS_DONE, by].unique())
    if len(values) < 2:
        shown = ", ".join(format_value(by, v) for v in values) or "none"
        raise CompareError(f"--by {by}: finished runs have fewer than two values of {by} "
                           f"({shown}): nothing to compare")
    rows = []
    for first, second in value_pairs(values, by, against):
        for column, name in METRICS:
            pairs = paired_differences(runs, by, first, second, pair_keys, column)
            pairs = pairs[np.isfinite(pairs["difference"])]
            if cv:
                per_split = pairs.groupby(["repeat", "fold"])["difference"].mean()
                interval = sweep_stats.corrected_interval(per_split.to_numpy(),
                                                          1.0 / (cv[0] - 1), confidence)
                test = "corrected resampled t"
            else:
                interval = sweep_stats.mean_interval(pairs["difference"].to_numpy(), confidence)
                test = "paired t"
            rows.append({"by": by, "a": first, "b": second, "metric": name,
                         "mean_difference": interval.mean, "ci_low": interval.low,
                         "ci_high": interval.high, "p_value": interval.p_value,
                         "pairs": len(pairs), "n": interval.n, "test": test,
                         "verdict": verdict(interval, by, first, second, name)})
    return rows


def describe(path, runs, cv, by, confidence):
    """The header line: what was paired and which test."""
    others = [key for key in HYPERPARAMETERS
              if key != by and runs[key].nunique() > 1]
    over = ", ".join(f"{key} ({runs[key].nunique()} values)" for key in others)
    level = f"{confidence * 100:g}%"
    if cv:
        folds, repeats = cv
        return (f"{path}: {by}, differences A - B paired over "
                f"{over + ', ' if over else ''}fold and repeat; {level} corrected resampled t "
                f"intervals (Nadeau and Bengio) over the splits' mean differences "
                f"({folds} folds x {repeats} repeats)")
    return (f"{path}: {by}, differences A - B paired over {over or 'nothing else'}; "
            f"{level} paired t intervals over the pairs (one holdout: the randomness of "
            "training on this val set)")


def text_table(rows, by):
    header = ["A", "B", "metric", "mean diff", "interval", "p", "n", "verdict"]
    lines = []
    for row in rows:
        interval = (f"[{row['ci_low']:+.5f}, {row['ci_high']:+.5f}]"
                    if not math.isnan(row["ci_low"]) else "-")
        mean = f"{row['mean_difference']:+.5f}" if not math.isnan(row["mean_difference"]) else "-"
        p_value = "-" if math.isnan(row["p_value"]) else f"{row['p_value']:.3g}"
        lines.append([format_value(by, row["a"]), format_value(by, row["b"]), row["metric"],
                      mean, interval, p_value, str(row["n"]), row["verdict"]])
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]
    out = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths)).rstrip()]
    out += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
            for line in lines]
    return "\n".join(out)


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    runs, cv = read_runs(arguments.results)
    runs = select(runs, arguments.where)
    rows = compare(runs, cv, arguments.by, arguments.confidence, arguments.against)
    table = pd.DataFrame(rows)
    if arguments.csv == "-":
        table.to_csv(sys.stdout, index=False)
        return 0
    if arguments.csv:
        table.to_csv(arguments.csv, index=False)
    print(describe(arguments.results, runs, cv, arguments.by, arguments.confidence))
    print(text_table(rows, arguments.by))
    print("p: two-sided p-value of the same t test (no correction for the number of "
          "pairs compared); n: pairs (holdout) or splits (cross-validation) each interval "
          "rests on")
    if arguments.csv:
        print(f"wrote {arguments.csv}")
    return 0


def run_main():
    try:
        return main()
    except (CompareError, sweep_stats.StatsError) as error:
        sys.stderr.write(f"{PROG}: {error}\n")
    except BrokenPipeError:        # `compare.py ... | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        sys.stderr.write(f"{PROG}: {where}{error.strerror or error}\n")
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except Exception as error:     # never a traceback: a file we did not foresee
        sys.stderr.write(f"{PROG}: cannot read the results: {type(error).__name__}: {error}\n")
    return 2


if __name__ == "__main__":
    sys.exit(run_main())
