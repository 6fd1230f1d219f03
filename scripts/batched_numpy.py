#!/usr/bin/python3
"""The textbook's MinibatchNetwork trained for many runs at once: the batched numpy peer.

scripts/textbook_numpy.py trains one network at a time, as the book does. A
numpy-savvy user running a sweep would rather train every run that shares the
data, batch size, units and epochs together: the same arithmetic with a
leading run axis, so that each numpy call (np.matmul, a ufunc, a reduction)
does the step of all R runs. Seeds, L1, L2 and learning rates may differ per
run. This is that program, written to be as fast as plain numpy allows:
scripts/bench times it against sweep.

What stays per run, as the book has it: each run draws its initial weights and
its epoch permutations from its own legacy generator seeded with its seed (one
RandomState per run, re-seeded before the shuffles exactly where the book calls
np.random.seed), so run r gets the rows in the very order the textbook gives
it; the batch's rows are then gathered per run (shape (R, m, features)).

Where it departs from the book's order of operations (each a rounding-level
difference, checked to 1e-12 against textbook_numpy.py by
tests/test_batched_numpy.py):
- the epoch's train loss is computed once per epoch from the outputs every
  batch saved, and summed per run over the whole epoch rather than batch by
  batch;
- with 0/1 labels the cross-entropy takes one log per row (the other term of
  the book's formula is exactly zero);
- penalty terms whose coefficients are zero in every run are not computed;
- b1 enters the hidden layer's product as one more term (the data carry a
  column of ones: x @ [w1; b1]) instead of being added after it, and the same
  product backwards gives b1's gradient;
- batched matmul, einsum and reductions over an axis may sum in another order
  than np.dot and np.sum of one run.

Usage (prints "run,seed,epoch,train_loss,val_loss" rows):

    scripts/batched_numpy.py --batch-size 32 --seeds 42 43 44 --l2 0.01 --epochs 100

or, from Python:

    import batched_numpy as bn
    result = bn.train_batched(data, seeds=range(64), batch_size=32, l2=0.01, epochs=100)
    result.losses        # (runs, epochs)
"""

import argparse
import os
import sys

import numpy as np

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)
import textbook_numpy  # noqa: E402  (load_data and the default data path)

# the textbook's clips: the sigmoid's input and the probabilities fed to log()
SIGMOID_FLOOR = -100.0
PROBABILITY_FLOOR = 1e-10


class BatchedResult:
    """What train_batched() returns; the first axis of every array is the run."""

    def __init__(self, losses, val_losses, w1, b1, w2, b2):
        self.losses = losses          # (R, epochs) train loss per epoch
        self.val_losses = val_losses  # (R, epochs) val loss per epoch
        self.w1 = w1                  # (R, features, units)
        self.b1 = b1                  # (R, 1, units)
        self.w2 = w2                  # (R, units, 1)
        self.b2 = b2                  # (R, 1, 1)


def sigmoid_in_place(z):
    """z <- 1 / (1 + exp(-clip(z, -100, None))), the textbook's activation, in place."""
    np.maximum(z, SIGMOID_FLOOR, out=z)  # same as the book's np.clip, NaN included
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1.0
    np.reciprocal(z, out=z)
    return z


def transposed_product(a, b, out):
    """out <- a^T b per run, for a (R, m, k) and b (R, m, j).

    With one row (m = 1) this is an outer product, one multiplication per
    element as in matmul; einsum does it several times faster than matmul or a
    broadcast multiply for these small shapes.
    """
    if a.shape[1] == 1:
        return np.einsum("rmi,rmj->rij", a, b, out=out)
    return np.matmul(a.transpose(0, 2, 1), b, out=out)


def view_as(array, shape):
    """array reshaped without a copy (numpy raises if that is impossible)."""
    view = array.view()
    view.shape = shape
    return view


def per_run(value, runs, width, name):
    """A hyperparameter given once or per run, repeated along a row of width values.

    numpy multiplies two (runs, width) arrays much faster than a (runs, 1)
    column with a (runs, width) array, so the columns are spelled out once.
    (The same goes for strided views such as the rows of w2 and w1 alone:
    the hot operations below take whole contiguous arrays.)
    """
    values = np.asarray(value, dtype=np.float64).reshape(-1)
    if values.size not in (1, runs):
        raise ValueError(f"{name}: {values.size} values for {runs} runs")
    column = np.broadcast_to(values, (runs,))
    if not np.all(np.isfinite(column)):
        raise ValueError(f"{name}: not a finite number")
    return np.repeat(column.reshape(runs, 1), width, axis=1)


class Parameters:
    """Views into one (R, P) array per run row: [w2 | w1 | b1 | b2].

    One array lets the update step be a single operation for all of a run's
    parameters; w2 and w1 (the penalized weights) are contiguous, and so are
    w1 and b1, which the ones column of the data multiplies as one matrix.
    """

    def __init__(self, flat, n_features, units):
        runs = flat.shape[0]
        self.flat = flat                                           # (R, P)
        self.n_penalized = units + n_features * units
        self.penalized = flat[:, :self.n_penalized]                # w2 and w1
        self.w2 = view_as(flat[:, :units], (runs, units, 1))
        self.w1b1 = view_as(flat[:, units:units + (n_features + 1) * units],
                            (runs, n_features + 1, units))         # w1 rows, then b1
        self.b2 = view_as(flat[:, -1:], (runs, 1, 1))

    @classmethod
    def empty(cls, runs, n_features, units):
        size = units + n_features * units + units + 1
        return cls(np.empty((runs, size)), n_features, units)


