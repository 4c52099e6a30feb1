"""The results file as one pydantic model: the gate writes it, and every reader parses it back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gate.errors import InputError
from gate.results import Status
from gate.text import clean

SCHEMA: Literal["voice-regress-results/v1"] = "voice-regress-results/v1"
SCHEMA_PREFIX = "voice-regress-results/"
REQUIRED_KEYS = ("schema", "verdict", "selection", "cases")
BaselineLabel = Literal["new", "pre-existing", "fixed", "flaky-on-base", "unchanged", "added"]

# Keys marked "optional" below are left out of the file when they do not apply; every other key
# is always written (null where it has no value). The models keep that apart by what was set:
# writers set exactly the keys they write, and `record_json` dumps only what was set.


class _Record(BaseModel):
    # Newer v1 files may add keys: ignored, not refused. Frozen: a record is evidence.
    model_config = ConfigDict(extra="ignore", frozen=True)


class AssertionRecord(_Record):
    """One assertion's outcome in one trial."""

    name: str
    status: Status
    message: str
    expected: Any = Field(None, description="any JSON value; what JSON cannot hold, as text")
    actual: Any = None
    turn: int | None = None
    warning: str | None = None
    votes: list[dict[str, Any]] | None = Field(None, description="optional: judged ones only")


class TrialRecord(_Record):
    """One trial of a case: its state, the assertions that gave it, and (optionally) its run."""

    trial: int
    run_id: str | None = None
    trace_id: str | None = None
    status: Status
    reason: str
    duration_s: float = 0.0
    harness_calls: int = Field(0, description="HTTP requests of this trial, retries included")
    assertions: list[AssertionRecord] = []
    run: dict[str, Any] | None = Field(
        None,
        description="optional: the RunResult (whole with record_runs; a shard's trial that did "
        "not pass keeps it without tool results)",
    )
    run_omitted: str | None = Field(None, description="optional: why the run was not recorded")


class CaseRecord(_Record):
    """One selected case and its trials."""

    id: str
    file: str
    line: int
    suite: str
    owner: str
    severity: Literal["low", "medium", "high", "critical"]
    failure_label: str
    source_call_id: str
    level: Literal["blocking", "scheduled", "manual"]
    status: Status
    reason: str
    trials_planned: int = Field(1, ge=1)
    pass_threshold: int | None = Field(
        None, ge=1, description="optional: the case's own; absent means a strict majority"
    )
    trials: list[TrialRecord] = []
    agent_ref: dict[str, Any] | None = Field(
        None, description="optional: the case's agent_ref, the agent it asked the harness for"
    )
    agent_reported: dict[str, Any] | None = Field(
        None, description="optional: the agent the harness reported running (its `agent`)"
    )
    incident: str | None = Field(None, description="optional: source.incident")
    detected_by: str | None = Field(None, description="optional: source.detected_by")
    source_trace_id: str | None = Field(None, description="optional: source.trace_id")
    evidence: dict[str, Any] | None = Field(
        None, description="optional: the case's assertions.evidence retention policy"
    )
    baseline: BaselineLabel | None = Field(
        None, description="optional: the case against `--baseline` (absent without one)"
    )
    baseline_changes: list[str] | None = Field(
        None, description="optional: what the run did differently from the baseline's run"
    )
    digest: str | None = Field(
        None,
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="optional: the case's content digest, `sha256:` and 64 hex digits (the "
        "validated case as canonical JSON, audio fixtures by content; not the file's bytes); "
        "`--resume` keeps a result only for a case that still has it. Absent: not known",
    )
    assertion_lines: dict[str, int] | None = Field(
        None,
        description="optional: the case file's line of each assertion that did not pass, where "
        "known (`merge` reports point at it, as the run's do)",
    )


class ShardRecord(_Record):
    """Which part of the run's selection this file holds (an unsharded run is shard 1/1)."""

    index: int
    total: int
    run_selected: list[str]
    run_note: str = ""
    files_found: int
    sources: str = ""


class DeferredRecord(_Record):
    id: str
    why: str


