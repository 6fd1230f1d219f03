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
- a sweep without cv writes neither `fold`, `repeat` nor cv_* attributes;
- --resume keeps a cv file's finished runs (bit for bit) and refuses a file
  made with other cv settings, or without cv, naming both;
- three shards of a cv grid merge into the unsharded file, bit for bit but
  the wall times; parts with other cv settings are refused;
- bad cv settings fail with one line and exit 2, at the key's position.

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


SMALL = """\
dataset: wdbc
model: {units: 4, epochs: 5}
grid: {batch_size: [16, 64], seed: [0, 1]}
cv: {folds: 3, shuffle: true, seed: 7}
"""


def same_but_seconds(test, path, reference):
    with h5py.File(path, "r") as got, h5py.File(reference, "r") as expected:
        test.assertEqual(sorted(got), sorted(expected))
        for name in expected:
            if name != "seconds":
                test.assertEqual(got[name][...].tobytes(), expected[name][...].tobytes(), name)
        for name in ("cv_folds", "cv_repeats", "cv_shuffle", "cv_seed"):
            test.assertEqual(got.attrs[name], expected.attrs[name])


class CrossValidationFiles(unittest.TestCase):

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="test_cv_sweep.")
        self.config = write(self.folder, "small.yaml", SMALL)
        self.reference = os.path.join(self.folder, "reference.h5")
        done = sweep([self.config, "-o", self.reference, "-q"])
        self.assertEqual(done.returncode, 0, done.stderr)

    def tearDown(self):
        import shutil
        shutil.rmtree(self.folder)

    def test_resume_keeps_runs_of_the_same_cv(self):
        part = os.path.join(self.folder, "part.h5")
        done = sweep([self.config, "-o", part, "-q", "--shard", "0/2"])
        self.assertEqual(done.returncode, 0, done.stderr)
        done = sweep([self.config, "-o", part, "-q", "--resume"])
        self.assertEqual(done.returncode, 0, done.stderr)
        same_but_seconds(self, part, self.reference)

    def test_resume_refuses_other_cv(self):
        for override, said in (("cv.folds=4", "4 folds"), ("cv.seed=8", "seed 8")):
            done = sweep([self.config, "-o", self.reference, "-q", "--resume", "--set", override])
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn("cannot resume: its runs were made with 3 folds, shuffled with seed 7",
                          done.stderr)
            self.assertIn(said, done.stderr)
            self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
        plain = write(self.folder, "plain.yaml", SMALL.replace("cv: {folds: 3, shuffle: true, "
                                                               "seed: 7}\n", ""))
        done = sweep([plain, "-o", self.reference, "-q", "--resume"])
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("the config asks for no cross-validation", done.stderr)

    def test_shards_merge_into_the_whole_file(self):
        parts = []
        for shard in range(3):
            part = os.path.join(self.folder, f"part{shard}.h5")
            done = sweep([self.config, "-o", part, "-q", "--shard", f"{shard}/3"])
            self.assertEqual(done.returncode, 0, done.stderr)
            parts.append(part)
        merged = os.path.join(self.folder, "merged.h5")
        done = sweep(["merge", merged, *parts])
        self.assertEqual(done.returncode, 0, done.stderr)
        same_but_seconds(self, merged, self.reference)
        other = os.path.join(self.folder, "other.h5")
        done = sweep([self.config, "-o", other, "-q", "--shard", "1/3", "--set", "cv.seed=8"])
        self.assertEqual(done.returncode, 0, done.stderr)
        done = sweep(["merge", os.path.join(self.folder, "bad.h5"), parts[0], other, parts[2]])
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("not from the same sweep", done.stderr)

    def test_bad_settings_are_one_line(self):
        cases = (("cv: {folds: 1}\n", "small.yaml:4:13: cv.folds must be a whole number in "
                                       "2..1000, got 1"),
                 ("cv: {shuffle: true}\n", "small.yaml:4:5: cv needs folds:"),
                 ("cv: {folds: 3, repeats: 2, shuffle: false}\n",
                  "small.yaml:4:28: cv.shuffle: false with repeats: 2"),
                 ("cv: 5\n", "small.yaml:4:5: cv must be a mapping"),
                 ("cv: {folds: 456}\n", "cross-validation: 456 folds but only 455 rows"))
        for text, message in cases:
            config = write(self.folder, "small.yaml", SMALL.replace(
                "cv: {folds: 3, shuffle: true, seed: 7}\n", text))
            done = sweep([config, "--dry-run"])
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(message, done.stderr)
            self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)


if __name__ == "__main__":
    unittest.main()
