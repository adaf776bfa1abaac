"""Adaptive Euler–Maruyama for the singular system: dyadic steps that shrink near collisions.

The step is Δt = min(h, a·d², b·d / max_i|b_i|), d = min_{i≠j}|X_i − X_j|, rounded down to a
dyadic fraction h/2^m of the base step h (and to the finest level the current time allows), with
m ≤ m_max, the floor Δt_min = h/2^m_max. The Brownian increments come from a
:class:`~kellersegel.dynamics.brownian.BrownianWalk`, so runs with different controllers or
floors follow refinements of one Brownian path.

Near a k-particle collision the relative motion is a Bessel-type process of dimension
δ_k = (k−1)(2 − χMk/(4πN)). Below d_floor = √(Δt_min/a) the step cannot shrink with d any more;
there the drift is capped instead, |b_i| Δt ≤ b·d (a tamed Euler step), so that no particle is
thrown out of a collapsing cluster by an overshooting drift.

Explosion. A *collapse* starts when the closest pair needs a step below the floor and lasts while
the minimum distance stays ≤ R = 16 d_floor (wanted step ≤ 2^8 Δt_min). A collision with
δ_k > 0 is left again: the time to go from d_floor to R is of order R², whatever the floor
(measured for a pair, ``benchmarks/collapse_dwell.py``: mean 0.35 R² at δ = 1, 0.73 R² at
δ = 0.25). A cluster with δ_k ≤ 0 cannot be left in the limit (for δ_k < 0 that time grows
like R² (R/d_floor)^|δ_k|, by the scale function r^(2−δ)).

The decision. After every w R² (w = ``explosion_window``) of one collapse the cluster C of the
closest pair is read, linked at 2√w R, the relative Brownian displacement over a window (a
collapsed cluster is not a point at this resolution: in replica 0 of
``examples/singular-explosion.toml`` the fourth particle of the collapsed 4-cluster sat at
17 d_floor, and particles farther away have not interacted with it during the window). C
explodes when its size k has δ_k ≤ 0 (``dimension``, the model's collision dimension); a
cluster with δ_k > 0 is left again in the limit, so the collapse is followed for another window,
during which C may grow (the k*-th particle arriving at a lingering (k*−1)-cluster, whose
δ_{k*−1} near 0 makes it linger far longer than w R²) or separate (the collapse ends). The event
"explosion" is at the time the collapse started (the states saved until the decision are kept);
a run that ends in a followed, undecided collapse reports its size as ``undecided_cluster``.
Without a theory for the model, C explodes when its estimated dimension is below 0 by two
standard errors. Along the collapse, :class:`ClusterDimension` estimates the squared Bessel
dimension of C from its untamed steps (maximum likelihood for dZ = δ dt + 2√Z dβ,
Z = Σ_{i<j∈C}|X_i − X_j|²/(2k)); the decision records it with its error and the time waited
(``explosion_wait``). A collision with small δ > 0 that lingers longer than w R² no longer
reports a wrong size, it only delays the run: the longest of 788 collapses at δ = 0.25 lasted
4.4 R²; the measurements are in benchmarks/README.md ("Singular dynamics").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.brownian import BrownianWalk
from kellersegel.dynamics.clusters import members_of_closest_pair
from kellersegel.dynamics.euler_maruyama import Coefficients, EulerMaruyama
from kellersegel.dynamics.integrate import BrownianIncrements, Event, Integration, State, StepControl
from kellersegel.dynamics.observers import Clusters, ClusterSize, SavedStates
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["CollisionStepController", "CollisionSteps", "adaptive_integration"]

#: a collapse ends when the wanted step exceeds 2^8 floor steps: d > 2^4 d_floor
_RELEASE_LEVELS = 8


@dataclass(frozen=True)
class CollisionStepController:
    """Δt = min(h, a d², b d / max|b|) on dyadic levels h/2^m, m ≤ ``max_level``.

    Parameters
    ----------
    distance_fraction : float
        a: the Brownian displacement √(4Δt) of a pair stays ≲ 2√a · d.
    drift_fraction : float
        b: the drift displacement max|b| Δt stays ≤ b · d.
    max_level : int
        Finest level m_max (floor Δt_min = h / 2^m_max).
    """

    distance_fraction: float = 0.02
    drift_fraction: float = 0.1
    max_level: int = 24

    def __post_init__(self) -> None:
        if not (self.distance_fraction > 0 and self.drift_fraction > 0):
            raise ValueError("distance_fraction and drift_fraction must be > 0")
        if not 0 <= self.max_level <= 60:
            raise ValueError(f"max_level must be in 0 … 60, got {self.max_level}")

    def level(self, base_step: float, min_distance: float, max_drift: float) -> int:
        """The coarsest level m with h/2^m ≤ the wanted step (may exceed ``max_level``)."""
        wanted = base_step
        if math.isfinite(min_distance):
            wanted = min(wanted, self.distance_fraction * min_distance**2)
            if max_drift > 0:
                wanted = min(wanted, self.drift_fraction * min_distance / max_drift)
        if wanted <= 0:
            return self.max_level + 1
        return max(0, math.ceil(math.log2(base_step / wanted) - 1e-12))


class ClusterDimension:
    """Running estimate of the squared Bessel dimension of one cluster C of k particles.

    Z = Σ_{i<j∈C}|X_i − X_j|²/(2k) = ½ Σ_{i∈C}|X_i − X̄_C|² solves dZ = δ dt + 2√Z dβ near a
    collision (``ClassicalModel.collision_dimension``), so over steps j from states Z_j,
    δ̂ = Σ_j ΔZ_j/Z_j ÷ Σ_j Δt_j/Z_j, with standard error 2/√(Σ_j Δt_j/Z_j) (Var ΔZ_j = 4 Z_j Δt_j).
    Only untamed steps count (the floor's capped drift is not the SDE's); the sums start again
    when the membership changes.
    """

    def __init__(self) -> None:
        self.members = np.empty(0, dtype=np.int64)
        self.since = math.nan  #: time the current membership was first seen
        self._sums = [0.0, 0.0]
        self._last: tuple[float, float, bool] | None = None  # (t, Z, step from it untamed)

    def update(self, x: NDArray[np.float64], t: float, members: NDArray[np.int64], untamed: bool) -> None:
        """The state at time t, the cluster's members now, and whether the next step is untamed."""
        part = x[members]
        z = 0.5 * float(np.sum((part - part.mean(axis=0)) ** 2))
        if not np.array_equal(members, self.members):
            self.members, self.since, self._sums = members, t, [0.0, 0.0]
        elif self._last is not None and self._last[2] and self._last[1] > 0:
            t0, z0, _ = self._last
            self._sums[0] += (z - z0) / z0
            self._sums[1] += (t - t0) / z0
        self._last = (t, z, untamed)

    @property
    def sums(self) -> tuple[float, float]:
        """(Σ ΔZ_j/Z_j, Σ Δt_j/Z_j): the second is the information; records pool by adding them."""
        return self._sums[0], self._sums[1]

    def estimate(self) -> tuple[float, float]:
        """(δ̂, standard error), the maximum-likelihood drift of dZ = δ dt + 2√Z dβ (biased up
        by O(1/information) on a short record); NaN before any untamed step."""
        s1, s2 = self._sums
        return (s1 / s2, 2 / math.sqrt(s2)) if s2 > 0 else (math.nan, math.nan)


