"""Report of a sweep store: rates in N with bootstrap intervals, log–log plots, P(τ < T).

The axis ``particles.n`` is N; every combination of the other swept keys is a separate series.
A sweep without two sizes N has no rate: its errors are compared across its first axis instead
(``compare.png``), and a rate from only two sizes comes with a warning (two points always lie on a
power law: the interval is the replicas' scatter, not a test of the law).
Errors are taken at the final save time. Reference slopes (dotted) are the rates of the i.i.d.
benchmark each estimator would have on exact samples of the limit, not theorems about the
particle system: N^−1/2 for the coupling errors and the Wasserstein distances, N^−1/3 for the
KDE's L1 distance (Scott's bandwidth).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from kellersegel._files import write_text
from kellersegel.analysis import fit_rate
from kellersegel.experiments.chaos import ChaosMeasurement
from kellersegel.experiments.outputs import OutputFolder
from kellersegel.experiments.sweep import open_sweep
from kellersegel.plotting.base import axes_row, config_table, file_figure, save_figure

__all__ = [
    "comparison_lines",
    "has_sizes",
    "plot_comparison",
    "plot_rates",
    "plot_stopping_times",
    "report_sweep",
    "sweep_rates",
]

N_AXIS = "particles.n"


def _panels() -> dict[str, tuple[str, ...]]:
    """Report panel → its metrics, from the metrics' own metadata (ChaosMeasurement)."""
    panels: dict[str, tuple[str, ...]] = {}
    for name in (*ChaosMeasurement.names("series"), *ChaosMeasurement.names("scalar")):
        panel = ChaosMeasurement.metadata(name)["panel"]
        if panel is not None:
            panels[panel] = (*panels.get(panel, ()), name)
    return panels


PANELS = _panels()
REPORT_FILES = ("rates.png", "compare.png", "stopping_times.png", "summary.txt")
#: the rate of the i.i.d. benchmark each metric is drawn against (dotted reference slopes)
REFERENCE = {
    name: rate
    for name in itertools.chain(*PANELS.values())
    if (rate := ChaosMeasurement.metadata(name)["reference_rate"]) is not None
}


def has_sizes(ds: xr.Dataset) -> bool:
    """Whether the sweep has the axis of sizes N with at least two values (a rate can be fitted)."""
    return N_AXIS in ds.dims and ds.sizes[N_AXIS] >= 2


def _x_axis(ds: xr.Dataset) -> str:
    """N when the sweep has sizes, else its first axis."""
    return N_AXIS if has_sizes(ds) else ds.attrs["axes"].split()[0]


def _series(ds: xr.Dataset, x: str = N_AXIS):
    """(label, sub-dataset over x and replica) for every combination of the other axes."""
    others = [d for d in ds.attrs["axes"].split() if d != x]
    for values in itertools.product(*(ds[d].values for d in others)):
        label = ", ".join(f"{d} = {v}" for d, v in zip(others, values, strict=True))
        yield label, ds.sel(dict(zip(others, values, strict=True)))


def _final(ds: xr.Dataset, name: str, x: str = N_AXIS) -> np.ndarray:
    var = ds[name].isel(time=-1) if "time" in ds[name].dims else ds[name]
    return var.transpose(x, "replica").values


def _positions(ds: xr.Dataset, x: str) -> tuple[np.ndarray, list[str] | None]:
    """Where the values of axis x go on a plot: the numbers, or 0, 1, … with their labels."""
    values = ds[x].values
    if values.dtype.kind in "fiu":
        return values.astype(float), None
    return np.arange(len(values), dtype=float), [str(v) for v in values]


def sweep_rates(ds: xr.Dataset) -> list[tuple[str, str, object]]:
    """(series label, metric, RateFit) for every series and metric with at least two N."""
    if not has_sizes(ds):
        raise ValueError(f"a rate needs the axis {N_AXIS} with at least two values")
    fits = []
    for label, sub in _series(ds):
        n = sub[N_AXIS].values
        for metric in itertools.chain(*PANELS.values()):
            errors = _final(sub, metric)
            if np.all(np.isfinite(errors)) and np.all(errors > 0):
                fits.append((label, metric, fit_rate(n, errors)))
    return fits


