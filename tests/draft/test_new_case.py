"""`new-case`: a packet becomes a sanitized draft that validates, runs, and catches its bug."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gate.cli import main
from gate.draft.build import draft_case
from gate.draft.promotion import propose

REPO = Path(__file__).resolve().parents[2]
PACKET = REPO / "examples" / "evidence" / "duplicate-booking.json"
# Every piece of caller data in the example packet: none may survive anywhere.
ORIGINALS = [
    "Maria",
    "Lopez",
    "312-846-2291",
    "maria.lopez",
    "gmail.com",
    "1842 Maple",
    "cust_48213",
    "apt_90172",
    "apt_90555",
    "James",
    "O'Neil",
    "8840021",
    "A-55310",
    "392-0187",
]


def cli(*argv: str, environ: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), dict(environ or {}), out, err)
    return code, out.getvalue(), err.getvalue()


def packet() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PACKET.read_text("utf-8"))
    return data


def drafted(tmp_path: Path, *extra: str) -> tuple[Path, str, str]:
    code, out, err = cli("new-case", "--from-evidence", str(PACKET), "--out", str(tmp_path), *extra)
    assert code == 0, err
    return tmp_path / "call_2026_06_01_0931.yaml", out, err


@pytest.mark.parametrize(
    ("packet_name", "bug", "caught_by"),
    [
        ("duplicate-booking.json", "duplicate-booking", "create_new_appointment"),
        ("wrong-slot.yaml", "wrong-slot", "tools.arguments"),
    ],
)
def test_each_example_draft_fails_on_its_planted_bug_and_passes_without_it(
    packet_name: str, bug: str, caught_by: str, tmp_path: Path
) -> None:
    path = REPO / "examples" / "evidence" / packet_name
    code, _, err = cli("new-case", "--from-evidence", str(path), "--out", str(tmp_path))
    assert code == 0, err
    run = ("run", "--cases", str(tmp_path), "--tier", "all", "--fail-on", "any")
    code, out, _ = cli(*run, "--harness-url", "builtin")
    assert code == 0, out
    code, out, _ = cli(*run, "--harness-url", f"builtin:{bug}")
    assert code == 1
    assert caught_by in out


@pytest.mark.parametrize("packet_name", ["duplicate-booking.json", "wrong-slot.yaml"])
def test_no_original_caller_data_in_the_draft_the_console_or_any_file(
    packet_name: str, tmp_path: Path
) -> None:
    path = REPO / "examples" / "evidence" / packet_name
    code, out, err = cli("new-case", "--from-evidence", str(path), "--out", str(tmp_path))
    assert code == 0, err
    written = "".join(p.read_text("utf-8") for p in tmp_path.iterdir())
    assert {p.suffix for p in tmp_path.iterdir()} == {".yaml", ".json"}
    for original in ORIGINALS:
        for where, text in (("files", written), ("stdout", out), ("stderr", err)):
            assert original.lower() not in text.lower(), f"{original!r} in {where}"


def test_the_manifest_lists_kind_and_location_and_the_same_value_gets_the_same_token(
    tmp_path: Path,
) -> None:
    case, out, _ = drafted(tmp_path)
    manifest = json.loads((tmp_path / "call_2026_06_01_0931.redactions.json").read_text("utf-8"))
    entries = manifest["redactions"]
    kinds = {e["kind"] for e in entries}
    assert {"id", "name", "phone", "email", "address"} <= kinds
    by_place = {e["location"]: e["token"] for e in entries}
    # cust_48213 in the state, in three calls' arguments and in a side effect: one token
    caller = by_place["$.state_before.caller_id"]
    assert by_place["$.tool_trace[0].arguments.caller_id"] == caller
    assert by_place["$.tool_trace[4].arguments.caller_id"] == caller
    assert by_place["$.side_effects[1].entity"] == caller
    assert set(entries[0]) == {"kind", "location", "token"}
    assert "replaced" in out and "manifest" in out


def test_the_draft_has_the_seed_shape_and_guards_each_fault() -> None:
    draft = draft_case(packet())
    case = draft.case
    assert case["fixture"]["caller_id"] == "caller_fixture_1"
    assert case["fixture"]["appointment_id"] == "appointment_fixture_1"
    assert case["fixture"]["side_effect_mode"] == "sandbox"
    assert case["fixture"]["existing_state"]["appointment_status"] == "confirmed"
    tools = case["assertions"]["tools"]
    assert tools["required_order"] == [
        "lookup_identity",
        "list_appointments",
        "list_available_slots",
    ]
    assert tools["forbidden_tools"] == ["create_new_appointment"]
    assert case["assertions"]["side_effects"] == {"calendar": {"duplicate_events_allowed": False}}
    assert case["assertions"]["transcript"] == {"must_not_include": ["I created a new appointment"]}
    assert case["promotion"]["level"] == "manual"
    assert draft.proposal.level == "blocking"
    # the caller's turns before the failure, not the agent's, not what came after
    assert len(case["scenario"]["turns"]) == 2


def test_last_turns_keeps_the_last_caller_turns_before_the_failure() -> None:
    turns = draft_case(packet(), last_turns=1).case["scenario"]["turns"]
    assert turns == ["Could you move my appointment to Tuesday morning?"]


def test_a_wrong_argument_becomes_an_arguments_check_with_a_todo_naming_the_observed_value() -> (
    None
):
    data = packet()
    data["failure_label"] = "wrong_tool_arguments"
    data["tool_trace"][3]["name"] = "update_appointment"
    data["tool_trace"][3]["arguments"] = {
        "appointment_id": "apt_90172",
        "new_start_time": "2026-06-09T15:00:00-05:00",
    }
    draft = draft_case(data)
    check = draft.case["assertions"]["tools"]["arguments"]["update_appointment"]
    assert check["appointment_id"] == "appointment_fixture_1"
    assert check["new_start_time"] == {"regex": r"^(?!2026\-06\-09T15:00:00\-05:00$)"}
    todo = [t for p, t in draft.comments if p.endswith("update_appointment")]
    assert todo and todo[0].startswith("TODO:") and "2026-06-09T15:00:00-05:00" in todo[0]
    data["tool_trace"][3]["expected_arguments"] = {"new_start_time": "2026-06-09T08:30:00-05:00"}
    check = draft_case(data).case["assertions"]["tools"]["arguments"]["update_appointment"]
    assert check == {"new_start_time": "2026-06-09T08:30:00-05:00"}


@pytest.mark.parametrize(
    ("label", "severity", "level"),
    [
        ("wrong_tool", "high", "blocking"),
        ("tool_selection", "medium", "scheduled"),
        ("wrong_tool_arguments", "critical", "blocking"),
        ("safety_policy", "low", "blocking"),
        ("side_effect", "medium", "blocking"),
        ("latency_interruption", "high", "scheduled"),
        ("caller_confused", "high", "manual"),
    ],
)
def test_promotion_follows_the_seed_decision_table(label: str, severity: str, level: str) -> None:
    assert propose(label, severity).level == level


def test_validate_warns_about_each_todo_with_path_and_line(tmp_path: Path) -> None:
    case, _, _ = drafted(tmp_path)
    code, out, err = cli("validate", str(case))
    assert code == 0 and "1 case(s) in 1 file(s) are valid" in out
    todos = [line for line in err.splitlines() if ": warning: TODO: " in line]
    lines = case.read_text("utf-8").splitlines()
    expected = [n for n, text in enumerate(lines, 1) if text.lstrip().startswith("# TODO")]
    assert [int(line.split(":")[1]) for line in todos] == expected
    assert all(line.startswith(f"{case}:") for line in todos)


def test_a_bad_packet_is_exit_2_with_path_line_and_json_path(tmp_path: Path) -> None:
    bad = packet()
    bad["severity"] = "urgent"
    del bad["owner"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, indent=1), "utf-8")
    code, out, err = cli("new-case", "--from-evidence", str(path), "--out", str(tmp_path))
    assert code == 2 and out == ""
    assert f"{path}:1:1: $: missing required key 'owner'" in err
    assert f"{path}:" in err and "$.severity:" in err
    assert list(tmp_path.iterdir()) == [path]  # nothing written


def test_an_existing_draft_is_never_overwritten(tmp_path: Path) -> None:
    drafted(tmp_path)
    code, _, err = cli("new-case", "--from-evidence", str(PACKET), "--out", str(tmp_path))
    assert code == 2 and "exists" in err


def test_a_reworded_report_of_the_same_failure_is_a_near_duplicate(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    drafted(cases)
    again = packet()
    again["source_call_id"] = "call_2026_06_04_1120"
    again["state_before"]["caller_id"] = "cust_77001"  # another caller, other ids
    again["state_before"]["appointment_id"] = "apt_11111"
    for call in again["tool_trace"]:
        call["arguments"] = {
            k: {"cust_48213": "cust_77001", "apt_90172": "apt_11111"}.get(v, v)
            for k, v in call["arguments"].items()
        }
    again["transcript"][3]["text"] = "Can I reschedule my booking for Tuesday in the morning?"
    path = tmp_path / "again.json"
    path.write_text(json.dumps(again), "utf-8")
    code, _, err = cli("new-case", "--from-evidence", str(path), "--out", str(cases))
    assert code == 0
    assert "near-duplicate of call_2026_06_01_0931 (same failure_label wrong_tool" in err


@pytest.mark.parametrize(
    ("example", "bug"),
    [
        ("scheduling/change-uses-update", "duplicate-booking"),  # a forbidden tool was called
        ("scheduling/reschedule-arguments-friday", "wrong-slot"),  # wrong arguments, expected known
    ],
)
def test_from_results_drafts_a_case_that_catches_the_recorded_failure(
    example: str, bug: str, tmp_path: Path
) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(REPO / "examples" / "cases" / f"{example}.yaml", cases)
    results = tmp_path / "results.json"
    run = ("run", "--tier", "all", "--fail-on", "any")
    code, _, _ = cli(*run, "--harness-url", f"builtin:{bug}", "--cases", str(cases),
                     "--results", str(results))  # fmt: skip
    assert code == 1
    drafts = tmp_path / "drafts"
    case_id = example.split("/")[1]
    code, _, err = cli(
        "new-case", "--from-results", str(results), "--case", case_id, "--out", str(drafts)
    )
    assert code == 0, err
    (draft,) = drafts.glob("*.yaml")
    assert cli(*run, "--harness-url", "builtin", "--cases", str(draft))[0] == 0
    assert cli(*run, "--harness-url", f"builtin:{bug}", "--cases", str(draft))[0] == 1


def test_from_results_needs_a_case_that_did_not_pass(tmp_path: Path) -> None:
    code, _, err = cli("new-case", "--from-results", str(tmp_path / "none.json"))
    assert code == 2 and "--case" in err
