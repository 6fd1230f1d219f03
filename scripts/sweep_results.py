"""sweep_results: reading a `sweep` results file for the analysis scripts.

Shared by plot_sweep.py, summarize.py and compare_sklearn.py: opening and
checking a results file, one table row per run, grouping runs over seeds,
and the one-line error convention (``PROG: what is wrong``, exit status 2).

The results file (see the README, "Results file") holds root-level datasets:
``train_loss``, ``val_loss``, ``train_acc``, ``val_acc`` (run, epoch) with NaN
past a run's epochs (files of versions before the accuracy curves have only
the loss curves: their accuracy curves read as NaN);
``train_score``, ``val_score``, ``test_score``, ``seconds``, ``status``
(0 pending, 1 done, 2 failed), ``failure`` (run); one (run) dataset per
hyperparameter; the config and run metadata as root attributes.
"""

import argparse
import difflib
import os
import sys
import warnings

import h5py
import numpy as np
import pandas as pd

# The per-run hyperparameter datasets, in the order of the C side's param_id
# (src/params.h), which is also the order of the columns in every table.
HYPERPARAMETERS = ("batch_size", "learning_rate", "l1", "l2", "units", "epochs", "seed")
PER_RUN = ("train_score", "val_score", "test_score", "seconds", "status")
CURVES = ("train_loss", "val_loss")
# Per-epoch accuracy: train_acc counted in the epoch's batches (weights
# moving), val_acc on the val rows after the epoch. Absent from the files of
# earlier versions, so optional (both or neither).
ACCURACY_CURVES = ("train_acc", "val_acc")

STATUS_PENDING, STATUS_DONE, STATUS_FAILED = 0, 1, 2


