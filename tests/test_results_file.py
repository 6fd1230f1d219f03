#!/usr/bin/python3
"""test_results_file.py: a real results file, opened the three ways the README shows.

Runs `$SWEEP_BINARY CONFIG -o TMP/x.h5 -q` on a small sweep of the built-in
data set (batch_size [32, 128] x epochs [3, 5] x seed [0, 1]: 8 runs), then
opens the file with the README's one-liners

    h5py:   f = h5py.File("results/batch_grid.h5", "r")
    pandas: df = xr.load_dataset("results/batch_grid.h5", engine="h5netcdf").drop_dims("epoch").to_dataframe()
    xarray: ds = xr.open_dataset("results/batch_grid.h5", engine="h5netcdf")

and checks shapes, dimensions, dtypes and values. References: the config
written here (hyperparameters, compared exactly), the built-in data set's
known split (364 train, 91 val, 114 test rows, 30 features) and the format's
rules (curves NaN exactly past each run's epochs, status 1 = done). The
trained numbers themselves are the training tests' business; here they only
have to be plausible (finite, scores are fractions of the row counts).

CTest always sets SWEEP_BINARY: there a missing or broken program fails the
test. Run by hand without it, the checks are reported as skipped, never as passed.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
import xarray as xr

from check_cases import checks_case

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
import sweep_results  # noqa: E402

CONFIG = """\
# test_results_file.py: eight short runs on the built-in data set.
name: tiny
dataset: wdbc
model:
  epochs: 5
grid:
  batch_size: [32, 128]
  epochs: [3, 5]
  seed: [0, 1]
