"""c itself from the memory fields (θ > 0): the slab integrals φ of the heat kernel, the initial
signal's value, and the three fields (exact history, split, spectral) against each other."""

import math

import numpy as np
import pytest
from scipy import integrate, special

from kellersegel.dynamics.memory import ExactHistorySignal, SpectralMemorySignal
from kellersegel.dynamics.split_memory import SplitMemorySignal
from kellersegel.initial.c0 import GaussianMixtureC0, UniformDiskC0
from kellersegel.kernels.memory import SlabKernel


def heat_integral(r2, a, b, theta, lam, eps):
    """∫_a^b e^{−λτ/θ}/θ · N(0, σ²(τ) I)(r), σ² = 2τ/θ + ε², by adaptive quadrature."""

    def f(tau):
        s = 2 * tau / theta + eps**2
        return math.exp(-lam * tau / theta) / theta * math.exp(-r2 / (2 * s)) / (2 * math.pi * s)

    points = [p for p in (theta * r2 / 4, theta * r2) if a < p < b] or None
    return integrate.quad(f, a, b, points=points, limit=400, epsabs=0, epsrel=1e-12)[0]


@pytest.mark.parametrize(
    ("theta", "lam", "eps"), [(1.0, 0.0, 0.0), (0.3, 0.0, 0.1), (1.0, 1.0, 0.0), (2.0, 0.5, 0.2)]
)
def test_the_slab_potential_is_the_time_integral_of_the_heat_kernel(theta, lam, eps):
    """φ(r²; a, b) against adaptive quadrature of its definition: thin and thick slabs, the singular
    last slab (a = 0, ε = 0: E_1), r → 0 (the Ein form), far pairs; a wrong θ, a missing e^{−λτ/θ},
    σ² without ε² or E_1 for Ein would each be off by far more than 1e-10. Absolute 1e-16: the
    quadrature of λ > 0 is relative to the slab's scale, not to values like e^{−375}."""
    kernel = SlabKernel(theta, lam, eps)
    for r2 in (0.0, 1e-6, 0.01, 0.5, 3.0, 20.0):
        for a, b in ((0.0, 1e-3), (0.0, 0.7), (1e-3, 2e-3), (0.5, 2.0)):
            if r2 == 0 and eps == 0 and a == 0:
                continue  # infinite: a source on the target in the singular last slab
            want = heat_integral(r2, a, b, theta, lam, eps)
            assert float(kernel.potential_profile(r2, a, b)) == pytest.approx(want, rel=1e-10, abs=1e-16)


@pytest.mark.parametrize(("lam", "eps"), [(2.0, 0.0), (0.1, 0.0), (5.0, 0.0), (1.0, 0.3), (5.0, 0.3)])
def test_over_all_ages_the_slab_potential_is_the_bessel_kernel(lam, eps):
    """∫_0^∞ K_τ dτ = G_λ = K_0(√λ r)/(2π) (θ drops out), and its gradient profile √λ K_1/(2πr);
    mollified: G_λ * V_ε, by quadrature of e^{−λ(s−ε²)/2} e^{−r²/(2s)}/(4πs) over s ≥ ε². Far
    pairs too (r = 10 at λ = 5: the integral's cut-off must follow the peak e^{−√λ r})."""
    kernel = SlabKernel(0.7, lam, eps)
    r = np.array([0.01, 0.3, 1.0, 4.47, 10.0])
    phi = kernel.potential_profile(r**2, 0.0, math.inf)
    if eps == 0:
        k = math.sqrt(lam)
        np.testing.assert_allclose(phi, special.k0(k * r) / (2 * math.pi), rtol=1e-13)
        psi = kernel.gradient_profile(r**2, 0.0, math.inf)
        np.testing.assert_allclose(psi, k * special.k1(k * r) / (2 * math.pi * r), rtol=1e-13)
    else:
        for value, radius in zip(phi, r, strict=True):
            want = integrate.quad(
                lambda s, rr=radius: math.exp(-lam * (s - eps**2) / 2 - rr**2 / (2 * s)) / (4 * math.pi * s),
                eps**2, math.inf, epsabs=0, epsrel=1e-12, limit=400,
            )[0]  # fmt: skip
            assert value == pytest.approx(want, rel=1e-9)


