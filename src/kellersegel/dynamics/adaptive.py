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
like R² (R/d_floor)^|δ_k|, by the scale function r^(2−δ)). A collapse that lasts w R²
(w = ``explosion_window``) stops the run with the event "explosion"; ``event_time`` is the time
the collapse started (the states saved until the detection, w R² later, are kept). The exploding
cluster is the cluster of the closest pair at the detection, linked at 2√w R, the relative
Brownian displacement over the window: a collapsed cluster is not a point at this resolution
(in replica 0 of ``examples/singular-explosion.toml`` the fourth particle of the collapsed
4-cluster sat at 17 d_floor), and particles farther away than that have not interacted with it
during the window. A collision with small δ > 0
that lingers longer than w R² is a false alarm: the longest of 788 collapses at δ = 0.25 lasted
4.4 R², so w = 20 leaves a wide margin; the numbers for both kinds of error are in
benchmarks/README.md ("Singular dynamics").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.brownian import BrownianWalk
from kellersegel.dynamics.clusters import cluster_of_closest_pair
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


class CollisionSteps(StepControl):
    """The dyadic collision steps of the module notes as a step control of :func:`integrate`:
    tames the drift at the floor and counts collapses; a collapse that lasts ``explosion_window``
    · R² is the event "explosion" at the time the collapse started."""

    def __init__(
        self, controller: CollisionStepController | None = None, explosion_window: float = 20.0
    ) -> None:
        if not explosion_window > 0:
            raise ValueError(f"explosion_window must be > 0, got {explosion_window}")
        self.controller = controller or CollisionStepController()
        self.max_level = self.controller.max_level
        self.explosion_window = explosion_window

    def collapse_radius(self, base_step: float) -> float:
        """R = 16 d_floor, d_floor = √(Δt_min / a): a collapse lasts while min distance ≤ R."""
        floor = base_step / 2**self.max_level
        return 2 ** (_RELEASE_LEVELS / 2) * math.sqrt(floor / self.controller.distance_fraction)

    def start(self, grid: TimeGrid, n: int) -> None:
        self.h = grid.dt
        self.floor = grid.dt / 2**self.max_level
        self.window = self.explosion_window * self.collapse_radius(grid.dt) ** 2
        self.collapse_start = math.nan  # time the current collapse reached the floor
        self.floor_time = math.nan
        self.collapses = 0
        self.durations: list[float] = []
        self.exploding_cluster = 0

    def plan(self, state: State) -> tuple[int, tuple[str, float] | None]:
        c, t, top = self.controller, state.t, self.max_level
        distance = state.min_distance()
        level = c.level(self.h, distance, state.max_drift())
        if level > top:
            level = top
            state.coefficients[0] = _tamed(state.coefficients[0], c.drift_fraction * distance / self.floor)
            if math.isnan(self.floor_time):
                self.floor_time = t
            if math.isnan(self.collapse_start):
                self.collapse_start = t
                self.collapses += 1
        elif level <= top - _RELEASE_LEVELS and not math.isnan(self.collapse_start):
            self.durations.append(t - self.collapse_start)
            self.collapse_start = math.nan
        if t - self.collapse_start >= self.window:
            self.exploding_cluster = cluster_of_closest_pair(state.x[0], 2 * math.sqrt(self.window))
            return level, ("explosion", self.collapse_start)
        return level, None

    def summary(self) -> dict[str, Any]:
        return {
            "floor_time": self.floor_time,
            "collapses": self.collapses,
            "collapse_durations": self.durations,
            "exploding_cluster": self.exploding_cluster,
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
    stop_at_cluster: int | None = None,
    save_particles: int | None = None,
) -> Integration:
    """Adaptive Euler–Maruyama from x0 to ``grid.t_end``, saving at ``grid.save_times``:
    :class:`CollisionSteps` on the Brownian path of ``key``, the saved states and the clusters.
    Run it with ``.run()`` and read it with :meth:`~kellersegel.dynamics.trajectory.Trajectory.from_solution`.

    Parameters
    ----------
    stepper : EulerMaruyama
        A model with a memoryless signal (θ = 0).
    x0 : array, shape (N, 2)
    grid : TimeGrid
        Its ``dt`` is the base (largest) step h; save times are multiples of it.
    key : int
        Seed of the Brownian path (:class:`BrownianWalk`).
    controller : CollisionStepController, optional
    cluster_radius : float, optional
        Linking distance r of the cluster tracking (default: 16 d_floor, the collapse radius).
    explosion_window : float
        w: a collapse that lasts w R² is an explosion, R = 16 d_floor (see the module notes).
    stop_at_cluster : int, optional
        Stop with the event "cluster" when a cluster of this many particles first forms (e.g. 2:
        at the first collision, whose time is ``cluster_first_time[2]``).

    The trajectory has ``largest_cluster``, ``cluster_first_time``, ``steps``, ``min_step``,
    ``floor_time``, ``collapses``, ``collapse_durations`` and, after an explosion,
    ``exploding_cluster``.
    """
    control = CollisionSteps(controller, explosion_window)
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
