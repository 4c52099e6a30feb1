"""`new-case` end to end: a packet or a recorded run becomes a sanitized draft that validates,
runs, and catches its bug; no caller data anywhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support.cli import cli

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


def test_from_results_says_when_the_case_file_does_not_load_from_here(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(REPO / "examples" / "cases" / "scheduling" / "change-uses-update.yaml", cases)
    results = tmp_path / "results.json"
    code, _, _ = cli("run", "--tier", "all", "--harness-url", "builtin:duplicate-booking",
                     "--cases", str(cases), "--results", str(results))  # fmt: skip
    assert code == 1
    args = ("new-case", "--from-results", str(results), "--case", "change-uses-update")
    code, _, err = cli(*args, "--out", str(tmp_path / "a"))
    assert code == 0 and "does not load from here" not in err  # the file is where it was
    (cases / "change-uses-update.yaml").unlink()
    code, _, err = cli(*args, "--out", str(tmp_path / "b"))
    assert code == 0, err
    assert "change-uses-update.yaml does not load from here: the draft is made from the run" in err


def test_from_results_needs_a_case_that_did_not_pass(tmp_path: Path) -> None:
    code, _, err = cli("new-case", "--from-results", str(tmp_path / "none.json"))
    assert code == 2 and "--case" in err


def test_bad_input_is_exit_2_never_a_traceback(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x", "utf-8")
    code, _, err = cli("new-case", "--from-evidence", str(PACKET), "--out", str(not_a_folder))
    assert code == 2 and "not a directory" in err
    code, _, err = cli("new-case", "--from-evidence", str(tmp_path / "missing.json"))
    assert code == 2 and "no such evidence packet" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("source_call_id: [unclosed\n", "utf-8")
    code, _, err = cli("new-case", "--from-evidence", str(broken))
    assert code == 2 and f"{broken}:" in err
    code, _, err = cli("new-case", "--from-evidence", str(PACKET), "--from-results", "r.json")
    assert code == 2 and "not allowed with" in err
