"""A hexadecimal or octal integer too long to write out in decimal is an error at its line.

Python converts decimal text of more than 4,300 digits to no int (a ValueError, which the YAML
builder reports at the value), but hex and octal have no such bound: a value the builder took
later failed where it is written out (the PII lint, schema messages), and the file was refused
as "a bug in the gate" at line 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.load.loader import check_case_text
from gate.load.yamlsafe import YamlError, parse_yaml

REPO = Path(__file__).resolve().parents[2]
CASE = (REPO / "examples/cases/scheduling/book-right-after-slot-check.yaml").read_text("utf-8")
HUGE = ["0x" + "F" * 4000, "0o" + "7" * 5000]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("libyaml", [True, False])
def test_a_huge_hex_or_octal_int_is_a_located_yaml_error(value: str, libyaml: bool) -> None:
    with pytest.raises(YamlError) as caught:
        parse_yaml(f"a: 1\nb: {value}\n", libyaml=libyaml)
    assert (caught.value.line, caught.value.col, caught.value.json_path) == (2, 4, "$.b")
    assert caught.value.message.startswith("invalid !!int value")


@pytest.mark.parametrize("value", HUGE)
def test_a_case_with_one_is_refused_at_its_line_not_as_a_gate_bug(value: str) -> None:
    text = CASE.replace("max_turns: 4", f"max_turns: {value}")
    line = text.splitlines().index(f"  max_turns: {value}") + 1
    loaded, problems = check_case_text(text, "case.yaml", "case")
    assert loaded is None
    assert [(p.line, p.message[:20]) for p in problems] == [(line, "invalid !!int value ")]


def test_a_long_hex_int_that_fits_still_loads() -> None:
    assert parse_yaml("a: 0x" + "F" * 3000 + "\n").data == {"a": int("F" * 3000, 16)}
