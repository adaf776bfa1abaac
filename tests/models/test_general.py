"""The general model (non-constant D and S) and the drift formula of every model, against closed forms.

In a frozen signal c, the cell equation ∂t ρ = ∇·(D(c)∇ρ − ρ S(c)∇c) has the zero-flux stationary
density ρ ∝ exp(Φ(c)), Φ' = S/D. With D = a(1+c)^{−k}, S = χ/(1+c)² and k = 1: Φ = (χ/a) log(1+c),
ρ ∝ (1+c)^{χ/a}. An Itô drift without D' would give ρ ∝ exp(Φ)/D ∝ (1+c)^{χ/a+1}; a sign error in
S would give (1+c)^{−χ/a}.
"""

import math

import numpy as np
import pytest
from scipy import stats

from kellersegel.dynamics import EulerMaruyama, GivenSignal
from kellersegel.fields import DirectEngine
from kellersegel.kernels import ExactKernel
from kellersegel.models import (
    ClassicalModel,
    ConstantFunction,
    ExponentialFunction,
    GeneralModel,
    KellerSegelModel,
    PowerFunction,
    ReceptorFunction,
    SignalDependentModel,
)

A, CHI = 2.0, 3.0  # D = 2/(1+c), S = 3/(1+c)²: ρ ∝ (1+c)^{1.5}
GENERAL = GeneralModel(PowerFunction(A, 1.0), ReceptorFunction(CHI), lam=1.0)


def torus_signal():
    """c = 1 + cos 2πx on the unit torus (c ∈ [0, 2])."""
    return GivenSignal(
        gradient=lambda t, x: np.stack([-2 * np.pi * np.sin(2 * np.pi * x[:, 0]), np.zeros(len(x))], axis=1),
        potential=lambda t, x: 1.0 + np.cos(2 * np.pi * x[:, 0]),
    )


