#!/usr/bin/python3
"""test_shards.py: `sweep --shard K/N` and `sweep merge`, end to end.

Drives the real binary ($SWEEP_BINARY, no MPI needed) on a small grid of the
built-in data set (16 runs of four batch sizes, so of very different costs)
and checks, against an unsharded sweep of it (the reference):

- shards 0..2 of 3 are disjoint, cover the grid, are balanced by estimated
  cost and are the same on every call; each part holds only its runs, with
  their positions in the grid as the `run` coordinate;
- merging the three parts gives the reference file, bit for bit in every
  dataset but the wall times, compressed like it;
- a missing part: merge names the missing runs, exits 4 and leaves them
  pending; `--resume` then completes the file to the reference;
- refused, with one line and nothing written: parts of another config, of
  other data, the same run finished in two parts, an existing OUT;
- a killed shard resumes (`--shard K/N --resume`); a part resumed without
  --shard grows into the whole grid's file; a part is not resumed as
  another shard; bad --shard values are usage errors.

Tolerance: none; every comparison is bitwise. Runs under unittest.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_files import (BINARY, assert_consistent_partial, assert_same_file,  # noqa: E402
                         attributes, datasets, sweep, write)
from check_cases import checks_case, in_fresh_folder  # noqa: E402

GRID = """\
model: {epochs: 60, l2: 0.01}
grid: {batch_size: [4, 16, 64, 364], l1: [0.0, 0.001], seed: {range: [0, 2]}}
"""
N_RUNS = 16
CHECKS = []
SHARED = {}   # made once: the config, the reference and the three parts


def check(function):
    CHECKS.append(function)
    return function


def shared():
    """The config, an unsharded reference and parts 0..2 of 3, made once."""
    if not SHARED:
        folder = tempfile.mkdtemp(prefix="test_shards.shared.")
        config = write(folder, "grid.yaml", GRID)
        reference = os.path.join(folder, "reference.h5")
        result = sweep([config, "-o", reference, "-q", "-j", "2"])
        assert result.returncode == 0, result.stderr
        parts = []
        for k in range(3):
            part = os.path.join(folder, f"part-{k}.h5")
            result = sweep([config, "--shard", f"{k}/3", "-o", part, "-q", "-j", "2"])
            assert result.returncode == 0, result.stderr
            parts.append(part)
        SHARED.update(folder=folder, config=config, reference=reference, parts=parts)
    return SHARED["config"], SHARED["reference"], SHARED["parts"]


def copy(path, folder, name):
    target = os.path.join(folder, name)
    shutil.copyfile(path, target)
    return target


def cost(batch_size, epochs, units=10, n_train=364, n_features=30):
    """schedule_cost of src/schedule.c, for the balance check."""
    n_batches = -(-n_train // batch_size)
    per_row = units * (2.0 * n_features + 4.0)
    return epochs * (n_train * per_row + n_batches * (per_row + 64.0))


@check
def shards_are_disjoint_balanced_and_cover_the_grid(folder):
    config, reference, parts = shared()
    numbers, costs = [], []
    for k, part in enumerate(parts):
        attrs = attributes(part)
        assert attrs["shard"] == f"{k}/3" and attrs["grid_runs"] == N_RUNS, attrs
        data = datasets(part)
        run = data["run"].tolist()
        assert run == sorted(run) and attrs["n_runs"] == len(run), run
        assert (data["status"] == 1).all(), data["status"]
        # Each row is the reference's row of the same run number, bitwise.
        expected = datasets(reference)
        for name in ("batch_size", "l1", "seed", "train_loss", "val_loss", "val_score"):
            assert data[name].tobytes() == expected[name][run].tobytes(), name
        numbers.append(run)
        costs.append(sum(cost(int(b), 60) for b in data["batch_size"]))
    everything = sorted(n for run in numbers for n in run)
    assert everything == list(range(N_RUNS)), everything
    # Greedy by cost: the totals differ by at most the largest run's cost.
    assert max(costs) - min(costs) <= cost(4, 60), costs
    # The same shard again: the same runs (deterministic).
    again = os.path.join(folder, "again.h5")
    result = sweep([config, "--shard", "1/3", "-o", again, "-q"])
    assert result.returncode == 0, result.stderr
    assert datasets(again)["run"].tolist() == numbers[1]


@check
def merged_parts_equal_the_unsharded_file(folder):
    config, reference, parts = shared()
    out = os.path.join(folder, "merged.h5")
    result = sweep(["merge", out, *reversed(parts)])
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert f"sweep merge: {N_RUNS} runs ({N_RUNS} done, 0 failed, 0 missing) from 3 parts" \
        in result.stderr, result.stderr
    assert_same_file(out, reference)
    attrs = attributes(out)
    assert "shard" not in attrs and attrs["n_runs"] == N_RUNS, attrs
    assert attrs["effective_config"] == attributes(reference)["effective_config"]
    with h5py.File(out, "r") as handle:   # the final, compressed form
        assert handle["train_loss"].compression == "gzip"
    assert not os.path.exists(out + ".partial") and not os.path.exists(out + ".lock")


@check
def missing_part_is_named_and_resume_completes_it(folder):
    config, reference, parts = shared()
    out = os.path.join(folder, "incomplete.h5")
    result = sweep(["merge", out, parts[0], parts[2]])
    assert result.returncode == 4, (result.returncode, result.stderr)
    missing = datasets(parts[1])["run"].tolist()
    named = ", ".join(str(n) for n in missing)
    assert f"{len(missing)} of {N_RUNS} runs are in no part and stay pending in {out}: " \
           f"runs {named} (run {missing[0]}: batch_size=" in result.stderr, result.stderr
    assert f"train them with: sweep {config} -o {out} --resume" in result.stderr, result.stderr
    status = datasets(out)["status"]
    assert (status[missing] == 0).all() and (np.delete(status, missing) == 1).all(), status
    assert_consistent_partial(out, reference)
    result = sweep([config, "-o", out, "--resume", "-q"])
    assert result.returncode == 0, result.stderr
    assert_same_file(out, reference)


@check
def overlapping_parts_are_refused(folder):
    config, reference, parts = shared()
    out = os.path.join(folder, "overlap.h5")
    first = datasets(parts[0])["run"][0]
    for others in ([parts[0]], [reference]):
        result = sweep(["merge", out, parts[0], *others, parts[1]])
        assert result.returncode == 2, (result.returncode, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert f"sweep: merge: run {first} (batch_size=4, " in result.stderr, result.stderr
        assert f"is finished in both {parts[0]} and {others[0]}; merge only one of them" \
            in result.stderr, result.stderr
        assert not os.path.exists(out), os.listdir(folder)


@check
def parts_of_other_sweeps_are_refused(folder):
    config, reference, parts = shared()
    out = os.path.join(folder, "mismatch.h5")
    # Another config: one more epoch.
    other = write(folder, "other.yaml", GRID.replace("epochs: 60", "epochs: 61"))
    other_part = os.path.join(folder, "other-1.h5")
    assert sweep([other, "--shard", "1/3", "-o", other_part, "-q"]).returncode == 0
    result = sweep(["merge", out, parts[0], other_part])
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{other_part}: not from the same sweep as {parts[0]}: their effective configs " \
           "differ: '  epochs: 60' and '  epochs: 61'" in result.stderr, result.stderr
    # Other data: the same rows standardized differently.
    data_config = write(folder, "unscaled.yaml", GRID + "dataset: {builtin: wdbc, standardize: false}\n")
    data_part = os.path.join(folder, "unscaled-1.h5")
    assert sweep([data_config, "--shard", "1/3", "-o", data_part, "-q"]).returncode == 0
    result = sweep(["merge", out, parts[0], data_part])
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{data_part}: not from the same sweep as {parts[0]}: made from other data" \
        in result.stderr, result.stderr
    # `name:` (the file's stem here), `output:` and `threads:` change no
    # result: such parts do merge.
    relaxed = write(folder, "relaxed.yaml", GRID + "threads: 1\noutput: elsewhere.h5\n")
    relaxed_part = os.path.join(folder, "relaxed-1.h5")
    assert sweep([relaxed, "--shard", "1/3", "-o", relaxed_part, "-q"]).returncode == 0
    result = sweep(["merge", out, parts[0], relaxed_part, parts[2]])
    assert result.returncode == 0, result.stderr
    assert_same_file(out, reference)
    # Not a results file at all.
    result = sweep(["merge", os.path.join(folder, "x.h5"), parts[0], config])
    assert result.returncode == 2, result.stderr
    assert f"{config}: not a valid sweep results file: not an HDF5 file" in result.stderr, \
        result.stderr


@check
def merge_refuses_an_existing_output(folder):
    config, reference, parts = shared()
    out = copy(parts[0], folder, "exists.h5")
    before = datasets(out)
    result = sweep(["merge", out, *parts])
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert f"{out}: exists (use --overwrite to replace it)" in result.stderr, result.stderr
    assert all(before[k].tobytes() == v.tobytes() for k, v in datasets(out).items())
    # With --overwrite, OUT may even be one of the parts.
    result = sweep(["merge", out, "--overwrite", out, parts[1], parts[2]])
    assert result.returncode == 0, result.stderr
    assert_same_file(out, reference)
    for args in (["merge"], ["merge", out], ["merge", out, parts[0], "--bogus"]):
        result = sweep(args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr


@check
def killed_shard_resumes_and_part_grows_into_the_grid(folder):
    config, reference, parts = shared()
    part = os.path.join(folder, "part-2.h5")
    process = subprocess.Popen([BINARY, config, "--shard", "2/3", "-o", part, "-q", "-j", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not os.path.exists(part) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    result = sweep([config, "--shard", "2/3", "-o", part, "--resume", "-q"])
    assert result.returncode == 0, result.stderr
    assert_same_file(part, parts[2])
    # Not as another shard.
    result = sweep([config, "--shard", "1/3", "-o", part, "--resume"])
    assert result.returncode == 2, result.stderr
    assert f"{part}: cannot resume it as shard 1/3: it is shard 2/3" in result.stderr, \
        result.stderr
    # Without --shard: the file grows into the whole grid's.
    result = sweep([config, "-o", part, "--resume"])
    assert result.returncode == 0, result.stderr
    kept = len(datasets(parts[2])["run"])
    assert f"{kept} of {N_RUNS} runs kept, {N_RUNS - kept} to train" in result.stderr, \
        result.stderr
    assert_same_file(part, reference)


@check
def bad_shards_are_usage_errors(folder):
    config, _, _ = shared()
    out = os.path.join(folder, "bad.h5")
    for value in ("3/3", "-1/3", "1", "a/b", "0/0", "1/2/3", "0/", "/3"):
        result = sweep([config, "--shard", value, "-o", out])
        assert result.returncode == 2, (value, result.returncode, result.stderr)
        assert result.stderr.count("\n") == 1 and "--shard: expected K/N" in result.stderr, \
            (value, result.stderr)
    result = sweep([config, "--shard", "0/17", "-o", out])
    assert result.returncode == 2, result.stderr
    assert "--shard 0/17: the grid has only 16 runs, so some shards would be empty" \
        in result.stderr, result.stderr
    assert not os.path.exists(out)
    # A dry run shows the shard's runs.
    result = sweep([config, "--shard", "0/3", "--dry-run"])
    assert result.returncode == 0, result.stderr
    numbers = ", ".join(str(n) for n in datasets(shared()[2][0])["run"])
    count = numbers.count(",") + 1
    assert f"shard 0/3: {count} of the grid's 16 runs: {numbers}\n" in result.stdout, \
        result.stdout


def remove_shared():
    if SHARED:
        shutil.rmtree(SHARED["folder"], ignore_errors=True)


Shards = checks_case("Shards", CHECKS, in_fresh_folder("test_shards."),
                     tear_down_class=remove_shared)


if __name__ == "__main__":
    unittest.main(verbosity=2)
