"""R independent replicas of one configuration, in parallel worker processes.

Replica k draws everything from ``numpy.random.default_rng(SeedSequence(seed).spawn(R)[k])``:
first its N initial points, then one (N, 2) standard normal array per step (fixed steps) or one
integer, the key of its refinable Brownian path (adaptive steps). Every engine sums
each particle's field in a fixed order, so the numbers do not depend on how many worker
processes or threads run them.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from kellersegel.dynamics import Trajectory
from kellersegel.experiments.plan import RunPlan, replica_rng

__all__ = ["replica_rng", "run_replica", "run_replicas"]

_PROGRESS_CHUNKS = 100


def run_replica(plan: RunPlan, k: int, progress: Callable[[int], None] | None = None) -> Trajectory:
    """Simulate replica k of ``plan``; ``progress`` receives the number of steps just done."""
    grid = plan.time_grid
    every = max(1, grid.n_steps // _PROGRESS_CHUNKS)
    last = [0]

    def on_time(t: float) -> None:  # reports the base steps done, in about 100 chunks
        step = round(t / grid.dt)
        if progress is not None and (step % every == 0 or step == grid.n_steps):
            progress(step - last[0])
            last[0] = step

    return Trajectory.from_solution(plan.integration(k).run(on_time))


def _init_worker(threads: int) -> None:
    import numba

    numba.set_num_threads(threads)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` spawned processes sharing the cores: numba threads per process = cores // workers."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    return ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), _init_worker, (threads,))


def _worker(plan: RunPlan, k: int, progress_queue) -> tuple[int, Trajectory]:
    return k, run_replica(plan, k, lambda d: progress_queue.put(d))


def run_replicas(
    plan: RunPlan,
    indices: Iterable[int],
    on_done: Callable[[int, Trajectory], None],
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> None:
    """Run the replicas ``indices`` of ``plan``, calling ``on_done(k, trajectory)`` as each one
    finishes. The workers receive the plan itself (pickled): nothing is rebuilt from the text.

    With one worker everything runs in this process; otherwise in ``workers`` spawned processes
    (default: one per core, at most one per replica) sharing the cores: numba threads per
    process = cores // workers.
    """
    indices = list(indices)
    cores = os.cpu_count() or 1
    workers = min(workers or cores, max(len(indices), 1))
    if workers <= 1:
        for k in indices:
            on_done(k, run_replica(plan, k, progress))
        return
    with multiprocessing.get_context("spawn").Manager() as manager, process_pool(workers) as pool:
        progress_queue = manager.Queue()
        pending = {pool.submit(_worker, plan, k, progress_queue) for k in indices}
        try:
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(progress_queue, progress)
                for future in done:
                    on_done(*future.result())
            _drain(progress_queue, progress)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _drain(progress_queue, progress: Callable[[int], None] | None) -> None:
    while True:
        try:
            steps = progress_queue.get_nowait()
        except queue.Empty:
            return
        if progress is not None:
            progress(steps)
