"""Interaction kernels, Green's functions and mollification scale laws (pure functions)."""

from kellersegel.kernels.green import (
    bessel_green,
    bessel_green_gradient,
    heat_kernel,
    heat_kernel_gradient,
    log_green,
    log_green_gradient,
    time_slab_gradient,
)
from kellersegel.kernels.interaction import (
    CutoffKernel,
    ExactKernel,
    GaussianMollifiedKernel,
    InteractionKernel,
    make_kernel,
)
from kellersegel.kernels.memory import SlabKernel
from kellersegel.kernels.scaling import (
    AlgebraicScaling,
    EpsilonScaling,
    FixedEpsilon,
    LogarithmicScaling,
    make_scaling,
)

__all__ = [
    "AlgebraicScaling",
    "CutoffKernel",
    "EpsilonScaling",
    "ExactKernel",
    "FixedEpsilon",
    "GaussianMollifiedKernel",
    "InteractionKernel",
    "LogarithmicScaling",
    "SlabKernel",
    "bessel_green",
    "bessel_green_gradient",
    "heat_kernel",
    "heat_kernel_gradient",
    "log_green",
    "log_green_gradient",
    "make_kernel",
    "make_scaling",
    "time_slab_gradient",
]
