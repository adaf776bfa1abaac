"""Which tests execute each statement of a unit's modules: the per-mutant test selection.

    python tools/mutation/coverage_map.py OUT.json MODULE.py ... -- PYTEST-ARGS

Runs the unit's tests once under coverage.py with one dynamic context per test (its node id) and
writes, for every module, ``{statement's first line: [node ids that executed it]}``. A mutant then
runs only the tests that execute the statement it changed (``select`` below), fastest first (the
durations of this run), instead of the unit's whole selection: most mutants are killed by the
first of a few tests, and a survivor no longer costs the whole selection. Statements that no test
traces (module level, run at import; bodies of ``numba.njit`` functions, which run compiled) keep
the whole selection, so the selection never drops a test that could kill a mutant, except one
whose effect is only seen in a subprocess (coverage follows the tests' own process only).
"""

from __future__ import annotations

import ast
import difflib
import json
import sys
import tomllib
from pathlib import Path

import pytest


def statement_lines(source: str) -> dict[int, int]:
    """Every source line → the first line of the innermost statement that contains it."""
    owner: dict[int, tuple[int, int]] = {}  # line → (span length, statement's first line)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt):
            # a compound statement owns its header only: its body's statements own their lines
            end = node.body[0].lineno - 1 if hasattr(node, "body") and node.body else node.end_lineno
            end = max(end, node.lineno)
            for line in range(node.lineno, end + 1):
                span = end - node.lineno
                if line not in owner or span < owner[line][0]:
                    owner[line] = (span, node.lineno)
    return {line: first for line, (_, first) in owner.items()}


class _Contexts:
    """pytest plugin: coverage's context is the node id of the test that runs."""

    def __init__(self, cov) -> None:
        self.cov = cov
        self.order: list[str] = []
        self.seconds: dict[str, float] = {}
        self.setup: dict[str, float] = {}  # of which in set-up (fixtures: paid by the first user)

    def pytest_runtest_setup(self, item) -> None:
        self.cov.switch_context(item.nodeid)
        self.order.append(item.nodeid)

    def pytest_runtest_logreport(self, report) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration
        if report.when == "setup":
            self.setup[report.nodeid] = report.duration


def build(out: Path, modules: list[str], pytest_args: list[str]) -> int:
    import coverage

    cov = coverage.Coverage(data_file=None, include=[str(Path(m).resolve()) for m in modules])
    plugin = _Contexts(cov)
    cov.start()
    code = pytest.main([*pytest_args, "-p", "no:randomly"], plugins=[plugin])
    cov.stop()
    if code != 0:
        return int(code)
    data = cov.get_data()
    # fastest first: with -x a mutant stops at its first failing test
    ranked = sorted(plugin.order, key=lambda nodeid: plugin.seconds.get(nodeid, 0.0))
    order = {nodeid: k for k, nodeid in enumerate(ranked)}
    result: dict[str, dict[str, list[str]]] = {}
    for module in modules:
        path = str(Path(module).resolve())
        owners = statement_lines(Path(module).read_text(encoding="utf-8"))
        contexts = data.contexts_by_lineno(path) if path in data.measured_files() else {}
        lines: dict[int, set[str]] = {}
        for line, names in contexts.items():
            tests = {n for n in names if n in order}
            if tests:
                lines.setdefault(owners.get(line, line), set()).update(tests)
        result[module] = {str(k): sorted(v, key=order.__getitem__) for k, v in sorted(lines.items())}
    seconds = {nodeid: round(plugin.seconds.get(nodeid, 0.0), 3) for nodeid in ranked}
    setup = round(max(plugin.setup.values(), default=0.0), 3)
    spec = {"modules": result, "seconds": seconds, "setup": setup}
    out.write_text(json.dumps(spec, indent=0), encoding="utf-8")
    return 0