def test_the_slab_potential_adds_over_ages_and_its_gradient_is_the_slab_gradient():
    """φ(a, b) + φ(b, c) = φ(a, c), and −∇φ(|x|²) = ψ x by central differences (λ = 0 and λ > 0,
    the singular last slab): φ and ψ are one kernel's value and gradient."""
    x = np.array([[0.3, -0.2], [1.1, 0.4], [0.02, 0.01]])
    h = 1e-6
    for kernel in (SlabKernel(0.7, 0.0), SlabKernel(1.3, 0.8), SlabKernel(1.0, 0.0, 0.2)):
        np.testing.assert_allclose(
            kernel.potential(x, 0.0, 0.1) + kernel.potential(x, 0.1, 0.6),
            kernel.potential(x, 0.0, 0.6),
            rtol=1e-12,
        )
        for a, b in ((0.0, 0.05), (0.2, 0.9)):
            fd = np.stack(
                [
                    (kernel.potential(x + d, a, b) - kernel.potential(x - d, a, b)) / (2 * h)
                    for d in ([h, 0], [0, h])
                ],
                axis=1,
            )
            np.testing.assert_allclose(fd, kernel.gradient(x, a, b), rtol=1e-6, atol=1e-8)


def test_the_all_ages_potential_of_lambda_zero_is_refused_and_a_source_on_its_target_adds_nothing():
    """φ(0; 0, b) of the singular last slab is infinite: such a source (probability 0) is left out,
    as its gradient is, for λ = 0 and λ > 0."""
    with pytest.raises(ValueError, match="infinite"):
        SlabKernel(1.0, 0.0).potential_profile(1.0, 0.0, math.inf)
    for lam in (0.0, 0.7):
        assert float(SlabKernel(1.0, lam).potential_profile(0.0, 0.0, 0.01)) == 0.0


@pytest.mark.parametrize(
    "c0",
    [
        GaussianMixtureC0(1.5, [[0.0, 0.0], [1.0, 0.5]], [0.1, 0.3], [0.3, 0.7]),
        UniformDiskC0(2.0, 0.7, [0.1, 0.0]),
    ],
)
def test_the_initial_signal_value_is_its_mass_spread_by_the_heat_semigroup(c0):
    """value: its gradient by central differences, c0 itself at t = 0 (the disk's height A/(πR²)
    inside, 0 outside), and mass A e^{−λt/θ} (a grid sum over a wide box)."""
    theta, lam, t, h = 0.5, 1.0, 0.2, 1e-6
    x = np.array([[0.3, 0.2], [1.5, 0.1], [0.1, 0.0]])
    fd = np.stack(
        [
            (c0.value(x + d, t, theta, lam) - c0.value(x - d, t, theta, lam)) / (2 * h)
            for d in ([h, 0], [0, h])
        ],
        axis=1,
    )
    np.testing.assert_allclose(fd, c0.gradient(x, t, theta, lam), rtol=1e-6, atol=1e-9)
    if isinstance(c0, UniformDiskC0):
        np.testing.assert_allclose(
            c0.value(x, 0.0, theta, lam), [2.0 / (math.pi * 0.49), 0.0, 2.0 / (math.pi * 0.49)]
        )
    side = np.linspace(-6, 7, 521)
    grid = np.stack(np.meshgrid(side, side, indexing="ij"), axis=-1).reshape(-1, 2)
    mass = c0.value(grid, t, theta, lam).sum() * (side[1] - side[0]) ** 2
    assert mass == pytest.approx(c0.mass * math.exp(-lam * t / theta), rel=1e-6)


@pytest.fixture(scope="module")
def path():
    rng = np.random.default_rng(11)
    n, steps, dt = 60, 12, 0.01
    x = [rng.standard_normal((n, 2))]
    for _ in range(steps):
        x.append(x[-1] + math.sqrt(2 * dt) * rng.standard_normal((n, 2)))
    return x, dt


def feed(field, path):
    x, dt = path
    for k in range(len(x) - 1):
        field.at_particles(k * dt, x[k], potential=True)
        field.advance(x[k], x[k + 1], k * dt, dt)
    return field.at_particles((len(x) - 1) * dt, x[-1], potential=True)


