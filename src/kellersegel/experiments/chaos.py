"""Propagation of chaos, one replica: three coupled systems and distances to the PDE.

For replica k of a configuration (the same initial points and seeds as ``kellersegel run``):
the particle system X, the McKean–Vlasov copies X̄ driven by the limit's ∇c and, for a mollified
kernel (θ = 0), the copies X^ε of the mollified limit (signal K_ε * ρ^ε), all on the same noise
(:meth:`~kellersegel.experiments.plan.RunPlan.integration`). The error splits as

    |X_i − X̄_i| ≤ |X_i − X^ε_i| (fluctuation: N and ε) + |X^ε_i − X̄_i| (mollification: ε only).

Measured (:class:`ChaosMeasurement`): the errors of the total and of both parts over the save
times, the stopping times τ_sup, τ_p, τ_min(β') and the stopped errors; at every save time the
distances of the particles' KDE to ρ(t):

- ``l1``: ∫|ρ_KDE − ρ| / M, ρ_KDE the binned Gaussian KDE (bandwidth [chaos] or Scott's rule);
- ``relative_entropy``: H(ρ_KDE | ρ), both normalised, and ``ckp_bound`` = √(2H), the L1 bound
  of Csiszár–Kullback–Pinsker ‖f − g‖₁ ≤ √(2 H(f | g)), to hold against ``l1``;

and at the final time ``w1``, ``w2`` (POT, against ρ's grid support) and the second-moment error.
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
    wasserstein_distances,
)
from kellersegel.config.load import ConfigError
from kellersegel.config.schema import RunConfig
from kellersegel.dynamics.observers import SavedStates
from kellersegel.experiments.pde_run import LimitSolver, choose_pde_solver
from kellersegel.experiments.plan import RunPlan
from kellersegel.kernels import InteractionKernel
from kellersegel.pde import Grid2D

__all__ = ["ChaosMeasurement", "coupling_config", "limit_density", "measure_replica"]

#: the dimension of the measurements taken once per minimal-distance exponent β'
THRESHOLD_DIM = "beta_collision"


def _metric(
    kind: str,
    long_name: str,
    panel: str | None = None,
    reference_rate: float | None = None,
    fit: bool | None = None,
):
    """A measured quantity: over the save times ("series"), one number ("scalar") or one per β'
    ("threshold"); the report's panel, the rate of the i.i.d. benchmark it is drawn against
    (``reference_rate``) and whether a rate in N is fitted (default: when it has a panel)."""
    meta = {
        "kind": kind,
        "long_name": long_name,
        "panel": panel,
        "reference_rate": reference_rate,
        "fit": panel is not None if fit is None else fit,
    }
    return field(metadata=meta)


TOTAL, FLUCTUATION, MOLLIFICATION = (
    "total |X − X̄|",
    "fluctuation |X − X^ε|",
    "mollification |X^ε − X̄|",
)


@dataclass(frozen=True)
class ChaosMeasurement:
    """What one coupled replica measures: the sweep store's variables and the report's metrics."""

    power_error: NDArray[np.float64] = _metric("series", "((1/N) Σ|X_i − X̄_i|^p)^{1/p}", TOTAL, 0.5)
    fluctuation_power_error: NDArray[np.float64] = _metric(
        "series", "((1/N) Σ|X_i − X^ε_i|^p)^{1/p}", FLUCTUATION, 0.5
    )
    mollification_power_error: NDArray[np.float64] = _metric(
        "series", "((1/N) Σ|X^ε_i − X̄_i|^p)^{1/p}", MOLLIFICATION
    )
    max_error: NDArray[np.float64] = _metric("series", "max_i |X_i − X̄_i|", "max over i", 0.5)
    fluctuation_max_error: NDArray[np.float64] = _metric("series", "max_i |X_i − X^ε_i|", fit=True)
    mollification_max_error: NDArray[np.float64] = _metric("series", "max_i |X^ε_i − X̄_i|", fit=True)
    min_distance: NDArray[np.float64] = _metric("series", "min_{i≠j} |X_i − X_j|")
    l1: NDArray[np.float64] = _metric("series", "∫|ρ_KDE − ρ| / M", "distance to the PDE", 1 / 3)
    ckp_bound: NDArray[np.float64] = _metric(
        "series", "√(2 H(ρ_KDE | ρ)), Csiszár–Kullback–Pinsker bound on the L1", "distance to the PDE"
    )
    relative_entropy: NDArray[np.float64] = _metric("series", "H(ρ_KDE | ρ)", "relative entropy, moments")
    stopping_time: float = _metric("scalar", "τ_sup = inf{t : max_i |X_i − X̄_i| ≥ N^−α}")
    power_stopping_time: float = _metric("scalar", "τ_p = inf{t : ((1/N) Σ|X_i − X̄_i|^p)^{1/p} ≥ N^−α}")
    w1: float = _metric("scalar", "W1(particles, ρ) at T", "distance to the PDE", 0.5)
    w2: float = _metric("scalar", "W2(particles, ρ) at T", "distance to the PDE", 0.5)
    second_moment_error: float = _metric(
        "scalar", "|(1/N)Σ|X_i|² − ∫|x|²ρ/M| at T", "relative entropy, moments"
    )
    collision_time: NDArray[np.float64] = _metric(
        "threshold", "τ_min = inf{t : min_{i≠j} |X_i − X_j| ≤ c N^−β'}"
    )
    stopped_error: NDArray[np.float64] = _metric(
        "threshold", "sup_{t ≤ T ∧ τ_min} ((1/N) Σ|X_i − X̄_i|^p)^{1/p}", fit=True
    )
    transport_method: str = field(default="exact", metadata={"kind": "label"})

    @classmethod
    def names(cls, kind: str) -> tuple[str, ...]:
        """The metrics of one kind ("series", "scalar" or "threshold"), in definition order."""
        return tuple(f.name for f in fields(cls) if f.metadata["kind"] == kind)

    @classmethod
    def metadata(cls, name: str) -> dict:
        return dict(next(f.metadata for f in fields(cls) if f.name == name))


#: the coupling parts that need the mollified limit's copies
PARTS = tuple(n for n in ChaosMeasurement.names("series") if n.startswith(("fluctuation_", "mollification_")))


def coupling_config(config: RunConfig) -> RunConfig:
    """The configuration a coupled replica runs: where the mollified limit is built (a kernel with
    a scale ε, θ = 0), the limit too is solved by the grid solver (``[pde] solver = "auto"``
    becomes ``"grid"``), so that X̄ and X^ε come from one scheme on one grid and its error cancels
    in the mollification part |X^ε − X̄| (the radial solver has no mollified form); a ``radial``
    named there is a :class:`ConfigError`."""
    kernel = InteractionKernel.named(config.particles.kernel)
    if kernel.singular or config.model.theta > 0 or config.pde.solver == "grid":
        return config
    if config.pde.solver == "radial":
        raise ConfigError(
            "pde.solver: 'radial' has no mollified form; the split of the coupling error needs the "
            "limit and the mollified limit from one solver: use 'grid' (or 'auto')"
        )
    return config.model_copy(update={"pde": config.pde.model_copy(update={"solver": "grid"})})


def limit_density(plan: RunPlan, solution, t: float) -> tuple[Grid2D, np.ndarray]:
    """ρ(t) as cell values on a grid, by the PDE solver that made ``solution`` (:class:`LimitSolver`)."""
    return LimitSolver.named(choose_pde_solver(plan.config)).density(plan, solution, t)


def measure_replica(plan: RunPlan, k: int, solution, mollified=None) -> ChaosMeasurement:
    """Coupling errors (arrays over the save times), stopping times and distances of replica k.

    ``solution``: the limit (:func:`~kellersegel.experiments.pde_run.solve_limit`); ``mollified``:
    the mollified limit (:func:`~kellersegel.experiments.pde_run.solve_mollified_limit`) for a
    mollified kernel. Without it the parts of the error are NaN (not measured) where the kernel
    has a scale ε, and the fluctuation is the total (the mollification 0) for the exact kernel.
    """
    chaos, mass = plan.config.chaos, plan.model.mass
    saved = SavedStates()
    coupled = plan.integration(k, mean_field=solution, mollified=mollified, observers=(saved,)).run()
    errors = dict(coupled.observed)
    if mollified is None and plan.kernel.epsilon is not None:
        errors |= {name: np.full_like(errors[name], np.nan) for name in PARTS}
    times = plan.time_grid.save_times
    series = {name: np.full(len(times), np.nan) for name in ("l1", "relative_entropy", "ckp_bound")}
    for j, t in enumerate(times):
        x = errors["positions"][j]
        if not np.all(np.isfinite(x)):  # a run stopped by an event: no state there
            continue
        cells, rho = limit_density(plan, solution, float(t))
        kde = binned_kde(x, cells, chaos.bandwidth, mass)
        series["l1"][j] = l1_distance(kde, rho, cells) / mass
        series["relative_entropy"][j] = h = relative_entropy(kde, rho, cells)
        series["ckp_bound"][j] = np.sqrt(2.0 * h)
    x = coupled.state.x[0]
    cells, rho = limit_density(plan, solution, plan.time_grid.t_end)
    support, weights = density_support(rho, cells, chaos.transport_points)
    w1, w2 = wasserstein_distances(
        x, support, y_weights=weights, method=chaos.wasserstein, projections=chaos.projections
    )
    m2_pde = density_moments(rho, cells)["second_moment"]
    names = (*ChaosMeasurement.names("series"), *ChaosMeasurement.names("threshold"))
    return ChaosMeasurement(
        **{name: series[name] if name in series else errors[name] for name in names},
        stopping_time=errors["stopping_time"],
        power_stopping_time=errors["power_stopping_time"],
        w1=w1.value,
        w2=w2.value,
        second_moment_error=abs(float(np.mean(np.sum(x**2, axis=1))) - m2_pde),
        transport_method=w2.method,
    )
