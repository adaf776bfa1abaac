"""The radial (mass-coordinate) solver: exact solutions, the virial identity, convergence, blow-up."""

import math

import numpy as np
import pytest

from kellersegel.initial.laws import GaussianBumps, GaussianData
from kellersegel.models import ClassicalModel
from kellersegel.pde import RadialGrid, RadialSolver, radial_mass


def test_mass_coordinate_of_a_gaussian():
    s = RadialGrid(n=200).s
    np.testing.assert_allclose(radial_mass(GaussianData(0.7), s, 2.0), 2.0 * -np.expm1(-s / 1.4), atol=1e-14)


def test_without_chemotaxis_it_is_the_heat_equation():
    # χ → 0: ρ stays Gaussian with variance σ² + 2t per coordinate, m = M(1 − e^{−s/(2(σ² + 2t))});
    # the error is the O(h²) discretisation error: small, and 4× smaller on a grid twice as fine
    errors = []
    for n in (800, 1600):
        sol = RadialSolver(ClassicalModel(chi=1e-12), RadialGrid(n=n)).solve(GaussianData(0.5), 0.5, 0.25)
        exact = -np.expm1(-sol.grid.s[None, :] / (2 * (0.5 + 2 * sol.times[:, None])))
        errors.append(np.max(np.abs(sol.mass_profile - exact)))
    assert errors[0] < 2e-5
    assert 3.5 < errors[0] / errors[1] < 4.5


@pytest.mark.parametrize("chi", [4 * math.pi, 10 * math.pi])
def test_virial_identity_below_and_above_the_critical_mass(chi):
    # d/dt m₂ = 4M − χM²/(2π) exactly; the second moment's quadrature error is O(h²) and
    # almost constant in time, so differences of m₂ carry much less of it
    mass = 1.3
    sol = RadialSolver(ClassicalModel(chi=chi, mass=mass), RadialGrid(n=1000)).solve(
        GaussianData(1.0), 0.4, 0.1
    )
    assert sol.blowup_time is None
    slope = np.diff(sol.second_moment()) / np.diff(sol.times)
    expected = 4 * mass - chi * mass**2 / (2 * math.pi)
    np.testing.assert_allclose(slope, expected, rtol=1e-4)


def test_second_order_in_space():
    model = ClassicalModel(chi=6 * math.pi)
    profiles = {}
    for n in (200, 400, 800, 3200):
        grid = RadialGrid(n=n)
        sol = RadialSolver(model, grid, rtol=1e-11, atol=1e-14).solve(GaussianData(1.0), 0.5, 0.5)
        profiles[n] = sol.cumulative_mass(0.5, np.linspace(0.05, 4, 80))
    errors = [np.max(np.abs(profiles[n] - profiles[3200])) for n in (200, 400, 800)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders > 1.8) & (orders < 2.4)), (errors, orders)


def test_blowup_time_is_below_the_virial_bound_and_stable_under_refinement():
    # χ = 10π, M = 1, variance 1: m₂(0) = 2, T* = m₂(0) / (χM²/(2π) − 4M) = 2
    model = ClassicalModel(chi=10 * math.pi)
    times = [
        RadialSolver(model, RadialGrid(n=n))
        .solve(GaussianData(1.0), 3.0, 0.5, blowup_density=1e3)
        .blowup_time
        for n in (500, 1000)
    ]
    assert all(t is not None and t <= 2.0 for t in times)
    assert abs(times[0] - times[1]) < 1e-3 * times[1]


def test_signal_and_gradient_agree():
    sol = RadialSolver(ClassicalModel(), RadialGrid(n=1000)).solve(GaussianData(1.0), 0.2, 0.2)
    r = np.linspace(0.3, 3.0, 10)
    h = 1e-4
    slope = (sol.signal_profile(0.2, r + h) - sol.signal_profile(0.2, r - h)) / (2 * h)
    grad = sol.signal_gradient(0.2, np.stack([r, np.zeros_like(r)], axis=-1))[:, 0]
    np.testing.assert_allclose(slope, grad, rtol=1e-4)
    # at t = 0 it is the closed form for a Gaussian: ∂r c = −(1 − e^{−r²/2})/(2πr)
    grad0 = sol.signal_gradient(0.0, np.stack([r, np.zeros_like(r)], axis=-1))[:, 0]
    np.testing.assert_allclose(grad0, np.expm1(-(r**2) / 2) / (2 * np.pi * r), rtol=1e-7)


