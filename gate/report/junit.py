"""JUnit XML of a gate run: a testsuite per case suite, a testcase per case.

Written with the standard library's ElementTree (junit-xml, used before, has had no release since
2020, cannot write testcase `<properties>` and writes a `disabled` attribute that strict schemas
reject). Elements are built, never strings spliced: every untrusted string goes through
`text.clean` and ElementTree escapes it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

from gate.evaluate.verdicts import NOT_NEW
from gate.models import EvidencePolicy
from gate.report.case_facts import first_failing_outcome, relative_path, trial_split
from gate.report.evidence import assertion_lines, transcript_lines
from gate.results import (
    NOT_PASSING,
    BaselineReport,
    CaseResult,
    GateResult,
    HarnessRun,
    Status,
    TrialResult,
)
from gate.text import clean, compact, one_line

EMPTY_SUITE = "voice-regress-gate"
MESSAGE_LIMIT = 500
EXCERPT_BEFORE = 2  # turns shown before the failing turn
EXCERPT_AFTER = 1
EXCERPT_TAIL = 6  # lines shown when the failure has no turn
EXCERPT_MAX = 16  # a chatty turn must not flood the failure body
ARTIFACT_KEYS = ("trace_url", "recording_url", "transcript_url")
# Always in each testcase's <system-out>; also as testcase <properties> with `properties=True`.
CASE_PROPERTIES = ("owner", "severity", "failure_label", "source_call_id", "level")
NON_BLOCKING = ("as-is", "skipped")
# The root's totals; no `skipped`: strict schemas refuse it there and consumers sum the suites'.
ROOT_COUNTS = ("tests", "failures", "errors")


@dataclass(frozen=True)
class JunitOptions:
    """How the file is written for its consumers (`--junit-non-blocking`, `--junit-properties`).

    `non_blocking="skipped"` writes a case that does not pass but does not block the merge as
    skipped, so a JUnit reporter that fails the job on any failure agrees with the gate.
    `properties` adds testcase `<properties>` (junit2html shows them; Jenkins' strict XSD rejects
    them). `root` and `cwd` make `file` relative to the repository root, as annotations are.
    """

    non_blocking: str = "as-is"
    properties: bool = False
    root: str | None = None
    cwd: str | None = None


def render_junit(gate: GateResult, options: JunitOptions | None = None) -> str:
    """The JUnit XML document; every untrusted string goes through `text.clean` first."""
    return "".join(junit_chunks(gate, options))


def junit_chunks(gate: GateResult, options: JunitOptions | None = None) -> Iterator[str]:
    """`render_junit` a suite at a time: only one suite's elements exist at once (of thousands
    of cases, a whole-document tree was the run's peak memory); the root's totals are summed
    from the suites, so the text is the same as the whole document."""
    options = options or JunitOptions()
    by_suite: dict[str, list[CaseResult]] = {}
    for result in gate.cases:
        by_suite.setdefault(result.case.case.suite, []).append(result)
    counts = dict.fromkeys(ROOT_COUNTS, 0)
    seconds = 0.0
    pieces = []
    for name, results in by_suite.items() or [(EMPTY_SUITE, [])]:
        suite = _suite(gate, name, results, options)
        for key in ROOT_COUNTS:
            counts[key] += int(suite.get(key, "0"))
        seconds += sum(float(case.get("time", "0")) for case in suite.iter("testcase"))
        ET.indent(suite, space="\t", level=1)
        pieces.append(f"\t{ET.tostring(suite, encoding='unicode')}\n")
    shown = " ".join(f'{key}="{value}"' for key, value in counts.items())
    yield '<?xml version="1.0" encoding="utf-8"?>\n'
    yield f'<testsuites name="voice-regress-gate" {shown} time="{_seconds(seconds)}">\n'
    yield from pieces
    yield "</testsuites>\n"


def suite_name(gate: GateResult, name: str) -> str:
    """The suite's name, with ` [shard I/N]` when the run is one shard of several, so a JUnit
    merger keeps the shards' suites apart instead of fusing contradictory properties."""
    shard = gate.selection.shard
    suffix = f" [shard {shard.index}/{shard.total}]" if shard and shard.total > 1 else ""
    return one_line(name, 500) + suffix


