#!/usr/bin/python3
"""test_compare.py: scripts/compare.py and scripts/sweep_stats.py.

The numbers are checked against computations that do not share their code:
- a results file made by the real sweep ($SWEEP_BINARY; 3 batch sizes x 2
  l2 x 4 seeds, 15 epochs), compared by batch size: every interval equals
  scipy.stats.ttest_rel's on the pairs gathered here with h5py (1e-12);
- synthetic files written here with h5py that carry `fold` and `repeat`
  datasets and the cv root attributes: the corrected resampled t interval
  equals the formula of Nadeau and Bengio worked out here (1e-12), and a
  difference built into the scores is found while a null one is not;
- sweep_stats' GridSearchCV statistics (mean, population std, rank with
  shared best ranks) equal GridSearchCV's own cv_results_ (exact) and
  scipy's rankdata(method='min');
- every bad input gives one line on stderr and exit status 2, never a
  traceback.
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
COMPARE = os.path.join(SCRIPTS, "compare.py")
BINARY = os.environ.get("SWEEP_BINARY", "")
sys.path.insert(0, SCRIPTS)
import compare        # noqa: E402
import sweep_stats    # noqa: E402

HYPERPARAMETERS = ("batch_size", "learning_rate", "l1", "l2", "units", "epochs", "seed")
TOLERANCE = 1e-12

SMALL_CONFIG = """\
name: compare_test
dataset: wdbc
model: {units: 10, learning_rate: 0.1, epochs: 15}
grid:
  batch_size: [16, 32, 128]
  l2: [0.0, 0.01]
  seed: {range: [0, 4]}
