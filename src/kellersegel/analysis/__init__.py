"""Analysis of runs against their limits: densities and distances, rates, the theory side."""

from kellersegel.analysis.density import binned_kde, l1_distance, scott_bandwidth
from kellersegel.analysis.distances import (
    TransportDistance,
    density_moments,
    density_support,
    relative_entropy,
    wasserstein,
    wasserstein_distances,
)
from kellersegel.analysis.memory_theory import kappa, memory_threshold
from kellersegel.analysis.rates import RateFit, fit_rate
from kellersegel.analysis.theory import (
    collision_dimension,
    collision_sizes,
    critical_mass,
    fit_bessel_dimension,
    global_existence_threshold,
    smallest_exploding_cluster,
    virial_blowup_time,
)

__all__ = [
    "RateFit",
    "TransportDistance",
    "binned_kde",
    "collision_dimension",
    "collision_sizes",
    "critical_mass",
    "density_moments",
    "density_support",
    "fit_bessel_dimension",
    "fit_rate",
    "global_existence_threshold",
    "kappa",
    "l1_distance",
    "memory_threshold",
    "relative_entropy",
    "scott_bandwidth",
    "smallest_exploding_cluster",
    "virial_blowup_time",
    "wasserstein",
    "wasserstein_distances",
]
