"""Field engines: c^N and ∇c^N from particle positions. Choose one by name with :func:`make_engine`.

=========  ==========================================  ==========================  ==================
engine     kernels                                     cost per evaluation         accuracy
=========  ==========================================  ==========================  ==================
direct     all                                         O(N²), all cores            round-off
numpy      all                                         O(N²), plain NumPy          round-off
fmm        all (cut-off, mollified: near field)       O(N + N ρ a²)               tolerance
spectral   Gaussian-mollified                          O(N + M log M), M ∝ (P/ε)²  tolerance
=========  ==========================================  ==========================  ==================
"""

from __future__ import annotations

import math

from kellersegel.fields.base import DEFAULT_TOLERANCE, EngineError, FieldEngine, FieldValues
from kellersegel.fields.direct import DirectEngine
from kellersegel.fields.multipole import MultipoleEngine
from kellersegel.fields.numpy_engine import NumpyEngine
from kellersegel.fields.spectral import SpectralEngine
from kellersegel.kernels.fourier import gaussian_reach
from kellersegel.kernels.interaction import (
    CutoffKernel,
    ExactKernel,
    GaussianMollifiedKernel,
    InteractionKernel,
)

__all__ = [
    "ENGINES",
    "DirectEngine",
    "EngineError",
    "FieldEngine",
    "FieldValues",
    "MultipoleEngine",
    "NumpyEngine",
    "SpectralEngine",
    "choose_engine",
    "make_engine",
]

#: Engines by name.
ENGINES: dict[str, type[FieldEngine]] = {
    e.name: e for e in (DirectEngine, NumpyEngine, MultipoleEngine, SpectralEngine)
}

# Crossovers on 2 cores (benchmarks/README.md): λ = 0, fmm/direct = 1.3× at N = 5000 and 0.5× at
# 2000 for the exact kernel, 1.1× and 0.6× for the cut-off (measured); λ > 0 and spectral from
# 10³: estimated from the per-particle costs measured at 2·10⁴ (fmm 31 µs, spectral 2 µs) and
# the direct engine's O(N²) costs, not timed at 10³.
_FMM_FROM_N = {True: 5_000, False: 1_000}  # λ = 0, λ > 0
_SPECTRAL_FROM_N = 1_000
#: lattice modes per side the spectral engine may use for a cloud of extent ~12 before fmm is preferred
_SPECTRAL_MAX_SIDE = 8_000


def choose_engine(kernel: InteractionKernel, n: int | None) -> str:
    """The engine ``auto`` picks for ``kernel`` and n particles (None: a large n)."""
    big = math.inf if n is None else n
    if isinstance(kernel, (ExactKernel, CutoffKernel)):
        return "fmm" if big >= _FMM_FROM_N[kernel.lam == 0] else "direct"
    if isinstance(kernel, GaussianMollifiedKernel) and big >= _SPECTRAL_FROM_N:
        side = 2 * 12.0 * gaussian_reach(DEFAULT_TOLERANCE) / (math.pi * kernel.epsilon)
        return "spectral" if side <= _SPECTRAL_MAX_SIDE else "fmm"
    return "direct"


def make_engine(name: str, kernel: InteractionKernel, n: int | None = None, **options) -> FieldEngine:
    """The engine ``name`` for ``kernel``; ``"auto"`` picks one by kernel and n (:func:`choose_engine`).

    ``options`` go to the engine's constructor (e.g. ``tolerance`` for fmm and spectral).
    """
    if name == "auto":
        name = choose_engine(kernel, n)
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; allowed: auto, {', '.join(ENGINES)}")
    return ENGINES[name](kernel, **options)
