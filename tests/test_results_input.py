"""test_results_input.py: a results file read back is an input.

`sweep CONFIG --resume`, `sweep merge OUT PART...` and the analysis scripts
read results files that may be truncated, damaged or edited by hand. Each
case below is a real results file damaged with h5py; for each, `--resume`
and `merge` must give one line, "FILE: not a valid sweep results file: ..."
or "FILE: truncated or damaged (...)", exit status 2, write nothing and
leave no lock behind; summarize.py must give one line and exit 2, never a
traceback.

    /usr/bin/python3 tests/test_results_input.py
    /usr/bin/python3 tests/test_results_input.py --write-corpus DIR

The second form writes the real files and every damaged one into DIR: the
seed corpus of tests/fuzz/fuzz_results.c (tests/fuzz/corpus/results/).
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cases import checks_case, in_fresh_folder  # noqa: E402
from sweep_files import sweep, write  # noqa: E402

SOURCE_DIR = os.environ.get("SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(SOURCE_DIR, "scripts")
PYTHON = "/usr/bin/python3"

# Small and fast: 4 runs of 3 epochs (files of ~33 KB).
CONFIG = """\
name: tiny
model:
  units: 2
  epochs: 3
  batch_size: 64
grid:
  seed: [0, 1]
  learning_rate: [0.1, 0.5]
"""


# ---- the damage, one function per case --------------------------------------

def replace(handle, name, values):
    """Replace dataset `name` by `values` (h5py cannot reshape in place)."""
    del handle[name]
    handle[name] = values


def status_short(handle):
    replace(handle, "status", handle["status"][:2])


def status_two_dimensional(handle):
    replace(handle, "status", handle["status"][()].reshape(2, 2))


def status_unknown_value(handle):
    handle["status"][1] = 7


def no_status(handle):
    del handle["status"]


def seed_as_text(handle):
    replace(handle, "seed", np.array([f"seed {v}".encode() for v in handle["seed"][()]]))


def learning_rate_nan(handle):
    handle["learning_rate"][0] = np.nan


def curves_too_short(handle):
    for name in ("train_loss", "val_loss", "train_acc", "val_acc"):
        replace(handle, name, handle[name][:, :2])


def val_acc_missing(handle):
    del handle["val_acc"]


def train_acc_short(handle):
    """Only the accuracy curve is cut: its width must match the losses'."""
    replace(handle, "train_acc", handle["train_acc"][:, :2])


def val_acc_text(handle):
    shape = handle["val_acc"].shape
    replace(handle, "val_acc", np.full(shape, b"0.5"))


def train_acc_one_dimensional(handle):
    replace(handle, "train_acc", handle["train_acc"][:, 0])


def failure_variable_length(handle):
    texts = [v.decode() for v in handle["failure"][()]]
    replace(handle, "failure", np.array(texts, dtype=h5py.string_dtype()))


def attribute_array(handle):
    handle.attrs["n_train"] = np.arange(10, dtype=np.int64)


def config_attribute_number(handle):
    handle.attrs["effective_config"] = 5


def train_loss_scores_swapped(handle):
    """train_score as a (run, epoch) array: right name, wrong rank."""
    replace(handle, "train_score", handle["train_loss"][()])


# (file name, damage, what --resume and merge say after "FILE: ")
H5PY_CASES = [
    ("status_short", status_short,
     "not a valid sweep results file: 'train_score' has 4 values, but 'status' has 2 runs"),
    ("status_2d", status_two_dimensional,
     "not a valid sweep results file: 'status' has 2 dimensions, not 1"),
    ("status_7", status_unknown_value,
     "not a valid sweep results file: the status of run 1 is 7"),
    ("no_status", no_status, "not a valid sweep results file: no 'status' dataset"),
    ("seed_text", seed_as_text,
     "not a valid sweep results file: 'seed' holds text, not numbers"),
    ("learning_rate_nan", learning_rate_nan,
     "not a valid sweep results file: 'learning_rate' of run 0 is nan: it must be a finite"),
    ("curves_too_short", curves_too_short,
     "not a valid sweep results file: run 0 has 3 epochs, but its curves hold 2"),
    ("val_acc_missing", val_acc_missing,
     "not a valid sweep results file: 'train_acc' without 'val_acc'"),
    ("train_acc_short", train_acc_short,
     "not a valid sweep results file: 'train_loss' has 3 epochs, 'train_acc' 2"),
    ("val_acc_text", val_acc_text,
     "not a valid sweep results file: 'val_acc' holds text, not floats"),
    ("train_acc_1d", train_acc_one_dimensional,
     "not a valid sweep results file: 'train_acc' has 1 dimension, not 2"),
    ("failure_vlen", failure_variable_length,
     "not a valid sweep results file: 'failure' holds variable-length text"),
    ("attribute_array", attribute_array,
     "not a valid sweep results file: attribute 'n_train' is not a single value"),
    ("config_attribute_number", config_attribute_number,
     "not a valid sweep results file: attribute 'effective_config' is not text"),
    ("train_score_2d", train_loss_scores_swapped,
     "not a valid sweep results file: 'train_score' has 2 dimensions, not 1"),
]


