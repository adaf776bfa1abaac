"""Observers and events of :func:`~kellersegel.dynamics.integrate.integrate`.

Observers record a run at the save times (positions, moments, distances) or at every step
(clusters; the coupling errors and stopping times are in :mod:`kellersegel.dynamics.coupling`);
events stop it (a drift explosion, a cluster of a given size). All read system 0 (the particles).
"""

from __future__ import annotations

import math

import numpy as np

from kellersegel.dynamics.clusters import ClusterTracker
from kellersegel.dynamics.diagnostics import center_of_mass, second_moment
from kellersegel.dynamics.integrate import Event, Observer, State
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["ClusterSize", "Clusters", "DriftExplosion", "SavedStates"]


class SavedStates(Observer):
    """At the save times: positions of the first ``save_particles`` particles (all by default; an
    i.i.d. subsample, since particles are exchangeable), (1/N) Σ|X_i|², the centre of mass,
    min_{i≠j}|X_i − X_j| and max_i |b_i|."""

    def __init__(self, save_particles: int | None = None) -> None:
        self.save_particles = save_particles

    def start(self, grid: TimeGrid, n: int) -> None:
        t = len(grid.save_times)
        kept = n if not self.save_particles else min(int(self.save_particles), n)
        self.data = {
            "positions": np.full((t, kept, 2), np.nan),
            "second_moment": np.full(t, np.nan),
            "center_of_mass": np.full((t, 2), np.nan),
            "min_distance": np.full(t, np.nan),
            "max_drift": np.full(t, np.nan),
        }

    def save(self, k: int, state: State) -> None:
        x, d = state.x[0], self.data
        d["positions"][k] = x[: d["positions"].shape[1]]
        d["second_moment"][k] = second_moment(x)
        d["center_of_mass"][k] = center_of_mass(x)
        d["min_distance"][k] = state.min_distance()
        d["max_drift"][k] = state.max_drift()

    def result(self):
        return self.data


class Clusters(Observer):
    """Clusters at linking distance r (:class:`ClusterTracker`) at every step: the largest at the
    save times and the first time a cluster of ≥ k particles was seen."""

    def __init__(self, radius: float) -> None:
        self.radius = float(radius)

    def start(self, grid: TimeGrid, n: int) -> None:
        self.tracker = ClusterTracker(n, self.radius)
        self.largest_cluster = np.full(len(grid.save_times), np.nan)

    def step(self, state: State) -> None:
        self.largest = self.tracker.observe(state.x[0], state.t, state.close_pairs(self.radius))

    def save(self, k: int, state: State) -> None:
        self.largest_cluster[k] = self.largest

    def result(self):
        return {"largest_cluster": self.largest_cluster, "cluster_first_time": self.tracker.first_time}


class DriftExplosion(Event):
    """max_i |b_i| Δt > ``fraction`` × max(the centred RMS radius of the cloud, 2√Δt): the Euler
    step no longer resolves the dynamics (as when a cluster collapses). 2√Δt, the RMS length of a
    unit Brownian step in the plane, keeps a cloud that starts at one point (radius 0, drift at
    round-off) from counting as exploded."""

    name = "explosion"

    def __init__(self, fraction: float, dt: float) -> None:
        self.fraction, self.dt = fraction, dt

    def check(self, state: State) -> float | None:
        x = state.x[0]
        radius = math.sqrt(max(second_moment(x) - float(np.sum(center_of_mass(x) ** 2)), 0.0))
        scale = max(radius, 2.0 * math.sqrt(self.dt))
        return state.t if state.max_drift() * self.dt > self.fraction * scale else None


class ClusterSize(Event):
    """A cluster of at least ``size`` particles has formed (read from a :class:`Clusters`
    observer, which must come with it)."""

    name = "cluster"
    stage = "before_save"

    def __init__(self, size: int, clusters: Clusters) -> None:
        self.size, self.clusters = int(size), clusters

    def check(self, state: State) -> float | None:
        return state.t if self.clusters.largest >= self.size else None
