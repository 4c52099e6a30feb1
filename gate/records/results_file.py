"""The versioned results file (`--results`): input of `merge`, baselines and history."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from gate.errors import InputError
from gate.results import (
    AssertionOutcome,
    CaseResult,
    GateResult,
    HarnessRun,
    Selection,
    ShardInfo,
    Status,
    TrialResult,
)
from gate.select.selection import selection_dict
from gate.text import clean, json_safe

RUN_EVENT_TYPES = ("message", "handoff", "tool_call")  # what a shard keeps of a run
RECORDED_RUN_LIMIT = 1_000_000  # characters of one recorded run (`record_runs`)
SCHEMA = "voice-regress-results/v1"
SCHEMA_PREFIX = "voice-regress-results/"
REQUIRED_KEYS = ("schema", "verdict", "selection", "cases")


def results_dict(
    gate: GateResult, gate_version: str, *, record_runs: bool = False
) -> dict[str, Any]:
    """The results file as plain JSON data (schema `voice-regress-results/v1`).

    Shape (every key always present unless marked `?`; strings are cleaned of control and
    escape characters)::

        {"schema": "voice-regress-results/v1", "gate_version": str,
         "started_at": str, "finished_at": str,           # ISO-8601, as the run recorded them
         "verdict": "pass" | "fail", "verdict_reason": str, "fail_on": str,
         "harness_calls": int,                             # HTTP requests, retries included
         "counts": {"pass", "fail", "error", "inconclusive", "skipped", "total": int},
         "selection": {"tier": str, "reasons": {case_id: trigger reason},
                       "selected": [case_id], "deferred": [{"id", "why"}],
                       "considered": int, "changed_paths": [str] | null, "note": str,
                       "in_tier"?: int,           # cases of the tier before a change narrowed it
                       "shard": {"index": int, "total": int, "run_selected": [case_id],
                                  "run_note": str, "files_found": int, "sources": str}},
         "abort_reason"?: str,                             # the run was stopped (e.g. 401)
         "budget"?: {"harness_runs_max", "harness_runs", "judge_calls_max", "judge_calls",
                     "judge_cached": int},                 # cost preview, then what was spent
         "cases": [{"id", "file", "line", "suite", "owner", "severity", "failure_label",
                    "source_call_id", "level", "status", "reason", "trials_planned",
                    "pass_threshold"?: int,               # the case's own; absent: majority
                    "trials": [{"trial": int, "run_id": str | null, "trace_id": str | null,
                                "status", "reason", "duration_s": float, "harness_calls": int,
                                "assertions": [{"name", "status", "message", "expected",
                                                "actual", "turn": int | null,
                                                "warning": str | null, "votes"?: [{…}]}],
                                "run"?: {"protocol", "status", "error", "trace_complete",
                                         "artifacts", "events": [{…}]}}]}]}

    Statuses are `pass|fail|error|inconclusive|skipped`. `expected`/`actual` are any JSON value;
    values JSON cannot hold (NaN, sets, objects) are stored as their string form. `votes` is
    present only for judged assertions. `selection.shard` is always present (an unsharded run is
    shard 1/1), and a trial that did not pass keeps its `run` (the harness run, without tool
    results): `merge` rebuilds the whole run's reports from them. With `record_runs`
    (`--record-runs true`, the CLI's default) every trial keeps its whole `run` (the RunResult,
    tool results included) for `rejudge`; a run over RECORDED_RUN_LIMIT characters is left out
    and `run_omitted` says why. New keys may be added within v1; removing or changing the
    meaning of one is a new schema version. A trial's status follows from its assertions and a
    case's from its trials (gate.evaluate.verdicts): `merge` refuses a file where they do not.
    """
    head = results_head(gate, gate_version)
    # A shard keeps the runs of trials that did not pass, so `merge` rebuilds its JUnit.
    runs = gate.selection.shard is not None
    return head | {"cases": [_case(c, runs=runs, record=record_runs) for c in gate.cases]}


def results_head(gate: GateResult, gate_version: str) -> dict[str, Any]:
    """Everything of `results_dict` but its `cases`."""
    counts: dict[str, int] = {s.value: gate.count(s) for s in Status}
    counts["total"] = len(gate.cases)
    return (
        {
            "schema": SCHEMA,
            "gate_version": clean(gate_version, 100),
            "started_at": clean(gate.started_at, 100),
            "finished_at": clean(gate.finished_at, 100),
            "verdict": gate.verdict,
            "verdict_reason": clean(gate.verdict_reason),
            "fail_on": clean(gate.fail_on, 100),
            "harness_calls": gate.harness_calls,
            "counts": counts,
            "selection": _selection(gate.selection),
        }
        | ({"abort_reason": clean(gate.abort_reason)} if gate.abort_reason else {})
        | ({"budget": dataclasses.asdict(gate.budget)} if gate.budget else {})
    )


def render_results(gate: GateResult, gate_version: str, *, record_runs: bool = False) -> str:
    """`results_dict` as JSON: indent 2, keys sorted, so two runs diff line by line."""
    return "".join(results_chunks(gate, gate_version, record_runs=record_runs))


def results_chunks(
    gate: GateResult, gate_version: str, *, record_runs: bool = False
) -> Iterator[str]:
    """`render_results` piece by piece, one case at a time: at thousands of cases the whole
    file as one dict (and one string) was the run's peak memory."""
    placeholder = "\x00cases\x00"
    head = results_head(gate, gate_version) | {"cases": placeholder}
    before, _, after = _dumps(head).partition(_dumps(placeholder))
    yield before + ("[" if gate.cases else "[]")
    runs = gate.selection.shard is not None
    for index, result in enumerate(gate.cases):
        text = _dumps(_case(result, runs=runs, record=record_runs))
        # Re-indented to its depth in the file (JSON strings hold no raw newline).
        yield ("," if index else "") + "\n    " + text.replace("\n", "\n    ")
    yield ("\n  ]" if gate.cases else "") + after + "\n"


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


