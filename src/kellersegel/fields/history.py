"""The compiled history sum of the θ > 0 particle system: every particle's past slabs at once.

    ∇c(x_i) = −Σ_k Σ_j ψ_k(|x_i − X_j(t_k)|²) (x_i − X_j(t_k)),    c(x_i) = Σ_k Σ_j φ_k(|x_i − X_j(t_k)|²),

with ψ_k, φ_k the slab integrals of the heat kernel's gradient profile and of the heat kernel
(:mod:`kellersegel.kernels.memory`).
O(N² × slabs), parallel over targets; each target's sum runs in a fixed order, so the result does not
depend on the number of threads. Kept apart from the fields that call it so that compiled code and
Python code can change independently.
"""

from __future__ import annotations

import numba
from numba import prange

from kellersegel.kernels.memory import slab_phi, slab_psi

__all__ = ["history_field"]


@numba.njit(cache=True, parallel=True)
def history_field(x, history, a, b, theta, lam, eps2, include_self, nodes, weights, out, c_out):
    """out_i = −Σ_k Σ_j ψ(|x_i − X_j(t_k)|²; a_k, b_k)(x_i − X_j(t_k)) with the slab profile
    :func:`~kellersegel.kernels.memory.slab_psi` of the ages [a_k, b_k] of slab k (t minus its end
    and its start), and, when ``c_out`` is not empty, c_out_i = Σ_k Σ_j φ(|x_i − X_j(t_k)|²; a_k, b_k)
    (:func:`~kellersegel.kernels.memory.slab_phi`); j = i left out unless ``include_self``, a source
    at distance 0 adds nothing to the gradient; the caller multiplies by the particle mass M/N."""
    n = x.shape[0]
    want_c = c_out.shape[0] > 0
    for i in prange(n):
        gx = 0.0
        gy = 0.0
        c = 0.0
        for k in range(a.shape[0]):
            for j in range(history.shape[1]):
                if j == i and not include_self:
                    continue
                dx = x[i, 0] - history[k, j, 0]
                dy = x[i, 1] - history[k, j, 1]
                r2 = dx * dx + dy * dy
                if want_c:
                    c += slab_phi(r2, a[k], b[k], theta, lam, eps2, nodes, weights)
                if r2 == 0.0:
                    continue
                psi = slab_psi(r2, a[k], b[k], theta, lam, eps2, nodes, weights)
                gx -= psi * dx
                gy -= psi * dy
        out[i, 0] = gx
        out[i, 1] = gy
        if want_c:
            c_out[i] = c
