"""The trajectory of one particle run, and the fixed-step integration that records it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.euler_maruyama import EulerMaruyama
from kellersegel.dynamics.integrate import Event, GaussianIncrements, Integration, Observer, Solution
from kellersegel.dynamics.observers import Clusters, DriftExplosion, SavedStates
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["EVENTS", "Trajectory", "fixed_step_integration"]

#: The θ > 0 instruments a run may carry (PairInteractions' results)
PAIR_INSTRUMENTS = (
    "pair_interaction",
    "pair_interaction_integral",
    "pair_coulomb_integral",
    "pair_distance_power",
)

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
    undecided_cluster : int
        Adaptive steps: size of a collapsed cluster the run ended with, which lasted a window but
        was not an explosion (0: none).
    explosion_wait, cluster_dimension, cluster_dimension_error : float
        Adaptive steps: how long the decided (or undecided) collapse was followed before the
        decision, and the cluster's estimated squared Bessel dimension with its standard error.
    collapses : int
        Adaptive steps: collapses to the step floor (each one left again, or the explosion).
    collapse_durations : list of float
        Adaptive steps: how long each collapse that was left again lasted.
    pair_interaction, pair_interaction_integral, pair_coulomb_integral, pair_distance_power : optional
        θ > 0 with tracked pairs: the instruments of
        :class:`~kellersegel.dynamics.pair_interactions.PairInteractions`.
    """

    times: NDArray[np.float64]
    positions: NDArray[np.float64]
    second_moment: NDArray[np.float64]
    center_of_mass: NDArray[np.float64]
    min_distance: NDArray[np.float64]
    max_drift: NDArray[np.float64]
    event: str
    event_time: float
    steps: int
    min_step: float
    floor_time: float
    exploding_cluster: int
    collapses: int
    undecided_cluster: int = 0
    explosion_wait: float = math.nan
    cluster_dimension: float = math.nan
    cluster_dimension_error: float = math.nan
    largest_cluster: NDArray[np.float64] | None = None
    cluster_first_time: NDArray[np.float64] | None = None
    collapse_durations: list[float] = field(default_factory=list)
    pair_interaction: NDArray[np.float64] | None = None
    pair_interaction_integral: NDArray[np.float64] | None = None
    pair_coulomb_integral: NDArray[np.float64] | None = None
    pair_distance_power: NDArray[np.float64] | None = None

    @classmethod
    def from_solution(cls, solution: Solution) -> Trajectory:
        """The trajectory of system 0 from what :class:`SavedStates`, :class:`Clusters` and the
        step control observed."""
        o = solution.observed
        return cls(
            times=solution.times,
            positions=o["positions"],
            second_moment=o["second_moment"],
            center_of_mass=o["center_of_mass"],
            min_distance=o["min_distance"],
            max_drift=o["max_drift"],
            event=solution.event,
            event_time=solution.event_time,
            largest_cluster=o.get("largest_cluster"),
            cluster_first_time=o.get("cluster_first_time"),
            steps=solution.steps,
            min_step=solution.min_step,
            floor_time=o.get("floor_time", math.nan),
            exploding_cluster=o.get("exploding_cluster", 0),
            collapses=o.get("collapses", 0),
            undecided_cluster=o.get("undecided_cluster", 0),
            explosion_wait=o.get("explosion_wait", math.nan),
            cluster_dimension=o.get("cluster_dimension", math.nan),
            cluster_dimension_error=o.get("cluster_dimension_error", math.nan),
            collapse_durations=list(o.get("collapse_durations", [])),
            **{name: o.get(name) for name in PAIR_INSTRUMENTS},
        )


def fixed_step_integration(
    stepper: EulerMaruyama,
    x0: NDArray[np.float64],
    grid: TimeGrid,
    rng: np.random.Generator,
    *,
    save_particles: int | None = None,
    max_drift_fraction: float = 0.5,
    cluster_radius: float | None = None,
) -> Integration:
    """Euler–Maruyama from x0 over ``grid`` with increments ΔW = √Δt · rng.standard_normal((N, 2)),
    the saved states and a drift-explosion event: run it with ``.run()`` and read it with
    :meth:`Trajectory.from_solution`.

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
    """
    observers: list[Observer] = [SavedStates(save_particles)]
    if cluster_radius is not None:
        observers.append(Clusters(cluster_radius))
    events: list[Event] = [DriftExplosion(max_drift_fraction, grid.dt)]
    noise = GaussianIncrements(rng, x0.shape[0])
    return Integration([stepper], x0, grid, noise, observers=observers, events=events)
