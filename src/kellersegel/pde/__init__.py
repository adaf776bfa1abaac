"""Mean-field PDE solvers: the limits the particle systems converge to.

- :class:`RadialSolver`: classical model, θ = 0, λ = 0, radial data, in the mass coordinate s = r².
- :class:`FiniteVolumeSolver`: every model (D(c), S(c), θ ≥ 0, λ ≥ 0) on a uniform grid,
  positivity-preserving and conservative, with the signal on the whole plane.
"""

from kellersegel.pde.finite_volume import FiniteVolumeSolver, SolveInterrupted
from kellersegel.pde.grid import Grid2D, UnderResolvedWarning
from kellersegel.pde.radial import RadialGrid, RadialSolution, RadialSolver, radial_mass
from kellersegel.pde.signal import FreeSpaceSignalSolver, FrozenSignalSolver, HeatSignalSolver
from kellersegel.pde.solution import GridSolution, MeanFieldSolution

__all__ = [
    "FiniteVolumeSolver",
    "FreeSpaceSignalSolver",
    "FrozenSignalSolver",
    "Grid2D",
    "GridSolution",
    "HeatSignalSolver",
    "MeanFieldSolution",
    "RadialGrid",
    "RadialSolution",
    "RadialSolver",
    "SolveInterrupted",
    "UnderResolvedWarning",
    "radial_mass",
]
