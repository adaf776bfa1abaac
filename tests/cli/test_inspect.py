"""`kellersegel inspect PATH`: what a run folder, a dataset or a sweep store holds; writes nothing."""

import json

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
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_inspect_a_run_folder_its_dataset_and_an_unfinished_folder(tmp_path, capsys):
    config = tmp_path / "input.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    before = snapshot(tmp_path)
    assert main(["inspect", str(out)]) == 0
    assert snapshot(tmp_path) == before
    text = capsys.readouterr().out
    assert f"{out}: a kellersegel run folder, complete" in text
    assert "configuration (config.toml):" in text and "  chi = 12.0" in text
    assert "dimensions: replica = 3, time = 3, particle = 40, dim = 2" in text
    assert "second_moment" in text and "events over 3 replicas: none: 3" in text
    assert main(["inspect", str(out / "run.nc"), "--no-config"]) == 0
    alone = capsys.readouterr().out
    assert alone.startswith(f"{out / 'run.nc'}: kellersegel particle run") and "configuration" not in alone
    # an interrupted run: replicas done so far, no dataset yet
    (out / "run.nc").unlink()
    manifest = json.loads((out / "kellersegel.json").read_text())
    (out / "kellersegel.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    after = snapshot(tmp_path)
    assert main(["inspect", str(out), "--no-config"]) == 0
    text = capsys.readouterr().out
    assert "run folder, interrupted" in text and "finished so far: 3 replicas" in text
    assert snapshot(tmp_path) == after  # inspect wrote nothing


def test_inspect_refuses_what_it_cannot_read_in_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.nc").write_text("not netcdf")
    for path, message in [
        (tmp_path / "missing", "does not exist"),
        (tmp_path / "notes.txt", "not a kellersegel folder, a dataset (.nc) or a sweep store (.zarr)"),
        (tmp_path / "broken.nc", "cannot be read as a dataset"),
    ]:
        assert main(["inspect", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
