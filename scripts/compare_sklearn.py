#!/usr/bin/python3
"""compare_sklearn.py: scikit-learn's MLPClassifier beside sweep, run by run.

    scripts/compare_sklearn.py                          # configs/book.yaml
    scripts/compare_sklearn.py --config configs/batch_grid.yaml
    scripts/compare_sklearn.py --results results/batch_grid.h5

The grid and sweep's accuracies come from a results file: the one given with
--results, or else one written to a temporary folder by running the sweep
binary on --config (default configs/book.yaml). For every run of that file
one MLPClassifier is fitted with the seed notes' settings,

    MLPClassifier(hidden_layer_sizes=(units,), activation='logistic',
                  solver='sgd', alpha=l2, batch_size=batch_size,
                  learning_rate_init=learning_rate, max_iter=1000,
                  random_state=seed)

on the same train rows with the same standardization (the train rows' mean
and population std), and both tools' accuracies are printed side by side.
sklearn has no L1 penalty and no fixed epoch count: it stops when its
training loss stops improving. the README ("Reproducing the batch-size comparison") explains why the numbers
differ.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd

import sweep_results as sr

PROG = "compare_sklearn.py"
DEFAULT_CONFIG = os.path.join("configs", "book.yaml")


def parse_arguments(argv):
    parser = sr.OneLineParser(prog=PROG, description="Fit scikit-learn's MLPClassifier on "
                              "each grid point of a sweep and print both tools' accuracies.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="CONFIG",
                        help="run sweep on this config first (default: configs/book.yaml "
                        "of this source tree)")
    source.add_argument("--results", metavar="RESULTS.h5",
                        help="take the grid and sweep's accuracies from this results file "
                        "instead of running sweep")
    parser.add_argument("--sweep", metavar="BINARY",
                        help="the sweep program (default: $SWEEP_BINARY, build/sweep, or "
                        "sweep on the PATH)")
    parser.add_argument("--max-iter", type=int, default=1000, metavar="N",
                        help="MLPClassifier's max_iter (default: 1000, the seed notes')")
    parser.add_argument("--momentum", type=float, default=0.9, metavar="M",
                        help="MLPClassifier's momentum (default: 0.9, sklearn's default, as "
                        "in the seed notes; 0 gives plain SGD like the textbook)")
    parser.add_argument("--csv", metavar="OUT", help="also write the per-run table as CSV "
                        "('-': CSV on stdout instead of the text table)")
    arguments = parser.parse_args(argv)
    if arguments.max_iter < 1:
        parser.error("--max-iter must be >= 1")
    if not 0.0 <= arguments.momentum <= 1.0:
        parser.error("--momentum must be between 0 and 1")
    return arguments


# -- the sweep side ----------------------------------------------------------

def find_sweep_binary(requested):
    if requested:
        return requested
    candidates = [os.environ.get("SWEEP_BINARY"),
                  os.path.join(sr.repo_root(), "build", "sweep"),
                  shutil.which("sweep")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise sr.SweepError("no sweep binary found (build one with scripts/sweep, pass --sweep "
                        "BINARY, or compare an existing file with --results)")


def run_sweep(binary, config, folder):
    """Run the sweep quietly into `folder`; returns the results file's path."""
    output = os.path.join(folder, "compare_sklearn.h5")
    try:
        finished = subprocess.run([binary, config, "-o", output, "-q"], capture_output=True,
                                  text=True, check=False)
    except OSError as error:
        raise sr.SweepError(f"{binary}: cannot run: {error.strerror}") from None
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {finished.returncode}"
        raise sr.SweepError(f"sweep failed (exit status {finished.returncode}): {reason}")
    return output


# -- the data ----------------------------------------------------------------

def _dataset_spec(sweep):
    """The effective config's `dataset:` as a dict with path, target, split and
    standardize; path None for the built-in wdbc set. sweep writes it as a
    mapping ({builtin: wdbc, ...} or {path: my.csv, ...}); a bare name is the
    short form a user may write."""
    import yaml  # python3-yaml; only needed here

    try:
        effective = yaml.safe_load(sweep.attrs.get("effective_config") or "")
    except yaml.YAMLError:
        effective = None
    dataset = effective.get("dataset") if isinstance(effective, dict) else None
    if dataset is None:
        dataset = sweep.attrs.get("dataset", "wdbc")
    if isinstance(dataset, str):
        dataset = {"builtin": dataset} if dataset == "wdbc" else {"path": dataset}
    if not isinstance(dataset, dict):
        raise sr.SweepError(f"{sweep.path}: cannot tell which data set it was trained on")
    spec = {"target": str(dataset.get("target", "target")),
            "split": dataset.get("split", "split" if "builtin" in dataset else None),
            "standardize": bool(dataset.get("standardize", True))}
    if "path" in dataset:
        spec["path"] = str(dataset["path"])
    elif dataset.get("builtin") == "wdbc":
        spec["path"] = None
    else:
        raise sr.SweepError(f"{sweep.path}: unknown data set {dataset!r}")
    return spec


