"""Benchmarks of the field engines and of a full Euler–Maruyama step, as ratios measured in one run.

``bench_engines``: for each kernel and N (standard Gaussian points, mass 1, ε = N^(−1/4),
λ = 1 for the Bessel kernels), the median time of one evaluation of ∇c at all points by each
engine (one timed run for direct above N = 20000 and for numpy) after a warm-up on 100 points,
its speed-up over the direct engine timed in the same run, and its error against direct:
max_i |∇c_i − ∇c_i^direct| / max_i |∇c_i^direct|. Above ``direct_max`` the direct engine is not
timed and the error is measured on a random subset of targets.

``bench_step``: time and peak resident memory of full Euler–Maruyama steps at one N.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from dataclasses import dataclass

import numba
import numpy as np

from kellersegel.dynamics import EllipticSignal, EulerMaruyama
from kellersegel.fields import ENGINES, choose_engine, make_engine
from kellersegel.kernels import InteractionKernel, make_kernel
from kellersegel.models import ClassicalModel

__all__ = [
    "BenchRow",
    "StepRow",
    "bench_engines",
    "bench_kernels",
    "bench_step",
    "machine_description",
    "print_table",
]


def bench_kernels() -> dict[str, tuple[str, float]]:
    """name → (registered kernel, λ): every registered kernel with λ = 0 and, as "NAME-bessel",
    λ = 1; kernels with a scale use ε = N^(−1/4)."""
    kinds = list(InteractionKernel.registry)
    return {f"{k}{suffix}": (k, lam) for suffix, lam in (("", 0.0), ("-bessel", 1.0)) for k in kinds}


@dataclass(frozen=True)
class BenchRow:
    kernel: str
    n: int
    engine: str
    seconds: float  # one evaluation of ∇c at all points, median of repeats
    direct_seconds: float | None  # the direct engine in the same run (None: not timed)
    max_rel_error: float  # against direct (on a subset of targets when direct was not timed)
    error_targets: int

    @property
    def speedup(self) -> float | None:
        return None if self.direct_seconds is None else self.direct_seconds / self.seconds


@dataclass(frozen=True)
class StepRow:
    kernel: str
    n: int
    engine: str
    step_seconds: float  # median of repeats
    peak_rss_mib: float  # of this process, after the steps


def _median_time(fn, repeats: int, warmup=None) -> tuple[float, object]:
    out = (warmup or fn)()  # compilation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _kernel(name: str, n: int):
    kind, lam = bench_kernels()[name]
    return make_kernel(kind, lam, n**-0.25 if InteractionKernel.named(kind).takes_epsilon else None)


def _direct_on_subset(kernel, x, w, subset):
    """∇c at x[subset] from all points, self term excluded, by the direct engine."""
    direct = make_engine("direct", kernel)
    rest = np.setdiff1d(np.arange(x.shape[0]), subset)
    far = direct.evaluate(x[rest], w, x[subset]).gradient
    return far + direct.evaluate(x[subset], w).gradient


def bench_engines(
    sizes: list[int],
    kernels: list[str] | None = None,
    engines: list[str] | None = None,
    repeats: int = 3,
    direct_max: int = 100_000,
    numpy_max: int = 20_000,
    subset: int = 1000,
    seed: int = 0,
) -> list[BenchRow]:
    """Time every engine able to do each kernel (numpy only up to ``numpy_max`` points)."""
    rows = []
    for name in kernels or list(bench_kernels()):
        for n in sizes:
            x = np.random.default_rng(seed).standard_normal((n, 2))
            w = 1.0 / n
            kernel = _kernel(name, n)
            t_direct = None
            if n <= direct_max:
                direct = make_engine("direct", kernel)
                t_direct, ref = _median_time(
                    lambda: direct.evaluate(x, w).gradient,  # noqa: B023
                    repeats if n <= 20_000 else 1,
                    warmup=lambda: direct.evaluate(x[:100], w),  # noqa: B023
                )
                idx = np.arange(n)
            else:
                idx = np.sort(np.random.default_rng(seed + 1).choice(n, subset, replace=False))
                ref = _direct_on_subset(kernel, x, w, idx)
            scale = np.max(np.abs(ref))
            for engine_name in engines or list(ENGINES):
                cls = ENGINES[engine_name]
                if cls.unsupported_reason(kernel) or (engine_name == "numpy" and n > numpy_max):
                    continue
                if engine_name == "direct" and t_direct is not None:
                    rows.append(BenchRow(name, n, "direct", t_direct, t_direct, 0.0, n))
                    continue
                engine = make_engine(engine_name, kernel)
                reps = 1 if engine_name == "numpy" else repeats
                t, g = _median_time(
                    lambda: engine.evaluate(x, w).gradient,  # noqa: B023
                    reps,
                    warmup=lambda: engine.evaluate(x[:100], w),  # noqa: B023
                )
                err = float(np.max(np.abs(g[idx] - ref)) / scale)
                rows.append(BenchRow(name, n, engine_name, t, t_direct, err, idx.size))
    return rows


def bench_step(
    n: int, kernel: str = "exact", engine: str = "auto", repeats: int = 3, seed: int = 0
) -> StepRow:
    """Median time of one full Euler–Maruyama step (dt = 1e-3) at N Gaussian points."""
    k = _kernel(kernel, n)
    name = choose_engine(k, n) if engine == "auto" else engine
    lam = bench_kernels()[kernel][1]
    stepper = EulerMaruyama(ClassicalModel(lam=lam), EllipticSignal(make_engine(name, k, n)))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    dw = np.sqrt(1e-3) * rng.standard_normal((n, 2))
    t, _ = _median_time(lambda: stepper.step(x, 0.0, 1e-3, dw), repeats)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return StepRow(kernel, n, name, t, peak)


def machine_description() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numba {numba.__version__} with {numba.get_num_threads()} threads, "
        f"NumPy {np.__version__}, Python {platform.python_version()}"
    )


def _console():
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=150)  # full tables in files


def print_table(rows: list[BenchRow]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"field engines: ∇c at N Gaussian points ({machine_description()})")
    for col in ("kernel", "N", "engine", "time [s]", "direct/engine", "max rel. err", "err. targets"):
        table.add_column(escape(col), justify="right")  # "[s]" is not rich markup
    for r in rows:
        speedup = "—" if r.speedup is None else f"{r.speedup:.1f}×"
        table.add_row(
            r.kernel,
            f"{r.n}",
            r.engine,
            f"{r.seconds:.4g}",
            speedup,
            f"{r.max_rel_error:.1e}",
            f"{r.error_targets}",
        )
    _console().print(table)


def print_steps(rows: list[StepRow]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Euler–Maruyama step at N Gaussian points ({machine_description()})")
    for col in ("kernel", "N", "engine", "step [s]", "peak RSS [MiB]"):
        table.add_column(escape(col), justify="right")
    for r in rows:
        table.add_row(r.kernel, f"{r.n}", r.engine, f"{r.step_seconds:.4g}", f"{r.peak_rss_mib:.0f}")
    _console().print(table)
