"""Write data/iris.csv, data/wine.csv and data/digits.csv from scikit-learn.

Run from the project root with Debian's interpreter (python3-sklearn 1.2):
    /usr/bin/python3 data/generate_builtin.py

Rows keep the order scikit-learn ships them in (the stratified splits that
`sweep` makes, like the textbook's train_test_split calls, depend on it).
Feature names are scikit-learn's, lower case, with spaces turned into
underscores and parentheses dropped. The target column holds the class names
where scikit-learn has names (iris, wine) and the digit for digits; sorted
byte-wise, the names number the classes exactly as scikit-learn's target does.
Numbers are written as Python's shortest round-trip repr, so they read back
as the same doubles; whole numbers without ".0".
"""
import os

import numpy as np
from sklearn.datasets import load_digits, load_iris, load_wine

HERE = os.path.dirname(os.path.abspath(__file__))


def number_text(value):
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def column_name(name):
    return name.lower().replace(" ", "_").replace("(", "").replace(")", "")


def csv_text(data, class_names):
    """The CSV text of a scikit-learn Bunch; class_names None: the numbers."""
    names = [column_name(n) for n in data.feature_names]
    if class_names is not None:
        # The names must sort into sklearn's class order, or the numbering changes.
        assert sorted(class_names) == list(class_names)
    lines = [",".join(names + ["target"]) + "\n"]
    for row, target in zip(data.data, data.target):
        label = class_names[target] if class_names is not None else "%d" % target
        lines.append(",".join(number_text(v) for v in row) + "," + label + "\n")
    return "".join(lines)


def builtin_texts():
    """{file name: text} of the three files."""
    iris = load_iris()
    wine = load_wine()
    digits = load_digits()
    assert np.array_equal(digits.target_names, np.arange(10))
    return {
        "iris.csv": csv_text(iris, list(iris.target_names)),
        "wine.csv": csv_text(wine, list(wine.target_names)),
        "digits.csv": csv_text(digits, None),
    }


if __name__ == "__main__":
    for file_name, text in builtin_texts().items():
        with open(os.path.join(HERE, file_name), "w", newline="\n") as out:
            out.write(text)
