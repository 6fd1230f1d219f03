#!/usr/bin/python3
"""plot_sweep.py: the figures of a sweep, as PNG files.

    scripts/plot_sweep.py results/batch_grid.h5 [-o DIR] [--metric val_loss]

Writes, and prints the path of:
  loss_curves[_POINT].png  train and val loss against epoch, one panel per batch
                           size, mean over seeds with a 95% interval band, one
                           y axis (log scale unless --linear) shared by all
                           panels and all such files: one file per value of
                           the other swept hyperparameters (with --curve
                           accuracy: accuracy_curves[_POINT].png, train and
                           val accuracy against epoch);
  accuracy.png             final val (and test) accuracy against batch size,
                           mean with its 95% interval, one line per value of
                           the other swept hyperparameters; a filled marker
                           where the paired difference from the line's best
                           batch size is resolved (its 95% interval excludes
                           0), a hollow one where it is not;
  convergence.png          epochs until METRIC first comes within 5% of the
                           run's best, and seconds per run, against batch size;
  heatmap.png              only when exactly two hyperparameters besides the
                           seed are swept: mean val accuracy and mean final
                           METRIC over the grid.
Only finished runs are drawn; failed and pending runs are counted in each
figure's caption. The intervals are sweep_stats.split_interval's: Student t
over the seeds of a single holdout; under cross-validation the corrected
resampled t of Nadeau and Bengio over the split means (seeds averaged per
split), as summarize.py and compare.py compute them.
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

import sweep_results as sr  # noqa: E402
import sweep_stats  # noqa: E402

PROG = "plot_sweep.py"
WITHIN = 0.05            # "converged": loss within 5% of the run's best
PANEL_COLUMNS = 5        # loss-curve panels per row before wrapping
TRAIN_COLOR, VAL_COLOR = "C0", "C1"   # the textbook's plot: train blue, val orange


def parse_arguments(argv):
    parser = sr.OneLineParser(prog=PROG, description="Figures of a sweep results file "
                              "(PNG); prints the paths written.")
    parser.add_argument("results", metavar="RESULTS.h5", help="results file written by sweep")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="folder for the PNG files (default: RESULTS_figures next to "
                        "the results file); created if missing")
    parser.add_argument("--metric", choices=sr.CURVES, default="val_loss",
                        help="loss used for the convergence figure and the heatmap's "
                        "second panel (default: val_loss)")
    parser.add_argument("--curve", choices=("loss", "accuracy"), default="loss",
                        help="what the per-epoch figures show: loss (loss_curves*.png, the "
                        "default) or accuracy (accuracy_curves*.png, from the train_acc and "
                        "val_acc curves of newer results files)")
    parser.add_argument("--linear", action="store_true",
                        help="linear loss axis, as in the textbook (default: logarithmic, "
                        "which shows both the first epochs and the tail)")
    parser.add_argument("--dpi", type=int, default=110, help="resolution (default: 110)")
    return parser.parse_args(argv)


class Figures:
    """What every figure needs: the sweep, its grouping and the common caption."""

    def __init__(self, sweep, metric, out_dir, dpi, linear, curve="loss"):
        self.sweep = sweep
        self.curve_kind = curve
        self.linear = linear
        self.metric = metric
        self.out_dir = out_dir
        self.dpi = dpi
        self.done = sweep.done
        swept = sweep.swept()
        # Lines and separate loss figures: the swept keys other than the
        # batch size (x axis / panels) and the seed (aggregated).
        self.others = [key for key in swept if key not in ("batch_size", "seed")]
        self.batch_sizes = sorted(sweep.runs["batch_size"].unique())
        self.n_train = _integer_attribute(sweep.attrs, "n_train")
        # Seeds, not runs: under cross-validation a grid point has a run
        # per seed and split.
        seeds_per_point = self.done.groupby(["batch_size"] + self.others)["seed"].nunique()
        low, high = ((seeds_per_point.min(), seeds_per_point.max())
                     if len(seeds_per_point) else (0, 0))
        self.seeds_phrase = f"{low}" if low == high else f"{low}-{high}"
        if sweep.cv:
            self.seeds_phrase += f" x {sweep.cv.splits} splits"
        self.written = []

    def splits_of(self, runs):
        """The runs' split numbers under cross-validation, else None."""
        if self.sweep.cv is None:
            return None
        return (runs["repeat"] * self.sweep.cv.folds + runs["fold"]).to_numpy()

    def interval(self, runs, column):
        ratio = self.sweep.cv.test_train_ratio if self.sweep.cv else None
        return sweep_stats.split_interval(runs[column].to_numpy(), self.splits_of(runs), ratio)

    def interval_phrase(self):
        if self.sweep.cv:
            return ("95% corrected resampled t interval (Nadeau and Bengio) over the split "
                    "means")
        return "95% t interval over seeds"

    def combos(self):
        """Values of the other swept keys that have finished runs, sorted."""
        if not self.others:
            return [()]
        return sorted(set(map(tuple, self.done[self.others].itertuples(index=False))))

    def runs_of(self, combo):
        frame = self.done
        for key, value in zip(self.others, combo):
            frame = frame[frame[key] == value]
        return frame

    def caption(self, what):
        total, done, _, _ = self.sweep.counts()
        left_out = self.sweep.left_out_phrase()
        text = f"{os.path.basename(self.sweep.path)}: {done} of {total} runs drawn"
        if left_out:
            text += f" ({left_out})"
        return f"{text}. {what}"

    def batch_label(self, batch_size):
        if self.n_train and batch_size >= self.n_train:
            return f"{batch_size} (full)"
        return str(batch_size)

    def batch_axis(self, ax):
        """log2 x axis with a tick at every batch size of the grid."""
        ax.set_xscale("log", base=2)
        ax.set_xticks(self.batch_sizes)
        ax.set_xticklabels([self.batch_label(b).replace(" ", "\n") for b in self.batch_sizes],
                           fontsize=8)
        ax.minorticks_off()
        ax.set_xlabel("batch size")
        if len(self.batch_sizes) == 1:
            ax.set_xlim(self.batch_sizes[0] / 2, self.batch_sizes[0] * 2)

    def save(self, fig, name, caption, bottom_inches=0.45):
        height = fig.get_figheight()
        fig.text(0.01, 0.12 / height, caption, fontsize=8, ha="left", va="bottom", wrap=True)
        fig.tight_layout(rect=(0, bottom_inches / height, 1, 1))
        path = os.path.join(self.out_dir, name)
        fig.savefig(path, dpi=self.dpi)
        plt.close(fig)
        self.written.append(path)

    # -- the figures --------------------------------------------------------

    def loss_curves(self):
        accuracy = self.curve_kind == "accuracy"
        names = ("train_acc", "val_acc") if accuracy else ("train_loss", "val_loss")
        combos = self.combos()
        # One y axis for every panel of every file, so that they compare.
        curves = [self.sweep.curve(name)[self.done.index] for name in names]
        finite = np.concatenate([c[np.isfinite(c) & (c > 0)] for c in curves])
        if accuracy:
            y_limits = ((float(finite.min()) - 0.02, 1.005) if finite.size else (0.0, 1.0))
        elif not finite.size:
            y_limits = (0.0, 1.0)
        elif self.linear:
            y_limits = (0.0, float(finite.max()) * 1.05)
        else:
            y_limits = (float(finite.min()) / 1.2, float(finite.max()) * 1.2)
        for combo in combos:
            runs = self.runs_of(combo)
            n_panels = len(self.batch_sizes)
            n_cols = min(n_panels, PANEL_COLUMNS)
            n_rows = -(-n_panels // n_cols)
            fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.9 * n_cols, 2.4 * n_rows + 0.8),
                                     sharey=True, squeeze=False)
            for ax in axes.flat[n_panels:]:
                ax.set_visible(False)
            for ax, batch_size in zip(axes.flat, self.batch_sizes):
                index = runs.index[runs["batch_size"] == batch_size]
                ax.set_title(f"batch size {self.batch_label(batch_size)}", fontsize=9)
                if not self.linear and not accuracy:
                    ax.set_yscale("log")
                ax.set_ylim(*y_limits)
                ax.set_xlabel("epoch", fontsize=8)
                ax.tick_params(labelsize=8)
                if len(index) == 0:
                    ax.text(0.5, 0.5, "no finished run", transform=ax.transAxes,
                            ha="center", va="center", fontsize=8, color="gray")
                    continue
                frame = runs.loc[index]
                ratio = self.sweep.cv.test_train_ratio if self.sweep.cv else None
                for name, color in zip(names, (TRAIN_COLOR, VAL_COLOR)):
                    mean, low, high = sweep_stats.curve_interval(
                        self.sweep.curve(name)[index], self.splits_of(frame), ratio)
                    epochs = np.arange(mean.size)
                    ax.fill_between(epochs, low, high, color=color, alpha=0.25, linewidth=0)
                    ax.plot(epochs, mean, color=color, linewidth=1.0, label=name)
            for ax in axes[:, 0]:
                ax.set_ylabel("accuracy" if accuracy else
                              "loss" if self.linear else "loss (log scale)")
            axes.flat[0].legend(fontsize=8, loc="upper right")
            title = sr.point_label(self.others, combo)
            if title:
                fig.suptitle(title, fontsize=10)
            suffix = "".join(f"_{key}_{sr.format_value(key, value)}"
                             for key, value in zip(self.others, combo))
            what = ("One run per panel." if self.seeds_phrase == "1" else
                    f"Lines: mean over seeds ({self.seeds_phrase} per panel); band: "
                    f"{self.interval_phrase()}, per epoch.")
            prefix = "accuracy_curves" if accuracy else "loss_curves"
            self.save(fig, f"{prefix}{suffix}.png", self.caption(what))

    def resolved_from_best(self, runs, column):
        """{batch size: True when its paired difference in `column` from the
        batch size of highest mean is resolved (95% interval excludes 0)}.
        Pairs: runs equal in seed (and split); the best is never marked."""
        means = runs.groupby("batch_size")[column].mean().dropna()
        if len(means) < 2:
            return {}
        best = means.idxmax()
        keys = ["seed", "repeat", "fold"]
        best_runs = runs[runs["batch_size"] == best].set_index(keys)[column]
        result = {}
        for batch_size in means.index:
            if batch_size == best:
                continue
            other = runs[runs["batch_size"] == batch_size].set_index(keys)[column]
            pairs = (best_runs - other).dropna()
            if not pairs.index.is_unique or len(pairs) < 2:
                continue
            splits = None
            if self.sweep.cv:
                splits = (pairs.index.get_level_values("repeat") * self.sweep.cv.folds
                          + pairs.index.get_level_values("fold")).to_numpy()
            ratio = self.sweep.cv.test_train_ratio if self.sweep.cv else None
            interval = sweep_stats.split_interval(pairs.to_numpy(), splits, ratio)
            result[batch_size] = interval.has_interval and not interval.contains_zero()
        return result

    def _lines(self, ax, column, mark_resolved=False):
        """One line of `column` against batch size per combo: the mean with
        its 95% interval as error bars; with mark_resolved, hollow markers
        where the difference from the line's best is not resolved."""
        drawn = False
        for number, combo in enumerate(self.combos()):
            runs = self.runs_of(combo)
            points = []
            for batch_size, group in runs.groupby("batch_size"):
                interval = self.interval(group, column)
                if not np.isnan(interval.mean):
                    points.append((batch_size, interval))
            if not points:
                continue
            x = np.array([b for b, _ in points], dtype=np.float64)
            mean = np.array([i.mean for _, i in points])
            error = np.array([[i.mean - i.low, i.high - i.mean] if i.has_interval else [0, 0]
                              for _, i in points]).T
            color = f"C{number % 10}"
            label = sr.point_label(self.others, combo) or None
            ax.errorbar(x, mean, yerr=error, color=color, marker="o", markersize=4, capsize=3,
                        linewidth=1.2, label=label)
            if mark_resolved:
                resolved = self.resolved_from_best(runs, column)
                best = runs.groupby("batch_size")[column].mean().idxmax()
                hollow = [b != best and not resolved.get(b, False) for b, _ in points]
                ax.scatter(x[hollow], mean[hollow], s=30, facecolors="white",
                           edgecolors=color, zorder=3, linewidths=1.2)
                ax.scatter([best], [mean[list(x).index(best)]], s=110, marker="*",
                           color=color, edgecolors="black", linewidths=0.5, zorder=4)
            drawn = True
        if drawn and self.others:
            ax.legend(fontsize=8)
        self.batch_axis(ax)
        ax.grid(alpha=0.3)
        return drawn

    def accuracy(self):
        columns = [("val_score", "val accuracy")]
        if self.done["test_score"].notna().any():
            columns.append(("test_score", "test accuracy"))
        fig, axes = plt.subplots(1, len(columns), figsize=(5.2 * len(columns), 4.2),
                                 squeeze=False, sharey=True)
        for ax, (column, label) in zip(axes.flat, columns):
            self._lines(ax, column, mark_resolved=True)
            ax.set_ylabel(label)
            ax.set_title(f"final {label}", fontsize=10)
        self.save(fig, "accuracy.png", self.caption(
            f"Mean over seeds ({self.seeds_phrase} per point), after the last epoch; bars: "
            f"{self.interval_phrase()}. Star: the line's best batch size; filled: differs from it "
            "(paired 95% interval excludes 0); hollow: no evidence of a difference."),
            bottom_inches=0.6)

    def convergence(self):
        epochs_done = self.done["epochs_done"].to_numpy()
        frame = self.done.copy()
        frame["epochs_to_best"] = sr.epochs_to_within(
            self.sweep.curve(self.metric)[self.done.index], epochs_done, WITHIN)
        fig, axes = plt.subplots(1, 2, figsize=(10.4, 4.2), squeeze=False)
        original, self.done = self.done, frame
        try:
            self._lines(axes[0, 0], "epochs_to_best")
            self._lines(axes[0, 1], "seconds")
        finally:
            self.done = original
        axes[0, 0].set_ylabel("epochs")
        axes[0, 0].set_title(f"epochs until {self.metric} is within {WITHIN:.0%} of the "
                             "run's best", fontsize=10)
        axes[0, 1].set_ylabel("seconds")
        axes[0, 1].set_title("wall time per run", fontsize=10)
        seconds = frame["seconds"][frame["seconds"] > 0]
        if len(seconds) and seconds.max() / seconds.min() > 20:
            axes[0, 1].set_yscale("log")
        self.save(fig, "convergence.png", self.caption(
            f"Mean over seeds ({self.seeds_phrase} per point); bars: "
            f"{self.interval_phrase()}."))

    def heatmap(self):
        keys = [key for key in self.sweep.swept() if key != "seed"]
        if len(keys) != 2:
            return
        # Batch size, when swept, runs along x as in the other figures.
        y_key, x_key = (keys[1], keys[0]) if keys[0] == "batch_size" else keys
        x_values = sorted(self.sweep.runs[x_key].unique())
        y_values = sorted(self.sweep.runs[y_key].unique())
        table = sr.aggregate(self.sweep.runs, [y_key, x_key], ["val_score", f"final_{self.metric}"])
        # Side by side for small grids, one above the other for wide ones.
        width = max(4.5, 0.75 * len(x_values) + 2.2)
        height = max(2.6, 0.5 * len(y_values) + 1.6)
        stacked = len(x_values) > 5
        fig, axes = plt.subplots(2 if stacked else 1, 1 if stacked else 2, squeeze=False,
                                 figsize=(width, 2 * height + 0.5) if stacked
                                 else (2 * width, height + 0.5))
        panels = (("val_score", "mean val accuracy", "{:.3f}", "viridis"),
                  (f"final_{self.metric}", f"mean final {self.metric}", "{:.4f}", "viridis_r"))
        for ax, (column, title, fmt, colormap) in zip(axes.flat, panels):
            grid = np.full((len(y_values), len(x_values)), np.nan)
            spread = np.full_like(grid, np.nan)
            for _, point in table.iterrows():
                row, col = y_values.index(point[y_key]), x_values.index(point[x_key])
                grid[row, col] = point[f"{column}_mean"]
                done = self.done[(self.done[y_key] == point[y_key]) &
                                 (self.done[x_key] == point[x_key])]
                interval = self.interval(done, column)
                spread[row, col] = (interval.high - interval.mean
                                    if interval.has_interval else np.nan)
            cmap = plt.get_cmap(colormap).copy()
            cmap.set_bad("lightgray")
            image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto",
                              origin="lower")
            fig.colorbar(image, ax=ax, shrink=0.85)
            finite = grid[np.isfinite(grid)]
            middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
            for (row, col), value in np.ndenumerate(grid):
                text = "-" if np.isnan(value) else fmt.format(value)
                if not np.isnan(spread[row, col]):
                    text += "\n±" + fmt.format(spread[row, col])
                dark = (value < middle) == (colormap == "viridis")
                ax.text(col, row, text, ha="center", va="center", fontsize=7,
                        color="white" if dark and not np.isnan(value) else "black")
            ax.set_xticks(range(len(x_values)))
            ax.set_xticklabels([self.batch_label(v) if x_key == "batch_size"
                                else sr.format_value(x_key, v) for v in x_values], fontsize=8)
            ax.set_yticks(range(len(y_values)))
            ax.set_yticklabels([sr.format_value(y_key, v) for v in y_values], fontsize=8)
            ax.set_xlabel(x_key.replace("_", " "))
            ax.set_ylabel(y_key.replace("_", " "))
            ax.set_title(title, fontsize=10)
        self.save(fig, "heatmap.png", self.caption(
            f"Cells: mean ± half-width of the {self.interval_phrase()} "
            f"({self.seeds_phrase} per cell)."))


def _integer_attribute(attrs, name):
    try:
        return int(attrs[name])
    except (KeyError, TypeError, ValueError):
        return None


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    sweep = sr.open_results(arguments.results)
    if sweep.done.empty:
        total, _, failed, pending = sweep.counts()
        raise sr.SweepError(f"{arguments.results}: nothing to plot: none of its {total} runs "
                            f"is done ({failed} failed, {pending} pending)")
    out_dir = arguments.output
    if out_dir is None:
        out_dir = os.path.splitext(arguments.results)[0] + "_figures"
    os.makedirs(out_dir, exist_ok=True)
    if arguments.curve == "accuracy" and not getattr(sweep, "has_accuracy", False):
        raise sr.SweepError(f"{arguments.results}: no 'val_acc' curves in this file (written "
                            "by a sweep from before per-epoch accuracy)")
    figures = Figures(sweep, arguments.metric, out_dir, arguments.dpi, arguments.linear,
                      arguments.curve)
    figures.loss_curves()
    figures.accuracy()
    figures.convergence()
    figures.heatmap()
    for path in figures.written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(sr.run_main(PROG, main))
