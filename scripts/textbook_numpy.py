#!/usr/bin/python3
"""The textbook's MinibatchNetwork and MultiClassNetwork in numpy: the references sweep must match.

Chapter 6-3 of "Do it! 딥러닝 입문" trains a 2-layer sigmoid network by minibatch
SGD with L1/L2 penalties. The classes below follow the book's own hierarchy and
method names (DualLayer -> RandomInitNetwork -> MinibatchNetwork; forpass,
backprop, training, gen_batch, fit, score), written out again from the book's
description. The one change: the seed, hard-coded to 42 in the book, is a
parameter (default 42), used both for the initial weights and, re-seeded, for
the epoch shuffles, exactly where the book calls np.random.seed(42).

Usage (prints "epoch,train_loss,val_loss" rows with repr() precision, then the
accuracies as '#' comment lines):

    scripts/textbook_numpy.py --batch-size 32 --l2 0.01 --epochs 500
    scripts/textbook_numpy.py --model multiclass --data tests/data/multiclass/iris.csv \
        --no-standardize --batch-size 16 --epochs 50

MultiClassNetwork (chapter 7-1) is the book's class as printed, targets 0..K-1
one-hot encoded; see its docstring for the seed.

The data loading (load_data) is separate from the training (train), so that a
benchmark can import this file and time train() alone:

    import textbook_numpy as tb
    data = tb.load_data(tb.DEFAULT_DATA)
    net = tb.train(data, batch_size=32, l2=0.01)
"""

import argparse
import csv
import os
import sys

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(REPO_ROOT, "data", "wdbc.csv")


class DualLayer:
    """Two layers (n_features -> units -> 1), sigmoid activations, all-ones init."""

    def __init__(self, units=10, learning_rate=0.1, l1=0, l2=0):
        self.units = units
        self.w1 = None        # (n_features, units)
        self.b1 = None        # (units,)
        self.w2 = None        # (units, 1)
        self.b2 = None        # scalar
        self.a1 = None        # hidden activations of the last forpass
        self.losses = []      # train loss per epoch
        self.val_losses = []  # val loss per epoch
        self.lr = learning_rate
        self.l1 = l1
        self.l2 = l2

    def activation(self, z):
        z = np.clip(z, -100, None)  # keeps np.exp from overflowing
        return 1 / (1 + np.exp(-z))

    def forpass(self, x):
        z1 = np.dot(x, self.w1) + self.b1
        self.a1 = self.activation(z1)
        z2 = np.dot(self.a1, self.w2) + self.b2
        return z2

    def backprop(self, x, err):
        m = len(x)
        w2_grad = np.dot(self.a1.T, err) / m
        b2_grad = np.sum(err) / m
        err_to_hidden = np.dot(err, self.w2.T) * self.a1 * (1 - self.a1)
        w1_grad = np.dot(x.T, err_to_hidden) / m
        b1_grad = np.sum(err_to_hidden, axis=0) / m
        return w1_grad, b1_grad, w2_grad, b2_grad

    def init_weights(self, n_features):
        self.w1 = np.ones((n_features, self.units))
        self.b1 = np.zeros(self.units)
        self.w2 = np.ones((self.units, 1))
        self.b2 = 0

    def training(self, x, y, m):
        z = self.forpass(x)
        a = self.activation(z)
        err = -(y - a)
        w1_grad, b1_grad, w2_grad, b2_grad = self.backprop(x, err)
        # The penalties' gradients; the biases are not regularized.
        w1_grad += (self.l1 * np.sign(self.w1) + self.l2 * self.w1) / m
        w2_grad += (self.l1 * np.sign(self.w2) + self.l2 * self.w2) / m
        self.w1 -= self.lr * w1_grad
        self.b1 -= self.lr * b1_grad
        self.w2 -= self.lr * w2_grad
        self.b2 -= self.lr * b2_grad
        return a

    def predict(self, x):
        z = self.forpass(x)
        return z > 0

    def score(self, x, y):
        return np.mean(self.predict(x) == y.reshape(-1, 1))

    def reg_loss(self):
        return self.l1 * (np.sum(np.abs(self.w1)) + np.sum(np.abs(self.w2))) + \
            self.l2 / 2 * (np.sum(self.w1 ** 2) + np.sum(self.w2 ** 2))

    def update_val_loss(self, x_val, y_val):
        z = self.forpass(x_val)
        a = self.activation(z)
        a = np.clip(a, 1e-10, 1 - 1e-10)
        val_loss = np.sum(-(y_val * np.log(a) + (1 - y_val) * np.log(1 - a)))
        self.val_losses.append((val_loss + self.reg_loss()) / len(y_val))


class RandomInitNetwork(DualLayer):
    """Initial weights drawn from N(0, 1) after seeding numpy's legacy generator."""

    def __init__(self, units=10, learning_rate=0.1, l1=0, l2=0, seed=42):
        super().__init__(units, learning_rate, l1, l2)
        self.seed = seed

    def init_weights(self, n_features):
        np.random.seed(self.seed)
        self.w1 = np.random.normal(0, 1, (n_features, self.units))
        self.b1 = np.zeros(self.units)
        self.w2 = np.random.normal(0, 1, (self.units, 1))
        self.b2 = 0


