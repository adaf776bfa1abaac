"""Checks of scalar parameters shared by kernels, scaling laws, models and initial data."""

from __future__ import annotations

import math

__all__ = ["finite_number"]


def finite_number(name: str, value: float, minimum: float | None = None, strict: bool = False) -> float:
    """``float(value)``, refused unless finite and ≥ ``minimum`` (> ``minimum`` when ``strict``)."""
    value = float(value)
    bad = not math.isfinite(value)
    if minimum is not None:
        bad = bad or (value <= minimum if strict else value < minimum)
    if bad:
        bound = "" if minimum is None else f" {'>' if strict else '≥'} {minimum:g}"
        raise ValueError(f"{name} must be a finite number{bound}, got {value}")
    return value
