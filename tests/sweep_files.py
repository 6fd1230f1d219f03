"""sweep_files.py: helpers of the shard, merge and MPI tests.

Not a test itself (CTest runs tests/test_*.py): it runs the binary and
compares results files the way tests/test_crash_safety.py does, bit for bit
in every dataset but the wall times.
"""

import os
import subprocess

import h5py

from check_cases import BINARY  # noqa: F401 - re-exported to the tests

PER_RUN_EXCLUDED = {"seconds"}      # wall times differ between runs


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def sweep(args, **kwargs):
    """Run the binary alone (no MPI launcher) to the end."""
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=600, **kwargs)


def datasets(path):
    """Every dataset of a results file, as arrays (the failure text as bytes)."""
    with h5py.File(path, "r") as handle:
        return {name: handle[name][...] for name in handle}


def attributes(path):
    with h5py.File(path, "r") as handle:
        return dict(handle.attrs)


def assert_same_file(path, reference_path):
    """Equal to the reference in every dataset but `seconds`, bit for bit."""
    got, expected = datasets(path), datasets(reference_path)
    assert sorted(got) == sorted(expected), (sorted(got), sorted(expected))
    for name in expected:
        if name in PER_RUN_EXCLUDED:
            continue
        assert got[name].dtype == expected[name].dtype, name
        assert got[name].shape == expected[name].shape, (name, got[name].shape)
        assert got[name].tobytes() == expected[name].tobytes(), f"{name} differs"


def assert_consistent_partial(path, reference_path):
    """A stopped sweep's file: it opens; every run marked done or failed
    equals the reference's row bit for bit, the others are pending. Returns
    the number of finished runs."""
    reference = datasets(reference_path)
    with h5py.File(path, "r") as handle:
        status = handle["status"][...]
        finished = status != 0
        assert set(status.tolist()) <= {0, 1, 2}, set(status.tolist())
        for name, values in reference.items():
            if name in PER_RUN_EXCLUDED:
                continue
            got = handle[name][...]
            if name in ("run", "epoch", "batch_size", "learning_rate", "l1", "l2", "units",
                        "epochs", "seed"):
                assert got.tobytes() == values.tobytes(), name
            else:
                assert got[finished].tobytes() == values[finished].tobytes(), name
        return int(finished.sum())