MODELS = [
    ClassicalModel(chi=3.0, lam=0.5),
    GENERAL,
    GeneralModel(ExponentialFunction(1.5, 0.7), ConstantFunction(2.0)),
    SignalDependentModel(ExponentialFunction(1.0, 0.8), sigma=0.3),
    SignalDependentModel(PowerFunction(2.0, 1.5), sigma=0.0),
]


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_every_drift_is_d_prime_plus_s_times_grad_c(model, rng):
    """b = (D'(c) + S(c)) ∇c: the models that override the drift (classical: χ∇c; signal-dependent:
    0, since S = −γ' = −D') must agree with the general formula computed from D', S; the noise is
    √(2D)."""
    c = rng.uniform(0.0, 2.0, 50)
    grad = rng.normal(size=(50, 2))
    factor = model.motility_derivative(c) + model.sensitivity(c)
    np.testing.assert_allclose(model.drift(c, grad), factor[:, None] * grad, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(KellerSegelModel.drift(model, c, grad), factor[:, None] * grad, rtol=1e-13)
    np.testing.assert_allclose(
        np.broadcast_to(model.noise_amplitude(c), c.shape), np.sqrt(2 * model.motility(c)), rtol=1e-13
    )
    for values in (model.motility(c), model.motility_derivative(c), model.sensitivity(c)):
        assert np.shape(values) == c.shape


def test_signal_dependent_model_is_d_equal_sigma_plus_gamma_and_s_equal_minus_gamma_prime(rng):
    gamma = ExponentialFunction(1.0, 0.8)
    model = SignalDependentModel(gamma, sigma=0.3)
    c = rng.uniform(0.0, 2.0, 20)
    np.testing.assert_allclose(model.motility(c), 0.3 + np.exp(-0.8 * c), rtol=1e-14)
    np.testing.assert_allclose(model.motility_derivative(c), -0.8 * np.exp(-0.8 * c), rtol=1e-14)
    np.testing.assert_allclose(model.sensitivity(c), 0.8 * np.exp(-0.8 * c), rtol=1e-14)
    assert model.needs_potential and model.lam == 1.0  # the Bessel potential by default


def test_constant_general_model_needs_no_potential():
    assert not GeneralModel(ConstantFunction(1.0), ConstantFunction(2.0)).needs_potential
    assert GeneralModel(ConstantFunction(1.0), ReceptorFunction(2.0)).needs_potential
    assert GeneralModel(ExponentialFunction(1.0, 1.0), ConstantFunction(2.0)).needs_potential
    assert not ClassicalModel().needs_potential


def test_classical_model_without_c_is_d_one_s_chi():
    model = ClassicalModel(chi=5.0)
    assert model.motility(None) == 1.0 and model.motility_derivative(None) == 0.0
    assert model.sensitivity(None) == 5.0 and model.noise_amplitude(None) == math.sqrt(2.0)
    c = np.linspace(-1, 1, 7)
    np.testing.assert_array_equal(model.motility(c), np.ones(7))
    np.testing.assert_array_equal(model.sensitivity(c), np.full(7, 5.0))


@pytest.mark.parametrize(("chi", "mass", "n"), [(4 * math.pi, 1.0, 7), (10.0, 2.5, 40), (30.0, 0.3, 3)])
def test_virial_slope_is_the_pair_sum_of_the_exact_drift(chi, mass, n, rng):
    """d/dt E[(1/N) Σ|X_i|²] = 4 + (2/N) Σ_i X_i·b_i (Itô, D ≡ 1). For the exact log kernel the pair
    sum is exactly −χM(N−1)/(4π) whatever the positions, so the slope is 4 − χM(N−1)/(2πN)."""
    model = ClassicalModel(chi=chi, mass=mass)
    x = rng.normal(size=(n, 2))
    grad = DirectEngine(ExactKernel(0.0)).evaluate(x, mass / n, potential=False, gradient=True).gradient
    slope = 4.0 + 2.0 / n * float(np.sum(x * model.drift(None, grad)))
    assert model.virial_slope(n) == pytest.approx(slope, rel=1e-10)
    assert model.virial_slope() == pytest.approx(4.0 - chi * mass / (2 * math.pi), rel=1e-14)
    # the critical mass is where the mean-field slope vanishes
    assert ClassicalModel(chi=chi, mass=model.critical_mass()).virial_slope() == pytest.approx(0, abs=1e-12)
    assert ClassicalModel(chi=chi, lam=1.0).virial_slope(n) is None
    assert ClassicalModel(chi=chi, theta=1.0).virial_slope(n) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"mass": 0.0}, "mass"), ({"lam": -1.0}, "lam"), ({"theta": -0.1}, "theta"), ({"chi": 0.0}, "chi")],
)
def test_model_parameters_out_of_range_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClassicalModel(**kwargs)
    assert ClassicalModel(chi=0.5, lam=0.0, theta=0.0, mass=0.01).chi == 0.5  # the bounds are 0


def test_general_particles_reach_the_stationary_density_exp_phi_on_the_torus(rng):
    """20 000 independent particles (frozen c) to t = 0.5, about 13 relaxation times 1/(4π² D_min):
    the histogram of x₁ passes a χ² test (19 degrees of freedom, level 1e-4) against (1+c)^{1.5}
    and fails it by far against (1+c)^{2.5} (no D' in the drift) and (1+c)^{−1.5} (S of the
    wrong sign)."""
    stepper = EulerMaruyama(GENERAL, torus_signal())
    n, dt = 20_000, 5e-4
    x = rng.uniform(0.0, 1.0, (n, 2))
    for k in range(1000):
        x = np.mod(stepper.step(x, k * dt, dt, math.sqrt(dt) * rng.standard_normal((n, 2))), 1.0)
    bins = 20
    counts = np.histogram(x[:, 0], bins=bins, range=(0.0, 1.0))[0]
    one_plus_c = 2.0 + np.cos(2 * np.pi * (np.arange(bins * 200) + 0.5) / (bins * 200))

    def chi2(exponent):
        profile = one_plus_c**exponent
        expected = n * profile.reshape(bins, 200).sum(axis=1) / profile.sum()
        return float(np.sum((counts - expected) ** 2 / expected))

    limit = stats.chi2.ppf(1 - 1e-4, bins - 1)
    assert chi2(CHI / A) < limit
    assert chi2(CHI / A + 1) > 10 * limit
    assert chi2(-CHI / A) > 10 * limit
