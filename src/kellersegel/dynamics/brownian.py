"""A Brownian path that can be refined: dyadic Brownian bridges with counter-based randomness.

W is an (N, 2) standard Brownian motion on the base grid t_k = k h (increments √h Z_k) and, inside
a base interval, at the dyadic times t_k + j h / 2^m, each new midpoint drawn from the Brownian
bridge between its two dyadic neighbours (Lévy's construction):

    W((a + b)/2) = (W(a) + W(b))/2 + √((b − a)/4) · Z.

Every normal vector Z is generated from a Philox counter that names its node (k, m, j), so the
value of W at a time does not depend on which other times were asked for or in which order: a run
with finer steps follows a refinement of the same path.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["BrownianTree"]


class BrownianTree:
    """W(t), shape (n, 2), at times k h + j h/2^m, 0 ≤ m ≤ ``max_level``.

    Parameters
    ----------
    n : int
        Number of particles.
    base_step : float
        h, the coarsest step.
    key : int
        The Philox key (a replica's seed): the path is a deterministic function of it.
    max_level : int
        Finest level m; the smallest step is h / 2^max_level.

    Notes
    -----
    Times must be visited in non-decreasing base intervals (the cache keeps the current base
    interval only); within a base interval, any order.
    """

    def __init__(self, n: int, base_step: float, key: int, max_level: int = 40) -> None:
        if n < 1 or not base_step > 0 or not 0 <= max_level <= 60:
            raise ValueError("need n ≥ 1, base_step > 0 and 0 ≤ max_level ≤ 60")
        self.n = int(n)
        self.base_step = float(base_step)
        self.key = int(key) % 2**64
        self.max_level = int(max_level)
        self._interval = 0
        self._start = np.zeros((self.n, 2))  # W(t_k)
        self._nodes: dict[tuple[int, int], NDArray[np.float64]] = {(0, 0): self._start}

    def _normal(self, k: int, m: int, j: int) -> NDArray[np.float64]:
        counter = np.array([k, m, j, 0], dtype=np.uint64)
        gen = np.random.Generator(np.random.Philox(key=self.key, counter=counter))
        return gen.standard_normal((self.n, 2))

    def _move_to(self, k: int) -> None:
        if k < self._interval:
            raise ValueError("BrownianTree: base intervals must be visited in order")
        while self._interval < k:
            self._start = self._start + math.sqrt(self.base_step) * self._normal(self._interval, 0, 1)
            self._interval += 1
        self._nodes = {(0, 0): self._start}

    def value(self, k: int, m: int, j: int) -> NDArray[np.float64]:
        """W at t_k + j h / 2^m, 0 ≤ j ≤ 2^m (j = 2^m is the next base point)."""
        if m > self.max_level or not 0 <= j <= 2**m:
            raise ValueError(f"no dyadic node (level {m}, index {j}) below level {self.max_level}")
        if k != self._interval:
            self._move_to(k)
        while m > 0 and j % 2 == 0:  # lowest terms
            m, j = m - 1, j // 2
        if (m, j) in self._nodes:
            return self._nodes[(m, j)]
        if m == 0:  # j == 1: the end of the base interval
            w = self._start + math.sqrt(self.base_step) * self._normal(k, 0, 1)
        else:
            left, right = self.value(k, m, j - 1), self.value(k, m, j + 1)
            spread = math.sqrt(self.base_step / 2 ** (m + 1))
            w = 0.5 * (left + right) + spread * self._normal(k, m, j)
        self._nodes[(m, j)] = w
        return w

    def increment(self, k: int, m: int, j: int) -> NDArray[np.float64]:
        """W(t_k + (j+1) h/2^m) − W(t_k + j h/2^m), shape (n, 2)."""
        return self.value(k, m, j + 1) - self.value(k, m, j)
