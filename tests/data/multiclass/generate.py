#!/usr/bin/python3
"""Small multi-class data sets for the MultiClassNetwork tests (tests/test_multiclass.c).

Each CSV holds the feature columns, `target` (the class, 0..K-1) and `split`
(train/val/test), the rows of each split in the order scikit-learn's
stratified train_test_split returns them (test_size 0.2 of all rows, then
test_size 0.2 of the rest for val, both random_state=42: the textbook's
rule). The features are written ready to train on, so that the C test and
the numpy reference read the very same doubles and test only the network:

- iris.csv, wine.csv: standardized with the train rows' mean and population
  std, written with repr() precision (exact round trip);
- digits.csv: pixels divided by 16 (exact in binary), not standardized,
  half of them zero: exercises the kernels' skipping of zero inputs.

Sources: scikit-learn's load_iris (Fisher 1936), load_wine (UCI Wine,
Forina et al.) and load_digits (UCI Optical Recognition of Handwritten
Digits, Alpaydin and Kaynak), as shipped by Debian's python3-sklearn.
Regenerate with /usr/bin/python3 tests/data/multiclass/generate.py.
"""

import os

import numpy as np
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))


def split(x, y):
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, stratify=y, test_size=0.2,
                                                      random_state=42)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, stratify=y_rest,
                                                      test_size=0.2, random_state=42)
    return (("train", x_train, y_train), ("val", x_val, y_val), ("test", x_test, y_test))


def write(name, parts, fmt):
    with open(os.path.join(HERE, name), "w") as out:
        n_features = parts[0][1].shape[1]
        out.write(",".join(["f%d" % i for i in range(n_features)] + ["target", "split"]) + "\n")
        for split_name, x, y in parts:
            for row, target in zip(x, y):
                out.write(",".join([fmt(v) for v in row] + [str(int(target)), split_name]) + "\n")


def standardized(parts):
    x_train = parts[0][1]
    mean, std = np.mean(x_train, axis=0), np.std(x_train, axis=0)
    return tuple((name, (x - mean) / std, y) for name, x, y in parts)


def main():
    for name, loader in (("iris.csv", load_iris), ("wine.csv", load_wine)):
        bunch = loader()
        write(name, standardized(split(bunch.data, bunch.target)), lambda v: repr(float(v)))
    digits = load_digits()
    write("digits.csv", split(digits.data / 16.0, digits.target), lambda v: repr(float(v)))


if __name__ == "__main__":
    main()
