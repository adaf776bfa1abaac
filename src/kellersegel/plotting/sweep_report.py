"""Report of a sweep store: rates in N with bootstrap intervals, log–log plots, P(τ < T).

The axis ``particles.n`` is N; every combination of the other swept keys is a separate series
(one line per scaling law ε(N) in a study of scalings). A sweep without two sizes N has no rate:
its errors are compared across its first axis instead (``compare.png``), and a rate from only two
sizes comes with a warning (two points always lie on a power law: the interval is the replicas'
scatter, not a test of the law).

Errors are taken at the final save time. ``rates.png`` draws the total coupling error and its two
parts, the fluctuation |X − X^ε| and the mollification |X^ε − X̄|, on panels with one y-range,
so which part dominates where shows at a glance; then the max over i and the distances to the
PDE. Reference slopes (dotted) are the rates of the i.i.d. benchmark each estimator would have on
exact samples of the limit, not theorems about the particle system: N^−1/2 for the coupling
errors and the Wasserstein distances, N^−1/3 for the KDE's L1 distance (Scott's bandwidth).
``parts.png``: the same three alone, one line per series with its rate (the figure of the
theorem). ``stopping_times.png``: P(τ < T) for τ_sup and τ_p, and for τ_min at each β' with the
probability that the stopped error sup_{t ≤ T∧τ_min} reaches N^−α (the event the theorem bounds).
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
from kellersegel.experiments.chaos import (
    FLUCTUATION,
    MOLLIFICATION,
    THRESHOLD_DIM,
    TOTAL,
    ChaosMeasurement,
)
from kellersegel.experiments.outputs import OutputFolder
from kellersegel.experiments.sweep import open_sweep
from kellersegel.plotting.base import axes_grid, axes_row, config_table, file_figure, save_figure

__all__ = [
    "comparison_lines",
    "has_sizes",
    "plot_comparison",
    "plot_error_parts",
    "plot_rates",
    "plot_stopping_times",
    "part_lines",
    "report_sweep",
    "stopping_panels",
    "sweep_rates",
]

N_AXIS = "particles.n"


METRICS = (*ChaosMeasurement.names("series"), *ChaosMeasurement.names("scalar"))
THRESHOLD_METRICS = ChaosMeasurement.names("threshold")


def _panels() -> dict[str, tuple[str, ...]]:
    """Report panel → its metrics, from the metrics' own metadata (ChaosMeasurement)."""
    panels: dict[str, tuple[str, ...]] = {}
    for name in METRICS:
        panel = ChaosMeasurement.metadata(name)["panel"]
        if panel is not None:
            panels[panel] = (*panels.get(panel, ()), name)
    return panels


PANELS = _panels()
#: the panels of the coupling error's total and parts, drawn with one y-range
PART_PANELS = (TOTAL, FLUCTUATION, MOLLIFICATION)
REPORT_FILES = ("parts.png", "rates.png", "compare.png", "stopping_times.png", "summary.txt")
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
        label = ", ".join(axis_label(d, v) for d, v in zip(others, values, strict=True))
        yield label, ds.sel(dict(zip(others, values, strict=True)))


def axis_label(key: str, value) -> str:
    """``key = value``; a patch of [particles] that sets a scaling law reads as the law:
    ε = ε0 N^−β, ε = ε0 (log N)^−1/2 or ε = ε0 (the other keys of the patch follow)."""
    if "." in key:
        return f"{key} = {value}"
    import tomllib

    try:
        patch = tomllib.loads(f"v = {{{value}}}")["v"]
    except tomllib.TOMLDecodeError:
        return f"{key}: {value}"
    law = patch.pop("epsilon", None) if key == "particles" else None
    eps0, beta = patch.pop("eps0", 1.0), patch.pop("beta", 0.25)
    scale = "" if eps0 == 1 else f"{eps0:g} "
    text = {
        "algebraic": f"ε = {scale}N^−{beta:g}",
        "logarithmic": f"ε = {scale}(log N)^−1/2",
        "fixed": f"ε = {eps0:g}",
    }.get(law)
    rest = ", ".join(f"{key}.{k} = {v}" for k, v in patch.items())
    if text is None:
        return f"{key}: {value}"
    return f"{text}, {rest}" if rest else text


def _final(ds: xr.Dataset, name: str, x: str = N_AXIS) -> np.ndarray:
    """A metric at the final save time, shape (len(x), replicas); a per-β' metric is named
    ``name[β']`` (e.g. ``stopped_error[1.5]``)."""
    base, _, beta = name.partition("[")
    var = ds[base]
    if beta:
        var = var.sel({THRESHOLD_DIM: float(beta.rstrip("]"))})
    var = var.isel(time=-1) if "time" in var.dims else var
    return var.transpose(x, "replica").values


