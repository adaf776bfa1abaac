import numpy as np
import pytest

from kellersegel.kernels import AlgebraicScaling, FixedEpsilon, LogarithmicScaling, make_scaling


def test_scaling_laws():
    assert AlgebraicScaling(2.0, 0.5).epsilon(100) == pytest.approx(0.2)
    assert LogarithmicScaling(1.0).epsilon(1000) == pytest.approx(1 / np.sqrt(np.log(1000)))
    assert FixedEpsilon(0.3).epsilon(10**6) == 0.3
    assert make_scaling("algebraic", 1.0, 0.25).epsilon(10**4) == pytest.approx(0.1)


def test_bad_scaling_input():
    with pytest.raises(ValueError, match="beta"):
        AlgebraicScaling(1.0, -0.1)
    with pytest.raises(ValueError, match="n must be an integer ≥ 2"):
        LogarithmicScaling(1.0).epsilon(1)
    with pytest.raises(ValueError, match="allowed: algebraic, logarithmic, fixed"):
        make_scaling("cubic")


def test_scale_laws_refuse_a_zero_scale_and_are_immutable():
    import dataclasses

    for law in (AlgebraicScaling, LogarithmicScaling, FixedEpsilon):
        with pytest.raises(ValueError, match="eps0"):
            law(0.0)
        with pytest.raises(dataclasses.FrozenInstanceError):
            law(1.0).eps0 = 2.0
        assert law().eps0 == 1.0
    assert AlgebraicScaling().beta == 0.25  # ε = N^{−1/4} by default, as in [particles]
