"""Bad input: one clear message naming the key, exit status 2, nothing written."""

import subprocess
import sys

import numpy as np
import pytest

from kellersegel.cli.main import main

GOOD = """
[model]
chi = 12.0
[initial]
kind = "gaussian"
variance = 1.0
[particles]
n = 50
[time]
t_end = 0.01
dt = 0.001
save_every = 0.005
"""


def write(tmp_path, text, name="config.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


CASES = [
    ("[particles]\nn = 50\nnn = 3\n", "particles.nn: unknown key; allowed: n, kernel"),
    ("[particles]\nn = 'many'\n", "particles.n: Input should be a valid integer"),
    ("[particles]\nn = 1\n", "particles.n: Input should be greater than or equal to 2"),
    ("[time]\ndt = 0.0\n", "time.dt: Input should be greater than 0"),
    ("[time]\ndt = -1e-3\n", "time.dt: Input should be greater than 0"),
    ("[time]\nt_end = 1e-4\ndt = 1e-3\nsave_every = 1e-3\n", "time.t_end: must be ≥ time.dt"),
    ("[model]\nchi = nan\n", "model.chi: must be a finite number"),
    ("[model]\nlam = inf\n", "model.lam: must be a finite number"),
    ("[initial]\nkind = 'gaussian'\nvariance = -1.0\n", "initial.variance: Input should be greater than 0"),
    ("[initial]\nkind = 'blob'\n", "initial.kind: unknown kind 'blob'; allowed: gaussian, disk"),
    ("[initial]\nkind = 'file'\npath = 'missing.npy'\n", "initial.path: file"),
    ("[initial]\nkind = 'file'\npath = 'wrong.npy'\n", "must hold an array of shape (K, 2)"),
    (
        "[particles]\nkernel = 'gaussian'\n",
        "particles.kernel: unknown kernel 'gaussian'; allowed: exact, mollified, cutoff",
    ),
    (
        "[mdoel]\nchi = 1.0\n",
        "mdoel: unknown key; allowed: model, initial, particles, time, run, pde, initial_signal",
    ),
    (
        "[model]\ntheta = 1.0\n[particles]\nkernel = 'cutoff'\n",
        "theta > 0 needs kernel = 'exact' or 'mollified'",
    ),
    ("[model]\ntheta = 1.0\n[particles]\nengine = 'fmm'\n", "'fmm' is not available for theta > 0"),
    ("[initial_signal]\nkind = 'gaussian'\n", "initial_signal: only for theta > 0"),
    ("[model]\nname = 'signal-dependent'\n", "model.gamma: required for name = 'signal-dependent'"),
    ("[model]\nname = 'general'\nchi = 3.0\n", "model.motility: required for name = 'general'"),
    (
        "[model]\nname = 'signal-dependent'\n[model.gamma]\nkind = 'power'\na = 1.0\n",
        "model.gamma: power takes parameters a, k; got a",
    ),
    (
        "[model]\nname = 'signal-dependent'\nchi = 2.0\n[model.gamma]\nkind = 'constant'\na = 1.0\n",
        "model.chi: not a parameter of name = 'signal-dependent'",
    ),
    ("[particles\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), CASES, ids=[c[1][:40] for c in CASES])
def test_bad_config_gives_one_message_and_exit_2(tmp_path, capsys, text, message):
    np.save(tmp_path / "wrong.npy", np.zeros((10, 3)))
    config = write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kellersegel: error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "particles.n=1"], "particles.n: Input should be greater than or equal to 2"),
        (["--set", "particles"], "expected section.key=value"),
        (["--set", "physics.n=3"], "unknown section 'physics'"),
        (["--workers", "0"], "--workers must be ≥ 1"),
    ],
)
def test_bad_command_line_values(tmp_path, capsys, args, message):
    config = write(tmp_path, GOOD)
    assert main(["run", str(config), "-o", str(tmp_path / "out"), "-q", *args]) == 2
    assert message in capsys.readouterr().err


def test_missing_files(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.toml"), "-o", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["plot", str(tmp_path)]) == 2
    assert "no kellersegel run here" in capsys.readouterr().err
    assert main(["example", "nonesuch"]) == 2
    assert "unknown example 'nonesuch'; allowed: " in capsys.readouterr().err


def test_the_installed_command_prints_no_traceback(tmp_path):
    config = write(tmp_path, "[particles]\nn = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "kellersegel", "run", str(config), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "particles.n" in result.stderr


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            ["particles.kernel=cutoff", "particles.engine=spectral"],
            "particles.engine: 'spectral' cannot do the cutoff kernel",
        ),
        (["particles.kernel=exact", "particles.engine=spectral"], "'spectral' cannot do the exact kernel"),
    ],
)
def test_engine_that_cannot_do_the_kernel_is_refused_before_running(settings, message, tmp_path, capsys):
    args = ["run", str(write(tmp_path, GOOD.replace("variance = 1.0\n", ""))), "-o", str(tmp_path / "out")]
    for s in settings:
        args += ["--set", s]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_spectral_lattice_overflow_is_a_one_line_error_before_anything_is_written(tmp_path, capsys):
    # ε so small that the spectral lattice would need ~10¹⁰ modes: refused at the first evaluation
    args = ["run", str(write(tmp_path, GOOD)), "-o", str(tmp_path / "out"), "-q"]
    for s in [
        "particles.kernel=mollified",
        "particles.engine=spectral",
        "particles.epsilon=fixed",
        "particles.eps0=1e-5",
    ]:
        args += ["--set", s]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "particles.engine: " in err and "lattice modes" in err
    assert not (tmp_path / "out").exists()  # sized on the initial points before anything is written


def test_kernel_at_the_real_epsilon_is_checked_before_anything_is_written(tmp_path, capsys):
    # λ ε² = 1300 for the mollified Bessel kernel: the schema alone (no ε(N)) cannot see it
    args = ["run", str(write(tmp_path, GOOD)), "-o", str(tmp_path / "out"), "-q"]
    for s in ["model.lam=1300", "particles.kernel=mollified", "particles.epsilon=fixed", "particles.eps0=1"]:
        args += ["--set", s]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("kellersegel: error: particles.eps0: ε(N = 50) = 1") and "1300" in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_sweep_point_that_cannot_run_is_refused_before_the_store_exists(tmp_path, capsys):
    config = write(tmp_path, GOOD)
    store = tmp_path / "s.zarr"
    args = ["sweep", str(config), "--over", "model.lam=1,1300", "--replicas", "1", "-o", str(store), "-q"]
    for s in ["particles.kernel=mollified", "particles.epsilon=fixed", "particles.eps0=1"]:
        args += ["--set", s]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "particles.eps0: ε(N = 50) = 1" in err and "(sweep point model.lam = 1300)" in err, err
    assert len(err.strip().splitlines()) == 1
    assert not store.exists()
