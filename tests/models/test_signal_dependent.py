"""Signal-dependent and general models: the Itô convention, special cases, degenerate motility."""

import math

import numpy as np
import pytest
from scipy import stats

from kellersegel.dynamics import (
    EllipticSignal,
    EulerMaruyama,
    GivenSignal,
    TimeGrid,
    Trajectory,
    fixed_step_integration,
)
from kellersegel.fields import DirectEngine
from kellersegel.kernels import GaussianMollifiedKernel
from kellersegel.models import (
    CallableFunction,
    ClassicalModel,
    ConstantFunction,
    ExponentialFunction,
    GeneralModel,
    PowerFunction,
    ReceptorFunction,
    SignalDependentModel,
    make_function,
)


@pytest.mark.parametrize(
    "function",
    [ConstantFunction(2.0), ExponentialFunction(1.5, 0.7), PowerFunction(2.0, 1.5), ReceptorFunction(3.0)],
)
def test_derivatives_are_exact(function):
    c = np.linspace(-0.5, 4.0, 50)
    h = 1e-6
    slope = (function.value(c + h) - function.value(c - h)) / (2 * h)
    np.testing.assert_allclose(function.derivative(c), slope, rtol=1e-7, atol=1e-9)


def test_named_families_and_their_errors():
    assert repr(make_function("receptor", chi=2.0)) == "receptor(chi=2)"
    np.testing.assert_allclose(make_function("power", a=1.0, k=2.0).value([1.0]), [0.25])
    assert np.isnan(PowerFunction(1.0, 1.0).value(-2.0))  # outside c > −1
    assert PowerFunction(3.0, 2.0).value(-0.5) == pytest.approx(12.0)  # inside, below 0
    assert ReceptorFunction(2.0).derivative(-0.5) == pytest.approx(-32.0)
    with pytest.raises(ValueError, match="power takes parameters a, k; got none"):
        make_function("power")
    with pytest.raises(TypeError, match="two callables"):
        CallableFunction(np.exp, 1.0)
    with pytest.raises(TypeError, match="two callables"):
        CallableFunction(1.0, np.exp)
    with pytest.raises(ValueError, match="unknown function 'cubic'"):
        make_function("cubic", a=1.0)
    with pytest.raises(ValueError, match="exponential takes parameters a, b"):
        make_function("exponential", a=1.0)


def test_ito_convention_gives_the_stationary_density_one_over_motility(rng):
    """Pure motility on the unit torus with a frozen signal c = cos 2πx: ∂t ρ = Δ(D(c)ρ) has the
    stationary density ∝ 1/D(c) (Itô). Stratonovich noise would give ∝ 1/√D, a drift-sign error
    ∝ D: the histogram of 20 000 independent particles tells them apart by a χ² test."""
    model = SignalDependentModel(ExponentialFunction(1.0, 0.8), sigma=0.3, lam=1.0)
    field = GivenSignal(
        gradient=lambda t, x: np.stack([-2 * np.pi * np.sin(2 * np.pi * x[:, 0]), np.zeros(len(x))], axis=1),
        potential=lambda t, x: np.cos(2 * np.pi * x[:, 0]),
    )
    stepper = EulerMaruyama(model, field)
    n, dt = 20_000, 5e-4
    x = rng.uniform(0.0, 1.0, (n, 2))
    for k in range(1000):  # t = 0.5: about 15 relaxation times 1/(4π² D_min)
        x = np.mod(stepper.step(x, k * dt, dt, math.sqrt(dt) * rng.standard_normal((n, 2))), 1.0)
    bins = 20
    counts = np.histogram(x[:, 0], bins=bins, range=(0.0, 1.0))[0]
    fine = (np.arange(bins * 200) + 0.5) / (bins * 200)
    motility = model.motility(np.cos(2 * np.pi * fine))

    def chi2(profile):
        expected = n * profile.reshape(bins, 200).sum(axis=1) / profile.sum()
        return float(np.sum((counts - expected) ** 2 / expected))

    limit = stats.chi2.ppf(1 - 1e-4, bins - 1)  # 19 degrees of freedom: ≈ 47
    assert chi2(1 / motility) < limit
    assert chi2(1 / np.sqrt(motility)) > 10 * limit
    assert chi2(motility) > 10 * limit


def test_classical_model_is_the_general_model_with_constant_functions(rng):
    kernel = GaussianMollifiedKernel(0.2, 0.5)
    general = GeneralModel(ConstantFunction(1.0), ConstantFunction(7.0), lam=0.5)
    x0 = rng.standard_normal((300, 2))
    runs = []
    for model in (ClassicalModel(chi=7.0, lam=0.5), general):
        stepper = EulerMaruyama(model, EllipticSignal(DirectEngine(kernel)))
        grid = TimeGrid(0.05, 0.005, 0.025)
        solution = fixed_step_integration(stepper, x0, grid, np.random.default_rng(11)).run()
        runs.append(Trajectory.from_solution(solution))
    np.testing.assert_array_equal(runs[0].positions, runs[1].positions)


def test_signal_dependent_particles_have_no_drift_and_degenerate_motility_stays_finite(rng):
    kernel = GaussianMollifiedKernel(0.2, 1.0)
    x0 = 0.3 * rng.standard_normal((400, 2))
    # γ = e^{−100c}: nearly 0 where the cells gather; a γ that turns negative is clipped at 0
    for gamma in (
        ExponentialFunction(1.0, 100.0),
        CallableFunction(lambda c: 1.0 - 10 * c, lambda c: -10 + 0 * c),
    ):
        model = SignalDependentModel(gamma, sigma=0.0, lam=1.0)
        stepper = EulerMaruyama(model, EllipticSignal(DirectEngine(kernel)))
        coefficients = stepper.coefficients(0.0, x0)
        assert np.all(coefficients.drift == 0)
        assert np.all(np.isfinite(coefficients.noise)) and np.min(coefficients.noise) >= 0
        assert np.min(coefficients.noise) < 1e-3  # degenerate somewhere
        grid = TimeGrid(0.02, 0.002, 0.01)
        solution = fixed_step_integration(stepper, x0, grid, np.random.default_rng(3)).run()
        run = Trajectory.from_solution(solution)
        assert run.event == "none" and np.all(np.isfinite(run.positions))
