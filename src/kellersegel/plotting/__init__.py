"""Figures: ``plot_…(ds, ax=…)`` draw on given axes (or a new figure) and return them;
``save_…`` write the files of a run, a PDE solution or a sweep."""

from kellersegel.plotting.animation import animate_particles
from kellersegel.plotting.pde_figures import plot_pde, save_pde_figure
from kellersegel.plotting.run_figures import (
    plot_clusters,
    plot_limit_distance,
    plot_second_moment,
    plot_snapshots,
    save_run_figures,
)

__all__ = [
    "animate_particles",
    "plot_clusters",
    "plot_limit_distance",
    "plot_pde",
    "plot_second_moment",
    "plot_snapshots",
    "save_pde_figure",
    "save_run_figures",
]
