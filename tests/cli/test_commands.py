"""`kellersegel run`, `plot`, `example` on every ready configuration (small sizes)."""

import re
import tomllib

import numpy as np
import pytest
import xarray as xr

from kellersegel.cli.main import _examples, main

EXAMPLES = sorted(_examples())
#: N = 60 by default; the singular example at N = 60 spends minutes in pair collapses before its
#: 11-cluster explodes: N = 8 (pairs explode, δ_2 < 0) with a short explosion window instead
SMALL_N = {"singular-explosion": 8}
EXTRA = {
    "singular-explosion": ["--set", "time.explosion_window=1"],
    "memory-singular": ["--set", "pairs.tracked=8"],
}


def test_example_lists_and_prints(capsys):
    assert main(["example"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in EXAMPLES) and "default" in EXAMPLES
    # each description is the first whole sentence of the example's comment (two lines here),
    # and the time it takes, as its "Takes about …" sentence says
    assert all(re.search(r"\. \(.+ on 2 cores[^)]*\)$", line) for line in listing.splitlines()), listing
    assert "mollified kernel with ε = N^−0.2, t = 0.5." in listing
    assert main(["example", "default"]) == 0
    assert tomllib.loads(capsys.readouterr().out)["model"]["name"] == "classical"


@pytest.mark.parametrize("name", EXAMPLES)
def test_run_and_plot_every_example(tmp_path, name, capsys):
    config = tmp_path / f"{name}.toml"
    main(["example", name])
    config.write_text(capsys.readouterr().out)
    out = tmp_path / "out"
    n = SMALL_N.get(name, 60)
    small = [
        "--set",
        f"particles.n={n}",
        "--set",
        "run.replicas=2",
        "--workers",
        "1",
        "-q",
        *EXTRA.get(name, []),
    ]
    assert main(["run", str(config), "-o", str(out), *small]) == 0
    with xr.open_dataset(out / "run.nc") as ds:
        assert ds.sizes["replica"] == 2 and ds.sizes["particle"] == n
        assert dict(ds.sizes)["dim"] == 2
        assert np.all(np.isfinite(ds.positions.isel(time=0)))
        resolved = tomllib.loads(ds.attrs["config"])
    assert resolved == tomllib.loads((out / "config.toml").read_text())
    assert resolved["particles"]["n"] == n
    assert main(["plot", str(out)]) == 0
    assert (out / "snapshots.png").stat().st_size > 10_000
    assert (out / "second_moment.png").stat().st_size > 10_000


@pytest.mark.slow
def test_bench_engines_prints_every_engine_and_bench_step_its_memory(capsys):
    assert main(["bench", "engines", "--n", "1500", "--kernel", "mollified", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for engine in ("direct", "numpy", "fmm", "spectral"):
        assert engine in out
    assert "time [s]" in out  # units survive rich's markup
    assert "auto (built-in costs) picked the fastest engine at" in out and "of 1 (kernel, N)" in out
    assert main(["bench", "step", "--n", "1500", "--kernel", "exact", "--repeats", "1"]) == 0
    assert "peak RSS [MiB]" in capsys.readouterr().out
    assert main(["bench", "engines", "--n", "1500", "--engine", "tree"]) == 2


def test_bench_calibrate_refuses_to_replace_a_file_it_did_not_write(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KELLERSEGEL_CACHE_DIR", str(tmp_path))
    (tmp_path / "engine-costs.json").write_text("mine")
    assert main(["bench", "calibrate"]) == 2
    assert "not written by kellersegel" in capsys.readouterr().err
    assert (tmp_path / "engine-costs.json").read_text() == "mine"


def test_bench_compare_prints_the_fmms_and_refuses_an_existing_figure(capsys, tmp_path):
    figure = tmp_path / "compare.png"
    assert main(["bench", "compare", "--n", "1000", "--repeats", "1", "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "kellersegel fmm" in out and "pyfmmlib" in out and "direct" in out and figure.is_file()
    before = figure.read_bytes()
    assert main(["bench", "compare", "--n", "1000", "--figure", str(figure)]) == 2
    assert figure.read_bytes() == before and "exists" in capsys.readouterr().err
    assert main(["bench", "compare", "--n", "1000", "--tolerance", "2"]) == 2
