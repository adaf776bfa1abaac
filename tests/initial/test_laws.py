"""Initial data: samples follow the density; densities integrate to one."""

import math

import numpy as np
import pytest

from kellersegel.initial import (
    GaussianBumps,
    GaussianData,
    PointMass,
    PointsFromFile,
    UniformDisk,
    read_points,
)

LAWS = [
    GaussianData(0.7, (1.0, -0.5)),
    UniformDisk(1.5, (0.3, 0.2)),
    GaussianBumps([[-1.0, 0.0], [1.5, 1.0]], [0.2, 0.5], [1.0, 3.0]),
]


@pytest.mark.parametrize("law", LAWS, ids=lambda law: type(law).__name__)
def test_density_integrates_to_one_and_matches_the_second_moment(law):
    h = 0.02
    g = np.arange(-6, 6, h) + h / 2
    xy = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1)
    rho = law.density(xy)
    assert rho.sum() * h * h == pytest.approx(1.0, abs=5e-3)  # the disk edge is O(h)
    m2 = (rho * np.sum(xy**2, axis=-1)).sum() * h * h
    assert m2 == pytest.approx(law.second_moment(), rel=1e-2)


@pytest.mark.parametrize("law", LAWS, ids=lambda law: type(law).__name__)
def test_samples_have_the_law_s_moments(law, rng):
    n = 40000
    x = law.sample(n, rng)
    r2 = np.sum(x**2, axis=1)
    # the sample mean of |X|² is within 5 standard errors of E|X|²
    assert abs(r2.mean() - law.second_moment()) < 5 * r2.std() / math.sqrt(n)
    # the fraction of samples in a box is within 5 s.e. of the density's mass there
    h = 0.05
    g = np.arange(-0.5, 0.5, h) + h / 2
    box_mass = law.density(np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1)).sum() * h * h
    inside = np.mean(np.all(np.abs(x) < 0.5, axis=1))
    assert abs(inside - box_mass) < 5 * math.sqrt(box_mass * (1 - box_mass) / n) + 2e-3


def test_point_mass():
    law = PointMass((1.0, 2.0))
    x = law.sample(5, np.random.default_rng(0))
    np.testing.assert_array_equal(x, np.tile([1.0, 2.0], (5, 1)))
    assert law.second_moment() == 5.0
    assert law.density(np.array([[1.0, 2.0], [0.0, 0.0]])).tolist() == [np.inf, 0.0]


def test_points_from_npy_and_csv(tmp_path, rng):
    points = rng.standard_normal((50, 2))
    np.save(tmp_path / "p.npy", points)
    np.savetxt(tmp_path / "p.csv", points, delimiter=",")
    for name in ("p.npy", "p.csv"):
        law = PointsFromFile(tmp_path / name)
        np.testing.assert_allclose(law.points, points, rtol=1e-15)
        x = law.sample(20, np.random.default_rng(1))
        assert len({tuple(p) for p in x}) == 20  # without replacement
        assert law.second_moment() == pytest.approx(np.mean(np.sum(points**2, axis=1)))
        assert np.all(law.density(points) > 0)
    with pytest.raises(ValueError, match="fewer than n = 51"):
        PointsFromFile(tmp_path / "p.npy").sample(51, rng)


def test_bad_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_points(tmp_path / "missing.npy")
    np.save(tmp_path / "three.npy", np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"shape \(K, 2\)"):
        read_points(tmp_path / "three.npy")
    np.save(tmp_path / "nan.npy", np.full((10, 2), np.nan))
    with pytest.raises(ValueError, match="non-finite"):
        read_points(tmp_path / "nan.npy")
    (tmp_path / "p.txt").write_text("1,2\n")
    with pytest.raises(ValueError, match="allowed formats are .npy and .csv"):
        read_points(tmp_path / "p.txt")


def test_bad_parameters():
    with pytest.raises(ValueError, match="variance must be a finite number > 0"):
        GaussianData(-1.0)
    with pytest.raises(ValueError, match="center must be two finite numbers"):
        UniformDisk(1.0, (0.0, np.inf))
    with pytest.raises(ValueError, match="weights"):
        GaussianBumps([[0.0, 0.0]], 1.0, [-1.0])
