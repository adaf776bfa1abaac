"""The instruments of the θ > 0 theory, recorded along a run for tracked pairs of particles.

For a pair (i, j) the path-dependent pair interaction is

    D^{i,j}_s = ∫_0^s ∇(K^{θ,λ}_{s−u} * V_ε)(X^i_s − X^j_u) du,

(the drift of X^i is χ(M/N) Σ_{j≠i} D^{i,j} plus the initial-signal term), here with X^j piecewise
constant between steps, exactly as the particle system's field sees it (slab integrals of
:mod:`kellersegel.kernels.memory`). The a-priori bound of the theory is on, for γ ∈ (3/2, 2),

    E ∫_0^t |D^{1,2}_s|^{2(γ−1)} ds,    E ∫_0^t |X^1_s − X^2_s|^{−2(γ−1)} ds,    E |X^1_t − X^2_t|^{2(1−γ)},

the first bounded by a constant times the second (the "Markovianization"), the third ≤ A t.
Particles are exchangeable, so the disjoint pairs (0, 1), (2, 3), … are samples of (1, 2); the
time integrals are left-point sums over the steps.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.integrate import Observer, State
from kellersegel.dynamics.time_grid import TimeGrid
from kellersegel.fields.recent_history import own_past_field
from kellersegel.kernels.memory import SlabKernel

__all__ = ["PairInteractions"]


class PairInteractions(Observer):
    """D^{2p,2p+1} and the theory's moments for the pairs p = 0 … pairs − 1, at every step.

    Parameters
    ----------
    kernel : SlabKernel
        θ, λ, ε of the run's field.
    pairs : int
        Tracked disjoint pairs (at most N/2). Cost per step: pairs × past steps.
    gammas : sequence of float
        The exponents γ ∈ (3/2, 2) of the moments.

    Results (T save times, G exponents, P pairs): ``pair_interaction`` (T, P, 2): D at the save
    times; ``pair_interaction_integral`` (T, G, P): ∫_0^t |D|^{2(γ−1)} ds;
    ``pair_coulomb_integral`` (T, G, P): ∫_0^t |X^i − X^j|^{−2(γ−1)} ds;
    ``pair_distance_power`` (T, G, P): |X^i_t − X^j_t|^{2(1−γ)}.
    """

    def __init__(self, kernel: SlabKernel, pairs: int, gammas=(1.6, 1.75, 1.9)) -> None:
        self.kernel = kernel
        self.pairs = int(pairs)
        self.gammas = np.asarray(gammas, dtype=np.float64)
        if self.pairs < 1:
            raise ValueError(f"pairs must be ≥ 1, got {pairs}")
        if not np.all((self.gammas > 1.5) & (self.gammas < 2.0)):
            raise ValueError(f"gammas must lie in (3/2, 2), got {list(self.gammas)}")

    def start(self, grid: TimeGrid, n: int) -> None:
        if 2 * self.pairs > n:
            raise ValueError(f"{self.pairs} pairs need {2 * self.pairs} particles, the run has {n}")
        t, g, p = len(grid.save_times), len(self.gammas), self.pairs
        self.powers = 2.0 * (self.gammas - 1.0)  # q = 2(γ − 1)
        self.data = {
            "pair_interaction": np.full((t, p, 2), np.nan),
            "pair_interaction_integral": np.full((t, g, p), np.nan),
            "pair_coulomb_integral": np.full((t, g, p), np.nan),
            "pair_distance_power": np.full((t, g, p), np.nan),
        }
        self._past = np.empty((16, p, 2))  # X^j(t_k) of the second particle of each pair
        self._times: list[float] = []
        self._integrals = np.zeros((2, g, p))  # ∫|D|^q, ∫|X^i − X^j|^{−q}
        self._last: tuple[float, NDArray[np.float64], NDArray[np.float64]] | None = None

    def _interaction(self, x: NDArray[np.float64], t: float) -> NDArray[np.float64]:
        """D^{i,j}(t) for every pair from the recorded past of the j's (slabs [t_k, t_{k+1}))."""
        out = np.zeros((self.pairs, 2))
        k = len(self._times)
        if k:
            starts = np.asarray(self._times)
            ends = np.append(starts[1:], t)
            nodes, weights = self.kernel.quadrature
            kern = self.kernel
            targets = np.ascontiguousarray(x[0 : 2 * self.pairs : 2])
            own_past_field(targets, self._past[:k], t - ends, t - starts, kern.theta, kern.lam,
                           kern.epsilon**2, nodes, weights, out, np.empty(0))  # fmt: skip
        return out

    def step(self, state: State) -> None:
        x, t = state.x[0], state.t
        interaction = self._interaction(x, t)
        distance = np.linalg.norm(x[0 : 2 * self.pairs : 2] - x[1 : 2 * self.pairs : 2], axis=1)
        q = self.powers[:, None]
        if self._last is not None:  # left-point sums over the step just taken
            t0, d0, r0 = self._last
            with np.errstate(divide="ignore"):
                self._integrals[0] += (t - t0) * np.linalg.norm(d0, axis=1) ** q
                self._integrals[1] += (t - t0) * r0 ** (-q)
        self._last = (t, interaction, distance)
        k = len(self._times)
        if k == self._past.shape[0]:
            self._past = np.concatenate([self._past, np.empty_like(self._past)])
        self._past[k] = x[1 : 2 * self.pairs : 2]
        self._times.append(t)

    def save(self, k: int, state: State) -> None:
        t, interaction, distance = self._last
        d = self.data
        d["pair_interaction"][k] = interaction
        d["pair_interaction_integral"][k] = self._integrals[0]
        d["pair_coulomb_integral"][k] = self._integrals[1]
        with np.errstate(divide="ignore"):
            d["pair_distance_power"][k] = distance ** (-self.powers[:, None])

    def result(self):
        return {**self.data, "pair_gammas": self.gammas}
