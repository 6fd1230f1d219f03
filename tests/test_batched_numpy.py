#!/usr/bin/python3
"""test_batched_numpy.py: the batched numpy peer trains each run as the textbook does.

scripts/batched_numpy.py trains many runs of the textbook network at once (a
leading run axis); scripts/bench times it against sweep. Here every run of a
pack is compared with the same run trained alone by scripts/textbook_numpy.py
(the one-at-a-time reference, the book's code run one network at a time): the
train and val loss of every epoch and the final weights must agree within
1e-12 (absolute; the two differ only in the order of some sums and in the
loss being summed per epoch rather than per batch, observed differences are
below 1e-15). The packs mix seeds, L1, L2 and learning rates, at batch sizes
1, 8, 32 and 364 (364 = every train row in one batch; 8 and 32 leave a
shorter last batch).

Run with Debian's /usr/bin/python3 (python3-numpy); unittest (-k NAME selects).
"""

import os
import subprocess
import sys
import unittest

import numpy as np

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(SOURCE_DIR, "scripts")
sys.path.insert(0, SCRIPTS)
import batched_numpy  # noqa: E402
import textbook_numpy  # noqa: E402

TOLERANCE = 1e-12
EPOCHS = 25

# one pack: neither penalty, L2, L1, both; three learning rates; five seeds
PACK = {
    "seeds": [42, 0, 7, 123, 42, 2024],
    "learning_rate": [0.1, 0.05, 0.2, 0.1, 0.3, 0.1],
    "l1": [0.0, 0.0, 0.001, 0.01, 0.0, 0.002],
    "l2": [0.0, 0.01, 0.0, 0.01, 0.001, 0.02],
}

DATA = textbook_numpy.load_data(textbook_numpy.DEFAULT_DATA)


def textbook_run(data, seed, learning_rate, l1, l2, batch_size, epochs):
    return textbook_numpy.train(data, batch_size=batch_size, learning_rate=learning_rate,
                                l1=l1, l2=l2, epochs=epochs, seed=seed)


class MatchesTheTextbook(unittest.TestCase):

    def assert_close(self, got, expected, what):
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        self.assertEqual(got.shape, expected.shape, what)
        difference = float(np.max(np.abs(got - expected))) if got.size else 0.0
        self.assertLessEqual(difference, TOLERANCE, f"{what}: max difference {difference:.3g}")

    def check_pack(self, batch_size, pack=PACK, data=DATA, epochs=EPOCHS):
        result = batched_numpy.train_batched(data, pack["seeds"], batch_size=batch_size,
                                             learning_rate=pack["learning_rate"],
                                             l1=pack["l1"], l2=pack["l2"], epochs=epochs)
        self.assertEqual(result.losses.shape, (len(pack["seeds"]), epochs))
        for r, seed in enumerate(pack["seeds"]):
            net = textbook_run(data, seed, pack["learning_rate"][r], pack["l1"][r],
                               pack["l2"][r], batch_size, epochs)
            what = f"batch {batch_size}, run {r} (seed {seed})"
            self.assert_close(result.losses[r], net.losses, what + " train loss")
            self.assert_close(result.val_losses[r], net.val_losses, what + " val loss")
            self.assert_close(result.w1[r], net.w1, what + " w1")
            self.assert_close(result.b1[r, 0], net.b1, what + " b1")
            self.assert_close(result.w2[r], net.w2, what + " w2")
            self.assert_close(result.b2[r, 0, 0], net.b2, what + " b2")
        return result

    def test_batch_size_1(self):
        self.check_pack(1)

    def test_batch_size_8(self):
        self.check_pack(8)

    def test_batch_size_32(self):
        self.check_pack(32)

    def test_batch_size_364(self):
        self.check_pack(364)

    def test_batch_larger_than_the_data_is_one_batch(self):
        # the book's gen_batch yields x[0:1000], every row, once per epoch
        self.check_pack(1000, epochs=5)

    def test_soft_labels(self):
        # labels other than 0 and 1 take the book's two-log cross-entropy
        data = dict(DATA)
        data["y_train"] = np.where(DATA["y_train"] == 1, 0.9, 0.2)
        data["y_val"] = np.where(DATA["y_val"] == 1, 0.7, 0.1)
        self.check_pack(32, data=data, epochs=5)

    def test_a_diverging_run_leaves_the_others_alone(self):
        pack = {"seeds": [1, 2, 3], "learning_rate": [0.1, 1e6, 0.2], "l1": [0.0, 0.0, 0.0],
                "l2": [0.01, 0.01, 0.0]}
        with np.errstate(all="ignore"):
            result = batched_numpy.train_batched(DATA, pack["seeds"], batch_size=8,
                                                 learning_rate=pack["learning_rate"],
                                                 l1=pack["l1"], l2=pack["l2"], epochs=5)
            for r in (0, 2):
                net = textbook_run(DATA, pack["seeds"][r], pack["learning_rate"][r], 0.0,
                                   pack["l2"][r], 8, 5)
                self.assert_close(result.losses[r], net.losses, f"run {r} train loss")
                self.assert_close(result.val_losses[r], net.val_losses, f"run {r} val loss")
            net = textbook_run(DATA, 2, 1e6, 0.0, 0.01, 8, 5)
        # the diverging run itself goes the book's way: huge, then inf, then NaN
        for got, expected in ((result.losses[1], net.losses),
                              (result.val_losses[1], net.val_losses)):
            expected = np.asarray(expected)
            self.assertTrue(np.isnan(expected[-1]), expected)
            np.testing.assert_array_equal(np.isfinite(got), np.isfinite(expected))
            np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
            finite = np.isfinite(expected)
            np.testing.assert_allclose(got[finite], expected[finite], rtol=TOLERANCE, atol=0)

    def test_one_value_for_every_run(self):
        result = batched_numpy.train_batched(DATA, [5, 6], batch_size=32, learning_rate=0.1,
                                             l2=0.01, epochs=3)
        for r, seed in enumerate((5, 6)):
            net = textbook_run(DATA, seed, 0.1, 0.0, 0.01, 32, 3)
            self.assert_close(result.losses[r], net.losses, f"seed {seed} train loss")


