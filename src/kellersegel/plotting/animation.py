"""An animated GIF of a run's particles (``kellersegel animate OUTDIR``).

One frame per save time of one replica, in a window fixed over the whole film (the 0.5 % and
99.5 % quantiles of every saved position, padded), so that a spreading or collapsing cloud shows as
what it is. Frames after a run's event (no positions saved) are left out. Written with Pillow
through :class:`matplotlib.animation.PillowWriter` (Pillow comes with matplotlib): no encoder to
install.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.animation import PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kellersegel._files import atomic_path
from kellersegel.experiments.outputs import OutputFolder
from kellersegel.plotting.run_figures import open_run, run_title

__all__ = ["animate_particles", "save_run_animation"]


def animate_particles(
    ds: xr.Dataset, path: str | Path, *, replica: int = 0, fps: float = 8.0, max_points: int = 5000
) -> Path:
    """Write the film of replica ``replica``'s particles to ``path`` (a ``.gif``); at most
    ``max_points`` particles are drawn (the first ones), every frame titled with its time."""
    if not 0 <= replica < ds.sizes["replica"]:
        raise ValueError(f"--replica: the run has replicas 0 … {ds.sizes['replica'] - 1}, got {replica}")
    x = ds["positions"].isel(replica=replica, particle=slice(0, max_points)).values  # (time, n, 2)
    saved = np.flatnonzero(np.all(np.isfinite(x), axis=(1, 2)))
    if saved.size == 0:
        raise ValueError("the run saved no positions to animate")
    low, high = np.quantile(x[saved], [0.005, 0.995], axis=(0, 1))
    centre, half = 0.5 * (low + high), 0.55 * float((high - low).max())
    fig = Figure(figsize=(5.0, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    dots = ax.scatter(x[saved[0], :, 0], x[saved[0], :, 1], s=2, lw=0, color="C0")
    ax.set(xlim=(centre[0] - half, centre[0] + half), ylim=(centre[1] - half, centre[1] + half))
    ax.set(xlabel="x", ylabel="y", aspect="equal")
    heading = run_title(ds, replica, shown=x.shape[1])
    title = ax.set_title("")
    times = ds["time"].values
    path = Path(path)
    with atomic_path(path) as tmp:
        writer = PillowWriter(fps=fps)
        with writer.saving(fig, str(tmp), dpi=100):
            for k in saved:
                dots.set_offsets(x[k])
                title.set_text(f"{heading}\nt = {times[k]:.4g}")
                writer.grab_frame()
    return path


def save_run_animation(outdir: str | Path, *, replica: int = 0, fps: float = 8.0) -> Path:
    """``particles.gif`` of the finished run in ``outdir`` (recorded in its manifest)."""
    folder = OutputFolder.finished(outdir, "run")
    ds = open_run(folder)
    return animate_particles(ds, folder.file("particles.gif"), replica=replica, fps=fps)
