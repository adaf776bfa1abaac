"""Direct pairwise summation, compiled with numba: exact for every kernel, O(N) memory.

Each target's sum runs over the sources in a fixed order on one thread, so the result does
not depend on the number of threads. It is the reference every faster engine is tested against.
The loops are specialised per kernel kind (compiled on first use, about a second each) so that
the inner loop has no branches and vectorises.
"""

from __future__ import annotations

from functools import cache

import numba
import numpy as np
from numba import prange

from kellersegel.fields.base import FieldEngine, FieldValues
from kellersegel.kernels.compiled import GRADIENT_PROFILES, POTENTIAL_PROFILES

__all__ = ["DirectEngine"]

# reassociation lets the compiler vectorise the sums; no assumption about NaN or infinity
_FASTMATH = {"reassoc", "contract", "arcp", "nsz"}


#: below this many targets the loops run on one thread (a parallel launch costs more than the sum,
#: up to milliseconds when the cores are busy); the per-target order, hence the result, is the same
_PARALLEL_FROM = 256


@cache
def _gradient_loop(kind: int, parallel: bool):
    profile = GRADIENT_PROFILES[kind]

    @numba.njit(parallel=parallel, fastmath=_FASTMATH)
    def loop(targets, sx, sy, weights, params, table, exclude_self, grad):
        for i in prange(targets.shape[0]):
            xi = targets[i, 0]
            yi = targets[i, 1]
            skip = i if exclude_self else -1
            gx = 0.0
            gy = 0.0
            for j in range(sx.shape[0]):
                dx = xi - sx[j]
                dy = yi - sy[j]
                f = weights[j] * profile(params, table, dx * dx + dy * dy) if j != skip else 0.0
                gx -= f * dx
                gy -= f * dy
            grad[i, 0] = gx
            grad[i, 1] = gy

    return loop


@cache
def _potential_loop(kind: int, parallel: bool):
    profile = POTENTIAL_PROFILES[kind]

    @numba.njit(parallel=parallel, fastmath=_FASTMATH)
    def loop(targets, sx, sy, weights, params, table, exclude_self, pot):
        for i in prange(targets.shape[0]):
            xi = targets[i, 0]
            yi = targets[i, 1]
            skip = i if exclude_self else -1
            c = 0.0
            for j in range(sx.shape[0]):
                dx = xi - sx[j]
                dy = yi - sy[j]
                c += weights[j] * profile(params, table, dx * dx + dy * dy) if j != skip else 0.0
            pot[i] = c

    return loop


class DirectEngine(FieldEngine):
    """O(N M) pairwise sums on all cores (numba ``prange`` over targets; one thread below 256)."""

    name = "direct"

    def _evaluate(self, sources, weights, targets, self_mode, potential, gradient):
        spec = self.kernel.compiled_spec()
        sx = np.ascontiguousarray(sources[:, 0])
        sy = np.ascontiguousarray(sources[:, 1])
        args = (targets, sx, sy, weights, spec.params, spec.table, self_mode == 1)
        parallel = targets.shape[0] >= _PARALLEL_FROM
        pot = grad = None
        if gradient:
            grad = np.empty((targets.shape[0], 2))
            _gradient_loop(spec.kind, parallel)(*args, grad)
        if potential:
            pot = np.empty(targets.shape[0])
            _potential_loop(spec.kind, parallel)(*args, pot)
        return FieldValues(pot, grad)
