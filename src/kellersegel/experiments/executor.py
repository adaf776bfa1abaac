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

from kellersegel._interrupt import check as check_interrupt
from kellersegel.config.load import ConfigError

__all__ = ["check_scheduler", "process_pool", "run_tasks"]


_progress_queue = None  # in a local worker: where ``report`` sends partial work


def _die_with_parent() -> None:
    """Linux: the kernel sends this process SIGKILL when its parent dies (even by SIGKILL), so no
    worker outlives the command that started it; elsewhere a no-op (the pool's own shutdown)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before the signal was armed
        os._exit(1)


def _init_worker(threads: int, progress_queue=None) -> None:
    import signal

    import numba

    from kellersegel._memory import keep_freed_memory

    global _progress_queue
    _die_with_parent()
    keep_freed_memory()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    numba.set_num_threads(threads)
    _progress_queue = progress_queue


def process_pool(workers: int, progress_queue=None) -> ProcessPoolExecutor:
    """``workers`` spawned processes sharing the cores: numba threads per process = cores // workers;
    they die with this process, ignore Ctrl-C (the caller stops them) and send what a task
    ``report``s to ``progress_queue``."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, context, _init_worker, (threads, progress_queue))


def _ignore(amount: int) -> None:
    """``report`` where nobody listens (a Dask worker)."""


def _queued(fn: Callable, job: Sequence) -> Any:
    return fn(*job, report=_progress_queue.put)


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
            check_interrupt()
        return
    progress_queue = multiprocessing.get_context("spawn").Queue()
    pool = process_pool(workers, progress_queue)
    try:
        pending = {pool.submit(_queued, fn, job) for job in jobs}
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(progress_queue, report)
            for future in done:
                on_result(*future.result())
        _drain(progress_queue, report)
    except BaseException:  # Ctrl-C or a failed task: stop the workers now, not after their tasks
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        progress_queue.close()
        progress_queue.join_thread()


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list((pool._processes or {}).values())  # no public way to stop running tasks
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()
    for process in processes:
        process.join(timeout=5)


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Raise :class:`ConfigError` (one line) unless a Dask scheduler answers at ``address``
    within ``timeout`` seconds (checked before anything is written)."""
    from distributed import Client

    if "://" not in address and ":" not in address:
        raise ConfigError(f"--scheduler {address!r}: expected an address such as tcp://127.0.0.1:8786")
    try:
        with Client(address, timeout=timeout):
            pass
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError(
            f"--scheduler {address}: no Dask scheduler answers ({type(err).__name__})"
        ) from None


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
