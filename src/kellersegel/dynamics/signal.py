"""The signal seen by the particles: c^N(t, X_i) and ∇c^N(t, X_i).

A signal field is asked for its values at the current positions and told when the particles
move, so that fields with memory (θ > 0) can record or advance their state; the
parabolic–elliptic field θ = 0 has none. McKean–Vlasov copies use a field given by a PDE
solution through the same interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import NDArray

from kellersegel.fields.base import FieldEngine, FieldValues

__all__ = ["EllipticSignal", "GivenSignal", "SignalField"]


class SignalField(ABC):
    """c(t, ·) and ∇c(t, ·) at the particle positions."""

    #: whether a particle's own mass (or own past, θ > 0) acts on it
    include_self: bool = False

    @abstractmethod
    def at_particles(self, t: float, x: NDArray[np.float64], *, potential: bool) -> FieldValues:
        """c (when ``potential``) and ∇c at the positions x, shape (n, 2), at time t."""

    def advance(  # noqa: B027 -- a hook: fields without memory keep the default
        self, x_old: NDArray[np.float64], x_new: NDArray[np.float64], t: float, dt: float
    ) -> None:
        """The particles moved from x_old (time t) to x_new (time t + dt). Default: no memory."""

    def check(self, x: NDArray[np.float64]) -> dict[str, int]:
        """Raise :class:`~kellersegel.fields.base.EngineError` if particles at x cannot be evaluated
        (a lattice too large, say), before a run starts; return what the dry run measured (e.g.
        ``lattice_modes``). Default: nothing to check."""
        return {}


class EllipticSignal(SignalField):
    """θ = 0: c^N(x) = (M/N) Σ_{j} K(x − X_j), the self term j = i left out at X_i.

    Parameters
    ----------
    engine : FieldEngine
        Evaluates the sums for the chosen interaction kernel K ≈ G_λ.
    mass : float
        Total mass M; each particle carries M/N.
    """

    def __init__(self, engine: FieldEngine, mass: float = 1.0) -> None:
        self.engine = engine
        self.mass = float(mass)

    def at_particles(self, t, x, *, potential):
        return self.engine.evaluate(x, self.mass / x.shape[0], potential=potential, gradient=True)

    def check(self, x):
        return self.engine.check(x)

    def __repr__(self) -> str:
        return f"EllipticSignal({self.engine!r}, mass={self.mass:g})"


class GivenSignal(SignalField):
    """A signal given as functions of (t, x): a frozen field, or a PDE solution's c and ∇c
    (``GivenSignal(solution.signal_gradient, solution.signal)``).

    Parameters
    ----------
    gradient : callable
        (t, x) ↦ ∇c, shape (n, 2).
    potential : callable or None
        (t, x) ↦ c, shape (n,) (needed by models whose D or S depends on c).
    """

    def __init__(self, gradient, potential=None) -> None:
        self.gradient = gradient
        self.potential = potential

    def at_particles(self, t, x, *, potential):
        if potential and self.potential is None:
            raise ValueError("this model needs c itself: give GivenSignal a potential function")
        c = self.potential(t, x) if potential else None
        return FieldValues(c, np.asarray(self.gradient(t, x), dtype=np.float64))

    def __repr__(self) -> str:
        return f"GivenSignal({getattr(self.gradient, '__name__', 'gradient')})"
