"""Output folders belong to one run: nothing the package did not write is deleted or written
over, a folder of another run is refused, and a damaged piece is recomputed with one line."""

import contextlib
import json
import os
import subprocess

import numpy as np
import pytest
import xarray as xr

from kellersegel.cli.main import main

CONFIG = """
[model]
chi = 12.0
[initial]
kind = "gaussian"
variance = 1.0
[particles]
n = 40
[time]
t_end = 0.004
dt = 0.001
save_every = 0.002
[run]
replicas = 3
"""


def snapshot(folder):
    """Every file under ``folder`` with its bytes (what 'exactly as it was' compares)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "input.toml"
    path.write_text(CONFIG)
    return path


def run(*args):
    return main(["run", *map(str, args), "-q", "--workers", "1"])


def test_a_folder_with_a_users_files_is_refused_and_overwrite_writes_beside_them(tmp_path, config, capsys):
    out = tmp_path / "out"
    (out / "replicas").mkdir(parents=True)
    (out / "replicas" / "notes.txt").write_text("mine")
    before = snapshot(out)
    assert run(config, "-o", out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did not write (replicas/notes.txt)" in err and "--overwrite" in err
    assert snapshot(out) == before
    assert run(config, "-o", out, "--overwrite") == 0
    assert (out / "replicas" / "notes.txt").read_text() == "mine" and (out / "run.nc").is_file()
    # a rerun with --overwrite deletes what the package wrote, and only that
    (out / "snapshots.png").write_bytes(b"not ours")  # a file the package did not write, of its names
    assert run(config, "-o", out, "--overwrite") == 2
    assert "snapshots.png: kellersegel did not write it" in capsys.readouterr().err
    assert (out / "snapshots.png").read_bytes() == b"not ours"


def test_the_input_is_never_written_over(tmp_path, capsys, monkeypatch):
    (tmp_path / "config.toml").write_text(CONFIG + "# my comment\n")
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--overwrite"]):
        assert run("config.toml", "-o", ".", *extra) == 2
        assert "config.toml" in capsys.readouterr().err
    assert (tmp_path / "config.toml").read_text().endswith("# my comment\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_empty_output_text_resume_without_a_run_and_both_flags_are_refused(tmp_path, config, capsys):
    assert run(config, "-o", "") == 2
    assert "empty text" in capsys.readouterr().err
    folder = tmp_path / "other"
    (folder / "replicas").mkdir(parents=True)
    (folder / "replicas" / "replica-00000.npz").write_bytes(b"x")
    before = snapshot(folder)
    assert run(config, "-o", folder, "--resume") == 2
    assert "no kellersegel run to resume here" in capsys.readouterr().err
    assert snapshot(folder) == before
    assert run(config, "-o", tmp_path / "new", "--resume", "--overwrite") == 2
    assert "exclude each other" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_finished_run_is_kept_unless_overwrite_which_removes_its_old_figures(tmp_path, config, capsys):
    out = tmp_path / "out"
    assert run(config, "-o", out) == 0
    assert main(["plot", str(out)]) == 0
    manifest = json.loads((out / "kellersegel.json").read_text())
    assert manifest["status"] == "complete" and "snapshots.png" in manifest["files"]
    before = snapshot(out)
    capsys.readouterr()
    assert run(config, "-o", out) == 2
    assert "holds a complete run; pass --resume" in capsys.readouterr().err
    assert snapshot(out) == before
    assert run(config, "-o", out, "--overwrite", "--set", "particles.n=30") == 0
    assert not (out / "snapshots.png").exists()  # the old run's figure went with it
    assert xr.open_dataset(out / "run.nc").sizes["particle"] == 30


def test_plot_refuses_an_unfinished_or_foreign_run(tmp_path, config, capsys):
    out = tmp_path / "out"
    assert run(config, "-o", out) == 0
    manifest = json.loads((out / "kellersegel.json").read_text())
    (out / "kellersegel.json").write_text(json.dumps(manifest | {"status": "running"}))
    assert main(["plot", str(out)]) == 2
    assert "did not finish (status running)" in capsys.readouterr().err
    (out / "kellersegel.json").write_text(json.dumps(manifest))
    (out / "run.nc").write_bytes((out / "run.nc").read_bytes()[:200])  # truncated
    assert main(["plot", str(out)]) == 2
    assert "run.nc: cannot be read" in capsys.readouterr().err
    (out / "kellersegel.json").write_text("{not json")
    assert main(["plot", str(out)]) == 2
    assert "not a kellersegel manifest" in capsys.readouterr().err


def test_resume_discards_a_damaged_replica_and_the_partial_files_of_a_killed_write(tmp_path, config, capsys):
    out = tmp_path / "out"
    assert run(config, "-o", out) == 0
    reference = xr.load_dataset(out / "run.nc")
    replica = out / "replicas" / "replica-00001.npz"
    replica.write_bytes(replica.read_bytes()[:100])  # a torn file (written without the package)
    partial = out / "replicas" / ".replica-00002.npz.partial-123.npz"
    partial.write_bytes(b"half")
    capsys.readouterr()
    assert run(config, "-o", out, "--resume") == 0
    err = capsys.readouterr().err
    assert "replica-00001.npz: not a complete task file" in err and "runs again" in err
    assert "removed" in err and not partial.exists()
    xr.testing.assert_identical(xr.load_dataset(out / "run.nc"), reference)


def test_a_folder_that_cannot_be_made_is_one_line_before_any_work(tmp_path, config, capsys):
    for target in ("/proc/kellersegel-test/out", str(config / "sub")):
        assert run(config, "-o", target) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("kellersegel: error:")
    assert main(["pde", str(config), "-o", "/proc/kellersegel-test/out", "-q"]) == 2
    assert "cannot create the output folder" in capsys.readouterr().err


def test_the_memory_needed_is_checked_before_anything_is_written(tmp_path, config, capsys):
    out = tmp_path / "out"
    assert run(config, "-o", out, "--set", "particles.n=1000000000") == 2
    err = capsys.readouterr().err
    assert "GB available" in err and not out.exists()


def test_version_and_a_bug_says_where_it_belongs(capsys, monkeypatch):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("kellersegel ")
    import kellersegel.cli.main as cli

    def broken(args):
        raise np.linalg.LinAlgError("a bug")

    monkeypatch.setattr(cli, "_cmd_example", broken)
    assert main(["example"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "this is a bug" in err


def test_a_config_that_is_not_a_file_says_what_it_is(tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    (tmp_path / "empty.toml").write_text("")
    cases = {
        tmp_path: "is a folder",
        fifo: "not a regular file",
        "/dev/zero": "not a regular file",
        loop: "symbolic link",
        tmp_path / "empty.toml": "holds no settings",
    }
    for path, message in cases.items():
        assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_sweep_and_report_refuse_what_is_not_theirs_in_one_line(tmp_path, config, capsys):
    assert run(config, "-o", tmp_path / "a-run") == 0
    sweep = ["sweep", str(config), "--replicas", "1", "-q", "--over", "particles.n=20,30"]
    cases = [
        ([*sweep, "-o", str(config), "--resume"], "exists and is not a folder"),
        (
            [*sweep, "-o", str(tmp_path / "a-run"), "--resume"],
            "a-run holds a kellersegel run output, not a sweep",
        ),
        ([*sweep, "-o", str(tmp_path / "a-run")], "a-run holds a kellersegel run output, not a sweep"),
        ([*sweep, "-o", str(tmp_path / "none"), "--resume"], "no kellersegel sweep to resume here"),
        ([*sweep, "-o", str(tmp_path / "s"), "--resume", "--overwrite"], "exclude each other"),
        ([*sweep, "--over", "particles.n=40", "-o", str(tmp_path / "s")], "particles.n: given twice"),
        ([*sweep, "-o", str(tmp_path / "s"), "--scheduler", "nowhere"], "expected an address"),
        ([*sweep, "-o", str(tmp_path)], "holds files kellersegel did not write"),
        (["report", str(tmp_path / "a-run")], "a-run holds a kellersegel run output, not a sweep"),
        (["report", str(config)], "not a folder"),
    ]
    before = snapshot(tmp_path)
    for line, message in cases:
        assert main(line) == 2, line
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (line, err)
    assert snapshot(tmp_path) == before


def test_the_memory_estimate_is_the_size_of_the_positions_a_run_holds(tmp_path):
    from kellersegel.config import load_config
    from kellersegel.experiments import plan_run, run_particles
    from kellersegel.experiments.particle_run import dataset_bytes

    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    config = load_config(path, ["time.save_every=0.003"])  # 0.004 / 0.003: a last save off the stride
    ds = run_particles(config, workers=1)
    assert dataset_bytes(config, plan_run(config).time_grid) == ds["positions"].nbytes


@contextlib.contextmanager
def read_only(folder):
    """``folder`` made read-only for real: without write permission, or (as root, whom permissions
    do not stop) a read-only bind mount of it."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    mount = ["mount", "--bind", str(folder), str(folder)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("root without the right to mount: no way to make a folder read-only here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_folder_is_one_line_and_stays_as_it_was(tmp_path, config, capsys):
    ro = tmp_path / "ro"
    assert run(config, "-o", ro / "done") == 0
    (ro / "empty").mkdir()
    cases = [
        (["run", config, "-o", ro / "empty"], "empty: cannot write in the output folder"),
        (["run", config, "-o", ro / "new"], "new: cannot create the output folder"),
        (["run", config, "-o", ro / "done", "--overwrite"], "config.toml: cannot be deleted"),
        (["plot", ro / "done"], "done: cannot write in the output folder"),
        (["pde", config, "-o", ro / "new"], "new: cannot create the output folder"),
        (
            ["sweep", config, "--over", "particles.n=20,30", "--replicas", "1", "-o", ro / "new"],
            "cannot create",
        ),
    ]
    before = snapshot(ro)
    with read_only(ro):
        for line, message in cases:
            assert main([*map(str, line), "-q"] if line[0] != "plot" else list(map(str, line))) == 2, line
            err = capsys.readouterr().err
            assert message in err and err.count("\n") == 1, (line, err)
            assert "Read-only file system" in err or "Permission denied" in err, err
    assert snapshot(ro) == before


def test_the_disk_space_needed_is_checked_before_anything_is_written(tmp_path, config, capsys, monkeypatch):
    import shutil

    from kellersegel.experiments import particle_run

    free = 10_000  # bytes: less than twice the positions of 3 replicas × 3 saves × 40 particles
    monkeypatch.setattr(
        particle_run.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(1e12, 1e12, free)
    )
    out = tmp_path / "out"
    assert run(config, "-o", out) == 2
    err = capsys.readouterr().err
    assert "the run writes at least 1.15e-05 GB" in err and "1e-05 GB free" in err and not out.exists()
    monkeypatch.setattr(
        particle_run.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(1e12, 0, 12_000)
    )
    assert run(config, "-o", out) == 0  # 2 × 5760 bytes fit
