"""Benchmarks of the field engines and of a full Euler–Maruyama step, as ratios measured in one run.

``bench_engines``: for each kernel and N (standard Gaussian points, mass 1, ε = N^(−1/4),
λ = 1 for the Bessel kernels), the median time of one evaluation of ∇c at all points by each
engine (one timed run for direct above N = 20000 and for numpy) after a warm-up on 100 points,
its speed-up over the direct engine timed in the same run, and its error against direct:
max_i |∇c_i − ∇c_i^direct| / max_i |∇c_i^direct|. Above ``direct_max`` the direct engine is not
timed and the error is measured on a random subset of targets.

``bench_compare``: ∇c of the exact kernel G_λ (Laplace for λ = 0, Yukawa for λ > 0) at N Gaussian
points (self term excluded) at one requested relative accuracy by the package's FMMs, by pyfmmlib
(FMMLIB2D) and, for λ = 0, by FMM2D where its Python package ``fmm2dpy`` imports (skipped, with
the reason, where it does not), and by the direct engine up to ``direct_max``; each time the
median of repeats that go round the implementations in turn, all in one run, with the error
against direct sums on 1000 random targets.

``bench_step``: time and peak resident memory of full Euler–Maruyama steps at one N.
"""

from __future__ import annotations

import functools
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
    "interleaved_times",
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
    spread: tuple[float, float]  # the fastest and the slowest repeat [s]

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


def interleaved_times(calls: dict, repeats: int) -> tuple[dict, dict]:
    """Seconds of each call in ``repeats`` rounds that call every entry of ``calls`` (no
    arguments) in turn, so that the ratios between them see the same state of the machine; and
    each call's last result."""
    times: dict = {key: [] for key in calls}
    out = {}
    for _ in range(repeats):
        for key, fn in calls.items():
            start = time.perf_counter()
            out[key] = fn()
            times[key].append(time.perf_counter() - start)
    return times, out


