#!/usr/bin/python3
"""test_crash_safety.py: nothing finished is ever lost, end to end.

Drives the real binary ($SWEEP_BINARY) on small sweeps of the built-in data
set and checks, against an uninterrupted run of the same config (the
reference; compared bit for bit, every dataset but the wall times):

- kills: 20 SIGKILLs at seeded random moments (alternating fresh sweeps and
  --resume of the killed file) leave a file that h5py opens, whose runs
  marked done or failed equal the reference and all others are pending; a
  last --resume then completes it to the reference exactly;
- signals: SIGINT exits 130 and SIGTERM 143 with a resume hint, a second
  SIGINT stops at once; each leaves a valid file that --resume completes;
- resume: a config that adds runs grows the file (equal to a fresh sweep of
  the larger grid); a changed config or other data is refused, naming the
  difference; failed runs are kept unless --retry-failed;
- one writer: a second sweep on the same output is refused while the first
  runs;
- a full disk (a real 512 KiB tmpfs): one-line error, exit 1, the finished
  runs kept; --resume after freeing space completes the file.

Tolerance: none; every comparison is bitwise. Runs under unittest.
"""

import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_files import (BINARY, assert_consistent_partial, assert_same_file,  # noqa: E402
                         datasets, sweep, write)
from check_cases import checks_case, in_fresh_folder  # noqa: E402

