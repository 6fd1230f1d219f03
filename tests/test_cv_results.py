#!/usr/bin/python3
"""test_cv_results.py: `scripts/summarize.py --format cv_results` against
GridSearchCV's cv_results_, and summarize.py's intervals under cv.

The yardsticks do not share code with summarize.py:
- tests/data/gridsearch_wdbc_skf5.csv and gridsearch_wdbc_rskf3x3.csv,
  GridSearchCV's own cv_results_ over a Pipeline of StandardScaler and the
  textbook network (written by tests/textbook_estimator.py);
- results files in the agreed cv layout written here with h5py, whose runs
  carry the fixture's split scores in a scrambled run order and key order:
  the table must give back the fixture's rows, order, means, std (ddof 0)
  and ranks (tolerance 1e-12; ranks exact);
- the real sweep ($SWEEP_BINARY) on the fixture's grid with `cv:` in the
  config, compared with the fixture to 1e-12.
Failed runs give NaN as error_score=nan does, ranked as scikit-learn ranks
them; a holdout file is a one-line error, exit status 2.
"""

import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

import h5py
import numpy as np
import pandas as pd
from scipy import stats

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(SOURCE_DIR, "scripts")
DATA = os.path.join(SOURCE_DIR, "tests", "data")
SUMMARIZE = os.path.join(SCRIPTS, "summarize.py")
BINARY = os.environ.get("SWEEP_BINARY", "")
sys.path.insert(0, SCRIPTS)
import plot_sweep  # noqa: E402
import summarize  # noqa: E402
import sweep_results  # noqa: E402
import sweep_stats  # noqa: E402

TOLERANCE = 1e-12
HYPERPARAMETERS = ("batch_size", "learning_rate", "l1", "l2", "units", "epochs", "seed")
FIXED = {"batch_size": 32, "learning_rate": 0.1, "l1": 0.0, "l2": 0.0, "units": 10,
         "epochs": 50, "seed": 0}
# The fixtures' grid and splitters (see tests/textbook_estimator.py).
GRID = {"batch_size": [32, 128], "l2": [0.0, 0.01, 0.5], "seed": [0, 1]}
FIXTURES = {"gridsearch_wdbc_skf5.csv": {"folds": 5, "repeats": 1, "shuffle": True, "seed": 0},
            "gridsearch_wdbc_rskf3x3.csv": {"folds": 3, "repeats": 3, "shuffle": True,
                                            "seed": 42}}


def read_fixture(name):
    return pd.read_csv(os.path.join(DATA, name), comment="#", float_precision="round_trip")


def read_table(text):
    return pd.read_csv(io.StringIO(text), float_precision="round_trip")


def cv_results(path):
    """summarize.py --format cv_results, run in this process."""
    out = io.StringIO()
    with redirect_stdout(out):
        status = summarize.main([path, "--format", "cv_results"])
    assert status == 0, status
    return read_table(out.getvalue())


def write_cv_file(path, runs, cv, epochs=3, accuracy_curves=False):
    """A results file in the agreed layout: `runs` is a list of dicts with
    the swept hyperparameters, fold, repeat, val_score, seconds and status."""
    n_runs = len(runs)
    with h5py.File(path, "w") as handle:
        for name in HYPERPARAMETERS:
            values = [run.get(name, FIXED[name]) for run in runs]
            kind = np.float64 if name in ("learning_rate", "l1", "l2") else np.int64
            handle[name] = np.asarray(values, dtype=kind)
        handle["epochs"][...] = epochs
        handle["fold"] = np.asarray([run["fold"] for run in runs], dtype=np.int32)
        handle["repeat"] = np.asarray([run["repeat"] for run in runs], dtype=np.int32)
        status = np.asarray([run.get("status", 1) for run in runs], dtype=np.int8)
        handle["status"] = status
        scores = np.asarray([run["val_score"] for run in runs], dtype=np.float64)
        scores[status != 1] = np.nan
        handle["val_score"] = scores
        handle["train_score"] = scores
        handle["test_score"] = np.full(n_runs, 0.95)
        handle["seconds"] = np.asarray([run.get("seconds", 0.01) for run in runs])
        losses = np.full((n_runs, epochs), 0.3)
        losses[:, -1] = [run.get("val_loss", 0.1) for run in runs]
        losses[status != 1, 1:] = np.nan
        handle["train_loss"] = losses
        handle["val_loss"] = losses
        if accuracy_curves:
            handle["train_acc"] = np.where(np.isnan(losses), np.nan, 0.9)
            handle["val_acc"] = np.where(np.isnan(losses), np.nan, scores[:, None])
        handle.attrs["cv_folds"] = np.int64(cv["folds"])
        handle.attrs["cv_repeats"] = np.int64(cv["repeats"])
        handle.attrs["cv_shuffle"] = np.int64(cv["shuffle"])
        handle.attrs["cv_seed"] = np.int64(cv["seed"])