def test_bad_input_fails_clearly():
    with pytest.raises(ValueError, match="radially symmetric"):
        RadialSolver(ClassicalModel()).solve(GaussianData(1.0, center=(0.5, 0.0)), 0.1, 0.1)
    with pytest.raises(ValueError, match="radially symmetric"):
        RadialSolver(ClassicalModel()).solve(GaussianBumps([[1.0, 0.0], [-1.0, 0.0]]), 0.1, 0.1)
    with pytest.raises(ValueError, match="theta = 0 and lam = 0"):
        RadialSolver(ClassicalModel(lam=1.0))
    with pytest.raises(ValueError, match="increase s_max"):
        RadialSolver(ClassicalModel(), RadialGrid(s_max=4.0)).solve(GaussianData(1.0), 0.1, 0.1)
    with pytest.raises(ValueError, match="s_core"):
        RadialGrid(s_max=1.0, s_core=2.0)


def test_signal_density_and_mass_of_gaussian_data_are_their_closed_forms():
    """At t = 0, data N(0, I) of mass M: c = G_0 * ρ = M φ_1(r²) with φ_1 the Gaussian-mollified log
    kernel of scale 1, −(M/4π) log r² beyond s_max; ρ = M e^{−r²/2}/(2π); m(r) → M beyond s_max."""
    from kellersegel.kernels import GaussianMollifiedKernel

    mass = 1.7
    sol = RadialSolver(ClassicalModel(mass=mass), RadialGrid(n=1000, s_max=40.0)).solve(
        GaussianData(1.0), 0.1, 0.1
    )
    r = np.array([0.0, 0.2, 0.9, 2.5, 5.0, 6.0, 7.5])  # s_max = 40: the last beyond √40
    expected = mass * GaussianMollifiedKernel(1.0).potential_profile(r**2)
    np.testing.assert_allclose(sol.signal_profile(0.0, r), expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        sol.density(0.0, r[:-1]), mass * np.exp(-(r[:-1] ** 2) / 2) / (2 * np.pi), atol=1e-6
    )
    assert sol.density(0.0, 7.5) == 0.0 and sol.cumulative_mass(0.0, 7.5) == mass
    np.testing.assert_allclose(
        sol.cumulative_mass(0.0, r[:-1]), mass * -np.expm1(-(r[:-1] ** 2) / 2), atol=1e-8
    )
    with pytest.raises(ValueError, match=r"t = 0.2 is outside the solved interval \[0, 0.1\]"):
        sol.signal_profile(0.2, r)


def test_both_solutions_are_mean_field_solutions_in_t_x_order():
    """c(t, x) of the radial solution at points is its profile at |x|, and the grid solver's c of
    the same data agrees with it to its discretisation error."""
    from kellersegel.pde import FiniteVolumeSolver, Grid2D, MeanFieldSolution

    model, data = ClassicalModel(chi=4.0), GaussianData(1.0)
    radial = RadialSolver(model, RadialGrid(n=400, s_max=60.0)).solve(data, 0.1, 0.05)
    grid = FiniteVolumeSolver(model, Grid2D(n=96, half_width=6.0)).solve(data, 0.1, 0.05)
    x = np.array([[0.3, 0.4], [-1.0, 1.2], [0.0, -2.0]])
    for solution in (radial, grid):
        assert isinstance(solution, MeanFieldSolution)
        assert solution.signal(0.1, x).shape == (3,) and solution.signal_gradient(0.1, x).shape == (3, 2)
    np.testing.assert_allclose(radial.signal(0.1, x), radial.signal_profile(0.1, np.linalg.norm(x, axis=1)))
    # independent solvers of one problem: c and ∇c agree to 2e-4 here (grid h = 0.125)
    np.testing.assert_allclose(grid.signal(0.1, x), radial.signal(0.1, x), atol=5e-4)
    np.testing.assert_allclose(grid.signal_gradient(0.1, x), radial.signal_gradient(0.1, x), atol=5e-4)


def test_central_density_and_the_blowup_event_read_the_same_density():
    """ρ(0) of N(0, vI) data of mass M is M/(2πv) (second-order one-sided difference in s); the
    blow-up event stops the solve where the central density reaches the threshold, and the last
    saved frame is that state."""
    mass, v = 1.3, 0.7
    model = ClassicalModel(chi=10 * math.pi, mass=mass)
    sol = RadialSolver(model, RadialGrid(n=2000, s_max=40.0)).solve(
        GaussianData(v), 3.0, 0.5, blowup_density=50.0
    )
    assert sol.central_density()[0] == pytest.approx(mass / (2 * math.pi * v), rel=1e-4)  # 2.6e-5 here
    assert sol.blowup_time is not None and sol.times[-1] == sol.blowup_time
    assert sol.central_density()[-1] == pytest.approx(50.0, rel=1e-6)
    assert np.all(sol.central_density()[:-1] < 50.0)
    assert sol.density(sol.blowup_time, 0.0) == pytest.approx(50.0, rel=1e-3)


