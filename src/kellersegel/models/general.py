"""The general and the signal-dependent-motility Keller–Segel models.

General: ∂t ρ = ∇·(D(c)∇ρ − ρ S(c)∇c); particles dX = (D'(c) + S(c))∇c dt + √(2D(c)) dW (Itô).
Signal-dependent motility (Bol, Chen, Li; arXiv 2405.12134, 2602.01138, 2605.15718):
∂t ρ = σΔρ + Δ(γ(c)ρ), i.e. D = σ + γ, S = −γ': the drift D' + S vanishes and the whole
interaction sits in the noise, dX = √(2(σ + γ(c))) dW. Both need c itself, not only ∇c.
"""

from __future__ import annotations

import numpy as np

from kellersegel._validation import finite_number
from kellersegel.models.base import KellerSegelModel
from kellersegel.models.functions import SignalFunction

__all__ = ["GeneralModel", "SignalDependentModel"]


class GeneralModel(KellerSegelModel):
    """Motility D(c) and sensitivity S(c) given as :class:`~kellersegel.models.functions.SignalFunction`.

    Parameters
    ----------
    motility, sensitivity : SignalFunction
        D and S with their derivatives (D should be ≥ 0; the noise uses max(D, 0)).
    lam, mass, theta : float
        See :class:`~kellersegel.models.base.KellerSegelModel`.
    """

    name = "general"

    def __init__(
        self,
        motility: SignalFunction,
        sensitivity: SignalFunction,
        lam: float = 0.0,
        mass: float = 1.0,
        theta: float = 0.0,
    ) -> None:
        super().__init__(lam=lam, mass=mass, theta=theta)
        self.motility_function = motility
        self.sensitivity_function = sensitivity
        self.needs_potential = not (motility.constant and sensitivity.constant)

    def motility(self, c):
        return self.motility_function.value(c)

    def motility_derivative(self, c):
        return self.motility_function.derivative(c)

    def sensitivity(self, c):
        return self.sensitivity_function.value(c)

    def __repr__(self) -> str:
        return (
            f"GeneralModel(D={self.motility_function!r}, S={self.sensitivity_function!r}, "
            f"lam={self.lam:g}, mass={self.mass:g}, theta={self.theta:g})"
        )


class SignalDependentModel(KellerSegelModel):
    """∂t ρ = σΔρ + Δ(γ(c)ρ): D = σ + γ(c), S = −γ'(c), no drift.

    Parameters
    ----------
    gamma : SignalFunction
        γ ≥ 0, usually decreasing (e.g. exponential or power).
    sigma : float
        Extra linear diffusion σ ≥ 0.
    lam, mass, theta : float
        See :class:`~kellersegel.models.base.KellerSegelModel`.
    """

    name = "signal-dependent"

    def __init__(
        self,
        gamma: SignalFunction,
        sigma: float = 0.0,
        lam: float = 1.0,
        mass: float = 1.0,
        theta: float = 0.0,
    ) -> None:
        super().__init__(lam=lam, mass=mass, theta=theta)
        self.gamma = gamma
        self.sigma = finite_number("sigma", sigma, 0.0)

    def motility(self, c):
        return self.sigma + self.gamma.value(c)

    def motility_derivative(self, c):
        return self.gamma.derivative(c)

    def sensitivity(self, c):
        return -self.gamma.derivative(c)

    def drift(self, c, grad_c):
        """D' + S = 0: no drift."""
        return np.zeros_like(grad_c)

    def __repr__(self) -> str:
        return (
            f"SignalDependentModel(gamma={self.gamma!r}, sigma={self.sigma:g}, lam={self.lam:g}, "
            f"mass={self.mass:g}, theta={self.theta:g})"
        )
