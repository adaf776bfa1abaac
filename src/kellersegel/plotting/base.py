"""What every figure function shares: axes to draw on, and writing a figure to a file.

The plotting functions draw on axes they are given (``ax=`` or ``axes=``), so that figures compose
in a notebook, and return them; without axes they make a new pyplot figure. The ``save_…``
functions draw on a :class:`matplotlib.figure.Figure` made without pyplot, so writing files needs
no backend and leaves pyplot's state alone. No module sets a backend at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from kellersegel._files import atomic_path

__all__ = ["axes_grid", "axes_row", "config_table", "file_figure", "save_figure"]

DPI = 130


def axes_row(
    axes: Axes | Sequence[Axes] | None, n: int, width: float = 3.6, height: float = 3.6
) -> list[Axes]:
    """``n`` axes: those given (their number must be n), or a new pyplot figure with one row."""
    return axes_grid(axes, 1, n, width, height)


def axes_grid(
    axes: Axes | Sequence[Axes] | None, rows: int, cols: int, width: float = 3.6, height: float = 3.6
) -> list[Axes]:
    """``rows·cols`` axes in reading order: those given (any arrangement; their number must be
    rows·cols), or a new pyplot figure of ``rows`` × ``cols`` axes, each ``width`` × ``height`` inches."""
    if axes is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(width * cols, height * rows), layout="constrained")
        return list(fig.subplots(rows, cols, squeeze=False).ravel())
    axes = [axes] if isinstance(axes, Axes) else list(np.ravel(axes))
    if len(axes) != rows * cols:
        raise ValueError(f"this figure needs {rows * cols} axes, got {len(axes)}")
    return axes


def file_figure(n: int, width: float = 3.6, height: float = 3.6, rows: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure (without pyplot) with ``rows`` rows of ``n`` axes (reading order), to be written by
    :func:`save_figure`."""
    fig = Figure(figsize=(width * n, height * rows), layout="constrained")
    return fig, list(fig.subplots(rows, n, squeeze=False).ravel())


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (format from its suffix), atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=DPI)
    return Path(path)


def config_table(ds, section: str) -> dict:
    """The table ``[section]`` of the configuration (TOML) a dataset carries in its ``config``
    attribute; empty when it has none or it cannot be read."""
    import tomllib

    try:
        return tomllib.loads(ds.attrs.get("config", "")).get(section, {})
    except tomllib.TOMLDecodeError:
        return {}
