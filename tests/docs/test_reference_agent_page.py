"""docs/reference-agent.md cannot go stale: it names every tool and planted bug, and its first case
passes against the reference harness and fails on the bugs it says it catches."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from gate.cli import main
from gate.reference import BUGS
from gate.reference.sandbox import Sandbox

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference-agent.md"
TEXT = PAGE.read_text(encoding="utf-8")


def _run(case: Path, harness: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "--harness-url", harness, "--cases", str(case)], {}, out, err)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("tool", Sandbox({}).tool_names)
def test_the_page_names_every_tool(tool: str) -> None:
    assert f"| `{tool}` |" in TEXT, f"docs/reference-agent.md has no row for tool {tool}"


@pytest.mark.parametrize("bug", BUGS)
def test_the_page_names_every_planted_bug(bug: str) -> None:
    assert f"| `{bug}` |" in TEXT, f"docs/reference-agent.md has no row for bug {bug}"


def test_the_page_names_no_bug_that_does_not_exist() -> None:
    section = TEXT[TEXT.index("## Planted bugs") :].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE))
    assert named == set(BUGS)


@pytest.fixture
def first_case(tmp_path: Path) -> Path:
    section = TEXT[TEXT.index("## A first case that passes") :]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "first-case.yaml"
    path.write_text(block, encoding="utf-8")
    return path


def test_the_pages_first_case_passes_on_the_reference_harness(first_case: Path) -> None:
    code, text = _run(first_case, "builtin")
    assert code == 0, text


@pytest.mark.parametrize("bug", ["duplicate-booking", "wrong-slot", "skip-identity"])
def test_the_pages_first_case_catches_the_bugs_of_its_tools(first_case: Path, bug: str) -> None:
    code, text = _run(first_case, f"builtin:{bug}")
    assert code == 1, text
