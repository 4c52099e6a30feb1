"""JUnit XML (ElementTree); goldens in tests/golden/junit (`pytest --update-golden` rewrites them).

Golden files are exact expected outputs of the fixtures in tests/report_fixtures.py (every volatile
value, timestamps, durations, version, is fixed there). After an intended output change, rewrite
them with `pytest tests/report tests/records --update-golden` and review the git diff.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import junit2htmlreport.parser as junit2html
import junitparser
import pytest
import xmlschema
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
from gate.report.case_facts import first_failing_outcome
from gate.report.junit import JunitOptions, render_junit
from gate.results import (
    NOT_PASSING,
    AssertionOutcome,
    BaselineReport,
    GateResult,
    ShardInfo,
    Status,
)


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
    streamed = "".join(junit.junit_chunks(gate))
    assert streamed == render_junit(gate)
    root = ET.fromstring(streamed.encode("utf-8"))
    suites = root.findall("testsuite")
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key, "")) == sum(int(s.get(key, "")) for s in suites)
    assert root.get("skipped") is None  # strict schemas refuse it on the root
    seconds = sum(float(c.get("time", "")) for c in root.iter("testcase"))
    assert root.get("time") == f"{round(seconds, 3):.3f}"


def _gate_counts(gate: GateResult, non_blocking: str = "as-is") -> dict[str, int]:
    """What the gate says, in JUnit's counts."""

    def kind(result: Any) -> str:
        if result.status is Status.PASS:
            return "pass"
        if non_blocking == "skipped" and result.status in NOT_PASSING:
            if result.case.id not in gate.blocking_failures:
                return "skipped"
        return {"fail": "failures", "skipped": "skipped"}.get(result.status.value, "errors")

    kinds = [kind(r) for r in gate.cases]
    counts = {k: kinds.count(k) for k in ("failures", "errors", "skipped")}
    return {"tests": len(kinds), **counts}