def plot_rates(ds: xr.Dataset, axes: Sequence[Axes] | None = None, fits=None) -> list[Axes]:
    """One panel per group of :data:`PANELS`: the final errors against N (mean ± s.e. over
    replicas), the fitted C N^−r (solid) and the reference rates (dotted)."""
    fits = sweep_rates(ds) if fits is None else fits
    t_end = float(ds["time"].values[-1])
    axes = axes_row(axes, len(PANELS), 5, 4.2)
    for ax, (title, metrics) in zip(axes, PANELS.items(), strict=True):
        color = 0
        for label, sub in _series(ds):
            n = sub[N_AXIS].values.astype(float)
            for metric in metrics:
                errors = _final(sub, metric)
                fit = next((f for lab, m, f in fits if lab == label and m == metric), None)
                mean = errors.mean(axis=1)
                name = f"{metric} {label}".strip()
                se = errors.std(axis=1, ddof=1) / np.sqrt(errors.shape[1]) if errors.shape[1] > 1 else None
                ax.errorbar(
                    n,
                    mean,
                    yerr=se,
                    fmt="o",
                    color=f"C{color}",
                    ms=4,
                    label=f"{name}: r = {fit.rate:.2f}" if fit else name,
                )
                if fit:
                    ax.loglog(n, fit.constant * n**-fit.rate, "-", color=f"C{color}", lw=1)
                if metric in REFERENCE and mean[0] > 0:
                    ax.loglog(n, mean[0] * (n / n[0]) ** -REFERENCE[metric], ":", color=f"C{color}", lw=1)
                color += 1
        if any(m in REFERENCE for m in metrics):
            ax.plot([], [], "k:", lw=1, label="dotted: the rate on i.i.d. samples of the limit")
        ax.set(yscale="log", ylabel=title, title=f"{title} at t = {t_end:g}")
        _size_ticks(ax, ds[N_AXIS].values)
        ax.legend(frameon=False, fontsize=7)
    return axes


def _size_ticks(ax: Axes, sizes: np.ndarray) -> None:
    """A log axis of sizes N labelled at the sizes themselves (powers of two as 2^k), at most
    eight labels, no minor labels."""
    from matplotlib.ticker import NullFormatter, NullLocator

    sizes = np.asarray(sizes, dtype=int)
    shown = sizes[:: max(1, int(np.ceil(len(sizes) / 8)))]
    powers = np.log2(shown)
    labels = [f"$2^{{{p:.0f}}}$" if p == round(p) else f"{v:d}" for v, p in zip(shown, powers, strict=True)]
    ax.set_xscale("log")
    ax.set_xticks(shown, labels)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("N")


def plot_stopping_times(ds: xr.Dataset, ax: Axes | None = None) -> list[str]:
    """P(τ < T) and P(τ_min < T) against N (± binomial s.e.); returns the same numbers as text."""
    (ax,) = axes_row(ax, 1, 5.5, 4)
    t_end = float(ds["time"].values[-1])
    x = _x_axis(ds)
    name_x = "N" if x == N_AXIS else x
    lines = []
    styles = (("stopping_time", "τ", "o-", 7), ("collision_time", "τ_min", "s--", 4))
    for label, sub in _series(ds, x):
        where, ticks = _positions(sub, x)
        for name, symbol, fmt, size in styles:  # open large and small filled marks: equal curves show
            hit = np.isfinite(_final(sub, name, x))
            p = hit.mean(axis=1)
            se = np.sqrt(np.maximum(p * (1 - p), 0.25 / hit.shape[1]) / hit.shape[1])
            ax.errorbar(
                where,
                p,
                yerr=se,
                fmt=fmt,
                ms=size,
                mfc="none" if size > 4 else None,
                capsize=2,
                label=f"P({symbol} < T) {label}".strip(),
            )
            lines.append(
                f"P({symbol} < {t_end:g}) {label}: "
                + ", ".join(f"{name_x} = {v}: {q:.2f}" for v, q in zip(sub[x].values, p, strict=True))
            )
    _x_scale(ax, x, ticks, ds)
    chaos = config_table(ds, "chaos")
    ax.set(
        ylabel=f"probability over {ds.sizes['replica']} replicas (± s.e.)",
        ylim=(-0.05, 1.05),
    )
    ax.set_title(
        f"stopping times before T = {t_end:g}\n"
        f"τ: first max$_i$|X$_i$ − X̄$_i$| ≥ N$^{{-α}}$, α = {chaos.get('alpha', '?')}\n"
        f"τ_min: first min$_{{i≠j}}$|X$_i$ − X$_j$| ≤ N$^{{-β′}}$, β′ = {chaos.get('beta_collision', '?')}",
        fontsize=9,
    )
    ax.legend(frameon=False, fontsize=7)
    return lines


def _x_scale(ax: Axes, x: str, ticks: list[str] | None, ds: xr.Dataset) -> None:
    if x == N_AXIS:
        _size_ticks(ax, ds[N_AXIS].values)
    else:
        ax.set(xlabel=x)
    if ticks is not None:
        ax.set_xticks(range(len(ticks)), ticks)


