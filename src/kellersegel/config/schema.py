"""The run configuration: TOML sections [model], [initial], [particles], [time], [run].

Every section rejects unknown keys and non-finite numbers; values are checked for type and range
before anything is computed or written.
"""

from __future__ import annotations

import inspect
import math
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "BumpsInitial",
    "ClustersSection",
    "DiskInitial",
    "FileInitial",
    "FunctionConfig",
    "GaussianInitial",
    "INITIAL_KINDS",
    "InitialConfig",
    "InitialSignalConfig",
    "ModelConfig",
    "PDESection",
    "ParticlesConfig",
    "PointInitial",
    "RunConfig",
    "RunSection",
    "SweepSection",
    "TimeConfig",
]

Point = Annotated[list[float], Field(min_length=2, max_length=2, description="[x, y]")]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _exact_integers(cls, data: Any) -> Any:
        """A float with an integral value (1e3, 2.0) for an integer key is that integer; strict
        types otherwise (1000.5 is refused, "3" is not a number)."""
        if not isinstance(data, dict):
            return data
        whole = {
            name: int(value)
            for name, value in data.items()
            if isinstance(value, float) and value.is_integer() and name in cls.model_fields
            and _takes_int_not_float(cls.model_fields[name].annotation)
        }  # fmt: skip
        return {**data, **whole} if whole else data


def _takes_int_not_float(annotation: Any) -> bool:
    """int, or a union with int and without float (pydantic has stripped ``Annotated``)."""
    args = typing.get_args(annotation)
    return annotation is int or (int in args and float not in args)


class FunctionConfig(Section):
    """A named function of the signal: constant (a), exponential (a, b), power (a, k), receptor (chi)."""

    kind: str = Field(description="a registered family (models.SignalFunction)")
    a: float | None = None
    b: float | None = None
    k: float | None = None
    chi: float | None = None

    @model_validator(mode="after")
    def _parameters(self) -> FunctionConfig:
        from kellersegel.models.functions import make_function

        make_function(self.kind, **self.parameters())
        return self

    def parameters(self) -> dict[str, float]:
        return {n: v for n in ("a", "b", "k", "chi") if (v := getattr(self, n)) is not None}


#: the parameters every model takes (λ, M, θ) and the model's name
COMMON = ("name", "lam", "mass", "theta")


