"""Initial cell data: laws that can be sampled (N points) and that have a density."""

from kellersegel.initial.base import InitialData
from kellersegel.initial.file import PointsFromFile, read_points
from kellersegel.initial.laws import GaussianBumps, GaussianData, PointMass, UniformDisk

__all__ = [
    "GaussianBumps",
    "GaussianData",
    "InitialData",
    "PointMass",
    "PointsFromFile",
    "UniformDisk",
    "read_points",
]
