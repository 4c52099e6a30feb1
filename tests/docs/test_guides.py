"""The guides' worked case does what they say, and every relative link in docs/ resolves."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from gate.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDE = DOCS / "guides" / "failed-call-to-blocking-case.md"


def _cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), {}, out, err)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture
def worked_case(tmp_path: Path) -> Path:
    block = GUIDE.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "voice-tests" / "scheduling" / "no-duplicate-booking.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(block, encoding="utf-8")
    return path


def test_the_worked_case_validates_fails_on_the_bug_and_passes_on_the_fix(
    worked_case: Path,
) -> None:
    assert _cli("validate", str(worked_case))[0] == 0
    code, text = _cli(
        "run",
        "--harness-url",
        "builtin:duplicate-booking",
        "--fail-on",
        "any",
        "--cases",
        str(worked_case),
    )
    assert code == 1 and "tools.forbidden_tools" in text, text
    code, text = _cli("run", "--harness-url", "builtin", "--cases", str(worked_case))
    assert code == 0 and "GATE PASSED: 1/1" in text, text


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8"))
    missing = [link for link in links if "://" not in link and not (page.parent / link).exists()]
    assert missing == [], f"{page.name} links to missing {missing}"
