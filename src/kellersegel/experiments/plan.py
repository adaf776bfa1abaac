"""A run plan: everything a configuration implies, built and checked before anything is written.

The schema checks each field and the combinations that need no computation. The plan builds
what needs one: the scale ε(N) of the scaling law and the kernel with it, the engine that
``auto`` picks for that kernel and N, the memory field for θ > 0, the initial data (files read),
and a dry run of the engine's lattice on the initial points of replica 0 (spectral engines). A
configuration that fails here raises :class:`PlanError`, one line that names the key.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kellersegel.config.load import ConfigError
from kellersegel.config.schema import RunConfig
from kellersegel.dynamics import (
    EulerMaruyama,
    ExactHistorySignal,
    GivenSignal,
    SignalField,
    SplitMemorySignal,
    TimeGrid,
)
from kellersegel.dynamics.adaptive import CollisionStepController, adaptive_integration
from kellersegel.dynamics.coupling import coupled_integration
from kellersegel.dynamics.integrate import Integration, Observer
from kellersegel.dynamics.pair_interactions import PairInteractions
from kellersegel.dynamics.trajectory import fixed_step_integration
from kellersegel.experiments.build import (
    build_initial,
    build_kernel,
    build_model,
    build_signal,
    build_time_grid,
)
from kellersegel.fields import ENGINES, choose_engine
from kellersegel.fields.base import EngineError
from kellersegel.fields.costs import engine_costs
from kellersegel.initial import InitialData
from kellersegel.kernels import ExactKernel, InteractionKernel, make_scaling
from kellersegel.kernels.memory import SlabKernel
from kellersegel.models import ClassicalModel, KellerSegelModel
from kellersegel.pde import MeanFieldSolution

__all__ = ["PlanError", "RunPlan", "plan_run", "replica_rng"]


def replica_rng(seed: int, replicas: int, k: int) -> np.random.Generator:
    """The generator of replica k out of ``replicas`` with root seed ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(replicas)[k])


class PlanError(ConfigError):
    """A configuration whose fields are valid but which cannot run as a whole."""


@dataclass(frozen=True)
class RunPlan:
    """The objects a configuration implies, checked together.

    Attributes
    ----------
    config : RunConfig
        The validated configuration.
    model, initial, kernel, time_grid
        The model, the initial law, the interaction kernel at ε = ε(N), the time grid.
    engine : str
        The field engine for θ = 0 after ``auto`` (``direct``, ``numpy``, ``fmm``, ``spectral``),
        or the memory field for θ > 0 (``exact-history``, ``split-memory`` or ``spectral-memory``).
    tolerance : float
        The engine's requested relative accuracy (NaN: exact sums, as ``direct``).
    include_self : bool
        Whether a particle's own mass (own past, θ > 0) acts on it, as the signal field built.
    engine_costs : str
        What chose the engine: ``configured``, or for ``auto`` at θ = 0 the cost constants used
        (``built-in`` or ``calibrated DATE``, :mod:`kellersegel.fields.costs`).
    dry_run : dict
        What the dry run on replica 0's initial points measured (``lattice_modes`` of a
        spectral field).
    """

    config: RunConfig
    model: KellerSegelModel
    initial: InitialData
    kernel: InteractionKernel
    engine: str
    time_grid: TimeGrid
    tolerance: float = math.nan
    include_self: bool = False
    dry_run: dict[str, int] = field(default_factory=dict)
    engine_costs: str = "configured"

    def stepper(self) -> EulerMaruyama:
        """The particle system: the model with a new signal field of the planned kind."""
        engine = self.engine if self.model.theta == 0 else None  # auto resolved once, in the plan
        return EulerMaruyama(self.model, build_signal(self.config, self.model, self.kernel, engine))

    def collision_dimension(self) -> Callable[[int], float] | None:
        """k ↦ δ_k of the model's k-clusters when the theory gives it (classical model, exact
        kernel, θ = 0), else None: what decides an explosion (``dynamics.adaptive.CollisionSteps``).
        With θ > 0 the pair feels the other's past, not a Bessel drift: no dimension is known."""
        if not (isinstance(self.kernel, ExactKernel) and isinstance(self.model, ClassicalModel)):
            return None
        if self.model.theta > 0:
            return None
        return functools.partial(self.model.collision_dimension, n=self.config.particles.n)

    def mean_field_stepper(self, solution: MeanFieldSolution) -> EulerMaruyama:
        """The McKean–Vlasov dynamics: the model's drift and noise with c, ∇c of the limit."""
        return EulerMaruyama(
            self.model,
            GivenSignal(solution.signal_gradient, solution.signal),
        )

    def integration(
        self,
        k: int,
        mean_field: MeanFieldSolution | None = None,
        mollified: MeanFieldSolution | None = None,
        observers: tuple[Observer, ...] = (),
    ) -> Integration:
        """Replica k as one :func:`~kellersegel.dynamics.integrate.integrate` call.

        Everything random comes from replica k's generator (:func:`replica_rng`): first the N
        initial points, then the noise: one (N, 2) normal array per step (fixed steps) or one
        integer, the key of the refinable Brownian path (adaptive steps). With ``mean_field``
        (a PDE solution): the particles and their McKean–Vlasov copies stacked on the same
        increments, with the copies of the ``mollified`` limit when given, the coupling errors
        and stopping times of ``[chaos]`` and further ``observers`` (fixed steps).
        """
        c, grid = self.config, self.time_grid
        rng = replica_rng(c.run.seed, c.run.replicas, k)
        x0 = self.initial.sample(c.particles.n, rng)
        if mean_field is not None:
            chaos = c.chaos
            return coupled_integration(
                self.stepper(),
                self.mean_field_stepper(mean_field),
                x0,
                grid,
                rng,
                mollified_mean_field=None if mollified is None else self.mean_field_stepper(mollified),
                p=chaos.p,
                alpha=chaos.alpha,
                beta_collision=tuple(chaos.beta_collision),
                distance_constant=chaos.distance_constant,
                observers=observers,
            )
        saved = c.run.save_particles or None
        if c.time.adaptive:
            t = c.time
            integration = adaptive_integration(
                self.stepper(),
                x0,
                grid,
                int(rng.integers(2**63)),
                CollisionStepController(t.distance_fraction, t.drift_fraction, t.max_level()),
                cluster_radius=c.clusters.radius,
                explosion_window=t.explosion_window,
                dimension=self.collision_dimension(),
                stop_at_cluster=c.clusters.stop_at,
                save_particles=saved,
            )
        else:
            integration = fixed_step_integration(
                self.stepper(),
                x0,
                grid,
                rng,
                save_particles=saved,
                max_drift_fraction=c.time.max_drift_fraction,
                cluster_radius=c.clusters.radius,
            )
        if c.pairs.tracked:
            kernel = SlabKernel(self.model.theta, self.model.lam, self.kernel.epsilon)
            integration.observers.append(PairInteractions(kernel, c.pairs.tracked, c.pairs.gammas))
        return integration

    def attributes(self) -> dict[str, str | float | int]:
        """What the run actually uses, as dataset attributes (strings and numbers)."""
        m, k = self.model, self.kernel
        attrs: dict[str, str | float | int] = {
            "n_particles": self.config.particles.n,
            "model": self.config.model.name,
            "chi": float(getattr(m, "chi", math.nan)),
            "lam": m.lam,
            "theta": m.theta,
            "mass": m.mass,
            "kernel": k.name,
            "epsilon": k.epsilon if k.epsilon is not None else math.nan,
            "engine": self.engine,
            "engine_costs": self.engine_costs,
            "engine_tolerance": self.tolerance,
            "lattice_modes": int(self.dry_run.get("lattice_modes", 0)),
            "include_self": int(self.include_self),
        }
        return attrs


