"""A Ctrl-C whose KeyboardInterrupt Python drops (raised inside a ctypes callback, as while numba
compiles) is raised again by the loops that run long (kills and signals on the command line:
tests/cli/test_faults.py)."""

import ctypes
import math
import signal

import numpy as np
import pytest

from kellersegel import _interrupt
from kellersegel.dynamics import TimeGrid
from kellersegel.dynamics.integrate import GaussianIncrements, integrate
from kellersegel.experiments.executor import run_tasks
from kellersegel.initial import GaussianData
from kellersegel.models import ClassicalModel
from kellersegel.pde import FiniteVolumeSolver, Grid2D, RadialGrid, RadialSolver, SolveInterrupted
from tests.dynamics.test_integrate import ornstein_uhlenbeck


@pytest.fixture
def default_sigint():
    """Python's own SIGINT handler, even where the parent ignored SIGINT (a shell's background job
    starts with SIG_IGN, which Python keeps and interrupts_kept leaves alone)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped one
def test_a_ctrl_c_dropped_inside_a_ctypes_callback_is_raised_by_the_next_check(default_sigint):
    callback = ctypes.CFUNCTYPE(None)(lambda: signal.raise_signal(signal.SIGINT))
    with _interrupt.interrupts_kept():
        callback()  # the KeyboardInterrupt raised in there is printed and dropped by ctypes
        with pytest.raises(KeyboardInterrupt):
            _interrupt.check()
        _interrupt.check()  # raised once
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.fixture
def dropped(monkeypatch):
    """The state a dropped Ctrl-C leaves."""
    monkeypatch.setattr(_interrupt, "_pending", True)


def test_the_integrator_raises_a_dropped_ctrl_c(dropped):
    with pytest.raises(KeyboardInterrupt):
        integrate(
            ornstein_uhlenbeck(), np.zeros((10, 2)), TimeGrid(0.1, 0.01, 0.05),
            GaussianIncrements(np.random.default_rng(0), 10),
        )  # fmt: skip


def test_the_pde_solvers_raise_a_dropped_ctrl_c(dropped, monkeypatch):
    model = ClassicalModel(chi=4 * math.pi)
    with pytest.raises(SolveInterrupted):
        FiniteVolumeSolver(model, Grid2D(n=32, half_width=6.0)).solve(GaussianData(1.0), 0.1, 0.05)
    monkeypatch.setattr(_interrupt, "_pending", True)
    with pytest.raises(KeyboardInterrupt):
        RadialSolver(model, RadialGrid(n=50)).solve(GaussianData(1.0), 0.1, 0.05)


def square(x, report):
    return (x * x,)


def test_the_executor_in_this_process_stops_between_tasks_on_a_dropped_ctrl_c():
    seen = []

    def keep(y):
        seen.append(y)
        _interrupt._pending = True  # a Ctrl-C dropped during the first task

    with pytest.raises(KeyboardInterrupt):
        run_tasks(square, [(1,), (2,), (3,)], keep, workers=1)
    assert seen == [1]