def test_bad_grids_solvers_and_times_are_refused_at_their_edges():
    RadialGrid(n=8)
    for kwargs, message in [
        ({"n": 7}, "n must be an integer ≥ 8"),
        ({"n": 8.5}, "n must be an integer ≥ 8"),
        ({"s_max": 0.0}, "s_max must be a finite number > 0"),
        ({"s_core": 0.0}, "s_core must be a finite number > 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            RadialGrid(**kwargs)
    for kwargs in ({"rtol": 0.0}, {"atol": 0.0}):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            RadialSolver(ClassicalModel(), RadialGrid(n=50), **kwargs)
    solver = RadialSolver(ClassicalModel(), RadialGrid(n=50))
    rho0 = solver.solve(GaussianData(1.0), 0.01, 0.01).threshold / 1e4  # the solver's own ρ(0)
    for args, kwargs, message in [
        ((0.0, 0.1), {}, "t_end"),
        ((0.1, 0.0), {}, "save_every"),
        ((0.1, 0.1), {"blowup_density": rho0}, "blowup_density"),  # must exceed ρ(0)
    ]:
        with pytest.raises(ValueError, match=message):
            solver.solve(GaussianData(1.0), *args, **kwargs)


def test_the_mass_left_beyond_s_max_is_judged_relative_to_the_mass():
    """N(0, I) data put e^{−s_max/2} of their mass beyond s = s_max: 1e-10 at s_max = 46, accepted
    for any mass M (the bound is 1e-8 M); 2e-5 at s_max = 22, refused."""
    for mass in (1e-3, 1e4):
        model = ClassicalModel(chi=1e-3, mass=mass)
        sol = RadialSolver(model, RadialGrid(n=200, s_max=46.0)).solve(GaussianData(1.0), 0.01, 0.01)
        assert sol.threshold == pytest.approx(1e4 * mass / (2 * math.pi), rel=1e-2)  # default: 10⁴ ρ(0)
        with pytest.raises(ValueError, match="beyond s_max"):
            RadialSolver(model, RadialGrid(n=200, s_max=22.0)).solve(GaussianData(1.0), 0.01, 0.01)


def _spread_solution():
    """N(0, 0.3 I) data of mass 3 diffused (χ = 2) until 1 % of the mass sits in the last cell of a
    grid with s_max = 12 and a coarse core (s_core = 1e-2): the outer and inner cells both matter."""
    model = ClassicalModel(chi=2.0, mass=3.0)
    solver = RadialSolver(model, RadialGrid(n=300, s_max=12.0, s_core=1e-2))
    return solver, solver.solve(GaussianData(0.3), 1.5, 0.5)


def test_signal_density_and_mass_are_one_profile_up_to_both_ends_of_the_grid():
    """c(s) − c(s_max) = ∫_s^{s_max} m(s')/(4π s') ds' (−Δc = ρ in the mass coordinate) and
    π ∫ ρ ds = Δm, checked by quadrature against the solution's own m, in the first cells (where
    c uses m/s → πρ(0)) and the last (where m < M still)."""
    from scipy import integrate

    solver, sol = _spread_solution()
    s, t, mass = solver.grid.s, 1.5, 3.0
    last_mid = 0.5 * (s[-2] + s[-1])
    m_mid = float(sol.cumulative_mass(t, math.sqrt(last_mid)))
    assert sol.cumulative_mass(t, math.sqrt(s[-2])) < m_mid < mass - 1e-2  # the last cell holds mass
    assert sol.density(t, math.sqrt(last_mid)) > 0.03

    def m_over_4pi_s(u):
        return sol.cumulative_mass(t, math.sqrt(u)) / (4 * math.pi * u)

    c_end = sol.signal_profile(t, math.sqrt(s[-1]))
    assert c_end == pytest.approx(-mass * math.log(s[-1]) / (4 * math.pi), rel=1e-12)
    for lo in (0.0, 0.5 * s[1], s[3], last_mid, s[-3]):
        inner = [p for p in s if lo < p < s[-1]]
        expected = sum(
            integrate.quad(m_over_4pi_s, a, b, epsabs=1e-14, epsrel=1e-13)[0]
            for a, b in zip([lo, *inner], [*inner, s[-1]], strict=True)
        )
        assert sol.signal_profile(t, math.sqrt(lo)) - c_end == pytest.approx(expected, abs=1e-8)

    def pi_rho(u):
        return math.pi * sol.density(t, math.sqrt(u))

    for a, b in ((s[-3], s[-2]), (s[-2], last_mid), (last_mid, s[-1])):
        moved = sol.cumulative_mass(t, math.sqrt(b)) - sol.cumulative_mass(t, math.sqrt(a))
        assert integrate.quad(pi_rho, a, b, epsabs=1e-14)[0] == pytest.approx(moved, rel=1e-10)


def test_the_jacobian_is_the_derivative_of_the_right_hand_side():
    """The right-hand side is quadratic in m, so central differences give its Jacobian exactly
    (up to round-off): a wrong sign of the transport term in the Jacobian shows."""
    solver, sol = _spread_solution()
    y = sol.mass_profile[1, 1:-1]
    jacobian = solver._jacobian(0.5, y).toarray()
    h = 1e-4
    numeric = np.empty_like(jacobian)
    for k in range(y.size):
        e = np.zeros_like(y)
        e[k] = h
        numeric[:, k] = (solver._rhs(0.5, y + e) - solver._rhs(0.5, y - e)) / (2 * h)
    np.testing.assert_allclose(jacobian, numeric, rtol=0, atol=1e-7 * np.abs(numeric).max())


def test_progress_reports_increasing_times_up_to_the_end():
    reached: list[float] = []
    RadialSolver(ClassicalModel(chi=2.0), RadialGrid(n=100)).solve(
        GaussianData(1.0), 0.4, 0.2, progress=reached.append
    )
    assert np.all(np.diff(reached) > 0) and reached[-1] == pytest.approx(0.4)


def test_dataset_holds_the_profiles_at_the_radii_asked_for():
    model = ClassicalModel(chi=10 * math.pi, mass=1.3)
    solver = RadialSolver(model, RadialGrid(n=400, s_max=40.0))
    sol = solver.solve(GaussianData(0.7), 0.2, 0.1)
    radii = np.array([0.0, 0.5, 2.0])
    data = sol.to_dataset(radii)
    np.testing.assert_array_equal(data["r"], radii)
    np.testing.assert_allclose(data["density"].isel(time=-1), sol.density(0.2, radii))
    np.testing.assert_allclose(data["signal"].isel(time=0), sol.signal_profile(0.0, radii))
    np.testing.assert_array_equal(data["mass"], 1.3)
    assert np.isnan(data.attrs["blowup_time"])
    default = sol.to_dataset()
    np.testing.assert_allclose(default["r"] ** 2, solver.grid.s)
    blown = solver.solve(GaussianData(0.7), 3.0, 0.5, blowup_density=20.0)
    assert blown.to_dataset(radii).attrs["blowup_time"] == blown.blowup_time > 0
    with pytest.raises(ValueError, match=r"outside the solved interval \[0, 0\.2\]"):
        sol.density(0.3, radii)


@pytest.mark.parametrize("model", [ClassicalModel(theta=1.0), ClassicalModel(lam=1.0)])
def test_memory_and_screening_are_left_to_the_grid_solver(model):
    with pytest.raises(ValueError, match="theta = 0 and lam = 0"):
        RadialSolver(model)


def test_a_coarse_grid_keeps_the_initial_mass_profile_up_to_its_last_node():
    """n = 20 up to s_max = 40: the last cell is [16.7, 40], and N(0, I) data leave 2e-4 of their
    mass beyond its inner node but only 2e-9 beyond s_max: accepted, with m(s) = 1 − e^{−s/2} at
    every node (the inner node not rounded up to M)."""
    grid = RadialGrid(n=20, s_max=40.0)
    sol = RadialSolver(ClassicalModel(chi=1.0), grid).solve(GaussianData(1.0), 1e-3, 1e-3)
    np.testing.assert_allclose(sol.mass_profile[0, :-1], -np.expm1(-grid.s[:-1] / 2), rtol=1e-12, atol=1e-15)
    assert sol.mass_profile[0, -1] == 1.0


def test_a_failed_integration_is_an_error_not_a_short_solution():
    class FailingSolver(RadialSolver):
        def _rhs(self, t, y):
            return np.full_like(y, np.nan) if t > 0.01 else super()._rhs(t, y)

    with pytest.raises(RuntimeError, match="radial solver failed"):
        FailingSolver(ClassicalModel(chi=1.0), RadialGrid(n=50)).solve(GaussianData(1.0), 0.1, 0.05)