def initial_parameters(seeds, n_features, units):
    """Each run's w1 and w2 as the book draws them after np.random.seed(seed); zero biases."""
    parameters = Parameters.empty(len(seeds), n_features, units)
    parameters.flat[:] = 0.0
    for r, seed in enumerate(seeds):
        generator = np.random.RandomState(seed)
        parameters.w1b1[r, :n_features] = generator.normal(0, 1, (n_features, units))
        parameters.w2[r] = generator.normal(0, 1, (units, 1))
    return parameters


def cross_entropy_sums(outputs, labels, binary):
    """Per run: the sum over rows of the book's clipped cross-entropy."""
    a = np.clip(outputs, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    if binary:
        # y log a + (1 - y) log(1 - a) with y in {0, 1}: the other term is +-0
        return -np.log(np.where(labels == 1, a, 1 - a)).sum(axis=-1)
    return -(labels * np.log(a) + (1 - labels) * np.log(1 - a)).sum(axis=-1)


class Pack:
    """R networks of one shape, their hyperparameters and the step's scratch arrays.

    The rows given to forward() and step() carry a last column of ones, so
    that x @ [w1; b1] is the book's x @ w1 + b1 and x^T @ e yields the
    gradients of w1 and b1 in one product.
    """

    def __init__(self, seeds, n_features, units, batch_size, learning_rate, l1, l2):
        runs = len(seeds)
        self.parameters = initial_parameters(seeds, n_features, units)
        self.gradient = Parameters.empty(runs, n_features, units)
        self.w2_row = self.parameters.w2.transpose(0, 2, 1)      # (R, 1, units)
        width = self.parameters.flat.shape[1]
        n_penalized = self.parameters.n_penalized
        self.learning_rate = per_run(learning_rate, runs, width, "learning_rate")
        # the penalties' coefficients over whole parameter rows, zero for the biases
        self.l1 = per_run(l1, runs, width, "l1")
        self.l2 = per_run(l2, runs, width, "l2")
        self.l1[:, n_penalized:] = 0.0
        self.l2[:, n_penalized:] = 0.0
        self.has_l1 = bool(np.any(self.l1 != 0))
        self.has_l2 = bool(np.any(self.l2 != 0))
        self.penalty = np.empty((runs, width))
        self.penalty_l2 = np.empty((runs, width))
        self.output = np.empty((runs, batch_size, 1))            # a
        self.hidden = np.empty((runs, batch_size, units))        # a1
        self.hidden_error = np.empty((runs, batch_size, units))
        self.scratch = np.empty((runs, batch_size, units))
        self.error = np.empty((runs, batch_size, 1))

    def forward(self, x, hidden, output):
        """hidden <- a1 and output <- a of the rows x, (R, m, features + 1) or (m, ...)."""
        p = self.parameters
        sigmoid_in_place(np.matmul(x, p.w1b1, out=hidden))
        np.matmul(hidden, p.w2, out=output)
        output += p.b2
        sigmoid_in_place(output)

    def add_penalty(self, m):
        """gradient += (l1 sign(w) + l2 w) / m for w1 and w2 (the biases have none)."""
        weights = self.parameters.flat
        penalty = self.penalty
        if self.has_l1:
            np.sign(weights, out=penalty)
            penalty *= self.l1
            if self.has_l2:
                penalty += np.multiply(self.l2, weights, out=self.penalty_l2)
        elif self.has_l2:
            np.multiply(self.l2, weights, out=penalty)
        else:
            return
        # the biases' zero coefficients give 0, or NaN for a bias that diverged
        # to inf: theirs is exactly 0, as in the book, which adds none
        penalty[:, self.parameters.n_penalized:] = 0.0
        if m > 1:
            penalty /= m
        self.gradient.flat += penalty

    def step(self, x, labels, outputs):
        """One SGD step of every run: x (R, m, features + 1), labels (R, m, 1); outputs <- a."""
        m = x.shape[1]
        a1 = self.hidden[:, :m]
        output = self.output[:, :m]  # contiguous, unlike a slice of the epoch's outputs
        self.forward(x, a1, output)
        np.copyto(outputs, output)
        error = np.subtract(output, labels, out=self.error[:, :m])  # the book's -(y - a)
        g = self.gradient
        transposed_product(a1, error, out=g.w2)
        np.sum(error, axis=1, keepdims=True, out=g.b2)
        # error @ w2.T has an inner dimension of 1: one exact product per element
        hidden_error = np.einsum("rmi,rij->rmj", error, self.w2_row,
                                 out=self.hidden_error[:, :m])
        hidden_error *= a1
        hidden_error *= np.subtract(1.0, a1, out=self.scratch[:, :m])
        transposed_product(x, hidden_error, out=g.w1b1)
        if m > 1:
            g.flat /= m
        self.add_penalty(m)
        g.flat *= self.learning_rate
        self.parameters.flat -= g.flat

    def reg_losses(self):
        """Per run: the book's l1 (|w1| + |w2|) + l2 / 2 (w1^2 + w2^2), shape (R,)."""
        weights = self.parameters.penalized
        total = np.zeros(len(weights))
        if self.has_l1:
            total += self.l1[:, 0] * np.abs(weights).sum(axis=1)
        if self.has_l2:
            total += self.l2[:, 0] / 2 * np.square(weights).sum(axis=1)
        return total

    def result(self, losses, val_losses):
        p = self.parameters
        n_features = p.w1b1.shape[1] - 1
        return BatchedResult(losses, val_losses, p.w1b1[:, :n_features].copy(),
                             p.w1b1[:, n_features:].copy(), p.w2.copy(), p.b2.copy())


def with_ones_column(x):
    """x with a last column of ones (the bias input)."""
    return np.concatenate([x, np.ones((len(x), 1))], axis=1)


def epoch_orders(generators, n_rows, orders):
    """orders[r] <- run r's np.random.permutation(np.arange(n_rows)) of this epoch."""
    for r, generator in enumerate(generators):
        orders[r] = generator.permutation(n_rows)


def train_batched(data, seeds, batch_size=32, units=10, learning_rate=0.1, l1=0.0, l2=0.0,
                  epochs=100):
    """Train len(seeds) textbook runs together on data (textbook_numpy.load_data's dict).

    learning_rate, l1 and l2 are numbers or sequences with one value per seed.
    Returns a BatchedResult.
    """
    seeds = [int(seed) for seed in seeds]
    x, y = with_ones_column(data["x_train"]), data["y_train"]
    x_val, y_val = with_ones_column(data["x_val"]), data["y_val"]
    n_rows, n_features = x.shape[0], x.shape[1] - 1
    if not seeds or batch_size < 1 or units < 1 or epochs < 0 or n_rows == 0:
        raise ValueError("train_batched: needs seeds, batch_size >= 1, units >= 1, "
                         "epochs >= 0 and train rows")
    runs = len(seeds)
    batch_size = min(batch_size, n_rows)  # the book's one batch of every row
    pack = Pack(seeds, n_features, units, batch_size, learning_rate, l1, l2)
    binary = bool(np.all((y == 0) | (y == 1)) and np.all((y_val == 0) | (y_val == 1)))
    generators = [np.random.RandomState(seed) for seed in seeds]  # the book re-seeds here
    orders = np.empty((runs, n_rows), dtype=np.intp)
    x_batch = np.empty((runs, batch_size, n_features + 1))
    labels = np.empty((runs, n_rows, 1))
    outputs = np.empty((runs, n_rows, 1))  # a of every row of the epoch, in its order
    val_hidden = np.empty((runs, len(x_val), units))
    val_output = np.empty((runs, len(x_val), 1))
    losses = np.empty((runs, epochs))
    val_losses = np.empty((runs, epochs))
    for epoch in range(epochs):
        epoch_orders(generators, n_rows, orders)
        np.take(y, orders, out=labels[:, :, 0], mode="clip")  # "clip": take copies no more
        for start in range(0, n_rows, batch_size):
            end = min(start + batch_size, n_rows)
            x_rows = x_batch[:, :end - start]
            np.take(x, orders[:, start:end], axis=0, out=x_rows, mode="clip")
            pack.step(x_rows, labels[:, start:end], outputs[:, start:end])
        reg = pack.reg_losses()
        losses[:, epoch] = (cross_entropy_sums(outputs[:, :, 0], labels[:, :, 0], binary)
                            + reg) / n_rows
        pack.forward(x_val, val_hidden, val_output)
        val_losses[:, epoch] = (cross_entropy_sums(val_output[:, :, 0], y_val, binary)
                                + reg) / len(y_val)
    return pack.result(losses, val_losses)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--learning-rate", type=float, nargs="+", default=[0.1],
                        help="one value, or one per seed")
    parser.add_argument("--l1", type=float, nargs="+", default=[0.0])
    parser.add_argument("--l2", type=float, nargs="+", default=[0.0])
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--data", default=textbook_numpy.DEFAULT_DATA)
    args = parser.parse_args()
    try:
        data = textbook_numpy.load_data(args.data)
        with np.errstate(all="ignore"):  # a diverging run prints its inf/NaN losses
            result = train_batched(data, args.seeds, batch_size=args.batch_size,
                                   units=args.units, learning_rate=args.learning_rate,
                                   l1=args.l1, l2=args.l2, epochs=args.epochs)
    except (OSError, ValueError, KeyError) as error:
        print(f"batched_numpy.py: {error}", file=sys.stderr)
        return 2
    out = sys.stdout
    out.write("run,seed,epoch,train_loss,val_loss\n")
    for r, seed in enumerate(args.seeds):
        for epoch in range(args.epochs):
            out.write("%d,%d,%d,%r,%r\n" % (r, seed, epoch, float(result.losses[r, epoch]),
                                             float(result.val_losses[r, epoch])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
