"""The compiled recent-history sums of the split memory field (θ > 0): near pairs only.

Within a lag δ of the present the heat kernel has not spread: the slab profile
ψ(r²; a, b) of ages b ≤ δ decays like e^{−r²/(2σ_b²)}, σ_b² = 2b/θ + ε², so the recent slabs are
summed exactly over the pairs within a cut-off radius R, found with a cell list of the pooled
sources (all recent slabs), and

    g_i = −Σ_k Σ_{j ≠ i, |x_i − X_j(t_k)| ≤ R} ψ(|x_i − X_j(t_k)|²; a_k, b_k)(x_i − X_j(t_k)),
    c_i = Σ_k Σ_{j ≠ i, |x_i − X_j(t_k)| ≤ R} φ(|x_i − X_j(t_k)|²; a_k, b_k)  (when asked for),

with [a_k, b_k] the part of slab k's ages below the lag (φ carries the same factor e^{−r²/(2σ_b²)} as ψ, so
the same R serves both). :func:`own_past_field` is the term
j = i of the older slabs (ages [a_k, b_k] above the lag), which the lattice of the old history
contains and the j ≠ i system subtracts. Parallel over targets; each target's sum runs in a
fixed order (cells in a fixed order, sources sorted stably by cell), so the result does not
depend on the number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange
from numpy.typing import NDArray

from kellersegel.fields.base import bounding_box
from kellersegel.kernels.memory import phi_at, psi_at, variance

__all__ = ["CellList", "own_past_field", "recent_field"]


class CellList:
    """Sources of several slabs binned into square cells of side h ≥ R/2 over a box that holds
    sources and targets, slab by slab: the sources within R of a target lie in the 5 × 5 cells
    around it (6.25 R² searched for the disk's π R²; cells of side R would search 9 R²).

    ``sources`` has shape (slabs, n, 2). Cells are numbered c = cx·ny + cy; slab k's sources in
    cell c are rows ``starts[q]`` to ``starts[q + 1]``, q = k·nx·ny + c, of ``points`` (their
    coordinates, contiguous) and ``index`` (their particle j), by j within a cell (a stable sort);
    ``counts`` (slabs, nx, ny) the number in each.
    """

    def __init__(self, sources: NDArray[np.float64], targets: NDArray[np.float64], radius: float) -> None:
        slabs, n = sources.shape[:2]
        flat = sources.reshape(-1, 2)
        lower, upper = bounding_box(flat, targets)
        width = float(max((upper - lower).max(), radius))
        # cells of side ≥ R/2, and not many more cells than sources (a short R in a wide box)
        side = max(0.5 * radius, width / math.sqrt(4.0 * n + 16.0))
        self.lower, self.side = lower, side
        self.shape = (int(math.floor((upper[0] - lower[0]) / side)) + 1,
                      int(math.floor((upper[1] - lower[1]) / side)) + 1)  # fmt: skip
        cells = self.shape[0] * self.shape[1]
        key = self.cells_of(flat) + cells * np.repeat(np.arange(slabs), n)
        order = np.argsort(key, kind="stable")
        self.points = np.ascontiguousarray(flat[order])
        self.index = (order % n).astype(np.int64)
        self.starts = np.searchsorted(key[order], np.arange(slabs * cells + 1)).astype(np.int64)
        self.counts = np.diff(self.starts)[: slabs * cells].reshape(slabs, *self.shape)

    def cells_of(self, points: NDArray[np.float64]) -> NDArray[np.int64]:
        c = np.floor((points - self.lower) / self.side).astype(np.int64)
        np.clip(c[:, 0], 0, self.shape[0] - 1, out=c[:, 0])
        np.clip(c[:, 1], 0, self.shape[1] - 1, out=c[:, 1])
        return c[:, 0] * self.shape[1] + c[:, 1]

    def candidate_pairs(self, targets: NDArray[np.float64]) -> int:
        """Σ over targets and slabs of the sources in the 5 × 5 cells around them: the work of one sum."""
        padded = np.pad(self.counts.sum(axis=0), 2)
        nx, ny = self.shape
        block = sum(
            padded[2 + dx : 2 + dx + nx, 2 + dy : 2 + dy + ny] for dx in range(-2, 3) for dy in range(-2, 3)
        )
        return int(block.ravel()[self.cells_of(targets)].sum())


@numba.njit(cache=True, parallel=True)
def recent_field(
    x, points, index, starts, lower, side, nx, ny, a, b, radius2, include_self, theta, lam, eps2,
    nodes, weights, out, c_out,
):  # fmt: skip
    """out_i += −Σ ψ(r²; a_k, b_k)(x_i − X_j(t_k)) and, when ``c_out`` is not empty, c_out_i +=
    Σ φ(r²; a_k, b_k) over the sources of slab k within r² ≤ ``radius2`` of x_i (a :class:`CellList`:
    ``points``, ``index``, ``starts``, cells of side ≥ √radius2 / 2 from ``lower``); j = i left out
    unless ``include_self``; a source at distance 0 adds nothing to the gradient."""
    cells = nx * ny
    want_c = c_out.shape[0] > 0
    for i in prange(x.shape[0]):
        xi = x[i, 0]
        yi = x[i, 1]
        cx = min(max(int(math.floor((xi - lower[0]) / side)), 0), nx - 1)
        cy = min(max(int(math.floor((yi - lower[1]) / side)), 0), ny - 1)
        gx = 0.0
        gy = 0.0
        c = 0.0
        for k in range(a.shape[0]):
            s_a, s_b = variance(a[k], theta, eps2), variance(b[k], theta, eps2)
            for ix in range(max(cx - 2, 0), min(cx + 3, nx)):
                row = k * cells + ix * ny
                for q in range(starts[row + max(cy - 2, 0)], starts[row + min(cy + 3, ny)]):
                    dx = xi - points[q, 0]
                    dy = yi - points[q, 1]
                    r2 = dx * dx + dy * dy
                    if r2 > radius2 or (index[q] == i and not include_self):
                        continue
                    if want_c:
                        c += phi_at(r2, a[k], b[k], s_a, s_b, theta, lam, eps2, nodes, weights)
                    if r2 == 0.0:
                        continue
                    psi = psi_at(r2, a[k], b[k], s_a, s_b, theta, lam, eps2, nodes, weights)
                    gx -= psi * dx
                    gy -= psi * dy
        out[i, 0] += gx
        out[i, 1] += gy
        if want_c:
            c_out[i] += c


@numba.njit(cache=True, parallel=True)
def own_past_field(x, past, a, b, theta, lam, eps2, nodes, weights, out, c_out):
    """out_i += −Σ_k ψ(|x_i − X_i(t_k)|²; a_k, b_k)(x_i − X_i(t_k)) and, when ``c_out`` is not empty,
    c_out_i += Σ_k φ(|x_i − X_i(t_k)|²; a_k, b_k): particle i's own past positions ``past``
    (slabs, n, 2) at the ages [a_k, b_k]. Slab by slab (rows read in memory order), each target's
    terms in slab order whatever the threads."""
    want_c = c_out.shape[0] > 0
    for k in range(past.shape[0]):
        s_a, s_b = variance(a[k], theta, eps2), variance(b[k], theta, eps2)
        for i in prange(x.shape[0]):
            dx = x[i, 0] - past[k, i, 0]
            dy = x[i, 1] - past[k, i, 1]
            r2 = dx * dx + dy * dy
            if want_c:
                c_out[i] += phi_at(r2, a[k], b[k], s_a, s_b, theta, lam, eps2, nodes, weights)
            if r2 == 0.0:
                continue
            psi = psi_at(r2, a[k], b[k], s_a, s_b, theta, lam, eps2, nodes, weights)
            out[i, 0] -= psi * dx
            out[i, 1] -= psi * dy
