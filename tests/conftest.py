"""Shared helpers for the test suite."""

import numpy as np
import pytest

from kellersegel.kernels import CutoffKernel, ExactKernel, GaussianMollifiedKernel

#: every kernel kind, λ = 0 and λ > 0
KERNELS = [
    ExactKernel(0.0),
    ExactKernel(0.7),
    GaussianMollifiedKernel(0.08, 0.0),
    GaussianMollifiedKernel(0.08, 0.7),
    CutoffKernel(0.08, 0.0),
    CutoffKernel(0.08, 0.7),
]


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)