class CollisionSteps(StepControl):
    """The dyadic collision steps of the module notes as a step control of :func:`integrate`:
    tames the drift at the floor, counts collapses, and decides explosions (module notes): after
    each ``explosion_window`` · R² of one collapse, the cluster of the closest pair explodes when
    ``dimension(k)`` of its size k is ≤ 0 (or, without ``dimension``, when its estimated
    dimension is below 0 by two standard errors); the event "explosion" is at the collapse's start.
    """

    def __init__(
        self,
        controller: CollisionStepController | None = None,
        explosion_window: float = 20.0,
        dimension: Callable[[int], float] | None = None,
    ) -> None:
        if not explosion_window > 0:
            raise ValueError(f"explosion_window must be > 0, got {explosion_window}")
        self.controller = controller or CollisionStepController()
        self.max_level = self.controller.max_level
        self.explosion_window = explosion_window
        self.dimension = dimension

    def collapse_radius(self, base_step: float) -> float:
        """R = 16 d_floor, d_floor = √(Δt_min / a): a collapse lasts while min distance ≤ R."""
        floor = base_step / 2**self.max_level
        return 2 ** (_RELEASE_LEVELS / 2) * math.sqrt(floor / self.controller.distance_fraction)

    def start(self, grid: TimeGrid, n: int) -> None:
        self.h = grid.dt
        self.floor = grid.dt / 2**self.max_level
        self.window = self.explosion_window * self.collapse_radius(grid.dt) ** 2
        self.link = 2 * math.sqrt(self.window)  # the relative Brownian displacement over a window
        self.collapse_start = math.nan  # time the current collapse reached the floor
        self.floor_time = math.nan
        self.collapses = 0
        self.durations: list[float] = []
        self.exploding_cluster = 0
        self.undecided_cluster = 0  # a cluster that lasted a window but does not explode (yet)
        self.decision = {"wait": math.nan, "dimension": math.nan, "error": math.nan}
        self._checks = 0
        self._cluster = ClusterDimension()

    def plan(self, state: State) -> tuple[int, tuple[str, float] | None]:
        c, t, top = self.controller, state.t, self.max_level
        if not math.isnan(self.collapse_start):
            state.close_pairs(self.link)  # one pass: the minimum distance comes from these pairs
        distance = state.min_distance()
        level = c.level(self.h, distance, state.max_drift())
        tamed = level > top
        if tamed:
            level = top
            state.coefficients[0] = _tamed(state.coefficients[0], c.drift_fraction * distance / self.floor)
            if math.isnan(self.floor_time):
                self.floor_time = t
            if math.isnan(self.collapse_start):
                self.collapse_start, self._checks = t, 0
                self.collapses += 1
        elif level <= top - _RELEASE_LEVELS and not math.isnan(self.collapse_start):
            self.durations.append(t - self.collapse_start)
            self.collapse_start, self.undecided_cluster = math.nan, 0
            self._cluster = ClusterDimension()
        if math.isnan(self.collapse_start):
            return level, None
        found = state.close_pairs(self.link)
        self._cluster.update(state.x[0], t, members_of_closest_pair(len(state.x[0]), found), not tamed)
        if t - self.collapse_start >= (self._checks + 1) * self.window:
            self._checks += 1
            if self._explodes():
                return level, ("explosion", self.collapse_start)
        return level, None

    def _explodes(self) -> bool:
        """The decision after a window: the cluster's size, its estimated dimension (recorded)."""
        k = len(self._cluster.members)
        estimate, error = self._cluster.estimate()
        if self.dimension is not None:  # δ_k ≤ 0, up to round-off (δ_k = 0 is a boundary case)
            explodes = self.dimension(k) <= 1e-12
        else:
            explodes = estimate + 2 * error < 0
        if explodes:
            self.exploding_cluster, self.undecided_cluster = k, 0
            self.decision = {"wait": self._checks * self.window, "dimension": estimate, "error": error}
        else:
            self.undecided_cluster = k
        return explodes

    def summary(self) -> dict[str, Any]:
        if self.undecided_cluster:  # the run ended in a collapse that was not decided
            estimate, error = self._cluster.estimate()
            self.decision = {"wait": self._checks * self.window, "dimension": estimate, "error": error}
        return {
            "floor_time": self.floor_time,
            "collapses": self.collapses,
            "collapse_durations": self.durations,
            "exploding_cluster": self.exploding_cluster,
            "undecided_cluster": self.undecided_cluster,
            "explosion_wait": self.decision["wait"],
            "cluster_dimension": self.decision["dimension"],
            "cluster_dimension_error": self.decision["error"],
        }