@pytest.mark.parametrize("non_blocking", junit.NON_BLOCKING)
@pytest.mark.parametrize("name", sorted(GATES))
def test_junitparser_counts_agree_with_the_gate(
    name: str, non_blocking: str, tmp_path: Path
) -> None:
    gate = GATES[name]()
    path = tmp_path / "junit.xml"
    path.write_text(render_junit(gate, JunitOptions(non_blocking=non_blocking)), "utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    want = _gate_counts(gate, non_blocking)
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == tuple(want.values())
    cases = [case for suite in xml for case in suite]
    assert len(cases) == len(gate.cases)
    for case in cases:
        for result in case.result:
            assert isinstance(result, junitparser.Failure | junitparser.Error | junitparser.Skipped)


def test_non_blocking_failure_is_skipped_with_why() -> None:
    gate = GATES["mixed"]()
    root = ET.fromstring(render_junit(gate, JunitOptions(non_blocking="skipped")).encode())
    case = root.find(".//testcase[@name='scheduling/hostile-transcript']")
    assert case is not None and case.find("failure") is None
    skipped = case.find("skipped")
    assert skipped is not None
    message = skipped.get("message") or ""
    assert message.startswith("fail, not blocking (level scheduled, --fail-on blocking): ")
    assert "transcript.must_not_include" in message and "transcript around turn 2" in (
        skipped.text or ""
    )
    assert case.get("status") == "fail"  # the case's own state is kept
    # blocking failures stay failures; a real skip stays a skip
    assert root.find(".//testcase[@name='scheduling/duplicate-booking']/failure") is not None
    assert (root.get("failures"), root.get("errors")) == ("1", "2")
    assert sum(int(s.get("skipped", "")) for s in root.iter("testsuite")) == 2


def test_fail_on_new_names_the_baseline_label() -> None:
    gate = dataclasses.replace(
        GATES["mixed"](),
        fail_on="new",
        blocking_failures=("billing/refund-lookup",),
        baseline=BaselineReport("base.json", {"scheduling/duplicate-booking": "pre-existing"}),
    )
    root = ET.fromstring(render_junit(gate, JunitOptions(non_blocking="skipped")).encode())
    skipped = root.find(".//testcase[@name='scheduling/duplicate-booking']/skipped")
    assert skipped is not None
    assert "(pre-existing on the base branch, --fail-on new)" in (skipped.get("message") or "")


def test_line_is_the_failing_assertion_for_failures_and_errors() -> None:
    gate = GATES["mixed"]()
    located = {"$.assertions.tools.forbidden_tools": (14, 5), "$.assertions": (9, 1)}
    cases = tuple(
        dataclasses.replace(r, case=dataclasses.replace(r.case, line=3, locations=located))
        for r in gate.cases
    )
    root = ET.fromstring(render_junit(dataclasses.replace(gate, cases=cases)).encode())
    lines = {c.get("name"): c.get("line") for c in root.iter("testcase")}
    assert lines["scheduling/duplicate-booking"] == "14"  # tools.forbidden_tools failed
    assert lines["scheduling/reschedule-wednesday"] == "3"  # passed: the case's first line
    assert lines["scheduling/slot-offer"] == "3"  # a flaky pass is a pass
    for result in cases:
        case = result.case
        if result.status in NOT_PASSING:
            outcome = first_failing_outcome(result)
            want = case.line_of(f"$.assertions.{outcome.name}") if outcome else case.line
            assert lines[case.id] == str(want)


def test_times_are_rounded_sums() -> None:
    gate = GATES["passing"]()
    trial = gate.cases[0].trials[0]
    cases = tuple(
        dataclasses.replace(r, trials=(dataclasses.replace(trial, duration_s=d),))
        for r, d in zip(gate.cases, (0.1, 6.002000000000001), strict=True)
    )
    root = ET.fromstring(render_junit(dataclasses.replace(gate, cases=cases)).encode())
    assert [c.get("time") for c in root.iter("testcase")] == ["0.100", "6.002"]
    assert root.get("time") == "6.102"
    assert [s.get("time") for s in root.findall("testsuite")] == ["6.102"]


def test_file_is_relative_to_the_repository_root() -> None:
    gate = GATES["passing"]()
    options = JunitOptions(root="/repo", cwd="/repo/service")
    root = ET.fromstring(render_junit(gate, options).encode())
    files = [c.get("file") for c in root.iter("testcase")]
    assert files == [f"service/{r.case.file}" for r in gate.cases]
    outside = JunitOptions(root="/elsewhere", cwd="/repo")  # not inside: kept as given
    root = ET.fromstring(render_junit(gate, outside).encode())
    assert [c.get("file") for c in root.iter("testcase")] == [r.case.file for r in gate.cases]


def test_shard_suites_have_their_own_names() -> None:
    gate = GATES["mixed"]()
    shard = ShardInfo(2, 3, gate.selection.selected, "", 7, "cases")
    sharded = dataclasses.replace(gate, selection=dataclasses.replace(gate.selection, shard=shard))
    names = [s.get("name") for s in _root(sharded).findall("testsuite")]
    assert names == [f"{n} [shard 2/3]" for n in ("failed_call_regression", "billing", "safety")]
    one = dataclasses.replace(shard, index=1, total=1)
    single = dataclasses.replace(gate, selection=dataclasses.replace(gate.selection, shard=one))
    assert "shard" not in render_junit(single).split("<testcase")[0]


def test_testcase_properties_only_when_asked() -> None:
    gate = dataclasses.replace(
        GATES["mixed"](),
        baseline=BaselineReport("base.json", {"scheduling/duplicate-booking": "new"}),
    )
    plain = render_junit(gate)
    assert "disabled" not in plain
    assert ET.fromstring(plain.encode()).find(".//testcase/properties") is None
    root = ET.fromstring(render_junit(gate, JunitOptions(properties=True)).encode())
    case = root.find(".//testcase[@name='scheduling/duplicate-booking']")
    assert case is not None
    values = {p.get("name"): p.get("value") for p in case.iterfind("properties/property")}
    assert values == {
        "owner": "scheduling-eng",
        "severity": "high",
        "failure_label": "wrong_tool",
        "source_call_id": "call_2026_05_29_1842",
        "level": "blocking",
        "baseline": "new",
    }
    assert "owner: scheduling-eng" in (case.findtext("system-out") or "")  # kept there too


@pytest.mark.parametrize("non_blocking", junit.NON_BLOCKING)
@pytest.mark.parametrize("name", sorted(GATES))
def test_junit2html_reads_what_the_gate_decided(name: str, non_blocking: str) -> None:
    """junit2html's parser (a second consumer): outcomes per case and testcase properties."""
    gate = GATES[name]()
    xml = render_junit(gate, JunitOptions(non_blocking=non_blocking, properties=True))
    report = junit2html.Junit(xmlstring=xml)
    cases = [case for suite in report for case in suite.all()]
    assert len(cases) == len(gate.cases)
    want = _gate_counts(gate, non_blocking)
    failed = sum(case.failed() and not case.skipped for case in cases)
    assert failed == want["failures"] + want["errors"]
    assert sum(bool(case.skipped) for case in cases) == want["skipped"]
    for case in cases:
        values = {p.name: p.value for p in case.properties}
        assert values.keys() >= {"owner", "severity", "failure_label", "source_call_id", "level"}


STRICT_XSD = Path(__file__).resolve().parents[1] / "data" / "junit" / "jenkins-strict.xsd"
# What a strict Jenkins-style schema refuses and the file keeps on purpose: `file` and `line`
# place annotations in the GitHub reporters, `status` is the case's own state (a non-blocking
# failure written as skipped still says `fail`).
OUTSIDE_STRICT = {"file", "line", "status"}


@pytest.mark.parametrize("properties", [False, True])
@pytest.mark.parametrize("name", sorted(GATES))
def test_strict_schema_refuses_only_what_is_kept_on_purpose(name: str, properties: bool) -> None:
    schema = xmlschema.XMLSchema(STRICT_XSD)
    options = JunitOptions(non_blocking="skipped", properties=properties)
    xml = render_junit(GATES[name](), options)
    refused = set()
    for error in schema.iter_errors(xml):
        reason, path = error.reason or "", error.path or ""
        attribute = re.fullmatch(r"'(\w+)' attribute not allowed for element", reason)
        assert re.search(r"/testcase(\[\d+\])?$", path), f"{path}: {reason}"
        if attribute:
            refused.add(attribute.group(1))
        else:
            assert "Unexpected child with tag 'properties'" in reason, f"{path}: {reason}"
            refused.add("<properties>")
    stripped = ET.fromstring(xml.encode("utf-8"))
    for case in stripped.iter("testcase"):
        for key in OUTSIDE_STRICT:
            case.attrib.pop(key, None)
        for block in case.findall("properties"):
            case.remove(block)
    assert schema.is_valid(ET.tostring(stripped, encoding="unicode"))
    if GATES[name]().cases:
        assert refused == OUTSIDE_STRICT | ({"<properties>"} if properties else set())
