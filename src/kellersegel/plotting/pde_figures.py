"""Figure of a PDE solution: density snapshots, second moment against the virial law, peak density."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from kellersegel.plotting.base import axes_row, config_table, file_figure, save_figure

__all__ = ["pde_panels", "plot_pde", "save_pde_figure"]


def pde_panels(ds: xr.Dataset, panels: int = 4) -> int:
    """How many axes :func:`plot_pde` draws on: one profile plot (radial) or ``panels`` images,
    then the second moment and the peak density."""
    times = ds["time"].values
    picks = np.unique(np.linspace(0, len(times) - 1, panels).round().astype(int))
    return (1 if "r" in ds.dims else len(picks)) + 2


def plot_pde(ds: xr.Dataset, axes: Sequence[Axes] | None = None, panels: int = 4) -> list[Axes]:
    """One row: ρ at ``panels`` times (profiles in r, or images), m₂(t), and the peak density."""
    times = ds["time"].values
    picks = np.unique(np.linspace(0, len(times) - 1, panels).round().astype(int))
    radial = "r" in ds.dims
    axes = axes_row(axes, pde_panels(ds, panels), height=3.4)
    fig = axes[0].figure
    if radial:
        ax = axes[0]
        r = ds["r"].values
        reach = r[np.searchsorted(ds["cumulative_mass"].isel(time=0).values, 0.999 * ds["mass"].values[0])]
        keep = r <= reach
        for k in picks:
            ax.plot(r[keep], ds["density"].isel(time=k).values[keep], label=f"t = {times[k]:.3g}")
        ax.set(xlabel="r", ylabel="ρ(r, t)", yscale="log", title="radial density")
        ax.legend(fontsize=7)
    else:
        x, y = ds["x"].values, ds["y"].values
        frames = ds["density"].isel(time=picks).values
        vmax = float(frames.max())
        # zoom on the cells above 10⁻³ of the peak at any shown time, with a margin
        ix, iy = np.nonzero(np.any(frames > 1e-3 * vmax, axis=0))
        margin = max(2, (ix.max() - ix.min()) // 8)
        xs = slice(max(ix.min() - margin, 0), min(ix.max() + margin + 1, x.size))
        ys = slice(max(iy.min() - margin, 0), min(iy.max() + margin + 1, y.size))
        for ax, frame, k in zip(axes[: len(picks)], frames, picks, strict=True):
            image = ax.imshow(
                frame[xs, ys].T,
                origin="lower",
                extent=(x[xs][0], x[xs][-1], y[ys][0], y[ys][-1]),
                vmin=0,
                vmax=vmax,
                cmap="magma",
            )
            ax.set(title=f"ρ at t = {times[k]:.3g}", xlabel="x", ylabel="y")
        fig.colorbar(image, ax=axes[: len(picks)], shrink=0.8, label="ρ (cell averages), one scale")
    ax = axes[-2]
    ax.plot(times, ds["second_moment"].values, label="solver")
    if "virial_slope" in ds.attrs:
        m2 = ds["second_moment"].values[0] + ds.attrs["virial_slope"] * times
        ax.plot(times, m2, "k--", lw=1, label="virial law")
    ax.set(xlabel="t", ylabel="∫|x|²ρ dx", title="second moment")
    ax.legend(fontsize=7)
    ax = axes[-1]
    peak = ds["central_density"] if radial else ds["max_density"]
    ax.semilogy(times, peak.values)
    title = "central density" if radial else "max density"
    blowup = ds.attrs.get("blowup_time", np.nan)
    if np.isfinite(blowup):
        ax.axvline(blowup, color="r", lw=1, ls=":")
        title += f" (blow-up t ≈ {blowup:.4g})"
    ax.set(xlabel="t", title=title)
    fig.suptitle(_pde_title(ds))
    return axes


def _pde_title(ds: xr.Dataset) -> str:
    """The solved PDE in words: model and χ (in units of π) from the configuration, the solver."""
    model = config_table(ds, "model")
    parts = [f"mean-field PDE, {model.get('name', '')} model".replace(",  model", "")]
    if "chi" in model:
        parts.append(f"χ = {model['chi'] / np.pi:.4g}π")
    for key, symbol in (("theta", "θ"), ("lam", "λ")):
        if model.get(key):
            parts.append(f"{symbol} = {model[key]:g}")
    parts.append(f"{ds.attrs.get('solver', '')} solver")
    return ", ".join(parts)


def save_pde_figure(ds: xr.Dataset, path: str | Path, panels: int = 4) -> Path:
    """:func:`plot_pde` written to ``path``: one row for the radial solver's three panels, two
    rows for the grid solver's images and curves (a page's width)."""
    n = pde_panels(ds, panels)
    rows = 1 if n <= 3 else 2
    fig, axes = file_figure(-(-n // rows), height=3.4, rows=rows)
    for extra in axes[n:]:
        extra.remove()
    axes = axes[:n]
    plot_pde(ds, axes, panels)
    return save_figure(fig, path)
