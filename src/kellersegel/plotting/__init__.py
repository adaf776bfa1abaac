"""Figures (matplotlib, written to files)."""

from kellersegel.plotting.run_figures import plot_clusters, plot_run, plot_second_moment, plot_snapshots

__all__ = ["plot_clusters", "plot_run", "plot_second_moment", "plot_snapshots"]