def _epsilon_key(config: RunConfig) -> str:
    p = config.particles
    law = make_scaling(p.epsilon, p.eps0, p.beta)
    return f"particles.eps0: ε(N = {p.n}) = {law.epsilon(p.n):.6g} ({p.epsilon} scaling)"


def plan_run(config: RunConfig) -> RunPlan:
    """Build and check everything ``config`` implies; raise :class:`PlanError` naming the key."""
    p = config.particles
    model = build_model(config)
    initial = build_initial(config)
    try:
        kernel = build_kernel(config)
    except ValueError as err:
        raise PlanError(f"{_epsilon_key(config)} with model.lam = {config.model.lam:g}: {err}") from None
    costs = "configured"
    if model.theta == 0:
        engine = p.engine
        if engine == "auto":
            constants = engine_costs()
            engine, costs = choose_engine(kernel, p.n, constants), constants.source
        reason = ENGINES[engine].unsupported_reason(kernel)
        if reason:
            raise PlanError(f"particles.engine: {engine!r} cannot do the {p.kernel} kernel: {reason}")
        signal = build_signal(config, model, kernel, engine)
    else:
        try:
            signal = build_signal(config, model, kernel)
        except ValueError as err:
            text = str(err)
            raise PlanError(
                text if text.startswith("initial_signal") else f"particles.kernel: {text}"
            ) from None
        engine = {ExactHistorySignal: "exact-history", SplitMemorySignal: "split-memory"}.get(
            type(signal), "spectral-memory"
        )
    measured = {}
    if engine in ("spectral", "spectral-memory", "split-memory"):  # sized by the points
        x0 = initial.sample(p.n, replica_rng(config.run.seed, config.run.replicas, 0))
        measured = _dry_run(signal, x0, engine)
    tolerance = getattr(getattr(signal, "engine", signal), "tolerance", math.nan)
    grid = build_time_grid(config)
    return RunPlan(
        config, model, initial, kernel, engine, grid, tolerance, signal.include_self, measured, costs
    )


def _dry_run(signal: SignalField, x0, engine: str) -> dict[str, int]:
    """Size the engine's lattice for the initial points (spectral engines refuse huge lattices)."""
    try:
        return signal.check(x0)
    except EngineError as err:
        key = {"spectral": "particles.engine", "split-memory": "model.theta"}.get(engine, "particles.eps0")
        raise PlanError(f"{key}: {err}") from None
