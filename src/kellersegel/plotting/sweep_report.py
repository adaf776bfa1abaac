"""Report of a sweep store: rates in N with bootstrap intervals, log–log plots, P(τ < T).

The axis ``particles.n`` is N; every combination of the other swept keys is a separate series.
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
from kellersegel.plotting.base import axes_row, file_figure, save_figure

__all__ = ["plot_rates", "plot_stopping_times", "report_sweep", "sweep_rates"]

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
REPORT_FILES = ("rates.png", "stopping_times.png", "summary.txt")
#: the rate of the i.i.d. benchmark each metric is drawn against (dotted reference slopes)
REFERENCE = {
    name: rate
    for name in itertools.chain(*PANELS.values())
    if (rate := ChaosMeasurement.metadata(name)["reference_rate"]) is not None
}


def _series(ds: xr.Dataset):
    """(label, sub-dataset over N and replica) for every combination of the other axes."""
    others = [d for d in ds.attrs["axes"].split() if d != N_AXIS]
    for values in itertools.product(*(ds[d].values for d in others)):
        label = ", ".join(f"{d} = {v}" for d, v in zip(others, values, strict=True))
        yield label, ds.sel(dict(zip(others, values, strict=True)))


def _final(ds: xr.Dataset, name: str) -> np.ndarray:
    var = ds[name].isel(time=-1) if "time" in ds[name].dims else ds[name]
    return var.transpose(N_AXIS, "replica").values


def sweep_rates(ds: xr.Dataset) -> list[tuple[str, str, object]]:
    """(series label, metric, RateFit) for every series and metric with at least two N."""
    if N_AXIS not in ds.dims or ds.sizes[N_AXIS] < 2:
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
        ax.set(xscale="log", yscale="log", xlabel="N", title=f"{title} at t = {t_end:g}")
        ax.legend(frameon=False, fontsize=7)
    return axes


def plot_stopping_times(ds: xr.Dataset, ax: Axes | None = None) -> list[str]:
    """P(τ < T) and P(τ_min < T) against N (± binomial s.e.); returns the same numbers as text."""
    (ax,) = axes_row(ax, 1, 5.5, 4)
    t_end = float(ds["time"].values[-1])
    lines = []
    for label, sub in _series(ds):
        n = sub[N_AXIS].values.astype(float)
        for name, symbol in (("stopping_time", "τ"), ("collision_time", "τ_min")):
            hit = np.isfinite(_final(sub, name))
            p = hit.mean(axis=1)
            se = np.sqrt(np.maximum(p * (1 - p), 0.25 / hit.shape[1]) / hit.shape[1])
            ax.errorbar(n, p, yerr=se, fmt="o-", ms=4, label=f"P({symbol} < T) {label}".strip())
            lines.append(
                f"P({symbol} < {t_end:g}) {label}: "
                + ", ".join(f"N = {int(k)}: {v:.2f}" for k, v in zip(n, p, strict=True))
            )
    ax.set(xscale="log", xlabel="N", ylabel="probability", ylim=(-0.05, 1.05))
    ax.legend(frameon=False, fontsize=7)
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
    fits = sweep_rates(ds)
    t_end = float(ds["time"].values[-1])
    fig, axes = file_figure(len(PANELS), 5, 4.2)
    plot_rates(ds, axes, fits)
    rates_png = save_figure(fig, folder.file("rates.png"))
    fig, (ax,) = file_figure(1, 5.5, 4)
    lines = plot_stopping_times(ds, ax)
    tau_png = save_figure(fig, folder.file("stopping_times.png"))

    config_lines = ds.attrs.get("config", "").splitlines()
    summary = [
        f"sweep {path}: axes {ds.attrs['axes']}, {ds.sizes['replica']} replicas, errors at t = {t_end:g}",
        "rates r of error ≈ C N^−r (95 % bootstrap interval over replicas):",
        *(f"  {metric:>20}{' ' + label if label else ''}: {fit}" for label, metric, fit in fits),
        *lines,
        "configuration of the first point:",
        *(f"  {line}" for line in config_lines),
    ]
    text = write_text(folder.file("summary.txt"), "\n".join(summary) + "\n")
    return [rates_png, tau_png, text]
