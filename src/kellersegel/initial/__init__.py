"""Initial data: cell laws that can be sampled (N points) and that have a density, and initial
signals c0 (θ > 0)."""

from kellersegel.initial.base import InitialData
from kellersegel.initial.c0 import GaussianMixtureC0, UniformDiskC0
from kellersegel.initial.file import PointsFromFile, read_points
from kellersegel.initial.laws import GaussianBumps, GaussianData, PointMass, UniformDisk

__all__ = [
    "GaussianBumps",
    "GaussianData",
    "GaussianMixtureC0",
    "InitialData",
    "PointMass",
    "PointsFromFile",
    "UniformDisk",
    "UniformDiskC0",
    "read_points",
]
