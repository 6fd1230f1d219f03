#!/usr/bin/python3
"""test_analysis.py: the analysis scripts (scripts/*.py) on a real results file.

Runs the sweep binary ($SWEEP_BINARY, set by CTest) on a small config
(20 epochs; batch size 32, 128 x l2 0, 0.01 x seeds 0, 1: 8 runs) in a
temporary folder, then runs each script as a user would (through its
#!/usr/bin/python3 line) and checks what it wrote against the results file
read directly with h5py. A unittest file (see tests/check_cases.py); exits 1
when anything failed.
"""

import io
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

import h5py
import numpy as np
import pandas as pd

from check_cases import BINARY, checks_case

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(SOURCE_DIR, "scripts")

# Key order batch_size, l2, seed: runs in itertools.product order.
SMALL_CONFIG = """\
name: analysis_test
dataset: wdbc
model: {units: 10, learning_rate: 0.1, epochs: 20}
grid:
  batch_size: [32, 128]
  l2: [0.0, 0.01]
  seed: [0, 1]
"""
N_RUNS = 8
# plot_sweep.py's files for this grid: one loss figure per l2, and a heatmap
# because exactly two hyperparameters besides the seed are swept.
EXPECTED_FIGURES = {"loss_curves_l2_0.png", "loss_curves_l2_0.01.png", "accuracy.png",
                    "convergence.png", "heatmap.png"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Context:
    """Paths shared by the checks, made once."""
    temporary = None
    folder = None
    binary = None
    config = None
    results = None


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=240, **kwargs)


def script(name, *args):
    return run([os.path.join(SCRIPTS, name), *map(str, args)])


def assert_ok(finished):
    assert finished.returncode == 0, (f"exit status {finished.returncode}; stderr: "
                                      f"{finished.stderr.strip()[-600:]}")


def assert_one_line_error(finished, prog, fragment):
    """Exit status 2, exactly one line on stderr, 'PROG: ...FRAGMENT...', no traceback."""
    lines = finished.stderr.splitlines()
    assert finished.returncode == 2, f"exit status {finished.returncode}, stderr {lines!r}"
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith(f"{prog}: "), lines[0]
    assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def check_png(path):
    """A valid PNG header: the 8-byte signature, then an IHDR chunk of 13 bytes
    with a correct CRC-32 and a non-zero width and height."""
    with open(path, "rb") as handle:
        head = handle.read(8 + 8 + 13 + 4)
    assert head[:8] == PNG_SIGNATURE, f"{path}: no PNG signature"
    length, kind = struct.unpack(">I4s", head[8:16])
    assert kind == b"IHDR" and length == 13, f"{path}: first chunk is {kind!r}, length {length}"
    body = head[16:29]
    (crc,) = struct.unpack(">I", head[29:33])
    assert zlib.crc32(kind + body) == crc, f"{path}: IHDR CRC mismatch"
    width, height = struct.unpack(">II", body[:8])
    assert width > 0 and height > 0, f"{path}: size {width}x{height}"


def read_h5(path):
    """The results file as plain arrays, read directly with h5py."""
    with h5py.File(path, "r") as handle:
        return {name: handle[name][()] for name in
                ("batch_size", "l2", "seed", "epochs", "status", "val_score", "test_score",
                 "train_loss", "val_loss")}


def final_loss(data, name, run_index):
    return data[name][run_index, int(data["epochs"][run_index]) - 1]


def expected_point(data, batch_size, l2):
    """Mean and sample std (ddof 1) over the done runs of one grid point,
    recomputed here without pandas."""
    mask = (data["status"] == 1) & (data["batch_size"] == batch_size) & (data["l2"] == l2)
    runs = np.flatnonzero(mask)
    values = {"val_score": data["val_score"][runs], "test_score": data["test_score"][runs],
              "final_train_loss": np.array([final_loss(data, "train_loss", i) for i in runs]),
              "final_val_loss": np.array([final_loss(data, "val_loss", i) for i in runs])}
    result = {"done": len(runs)}
    for name, value in values.items():
        result[f"{name}_mean"] = value.mean() if len(value) else np.nan
        result[f"{name}_std"] = value.std(ddof=1) if len(value) > 1 else np.nan
    return result


def read_csv(text):
    """CSV text as a DataFrame; round_trip so that floats read back exactly
    (pandas' default fast parser may be off by an ulp)."""
    return pd.read_csv(io.StringIO(text), float_precision="round_trip")


