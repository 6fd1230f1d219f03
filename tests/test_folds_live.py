#!/usr/bin/python3
"""test_folds_live.py: src/folds.c against live scikit-learn on random labels.

The stored fixtures of tests/test_folds.c cover chosen label vectors; this
test draws new ones (2 to 4 classes, 5 to 300 rows, lopsided or balanced,
labels in any first-appearance order), has scikit-learn 1.2 split them with
tests/data/make_fold_fixtures.py (every K in {2, 3, 5, 10}, R in
{1, 3}, shuffle on and off, three random seeds) and runs the C code on the
result through `test_folds FILE...`, which compares every fold number
exactly and checks that the C code refuses and warns where scikit-learn
raises and warns. FOLDS_LIVE_SEED=N repeats a draw (the seed is printed).
The test_folds binary is found beside $SWEEP_BINARY
(CTest builds both into one folder). A unittest file; exits 1 when
anything differs.
"""

import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest
import warnings

import numpy as np

from check_cases import BINARY, require_binary

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
MAKE_FIXTURES = os.path.join(SOURCE_DIR, "tests", "data", "make_fold_fixtures.py")
N_LABEL_SETS = 12


def random_labels(generator):
    n_classes = generator.randint(2, 5)
    n_rows = generator.randint(5, 301)
    values = generator.choice(np.arange(-2, 9), size=n_classes, replace=False).astype(float)
    shares = generator.dirichlet(np.ones(n_classes) * generator.choice([0.5, 5.0]))
    return generator.choice(values, size=n_rows, p=shares)


def load_fixture_maker():
    spec = importlib.util.spec_from_file_location("make_fold_fixtures", MAKE_FIXTURES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FoldsLive(unittest.TestCase):
    def setUp(self):
        require_binary()
        self.test_folds = os.path.join(os.path.dirname(BINARY), "test_folds")
        self.assertTrue(os.access(self.test_folds, os.X_OK),
                        f"no test_folds beside SWEEP_BINARY={BINARY!r}")

    def test_random_label_sets_fold_as_scikit_learn(self):
        maker = load_fixture_maker()
        warnings.simplefilter("ignore")     # scikit-learn's small-class warnings are recorded
        seed = int(os.environ.get("FOLDS_LIVE_SEED") or int.from_bytes(os.urandom(4), "little"))
        print(f"labels drawn with FOLDS_LIVE_SEED={seed}")
        generator = np.random.RandomState(seed)
        with tempfile.TemporaryDirectory(prefix="sweep_folds_") as folder:
            fixtures = []
            for index in range(N_LABEL_SETS):
                labels = random_labels(generator)
                fixture = os.path.join(folder, f"live{index}.csv")
                seeds = [int(s) for s in generator.randint(0, 2**32, size=3, dtype=np.uint64)]
                maker.write_fixture(fixture, labels, seeds)
                fixtures.append(fixture)
            result = subprocess.run([self.test_folds, *fixtures], capture_output=True, text=True)
            print(result.stdout, end="")
            print(result.stderr, end="", file=sys.stderr)
            if result.returncode != 0:
                # keep the failing labels for a rerun
                kept = tempfile.mkdtemp(prefix="sweep_folds_failed_")
                for name in os.listdir(folder):
                    os.replace(os.path.join(folder, name), os.path.join(kept, name))
                self.fail(f"fold numbers differ from scikit-learn's (FOLDS_LIVE_SEED={seed}); "
                          f"fixtures kept in {kept}")
        print(f"{N_LABEL_SETS} random label sets: every fold equals scikit-learn's")


if __name__ == "__main__":
    unittest.main(verbosity=2)
