"""What ``auto`` believes each engine costs, and the short measurement that tells it for this machine.

Seconds for one evaluation of ∇c at N points of a Gaussian cloud of variance 1/2 per coordinate
(the clouds of the examples), from a handful of machine constants:

    direct     N² · pair[kernel family]
    fmm        t₀ + N · particle[λ > 0] + N_near · near[λ > 0],   N_near = N² a² / 2
    spectral   t₀ + (25/ε)² · mode + N · point

a being the near radius of the fmm engine (ε·√(2 log 1/τ) for the Gaussian mollifier, ε for the
cut-off, 0 for the exact kernel; N² π a² ∫ρ² pairs, ∫ρ² = 1/(2π) for that cloud) and (25/ε)² the
lattice of the cloud at τ = 1e-7. The family is the kernel's name, with "-bessel" for λ > 0.

The built-in constants were measured on the development machine (2 cores, Intel Xeon, AVX-512).
:func:`calibrate` (``kellersegel bench calibrate``) measures them here in a few seconds and
writes them to ``engine-costs.json`` in the cache folder (``$KELLERSEGEL_CACHE_DIR``, else
``$XDG_CACHE_HOME/kellersegel``, else ``~/.cache/kellersegel``), keyed by the machine (CPU model,
cores, numba threads); :func:`engine_costs` reads them back on the same machine only. A run
records which constants chose its engine (dataset attribute ``engine_costs``).
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numba
import numpy as np

from kellersegel._files import write_text
from kellersegel.kernels import make_kernel
from kellersegel.kernels.fourier import gaussian_reach
from kellersegel.kernels.interaction import (
    ExactKernel,
    GaussianMollifiedKernel,
    InteractionKernel,
)

__all__ = ["EngineCosts", "calibrate", "costs_path", "cpu_model", "engine_costs", "machine_key"]

_FAMILIES = [f"{k}{s}" for s in ("", "-bessel") for k in ("exact", "mollified", "cutoff")]
_MARK = "kellersegel engine costs"


@dataclass(frozen=True)
class EngineCosts:
    """Machine constants of the cost model (seconds; see the module docstring)."""

    direct_pair: dict[str, float]
    fmm_particle: dict[str, float]  # "laplace" (λ = 0), "yukawa" (λ > 0)
    fmm_near_pair: dict[str, float]
    fmm_fixed: float
    spectral_mode: float
    spectral_point: float
    spectral_fixed: float
    source: str = "built-in"  # or "calibrated YYYY-MM-DD"
    machine: str = field(default="", compare=False)

    def seconds(self, engine: str, kernel: InteractionKernel, n: float) -> float:
        """Predicted seconds of one evaluation of ∇c at n points by ``engine``."""
        family = kernel.name + ("-bessel" if kernel.lam > 0 else "")
        if engine == "direct":
            return n * n * self.direct_pair[family]
        flavour = "yukawa" if kernel.lam > 0 else "laplace"
        if engine == "fmm":
            near = n * n * _near_radius(kernel) ** 2 / 2.0
            return self.fmm_fixed + n * self.fmm_particle[flavour] + near * self.fmm_near_pair[flavour]
        if engine == "spectral":
            return self.spectral_fixed + _modes(kernel) * self.spectral_mode + n * self.spectral_point
        return math.inf


def _near_radius(kernel: InteractionKernel) -> float:
    if isinstance(kernel, GaussianMollifiedKernel):
        return kernel.epsilon * gaussian_reach(1e-7)
    return kernel.epsilon or 0.0


def _modes(kernel: InteractionKernel) -> float:
    return (25.0 / kernel.epsilon) ** 2


#: measured on the development machine with :func:`calibrate` (2026-12-03: Intel Xeon, AVX-512,
#: 2 cores), rounded
BUILT_IN = EngineCosts(
    direct_pair={
        "exact": 1.4e-9,
        "mollified": 2.1e-8,
        "cutoff": 1.4e-9,
        "exact-bessel": 4.6e-8,
        "mollified-bessel": 6.1e-8,
        "cutoff-bessel": 5.1e-8,
    },
    # yukawa: the compiled Yukawa FMM, 1.96 × the Laplace constant as calibrated on an AMD EPYC
    # (Zen 4, 2 cores) on 2026-12-03 (the constant of pyfmmlib, which it replaced, was 6.9e-5)
    fmm_particle={"laplace": 1.5e-6, "yukawa": 2.9e-6},
    fmm_near_pair={"laplace": 2.7e-8, "yukawa": 6.8e-8},
    fmm_fixed=3.7e-3,
    spectral_mode=1.6e-7,
    spectral_point=6.3e-7,
    spectral_fixed=1.9e-3,
)


@functools.cache
def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux) and the widest SIMD LLVM targets on it."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            name = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    simd = next((s for s in ("avx512f", "avx2", "avx", "neon", "sse2") if features.get(s)), "no SIMD")
    return f"{name} ({llvm.get_host_cpu_name()}, {simd.upper()})"


def machine_key() -> str:
    """What a calibration is valid for: CPU model, cores and numba threads."""
    return f"{cpu_model()}, {os.cpu_count()} cores, {numba.get_num_threads()} numba threads"


def costs_path() -> Path:
    """Where :func:`calibrate` writes and :func:`engine_costs` reads the machine's constants."""
    folder = os.environ.get("KELLERSEGEL_CACHE_DIR")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = str(Path(base) / "kellersegel")
    return Path(folder) / "engine-costs.json"


