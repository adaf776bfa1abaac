"""A film of a run's particles (``kellersegel animate OUTDIR``), over their mean-field limit.

One frame per save time of one replica, in a window fixed over the whole film (the 0.5 % and
99.5 % quantiles of every saved position, padded), so that a spreading or collapsing cloud shows as
what it is. Frames after a run's event (no positions saved) are left out. Where the run solved its
limit (``[run] limit``, ``limit.nc``) the mean-field density ρ(t) is the background of every frame,
on one colour scale for the whole film, and the frame's title gives ∫|ρ_KDE − ρ|dx/M.

MP4 (H.264) is written by the ffmpeg that the ``imageio-ffmpeg`` wheel ships (a dependency: no
system encoder needed), through :class:`matplotlib.animation.FFMpegWriter`; GIF by Pillow (comes
with matplotlib) through :class:`matplotlib.animation.PillowWriter`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kellersegel._files import atomic_path
from kellersegel.experiments.outputs import OutputFolder
from kellersegel.plotting.run_figures import limit_image, open_limit, open_run, run_title

__all__ = ["animate_particles", "film_format", "save_run_animation"]


def film_format() -> str:
    """``"mp4"`` where the ffmpeg of ``imageio-ffmpeg`` can be found, else ``"gif"``."""
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return "gif"
    return "mp4"


def _writer(path: Path, fps: float):
    if path.suffix == ".gif":
        return PillowWriter(fps=fps), {}
    if path.suffix == ".mp4":
        import imageio_ffmpeg

        # yuv420p: the pixel format every player reads; even frame sizes are ensured by the figure
        writer = FFMpegWriter(fps=fps, codec="libx264", extra_args=["-pix_fmt", "yuv420p"])
        return writer, {"animation.ffmpeg_path": imageio_ffmpeg.get_ffmpeg_exe()}
    raise ValueError(f"{path}: a film is written as .mp4 or .gif")


def animate_particles(
    ds: xr.Dataset,
    path: str | Path,
    *,
    replica: int = 0,
    fps: float = 8.0,
    max_points: int = 5000,
    limit: xr.Dataset | None = None,
) -> Path:
    """Write the film of replica ``replica``'s particles to ``path`` (``.mp4`` or ``.gif``); at
    most ``max_points`` particles are drawn (the first ones), every frame titled with its time;
    with ``limit`` (the run's mean-field solution) its density behind the particles."""
    if not 0 <= replica < ds.sizes["replica"]:
        raise ValueError(f"--replica: the run has replicas 0 … {ds.sizes['replica'] - 1}, got {replica}")
    path = Path(path)
    writer, rc = _writer(path, fps)
    x = ds["positions"].isel(replica=replica, particle=slice(0, max_points)).values  # (time, n, 2)
    saved = np.flatnonzero(np.all(np.isfinite(x), axis=(1, 2)))
    if saved.size == 0:
        raise ValueError("the run saved no positions to animate")
    low, high = np.quantile(x[saved], [0.005, 0.995], axis=(0, 1))
    centre, half = 0.5 * (low + high), 0.55 * float((high - low).max())
    extent = (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)
    fig = Figure(figsize=(6.0 if limit is not None else 5.0, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    times = ds["time"].values
    background, frames = None, {}
    if limit is not None:
        gx, gy = np.meshgrid(np.linspace(*extent[:2], 200), np.linspace(*extent[2:], 200))
        frames = {k: limit_image(limit, float(times[k]), gx, gy) for k in saved}
        top = max((float(f.max()) for f in frames.values() if f is not None), default=1.0)
        background = ax.imshow(
            np.zeros_like(gx), origin="lower", extent=extent, cmap="Blues", vmin=0.0, vmax=top
        )
        fig.colorbar(background, ax=ax, shrink=0.8, label="mean-field density ρ(t)")
    dots = ax.scatter(x[saved[0], :, 0], x[saved[0], :, 1], s=2, lw=0, color="C1" if limit else "C0")
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="x", ylabel="y", aspect="equal")
    heading = run_title(ds, replica, shown=x.shape[1])
    title = ax.set_title("", fontsize=9)
    l1 = ds["limit_l1"].isel(replica=replica).values if "limit_l1" in ds else None
    with matplotlib.rc_context(rc), atomic_path(path) as tmp:
        with writer.saving(fig, str(tmp), dpi=100):
            for k in saved:
                dots.set_offsets(x[k])
                line = f"t = {times[k]:.4g}"
                if background is not None:
                    rho = frames[k]
                    background.set_data(np.zeros_like(gx) if rho is None else rho)
                    line += "   (PDE ended: blow-up)" if rho is None else ""
                if l1 is not None and np.isfinite(l1[k]):
                    line += f"   ∫|ρ_KDE − ρ|dx/M = {l1[k]:.3f}"
                title.set_text(f"{heading}\n{line}")
                writer.grab_frame()
    return path


def save_run_animation(
    outdir: str | Path, *, replica: int = 0, fps: float = 8.0, fmt: str | None = None
) -> Path:
    """``particles.mp4`` (``particles.gif`` where no ffmpeg is found, or with ``fmt="gif"``) of
    the finished run in ``outdir`` (recorded in its manifest), over its limit where solved."""
    folder = OutputFolder.finished(outdir, "run")
    ds = open_run(folder)
    fmt = fmt or film_format()
    return animate_particles(
        ds, folder.file(f"particles.{fmt}"), replica=replica, fps=fps, limit=open_limit(folder)
    )
