"""One time loop for every particle system: steppers, a noise source, a step control, observers
and events composed in :func:`integrate` (in the manner of diffrax's ``diffeqsolve``).

A run advances one or more systems (the particles, McKean–Vlasov copies, …) stacked in one
:class:`State` and driven by the same Brownian increments:

    X^(s)(t + Δt) = X^(s) + b^(s)(X^(s), t) Δt + σ^(s)(X^(s), t) ΔW,    s = 0, 1, …

The step Δt = h / 2^m is chosen by the :class:`StepControl` on dyadic levels m of the base step
h = ``grid.dt`` (always m = 0 for :class:`FixedSteps`); ΔW comes from a :class:`NoiseSource`.
After every step the new state is settled in this order:

1. a non-finite position stops the run (event "nonfinite", the state is not observed);
2. the coefficients b, σ of every system at the new state;
3. every observer's :meth:`Observer.step`;
4. events of stage "before_save" (a cluster of a given size, …);
5. on a save time of ``grid`` (a base-grid point): every observer's :meth:`Observer.save`; then
   ``progress(t)`` after every step (adaptive steps too: a run's model time as it advances);
6. a non-finite drift of system 0 stops the run (event "nonfinite"), then events of stage
   "after_save" (a drift explosion, …), then, if the run goes on, the control plans the next step
   (its :meth:`StepControl.plan` may tame the drift and raise its own event, as the collapse
   explosion of the adaptive steps does).

The initial state is settled in the same way (from 1), so every observer sees t = 0. A run ends
at ``grid.t_end`` or at its first event; ``KeyboardInterrupt`` is not caught (a run is either
finished or not: the callers keep what was finished before).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from kellersegel._interrupt import check as check_interrupt
from kellersegel.dynamics.brownian import BrownianWalk
from kellersegel.dynamics.clusters import ClosePairs, close_pairs
from kellersegel.dynamics.euler_maruyama import Coefficients, EulerMaruyama
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = [
    "BrownianIncrements",
    "Event",
    "FixedSteps",
    "GaussianIncrements",
    "Integration",
    "NoiseSource",
    "Observer",
    "Solution",
    "State",
    "StepControl",
    "integrate",
]


@dataclass
class State:
    """The stacked state at time t: positions and coefficients of every system.

    Attributes
    ----------
    t : float
    x : list of arrays, shape (N, 2)
        Positions of each system; ``x[0]`` is the particle system.
    coefficients : list of Coefficients
        b and σ of each system at ``x`` (empty while the state is not settled).
    steps : int
        Steps taken to reach this state.
    interval, position : int
        t = (interval + position / 2^top) h on the dyadic grid of the control's finest level.
    """

    t: float
    x: list[NDArray[np.float64]]
    coefficients: list[Coefficients] = field(default_factory=list)
    steps: int = 0
    interval: int = 0
    position: int = 0
    _max_drift: float | None = field(default=None, repr=False)
    _pairs: dict[float, ClosePairs] = field(default_factory=dict, repr=False)

    @property
    def on_base_grid(self) -> bool:
        return self.position == 0

    def max_drift(self) -> float:
        """max_i |b_i| of system 0 (NaN if not finite), computed once."""
        if self._max_drift is None:
            self._max_drift = self.coefficients[0].max_drift()
        return self._max_drift

    def close_pairs(self, radius: float) -> ClosePairs:
        """The closest pair of system 0 and its pairs within ``radius`` (computed once per radius)."""
        if radius not in self._pairs:
            self._pairs[radius] = close_pairs(self.x[0], radius)
        return self._pairs[radius]

    def min_distance(self) -> float:
        """min_{i≠j} |X_i − X_j| of system 0: from any close pairs already found (it does not depend
        on their radius), else from a new search."""
        found = next(iter(self._pairs.values()), None)
        return (self.close_pairs(0.0) if found is None else found).min_distance


class NoiseSource(ABC):
    """The Brownian increments ΔW over the next step, shape (N, 2)."""

    @abstractmethod
    def increment(self, dt: float, level: int) -> NDArray[np.float64]:
        """ΔW over a step dt = h / 2^level that starts where the last one ended."""


class GaussianIncrements(NoiseSource):
    """ΔW = √Δt · rng.standard_normal((N, 2)), one draw per step (fixed steps only)."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.n = int(n)

    def increment(self, dt, level):
        if level != 0:
            raise ValueError("GaussianIncrements: fixed steps only; use BrownianIncrements to refine")
        return math.sqrt(dt) * self.rng.standard_normal((self.n, 2))


