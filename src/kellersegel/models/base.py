"""The Keller–Segel family ∂t ρ = ∇·(D(c)∇ρ − ρ S(c)∇c), θ ∂t c = Δc − λc + ρ.

Its particle SDE (Itô), one per particle of mass M/N:

    dX_i = (D'(c_i) + S(c_i)) ∇c_i dt + √(2 D(c_i)) dW_i,      c_i = c^N(t, X_i).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from kellersegel._registry import Registered
from kellersegel._validation import finite_number

__all__ = ["KellerSegelModel"]


class KellerSegelModel(Registered, ABC):
    """A member of the Keller–Segel family, given by motility D(c) and sensitivity S(c).

    Parameters
    ----------
    lam : float
        Signal degradation λ ≥ 0 (λ = 0: log kernel, λ > 0: Bessel kernel).
    mass : float
        Total cell mass M > 0; each of the N particles carries M/N.
    theta : float
        Signal relaxation time θ ≥ 0 (θ = 0: parabolic–elliptic).
    """

    #: every model by name (``model.name`` of a configuration)
    registry: ClassVar[dict[str, type[KellerSegelModel]]] = {}
    registry_label = "model"
    #: True when D or S is not constant, so the particles need c and not only ∇c.
    needs_potential: bool = True

    def __init__(self, lam: float = 0.0, mass: float = 1.0, theta: float = 0.0) -> None:
        self.lam = finite_number("lam", lam, 0.0)
        self.mass = finite_number("mass", mass, 0.0, strict=True)
        self.theta = finite_number("theta", theta, 0.0)

    @abstractmethod
    def motility(self, c: NDArray[np.float64]) -> NDArray[np.float64]:
        """D(c) ≥ 0."""

    @abstractmethod
    def motility_derivative(self, c: NDArray[np.float64]) -> NDArray[np.float64]:
        """D'(c)."""

    @abstractmethod
    def sensitivity(self, c: NDArray[np.float64]) -> NDArray[np.float64]:
        """S(c)."""

    def drift(self, c: NDArray[np.float64] | None, grad_c: NDArray[np.float64]) -> NDArray[np.float64]:
        """b = (D'(c) + S(c)) ∇c, shape (n, 2)."""
        factor = self.motility_derivative(c) + self.sensitivity(c)
        return np.asarray(factor)[..., None] * grad_c

    def noise_amplitude(self, c: NDArray[np.float64] | None) -> NDArray[np.float64] | float:
        """√(2 D(c)), with D clipped at 0 so that degenerate motility stays well defined."""
        return np.sqrt(2.0 * np.maximum(self.motility(c), 0.0))

    def virial_slope(self, n: int | None = None) -> float | None:
        """d/dt of (1/N) Σ|X_i|² in expectation for the exact log kernel, if known; else None."""
        return None
