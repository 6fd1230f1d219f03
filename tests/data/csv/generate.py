"""Regenerate the numpy/scikit-learn fixtures of tests/test_dataset.c.

Run from the project root with Debian's interpreter (numpy 1.24, sklearn 1.2):
    /usr/bin/python3 tests/data/csv/generate.py

Writes, next to this script:
  wdbc_raw.csv          load_breast_cancer() in its original row order: the 30
                        features (names as in data/wdbc.csv) and `target`, no
                        split column.
  split_cases.txt       expected rows of stratified splits: for each case the
                        row ids (0-based, file order) of train, val and test as
                        train_test_split(stratify=y, random_state=seed) gives
                        them, test rows split off first, then val rows.
  split_ids_*.csv       small row_id,target tables the split cases run on.
  wdbc_standardized.txt data/wdbc.csv standardized with numpy: a hash of every
                        standardized value and a sample of them with repr
                        precision.
  builtin_splits.txt    for the built-in iris, wine and digits (data/*.csv):
                        the row ids of the textbook's split of scikit-learn's
                        rows (test 0.2, then val 0.2, seed 42) and a hash of
                        each split standardized the way StandardScaler treats
                        constant columns (scale 1).
  fashion_split.txt     (only with Debian's dataset-fashion-mnist installed)
                        train_test_split(arange(60000), stratify=y,
                        test_size=0.2, random_state=42) of the training
                        labels: counts, first and last ten ids and a hash of
                        all ids of train and val.
"""
import gzip
import os

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def number_text(value):
    # The style of data/wdbc.csv: shortest round-trip repr, integers without ".0".
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def write_raw_wdbc():
    data = load_breast_cancer()
    names = [name.replace(" ", "_") for name in data.feature_names]
    with open(os.path.join(HERE, "wdbc_raw.csv"), "w", newline="\n") as out:
        out.write(",".join(names + ["target"]) + "\n")
        for row, target in zip(data.data, data.target):
            out.write(",".join(number_text(v) for v in row) + ",%d\n" % target)
    return data.target


def textbook_split(y, test_fraction, val_fraction, seed):
    """Row ids of train, val, test as the textbook splits (see src/dataset.c)."""
    ids = np.arange(len(y))
    if test_fraction > 0:
        rest, test = train_test_split(ids, stratify=y, test_size=test_fraction,
                                      random_state=seed)
    else:
        rest, test = ids, ids[:0]
    train, val = train_test_split(rest, stratify=y[rest], test_size=val_fraction,
                                  random_state=seed)
    return train, val, test


