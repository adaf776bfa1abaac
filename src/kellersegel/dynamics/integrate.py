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
5. on a save time of ``grid`` (a base-grid point): every observer's :meth:`Observer.save`, and
   ``progress(t)`` at every base-grid point;
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
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.brownian import BrownianWalk
from kellersegel.dynamics.clusters import ClosePairs, close_pairs
from kellersegel.dynamics.euler_maruyama import Coefficients, EulerMaruyama
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = [
    "BrownianIncrements",
    "Event",
    "FixedSteps",
    "GaussianIncrements",
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
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def on_base_grid(self) -> bool:
        return self.position == 0

    def max_drift(self) -> float:
        """max_i |b_i| of system 0 (NaN if not finite)."""
        if "max_drift" not in self._cache:
            self._cache["max_drift"] = self.coefficients[0].max_drift()
        return self._cache["max_drift"]

    def close_pairs(self, radius: float) -> ClosePairs:
        """The closest pair of system 0 and its pairs within ``radius`` (cached per radius)."""
        key = ("pairs", radius)
        if key not in self._cache:
            self._cache[key] = close_pairs(self.x[0], radius)
        return self._cache[key]

    def min_distance(self) -> float:
        """min_{i≠j} |X_i − X_j| of system 0."""
        for key, value in self._cache.items():
            if isinstance(key, tuple) and key[0] == "pairs":
                return value.min_distance
        return self.close_pairs(0.0).min_distance


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
    control = control or FixedSteps()
    x = np.array(x0, dtype=np.float64)
    state = State(0.0, [x.copy() for _ in steppers])
    for part in (control, *observers):
        part.start(grid, x.shape[0])
    saves = {int(s): k for k, s in enumerate(grid.save_steps)}
    before = [e for e in events if e.stage == "before_save"]
    after = [e for e in events if e.stage == "after_save"]
    h, top = grid.dt, control.max_level
    min_level = 0

    def settle(state: State, last: bool) -> tuple[str, float, int] | None:
        """The checks of a new state; (event, time, level) or (no event) the next step's level."""
        if not all(np.all(np.isfinite(xs)) for xs in state.x):
            return "nonfinite", state.t, 0
        state.coefficients = [s.coefficients(xs, state.t) for s, xs in zip(steppers, state.x, strict=True)]
        for o in observers:
            o.step(state)
        for e in before:
            if (when := e.check(state)) is not None:
                return e.name, when, 0
        if state.on_base_grid:
            if state.interval in saves:
                for o in observers:
                    o.save(saves[state.interval], state)
            if progress is not None:
                progress(state.t)
        if not math.isfinite(state.max_drift()):
            return "nonfinite", state.t, 0
        for e in after:
            if (when := e.check(state)) is not None:
                return e.name, when, 0
        if last:
            return None
        level, stop = control.plan(state)
        return (*stop, 0) if stop is not None else ("", math.nan, level)

    outcome = settle(state, grid.n_steps == 0)
    while outcome is not None and outcome[0] == "":
        q = state.position
        aligned = top - ((q & -q).bit_length() - 1) if q else 0  # coarsest level on this time's grid
        level = max(outcome[2], aligned)
        dt = h / 2**level
        dw = noise.increment(dt, level)
        new_x = [
            s.step(xs, state.t, dt, dw, c)
            for s, xs, c in zip(steppers, state.x, state.coefficients, strict=True)
        ]
        position = state.position + (1 << (top - level))
        interval = state.interval + (position >> top)
        position &= (1 << top) - 1
        state = State((interval + position / 2**top) * h, new_x, [], state.steps + 1, interval, position)
        min_level = max(min_level, level)
        outcome = settle(state, interval >= grid.n_steps and position == 0)
    event, event_time = ("none", math.nan) if outcome is None else outcome[:2]
    observed: dict[str, Any] = dict(control.summary())
    for o in observers:
        observed.update(o.result())
    return Solution(grid.save_times, event, event_time, state.steps, h / 2**min_level, state, observed)