class TestBudget:
    """pytest plugin: a test that runs longer than ``factor`` × (its unmutated time under
    coverage, already generous, + the longest fixture set-up of the unit, which the selection
    may make this test pay) + ``slack`` seconds fails, as cosmic-ray's timeout would count it,
    instead of holding the worker until the session's timeout: a mutant that makes a solver crawl
    costs seconds, not minutes. Numba compilation does not count: a mutated module is compiled
    afresh, which its unmutated run did not pay."""

    def __init__(
        self, seconds: dict[str, float], setup: float, factor: float = 5.0, slack: float = 2.0
    ) -> None:
        self.budget = {nodeid: factor * (s + setup) + slack for nodeid, s in seconds.items()}
        self.left = 0.0  # seconds of the running test's budget while numba compiles
        self.depth = 0

    def pytest_configure(self, config) -> None:
        import signal

        signal.signal(signal.SIGALRM, self._expired)
        try:
            from numba.core import event
        except ImportError:
            return
        budget = self

        class PauseWhileCompiling(event.Listener):
            def on_start(self, ev) -> None:
                if budget.depth == 0:
                    budget.left = signal.setitimer(signal.ITIMER_REAL, 0)[0]
                budget.depth += 1

            def on_end(self, ev) -> None:
                budget.depth -= 1
                if budget.depth == 0 and budget.left > 0:
                    signal.setitimer(signal.ITIMER_REAL, budget.left)

        event.register("numba:compile", PauseWhileCompiling())

    def _expired(self, signum, frame) -> None:
        raise MutantTimeout(
            "the test ran past its budget (5 × (its unmutated time + the longest set-up) + 2 s)"
        )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):  # set-up, call and teardown
        import signal

        budget = self.budget.get(item.nodeid)
        if budget is not None:
            signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


class MutantTimeout(BaseException):
    """Raised in a test that ran past its budget (a BaseException: ``except Exception`` in the
    code under test must not swallow it)."""


def _known_equivalent(module: str, before: str, now: str) -> bool:
    """Whether tools/mutation/equivalent.toml lists this one-line change (its tests need not run)."""
    path = Path("tools/mutation/equivalent.toml")
    if not path.is_file():
        return False
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
    return any((e["module"], e["line"], e["mutant"]) == (module, before, now) for e in entries)


def budget(map_path: Path) -> TestBudget:
    """The per-test time budget of a unit (from its coverage run's durations)."""
    spec = json.loads(map_path.read_text(encoding="utf-8"))
    return TestBudget(spec.get("seconds", {}), spec.get("setup", 0.0))


def select(map_path: Path, pristine: Path, args: list[str]) -> tuple[list[str] | None, str]:
    """The pytest arguments for the tree as it is now (one module mutated): the tests that execute
    the changed statement in place of the unit's test paths, or ``args`` unchanged; None for a
    change listed as equivalent (nothing to run: it survives by definition)."""
    spec = json.loads(map_path.read_text(encoding="utf-8"))["modules"]
    changed = []
    for module in spec:
        now = Path(module).read_text(encoding="utf-8").splitlines()
        before = (pristine / module).read_text(encoding="utf-8").splitlines()
        if now != before:
            rows = [
                i1 + 1
                for tag, i1, _, _, _ in difflib.SequenceMatcher(a=before, b=now, autojunk=False).get_opcodes()
                if tag != "equal"
            ]
            changed.append((module, rows, "\n".join(before)))
    if len(changed) != 1 or len(changed[0][1]) != 1:
        return args, "whole selection (no single changed statement)"
    module, (row,), source = changed[0]
    now_line = Path(module).read_text(encoding="utf-8").splitlines()[row - 1].strip()
    if _known_equivalent(module, source.splitlines()[row - 1].strip(), now_line):
        return None, f"listed as equivalent ({module}:{row}): not run"
    statement = statement_lines(source).get(row, row)
    tests = spec[module].get(str(statement))
    if not tests:
        return args, f"whole selection ({module}:{statement} traced by no test)"
    options = _options(args)
    return [*options, *tests], f"{len(tests)} tests executing {module}:{statement}"


def _options(args: list[str]) -> list[str]:
    """The pytest options of ``args`` (flags and their values), without test paths and deselects."""
    with_value = {"-p", "-m", "-k"}
    options, k = [], 0
    while k < len(args):
        if args[k] == "--deselect":
            k += 2
            continue
        if args[k] in with_value:
            options += args[k : k + 2]
            k += 2
            continue
        if args[k].startswith("-"):
            options.append(args[k])
        k += 1
    return options


if __name__ == "__main__":
    split = sys.argv.index("--")
    out, *mods = sys.argv[1:split]
    sys.exit(build(Path(out), mods, sys.argv[split + 1 :]))