class RejectsBadInput(unittest.TestCase):

    def test_no_runs(self):
        with self.assertRaises(ValueError):
            batched_numpy.train_batched(DATA, [], batch_size=32, epochs=1)

    def test_batch_size_zero(self):
        with self.assertRaises(ValueError):
            batched_numpy.train_batched(DATA, [1], batch_size=0, epochs=1)

    def test_non_finite_learning_rate(self):
        with self.assertRaises(ValueError):
            batched_numpy.train_batched(DATA, [1, 2], learning_rate=[0.1, float("nan")],
                                        epochs=1)

    def test_command_line_one_line_error_exit_2(self):
        completed = subprocess.run(
            [sys.executable, os.path.join(SCRIPTS, "batched_numpy.py"), "--seeds", "1", "2",
             "--l2", "0.1", "0.2", "0.3"], capture_output=True, text=True)
        self.assertEqual(completed.returncode, 2, completed.stderr)
        self.assertEqual(len(completed.stderr.strip().splitlines()), 1, completed.stderr)
        self.assertTrue(completed.stderr.startswith("batched_numpy.py: "), completed.stderr)

    def test_command_line_prints_every_run(self):
        completed = subprocess.run(
            [sys.executable, os.path.join(SCRIPTS, "batched_numpy.py"), "--seeds", "42", "7",
             "--l2", "0.01", "--epochs", "2"], capture_output=True, text=True, check=True)
        lines = completed.stdout.splitlines()
        self.assertEqual(lines[0], "run,seed,epoch,train_loss,val_loss")
        self.assertEqual([line.split(",")[:3] for line in lines[1:]],
                         [["0", "42", "0"], ["0", "42", "1"], ["1", "7", "0"], ["1", "7", "1"]])
        net = textbook_run(DATA, 7, 0.1, 0.0, 0.01, 32, 2)
        self.assertLessEqual(abs(float(lines[4].split(",")[3]) - net.losses[1]), TOLERANCE)


if __name__ == "__main__":
    unittest.main(verbosity=2)
