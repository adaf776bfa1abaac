"""Benchmark figures: time against N, one line per implementation, on log–log axes."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes

from kellersegel.experiments.bench import CompareRow
from kellersegel.plotting.base import axes_row, file_figure, save_figure

__all__ = ["plot_bench_compare", "save_bench_compare"]


def plot_bench_compare(rows: Sequence[CompareRow], ax: Axes | None = None, title: str = "") -> Axes:
    """Seconds per evaluation against N for each implementation and λ, with an O(N) guide line
    through the first one's smallest N."""
    (ax,) = axes_row(ax, 1, width=5.0, height=3.8)
    names = list(dict.fromkeys((r.implementation, r.lam) for r in rows))
    for name, lam in names:
        mine = sorted((r.n, r.seconds) for r in rows if (r.implementation, r.lam) == (name, lam))
        ax.loglog(*zip(*mine, strict=True), "o-", label=f"{name}, λ = {lam:g}")
    first = sorted((r.n, r.seconds) for r in rows if (r.implementation, r.lam) == names[0])
    if len(first) > 1:
        (n0, t0), (n1, _) = first[0], first[-1]
        ax.loglog([n0, n1], [t0, t0 * n1 / n0], "k:", lw=1, label="∝ N")
    ax.set_xlabel("N")
    ax.set_ylabel("seconds per evaluation of ∇")
    ax.set_title("\n".join(textwrap.fill(line, 72) for line in title.splitlines()), fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return ax


def save_bench_compare(rows: Sequence[CompareRow], path: str | Path, title: str = "") -> Path:
    """Write :func:`plot_bench_compare` to ``path`` (format from the suffix)."""
    fig, (ax,) = file_figure(1, width=5.5, height=4.0)
    plot_bench_compare(rows, ax=ax, title=title)
    return save_figure(fig, path)
