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


@pytest.fixture(autouse=True, scope="session")
def _no_machine_calibration(tmp_path_factory):
    """The engine costs `auto` uses are the built-in ones in every test (a calibration written on
    this machine by `kellersegel bench calibrate` would change which engine runs)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("KELLERSEGEL_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)
