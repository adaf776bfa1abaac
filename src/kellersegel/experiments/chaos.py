"""Propagation of chaos, one replica: coupling with McKean–Vlasov copies and distances to the PDE.

For replica k of a configuration (the same initial points and seeds as ``kellersegel run``):
the particle system and N McKean–Vlasov copies driven by the limit's ∇c and the same noise
(:func:`~kellersegel.dynamics.coupling.simulate_coupled`); at the final time, the distances
between the particles and the PDE density ρ(T):

- ``l1``: ∫|ρ_KDE − ρ| / M, ρ_KDE the binned Gaussian KDE (bandwidth [chaos] or Scott's rule);
- ``relative_entropy``: H(ρ_KDE | ρ), both normalised;
- ``w1``, ``w2``: Wasserstein distances (POT) between the particles and ρ's grid support;
- ``second_moment_error``: |(1/N)Σ|X_i|² − ∫|x|²ρ/M|.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kellersegel.analysis import (
    binned_kde,
    density_moments,
    density_support,
    l1_distance,
    relative_entropy,
    wasserstein,
)
from kellersegel.config.schema import RunConfig
from kellersegel.dynamics import EulerMaruyama, GivenSignal
from kellersegel.dynamics.coupling import simulate_coupled
from kellersegel.experiments.build import build_initial, build_model, build_stepper, build_time_grid
from kellersegel.experiments.replicas import replica_rng
from kellersegel.pde import Grid2D
from kellersegel.pde.radial import RadialSolution

__all__ = ["limit_density", "mean_field_stepper", "measure_replica"]


def mean_field_stepper(config: RunConfig, solution) -> EulerMaruyama:
    """The McKean–Vlasov dynamics: the model's drift and noise with c, ∇c of the PDE solution."""
    return EulerMaruyama(
        build_model(config),
        GivenSignal(lambda x, t: solution.signal_gradient(t, x), lambda x, t: solution.signal(t, x)),
    )


def limit_density(config: RunConfig, solution, t: float) -> tuple[Grid2D, np.ndarray]:
    """ρ(t) as cell values on a grid of ``chaos.grid_n``² cells (the solver's own grid if it has one)."""
    if isinstance(solution, RadialSolution):
        initial = build_initial(config)
        spread = initial.second_moment() + 4.0 * t
        grid = Grid2D(n=config.chaos.grid_n, half_width=max(4.5 * math.sqrt(spread), 1.0))
        r = np.linalg.norm(grid.points, axis=-1)
        return grid, solution.density(t, r)
    k = int(np.argmin(np.abs(solution.times - t)))
    if not abs(solution.times[k] - t) <= 1e-9 * max(1.0, t):
        raise ValueError(f"the PDE solution has no frame at t = {t}")
    return solution.grid, solution.density[k]


def measure_replica(config: RunConfig, k: int, solution) -> dict[str, Any]:
    """Coupling errors (arrays over the save times) and final-time distances of replica k."""
    chaos = config.chaos
    rng = replica_rng(config.run.seed, config.run.replicas, k)
    grid = build_time_grid(config)
    x0 = build_initial(config).sample(config.particles.n, rng)
    coupled = simulate_coupled(
        build_stepper(config),
        mean_field_stepper(config, solution),
        x0,
        grid,
        rng,
        p=chaos.p,
        alpha=chaos.alpha,
        beta_collision=chaos.beta_collision,
    )
    mass = build_model(config).mass
    cells, rho = limit_density(config, solution, grid.t_end)
    x = coupled.particles
    kde = binned_kde(x, cells, chaos.bandwidth, mass)
    support, weights = density_support(rho, cells, chaos.transport_points)
    w1 = wasserstein(
        x, support, p=1, y_weights=weights, method=chaos.wasserstein, projections=chaos.projections
    )
    w2 = wasserstein(
        x, support, p=2, y_weights=weights, method=chaos.wasserstein, projections=chaos.projections
    )
    m2_pde = density_moments(rho, cells)["second_moment"]
    return {
        "max_error": coupled.max_error,
        "power_error": coupled.power_error,
        "min_distance": coupled.min_distance,
        "stopping_time": coupled.stopping_time,
        "collision_time": coupled.collision_time,
        "l1": l1_distance(kde, rho, cells) / mass,
        "relative_entropy": relative_entropy(kde, rho, cells),
        "w1": w1.value,
        "w2": w2.value,
        "transport_method": w2.method,
        "second_moment_error": abs(float(np.mean(np.sum(x**2, axis=1))) - m2_pde),
    }