def runs_from_fixture(table, cv, key_order, generator):
    """One run per (candidate, split) carrying the fixture's split score,
    in sweep's order for grid keys written in `key_order` (last fastest),
    the splits of each grid point in a scrambled order."""
    folds = cv["folds"]
    by_params = {tuple(row[f"param_{k}"] for k in sorted(GRID)): row
                 for _, row in table.iterrows()}
    runs = []
    for values in pd.MultiIndex.from_product([GRID[k] for k in key_order]):
        params = dict(zip(key_order, values))
        row = by_params[tuple(params[k] for k in sorted(GRID))]
        splits = generator.permutation(folds * cv["repeats"])
        for split in splits:
            runs.append({**params, "repeat": split // folds, "fold": split % folds,
                         "val_score": row[f"split{split}_test_score"],
                         "seconds": generator.uniform(0.01, 0.2)})
    return runs


def assert_equal_tables(test, got, expected):
    test.assertEqual(len(got), len(expected))
    for column in expected.columns:
        test.assertIn(column, got.columns)
        if column.startswith("param_") or column == "rank_test_score":
            test.assertEqual(got[column].tolist(), expected[column].tolist(), column)
        else:
            np.testing.assert_allclose(got[column], expected[column], rtol=0, atol=TOLERANCE,
                                       err_msg=column)


class SyntheticFiles(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="sweep_cv_results_")
        self.path = os.path.join(self.folder, "cv.h5")

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def test_equals_gridsearch_fixtures(self):
        generator = np.random.RandomState(0)
        for name, cv in FIXTURES.items():
            expected = read_fixture(name)
            for key_order in (("batch_size", "l2", "seed"), ("seed", "l2", "batch_size")):
                with self.subTest(fixture=name, key_order=key_order):
                    runs = runs_from_fixture(expected, cv, key_order, generator)
                    write_cv_file(self.path, runs, cv)
                    got = cv_results(self.path)
                    assert_equal_tables(self, got, expected)
                    splits = cv["folds"] * cv["repeats"]
                    self.assertEqual(
                        list(got.columns),
                        ["mean_fit_time", "std_fit_time", "param_batch_size", "param_l2",
                         "param_seed"] + [f"split{k}_test_score" for k in range(splits)]
                        + ["mean_test_score", "std_test_score", "rank_test_score"])

    def test_fit_times_and_value_order(self):
        """mean/std_fit_time from `seconds` (ddof 0); values listed 128 before
        32 stay in that order, as ParameterGrid keeps a list's order."""
        cv = {"folds": 2, "repeats": 1, "shuffle": False, "seed": 0}
        runs, seconds = [], {}
        for batch_size in (128, 32):
            for fold in (0, 1):
                seconds[(batch_size, fold)] = 0.1 * fold + batch_size / 1000
                runs.append({"batch_size": batch_size, "fold": fold, "repeat": 0,
                             "val_score": 0.5 + fold / 10, "seconds": seconds[(batch_size,
                                                                               fold)]})
        write_cv_file(self.path, runs, cv)
        got = cv_results(self.path)
        self.assertEqual(got["param_batch_size"].tolist(), [128, 32])
        for row, batch_size in enumerate((128, 32)):
            times = np.array([seconds[(batch_size, 0)], seconds[(batch_size, 1)]])
            self.assertAlmostEqual(got["mean_fit_time"][row], times.mean(), delta=TOLERANCE)
            self.assertAlmostEqual(got["std_fit_time"][row], times.std(ddof=0), delta=TOLERANCE)
        self.assertEqual(got["rank_test_score"].tolist(), [1, 1])

    def test_failed_runs_score_nan_and_rank_last(self):
        """A failed fit gives NaN in its split and mean; scikit-learn ranks a
        NaN mean as tied below the worst (its _search.py fills NaN with the
        lowest mean minus 1, then rankdata(method='min'))."""
        cv = {"folds": 3, "repeats": 1, "shuffle": True, "seed": 1}
        scores = {8: [0.9, 0.8, 0.85], 16: [0.95, 0.9, 0.9], 32: [0.7, 0.9, 0.9],
                  64: [0.95, 0.9, 0.9]}
        runs = [{"batch_size": b, "fold": f, "repeat": 0, "val_score": scores[b][f],
                 "status": 2 if (b, f) == (32, 1) else 1}
                for b in scores for f in range(3)]
        write_cv_file(self.path, runs, cv)
        got = cv_results(self.path).set_index("param_batch_size")
        self.assertTrue(math.isnan(got.loc[32, "split1_test_score"]))
        self.assertTrue(math.isnan(got.loc[32, "mean_test_score"]))
        means = np.array([np.mean(scores[b]) for b in (8, 16, 64)])
        filled = np.append(means, means.min() - 1)
        expected = stats.rankdata(-filled, method="min")
        self.assertEqual([got.loc[b, "rank_test_score"] for b in (8, 16, 64, 32)],
                         expected.tolist())
        self.assertEqual(got.loc[16, "rank_test_score"], 1)   # 16 and 64 tie
        self.assertEqual(got.loc[64, "rank_test_score"], 1)
        self.assertEqual(got.loc[32, "rank_test_score"], 4)

    def test_bad_files_one_line(self):
        cv = {"folds": 2, "repeats": 1, "shuffle": False, "seed": 0}
        runs = [{"batch_size": b, "fold": f, "repeat": 0, "val_score": 0.9}
                for b in (8, 16) for f in (0, 1)]
        write_cv_file(self.path, runs[:-1], cv)
        self.assert_one_line_error(self.path, "has no run on split 1")
        write_cv_file(self.path, runs + runs[:1], cv)
        self.assert_one_line_error(self.path, "two runs of one candidate on split 0")
        write_cv_file(self.path, runs, cv)
        with h5py.File(self.path, "a") as handle:
            for name in ("fold", "repeat"):
                del handle[name]
            for name in list(handle.attrs):
                del handle.attrs[name]
        self.assert_one_line_error(self.path, "needs a file made with cross-validation")

    def assert_one_line_error(self, path, fragment):
        result = subprocess.run([SUMMARIZE, path, "--format", "cv_results"],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 2, result.stdout)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertTrue(result.stderr.startswith("summarize.py: "), result.stderr)
        self.assertIn(fragment, result.stderr)