class MinibatchNetwork(RandomInitNetwork):
    """Minibatch SGD: a fresh permutation of the train rows every epoch."""

    def __init__(self, units=10, batch_size=32, learning_rate=0.1, l1=0, l2=0, seed=42):
        super().__init__(units, learning_rate, l1, l2, seed)
        self.batch_size = batch_size

    def fit(self, x, y, epochs=100, x_val=None, y_val=None):
        y_val = y_val.reshape(-1, 1)
        self.init_weights(x.shape[1])
        np.random.seed(self.seed)  # the shuffles restart the sequence
        for _ in range(epochs):
            loss = 0
            for x_batch, y_batch in self.gen_batch(x, y):
                y_batch = y_batch.reshape(-1, 1)
                m = len(x_batch)
                a = self.training(x_batch, y_batch, m)
                a = np.clip(a, 1e-10, 1 - 1e-10)  # log(0) guard
                loss += np.sum(-(y_batch * np.log(a) + (1 - y_batch) * np.log(1 - a)))
            self.losses.append((loss + self.reg_loss()) / len(x))
            self.update_val_loss(x_val, y_val)

    def gen_batch(self, x, y):
        length = len(x)
        bins = length // self.batch_size
        if length % self.batch_size:
            bins += 1  # a shorter last batch
        indexes = np.random.permutation(np.arange(len(x)))
        x = x[indexes]
        y = y[indexes]
        for i in range(bins):
            start = self.batch_size * i
            end = self.batch_size * (i + 1)
            yield x[start:end], y[start:end]


class MultiClassNetwork:
    """Chapter 7-1: the same two layers with K softmax outputs (one-hot targets).

    The book's class as it stands, with one change: the seed, hard-coded to 42
    in the book's fit(), is a parameter. It is set ONCE, before the initial
    weights; the epoch permutations continue the same stream.
    """

    def __init__(self, units=10, batch_size=32, learning_rate=0.1, l1=0, l2=0, seed=42):
        self.units = units
        self.batch_size = batch_size
        self.w1 = None
        self.b1 = None
        self.w2 = None
        self.b2 = None
        self.a1 = None
        self.losses = []
        self.val_losses = []
        self.lr = learning_rate
        self.l1 = l1
        self.l2 = l2
        self.seed = seed

    def forpass(self, x):
        z1 = np.dot(x, self.w1) + self.b1
        self.a1 = self.sigmoid(z1)
        z2 = np.dot(self.a1, self.w2) + self.b2
        return z2

    def backprop(self, x, err):
        m = len(x)
        w2_grad = np.dot(self.a1.T, err) / m
        b2_grad = np.sum(err) / m
        err_to_hidden = np.dot(err, self.w2.T) * self.a1 * (1 - self.a1)
        w1_grad = np.dot(x.T, err_to_hidden) / m
        b1_grad = np.sum(err_to_hidden, axis=0) / m
        return w1_grad, b1_grad, w2_grad, b2_grad

    def sigmoid(self, z):
        z = np.clip(z, -100, None)
        a = 1 / (1 + np.exp(-z))
        return a

    def softmax(self, z):
        z = np.clip(z, -100, None)
        exp_z = np.exp(z)
        return exp_z / np.sum(exp_z, axis=1).reshape(-1, 1)

    def init_weights(self, n_features, n_classes):
        self.w1 = np.random.normal(0, 1, (n_features, self.units))
        self.b1 = np.zeros(self.units)
        self.w2 = np.random.normal(0, 1, (self.units, n_classes))
        self.b2 = np.zeros(n_classes)

    def fit(self, x, y, epochs=100, x_val=None, y_val=None):
        np.random.seed(self.seed)
        self.init_weights(x.shape[1], y.shape[1])
        for _ in range(epochs):
            loss = 0
            for x_batch, y_batch in self.gen_batch(x, y):
                a = self.training(x_batch, y_batch)
                a = np.clip(a, 1e-10, 1 - 1e-10)
                loss += np.sum(-y_batch * np.log(a))
            self.losses.append((loss + self.reg_loss()) / len(x))
            self.update_val_loss(x_val, y_val)

    def gen_batch(self, x, y):
        length = len(x)
        bins = length // self.batch_size
        if length % self.batch_size:
            bins += 1
        indexes = np.random.permutation(np.arange(len(x)))
        x = x[indexes]
        y = y[indexes]
        for i in range(bins):
            start = self.batch_size * i
            end = self.batch_size * (i + 1)
            yield x[start:end], y[start:end]

    def training(self, x, y):
        m = len(x)
        z = self.forpass(x)
        a = self.softmax(z)
        err = -(y - a)
        w1_grad, b1_grad, w2_grad, b2_grad = self.backprop(x, err)
        w1_grad += (self.l1 * np.sign(self.w1) + self.l2 * self.w1) / m
        w2_grad += (self.l1 * np.sign(self.w2) + self.l2 * self.w2) / m
        self.w1 -= self.lr * w1_grad
        self.b1 -= self.lr * b1_grad
        self.w2 -= self.lr * w2_grad
        self.b2 -= self.lr * b2_grad
        return a

    def predict(self, x):
        z = self.forpass(x)
        return np.argmax(z, axis=1)

    def score(self, x, y):
        return np.mean(self.predict(x) == np.argmax(y, axis=1))

    def reg_loss(self):
        return self.l1 * (np.sum(np.abs(self.w1)) + np.sum(np.abs(self.w2))) + \
            self.l2 / 2 * (np.sum(self.w1 ** 2) + np.sum(self.w2 ** 2))

    def update_val_loss(self, x_val, y_val):
        z = self.forpass(x_val)
        a = self.softmax(z)
        a = np.clip(a, 1e-10, 1 - 1e-10)
        val_loss = np.sum(-y_val * np.log(a))
        self.val_losses.append((val_loss + self.reg_loss()) / len(y_val))


