"""Particle dynamics: signal fields, Euler–Maruyama steps, simulation with events."""

from kellersegel.dynamics.adaptive import CollisionStepController, simulate_adaptive
from kellersegel.dynamics.brownian import BrownianTree, BrownianWalk
from kellersegel.dynamics.clusters import ClosePairs, ClusterTracker, close_pairs, find_clusters
from kellersegel.dynamics.coupling import CoupledTrajectory, simulate_coupled
from kellersegel.dynamics.diagnostics import center_of_mass, min_pair_distance, second_moment
from kellersegel.dynamics.euler_maruyama import Coefficients, EulerMaruyama
from kellersegel.dynamics.memory import ExactHistorySignal, SpectralMemorySignal
from kellersegel.dynamics.signal import EllipticSignal, GivenSignal, SignalField
from kellersegel.dynamics.simulate import EVENTS, Trajectory, simulate
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = [
    "EVENTS",
    "BrownianTree",
    "BrownianWalk",
    "ClosePairs",
    "ClusterTracker",
    "Coefficients",
    "CoupledTrajectory",
    "CollisionStepController",
    "EllipticSignal",
    "EulerMaruyama",
    "ExactHistorySignal",
    "GivenSignal",
    "SignalField",
    "SpectralMemorySignal",
    "TimeGrid",
    "Trajectory",
    "center_of_mass",
    "close_pairs",
    "find_clusters",
    "min_pair_distance",
    "simulate",
    "simulate_adaptive",
    "simulate_coupled",
    "second_moment",
]
