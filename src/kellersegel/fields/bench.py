"""Benchmark of field engines: time per evaluation and per Euler–Maruyama step, as ratios.

Every ratio compares two timings taken in the same run on the same points: the compiled
direct engine against the plain vectorised NumPy reference (:class:`NumpyEngine`).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass

import numba
import numpy as np

from kellersegel.dynamics import EllipticSignal, EulerMaruyama
from kellersegel.fields import make_engine
from kellersegel.kernels import make_kernel
from kellersegel.models import ClassicalModel

__all__ = ["BenchRow", "bench_engines", "machine_description", "print_table"]

#: name → (kernel, λ); mollified kernels use ε = N^(−1/4)
KERNELS = {
    "exact": ("exact", 0.0),
    "mollified": ("mollified", 0.0),
    "cutoff": ("cutoff", 0.0),
    "exact-bessel": ("exact", 1.0),
    "mollified-bessel": ("mollified", 1.0),
    "cutoff-bessel": ("cutoff", 1.0),
}


@dataclass(frozen=True)
class BenchRow:
    kernel: str
    n: int
    direct_s: float  # ∇c at all particles, median
    step_s: float  # one Euler–Maruyama step with the direct engine, median
    numpy_s: float  # ∇c with NumPyEngine, median
    max_rel_error: float  # max_i |∇c_direct − ∇c_numpy| / max_i |∇c_numpy|

    @property
    def speedup(self) -> float:
        return self.numpy_s / self.direct_s


def _median_time(fn, repeats: int) -> tuple[float, object]:
    out = fn()  # warm-up (compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def bench_engines(
    sizes: list[int], kernels: list[str] | None = None, repeats: int = 3, seed: int = 0
) -> list[BenchRow]:
    """Time the direct and NumPy engines on N standard Gaussian points for each kernel and N."""
    rows = []
    for name in kernels or list(KERNELS):
        kind, lam = KERNELS[name]
        for n in sizes:
            x = np.random.default_rng(seed).standard_normal((n, 2))
            kernel = make_kernel(kind, lam, None if kind == "exact" else n**-0.25)
            direct = make_engine("direct", kernel)
            reference = make_engine("numpy", kernel)
            t_direct, g = _median_time(lambda: direct.evaluate(x, 1.0 / n).gradient, repeats)  # noqa: B023
            stepper = EulerMaruyama(ClassicalModel(lam=lam), EllipticSignal(direct))
            dw = np.sqrt(1e-3) * np.random.default_rng(seed + 1).standard_normal((n, 2))
            t_step, _ = _median_time(lambda: stepper.step(x, 0.0, 1e-3, dw), repeats)  # noqa: B023
            start = time.perf_counter()
            g_ref = reference.evaluate(x, 1.0 / n).gradient
            t_numpy = time.perf_counter() - start
            err = float(np.max(np.abs(g - g_ref)) / np.max(np.abs(g_ref)))
            rows.append(BenchRow(name, n, t_direct, t_step, t_numpy, err))
    return rows


def machine_description() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numba {numba.__version__} with {numba.get_num_threads()} threads, "
        f"NumPy {np.__version__}, Python {platform.python_version()}"
    )


def print_table(rows: list[BenchRow]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"field engines: ∇c at N Gaussian points ({machine_description()})")
    for col in ("kernel", "N", "direct [s]", "EM step [s]", "NumPy [s]", "NumPy/direct", "max rel. err"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r.kernel,
            f"{r.n}",
            f"{r.direct_s:.4g}",
            f"{r.step_s:.4g}",
            f"{r.numpy_s:.4g}",
            f"{r.speedup:.1f}×",
            f"{r.max_rel_error:.1e}",
        )
    Console().print(table)