def one_hot(y, n_classes):
    """Rows of K zeros with a 1 at the row's class (the book's to_categorical)."""
    return np.eye(n_classes)[y.astype(int)]


def load_data(path=DEFAULT_DATA, standardize=True):
    """Read a wdbc-style CSV (features..., target, split) and standardize it.

    Returns a dict of float64 arrays x_train, y_train, x_val, y_val, x_test,
    y_test, rows in file order, standardized like the book: with the train
    rows' mean and population standard deviation (np.std, ddof 0).
    """
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        target = header.index("target")
        split = header.index("split")
        features = [i for i in range(len(header)) if i not in (target, split)]
        rows = {"train": ([], []), "val": ([], []), "test": ([], [])}
        for row in reader:
            xs, ys = rows[row[split]]
            xs.append([float(row[i]) for i in features])
            ys.append(float(row[target]))
    data = {}
    for name, (xs, ys) in rows.items():
        data["x_" + name] = np.array(xs, dtype=np.float64).reshape(-1, len(features))
        data["y_" + name] = np.array(ys, dtype=np.float64)
    if standardize:
        train_mean = np.mean(data["x_train"], axis=0)
        train_std = np.std(data["x_train"], axis=0)
        for name in ("train", "val", "test"):
            data["x_" + name] = (data["x_" + name] - train_mean) / train_std
    return data


def train_multiclass(data, units=10, batch_size=32, learning_rate=0.1, l1=0, l2=0, epochs=100,
                     seed=42):
    """One chapter-7 run on already-loaded data (targets 0..K-1); returns the network."""
    n_classes = int(max(data["y_train"].max(), data["y_val"].max())) + 1
    net = MultiClassNetwork(units=units, batch_size=batch_size, learning_rate=learning_rate,
                            l1=l1, l2=l2, seed=seed)
    net.fit(data["x_train"], one_hot(data["y_train"], n_classes), epochs=epochs,
            x_val=data["x_val"], y_val=one_hot(data["y_val"], n_classes))
    net.n_classes = n_classes
    return net


def train(data, units=10, batch_size=32, learning_rate=0.1, l1=0, l2=0, epochs=500, seed=42):
    """One textbook run on already-loaded data; returns the fitted network."""
    net = MinibatchNetwork(units=units, batch_size=batch_size, learning_rate=learning_rate,
                           l1=l1, l2=l2, seed=seed)
    net.fit(data["x_train"], data["y_train"], x_val=data["x_val"], y_val=data["y_val"],
            epochs=epochs)
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--l1", type=float, default=0.0)
    parser.add_argument("--l2", type=float, default=0.0)
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="CSV with feature columns, target and split (default: %(default)s)")
    parser.add_argument("--model", choices=("minibatch", "multiclass"), default="minibatch",
                        help="chapter 6-3's MinibatchNetwork or chapter 7-1's MultiClassNetwork")
    parser.add_argument("--no-standardize", action="store_true",
                        help="use the CSV's features as they are")
    args = parser.parse_args()

    data = load_data(args.data, standardize=not args.no_standardize)
    with np.errstate(all="ignore"):  # a diverging run prints its inf/NaN losses
        fit = train_multiclass if args.model == "multiclass" else train
        net = fit(data, units=args.units, batch_size=args.batch_size,
                  learning_rate=args.learning_rate, l1=args.l1, l2=args.l2,
                  epochs=args.epochs, seed=args.seed)
        if args.model == "multiclass":
            target = lambda y: one_hot(y, net.n_classes)  # noqa: E731
        else:
            target = lambda y: y  # noqa: E731
        scores = [("train_score", net.score(data["x_train"], target(data["y_train"]))),
                  ("val_score", net.score(data["x_val"], target(data["y_val"])))]
        if len(data["y_test"]):
            scores.append(("test_score", net.score(data["x_test"], target(data["y_test"]))))

    out = sys.stdout
    out.write("epoch,train_loss,val_loss\n")
    for epoch, (train_loss, val_loss) in enumerate(zip(net.losses, net.val_losses)):
        out.write("%d,%r,%r\n" % (epoch, float(train_loss), float(val_loss)))
    for name, value in scores:
        out.write("# %s %r\n" % (name, float(value)))


if __name__ == "__main__":
    main()