class SelectionRecord(_Record):
    """What ran and why (`select --format json` prints the same block, without the shard)."""

    tier: str
    selected: list[str]
    reasons: dict[str, str] = {}
    deferred: list[DeferredRecord] = []
    considered: int = 0
    changed_paths: list[str] | None = None
    note: str = ""
    in_tier: int | None = Field(
        None, description="optional: cases of the tier before a change narrowed it"
    )
    shard: ShardRecord | None = None


class BudgetRecord(_Record):
    """The cost preview (`*_max`), then what the run spent."""

    harness_runs_max: int = 0
    judge_calls_max: int = 0
    harness_runs: int = 0
    judge_calls: int = 0
    judge_cached: int = 0


class BaselineRecord(_Record):
    """`--baseline`: which file the cases were compared with, or why none could be."""

    source: str
    warning: str | None = None


class ReadinessRowRecord(_Record):
    name: str
    value: float | None = Field(description="null: no evidence (never ok)")
    threshold: float
    ok: bool
    detail: str = ""


class ReadinessRecord(_Record):
    """Release readiness: `go` only when every overall row is ok; per suite and owner too."""

    go: bool
    rows: list[ReadinessRowRecord]
    by_suite: dict[str, list[ReadinessRowRecord]] = {}
    by_owner: dict[str, list[ReadinessRowRecord]] = {}


class ResultsRecord(_Record):
    """A `voice-regress-results/v1` file. Statuses are `pass|fail|error|inconclusive|skipped`.

    New keys may be added within v1; removing one or changing its meaning is a new schema
    version. A trial's status follows from its assertions and a case's from its trials
    (gate.evaluate.verdicts): readers re-derive both and refuse a file where they disagree.
    """

    model_config = ConfigDict(title="voice-regress-results/v1")

    schema_: Literal["voice-regress-results/v1"] = Field(SCHEMA, alias="schema")
    gate_version: str = ""
    started_at: str = Field(description="ISO-8601, as the run recorded it")
    finished_at: str
    verdict: Literal["pass", "fail"]
    verdict_reason: str = ""
    fail_on: str = "blocking"
    harness_calls: int = 0
    counts: dict[str, int] = {}
    selection: SelectionRecord
    cases: list[CaseRecord]
    abort_reason: str | None = Field(
        None, description="optional: the run was stopped (e.g. 401, or interrupted)"
    )
    budget: BudgetRecord | None = Field(None, description="optional")
    baseline: BaselineRecord | None = Field(None, description="optional: `--baseline` given")
    readiness: ReadinessRecord | None = Field(
        None, description="optional: the release tier or `--readiness`"
    )


def record_data(record: ResultsRecord) -> dict[str, Any]:
    """The record as the file's JSON data: what was set, and the schema tag."""
    data = record.model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["schema"] = SCHEMA  # a default is not "set", but every file carries its tag
    return data


def record_json(record: ResultsRecord) -> str:
    """The file's text: what was set, indent 2, keys sorted, so two runs diff line by line."""
    text = json.dumps(
        record_data(record), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False
    )
    return text + "\n"


def results_json_schema() -> dict[str, Any]:
    """The JSON Schema of the results file (shipped as gate/schemas/results.schema.json)."""
    schema = ResultsRecord.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def parse_record(data: Mapping[str, Any], source: str = "results file") -> ResultsRecord:
    """Validate loaded results; a problem is one `InputError` naming the JSON path."""
    try:
        return ResultsRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        raise InputError(
            f"{source}: {path}: {first['msg']} "
            f"({exc.error_count()} problem(s) in this results file)"
        ) from None


def load_record(text: str, source: str = "results file") -> ResultsRecord:
    """Parse a results file, checking its schema tag first; `InputError` names `source`."""
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
    return parse_record(data, source)


def read_record(path: str) -> ResultsRecord:
    """Read and check a results file; `InputError` names `path` when it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the results file ({exc})") from None
    return load_record(text, path)


def _schema_problem(tag: object) -> str:
    if tag is None:
        return f"no 'schema' tag; not a voice-regress results file (want {SCHEMA!r})"
    shown = clean(tag if isinstance(tag, str) else json.dumps(tag), 100)
    if shown.startswith(SCHEMA_PREFIX):
        return f"unsupported schema {shown!r}; this gate reads {SCHEMA!r}"
    return f"schema {shown!r} is not a voice-regress results file (want {SCHEMA!r})"
