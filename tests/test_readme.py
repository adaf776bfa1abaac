"""The README's first lines are the two commands, its links stay in the repository, and the
building-blocks page's Python examples run."""

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
BUILDING_BLOCKS = README.parent / "docs" / "tutorials" / "building-blocks.md"


def test_readme_starts_with_the_two_commands():
    lines = README.read_text().splitlines()
    assert lines[0] == "```bash"
    assert "kellersegel run examples/default.toml -o out/default" in lines[1]
    assert lines[2].endswith('pip install -e ".[test]" && .venv/bin/python -m pytest')
    ci = (README.parent / ".ci" / "run").read_text()
    assert lines[2] in ci


@pytest.mark.slow
def test_the_building_blocks_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", BUILDING_BLOCKS.read_text(), re.S)
    assert len(blocks) == 3
    namespace: dict = {}
    for block in blocks:  # in order, in one namespace, as a reader would run them
        exec(compile(block, str(BUILDING_BLOCKS), "exec"), namespace)
    assert namespace["ds"].sizes["replica"] == 4
    assert namespace["trajectory"].event == "none" and namespace["solution"].event == "none"
    assert namespace["solution"].observed["second_moment"].shape == (11,)
    assert namespace["values"].potential.shape == (1000,)
    assert abs(namespace["exact"] - namespace["field"]).max() < 1e-8


def test_the_readmes_links_stay_in_the_repository():
    """Every link of the README is a file of the repository (a clone has nothing beside it)."""
    links = re.findall(r"\]\(([^)]+)\)", README.read_text())
    assert links
    for link in links:
        assert not link.startswith(("http", "../", "/")), link
        assert (README.parent / link.split("#")[0]).exists(), link
