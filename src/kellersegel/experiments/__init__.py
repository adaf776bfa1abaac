"""Experiments: runs of replicas, stored as labelled datasets."""

from kellersegel.experiments.build import (
    build_initial,
    build_kernel,
    build_model,
    build_time_grid,
)
from kellersegel.experiments.chaos import coupling_config, measure_replica
from kellersegel.experiments.dataset import to_dataset, write_netcdf
from kellersegel.experiments.limit import limit_comparison
from kellersegel.experiments.particle_run import run_particles
from kellersegel.experiments.pde_run import (
    choose_pde_solver,
    limit_dataset,
    solve_limit,
    solve_mollified_limit,
    solve_pde,
)
from kellersegel.experiments.plan import PlanError, RunPlan, plan_run
from kellersegel.experiments.replicas import replica_rng, run_replica, run_replicas

__all__ = [
    "PlanError",
    "RunPlan",
    "plan_run",
    "choose_pde_solver",
    "solve_limit",
    "solve_mollified_limit",
    "limit_dataset",
    "limit_comparison",
    "solve_pde",
    "measure_replica",
    "coupling_config",
    "build_initial",
    "build_kernel",
    "build_model",
    "build_time_grid",
    "replica_rng",
    "run_particles",
    "run_replica",
    "run_replicas",
    "to_dataset",
    "write_netcdf",
]