def assert_summary_matches(csv_text, data):
    table = read_csv(csv_text)
    points = {(b, l) for b, l in zip(data["batch_size"], data["l2"])}
    assert len(table) == len(points), f"{len(table)} rows for {len(points)} grid points"
    # Best first: mean val accuracy never increases down the table.
    means = table["val_score_mean"].to_numpy()
    assert np.all(np.diff(means[~np.isnan(means)]) <= 0), f"not sorted: {means}"
    for _, row in table.iterrows():
        expected = expected_point(data, row["batch_size"], row["l2"])
        assert row["done"] == expected["done"], (row["done"], expected["done"])
        for name, value in expected.items():
            if name == "done":
                continue
            # Tolerance 1e-12 absolute: the same numbers summed in another
            # order (pandas vs numpy) differ by a few ulps at most.
            if np.isnan(value):
                assert np.isnan(row[name]), f"{name}: {row[name]} != NaN"
            else:
                assert abs(row[name] - value) <= 1e-12, f"{name}: {row[name]} != {value}"
    return table


# -- the checks ----------------------------------------------------------------

def test_sweep_writes_results():
    """Set-up: the real binary writes the small results file."""
    finished = run([Context.binary, Context.config, "-o", Context.results, "-q"])
    assert_ok(finished)
    data = read_h5(Context.results)
    assert data["status"].shape == (N_RUNS,), data["status"].shape
    assert np.all(data["status"] == 1), data["status"]


def test_plot_sweep_writes_valid_pngs():
    out = os.path.join(Context.folder, "figures")
    finished = script("plot_sweep.py", Context.results, "-o", out)
    assert_ok(finished)
    printed = finished.stdout.split()
    assert {os.path.basename(p) for p in printed} == EXPECTED_FIGURES, printed
    assert set(os.listdir(out)) == EXPECTED_FIGURES, os.listdir(out)
    for path in printed:
        check_png(path)


def test_plot_sweep_train_loss_metric_and_default_folder():
    copy = os.path.join(Context.folder, "copy.h5")
    shutil.copy(Context.results, copy)
    finished = script("plot_sweep.py", copy, "--metric", "train_loss")
    assert_ok(finished)
    folder = os.path.join(Context.folder, "copy_figures")
    assert set(os.listdir(folder)) == EXPECTED_FIGURES, os.listdir(folder)
    for name in EXPECTED_FIGURES:
        check_png(os.path.join(folder, name))


def test_summarize_csv_equals_h5py():
    finished = script("summarize.py", Context.results, "--csv", "-")
    assert_ok(finished)
    table = assert_summary_matches(finished.stdout, read_h5(Context.results))
    assert list(table.columns[:2]) == ["batch_size", "l2"], list(table.columns)


def test_summarize_text_and_csv_file():
    out = os.path.join(Context.folder, "summary.csv")
    finished = script("summarize.py", Context.results, "--csv", out)
    assert_ok(finished)
    lines = finished.stdout.splitlines()
    # A title line, a header, 4 grid points, then "wrote OUT".
    assert len(lines) == 1 + 1 + 4 + 1, lines
    assert lines[1].split()[:3] == ["batch_size", "l2", "runs"], lines[1]
    assert all("2/2" in line for line in lines[2:6]), lines
    with open(out) as handle:
        assert_summary_matches(handle.read(), read_h5(Context.results))


def test_summarize_by_one_key():
    finished = script("summarize.py", Context.results, "--by", "batch_size", "--csv", "-")
    assert_ok(finished)
    table = read_csv(finished.stdout)
    assert sorted(table["batch_size"]) == [32, 128], table
    assert list(table["runs"]) == [4, 4], table
    data = read_h5(Context.results)
    for _, row in table.iterrows():
        runs = data["batch_size"] == row["batch_size"]
        # Tolerance 1e-12 absolute, as above; against numpy over the 4 runs.
        assert abs(row["val_score_mean"] - data["val_score"][runs].mean()) <= 1e-12
        assert abs(row["val_score_std"] - data["val_score"][runs].std(ddof=1)) <= 1e-12


