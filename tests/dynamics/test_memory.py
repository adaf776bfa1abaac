"""The doubly parabolic signal (θ > 0): exact history against the spectral field, and limits."""

import math

import numpy as np
import pytest

from kellersegel.dynamics import EulerMaruyama
from kellersegel.dynamics.memory import ExactHistorySignal, SpectralMemorySignal
from kellersegel.fields import EngineError
from kellersegel.kernels import GaussianMollifiedKernel
from kellersegel.kernels.memory import SlabKernel
from kellersegel.models import ClassicalModel

EPS = 0.2


@pytest.fixture
def noise(rng):
    n, steps, dt = 200, 30, 0.01
    return rng.standard_normal((n, 2)), math.sqrt(dt) * rng.standard_normal((steps, n, 2)), dt


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_spectral_field_agrees_with_exact_history_and_improves_with_the_lattice(lam, noise):
    x0, dws, dt = noise
    model, kernel = ClassicalModel(chi=8 * math.pi), SlabKernel(1.0, lam, EPS)
    # the exact history with the own past in or out as the spectral field declares (it keeps it)
    own_past = SpectralMemorySignal.include_self
    exact = ExactHistorySignal(kernel, include_self=own_past)
    exact_x, exact_b = EulerMaruyama(model, exact).drive(x0, dws, dt)
    gaps = []
    for tol in (1e-4, 1e-7):
        field = SpectralMemorySignal(kernel, horizon=len(dws) * dt, tolerance=tol)
        x, b = EulerMaruyama(model, field).drive(x0, dws, dt)
        gaps.append(np.max(np.abs(b - exact_b)) / np.max(np.abs(exact_b)))
        assert field.image_bound() == pytest.approx(tol, rel=1e-9)  # images just as far as needed
    assert gaps[1] < 1e-6 and gaps[1] < 1e-2 * gaps[0], gaps
    assert np.max(np.abs(x - exact_x)) < 1e-8


def test_a_long_horizon_at_small_theta_keeps_the_periodic_images_away(rng):
    """θ = 1/4 over T = 4: the heat kernel spreads far (images √(4T log(1/τ)/θ) ≈ 32 away), and the
    spectral field still follows the exact history."""
    n, steps, dt = 60, 80, 0.05
    x0 = rng.standard_normal((n, 2))
    dws = math.sqrt(dt) * rng.standard_normal((steps, n, 2))
    model, kernel = ClassicalModel(chi=4 * math.pi), SlabKernel(0.25, 0.0, 0.3)
    _, exact_b = EulerMaruyama(model, ExactHistorySignal(kernel, include_self=True)).drive(x0, dws, dt)
    field = SpectralMemorySignal(kernel, horizon=steps * dt)
    _, b = EulerMaruyama(model, field).drive(x0, dws, dt)
    assert field.image_bound() == pytest.approx(1e-7, rel=1e-9)
    assert np.max(np.abs(b - exact_b)) < 1e-6 * np.max(np.abs(exact_b))


def test_the_default_margin_holds_a_diffusing_cloud_over_the_horizon(rng):
    """Room 5√(2T) + 2 around the initial cloud: 2000 particles diffusing (χ = 1e-9) from a small
    cloud for T = 0.5 reach about 4 standard deviations √(2T) = 1 from the centre, and stay inside."""
    n, steps, dt = 2000, 50, 0.01
    x0 = 0.05 * rng.standard_normal((n, 2))
    dws = math.sqrt(dt) * rng.standard_normal((steps, n, 2))
    field = SpectralMemorySignal(SlabKernel(1.0, 0.0, 0.3), horizon=steps * dt)
    x, _ = EulerMaruyama(ClassicalModel(chi=1e-9), field).drive(x0, dws, dt)
    assert np.max(np.abs(x)) > 3.5  # farther than 5√(2T) − 2 = 3 from the start
    assert field.box.safe_half_width >= np.max(np.abs(x - field.grid.center))


def test_own_past_changes_the_drift_by_order_one_over_n(noise):
    x0, dws, dt = noise
    model, kernel = ClassicalModel(chi=8 * math.pi), SlabKernel(1.0, 0.0, EPS)
    _, with_self = EulerMaruyama(model, ExactHistorySignal(kernel, include_self=True)).drive(x0, dws[:10], dt)
    _, without = EulerMaruyama(model, ExactHistorySignal(kernel)).drive(x0, dws[:10], dt)
    # the own term of one slab is at most χ (M/N) max ψ, with max ψ = 1/(4πε²) for the mollified kernel
    gap = np.max(np.abs(with_self - without))
    assert 0 < gap <= 10 * 8 * math.pi / len(x0) / (4 * math.pi * EPS**2)


