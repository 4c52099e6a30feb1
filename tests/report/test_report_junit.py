"""JUnit XML via junit-xml; goldens in tests/golden/junit (`pytest --update-golden` rewrites them).

Golden files are exact expected outputs of the fixtures in tests/report_fixtures.py (every volatile
value, timestamps, durations, version, is fixed there). After an intended output change, rewrite
them with `pytest tests/report tests/records --update-golden` and review the git diff.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from support.report_fixtures import (
    GATES,
    HOSTILE,
    STARTED,
    assert_golden,
    fail_case,
    hostile_case,
    selection,
)

from gate.report import junit
from gate.report.junit import render_junit
from gate.results import AssertionOutcome, GateResult, Status


@pytest.mark.parametrize("name", sorted(GATES))
def test_junit_golden(name: str) -> None:
    assert_golden(f"junit/{name}.xml", render_junit(GATES[name]()))


def _root(gate: GateResult) -> ET.Element:
    return ET.fromstring(render_junit(gate).encode("utf-8"))


def test_counts_match_states() -> None:
    root = _root(GATES["mixed"]())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "2", "2")
    assert len(root.findall(".//testcase/failure")) == 2
    assert len(root.findall(".//testcase/error")) == 2  # error + inconclusive
    assert len(root.findall(".//testcase/skipped")) == 1
    suites = {s.get("name"): s.get("tests") for s in root.findall("testsuite")}
    assert suites == {"failed_call_regression": "4", "billing": "1", "safety": "2"}


def test_failure_message_body_and_metadata() -> None:
    root = _root(GATES["mixed"]())
    case = root.find(".//testcase[@name='scheduling/duplicate-booking']")
    assert case is not None
    assert case.get("classname") == "failed_call_regression"
    assert case.get("file") == "cases/scheduling/duplicate-booking.yaml"
    assert case.get("line") == "1"
    failure = case.find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message") == (
        "tools.forbidden_tools: create_new_appointment was called at turn 2 (call c3)"
    )
    body = failure.text
    assert "side_effects.calendar: calendar has a create write" in body
    assert "transcript around turn 2:" in body and "[t2] agent: I created a new" in body
    assert "[t4]" not in body  # the excerpt is a window, not the whole call
    assert "trace_url: https://traces.example.test/4bf92f3577b34da6" in body
    out = case.findtext("system-out") or ""
    assert "owner: scheduling-eng" in out and "source_call_id: call_2026_05_29_1842" in out


def test_error_and_inconclusive_messages() -> None:
    root = _root(GATES["mixed"]())
    error = root.find(".//testcase[@name='billing/refund-lookup']/error")
    assert error is not None and error.get("type") == "error"
    assert "HTTP 503 after 3 attempts" in (error.get("message") or "")
    assert "harness calls: 3" in (error.text or "")
    inconclusive = root.find(".//testcase[@name='safety/no-account-readback']/error")
    assert inconclusive is not None and inconclusive.get("type") == "inconclusive"
    assert "vote 2:" in (inconclusive.text or "")


def test_multi_trial_split_in_system_out() -> None:
    root = _root(GATES["mixed"]())
    out = root.findtext(".//testcase[@name='scheduling/slot-offer']/system-out") or ""
    assert "2/3 trials passed" in out
    assert "trial 2: fail: tools.forbidden_tools: create_new_appointment was called" in out


def test_hostile_text_is_escaped_not_injected() -> None:
    case = hostile_case()
    gate = GateResult("fail", HOSTILE, (case,), selection((case,)), "blocking", STARTED, STARTED)
    xml = render_junit(gate)
    root = ET.fromstring(xml.encode("utf-8"))
    assert len(root.findall(".//failure")) == 1  # the `</failure>` in the text did not close it
    failure = root.find(".//failure")
    assert failure is not None
    text = (failure.text or "") + (failure.get("message") or "")
    assert "]]>" in text and "</failure><x a='1'>" in text and "&amp;" in text
    for bad in ("\x00", "\x1b", "\x07", "\x9b", "\ud800"):
        assert bad not in xml
    assert root.find(".//x") is None


def test_empty_run_is_valid_xml() -> None:
    root = _root(GATES["empty"]())
    assert root.get("tests") == "0"
    assert [s.get("name") for s in root.findall("testsuite")] == ["voice-regress-gate"]


def test_excerpt_centres_on_first_failure_with_a_turn() -> None:
    case = fail_case()
    no_turn = AssertionOutcome("tools.required_order", Status.FAIL, "update_appointment missing")
    trial = dataclasses.replace(case.trials[0], assertions=(no_turn, *case.trials[0].assertions))
    case = dataclasses.replace(case, trials=(trial,))
    gate = dataclasses.replace(GATES["passing"](), cases=(case,))
    failure = _root(gate).find(".//failure")
    assert failure is not None
    assert failure.get("message") == "tools.required_order: update_appointment missing"
    assert "transcript around turn 2:" in (failure.text or "")


@pytest.mark.parametrize("name", sorted(GATES))
def test_a_suite_at_a_time_is_the_one_document(name: str) -> None:
    gate = GATES[name]()
    groups: dict[str, list[Any]] = {}
    for result in gate.cases:
        groups.setdefault(result.case.case.suite, []).append(result)
    suites = [junit._suite(gate, n, r) for n, r in groups.items()] or [junit._suite(gate, "", [])]
    assert "".join(junit.junit_chunks(gate)) == junit._render_suites(suites)
