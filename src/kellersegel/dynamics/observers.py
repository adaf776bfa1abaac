"""Observers and events of :func:`~kellersegel.dynamics.integrate.integrate`.

Observers record a run at the save times (positions, moments, distances, coupling errors) or at
every step (clusters, stopping times); events stop it (a drift explosion, a cluster of a given
size). All read system 0 (the particles) unless they say otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from kellersegel.dynamics.clusters import ClusterTracker
from kellersegel.dynamics.diagnostics import center_of_mass, second_moment
from kellersegel.dynamics.integrate import Event, Observer, State
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["ClusterSize", "Clusters", "CouplingErrors", "DriftExplosion", "SavedStates"]


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


#: the parts of the coupling error: (name prefix, system a, system b) for |X^(a) − X^(b)|; the
#: systems are 0 the particles X, 1 the limit's McKean–Vlasov copies X̄, 2 those of the
#: mollified limit X^ε (when stacked; without them X^ε = X̄)
COUPLING_PARTS = (("", 0, 1), ("fluctuation_", 0, 2), ("mollification_", 2, 1))


class CouplingErrors(Observer):
    """The particles X (system 0) coupled with the limit's copies X̄ (system 1) and, when a third
    system is stacked, the mollified limit's copies X^ε (system 2), which split the error:

        |X_i − X̄_i| ≤ |X_i − X^ε_i| (fluctuation) + |X^ε_i − X̄_i| (mollification).

    At the save times, for the total and each part: max_i |·| and the power mean
    ((1/N) Σ_i |·|^p)^{1/p}; and min_{i≠j}|X_i − X_j|. At every step the stopping times

        τ_sup = inf{t : max_i |X_i − X̄_i| ≥ N^−α},   τ_p = inf{t : power mean of X − X̄ ≥ N^−α},
        τ_min(β') = inf{t : min_{i≠j} |X_i − X_j| ≤ c N^−β'}  for each β' of ``beta_collision``,

    (∞ when not reached by the final time) and the stopped errors sup_{t ≤ T ∧ τ_min(β')} of the
    total power mean. Without a third system X^ε = X̄: the fluctuation is the total, the
    mollification 0.
    """

    def __init__(
        self,
        p: float = 2.0,
        alpha: float = 0.25,
        beta_collision: float | tuple[float, ...] = 1.0,
        distance_constant: float = 1.0,
    ) -> None:
        if not p >= 1:
            raise ValueError(f"p must be ≥ 1, got {p}")
        if not distance_constant > 0:
            raise ValueError(f"distance_constant must be > 0, got {distance_constant}")
        self.p, self.alpha = p, alpha
        self.beta_collision = np.atleast_1d(np.asarray(beta_collision, dtype=np.float64))
        self.distance_constant = float(distance_constant)

    def start(self, grid: TimeGrid, n: int) -> None:
        self.error_bound = n**-self.alpha
        self.distance_bounds = self.distance_constant * float(n) ** -self.beta_collision
        t = len(grid.save_times)
        names = [f"{part}{kind}" for part, _, _ in COUPLING_PARTS for kind in ("max_error", "power_error")]
        self.data = {name: np.full(t, np.nan) for name in (*names, "min_distance")}
        self.tau = self.tau_power = math.inf
        self.step_times: list[float] = []
        self.step_distances: list[float] = []
        self.step_power_errors: list[float] = []
        self.errors: dict[str, np.ndarray] = {}

    def _power_mean(self, error: np.ndarray) -> float:
        return float(np.mean(error**self.p) ** (1 / self.p))

    def step(self, state: State) -> None:
        x = state.x
        for part, a, b in COUPLING_PARTS:
            a, b = min(a, len(x) - 1), min(b, len(x) - 1)  # two systems: X^ε is X̄
            gap = x[a] - x[b]
            self.errors[part] = np.sqrt(np.einsum("ij,ij->i", gap, gap))
        total = self.errors[""]
        power = self._power_mean(total)
        if self.tau == math.inf and total.max() >= self.error_bound:
            self.tau = state.t
        if self.tau_power == math.inf and power >= self.error_bound:
            self.tau_power = state.t
        self.step_times.append(state.t)
        self.step_distances.append(state.min_distance())
        self.step_power_errors.append(power)

    def save(self, k: int, state: State) -> None:
        for part, error in self.errors.items():
            self.data[f"{part}max_error"][k] = error.max()
            self.data[f"{part}power_error"][k] = self._power_mean(error)
        self.data["min_distance"][k] = state.min_distance()

    def result(self):
        times = np.asarray(self.step_times)
        distances = np.asarray(self.step_distances)
        power = np.asarray(self.step_power_errors)
        collision = np.full(self.beta_collision.size, math.inf)
        stopped = np.full(self.beta_collision.size, np.nan)
        for j, bound in enumerate(self.distance_bounds):
            hit = np.flatnonzero(distances <= bound)
            last = hit[0] if hit.size else len(times) - 1  # the stopped path ends at τ_min or T
            if hit.size:
                collision[j] = times[hit[0]]
            stopped[j] = power[: last + 1].max()
        return {
            **self.data,
            "stopping_time": self.tau,
            "power_stopping_time": self.tau_power,
            "collision_time": collision,
            "stopped_error": stopped,
        }


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
