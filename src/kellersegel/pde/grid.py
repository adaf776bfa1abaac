"""Uniform cell-centred grids on a square of the plane, and cell averages of initial data."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kellersegel._validation import finite_number
from kellersegel.initial.base import InitialData

__all__ = ["Grid2D", "UnderResolvedWarning"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(4)


class UnderResolvedWarning(UserWarning):
    """The grid is too coarse for the data, or the domain too small for the mass."""


@dataclass(frozen=True)
class Grid2D:
    """n × n square cells of side h = 2·half_width/n centred at ``center``.

    Cell (i, j) has centre (x_i, y_j), x_i = center_x − half_width + (i + ½) h; arrays on the grid
    have shape (n, n) indexed [i, j] (x first).
    """

    n: int = 128
    half_width: float = 6.0
    center: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if int(self.n) != self.n or self.n < 8:
            raise ValueError(f"n must be an integer ≥ 8, got {self.n}")
        finite_number("half_width", self.half_width, 0.0, strict=True)
        for v in self.center:
            finite_number("center", v)

    @property
    def h(self) -> float:
        """Cell side."""
        return 2.0 * self.half_width / self.n

    @property
    def x(self) -> NDArray[np.float64]:
        """Cell centres along x, shape (n,)."""
        return self.center[0] - self.half_width + (np.arange(self.n) + 0.5) * self.h

    @property
    def y(self) -> NDArray[np.float64]:
        """Cell centres along y, shape (n,)."""
        return self.center[1] - self.half_width + (np.arange(self.n) + 0.5) * self.h

    @property
    def points(self) -> NDArray[np.float64]:
        """Cell centres, shape (n, n, 2)."""
        return np.stack(np.meshgrid(self.x, self.y, indexing="ij"), axis=-1)

    def integrate(self, field: NDArray[np.float64]) -> NDArray[np.float64]:
        """h² Σ field over the last two axes (midpoint rule; exact for cell averages)."""
        return self.h**2 * field.sum(axis=(-2, -1))

    def second_moment(self, density: NDArray[np.float64]) -> NDArray[np.float64]:
        """∫|x|² ρ dx of cell averages, with the exact within-cell term h²/6 per unit mass."""
        p = self.points
        r2 = p[..., 0] ** 2 + p[..., 1] ** 2 + self.h**2 / 6.0
        return self.h**2 * np.sum(density * r2, axis=(-2, -1))

    def cell_averages(self, initial: InitialData, mass: float = 1.0) -> NDArray[np.float64]:
        """M times the average of the initial density over each cell (4 × 4 Gauss points per cell).

        Fails when the data have no density (a point mass) or put more than 10⁻⁶ of the mass
        outside the domain; warns (:class:`UnderResolvedWarning`) when the midpoint rule differs
        from the Gauss average by more than 1 % in L1, i.e. when the cells do not resolve the data.
        """
        if not initial.has_density:
            raise ValueError(f"{type(initial).__name__} has no bounded density; the PDE needs one")
        offsets = 0.5 * self.h * _NODES
        gx = self.x[:, None] + offsets[None, :]
        gy = self.y[:, None] + offsets[None, :]
        pts = np.stack(np.broadcast_arrays(gx[:, None, :, None], gy[None, :, None, :]), axis=-1)
        values = initial.density(pts)
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"{type(initial).__name__} has no bounded density (a point mass?); the PDE needs one"
            )
        if np.any(values < 0):
            raise ValueError("the initial density must be non-negative")
        average = mass * 0.25 * np.einsum("ijab,a,b->ij", values, _WEIGHTS, _WEIGHTS)
        outside = mass - self.integrate(average)
        if outside > 1e-6 * mass:
            raise ValueError(
                f"the domain [±{self.half_width:g}]² around {self.center} misses mass {outside:.2g} "
                f"of {mass:g}; increase half_width"
            )
        midpoint = mass * initial.density(self.points)
        mismatch = self.integrate(np.abs(midpoint - average)) / mass
        if mismatch > 1e-2:
            warnings.warn(
                f"grid too coarse for the initial data: cell midpoints and cell averages differ by "
                f"{mismatch:.1%} in L1 (h = {self.h:.3g}); increase n",
                UnderResolvedWarning,
                stacklevel=2,
            )
        return average

    def boundary_mass(self, density: NDArray[np.float64], width: int = 2) -> float:
        """Mass in the outer ``width`` rings of cells."""
        inner = density[width:-width, width:-width]
        return float(self.integrate(density) - self.h**2 * inner.sum())
