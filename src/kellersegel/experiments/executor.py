"""One way to run independent tasks (replicas of a run, points of a sweep): in this process, in
local worker processes, or on a Dask distributed cluster.

A task is ``fn(*job, report=report)``; its result goes to ``on_result(*result)`` in the calling
process as each task finishes, in any order (the results never depend on the order or on the
number of workers: every task draws its randomness from its own seed). ``report(amount)`` is how a
task tells the caller's progress about partial work (steps done); it reaches the caller from local
worker processes through a queue, and is dropped on a Dask cluster (whose dashboard shows the
progress of tasks).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

__all__ = ["process_pool", "run_tasks"]


def _init_worker(threads: int) -> None:
    import numba

    numba.set_num_threads(threads)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` spawned processes sharing the cores: numba threads per process = cores // workers."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    return ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), _init_worker, (threads,))


def _ignore(amount: int) -> None:
    """``report`` where nobody listens (a Dask worker)."""


def _queued(fn: Callable, job: Sequence, progress_queue) -> Any:
    return fn(*job, report=progress_queue.put)


def _dask(fn: Callable, job: Sequence) -> Any:
    return fn(*job, report=_ignore)


def run_tasks(
    fn: Callable[..., Sequence],
    jobs: Iterable[Sequence],
    on_result: Callable[..., None],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Run ``fn(*job, report=...)`` for every job and pass each result tuple to ``on_result``.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to the workers) returning a tuple.
    workers : int, optional
        Local processes (default: one per core, at most one per job); 1 runs everything here.
    scheduler : str, optional
        Address of a Dask distributed scheduler: the tasks run on its cluster instead.
    progress : callable, optional
        Receives what the tasks ``report``.
    """
    jobs = [tuple(job) for job in jobs]
    report = progress or _ignore
    if scheduler is not None:
        _run_dask(scheduler, fn, jobs, on_result)
        return
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    if workers <= 1:
        for job in jobs:
            on_result(*fn(*job, report=report))
        return
    with multiprocessing.get_context("spawn").Manager() as manager, process_pool(workers) as pool:
        progress_queue = manager.Queue()
        pending = {pool.submit(_queued, fn, job, progress_queue) for job in jobs}
        try:
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(progress_queue, report)
                for future in done:
                    on_result(*future.result())
            _drain(progress_queue, report)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _run_dask(address: str, fn: Callable, jobs: list[tuple], on_result: Callable[..., None]) -> None:
    from distributed import Client, as_completed

    with Client(address) as client:
        futures = [client.submit(_dask, fn, job, pure=False) for job in jobs]
        for future in as_completed(futures):
            on_result(*future.result())


def _drain(progress_queue, report: Callable[[int], None]) -> None:
    while True:
        try:
            amount = progress_queue.get_nowait()
        except queue.Empty:
            return
        report(amount)
