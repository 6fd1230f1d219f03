#!/usr/bin/python3
"""make_fold_fixtures.py: scikit-learn's own stratified folds, as fixtures.

Run from the project root with Debian's interpreter (python3-sklearn 1.2,
python3-numpy 1.24):

    /usr/bin/python3 tests/data/make_fold_fixtures.py

It writes tests/data/folds/<labels>.csv, one file per label vector, read by
tests/test_folds.c. A file holds:

    labels,<label of row 0>,<label of row 1>,...
    <K>,<R>,<shuffle 0/1>,<seed>,<outcome>,<fold of row 0, repeat 0>,...

one case per line after the labels; `outcome` is `ok`, `warn` (scikit-learn
warned that the least populated class has fewer members than K; the folds
follow) or `error` (scikit-learn raised; no folds). With R folds lines the
folds are repeat-major: repeat r's fold of row i is value r * n_rows + i.
A fold number is the index of the split in which the row is a test row.

R = 1 with shuffle is StratifiedKFold(K, shuffle=True, random_state=seed)
(checked here to equal RepeatedStratifiedKFold(K, n_repeats=1, ...));
R = 1 without shuffle is StratifiedKFold(K) (the seed column is then 0 and
unused); R > 1 is RepeatedStratifiedKFold(n_splits=K, n_repeats=R,
random_state=seed), which always shuffles.

tests/test_folds_live.py imports write_fixture() to make fixtures of random
labels with live scikit-learn.
"""

import csv
import os
import sys
import warnings

import numpy as np
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

SPLITS = (2, 3, 5, 10)
REPEATS = (1, 3)
SEEDS = (0, 42, 4294967295)


def fold_numbers(splitter, n_splits, labels):
    """(repeats, rows) array: the index of the split that tests each row,
    split s of a repeated splitter being fold s % K of repeat s // K."""
    splits = list(splitter.split(np.zeros((len(labels), 1)), labels))
    n_repeats = len(splits) // n_splits
    folds = np.full((n_repeats, len(labels)), -1, dtype=np.int64)
    for index, (_, test) in enumerate(splits):
        folds[index // n_splits, test] = index % n_splits
    assert (folds >= 0).all()
    return folds


def splitter_for(n_splits, n_repeats, shuffle, seed):
    if n_repeats > 1:
        return RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    if shuffle:
        return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return StratifiedKFold(n_splits=n_splits)


def run_case(labels, n_splits, n_repeats, shuffle, seed):
    """(outcome, folds or None) as scikit-learn gives them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            splitter = splitter_for(n_splits, n_repeats, shuffle, seed)
            folds = fold_numbers(splitter, n_splits, labels)
        except ValueError:
            return "error", None
        if shuffle and n_repeats == 1:
            repeated = fold_numbers(
                RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=1, random_state=seed),
                n_splits, labels)
            assert (repeated == folds).all()
    warned = any("least populated class" in str(w.message) for w in caught)
    return ("warn" if warned else "ok"), folds


def cases(seeds):
    for n_splits in SPLITS:
        yield n_splits, 1, False, 0
        for n_repeats in REPEATS:
            for seed in seeds:
                yield n_splits, n_repeats, True, seed


def format_label(value):
    return repr(float(value)) if float(value) != int(value) else str(int(value))


def write_fixture(path, labels, seeds=SEEDS):
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["labels"] + [format_label(v) for v in labels])
        for n_splits, n_repeats, shuffle, seed in cases(seeds):
            outcome, folds = run_case(labels, n_splits, n_repeats, shuffle, seed)
            row = [n_splits, n_repeats, int(shuffle), seed, outcome]
            if folds is not None:
                row += folds.ravel().tolist()
            out.writerow(row)


def wdbc_non_test_labels():
    """wdbc's train rows then its val rows, in file order (the rows that
    cross-validation splits)."""
    with open(os.path.join(ROOT, "data", "wdbc.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    return np.array([float(r["target"]) for r in rows if r["split"] != "test"])


def label_sets():
    generator = np.random.RandomState(2026)
    return {
        # 455 rows, 0/1, class 0 (malignant) is the minority
        "wdbc_non_test": wdbc_non_test_labels(),
        # three classes whose first appearance (2, 0, 1) is not their sorted order
        "three_classes": generator.choice([0.0, 1.0, 2.0], size=40, p=[0.5, 0.3, 0.2])[
            np.argsort(generator.rand(40))],
        # the first label is the larger value; 4 rows of class 0 and 14 of
        # class 1: K = 5 and K = 10 warn (some folds get no class-0 row)
        "small_lopsided": np.array([1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1],
                                   dtype=float),
        # every class smaller than 10: K = 10 is an error
        "tiny": np.array([0, 1, 0, 1, 1, 0, 1, 0, 0], dtype=float),
        # labels that are not 0..K-1: negative and spaced
        "spaced": generator.choice([-3.0, 7.0], size=25),
    }


def main():
    folder = os.path.join(HERE, "folds")
    os.makedirs(folder, exist_ok=True)
    for name, labels in label_sets().items():
        write_fixture(os.path.join(folder, f"{name}.csv"), labels)
        print(f"{name}: {len(labels)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
