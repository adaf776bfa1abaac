"""Figures of a particle run: snapshots with a density estimate, second moment against the virial law."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from scipy.interpolate import RegularGridInterpolator
from scipy.stats import gaussian_kde

from kellersegel.experiments.outputs import FolderError, OutputFolder
from kellersegel.plotting.base import axes_grid, axes_row, file_figure, save_figure

__all__ = [
    "limit_image",
    "plot_clusters",
    "plot_limit_distance",
    "plot_second_moment",
    "plot_snapshots",
    "save_run_figures",
]

_KDE_POINTS = 4000
_SCATTER_POINTS = 3000


def snapshot_times(ds: xr.Dataset, replica: int = 0, panels: int = 4) -> np.ndarray:
    """Indices of up to ``panels`` save times, evenly spread over the replica's finite states."""
    pos = ds["positions"].isel(replica=replica).values
    valid = np.flatnonzero(np.all(np.isfinite(pos), axis=(1, 2)))
    return valid[np.unique(np.linspace(0, len(valid) - 1, panels).round().astype(int))]


def plot_snapshots(
    ds: xr.Dataset,
    axes: Sequence[Axes] | None = None,
    replica: int = 0,
    panels: int = 4,
    limit: xr.Dataset | None = None,
) -> list[Axes]:
    """Particle positions of one replica at ``panels`` save times (:func:`snapshot_times`) over a
    Gaussian KDE of their density (Scott's rule, M times the KDE), on one colour scale for all
    times (a collapse shows as a growing peak) with its colour bar, in one window that holds the
    cloud at every time shown (3 RMS radii about the median).

    With ``limit`` (the mean-field PDE of the same configuration: the run's ``limit.nc``) a second
    row shows its density ρ(t) at the same times on the same colour scale, titled with the run's
    ``limit_l1`` of that replica and ``limit_l1_floor`` (N independent draws from ρ(t)). Axes: one
    row of as many as there are times, two rows with ``limit`` (reading order).
    """
    pos = ds["positions"].isel(replica=replica)
    picks = snapshot_times(ds, replica, panels)
    frames = [pos.isel(time=k).values for k in picks]
    times = [float(ds.time[k]) for k in picks]
    center = np.median(np.concatenate(frames), axis=0)
    half = max(max(3.0 * float(np.sqrt(np.mean(np.sum((x - center) ** 2, axis=1)))) for x in frames), 1e-3)
    extent = (center[0] - half, center[0] + half, center[1] - half, center[1] + half)
    gx, gy = np.meshgrid(np.linspace(*extent[:2], 160), np.linspace(*extent[2:], 160))
    axes = axes_grid(axes, 1 if limit is None else 2, len(picks), height=3.6)
    rng = np.random.default_rng(0)
    mass = float(ds.attrs.get("mass", 1.0))
    densities = []
    for x in frames:
        sub = x[rng.permutation(len(x))[:_KDE_POINTS]]
        ok = len(np.unique(sub, axis=0)) > 2
        densities.append(
            mass * gaussian_kde(sub.T)(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape) if ok else None
        )
    limits = [] if limit is None else [limit_image(limit, t, gx, gy) for t in times]
    top = max((float(d.max()) for d in densities + limits if d is not None), default=1.0)
    image = None
    shown = dict(origin="lower", extent=extent, cmap="magma", aspect="equal", vmin=0.0, vmax=top)
    for ax, t, x, density in zip(axes, times, frames, densities, strict=False):
        few = x[:_SCATTER_POINTS]
        size = float(np.clip(2000.0 / len(few), 0.5, 12.0))  # a few particles show as dots
        if density is not None:
            image = ax.imshow(density, **shown)
        else:  # all at a few points (a point mass): no density to estimate, the points shown large
            ax.imshow(np.zeros_like(gx), **shown)
            places = len(np.unique(x, axis=0))
            ax.text(
                0.5,
                0.92,
                f"all at {places} point{'s' * (places > 1)}",
                color="white",
                ha="center",
                transform=ax.transAxes,
            )
            size = 30.0
        ax.scatter(
            few[:, 0], few[:, 1], s=size, c="white", alpha=0.35 if len(few) > 200 else 0.8, linewidths=0
        )
        ax.set(xlim=extent[:2], ylim=extent[2:], title=f"t = {t:.3g}", xlabel="x")
    axes[0].set_ylabel("particles\ny" if limit is not None else "y")
    for ax, k, t, rho in zip(axes[len(picks) :], picks, times, limits, strict=False):  # none without a limit
        if rho is None:
            blowup = limit.attrs.get("blowup_time", np.nan)
            ax.text(
                0.5,
                0.5,
                f"the PDE solution ends\nat t ≈ {blowup:.4g} (blow-up)",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        else:
            image = ax.imshow(rho, **shown)
        l1 = float(ds["limit_l1"][replica, k]) if "limit_l1" in ds else np.nan
        floor = float(ds["limit_l1_floor"][k]) if "limit_l1_floor" in ds else np.nan
        title = f"mean-field ρ(t = {t:.3g})"
        if np.isfinite(l1):
            title += f"\nL1(KDE, ρ)/M = {l1:.3f}" + (f" (i.i.d.: {floor:.3f})" if np.isfinite(floor) else "")
        ax.set(xlim=extent[:2], ylim=extent[2:], title=title, xlabel="x")
    if limit is not None:
        axes[len(picks)].set_ylabel(f"mean-field PDE ({limit.attrs.get('solver', '').split(' ')[0]})\ny")
    if image is not None:
        what = "particles: Gaussian KDE (Scott)" + ("; PDE: ρ" if limit is not None else "")
        axes[0].figure.colorbar(image, ax=list(axes), shrink=0.8, label=f"density, mass M ({what})")
    axes[0].figure.suptitle(run_title(ds, replica))
    return axes


def limit_image(limit: xr.Dataset, t: float, gx: np.ndarray, gy: np.ndarray) -> np.ndarray | None:
    """The PDE density of ``limit`` (a radial or grid solution dataset) at time ``t`` on the points
    (gx, gy), 0 outside its domain; None if the solution has no frame at ``t`` (it ended)."""
    times = limit["time"].values
    k = int(np.argmin(np.abs(times - t)))
    if not abs(times[k] - t) <= 1e-9 * max(1.0, t):
        return None
    rho = limit["density"].isel(time=k).values
    if "r" in limit.dims:
        return np.interp(np.hypot(gx, gy), limit["r"].values, rho, right=0.0)
    cells = RegularGridInterpolator(
        (limit["x"].values, limit["y"].values), rho, bounds_error=False, fill_value=0.0
    )
    return cells(np.stack([gx, gy], axis=-1))


def run_title(ds: xr.Dataset, replica: int | None = None, shown: int | None = None) -> str:
    """The run in words and symbols: model, χ in units of π, θ, kernel, N (and how many are
    shown: ``shown``, default the particles saved), the replica (if given)."""
    a = ds.attrs
    parts = [f"{a.get('model', '')} model"]
    chi = a.get("chi")
    if chi is not None and np.isfinite(chi):
        parts.append(f"χ = {chi / np.pi:.4g}π")
    if a.get("theta"):
        parts.append(f"θ = {a['theta']:g}")
    parts.append(f"{a.get('kernel', '')} kernel")
    n_saved = ds.sizes["particle"] if shown is None else shown
    n = int(a.get("n_particles", ds.sizes["particle"]))
    parts.append(f"N = {n}" + (f" ({n_saved} shown)" if n_saved < n else ""))
    if replica is not None:
        parts.append(f"replica {replica}")
    return ", ".join(parts)


def plot_second_moment(ds: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Ensemble mean of (1/N)Σ|X_i|² (± 2 standard errors) and the virial line m2(0) + s·t.

    s = 4 − χM(N−1)/(2πN) is exact in expectation for the exact log kernel (λ = 0); for
    other kernels it is the singular reference. Each replica is drawn (up to 20) and each event
    marked, all in the legend; the mean is over the replicas still running at each time. With
    the limit solved in the run (``limit_second_moment``) its ∫|x|²ρ dx / M is drawn too.
    """
    m2 = ds["second_moment"]
    t = ds["time"].values
    r = ds.sizes["replica"]
    (ax,) = axes_row(ax, 1, 6, 4)
    if r <= 20:
        for k in range(r):
            ax.plot(t, m2.isel(replica=k), color="0.75", lw=0.7, label="each replica" if k == 0 else None)
    running = m2.count("replica").values
    mean = m2.mean("replica", skipna=True).values
    label = f"particles, mean of {r} replicas" + (" (of those running)" if running.min() < r else "")
    ax.plot(t, mean, color="C0", lw=2, label=label)
    if r > 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            se = m2.std("replica", ddof=1, skipna=True).values / np.sqrt(running)
        ax.fill_between(t, mean - 2 * se, mean + 2 * se, color="C0", alpha=0.25, label="± 2 s.e.")
    slope = float(ds.attrs.get("virial_slope", np.nan))
    if np.isfinite(slope):
        exact = ds.attrs.get("kernel") == "exact"
        label = f"virial: slope {slope:.5g}" + ("" if exact else " (singular kernel)")
        ax.plot(t, mean[0] + slope * t, "k--", label=label)
    if "limit_second_moment" in ds:
        solver = ds.attrs.get("limit_solver", "")
        ax.plot(t, ds["limit_second_moment"].values, color="C2", lw=1.5, label=f"mean-field PDE ({solver})")
    for i, k in enumerate(np.flatnonzero(ds["event"].values != "none")):
        label = "a replica's event (" + ", ".join(sorted(set(ds["event"].values) - {"none"})) + ")"
        ax.axvline(float(ds["event_time"][k]), color="C3", lw=0.8, alpha=0.6, label=label if i == 0 else None)
    ax.set_xlabel("t")
    ax.set_ylabel(r"$\frac{1}{N}\sum_i |X_i|^2$")
    ax.set_title("second moment: " + run_title(ds), fontsize=9)
    ax.legend(frameon=False)
    return ax


def plot_limit_distance(ds: xr.Dataset, ax: Axes | None = None) -> Axes:
    """∫|ρ_KDE − ρ(t)| dx / M between each replica's particles and the mean-field density over
    time (``limit_l1``, the run solved with ``[run] limit``), their mean, and the same distance for
    N independent draws from ρ(t) (``limit_l1_floor``): the estimator's own error, the floor a
    distance of this kind cannot go below at this N."""
    if "limit_l1" not in ds:
        raise ValueError("the dataset has no limit_l1: run with [run] limit = true")
    (ax,) = axes_row(ax, 1, 6, 4)
    t = ds["time"].values
    l1 = ds["limit_l1"]
    r = ds.sizes["replica"]
    for k in range(min(r, 20)):
        ax.plot(t, l1.isel(replica=k), color="0.75", lw=0.7, label="each replica" if k == 0 else None)
    ax.plot(t, l1.mean("replica", skipna=True), color="C0", lw=2, label=f"mean of {r} replicas")
    if "limit_l1_floor" in ds:
        ax.plot(
            t, ds["limit_l1_floor"], "k:", lw=1.2, label="N i.i.d. draws from ρ(t): the estimator's own error"
        )
    else:
        floor = float(l1.isel(time=0).mean())
        ax.axhline(floor, color="k", ls=":", lw=1, label=f"t = 0 (i.i.d. draws from ρ0): {floor:.3f}")
    blowup = ds.attrs.get("limit_blowup_time", np.nan)
    if np.isfinite(blowup):
        ax.axvline(blowup, color="C3", ls="--", lw=1, label=f"PDE blow-up t ≈ {blowup:.4g}")
    n = int(ds.attrs.get("n_particles", ds.sizes["particle"]))
    ax.set(
        xlabel="t",
        ylabel="∫|ρ_KDE − ρ| dx / M",
        ylim=(0, None),
        title=f"particles (N = {n}) against the mean-field limit ({ds.attrs.get('limit_solver', '')} solver)",
    )
    ax.legend(frameon=False)
    return ax


def plot_clusters(ds: xr.Dataset, axes: Sequence[Axes] | None = None, max_size: int = 6) -> list[Axes]:
    """Cluster sizes: largest cluster over time, P(a cluster of ≥ k particles by t), exploding sizes.

    Three axes. Needs cluster tracking (``largest_cluster`` and ``cluster_first_time``). The
    dashed line in the last panel is the smallest k with collision dimension δ_k ≤ 0, when the
    dataset gives it (attribute ``smallest_exploding_cluster``).
    """
    if "largest_cluster" not in ds:
        raise ValueError("the dataset has no cluster fields: run with [clusters] or adaptive steps")
    t = ds["time"].values
    r = ds.sizes["replica"]
    stopped = np.where(ds["event"].values != "none", ds["event_time"].values, t[-1])
    seen = np.r_[stopped, ds["cluster_first_time"].values.ravel()]
    horizon = 1.05 * float(np.nanmax(seen)) if np.any(np.isfinite(seen)) else float(t[-1])
    axes = axes_row(axes, 3, 13 / 3, 3.8)
    ax = axes[0]
    for k in range(min(r, 20)):
        ax.step(t, ds["largest_cluster"].isel(replica=k), where="post", color="0.6", lw=0.8)
    ax.step(t, ds["largest_cluster"].mean("replica"), where="post", color="C0", lw=2, label="mean")
    ax.set(
        xlabel="t",
        ylabel="particles in the largest cluster (save times)",
        xlim=(0, max(horizon, t[min(1, len(t) - 1)])),
        title="largest cluster",
    )
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.plot([], [], color="0.6", lw=0.8, label="each replica")
    ax.legend(frameon=False, loc="upper left")

    ax = axes[1]
    first = ds["cluster_first_time"]
    for k in range(2, min(max_size, first.sizes["size"] - 1) + 1):
        hits = np.sort(first.sel(size=k).values)
        hits = hits[np.isfinite(hits)]
        steps = np.r_[0, np.arange(1, hits.size + 1), hits.size] / r
        ax.step(np.r_[0.0, hits, horizon], steps, where="post", label=f"k = {k}")
    ax.set(
        xlabel="t",
        ylabel=f"fraction of the {r} replicas",
        ylim=(0, 1.02),
        xlim=(0, horizon),
        title="P(a cluster of ≥ k particles by t)",
    )
    ax.legend(frameon=False, fontsize=8, loc="best", ncols=2)
    for time_axis in axes[:2]:  # few labels: short runs have long tick labels
        time_axis.xaxis.set_major_locator(MaxNLocator(nbins=4))

    ax = axes[2]
    exploded = ds["event"].values == "explosion"
    sizes = ds["exploding_cluster"].values[exploded].astype(int)
    if sizes.size:
        edges = np.arange(sizes.min(), sizes.max() + 2) - 0.5
        ax.hist(sizes, bins=edges, color="C3", alpha=0.8)
    theory = int(ds.attrs.get("smallest_exploding_cluster", 0))
    if theory:
        ax.axvline(theory, color="k", ls="--", label=f"smallest k with δ_k ≤ 0: {theory}")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    ticks = np.r_[sizes, [theory] if theory else []].astype(int)
    if ticks.size:
        ax.set_xticks(np.arange(ticks.min(), ticks.max() + 1))
    ax.set(xlabel="exploding cluster size", ylabel="replicas", title=f"{exploded.sum()} of {r} exploded")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].figure.suptitle(run_title(ds))
    return axes


def open_run(folder: OutputFolder) -> xr.Dataset:
    """The dataset ``run.nc`` of a finished run folder, loaded; FolderError if it cannot be read."""
    try:
        with xr.open_dataset(folder.path / "run.nc", engine="netcdf4") as ds:
            ds = ds.load()
    except (OSError, ValueError) as err:
        raise FolderError(
            f"{folder.path / 'run.nc'}: cannot be read ({err}); run it again with --overwrite"
        ) from None
    if ds.attrs.get("title") != "kellersegel particle run":
        raise FolderError(f"{folder.path / 'run.nc'}: not a kellersegel particle run")
    return ds


def open_limit(folder: OutputFolder) -> xr.Dataset | None:
    """The mean-field solution ``limit.nc`` a run with ``[run] limit`` wrote, loaded (None: none)."""
    path = folder.path / "limit.nc"
    if not path.exists():
        return None
    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            return ds.load()
    except (OSError, ValueError) as err:
        raise FolderError(f"{path}: cannot be read ({err}); run it again with --overwrite") from None


def save_run_figures(outdir: str | Path | OutputFolder) -> list[Path]:
    """All figures of the finished run in ``outdir`` (reads ``outdir/run.nc``): snapshots.png,
    second_moment.png, with the limit solved in the run (``limit.nc``) limit.png and the PDE's
    density under the snapshots, with cluster tracking clusters.png (recorded in its manifest)."""
    folder = outdir if isinstance(outdir, OutputFolder) else OutputFolder.finished(outdir, "run")
    ds = open_run(folder)
    limit = open_limit(folder)
    rows = 1 if limit is None else 2
    fig, axes = file_figure(len(snapshot_times(ds)), height=4.0 if rows == 1 else 3.6, rows=rows)
    plot_snapshots(ds, axes, limit=limit)
    figures = [save_figure(fig, folder.file("snapshots.png"))]
    fig, (ax,) = file_figure(1, 6, 4)
    plot_second_moment(ds, ax)
    figures.append(save_figure(fig, folder.file("second_moment.png")))
    if "limit_l1" in ds:
        fig, (ax,) = file_figure(1, 6, 4)
        plot_limit_distance(ds, ax)
        figures.append(save_figure(fig, folder.file("limit.png")))
    if "largest_cluster" in ds:
        fig, axes = file_figure(3, 13 / 3, 3.8)
        plot_clusters(ds, axes)
        figures.append(save_figure(fig, folder.file("clusters.png")))
    return figures