class ModelConfig(Section):
    """[model]: classical (χ), signal-dependent (σ, [model.gamma]) or general ([model.motility],
    [model.sensitivity]); λ, θ, M for all."""

    name: Literal["classical", "signal-dependent", "general"] = "classical"
    chi: float = Field(4 * math.pi, gt=0, description="classical: chemotactic sensitivity χ")
    sigma: float = Field(0.0, ge=0, description="signal-dependent: extra linear diffusion σ")
    gamma: FunctionConfig | None = Field(None, description="signal-dependent: γ(c), D = σ + γ, S = −γ'")
    motility: FunctionConfig | None = Field(None, description="general: D(c)")
    sensitivity: FunctionConfig | None = Field(None, description="general: S(c)")
    theta: float = Field(0.0, ge=0, description="signal relaxation time θ (0: parabolic–elliptic)")
    lam: float = Field(0.0, ge=0, description="signal degradation λ (0: log kernel)")
    mass: float = Field(1.0, gt=0, description="total cell mass M")

    @model_validator(mode="after")
    def _functions(self) -> ModelConfig:
        required, own = self.parameters(self.name)
        for key in required:
            if getattr(self, key) is None:
                raise ValueError(
                    f"{key}: required for name = {self.name!r} (a [model.{key}] table with kind = ...)"
                )
        for key in type(self).model_fields:
            # compared with the default, so that a dumped and reloaded configuration stays valid
            if getattr(self, key) != type(self).model_fields[key].default and key not in (*own, *COMMON):
                raise ValueError(f"{key}: not a parameter of name = {self.name!r}")
        return self

    @staticmethod
    def parameters(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, own) parameters of the registered model ``name``, read from its constructor
        (own: all but the common λ, M, θ; required: those without a default)."""
        from kellersegel.models import KellerSegelModel

        signature = inspect.signature(KellerSegelModel.named(name)).parameters
        own = tuple(p for p in signature if p not in COMMON)
        required = tuple(p for p in own if signature[p].default is inspect.Parameter.empty)
        return required, own


class GaussianInitial(Section):
    kind: Literal["gaussian"]
    variance: float = Field(1.0, gt=0, description="variance per coordinate")
    center: Point = [0.0, 0.0]


class DiskInitial(Section):
    kind: Literal["disk"]
    radius: float = Field(1.0, gt=0)
    center: Point = [0.0, 0.0]


class BumpsInitial(Section):
    kind: Literal["bumps"]
    centers: list[Point] = Field(min_length=1)
    variances: list[Annotated[float, Field(gt=0)]] | Annotated[float, Field(gt=0)] = 1.0
    weights: list[Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _lengths(self) -> BumpsInitial:
        k = len(self.centers)
        if isinstance(self.variances, list) and len(self.variances) != k:
            raise ValueError(f"variances: give one number or {k} (one per center)")
        if self.weights is not None and (len(self.weights) != k or sum(self.weights) <= 0):
            raise ValueError(f"weights: give {k} numbers ≥ 0 (one per center) with a positive sum")
        return self


class PointInitial(Section):
    kind: Literal["point"]
    at: Point = [0.0, 0.0]


class FileInitial(Section):
    kind: Literal["file"]
    path: str = Field(description=".npy or .csv file of shape (K, 2); relative to the config file")


#: [initial] section model by its ``kind``
INITIAL_KINDS: dict[str, type[Section]] = {
    "gaussian": GaussianInitial,
    "disk": DiskInitial,
    "bumps": BumpsInitial,
    "point": PointInitial,
    "file": FileInitial,
}

InitialConfig = Annotated[
    GaussianInitial | DiskInitial | BumpsInitial | PointInitial | FileInitial,
    Field(discriminator="kind"),
]


class InitialSignalConfig(Section):
    """[initial_signal]: c0 for θ > 0 of total ``mass``: zero, a Gaussian, Gaussian bumps or a disk."""

    kind: Literal["zero", "gaussian", "bumps", "disk"] = "zero"
    mass: float = Field(1.0, ge=0, description="∫c0 dx")
    variance: float = Field(1.0, gt=0, description="gaussian: variance per coordinate")
    radius: float = Field(1.0, gt=0, description="disk: radius")
    center: Point = [0.0, 0.0]
    centers: list[Point] | None = Field(None, min_length=1, description="bumps: centres")
    variances: list[Annotated[float, Field(gt=0)]] | Annotated[float, Field(gt=0)] = 1.0
    weights: list[Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _bumps(self) -> InitialSignalConfig:
        if self.kind == "bumps":
            if self.centers is None:
                raise ValueError("centers: required for kind = 'bumps'")
            BumpsInitial(kind="bumps", centers=self.centers, variances=self.variances, weights=self.weights)
        return self


class ParticlesConfig(Section):
    """[particles]: number, interaction kernel, mollification scale law, field engine."""

    n: int = Field(10000, ge=2)
    kernel: str = Field("exact", description="a registered interaction kernel (kernels.InteractionKernel)")
    epsilon: str = Field("algebraic", description="a registered scaling law ε(N) (kernels.EpsilonScaling)")
    beta: float = Field(0.25, ge=0)
    eps0: float = Field(1.0, gt=0)
    engine: str = Field(
        "auto", description="a registered field engine (fields.ENGINES), auto, or split (θ > 0)"
    )
    tolerance: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="θ > 0: accuracy of the history-free fields (split: 1e-5, spectral: 1e-7 by default)",
    )
    threads: int = Field(
        1,
        ge=1,
        description="finufft threads of the spectral engine and the θ > 0 spectral field; 1 keeps "
        "the numbers bitwise identical whatever the machine (more threads spread the points in "
        "another order: the numbers change in the last digits, at about 1.5× the speed with 2)",
    )
    include_self: bool | None = Field(
        None,
        description="θ > 0: the particle's own past in its drift (default: direct and split leave it "
        "out, spectral keeps it)",
    )

    @field_validator("kernel")
    @classmethod
    def _registered_kernel(cls, name: str) -> str:
        from kellersegel.kernels import InteractionKernel

        InteractionKernel.named(name)
        return name

    @field_validator("epsilon")
    @classmethod
    def _registered_scaling(cls, name: str) -> str:
        from kellersegel.kernels import EpsilonScaling

        EpsilonScaling.named(name)
        return name

    @field_validator("engine")
    @classmethod
    def _registered_engine(cls, name: str) -> str:
        from kellersegel.fields import FieldEngine

        return FieldEngine.check_name(name, also=("auto", "split"))


class TimeConfig(Section):
    """[time]: Euler–Maruyama step, final time, save interval, explosion threshold, adaptive steps.

    With ``adaptive = true``, dt is the largest step and the step is
    min(dt, distance_fraction·d², drift_fraction·d/max|b|) on dyadic levels dt/2^m, down to
    ``min_dt``; a collapse at the floor is decided after every ``explosion_window`` · R²
    (R = 16 d_floor, d_floor = √(min_dt/distance_fraction)): an explosion when the cluster then
    seen has δ_k ≤ 0, else it is followed further (``kellersegel.dynamics.adaptive``). With
    θ > 0 no δ_k is known (a pair feels the other's past): the estimated-dimension rule decides.
    """

    t_end: float = Field(1.0, gt=0)
    dt: float = Field(1e-3, gt=0)
    save_every: float = Field(0.01, gt=0)
    max_drift_fraction: float = Field(
        0.5, gt=0, description="fixed steps: explosion when max|b|·dt exceeds this fraction of the RMS radius"
    )
    adaptive: bool = Field(False, description="steps that shrink near collisions")
    distance_fraction: float = Field(0.02, gt=0, description="adaptive: step ≤ this · (min distance)²")
    drift_fraction: float = Field(0.1, gt=0, description="adaptive: step ≤ this · min distance / max|b|")
    min_dt: float = Field(1e-10, gt=0, description="adaptive: floor, the smallest dt/2^m ≥ min_dt")
    explosion_window: float = Field(
        20.0, gt=0, description="adaptive: a collapse is decided after every this · (16 d_floor)²"
    )

    def max_level(self) -> int:
        """The finest dyadic level m with dt/2^m ≥ ``min_dt`` (at least 0)."""
        return max(0, math.floor(math.log2(self.dt / self.min_dt) + 1e-9))


class ClustersSection(Section):
    """[clusters]: groups of particles linked by pairs at distance ≤ radius, tracked every step."""

    radius: float | None = Field(
        None, gt=0, description="linking distance r (default: off for fixed steps, 16 d_floor adaptive)"
    )
    stop_at: int | None = Field(None, ge=2, description="adaptive: stop when a cluster this large forms")


class PairsSection(Section):
    """[pairs]: θ > 0 instruments of the theory for tracked pairs (2p, 2p+1) (dynamics.pair_interactions),
    recorded by particle runs (`kellersegel run`; the coupled runs of a chaos sweep do not)."""

    tracked: int = Field(0, ge=0, description="pairs tracked (0: none); cost per step: pairs × past steps")
    gammas: list[float] = Field([1.6, 1.75, 1.9], min_length=1, description="exponents γ ∈ (3/2, 2)")

    @field_validator("gammas")
    @classmethod
    def _in_range(cls, values: list[float]) -> list[float]:
        if not all(1.5 < g < 2.0 for g in values):
            raise ValueError(f"each γ must lie in (3/2, 2), got {values}")
        return values


class PDESection(Section):
    """[pde]: the mean-field PDE solver (`kellersegel pde`); [time] gives t_end and save_every."""

    solver: Literal["auto", "radial", "grid"] = Field(
        "auto", description="auto: radial for the classical model (θ = 0, λ = 0) on centred radial data"
    )
    n: int = Field(128, ge=8, description="grid solver: cells per side")
    half_width: float | None = Field(
        None, gt=0, description="grid solver: domain [−w, w]²; default from the data"
    )
    cfl: float = Field(0.8, gt=0, le=1, description="grid solver: fraction of the positivity step bound")
    radial_n: int = Field(2000, ge=8, description="radial solver: intervals in s = r²")
    s_max: float | None = Field(
        None, gt=0, description="radial solver: outer end in s = r²; default from the data"
    )
    blowup_density: float | None = Field(None, gt=0, description="stop when the peak density passes this")


class RunSection(Section):
    """[run]: root seed, replicas, saved particles (results do not depend on worker counts)."""

    seed: int = Field(0, ge=0)
    replicas: int = Field(1, ge=1)
    save_particles: int = Field(0, ge=0, description="positions saved for this many particles; 0: all")
    limit: bool = Field(
        False,
        description="also solve the mean-field PDE ([pde]) and compare: limit.nc, L1(KDE, ρ) at save times",
    )


class ChaosSection(Section):
    """[chaos]: propagation-of-chaos measurements of a run against the mean-field PDE.

    Coupling with McKean–Vlasov copies of the limit and of the mollified limit driven by the same
    noise (errors as power means of order p and maxima; stopping times at N^−alpha and at
    c N^−β' for each β' of ``beta_collision``), and distances between the particles and the PDE
    density on a grid of ``grid_n``² cells (over time: L1 and relative entropy of the KDE; at the
    final time: W1, W2, the second moment).
    """

    p: float = Field(2.0, ge=1, description="order of the power-mean coupling error")
    alpha: float = Field(
        0.25, description="tau_sup, tau_p: first time max_i |X_i - Xbar_i|, the power mean >= N^-alpha"
    )
    beta_collision: list[float] = Field(
        [1.0],
        min_length=1,
        description="tau_min: first time min |X_i - X_j| <= c N^-beta', one time per beta' listed",
    )
    distance_constant: float = Field(1.0, gt=0, description="c in tau_min's threshold c N^-beta'")
    bandwidth: float | None = Field(None, gt=0, description="KDE bandwidth (default: Scott's rule)")
    wasserstein: Literal["auto", "exact", "sliced"] = Field(
        "auto", description="W1/W2 solver: exact up to 1e7 cost entries, else sliced"
    )
    projections: int = Field(256, ge=1, description="directions of the sliced Wasserstein distance")
    grid_n: int = Field(256, ge=16, description="cells per axis of the density grid")
    transport_points: int = Field(4096, ge=16, description="PDE density support: at most this many cells")

    @field_validator("beta_collision", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        """One β' or a list of them."""
        return [value] if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("beta_collision")
    @classmethod
    def _distinct(cls, values: list[float]) -> list[float]:
        if len(set(values)) != len(values):
            raise ValueError(f"the exponents must differ, got {values}")
        return values


class SweepSection(Section):
    """[sweep]: the axes of the study this configuration is made for (`kellersegel sweep` without
    ``--over`` sweeps these); each as on the command line, ``section.key=v1,v2,...``."""

    over: list[str] = Field([], description="the --over axes: section.key=v1,v2,... or section={...},{...}")

    @field_validator("over")
    @classmethod
    def _axes(cls, values: list[str]) -> list[str]:
        from kellersegel.config.axes import parse_axis

        for text in values:
            parse_axis(text)
        return values


class RunConfig(Section):
    """A whole run configuration."""

    model: ModelConfig = ModelConfig()
    initial: InitialConfig = GaussianInitial(kind="gaussian")
    particles: ParticlesConfig = ParticlesConfig()
    time: TimeConfig = TimeConfig()
    run: RunSection = RunSection()
    pde: PDESection = PDESection()
    initial_signal: InitialSignalConfig = InitialSignalConfig()
    clusters: ClustersSection = ClustersSection()
    pairs: PairsSection = PairsSection()
    chaos: ChaosSection = ChaosSection()
    sweep: SweepSection = SweepSection()

    @model_validator(mode="after")
    def _consistent(self) -> RunConfig:
        # the kernel at the real ε(N) and the engine for it are checked by the run plan
        # (kellersegel.experiments.plan), which builds them
        self._check_time()
        self._check_initial()
        if self.model.theta > 0:
            self._check_memory()
        elif self.particles.engine == "split":
            raise ValueError("particles.engine: 'split' is the memory field of theta > 0")
        elif self.particles.tolerance is not None:
            raise ValueError("particles.tolerance: used by the theta > 0 fields only (split, spectral)")
        elif self.particles.threads > 1 and self.particles.engine not in ("auto", "spectral"):
            raise ValueError(
                f"particles.threads: only the spectral engine takes a thread count, not "
                f"{self.particles.engine!r} (the compiled engines use numba's threads)"
            )
        elif self.pairs.tracked:
            raise ValueError("pairs.tracked: the path-dependent pair interaction needs theta > 0")
        if 2 * self.pairs.tracked > self.particles.n:
            raise ValueError(
                f"pairs.tracked: {self.pairs.tracked} pairs need {2 * self.pairs.tracked} particles, "
                f"particles.n = {self.particles.n}"
            )
        return self

    def _check_time(self) -> None:
        """The time grid, adaptive steps and the cluster stop."""
        from kellersegel.dynamics.time_grid import TimeGrid

        try:
            TimeGrid(self.time.t_end, self.time.dt, self.time.save_every)
        except ValueError as err:
            raise ValueError(str(err)) from None
        if self.time.adaptive and self.time.min_dt > self.time.dt:
            raise ValueError(f"time.min_dt: must be ≤ time.dt = {self.time.dt:g}")
        if self.clusters.stop_at is not None and not self.time.adaptive:
            raise ValueError("clusters.stop_at: only with time.adaptive = true")
        if self.clusters.stop_at is not None and self.clusters.stop_at > self.particles.n:
            raise ValueError(f"clusters.stop_at: must be ≤ particles.n = {self.particles.n}")

    def _check_initial(self) -> None:
        """The initial particles (a point mass, a file) and the initial signal."""
        from kellersegel.kernels import InteractionKernel

        singular = InteractionKernel.named(self.particles.kernel).singular
        if isinstance(self.initial, PointInitial) and singular:
            raise ValueError(
                f"initial.kind: a point mass puts particles at distance 0, where the "
                f"{self.particles.kernel} kernel is infinite; use a mollified one ('mollified' or 'cutoff')"
            )
        if self.model.theta == 0 and self.initial_signal.kind != "zero":
            raise ValueError(
                "initial_signal: only for theta > 0 (for theta = 0 the signal solves an elliptic equation)"
            )
        if isinstance(self.initial, FileInitial):
            from kellersegel.initial.file import read_points

            try:
                k = len(read_points(Path(self.initial.path)))
            except ValueError as err:
                raise ValueError(f"initial.path: {err}") from None
            if k < self.particles.n:
                raise ValueError(
                    f"initial.path: file holds {k} points, fewer than particles.n = {self.particles.n}"
                )

    def _check_memory(self) -> None:
        """θ > 0: the exact-history field ('direct'), the split field (exact or mollified kernel) or
        the spectral field (mollified)."""
        p = self.particles
        from kellersegel.kernels.memory import SlabKernel

        if p.kernel not in SlabKernel.interaction_kernels:
            allowed = " or ".join(repr(k) for k in SlabKernel.interaction_kernels)
            raise ValueError(f"particles.kernel: theta > 0 needs kernel = {allowed}")
        if p.engine not in ("auto", "direct", "split", "spectral"):
            raise ValueError(
                f"particles.engine: {p.engine!r} is not available for theta > 0; use 'direct' (exact "
                "history), 'split' (history-free, any kernel), 'spectral' (history-free, mollified "
                "kernel) or 'auto'"
            )
        if p.engine == "direct" and p.tolerance is not None:
            raise ValueError("particles.tolerance: the exact history ('direct') sums every slab, it has none")
        if p.engine == "spectral" and p.kernel == "exact":
            raise ValueError("particles.engine: 'spectral' needs kernel = 'mollified' for theta > 0")
        spectral = p.engine == "spectral" or (p.engine == "auto" and p.kernel == "mollified")
        if p.threads > 1 and not spectral:
            raise ValueError("particles.threads: only the spectral memory field takes a thread count")
        if spectral and self.initial_signal.kind == "disk":
            raise ValueError(
                "initial_signal.kind: the spectral field cannot resolve a disk's edge; "
                "use particles.engine = 'direct' or a Gaussian c0"
            )
        if p.include_self is False and spectral:
            raise ValueError(
                "particles.include_self: the spectral field keeps each particle's own past; "
                "use engine = 'direct' to leave it out"
            )
