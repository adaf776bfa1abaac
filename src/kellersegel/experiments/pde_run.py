"""Solve the mean-field PDE of a configuration ([model], [initial], [time], [pde])."""

from __future__ import annotations

import math
from pathlib import Path

import xarray as xr

from kellersegel.config.load import ConfigError, config_to_toml
from kellersegel.config.schema import DiskInitial, GaussianInitial, RunConfig
from kellersegel.experiments.build import build_initial, build_initial_signal, build_model
from kellersegel.experiments.dataset import write_netcdf
from kellersegel.experiments.progress import Progress
from kellersegel.models import ClassicalModel

__all__ = ["choose_pde_solver", "solve_limit", "solve_pde"]


def choose_pde_solver(config: RunConfig) -> str:
    """``radial`` for the classical model with θ = 0, λ = 0 on data centred at 0 and radial; else ``grid``."""
    if config.pde.solver != "auto":
        return config.pde.solver
    m, init = config.model, config.initial
    radial_data = isinstance(init, GaussianInitial | DiskInitial) and list(init.center) == [0.0, 0.0]
    classical = m.name == "classical" and m.theta == 0 and m.lam == 0
    return "radial" if radial_data and classical else "grid"


def _spread(initial, t_end: float) -> float:
    """E|X − EX|² of the data plus the heat spreading 4t (an estimate of the final spread)."""
    mean = initial.mean()
    return initial.second_moment() - float(mean @ mean) + 4.0 * t_end


def solve_limit(config: RunConfig, progress: bool = False):
    """The mean-field PDE's solution object (:class:`RadialSolution` or :class:`GridSolution`);
    ``progress``: show the model time reached (:class:`Progress`)."""
    with Progress("pde t", config.time.t_end, enabled=progress) as bar:
        return _solve_limit(config, bar.update if progress else None)


def _solve_limit(config: RunConfig, progress):
    from kellersegel.pde import FiniteVolumeSolver, Grid2D, RadialGrid, RadialSolver

    model, initial, p, t = build_model(config), build_initial(config), config.pde, config.time
    solver = choose_pde_solver(config)
    try:
        if solver == "radial":
            if not isinstance(model, ClassicalModel):
                raise ValueError("the radial solver covers the classical model only")
            s_max = p.s_max or 30.0 * _spread(initial, t.t_end)
            grid = RadialGrid(n=p.radial_n, s_max=s_max)
            return RadialSolver(model, grid).solve(
                initial, t.t_end, t.save_every, blowup_density=p.blowup_density, progress=progress
            )
        # a Gaussian of that spread has mass e^{−20} beyond 4.5 times its RMS radius
        half_width = p.half_width or max(4.5 * math.sqrt(_spread(initial, t.t_end)), 1.0)
        grid = Grid2D(n=p.n, half_width=half_width, center=tuple(initial.mean().tolist()))
        fv = FiniteVolumeSolver(model, grid, cfl=p.cfl, blowup_density=p.blowup_density)
        c0 = build_initial_signal(config)
        c0_grid = None if c0 is None else grid.cell_averages(c0.law, c0.mass)
        return fv.solve(initial, t.t_end, t.save_every, initial_signal=c0_grid, progress=progress)
    except ValueError as err:
        raise ConfigError(f"pde ({solver} solver): {err}") from None


def solve_pde(config: RunConfig, outdir: str | Path | None = None, progress: bool = False) -> xr.Dataset:
    """Solve and return the dataset; with ``outdir``, write ``config.toml`` and ``pde.nc``."""
    from kellersegel import __version__

    model = build_model(config)
    ds = solve_limit(config, progress).to_dataset()
    ds.attrs.update({"config": config_to_toml(config), "kellersegel_version": __version__})
    virial = model.virial_slope() if isinstance(model, ClassicalModel) else None
    if virial is not None:
        ds.attrs["virial_slope"] = virial * model.mass
    if outdir is not None:
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "config.toml").write_text(config_to_toml(config), encoding="utf-8")
        write_netcdf(ds, outdir / "pde.nc")
    return ds
