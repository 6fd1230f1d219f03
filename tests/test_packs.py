#!/usr/bin/python3
"""test_packs.py: runs trained side by side (packs, train_pack) end to end.

Drives the real binary ($SWEEP_BINARY) on a grid of the built-in wdbc set
that mixes seeds, L1/L2 penalties and learning rates (one of them diverges,
so that some lanes of a pack fail while the others go on) over batch sizes
1, 8 and 100 and two unit counts, and checks that the results file is the
same with packing and without it (SWEEP_NO_PACK=1, which trains every run
alone): with -j 1 and -j 2, with two shards merged, and when a sweep of
part of the grid is resumed with the whole grid (so packs form from what is
left).

Tolerance: none; every dataset but the wall times, bitwise.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cases import checks_case, in_fresh_folder  # noqa: E402
from sweep_files import assert_same_file, datasets, sweep, write  # noqa: E402

GRID = """\
model: {epochs: 12}
grid:
  batch_size: [1, 8, 100]
  units: [3, 10]
  seed: [1, 2, 3, 4, 5]
  l1: [0.0, 0.001]
  l2: [0.0, 0.01]
  learning_rate: [0.1, 1000000.0]
"""

UNPACKED = dict(os.environ, SWEEP_NO_PACK="1")


def finished(done):
    """A sweep that trained everything; some runs of the grid diverge, which
    sweep (and merge) report with exit status 3."""
    assert done.returncode in (0, 3), done.stderr
    assert all("failed" in line for line in done.stderr.splitlines()), done.stderr


def unpacked_reference(folder):
    config = write(folder, "grid.yaml", GRID)
    reference = os.path.join(folder, "alone.h5")
    finished(sweep([config, "-o", reference, "-q", "-j", "1"], env=UNPACKED))
    status = datasets(reference)["status"]
    assert (status == 1).any() and (status == 2).any(), "the grid needs done and failed runs"
    return config, reference


def check_packed_equals_alone(folder):
    config, reference = unpacked_reference(folder)
    for jobs in ("1", "2"):
        packed = os.path.join(folder, f"packed{jobs}.h5")
        finished(sweep([config, "-o", packed, "-q", "-j", jobs]))
        assert_same_file(packed, reference)


def check_shards_and_resume(folder):
    config, reference = unpacked_reference(folder)
    parts = []
    for k in range(2):
        part = os.path.join(folder, f"part{k}.h5")
        finished(sweep([config, "-o", part, "-q", "--shard", f"{k}/2"]))
        parts.append(part)
    merged = os.path.join(folder, "merged.h5")
    finished(sweep(["merge", merged, *parts, "-q"]))
    assert_same_file(merged, reference)
    grown = os.path.join(folder, "grown.h5")
    finished(sweep([config, "-o", grown, "-q", "--set", "grid.seed=[2, 4]"]))
    finished(sweep([config, "-o", grown, "-q", "--resume", "-j", "2"]))
    assert_same_file(grown, reference)


MULTICLASS_CV_GRID = """\
dataset: iris
model: {type: multiclass, epochs: 15, units: 6}
cv: {folds: 3, repeats: 2, seed: 1}
grid:
  batch_size: [1, 16]
  seed: [1, 2, 3]
  l2: [0.0, 0.01]
  learning_rate: [0.1, 1000000.0]
"""


def check_multiclass_folds_packed_equals_alone(folder):
    """The multi-class model's packs, under cross-validation: a pack holds
    runs of one fold only (each fold is a data set of its own)."""
    config = write(folder, "iris.yaml", MULTICLASS_CV_GRID)
    reference = os.path.join(folder, "alone.h5")
    finished(sweep([config, "-o", reference, "-q", "-j", "1"], env=UNPACKED))
    status = datasets(reference)["status"]
    assert (status == 1).any(), "the grid needs done runs"
    packed = os.path.join(folder, "packed.h5")
    finished(sweep([config, "-o", packed, "-q", "-j", "2"]))
    assert_same_file(packed, reference)


Packs = checks_case("Packs", [check_packed_equals_alone, check_shards_and_resume,
                              check_multiclass_folds_packed_equals_alone],
                    in_fresh_folder("test_packs."))

if __name__ == "__main__":
    unittest.main(verbosity=2)
