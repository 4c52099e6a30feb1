"""The case-language keys of issue 11: each has a schema description and example (editors show
them on hover), and a typo of each gets a did-you-mean from the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.load.loader import load_cases
from gate.load.schemas import packaged_schema

SCHEMA = packaged_schema("case.schema.json")
DEFS = SCHEMA["$defs"]
MINIMAL: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "cases" / "valid" / "minimal.yaml").read_text("utf-8")
)
# (where in $defs, key, a typo of it, the assertions holding the typo)
KEYS = [
    ("tools", "results", "result", {"tools": {"result": {"x": {"status": "ok"}}}}),
    ("tools", "no_errors", "no_error", {"tools": {"no_error": True}}),
    ("tools", "preconditions", "precondition", {"tools": {"precondition": {"x": {}}}}),
    ("tools", "order", "ordr", {"tools": {"ordr": "strict"}}),
    ("transcript", "interruption", "interuption", {"transcript": {"interuption": {}}}),
    ("transcript", "heard", "herd", {"transcript": {"herd": []}}),
    ("latency", "trials_p95_turn_ms", "trial_p95_turn_ms", {"latency": {"trial_p95_turn_ms": 1}}),
    ("latency", "max_first_word_ms", "max_first_words_ms", {"latency": {"max_first_words_ms": 1}}),
    ("outcome", "intent", "intnt", {"outcome": {"intnt": "cancel"}}),
]


@pytest.mark.parametrize(("family", "key", "typo", "assertions"), KEYS)
def test_each_key_is_documented_and_typos_get_a_hint(
    tmp_path: Path, family: str, key: str, typo: str, assertions: dict[str, Any]
) -> None:
    node = DEFS[family]["properties"][key]
    assert node["description"] and node["examples"], key
    case = {**MINIMAL, "assertions": assertions}
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(case), "utf-8")
    messages = [d.message for d in load_cases([tmp_path / "case.yaml"]).errors]
    assert f"unknown key {typo!r} (did you mean {key!r}?)" in messages, messages


def test_the_turn_audio_key_is_documented() -> None:
    node = DEFS["turn"]["properties"]["audio"]
    assert node["description"] and node["examples"]
