"""Adaptive Euler–Maruyama for the singular system: dyadic steps that shrink near collisions.

The step is Δt = min(h, a·d², b·d / max_i|b_i|), d = min_{i≠j}|X_i − X_j|, rounded down to a
dyadic fraction h/2^m of the base step h (and to the finest level the current time allows), with
m ≤ m_max, the floor Δt_min = h/2^m_max. The Brownian increments come from a
:class:`~kellersegel.dynamics.brownian.BrownianTree`, so runs with different controllers or
floors follow refinements of one Brownian path.

Near a k-particle collision the relative motion is a squared Bessel process of dimension
δ_k = (k−1)(2 − χMk/(4πN)). At the floor the step cannot shrink with d any more; there the drift
is capped instead, |b_i| Δt ≤ b·d (a tamed Euler step), so that the rule "drift displacement
≤ b·d" holds on every step and no particle is thrown out of a collapsing cluster by an
overshooting drift. A collision with δ_k > 0 is then left again after a few floor steps; a
cluster with δ_k ≤ 0 stays together, at distances of order d_floor = √(Δt_min/a), and keeps the
step near the floor. A run whose step stays within 16 Δt_min (d ≤ 4 d_floor) for
``explosion_steps`` consecutive steps stops with the event "explosion"; the exploding cluster is
the cluster (linking distance r) of the closest pair.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from kellersegel.dynamics.brownian import BrownianTree
from kellersegel.dynamics.clusters import ClusterTracker
from kellersegel.dynamics.diagnostics import min_pair_distance
from kellersegel.dynamics.euler_maruyama import Coefficients, EulerMaruyama
from kellersegel.dynamics.simulate import Trajectory
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["CollisionStepController", "simulate_adaptive"]

#: steps within 2^4 = 16 floor steps count as "at the floor" for the explosion rule
_NEAR_FLOOR_LEVELS = 4


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
    explosion_steps: int = 2000,
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
        Seed of the Brownian path (:class:`BrownianTree`).
    controller : CollisionStepController, optional
    cluster_radius : float, optional
        Linking distance r of the cluster tracking (default: 10 √Δt_min, a few floor-step
        Brownian displacements).
    explosion_steps : int
        Consecutive steps within 16 floor steps that make an explosion.
    stop_at_cluster : int, optional
        Stop with the event "cluster" when a cluster of this many particles first forms (e.g. 2:
        at the first collision, whose time is ``cluster_first_time[2]``).
    progress : callable, optional
        Called with the time reached after every base step.

    Returns
    -------
    Trajectory
        With ``largest_cluster``, ``cluster_first_time``, ``steps``, ``min_step``,
        ``floor_time`` and, after an explosion, ``exploding_cluster``.
    """
    controller = controller or CollisionStepController()
    x = np.array(x0, dtype=np.float64, copy=True)
    n = x.shape[0]
    h, top = grid.dt, controller.max_level
    floor = h / 2**top
    radius = cluster_radius if cluster_radius is not None else 10.0 * math.sqrt(floor)
    tracker = ClusterTracker(n, radius)
    noise = BrownianTree(n, h, key, max_level=top)
    traj = Trajectory.empty(grid.save_times, n, save_particles, clusters=True)
    save_at = {int(s): k for k, s in enumerate(grid.save_steps)}

    base, q, t = 0, 0, 0.0  # t = (base + q / 2^top) h
    at_floor, steps, min_level = 0, 0, 0
    coef = stepper.coefficients(x, t)
    max_drift = coef.max_drift()
    tree = cKDTree(x)  # one KD-tree per state: minimum distance and clusters
    traj.record(save_at[0], x, max_drift, tracker.observe(x, t, tree))
    while base < grid.n_steps:
        if not math.isfinite(max_drift):
            traj.event, traj.event_time = "nonfinite", t
            break
        distance = min_pair_distance(x, tree)
        level = controller.level(h, distance, max_drift)
        if level > top:
            level = top
            coef = _tamed(coef, controller.drift_fraction * distance / floor)
            if math.isnan(traj.floor_time):
                traj.floor_time = t
        at_floor = at_floor + 1 if level >= top - _NEAR_FLOOR_LEVELS else 0
        if at_floor >= explosion_steps:
            traj.event, traj.event_time = "explosion", t
            traj.exploding_cluster = tracker.cluster_of_closest_pair(x)
            break
        aligned = top - ((q & -q).bit_length() - 1) if q else 0  # coarsest level on this time's grid
        level = max(level, aligned)
        span = 2 ** (top - level)
        x = stepper.step(x, t, h / 2**level, noise.increment(base, level, q // span), coef)
        steps += 1
        min_level = max(min_level, level)
        q += span
        if q == 2**top:
            base, q = base + 1, 0
        t = (base + q / 2**top) * h
        if not np.all(np.isfinite(x)):
            traj.event, traj.event_time = "nonfinite", t
            break
        coef = stepper.coefficients(x, t)
        max_drift = coef.max_drift()
        tree = cKDTree(x)
        largest = tracker.observe(x, t, tree)
        if stop_at_cluster is not None and largest >= stop_at_cluster:
            traj.event, traj.event_time = "cluster", t
            break
        if q == 0:
            if base in save_at:
                traj.record(save_at[base], x, max_drift, largest)
            if progress is not None:
                progress(t)
    traj.steps, traj.min_step = steps, h / 2**min_level
    traj.cluster_first_time = tracker.first_time
    return traj


def _tamed(coef: Coefficients, max_speed: float) -> Coefficients:
    """The drifts scaled down to |b_i| ≤ max_speed."""
    speed = np.sqrt(np.einsum("ij,ij->i", coef.drift, coef.drift))
    scale = np.minimum(1.0, max_speed / np.maximum(speed, np.finfo(float).tiny))
    return Coefficients(coef.drift * scale[:, None], coef.noise)
