"""Short-range pair sums over a cell list (numba): Σ_{j : |y_i − x_j| < a} w_j (K_a − s K_b)(y_i − x_j).

Fast engines compute a kernel K_b quickly (a multipole expansion of the singular G_λ) and add the
difference K_a − K_b over the pairs closer than a cut-off radius a, beyond which it is negligible.
Sources are sorted into square cells of side ≥ a keyed by (column, row); each target visits the
3 × 3 cells around it, found by binary search in the sorted keys, so memory is O(N) whatever the
spread of the points. Sums run in a fixed order per target: results do not depend on threads.
"""

from __future__ import annotations

from functools import cache

import numba
import numpy as np
from numba import prange

from kellersegel.fields.base import bounding_box
from kellersegel.kernels.compiled import GRADIENT_PROFILES, POTENTIAL_PROFILES

__all__ = ["CellList", "difference_sum"]

_MAX_CELLS_PER_SIDE = 1 << 20


class CellList:
    """Sources sorted by square cells of side ``>= radius``."""

    def __init__(self, sources: np.ndarray, radius: float) -> None:
        self.lower, upper = bounding_box(sources)
        extent = float((upper - self.lower).max())
        self.side = max(float(radius), extent / _MAX_CELLS_PER_SIDE, 1e-300)
        cells = np.floor((sources - self.lower) / self.side).astype(np.int64)
        self.rows = int(cells[:, 1].max()) + 1
        keys = cells[:, 0] * self.rows + cells[:, 1]
        self.order = np.argsort(keys, kind="stable")
        self.keys = np.ascontiguousarray(keys[self.order])
        self.columns = int(cells[:, 0].max()) + 1
        self.points = np.ascontiguousarray(sources[self.order])


@cache
def _difference_loop(kind_a: int, kind_b: int, potential: bool):
    profile_a = (POTENTIAL_PROFILES if potential else GRADIENT_PROFILES)[kind_a]
    profile_b = (POTENTIAL_PROFILES if potential else GRADIENT_PROFILES)[kind_b]

    @numba.njit(parallel=True)
    def loop(
        targets,
        points,
        order,
        keys,
        weights,
        lower,
        side,
        rows,
        columns,
        radius2,
        skip_self,
        params_a,
        table_a,
        params_b,
        table_b,
        scale_b,
        out,
    ):
        for i in prange(targets.shape[0]):
            xi = targets[i, 0]
            yi = targets[i, 1]
            col = int(np.floor((xi - lower[0]) / side))
            row = int(np.floor((yi - lower[1]) / side))
            s0 = 0.0
            s1 = 0.0
            for c in range(max(col - 1, 0), min(col + 2, columns)):
                if row + 1 < 0 or row - 1 >= rows:
                    continue
                first = np.searchsorted(keys, c * rows + max(row - 1, 0), side="left")
                last = np.searchsorted(keys, c * rows + min(row + 1, rows - 1), side="right")
                for p in range(first, last):
                    j = order[p]
                    if skip_self and j == i:
                        continue
                    dx = xi - points[p, 0]
                    dy = yi - points[p, 1]
                    r2 = dx * dx + dy * dy
                    if r2 >= radius2 or r2 == 0.0:
                        continue
                    f = weights[j] * (
                        profile_a(params_a, table_a, r2) - scale_b * profile_b(params_b, table_b, r2)
                    )
                    if potential:
                        s0 += f
                    else:
                        s0 -= f * dx
                        s1 -= f * dy
            out[i, 0] = s0
            out[i, 1] = s1

    return loop


def difference_sum(
    cells: CellList,
    weights: np.ndarray,
    targets: np.ndarray,
    radius: float,
    kernel_a,
    kernel_b,
    *,
    potential: bool,
    skip_self: bool,
    scale_b: float = 1.0,
) -> np.ndarray:
    """Σ_{0 < |y_i − x_j| < radius} w_j (K_a − s K_b)(y_i − x_j) (``potential``) or of ∇(K_a − s K_b).

    Returns shape (m,) for the potential, (m, 2) for the gradient. ``skip_self`` leaves out
    j = i (targets are the sources, in their original order). Pairs at distance 0 are left out:
    the caller handles coincident points.
    """
    spec_a = kernel_a.compiled_spec()
    spec_b = kernel_b.compiled_spec()
    out = np.zeros((targets.shape[0], 2))
    loop = _difference_loop(spec_a.kind, spec_b.kind, potential)
    loop(
        targets,
        cells.points,
        cells.order,
        cells.keys,
        weights,
        cells.lower,
        cells.side,
        cells.rows,
        cells.columns,
        radius**2,
        skip_self,
        spec_a.params,
        spec_a.table,
        spec_b.params,
        spec_b.table,
        float(scale_b),
        out,
    )
    return out[:, 0].copy() if potential else out
