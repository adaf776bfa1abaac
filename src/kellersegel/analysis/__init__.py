"""Analysis of runs against their limits: densities and distances, convergence rates."""

from kellersegel.analysis.density import binned_kde, l1_distance, scott_bandwidth
from kellersegel.analysis.rates import RateFit, fit_rate

__all__ = ["RateFit", "binned_kde", "fit_rate", "l1_distance", "scott_bandwidth"]