def test_frozen_particles_feel_the_integrated_kernel(rng):
    # positions that never move: the sum over slabs is the single slab [0, t] (exact, singular)
    x = rng.standard_normal((50, 2))
    kernel = SlabKernel(0.3, 0.0, None)
    field = ExactHistorySignal(kernel)
    for k in range(20):
        field.advance(x, x, 0.05 * k, 0.05)
    got = field.at_particles(1.0, x, potential=False).gradient
    d = x[:, None, :] - x[None, :, :]
    r2 = np.einsum("ijk,ijk->ij", d, d)
    np.fill_diagonal(r2, 1.0)
    psi = kernel.gradient_profile(r2, 0.0, 1.0)
    np.fill_diagonal(psi, 0.0)
    np.testing.assert_allclose(got, -(psi[..., None] * d).sum(axis=1) / 50, rtol=1e-11)


def lagged_elliptic(model, kernel, x0, dws, dt):
    """The θ → 0 limit of the exact-history scheme at a fixed step: the last slab [t_{K−1}, t_K]
    carries all the memory, so b_K = χ (M/N) Σ_{j≠i} ∇(G * V_ε)(X_K^i − X_{K−1}^j), b_0 = 0."""
    x, previous = np.array(x0), None
    n = len(x)
    for dw in dws:
        drift = np.zeros_like(x)
        if previous is not None:
            d = x[:, None, :] - previous[None, :, :]
            psi = kernel.gradient_profile(np.einsum("ijk,ijk->ij", d, d))
            np.fill_diagonal(psi, 0.0)  # the own past is left out
            drift = model.chi * model.mass / n * -(psi[..., None] * d).sum(axis=1)
        previous, x = x, x + dt * drift + math.sqrt(2.0) * dw
    return x


def test_small_theta_approaches_its_limit_at_rate_theta(noise):
    """For θ ≪ Δt the slabs older than the last one weigh O(θ/Δt) (slab integral
    e^{−θr²/(4b)} − e^{−θr²/(4a)}): the distance to the lagged elliptic scheme falls like θ¹
    (measured slopes 0.95–0.99 over θ = 4e-4 … 1e-4 at Δt = 0.01), with d ≈ 16 θ."""
    x0, dws, dt = noise
    model = ClassicalModel(chi=8 * math.pi)
    limit = lagged_elliptic(model, GaussianMollifiedKernel(EPS), x0, dws, dt)
    thetas = np.array([4e-4, 2e-4, 1e-4])
    distances = []
    for theta in thetas:
        x, _ = EulerMaruyama(model, ExactHistorySignal(SlabKernel(theta, 0.0, EPS))).drive(x0, dws, dt)
        distances.append(np.max(np.abs(x - limit)))
    slope = np.polyfit(np.log(thetas), np.log(distances), 1)[0]
    assert abs(slope - 1) < 0.1, (slope, distances)
    assert np.all(np.array(distances) < 30 * thetas), distances


def test_history_grows_and_the_spectral_field_does_not(noise):
    x0, dws, dt = noise
    model, kernel = ClassicalModel(), SlabKernel(1.0, 0.0, EPS)
    fields = ExactHistorySignal(kernel), SpectralMemorySignal(kernel, horizon=1.0)
    sizes = []
    for field in fields:
        stepper, x = EulerMaruyama(model, field), x0.copy()
        for k in range(10):
            x = stepper.step(x, k * dt, dt, dws[k])
            if k in (4, 9):
                sizes.append(field.memory_bytes)
    assert sizes[1] == 2 * sizes[0] and sizes[3] == sizes[2] > 0


def test_bad_use_fails_clearly(rng):
    with pytest.raises(ValueError, match="mollified kernel"):
        SpectralMemorySignal(SlabKernel(1.0))
    field = SpectralMemorySignal(SlabKernel(1.0, 0.0, EPS), horizon=0.1, margin=0.5)
    x = rng.standard_normal((20, 2))
    field.at_particles(0.0, x, potential=False)
    with pytest.raises(EngineError, match="left the lattice's safe region"):
        field.at_particles(0.0, x + 5.0, potential=False)
    with pytest.raises(EngineError, match="lattice modes"):
        SpectralMemorySignal(SlabKernel(1e-4, 0.0, 0.01), horizon=10.0).at_particles(0.0, x, potential=False)