def load_results(text: str, source: str = "results file") -> dict[str, Any]:
    """Parse a results file, checking its schema tag; `InputError` names `source` if it is wrong."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a JSON object, got {type(data).__name__}")
    tag = data.get("schema")
    if tag != SCHEMA:
        raise InputError(f"{source}: {_schema_problem(tag)}")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise InputError(f"{source}: missing key(s) {', '.join(missing)}")
    if not isinstance(data["cases"], list):
        raise InputError(f"{source}: 'cases' must be a list")
    return data


def _schema_problem(tag: object) -> str:
    if tag is None:
        return f"no 'schema' tag; not a voice-regress results file (want {SCHEMA!r})"
    shown = clean(tag if isinstance(tag, str) else json.dumps(tag), 100)
    if shown.startswith(SCHEMA_PREFIX):
        return f"unsupported schema {shown!r}; this gate reads {SCHEMA!r}"
    return f"schema {shown!r} is not a voice-regress results file (want {SCHEMA!r})"


def _selection(selection: Selection) -> dict[str, Any]:
    # `select --format json` prints the same block, without the shard.
    shard = {"shard": _shard(selection.shard)} if selection.shard else {}
    return selection_dict(selection) | shard


def _shard(shard: ShardInfo) -> dict[str, Any]:
    return {
        "index": shard.index,
        "total": shard.total,
        "files_found": shard.files_found,
        "run_selected": [clean(i) for i in shard.run_selected],
        "run_note": clean(shard.run_note),
        "sources": clean(shard.sources),
    }


def _case(result: CaseResult, runs: bool = False, record: bool = False) -> dict[str, Any]:
    loaded, case = result.case, result.case.case
    return {
        "id": clean(loaded.id),
        "file": clean(loaded.file),
        "line": loaded.line,
        "suite": clean(case.suite),
        "owner": clean(case.owner),
        "severity": case.source.severity,
        "failure_label": clean(case.source.failure_label),
        "source_call_id": clean(case.source.source_call_id),
        "level": result.level,
        "status": result.status.value,
        "reason": clean(result.reason),
        "trials_planned": result.trials_planned,
        "trials": [_trial(t, runs, record) for t in result.trials],
    } | ({"pass_threshold": case.pass_threshold} if case.pass_threshold else {})


def _trial(trial: TrialResult, runs: bool = False, record: bool = False) -> dict[str, Any]:
    run = trial.run
    keep = runs and run is not None and trial.status is not Status.PASS
    kept = _recorded(run) if record else {"run": _run(run)} if keep and run is not None else {}
    return kept | {
        "trial": trial.trial,
        "run_id": None if run is None or run.run_id is None else clean(run.run_id, 200),
        "trace_id": None if run is None or run.trace_id is None else clean(run.trace_id, 200),
        "status": trial.status.value,
        "reason": clean(trial.reason),
        "duration_s": json_safe(round(trial.duration_s, 3)),
        "harness_calls": trial.harness_calls,
        "assertions": [_assertion(a) for a in trial.assertions],
    }


def _run(run: HarnessRun) -> dict[str, Any]:
    # What the JUnit body shows (transcript excerpt, harness error, artifact links); tool results
    # are left out (large, and no report shows them). No truncation: `clean` is idempotent.
    events = [
        e.model_dump(mode="json", exclude_none=True)
        for e in run.events
        if e.type in RUN_EVENT_TYPES
    ]
    return {
        "protocol": clean(run.protocol, 100),
        "status": run.status,
        "error": None if run.error is None else clean(run.error, None),
        "trace_complete": run.trace_complete,
        "artifacts": json_safe(run.artifacts, None),
        "events": json_safe(events, None),
    }


def _recorded(run: HarnessRun | None) -> dict[str, Any]:
    # The whole run, for `rejudge`; bounded so one chatty call cannot bloat the file.
    if run is None:
        return {}
    data = json_safe(run.model_dump(mode="json", exclude_none=True), None)
    size = len(json.dumps(data, ensure_ascii=False))
    if size > RECORDED_RUN_LIMIT:
        return {"run_omitted": f"run of {size:,} characters > {RECORDED_RUN_LIMIT:,}"}
    return {"run": data}


def _assertion(outcome: AssertionOutcome) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": clean(outcome.name),
        "status": outcome.status.value,
        "message": clean(outcome.message),
        "expected": json_safe(outcome.expected),
        "actual": json_safe(outcome.actual),
        "turn": outcome.turn,
        "warning": None if outcome.warning is None else clean(outcome.warning),
    }
    if outcome.votes is not None:
        data["votes"] = json_safe(outcome.votes)
    return data
