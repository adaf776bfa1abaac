"""From a validated configuration to the objects of a run: model, initial data, kernel, stepper."""

from __future__ import annotations

from kellersegel.config.schema import FunctionConfig, ModelConfig, RunConfig
from kellersegel.dynamics import EllipticSignal, SignalField, TimeGrid
from kellersegel.dynamics.memory import ExactHistorySignal, SpectralMemorySignal
from kellersegel.dynamics.split_memory import SplitMemorySignal
from kellersegel.fields import choose_engine, make_engine
from kellersegel.initial import GaussianMixtureC0, InitialData, UniformDiskC0
from kellersegel.kernels import InteractionKernel, make_kernel, make_scaling
from kellersegel.kernels.memory import SlabKernel
from kellersegel.models import KellerSegelModel, make_function

__all__ = [
    "build_initial",
    "build_initial_signal",
    "build_kernel",
    "build_model",
    "build_signal",
    "build_time_grid",
]


def build_model(config: RunConfig) -> KellerSegelModel:
    """The registered model ``[model] name`` with its own parameters (functions of the signal
    built from their tables) and λ, M, θ."""
    m = config.model
    _, own = ModelConfig.parameters(m.name)
    kwargs = {"lam": m.lam, "mass": m.mass, "theta": m.theta}
    for key in own:
        value = getattr(m, key)
        if isinstance(value, FunctionConfig):
            value = make_function(value.kind, **value.parameters())
        kwargs[key] = value
    return KellerSegelModel.named(m.name)(**kwargs)


def build_initial(config: RunConfig) -> InitialData:
    """The registered law ``[initial] kind``, from the section's other keys."""
    init = config.initial
    return InitialData.named(init.kind)(**init.model_dump(exclude={"kind"}))


def build_kernel(config: RunConfig) -> InteractionKernel:
    """The interaction kernel, with ε = ε(N) from the scaling law for non-exact kernels."""
    p = config.particles
    if not InteractionKernel.named(p.kernel).takes_epsilon:
        return make_kernel(p.kernel, config.model.lam)
    epsilon = make_scaling(p.epsilon, p.eps0, p.beta).epsilon(p.n)
    return make_kernel(p.kernel, config.model.lam, epsilon)


def build_time_grid(config: RunConfig) -> TimeGrid:
    return TimeGrid(config.time.t_end, config.time.dt, config.time.save_every)


def build_initial_signal(config: RunConfig) -> GaussianMixtureC0 | UniformDiskC0 | None:
    """c0 for θ > 0 (None: zero)."""
    s = config.initial_signal
    if s.kind == "zero":
        return None
    if s.kind == "disk":
        return UniformDiskC0(s.mass, s.radius, s.center)
    if s.kind == "gaussian":
        return GaussianMixtureC0(s.mass, [s.center], s.variance)
    return GaussianMixtureC0(s.mass, s.centers, s.variances, s.weights)


def build_signal(
    config: RunConfig,
    model: KellerSegelModel,
    kernel: InteractionKernel | None = None,
    engine: str | None = None,
) -> SignalField:
    """θ = 0: the elliptic field of the chosen engine. θ > 0: the exact-history field ('direct'), the
    split field ('split'; 'auto' for the exact kernel) or the spectral field ('spectral'; 'auto'
    when mollified).
    ``kernel``: the one :func:`build_kernel` gives, when already built; ``engine``: the θ = 0
    engine already chosen for ``auto`` (the run plan's)."""
    p = config.particles
    kernel = build_kernel(config) if kernel is None else kernel
    if model.theta == 0:
        name = engine or (choose_engine(kernel, p.n) if p.engine == "auto" else p.engine)
        threads = {"threads": p.threads} if name == "spectral" else {}
        return EllipticSignal(make_engine(name, kernel, p.n, **threads), model.mass)
    epsilon = kernel.epsilon
    kernel = SlabKernel(model.theta, model.lam, epsilon)
    c0 = build_initial_signal(config)
    engine = p.engine if p.engine != "auto" else ("split" if epsilon is None else "spectral")
    accuracy = {} if p.tolerance is None else {"tolerance": p.tolerance}
    if engine == "direct":
        return ExactHistorySignal(kernel, model.mass, include_self=bool(p.include_self), initial_signal=c0)
    if engine == "split":
        own = bool(p.include_self)
        return SplitMemorySignal(
            kernel, model.mass, horizon=config.time.t_end, step=config.time.dt, include_self=own,
            initial_signal=c0, **accuracy,
        )  # fmt: skip
    return SpectralMemorySignal(
        kernel, model.mass, horizon=config.time.t_end, initial_signal=c0, threads=p.threads, **accuracy
    )
