#!/usr/bin/python3
"""test_cv_sweep.py: `cv:` end to end, against scikit-learn's GridSearchCV.

Runs the real binary ($SWEEP_BINARY) with cross-validation on the grid of
the stored GridSearchCV fixtures (tests/data/gridsearch_wdbc_*.csv, written
by tests/textbook_estimator.py: a Pipeline of StandardScaler and the numpy
reference network over wdbc's 455 non-test rows) and checks:

- every split<k>_test_score of every candidate equals the val_score of the
  sweep's run of that candidate, repeat and fold (split k = repeat * K +
  fold, as scikit-learn numbers a repeated splitter's splits), to 1e-12;
  for StratifiedKFold(5, shuffle, 0) and RepeatedStratifiedKFold(3, 3, 42);
- the file holds `fold` and `repeat` per run, grid point major, then repeat,
  then fold, and the cv_* root attributes; every run's test_score is on the
  held-out test rows (114 of them);
- a sweep without cv writes neither `fold`, `repeat` nor cv_* attributes.

Tolerance: 1e-12 on the scores (they are counts over the same rows, so in
practice equal); the layout checks are exact. Runs under unittest.
"""

import csv
import os
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_files import sweep, write  # noqa: E402

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(SOURCE_DIR, "tests", "data")
GRID = """\
dataset: wdbc
model: {units: 10, learning_rate: 0.1, epochs: 50}
grid:
  batch_size: [32, 128]
  l2: [0.0, 0.01, 0.5]
  seed: [0, 1]
"""
TOLERANCE = 1e-12


def read_fixture(name):
    with open(os.path.join(FIXTURES, name), newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


def run_sweep(folder, cv_text):
    config = write(folder, "cv.yaml", GRID + cv_text)
    output = os.path.join(folder, "cv.h5")
    done = sweep([config, "-o", output, "--overwrite", "-q"])
    assert done.returncode == 0, done.stderr
    with h5py.File(output, "r") as handle:
        return ({name: handle[name][...] for name in handle}, dict(handle.attrs))


class CrossValidationAgainstGridSearchCV(unittest.TestCase):

    def compare(self, cv_text, fixture, n_splits, n_repeats):
        with tempfile.TemporaryDirectory(prefix="test_cv_sweep.") as folder:
            data, attrs = run_sweep(folder, cv_text)
        rows = read_fixture(fixture)
        per_point = n_splits * n_repeats
        self.assertEqual(len(data["val_score"]), len(rows) * per_point)
        self.assertEqual(attrs["cv_folds"], n_splits)
        self.assertEqual(attrs["cv_repeats"], n_repeats)
        # grid point major, then repeat, then fold
        run = np.arange(len(data["val_score"]))
        np.testing.assert_array_equal(data["fold"], run % n_splits)
        np.testing.assert_array_equal(data["repeat"], (run // n_splits) % n_repeats)
        np.testing.assert_array_equal(data["status"], 1)
        self.assertTrue(np.all(np.isfinite(data["test_score"])))
        compared = 0
        for row in rows:
            point = ((data["batch_size"] == int(row["param_batch_size"]))
                     & (data["l2"] == float(row["param_l2"]))
                     & (data["seed"] == int(row["param_seed"])))
            self.assertEqual(point.sum(), per_point, row)
            for split in range(per_point):
                repeat, fold = divmod(split, n_splits)
                match = point & (data["fold"] == fold) & (data["repeat"] == repeat)
                self.assertEqual(match.sum(), 1)
                got = float(data["val_score"][match][0])
                expected = float(row[f"split{split}_test_score"])
                self.assertLessEqual(abs(got - expected), TOLERANCE,
                                     f"{row} split {split}: sweep {got!r}, sklearn {expected!r}")
                compared += 1
        self.assertEqual(compared, len(rows) * per_point)

    def test_stratified_k_fold(self):
        self.compare("cv: {folds: 5, shuffle: true, seed: 0}\n", "gridsearch_wdbc_skf5.csv", 5, 1)

    def test_repeated_stratified_k_fold(self):
        # repeats imply shuffle, as RepeatedStratifiedKFold always shuffles
        self.compare("cv: {folds: 3, repeats: 3, seed: 42}\n", "gridsearch_wdbc_rskf3x3.csv",
                     3, 3)

    def test_without_cv(self):
        with tempfile.TemporaryDirectory(prefix="test_cv_sweep.") as folder:
            data, attrs = run_sweep(folder, "")
        # the layout of a file without cv is the one it always had
        self.assertNotIn("fold", data)
        self.assertNotIn("repeat", data)
        self.assertFalse([name for name in attrs if name.startswith("cv_")])
        self.assertEqual(len(data["val_score"]), 12)


if __name__ == "__main__":
    unittest.main()