def write_split_cases(wdbc_target):
    tables = {
        "split_ids_wdbc.csv": wdbc_target,
        # 10/10: equal remainders, so _approximate_mode breaks ties with rng.choice.
        "split_ids_balanced.csv": np.array([0, 1] * 10),
        # A small, lopsided set in file order 1..1, 0..0.
        "split_ids_small.csv": np.array([1] * 9 + [0] * 4),
        # 7 and 15 rows split 11/11: 7 / 22 * 11 and 15 / 22 * 11 round to
        # remainders that are not both 0.5, so there is no tie; computed as
        # count * 11 / 22 they would tie. Catches a reordered expression.
        "split_ids_odd.csv": np.array([0, 1, 1] * 7 + [1]),
        # Three named classes, 17/11/7, in a shuffled file order.
        "split_ids_three.csv": np.random.RandomState(0).permutation(
            np.array(["virginica"] * 17 + ["setosa"] * 11 + ["versicolor"] * 7)),
        # Ten numbered classes of 3..12 rows: ties among several remainders.
        "split_ids_ten.csv": np.random.RandomState(1).permutation(
            np.repeat(np.arange(10), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
        # Names whose byte order is not their alphabetical order: B < a < b.
        "split_ids_case.csv": np.array(["b", "B", "a"] * 6),
    }
    for name, y in tables.items():
        with open(os.path.join(HERE, name), "w", newline="\n") as out:
            out.write("row_id,target\n")
            for i, t in enumerate(y):
                out.write("%d,%s\n" % (i, t))
    cases = [
        ("split_ids_wdbc.csv", 0.2, 0.2, 42),
        ("split_ids_wdbc.csv", 0.25, 0.3, 7),
        ("split_ids_wdbc.csv", 0.0, 0.15, 2024),
        ("split_ids_wdbc.csv", 0.1, 0.1, 4294967295),
        ("split_ids_balanced.csv", 0.25, 0.5, 3),
        ("split_ids_balanced.csv", 0.35, 0.3, 0),
        ("split_ids_balanced.csv", 0.15, 0.45, 12345),
        ("split_ids_small.csv", 0.3, 0.4, 1),
        ("split_ids_small.csv", 0.0, 0.5, 99),
        ("split_ids_odd.csv", 0.5, 0.25, 5),
        ("split_ids_odd.csv", 0.5, 0.25, 6),
        ("split_ids_three.csv", 0.2, 0.2, 42),
        ("split_ids_three.csv", 0.3, 0.25, 11),
        ("split_ids_ten.csv", 0.2, 0.2, 42),
        ("split_ids_ten.csv", 0.25, 0.3, 3),
        ("split_ids_case.csv", 0.0, 0.5, 8),
    ]
    with open(os.path.join(HERE, "split_cases.txt"), "w", newline="\n") as out:
        out.write("# generated by tests/data/csv/generate.py; format:\n"
                  "# case FILE TEST_FRACTION VAL_FRACTION SEED, then lines\n"
                  "# train|val|test COUNT ID...\n")
        for name, test_fraction, val_fraction, seed in cases:
            train, val, test = textbook_split(tables[name], test_fraction, val_fraction, seed)
            out.write("case %s %r %r %d\n" % (name, test_fraction, val_fraction, seed))
            for label, ids in (("train", train), ("val", val), ("test", test)):
                out.write("%s %d%s\n" % (label, len(ids), "".join(" %d" % i for i in ids)))


def fnv1a64(values):
    """FNV-1a over the IEEE bit patterns of float64 values, little-endian bytes."""
    h = 0xCBF29CE484222325
    for byte in np.ascontiguousarray(values, dtype="<f8").tobytes():
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def write_standardized():
    df = pd.read_csv(os.path.join(ROOT, "data", "wdbc.csv"))
    x = df.drop(columns=["target", "split"]).to_numpy()
    parts = {name: np.ascontiguousarray(x[(df["split"] == name).to_numpy()])
             for name in ("train", "val", "test")}
    # The textbook: mean and population std of the train rows, axis 0.
    mean = parts["train"].mean(axis=0)
    std = parts["train"].std(axis=0)
    scaled = {name: (rows - mean) / std for name, rows in parts.items()}
    with open(os.path.join(HERE, "wdbc_standardized.txt"), "w", newline="\n") as out:
        out.write("# generated by tests/data/csv/generate.py from data/wdbc.csv:\n"
                  "# (x - x_train.mean(axis=0)) / x_train.std(axis=0) per split;\n"
                  "# hash SPLIT FNV1A64 of all values, then sample SPLIT ROW COLUMN VALUE\n")
        for name in ("train", "val", "test"):
            out.write("hash %s %016x\n" % (name, fnv1a64(scaled[name])))
        for name in ("train", "val", "test"):
            n = len(scaled[name])
            for row in sorted({0, 1, n // 2, n - 1}):
                for column in range(x.shape[1]):
                    out.write("sample %s %d %d %r\n"
                              % (name, row, column, scaled[name][row, column]))


def standardized(train, other):
    """numpy's (x - mean) / std with the train rows' statistics, a constant
    train column centred and left unscaled (StandardScaler's scale 1)."""
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    constant = (train == train[0]).all(axis=0) | (std == 0)
    std[constant] = 1.0
    return (other - mean) / std


def builtin_splits_text():
    from sklearn.datasets import load_digits, load_iris, load_wine
    lines = ["# generated by tests/data/csv/generate.py; for each built-in set:\n"
             "# builtin NAME, then train|val|test COUNT ID... (0-based rows of\n"
             "# scikit-learn's order = data/NAME.csv), then hash SPLIT FNV1A64 of\n"
             "# the split standardized with the train rows' statistics\n"]
    for name, load in (("iris", load_iris), ("wine", load_wine), ("digits", load_digits)):
        data = load()
        train, val, test = textbook_split(data.target, 0.2, 0.2, 42)
        lines.append("builtin %s\n" % name)
        for label, ids in (("train", train), ("val", val), ("test", test)):
            lines.append("%s %d%s\n" % (label, len(ids), "".join(" %d" % i for i in ids)))
        x_train = np.ascontiguousarray(data.data[train])
        for label, ids in (("train", train), ("val", val), ("test", test)):
            rows = standardized(x_train, np.ascontiguousarray(data.data[ids]))
            lines.append("hash %s %016x\n" % (label, fnv1a64(rows)))
    return "".join(lines)


FASHION_LABELS = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"


def fnv1a64_ints(ids):
    """FNV-1a over the ids as little-endian int32 bytes."""
    h = 0xCBF29CE484222325
    for byte in np.ascontiguousarray(ids, dtype="<i4").tobytes():
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fashion_split_text():
    """None without the dataset-fashion-mnist package."""
    if not os.path.exists(FASHION_LABELS):
        return None
    with gzip.open(FASHION_LABELS, "rb") as f:
        y = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    # Chapter 7: train_test_split(x, y, stratify=y, test_size=0.2, random_state=42).
    train, val = train_test_split(np.arange(len(y)), stratify=y, test_size=0.2,
                                  random_state=42)
    lines = ["# generated by tests/data/csv/generate.py from " + FASHION_LABELS + ";\n"
             "# SPLIT COUNT, first ten ids, last ten ids, FNV1A64 of all ids as int32\n"]
    for label, ids in (("train", train), ("val", val)):
        lines.append("%s %d first%s last%s hash %016x\n"
                     % (label, len(ids), "".join(" %d" % i for i in ids[:10]),
                        "".join(" %d" % i for i in ids[-10:]), fnv1a64_ints(ids)))
    return "".join(lines)


def write_text(name, text):
    with open(os.path.join(HERE, name), "w", newline="\n") as out:
        out.write(text)


if __name__ == "__main__":
    target = write_raw_wdbc()
    write_split_cases(target)
    write_standardized()
    write_text("builtin_splits.txt", builtin_splits_text())
    fashion = fashion_split_text()
    if fashion is not None:
        write_text("fashion_split.txt", fashion)
