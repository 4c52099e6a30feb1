"""JUnit XML of a gate run (via junit-xml): a testsuite per case suite, a testcase per case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from junit_xml import TestCase, TestSuite, to_xml_report_string

from gate.models import EvidencePolicy
from gate.report.case_facts import trial_split
from gate.report.evidence import assertion_lines, transcript_lines
from gate.results import BaselineReport, CaseResult, GateResult, HarnessRun, Status, TrialResult
from gate.text import clean, compact, one_line

EMPTY_SUITE = "voice-regress-gate"
MESSAGE_LIMIT = 500
EXCERPT_BEFORE = 2  # turns shown before the failing turn
EXCERPT_AFTER = 1
EXCERPT_TAIL = 6  # lines shown when the failure has no turn
EXCERPT_MAX = 16  # a chatty turn must not flood the failure body
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
ARTIFACT_KEYS = ("trace_url", "recording_url", "transcript_url")
# junit-xml 1.9 has no testcase-level <properties>, so these go to each testcase's <system-out>.
CASE_PROPERTIES = ("owner", "severity", "failure_label", "source_call_id", "level")


def render_junit(gate: GateResult) -> str:
    """The JUnit XML document; every untrusted string goes through `text.clean` first."""
    return "".join(junit_chunks(gate))


def junit_chunks(gate: GateResult) -> Iterator[str]:
    """`render_junit` a suite at a time: junit-xml builds a DOM of what it renders, and of
    thousands of cases at once that DOM was the run's peak memory. Each suite is rendered by
    junit-xml on its own and cut out of its `<testsuites>` wrapper, whose totals are summed as
    junit-xml sums them, so the bytes are the same as rendering all suites at once."""
    by_suite: dict[str, list[CaseResult]] = {}
    for result in gate.cases:
        by_suite.setdefault(result.case.case.suite, []).append(result)
    totals: dict[str, float] = {}
    pieces = []
    for name, results in by_suite.items() or [(EMPTY_SUITE, [])]:
        text = _render_suites([_suite(gate, name, results)])
        head, _, rest = text.partition("\n")  # the XML declaration
        wrapper, _, rest = rest.partition("\n")
        for key, value in _ATTRIBUTE.findall(wrapper):
            totals[key] = totals.get(key, 0) + (float(value) if key == "time" else int(value))
        pieces.append(rest.removesuffix("</testsuites>\n"))
    shown = " ".join(f'{key}="{value}"' for key, value in totals.items())
    yield f"{head}\n<testsuites {shown}>\n"
    yield from pieces
    yield "</testsuites>\n"


def _suite(gate: GateResult, name: str, results: list[CaseResult]) -> TestSuite:
    properties = {"tier": gate.selection.tier, "fail_on": gate.fail_on, "verdict": gate.verdict}
    if not results:  # no case at all: one empty suite, so the file is still a valid report
        return TestSuite(EMPTY_SUITE, [], timestamp=one_line(gate.started_at, 100))
    return TestSuite(
        one_line(name, 500),
        [_testcase(result, gate.baseline) for result in results],
        timestamp=one_line(gate.started_at, 100),
        properties={k: one_line(v, 200) for k, v in properties.items()},
    )


def _render_suites(suites: list[TestSuite]) -> str:
    # utf-8 (not the library's ASCII default) keeps non-English transcripts readable in the file.
    return str(to_xml_report_string(suites, prettyprint=True, encoding="utf-8"))


def case_properties(result: CaseResult) -> dict[str, str]:
    """The per-case facts a reader of a failure needs: who owns it, where it came from, level."""
    source = result.case.case.source
    values = {
        "owner": result.case.case.owner,
        "severity": source.severity,
        "failure_label": source.failure_label,
        "source_call_id": source.source_call_id,
        "level": result.level,
    }
    return {key: one_line(values[key], 200) for key in CASE_PROPERTIES}


def trace_properties(result: CaseResult) -> dict[str, str]:
    """Where the case came from and which agent ran, where known (none is ever made up)."""
    source = result.case.case.source
    values = {
        "incident": source.incident,
        "detected_by": source.detected_by,
        "trace_id": source.trace_id,
        "agent_ref": compact(result.case.case.agent_ref) if result.case.case.agent_ref else None,
        "agent_reported": compact(result.agent_reported) if result.agent_reported else None,
    }
    return {key: one_line(value, 300) for key, value in values.items() if value}


def _testcase(result: CaseResult, baseline: BaselineReport | None = None) -> Any:
    duration = round(sum(t.duration_s for t in result.trials), 3)
    testcase = TestCase(
        one_line(result.case.id, 500),
        classname=one_line(result.case.case.suite, 500),
        elapsed_sec=duration,
        file=one_line(result.case.file, 500),
        line=result.case.line,
        status=result.status.value,
        stdout=_system_out(result, baseline),
    )
    message = _message(result)
    if result.status is Status.FAIL:
        testcase.add_failure_info(message, _failure_body(result), "regression")
    elif result.status in (Status.ERROR, Status.INCONCLUSIVE):
        testcase.add_error_info(message, _error_body(result), result.status.value)
    elif result.status is Status.SKIPPED:
        testcase.add_skipped_info(message, _trial_lines(result) or None)
    return testcase


def _message(result: CaseResult) -> str:
    # The first failing assertion in plain words, e.g. "tools.forbidden_tools: X was called…".
    if result.status is Status.FAIL:
        trial = _first_trial(result, Status.FAIL)
        failing = [a for a in trial.assertions if a.status is Status.FAIL] if trial else []
        if failing:
            return one_line(f"{failing[0].name}: {failing[0].message}", MESSAGE_LIMIT)
    return one_line(result.reason, MESSAGE_LIMIT) or result.status.value


def _system_out(result: CaseResult, baseline: BaselineReport | None) -> str:
    lines = [f"{key}: {value}" for key, value in case_properties(result).items()]
    lines += [f"{key}: {value}" for key, value in trace_properties(result).items()]
    if baseline and result.case.id in baseline.labels:
        lines.append(f"baseline: {baseline.labels[result.case.id]}")
        changes = baseline.changes.get(result.case.id, ())
        lines += [f"baseline_change: {one_line(c, 300)}" for c in changes]
    lines.append(f"status: {result.status.value}")
    trials = _trial_lines(result)
    return "\n".join(lines) + (f"\n{trials}" if trials else "")


def _failure_body(result: CaseResult) -> str:
    trial = _first_trial(result, Status.FAIL)
    lines: list[str] = []
    if trial is not None:
        for outcome in trial.assertions:
            if outcome.status is Status.FAIL:
                lines.extend(assertion_lines(outcome))
        if trial.run is not None:
            # Centre the excerpt on the first failure that knows its turn.
            failing = (a for a in trial.assertions if a.status is Status.FAIL)
            turn = next((a.turn for a in failing if a.turn is not None), None)
            lines.extend(_run_lines(trial.run, turn, result.evidence))
    return _join(lines, _trial_lines(result))


def _error_body(result: CaseResult) -> str:
    trial = _first_trial(result, result.status)
    outcomes = [a for a in trial.assertions if a.status is result.status] if trial else []
    # The reason usually is the first outcome's line; print it alone only when no outcome says it.
    lines = [line for outcome in outcomes for line in assertion_lines(outcome)]
    lines = lines or [clean(result.reason)]
    if trial is not None:
        lines.append(f"harness calls: {trial.harness_calls}")
        if trial.run is not None:
            if trial.run.error:
                lines.append(f"harness error: {clean(trial.run.error, 1000)}")
            lines.extend(_run_lines(trial.run, None, result.evidence))
    return _join(lines, _trial_lines(result))


def _run_lines(run: HarnessRun, turn: int | None, policy: EvidencePolicy) -> list[str]:
    # The case's `assertions.evidence`, as in the evidence folder: unset flags mean retain.
    kept = [
        e
        for e in run.events
        if (e.type == "tool_call" and policy.retain_tool_trace is not False)
        or (e.type != "tool_call" and policy.retain_transcript is not False)
    ]
    lines = ["", *_excerpt(run.model_copy(update={"events": kept}), turn), ""]
    lines.append(f"run_id: {one_line(run.run_id or '-', 200)}")
    lines.append(f"trace_id: {one_line(run.trace_id or '-', 200)}")
    artifacts = run.artifacts or {}
    if policy.retain_audio is False:
        artifacts = {k: v for k, v in artifacts.items() if k != "recording_url"}
    lines.extend(
        f"{key}: {one_line(artifacts[key], 1000)}" for key in ARTIFACT_KEYS if artifacts.get(key)
    )
    return lines


def _excerpt(run: HarnessRun, turn: int | None) -> list[str]:
    if turn is None:
        lines = transcript_lines(run.events, tools=True)[-EXCERPT_TAIL:]
        return ["transcript (last lines):", *(f"  {line}" for line in lines)] if lines else []
    low, high = turn - EXCERPT_BEFORE, turn + EXCERPT_AFTER
    near = [e for e in run.events if e.turn is not None and low <= e.turn <= high]
    lines = transcript_lines(near, tools=True)
    if len(lines) > EXCERPT_MAX:
        lines = [*lines[:EXCERPT_MAX], f"… {len(lines) - EXCERPT_MAX} more lines in the evidence"]
    header = f"transcript around turn {turn}:"
    return [header, *(f"  {clean(line, 1000)}" for line in lines)] if lines else []


def _trial_lines(result: CaseResult) -> str:
    if result.trials_planned <= 1:
        return ""
    lines = [trial_split(result)]
    lines.extend(
        f"  trial {t.trial}: {t.status.value}: {one_line(t.reason, MESSAGE_LIMIT)}"
        for t in result.trials
    )
    return "\n".join(lines)


def _first_trial(result: CaseResult, status: Status) -> TrialResult | None:
    return next((t for t in result.trials if t.status is status), None)


def _join(lines: list[str], trials: str) -> str:
    text = "\n".join(lines).strip("\n")
    return f"{text}\n\n{trials}" if trials else text
