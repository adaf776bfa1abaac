"""Benchmarks of the field engines and of a full Euler–Maruyama step, as ratios measured in one run.

``bench_engines``: for each kernel and N (standard Gaussian points, mass 1, ε = N^(−1/4),
λ = 1 for the Bessel kernels), the median time of one evaluation of ∇c at all points by each
engine (one timed run for direct above N = 20000 and for numpy) after a warm-up on 100 points,
its speed-up over the direct engine timed in the same run, and its error against direct:
max_i |∇c_i − ∇c_i^direct| / max_i |∇c_i^direct|. Above ``direct_max`` the direct engine is not
timed and the error is measured on a random subset of targets.

``bench_compare``: ∇ Σ_j w_j log|y_i − x_j| at N Gaussian points (self term excluded) at one
requested relative accuracy by the package's Laplace FMM, by pyfmmlib (FMMLIB2D) and by FMM2D
where its Python package ``fmm2dpy`` imports (skipped, with the reason, where it does not), and
by the direct engine up to ``direct_max``; each time the median of repeats after a warm-up, all
in one run, with the error against direct sums on 1000 random targets.

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
from kellersegel.fields import ENGINES, EngineCosts, choose_engine, make_engine
from kellersegel.fields.costs import cpu_model, engine_costs
from kellersegel.kernels import InteractionKernel, make_kernel
from kellersegel.models import ClassicalModel

__all__ = [
    "BenchRow",
    "CompareRow",
    "bench_compare",
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


@dataclass(frozen=True)
class CompareRow:
    implementation: str
    n: int
    seconds: float  # one evaluation of the gradient at all points, median of repeats
    max_rel_error: float  # against direct sums on ``error_targets`` random targets
    error_targets: int


def _laplace_sum_gradient_direct(x, w, targets):
    """∇ Σ_j w_j log|y − x_j| at x[targets], self term excluded, by the direct engine (exact
    kernel, λ = 0: ∇c = −(1/2π) of it)."""
    return -2.0 * np.pi * _direct_on_subset(make_kernel("exact", 0.0, None), x, w, targets)


def _gradient_package(x, w, tolerance):
    """The fmm engine's ∇c (the compiled Laplace FMM for λ = 0), as ∇ Σ w log|y − x|."""
    return (
        -2.0
        * np.pi
        * make_engine("fmm", make_kernel("exact", 0.0, None), tolerance=tolerance).evaluate(x, w).gradient
    )


def _gradient_pyfmmlib(x, w, tolerance):
    import pyfmmlib

    from kellersegel.fields.multipole import _precision_flag

    n = x.shape[0]
    none = (np.zeros((2, 1)), 0, np.zeros(1, complex), 0, np.zeros((2, 1), complex))
    out = pyfmmlib.lfmm2dparttarg(
        _precision_flag(tolerance), np.asfortranarray(x.T), 1, w.astype(complex), 0,
        np.zeros(n, complex), np.zeros((2, n)), 0, 1, 0, 1, *none, 0, np.zeros((3, 1), complex),
    )  # fmt: skip
    if out[0] != 0:
        raise RuntimeError(f"FMMLIB2D failed with error code {out[0]}")
    return np.ascontiguousarray(out[2].real.T)


def _gradient_fmm2d(x, w, tolerance):
    import fmm2dpy

    out = fmm2dpy.lfmm2d(eps=tolerance, sources=np.asfortranarray(x.T), charges=w, pg=2)
    return np.ascontiguousarray(np.asarray(out.grad).real.T)


def fmm2d_unavailable() -> str | None:
    """Why FMM2D cannot be compared here (None where ``fmm2dpy`` imports)."""
    try:
        import fmm2dpy  # noqa: F401
    except Exception as err:  # an ImportError, or NumPy 1 wheels failing under NumPy 2
        return f"fmm2dpy does not import ({type(err).__name__}: {str(err).splitlines()[0]})"
    return None


def bench_compare(
    sizes: list[int],
    tolerance: float = 1e-7,
    repeats: int = 3,
    direct_max: int = 20_000,
    subset: int = 1000,
    seed: int = 0,
) -> list[CompareRow]:
    """Time the Laplace FMMs (and direct up to ``direct_max``) at each N, in one run."""
    implementations = {"kellersegel fmm": _gradient_package, "pyfmmlib": _gradient_pyfmmlib}
    if fmm2d_unavailable() is None:
        implementations["FMM2D"] = _gradient_fmm2d
    rows = []
    for n in sizes:
        x = np.random.default_rng(seed).standard_normal((n, 2))
        w = np.full(n, 1.0 / n)
        idx = np.sort(np.random.default_rng(seed + 1).choice(n, min(subset, n), replace=False))
        ref = _laplace_sum_gradient_direct(x, 1.0 / n, idx)
        scale = np.max(np.abs(ref))
        timed = dict(implementations)
        if n <= direct_max:
            direct = make_engine("direct", make_kernel("exact", 0.0, None))
            timed["direct"] = lambda x, w, _tol, _d=direct: -2.0 * np.pi * _d.evaluate(x, w).gradient
        for name, fn in timed.items():
            t, g = _median_time(
                lambda: fn(x, w, tolerance),  # noqa: B023
                repeats,
                warmup=lambda: fn(x[:200], w[:200], tolerance),  # noqa: B023
            )
            err = float(np.max(np.abs(g[idx] - ref)) / scale)
            rows.append(CompareRow(name, n, t, err, idx.size))
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
        f"{cpu_model()}, {os.cpu_count()} cores, "
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

    costs = engine_costs()
    picks = {(r.kernel, r.n): choose_engine(_kernel(r.kernel, r.n), r.n, costs) for r in rows}
    table = Table(title=f"field engines: ∇c at N Gaussian points ({machine_description()})")
    columns = ("kernel", "N", "engine", "time [s]", "direct/engine", "max rel. err", "err. targets", "auto")
    for col in columns:
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
            "←" if picks[r.kernel, r.n] == r.engine else "",
        )
    console = _console()
    console.print(table)
    console.print(auto_verdict(rows, picks, costs.source))