"""


def run_compare(*args):
    return subprocess.run([sys.executable, COMPARE, *args], capture_output=True, text=True,
                          timeout=120)


def compare_csv(*args):
    """compare.py's CSV, run in this process (importing pandas once per
    process is most of a run's time); the command line itself is run by the
    text and bad-input tests."""
    out = io.StringIO()
    with redirect_stdout(out):
        status = compare.main([*args, "--csv", "-"])
    assert status == 0, status
    return pd.read_csv(io.StringIO(out.getvalue()))


def write_cv_file(path, scores, losses, batch_sizes, seeds, folds, repeats, status=None):
    """A results file in the planned cv layout: one run per (batch_size,
    seed, repeat, fold) in that order, val_score and a 3-epoch val_loss
    whose last value is `losses` (NaN after it for odd runs, as runs of
    fewer epochs leave them)."""
    grid = [(b, s, r, f) for b in batch_sizes for s in seeds
            for r in range(repeats) for f in range(folds)]
    n_runs = len(grid)
    columns = np.array(grid)
    with h5py.File(path, "w") as handle:
        handle["batch_size"] = columns[:, 0].astype(np.int64)
        handle["seed"] = columns[:, 1].astype(np.int64)
        handle["repeat"] = columns[:, 2].astype(np.int32)
        handle["fold"] = columns[:, 3].astype(np.int32)
        for name, value in (("learning_rate", 0.1), ("l1", 0.0), ("l2", 0.0)):
            handle[name] = np.full(n_runs, value)
        for name, value in (("units", 10), ("epochs", 3)):
            handle[name] = np.full(n_runs, value, dtype=np.int64)
        handle["status"] = (np.ones(n_runs, dtype=np.int8) if status is None
                            else np.asarray(status, dtype=np.int8))
        handle["val_score"] = np.asarray(scores, dtype=np.float64)
        curves = np.full((n_runs, 3), 0.5)
        curves[:, 2] = losses
        curves[1::2, 2] = np.nan
        curves[1::2, 1] = np.asarray(losses)[1::2]
        handle["val_loss"] = curves
        handle["train_loss"] = curves
        handle.attrs["cv_folds"] = np.int64(folds)
        handle.attrs["cv_repeats"] = np.int64(repeats)
    return grid


def corrected_by_hand(differences, folds, confidence=0.95):
    """Nadeau and Bengio (2003): mean of the J differences, variance of the
    mean s^2 (1/J + n_test/n_train), n_test/n_train = 1/(folds - 1), t with
    J - 1 degrees of freedom."""
    d = np.asarray(differences, dtype=np.float64)
    j = d.size
    mean = d.sum() / j
    s2 = ((d - mean) ** 2).sum() / (j - 1)
    half = stats.t.ppf(0.5 + confidence / 2, j - 1) * math.sqrt(s2 * (1 / j + 1 / (folds - 1)))
    return mean, mean - half, mean + half


class HoldoutFromRealSweep(unittest.TestCase):
    """A file made by the real sweep, no cross-validation."""

    @classmethod
    def setUpClass(cls):
        if not BINARY or not os.access(BINARY, os.X_OK):
            raise unittest.SkipTest(f"SWEEP_BINARY is not an executable: {BINARY!r}")
        cls.folder = tempfile.mkdtemp(prefix="sweep_compare_")
        config = os.path.join(cls.folder, "small.yaml")
        with open(config, "w") as handle:
            handle.write(SMALL_CONFIG)
        cls.path = os.path.join(cls.folder, "small.h5")
        subprocess.run([BINARY, config, "-o", cls.path, "-q", "-j", "1"], check=True,
                       capture_output=True, timeout=300)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)

    def gather(self, value, metric):
        """The metric of the runs with batch_size == value, sorted by (l2, seed)."""
        with h5py.File(self.path, "r") as handle:
            table = pd.DataFrame({name: handle[name][()] for name in ("batch_size", "l2", "seed")})
            if metric == "val_acc":
                table["metric"] = handle["val_score"][()]
            else:
                table["metric"] = handle["val_loss"][:, -1]   # every run trains 15 epochs
        chosen = table[table["batch_size"] == value].sort_values(["l2", "seed"])
        return chosen["metric"].to_numpy()

    def test_intervals_equal_ttest_rel(self):
        table = compare_csv(self.path, "--by", "batch_size")
        self.assertEqual(len(table), 6)   # 3 pairs of values x 2 metrics
        for _, row in table.iterrows():
            first = self.gather(row["a"], row["metric"])
            second = self.gather(row["b"], row["metric"])
            self.assertEqual(len(first), 8)
            result = stats.ttest_rel(first, second)
            low, high = result.confidence_interval(0.95)
            self.assertAlmostEqual(row["mean_difference"], np.mean(first - second),
                                   delta=TOLERANCE)
            self.assertAlmostEqual(row["ci_low"], low, delta=TOLERANCE)
            self.assertAlmostEqual(row["ci_high"], high, delta=TOLERANCE)
            self.assertEqual(row["n"], 8)
            self.assertEqual(row["test"], "paired t")
            if np.all(first == second):
                self.assertEqual(row["p_value"], 1.0)
            else:
                self.assertAlmostEqual(row["p_value"], result.pvalue, delta=TOLERANCE)
            # A better than B: higher accuracy, or lower loss
            a_better = (row["mean_difference"] > 0) == (row["metric"] == "val_acc")
            better, worse = (row["a"], row["b"]) if a_better else (row["b"], row["a"])
            expected = ("no evidence of a difference" if low <= 0 <= high else
                        f"batch_size {better} better than {worse}")
            self.assertEqual(row["verdict"], expected)

    def test_against_one_value(self):
        every = compare_csv(self.path, "--by", "batch_size")
        table = compare_csv(self.path, "--by", "batch_size", "--against", "32")
        self.assertEqual(sorted(zip(table["a"], table["b"])), [(32, 16)] * 2 + [(32, 128)] * 2)
        # (32, 16) is every's (16, 32) with the sign turned
        for metric in ("val_acc", "val_loss"):
            row = table[(table["b"] == 16) & (table["metric"] == metric)].iloc[0]
            other = every[(every["a"] == 16) & (every["b"] == 32) &
                          (every["metric"] == metric)].iloc[0]
            self.assertAlmostEqual(row["mean_difference"], -other["mean_difference"],
                                   delta=TOLERANCE)
            self.assertAlmostEqual(row["ci_low"], -other["ci_high"], delta=TOLERANCE)
        result = run_compare(self.path, "--by", "batch_size", "--against", "33")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--against: 33 is not a value of batch_size", result.stderr)

    def test_where_selects_runs(self):
        """--where batch_size=16: the l2 pairs of that batch size alone, the
        interval ttest_rel's over its 4 seeds."""
        table = compare_csv(self.path, "--by", "l2", "--where", "batch_size=16")
        row = table[table["metric"] == "val_acc"].iloc[0]
        self.assertEqual(row["n"], 4)
        with h5py.File(self.path, "r") as handle:
            frame = pd.DataFrame({name: handle[name][()] for name in ("batch_size", "l2",
                                                                       "seed", "val_score")})
        frame = frame[frame.batch_size == 16].sort_values("seed")
        first, second = frame[frame.l2 == 0.0].val_score, frame[frame.l2 == 0.01].val_score
        if not np.array_equal(first.to_numpy(), second.to_numpy()):
            low, high = stats.ttest_rel(first, second).confidence_interval(0.95)
            self.assertAlmostEqual(row["ci_low"], low, delta=TOLERANCE)
            self.assertAlmostEqual(row["ci_high"], high, delta=TOLERANCE)
        self.assertAlmostEqual(row["mean_difference"], np.mean(first.to_numpy() -
                                                               second.to_numpy()),
                               delta=TOLERANCE)
        for args, fragment in ((["--where", "batch_size=17"], "no run has batch_size = 17"),
                               (["--where", "l2=0"], "other than --by"),
                               (["--where", "batch_size"], "expected KEY=VALUE"),
                               (["--where", "seed=x"], "'x' is not a number")):
            result = run_compare(self.path, "--by", "l2", *args)
            self.assertEqual(result.returncode, 2, result.stdout)
            self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
            self.assertIn(fragment, result.stderr)

    def test_text_output(self):
        result = run_compare(self.path, "--by", "l2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("paired over batch_size (3 values), seed (4 values)", result.stdout)
        self.assertIn("95% paired t intervals", result.stdout)
        self.assertEqual(len(result.stdout.splitlines()), 5)   # header, columns, 2 rows, note

    def test_confidence_level(self):
        table = compare_csv(self.path, "--by", "l2", "--confidence", "0.8")
        row = table[table["metric"] == "val_loss"].iloc[0]
        with h5py.File(self.path, "r") as handle:
            frame = pd.DataFrame({"l2": handle["l2"][()], "loss": handle["val_loss"][:, -1]})
        # runs are in (batch_size, l2, seed) order, so the two selections pair up
        without, with_l2 = frame[frame.l2 == 0.0].loss, frame[frame.l2 == 0.01].loss
        self.assertEqual(len(without), 12)
        low, high = stats.ttest_rel(without, with_l2).confidence_interval(0.8)
        self.assertAlmostEqual(row["ci_low"], low, delta=TOLERANCE)
        self.assertAlmostEqual(row["ci_high"], high, delta=TOLERANCE)


class CrossValidationSynthetic(unittest.TestCase):
    """Files in the planned cv layout, written here."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="sweep_compare_cv_")

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def test_corrected_interval_by_hand(self):
        folds, repeats, seeds = 5, 3, (0, 1)
        generator = np.random.RandomState(7)
        n_runs = 2 * len(seeds) * repeats * folds
        scores = generator.uniform(0.85, 0.99, n_runs)
        losses = generator.uniform(0.05, 0.3, n_runs)
        path = os.path.join(self.folder, "cv.h5")
        grid = write_cv_file(path, scores, losses, (8, 32), seeds, folds, repeats)
        table = compare_csv(path, "--by", "batch_size")
        self.assertEqual(len(table), 2)
        for metric, values in (("val_acc", scores), ("val_loss", losses)):
            by_run = {key: value for key, value in zip(grid, values)}
            split_means = []
            for r in range(repeats):
                for f in range(folds):
                    split_means.append(np.mean([by_run[(8, s, r, f)] - by_run[(32, s, r, f)]
                                                for s in seeds]))
            mean, low, high = corrected_by_hand(split_means, folds)
            row = table[table["metric"] == metric].iloc[0]
            d = np.asarray(split_means)
            j = d.size
            t = mean / math.sqrt(d.var(ddof=1) * (1 / j + 1 / (folds - 1)))
            self.assertAlmostEqual(row["p_value"], 2 * stats.t.sf(abs(t), j - 1),
                                   delta=TOLERANCE)
            self.assertAlmostEqual(row["mean_difference"], mean, delta=TOLERANCE)
            self.assertAlmostEqual(row["ci_low"], low, delta=TOLERANCE)
            self.assertAlmostEqual(row["ci_high"], high, delta=TOLERANCE)
            self.assertEqual(row["n"], folds * repeats)
            self.assertEqual(row["pairs"], folds * repeats * len(seeds))
            self.assertEqual(row["test"], "corrected resampled t")

    def test_text_output_names_the_test(self):
        path = os.path.join(self.folder, "cv.h5")
        write_cv_file(path, np.linspace(0.8, 0.95, 24), np.full(24, 0.2), (8, 32), (0,), 4, 3)
        result = run_compare(path, "--by", "batch_size")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("95% corrected resampled t intervals (Nadeau and Bengio)", result.stdout)
        self.assertIn("(4 folds x 3 repeats)", result.stdout)
        self.assertIn("paired over fold and repeat", result.stdout)

    def test_real_difference_found_null_not(self):
        folds, repeats = 10, 3
        generator = np.random.RandomState(11)
        n_half = folds * repeats
        noise = generator.normal(0, 0.01, 2 * n_half)
        # batch size 8 is 0.05 better in accuracy; the losses differ by noise alone
        scores = np.concatenate([0.95 + noise[:n_half], 0.90 + noise[n_half:]])
        losses = 0.2 + generator.normal(0, 0.01, 2 * n_half)
        path = os.path.join(self.folder, "cv.h5")
        write_cv_file(path, scores, losses, (8, 32), (0,), folds, repeats)
        table = compare_csv(path, "--by", "batch_size").set_index("metric")
        self.assertEqual(table.loc["val_acc", "verdict"], "batch_size 8 better than 32")
        self.assertEqual(table.loc["val_loss", "verdict"], "no evidence of a difference")
        self.assertLess(table.loc["val_acc", "p_value"], 0.05)
        self.assertGreater(table.loc["val_loss", "p_value"], 0.05)
        # lower loss is better: 32's losses made 0.05 lower turn the verdict to 32
        losses[n_half:] -= 0.05
        write_cv_file(path, scores, losses, (8, 32), (0,), folds, repeats)
        table = compare_csv(path, "--by", "batch_size").set_index("metric")
        self.assertEqual(table.loc["val_loss", "verdict"], "batch_size 32 better than 8")
        # the correction widens the interval beyond the naive paired one
        naive = stats.ttest_rel(scores[:n_half], scores[n_half:]).confidence_interval(0.95)
        self.assertLess(table.loc["val_acc", "ci_low"], naive.low)

    def test_failed_runs_left_unpaired(self):
        folds, repeats = 4, 1
        n_runs = 2 * folds
        status = np.ones(n_runs)
        status[1] = 2    # batch size 8, fold 1 failed: that split has no pair
        scores = np.linspace(0.8, 0.95, n_runs)
        path = os.path.join(self.folder, "cv.h5")
        write_cv_file(path, scores, scores, (8, 32), (0,), folds, repeats, status)
        row = compare_csv(path, "--by", "batch_size").iloc[0]
        self.assertEqual(row["n"], 3)
        d = [scores[f] - scores[folds + f] for f in (0, 2, 3)]
        mean, low, high = corrected_by_hand(d, folds)
        self.assertAlmostEqual(row["ci_low"], low, delta=TOLERANCE)
        self.assertAlmostEqual(row["ci_high"], high, delta=TOLERANCE)

    def test_fold_zero_without_cv_is_a_holdout(self):
        """A holdout file from a cv-aware sweep may carry fold = repeat = 0
        everywhere and no cv_folds: the paired t test, not an error."""
        path = os.path.join(self.folder, "cv.h5")
        scores = np.linspace(0.8, 0.95, 8)
        write_cv_file(path, scores, scores, (8, 32), (0, 1, 2, 3), 1, 1)
        with h5py.File(path, "a") as handle:
            del handle.attrs["cv_folds"]
            del handle.attrs["cv_repeats"]
        row = compare_csv(path, "--by", "batch_size").iloc[0]
        self.assertEqual(row["test"], "paired t")
        expected = stats.ttest_rel(scores[:4], scores[4:]).confidence_interval(0.95)
        self.assertAlmostEqual(row["ci_low"], expected.low, delta=TOLERANCE)

    def test_malformed_cv_files(self):
        path = os.path.join(self.folder, "cv.h5")
        write_cv_file(path, np.full(8, 0.9), np.full(8, 0.2), (8, 32), (0,), 4, 1)
        with h5py.File(path, "a") as handle:
            del handle.attrs["cv_folds"]
        self.assert_one_line_error(run_compare(path, "--by", "batch_size"), "cv_folds")
        write_cv_file(path, np.full(8, 0.9), np.full(8, 0.2), (8, 32), (0,), 4, 1)
        with h5py.File(path, "a") as handle:
            handle["fold"][0] = 9
        self.assert_one_line_error(run_compare(path, "--by", "batch_size"),
                                   "a 'fold' value outside 0..3")

    def assert_one_line_error(self, result, fragment):
        self.assertEqual(result.returncode, 2, result.stdout)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertTrue(result.stderr.startswith("compare.py: "), result.stderr)
        self.assertIn(fragment, result.stderr)
        self.assertNotIn("Traceback", result.stderr)


class BadInput(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="sweep_compare_bad_")

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def check(self, args, fragment):
        CrossValidationSynthetic.assert_one_line_error(self, run_compare(*args), fragment)

    def test_bad_inputs(self):
        text = os.path.join(self.folder, "notes.txt")
        with open(text, "w") as handle:
            handle.write("not hdf5\n")
        empty = os.path.join(self.folder, "empty.h5")
        with h5py.File(empty, "w") as handle:
            handle["status"] = np.ones(3, dtype=np.int8)
        good = os.path.join(self.folder, "good.h5")
        write_cv_file(good, np.full(8, 0.9), np.full(8, 0.2), (8, 32), (0,), 4, 1)
        self.check([os.path.join(self.folder, "missing.h5"), "--by", "seed"], "no such file")
        self.check([text, "--by", "seed"], "not an HDF5 file")
        self.check([self.folder, "--by", "seed"], "not an HDF5 file")
        self.check([empty, "--by", "seed"], "not a sweep results file")
        self.check([good, "--by", "batchsize"], "did you mean 'batch_size'?")
        self.check([good], "required: --by")
        self.check([good, "--by", "units"], "fewer than two values of units")
        self.check([good, "--by", "seed", "--confidence", "1.5"], "between 0 and 1")
        self.check([good, "--by", "seed", "--confidence", "x"], "invalid float value")


class StatisticsModule(unittest.TestCase):
    def test_t_quantile(self):
        # t(0.975, 3) of the tables, and the normal limit
        self.assertAlmostEqual(sweep_stats.t_quantile(0.975, 3), 3.182446305284263, delta=1e-12)
        self.assertAlmostEqual(sweep_stats.t_quantile(0.975, 1e9), 1.959963984540054, delta=1e-6)

    def test_mean_interval_equals_ttest_rel(self):
        generator = np.random.RandomState(3)
        a, b = generator.normal(size=12), generator.normal(size=12)
        interval = sweep_stats.mean_interval(a - b)
        expected = stats.ttest_rel(a, b).confidence_interval(0.95)
        self.assertAlmostEqual(interval.low, expected.low, delta=TOLERANCE)
        self.assertAlmostEqual(interval.high, expected.high, delta=TOLERANCE)
        one = sweep_stats.mean_interval([0.5])
        self.assertFalse(one.has_interval)
        self.assertEqual(one.mean, 0.5)

    def test_corrected_interval_worked_example(self):
        # d = 1, 2, 3, 4: mean 2.5, s^2 = 5/3; with 2 folds n_test/n_train = 1,
        # so var = 5/3 (1/4 + 1) = 25/12; half width t(0.975, 3) sqrt(25/12)
        interval = sweep_stats.corrected_interval([1, 2, 3, 4], 1.0)
        half = 3.182446305284263 * math.sqrt(25 / 12)
        self.assertAlmostEqual(interval.low, 2.5 - half, delta=1e-12)
        self.assertAlmostEqual(interval.high, 2.5 + half, delta=1e-12)
        self.assertEqual((interval.n, interval.dof), (4, 3))
        # ratio 0 is the plain t interval
        plain = sweep_stats.corrected_interval([1, 2, 3, 4], 0.0)
        naive = sweep_stats.mean_interval([1, 2, 3, 4])
        self.assertAlmostEqual(plain.low, naive.low, delta=1e-12)

    def test_rank_ties_share_best(self):
        ranks = sweep_stats.cv_rank([0.9, 0.95, 0.95, np.nan, 0.8, 0.9])
        self.assertEqual(ranks.tolist(), [3, 1, 1, 6, 5, 3])
        self.assertEqual(sweep_stats.cv_rank([np.nan, np.nan]).tolist(), [1, 1])
        generator = np.random.RandomState(5)
        for _ in range(20):
            means = generator.randint(0, 6, size=15) / 5.0
            expected = stats.rankdata(-means, method="min")
            self.assertEqual(sweep_stats.cv_rank(means).tolist(), expected.tolist())

    def test_cv_statistics_equal_gridsearchcv(self):
        """Exact: mean, std and rank of a GridSearchCV with ties in its scores."""
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import GridSearchCV, StratifiedKFold
        from sklearn.tree import DecisionTreeClassifier
        x, y = load_breast_cancer(return_X_y=True)
        search = GridSearchCV(DecisionTreeClassifier(random_state=0),
                              {"max_depth": [1, 2, 3, 50, 100]},
                              cv=StratifiedKFold(5, shuffle=True, random_state=0))
        search.fit(x, y)
        results = search.cv_results_
        splits = np.column_stack([results[f"split{k}_test_score"] for k in range(5)])
        self.assertEqual(sweep_stats.cv_mean(splits).tobytes(),
                         results["mean_test_score"].tobytes())
        self.assertEqual(sweep_stats.cv_std(splits).tobytes(),
                         results["std_test_score"].tobytes())
        self.assertEqual(sweep_stats.cv_rank(results["mean_test_score"]).tolist(),
                         results["rank_test_score"].tolist())
        # depths 50 and 100 grow the same full tree: a tie sharing its rank
        self.assertEqual(results["rank_test_score"][3], results["rank_test_score"][4])


if __name__ == "__main__":
    unittest.main(verbosity=2)
