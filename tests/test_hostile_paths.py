#!/usr/bin/python3
"""test_hostile_paths.py: sweep writes only the files it was asked to write.

Drives the real binary ($SWEEP_BINARY) the way a careless user, a launcher or
a hostile neighbour in a shared results folder would:

- a symbolic or hard link planted at any name sweep creates beside OUT
  (OUT.partial, OUT.lock, the compaction's OUT.partial while the sweep runs,
  and the same for `sweep merge`) leaves its target byte for byte unchanged;
- `-o LINK` writes the file the link leads to and the link stays a link
  (with --overwrite and --resume); a link to a missing file is refused;
- one writer per file: a sweep through a link to a file another sweep is
  writing is refused;
- an output that is the config, its data file, or whose OUT.partial or
  OUT.lock would be one of them, is refused: one line, exit 2, nothing
  touched;
- a deep output path that fails leaves none of the folders it made;
- started with stdin, stdout and stderr closed, sweep writes a results file
  equal to a normal run's;
- SIGHUP stops like SIGTERM (runs in flight stored, resume hint, exit 129),
  even when the reader of its stderr is gone with the session; a second SIGINT prints one line saying it stopped at once and how to go on.

Tolerance: none; files are compared byte for byte (results files in every
dataset but the wall times). Runs under unittest.
"""

import os
import signal
import subprocess
import sys
import time
import unittest

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_files import (BINARY, assert_consistent_partial, assert_same_file,  # noqa: E402
                         sweep, write)
from check_cases import checks_case, in_fresh_folder  # noqa: E402

SMALL = "model: {epochs: 20}\ngrid: {seed: [0, 1]}\n"
# Long enough (a few seconds on one thread) to act on while it runs.
LONG = "model: {epochs: 2500}\ngrid: {seed: [0, 1, 2, 3, 4, 5, 6, 7]}\n"
# Runs of several seconds each: a run is surely in flight (in its grace
# period) when a second signal follows the first 50 ms later, however the
# first one falls against the end of a run.
VERY_LONG = "model: {epochs: 100000}\ngrid: {seed: [0, 1]}\n"
VICTIM = b"someone else's file: sweep must never write here\n"

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def victim(folder, name="victim"):
    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(VICTIM)
    return path


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def assert_complete(path, n_runs):
    with h5py.File(path, "r") as handle:
        assert list(handle["status"][...]) == [1] * n_runs, handle["status"][...]


