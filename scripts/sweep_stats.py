"""sweep_stats: the statistics behind sweep's comparisons and cv tables.

Plain functions on numpy arrays, no file reading, so that every number can
be checked against an independent computation:

- cv_mean, cv_std, cv_rank: GridSearchCV's mean_test_score,
  std_test_score (population std, ddof 0) and rank_test_score (ties share
  the best rank, scipy's rankdata method='min'; NaN means tie below the
  worst), computed the way scikit-learn 1.2's _search.py computes them.
- mean_interval: the mean of a sample and its Student t confidence
  interval (sample std, ddof 1). On paired differences it is the paired t
  interval of scipy.stats.ttest_rel.
- corrected_interval: the corrected resampled t interval of Nadeau and
  Bengio (2003) for differences measured on J train/test splits of one
  data set.
- split_interval: a grid point's (or a paired difference's) mean and
  interval from runs that may come from cross-validation splits: the
  plain t interval without cv, else the runs of each split averaged and
  the corrected interval over the split means.
- Every interval carries the two-sided p-value of its t test of "mean 0".
- t_quantile: Student's t quantile (scipy, which Debian's python3-sklearn
  depends on).

What each interval assumes:
- mean_interval treats its values as independent draws. For the runs of a
  single holdout differing only in their seed, that covers the randomness
  of training (initial weights, epoch order) on this one val set: it says
  nothing about how the difference would change on other data.
- corrected_interval assumes the J differences come from splits of the same
  rows whose training sets overlap; Nadeau and Bengio model their
  correlation as n_test / (n_train + n_test) and inflate the variance of
  the mean from s^2 / J to s^2 (1/J + n_test/n_train). For k-fold splits
  n_test/n_train = 1/(k-1) on average over the folds.
"""

import math

import numpy as np

try:
    from scipy import stats as _scipy_stats
except ImportError:          # pragma: no cover - Debian's python3-sklearn pulls scipy in
    _scipy_stats = None


class StatsError(Exception):
    """A statistics request that cannot be met (say, scipy missing)."""


def t_quantile(probability, dof):
    """The `probability` quantile of Student's t with `dof` degrees of freedom."""
    if _scipy_stats is None:
        raise StatsError("needs scipy (Debian: apt-get install python3-scipy)")
    if not dof > 0:
        raise StatsError(f"t quantile needs positive degrees of freedom, got {dof}")
    return float(_scipy_stats.t.ppf(probability, dof))


def cv_mean(scores):
    """Per candidate (row) the mean over splits (columns), as np.average."""
    return np.average(np.asarray(scores, dtype=np.float64), axis=1)


def cv_std(scores):
    """Per candidate the population std (ddof 0) over splits, computed as
    scikit-learn does (sqrt of the average squared deviation from the mean)."""
    scores = np.asarray(scores, dtype=np.float64)
    means = np.average(scores, axis=1)
    return np.sqrt(np.average((scores - means[:, np.newaxis]) ** 2, axis=1))