class SweepError(Exception):
    """A problem to report as one line and exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit status 2)."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: {message} (see --help)\n")
        sys.exit(2)


def run_main(prog, main):
    """Run main(); turn SweepError and I/O errors into 'PROG: message', exit 2."""
    try:
        return main() or 0
    except SweepError as error:
        sys.stderr.write(f"{prog}: {error}\n")
        return 2
    except BrokenPipeError:        # `summarize.py ... | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        sys.stderr.write(f"{prog}: {where}{error.strerror or error}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130


class Sweep:
    """The contents of one results file.

    runs:        DataFrame, one row per run (index = run number): the
                 hyperparameters, status, scores, seconds, failure,
                 epochs_done, final_train_loss, final_val_loss,
                 final_train_acc (train_acc of the last epoch trained).
    train_loss:  (run, epoch) float64 array, NaN past a run's epochs.
    val_loss:    (run, epoch) float64 array.
    train_acc:   (run, epoch) float64 array: accuracy in each epoch's batches.
    val_acc:     (run, epoch) float64 array: val accuracy after each epoch
                 (its last epoch is val_score).
    has_accuracy: whether the file holds the accuracy curves (when not, an
                 earlier version's file, train_acc and val_acc are all NaN).
    attrs:       root attributes, text decoded.
    """

    def __init__(self, path, runs, curves, attrs, has_accuracy=True):
        self.path = path
        self.runs = runs
        self.train_loss = curves["train_loss"]
        self.val_loss = curves["val_loss"]
        self.train_acc = curves["train_acc"]
        self.val_acc = curves["val_acc"]
        self.has_accuracy = has_accuracy
        self.attrs = attrs

    @property
    def done(self):
        """The runs trained to their last epoch; only these are averaged."""
        return self.runs[self.runs["status"] == STATUS_DONE]

    def counts(self):
        """(total, done, failed, pending) run counts."""
        status = self.runs["status"]
        return (len(status), int((status == STATUS_DONE).sum()),
                int((status == STATUS_FAILED).sum()), int((status == STATUS_PENDING).sum()))

    def swept(self):
        """Hyperparameters whose value differs between runs, in table order."""
        return [key for key in HYPERPARAMETERS if self.runs[key].nunique(dropna=False) > 1]

    def curve(self, metric):
        return {"train_loss": self.train_loss, "val_loss": self.val_loss,
                "train_acc": self.train_acc, "val_acc": self.val_acc}[metric]

    def left_out_phrase(self):
        """'3 failed and 1 pending run left out' or '' when every run is done."""
        _, _, failed, pending = self.counts()
        parts = []
        if failed:
            parts.append(f"{failed} failed")
        if pending:
            parts.append(f"{pending} pending")
        if not parts:
            return ""
        noun = "run" if failed + pending == 1 else "runs"
        return f"{' and '.join(parts)} {noun} left out"

    @property
    def cv(self):
        """None for a single holdout, else the CrossValidation of the root
        attributes (checked by open_results, which also puts each run's fold
        and repeat in `runs`: 0 for every run of a holdout)."""
        return cross_validation(self.attrs)


def _text(value):
    """Attribute or string-dataset value as str (HDF5 strings may come as bytes)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    if isinstance(value, np.generic):
        return value.item()
    return value


def _last_finite(curves, epochs_done):
    """Each row's value at its last trained epoch; NaN for rows with none."""
    rows = np.arange(curves.shape[0])
    last = np.clip(epochs_done - 1, 0, max(curves.shape[1] - 1, 0))
    values = curves[rows, last] if curves.shape[1] else np.full(curves.shape[0], np.nan)
    return np.where(epochs_done > 0, values, np.nan)


# Root attributes the scripts read, and what they must be when present.
TEXT_ATTRIBUTES = ("config", "config_path", "overrides", "effective_config", "version",
                   "start_time_utc", "host", "dataset", "data_checksum", "shard")
COUNT_ATTRIBUTES = ("n_train", "n_val", "n_test", "n_features", "threads", "ranks",
                    "n_runs", "grid_runs")
# Allowed hyperparameter values, as the C side's params_check (src/params.c):
# (smallest, is the smallest excluded, largest, whole numbers only).
HYPERPARAMETER_RANGES = {
    "batch_size": (1, False, 1e9, True), "learning_rate": (0, True, np.inf, False),
    "l1": (0, False, np.inf, False), "l2": (0, False, np.inf, False),
    "units": (1, False, 1e6, True), "epochs": (1, False, 1e7, True),
    "seed": (0, False, 2**32 - 1, True)}


def _invalid(path, what):
    return SweepError(f"{path}: not a valid sweep results file: {what}")


def _open_file(path):
    """The open h5py file; SweepError for anything that is not one."""
    if not os.path.exists(path):
        raise SweepError(f"{path}: no such file")
    if os.path.isdir(path):
        raise SweepError(f"{path}: is a directory, not a results file")
    if not h5py.is_hdf5(path):
        raise _invalid(path, "not an HDF5 file")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        if "unable to lock file" in str(error).lower():
            raise SweepError(f"{path}: cannot open: {error} (is a sweep still writing it?)") \
                from None
        raise SweepError(f"{path}: truncated or damaged ({error})") from None


def _check_hyperparameter(path, name, values):
    low, low_excluded, high, whole = HYPERPARAMETER_RANGES[name]
    values = values.astype(np.float64)
    bad = ~np.isfinite(values) | (values > high) | ((values <= low) if low_excluded
                                                     else (values < low))
    if whole:
        bad |= np.isfinite(values) & (values != np.floor(values))
    if bad.any():
        run = int(np.argmax(bad))
        raise _invalid(path, f"'{name}' of run {run} is {values[run]!r}, out of its range")


def _read_columns(path, handle):
    """The (run) datasets and the curves, checked: (columns, curves)."""
    for name in ("status",) + CURVES + PER_RUN + HYPERPARAMETERS:
        if name not in handle or not isinstance(handle[name], h5py.Dataset):
            raise _invalid(path, f"no '{name}' dataset")
    n_runs = handle["status"].shape[0] if handle["status"].ndim == 1 else -1
    if n_runs < 0:
        raise _invalid(path, "'status' is not one-dimensional")
    # What each dataset must hold (numpy dtype kinds): whole numbers,
    # floats, or either.
    kinds = dict.fromkeys(PER_RUN, "f")
    kinds["status"] = "iu"
    kinds.update(dict.fromkeys(HYPERPARAMETERS, "iuf"))
    columns = {}
    for name in PER_RUN + HYPERPARAMETERS:
        data = handle[name]
        if data.shape != (n_runs,):
            raise _invalid(path, f"'{name}' has shape {data.shape}, expected ({n_runs},)")
        if data.dtype.kind not in kinds[name]:
            raise _invalid(path, f"'{name}' holds {data.dtype}, not numbers")
        columns[name] = data[()]
    for name in HYPERPARAMETERS:
        _check_hyperparameter(path, name, columns[name])
    present = [name for name in ACCURACY_CURVES if name in handle]
    if len(present) == 1:
        missing = [name for name in ACCURACY_CURVES if name not in present][0]
        raise _invalid(path, f"'{present[0]}' without '{missing}'")
    curves = {}
    for name in CURVES + tuple(present):
        if not isinstance(handle[name], h5py.Dataset):
            raise _invalid(path, f"no '{name}' dataset")
        data = handle[name]
        if data.ndim != 2 or data.shape[0] != n_runs:
            raise _invalid(path, f"'{name}' has shape {data.shape}, expected ({n_runs}, epochs)")
        if data.dtype.kind != "f":
            raise _invalid(path, f"'{name}' holds {data.dtype}, not floats")
        curves[name] = np.asarray(data[()], dtype=np.float64)
    for name in ("val_loss",) + tuple(present):
        if curves[name].shape != curves["train_loss"].shape:
            raise _invalid(path, f"'train_loss' and '{name}' differ in shape")
    longest = int(columns["epochs"].max()) if n_runs else 0
    if longest > curves["val_loss"].shape[1]:
        raise _invalid(path, f"a run has {longest} epochs, but the curves hold "
                       f"{curves['val_loss'].shape[1]}")
    return columns, curves


def _read_attributes(path, handle):
    attrs = {key: _text(value) for key, value in handle.attrs.items()}
    for name in TEXT_ATTRIBUTES:
        if name in attrs and not isinstance(attrs[name], str):
            raise _invalid(path, f"attribute '{name}' is not text")
    for name in COUNT_ATTRIBUTES:
        if name in attrs and (isinstance(attrs[name], bool) or
                              not isinstance(attrs[name], (int, np.integer))):
            raise _invalid(path, f"attribute '{name}' is not a whole number")
    return attrs


class CrossValidation:
    """A file's cross-validation settings: folds (K), repeats (R), shuffle,
    seed (None when not recorded). splits = K * R; the split of a run is
    repeat * K + fold, RepeatedStratifiedKFold's enumeration."""

    def __init__(self, folds, repeats, shuffle=None, seed=None):
        self.folds, self.repeats, self.shuffle, self.seed = folds, repeats, shuffle, seed

    @property
    def splits(self):
        return self.folds * self.repeats

    @property
    def test_train_ratio(self):
        """n_test / n_train of a k-fold split, 1/(K-1) (exact when K divides
        the rows; the fold sizes differ by one row at most otherwise)."""
        return 1.0 / (self.folds - 1)

    def describe(self):
        text = f"{self.folds} folds x {self.repeats} repeats"
        if self.shuffle is not None:
            text += ", shuffled" if self.shuffle else ", not shuffled"
        if self.seed is not None and self.shuffle is not False:
            text += f", seed {self.seed}"
        return text


def _attribute_int(path, attrs, name):
    """A whole-number root attribute, None when absent."""
    if name not in attrs:
        return None
    value = np.asarray(attrs[name]).ravel()
    if value.size != 1 or value.dtype.kind not in "iufb" or value[0] != int(value[0]):
        raise _invalid(path, f"attribute '{name}' is not a whole number")
    return int(value[0])


def cross_validation(attrs, path=""):
    """The CrossValidation of root attributes cv_folds (2 or more),
    cv_repeats (default 1), cv_shuffle, cv_seed; None without cv_folds or
    with cv_folds below 2 (a holdout)."""
    folds = _attribute_int(path, attrs, "cv_folds")
    if folds is None or folds < 2:
        return None
    repeats = _attribute_int(path, attrs, "cv_repeats")
    shuffle = _attribute_int(path, attrs, "cv_shuffle")
    return CrossValidation(folds, 1 if repeats is None else repeats,
                           None if shuffle is None else bool(shuffle),
                           _attribute_int(path, attrs, "cv_seed"))


def _cv_column(path, handle, name, n_runs):
    data = handle[name]
    if not isinstance(data, h5py.Dataset) or data.shape != (n_runs,):
        raise _invalid(path, f"'{name}' has shape {getattr(data, 'shape', None)}, "
                       f"expected ({n_runs},)")
    if data.dtype.kind not in "iu":
        raise _invalid(path, f"'{name}' holds {data.dtype}, not whole numbers")
    return data[()].astype(np.int64)


def read_cv(path, handle, n_runs):
    """(CrossValidation or None, fold, repeat) of an open results file. Under
    cross-validation the per-run datasets ``fold`` and ``repeat`` and the
    root attributes ``cv_folds``, ``cv_repeats``, ``cv_shuffle``,
    ``cv_seed``; a file without them, or whose fold (and repeat) is 0
    everywhere without cv_folds, is a single holdout (fold = repeat = 0)."""
    cv = cross_validation(handle.attrs, path)
    has_fold = "fold" in handle
    fold = _cv_column(path, handle, "fold", n_runs) if has_fold else np.zeros(n_runs, np.int64)
    repeat = (_cv_column(path, handle, "repeat", n_runs) if "repeat" in handle
              else np.zeros(n_runs, np.int64))
    if cv is None:
        if fold.any() or repeat.any():
            raise _invalid(path, "a 'fold' dataset needs a root attribute 'cv_folds' of 2 "
                           "or more")
        return None, fold, repeat
    if not has_fold:
        raise _invalid(path, f"'cv_folds' is {cv.folds} but there is no 'fold' dataset")
    if cv.repeats < 1:
        raise _invalid(path, f"'cv_repeats' is {cv.repeats}")
    for name, values, bound in (("fold", fold, cv.folds), ("repeat", repeat, cv.repeats)):
        if ((values < 0) | (values >= bound)).any():
            raise _invalid(path, f"a '{name}' value outside 0..{bound - 1}")
    return cv, fold, repeat


def _read_failures(handle, n_runs):
    if "failure" in handle and isinstance(handle["failure"], h5py.Dataset) \
            and handle["failure"].shape == (n_runs,):
        return [str(_text(value)) for value in handle["failure"][()]]
    return [""] * n_runs


def open_results(path):
    """Read and check a results file; raises SweepError with a one-line message."""
    with _open_file(path) as handle:
        try:
            columns, curves = _read_columns(path, handle)
            failure = _read_failures(handle, len(columns["status"]))
            attrs = _read_attributes(path, handle)
            _, fold, repeat = read_cv(path, handle, len(columns["status"]))
        except (OSError, KeyError, RuntimeError) as error:
            # h5py's errors for data that does not read (a bad chunk, a
            # broken link): the file is damaged.
            reason = str(error).replace("\n", " ") or type(error).__name__
            raise SweepError(f"{path}: truncated or damaged ({reason})") from None

    runs = pd.DataFrame({name: columns[name] for name in HYPERPARAMETERS})
    runs.index.name = "run"
    # Integer hyperparameters stay integers (uint32 seeds included) so that
    # they print and group exactly.
    for name in ("batch_size", "units", "epochs", "seed"):
        runs[name] = runs[name].astype(np.int64)
    for name in ("learning_rate", "l1", "l2"):
        runs[name] = runs[name].astype(np.float64)
    runs["status"] = columns["status"].astype(np.int64)
    unknown = sorted(set(runs["status"]) - {STATUS_PENDING, STATUS_DONE, STATUS_FAILED})
    if unknown:
        raise _invalid(path, f"unknown status value {unknown[0]}")
    for name in ("train_score", "val_score", "test_score", "seconds"):
        runs[name] = columns[name].astype(np.float64)
    runs["failure"] = failure
    runs["fold"], runs["repeat"] = fold, repeat
    epochs_done = np.sum(~np.isnan(curves["val_loss"]), axis=1)
    runs["epochs_done"] = epochs_done
    runs["final_train_loss"] = _last_finite(curves["train_loss"], epochs_done)
    runs["final_val_loss"] = _last_finite(curves["val_loss"], epochs_done)
    has_accuracy = all(name in curves for name in ACCURACY_CURVES)
    for name in ACCURACY_CURVES:
        curves.setdefault(name, np.full(curves["train_loss"].shape, np.nan))
    runs["final_train_acc"] = _last_finite(curves["train_acc"], epochs_done)
    return Sweep(path, runs, curves, attrs, has_accuracy)


def check_keys(keys, option):
    """Raise SweepError unless every key names a hyperparameter."""
    for key in keys:
        if key not in HYPERPARAMETERS:
            close = difflib.get_close_matches(key, HYPERPARAMETERS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SweepError(f"{option}: unknown key '{key}'{hint}; keys: "
                             + ", ".join(HYPERPARAMETERS))


def grid_keys(sweep, by=None):
    """The keys that name a grid point: `by`, else every swept key but the seed."""
    if by:
        return list(dict.fromkeys(by))
    return [key for key in sweep.swept() if key != "seed"]


def aggregate(runs, keys, columns):
    """Mean, sample std (ddof 1, as sweep's own summary) and count of each column
    per grid point. Pending and failed runs are counted but not averaged.

    Returns a DataFrame with one row per distinct combination of `keys` among
    `runs` (all statuses), columns: the keys, runs, done, failed, pending, and
    <column>_mean, <column>_std for each column.
    """
    table = runs.copy()
    group_keys = list(keys) if keys else ["_all"]
    if not keys:
        table["_all"] = 0
    grouped = table.groupby(group_keys, sort=True)
    result = grouped.size().rename("runs").to_frame()
    for label, code in (("done", STATUS_DONE), ("failed", STATUS_FAILED),
                        ("pending", STATUS_PENDING)):
        result[label] = grouped["status"].apply(lambda status, c=code: int((status == c).sum()))
    done = table[table["status"] == STATUS_DONE].groupby(group_keys, sort=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        for column in columns:
            result[f"{column}_mean"] = done[column].mean()
            result[f"{column}_std"] = done[column].std(ddof=1)
    result = result.reset_index()
    if not keys:
        result = result.drop(columns="_all")
    return result


def format_value(key, value):
    """A hyperparameter value as it would be written in a config."""
    if key in ("batch_size", "units", "epochs", "seed"):
        return str(int(value))
    return format(float(value), "g")


def format_mean_std(mean, std, decimals):
    """'0.9780 ± 0.0050'; the mean alone when there is no spread (one run);
    '-' when there is no finished run."""
    if np.isnan(mean):
        return "-"
    if np.isnan(std):
        return f"{mean:.{decimals}f}"
    return f"{mean:.{decimals}f} ± {std:.{decimals}f}"


def point_label(keys, values):
    """'l2 = 0.01, learning_rate = 0.1' for one grid point."""
    return ", ".join(f"{key} = {format_value(key, value)}" for key, value in zip(keys, values))


def nan_stats(curves):
    """Mean, min and max over rows of a (runs, epochs) array, NaN-aware and quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return np.nanmean(curves, axis=0), np.nanmin(curves, axis=0), np.nanmax(curves, axis=0)


def epochs_to_within(curves, epochs_done, fraction=0.05):
    """Per run: the number of epochs until the loss first comes within
    `fraction` of that run's best (lowest) loss, i.e. loss <= best * (1 + fraction).
    NaN for runs without a trained epoch."""
    result = np.full(curves.shape[0], np.nan)
    for row in range(curves.shape[0]):
        count = int(epochs_done[row])
        if count == 0:
            continue
        curve = curves[row, :count]
        best = np.nanmin(curve)
        result[row] = int(np.argmax(curve <= best * (1 + fraction))) + 1
    return result


def repo_root():
    """The source tree this script lives in (scripts/..)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
