"""Untrusted-text hygiene: what `clean`, `one_line` and `json_safe` strip, keep and truncate."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import pytest
from support.report_fixtures import HOSTILE

import gate.text
from gate.text import clean, compact, json_safe, one_line, truncate


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("plain text", "plain text"),
        ("a\x00b\x08c\x0bd\x1fe", "abcde"),
        ("keep\ttab\nand newline", "keep\ttab\nand newline"),
        ("crlf\r\nand cr\ronly", "crlf\nand cr\nonly"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("\x1b]0;title\x07after", "after"),
        ("\x1b]8;;http://evil.test\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1b]0;unterminated\nnext line", "\nnext line"),
        ("c1\x9b31mx\x85y", "c1x\ny"),
        ("lone \ud800 surrogate \udfff", "lone  surrogate "),
        ("non\ufffechar\uffff", "nonchar"),
        ("bidi \u202eevil\u202c", "bidi evil"),
        ("unicode ü 日本 🎉", "unicode ü 日本 🎉"),
        (None, ""),
        (42, "42"),
    ],
)
def test_clean(raw: object, want: str) -> None:
    assert clean(raw) == want


def test_clean_truncates_visibly() -> None:
    assert clean("x" * 10, limit=4) == "xxxx… [truncated 6 chars]"
    assert clean("x" * 10, limit=None) == "x" * 10
    assert clean("x" * 10, limit=10) == "x" * 10


def test_truncate_is_noop_within_limit() -> None:
    assert truncate("abc", 3) == "abc"


def test_one_line_collapses_whitespace_and_truncates() -> None:
    assert one_line("  a\n\n b\t\tc  ") == "a b c"
    assert one_line("word " * 100, limit=9) == "word word… [truncated 490 chars]"
    assert "\n" not in one_line(HOSTILE)


def test_hostile_text_survives_xml_attribute_and_text() -> None:
    element = ET.Element("failure", {"message": one_line(HOSTILE)})
    element.text = clean(HOSTILE)
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.text is not None and "</failure>" in parsed.text
    assert "\x1b" not in parsed.text and "\x00" not in parsed.text


def test_json_safe_handles_odd_values() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd\x00"

    value = {"nan": math.nan, "set": {3, 1}, "tuple": (1, "a\x1b[0m"), 5: Odd(), "ok": None}
    safe = json_safe(value)
    assert safe == {"nan": "nan", "set": [1, 3], "tuple": [1, "a"], "5": "odd", "ok": None}
    json.dumps(safe, allow_nan=False)


def test_json_safe_bounds_deep_nesting() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(200):
        child: list[object] = []
        node.append(child)
        node = child
    json.dumps(json_safe(deep))


def test_compact() -> None:
    assert compact({"b": 1, "a": [1, 2]}) == '{"a": [1, 2], "b": 1}'
    assert compact("multi\nline") == "multi line"
    assert compact(list(range(100)), limit=10).endswith("chars]")


def test_the_printable_fast_path_skips_only_text_the_patterns_would_leave_alone() -> None:
    # clean() returns printable text as it is (masked, truncated); that is only right if no
    # printable character can start a match of the escape, forbidden or newline patterns.
    starts = (gate.text._ESCAPES, gate.text._FORBIDDEN, gate.text._NEWLINES)  # noqa: SLF001
    printable = "".join(c for c in map(chr, range(0x110000)) if c.isprintable())
    assert not any(pattern.search(printable) for pattern in starts)
    assert clean("plain \u00e9t\u00e9 \U0001f600") == "plain \u00e9t\u00e9 \U0001f600"
    assert clean("a\u202eb\x1b[31mc\r\nd") == "abc\nd"
