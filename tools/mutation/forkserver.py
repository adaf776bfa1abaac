"""Run pytest in a forked child of a process that has already imported the heavy libraries.

    python tools/mutation/forkserver.py serve            # in a worker's copy of the tree
    python tools/mutation/forkserver.py run PYTEST-ARGS  # the test command cosmic-ray runs

Starting Python and importing NumPy, SciPy, numba, xarray, pytest and hypothesis costs about
1.5 s, as much as a unit's tests: the server pays it once, and each ``run`` forks a child that
imports ``kellersegel`` afresh from the (mutated) source and runs pytest in it. The package is
never imported by the server itself. ``run`` prints the child's output and exits with its status;
if ``run`` is killed (cosmic-ray's timeout), the server kills the child. The socket is
``mutation.sock`` in the current folder, so each worker copy has its own server.
"""

from __future__ import annotations

import importlib
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path

SOCKET = "mutation.sock"
TIMES = "mutation-times.tsv"  # per test run: seconds, exit status, the test selection
# numba's modes: the flag, the numba.config setting it turns on and its environment variable.
# Interpreted: the JIT off (a unit whose tests run faster uncompiled); checked: compiled with
# bounds checking (an IndexError, not undefined behaviour, for an index past an array's end).
NUMBA_MODES = {
    "--numba-interpreted": ("DISABLE_JIT", "NUMBA_DISABLE_JIT"),
    "--numba-checked": ("BOUNDSCHECK", "NUMBA_BOUNDSCHECK"),
}
PRELOAD = (
    "numpy",
    "scipy.special",
    "scipy.stats",
    "scipy.spatial",
    "scipy.integrate",
    "scipy.fft",
    "numba",
    "xarray",
    "pydantic",
    "rich",
    "matplotlib.pyplot",
    "pytest",
    "hypothesis",
)
EXIT_MARK = b"\n@@forkserver-exit "


def serve() -> None:
    sys.dont_write_bytecode = True
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        importlib.import_module(name)
    if os.path.exists(SOCKET):
        os.unlink(SOCKET)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(SOCKET)
    server.listen(1)
    while True:
        conn, _ = server.accept()
        with conn:
            request = b""
            while not request.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                request += chunk
            args = request.decode().rstrip("\n").split("\0") if request.strip() else []
            _run_child(server, conn, args)


def _run_child(server: socket.socket, conn: socket.socket, args: list[str]) -> None:
    pid = os.fork()
    if pid == 0:  # the child: a fresh pytest session on the tree as it is now
        server.close()
        os.dup2(conn.fileno(), 1)
        os.dup2(conn.fileno(), 2)
        import pytest

        plugins = []
        if args[:1] and args[0] in NUMBA_MODES:  # a numba mode of the unit (run.py's units.toml)
            import numba

            setting, variable = NUMBA_MODES[args[0]]
            setattr(numba.config, setting, True)  # read when kellersegel's functions are compiled
            os.environ[variable] = "1"  # and by the worker processes a test spawns
            args = args[1:]
        if args[:1] == ["--select"]:  # the tests that execute the mutated statement (coverage_map.py)
            from coverage_map import budget
            from coverage_map import select as select_tests

            plugins.append(budget(Path(args[1])))
            args, why = select_tests(Path(args[1]), Path(args[2]), args[3:])
            print(f"mutation test selection: {why}", flush=True)
            if args is None:  # a listed equivalent mutant: it survives without a test run
                os._exit(0)
        code = pytest.main(args, plugins=plugins)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            conn.sendall(EXIT_MARK + str(code).encode() + b"\n")
            return
        readable, _, _ = select.select([conn], [], [], 0.05)
        if readable and not conn.recv(1, socket.MSG_PEEK):  # the client is gone: a timeout
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return


def run(args: list[str]) -> int:
    start = time.perf_counter()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(SOCKET)
    client.sendall("\0".join(args).encode() + b"\n")
    output = b""
    while True:
        chunk = client.recv(65536)
        if not chunk:
            break
        output += chunk
    text, mark, code = output.rpartition(EXIT_MARK)
    text = (text if mark else output).decode(errors="replace")
    sys.stdout.write(text)
    status = int(code) if mark else 3
    why = next((ln for ln in text.splitlines() if ln.startswith("mutation test selection:")), "")
    with open(TIMES, "a", encoding="utf-8") as log:  # where a pass spends its time
        selected = args[1:] if args[:1] and args[0] in NUMBA_MODES else args
        unit = (
            Path(selected[1]).name.removesuffix(".map.json") if selected[:1] == ["--select"] else "baseline"
        )
        log.write(f"{unit}\t{time.perf_counter() - start:.2f}\t{status}\t{why[25:]}\n")
    return status


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["run"]:
        sys.exit(run(sys.argv[2:]))
    else:
        sys.exit(__doc__)