def plot_comparison(ds: xr.Dataset, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """One panel per group of :data:`PANELS`: the final errors (mean ± s.e. over replicas)
    against the sweep's first axis, for sweeps without two sizes N (no rate to fit)."""
    x = _x_axis(ds)
    t_end = float(ds["time"].values[-1])
    axes = axes_row(axes, len(PANELS), 5, 4.2)
    for ax, (title, metrics) in zip(axes, PANELS.items(), strict=True):
        color = 0
        for label, sub in _series(ds, x):
            where, ticks = _positions(sub, x)
            for metric in metrics:
                errors = _final(sub, metric, x)
                se = errors.std(axis=1, ddof=1) / np.sqrt(errors.shape[1]) if errors.shape[1] > 1 else None
                name = f"{metric} {label}".strip()
                ax.errorbar(
                    where, errors.mean(axis=1), yerr=se, fmt="o-", color=f"C{color}", ms=4, label=name
                )
                color += 1
        _x_scale(ax, x, ticks, ds)
        ax.set(yscale="log", ylabel=title, title=f"{title} at t = {t_end:g}")
        ax.legend(frameon=False, fontsize=7)
    return axes


def comparison_lines(ds: xr.Dataset) -> list[str]:
    """The final errors (mean ± s.e. over replicas; one replica: the value) at every point of the
    first axis, as text."""
    x = _x_axis(ds)
    lines = []
    for label, sub in _series(ds, x):
        for metric in itertools.chain(*PANELS.values()):
            errors = _final(sub, metric, x)
            replicas = errors.shape[1]
            se = errors.std(axis=1, ddof=1) / np.sqrt(replicas) if replicas > 1 else None
            cells = ", ".join(
                f"{x} = {v}: {m:.4g}" + ("" if se is None else f" ± {se[i]:.2g}")
                for i, (v, m) in enumerate(zip(sub[x].values, errors.mean(axis=1), strict=True))
            )
            lines.append(f"  {metric:>20}{' ' + label if label else ''}: {cells}")
    return lines


def report_sweep(path: str | Path, outdir: str | Path | None = None) -> list[Path]:
    """Write ``rates.png``, ``stopping_times.png`` and ``summary.txt`` into ``outdir``.

    ``path``: a finished sweep's folder OUT (or its ``sweep.zarr``). Default folder: OUT-report.
    """
    path = Path(path)
    base = path.parent if path.name == "sweep.zarr" else path
    outdir = (
        Path(outdir) if outdir is not None else base.with_name(base.name.removesuffix(".zarr") + "-report")
    )
    with open_sweep(path) as ds:
        ds = ds.load()
    # a report is derived from its store: a new one replaces the files of the last (only those)
    folder = OutputFolder.claim(outdir, "report", ds.attrs["config"], REPORT_FILES, overwrite=True)
    try:
        files = _write_report(ds, path, folder)
    except KeyboardInterrupt:
        folder.interrupted()
        raise
    folder.complete()
    return files


def _write_report(ds: xr.Dataset, path: Path, folder: OutputFolder) -> list[Path]:
    t_end = float(ds["time"].values[-1])
    fig, axes = file_figure(len(PANELS), 5, 4.2)
    summary = [
        f"sweep {path}: axes {ds.attrs['axes']}, {ds.sizes['replica']} replicas, errors at t = {t_end:g}"
    ]
    if has_sizes(ds):
        fits = sweep_rates(ds)
        plot_rates(ds, axes, fits)
        first = save_figure(fig, folder.file("rates.png"))
        if ds.sizes[N_AXIS] < 3:
            summary.append(
                f"warning: a rate from {ds.sizes[N_AXIS]} sizes N is the slope between two points; its "
                "interval is the replicas' scatter, not a test of the power law (sweep 3 or more sizes)"
            )
        summary.append("rates r of error ≈ C N^−r (95 % bootstrap interval over replicas):")
        summary += [f"  {metric:>20}{' ' + label if label else ''}: {fit}" for label, metric, fit in fits]
    else:
        plot_comparison(ds, axes)
        first = save_figure(fig, folder.file("compare.png"))
        summary.append(
            f"no rate: the sweep has no axis {N_AXIS} with two or more values; the final errors "
            f"compared across {_x_axis(ds)} (mean ± s.e. over replicas):"
        )
        summary += comparison_lines(ds)
    fig, (ax,) = file_figure(1, 5.5, 4)
    lines = plot_stopping_times(ds, ax)
    tau_png = save_figure(fig, folder.file("stopping_times.png"))

    config_lines = ds.attrs.get("config", "").splitlines()
    summary += [
        *lines,
        "configuration of the first point:",
        *(f"  {line}" for line in config_lines),
    ]
    text = write_text(folder.file("summary.txt"), "\n".join(summary) + "\n")
    return [first, tau_png, text]
