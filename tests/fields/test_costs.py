"""The engine cost model behind `auto`: its choices follow the costs, a calibration is used on the
machine it was measured on only, and a file the package did not write is never replaced."""

import json
import math

import pytest

from kellersegel.fields import choose_engine
from kellersegel.fields.costs import BUILT_IN, EngineCosts, calibrate, costs_path, engine_costs, machine_key
from kellersegel.kernels import CutoffKernel, ExactKernel, GaussianMollifiedKernel


def test_the_model_is_the_formula_of_its_docstring():
    n, eps = 3000.0, 0.05
    exact, mollified = ExactKernel(0.0), GaussianMollifiedKernel(eps, 1.0)
    c = BUILT_IN
    assert c.seconds("direct", exact, n) == pytest.approx(n * n * c.direct_pair["exact"])
    assert c.seconds("fmm", exact, n) == pytest.approx(c.fmm_fixed + n * c.fmm_particle["laplace"])
    a = eps * math.sqrt(2 * math.log(1e7))
    near = n * n * a * a / 2
    assert c.seconds("fmm", mollified, n) == pytest.approx(
        c.fmm_fixed + n * c.fmm_particle["yukawa"] + near * c.fmm_near_pair["yukawa"]
    )
    assert c.seconds("spectral", mollified, n) == pytest.approx(
        c.spectral_fixed + (25 / eps) ** 2 * c.spectral_mode + n * c.spectral_point
    )
    cutoff = CutoffKernel(eps, 0.0)  # its near radius is ε itself
    assert c.seconds("fmm", cutoff, n) - c.seconds("fmm", exact, n) == pytest.approx(
        n * n * eps * eps / 2 * c.fmm_near_pair["laplace"]
    )


def test_auto_picks_the_cheapest_candidate_and_follows_the_constants():
    exact = ExactKernel(0.0)
    assert choose_engine(exact, 200) == "direct" and choose_engine(exact, 10**6) == "fmm"
    assert choose_engine(exact, None) == "fmm"
    assert choose_engine(GaussianMollifiedKernel(0.2), 10**5) == "spectral"
    assert choose_engine(GaussianMollifiedKernel(1e-3), 10**5) == "fmm"  # a lattice of 6·10⁸ modes
    # a machine where pairs are free: direct everywhere; fmm is never a candidate's loser by rule
    free_pairs = EngineCosts(**{**BUILT_IN.__dict__, "direct_pair": dict.fromkeys(BUILT_IN.direct_pair, 0.0)})
    assert choose_engine(exact, 10**6, free_pairs) == "direct"
    assert choose_engine(CutoffKernel(0.1), 10**6, free_pairs) == "direct"


def test_a_calibration_is_used_on_its_machine_only(monkeypatch, tmp_path):
    monkeypatch.setenv("KELLERSEGEL_CACHE_DIR", str(tmp_path))
    assert engine_costs() is BUILT_IN and costs_path() == tmp_path / "engine-costs.json"
    mine = {**BUILT_IN.__dict__, "source": "calibrated 2026-12-03", "machine": machine_key()}
    record = {"written_by": "kellersegel engine costs", "machine": machine_key(), "constants": mine}
    costs_path().write_text(json.dumps(record))
    assert engine_costs().source == "calibrated 2026-12-03"
    record["machine"] = "another CPU"
    costs_path().write_text(json.dumps(record))
    assert engine_costs() is BUILT_IN
    costs_path().write_text("{not json")
    assert engine_costs() is BUILT_IN


def test_calibrate_never_replaces_a_file_it_did_not_write(monkeypatch, tmp_path):
    monkeypatch.setenv("KELLERSEGEL_CACHE_DIR", str(tmp_path))
    costs_path().write_text("my notes")
    with pytest.raises(FileExistsError, match="not written by kellersegel"):
        calibrate()
    assert costs_path().read_text() == "my notes"


@pytest.mark.slow
def test_calibrate_measures_positive_constants_and_auto_uses_them(monkeypatch, tmp_path):
    monkeypatch.setenv("KELLERSEGEL_CACHE_DIR", str(tmp_path))
    costs, path = calibrate()
    assert path == costs_path() and path.is_file()
    assert all(v > 0 for v in costs.direct_pair.values())
    assert costs.fmm_particle["yukawa"] > costs.fmm_particle["laplace"] > 0  # Bessel expansions cost more
    assert costs.spectral_mode > 0 and costs.spectral_point > 0
    assert engine_costs() == costs and engine_costs().source.startswith("calibrated")
    calibrate()  # its own file: replaced
