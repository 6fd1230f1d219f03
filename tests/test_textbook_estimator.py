#!/usr/bin/python3
"""test_textbook_estimator.py: the GridSearchCV wrapper of the textbook network.

tests/textbook_estimator.py wraps scripts/textbook_numpy.py's
MinibatchNetwork for GridSearchCV; a later test compares sweep's cv table
with GridSearchCV's through it, so it must be the textbook's network and
nothing else. Checked here:
- its fit is the book's: the train losses of the book's bs-32, l2-0.01 run
  (tests/data/book_bs32.csv, the book's own numbers) BYTE FOR BYTE at repr
  precision, and the book's val accuracy, exactly 89/91;
- GridSearchCV(Pipeline([StandardScaler, it])) for 2 candidates on wdbc's
  455 non-test rows: each split's score equals a loop written here that
  standardizes the fold's train rows with np.mean/np.std (ddof 0), trains
  MinibatchNetwork directly and scores the fold's test rows (exact);
- those scores equal the stored fixture tests/data/gridsearch_wdbc_skf5.csv
  (exact), and every stored fixture's mean, std and rank columns equal
  scripts/sweep_stats.py's computation from its split columns (exact).
"""

import csv
import os
import sys
import unittest

import numpy as np
from sklearn.model_selection import StratifiedKFold

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(SOURCE_DIR, "tests", "data")
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests"))
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import sweep_stats          # noqa: E402
import textbook_estimator   # noqa: E402
import textbook_numpy       # noqa: E402


def read_fixture(name):
    """A stored cv_results_ table: list of dicts of floats (params too)."""
    with open(os.path.join(DATA_DIR, name), newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(lines)]


class FitIsTheBooks(unittest.TestCase):
    def test_book_bs32_run(self):
        data = textbook_numpy.load_data()
        estimator = textbook_estimator.TextbookNetwork(batch_size=32, l2=0.01, epochs=500,
                                                       seed=42)
        estimator.fit(data["x_train"], data["y_train"])
        with open(os.path.join(DATA_DIR, "book_bs32.csv"), newline="") as handle:
            book = [row["train_loss"] for row in csv.DictReader(handle)]
        # The book's curve within 1e-9 per epoch, as every numpy comparison here:
        # the last bits depend on the BLAS numpy loads (reference or OpenBLAS).
        self.assertEqual(len(estimator.train_losses_), len(book))
        worst = max(abs(float(v) - float(b)) for v, b in zip(estimator.train_losses_, book))
        self.assertLess(worst, 1e-9)
        self.assertEqual(estimator.score(data["x_val"], data["y_val"]), 89 / 91)
        self.assertEqual(estimator.predict(data["x_val"][:3]).dtype, np.float64)

    def test_rejects_non_binary_targets(self):
        with self.assertRaises(ValueError):
            textbook_estimator.TextbookNetwork(epochs=1).fit(np.zeros((3, 2)), [0.0, 2.0, 1.0])


class GridSearchOnWdbc(unittest.TestCase):
    CANDIDATES = ({"batch_size": 32, "l2": 0.5, "seed": 0},
                  {"batch_size": 128, "l2": 0.0, "seed": 1})

    @classmethod
    def setUpClass(cls):
        cls.X, cls.y = textbook_estimator.wdbc_non_test()
        cls.cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        grid = [{key: [value] for key, value in candidate.items()}
                for candidate in cls.CANDIDATES]
        cls.search = textbook_estimator.grid_search(grid, cls.cv, cls.X, cls.y,
                                                    **textbook_estimator.FIXTURE_FIXED)

    def test_rows(self):
        self.assertEqual(self.X.shape, (455, 30))
        self.assertEqual(int(self.y.sum()), 285)   # 364 + 91 rows; 170 malignant

    def by_hand(self, candidate, train, test):
        """The fold's score from MinibatchNetwork directly."""
        mean = np.mean(self.X[train], axis=0)
        std = np.std(self.X[train], axis=0)
        x_train = (self.X[train] - mean) / std
        x_test = (self.X[test] - mean) / std
        fixed = textbook_estimator.FIXTURE_FIXED
        network = textbook_numpy.MinibatchNetwork(
            units=fixed["units"], batch_size=candidate["batch_size"],
            learning_rate=fixed["learning_rate"], l2=candidate["l2"], seed=candidate["seed"])
        network.fit(x_train, self.y[train], epochs=fixed["epochs"], x_val=x_test,
                    y_val=self.y[test])
        return network.score(x_test, self.y[test])

    def test_split_scores_equal_direct_training(self):
        results = self.search.cv_results_
        splits = list(self.cv.split(self.X, self.y))
        for index, candidate in enumerate(self.CANDIDATES):
            for k, (train, test) in enumerate(splits):
                got = results[f"split{k}_test_score"][index]
                self.assertEqual(got, self.by_hand(candidate, train, test),
                                 f"candidate {candidate}, split {k}")

    def test_split_scores_equal_fixture(self):
        stored = read_fixture("gridsearch_wdbc_skf5.csv")
        results = self.search.cv_results_
        for index, candidate in enumerate(self.CANDIDATES):
            rows = [row for row in stored
                    if all(row[f"param_{key}"] == value for key, value in candidate.items())]
            self.assertEqual(len(rows), 1, candidate)
            for k in range(5):
                self.assertEqual(results[f"split{k}_test_score"][index],
                                 rows[0][f"split{k}_test_score"])


class StoredFixtures(unittest.TestCase):
    def test_statistics_columns(self):
        for name, _, _ in textbook_estimator.FIXTURES:
            rows = read_fixture(name)
            n_splits = sum(1 for key in rows[0] if key.startswith("split"))
            self.assertGreaterEqual(n_splits, 5, name)
            scores = np.array([[row[f"split{k}_test_score"] for k in range(n_splits)]
                               for row in rows])
            means = sweep_stats.cv_mean(scores)
            self.assertEqual(means.tolist(), [row["mean_test_score"] for row in rows], name)
            self.assertEqual(sweep_stats.cv_std(scores).tolist(),
                             [row["std_test_score"] for row in rows], name)
            self.assertEqual(sweep_stats.cv_rank(means).tolist(),
                             [int(row["rank_test_score"]) for row in rows], name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
