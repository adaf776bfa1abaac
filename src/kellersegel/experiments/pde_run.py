"""Solve the mean-field PDE of a configuration ([model], [initial], [time], [pde])."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from kellersegel._files import write_text
from kellersegel._registry import Registered
from kellersegel.config.load import ConfigError, config_to_toml
from kellersegel.config.schema import DiskInitial, GaussianInitial, RunConfig
from kellersegel.experiments.build import build_initial, build_initial_signal, build_model
from kellersegel.experiments.dataset import write_netcdf
from kellersegel.experiments.outputs import OutputFolder
from kellersegel.experiments.progress import Progress
from kellersegel.kernels import InteractionKernel
from kellersegel.models import ClassicalModel
from kellersegel.pde import (
    FiniteVolumeSolver,
    Grid2D,
    MeanFieldSolution,
    RadialGrid,
    RadialSolver,
    SolveInterrupted,
)

__all__ = [
    "PDE_FILES",
    "LimitSolver",
    "check_limit",
    "choose_pde_solver",
    "limit_dataset",
    "mollified_limit_kernel",
    "solve_limit",
    "solve_mollified_limit",
    "solve_pde",
]


def _spread(initial, t_end: float) -> float:
    """E|X − EX|² of the data plus the heat spreading 4t (an estimate of the final spread)."""
    mean = initial.mean()
    return initial.second_moment() - float(mean @ mean) + 4.0 * t_end


class LimitSolver(Registered):
    """How the mean-field PDE of a configuration is solved (``[pde] solver``), and how its
    solution gives ρ(t) as cell values on a grid. A subclass with a ``name`` registers itself;
    ``auto`` takes the first registered solver that :meth:`covers` the configuration."""

    registry: ClassVar[dict[str, type[LimitSolver]]] = {}
    registry_label = "pde solver"
    #: what :meth:`covers` accepts, in words (for the error when a configuration names a solver
    #: that does not cover it)
    scope: ClassVar[str] = "every model"

    @classmethod
    def covers(cls, config: RunConfig) -> bool:
        """Whether ``auto`` may choose this solver for ``config``."""
        return True

    @classmethod
    @abstractmethod
    def solve(cls, config: RunConfig, progress: Callable[[float], None] | None) -> MeanFieldSolution:
        """The solution up to ``[time] t_end``, saved every ``save_every``."""

    @classmethod
    @abstractmethod
    def density(cls, plan, solution, t: float) -> tuple[Grid2D, NDArray[np.float64]]:
        """ρ(t) of a run plan's limit as cell values on a grid (of ``[chaos] grid_n``² cells
        unless the solver has one)."""


class RadialLimit(LimitSolver):
    """The radial solver in the mass coordinate s = r² (classical model, θ = λ = 0, centred radial data)."""

    name = "radial"
    scope = "the classical model with theta = 0 and lam = 0 on centred Gaussian or disk data"

    @classmethod
    def covers(cls, config):
        m, init = config.model, config.initial
        radial_data = isinstance(init, GaussianInitial | DiskInitial) and list(init.center) == [0.0, 0.0]
        return radial_data and m.name == "classical" and m.theta == 0 and m.lam == 0

    @classmethod
    def solve(cls, config, progress):
        model, initial, p, t = build_model(config), build_initial(config), config.pde, config.time
        if not isinstance(model, ClassicalModel):
            raise ValueError("the radial solver covers the classical model only")
        grid = RadialGrid(n=p.radial_n, s_max=p.s_max or 30.0 * _spread(initial, t.t_end))
        return RadialSolver(model, grid).solve(
            initial, t.t_end, t.save_every, blowup_density=p.blowup_density, progress=progress
        )

    @classmethod
    def density(cls, plan, solution, t):
        spread = plan.initial.second_moment() + 4.0 * t
        grid = Grid2D(n=plan.config.chaos.grid_n, half_width=max(4.5 * math.sqrt(spread), 1.0))
        return grid, solution.density(t, np.linalg.norm(grid.points, axis=-1))


class GridLimit(LimitSolver):
    """The finite-volume solver on a square grid (every model, θ ≥ 0)."""

    name = "grid"

    @classmethod
    def solve(cls, config, progress, kernel: InteractionKernel | None = None):
        """``kernel``: the signal K_ε * ρ of a mollified kernel (the mollified limit; θ = 0)."""
        model, initial, p, t = build_model(config), build_initial(config), config.pde, config.time
        # a Gaussian of that spread has mass e^{−20} beyond 4.5 times its RMS radius
        half_width = p.half_width or max(4.5 * math.sqrt(_spread(initial, t.t_end)), 1.0)
        grid = Grid2D(n=p.n, half_width=half_width, center=tuple(initial.mean().tolist()))
        fv = FiniteVolumeSolver(model, grid, cfl=p.cfl, blowup_density=p.blowup_density, kernel=kernel)
        c0 = build_initial_signal(config)
        c0_grid = None if c0 is None else grid.cell_averages(c0.law, c0.mass)
        return fv.solve(initial, t.t_end, t.save_every, initial_signal=c0_grid, progress=progress)

    @classmethod
    def density(cls, plan, solution, t):
        k = int(np.argmin(np.abs(solution.times - t)))
        if not abs(solution.times[k] - t) <= 1e-9 * max(1.0, t):
            raise ValueError(f"the PDE solution has no frame at t = {t}")
        return solution.grid, solution.density[k]


def choose_pde_solver(config: RunConfig) -> str:
    """``[pde] solver``, or for ``auto`` the first registered solver that covers the configuration
    (radial for the classical model with θ = 0, λ = 0 on centred radial data; else grid)."""
    if config.pde.solver != "auto":
        solver = LimitSolver.named(config.pde.solver)
        if not solver.covers(config):
            raise ConfigError(
                f"pde ({solver.name} solver): the {solver.name} solver covers {solver.scope} only; "
                "use pde.solver = 'grid' (or 'auto')"
            )
        return config.pde.solver
    return next(name for name, solver in LimitSolver.registry.items() if solver.covers(config))


def check_limit(config: RunConfig) -> str:
    """The solver of ``config``'s PDE (:func:`choose_pde_solver`), after the checks that need no
    solve: a :class:`ConfigError` naming the key if the solver does not cover the configuration
    or the initial data have no bounded density (a point mass)."""
    name = choose_pde_solver(config)
    initial = build_initial(config)
    if not initial.has_density:
        raise ConfigError(
            f"initial.kind = {config.initial.kind!r}: {type(initial).__name__} has no bounded density, "
            "the mean-field PDE needs one (run the particles without [run] limit, or start from a density)"
        )
    return name


def solve_limit(config: RunConfig, progress: bool = False):
    """The mean-field PDE's solution object (:class:`RadialSolution` or :class:`GridSolution`);
    ``progress``: show the model time reached (:class:`Progress`). A solver named in ``[pde]``
    that does not cover the configuration is a :class:`ConfigError` (:func:`choose_pde_solver`)."""
    name = choose_pde_solver(config)
    with Progress("pde t", config.time.t_end, enabled=progress) as bar:
        try:
            return LimitSolver.named(name).solve(config, bar.update if progress else None)
        except ValueError as err:
            raise ConfigError(f"pde ({name} solver): {err}") from None


def mollified_limit_kernel(plan) -> InteractionKernel | None:
    """The kernel K_ε of a run plan's mollified limit, or None where there is none to solve: an
    exact kernel (the mollified limit is the limit) or θ > 0 (not built: the heat signal solver
    has no mollified source)."""
    if plan.kernel.epsilon is None or plan.model.theta > 0:
        return None
    return plan.kernel


def solve_mollified_limit(config: RunConfig, kernel: InteractionKernel) -> MeanFieldSolution:
    """The mollified limit ∂t ρ^ε = ∇·(D(c)∇ρ^ε − ρ^ε S(c)∇c), c = K_ε * ρ^ε (θ = 0), by the grid
    solver on the grid of ``[pde]`` (whatever solver the limit itself uses)."""
    try:
        return GridLimit.solve(config, None, kernel=kernel)
    except ValueError as err:
        raise ConfigError(f"pde (grid solver, mollified limit): {err}") from None


#: what a pde folder holds (the command line adds the figure)
PDE_FILES = ("config.toml", "pde.nc", "pde.png")


def solve_pde(
    config: RunConfig,
    outdir: str | Path | None = None,
    progress: bool = False,
    *,
    overwrite: bool = False,
    inputs: Sequence[str | Path] = (),
) -> xr.Dataset:
    """Solve and return the dataset; with ``outdir`` (an
    :class:`~kellersegel.experiments.outputs.OutputFolder` of kind ``pde``, claimed before the
    solve), write ``config.toml`` and ``pde.nc``. Interrupted (Ctrl-C), the grid solver's frames
    so far are written and the ``KeyboardInterrupt`` (:class:`~kellersegel.pde.SolveInterrupted`,
    with the partial dataset as ``dataset``) goes on to the caller."""
    text = config_to_toml(config)
    check_limit(config)  # a PDE that cannot be solved: before any file
    folder = None
    if outdir is not None:
        folder = OutputFolder.claim(outdir, "pde", text, PDE_FILES, overwrite=overwrite, inputs=inputs)
    try:
        ds = limit_dataset(config, solve_limit(config, progress))
    except ConfigError:
        if folder is not None:  # a user error: the folder as it was
            folder.abandon()
        raise
    except KeyboardInterrupt as stop:
        if isinstance(stop, SolveInterrupted):
            stop.dataset = limit_dataset(config, stop.solution)
            if folder is not None:
                _write(folder, text, stop.dataset)
        if folder is not None:
            folder.interrupted()
        raise
    if folder is not None:
        _write(folder, text, ds)
        folder.complete()
    return ds


def _write(folder: OutputFolder, text: str, ds: xr.Dataset) -> None:
    write_text(folder.file("config.toml"), text)
    write_netcdf(ds, folder.file("pde.nc"))


def limit_dataset(config: RunConfig, solution) -> xr.Dataset:
    """The solution as a dataset (its ``to_dataset``) with the configuration, the package version
    and, for the classical model with θ = λ = 0, the virial slope d/dt ∫|x|²ρ dx = M(4 − χM/(2π))."""
    from kellersegel import __version__

    model = build_model(config)
    ds = solution.to_dataset()
    ds.attrs.update({"config": config_to_toml(config), "kellersegel_version": __version__})
    virial = model.virial_slope() if isinstance(model, ClassicalModel) else None
    if virial is not None:
        ds.attrs["virial_slope"] = virial * model.mass
    return ds