def _resolve_data_path(sweep, spec, config_hint):
    """A user CSV's path is relative to the config's folder; try the places
    the config may have been."""
    path = spec["path"]
    if os.path.isabs(path):
        return path
    folders = [os.path.dirname(p) for p in (config_hint, sweep.attrs.get("config_path"))
               if isinstance(p, str) and p]
    folders.append(os.getcwd())
    for folder in folders:
        candidate = os.path.join(folder, path)
        if os.path.exists(candidate):
            return candidate
    raise sr.SweepError(f"{sweep.path}: data set '{path}' not found (looked relative to "
                        + ", ".join(folders or ["."]) + ")")


def load_split(sweep, config_hint=None):
    """(x_train, y_train, x_val, y_val, x_test, y_test) standardized as sweep does:
    with the train rows' mean and population std (ddof 0)."""
    spec = _dataset_spec(sweep)
    if spec["path"] is None:
        path = os.path.join(sr.repo_root(), "data", "wdbc.csv")
    else:
        path = _resolve_data_path(sweep, spec, config_hint)
        if not spec["split"]:
            raise sr.SweepError(f"{path}: only data sets with a split column are supported "
                                "(sweep's own stratified split is not reproduced here)")
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise sr.SweepError(f"{path}: cannot read: {error}") from None
    for column in (spec["target"], spec["split"]):
        if column not in frame.columns:
            raise sr.SweepError(f"{path}: no column '{column}'")
    features = [c for c in frame.columns if c not in (spec["target"], spec["split"])]
    parts = []
    for name in ("train", "val", "test"):
        rows = frame[frame[spec["split"]] == name]
        parts.append((rows[features].to_numpy(dtype=np.float64),
                      rows[spec["target"]].to_numpy(dtype=np.int64)))
    for (x, _), name in zip(parts, ("n_train", "n_val", "n_test")):
        expected = sweep.attrs.get(name)
        if expected is not None and int(expected) != len(x):
            raise sr.SweepError(f"{path}: {len(x)} {name[2:]} rows, but {sweep.path} was "
                                f"trained with {int(expected)}: not the same split")
    if spec["standardize"]:
        mean, std = parts[0][0].mean(axis=0), parts[0][0].std(axis=0)
        parts = [((x - mean) / std, y) for x, y in parts]
    return [array for part in parts for array in part]


# -- the sklearn side --------------------------------------------------------

