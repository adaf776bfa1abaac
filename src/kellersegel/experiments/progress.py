"""One progress contract for every long task: runs (base steps of all replicas), PDE solves (model
time) and sweeps (tasks).

The numerical loops only call back: :func:`~kellersegel.dynamics.integrate.integrate` and the
PDE solvers call ``progress(t)`` with the model time reached, a sweep ``progress(done, total)``.
:class:`Progress` turns those calls into what the user sees: a rich bar on a terminal, and one
line every few seconds (and at the end) when the output goes to a pipe or a log, so that a
batch job's log shows the run advancing.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """A task of ``total`` units (steps, model time, tasks), shown on ``stream`` (stderr).

    Parameters
    ----------
    label : str
        What advances ("steps", "pde t", "tasks").
    total : float
    enabled : bool
        False: nothing is shown (``--quiet``).
    every : float
        Seconds between two lines when ``stream`` is not a terminal.
    done : float
        Units already done (a resumed run).
    """

    def __init__(
        self,
        label: str,
        total: float,
        *,
        enabled: bool = True,
        every: float = 5.0,
        done: float = 0.0,
        stream: TextIO | None = None,
    ) -> None:
        self.label, self.total, self.enabled, self.every = label, float(total), enabled, every
        self.done = float(done)
        self.stream = sys.stderr if stream is None else stream
        self._bar = None
        self._started = self._last_line = time.perf_counter()

    def __enter__(self) -> Progress:
        if self.enabled and self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn(self.label),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
        elif self.enabled and exc[0] is None:
            self._line()

    def advance(self, amount: float) -> None:
        """``amount`` more units done."""
        self.update(self.done + amount)

    def update(self, done: float, total: float | None = None) -> None:
        """``done`` units done in all (and the ``total``, when it was not known at the start)."""
        self.done = float(done)
        if total is not None:
            self.total = float(total)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, total=self.total)
        elif self.enabled and time.perf_counter() - self._last_line >= self.every:
            self._line()

    def _line(self) -> None:
        self._last_line = now = time.perf_counter()
        share = 100.0 * self.done / self.total if self.total > 0 else 100.0
        print(
            f"{self.label} {self.done:.6g} / {self.total:.6g} ({share:.0f} %), {now - self._started:.0f} s",
            file=self.stream,
            flush=True,
        )