def auto_verdict(rows: list[BenchRow], picks: dict[tuple[str, int], str], source: str) -> str:
    """Whether ``auto`` picked the fastest of direct, fmm and spectral at each (kernel, N) timed
    with all its candidates (as measured in the same run)."""
    good, total, misses = 0, 0, []
    for (kernel, n), pick in picks.items():
        timed = {r.engine: r.seconds for r in rows if (r.kernel, r.n) == (kernel, n)}
        timed = {e: t for e, t in timed.items() if e in ("direct", "fmm", "spectral")}
        if pick not in timed or "direct" not in timed:
            continue
        total += 1
        fastest = min(timed, key=timed.get)
        if fastest == pick:
            good += 1
        else:
            misses.append(
                f"{kernel} at N = {n}: {pick} {timed[pick]:.3g} s, {fastest} {timed[fastest]:.3g} s"
            )
    text = f"auto ({source} costs) picked the fastest engine at {good} of {total} (kernel, N)"
    return text + ("; slower picks: " + "; ".join(misses) if misses else "")


def print_compare(rows: list[CompareRow], tolerance: float) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"Laplace FMMs: ∇ Σ w log|y − x| at N Gaussian points, tolerance {tolerance:g} "
        f"({machine_description()})"
    )
    for col in ("N", "implementation", "time [s]", "time / kellersegel fmm", "max rel. err"):
        table.add_column(escape(col), justify="right")
    ours = {r.n: r.seconds for r in rows if r.implementation == "kellersegel fmm"}
    for r in rows:
        ratio = f"{r.seconds / ours[r.n]:.2f}" if r.n in ours else "—"
        table.add_row(f"{r.n}", r.implementation, f"{r.seconds:.4g}", ratio, f"{r.max_rel_error:.1e}")
    _console().print(table)


def print_costs(costs: EngineCosts, sizes: list[int]) -> None:
    """The cost constants, and the engine ``auto`` picks with them for every bench kernel and N
    (with the predicted seconds of each candidate)."""
    from rich.table import Table

    constants = Table(title=f"engine cost constants, {costs.source} ({costs.machine or 'this machine'})")
    for col in ("constant", "value [s]"):
        constants.add_column(col, justify="right")
    for family, value in costs.direct_pair.items():
        constants.add_row(f"direct, per pair, {family}", f"{value:.3g}")
    for flavour in ("laplace", "yukawa"):
        constants.add_row(f"fmm, per particle, {flavour}", f"{costs.fmm_particle[flavour]:.3g}")
        constants.add_row(f"fmm, per near pair, {flavour}", f"{costs.fmm_near_pair[flavour]:.3g}")
    constants.add_row("fmm, fixed", f"{costs.fmm_fixed:.3g}")
    constants.add_row("spectral, per mode", f"{costs.spectral_mode:.3g}")
    constants.add_row("spectral, per point", f"{costs.spectral_point:.3g}")
    constants.add_row("spectral, fixed", f"{costs.spectral_fixed:.3g}")
    choices = Table(title="what auto picks (predicted seconds per evaluation of ∇c; ε = N^−1/4)")
    for col in ("kernel", "N", "auto", "direct", "fmm", "spectral"):
        choices.add_column(col, justify="right")
    for name in bench_kernels():
        for n in sizes:
            kernel = _kernel(name, n)
            predicted = {
                e: costs.seconds(e, kernel, n) if not ENGINES[e].unsupported_reason(kernel) else None
                for e in ("direct", "fmm", "spectral")
            }
            cells = ["—" if t is None else f"{t:.3g}" for t in predicted.values()]
            choices.add_row(name, f"{n}", choose_engine(kernel, n, costs), *cells)
    console = _console()
    console.print(constants)
    console.print(choices)


def print_steps(rows: list[StepRow]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Euler–Maruyama step at N Gaussian points ({machine_description()})")
    for col in ("kernel", "N", "engine", "step [s]", "peak RSS [MiB]"):
        table.add_column(escape(col), justify="right")
    for r in rows:
        table.add_row(r.kernel, f"{r.n}", r.engine, f"{r.step_seconds:.4g}", f"{r.peak_rss_mib:.0f}")
    _console().print(table)
