"""Mutation testing of the formula modules with cosmic-ray, on N workers, resumable.

    python tools/mutation/run.py                 # every unit of units.toml, 2 workers
    python tools/mutation/run.py models pde      # some units
    python tools/mutation/run.py --report        # the table of the sessions already run
    python tools/mutation/run.py --fresh models  # forget a unit's results and run it again

Each unit of ``tools/mutation/units.toml`` is one cosmic-ray session (``.mutation/<unit>.sqlite``):
its source files, mutated one mutant at a time, and the fast test selection that must kill the
mutants. Mutants whose operator is not in ``[operators] keep`` are skipped (each formula operator
is mutated to its nearest wrong formula, not to every other operator). The workers are
``cosmic-ray http-worker`` processes, each in its own copy of the working tree under
``.mutation/worker-K`` (``PYTHONPATH`` points at the copy's ``src``), so mutants never touch the
checkout. Each mutant runs only the tests that execute the mutated statement (the unit's
coverage map, ``coverage_map.py``, built before its mutants run). A session interrupted at any
point resumes where it stopped.

Why cosmic-ray: it mutates the source file on disk and runs the tests in a fresh process, so a
numba-compiled function is recompiled from the mutated text and mutated like any other code.
mutmut 3 instead wraps every function in a Python trampoline and skips decorated functions by
design, which leaves out every ``@numba.njit`` kernel (the Bessel functions, slab integrals,
Philox, the FMM).

The report counts, per unit: killed, survived, equivalent (survivors listed with a reason in
``tools/mutation/equivalent.toml``), timeout (counted as killed by cosmic-ray), incompetent
(the mutant did not import or compile) and, for a unit with ``sample = K``, the mutants left out
of its seeded sample of K; survivors are written with their diffs to
``.mutation/survivors.md``.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STATE = ROOT / ".mutation"
BASE_PORT = 9870


def _units() -> tuple[list[str], dict[str, dict]]:
    spec = tomllib.loads((HERE / "units.toml").read_text(encoding="utf-8"))
    return spec["operators"]["keep"], {u["name"]: u for u in spec["unit"]}


def _equivalents() -> dict[tuple[str, str, str], str]:
    """(module, original line, mutated line) → why the mutant cannot change a result."""
    path = HERE / "equivalent.toml"
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", []) if path.is_file() else []
    return {(e["module"], e["line"], e["mutant"]): e["reason"] for e in entries}


def _copy_tree(dest: Path) -> None:
    """The working tree as git sees it (tracked and untracked, not ignored) into ``dest``."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    if dest.exists():
        shutil.rmtree(dest)
    for name in filter(None, files):
        src = ROOT / name.decode()
        if src.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _worker_env(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(copy / "src"),
        NUMBA_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _pytest_args(unit: dict) -> str:
    tests = " ".join([*unit["tests"], *(f"--deselect {d}" for d in unit.get("deselect", ()))])
    return f'-x -q -p no:cacheprovider -m "{unit.get("marks", "not slow")}" {tests}'


def _test_command(unit: dict) -> str:
    """pytest through the worker's fork server (``forkserver.py``), stopping at the first failure,
    on the tests that execute the mutated statement (``coverage_map.py``)."""
    server = "tools/mutation/forkserver.py"
    name = unit["name"]
    selection = f"--select {STATE / (name + '.map.json')} {STATE / (name + '.src')} "
    return f"{sys.executable} {server} run {_NUMBA_FLAGS[_mode(unit)]}{selection}{_pytest_args(unit)}"


# ``numba`` in units.toml, and the forkserver flag of each mode: "compiled" (the default);
# "interpreted", the unit's tests run with numba's JIT off (``NUMBA_DISABLE_JIT``), the ``@njit``
# functions as the Python they are written in; "checked", compiled with bounds checking
# (``NUMBA_BOUNDSCHECK``), so that a mutant that indexes past an array's end raises instead of
# reading or writing whatever lies beyond it.
_NUMBA_FLAGS = {"compiled": "", "interpreted": "--numba-interpreted ", "checked": "--numba-checked "}


def _mode(unit: dict) -> str:
    mode = unit.get("numba", "compiled")
    if mode not in _NUMBA_FLAGS:
        sys.exit(f"unit {unit['name']}: numba = {mode!r}; allowed: {', '.join(_NUMBA_FLAGS)}")
    return mode


def _coverage_map(unit: dict, copy: Path) -> float:
    """Which tests execute each statement (``.mutation/<unit>.map.json``), from a run of the
    unit's tests on the unmutated copy, which must pass; returns its seconds."""
    start = time.perf_counter()
    out = STATE / f"{unit['name']}.map.json"
    command = [sys.executable, "tools/mutation/coverage_map.py", str(out), *unit["modules"], "--"]
    env = _worker_env(copy) | ({"NUMBA_DISABLE_JIT": "1"} if _mode(unit) == "interpreted" else {})
    proc = subprocess.run(
        [*command, *_split(_pytest_args(unit))],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"unit {unit['name']}: its tests fail under coverage:\n{proc.stdout[-3000:]}")
    return time.perf_counter() - start


def _split(command: str) -> list[str]:
    import shlex

    return shlex.split(command)


def _session_config(unit: dict, timeout: float, workers: int, base_port: int) -> Path:
    modules = ", ".join(f'"{m}"' for m in unit["modules"])
    urls = ", ".join(f"'http://localhost:{base_port + k}'" for k in range(workers))
    text = f"""[cosmic-ray]
module-path = [{modules}]
timeout = {timeout:.0f}
excluded-modules = []
test-command = '{_test_command(unit)}'

[cosmic-ray.distributor]
name = "http"

[cosmic-ray.distributor.http]
worker-urls = [{urls}]
"""
    path = STATE / f"{unit['name']}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _unmutated_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Source spans that hold no formula: signatures (parameters, defaults, annotations),
    decorators, annotations of assignments and ``__repr__``."""
    spans = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        parts: list[ast.AST] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name == "__repr__":
                parts.append(node)
            parts += node.decorator_list  # build options such as numba.njit(cache=True)
            # the signature: parameters, their defaults and annotations, the return annotation
            spans.append(((node.lineno, node.col_offset), (node.body[0].lineno, node.body[0].col_offset)))
        elif isinstance(node, ast.ClassDef):
            parts += node.decorator_list  # dataclass(frozen=True) and the like
        elif isinstance(node, ast.AnnAssign):
            parts.append(node.annotation)
        spans += [((p.lineno, p.col_offset), (p.end_lineno, p.end_col_offset)) for p in parts]
    return spans


class MutantFilter:
    """Which mutants a pass skips: operators not kept, a number's −1 twin, signatures, decorators,
    annotations, ``__repr__`` and lines marked ``pragma: no mutate``."""

    def __init__(self, keep: list[str], tree: Path = ROOT) -> None:
        self.tree = tree
        self.pattern = re.compile("|".join(f"(?:{k})" for k in keep))
        self.lines: dict[str, list[str]] = {}
        self.spans: dict[str, list] = {}

    def skips(self, m) -> bool:
        path = self.tree / m.module_path
        text = self.lines.setdefault(m.module_path, path.read_text(encoding="utf-8").splitlines())
        # parso columns count characters, ast columns count UTF-8 bytes
        row, col = m.start_pos
        position = (row, len(text[row - 1][:col].encode("utf-8")))
        spans = self.spans.setdefault(m.module_path, _unmutated_spans(path))
        # NumberReplacer yields two occurrences per number, +1 then −1: only +1 is kept
        minus_one = m.operator_name == "core/NumberReplacer" and m.occurrence % 2 == 1
        return (
            not self.pattern.fullmatch(m.operator_name)
            or minus_one
            or any(lo <= position < hi for lo, hi in spans)
            or "pragma: no mutate" in text[row - 1]
        )


def _skip_filtered(db_path: Path, keep: list[str], tree: Path) -> int:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    mutant_filter, skipped = MutantFilter(keep, tree), 0
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            if mutant_filter.skips(item.mutations[0]):
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
                skipped += 1
    return skipped


UNSAMPLED = "not in the unit's sample"


def _mutant_key(m) -> tuple:
    return (str(m.module_path), tuple(m.start_pos), m.operator_name, m.occurrence)


def _sample(db_path: Path, size: int, seed: str) -> int:
    """Keep ``size`` of the pending mutants, drawn uniformly with a seed (the unit's name, so the
    same sample on every machine and on resuming); the others are skipped as unsampled. For a unit
    whose every mutant recompiles a large numba module, sampling estimates the score in a bounded
    time: with k of n sampled mutants surviving, the survival rate is k/n ± about sqrt(k)/n."""
    import random

    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(db_path), WorkDB.Mode.open) as db:
        # job ids are random: order the mutants by what they mutate, then draw
        items = sorted(db.pending_work_items, key=lambda item: _mutant_key(item.mutations[0]))
        if len(items) <= size:
            return 0
        kept = {item.job_id for item in random.Random(seed).sample(items, size)}
        dropped = [item.job_id for item in items if item.job_id not in kept]
        for job in dropped:
            db.set_result(job, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output=UNSAMPLED))
    return len(dropped)


def _start_workers(workers: int, base_port: int) -> list[subprocess.Popen]:
    """Per worker: a copy of the tree, its fork server and a cosmic-ray http-worker."""
    procs = []
    for k in range(workers):
        copy = STATE / f"worker-{k}"
        _copy_tree(copy)
        log = open(STATE / f"worker-{k}.log", "w")  # noqa: SIM115
        for command in (
            [sys.executable, "tools/mutation/forkserver.py", "serve"],
            [sys.executable, "-m", "cosmic_ray.cli", "http-worker", "--port", str(base_port + k)],
        ):
            procs.append(
                subprocess.Popen(
                    command,
                    cwd=copy,
                    env=_worker_env(copy),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    time.sleep(5)
    if any(p.poll() is not None for p in procs):
        _stop_workers(procs)
        sys.exit(f"a worker or fork server did not start (a port in use?); see {STATE}/worker-*.log")
    return procs


def _stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the http-worker ignores SIGTERM
        except ProcessLookupError:
            pass
    for p in procs:
        p.wait(timeout=30)


def _forget_survivors(db_path: Path) -> int:
    """Make the survivors pending again (after new tests; valid only while the source is unchanged)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome

    with use_db(str(db_path), WorkDB.Mode.open) as db:
        survived = [job for job, result in db.results if result.test_outcome == TestOutcome.SURVIVED]
    connection = sqlite3.connect(db_path)
    with connection:
        connection.executemany("DELETE FROM work_results WHERE job_id = ?", [(j,) for j in survived])
    connection.close()
    return len(survived)


def _same_source(unit: dict, module: str, tree: Path) -> bool:
    snapshot = STATE / f"{unit['name']}.src" / module
    return snapshot.is_file() and snapshot.read_bytes() == (tree / module).read_bytes()


def _coverage_maps(units: list[dict], workers: int) -> dict[str, float]:
    """The units' coverage maps, ``workers`` at a time (each is one process); name → seconds."""
    from concurrent.futures import ThreadPoolExecutor

    tree = STATE / "worker-0"
    with ThreadPoolExecutor(workers) as pool:
        names = [u["name"] for u in units]
        seconds = dict(zip(names, pool.map(lambda u: _coverage_map(u, tree), units), strict=True))
    for name, value in seconds.items():
        print(f"{name}: coverage map of the tests in {value:.0f} s", flush=True)
    return seconds


def run_unit(
    unit: dict, keep: list[str], workers: int, fresh: bool, base_port: int, survivors: bool, seconds: float
) -> None:
    db_path = STATE / f"{unit['name']}.sqlite"
    if fresh and db_path.exists():
        db_path.unlink()
    if survivors and db_path.exists():
        print(f"{unit['name']}: {_forget_survivors(db_path)} survivors to test again", flush=True)
    tree = STATE / "worker-0"  # the copy the workers mutate: the checkout may change meanwhile
    changed = [m for m in unit["modules"] if db_path.exists() and not _same_source(unit, m, tree)]
    if changed:
        sys.exit(
            f"unit {unit['name']}: {', '.join(changed)} changed since its session began (mutants are "
            f"numbered by position); run it again with --fresh"
        )
    timeout = max(60.0, 5 * seconds + 30)  # seconds: of the coverage run (tests unmutated, passing)
    config = _session_config(unit, timeout, workers, base_port)
    if not db_path.exists():
        subprocess.run(
            [sys.executable, "-m", "cosmic_ray.cli", "init", str(config), str(db_path) + ".new"],
            cwd=tree,
            check=True,
        )
        skipped = _skip_filtered(Path(str(db_path) + ".new"), keep, tree)
        if "sample" in unit:
            unsampled = _sample(Path(str(db_path) + ".new"), int(unit["sample"]), unit["name"])
            print(f"{unit['name']}: {unsampled} mutants left out of a sample of {unit['sample']}", flush=True)
        for module in unit["modules"]:  # the source the mutants refer to (by position), for reports
            snapshot = STATE / f"{unit['name']}.src" / module
            snapshot.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(tree / module, snapshot)
        os.replace(str(db_path) + ".new", db_path)
        print(f"{unit['name']}: {skipped} mutants skipped (see MutantFilter)", flush=True)
    print(f"{unit['name']}: timeout {timeout:.0f} s per mutant", flush=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cosmic_ray.cli", "exec", str(config), str(db_path)], cwd=tree, check=True
    )
    print(f"{unit['name']}: mutants run in {time.perf_counter() - start:.0f} s", flush=True)


def _diff_lines(diff: str) -> tuple[str, str]:
    removed = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return " ".join(removed), " ".join(added)


def _count(name: str, db_path: Path, keep: list[str], state: Path, equivalents: dict) -> tuple[dict, list]:
    """One session's counts and its survivors (module, mutation, diff)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    # the source the session mutated: its snapshot, else the workers' copy, else the checkout
    trees = [state / f"{name}.src", state / "tree", state / "worker-0", ROOT]
    mutant_filter = MutantFilter(keep, next(t for t in trees if t.is_dir()))
    counts = dict.fromkeys(
        ("mutants", "killed", "survived", "equivalent", "incompetent", "pending", "unsampled"), 0
    )
    survivors = []
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        results = dict(db.results)
        for item in db.work_items:
            result = results.get(item.job_id)
            skipped = result is not None and result.worker_outcome == WorkerOutcome.SKIPPED
            if skipped and result.output == UNSAMPLED:
                counts["unsampled"] += 1
                continue
            if skipped or mutant_filter.skips(item.mutations[0]):
                continue
            counts["mutants"] += 1
            if result is None:
                counts["pending"] += 1
            elif result.test_outcome == TestOutcome.KILLED:
                counts["killed"] += 1
            elif result.test_outcome != TestOutcome.SURVIVED:
                counts["incompetent"] += 1
            else:
                m = item.mutations[0]
                removed, added = _diff_lines(result.diff or "")
                # an empty diff: the mutated literal prints as the original (2⁵³ + 1 → 2⁵³)
                unchanged = removed == added
                if not unchanged and equivalents.get((str(m.module_path), removed, added)) is None:
                    counts["survived"] += 1
                    survivors.append((name, m, result.diff))
                else:
                    counts["equivalent"] += 1
    return counts, survivors


def _stale_equivalents(equivalents: dict) -> list[tuple[str, str]]:
    """Entries of equivalent.toml whose original line is no longer in its module (to drop)."""
    stale, lines = [], {}
    for module, line, _ in equivalents:
        path = ROOT / module
        if module not in lines:
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            lines[module] = {ln.strip() for ln in text.splitlines()}
        if line not in lines[module]:
            stale.append((module, line))
    return stale


def report(names: list[str], keep: list[str], state: Path = STATE) -> None:
    equivalents = _equivalents()
    for module, line in _stale_equivalents(equivalents):
        print(f"equivalent.toml: stale entry, {module} no longer has: {line}")
    rows, survivors = [], []
    for name in names:
        db_path = state / f"{name}.sqlite"
        if db_path.exists():
            counts, found = _count(name, db_path, keep, state, equivalents)
            rows.append((name, counts))
            survivors += found
    header = f"{'unit':<22}" + "".join(f"{k:>12}" for k in rows[0][1]) if rows else "no sessions yet"
    print(header)
    for name, counts in rows:
        print(f"{name:<22}" + "".join(f"{v:>12}" for v in counts.values()))
    with open(state / "survivors.md", "w", encoding="utf-8") as out:
        for name, m, diff in survivors:
            out.write(
                f"## {name}: {m.module_path}:{m.start_pos[0]} {m.operator_name}\n```diff\n{diff}\n```\n"
            )
    print(f"{len(survivors)} survivors with their diffs in {state / 'survivors.md'}")


def main() -> None:
    keep, units = _units()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("units", nargs="*", help=f"units (default: all): {', '.join(units)}")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=BASE_PORT, help="ports of the http workers")
    parser.add_argument("--report", action="store_true", help="only print the table of finished sessions")
    parser.add_argument("--fresh", action="store_true", help="discard the units' earlier results first")
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="test the survivors again (new tests, same source: mutants are numbered by position)",
    )
    parser.add_argument(
        "--state", type=Path, default=STATE, help="with --report: a folder of sessions (default: .mutation)"
    )
    args = parser.parse_args()
    names = args.units or list(units)
    unknown = sorted(set(names) - set(units))
    if unknown:
        parser.error(f"unknown unit(s) {', '.join(unknown)}; allowed: {', '.join(units)}")
    STATE.mkdir(exist_ok=True)
    if not args.report:
        procs = _start_workers(args.workers, args.base_port)
        try:
            seconds = _coverage_maps([units[name] for name in names], args.workers)
            for name in names:
                unit = units[name]
                run_unit(unit, keep, args.workers, args.fresh, args.base_port, args.survivors, seconds[name])
        except (KeyboardInterrupt, subprocess.CalledProcessError):
            sys.exit("interrupted: the sessions keep what they finished; the same command resumes")
        finally:
            _stop_workers(procs)
    report(names, keep, args.state if args.report else STATE)


if __name__ == "__main__":
    main()
