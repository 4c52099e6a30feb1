"""Sanitizing: every kind of caller data, anywhere, becomes a stable token; the manifest tells."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gate.cli import main
from gate.draft.assertions import not_exactly
from gate.draft.sanitize import Sanitizer
from gate.patterns import regex_problem, search
from gate.pii import findings


def test_free_text_loses_phones_emails_cards_ssns_and_street_addresses() -> None:
    sanitizer = Sanitizer()
    text = (
        "Card 4539 1488 0343 6467, SSN 219-09-9999, call +44 20 8123 4567 or "
        "(312) 846-2291, write to ana@mail.co, I live at 77 Elm Street Apt 4."
    )
    clean = sanitizer.text(text, "$.transcript[0].text")
    for original in ("4539", "219-09", "8123", "846-2291", "ana@mail.co", "77 Elm"):
        assert original not in clean
    assert findings(clean) == []  # what is left passes the lint's own detector
    kinds = sorted(r.kind for r in sanitizer.manifest)
    assert kinds == ["address", "card", "email", "phone", "phone", "ssn"]
    assert {r.location for r in sanitizer.manifest} == {"$.transcript[0].text"}


def test_the_same_value_gets_the_same_token_and_another_value_another() -> None:
    sanitizer = Sanitizer()
    sanitizer.learn({"account_id": "AC-99120", "other_account_id": "AC-99121"}, "$.state_before")
    first = sanitizer.text("account AC-99120, not AC-99121", "$.a")
    again = sanitizer.text("AC-99120 again", "$.b")
    assert first == "account account_fixture_1, not other_account_fixture_1"
    assert again == "account_fixture_1 again"


def test_names_from_fields_and_self_introductions_lose_every_part() -> None:
    sanitizer = Sanitizer()
    sanitizer.learn({"customer": {"full_name": "Grace Hopper"}}, "$.state_before")
    sanitizer.learn_text("Hello, my name is Ada Lovelace and I need help.")
    clean = sanitizer.text("Grace here; Ada Lovelace too; thanks Ada.", "$.t")
    assert "Grace" not in clean and "Ada" not in clean and "Lovelace" not in clean


def test_fixture_values_correlation_ids_and_short_ids_in_timestamps_stay() -> None:
    sanitizer = Sanitizer()
    sanitizer.learn({"caller_id": "caller_fixture_9", "room_id": "42"}, "$.state_before")
    data = {
        "caller_id": "caller_fixture_9",
        "call_id": "c1",
        "trace_id": "ab12cd34",
        "room_id": "42",
    }
    clean = sanitizer.tree(data, "$")
    assert clean == {"caller_id": "caller_fixture_9", "call_id": "c1", "trace_id": "ab12cd34",
                     "room_id": "room_fixture_1"}  # fmt: skip
    assert sanitizer.text("at 2026-06-03T15:42:00", "$.t") == "at 2026-06-03T15:42:00"


def test_a_packet_error_never_echoes_caller_data(tmp_path: Path) -> None:
    packet = json.loads(
        (
            Path(__file__).resolve().parents[2] / "examples/evidence/duplicate-booking.json"
        ).read_text()
    )
    packet["severity"] = "call 312-846-2291"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(packet), "utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["new-case", "--from-evidence", str(path)], {}, out, err) == 2
    assert "$.severity" in err.getvalue() and "846-2291" not in err.getvalue()


def test_numbers_and_keys_are_sanitized_too() -> None:
    sanitizer = Sanitizer()
    clean = sanitizer.tree({"callback": 3128462291, "slots": 3, "2128460177": "x"}, "$.state")
    assert clean["callback"] == "(555) 555-0101" and clean["slots"] == 3
    assert "2128460177" not in clean and [r.kind for r in sanitizer.manifest] == ["phone", "phone"]


def test_a_name_field_that_names_a_tool_is_no_person() -> None:
    sanitizer = Sanitizer()
    sanitizer.learn({"name": "update_appointment", "caller_name": "José Álvarez"}, "$.result")
    assert (
        sanitizer.text("update_appointment for José", "$.t")
        == "update_appointment for name_fixture_1"
    )


@pytest.mark.parametrize("value", ["2026-06-03T10:00:00-05:00", "a.b*c(d)", "é-ü", "x" * 40, ""])
def test_the_negative_argument_guard_refuses_exactly_the_observed_value(value: str) -> None:
    pattern = not_exactly(value)
    assert regex_problem(pattern) is None  # RE2: no lookaround, within the pattern bounds
    assert not search(pattern, value)
    for other in (value + "1", value[:-1], "Z" + value[1:], "other"):
        if other != value:
            assert search(pattern, other), other