class IntervalsUnderCrossValidation(unittest.TestCase):
    """summarize.py's default table on a cv file: per grid point, seeds
    averaged per split, then the corrected resampled t interval over the
    split means (Nadeau and Bengio), worked out here by hand."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="sweep_cv_summary_")

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def test_interval_by_hand(self):
        cv = {"folds": 4, "repeats": 2, "shuffle": True, "seed": 0}
        generator = np.random.RandomState(3)
        runs = [{"batch_size": b, "seed": s, "repeat": r, "fold": f,
                 "val_score": generator.uniform(0.8, 1.0)}
                for b in (8, 32) for s in (0, 1, 2) for r in range(2) for f in range(4)]
        path = os.path.join(self.folder, "cv.h5")
        write_cv_file(path, runs, cv)
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(summarize.main([path, "--csv", "-"]), 0)
        table = read_table(out.getvalue()).set_index("batch_size")
        for b in (8, 32):
            split_means = [np.mean([run["val_score"] for run in runs
                                    if (run["batch_size"], run["repeat"], run["fold"])
                                    == (b, r, f)]) for r in range(2) for f in range(4)]
            d = np.array(split_means)
            j = d.size
            half = stats.t.ppf(0.975, j - 1) * math.sqrt(d.var(ddof=1) * (1 / j + 1 / 3))
            self.assertAlmostEqual(table.loc[b, "val_score_ci_low"], d.mean() - half,
                                   delta=TOLERANCE)
            self.assertAlmostEqual(table.loc[b, "val_score_ci_high"], d.mean() + half,
                                   delta=TOLERANCE)
            self.assertEqual(table.loc[b, "val_score_n"], 8)
            self.assertEqual(table.loc[b, "done"], 24)
        text = subprocess.run([SUMMARIZE, path], capture_output=True, text=True, timeout=120)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn("cross-validation (4 folds x 2 repeats, shuffled, seed 0)", text.stdout)
        self.assertIn("corrected resampled t interval", text.stdout)


class PlotsUnderCrossValidation(unittest.TestCase):
    """plot_sweep.py on a cv file: which differences from the best batch
    size are resolved, the figures, and the accuracy curves."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="sweep_cv_plots_")
        self.path = os.path.join(self.folder, "cv.h5")
        generator = np.random.RandomState(5)
        # 8 and 32 differ by noise alone; 128 is 0.05 worse on every split
        self.cv = {"folds": 5, "repeats": 2, "shuffle": True, "seed": 0}
        self.runs = [{"batch_size": b, "seed": s, "repeat": r, "fold": f,
                      "val_score": 0.95 - 0.05 * (b == 128) + generator.normal(0, 0.01)}
                     for b in (8, 32, 128) for s in (0, 1) for r in range(2) for f in range(5)]

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def test_resolved_from_best(self):
        write_cv_file(self.path, self.runs, self.cv)
        sweep = sweep_results.open_results(self.path)
        figures = plot_sweep.Figures(sweep, "val_loss", self.folder, 50, False)
        resolved = figures.resolved_from_best(sweep.done, "val_score")
        means = sweep.done.groupby("batch_size")["val_score"].mean()
        best = means.idxmax()
        self.assertIn(best, (8, 32))
        self.assertNotIn(best, resolved)
        self.assertTrue(resolved[128])
        # the other of 8 and 32: resolved exactly when the corrected interval
        # over the split means of the paired differences, worked out here,
        # excludes 0
        other = 40 - best
        by_key = {(r["batch_size"], r["seed"], r["repeat"], r["fold"]): r["val_score"]
                  for r in self.runs}
        d = np.array([np.mean([by_key[(best, s, r, f)] - by_key[(other, s, r, f)]
                               for s in (0, 1)]) for r in range(2) for f in range(5)])
        half = stats.t.ppf(0.975, 9) * math.sqrt(d.var(ddof=1) * (1 / 10 + 1 / 4))
        self.assertEqual(resolved[other], not (d.mean() - half <= 0 <= d.mean() + half))

    def test_figures_and_accuracy_curves(self):
        write_cv_file(self.path, self.runs, self.cv, accuracy_curves=True)
        out = os.path.join(self.folder, "figures")
        cases = [([], "loss_curves.png")]
        # the accuracy curves are read by sweep_results once the results
        # file has them (ACCURACY_CURVES); until then --curve accuracy is
        # the one-line error checked below
        accuracy_readable = hasattr(sweep_results, "ACCURACY_CURVES")
        if accuracy_readable:
            cases.append((["--curve", "accuracy"], "accuracy_curves.png"))
        for extra, expected in cases:
            result = subprocess.run([os.path.join(SCRIPTS, "plot_sweep.py"), self.path,
                                     "-o", out, "--dpi", "40", *extra],
                                    capture_output=True, text=True, timeout=240)
            self.assertEqual(result.returncode, 0, result.stderr)
            written = {os.path.basename(line) for line in result.stdout.split()}
            self.assertEqual(written, {expected, "accuracy.png", "convergence.png"})
        if accuracy_readable:
            write_cv_file(self.path, self.runs, self.cv)
        result = subprocess.run([os.path.join(SCRIPTS, "plot_sweep.py"), self.path, "-o", out,
                                 "--curve", "accuracy"], capture_output=True, text=True,
                                timeout=240)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn("no 'val_acc' curves", result.stderr)

    def test_curve_interval_equals_split_interval(self):
        generator = np.random.RandomState(9)
        curves = generator.normal(size=(20, 6))
        curves[3, 2:] = np.nan        # a run of fewer epochs
        splits = np.arange(20) % 5
        mean, low, high = sweep_stats.curve_interval(curves, splits, 0.25)
        plain = sweep_stats.curve_interval(curves)
        for epoch in range(6):
            one = sweep_stats.split_interval(curves[:, epoch], splits, 0.25)
            self.assertAlmostEqual(low[epoch], one.low, delta=TOLERANCE)
            self.assertAlmostEqual(high[epoch], one.high, delta=TOLERANCE)
            column = curves[:, epoch]
            naive = stats.ttest_1samp(column[~np.isnan(column)], 0).confidence_interval(0.95)
            self.assertAlmostEqual(plain[1][epoch], naive.low, delta=TOLERANCE)
            self.assertAlmostEqual(plain[2][epoch], naive.high, delta=TOLERANCE)


