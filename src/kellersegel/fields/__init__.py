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

from kellersegel.fields.base import EngineError, FieldEngine, FieldValues
from kellersegel.fields.direct import DirectEngine
from kellersegel.fields.multipole import MultipoleEngine
from kellersegel.fields.numpy_engine import NumpyEngine
from kellersegel.fields.spectral import SpectralEngine
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

#: Engines by name: the registry every engine subclass with a ``name`` joins when defined.
ENGINES: dict[str, type[FieldEngine]] = FieldEngine.registry

# Crossovers on 2 cores (benchmarks/README.md): λ = 0, fmm/direct = 1.3× at N = 5000 and 0.5× at
# 2000 for the exact kernel, 1.1× and 0.6× for the cut-off (measured); λ > 0 and spectral from
# 10³: estimated from the per-particle costs measured at 2·10⁴ (fmm 31 µs, spectral 2 µs) and
# the direct engine's O(N²) costs, not timed at 10³.
_FMM_FROM_N = {True: 5_000, False: 1_000}  # λ = 0, λ > 0
_SPECTRAL_FROM_N = 1_000


def _spectral_seconds(kernel: GaussianMollifiedKernel) -> float:
    """Rough cost of one spectral evaluation: ≈ 2.5e-7 s per lattice mode, ≈ (25/ε)² modes.

    Calibrated on 2 cores for Gaussian clouds of variance 0.5, N = 10³ … 10⁵ (the lattice grows
    with the cloud's extent, which this estimate does not see).
    """
    return 1.6e-4 / kernel.epsilon**2


def _fmm_seconds(kernel: GaussianMollifiedKernel, n: float) -> float:
    """Rough cost of one fmm evaluation: per particle, plus the near field within ~6ε (∝ (Nε)²).

    Same calibration as :func:`_spectral_seconds` (λ > 0 uses the single-threaded pyfmmlib).
    """
    per_particle, near = (1.5e-5, 2.5e-6) if kernel.lam == 0 else (3e-5, 3.5e-6)
    return per_particle * n + near * (n * kernel.epsilon) ** 2


def choose_engine(kernel: InteractionKernel, n: int | None) -> str:
    """The engine ``auto`` picks for ``kernel`` and n particles (None: a large n, costed as 10⁶).

    Exact and cut-off kernels: fmm from the measured crossover with direct. Mollified kernels:
    direct below 10³ particles, else spectral or fmm, whichever the cost model above says is
    faster (spectral for ε large against the interparticle distance, fmm for ε small).
    """
    big = math.inf if n is None else n
    if isinstance(kernel, (ExactKernel, CutoffKernel)):
        return "fmm" if big >= _FMM_FROM_N[kernel.lam == 0] else "direct"
    if isinstance(kernel, GaussianMollifiedKernel) and big >= _SPECTRAL_FROM_N:
        return "spectral" if _spectral_seconds(kernel) <= _fmm_seconds(kernel, min(big, 1e6)) else "fmm"
    return "direct"


def make_engine(name: str, kernel: InteractionKernel, n: int | None = None, **options) -> FieldEngine:
    """The engine ``name`` for ``kernel``; ``"auto"`` picks one by kernel and n (:func:`choose_engine`).

    ``options`` go to the engine's constructor (e.g. ``tolerance`` for fmm and spectral).
    """
    if FieldEngine.check_name(name, also=("auto",)) == "auto":
        name = choose_engine(kernel, n)
    return ENGINES[name](kernel, **options)