def _suite(
    gate: GateResult, name: str, results: list[CaseResult], options: JunitOptions
) -> ET.Element:
    cases = [_testcase(gate, result, options) for result in results]
    suite = ET.Element(
        "testsuite",
        {
            "name": suite_name(gate, name if results else EMPTY_SUITE),
            "tests": str(len(cases)),
            "failures": str(sum(c.find("failure") is not None for c in cases)),
            "errors": str(sum(c.find("error") is not None for c in cases)),
            "skipped": str(sum(c.find("skipped") is not None for c in cases)),
            "time": _seconds(sum(float(c.get("time", "0")) for c in cases)),
            "timestamp": one_line(gate.started_at, 100),
        },
    )
    if results:
        properties = {"tier": gate.selection.tier, "fail_on": gate.fail_on}
        properties["verdict"] = gate.verdict
        _properties(suite, {k: one_line(v, 200) for k, v in properties.items()})
    suite.extend(cases)
    return suite


def _properties(parent: ET.Element, values: dict[str, str]) -> None:
    block = ET.SubElement(parent, "properties")
    for key, value in values.items():
        ET.SubElement(block, "property", {"name": key, "value": value})


def _seconds(value: float) -> str:
    """A time as consumers read it: 3 decimals, never `6.102000000000001`."""
    return f"{round(value, 3):.3f}"


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


def _testcase(gate: GateResult, result: CaseResult, options: JunitOptions) -> ET.Element:
    case = result.case
    line = case.line
    if result.status in NOT_PASSING:  # where the gate's own annotation points
        outcome = first_failing_outcome(result)
        line = case.line_of(f"$.assertions.{outcome.name}") if outcome else case.line
    testcase = ET.Element(
        "testcase",
        {
            "name": one_line(case.id, 500),
            "classname": one_line(case.case.suite, 500),
            "file": one_line(relative_path(case.file, options.root, options.cwd), 500),
            "line": str(line),
            "time": _seconds(sum(t.duration_s for t in result.trials)),
            "status": result.status.value,
        },
    )
    baseline = gate.baseline
    label = baseline.labels.get(case.id) if baseline else None
    if options.properties:
        values = case_properties(result)
        if label:
            values["baseline"] = one_line(label, 200)
        _properties(testcase, values)
    message = _message(result)
    why = _not_blocking(gate, result, label) if options.non_blocking == "skipped" else None
    if why is not None:
        body = _failure_body(result) if result.status is Status.FAIL else _error_body(result)
        _child(testcase, "skipped", f"{result.status.value}, not blocking ({why}): {message}", body)
    elif result.status is Status.FAIL:
        _child(testcase, "failure", message, _failure_body(result), "regression")
    elif result.status in (Status.ERROR, Status.INCONCLUSIVE):
        _child(testcase, "error", message, _error_body(result), result.status.value)
    elif result.status is Status.SKIPPED:
        _child(testcase, "skipped", message, _trial_lines(result))
    ET.SubElement(testcase, "system-out").text = _system_out(result, baseline)
    return testcase


def _child(parent: ET.Element, tag: str, message: str, body: str, kind: str = "") -> None:
    attributes = {"type": kind, "message": one_line(message, MESSAGE_LIMIT)}
    element = ET.SubElement(parent, tag, {k: v for k, v in attributes.items() if v})
    element.text = body or None


def _not_blocking(gate: GateResult, result: CaseResult, label: str | None) -> str | None:
    """Why a case that does not pass leaves the merge unblocked; None when it blocks or passed."""
    if result.status not in NOT_PASSING or result.case.id in gate.blocking_failures:
        return None
    if gate.fail_on == "never":
        return "--fail-on never"
    if gate.fail_on == "new" and label in NOT_NEW:
        return f"{label} on the base branch, --fail-on new"
    return f"level {result.level}, --fail-on {gate.fail_on}"


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
