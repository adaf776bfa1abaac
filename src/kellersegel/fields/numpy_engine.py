"""Plain vectorised NumPy pairwise sums, in blocks of targets (O(block · N) memory).

An independent implementation of the direct sum (kernel profiles from SciPy, no compiled
code) used to test the compiled engines and as the baseline of the benchmarks.
"""

from __future__ import annotations

import numpy as np

from kellersegel.fields.base import FieldEngine, FieldValues

__all__ = ["NumpyEngine"]


class NumpyEngine(FieldEngine):
    """Pairwise sums with NumPy broadcasting, ``block`` targets at a time."""

    name = "numpy"

    def __init__(self, kernel, block: int = 256) -> None:
        super().__init__(kernel)
        self.block = int(block)

    def _evaluate(self, sources, weights, targets, self_mode, potential, gradient):
        m = targets.shape[0]
        pot = np.empty(m) if potential else None
        grad = np.empty((m, 2)) if gradient else None
        for start in range(0, m, self.block):
            stop = min(start + self.block, m)
            d = targets[start:stop, None, :] - sources[None, :, :]
            r2 = np.einsum("ijk,ijk->ij", d, d)
            w = np.broadcast_to(weights, r2.shape).copy()
            if self_mode == 1:
                rows = np.arange(stop - start)
                w[rows, start + rows] = 0.0
                r2[rows, start + rows] = 1.0  # any finite value; its weight is zero
            if gradient:
                psi = w * self.kernel.gradient_profile(r2)
                grad[start:stop] = -np.einsum("ij,ijk->ik", psi, d)
            if potential:
                pot[start:stop] = np.sum(w * self.kernel.potential_profile(r2), axis=1)
        return FieldValues(pot, grad)