def test_failed_and_pending_runs_are_left_out():
    # A copy with run 1 marked pending and run 2 failed, as an interrupted or
    # diverged sweep leaves them (scores NaN, curves cut short).
    holes = os.path.join(Context.folder, "holes.h5")
    shutil.copy(Context.results, holes)
    with h5py.File(holes, "r+") as handle:
        handle["status"][1] = 0
        handle["status"][2] = 2
        for name in ("train_score", "val_score", "test_score"):
            handle[name][1] = np.nan
            handle[name][2] = np.nan
        handle["train_loss"][1, :] = np.nan
        handle["val_loss"][1, :] = np.nan
        handle["train_loss"][2, 5:] = np.nan
        handle["val_loss"][2, 5:] = np.nan
    finished = script("summarize.py", holes, "--csv", "-")
    assert_ok(finished)
    data = read_h5(holes)
    table = assert_summary_matches(finished.stdout, data)
    # Runs 0 and 1 are (32, 0.0); run 2 is (32, 0.01): see SMALL_CONFIG.
    first = table[(table["batch_size"] == 32) & (table["l2"] == 0.0)].iloc[0]
    second = table[(table["batch_size"] == 32) & (table["l2"] == 0.01)].iloc[0]
    assert (first["done"], first["pending"], first["failed"]) == (1, 1, 0), first
    assert (second["done"], second["pending"], second["failed"]) == (1, 0, 1), second
    text = script("summarize.py", holes)
    assert_ok(text)
    assert "1 failed and 1 pending runs left out" in text.stdout, text.stdout
    plots = script("plot_sweep.py", holes, "-o", os.path.join(Context.folder, "holes_figures"))
    assert_ok(plots)
    for path in plots.stdout.split():
        check_png(path)


def test_compare_sklearn_from_results_file():
    finished = run([os.path.join(SCRIPTS, "compare_sklearn.py"), "--results", Context.results,
                    "--max-iter", "20", "--csv", "-"])
    assert_ok(finished)
    table = read_csv(finished.stdout)
    assert len(table) == N_RUNS, len(table)
    for column in ("batch_size", "l2", "seed", "sweep_val_score", "sklearn_val_score",
                   "sweep_test_score", "sklearn_test_score", "sklearn_epochs"):
        assert column in table.columns, (column, list(table.columns))
    data = read_h5(Context.results)
    # Exact: sweep's column is the results file's val_score, copied (the CSV
    # writes floats with enough digits to round-trip).
    for name in ("val_score", "test_score"):
        column = table[f"sweep_{name}"].to_numpy()
        assert np.array_equal(column, data[name], equal_nan=True), (name, column, data[name])
    assert np.array_equal(table["batch_size"].to_numpy(), data["batch_size"])
    assert table["sklearn_val_score"].between(0, 1).all(), table["sklearn_val_score"]
    assert table["sklearn_epochs"].between(1, 20).all(), table["sklearn_epochs"]
    # Accuracies are counts over the 91 val rows: k/91 for a whole k.
    counts = table["sklearn_val_score"].to_numpy() * 91
    assert np.allclose(counts, np.round(counts), atol=1e-9), counts


def test_compare_sklearn_runs_sweep_itself():
    finished = script("compare_sklearn.py", "--config", Context.config, "--sweep",
                      Context.binary, "--max-iter", "5")
    assert_ok(finished)
    lines = finished.stdout.splitlines()
    header = lines[1].split()
    assert header == ["run", "batch_size", "l2", "seed", "sweep_val", "sklearn_val",
                      "sweep_test", "sklearn_test", "sklearn_epochs"], header
    rows = [line.split() for line in lines[2:2 + N_RUNS]]
    data = read_h5(Context.results)
    for index, row in enumerate(rows):
        assert int(row[0]) == index, row
        # The same config and binary give the same accuracies (to the 15
        # significant digits printed).
        assert abs(float(row[4]) - data["val_score"][index]) <= 1e-14, (row, index)


def test_compare_sklearn_reports_its_divergence():
    # Learning rate 1e6 makes sklearn's SGD itself diverge ("Solver produced
    # non-finite parameter weights"): the point is reported, not a traceback.
    config = os.path.join(Context.folder, "sk_diverge.yaml")
    with open(config, "w") as handle:
        handle.write("model: {epochs: 5, l2: 0.01}\n"
                     "grid: {learning_rate: [0.1, 1.0e+6]}\n")
    results = os.path.join(Context.folder, "sk_diverge.h5")
    finished = run([Context.binary, config, "-o", results, "-q"])
    assert finished.returncode == 3, (finished.returncode, finished.stderr)
    text = script("compare_sklearn.py", "--results", results, "--max-iter", "20")
    assert_ok(text)
    rows = [line.split() for line in text.stdout.splitlines()[2:4]]
    assert rows[0][-1] != "diverged" and rows[1][-1] == "diverged", rows
    assert "1 sklearn fits diverged (non-finite weights)" in text.stdout, text.stdout
    table = read_csv(script("compare_sklearn.py", "--results", results, "--max-iter", "20",
                            "--csv", "-").stdout)
    assert list(table["sklearn_stop"])[1] == "diverged", table
    assert np.isnan(table["sklearn_val_score"][1]), table


