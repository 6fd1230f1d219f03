#!/usr/bin/python3
"""test_mpi.py: one sweep over the ranks of an MPI job, end to end.

Registered by CMake only in builds with MPI. Runs the real binary
($SWEEP_BINARY) under Open MPI's mpirun ($MPIEXEC; as root it needs
--allow-run-as-root, and --oversubscribe lets 3 ranks share 2 cores) on
small grids of the built-in data set, and checks against a sweep of the same
config by one process without mpirun (the reference), bit for bit in every
dataset but the wall times:

- `mpirun -np 3` gives the reference file; rank 0 writes it alone;
- `-np 2` stopped by SIGTERM to mpirun, by SIGKILL to mpirun, by SIGTERM
  to rank 1 alone, or by rank 1 dying (SIGKILL) leaves a valid file whose
  finished runs are the reference's; `--resume` (with or without mpirun)
  completes it to the reference;
- a resume, a shard and failed runs (NaN loss) under mpirun give the files
  a single process gives;
- a config error is reported once, by rank 0, and every rank exits 2; an
  existing output likewise;
- a cross-validation sweep on 3 ranks (each building the folds itself)
  gives the single-process file;
- the binary still runs without mpirun (every other test of the suite).

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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sweep_files import (BINARY, assert_consistent_partial, assert_same_file,  # noqa: E402
                         attributes, sweep, write)
from check_cases import checks_case, in_fresh_folder  # noqa: E402

MPIEXEC = os.environ.get("MPIEXEC") or shutil.which("mpirun") or "mpirun"
GRID = """\
model: {epochs: %d, l2: 0.01}
grid: {batch_size: [4, 16, 64, 364], l1: [0.0, 0.001], seed: {range: [0, %d]}}
"""
CHECKS = []
REFERENCES = {}   # (epochs, seeds) -> (folder, config, reference path, seconds)


def check(function):
    CHECKS.append(function)
    return function


def launcher(ranks):
    command = [MPIEXEC, "-q", "--oversubscribe", "-np", str(ranks)]
    if os.geteuid() == 0:
        command.insert(1, "--allow-run-as-root")
    return command


def mpirun(ranks, args, **kwargs):
    return subprocess.run([*launcher(ranks), BINARY, *args], capture_output=True, text=True,
                          timeout=600, **kwargs)


def start_mpirun(ranks, args):
    return subprocess.Popen([*launcher(ranks), BINARY, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def reference(epochs=60, seeds=2):
    """A config and its single-process results file, made once per grid."""
    key = (epochs, seeds)
    if key not in REFERENCES:
        folder = tempfile.mkdtemp(prefix="test_mpi.reference.")
        config = write(folder, f"grid_{epochs}_{seeds}.yaml", GRID % (epochs, seeds))
        path = os.path.join(folder, "reference.h5")
        started = time.monotonic()
        result = sweep([config, "-o", path, "-q", "-j", "2"])
        assert result.returncode == 0, result.stderr
        REFERENCES[key] = (folder, config, path, time.monotonic() - started)
    return REFERENCES[key][1:]


def children(pid):
    """The processes whose parent is `pid` (mpirun's ranks), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def rank_of(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            for item in handle.read().split(b"\0"):
                if item.startswith(b"OMPI_COMM_WORLD_RANK="):
                    return int(item.split(b"=", 1)[1])
    except OSError:
        pass
    return None


def wait_gone(pids, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(os.path.exists(f"/proc/{pid}") and not zombie(pid) for pid in pids):
            return
        time.sleep(0.05)
    raise AssertionError(f"ranks {pids} still running {seconds} s after their mpirun ended")


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def wait_for_runs(path, at_least, seconds=60):
    """Until `path` exists with at least `at_least` finished runs (read as
    any reader would, while the sweep writes it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with h5py.File(path, "r") as handle:
                if (handle["status"][...] != 0).sum() >= at_least:
                    return
        except (OSError, KeyError):
            pass
        time.sleep(0.02)
    raise AssertionError(f"{path}: fewer than {at_least} runs finished after {seconds} s")


@check
def three_ranks_equal_one_process(folder):
    config, reference_path, _ = reference()
    out = os.path.join(folder, "mpi.h5")
    result = mpirun(3, [config, "-o", out, "-j", "1"])
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert_same_file(out, reference_path)
    attrs = attributes(out)
    assert attrs["ranks"] == 3 and attrs["threads"] == 1, attrs
    # One summary, from rank 0 alone.
    assert result.stdout.count("val_acc") == 1, result.stdout
    assert result.stderr.count("16 runs (16 done, 0 failed)") == 1, result.stderr
    assert not os.path.exists(out + ".lock") and not os.path.exists(out + ".partial")


@check
def cross_validation_on_three_ranks_equals_one_process(folder):
    # each rank builds the folds from the unstandardized rows rank 0 sends
    config = write(folder, "cv.yaml", GRID % (20, 1) + "cv: {folds: 3, repeats: 2, seed: 5}\n")
    single, spread = os.path.join(folder, "one.h5"), os.path.join(folder, "mpi.h5")
    result = sweep([config, "-o", single, "-q", "-j", "2"])
    assert result.returncode == 0, result.stderr
    result = mpirun(3, [config, "-o", spread, "-j", "1", "-q"])
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert_same_file(spread, single)
    assert attributes(spread)["cv_folds"] == 3


def stop_and_resume(folder, stop, epochs=600):
    """Start `mpirun -np 2 sweep -j 1` on a longer grid, stop it with
    stop(process, ranks) once some runs are in, check the file, resume it."""
    config, reference_path, _ = reference(epochs=epochs, seeds=4)
    out = os.path.join(folder, "stopped.h5")
    process = start_mpirun(2, [config, "-o", out, "-j", "1"])
    try:
        wait_for_runs(out, 3)
        ranks = children(process.pid)
        stderr = stop(process, ranks)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=120)
    wait_gone(children(process.pid) + ranks)
    done = assert_consistent_partial(out, reference_path)
    assert done >= 3, done
    return config, reference_path, out, done, stderr


@check
def sigterm_to_mpirun_then_resume(folder):
    def stop(process, ranks):
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
        return stderr
    # mpirun passes the signal on about a second later: a grid long enough
    # that the sweep is still running then (~8 s on this machine and build;
    # the 600-epoch grid's time says how fast they are). Runs finish 8 at a
    # time (packs), so the first finished runs can mean half the sweep done,
    # and the reference's time may be taken when the machine is quieter than
    # during the signalled sweep: 4 s proved too short under load.
    _, _, seconds = reference(epochs=600, seeds=4)
    epochs = min(12000, max(600, 100 * round(6 * 8.0 / seconds)))
    config, reference_path, out, done, stderr = stop_and_resume(folder, stop, epochs=epochs)
    print(f"     SIGTERM to mpirun: {done} of 32 runs kept")
    assert done < 32, "the sweep ended before the signal came: make the grid longer"
    result = mpirun(2, [config, "-o", out, "-j", "1", "--resume"])
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert_same_file(out, reference_path)


@check
def sigkill_to_mpirun_then_resume(folder):
    def stop(process, ranks):
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=120)
        return ""
    config, reference_path, out, done, _ = stop_and_resume(folder, stop)
    print(f"     SIGKILL to mpirun: {done} of 32 runs kept")
    result = sweep([config, "-o", out, "-q", "-j", "2", "--resume"])   # no mpirun needed
    assert result.returncode == 0, result.stderr
    assert_same_file(out, reference_path)


@check
def sigterm_to_another_rank_stops_the_sweep(folder):
    def stop(process, ranks):
        other = [pid for pid in ranks if rank_of(pid) == 1]
        assert len(other) == 1, (ranks, [rank_of(pid) for pid in ranks])
        os.kill(other[0], signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
        # Rank 0 stops the whole sweep and says so, as if signalled itself.
        assert process.returncode == 143, (process.returncode, stderr)
        assert "interrupted by SIGTERM" in stderr and "--resume" in stderr, stderr
        return stderr
    config, reference_path, out, done, _ = stop_and_resume(folder, stop)
    print(f"     SIGTERM to rank 1: {done} of 32 runs kept")
    result = mpirun(3, [config, "-o", out, "-j", "1", "--resume"])
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert_same_file(out, reference_path)


@check
def a_rank_that_dies_leaves_a_file_that_resume_completes(folder):
    def stop(process, ranks):
        other = [pid for pid in ranks if rank_of(pid) == 1]
        assert len(other) == 1, (ranks, [rank_of(pid) for pid in ranks])
        os.kill(other[0], signal.SIGKILL)
        # mpirun ends the job (rank 0 too); its status says a rank died.
        _, stderr = process.communicate(timeout=120)
        assert process.returncode != 0, (process.returncode, stderr)
        return stderr
    config, reference_path, out, done, _ = stop_and_resume(folder, stop)
    print(f"     SIGKILL to rank 1: {done} of 32 runs kept")
    result = mpirun(2, [config, "-o", out, "-j", "1", "--resume"])
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert_same_file(out, reference_path)


@check
def resume_shard_and_failed_runs_under_mpi(folder):
    config, reference_path, _ = reference()
    # Resume: half the runs kept from a file, the rest trained by 3 ranks.
    half = os.path.join(folder, "half.h5")
    with_half = write(folder, "half.yaml", (GRID % (60, 2)).replace("364]", "364], "
                      "units: [10]").replace("seed: {range: [0, 2]}", "seed: [0]"))
    assert sweep([with_half, "-o", half, "-q"]).returncode == 0
    result = mpirun(3, [config, "-o", half, "-j", "1", "--resume"])
    assert result.returncode == 0, result.stderr
    assert "8 of 16 runs kept, 8 to train" in result.stderr, result.stderr
    assert_same_file(half, reference_path)
    # A shard: the same part a single process makes.
    alone, ranked = os.path.join(folder, "alone.h5"), os.path.join(folder, "ranked.h5")
    assert sweep([config, "--shard", "1/3", "-o", alone, "-q"]).returncode == 0
    result = mpirun(2, [config, "--shard", "1/3", "-o", ranked, "-j", "1"])
    assert result.returncode == 0, result.stderr
    assert_same_file(ranked, alone)
    # Failed runs travel whole: their failure text and curves (NaN from the
    # failing epoch on) arrive bit for bit; every rank exits 3.
    diverge = write(folder, "diverge.yaml", "model: {epochs: 40, batch_size: 364, l2: 1.0}\n"
                    "grid: {learning_rate: [0.1, 1.0e+300, 0.5, 1.0e+200], seed: [0, 1]}\n")
    alone, ranked = os.path.join(folder, "diverge_alone.h5"), os.path.join(folder, "diverge.h5")
    assert sweep([diverge, "-o", alone, "-q"]).returncode == 3
    result = mpirun(3, [diverge, "-o", ranked, "-j", "1"])
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert "4 of 8 runs failed" in result.stderr, result.stderr
    assert_same_file(ranked, alone)


@check
def errors_are_reported_once_and_every_rank_exits_2(folder):
    bad = write(folder, "bad.yaml", "model: {epochs: 0}\n")
    out = os.path.join(folder, "bad.h5")
    result = mpirun(3, [bad, "-o", out])
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr == "sweep: bad.yaml:1:17: epochs must be >= 1, got 0\n".replace(
        "bad.yaml", bad), result.stderr
    assert not os.path.exists(out)
    config, reference_path, _ = reference()
    result = mpirun(2, [config, "-o", reference_path])
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr == f"sweep: {reference_path}: exists (use --overwrite to replace " \
                            "it)\n", result.stderr
    result = mpirun(2, ["--version"])
    assert result.returncode == 0 and result.stdout.count("sweep ") == 1, result


def require_mpiexec():
    if shutil.which(MPIEXEC) is None and not os.access(MPIEXEC, os.X_OK):
        raise AssertionError(f"no mpirun ({MPIEXEC!r})")


def remove_references():
    for folder, _, _, _ in REFERENCES.values():
        shutil.rmtree(folder, ignore_errors=True)


Mpi = checks_case("Mpi", CHECKS, in_fresh_folder("test_mpi."), set_up_class=require_mpiexec,
                  tear_down_class=remove_references)


if __name__ == "__main__":
    unittest.main(verbosity=2)