def truncated(good, path):
    with open(good, "rb") as source, open(path, "wb") as target:
        target.write(source.read()[:os.path.getsize(good) // 2])


def damaged_chunk(good, path):
    """Garbage in the compressed data of train_loss: the file opens, its
    layout is right, but its first train_loss chunk does not inflate."""
    shutil.copyfile(good, path)
    with h5py.File(path, "r") as handle:
        info = handle["train_loss"].id.get_chunk_info(0)
    with open(path, "r+b") as handle:
        handle.seek(info.byte_offset)
        handle.write(bytes(range(256))[:info.size])


def not_hdf5(good, path):
    write(os.path.dirname(path), os.path.basename(path), "status: [1, 1]\n")


# (file name, maker(good, path), what --resume and merge say after "FILE: ")
BYTE_CASES = [
    ("truncated", truncated, "truncated or damaged ("),
    ("damaged_chunk", damaged_chunk, "truncated or damaged (reading 'train_loss' of run 0:"),
    ("not_hdf5", not_hdf5, "not a valid sweep results file: not an HDF5 file"),
]


# ---- files ------------------------------------------------------------------

def make_real_files(folder):
    """The config and real results files: whole (compressed), a shard, and
    a merge with runs missing (uncompressed, pending runs). Returns
    (config path, {name: path})."""
    config = write(folder, "tiny.yaml", CONFIG)
    files = {name: os.path.join(folder, name + ".h5")
             for name in ("whole", "shard_0_of_2", "merged_missing")}
    for args in ([config, "-o", files["whole"], "-q"],
                 [config, "--shard", "0/2", "-o", files["shard_0_of_2"], "-q"]):
        finished = sweep(args)
        assert finished.returncode == 0, finished.stderr
    finished = sweep(["merge", files["merged_missing"], files["shard_0_of_2"], "-q"])
    assert finished.returncode == 4, finished.stderr
    return config, files


def make_damaged(folder, good):
    """Every damaged file, made from the real file `good`: {name: (path, message)}."""
    damaged = {}
    for name, damage, message in H5PY_CASES:
        path = os.path.join(folder, name + ".h5")
        shutil.copyfile(good, path)
        with h5py.File(path, "r+") as handle:
            damage(handle)
        damaged[name] = (path, message)
    for name, maker, message in BYTE_CASES:
        path = os.path.join(folder, name + ".h5")
        maker(good, path)
        damaged[name] = (path, message)
    return damaged


def leftovers(path):
    return [p for p in (path + ".lock", path + ".partial") if os.path.lexists(p)]


def assert_one_line(finished, expected):
    lines = finished.stderr.splitlines()
    assert finished.returncode == 2, (finished.returncode, finished.stderr)
    assert len(lines) == 1, finished.stderr
    assert expected in lines[0], (expected, lines[0])
    assert "Traceback" not in finished.stderr, finished.stderr


# ---- checks -----------------------------------------------------------------

def resume_refuses_damaged_files(folder):
    config, files = make_real_files(folder)
    for name, (path, message) in make_damaged(folder, files["whole"]).items():
        with open(path, "rb") as handle:
            before = handle.read()
        finished = sweep([config, "-o", path, "--resume", "-q"])
        assert_one_line(finished, f"{path}: {message}")
        assert not leftovers(path), (name, leftovers(path))
        with open(path, "rb") as handle:
            assert handle.read() == before, f"{name}: --resume changed the file"


def merge_refuses_damaged_parts(folder):
    _, files = make_real_files(folder)
    out = os.path.join(folder, "out.h5")
    for name, (path, message) in make_damaged(folder, files["whole"]).items():
        finished = sweep(["merge", out, path])
        assert_one_line(finished, f"{path}: {message}")
        assert not os.path.lexists(out) and not leftovers(out), (name, os.listdir(folder))


def merge_names_a_missing_part_in_its_own_terms(folder):
    _, files = make_real_files(folder)
    out = os.path.join(folder, "out.h5")
    missing = os.path.join(folder, "part-1.h5")
    finished = sweep(["merge", out, files["shard_0_of_2"], missing])
    assert_one_line(finished, f"{missing}: cannot read it: No such file or directory")
    assert "resume" not in finished.stderr, finished.stderr
    assert not os.path.lexists(out) and not leftovers(out)


def real_files_still_resume_and_merge(folder):
    """The checks refuse nothing that sweep writes: each real file resumes,
    and the shard and the merge with missing runs merge."""
    config, files = make_real_files(folder)
    for name, path in files.items():
        finished = sweep([config, "-o", path, "--resume", "-q"])
        assert finished.returncode == 0, (name, finished.stderr)
    out = os.path.join(folder, "out.h5")
    finished = sweep(["merge", out, files["whole"], "-q"])
    assert finished.returncode == 0, finished.stderr


def without_accuracy(path):
    """Make `path` what an earlier version wrote: no accuracy curves."""
    with h5py.File(path, "r+") as handle:
        del handle["train_acc"], handle["val_acc"]


def earlier_versions_files_resume_and_merge(folder):
    """A file without accuracy curves (an earlier version's) is continued and
    merged, not refused: its finished runs are kept whole, with NaN accuracy
    curves, and stderr says so in one line."""
    config, files = make_real_files(folder)
    old = files["whole"]
    without_accuracy(old)
    with h5py.File(old, "r") as handle:
        val_loss = handle["val_loss"][()]
    finished = sweep([config, "-o", old, "--resume"])
    assert finished.returncode == 0, finished.stderr
    notes = [line for line in finished.stderr.splitlines() if "accuracy curves" in line]
    assert notes == [f"sweep: {old} was made by an earlier version without accuracy curves: "
                     "its 4 kept runs have NaN train_acc and val_acc (--overwrite trains them "
                     "again)"], finished.stderr
    with h5py.File(old, "r") as handle:
        assert np.isnan(handle["train_acc"][()]).all() and np.isnan(handle["val_acc"][()]).all()
        assert np.array_equal(handle["val_loss"][()], val_loss, equal_nan=True)
        assert (handle["status"][()] == 1).all()
    # Merge: shard 0 from an earlier version, shard 1 from this one.
    without_accuracy(files["shard_0_of_2"])
    shard_1 = os.path.join(folder, "shard_1_of_2.h5")
    finished = sweep([config, "--shard", "1/2", "-o", shard_1, "-q"])
    assert finished.returncode == 0, finished.stderr
    out = os.path.join(folder, "out.h5")
    finished = sweep(["merge", out, files["shard_0_of_2"], shard_1, "-q"])
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == (f"sweep merge: 2 of 4 runs come from files without accuracy "
                               f"curves (made by an earlier version, e.g. "
                               f"{files['shard_0_of_2']}): their train_acc and val_acc are "
                               f"NaN in {out}\n"), finished.stderr
    with h5py.File(out, "r") as handle, h5py.File(shard_1, "r") as part:
        numbers = list(part["run"][()])
        val_acc = handle["val_acc"][()]
        for run in range(4):
            if run in numbers:
                row = numbers.index(run)
                assert np.array_equal(val_acc[run], part["val_acc"][row]), run
                assert np.isfinite(val_acc[run]).all(), run
            else:
                assert np.isnan(val_acc[run]).all(), run


# Damage the analysis scripts can read past: they do not read `failure` as
# fixed-length text.
READABLE_BY_SCRIPTS = {"failure_vlen"}


def summarize_never_tracebacks(folder):
    _, files = make_real_files(folder)
    for name, (path, _) in make_damaged(folder, files["whole"]).items():
        finished = subprocess.run([PYTHON, os.path.join(SCRIPTS, "summarize.py"), path],
                                  capture_output=True, text=True, timeout=120)
        if name in READABLE_BY_SCRIPTS:
            assert finished.returncode == 0, (name, finished.stderr)
        else:
            assert_one_line(finished, f"summarize.py: {path}: ")


# ---- main ---------------------------------------------------------------------

@contextlib.contextmanager
def temporary_folder():
    with tempfile.TemporaryDirectory(prefix="test_results_input.") as folder:
        yield folder


def write_corpus(target):
    """The fuzz seeds: the real files and every damaged one."""
    os.makedirs(target, exist_ok=True)
    with temporary_folder() as folder:
        _, files = make_real_files(folder)
        paths = dict(files)
        paths.update({name: path for name, (path, _) in
                      make_damaged(folder, files["whole"]).items()})
        for name, path in sorted(paths.items()):
            shutil.copyfile(path, os.path.join(target, name + ".h5"))
            print(os.path.join(target, name + ".h5"))
    return 0


CHECKS = [resume_refuses_damaged_files, merge_refuses_damaged_parts,
          merge_names_a_missing_part_in_its_own_terms, real_files_still_resume_and_merge,
          earlier_versions_files_resume_and_merge, summarize_never_tracebacks]

ResultsInput = checks_case("ResultsInput", CHECKS, in_fresh_folder("test_results_input."))

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-corpus":
        sys.exit(write_corpus(sys.argv[2]))
    unittest.main(verbosity=2)
