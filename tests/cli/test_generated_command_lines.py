"""Generated command lines (hypothesis) against the command line, in a folder with the things a
user has around: configurations good and bad, a file, a folder of their own, paths that cannot be
made. Every command ends with exit 0, or with exit 2 and one line (``kellersegel: error: …``),
never a traceback; a refused command leaves every file as it was.

The suite runs ``KELLERSEGEL_COMMAND_EXAMPLES`` examples (default 60); the closing notes of the
crash-safety work report a run of 500:
``KELLERSEGEL_COMMAND_EXAMPLES=500 pytest tests/cli/test_generated_command_lines.py``."""

import os

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kellersegel.cli.main import main
from tests.strategies import SETTINGS

GOOD = """[model]
chi = 12.0
[initial]
kind = "gaussian"
[particles]
n = 12
[time]
t_end = 0.002
dt = 0.001
save_every = 0.001
[run]
replicas = 1
"""
FILES = {
    "good.toml": GOOD,
    "bad.toml": GOOD.replace("n = 12", "n = 'many'"),
    "empty.toml": "",
    "notes.txt": "a file of the user's\n",
    "mine/data.csv": "1,2\n",
}
# the valid choice is weighted (listed more than once) so that a good part of the commands run
outputs = st.sampled_from(["new", "new", "new/deeper", "mine", "notes.txt", "", "/proc/kellersegel/x", "."])
configs = st.sampled_from(["good.toml"] * 4 + ["bad.toml", "empty.toml", "missing.toml", "mine", "notes.txt"])
workers = st.sampled_from(["1", "1", "1", "0", "-2", "two"])
sets = st.sampled_from(
    ["particles.n=16", "particles.n=1e3", "particles.n=0", "model.chi=nan", "time.dt=-1", "nokey", "x.y=1"]
)
flags = st.lists(st.sampled_from(["--resume", "--overwrite", "-q"]), max_size=2, unique=True)


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(["run", "pde", "sweep", "report", "plot", "theory", "example", "bench"]))
    event(command)
    if command == "run":
        line = ["run", draw(configs), "-o", draw(outputs), *draw(flags), "--workers", draw(workers)]
    elif command == "pde":
        line = ["pde", draw(configs), "-o", draw(outputs), "-q"]
        line += draw(st.lists(st.just("--overwrite"), max_size=1))
    elif command == "sweep":  # invalid ones mostly: a valid sweep solves a PDE per point
        line = ["sweep", draw(configs), "-o", draw(outputs), "-q", "--workers", "1"]
        line += ["--replicas", draw(st.sampled_from(["0", "-1", "x", "1"]))]
        line += [
            "--over",
            draw(st.sampled_from(["particles.n", "particles.n=12,12", "time.t_end=1,2", "x=1"])),
        ]
        line += draw(st.lists(st.just("--resume"), max_size=1))
    elif command == "report":
        line = ["report", draw(outputs)] + draw(st.sampled_from([[], ["-o", "notes.txt"], ["-o", ""]]))
    elif command == "plot":
        line = ["plot", draw(outputs)]
    elif command == "theory":
        line = ["theory", draw(configs)]
    elif command == "example":
        line = ["example", *draw(st.sampled_from([[], ["default"], ["nosuch"]]))]
    else:
        line = ["bench", "engines", "--n", draw(st.sampled_from(["1", "x", "5,-3"]))]
    if draw(st.booleans()) and command in ("run", "pde", "theory"):
        line += ["--set", draw(sets)]
    return line


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


EXAMPLES = int(os.environ.get("KELLERSEGEL_COMMAND_EXAMPLES", "60"))


@settings(SETTINGS, max_examples=EXAMPLES)
@given(line=command_lines())
def test_every_generated_command_line_ends_in_0_or_one_line_and_2(
    tmp_path_factory, capsys, monkeypatch, line
):
    folder = tmp_path_factory.mktemp("cmd")
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    before = snapshot(folder)
    monkeypatch.chdir(folder)
    try:
        code = main(line)
    except SystemExit as stop:  # argparse: --help, bad options
        code = stop.code
    captured = capsys.readouterr()
    event(f"exit {code}")
    assert "Traceback" not in captured.err, (line, captured.err)
    assert code in (0, 2), (line, code, captured.err)
    if code == 2:
        err = captured.err.strip()
        assert err.startswith("kellersegel: error: ") and "\n" not in err, (line, err)
        assert snapshot(folder) == before, line  # refused: every file as it was, nothing new
    else:
        assert {k: v for k, v in snapshot(folder).items() if k in before} == before, line
