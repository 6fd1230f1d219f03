#!/usr/bin/python3
"""test_textbook_numpy.py: scripts/textbook_numpy.py reproduces the book's runs.

The numpy network in scripts/textbook_numpy.py is the baseline scripts/bench
times and the tool that made the reference curves of tests/data (which
tests/test_train.c holds the C code to). Here it is checked against the two
loss curves printed by the textbook's own code, tests/data/book_bs32.csv and
book_bs128.csv (l2 0.01, batch 32 and 128, 500 epochs, seed 42).

Tolerances, and why none of them depends on the machine's BLAS: numpy's dot
products go through whatever BLAS numpy loads (Debian's reference BLAS, or
OpenBLAS once libopenblas0-pthread is installed), and the BLASes sum in
different orders, which moves the curves by about 1e-15. So:
- curves: within 1e-9, absolute, at every epoch (as tests/test_train.c);
- the val accuracy: exactly 89/91, the book's. It is a count of rows whose
  output is on the right side of 0; it is exact whatever the BLAS because no
  val row's output is near 0: the smallest |z2| is checked to be above 1e-6,
  nine orders of magnitude beyond what a BLAS changes.
The script's output format (header, one row per epoch, '#' score lines) is
checked exactly: it is text the script writes, not arithmetic.

Run with Debian's /usr/bin/python3 (python3-numpy); unittest (-k NAME selects).
"""

import os
import subprocess
import sys
import unittest

from check_cases import checks_case, without_arguments

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(SOURCE_DIR, "scripts", "textbook_numpy.py")
DATA_DIR = os.path.join(SOURCE_DIR, "tests", "data")

CURVE_TOLERANCE = 1e-9    # absolute, at every epoch
OUTPUT_MARGIN = 1e-6      # smallest |z2| of a val row that keeps the accuracy exact
HEADER = "epoch,train_loss,val_loss"

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def read_curve(lines, label):
    """[(train_loss, val_loss)] from 'epoch,train_loss,val_loss' lines whose
    epochs must be 0, 1, 2... in order."""
    assert lines and lines[0] == HEADER, f"{label}: first line {lines[:1]!r}, expected {HEADER!r}"
    curve = []
    for number, line in enumerate(lines[1:]):
        fields = line.split(",")
        assert len(fields) == 3 and fields[0] == str(number), f"{label} line {number + 2}: {line!r}"
        curve.append((float(fields[1]), float(fields[2])))
    return curve


def reference_curve(file_name):
    with open(os.path.join(DATA_DIR, file_name)) as f:
        return read_curve(f.read().splitlines(), file_name)


def assert_close_curves(got, expected, label):
    """Same number of epochs; each loss within CURVE_TOLERANCE of the reference."""
    assert len(got) == len(expected), f"{label}: {len(got)} epochs, expected {len(expected)}"
    worst = (0.0, None)
    for epoch, (got_pair, expected_pair) in enumerate(zip(got, expected)):
        for name, value, reference in zip(("train_loss", "val_loss"), got_pair, expected_pair):
            difference = abs(value - reference)
            assert difference <= CURVE_TOLERANCE, (
                f"{label}: epoch {epoch} {name} {value!r}, reference {reference!r} "
                f"(difference {difference:.3g} > {CURVE_TOLERANCE})")
            if difference > worst[0]:
                worst = (difference, f"epoch {epoch} {name}")
    print(f"     {label}: largest difference {worst[0]:.3g} ({worst[1] or 'none'}), "
          f"tolerance {CURVE_TOLERANCE}")


def expect_book_curve(batch_size, file_name):
    completed = subprocess.run(
        [sys.executable, SCRIPT, "--batch-size", str(batch_size), "--l2", "0.01",
         "--epochs", "500"],
        check=True, capture_output=True, text=True)
    lines = completed.stdout.splitlines()
    curve_lines = [line for line in lines if not line.startswith("#")]
    score_lines = [line for line in lines if line.startswith("#")]
    assert lines[len(curve_lines):] == score_lines, "the '#' lines must come last"
    assert [line.split()[1] for line in score_lines] == \
        ["train_score", "val_score", "test_score"], score_lines
    assert_close_curves(read_curve(curve_lines, "output"), reference_curve(file_name),
                        f"batch {batch_size} vs {file_name}")
    scores = dict(line[2:].split() for line in score_lines)
    # exact: 89 of the 91 val rows, the book's accuracy (see the docstring)
    assert float(scores["val_score"]) == 89 / 91, scores


@check
def book_batch32_within_tolerance():
    expect_book_curve(32, "book_bs32.csv")


@check
def book_batch128_within_tolerance():
    expect_book_curve(128, "book_bs128.csv")


@check
def importable_api_gives_the_book_curve_and_a_clear_margin():
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import textbook_numpy  # noqa: E402 - the script's folder is only known here

    data = textbook_numpy.load_data(textbook_numpy.DEFAULT_DATA)
    assert data["x_train"].shape == (364, 30), data["x_train"].shape
    assert data["x_val"].shape == (91, 30), data["x_val"].shape
    net = textbook_numpy.train(data, batch_size=128, l2=0.01, epochs=500, seed=42)
    got = [(float(a), float(b)) for a, b in zip(net.losses, net.val_losses)]
    assert_close_curves(got, reference_curve("book_bs128.csv"), "train() batch 128")
    # exact: a count of rows (see the docstring)
    assert net.score(data["x_val"], data["y_val"]) == 89 / 91
    margin = float(abs(net.forpass(data["x_val"])).min())
    print(f"     smallest |z2| over the val rows: {margin:.3g} (must exceed {OUTPUT_MARGIN})")
    assert margin > OUTPUT_MARGIN, margin


def loaded_blas():
    """The BLAS libraries this process has loaded (numpy loads one on import),
    so that the log says which BLAS the curves were checked with."""
    import numpy  # noqa: F401 - imported for the libraries it loads
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    return ", ".join(sorted(paths)) or "unknown"


def print_blas():
    print(f"     numpy's BLAS: {loaded_blas()}")


TextbookNumpy = checks_case("TextbookNumpy", CHECKS, without_arguments, needs_binary=False,
                            set_up_class=print_blas)


if __name__ == "__main__":
    unittest.main(verbosity=2)
