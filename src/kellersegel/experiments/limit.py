"""The particles against their mean-field limit, in the run that made them (``[run] limit``).

The PDE of the same configuration is solved by the solver ``[pde]`` names (``auto``: the radial
solver where it covers the configuration, in seconds; else the finite-volume grid solver), and at
every save time t the particles of each replica are compared with its density ρ(t):

    limit_l1 = ∫ |ρ_KDE − ρ(t)| dx / M,

ρ_KDE = M times the Gaussian KDE of the saved positions (``[chaos] bandwidth``, default Scott's
rule), both as cell values on the grid of ``[chaos] grid_n``² cells the solver gives
(:meth:`~kellersegel.experiments.pde_run.LimitSolver.density`). Beside it, at every save time,

    limit_l1_floor = the same distance for N independent draws from ρ(t)

(the mean over ``FLOOR_SAMPLES`` samples per time, drawn from the cells with weights ρ h² and
uniformly inside the cell; one sample's value scatters by about 20 % at N = 300): the
estimator's own error at that N and that shape of ρ, of order N^−1/3 for smooth data and larger
for a concentrated one (Scott's bandwidth is set by the global spread). A particle system that
follows its limit stays near this floor; the distance above it is what the dynamics add. At t = 0
the particles are such draws (from ρ0 itself).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from kellersegel.analysis import binned_kde, l1_distance
from kellersegel.experiments.chaos import limit_density
from kellersegel.experiments.pde_run import choose_pde_solver
from kellersegel.experiments.plan import RunPlan

__all__ = ["limit_comparison", "sample_cells"]

#: independent samples of N draws from ρ(t) averaged into ``limit_l1_floor`` at each time
FLOOR_SAMPLES = 4

#: CF long_name and units of the variables :func:`limit_comparison` adds
LIMIT_VARIABLES = {
    "limit_l1": ("L1 distance ∫|ρ_KDE − ρ|dx/M of the particles' KDE to the mean-field density", "1"),
    "limit_l1_floor": (
        f"the same L1 distance for N independent draws from the mean-field density (mean of {FLOOR_SAMPLES})",
        "1",
    ),
    "limit_second_moment": ("∫|x|²ρ dx / M of the mean-field density", "1"),
}


def limit_comparison(plan: RunPlan, ds: xr.Dataset, solution) -> xr.Dataset:
    """``ds`` (a run dataset of ``plan``) with ``limit_l1(replica, time)``,
    ``limit_l1_floor(time)`` and ``limit_second_moment(time)`` from ``solution`` (the PDE of
    ``plan.config``); NaN where the replica has stopped or the solution has ended (blow-up).
    Attributes: ``limit_solver``, ``limit_blowup_time`` (NaN: none)."""
    mass = plan.model.mass
    bandwidth = plan.config.chaos.bandwidth
    times = ds["time"].values
    reach = float(solution.times[-1]) * (1 + 1e-12)
    positions = ds["positions"].values
    l1 = np.full(positions.shape[:2], np.nan)
    floor = np.full(times.shape, np.nan)
    m2 = np.full(times.shape, np.nan)
    pde_m2 = np.asarray(solution.second_moment()) / mass
    for k, t in enumerate(times):
        if t > reach:
            break
        m2[k] = np.interp(t, solution.times, pde_m2)
        cells, rho = limit_density(plan, solution, float(t))
        rng = np.random.default_rng([plan.config.run.seed, 2**32 - 1, k])  # not a replica's stream
        floor[k] = np.mean(
            [
                l1_distance(binned_kde(draws, cells, bandwidth, mass), rho, cells) / mass
                for draws in (sample_cells(rho, cells, positions.shape[2], rng) for _ in range(FLOOR_SAMPLES))
            ]
        )
        for r in range(positions.shape[0]):
            x = positions[r, k]
            if np.all(np.isfinite(x)):
                l1[r, k] = l1_distance(binned_kde(x, cells, bandwidth, mass), rho, cells) / mass
    ds = ds.assign(
        limit_l1=(("replica", "time"), l1),
        limit_l1_floor=(("time",), floor),
        limit_second_moment=(("time",), m2),
    )
    for name, (long_name, units) in LIMIT_VARIABLES.items():
        ds[name].attrs.update(long_name=long_name, units=units)
    blowup = getattr(solution, "blowup_time", None)
    ds.attrs["limit_solver"] = choose_pde_solver(plan.config)
    ds.attrs["limit_blowup_time"] = np.nan if blowup is None else float(blowup)
    return ds


def sample_cells(rho: np.ndarray, cells, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` independent draws from the piecewise-constant density ``rho`` (cell values on the
    grid ``cells``), shape (n, 2): a cell with probability ρ h² / Σ ρ h², then a uniform point in it."""
    weights = np.clip(np.asarray(rho, dtype=np.float64).ravel(), 0.0, None)
    index = rng.choice(weights.size, size=n, p=weights / weights.sum())
    ix, iy = np.unravel_index(index, rho.shape)
    jitter = rng.uniform(-0.5, 0.5, size=(n, 2)) * cells.h
    return np.stack([cells.x[ix], cells.y[iy]], axis=-1) + jitter