def fitted_metrics(ds: xr.Dataset) -> list[str]:
    """The metrics whose rate in N is fitted: those the metadata marks (``fit``), the per-β'
    ones once per β' of the store (``stopped_error[β']``)."""
    names = [m for m in METRICS if ChaosMeasurement.metadata(m)["fit"] and m in ds]
    betas = ds[THRESHOLD_DIM].values if THRESHOLD_DIM in ds.dims else []
    for m in THRESHOLD_METRICS:
        if ChaosMeasurement.metadata(m)["fit"] and m in ds:
            names += [f"{m}[{b:g}]" for b in betas]
    return names


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
        for metric in fitted_metrics(ds):
            errors = _final(sub, metric)
            if np.all(np.isfinite(errors)) and np.all(errors > 0):
                fits.append((label, metric, fit_rate(n, errors)))
    return fits


#: the report's rate panels: rows × columns
RATE_GRID = (2, (len(PANELS) + 1) // 2)


def plot_rates(ds: xr.Dataset, axes: Sequence[Axes] | None = None, fits=None) -> list[Axes]:
    """One panel per group of :data:`PANELS` (a grid of :data:`RATE_GRID`): the final errors
    against N (mean ± s.e. over replicas), the fitted C N^−r (a line style and a marker per
    metric of the panel) and the reference rates (dotted); one colour per series, the same in
    every panel; the total and its two parts share one y-range."""
    fits = sweep_rates(ds) if fits is None else fits
    t_end = float(ds["time"].values[-1])
    axes = axes_grid(axes, *RATE_GRID, 5, 4.2)
    for ax in axes[len(PANELS) :]:
        ax.set_visible(False)
    for ax, (title, metrics) in zip(axes, PANELS.items(), strict=False):
        for color, (label, sub) in enumerate(_series(ds)):
            n = sub[N_AXIS].values.astype(float)
            for metric, marker, line in zip(metrics, "osD^", ("-", "--", "-.", (0, (5, 1))), strict=False):
                errors = _final(sub, metric)
                fit = next((f for lab, m, f in fits if lab == label and m == metric), None)
                mean = errors.mean(axis=1)
                name = f"{metric} {label}".strip()
                se = errors.std(axis=1, ddof=1) / np.sqrt(errors.shape[1]) if errors.shape[1] > 1 else None
                ax.errorbar(
                    n,
                    mean,
                    yerr=se,
                    fmt=marker,
                    color=f"C{color}",
                    ms=4,
                    label=f"{name}: r = {fit.rate:.2f}" if fit else name,
                )
                if fit:
                    ax.loglog(n, fit.constant * n**-fit.rate, ls=line, color=f"C{color}", lw=1)
                if metric in REFERENCE and mean[0] > 0:
                    ax.loglog(n, mean[0] * (n / n[0]) ** -REFERENCE[metric], ":", color=f"C{color}", lw=1)
        if any(m in REFERENCE for m in metrics):
            ax.plot([], [], "k:", lw=1, label="dotted: the rate on i.i.d. samples of the limit")
        ax.set(yscale="log", ylabel=title, title=f"{title} at t = {t_end:g}")
        _size_ticks(ax, ds[N_AXIS].values)
        ax.legend(frameon=False, fontsize=7)
    _share_ylim([ax for ax, title in zip(axes, PANELS, strict=False) if title in PART_PANELS])
    return axes


def _share_ylim(axes: Sequence[Axes]) -> None:
    """One y-range, the union of theirs, for the axes that have data."""
    shown = [ax for ax in axes if ax.has_data()]
    if shown:
        low = min(ax.get_ylim()[0] for ax in shown)
        high = max(ax.get_ylim()[1] for ax in shown)
        for ax in shown:
            ax.set_ylim(low, high)


#: the figure of the theorem: (panel title, metric) of the total error and its two parts
ERROR_PARTS = (
    (TOTAL, "power_error"),
    (FLUCTUATION, "fluctuation_power_error"),
    (MOLLIFICATION, "mollification_power_error"),
)


def plot_error_parts(ds: xr.Dataset, axes: Sequence[Axes] | None = None, fits=None) -> list[Axes]:
    """The coupling error at the final time against N, one line per series (scaling law) with its
    fitted rate: the total |X − X̄| and its parts, the fluctuation |X − X^ε| and the mollification
    |X^ε − X̄|, on three panels with one y-range (mean ± s.e. over replicas; the fits dashed)."""
    fits = sweep_rates(ds) if fits is None else fits
    axes = axes_row(axes, len(ERROR_PARTS), 4.6, 4.2)
    t_end = float(ds["time"].values[-1])
    p = config_table(ds, "chaos").get("p", 2.0)
    for ax, (title, metric) in zip(axes, ERROR_PARTS, strict=True):
        for color, (label, sub) in enumerate(_series(ds)):
            n = sub[N_AXIS].values.astype(float)
            errors = _final(sub, metric)
            if not np.any(np.isfinite(errors)):
                continue
            fit = next((f for lab, m, f in fits if lab == label and m == metric), None)
            se = errors.std(axis=1, ddof=1) / np.sqrt(errors.shape[1]) if errors.shape[1] > 1 else None
            name = label or "the sweep"
            ax.errorbar(n, errors.mean(axis=1), yerr=se, fmt="o-", color=f"C{color}", ms=4, lw=1.2,
                        label=f"{name}: r = {fit.rate:.2f}" if fit else name)  # fmt: skip
            if fit:
                ax.plot(n, fit.constant * n**-fit.rate, "--", color=f"C{color}", lw=0.8)
        ax.set(yscale="log", title=title, ylabel=f"power mean, p = {p:g}, at t = {t_end:g}")
        _size_ticks(ax, ds[N_AXIS].values)
        if ax.has_data():
            ax.legend(frameon=False, fontsize=7)
    _share_ylim(axes)
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


def stopping_panels(ds: xr.Dataset) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """The panels of :func:`plot_stopping_times`: (title, ((event, symbol), …)); an event is a
    stopping time's name (τ < T) or ``stopped_error[β']`` (the stopped error reaches N^−α)."""
    panels = [("coupling times", (("stopping_time", "τ_sup"), ("power_stopping_time", "τ_p")))]
    betas = ds[THRESHOLD_DIM].values if THRESHOLD_DIM in ds.dims else []
    for b in betas:
        panels.append(
            (
                f"minimal distance, β′ = {b:g}",
                ((f"collision_time[{b:g}]", "τ_min"), (f"stopped_error[{b:g}]", "sup_{t≤T∧τ_min} err")),
            )
        )
    return panels


def _hits(sub: xr.Dataset, event: str, x: str, ds: xr.Dataset) -> np.ndarray:
    """Whether the event happened before T, shape (len(x), replicas): a stopping time that is
    finite, or a stopped error ≥ N^−α (α and N of each point: swept or from the configuration)."""
    values = _final(sub, event, x)
    if not event.startswith("stopped_error"):
        return np.isfinite(values)
    config = {s: config_table(ds, s) for s in ("chaos", "particles")}
    alpha = sub["chaos.alpha"].values if "chaos.alpha" in sub.coords else config["chaos"].get("alpha", 0.25)
    n = sub[N_AXIS].values if N_AXIS in sub.coords else config["particles"].get("n", 10000)
    bound = np.broadcast_to(np.asarray(n, dtype=float) ** -np.asarray(alpha, dtype=float), values.shape[:1])
    return values >= bound[:, None]


def plot_stopping_times(ds: xr.Dataset, axes: Axes | Sequence[Axes] | None = None) -> list[str]:
    """P(event before T) against N (± binomial s.e.), one panel per :func:`stopping_panels`
    entry, one colour per series: τ_sup and τ_p; for each β', τ_min and the stopped error
    reaching N^−α. Returns the same numbers as text."""
    panels = stopping_panels(ds)
    axes = axes_row(axes, len(panels), 4.6, 4)
    t_end = float(ds["time"].values[-1])
    x = _x_axis(ds)
    name_x = "N" if x == N_AXIS else x
    chaos = config_table(ds, "chaos")
    lines = []
    styles = (("o-", 7), ("s--", 4))  # open large and small filled marks: equal curves both show
    ticks = None
    for ax, (title, events) in zip(axes, panels, strict=True):
        for color, (label, sub) in enumerate(_series(ds, x)):
            where, ticks = _positions(sub, x)
            for (event, symbol), (fmt, size) in zip(events, styles, strict=True):
                hit = _hits(sub, event, x, ds)
                p = hit.mean(axis=1)
                se = np.sqrt(np.maximum(p * (1 - p), 0.25 / hit.shape[1]) / hit.shape[1])
                what = f"P({symbol} < T)" if not event.startswith("stopped") else f"P({symbol} ≥ N^−α)"
                ax.errorbar(
                    where,
                    p,
                    yerr=se,
                    fmt=fmt,
                    color=f"C{color}",
                    ms=size,
                    mfc="none" if size > 4 else None,
                    capsize=2,
                    label=f"{what} {label}".strip(),
                )
                where_text = f"{title}: " if title != "coupling times" else ""
                lines.append(
                    f"{where_text}{what.replace('T)', f'{t_end:g})')} {label}: ".replace("  ", " ")
                    + ", ".join(f"{name_x} = {v}: {q:.2f}" for v, q in zip(sub[x].values, p, strict=True))
                )
        _x_scale(ax, x, ticks, ds)
        ax.set(ylabel=f"probability over {ds.sizes['replica']} replicas (± s.e.)", ylim=(-0.05, 1.05))
        ax.set_title(title, fontsize=9)
        ax.legend(frameon=False, fontsize=6)
    c = chaos.get("distance_constant", 1.0)
    axes[0].figure.suptitle(
        f"stopping times before T = {t_end:g}: τ_sup, τ_p: first max$_i$|X$_i$ − X̄$_i$|, power mean "
        f"≥ N$^{{-α}}$ (α = {chaos.get('alpha', '?')}); τ_min: first min$_{{i≠j}}$|X$_i$ − X$_j$| ≤ "
        f"{c:g} N$^{{-β′}}$",
        fontsize=9,
    )
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
    axes = axes_grid(axes, *RATE_GRID, 5, 4.2)
    for ax in axes[len(PANELS) :]:
        ax.set_visible(False)
    for ax, (title, metrics) in zip(axes, PANELS.items(), strict=False):
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


def part_lines(ds: xr.Dataset) -> list[str]:
    """The total coupling error and its parts at the final time (means over replicas) at every
    point of the first axis, and the part that dominates there, as text."""
    x = _x_axis(ds)
    names = ("power_error", "fluctuation_power_error", "mollification_power_error")
    if not all(n in ds for n in names):
        return []
    lines = [
        "the total power-mean error X − X̄ (its parts: fluctuation X − X^ε, mollification X^ε − X̄; the "
        "larger part):"
    ]
    for label, sub in _series(ds, x):
        total, fluctuation, mollification = (_final(sub, n, x).mean(axis=1) for n in names)
        cells = []
        for v, t, f, m in zip(sub[x].values, total, fluctuation, mollification, strict=True):
            lead = "—" if not (np.isfinite(f) and np.isfinite(m)) else ("fluct." if f >= m else "moll.")
            cells.append(f"{x} = {v}: {t:.3g} ({f:.3g}, {m:.3g}; {lead})")
        lines.append(f"  {label or 'all'}: " + "; ".join(cells))
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
    fig, axes = file_figure(RATE_GRID[1], 5, 4.2, rows=RATE_GRID[0])
    summary = [
        f"sweep {path}: axes {ds.attrs['axes']}, {ds.sizes['replica']} replicas, errors at t = {t_end:g}"
    ]
    if has_sizes(ds):
        fits = sweep_rates(ds)
        plot_rates(ds, axes, fits)
        first = save_figure(fig, folder.file("rates.png"))
        parts_fig, part_axes = file_figure(len(ERROR_PARTS), 4.6, 4.2)
        plot_error_parts(ds, part_axes, fits)
        parts = save_figure(parts_fig, folder.file("parts.png"))
        if ds.sizes[N_AXIS] < 3:
            summary.append(
                f"warning: a rate from {ds.sizes[N_AXIS]} sizes N is the slope between two points; its "
                "interval is the replicas' scatter, not a test of the power law (sweep 3 or more sizes)"
            )
        summary.append("rates r of error ≈ C N^−r (95 % bootstrap interval over replicas):")
        summary += [f"  {metric:>25}{' ' + label if label else ''}: {fit}" for label, metric, fit in fits]
    else:
        plot_comparison(ds, axes)
        first = save_figure(fig, folder.file("compare.png"))
        summary.append(
            f"no rate: the sweep has no axis {N_AXIS} with two or more values; the final errors "
            f"compared across {_x_axis(ds)} (mean ± s.e. over replicas):"
        )
        summary += comparison_lines(ds)
    summary += part_lines(ds)
    fig, axes = file_figure(len(stopping_panels(ds)), 4.6, 4)
    lines = plot_stopping_times(ds, axes)
    tau_png = save_figure(fig, folder.file("stopping_times.png"))

    config_lines = ds.attrs.get("config", "").splitlines()
    summary += [
        *lines,
        "configuration of the first point:",
        *(f"  {line}" for line in config_lines),
    ]
    text = write_text(folder.file("summary.txt"), "\n".join(summary) + "\n")
    return [*([parts] if has_sizes(ds) else []), first, tau_png, text]