def fit_sklearn(run, data, max_iter, momentum):
    """Fit one MLPClassifier; returns its train/val/test accuracy and epochs."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_train, y_train, x_val, y_val, x_test, y_test = data
    model = MLPClassifier(hidden_layer_sizes=(int(run.units),), activation="logistic",
                          solver="sgd", alpha=float(run.l2),
                          batch_size=int(min(run.batch_size, len(x_train))),
                          learning_rate_init=float(run.learning_rate), max_iter=max_iter,
                          momentum=momentum, random_state=int(run.seed))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            model.fit(x_train, y_train)
        except ValueError as error:
            # sklearn's own divergence ("Solver produced non-finite parameter
            # weights") is a result of this grid point, not a failure of the
            # comparison: the point is reported as diverged, its scores NaN.
            if "non-finite" not in str(error):
                raise
            return {"sklearn_train_score": np.nan, "sklearn_val_score": np.nan,
                    "sklearn_test_score": np.nan, "sklearn_epochs": -1,
                    "sklearn_stop": "diverged"}
    hit_max_iter = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return {"sklearn_train_score": model.score(x_train, y_train),
            "sklearn_val_score": model.score(x_val, y_val),
            "sklearn_test_score": model.score(x_test, y_test) if len(x_test) else np.nan,
            "sklearn_epochs": int(model.n_iter_),
            "sklearn_stop": "max_iter" if hit_max_iter else "tol"}


def compare(sweep, data, max_iter, momentum):
    """The per-run table: the hyperparameters, sweep's scores, sklearn's."""
    rows = []
    for run in sweep.runs.itertuples():
        row = {"run": run.Index}
        row.update({key: getattr(run, key) for key in sr.HYPERPARAMETERS})
        row["status"] = run.status
        for name in ("train_score", "val_score", "test_score"):
            row[f"sweep_{name}"] = getattr(run, name)
        row.update(fit_sklearn(run, data, max_iter, momentum))
        rows.append(row)
    return pd.DataFrame(rows)


# -- output ------------------------------------------------------------------

def _accuracy(value):
    return "-" if np.isnan(value) else format(value, ".15g")


def _render(header, rows):
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(header, widths))]
    lines.extend("  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows)
    return lines


def text_report(sweep, table, max_iter, momentum):
    keys = [key for key in sweep.swept() if key != "seed"] or ["batch_size"]
    has_test = table["sweep_test_score"].notna().any() or table["sklearn_test_score"].notna().any()
    scores = [("val_score", "val")] + ([("test_score", "test")] if has_test else [])
    header = ["run"] + keys + ["seed"]
    for _, label in scores:
        header += [f"sweep_{label}", f"sklearn_{label}"]
    header += ["sklearn_epochs"]
    rows = []
    for _, row in table.iterrows():
        cells = [str(int(row["run"]))] + [sr.format_value(k, row[k]) for k in keys + ["seed"]]
        for name, _ in scores:
            cells += [_accuracy(row[f"sweep_{name}"]), _accuracy(row[f"sklearn_{name}"])]
        if row["sklearn_stop"] == "diverged":
            cells.append("diverged")
        else:
            stop = "" if row["sklearn_stop"] == "tol" else " (max_iter)"
            cells.append(f"{int(row['sklearn_epochs'])}{stop}")
        rows.append(cells)
    lines = [f"{sweep.path}: {len(table)} runs; accuracy after training "
             f"(sweep: {_epochs_phrase(table)}; sklearn: until its loss stops improving, "
             f"at most {max_iter} epochs)"]
    lines += _render(header, rows)

    if table["seed"].nunique() > 1:
        runs = table.rename(columns={"sweep_val_score": "sweep_val",
                                     "sklearn_val_score": "sklearn_val"})
        runs["status"] = sr.STATUS_DONE  # sklearn's column is averaged over every fit
        runs["sweep_val"] = table["sweep_val_score"].where(table["status"] == sr.STATUS_DONE)
        point_keys = [key for key in sweep.swept() if key != "seed"]
        means = sr.aggregate(runs, point_keys, ["sweep_val", "sklearn_val"])
        header = point_keys + ["seeds", "sweep_val (mean ± std)", "sklearn_val (mean ± std)"]
        rows = [[sr.format_value(k, point[k]) for k in point_keys] + [str(int(point["runs"]))] +
                [sr.format_mean_std(point[f"{c}_mean"], point[f"{c}_std"], 4)
                 for c in ("sweep_val", "sklearn_val")]
                for _, point in means.iterrows()]
        lines += ["", "mean ± std (ddof 1) over seeds:"] + _render(header, rows)

    notes = [f"sklearn: MLPClassifier(hidden_layer_sizes=(units,), activation='logistic', "
             f"solver='sgd', alpha=l2, batch_size, learning_rate_init=learning_rate, "
             f"max_iter={max_iter}, momentum={momentum:g}, random_state=seed)"]
    not_done = int((table["status"] != sr.STATUS_DONE).sum())
    if not_done:
        notes.append(f"{not_done} runs not done in sweep ('-'): fitted by sklearn anyway")
    diverged = int((table["sklearn_stop"] == "diverged").sum())
    if diverged:
        notes.append(f"{diverged} sklearn fits diverged (non-finite weights): '-' and "
                     f"'diverged' above, left out of the means")
    if (table["l1"] > 0).any():
        notes.append("l1 > 0 in some runs: sklearn has no L1 penalty, it was ignored there")
    notes.append("why the two differ: README.md, Reproducing the batch-size comparison")
    return "\n".join(lines + [""] + notes)


def _epochs_phrase(table):
    epochs = sorted(set(int(e) for e in table["epochs"]))
    if len(epochs) == 1:
        return f"{epochs[0]} epochs"
    return f"{epochs[0]}-{epochs[-1]} epochs"


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="compare_sklearn.") as folder:
        config = None
        if arguments.results:
            results = arguments.results
        else:
            config = arguments.config or os.path.join(sr.repo_root(), DEFAULT_CONFIG)
            if not os.path.isfile(config):
                raise sr.SweepError(f"{config}: no such file")
            results = run_sweep(find_sweep_binary(arguments.sweep), config, folder)
        sweep = sr.open_results(results)
        data = load_split(sweep, config)
        table = compare(sweep, data, arguments.max_iter, arguments.momentum)
    if arguments.results is None:
        sweep.path = config  # the temporary file is gone; name what the user gave
    if arguments.csv == "-":
        table.to_csv(sys.stdout, index=False)
        return 0
    if arguments.csv:
        table.to_csv(arguments.csv, index=False)
    print(text_report(sweep, table, arguments.max_iter, arguments.momentum))
    if arguments.csv:
        print(f"wrote {arguments.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(sr.run_main(PROG, main))