class BrownianIncrements(NoiseSource):
    """The increments of one refinable Brownian path (:class:`BrownianWalk`): a run with finer
    steps follows a refinement of the same path."""

    def __init__(self, walk: BrownianWalk) -> None:
        self.walk = walk

    def increment(self, dt, level):
        return self.walk.step(level)


class StepControl(ABC):
    """Chooses the level m of the next step Δt = h / 2^m (0 ≤ m ≤ ``max_level``)."""

    max_level: int = 0

    def start(self, grid: TimeGrid, n: int) -> None:  # noqa: B027 -- a hook
        """Called once before the loop."""

    @abstractmethod
    def plan(self, state: State) -> tuple[int, tuple[str, float] | None]:
        """The level of the next step from the settled ``state`` (may replace
        ``state.coefficients[0]``, e.g. tamed), and an event (name, time) that stops the run."""

    def summary(self) -> dict[str, Any]:
        """What the control measured over the run (stored with the solution)."""
        return {}


class FixedSteps(StepControl):
    """Δt = h at every step."""

    def plan(self, state):
        return 0, None


class Observer(ABC):
    """Measures a run: at every state (:meth:`step`) and at the save times (:meth:`save`)."""

    def start(self, grid: TimeGrid, n: int) -> None:  # noqa: B027 -- a hook
        """Called once before the loop with the time grid and the number of particles."""

    def step(self, state: State) -> None:  # noqa: B027 -- a hook
        """Every settled state, the initial one included."""

    def save(self, k: int, state: State) -> None:  # noqa: B027 -- a hook
        """The settled state at the k-th save time."""

    @abstractmethod
    def result(self) -> dict[str, Any]:
        """The measured quantities by name."""


class Event(ABC):
    """A condition on a settled state that stops the run."""

    name: str
    stage: Literal["before_save", "after_save"] = "after_save"

    @abstractmethod
    def check(self, state: State) -> float | None:
        """The event time if the event happened (usually ``state.t``), else None."""


@dataclass
class Solution:
    """What :func:`integrate` returns.

    Attributes
    ----------
    times : (T,)
        The save times of the grid (observers hold NaN after an event).
    event : str
        "none", "nonfinite" or the name of the event that stopped the run.
    event_time : float
        NaN if none.
    steps : int
    min_step : float
        The smallest step taken (h if none).
    state : State
        The last state reached.
    observed : dict
        Every observer's and the control's results, by name.
    """

    times: NDArray[np.float64]
    event: str
    event_time: float
    steps: int
    min_step: float
    state: State
    observed: dict[str, Any]


@dataclass
class Integration:
    """The parts of one :func:`integrate` call, composed in one place (a run plan) and run later."""

    steppers: list[EulerMaruyama]
    x0: NDArray[np.float64]
    grid: TimeGrid
    noise: NoiseSource
    control: StepControl = field(default_factory=FixedSteps)
    observers: list[Observer] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def run(self, progress: Callable[[float], None] | None = None) -> Solution:
        """:func:`integrate` of these parts."""
        return integrate(
            self.steppers,
            self.x0,
            self.grid,
            self.noise,
            self.control,
            observers=self.observers,
            events=self.events,
            progress=progress,
        )


