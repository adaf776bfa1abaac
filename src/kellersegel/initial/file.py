"""Initial points read from a file (.npy or .csv with two columns)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import gaussian_kde

from kellersegel.initial.base import InitialData

__all__ = ["PointsFromFile", "read_points"]


def read_points(path: str | Path) -> np.ndarray:
    """Points of shape (K, 2) from a .npy file or a .csv file (comma separated, '#' comments)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            points = np.load(path, allow_pickle=False)
        elif suffix == ".csv":
            points = np.loadtxt(path, delimiter=",", ndmin=2, comments="#")
        else:
            raise ValueError(f"file {str(path)!r}: allowed formats are .npy and .csv")
    except (OSError, ValueError) as err:
        if "allowed formats" in str(err):
            raise
        raise ValueError(f"file {str(path)!r} could not be read as {suffix}: {err}") from None
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] < 2:
        raise ValueError(
            f"file {str(path)!r} must hold an array of shape (K, 2) with K ≥ 2, got {points.shape}"
        )
    if not np.all(np.isfinite(points)):
        raise ValueError(f"file {str(path)!r} holds non-finite values")
    return points


class PointsFromFile(InitialData):
    """The empirical law of K points from a file.

    ``sample(n)`` returns n of them drawn without replacement (all K, shuffled, when n = K);
    ``density`` is a Gaussian kernel density estimate (Scott's rule) of the K points.
    """

    name = "file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.points = read_points(self.path)
        self._kde = None

    def sample(self, n, rng):
        n = self._check_n(n)
        if n > len(self.points):
            raise ValueError(f"file {str(self.path)!r} holds {len(self.points)} points, fewer than n = {n}")
        return self.points[rng.permutation(len(self.points))[:n]].copy()

    def density(self, x):
        if self._kde is None:
            self._kde = gaussian_kde(self.points.T)
        x = np.asarray(x, dtype=np.float64)
        return self._kde(x.reshape(-1, 2).T).reshape(x.shape[:-1])

    def second_moment(self):
        return float(np.mean(np.sum(self.points**2, axis=1)))

    def mean(self):
        return self.points.mean(axis=0)