def assert_one_line(result, status, text):
    assert result.returncode == status, (result.returncode, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert text in result.stderr, result.stderr


def start(args, **kwargs):
    return subprocess.Popen([BINARY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@check
def links_planted_at_partial_and_lock_leave_targets_alone(folder):
    config = write(folder, "g.yaml", SMALL)
    for kind in ("symlink", "hard link"):
        out = os.path.join(folder, f"out_{kind[0]}.h5")
        targets = []
        for suffix in (".partial", ".lock"):
            target = victim(folder, f"victim_{kind[0]}{suffix}")
            (os.symlink if kind == "symlink" else os.link)(target, out + suffix)
            targets.append(target)
        result = sweep([config, "-o", out, "-q"])
        assert result.returncode == 0, (kind, result.stderr)
        for target in targets:
            assert read(target) == VICTIM, (kind, target)
        assert_complete(out, 2)
        assert not os.path.lexists(out + ".partial") and not os.path.lexists(out + ".lock")


@check
def foreign_files_at_partial_and_lock_are_refused(folder):
    # A plain file that is not sweep's is someone's data: neither truncated
    # nor removed, but named (exit 2). One left by a killed sweep is replaced.
    config = write(folder, "g.yaml", SMALL)
    out = os.path.join(folder, "out.h5")
    for suffix in (".partial", ".lock"):
        victim(folder, "out.h5" + suffix)
        assert_one_line(sweep([config, "-o", out, "-q"]), 2,
                        f"out.h5{suffix}: exists and is not ")
        assert read(out + suffix) == VICTIM
        assert not os.path.exists(out)
        os.unlink(out + suffix)
    with open(out + ".partial", "wb") as handle:   # killed before HDF5 wrote anything
        handle.write(bytes(4096))
    assert sweep([config, "-o", out, "-q"]).returncode == 0
    assert_complete(out, 2)


@check
def link_planted_at_the_compaction_file_leaves_target_alone(folder):
    # Once OUT has its name, the final compressed copy is built again as
    # OUT.partial: a link planted there while the sweep trains.
    config = write(folder, "long.yaml", LONG)
    out = os.path.join(folder, "out.h5")
    target = victim(folder)
    process = start([config, "-o", out, "-q", "-j", "1"])
    wait_for(lambda: os.path.exists(out) or process.poll() is not None)
    os.symlink(target, out + ".partial")
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert read(target) == VICTIM
    assert_complete(out, 8)
    with h5py.File(out, "r") as handle:   # the compressed final form was written
        assert handle["val_loss"].compression == "gzip"


@check
def merge_leaves_planted_links_alone(folder):
    config = write(folder, "g.yaml", SMALL)
    part = os.path.join(folder, "part.h5")
    assert sweep([config, "-o", part, "-q"]).returncode == 0
    out = os.path.join(folder, "merged.h5")
    targets = []
    for suffix in (".partial", ".lock"):
        targets.append(victim(folder, "victim" + suffix))
        os.symlink(targets[-1], out + suffix)
    result = sweep(["merge", out, part, "-q"])
    assert result.returncode == 0, result.stderr
    for target in targets:
        assert read(target) == VICTIM, target
    assert_same_file(out, part)
    # A part that is where OUT (here through a link) is built is refused.
    building = os.path.join(folder, "real.h5.partial")
    os.rename(part, building)
    os.symlink("real.h5", os.path.join(folder, "link.h5"))
    victim(folder, "real.h5")
    before = read(building)
    result = sweep(["merge", os.path.join(folder, "link.h5"), building, "--overwrite"])
    assert_one_line(result, 2, "real.h5.partial: cannot read the file that ")
    assert read(building) == before and read(os.path.join(folder, "real.h5")) == VICTIM


@check
def output_link_writes_its_target_and_stays_a_link(folder):
    config = write(folder, "g.yaml", SMALL)
    other = write(folder, "other.yaml", SMALL.replace("epochs: 20", "epochs: 25"))
    real = os.path.join(folder, "real.h5")
    reference = os.path.join(folder, "reference.h5")
    assert sweep([config, "-o", real, "-q"]).returncode == 0
    assert sweep([other, "-o", reference, "-q"]).returncode == 0
    links = os.path.join(folder, "links")
    os.mkdir(links)
    link = os.path.join(links, "latest.h5")
    os.symlink("../real.h5", link)
    # Without --overwrite: exists.
    assert_one_line(sweep([other, "-o", link, "-q"]), 2, "latest.h5: exists")
    result = sweep([other, "-o", link, "-q", "--overwrite"])
    assert result.returncode == 0, result.stderr
    assert os.path.islink(link) and os.readlink(link) == "../real.h5"
    assert_same_file(real, reference)
    assert sorted(os.listdir(links)) == ["latest.h5"]       # nothing made beside the link
    assert sorted(os.listdir(folder)) == sorted(["g.yaml", "other.yaml", "real.h5",
                                                 "reference.h5", "links"])
    # --resume through the link continues the target.
    result = sweep([other, "-o", link, "-q", "--resume"])
    assert result.returncode == 0, result.stderr
    assert os.path.islink(link)
    assert_same_file(real, reference)


@check
def link_to_a_missing_file_is_refused(folder):
    config = write(folder, "g.yaml", SMALL)
    link = os.path.join(folder, "dangling.h5")
    os.symlink("elsewhere/new.h5", link)
    for extra in ([], ["--overwrite"], ["--resume"]):
        result = sweep([config, "-o", link, "-q", *extra])
        assert_one_line(result, 2, "dangling.h5: a symbolic link to a missing file")
    assert sorted(os.listdir(folder)) == ["dangling.h5", "g.yaml"]


@check
def one_writer_per_file_through_links(folder):
    config = write(folder, "long.yaml", LONG)
    real = os.path.join(folder, "real.h5")
    link = os.path.join(folder, "link.h5")
    os.symlink("real.h5", link)
    process = start([config, "-o", real, "-q", "-j", "1"])
    try:
        wait_for(lambda: os.path.exists(real) or process.poll() is not None)
        for name in (link, os.path.join(folder, ".", "..", os.path.basename(folder), "real.h5")):
            result = sweep([config, "-o", name, "-q", "--resume"])
            assert_one_line(result, 1, f"another sweep (pid {process.pid}) is writing it")
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=120)


@check
def outputs_that_are_inputs_are_refused(folder):
    data = write(folder, "data.csv", read(os.path.join(os.environ["SOURCE_DIR"], "data",
                                                        "wdbc.csv")).decode())
    config = write(folder, "exp.yaml", "dataset: {path: data.csv, split: split}\n" + SMALL)
    os.symlink("exp.yaml", os.path.join(folder, "config_link.h5"))
    lock_named = write(folder, "out.h5.lock", read(config).decode())
    cases = [
        ([config, "-o", config, "--overwrite"], "is the config file"),
        ([config, "-o", os.path.join(folder, "config_link.h5"), "--overwrite"],
         "is the config file"),
        ([config, "-o", data, "--overwrite"], "is the data file"),
        ([config, "-o", data, "--resume"], "is the data file"),
        ([lock_named, "-o", os.path.join(folder, "out.h5")],
         "out.h5.lock beside it, which is the config file"),
    ]
    listing = sorted(os.listdir(folder))
    contents = {name: read(os.path.join(folder, name)) for name in listing}
    for args, text in cases:
        assert_one_line(sweep(args), 2, text)
        assert sorted(os.listdir(folder)) == listing, args
        for name, content in contents.items():
            assert read(os.path.join(folder, name)) == content, (args, name)


@check
def failed_deep_output_leaves_no_folders(folder):
    config = write(folder, "g.yaml", SMALL)
    # Folders up to ~4,090 bytes are made; the lock and .partial beside the
    # file then exceed PATH_MAX. Deeper still, mkdir itself fails.
    for levels in (2043, 2100):
        out = "deep/" + "a/" * levels + "x.h5"
        result = sweep([config, "-o", out, "-q"], cwd=folder)
        assert result.returncode == 1, (levels, result.returncode, result.stderr[:200])
        assert result.stderr.count("\n") == 1, result.stderr[:200]
        assert sorted(os.listdir(folder)) == ["g.yaml"], levels


@check
def closed_standard_descriptors_do_not_reach_the_file(folder):
    config = write(folder, "g.yaml", SMALL)
    reference = os.path.join(folder, "reference.h5")
    assert sweep([config, "-o", reference, "-q"]).returncode == 0
    # `>&- 2>&-` as launchers do (the first files opened would get 1 and 2),
    # and every one closed.
    for closed in ((1, 2), (1, 2), (0, 1, 2), (2,)):
        out = os.path.join(folder, "closed%s.h5" % "".join(map(str, closed)))
        # Not quiet: the progress and the summary go to descriptors 1 and 2.
        process = subprocess.Popen([BINARY, config, "-o", out, "--overwrite"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL,
                                   preexec_fn=lambda: [os.close(fd) for fd in closed])
        assert process.wait(timeout=120) == 0, closed
        assert_same_file(out, reference)


def interrupt(folder, first, second=None, text=LONG):
    config = write(folder, "long.yaml", text)
    out = os.path.join(folder, "out.h5")
    process = start([config, "-o", out, "-j", "1"])
    wait_for(lambda: os.path.exists(out) or process.poll() is not None)
    time.sleep(0.3)
    process.send_signal(first)
    if second is not None:
        time.sleep(0.05)
        process.send_signal(second)
    _, stderr = process.communicate(timeout=120)
    return config, out, process.returncode, stderr


@check
def sighup_stops_like_sigterm(folder):
    config, out, status, stderr = interrupt(folder, signal.SIGHUP)
    assert status == 129, (status, stderr)
    assert "sweep: interrupted by SIGHUP: " in stderr and "--resume" in stderr, stderr
    reference = os.path.join(folder, "reference.h5")
    assert sweep([config, "-o", reference, "-q", "-j", "2"]).returncode == 0
    assert_consistent_partial(out, reference)
    assert sweep([config, "-o", out, "-q", "--resume"]).returncode == 0
    assert_same_file(out, reference)


@check
def sighup_with_its_reader_gone_still_stores_the_runs(folder):
    # `sweep ... 2>&1 | tee log` in a closed ssh session: the reader of
    # stderr dies with the session; writing the resume hint must not kill
    # sweep (SIGPIPE) before the runs in flight are stored.
    config = write(folder, "long.yaml", LONG)
    out = os.path.join(folder, "out.h5")
    read_end, write_end = os.pipe()
    process = subprocess.Popen([BINARY, config, "-o", out, "-j", "1"], stdout=write_end,
                               stderr=write_end)
    os.close(write_end)
    wait_for(lambda: os.path.exists(out) or process.poll() is not None)
    time.sleep(0.3)
    os.close(read_end)
    process.send_signal(signal.SIGHUP)
    assert process.wait(timeout=120) == 129, process.returncode
    with h5py.File(out, "r") as handle:
        assert set(handle["status"][...].tolist()) <= {0, 1, 2}


@check
def second_sigint_says_it_stopped_at_once(folder):
    _, out, status, stderr = interrupt(folder, signal.SIGINT, signal.SIGINT, VERY_LONG)
    assert status == 130, (status, stderr)
    said = [line for line in stderr.splitlines() if "stopped at once" in line]
    assert len(said) == 1, stderr
    assert said[0] == (f"sweep: second signal: stopped at once; the runs in flight are lost, "
                       f"every stored run is kept in {out}; continue with the same command "
                       f"and --resume"), said


HostilePaths = checks_case("HostilePaths", CHECKS, in_fresh_folder("test_hostile_paths."))


if __name__ == "__main__":
    unittest.main(verbosity=2)