"""
# The grid's runs in itertools.product order (the last key fastest).
BATCH_SIZE = [32, 32, 32, 32, 128, 128, 128, 128]
EPOCHS = [3, 3, 5, 5, 3, 3, 5, 5]
SEED = [0, 1, 0, 1, 0, 1, 0, 1]
N_RUNS, MAX_EPOCHS = 8, 5
N_TRAIN, N_VAL, N_TEST, N_FEATURES = 364, 91, 114, 30

HYPERPARAMETERS = ["batch_size", "learning_rate", "l1", "l2", "units", "epochs", "seed"]
PER_RUN = HYPERPARAMETERS + ["status", "train_score", "val_score", "test_score", "seconds",
                             "failure"]
CURVES = ["train_loss", "val_loss"]
ACC_CURVES = ["train_acc", "val_acc"]

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def make_results_file(folder):
    """Run the real binary on CONFIG; returns (config path, results path)."""
    binary = os.environ.get("SWEEP_BINARY", "")
    if not binary:
        raise RuntimeError("SWEEP_BINARY is not set (CTest sets it to the built sweep)")
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"SWEEP_BINARY={binary}: not an executable file")
    config_path = os.path.join(folder, "tiny.yaml")
    with open(config_path, "w", encoding="utf-8") as config:
        config.write(CONFIG)
    results_path = os.path.join(folder, "x.h5")
    done = subprocess.run([binary, config_path, "-o", results_path, "-q"],
                          capture_output=True, text=True, timeout=240, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{binary} exited with {done.returncode}: {done.stderr.strip()}")
    return config_path, results_path


# ---- h5py ------------------------------------------------------------------

@check
def h5py_datasets_shapes_and_dtypes(path, config_path):
    with h5py.File(path, "r") as f:
        assert set(f.keys()) == set(["run", "epoch"] + PER_RUN + CURVES + ACC_CURVES), \
            sorted(f.keys())
        for name in CURVES + ACC_CURVES:
            assert f[name].shape == (N_RUNS, MAX_EPOCHS), (name, f[name].shape)
            assert f[name].dtype == np.float64, (name, f[name].dtype)
        for name in PER_RUN:
            assert f[name].shape == (N_RUNS,), (name, f[name].shape)
        expected_dtypes = {"batch_size": np.int32, "learning_rate": np.float64,
                           "l1": np.float64, "l2": np.float64, "units": np.int32,
                           "epochs": np.int32, "seed": np.int64, "status": np.int8,
                           "train_score": np.float64, "val_score": np.float64,
                           "test_score": np.float64, "seconds": np.float64,
                           "run": np.int64, "epoch": np.int64}
        for name, dtype in expected_dtypes.items():
            assert f[name].dtype == dtype, (name, f[name].dtype)
        assert h5py.check_string_dtype(f["failure"].dtype) is not None, f["failure"].dtype
        assert list(f["failure"].asstr()[...]) == [""] * N_RUNS


@check
def h5py_curves_chunked_compressed_nan_filled(path, config_path):
    with h5py.File(path, "r") as f:
        for name in CURVES + ACC_CURVES:
            data = f[name]
            # 5 epochs: rows grouped to >= 512 values per chunk, capped by the 8 runs.
            assert data.chunks == (N_RUNS, MAX_EPOCHS), data.chunks
            assert data.compression == "gzip" and data.compression_opts == 4, \
                (data.compression, data.compression_opts)
            assert data.shuffle
            assert np.isnan(data.fillvalue)


@check
def h5py_dimension_scales_attached(path, config_path):
    with h5py.File(path, "r") as f:
        assert np.array_equal(f["run"][...], np.arange(N_RUNS))
        assert np.array_equal(f["epoch"][...], np.arange(MAX_EPOCHS))
        for name in CURVES + ACC_CURVES:
            assert f[name].dims[0][0].name == "/run"
            assert f[name].dims[1][0].name == "/epoch"
        for name in PER_RUN:
            assert f[name].dims[0][0].name == "/run", name


@check
def h5py_root_attributes(path, config_path):
    with h5py.File(path, "r") as f:
        attrs = f.attrs
        for name in ("config", "config_path", "overrides", "effective_config", "version",
                     "start_time_utc", "host", "dataset"):
            assert isinstance(attrs[name], str), (name, type(attrs[name]))
        assert attrs["config"] == CONFIG
        assert attrs["config_path"] == config_path, attrs["config_path"]
        assert attrs["overrides"] == ""
        assert attrs["effective_config"] != ""
        assert attrs["version"] != ""
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attrs["start_time_utc"]), \
            attrs["start_time_utc"]
        assert attrs["host"] != ""
        assert attrs["dataset"] == "wdbc"
        expected = {"n_train": N_TRAIN, "n_val": N_VAL, "n_test": N_TEST,
                    "n_features": N_FEATURES, "n_runs": N_RUNS}
        for name, value in expected.items():
            assert isinstance(attrs[name], np.integer) and attrs[name] == value, \
                (name, attrs[name])
        assert isinstance(attrs["threads"], np.integer) and attrs["threads"] >= 1


@check
def h5py_curves_nan_exactly_past_each_runs_epochs(path, config_path):
    with h5py.File(path, "r") as f:
        for name in CURVES:
            curves = f[name][...]
            for run, epochs in enumerate(EPOCHS):
                trained, past = curves[run, :epochs], curves[run, epochs:]
                assert np.all(np.isfinite(trained) & (trained > 0)), (name, run, trained)
                assert np.all(np.isnan(past)), (name, run, past)


def assert_accuracy_curves(f, epochs_done, done):
    """The accuracy curves of an open file: fractions of the train or val
    rows (tolerance 1e-9 on the row count) where trained, NaN exactly past
    each run's epochs_done, and for every done run val_acc at its last epoch
    equal to val_score bit for bit (both count the val rows with the final
    weights)."""
    rows = {"train_acc": int(f.attrs["n_train"]), "val_acc": int(f.attrs["n_val"])}
    for name in ACC_CURVES:
        curves = f[name][...]
        assert curves.shape[0] == len(epochs_done), (name, curves.shape)
        for run, trained_epochs in enumerate(epochs_done):
            trained, past = curves[run, :trained_epochs], curves[run, trained_epochs:]
            assert np.all(np.isfinite(trained) & (trained >= 0) & (trained <= 1)), \
                (name, run, trained)
            correct = trained * rows[name]
            assert np.all(np.abs(correct - np.round(correct)) < 1e-9), (name, run, correct)
            assert np.all(np.isnan(past)), (name, run, past)
    val_acc, val_score = f["val_acc"][...], f["val_score"][...]
    for run, trained_epochs in enumerate(epochs_done):
        if done[run]:
            last = val_acc[run, trained_epochs - 1:trained_epochs]
            assert last.view(np.uint64)[0] == val_score[run:run + 1].view(np.uint64)[0], \
                (run, last, val_score[run])


@check
def h5py_accuracy_curves_fractions_nan_fill_and_last_epoch(path, config_path):
    with h5py.File(path, "r") as f:
        assert_accuracy_curves(f, EPOCHS, [True] * N_RUNS)
        assert f["train_acc"].attrs["long_name"].startswith("accuracy on the train rows")


# Both models, with runs that fail (a learning rate that overflows the
# weights): the multiclass network on iris, the minibatch network on wdbc.
DIVERGING = {
    "iris": ("dataset: iris\nmodel: {type: multiclass, epochs: 8, units: 6}\n"
             "grid:\n  batch_size: [8, 200]\n  learning_rate: [0.1, 1e7]\n"),
    "wdbc": ("dataset: wdbc\nmodel: {epochs: 6, l2: 0.01}\n"
             "grid:\n  learning_rate: [0.1, 1e6]\n"),
}


@check
def accuracy_curves_of_both_models_with_failed_runs(path, config_path):
    binary = os.environ["SWEEP_BINARY"]
    with tempfile.TemporaryDirectory(prefix="test_results_file.") as folder:
        for name, config in DIVERGING.items():
            config_path = os.path.join(folder, name + ".yaml")
            with open(config_path, "w", encoding="utf-8") as handle:
                handle.write(config)
            out = os.path.join(folder, name + ".h5")
            done = subprocess.run([binary, config_path, "-o", out, "-q"], capture_output=True,
                                  text=True, timeout=240, check=False)
            assert done.returncode == 3, (name, done.returncode, done.stderr)  # runs failed
            with h5py.File(out, "r") as f:
                status = f["status"][...]
                assert (status == 1).any() and (status == 2).any(), (name, status)
                epochs_done = np.sum(~np.isnan(f["val_loss"][...]), axis=1)
                assert_accuracy_curves(f, epochs_done, status == 1)
                if name == "wdbc":  # it failed at epoch 4: 4 epochs of accuracy
                    assert epochs_done.tolist() == [6, 4], epochs_done


@check
def sweep_results_exposes_accuracy_curves(path, config_path):
    with h5py.File(path, "r") as f:
        train_acc, val_acc = f["train_acc"][...], f["val_acc"][...]
    sweep = sweep_results.open_results(path)
    assert sweep.has_accuracy
    assert np.array_equal(sweep.train_acc, train_acc, equal_nan=True)
    assert np.array_equal(sweep.curve("val_acc"), val_acc, equal_nan=True)
    last = [train_acc[run, epochs - 1] for run, epochs in enumerate(EPOCHS)]
    assert np.array_equal(sweep.runs["final_train_acc"].to_numpy(), last)
    with tempfile.TemporaryDirectory(prefix="test_results_file.") as folder:
        # An earlier version's file: no accuracy curves; read, all NaN.
        old = os.path.join(folder, "old.h5")
        shutil.copyfile(path, old)
        with h5py.File(old, "r+") as f:
            del f["train_acc"], f["val_acc"]
        sweep = sweep_results.open_results(old)
        assert not sweep.has_accuracy
        assert sweep.val_acc.shape == (N_RUNS, MAX_EPOCHS) and np.isnan(sweep.val_acc).all()
        assert np.isnan(sweep.runs["final_train_acc"]).all()
        # One without the other: refused in one line.
        half = os.path.join(folder, "half.h5")
        shutil.copyfile(path, half)
        with h5py.File(half, "r+") as f:
            del f["val_acc"]
        try:
            sweep_results.open_results(half)
            raise AssertionError("a file with train_acc but no val_acc was read")
        except sweep_results.SweepError as error:
            assert str(error) == f"{half}: not a valid sweep results file: 'train_acc' " \
                "without 'val_acc'", str(error)


# ---- pandas (through xarray) ----------------------------------------------

@check
def pandas_one_row_per_run(path, config_path):
    df = xr.load_dataset(path, engine="h5netcdf").drop_dims("epoch").to_dataframe()
    assert df.index.name == "run" and list(df.index) == list(range(N_RUNS)), df.index
    assert list(df.columns) == PER_RUN, list(df.columns)
    assert df["batch_size"].tolist() == BATCH_SIZE
    assert df["epochs"].tolist() == EPOCHS
    assert df["seed"].tolist() == SEED
    # Not in the grid: the model's defaults, exactly.
    assert (df["learning_rate"] == 0.1).all() and (df["units"] == 10).all()
    assert (df["l1"] == 0.0).all() and (df["l2"] == 0.0).all()
    assert str(df["seed"].dtype) == "int64" and str(df["status"].dtype) == "int8", df.dtypes
    assert (df["status"] == 1).all(), df["status"].tolist()
    for column, rows in (("train_score", N_TRAIN), ("val_score", N_VAL),
                         ("test_score", N_TEST)):
        scores = df[column].to_numpy()
        assert np.all((scores >= 0) & (scores <= 1)), (column, scores)
        # An accuracy is (correct rows) / rows; tolerance 1e-9 on the row count.
        correct = scores * rows
        assert np.all(np.abs(correct - np.round(correct)) < 1e-9), (column, correct)
    assert np.all(np.isfinite(df["seconds"]) & (df["seconds"] >= 0)), df["seconds"].tolist()
    assert df["failure"].tolist() == [""] * N_RUNS


# ---- xarray ----------------------------------------------------------------

@check
def xarray_dims_coords_and_attrs(path, config_path):
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert dict(ds.sizes) == {"run": N_RUNS, "epoch": MAX_EPOCHS}, dict(ds.sizes)
        assert list(ds.data_vars) == PER_RUN + CURVES + ACC_CURVES, list(ds.data_vars)
        assert np.array_equal(ds["run"].values, np.arange(N_RUNS))
        assert np.array_equal(ds["epoch"].values, np.arange(MAX_EPOCHS))
        for name in CURVES + ACC_CURVES:
            assert ds[name].dims == ("run", "epoch") and ds[name].dtype == np.float64
        for name in PER_RUN:
            assert ds[name].dims == ("run",), (name, ds[name].dims)
        # Not decoded into something else: seconds stay float (units "s", not
        # "seconds", which xarray would turn into timedelta64), status stays
        # int8 (no _FillValue that would mask pending runs).
        assert ds["seconds"].dtype == np.float64 and ds["seconds"].attrs["units"] == "s"
        assert ds["status"].dtype == np.int8, ds["status"].dtype
        assert ds["status"].attrs["flag_meanings"] == "pending done failed"
        assert list(ds["status"].attrs["flag_values"]) == [0, 1, 2]
        assert ds.attrs["n_runs"] == N_RUNS and ds.attrs["config"] == CONFIG
        assert ds.attrs["dataset"] == "wdbc"


@check
def xarray_selects_by_hyperparameter(path, config_path):
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        short = ds["val_loss"].where(ds["epochs"] == 3, drop=True)
        assert short.sizes["run"] == 4
        assert bool(short.isel(epoch=slice(3, None)).isnull().all())
        assert bool(short.isel(epoch=slice(0, 3)).notnull().all())
        by_batch = ds["val_loss"].groupby(ds["batch_size"]).mean("run")
        assert by_batch.dims == ("batch_size", "epoch") and by_batch.shape == (2, MAX_EPOCHS)
        assert by_batch["batch_size"].values.tolist() == [32, 128]


class Files:
    """The results file every check reads, made once."""
    folder = None
    config_path = None
    path = None


def make_shared_file():
    Files.folder = tempfile.TemporaryDirectory(prefix="test_results_file.")
    Files.config_path, Files.path = make_results_file(Files.folder.name)


def remove_shared_file():
    if Files.folder is not None:
        Files.folder.cleanup()


def on_the_shared_file(case, check):
    check(Files.path, Files.config_path)


ResultsFile = checks_case("ResultsFile", CHECKS, on_the_shared_file,
                          set_up_class=make_shared_file, tear_down_class=remove_shared_file)


if __name__ == "__main__":
    unittest.main(verbosity=2)
