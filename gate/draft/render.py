"""A Draft as YAML text: yaml.safe_dump quotes every scalar; comments go in above their nodes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import yaml

from gate.draft.build import Draft
from gate.draft.sanitize import Redaction
from gate.models import json_path_join

MANIFEST_SCHEMA = "voice-regress-redactions/v1"


def render_case(draft: Draft, header: list[str]) -> str:
    """The case file: `header` comment lines, then the case with each comment above its node."""
    body = yaml.safe_dump(
        draft.case, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    lines = body.splitlines()
    root = yaml.compose(body)
    where = dict(_key_positions(root, "$")) if root is not None else {}
    inserts: dict[int, list[str]] = {}
    for path, text in draft.comments:
        line, col = where.get(path, (0, 0))
        inserts.setdefault(line, []).append(" " * col + "# " + _one_line(text))
    out = [f"# {_one_line(text)}" for text in header]
    for index, text in enumerate(lines):
        out += inserts.get(index, [])
        out.append(text)
    return "\n".join(out) + "\n"


def _one_line(text: str) -> str:
    # A comment ends at the line break: a note spanning lines must not spill into the YAML.
    return " ".join(text.split())


def _key_positions(node: yaml.Node, path: str) -> Iterator[tuple[str, tuple[int, int]]]:
    """(JSON path, (0-based line, column)) of each mapping key and sequence item."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = json_path_join(path, str(key.value))
            yield child, (key.start_mark.line, key.start_mark.column)
            yield from _key_positions(value, child)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = json_path_join(path, index)
            yield child, (item.start_mark.line, max(item.start_mark.column - 2, 0))
            yield from _key_positions(item, child)


def render_manifest(draft: Draft, case_file: str) -> str:
    """The redaction manifest (JSON): kind, packet location and token of each replaced value."""
    record: dict[str, Any] = {
        "schema": MANIFEST_SCHEMA,
        "case_file": case_file,
        "source_call_id": draft.case["source"]["source_call_id"],
        "redactions": [_entry(r) for r in draft.manifest],
    }
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def _entry(redaction: Redaction) -> dict[str, str]:
    return {"kind": redaction.kind, "location": redaction.location, "token": redaction.token}


def manifest_summary(manifest: list[Redaction]) -> str:
    """`7 value(s) replaced: 3 id, 2 phone, 1 name, 1 email` (kinds by count)."""
    counts: dict[str, int] = {}
    for redaction in manifest:
        counts[redaction.kind] = counts.get(redaction.kind, 0) + 1
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{len(manifest)} value(s) replaced" + (f": {kinds}" if kinds else "")
