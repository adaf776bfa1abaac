"""Rates of convergence: fit error ≈ C N^−r, with a bootstrap confidence interval over replicas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["RateFit", "fit_rate"]


@dataclass(frozen=True)
class RateFit:
    """r and C of error ≈ C N^−r, and the bootstrap interval of r."""

    rate: float
    constant: float
    low: float
    high: float
    level: float

    def __str__(self) -> str:
        interval = f"[{self.low:.3f}, {self.high:.3f}] ({self.level:.0%})"
        return f"r = {self.rate:.3f} {interval}, C = {self.constant:.3g}"


def _fit(sizes, means):
    slope, intercept = np.polyfit(np.log(sizes), np.log(means), 1)
    return -slope, float(np.exp(intercept))


def fit_rate(
    sizes: ArrayLike, errors: ArrayLike, level: float = 0.95, resamples: int = 2000, seed: int = 0
) -> RateFit:
    """Least squares of log(mean error) on log N; the interval of r from a percentile bootstrap
    (``scipy.stats.bootstrap``) that resamples the replicas with replacement at each N.

    Parameters
    ----------
    sizes : array, shape (K,)
        Particle numbers N_k (at least two distinct).
    errors : array, shape (K, R)
        Errors of R replicas at each N_k (R ≥ 2 for an interval).
    level : float
        Confidence level of the percentile interval.
    """
    sizes = np.asarray(sizes, dtype=np.float64)
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 2 or errors.shape[0] != sizes.size or len(np.unique(sizes)) < 2:
        raise ValueError("need errors of shape (len(sizes), replicas) and at least two distinct sizes")
    if np.any(errors <= 0) or not np.all(np.isfinite(errors)):
        raise ValueError("errors must be positive and finite")
    rate, constant = _fit(sizes, errors.mean(axis=1))
    log_n = np.log(sizes) - np.log(sizes).mean()

    def slope(*samples, axis=-1):
        """−d log(mean error)/d log N of resampled replicas (each sample: one N, batched)."""
        log_means = [np.log(np.mean(e, axis=axis)) for e in samples]
        return -sum(w * m for w, m in zip(log_n, log_means, strict=True)) / (log_n @ log_n)

    interval = stats.bootstrap(
        tuple(errors),
        slope,
        n_resamples=resamples,
        confidence_level=level,
        method="percentile",
        rng=np.random.default_rng(seed),
    ).confidence_interval
    return RateFit(float(rate), constant, float(interval.low), float(interval.high), level)
