"""Safe-fixture lint: real caller data is caught and masked; fixtures and timestamps are not."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gate.load.lint import UNSAFE_HINT, lint_case, scan_text, todo_comments


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("call me at 415-867-5309", "phone number 415-***-**09"),
        ("(415) 867-5309", "phone number 415-***-**09"),
        ("+1 415 867 5309", "phone number 415-***-**09"),
        ("+14158675309", "phone number 415-***-**09"),
        ("415.867.5309", "phone number 415-***-**09"),
        ("4158675309", "phone number 415-***-**09"),
        ("415-555-2671", "phone number 415-***-**71"),  # 555 outside 01xx is not fictional
        ("+44 20 7123 4558", "phone number +44***58"),
        ("0044 20 7123 4558", "phone number +44***58"),
        ("020 7123 4567", "phone number 020***67"),
        ("call 07911 123456 today", "phone number 079***56"),
        ("07911123456", "phone number 079***56"),
        ("01 42 68 53 00", "phone number 014***00"),
        ("030 12345678", "phone number 030***78"),
        ("+33 1 42 68 53 00", "phone number +33***00"),
        ("ssn 219 09 9999", "SSN-like id ***-**-**99"),
        ("IBAN DE44 5001 0517 5407 3249 31", "IBAN DE***31"),
        ("GB29NWBK60161331926819", "IBAN GB***19"),
        ("I live at 1600 Pennsylvania Avenue", "street address ** *** Avenue"),
        ("ship to 221B Baker Street, London", "street address ** *** Street"),
        ("42 Elm St. near the park", "street address ** *** St"),
        ("maria_test@gmail.com", "e-mail address m***@gmail.com"),
        ("jo@contest.com", "e-mail address j***@contest.com"),
        ("test@testbank.io", "e-mail address t***@testbank.io"),
        ("ana@example.com.evil.io", "e-mail address a***@example.com.evil.io"),
        ("+4915112345678", "phone number +49***78"),
        ("maria.lopez@gmail.com", "e-mail address m***@gmail.com"),
        ("write to J.Doe+calls@Corp.co.uk now", "e-mail address J***@corp.co.uk"),
        ("4532015112830366", "payment card number ****0366"),
        ("4532 0151 1283 0366", "payment card number ****0366"),
        ("5425-2334-3010-9903", "payment card number ****9903"),
        ("amex 349876543210986.", "payment card number ****0986"),
        ("ssn 219-09-9999", "SSN-like id ***-**-**99"),
    ],
)
def test_unsafe_values_are_found_and_masked(text: str, message: str) -> None:
    assert scan_text(text) == [message]


@pytest.mark.parametrize(
    "text",
    [
        "2026-06-03T15:00:00-05:00",
        "2026-06-03T15:00:00+05:30",
        "2026-06-03 15:00:00 +0500",
        "2026-06-03",
        "20260603150000",
        "2026060315",
        "1717430400",
        "1717430400000",
        "appt_fixture_771",
        "call_2026_05_29_1842",
        "caller_fixture_204",
        "pr-491",
        "v38.2.1",
        "1.2.3",
        "PT15M",
        "1500ms",
        "49.99",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "10.0.0.1",
        "+1-555-0142",
        "(555) 012-3456",
        "(415) 555-0142",
        "+1 212 555 0199",
        "1-800-555-0100",
        "pat@example.com",
        "ops@mail.example.org",
        "x@example.net",
        "a@billing.test",
        "b@shop.example",
        "c@nowhere.invalid",
        "root@localhost",
        "4242 4242 4242 4242",
        "4111111111111111",
        "4532015112830367",  # test card; Luhn-invalid
        "000-12-3456",
        "666-12-3456",
        "912-34-5678",
        "123-00-4567",  # never-issued SSNs
        "phone_fixture_4158675309",
        "test-line:415-867-5309",
        "+44 20 7946 0958",  # Ofcom's drama numbers: fiction by definition
        "020 7946 0123",
        "07700 900123",
        "0044 161 496 0000",
        "0161 496 0999",
        "GB82 WEST 1234 5698 7654 32",  # a published documentation IBAN
        "DE89370400440532013000",
        "DE89370400440532013001",  # checksum fails: not an IBAN
        "12 Example Street",
        "4 Fixture Road",
        "0.1.2.3.4.5.6.7.8.9",
        "v0.12.3",
        "0x1F4A",
        "between 2 and 3 pm on Oak",
        "order 012345",
        "123 45 678",
        "INC-4812",
        "ORD-2026-0603-1500",
        "build 2026.06.03.1",
    ],
)
def test_safe_values_are_not_flagged(text: str) -> None:
    assert scan_text(text) == []


def _with_check_digit(digits: str) -> str:
    for last in "0123456789":
        total = 0
        for index, char in enumerate(reversed(digits + last)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits + last
    raise AssertionError("unreachable")


def test_a_card_is_reported_once_not_also_as_a_phone() -> None:
    card = _with_check_digit("4415867530912")  # "4 415 867 5309 12x" also reads as a phone
    spaced = f"{card[0]} {card[1:4]} {card[4:7]} {card[7:11]} {card[11:]}"
    assert scan_text(spaced) == [f"payment card number ****{card[-4:]}"]


def test_allowlist_regexes() -> None:
    assert scan_text("support: 1-800-275-2273") == ["phone number 800-***-**73"]
    assert scan_text("support: 1-800-275-2273", [r"^1-800-275-2273$"]) == []
    assert scan_text("a@acme-sandbox.io", [r"@acme-sandbox\.io$"]) == []


def _case(**parts: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "source": {"failure_label": "wrong_tool"},
        "fixture": {"caller_id": "caller_fixture_1"},
        "assertions": {"transcript": {"must_include": ["hello"]}},
    }
    case.update(parts)
    return case


def _messages(case: Any) -> list[str]:
    return [str(d) for d in lint_case(case, {"$": (1, 1), "$.fixture": (5, 1)}, "c.yaml")]


def test_every_string_is_checked_keys_and_integers_too() -> None:
    case = _case(
        fixture={"maria.lopez@gmail.com": "x", "phone": 4158675309},
        scenario={"turns": [{"text": "my card is 4532015112830366"}]},
    )
    assert _messages(case) == [
        "c.yaml:5:1: $.fixture: e-mail address m***@gmail.com" + UNSAFE_HINT,  # key hidden
        "c.yaml:5:1: $.fixture.phone: phone number 415-***-**09" + UNSAFE_HINT,
        "c.yaml:1:1: $.scenario.turns[0].text: payment card number ****0366" + UNSAFE_HINT,
    ]


@pytest.mark.parametrize(
    ("assertions", "scenario", "reason"),
    [
        (
            {"tools": {"required_order": ["lookup", "update_appointment"]}},
            {},
            "case writes via update_appointment",
        ),
        ({"tools": {"arguments": {"book_slot": {"slot": "a"}}}}, {}, "case writes via book_slot"),
        ({"tools": {"max_calls": {"sendConfirmation": 1}}}, {}, "case writes via sendConfirmation"),
        (
            {"tools": {"forbidden_tools": ["create_new_appointment"]}},
            {},
            "case may write via create_new_appointment",
        ),
        (
            {"outcome": {"task_completed": True}},
            {"state": {"tool_registry": ["lookup", "refund"]}},
            "case writes via refund",
        ),
        (
            {"outcome": {"task_completed": True}},
            {"state": {"tool_registry": [{"name": "crm.update_contact"}]}},
            "case writes via crm.update_contact",
        ),
        (
            {"outcome": {"task_completed": True}},
            {"state": {"tool_registry": {"payments__charge_card": {}}}},
            "case writes via payments__charge_card",
        ),
        (
            {"side_effects": {"calendar": {"expected_status": "x"}}},
            {},
            "case asserts side effects on calendar",
        ),
    ],
)
def test_writes_need_a_side_effect_mode(
    assertions: dict[str, Any], scenario: dict[str, Any], reason: str
) -> None:
    case = _case(assertions=assertions, scenario=scenario)
    assert _messages(case) == [
        f"c.yaml:5:1: $.fixture: {reason} but fixture.side_effect_mode "
        "is missing (use sandbox, dry_run or mock)"
    ]
    for mode in ("sandbox", "dry_run", "mock"):
        case["fixture"]["side_effect_mode"] = mode
        assert _messages(case) == []
    case["fixture"]["side_effect_mode"] = "live"
    assert "fixture.side_effect_mode is 'live'" in _messages(case)[0]


@pytest.mark.parametrize(
    "tool",
    [
        "lookup_identity",
        "settings_lookup",
        "address_lookup",
        "get_appointment",
        "list_available_slots",
        "setup",
    ],
)
def test_read_tools_do_not_need_a_sandbox(tool: str) -> None:
    assert _messages(_case(assertions={"tools": {"required_order": [tool]}})) == []


def test_regexes_must_compile() -> None:
    case = _case(
        assertions={
            "transcript": {
                "must_include": [{"regex": "(a"}],
                "within_turns": {"/[x/": 2, "/ok/": 1, "//": 1},
            }
        }
    )
    messages = _messages(case)
    assert len(messages) == 2
    assert "$.assertions.transcript.must_include[0].regex: invalid regex /(a/" in messages[0]
    assert "$.assertions.transcript.within_turns['/[x/']: invalid regex /[x/" in messages[1]


def test_failure_label_outside_the_taxonomy_is_a_warning() -> None:
    (diagnostic,) = lint_case(_case(source={"failure_label": "wrong_tool_argument"}), {}, "c.yaml")
    assert diagnostic.severity == "warning"
    assert diagnostic.message == (
        "failure label 'wrong_tool_argument' is not in the taxonomy "
        "(did you mean 'wrong_tool_arguments'?)"
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "text",
        42,
        {"fixture": None, "assertions": []},
        {"assertions": {"tools": {"required_order": [None, 3]}}},
        {"scenario": {"state": {"tool_registry": "update_x"}}},
    ],
)
def test_odd_shapes_never_raise(data: Any) -> None:
    lint_case(data, {}, "c.yaml")


def test_lint_is_pure() -> None:
    case = _case(fixture={"email": "maria.lopez@gmail.com"})
    before = copy.deepcopy(case)
    lint_case(case, {}, "c.yaml")
    assert case == before


def test_each_todo_comment_is_a_warning_at_its_line_and_the_node_it_annotates() -> None:
    text = (
        "owner: team  # TODO: which team?\n"
        "# TODO: decide the level\n"
        "level: manual\n"
        'note: "a # TODO inside a string is no comment"\n'
        "done: true  # not a todo\n"
    )
    locations = {"$": (1, 1), "$.owner": (1, 1), "$.level": (3, 1), "$.note": (4, 1)}
    found = [str(d) for d in todo_comments(text, "c.yaml", locations)]
    assert found == [
        "c.yaml:1:14: $.owner: warning: TODO: which team?",
        "c.yaml:2:1: $.level: warning: TODO: decide the level",
    ]
