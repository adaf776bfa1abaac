"""The θ > 0 instruments: the path-dependent pair interaction D and the theory's moments."""

import numpy as np
import pytest

from kellersegel.dynamics import EulerMaruyama, GaussianIncrements, Integration, Observer, TimeGrid
from kellersegel.dynamics.memory import ExactHistorySignal
from kellersegel.dynamics.observers import SavedStates
from kellersegel.dynamics.pair_interactions import PairInteractions
from kellersegel.kernels.memory import SlabKernel
from kellersegel.models import ClassicalModel


class Drifts(Observer):
    """The drift of every particle at the save times."""

    def start(self, grid, n):
        self.drifts = np.full((len(grid.save_times), n, 2), np.nan)

    def save(self, k, state):
        self.drifts[k] = state.coefficients[0].drift

    def result(self):
        return {"drifts": self.drifts}


def run(n, kernel, chi=1.0, mass=1.0, pairs=1, steps=40, dt=0.01, gammas=(1.6, 1.9), seed=0):
    rng = np.random.default_rng(seed)
    x0 = 0.5 * rng.standard_normal((n, 2))
    stepper = EulerMaruyama(ClassicalModel(chi=chi, mass=mass), ExactHistorySignal(kernel, mass))
    grid = TimeGrid(steps * dt, dt, dt)
    observers = [Drifts(), SavedStates(), PairInteractions(kernel, pairs, gammas)]
    solution = Integration([stepper], x0, grid, GaussianIncrements(rng, n), observers=observers).run()
    return solution.observed, grid


@pytest.mark.parametrize("kernel", [SlabKernel(1.0, 0.0), SlabKernel(0.5, 1.0, 0.1)])
def test_two_particles_feel_exactly_their_pair_interaction(kernel):
    """N = 2, mass M: particle 0's drift is χ (M/N) D^{0,1}, at every save (the field's slabs and
    the instrument's are the same; a wrong age, a missing slab or the other particle's past as
    the target would break it)."""
    chi, mass = 3.0, 2.0
    observed, _ = run(2, kernel, chi=chi, mass=mass)
    expected = chi * mass / 2 * observed["pair_interaction"][:, 0]
    np.testing.assert_allclose(observed["drifts"][:, 0], expected, rtol=1e-12, atol=1e-300)
    assert np.all(np.isfinite(expected)) and np.abs(expected[1:]).max() > 0


def test_the_moments_are_the_left_point_sums_of_the_saved_values():
    """Saved at every step: ∫|D|^{2(γ−1)} and ∫|X^i − X^j|^{−2(γ−1)} are the left-point sums of
    the saved |D| and distances, and the distance power is |X^i − X^j|^{2(1−γ)}; pairs (0, 1), (2, 3)."""
    kernel = SlabKernel(1.0, 0.0)
    observed, grid = run(10, kernel, pairs=3, gammas=(1.6, 1.9))  # particles 6 … 9 not tracked
    d = np.linalg.norm(observed["pair_interaction"], axis=-1)  # (T, P)
    q = 2 * (np.array([1.6, 1.9]) - 1)[None, :, None]
    left = np.concatenate([np.zeros((1, 2, 3)), np.cumsum(grid.dt * d[:-1, None, :] ** q, axis=0)])
    np.testing.assert_allclose(observed["pair_interaction_integral"], left, rtol=1e-12)
    power = observed["pair_distance_power"]
    x = observed["positions"]
    distance = np.linalg.norm(x[:, 0:6:2] - x[:, 1:6:2], axis=-1)  # (T, P): pairs (0, 1), (2, 3), (4, 5)
    np.testing.assert_allclose(power, distance[:, None, :] ** -q, rtol=1e-12)
    coulomb = np.concatenate([np.zeros((1, 2, 3)), np.cumsum(grid.dt * power[:-1], axis=0)])
    np.testing.assert_allclose(observed["pair_coulomb_integral"], coulomb, rtol=1e-12)
    assert np.all(observed["pair_interaction"][0] == 0)  # no past at t = 0
    np.testing.assert_array_equal(observed["pair_gammas"], [1.6, 1.9])


def test_pairs_and_exponents_are_checked():
    kernel = SlabKernel(1.0, 0.0)
    for gammas in ((1.4,), (1.6, 2.5)):
        with pytest.raises(ValueError, match="gammas must lie in"):
            PairInteractions(kernel, 2, gammas=gammas)
    with pytest.raises(ValueError, match="pairs must be"):
        PairInteractions(kernel, 0)
    with pytest.raises(ValueError, match="need 8 particles"):
        PairInteractions(kernel, 4).start(TimeGrid(0.1, 0.01, 0.1), 5)


def test_every_tracked_pair_has_its_own_interaction():
    """D^{2p,2p+1}(t_m) = Σ_{k<m} ∫_{t_m−t_{k+1}}^{t_m−t_k} ∇K_τ(X^{2p}(t_m) − X^{2p+1}(t_k)) dτ for each
    of three pairs, summed here from the saved positions with the kernel's slab gradient (the
    instrument's compiled sum is independent code): a wrong target or partner of a pair shows."""
    kernel = SlabKernel(0.8, 0.0)
    observed, grid = run(8, kernel, pairs=3, steps=12)
    x, t = observed["positions"], grid.save_times
    for p in range(3):
        for m in (1, 6, 12):
            want = sum(
                kernel.gradient(x[m, 2 * p] - x[k, 2 * p + 1], t[m] - t[k + 1], t[m] - t[k]) for k in range(m)
            )
            np.testing.assert_allclose(observed["pair_interaction"][m, p], want, rtol=1e-12)
