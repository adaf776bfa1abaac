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

    def pytest_runtest_setup(self, item) -> None:
        self.cov.switch_context(item.nodeid)
        self.order.append(item.nodeid)

    def pytest_runtest_logreport(self, report) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration


def build(out: Path, modules: list[str], pytest_args: list[str]) -> int:
    import coverage
    import pytest

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
    out.write_text(json.dumps({"modules": result}, indent=0), encoding="utf-8")
    return 0


def _known_equivalent(module: str, before: str, now: str) -> bool:
    """Whether tools/mutation/equivalent.toml lists this one-line change (its tests need not run)."""
    path = Path("tools/mutation/equivalent.toml")
    if not path.is_file():
        return False
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
    return any((e["module"], e["line"], e["mutant"]) == (module, before, now) for e in entries)


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