@pytest.mark.parametrize(("lam", "eps"), [(0.0, 0.0), (1.0, 0.0), (0.5, 0.1)])
def test_the_exact_history_gives_c_as_the_sum_of_every_slab(lam, eps, path):
    """c^N(t, X_i) = (M/N) Σ_k Σ_{j ≠ i} φ(|X_i(t) − X_j(t_k)|²; t − t_{k+1}, t − t_k) + c0 part,
    summed here in Python from the kernel's profile (the compiled sum is independent code)."""
    x, dt = path
    kernel = SlabKernel(0.7, lam, eps)
    c0 = GaussianMixtureC0(2.0, [[0.5, 0.0]], 0.3)
    got = feed(ExactHistorySignal(kernel, mass=1.5, initial_signal=c0), path).potential
    n, t = x[0].shape[0], (len(x) - 1) * dt
    want = c0.value(x[-1], t, kernel.theta, kernel.lam)
    for k in range(len(x) - 1):
        d = x[-1][:, None, :] - x[k][None, :, :]
        r2 = np.einsum("ijk,ijk->ij", d, d)
        np.fill_diagonal(r2, 1.0)
        phi = kernel.potential_profile(r2, t - (k + 1) * dt, t - k * dt)
        np.fill_diagonal(phi, 0.0)
        want = want + 1.5 / n * phi.sum(axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize(
    ("lam", "eps", "lag"), [(0.0, 0.0, 0.004), (0.0, 0.0, 0.02), (1.0, 0.0, 0.015), (0.5, 0.1, 0.01)]
)
def test_the_split_field_gives_the_exact_history_c_to_its_tolerance(lam, eps, lag, path):
    """c from the lattice (ĉ by the type-2 NUFFT), the recent near pairs and the own past: the gap
    to the exact history falls with the tolerance, to 1e-9 of c at 1e-8 (a recent pair counted on
    the lattice too, or the own past not subtracted, would be 1e-2)."""
    x, dt = path
    kernel = SlabKernel(0.7, lam, eps)
    c0 = GaussianMixtureC0(2.0, [[0.5, 0.0]], 0.3)
    exact = feed(ExactHistorySignal(kernel, initial_signal=c0), path)
    gaps = []
    for tol in (1e-4, 1e-8):
        field = SplitMemorySignal(
            kernel, horizon=(len(x) - 1) * dt, tolerance=tol, lag=lag, initial_signal=c0
        )
        split = feed(field, path)
        assert field.own_past_potential_bound(x[0].shape[0]) == 0.0  # the own past is kept whole
        gaps.append(np.max(np.abs(split.potential - exact.potential)) / np.max(np.abs(exact.potential)))
    assert gaps[1] < 1e-9 and gaps[1] < 1e-2 * gaps[0], gaps


def test_the_split_field_c_beyond_the_own_past_window_is_within_its_bound(path):
    """A large N τ makes Δ_s shorter than the run: the own past beyond it stays in c, and the gap to
    the exact history (j ≠ i) is at most own_past_potential_bound (and not 0: the bound is needed)."""
    x, dt = path
    kernel = SlabKernel(1.0, 0.0)
    n, horizon = x[0].shape[0], (len(x) - 1) * dt
    field = SplitMemorySignal(kernel, horizon=horizon, tolerance=0.05, lag=dt)
    assert field.own_past_window(n) < horizon / 4
    split = feed(field, path)
    exact = feed(ExactHistorySignal(kernel), path)
    gap = np.max(np.abs(split.potential - exact.potential))
    bound = field.own_past_potential_bound(n)
    assert 0.1 * bound < gap < bound


def test_the_spectral_field_gives_the_exact_history_c_with_the_own_past():
    rng = np.random.default_rng(5)
    n, dt = 60, 0.01
    x = [rng.standard_normal((n, 2))]
    for _ in range(12):
        x.append(x[-1] + math.sqrt(2 * dt) * rng.standard_normal((n, 2)))
    kernel = SlabKernel(0.7, 0.5, 0.2)
    c0 = GaussianMixtureC0(2.0, [[0.5, 0.0]], 0.3)
    exact = feed(ExactHistorySignal(kernel, include_self=True, initial_signal=c0), (x, dt))
    spectral = feed(SpectralMemorySignal(kernel, horizon=0.12, tolerance=1e-9, initial_signal=c0), (x, dt))
    np.testing.assert_allclose(spectral.potential, exact.potential, rtol=1e-8)
    np.testing.assert_allclose(spectral.gradient, exact.gradient, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("lam", "lag"), [(0.0, None), (0.0, 0.05), (0.7, None), (0.7, 0.05)])
def test_the_own_past_potential_bound_is_the_heat_kernel_sup_integrated_beyond_the_window(lam, lag):
    """(M/N) ∫_s^T e^{−λτ/θ}/(4πτ) dτ from s = max(δ, Δ_s), by quadrature; a given lag longer than
    Δ_s starts it there; 0 with the own past included or Δ_s ≥ T."""
    theta, mass, n, horizon = 1.3, 2.0, 400, 0.5
    field = SplitMemorySignal(SlabKernel(theta, lam), mass=mass, horizon=horizon, tolerance=0.02, lag=lag)
    start = max(lag or 0.0, field.own_past_window(n))
    assert start < horizon and (lag is None or lag > field.own_past_window(n))
    want = (
        mass / n * integrate.quad(lambda t: math.exp(-lam * t / theta) / (4 * math.pi * t), start, horizon)[0]
    )
    assert field.own_past_potential_bound(n) == pytest.approx(want, rel=1e-10)
    assert (
        SplitMemorySignal(
            SlabKernel(theta, lam), horizon=horizon, tolerance=0.02, include_self=True
        ).own_past_potential_bound(n)
        == 0
    )
    assert (
        SplitMemorySignal(SlabKernel(theta, lam), horizon=horizon, tolerance=1e-8).own_past_potential_bound(n)
        == 0
    )