CV_CONFIG = """\
name: cv_results_test
dataset: wdbc
model: {{units: 10, learning_rate: 0.1, epochs: 50}}
grid:
  batch_size: [32, 128]
  l2: [0.0, 0.01, 0.5]
  seed: [0, 1]
cv: {cv}
"""


class RealSweep(unittest.TestCase):
    """The real sweep on the fixtures' grid equals GridSearchCV's table."""

    def setUp(self):
        if not BINARY:
            raise unittest.SkipTest("SWEEP_BINARY is not set (CTest sets it to the built sweep)")
        self.folder = tempfile.mkdtemp(prefix="sweep_cv_real_")

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def run_sweep(self, cv_text):
        config = os.path.join(self.folder, "cv.yaml")
        with open(config, "w") as handle:
            handle.write(CV_CONFIG.format(cv=cv_text))
        output = os.path.join(self.folder, "cv.h5")
        result = subprocess.run([BINARY, config, "-o", output, "-j", "2"], capture_output=True,
                                text=True, timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr)
        return output

    def test_skf5(self):
        path = self.run_sweep("{folds: 5, shuffle: true, seed: 0}")
        assert_equal_tables(self, cv_results(path), read_fixture("gridsearch_wdbc_skf5.csv"))

    def test_rskf3x3(self):
        path = self.run_sweep("{folds: 3, repeats: 3, shuffle: true, seed: 42}")
        assert_equal_tables(self, cv_results(path), read_fixture("gridsearch_wdbc_rskf3x3.csv"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
