"""The docs hold together: a short README that reaches every page, and no link to nowhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "SECURITY.md"]
PAGES += sorted((ROOT / "docs").rglob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    found, fence = set(), False
    for line in page.read_text("utf-8").splitlines():
        fence = not fence if line.startswith("```") else fence
        heading = re.match(r"^#{1,6} (.*)", line)
        if heading and not fence:
            found.add(_slug(heading.group(1)))
    return found


def _links(page: Path) -> list[tuple[Path, str]]:
    out = []
    for target in LINK.findall(page.read_text("utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue  # a URL: not checked here (no network)
        path, _, anchor = target.partition("#")
        out.append(((page.parent / path).resolve() if path else page, anchor))
    return out


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_exists(page: Path) -> None:
    broken = [
        f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}#{anchor}"
        for target, anchor in _links(page)
        if not target.exists()
        or (anchor and target.suffix == ".md" and anchor not in _anchors(target))
    ]
    assert broken == []


def test_the_readme_is_short_and_reaches_every_page() -> None:
    readme = ROOT / "README.md"
    assert len(readme.read_text("utf-8").splitlines()) <= 250
    reached = {target for target, _ in _links(readme)}
    for page in reached.copy():
        if page.is_dir():  # a folder index like docs/guides/: its pages count as reached
            reached |= set(page.rglob("*.md"))
    assert [p.relative_to(ROOT) for p in PAGES if p not in reached and p != readme] == []


def test_the_link_check_sees_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n[gone](missing.md) [here](#title) [nowhere](#nope)\n")
    assert [(t.name, a) for t, a in _links(page)] == [
        ("missing.md", ""),
        ("page.md", "title"),
        ("page.md", "nope"),
    ]
    assert "nope" not in _anchors(page) and "title" in _anchors(page)