def test_book_config_is_the_seed_notes_runs():
    # configs/book.yaml must be the notes' two runs; both reach the textbook's
    # val accuracy 0.978021978021978 = 89/91, compared exactly.
    out = os.path.join(Context.folder, "book.h5")
    finished = run([Context.binary, os.path.join(SOURCE_DIR, "configs", "book.yaml"),
                    "-o", out, "-q"])
    assert_ok(finished)
    data = read_h5(out)
    assert list(data["batch_size"]) == [32, 128], data["batch_size"]
    assert list(data["l2"]) == [0.01, 0.01] and list(data["seed"]) == [42, 42]
    assert list(data["epochs"]) == [500, 500], data["epochs"]
    assert list(data["val_score"]) == [89 / 91, 89 / 91], data["val_score"]


def test_errors_are_one_line():
    other = os.path.join(Context.folder, "other.h5")
    with h5py.File(other, "w") as handle:
        handle["x"] = np.arange(3)
    missing = os.path.join(Context.folder, "missing.h5")
    for prog in ("plot_sweep.py", "summarize.py"):
        assert_one_line_error(script(prog, missing), prog, "no such file")
        assert_one_line_error(script(prog, other), prog,
                              "not a valid sweep results file: no 'status' dataset")
        assert_one_line_error(script(prog, Context.config), prog,
                              "not a valid sweep results file: not an HDF5 file")
        assert_one_line_error(script(prog), prog, "required")
    assert_one_line_error(script("summarize.py", Context.results, "--by", "batch"),
                          "summarize.py", "unknown key 'batch' (did you mean 'batch_size'?)")
    assert_one_line_error(script("plot_sweep.py", Context.results, "--metric", "accuracy"),
                          "plot_sweep.py", "invalid choice")
    prog = "compare_sklearn.py"
    assert_one_line_error(script(prog, "--results", missing), prog, "no such file")
    assert_one_line_error(script(prog, "--results", other), prog,
                          "not a valid sweep results file")
    assert_one_line_error(script(prog, "--config", missing, "--sweep", Context.binary), prog,
                          "no such file")
    assert_one_line_error(script(prog, "--results", Context.results, "--config",
                                 Context.config), prog, "not allowed with")


CHECKS = [test_sweep_writes_results, test_plot_sweep_writes_valid_pngs,
          test_plot_sweep_train_loss_metric_and_default_folder, test_summarize_csv_equals_h5py,
          test_summarize_text_and_csv_file, test_summarize_by_one_key,
          test_failed_and_pending_runs_are_left_out, test_compare_sklearn_from_results_file,
          test_compare_sklearn_runs_sweep_itself, test_compare_sklearn_reports_its_divergence,
          test_book_config_is_the_seed_notes_runs,
          test_errors_are_one_line]


def make_context():
    Context.temporary = tempfile.TemporaryDirectory(prefix="test_analysis.")
    Context.folder, Context.binary = Context.temporary.name, BINARY
    Context.config = os.path.join(Context.folder, "small.yaml")
    Context.results = os.path.join(Context.folder, "small.h5")
    with open(Context.config, "w") as handle:
        handle.write(SMALL_CONFIG)


def remove_context():
    if Context.temporary is not None:
        Context.temporary.cleanup()


def on_the_results_file(case, check):
    """The first check writes the results file the others read: without it
    they are skipped (the first check's failure says why)."""
    if check is not test_sweep_writes_results and not os.path.exists(Context.results):
        case.skipTest("no results file to check: test_sweep_writes_results failed")
    check()


Analysis = checks_case("Analysis", CHECKS, on_the_results_file, set_up_class=make_context,
                       tear_down_class=remove_context)


if __name__ == "__main__":
    unittest.main(verbosity=2)
