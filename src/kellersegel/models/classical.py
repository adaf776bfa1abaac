"""The classical Keller–Segel model: D ≡ 1, S ≡ χ."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from kellersegel._validation import finite_number
from kellersegel.models.base import KellerSegelModel

__all__ = ["ClassicalModel"]


class ClassicalModel(KellerSegelModel):
    """∂t ρ = Δρ − χ ∇·(ρ∇c); particles dX_i = χ ∇c_i dt + √2 dW_i.

    Parameters
    ----------
    chi : float
        Chemotactic sensitivity χ > 0.
    lam, mass, theta : float
        See :class:`~kellersegel.models.base.KellerSegelModel`.
    """

    name = "classical"
    needs_potential = False

    def __init__(
        self, chi: float = 4 * math.pi, lam: float = 0.0, mass: float = 1.0, theta: float = 0.0
    ) -> None:
        super().__init__(lam=lam, mass=mass, theta=theta)
        self.chi = finite_number("chi", chi, 0.0, strict=True)

    def motility(self, c: NDArray[np.float64] | None) -> NDArray[np.float64]:
        return np.ones_like(c) if c is not None else np.float64(1.0)

    def motility_derivative(self, c: NDArray[np.float64] | None) -> NDArray[np.float64]:
        return np.zeros_like(c) if c is not None else np.float64(0.0)

    def sensitivity(self, c: NDArray[np.float64] | None) -> NDArray[np.float64]:
        return np.full_like(c, self.chi) if c is not None else np.float64(self.chi)

    def drift(self, c: NDArray[np.float64] | None, grad_c: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.chi * grad_c

    def noise_amplitude(self, c: NDArray[np.float64] | None) -> float:
        return math.sqrt(2.0)

    def collision_dimension(self, k: int, n: int) -> float:
        """δ_k = (k−1)(2 − χMk/(4πN)): Z = Σ_{i<j in C}|X_i − X_j|²/(2k) of a k-particle cluster C
        is, near 0, a squared Bessel process of this dimension, dZ = δ_k dt + 2√Z dβ (Itô on the
        pair drifts −χM/(2πN) (X_i−X_j)/|X_i−X_j|² and the noise √2 dW; the other particles'
        pull is smooth there). k-collisions happen when δ_k < 2; a cluster with δ_k ≤ 0 never
        separates. For the singular kernel (θ = 0; λ ≥ 0 has the same singularity)."""
        if not 2 <= k <= n:
            raise ValueError(f"need 2 ≤ k ≤ N, got k = {k}, N = {n}")
        return (k - 1) * (2.0 - self.chi * self.mass * k / (4 * math.pi * n))

    def virial_slope(self, n: int | None = None) -> float | None:
        """d/dt E[(1/N) Σ|X_i|²] = 4 − χM(N−1)/(2πN) (θ = 0, λ = 0, exact kernel).

        With ``n=None`` the mean-field value 4 − χM/(2π) of d/dt ∫|x|²ρ/M.
        """
        if self.lam != 0 or self.theta != 0:
            return None
        factor = 1.0 if n is None else (n - 1) / n
        return 4.0 - self.chi * self.mass * factor / (2 * math.pi)

    def critical_mass(self) -> float:
        """8π/χ: the mass above which solutions blow up in finite time (θ = 0, λ = 0)."""
        return 8 * math.pi / self.chi

    def __repr__(self) -> str:
        return f"ClassicalModel(chi={self.chi:g}, lam={self.lam:g}, mass={self.mass:g}, theta={self.theta:g})"