def adaptive_integration(
    stepper: EulerMaruyama,
    x0: NDArray[np.float64],
    grid: TimeGrid,
    key: int,
    controller: CollisionStepController | None = None,
    *,
    cluster_radius: float | None = None,
    explosion_window: float = 20.0,
    dimension: Callable[[int], float] | None = None,
    stop_at_cluster: int | None = None,
    save_particles: int | None = None,
) -> Integration:
    """Adaptive Euler–Maruyama from x0 to ``grid.t_end``, saving at ``grid.save_times``:
    :class:`CollisionSteps` on the Brownian path of ``key``, the saved states and the clusters.
    Run it with ``.run()`` and read it with :meth:`~kellersegel.dynamics.trajectory.Trajectory.from_solution`.

    Parameters
    ----------
    stepper : EulerMaruyama
        Any model and signal; the θ > 0 fields record each (variable) step as a slab.
    x0 : array, shape (N, 2)
    grid : TimeGrid
        Its ``dt`` is the base (largest) step h; save times are multiples of it.
    key : int
        Seed of the Brownian path (:class:`BrownianWalk`).
    controller : CollisionStepController, optional
    cluster_radius : float, optional
        Linking distance r of the cluster tracking (default: 16 d_floor, the collapse radius).
    explosion_window : float
        w: a collapse is decided after every w R², R = 16 d_floor (see the module notes).
    dimension : callable, optional
        k ↦ δ_k, the collision dimension of a k-cluster (``ClassicalModel.collision_dimension``):
        a cluster explodes only if its δ_k ≤ 0. Without it: if its estimated dimension is < 0.
    stop_at_cluster : int, optional
        Stop with the event "cluster" when a cluster of this many particles first forms (e.g. 2:
        at the first collision, whose time is ``cluster_first_time[2]``).

    Returns
    -------
    Integration
        Its trajectory has ``largest_cluster``, ``cluster_first_time``, ``steps``, ``min_step``,
        ``floor_time``, ``collapses``, ``collapse_durations``, ``exploding_cluster`` (after an
        explosion), ``undecided_cluster`` (a run that ended in an undecided collapse),
        ``explosion_wait``, ``cluster_dimension`` and ``cluster_dimension_error`` (what the
        decision was based on).
    """
    control = CollisionSteps(controller, explosion_window, dimension)
    clusters = Clusters(cluster_radius if cluster_radius is not None else control.collapse_radius(grid.dt))
    noise = BrownianIncrements(BrownianWalk(x0.shape[0], grid.dt, key, max_level=control.max_level))
    events: list[Event] = [] if stop_at_cluster is None else [ClusterSize(stop_at_cluster, clusters)]
    return Integration([stepper], x0, grid, noise, control, [SavedStates(save_particles), clusters], events)


def _tamed(coef: Coefficients, max_speed: float) -> Coefficients:
    """The drifts scaled down to |b_i| ≤ max_speed."""
    return Coefficients(_capped_rows(coef.drift, max_speed), coef.noise)


@numba.njit(cache=True)
def _capped_rows(v: NDArray[np.float64], cap: float) -> NDArray[np.float64]:
    out = v.copy()
    for i in range(v.shape[0]):
        norm = math.sqrt(v[i, 0] * v[i, 0] + v[i, 1] * v[i, 1])
        if norm > cap:
            out[i] *= cap / norm
    return out
