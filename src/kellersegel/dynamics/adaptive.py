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
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.brownian import BrownianWalk
from kellersegel.dynamics.clusters import ClusterTracker
from kellersegel.dynamics.euler_maruyama import Coefficients, EulerMaruyama
from kellersegel.dynamics.simulate import Trajectory
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["CollisionStepController", "simulate_adaptive"]

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


def simulate_adaptive(
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
    progress: Callable[[float], None] | None = None,
) -> Trajectory:
    """Adaptive Euler–Maruyama from x0 to ``grid.t_end``, saving at ``grid.save_times``.

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
    progress : callable, optional
        Called with the time reached after every base step.

    Returns
    -------
    Trajectory
        With ``largest_cluster``, ``cluster_first_time``, ``steps``, ``min_step``,
        ``floor_time``, ``collapses``, ``collapse_durations`` and, after an explosion,
        ``exploding_cluster``.
    """
    controller = controller or CollisionStepController()
    if not explosion_window > 0:
        raise ValueError(f"explosion_window must be > 0, got {explosion_window}")
    x = np.array(x0, dtype=np.float64, copy=True)
    n = x.shape[0]
    h, top = grid.dt, controller.max_level
    floor = h / 2**top
    collapse_radius = 2 ** (_RELEASE_LEVELS / 2) * math.sqrt(floor / controller.distance_fraction)
    radius = cluster_radius if cluster_radius is not None else collapse_radius
    window = explosion_window * collapse_radius**2
    tracker = ClusterTracker(n, radius)
    noise = BrownianWalk(n, h, key, max_level=top)
    traj = Trajectory.empty(grid.save_times, n, save_particles, clusters=True)
    save_at = {int(s): k for k, s in enumerate(grid.save_steps)}

    t, steps, min_level = 0.0, 0, 0
    collapse_start = math.nan  # time the current collapse reached the floor
    coef = stepper.coefficients(x, t)
    max_drift = coef.max_drift()
    pairs = tracker.pairs(x)
    traj.record(save_at[0], x, max_drift, tracker.observe(x, t, pairs))
    while noise.interval < grid.n_steps:
        if not math.isfinite(max_drift):
            traj.event, traj.event_time = "nonfinite", t
            break
        level = controller.level(h, pairs.min_distance, max_drift)
        if level > top:
            level = top
            coef = _tamed(coef, controller.drift_fraction * pairs.min_distance / floor)
            if math.isnan(traj.floor_time):
                traj.floor_time = t
            if math.isnan(collapse_start):
                collapse_start = t
                traj.collapses += 1
        elif level <= top - _RELEASE_LEVELS and not math.isnan(collapse_start):
            traj.collapse_durations.append(t - collapse_start)
            collapse_start = math.nan
        if t - collapse_start >= window:
            traj.event, traj.event_time = "explosion", collapse_start
            traj.exploding_cluster = tracker.cluster_of_closest_pair(x, 2 * math.sqrt(window))
            break
        q = noise.position
        aligned = top - ((q & -q).bit_length() - 1) if q else 0  # coarsest level on this time's grid
        level = max(level, aligned)
        x = stepper.step(x, t, h / 2**level, noise.step(level), coef)
        steps += 1
        min_level = max(min_level, level)
        t = (noise.interval + noise.position / 2**top) * h
        if not np.all(np.isfinite(x)):
            traj.event, traj.event_time = "nonfinite", t
            break
        coef = stepper.coefficients(x, t)
        max_drift = coef.max_drift()
        pairs = tracker.pairs(x)
        largest = tracker.observe(x, t, pairs)
        if stop_at_cluster is not None and largest >= stop_at_cluster:
            traj.event, traj.event_time = "cluster", t
            break
        if noise.position == 0:
            if noise.interval in save_at:
                traj.record(save_at[noise.interval], x, max_drift, largest)
            if progress is not None:
                progress(t)
    traj.steps, traj.min_step = steps, h / 2**min_level
    traj.cluster_first_time = tracker.first_time
    return traj


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
