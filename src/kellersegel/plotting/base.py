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

__all__ = ["axes_row", "file_figure", "save_figure"]

DPI = 130


def axes_row(
    axes: Axes | Sequence[Axes] | None, n: int, width: float = 3.6, height: float = 3.6
) -> list[Axes]:
    """``n`` axes: those given (their number must be n), or a new pyplot figure with one row."""
    if axes is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(width * n, height), layout="constrained")
        return list(fig.subplots(1, n, squeeze=False)[0])
    axes = [axes] if isinstance(axes, Axes) else list(np.ravel(axes))
    if len(axes) != n:
        raise ValueError(f"this figure needs {n} axes, got {len(axes)}")
    return axes


def file_figure(n: int, width: float = 3.6, height: float = 3.6) -> tuple[Figure, list[Axes]]:
    """A figure (without pyplot) with one row of ``n`` axes, to be written by :func:`save_figure`."""
    fig = Figure(figsize=(width * n, height), layout="constrained")
    return fig, list(fig.subplots(1, n, squeeze=False)[0])


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (format from its suffix), atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=DPI)
    return Path(path)