def _repeat_times(fn, repeats: int, warmup=None) -> tuple[float, tuple[float, float], object]:
    """Median seconds of ``repeats`` calls of ``fn`` after one warm-up call, the fastest and the
    slowest of them, and the last result."""
    (warmup or fn)()  # compilation
    times, out = interleaved_times({0: fn}, repeats)
    return statistics.median(times[0]), (min(times[0]), max(times[0])), out[0]


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
                t_direct, direct_spread, ref = _repeat_times(
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
                    rows.append(BenchRow(name, n, "direct", t_direct, t_direct, 0.0, n, direct_spread))
                    continue
                engine = make_engine(engine_name, kernel)
                reps = 1 if engine_name == "numpy" else repeats
                t, spread, g = _repeat_times(
                    lambda: engine.evaluate(x, w).gradient,  # noqa: B023
                    reps,
                    warmup=lambda: engine.evaluate(x[:100], w),  # noqa: B023
                )
                err = float(np.max(np.abs(g[idx] - ref)) / scale)
                rows.append(BenchRow(name, n, engine_name, t, t_direct, err, idx.size, spread))
    return rows


@dataclass(frozen=True)
class CompareRow:
    implementation: str
    lam: float  # 0: the Laplace kernel, > 0: the Yukawa kernel K_0(√λ r)/(2π)
    n: int
    seconds: float  # one evaluation of the gradient at all points, median of repeats
    max_rel_error: float  # against direct sums on ``error_targets`` random targets
    error_targets: int


def _gradient_package(x, w, lam, tolerance):
    """∇c of the exact kernel G_λ by the fmm engine (the compiled Laplace or Yukawa FMM)."""
    return make_engine("fmm", make_kernel("exact", lam, None), tolerance=tolerance).evaluate(x, w).gradient


def pyfmmlib_precision(tolerance: float) -> int:
    """FMMLIB2D's iprec for a tolerance on max |error| / max |∇c|.

    Its nominal tolerances (1 → 5e-4, 2 → 5e-7, 3 → 5e-10, 4 → 5e-13) bound the error relative to
    the total charge; measured on Gaussian and clustered points, the error relative to max |∇c| is
    about 100 times smaller (iprec 2: 2e-9), which is what this mapping assumes."""
    for iprec, tol in ((1, 5e-6), (2, 5e-9), (3, 5e-12), (4, 5e-15)):
        if tolerance >= tol:
            return iprec
    return 5


def pyfmmlib_field(x, w, lam, tolerance, potential=False):
    """(c, ∇c) of the exact kernel G_λ at the sources x, self term excluded, by pyfmmlib on one
    core: its Laplace FMM (Σ w log|·|, c = −(1/2π) of it) for λ = 0, its Helmholtz FMM at the
    imaginary wavenumber i√λ (Σ w (i/4) H_0^(1)(i√λ r) = Σ w K_0(√λ r)/(2π) = c) for λ > 0."""
    import pyfmmlib

    n = x.shape[0]
    src, charge, iprec = np.asfortranarray(x.T), w.astype(complex), pyfmmlib_precision(tolerance)
    no_dipoles = (0, np.zeros(n, complex), np.zeros((2, n)))
    no_targets = (0, np.zeros((2, 1)), 0, np.zeros(1, complex), 0, np.zeros((2, 1), complex), 0,
                  np.zeros((3, 1), complex))  # fmt: skip
    flags = (int(potential), 1, 0)
    if lam == 0:
        out = pyfmmlib.lfmm2dparttarg(iprec, src, 1, charge, *no_dipoles, *flags, *no_targets)
        scale = -1.0 / (2.0 * np.pi)
    else:
        out = pyfmmlib.hfmm2dparttarg(iprec, 1j * np.sqrt(lam), src, 1, charge, *no_dipoles, *flags,
                                      *no_targets)  # fmt: skip
        scale = 1.0
    if out[0] != 0:
        raise RuntimeError(f"FMMLIB2D failed with error code {out[0]}")
    c = scale * out[1].real if potential else None
    return c, scale * np.ascontiguousarray(out[2].real.T)


def _gradient_pyfmmlib(x, w, lam, tolerance):
    return pyfmmlib_field(x, w, lam, tolerance)[1]


def _gradient_fmm2d(x, w, lam, tolerance):
    import fmm2dpy

    out = fmm2dpy.lfmm2d(eps=tolerance, sources=np.asfortranarray(x.T), charges=w, pg=2)
    return -np.ascontiguousarray(np.asarray(out.grad).real.T) / (2.0 * np.pi)


def fmm2d_unavailable() -> str | None:
    """Why FMM2D cannot be compared here (None where ``fmm2dpy`` imports)."""
    try:
        import fmm2dpy  # noqa: F401
    except Exception as err:  # an ImportError, or NumPy 1 wheels failing under NumPy 2
        return f"fmm2dpy does not import ({type(err).__name__}: {str(err).splitlines()[0]})"
    return None


def _gradient_direct(x, w, lam, tolerance):
    return make_engine("direct", make_kernel("exact", lam, None)).evaluate(x, w).gradient


def _compared(lams, with_direct: bool) -> dict:
    """{(implementation, λ): gradient function} in table order."""
    timed = {}
    for lam in lams:
        timed[("kellersegel fmm", lam)] = _gradient_package
        timed[("pyfmmlib", lam)] = _gradient_pyfmmlib
        if lam == 0 and fmm2d_unavailable() is None:
            timed[("FMM2D", lam)] = _gradient_fmm2d
        if with_direct:
            timed[("direct", lam)] = _gradient_direct
    return timed


def bench_compare(
    sizes: list[int],
    tolerance: float = 1e-7,
    repeats: int = 3,
    direct_max: int = 20_000,
    subset: int = 1000,
    seed: int = 0,
    lams: tuple[float, ...] = (0.0,),
) -> list[CompareRow]:
    """Time the FMMs of the exact kernel G_λ (and direct up to ``direct_max``) at each λ and N,
    in one run: after a warm-up, the repeats go round all implementations in turn, so that the
    ratios between them see the same state of the machine; each time is the median."""
    rows = []
    for n in sizes:
        x = np.random.default_rng(seed).standard_normal((n, 2))
        w = np.full(n, 1.0 / n)
        idx = np.sort(np.random.default_rng(seed + 1).choice(n, min(subset, n), replace=False))
        timed = _compared(lams, n <= direct_max)
        for (_, lam), fn in timed.items():
            fn(x[:200], w[:200], lam, tolerance)  # compilation
        calls = {key: functools.partial(fn, x, w, key[1], tolerance) for key, fn in timed.items()}
        times, out = interleaved_times(calls, repeats)
        for lam in lams:
            ref = _direct_on_subset(make_kernel("exact", lam, None), x, 1.0 / n, idx)
            scale = np.max(np.abs(ref))
            for (name, key_lam), g in out.items():
                if key_lam == lam:
                    err = float(np.max(np.abs(g[idx] - ref)) / scale)
                    seconds = statistics.median(times[(name, lam)])
                    rows.append(CompareRow(name, lam, n, seconds, err, idx.size))
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
    t, _, _ = _repeat_times(lambda: stepper.step(x, 0.0, 1e-3, dw), repeats)
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
    """Whether ``auto`` picked the fastest (by median) of direct, fmm and spectral at each
    (kernel, N) timed with all its candidates, as measured in the same run. A slower pick whose
    fastest repeat beats the fastest engine's slowest repeat is a tie: the repeats cannot order
    the two."""
    good, total, ties, misses = 0, 0, [], []
    for (kernel, n), pick in picks.items():
        timed = {r.engine: r for r in rows if (r.kernel, r.n) == (kernel, n)}
        timed = {e: r for e, r in timed.items() if e in ("direct", "fmm", "spectral")}
        if pick not in timed or "direct" not in timed:
            continue
        total += 1
        fastest = min(timed, key=lambda e: timed[e].seconds)
        if fastest == pick:
            good += 1
            continue
        ours, best = timed[pick], timed[fastest]
        text = f"{kernel} at N = {n}: {pick} {ours.seconds:.3g} s, {fastest} {best.seconds:.3g} s"
        (ties if ours.spread[0] <= best.spread[1] else misses).append(text)
    text = f"auto ({source} costs) picked the fastest engine at {good} of {total} (kernel, N)"
    if ties:
        text += f"; {len(ties)} slower by less than the repeats' spread (ties): " + "; ".join(ties)
    if misses:
        text += f"; {len(misses)} slower beyond the repeats' spread: " + "; ".join(misses)
    return text


def print_compare(rows: list[CompareRow], tolerance: float) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"FMMs: ∇c of the exact kernel G_λ at N Gaussian points, tolerance {tolerance:g} "
        f"({machine_description()})"
    )
    for col in ("λ", "N", "implementation", "time [s]", "time / kellersegel fmm", "max rel. err"):
        table.add_column(escape(col), justify="right")
    ours = {(r.lam, r.n): r.seconds for r in rows if r.implementation == "kellersegel fmm"}
    for r in rows:
        key = (r.lam, r.n)
        ratio = f"{r.seconds / ours[key]:.2f}" if key in ours else "—"
        table.add_row(f"{r.lam:g}", f"{r.n}", r.implementation, f"{r.seconds:.4g}", ratio,
                      f"{r.max_rel_error:.1e}")  # fmt: skip
    console = _console()
    console.print(table)
    for (lam, n), t in ours.items():
        if lam > 0 and (0.0, n) in ours:
            console.print(
                f"kellersegel fmm at N = {n}: λ = {lam:g} (Yukawa) takes {t / ours[0.0, n]:.2f}× λ = 0"
            )


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
