#!/usr/bin/python3
"""test_models.py: model.type end to end (the model interface).

Drives the real binary ($SWEEP_BINARY) on small sweeps of the built-in iris
(3 classes) and wdbc (2 classes) sets and checks:

- a multiclass sweep writes the root attributes model, n_classes and
  class_names; a minibatch sweep writes model "minibatch", 2 classes;
- -j 1 and -j 2 give the same file bit for bit (all but the wall times);
  so do two shards merged, and a sweep interrupted by --resume of a grown
  grid;
- --dry-run names the model and the classes;
- refused with one line and exit 2, nothing written: type minibatch on
  3 classes; --resume of a file of the other model; merge of parts of two
  models.

Tolerance: none; every comparison is bitwise.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cases import checks_case, in_fresh_folder  # noqa: E402
from sweep_files import assert_same_file, attributes, datasets, sweep, write  # noqa: E402

IRIS = """\
dataset: iris
model: {type: multiclass, epochs: 30, units: 6}
grid:
  batch_size: [8, 200]
  seed: [1, 2, 3]
"""


def check_attributes(folder):
    config = write(folder, "iris.yaml", IRIS)
    out = os.path.join(folder, "iris.h5")
    done = sweep([config, "-o", out, "-q"])
    assert done.returncode == 0, done.stderr
    attrs = attributes(out)
    assert attrs["model"] == "multiclass", attrs["model"]
    assert int(attrs["n_classes"]) == 3
    assert list(attrs["class_names"]) == ["setosa", "versicolor", "virginica"], \
        attrs["class_names"]
    data = datasets(out)
    assert (data["status"] == 1).all()
    assert ((data["val_score"] > 0.5) & (data["val_score"] <= 1.0)).all(), data["val_score"]
    binary = os.path.join(folder, "wdbc.h5")
    config = write(folder, "wdbc.yaml", "model: {epochs: 3}\n")
    done = sweep([config, "-o", binary, "-q"])
    assert done.returncode == 0, done.stderr
    attrs = attributes(binary)
    assert attrs["model"] == "minibatch" and int(attrs["n_classes"]) == 2


def check_threads_shards_resume(folder):
    config = write(folder, "iris.yaml", IRIS)
    one = os.path.join(folder, "one.h5")
    two = os.path.join(folder, "two.h5")
    for path, jobs in ((one, "1"), (two, "2")):
        done = sweep([config, "-o", path, "-q", "-j", jobs])
        assert done.returncode == 0, done.stderr
    assert_same_file(two, one)
    parts = []
    for k in range(2):
        part = os.path.join(folder, f"part{k}.h5")
        done = sweep([config, "-o", part, "-q", "--shard", f"{k}/2"])
        assert done.returncode == 0, done.stderr
        parts.append(part)
    merged = os.path.join(folder, "merged.h5")
    done = sweep(["merge", merged, *parts, "-q"])
    assert done.returncode == 0, done.stderr
    assert_same_file(merged, one)
    grown = os.path.join(folder, "grown.h5")
    done = sweep([config, "-o", grown, "-q", "--set", "grid.seed=[1]"])
    assert done.returncode == 0, done.stderr
    done = sweep([config, "-o", grown, "-q", "--resume"])
    assert done.returncode == 0, done.stderr
    assert_same_file(grown, one)


def check_dry_run(folder):
    config = write(folder, "iris.yaml", IRIS)
    done = sweep([config, "--dry-run"])
    assert done.returncode == 0, done.stderr
    assert "model multiclass, 3 classes" in done.stdout, done.stdout


def check_refusals(folder):
    config = write(folder, "bad.yaml", "dataset: iris\nmodel: {epochs: 3}\n")
    out = os.path.join(folder, "bad.h5")
    done = sweep([config, "-o", out, "-q"])
    assert done.returncode == 2, done.returncode
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "model type minibatch needs exactly 2 classes, the data has 3" \
        in lines[0], done.stderr
    assert not os.path.exists(out)
    # a file of one model is not resumed, nor merged, as the other
    binary = write(folder, "wdbc.yaml", "model: {epochs: 3}\n")
    file = os.path.join(folder, "wdbc.h5")
    assert sweep([binary, "-o", file, "-q"]).returncode == 0
    done = sweep([binary, "-o", file, "-q", "--resume", "--set", "model.type=multiclass"])
    assert done.returncode == 2, done.stderr
    assert "holds runs of model minibatch, the config trains multiclass" in done.stderr
    other = os.path.join(folder, "wdbc_multiclass.h5")
    done = sweep([binary, "-o", other, "-q", "--set", "model.type=multiclass"])
    assert done.returncode == 0, done.stderr
    done = sweep(["merge", os.path.join(folder, "m.h5"), file, other, "-q"])
    assert done.returncode == 2, done.stderr
    assert "not from the same sweep" in done.stderr and "model" in done.stderr, done.stderr


Models = checks_case("Models", [check_attributes, check_threads_shards_resume, check_dry_run,
                                 check_refusals], in_fresh_folder("test_models."))

if __name__ == "__main__":
    unittest.main(verbosity=2)