def integrate(
    steppers: EulerMaruyama | Sequence[EulerMaruyama],
    x0: NDArray[np.float64],
    grid: TimeGrid,
    noise: NoiseSource,
    control: StepControl | None = None,
    *,
    observers: Sequence[Observer] = (),
    events: Sequence[Event] = (),
    progress: Callable[[float], None] | None = None,
) -> Solution:
    """Advance every system from x0 over ``grid`` (see the module notes for the order of checks).

    Parameters
    ----------
    steppers : EulerMaruyama or sequence of them
        The systems, stacked and driven by the same increments; all start at x0.
    x0 : array, shape (N, 2)
    grid : TimeGrid
        Base step h = ``grid.dt``, final time and save times (multiples of h).
    noise : NoiseSource
    control : StepControl, optional
        Default :class:`FixedSteps`.
    observers, events : sequences
    progress : callable, optional
        Called with t at every base-grid point reached.
    """
    steppers = [steppers] if isinstance(steppers, EulerMaruyama) else list(steppers)
    loop = _Loop(steppers, grid, control or FixedSteps(), observers, events, progress)
    state = loop.start(x0)
    outcome = loop.settle(state)
    while outcome.event == "":
        state = loop.advance(state, outcome.level, noise)
        outcome = loop.settle(state)
    observed: dict[str, Any] = dict(loop.control.summary())
    for o in observers:
        observed.update(o.result())
    event, when = ("none", math.nan) if outcome.event == "end" else (outcome.event, outcome.time)
    min_step = grid.dt / 2**loop.min_level
    return Solution(grid.save_times, event, when, state.steps, min_step, state, observed)


class _Outcome(NamedTuple):
    """A settled state's verdict: an event (with its time), the end of the grid ("end"), or the
    level of the next step (event "")."""

    event: str
    time: float = math.nan
    level: int = 0


class _Loop:
    """The parts of one :func:`integrate` call and the two things its loop does."""

    def __init__(self, steppers, grid, control, observers, events, progress) -> None:
        self.steppers, self.grid, self.control = steppers, grid, control
        self.observers, self.progress = observers, progress
        self.before = [e for e in events if e.stage == "before_save"]
        self.after = [e for e in events if e.stage == "after_save"]
        self.saves = {int(s): k for k, s in enumerate(grid.save_steps)}
        self.top = control.max_level
        self.min_level = 0

    def start(self, x0: NDArray[np.float64]) -> State:
        x = np.array(x0, dtype=np.float64)
        for part in (self.control, *self.observers):
            part.start(self.grid, x.shape[0])
        return State(0.0, [x.copy() for _ in self.steppers])

    def settle(self, state: State) -> _Outcome:
        """The checks of a new state, in the order of the module notes."""
        if not all(np.all(np.isfinite(xs)) for xs in state.x):
            return _Outcome("nonfinite", state.t)
        state.coefficients = [
            s.coefficients(state.t, xs) for s, xs in zip(self.steppers, state.x, strict=True)
        ]
        for o in self.observers:
            o.step(state)
        if (stop := _first_event(self.before, state)) is not None:
            return stop
        if state.on_base_grid:
            check_interrupt()
            for o in self.observers if state.interval in self.saves else ():
                o.save(self.saves[state.interval], state)
        if self.progress is not None:
            self.progress(state.t)
        if not math.isfinite(state.max_drift()):
            return _Outcome("nonfinite", state.t)
        if (stop := _first_event(self.after, state)) is not None:
            return stop
        if state.interval >= self.grid.n_steps and state.on_base_grid:
            return _Outcome("end")
        level, stop = self.control.plan(state)
        return _Outcome(*stop) if stop is not None else _Outcome("", level=level)

    def advance(self, state: State, planned: int, noise: NoiseSource) -> State:
        """One step of every system with the same increments, at the planned level or finer
        (the coarsest level on the dyadic grid of the current time)."""
        q, top = state.position, self.top
        level = max(planned, top - ((q & -q).bit_length() - 1) if q else 0)
        dt = self.grid.dt / 2**level
        dw = noise.increment(dt, level)
        x = [
            s.step(xs, state.t, dt, dw, c)
            for s, xs, c in zip(self.steppers, state.x, state.coefficients, strict=True)
        ]
        position = state.position + (1 << (top - level))
        interval = state.interval + (position >> top)
        position &= (1 << top) - 1
        self.min_level = max(self.min_level, level)
        return State(
            (interval + position / 2**top) * self.grid.dt, x, [], state.steps + 1, interval, position
        )


def _first_event(events: Sequence[Event], state: State) -> _Outcome | None:
    for e in events:
        if (when := e.check(state)) is not None:
            return _Outcome(e.name, when)
    return None