def engine_costs() -> EngineCosts:
    """The calibrated constants of this machine where :func:`calibrate` wrote them, else the
    built-in ones."""
    path = costs_path()
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return BUILT_IN
    if not isinstance(record, dict) or record.get("written_by") != _MARK:
        return BUILT_IN
    if record.get("machine") != machine_key():
        return BUILT_IN
    try:
        return EngineCosts(**record["constants"])
    except TypeError:  # written by another version of the model
        return BUILT_IN


def _best_time(fn, repeats: int = 2) -> float:
    fn()  # compilation, first-touch
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _timer(engine_name: str, kernel: InteractionKernel, n: int, seed: int = 0):
    from kellersegel.fields import make_engine

    x = np.sqrt(0.5) * np.random.default_rng(seed).standard_normal((n, 2))
    engine = make_engine(engine_name, kernel)
    return _best_time(lambda: engine.evaluate(x, 1.0 / n))


def _two_point(t1: float, t2: float, a1: float, a2: float) -> tuple[float, float]:
    """(fixed, slope) of t = fixed + slope · a through (a1, t1), (a2, t2); both ≥ 0."""
    slope = max((t2 - t1) / (a2 - a1), 0.0)
    return max(t1 - slope * a1, 0.0), slope


def _kernel(family: str, epsilon: float) -> InteractionKernel:
    """The kernel of a family name ("cutoff-bessel": the cut-off kernel at λ = 1)."""
    name, _, bessel = family.partition("-")
    return make_kernel(
        name, 1.0 if bessel else 0.0, epsilon if InteractionKernel.named(name).takes_epsilon else None
    )


def measure_costs(progress=None) -> EngineCosts:
    """Measure the constants on this machine (about 15 s on 2 cores, compilation included)."""
    say = progress or (lambda text: None)
    pairs = {}
    for family in _FAMILIES:
        say(f"direct, {family}")
        pairs[family] = _timer("direct", _kernel(family, 0.1), 2000) / 2000**2
    say("fmm, λ = 0")
    t_small = _timer("fmm", ExactKernel(0.0), 5000)
    t_large = _timer("fmm", ExactKernel(0.0), 100_000)
    fmm_fixed, laplace = _two_point(t_small, t_large, 5000, 100_000)
    say("fmm, λ = 1")
    y_small = _timer("fmm", ExactKernel(1.0), 5000)
    y_large = _timer("fmm", ExactKernel(1.0), 100_000)
    _, yukawa = _two_point(y_small, y_large, 5000, 100_000)
    near = {}
    n_near, eps_near = 5000, 0.1
    for flavour, lam, base in (("laplace", 0.0, laplace), ("yukawa", 1.0, yukawa)):
        say(f"fmm near field, {flavour}")
        kernel = GaussianMollifiedKernel(eps_near, lam)
        t = _timer("fmm", kernel, n_near) - fmm_fixed - n_near * base
        near[flavour] = max(t, 0.0) / (n_near**2 * _near_radius(kernel) ** 2 / 2.0)
    say("spectral")
    points_only = _timer("spectral", GaussianMollifiedKernel(0.5), 100_000)
    modes_only = _timer("spectral", GaussianMollifiedKernel(0.02), 1000)
    lattice_fixed = _timer("spectral", GaussianMollifiedKernel(0.5), 1000)
    # three equations: fixed + modes·m + n·p for the three settings
    a = np.array(
        [[1.0, _modes(GaussianMollifiedKernel(e)), n] for e, n in ((0.5, 100_000), (0.02, 1000), (0.5, 1000))]
    )
    spectral_fixed, mode, point = np.maximum(
        np.linalg.solve(a, [points_only, modes_only, lattice_fixed]), [0.0, 1e-12, 1e-12]
    )
    return EngineCosts(
        direct_pair=pairs,
        fmm_particle={"laplace": laplace, "yukawa": yukawa},
        fmm_near_pair=near,
        fmm_fixed=fmm_fixed,
        spectral_mode=float(mode),
        spectral_point=float(point),
        spectral_fixed=float(spectral_fixed),
        source=f"calibrated {datetime.date.today().isoformat()}",
        machine=machine_key(),
    )


def calibrate(progress=None) -> tuple[EngineCosts, Path]:
    """Measure the constants and write them to :func:`costs_path` (a file this function wrote
    before is replaced; any other file there is left alone and the call fails)."""
    path = costs_path()
    if path.exists():
        try:
            ours = json.loads(path.read_text(encoding="utf-8")).get("written_by") == _MARK
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise FileExistsError(f"{path} exists and was not written by kellersegel; move it away")
    costs = measure_costs(progress)
    record = {"written_by": _MARK, "machine": costs.machine, "constants": asdict(costs)}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(record, indent=1) + "\n")
    return costs, path
