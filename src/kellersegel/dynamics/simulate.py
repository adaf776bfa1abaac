"""Fixed-step simulation of a particle system with saves, diagnostics and stopping events."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.clusters import ClusterTracker
from kellersegel.dynamics.diagnostics import center_of_mass, min_pair_distance, second_moment
from kellersegel.dynamics.euler_maruyama import EulerMaruyama
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["EVENTS", "Trajectory", "simulate"]

#: Events that stop a run: none, a non-finite position or drift, an explosion, a cluster of the
#: requested size (adaptive runs with ``stop_at_cluster``).
EVENTS = ("none", "nonfinite", "explosion", "cluster")


@dataclass
class Trajectory:
    """One run at the save times (NaN after a stopping event).

    Attributes
    ----------
    times : (T,)
    positions : (T, n_saved, 2)
        The first ``n_saved`` particles (an i.i.d. subsample, since particles are exchangeable).
    second_moment : (T,)
        (1/N) Σ|X_i|².
    center_of_mass : (T, 2)
    min_distance : (T,)
        min_{i≠j} |X_i − X_j|.
    max_drift : (T,)
        max_i |b_i| at the saved state.
    event : str
        One of :data:`EVENTS`.
    event_time : float
        Time of the state at which the event was detected (NaN if none).
    largest_cluster : (T,), optional
        Size of the largest cluster (linking distance r) at the save times, when tracked.
    cluster_first_time : (N + 1,), optional
        First time a cluster of ≥ k particles was seen, at every step (NaN: never), when tracked.
    steps : int
        Steps taken.
    min_step : float
        Smallest step taken.
    floor_time : float
        Adaptive steps: first time the step floor was hit (NaN: never).
    exploding_cluster : int
        Adaptive steps: size of the cluster holding the closest pair at an explosion (0: none).
    collapses : int
        Adaptive steps: collapses to the step floor (each one left again, or the explosion).
    collapse_durations : list of float
        Adaptive steps: how long each collapse that was left again lasted.
    """

    times: NDArray[np.float64]
    positions: NDArray[np.float64]
    second_moment: NDArray[np.float64]
    center_of_mass: NDArray[np.float64]
    min_distance: NDArray[np.float64]
    max_drift: NDArray[np.float64]
    event: str = "none"
    event_time: float = math.nan
    largest_cluster: NDArray[np.float64] | None = None
    cluster_first_time: NDArray[np.float64] | None = None
    steps: int = 0
    min_step: float = math.nan
    floor_time: float = math.nan
    exploding_cluster: int = 0
    collapses: int = 0
    collapse_durations: list[float] = field(default_factory=list)

    @classmethod
    def empty(
        cls, times: NDArray[np.float64], n: int, save_particles: int | None = None, clusters: bool = False
    ) -> Trajectory:
        """NaN arrays for N = n particles, of which ``save_particles`` (None or 0: all) are saved."""
        t = len(times)
        n_saved = n if not save_particles else min(int(save_particles), n)
        return cls(
            largest_cluster=np.full(t, np.nan) if clusters else None,
            times=np.asarray(times, dtype=np.float64),
            positions=np.full((t, n_saved, 2), np.nan),
            second_moment=np.full(t, np.nan),
            center_of_mass=np.full((t, 2), np.nan),
            min_distance=np.full(t, np.nan),
            max_drift=np.full(t, np.nan),
        )

    def record(
        self, k: int, x: NDArray[np.float64], max_drift: float, largest_cluster: int | None = None
    ) -> None:
        if largest_cluster is not None and self.largest_cluster is not None:
            self.largest_cluster[k] = largest_cluster
        self.positions[k] = x[: self.positions.shape[1]]
        self.second_moment[k] = second_moment(x)
        self.center_of_mass[k] = center_of_mass(x)
        self.min_distance[k] = min_pair_distance(x)
        self.max_drift[k] = max_drift


def simulate(
    stepper: EulerMaruyama,
    x0: NDArray[np.float64],
    grid: TimeGrid,
    rng: np.random.Generator,
    *,
    save_particles: int | None = None,
    max_drift_fraction: float = 0.5,
    cluster_radius: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> Trajectory:
    """Euler–Maruyama from x0 over ``grid`` with increments ΔW = √Δt · rng.standard_normal((N, 2)).

    The run stops with an event when a position or a drift is not finite ("nonfinite"), or when
    one step's largest drift displacement max_i |b_i| Δt exceeds ``max_drift_fraction`` times the
    cloud's RMS radius ("explosion": the Euler step no longer resolves the dynamics, as when a
    cluster collapses). Data up to the last save before the event are kept.

    Parameters
    ----------
    stepper : EulerMaruyama
    x0 : array, shape (N, 2)
    grid : TimeGrid
    rng : numpy.random.Generator
        The only source of randomness after x0.
    save_particles : int, optional
        Number of particles whose positions are saved (default: all).
    max_drift_fraction : float
        Explosion threshold, see above.
    cluster_radius : float, optional
        Track clusters with this linking distance (:class:`ClusterTracker`) at every step.
    progress : callable, optional
        Called with the number of steps done so far (every step).
    """
    x = np.array(x0, dtype=np.float64)
    n = x.shape[0]
    traj = Trajectory.empty(grid.save_times, n, save_particles, clusters=cluster_radius is not None)
    tracker = None if cluster_radius is None else ClusterTracker(n, cluster_radius)
    save_at = {int(s): k for k, s in enumerate(grid.save_steps)}
    sqrt_dt = math.sqrt(grid.dt)

    def detect(x: NDArray[np.float64], coef, step: int) -> str:
        if not np.all(np.isfinite(x)):
            return "nonfinite"
        if coef is None:
            return "none"
        max_drift = coef.max_drift()
        largest = None if tracker is None else tracker.observe(x, step * grid.dt)
        if step in save_at:
            traj.record(save_at[step], x, max_drift, largest)
        if not math.isfinite(max_drift):
            return "nonfinite"
        radius = math.sqrt(max(second_moment(x) - float(np.sum(center_of_mass(x) ** 2)), 0.0))
        if max_drift * grid.dt > max_drift_fraction * radius:
            return "explosion"
        return "none"

    coef = stepper.coefficients(x, 0.0)
    event = detect(x, coef, 0)
    step = 0
    while event == "none" and step < grid.n_steps:
        t = step * grid.dt
        dw = sqrt_dt * rng.standard_normal((n, 2))
        x = stepper.step(x, t, grid.dt, dw, coef)
        step += 1
        coef = stepper.coefficients(x, step * grid.dt) if np.all(np.isfinite(x)) else None
        event = detect(x, coef, step)
        if progress is not None:
            progress(step)
    if event != "none":
        traj.event, traj.event_time = event, step * grid.dt
    traj.steps, traj.min_step = step, grid.dt
    if tracker is not None:
        traj.cluster_first_time = tracker.first_time
    return traj
