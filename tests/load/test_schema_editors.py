"""The published case schema serves editors: every property explains itself, every bundled
example points at the schema, and check-jsonschema (what an editor's validator does) accepts
every example and rejects a broken one."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.tools import tool

from gate.load.schemas import packaged_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "gate" / "schemas" / "case.schema.json"
SCHEMA = packaged_schema("case.schema.json")
SCHEMA_URL = (
    "https://raw.githubusercontent.com/org/voice-regress-gate/v1/gate/schemas/case.schema.json"
)
SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")
INIT_CASE = ROOT / "gate" / "templates" / "init" / "first-case.yaml"
# The seed runbook's example is kept verbatim (tests/reference/test_reference_harness.py): no
# comment line can be added to it; it still validates against the schema below.
SEED_CASE = ROOT / "examples" / "cases" / "scheduling" / "reschedule-wednesday.yaml"
EXAMPLES = sorted(
    [
        *(ROOT / "examples" / "cases").rglob("*.y*ml"),
        *(ROOT / "examples" / "adapters").rglob("cases/**/*.y*ml"),
        INIT_CASE,
    ]
)
FAMILIES = ["outcome", "tools", "side_effects", "transcript", "latency", "handoff", "judged"]


def _properties(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property schema (properties, patternProperties, $defs), recursively, by path."""
    if isinstance(node, dict):
        for group in ("properties", "patternProperties", "$defs"):
            for name, child in node.get(group, {}).items():
                yield f"{path}/{group}/{name}", child
        for key, child in node.items():
            yield from _properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _properties(child, f"{path}/{index}")


def _described(node: dict[str, Any]) -> bool:
    ref = node.get("$ref", "")
    target = SCHEMA["$defs"].get(ref.removeprefix("#/$defs/"), {}) if ref else {}
    return bool(node.get("description") or target.get("description"))


def test_every_property_has_a_description() -> None:
    found = list(_properties(SCHEMA))
    assert len(found) > 100
    assert [path for path, node in found if not _described(node)] == []


def test_top_level_keys_and_families_have_markdown_descriptions() -> None:
    families = SCHEMA["$defs"]["assertions"]["properties"]
    nodes = [*SCHEMA["properties"].values(), *(families[f] for f in FAMILIES)]
    assert all(node.get("markdownDescription") for node in nodes)


def test_votes_say_odd_and_defaults_match_the_models() -> None:
    votes = SCHEMA["$defs"]["judged_assertion"]["properties"]["votes"]
    assert votes["not"] == {"multipleOf": 2}
    assert SCHEMA["properties"]["trials"]["default"] == 1
    assert SCHEMA["$defs"]["tools"]["properties"]["order"]["default"] == "subsequence"


def test_the_schema_is_published_at_the_url_the_docs_give() -> None:
    assert SCHEMA["$id"] == SCHEMA_URL
    for page in ("README.md", "docs/case-format.md"):
        assert f"$schema={SCHEMA_URL}" in (ROOT / page).read_text("utf-8"), page
    assert f'"{SCHEMA_URL}": "voice-tests/**/*.yaml"' in (ROOT / "docs/case-format.md").read_text(
        "utf-8"
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_example_carries_the_schema_line(path: Path) -> None:
    if path == SEED_CASE:
        assert not path.read_text("utf-8").startswith("#")  # verbatim, as the seed wrote it
        return
    found = SCHEMA_LINE.match(path.read_text("utf-8"))
    assert found, f"{path}: first line is not '# yaml-language-server: $schema=...'"
    target = found[1]
    if path == INIT_CASE:  # written into the user's repository: the published URL
        assert target == SCHEMA_URL
    else:
        assert (path.parent / target).resolve() == SCHEMA_FILE


def _check(*files: Path) -> subprocess.CompletedProcess[str]:
    command = [tool("check-jsonschema"), "--schemafile", str(SCHEMA_FILE), *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def test_check_jsonschema_accepts_every_example() -> None:
    done = _check(*EXAMPLES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_jsonschema_rejects_a_broken_example(tmp_path: Path) -> None:
    text = (ROOT / "examples/cases/judged/cancel-confirms-outcome.yaml").read_text("utf-8")
    assert "votes: 3" in text
    broken = tmp_path / "even-votes.yaml"
    broken.write_text(text.replace("votes: 3", "votes: 4", 1), "utf-8")
    done = _check(broken)
    assert done.returncode == 1 and "votes" in done.stdout, done.stdout + done.stderr
