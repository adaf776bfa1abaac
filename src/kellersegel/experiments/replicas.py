"""R independent replicas of one configuration, in parallel (one executor for runs and sweeps).

Replica k draws everything from ``numpy.random.default_rng(SeedSequence(seed).spawn(R)[k])``:
first its N initial points, then one (N, 2) standard normal array per step (fixed steps) or one
integer, the key of its refinable Brownian path (adaptive steps). Every engine sums
each particle's field in a fixed order, so the numbers do not depend on how many worker
processes or threads run them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kellersegel.dynamics import Trajectory
from kellersegel.experiments.executor import run_tasks
from kellersegel.experiments.plan import RunPlan, replica_rng

__all__ = ["replica_rng", "run_replica", "run_replicas"]

_PROGRESS_CHUNKS = 100


def run_replica(plan: RunPlan, k: int, progress: Callable[[float], None] | None = None) -> Trajectory:
    """Simulate replica k of ``plan``; ``progress`` receives the base steps just done (fractions of
    one within the adaptive steps of a base interval: the model time t/Δt)."""
    grid = plan.time_grid
    every = grid.n_steps / _PROGRESS_CHUNKS
    last = [0.0]

    def on_time(t: float) -> None:  # reports the base steps done, in about 100 chunks
        done = min(t / grid.dt, grid.n_steps)
        if progress is not None and (done - last[0] >= every or done >= grid.n_steps - 1e-9 > last[0]):
            progress(done - last[0])
            last[0] = done

    return Trajectory.from_solution(plan.integration(k).run(on_time))


def _replica_task(plan: RunPlan, k: int, report: Callable[[int], None]) -> tuple[int, Trajectory]:
    return k, run_replica(plan, k, report)


def run_replicas(
    plan: RunPlan,
    indices: Iterable[int],
    on_done: Callable[[int, Trajectory], None],
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> None:
    """Run the replicas ``indices`` of ``plan``, calling ``on_done(k, trajectory)`` as each one
    finishes (:func:`~kellersegel.experiments.executor.run_tasks`: in this process, in ``workers``
    local processes, default one per core, or on the Dask cluster at ``scheduler``). The workers
    receive the plan itself: nothing is rebuilt from the text.
    """
    jobs = [(plan, k) for k in indices]
    run_tasks(_replica_task, jobs, on_done, workers=workers, scheduler=scheduler, progress=progress)