def test_disk_initial_signal_is_the_heat_flow_of_the_disk():
    from kellersegel.initial import UniformDiskC0

    disk = UniformDiskC0(2.0, 0.7, (0.3, -0.2))
    x = np.array([[0.5, -0.2], [1.5, 0.4], [0.3, 0.49]])
    theta, lam = 0.5, 0.3
    np.testing.assert_array_equal(disk.gradient(x, 0.0, theta, lam), 0.0)  # a measure on the circle
    for t in (0.05, theta / 2):  # s² = 2t/θ = 0.2 and 1
        s2 = 2 * t / theta
        expected = np.array([[_disk_component(disk, p, a, s2) for a in (0, 1)] for p in x])
        expected *= 2.0 / (math.pi * 0.49) * math.exp(-lam * t / theta)
        np.testing.assert_allclose(disk.gradient(x, t, theta, lam), expected, atol=1e-12)
    with pytest.raises(ValueError, match="disk's sharp edge"):
        SpectralMemorySignal(SlabKernel(1.0, 0.0, EPS), initial_signal=disk)


def _disk_component(disk, point, axis, s2):
    """∂_axis of the disk's indicator smoothed by N(0, s² I), by quadrature over the disk."""
    from scipy import integrate

    def integrand(phi, r):
        y = disk.center + r * np.array([math.cos(phi), math.sin(phi)])
        d = point - y
        return -d[axis] / s2 * math.exp(-(d @ d) / (2 * s2)) / (2 * math.pi * s2) * r

    return integrate.dblquad(integrand, 0, disk.radius, 0, 2 * math.pi, epsabs=1e-12)[0]


def test_gaussian_initial_signal_is_the_same_in_both_fields(rng):
    from kellersegel.initial import GaussianMixtureC0

    c0 = GaussianMixtureC0(1.5, [[0.5, 0.0], [-1.0, 1.0]], [0.3, 0.6], [1.0, 2.0])
    kernel = SlabKernel(0.7, 0.4, EPS)
    x = rng.standard_normal((100, 2))
    exact = ExactHistorySignal(kernel, initial_signal=c0).at_particles(0.0, x, potential=False).gradient
    spectral = SpectralMemorySignal(kernel, initial_signal=c0, tolerance=1e-9)
    np.testing.assert_allclose(spectral.at_particles(0.0, x, potential=False).gradient, exact, atol=1e-8)
    # later: the closed form N(c_k, (v_k + 2t/θ) I) e^{−λt/θ} against the lattice's semigroup
    fields = [ExactHistorySignal(kernel, initial_signal=c0), SpectralMemorySignal(kernel, initial_signal=c0)]
    for field in fields:
        field.at_particles(0.0, x, potential=False)
        for k in range(6):
            field.advance(x, x, 0.05 * k, 0.05)
    later = [field.at_particles(0.3, x, potential=False).gradient for field in fields]
    np.testing.assert_allclose(later[1], later[0], atol=1e-7 * np.abs(later[0]).max())


def test_memory_is_empty_before_the_first_step_and_the_history_must_be_asked_at_its_end(rng):
    x = rng.standard_normal((20, 2))
    kernel = SlabKernel(1.0, 0.0, EPS)
    exact, spectral = ExactHistorySignal(kernel), SpectralMemorySignal(kernel, horizon=0.1)
    assert exact.memory_bytes == 0 and spectral.memory_bytes == 0
    exact.advance(x, x, 0.0, 0.05)
    exact.advance(x, x, 0.05, 0.05)
    assert exact.memory_bytes == 2 * x.nbytes
    with pytest.raises(ValueError, match=r"history recorded up to t = 0.1, asked at t = 0.2"):
        exact.at_particles(0.2, x, potential=False)


def test_a_gaussian_c0_narrower_than_epsilon_is_refused_by_the_spectral_field():
    from kellersegel.initial import GaussianMixtureC0

    with pytest.raises(ValueError, match=r"variance 0.036 is below ε² = 0.04"):
        SpectralMemorySignal(
            SlabKernel(1.0, 0.0, EPS), initial_signal=GaussianMixtureC0(1.0, [[0, 0]], 0.036)
        )
