#!/usr/bin/python3
"""textbook_estimator.py: the textbook's network as a scikit-learn estimator.

GridSearchCV is the yardstick for sweep's cross-validation: given the same
folds (StratifiedKFold) and a Pipeline of StandardScaler and the network, its
cv_results_ must equal sweep's cv table. This module wraps the numpy
reference, scripts/textbook_numpy.py's MinibatchNetwork (imported, not
copied), as a classifier GridSearchCV can clone, fit and score:

- TextbookNetwork(units, batch_size, learning_rate, l1, l2, epochs, seed):
  fit(X, y) trains MinibatchNetwork exactly as textbook_numpy.train() does
  (same initial weights, same epoch shuffles); score() is the book's
  accuracy, so GridSearchCV's default scoring gives the book's val score.
- wdbc_non_test(): data/wdbc.csv's train rows then val rows, unscaled, in
  file order: the rows sweep's cross-validation splits.
- grid_search(...): GridSearchCV(Pipeline([StandardScaler, TextbookNetwork]))
  over those rows with a given splitter.

Run as a script, it writes the stored cv_results_ fixtures (see
tests/data/README.md):

    /usr/bin/python3 tests/textbook_estimator.py tests/data
"""

import csv
import os
import sys

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import textbook_numpy  # noqa: E402

WDBC = os.path.join(SOURCE_DIR, "data", "wdbc.csv")
HYPERPARAMETERS = ("batch_size", "learning_rate", "l1", "l2", "units", "epochs", "seed")


class TextbookNetwork(ClassifierMixin, BaseEstimator):
    """The textbook's MinibatchNetwork for 0/1 targets. Parameters as sweep's
    hyperparameters (and textbook_numpy.train's defaults)."""

    def __init__(self, units=10, batch_size=32, learning_rate=0.1, l1=0.0, l2=0.0, epochs=500,
                 seed=42):
        self.units = units
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.l1 = l1
        self.l2 = l2
        self.epochs = epochs
        self.seed = seed

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("TextbookNetwork: targets must be 0 or 1")
        self.classes_ = np.array([0.0, 1.0])
        network = textbook_numpy.MinibatchNetwork(
            units=self.units, batch_size=self.batch_size, learning_rate=self.learning_rate,
            l1=self.l1, l2=self.l2, seed=self.seed)
        # The book's fit records a val loss every epoch and needs val rows;
        # the train rows stand in (the forward pass changes no weight), so
        # val_losses_ here are losses on the train rows without updates.
        with np.errstate(all="ignore"):     # a diverging run gives inf/NaN, as the book's
            network.fit(X, y, epochs=self.epochs, x_val=X, y_val=y)
        self.network_ = network
        self.train_losses_ = np.array(network.losses, dtype=np.float64)
        return self

    def predict(self, X):
        with np.errstate(all="ignore"):
            positive = self.network_.predict(np.asarray(X, dtype=np.float64)).ravel()
        return np.where(positive, 1.0, 0.0)

    def score(self, X, y):
        """The book's accuracy: the share of rows predicted right."""
        with np.errstate(all="ignore"):
            return self.network_.score(np.asarray(X, dtype=np.float64),
                                       np.asarray(y, dtype=np.float64))


def wdbc_non_test(path=WDBC):
    """(X, y): the unscaled features and targets of the train rows, then the
    val rows, in file order."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        target, split = header.index("target"), header.index("split")
        features = [i for i in range(len(header)) if i not in (target, split)]
        rows = {"train": [], "val": []}
        for row in reader:
            if row[split] in rows:
                rows[row[split]].append(row)
    ordered = rows["train"] + rows["val"]
    X = np.array([[float(row[i]) for i in features] for row in ordered], dtype=np.float64)
    y = np.array([float(row[target]) for row in ordered], dtype=np.float64)
    return X, y


def grid_search(param_grid, cv, X, y, **fixed):
    """A fitted GridSearchCV of Pipeline([StandardScaler, TextbookNetwork])
    over `param_grid` (sweep's names, values as lists; or a list of such
    grids, as GridSearchCV takes); `fixed` sets the
    network's other parameters. No refit: only cv_results_ matters."""
    pipeline = Pipeline([("scale", StandardScaler()), ("net", TextbookNetwork(**fixed))])
    grids = [param_grid] if isinstance(param_grid, dict) else param_grid
    grid = [{f"net__{name}": values for name, values in one.items()} for one in grids]
    search = GridSearchCV(pipeline, grid, cv=cv, refit=False, n_jobs=1, error_score="raise")
    search.fit(X, y)
    return search


def cv_results_table(search):
    """cv_results_ as columns: param_<name> (sweep's names), split<k>_test_score,
    mean/std/rank_test_score; the fit times are left out (they vary)."""
    results = search.cv_results_
    n_splits = search.n_splits_
    columns = {}
    for key in results:
        if key.startswith("param_net__"):
            columns["param_" + key[len("param_net__"):]] = np.asarray(results[key], dtype=object)
    for k in range(n_splits):
        columns[f"split{k}_test_score"] = results[f"split{k}_test_score"]
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        columns[key] = results[key]
    return columns


# The stored fixtures: (file name, splitter, its description). The network's
# fixed settings and the grid are FIXTURE_FIXED and FIXTURE_GRID. Both
# splitters' folds are among those tests/test_folds.c checks src/folds.c
# against (tests/data/folds/wdbc_non_test.csv: K 5 seed 0, K 3 R 3 seed 42).
FIXTURE_FIXED = {"units": 10, "learning_rate": 0.1, "epochs": 50}
FIXTURE_GRID = {"batch_size": [32, 128], "l2": [0.0, 0.01, 0.5], "seed": [0, 1]}
FIXTURES = (
    ("gridsearch_wdbc_skf5.csv", StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
     "StratifiedKFold(n_splits=5, shuffle=True, random_state=0)"),
    ("gridsearch_wdbc_rskf3x3.csv", RepeatedStratifiedKFold(n_splits=3, n_repeats=3,
                                                            random_state=42),
     "RepeatedStratifiedKFold(n_splits=3, n_repeats=3, random_state=42)"),
)


def write_fixture(path, splitter, description):
    X, y = wdbc_non_test()
    search = grid_search(FIXTURE_GRID, splitter, X, y, **FIXTURE_FIXED)
    columns = cv_results_table(search)
    with open(path, "w", newline="") as handle:
        handle.write(f"# GridSearchCV(Pipeline([StandardScaler(), TextbookNetwork("
                     f"{', '.join(f'{k}={v!r}' for k, v in FIXTURE_FIXED.items())})]), "
                     f"{FIXTURE_GRID!r}, cv={description}).cv_results_\n")
        handle.write("# on data/wdbc.csv's 455 non-test rows (train then val, file order); "
                     "written by tests/textbook_estimator.py\n")
        out = csv.writer(handle, lineterminator="\n")
        names = list(columns)
        out.writerow(names)
        for row in range(len(columns[names[0]])):
            out.writerow([repr(columns[name][row].item()) if hasattr(columns[name][row], "item")
                          else repr(columns[name][row]) for name in names])


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: textbook_estimator.py FOLDER (writes the gridsearch fixtures)\n")
        return 2
    for name, splitter, description in FIXTURES:
        path = os.path.join(argv[1], name)
        write_fixture(path, splitter, description)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