GRID = """\
model: {epochs: 150, l2: 0.01}
grid: {batch_size: [4, 16, 64, 364], l1: [0.0, 0.001], seed: {range: [0, %d]}}
"""
KILL_SEED = 20261126                # fixed: the kill moments are repeatable
N_KILLS = 20

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def start(args):
    return subprocess.Popen([BINARY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


REFERENCES = {}   # n_seeds -> (config, path, seconds), made once per test run


def reference_file(folder, n_seeds=8, name=None):
    """The config of the grid with `n_seeds` seeds and an uninterrupted
    results file of it: shared, or a private copy at folder/name."""
    if n_seeds not in REFERENCES:
        shared = tempfile.mkdtemp(prefix="test_crash_safety.reference.")
        config = write(shared, f"grid{n_seeds}.yaml", GRID % n_seeds)
        path = os.path.join(shared, "reference.h5")
        started = time.monotonic()
        result = sweep([config, "-o", path, "-q", "-j", "2"])
        assert result.returncode == 0, result.stderr
        REFERENCES[n_seeds] = (config, path, time.monotonic() - started)
    config, path, seconds = REFERENCES[n_seeds]
    if name is not None:
        copy = os.path.join(folder, name)
        with open(path, "rb") as source, open(copy, "wb") as target:
            target.write(source.read())
        path = copy
    return config, path, seconds


@check
def twenty_kills_then_resume_is_bit_identical(folder):
    config, reference_path, seconds = reference_file(folder)
    path = os.path.join(folder, "killed.h5")
    moments = random.Random(KILL_SEED)
    kills = opened = 0
    for kill in range(N_KILLS):
        # Even kills start over, odd ones resume the killed file, so that
        # kills land while a file is created, written, resumed or compressed.
        mode = ["--overwrite"] if kill % 2 == 0 else ["--resume"]
        delay = moments.uniform(0.0, 1.2 * seconds) if kill > 1 else 0.002 * (kill + 1)
        process = start([config, "-o", path, "-q", "-j", "2", *mode])
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        kills += 1
        if os.path.exists(path):
            done = assert_consistent_partial(path, reference_path)
            opened += 1
            print(f"     kill {kill + 1:2d} at {delay:.3f} s ({mode[0]}): {done} runs kept")
        else:
            print(f"     kill {kill + 1:2d} at {delay:.3f} s ({mode[0]}): before the file existed")
    assert kills == N_KILLS and opened >= N_KILLS // 2, (kills, opened)
    result = sweep([config, "-o", path, "-q", "-j", "2", "--resume"])
    assert result.returncode == 0, result.stderr
    assert_same_file(path, reference_path)
    assert not os.path.exists(path + ".partial")


def interrupt(folder, first, second=None, expected_status=130):
    config, reference_path, seconds = reference_file(folder, n_seeds=48)
    path = os.path.join(folder, "interrupted.h5")
    process = start([config, "-o", path, "-j", "1"])
    # The file appears once the handlers are in place: a signal before that
    # (a loaded machine slow to start the process) would meet the default
    # action instead of the sweep's.
    deadline = time.monotonic() + 60
    while not os.path.exists(path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(max(0.3, seconds / 3))
    process.send_signal(first)
    if second is not None:
        time.sleep(0.01)
        process.send_signal(second)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == expected_status, (process.returncode, stderr)
    if second is None:
        name = "SIGINT" if first == signal.SIGINT else "SIGTERM"
        assert f"interrupted by {name}" in stderr and "--resume" in stderr, stderr
    assert_consistent_partial(path, reference_path)
    result = sweep([config, "-o", path, "-q", "-j", "2", "--resume"])
    assert result.returncode == 0, result.stderr
    assert_same_file(path, reference_path)


@check
def sigint_exits_130_and_resumes(folder):
    interrupt(folder, signal.SIGINT)


@check
def sigterm_exits_143_and_resumes(folder):
    interrupt(folder, signal.SIGTERM, expected_status=143)


@check
def second_sigint_stops_at_once(folder):
    interrupt(folder, signal.SIGINT, signal.SIGINT)


def cpu_seconds_so_far(pid):
    """The CPU time (user + system) a running process has used, from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reaped_children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@check
def sigint_abandons_long_runs_within_the_grace(folder):
    # Two runs of 300,000 epochs: about 10 s of CPU each. After SIGINT they
    # go on for the grace (2 s, TRAIN_CANCEL_GRACE_SECONDS) and are
    # abandoned. The grace is wall-clock time, so the wait is at least 2 s;
    # the upper bound is on the CPU time spent after the signal (2 threads x
    # the grace, plus 3 s of slack), which a loaded machine does not stretch
    # as it stretches the wall time, and which is far below the 20 s that
    # finishing the runs would take.
    config = write(folder, "long_runs.yaml", "model: {epochs: 300000, batch_size: 364}\n"
                   "grid: {seed: [0, 1]}\n")
    path = os.path.join(folder, "long.h5")
    children_before = reaped_children_cpu_seconds()
    process = start([config, "-o", path, "-j", "2"])
    deadline = time.monotonic() + 60
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    cpu_before_signal = cpu_seconds_so_far(process.pid)
    signalled = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    waited = time.monotonic() - signalled
    cpu_after_signal = reaped_children_cpu_seconds() - children_before - cpu_before_signal
    print(f"     exited {waited:.2f} s after SIGINT, {cpu_after_signal:.2f} s of CPU")
    assert process.returncode == 130, (process.returncode, stderr)
    assert waited >= 2.0, waited
    assert cpu_after_signal < 2 * 2.0 + 3.0, cpu_after_signal
    assert "0 of 2 runs done, 0 failed, 2 pending" in stderr, stderr
    with h5py.File(path, "r") as handle:
        assert list(handle["status"][...]) == [0, 0]


@check
def resume_grows_the_file_when_runs_are_added(folder):
    small_config, small_path, _ = reference_file(folder, n_seeds=4, name="grown.h5")
    big_config, big_reference, _ = reference_file(folder, n_seeds=6)
    result = sweep([big_config, "-o", small_path, "-j", "2", "--resume"])
    assert result.returncode == 0, result.stderr
    assert "32 of 48 runs kept, 16 to train" in result.stderr, result.stderr
    assert_same_file(small_path, big_reference)


@check
def resume_refuses_a_changed_config(folder):
    config, path, _ = reference_file(folder, n_seeds=2, name="changed.h5")
    before = datasets(path)
    changed = write(folder, "changed.yaml", (GRID % 2).replace("l2: 0.01", "l2: 0.02"))
    result = sweep([changed, "-o", path, "--resume"])
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "cannot resume: 16 of its 16 runs are not in the config, e.g. run 0 " \
           "(batch_size=4, learning_rate=0.10000000000000001, l1=0, l2=0.01" in result.stderr, \
        result.stderr
    after = datasets(path)
    assert all(before[k].tobytes() == after[k].tobytes() for k in before)


@check
def resume_refuses_other_data(folder):
    data = os.path.join(os.environ["SOURCE_DIR"], "data", "wdbc.csv")
    with open(data, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    # The same rows but one value changed: same shapes, other numbers.
    header, first = lines[0], lines[1].split(",")
    first[0] = str(float(first[0]) + 1.0)
    write(folder, "other.csv", "\n".join([header, ",".join(first), *lines[2:]]) + "\n")
    ours = write(folder, "ours.yaml", "dataset: {path: %s, split: split}\nmodel: {epochs: 3}\n"
                 % data)
    other = write(folder, "other.yaml", "dataset: {path: other.csv, split: split}\n"
                  "model: {epochs: 3}\n")
    path = os.path.join(folder, "data.h5")
    assert sweep([ours, "-o", path, "-q"]).returncode == 0
    result = sweep([other, "-o", path, "--resume"])
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "cannot resume: it was made from other data" in result.stderr, result.stderr


@check
def failed_runs_kept_unless_retried(folder):
    config = write(folder, "diverge.yaml", "model: {epochs: 50, batch_size: 364, l2: 1.0}\n"
                   "grid: {learning_rate: [0.1, 1.0e+300]}\n")
    path = os.path.join(folder, "diverge.h5")
    result = sweep([config, "-o", path])
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert "1 of 2 runs failed" in result.stderr, result.stderr
    with h5py.File(path, "r") as handle:
        assert list(handle["status"][...]) == [1, 2]
        assert handle["failure"].asstr()[1].startswith("train loss became"), \
            handle["failure"].asstr()[1]
    result = sweep([config, "-o", path, "--resume"])
    assert "2 of 2 runs kept, 0 to train" in result.stderr, result.stderr
    assert result.returncode == 3
    result = sweep([config, "-o", path, "--resume", "--retry-failed"])
    assert "1 of 2 runs kept, 1 to train" in result.stderr, result.stderr
    assert result.returncode == 3


@check
def second_writer_refused(folder):
    config = write(folder, "long.yaml", "model: {epochs: 500, batch_size: 1}\n"
                   "grid: {seed: {range: [0, 50]}}\n")
    path = os.path.join(folder, "shared.h5")
    first = start([config, "-o", path, "-q", "-j", "1"])
    deadline = time.monotonic() + 60
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        for args in (["--resume"], ["--overwrite"]):
            result = sweep([config, "-o", path, "-q", *args])
            assert result.returncode == 1, (result.returncode, result.stderr)
            assert f"{path}: another sweep (pid {first.pid}) is writing it" in result.stderr, \
                result.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 143, first.returncode
    with h5py.File(path, "r") as handle:   # the first sweep's file is whole
        assert handle["status"].shape == (50,)


@check
def full_disk_keeps_finished_runs(folder):
    if os.geteuid() != 0:
        raise AssertionError("mounting a tmpfs needs root (CI runs as root)")
    mount_point = os.path.join(folder, "small_disk")
    os.mkdir(mount_point)
    # 800 KiB: room for the file as runs are written (four (40, 500) float64
    # curves, ~660 KB), not for it and its compressed copy (~330 KB) together.
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=800k", "tmpfs", mount_point], check=True)
    try:
        config = write(folder, "disk.yaml", "model: {epochs: 500, batch_size: 364}\n"
                       "grid: {seed: {range: [0, 40]}}\n")
        reference = os.path.join(folder, "disk_reference.h5")
        assert sweep([config, "-o", reference, "-q"]).returncode == 0
        # Too small for the file: refused at creation, nothing left behind.
        filler = os.path.join(mount_point, "filler")
        with open(filler, "wb") as handle:
            handle.write(b"\0" * (400 * 1024))
        path = os.path.join(mount_point, "out.h5")
        result = sweep([config, "-o", path, "-q"])
        assert result.returncode == 1, (result.returncode, result.stderr)
        assert result.stderr.count("\n") == 1 and "No space left on device" in result.stderr, \
            result.stderr
        assert sorted(os.listdir(mount_point)) == ["filler"], os.listdir(mount_point)
        # Room for the runs but not for the compressed copy: every run kept.
        os.remove(filler)
        result = sweep([config, "-o", path, "-q"])
        assert result.returncode == 1, (result.returncode, result.stderr)
        assert "No space left on device" in result.stderr, result.stderr
        assert "the uncompressed file is complete" in result.stderr, result.stderr
        with h5py.File(path, "r") as handle:
            assert (handle["status"][...] == 1).all()
        # Space freed (the tmpfs grown): --resume completes it.
        subprocess.run(["mount", "-o", "remount,size=4m", mount_point], check=True)
        result = sweep([config, "-o", path, "-q", "--resume"])
        assert result.returncode == 0, result.stderr
        assert_same_file(path, reference)
    finally:
        subprocess.run(["umount", mount_point], check=False)


def remove_references():
    for _, path, _ in REFERENCES.values():
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)


CrashSafety = checks_case("CrashSafety", CHECKS, in_fresh_folder("test_crash_safety."),
                          tear_down_class=remove_references)


if __name__ == "__main__":
    unittest.main(verbosity=2)
