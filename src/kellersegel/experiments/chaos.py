"""Propagation of chaos, one replica: coupling with McKean–Vlasov copies and distances to the PDE.

For replica k of a configuration (the same initial points and seeds as ``kellersegel run``):
the particle system and N McKean–Vlasov copies driven by the limit's ∇c and the same noise
(:meth:`~kellersegel.experiments.plan.RunPlan.integration` with the limit); at the final time, the distances
between the particles and the PDE density ρ(T):

- ``l1``: ∫|ρ_KDE − ρ| / M, ρ_KDE the binned Gaussian KDE (bandwidth [chaos] or Scott's rule);
- ``relative_entropy``: H(ρ_KDE | ρ), both normalised;
- ``w1``, ``w2``: Wasserstein distances (POT) between the particles and ρ's grid support;
- ``second_moment_error``: |(1/N)Σ|X_i|² − ∫|x|²ρ/M|.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray

from kellersegel.analysis import (
    binned_kde,
    density_moments,
    density_support,
    l1_distance,
    relative_entropy,
    wasserstein,
)
from kellersegel.experiments.pde_run import LimitSolver, choose_pde_solver
from kellersegel.experiments.plan import RunPlan
from kellersegel.pde import Grid2D

__all__ = ["ChaosMeasurement", "limit_density", "measure_replica"]


def _metric(kind: str, long_name: str, panel: str | None = None, reference_rate: float | None = None):
    """A measured quantity: over the save times ("series") or one number ("scalar"); the report's
    panel and the rate of the i.i.d. benchmark it is drawn against (``reference_rate``)."""
    meta = {"kind": kind, "long_name": long_name, "panel": panel, "reference_rate": reference_rate}
    return field(metadata=meta)


@dataclass(frozen=True)
class ChaosMeasurement:
    """What one coupled replica measures: the sweep store's variables and the report's metrics."""

    max_error: NDArray[np.float64] = _metric("series", "max_i |X_i − X̄_i|", "coupling error", 0.5)
    power_error: NDArray[np.float64] = _metric(
        "series", "((1/N) Σ|X_i − X̄_i|^p)^{1/p}", "coupling error", 0.5
    )
    min_distance: NDArray[np.float64] = _metric("series", "min_{i≠j} |X_i − X_j|")
    stopping_time: float = _metric("scalar", "τ = inf{t : max_i |X_i − X̄_i| ≥ N^−α}")
    collision_time: float = _metric("scalar", "τ_min = inf{t : min_{i≠j} |X_i − X_j| ≤ N^−β'}")
    l1: float = _metric("scalar", "∫|ρ_KDE − ρ| / M at T", "distance to the PDE", 1 / 3)
    relative_entropy: float = _metric("scalar", "H(ρ_KDE | ρ) at T", "relative entropy, moments")
    w1: float = _metric("scalar", "W1(particles, ρ) at T", "distance to the PDE", 0.5)
    w2: float = _metric("scalar", "W2(particles, ρ) at T", "distance to the PDE", 0.5)
    second_moment_error: float = _metric(
        "scalar", "|(1/N)Σ|X_i|² − ∫|x|²ρ/M| at T", "relative entropy, moments"
    )
    transport_method: str = field(default="exact", metadata={"kind": "label"})

    @classmethod
    def names(cls, kind: str) -> tuple[str, ...]:
        """The metrics of one kind ("series" or "scalar"), in definition order."""
        return tuple(f.name for f in fields(cls) if f.metadata["kind"] == kind)

    @classmethod
    def metadata(cls, name: str) -> dict:
        return dict(next(f.metadata for f in fields(cls) if f.name == name))


def limit_density(plan: RunPlan, solution, t: float) -> tuple[Grid2D, np.ndarray]:
    """ρ(t) as cell values on a grid, by the PDE solver that made ``solution`` (:class:`LimitSolver`)."""
    return LimitSolver.named(choose_pde_solver(plan.config)).density(plan, solution, t)


def measure_replica(plan: RunPlan, k: int, solution) -> ChaosMeasurement:
    """Coupling errors (arrays over the save times) and final-time distances of replica k."""
    chaos = plan.config.chaos
    coupled = plan.integration(k, mean_field=solution).run()
    errors = coupled.observed
    mass = plan.model.mass
    cells, rho = limit_density(plan, solution, plan.time_grid.t_end)
    x = coupled.state.x[0]
    kde = binned_kde(x, cells, chaos.bandwidth, mass)
    support, weights = density_support(rho, cells, chaos.transport_points)
    w1 = wasserstein(
        x, support, p=1, y_weights=weights, method=chaos.wasserstein, projections=chaos.projections
    )
    w2 = wasserstein(
        x, support, p=2, y_weights=weights, method=chaos.wasserstein, projections=chaos.projections
    )
    m2_pde = density_moments(rho, cells)["second_moment"]
    return ChaosMeasurement(
        max_error=errors["max_error"],
        power_error=errors["power_error"],
        min_distance=errors["min_distance"],
        stopping_time=errors["stopping_time"],
        collision_time=errors["collision_time"],
        l1=l1_distance(kde, rho, cells) / mass,
        relative_entropy=relative_entropy(kde, rho, cells),
        w1=w1.value,
        w2=w2.value,
        second_moment_error=abs(float(np.mean(np.sum(x**2, axis=1))) - m2_pde),
        transport_method=w2.method,
    )
