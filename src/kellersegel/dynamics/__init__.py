"""Particle dynamics: signal fields, Euler–Maruyama steps, simulation with events."""

from kellersegel.dynamics.adaptive import CollisionStepController, CollisionSteps, adaptive_integration
from kellersegel.dynamics.brownian import BrownianTree, BrownianWalk
from kellersegel.dynamics.clusters import ClosePairs, ClusterTracker, close_pairs, find_clusters
from kellersegel.dynamics.coupling import coupled_integration
from kellersegel.dynamics.diagnostics import center_of_mass, min_pair_distance, second_moment
from kellersegel.dynamics.euler_maruyama import Coefficients, EulerMaruyama
from kellersegel.dynamics.integrate import (
    BrownianIncrements,
    Event,
    FixedSteps,
    GaussianIncrements,
    Integration,
    Observer,
    Solution,
    State,
    StepControl,
    integrate,
)
from kellersegel.dynamics.memory import ExactHistorySignal, SpectralMemorySignal
from kellersegel.dynamics.signal import EllipticSignal, GivenSignal, SignalField
from kellersegel.dynamics.split_memory import SplitMemorySignal
from kellersegel.dynamics.time_grid import TimeGrid
from kellersegel.dynamics.trajectory import EVENTS, Trajectory, fixed_step_integration

__all__ = [
    "BrownianIncrements",
    "CollisionSteps",
    "Event",
    "FixedSteps",
    "GaussianIncrements",
    "Integration",
    "Observer",
    "Solution",
    "State",
    "StepControl",
    "adaptive_integration",
    "coupled_integration",
    "fixed_step_integration",
    "integrate",
    "EVENTS",
    "BrownianTree",
    "BrownianWalk",
    "ClosePairs",
    "ClusterTracker",
    "Coefficients",
    "CollisionStepController",
    "EllipticSignal",
    "EulerMaruyama",
    "ExactHistorySignal",
    "GivenSignal",
    "SignalField",
    "SpectralMemorySignal",
    "SplitMemorySignal",
    "TimeGrid",
    "Trajectory",
    "center_of_mass",
    "close_pairs",
    "find_clusters",
    "min_pair_distance",
    "second_moment",
]
