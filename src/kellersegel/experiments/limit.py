"""The particles against their mean-field limit, in the run that made them (``[run] limit``).

The PDE of the same configuration is solved by the solver ``[pde]`` names (``auto``: the radial
solver where it covers the configuration, in seconds; else the finite-volume grid solver), and at
every save time t the particles of each replica are compared with its density ρ(t):

    limit_l1 = ∫ |ρ_KDE − ρ(t)| dx / M,

ρ_KDE = M times the Gaussian KDE of the saved positions (``[chaos] bandwidth``, default Scott's
rule), both as cell values on the grid of ``[chaos] grid_n``² cells the solver gives
(:meth:`~kellersegel.experiments.pde_run.LimitSolver.density`). At t = 0 the particles are
independent draws from ρ0, so the value there is the estimator's own error (of order N^−1/3), the
floor below which no comparison of this kind can go.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from kellersegel.analysis import binned_kde, l1_distance
from kellersegel.experiments.chaos import limit_density
from kellersegel.experiments.pde_run import choose_pde_solver
from kellersegel.experiments.plan import RunPlan

__all__ = ["limit_comparison"]

#: CF long_name and units of the variables :func:`limit_comparison` adds
LIMIT_VARIABLES = {
    "limit_l1": ("L1 distance ∫|ρ_KDE − ρ|dx/M of the particles' KDE to the mean-field density", "1"),
    "limit_second_moment": ("∫|x|²ρ dx / M of the mean-field density", "1"),
}


def limit_comparison(plan: RunPlan, ds: xr.Dataset, solution) -> xr.Dataset:
    """``ds`` (a run dataset of ``plan``) with ``limit_l1(replica, time)`` and
    ``limit_second_moment(time)`` from ``solution`` (the PDE of ``plan.config``); NaN where the
    replica has stopped or the solution has ended (blow-up). Attributes: ``limit_solver``,
    ``limit_blowup_time`` (NaN: none)."""
    mass = plan.model.mass
    bandwidth = plan.config.chaos.bandwidth
    times = ds["time"].values
    reach = float(solution.times[-1]) * (1 + 1e-12)
    positions = ds["positions"].values
    l1 = np.full(positions.shape[:2], np.nan)
    m2 = np.full(times.shape, np.nan)
    pde_m2 = np.asarray(solution.second_moment()) / mass
    for k, t in enumerate(times):
        if t > reach:
            break
        m2[k] = np.interp(t, solution.times, pde_m2)
        cells, rho = limit_density(plan, solution, float(t))
        for r in range(positions.shape[0]):
            x = positions[r, k]
            if np.all(np.isfinite(x)):
                l1[r, k] = l1_distance(binned_kde(x, cells, bandwidth, mass), rho, cells) / mass
    ds = ds.assign(limit_l1=(("replica", "time"), l1), limit_second_moment=(("time",), m2))
    for name, (long_name, units) in LIMIT_VARIABLES.items():
        ds[name].attrs.update(long_name=long_name, units=units)
    blowup = getattr(solution, "blowup_time", None)
    ds.attrs["limit_solver"] = choose_pde_solver(plan.config)
    ds.attrs["limit_blowup_time"] = np.nan if blowup is None else float(blowup)
    return ds