def cv_rank(means):
    """Rank 1 for the highest mean; equal means share the best (smallest)
    rank and the next rank skips (1, 1, 3); NaN means rank as tied below the
    worst; all NaN: every rank 1. As rank_test_score."""
    means = np.asarray(means, dtype=np.float64)
    if means.size == 0 or np.isnan(means).all():
        return np.ones(means.shape, dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    # rank = 1 + how many candidates score strictly higher
    return (1 + (filled[np.newaxis, :] > filled[:, np.newaxis]).sum(axis=1)).astype(np.int32)


def t_two_sided_p(statistic, dof):
    """P(|T| >= |statistic|) for Student's t with `dof` degrees of freedom."""
    if _scipy_stats is None:
        raise StatsError("needs scipy (Debian: apt-get install python3-scipy)")
    return float(2.0 * _scipy_stats.t.sf(abs(statistic), dof))


class Interval:
    """A mean with its confidence interval; low and high are NaN when the
    sample is too small for one. n: values the interval rests on; dof:
    the t quantile's degrees of freedom; p_value: two-sided p of the t test
    of a zero mean (NaN without an interval)."""

    def __init__(self, mean, low, high, n, dof, p_value=math.nan):
        self.mean, self.low, self.high, self.n, self.dof = mean, low, high, n, dof
        self.p_value = p_value

    @property
    def has_interval(self):
        return not (math.isnan(self.low) or math.isnan(self.high))

    def contains_zero(self):
        return self.low <= 0.0 <= self.high

    def __repr__(self):
        return (f"Interval(mean={self.mean!r}, low={self.low!r}, high={self.high!r}, "
                f"n={self.n}, dof={self.dof})")


def _t_interval(values, variance_of_mean, confidence):
    n = values.size
    mean = float(np.mean(values)) if n else math.nan
    if n < 2 or not np.isfinite(variance_of_mean):
        return Interval(mean, math.nan, math.nan, n, n - 1)
    standard_error = math.sqrt(variance_of_mean)
    half_width = t_quantile(0.5 + confidence / 2.0, n - 1) * standard_error
    if standard_error > 0.0:
        p_value = t_two_sided_p(mean / standard_error, n - 1)
    else:       # every value equal: certain of a zero mean, or of a nonzero one
        p_value = 1.0 if mean == 0.0 else 0.0
    return Interval(mean, mean - half_width, mean + half_width, n, n - 1, p_value)


def _check_confidence(confidence):
    if not 0.0 < confidence < 1.0:
        raise StatsError(f"confidence must be between 0 and 1, got {confidence}")


def mean_interval(values, confidence=0.95):
    """Mean and t interval mean ± t(n-1) s / sqrt(n), s with ddof 1."""
    _check_confidence(confidence)
    values = np.asarray(values, dtype=np.float64).ravel()
    variance = float(np.var(values, ddof=1)) / values.size if values.size > 1 else math.nan
    return _t_interval(values, variance, confidence)


def corrected_interval(differences, test_train_ratio, confidence=0.95):
    """Nadeau and Bengio's corrected resampled t interval: the J differences
    of J splits, variance of their mean s^2 (1/J + n_test/n_train), t with
    J - 1 degrees of freedom."""
    _check_confidence(confidence)
    if not test_train_ratio >= 0.0:
        raise StatsError(f"n_test/n_train must be 0 or more, got {test_train_ratio}")
    values = np.asarray(differences, dtype=np.float64).ravel()
    n = values.size
    variance = (float(np.var(values, ddof=1)) * (1.0 / n + test_train_ratio)
                if n > 1 else math.nan)
    return _t_interval(values, variance, confidence)


def split_interval(values, splits=None, test_train_ratio=None, confidence=0.95):
    """Mean and interval of `values` (NaN values left out). Without `splits`
    (a single holdout) the plain t interval over the values. With `splits`
    (each value's split number under cross-validation): the values of each
    split are averaged first, since runs on one split share their val rows,
    and the corrected resampled t interval goes over the split means; n is
    then the number of splits."""
    values = np.asarray(values, dtype=np.float64).ravel()
    keep = ~np.isnan(values)
    if splits is None:
        return mean_interval(values[keep], confidence)
    splits = np.asarray(splits).ravel()[keep]
    values = values[keep]
    labels, inverse = np.unique(splits, return_inverse=True)
    means = np.bincount(inverse, weights=values, minlength=labels.size) / \
        np.bincount(inverse, minlength=labels.size)
    return corrected_interval(means, test_train_ratio, confidence)


def curve_interval(curves, splits=None, test_train_ratio=None, confidence=0.95):
    """Per column (epoch) of a (runs, epochs) array: (mean, low, high) of
    the interval split_interval would give on that column's non-NaN values,
    computed for all columns at once. low and high are NaN where fewer than
    two values (or splits) remain."""
    _check_confidence(confidence)
    curves = np.asarray(curves, dtype=np.float64)
    if splits is not None:
        splits = np.asarray(splits).ravel()
        labels = np.unique(splits)
        curves = np.stack([_column_means(curves[splits == label]) for label in labels]) \
            if labels.size else curves[:0]
    finite = ~np.isnan(curves)
    n = finite.sum(axis=0)
    mean = _column_means(curves)
    with np.errstate(invalid="ignore", divide="ignore"):
        deviations = np.where(finite, curves - mean, 0.0)
        variance = (deviations ** 2).sum(axis=0) / (n - 1)
        scale = 1.0 / n if splits is None else 1.0 / n + test_train_ratio
        half = np.full(mean.shape, np.nan)
        enough = n >= 2
        if enough.any():
            quantiles = _scipy_stats.t.ppf(0.5 + confidence / 2.0, n[enough] - 1)
            half[enough] = quantiles * np.sqrt(variance[enough] * scale[enough])
    return mean, mean - half, mean + half


def _column_means(values):
    """NaN-aware column means, NaN (quietly) for an all-NaN column."""
    finite = ~np.isnan(values)
    count = finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(finite, values, 0.0).sum(axis=0) / count, np.nan)
