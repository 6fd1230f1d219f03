#!/usr/bin/python3
"""test_textbook_numpy.py: scripts/textbook_numpy.py reproduces the book's runs.

The numpy network in scripts/textbook_numpy.py is the reference the C code is
tested against (tests/test_train.c) and the baseline scripts/bench times. Here
it is checked against the two loss curves printed by the textbook's own code,
tests/data/book_bs32.csv and book_bs128.csv (l2 0.01, batch 32 and 128, 500
epochs, seed 42): its `epoch,train_loss,val_loss` output must equal each file
BYTE FOR BYTE (tolerance: none; repr() precision), once the trailing '#'
score lines are dropped. Its final val accuracy must be exactly 89/91, as in
the book. Also checked: the importable API that scripts/bench uses,
load_data() and train(), gives the very same curve.

Run with Debian's /usr/bin/python3 (python3-numpy); prints "N passed, M failed".
"""

import os
import subprocess
import sys
import traceback

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(SOURCE_DIR, "scripts", "textbook_numpy.py")
DATA_DIR = os.path.join(SOURCE_DIR, "tests", "data")

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def run_script(batch_size):
    """The script's stdout for the book's run at this batch size."""
    completed = subprocess.run(
        [sys.executable, SCRIPT, "--batch-size", str(batch_size), "--l2", "0.01",
         "--epochs", "500"],
        check=True, capture_output=True, text=True)
    return completed.stdout


def expect_same_curve(batch_size, file_name):
    output = run_script(batch_size)
    curve = "".join(line + "\n" for line in output.splitlines() if not line.startswith("#"))
    with open(os.path.join(DATA_DIR, file_name)) as f:
        expected = f.read()
    if curve != expected:
        got_lines, expected_lines = curve.splitlines(), expected.splitlines()
        for number, (got, want) in enumerate(zip(got_lines, expected_lines)):
            if got != want:
                raise AssertionError(f"{file_name} line {number + 1}: got {got!r}, "
                                     f"expected {want!r}")
        raise AssertionError(f"{file_name}: {len(got_lines)} lines, expected "
                             f"{len(expected_lines)}")
    scores = dict(line[2:].split() for line in output.splitlines() if line.startswith("# "))
    # exact: 89 of the 91 val rows, the book's accuracy
    assert float(scores["val_score"]) == 89 / 91, scores


@check
def book_batch32_byte_for_byte():
    expect_same_curve(32, "book_bs32.csv")


@check
def book_batch128_byte_for_byte():
    expect_same_curve(128, "book_bs128.csv")


@check
def importable_api_gives_the_same_curve():
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import textbook_numpy  # noqa: E402 - the script's folder is only known here

    data = textbook_numpy.load_data(textbook_numpy.DEFAULT_DATA)
    assert data["x_train"].shape == (364, 30), data["x_train"].shape
    assert data["x_val"].shape == (91, 30), data["x_val"].shape
    net = textbook_numpy.train(data, batch_size=128, l2=0.01, epochs=500, seed=42)
    with open(os.path.join(DATA_DIR, "book_bs128.csv")) as f:
        rows = [line.split(",") for line in f.read().splitlines()[1:]]
    # exact: the same doubles as the file's repr() strings
    assert [repr(float(v)) for v in net.losses] == [row[1] for row in rows]
    assert [repr(float(v)) for v in net.val_losses] == [row[2] for row in rows]


def main():
    passed = failed = 0
    for function in CHECKS:
        try:
            function()
        except Exception:  # noqa: BLE001 - a check's failure, reported
            failed += 1
            print(f"FAIL {function.__name__}:")
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print(f"ok   {function.__name__}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
