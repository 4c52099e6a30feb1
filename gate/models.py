"""Typed view of case file v1; `schemas/case.schema.json` is the same contract for editors."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

# Far beyond any real use, low enough that no value can make a run endless or a check vacuous
# (`trials: 10**20` would run forever; `max_turn_ms: 1e99999` would be a limit nothing exceeds).
# The JSON Schemas in gate/schemas/ repeat these numbers; tests/test_schema_drift.py holds them
# equal, and every message about a value over one names the limit.
MAX_TRIALS = 100  # runs of one case; also pass_threshold, `defaults.trials`, --trials
MAX_VOTES = 15  # judge votes per judged assertion and trial; also `defaults.votes`, --votes
MAX_TURNS = 1_000  # scenario.max_turns and the turn numbers of transcript.within_turns
MAX_COUNT = 1_000  # tools.max_calls and side_effects.<system>.max_writes
MAX_MS = 600_000  # ten minutes: latency bounds and a scripted turn's after_ms
MAX_RETAIN_DAYS = 400  # evidence.retain_days: GitHub's longest artifact retention
MAX_CASES = 10_000  # fast_tier.max_cases
MAX_MINUTES = 360  # fast_tier.max_minutes: a GitHub-hosted job's six-hour limit
MAX_CONCURRENCY = 256  # harness runs in flight: `defaults.concurrency`, --concurrency
MAX_RETRIES = 20  # --retries of one transient harness fault
MAX_TIMEOUT_S = 3_600  # --timeout of one run, polling included
MAX_DAYS = 36_500  # lifecycle --demote-after-days / --archive-after-days: a century
MAX_SHARE = 1  # readiness thresholds that are shares (pass rates): a fraction, not a percent


# The seed's failure taxonomy; a label outside it is allowed but warned about.
FAILURE_LABELS = (
    "intent_miss",
    "wrong_tool",
    "tool_selection",
    "wrong_tool_arguments",
    "tool_arguments",
    "tool_ordering",
    "side_effect",
    "handoff",
    "safety_policy",
    "latency_interruption",
)
SIDE_EFFECT_MODES = ("sandbox", "dry_run", "mock")
# A tool whose name starts with one of these can write: a case naming it needs a sandbox.
WRITE_VERBS = frozenset(
    {
        "create",
        "update",
        "delete",
        "cancel",
        "book",
        "reschedule",
        "send",
        "charge",
        "refund",
        "transfer",
        "submit",
        "write",
        "set",
        "add",
        "remove",
        "post",
        "notify",
    }
)


def is_write_tool(name: str) -> bool:
    """Whether a tool name starts with a write verb (`update_appointment`, `crm__create_x`)."""
    # namespaced names (`calendar.update_event`, `crm__create_contact`) start after the namespace
    base = re.split(r"\.|/|:|__", name.strip())[-1]
    first = re.split(r"[^A-Za-z0-9]|(?<=[a-z0-9])(?=[A-Z])", base, maxsplit=1)[0]
    return first.lower() in WRITE_VERBS


class _Strict(BaseModel):
    # A typo must never silently disable a check: unknown keys are errors everywhere we own.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Source(_Strict):
    type: Literal["production_call", "incident", "monitoring_alert", "synthetic"]
    source_call_id: Annotated[str, Field(min_length=1)]
    failure_label: Annotated[str, Field(min_length=1)]
    severity: Literal["low", "medium", "high", "critical"]
    sanitized: Literal[True]
    detected_by: str | None = None
    incident: str | None = None
    trace_id: str | None = None


class Turn(_Strict):
    text: str
    after_ms: Annotated[int, Field(ge=0, le=MAX_MS)] | None = None
    dtmf: str | None = None
    interrupt: bool | None = None
    # a sanitized WAV fixture, relative to the case file; sent to the harness inline (base64)
    audio: Annotated[str, Field(min_length=1)] | None = None


class Scenario(_Strict):
    starting_turn: str | None = None
    turns: list[str | Turn] | None = None
    must_reproduce: list[str] | None = None
    max_turns: Annotated[int, Field(ge=1, le=MAX_TURNS)] | None = None
    state: dict[str, Any] | None = None

    def caller_turns(self) -> list[Turn]:
        """The scripted caller turns in order: `starting_turn` first, then `turns`."""
        script: list[str | Turn] = [self.starting_turn] if self.starting_turn else []
        script += self.turns or []
        return [Turn(text=t) if isinstance(t, str) else t for t in script]


class RegexItem(_Strict):
    regex: str


TextItem = str | RegexItem


class OutcomeAssertions(_Strict):
    task_completed: bool | None = None
    no_unplanned_handoff: bool | None = None
    intent: Annotated[str, Field(min_length=1)] | None = None


class ToolResultSpec(_Strict):
    status: str | None = None
    output: dict[str, Any] | None = None


class ToolPrecondition(_Strict):
    after: list[str] | None = None
    arguments: dict[str, Any] | None = None


class ToolAssertions(_Strict):
    required_order: list[str] | None = None
    # subsequence: others may interleave (the default); strict: nothing between them
    order: Literal["subsequence", "strict"] | None = None
    arguments: dict[str, dict[str, Any]] | None = None
    forbidden_tools: list[str] | None = None
    max_calls: dict[str, Annotated[int, Field(ge=0, le=MAX_COUNT)]] | None = None
    results: dict[str, ToolResultSpec] | None = None
    no_errors: bool | list[str] | None = None
    preconditions: dict[str, ToolPrecondition] | None = None

    @model_validator(mode="after")
    def _order_needs_required_order(self) -> ToolAssertions:
        # `order: strict` alone would check nothing: a silent no-op is a typo's hiding place.
        if self.order is not None and not self.required_order:
            raise ValueError("tools.order needs tools.required_order")
        return self


class SystemSideEffects(_Open):
    """Per-system checks; any `<name>_id` key names the entity the seed form checks."""

    expected_status: str | None = None
    duplicate_events_allowed: bool | None = None
    forbidden_ops: list[Literal["create", "update", "delete", "notify"]] | None = None
    max_writes: Annotated[int, Field(ge=0, le=MAX_COUNT)] | None = None

    @model_validator(mode="after")
    def _extra_keys_are_ids(self) -> SystemSideEffects:
        for key, value in (self.model_extra or {}).items():
            if not key.endswith("_id") or not isinstance(value, str):
                raise ValueError(f"unknown side-effect key {key!r} (entity keys end in _id)")
        return self

    @property
    def entity_ids(self) -> dict[str, str]:
        """The `<name>_id: ID` pairs of the seed form."""
        return {k: str(v) for k, v in (self.model_extra or {}).items()}


class InterruptionAssertion(_Strict):
    max_stop_ms: Annotated[float, Field(gt=0, le=MAX_MS, allow_inf_nan=False)]


class HeardAssertion(_Strict):
    turn: Annotated[int, Field(ge=0, le=MAX_TURNS)]
    must_include: TextItem | Annotated[list[TextItem], Field(min_length=1)]

    @property
    def items(self) -> list[TextItem]:
        return self.must_include if isinstance(self.must_include, list) else [self.must_include]


class TranscriptAssertions(_Strict):
    must_include: list[TextItem] | None = None
    must_not_include: list[TextItem] | None = None
    # key: a phrase (folded substring) or `/regex/`; value: the agent turn it must appear by
    within_turns: dict[str, Annotated[int, Field(ge=1, le=MAX_TURNS)]] | None = None
    interruption: InterruptionAssertion | None = None
    heard: Annotated[list[HeardAssertion], Field(min_length=1)] | None = None


class LatencyAssertions(_Strict):
    p95_turn_ms: Annotated[float, Field(gt=0, le=MAX_MS, allow_inf_nan=False)] | None = None
    max_turn_ms: Annotated[float, Field(gt=0, le=MAX_MS, allow_inf_nan=False)] | None = None
    trials_p95_turn_ms: Annotated[float, Field(gt=0, le=MAX_MS, allow_inf_nan=False)] | None = None
    max_first_word_ms: Annotated[float, Field(gt=0, le=MAX_MS, allow_inf_nan=False)] | None = None


class HandoffAssertions(_Strict):
    allowed_to: list[str] | None = None
    expected_to: str | None = None
    summary_must_include: list[TextItem] | None = None


class JudgedExamples(_Strict):
    pass_: list[str] = Field(default_factory=list, alias="pass")
    fail: list[str] = Field(default_factory=list)


class JudgedAssertion(_Strict):
    criterion: Annotated[str, Field(min_length=1)]
    votes: Annotated[int, Field(ge=1, le=MAX_VOTES)] | None = None
    examples: JudgedExamples | None = None

    @field_validator("votes")
    @classmethod
    def _odd_votes(cls, votes: int | None) -> int | None:
        # A majority of an even number of votes can tie: that is an input error, not a verdict.
        if votes is not None and votes % 2 == 0:
            raise ValueError(f"votes must be odd (a tie cannot be broken), got {votes}")
        return votes


class EvidencePolicy(_Strict):
    retain_transcript: bool | None = None
    retain_audio: bool | None = None
    retain_tool_trace: bool | None = None
    retain_days: Annotated[int, Field(ge=0, le=MAX_RETAIN_DAYS)] | None = None


CHECK_FAMILIES = (
    "outcome",
    "tools",
    "side_effects",
    "transcript",
    "latency",
    "handoff",
    "judged",
)


class Assertions(_Strict):
    outcome: OutcomeAssertions | None = None
    tools: ToolAssertions | None = None
    side_effects: dict[str, SystemSideEffects] | None = None
    transcript: TranscriptAssertions | None = None
    latency: LatencyAssertions | None = None
    handoff: HandoffAssertions | None = None
    judged: list[JudgedAssertion] | None = None
    evidence: EvidencePolicy | None = None

    @model_validator(mode="after")
    def _at_least_one_family(self) -> Assertions:
        if not any(getattr(self, name) for name in CHECK_FAMILIES):
            families = ", ".join(CHECK_FAMILIES)
            raise ValueError(f"at least one assertion family is required: {families}")
        return self


class Promotion(_Strict):
    level: Literal["blocking", "scheduled", "manual"]
    run_on: Annotated[list[str], Field(min_length=1)]


class Caller(_Open):
    language: str | None = None
    audio_condition: str | None = None
    goal: str | None = None


class Case(_Strict):
    version: Literal[1]
    id: Annotated[str, Field(min_length=1)] | None = None
    suite: Annotated[str, Field(min_length=1)]
    owner: Annotated[str, Field(min_length=1)]
    source: Source
    agent_ref: dict[str, Any]
    fixture: dict[str, Any]
    caller: Caller | None = None
    scenario: Scenario | None = None
    assertions: Assertions
    promotion: Promotion
    paths: list[str] | None = None
    trials: Annotated[int, Field(ge=1, le=MAX_TRIALS)] | None = None
    pass_threshold: Annotated[int, Field(ge=1, le=MAX_TRIALS)] | None = None

    @field_validator("pass_threshold")
    @classmethod
    def _reachable(cls, threshold: int | None, info: ValidationInfo) -> int | None:
        # Never silently lowered: `pass_threshold: 3` with 1 trial must not pass on one run.
        trials = info.data.get("trials") or 1
        if threshold is not None and threshold > trials:
            raise ValueError(
                f"pass_threshold {threshold} is more than trials {trials}: the "
                f"case could never pass as written (set trials: {threshold} or more)"
            )
        return threshold

    @model_validator(mode="after")
    def _interruption_needs_a_barge_in(self) -> Case:
        # Without a caller turn marked `interrupt` the check would have nothing to look at.
        transcript = self.assertions.transcript
        if transcript is None or transcript.interruption is None:
            return self
        if not self.interrupt_turns():
            raise ValueError(
                "assertions.transcript.interruption needs a caller turn with interrupt: true"
            )
        return self

    @model_validator(mode="after")
    def _heard_turns_exist(self) -> Case:
        transcript = self.assertions.transcript
        heard = (transcript.heard or []) if transcript else []
        # counted only when there is a check to hold against it: caller_turns() builds a model
        # per turn, a seventh of validating a case that has no `heard` check
        count = len(self.scenario.caller_turns()) if self.scenario and heard else 0
        for check in heard:
            if check.turn >= count:
                raise ValueError(
                    f"assertions.transcript.heard: turn {check.turn} is not a caller turn "
                    f"(the script has {count}, counted from 0)"
                )
        return self

    def interrupt_turns(self) -> list[int]:
        """0-based indexes of the scripted caller turns marked `interrupt: true`."""
        turns = self.scenario.caller_turns() if self.scenario else []
        return [i for i, turn in enumerate(turns) if turn.interrupt]


@dataclass(frozen=True, slots=True)  # thousands kept for a run: no __dict__ each
class LoadedCase:
    """A validated case with where it came from, for messages, JUnit and annotations."""

    id: str
    file: str
    case: Case
    line: int = 1
    # "$.assertions.tools.forbidden_tools" -> (line, col) of that node in the file
    locations: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    # caller turn index -> the bytes of its audio fixture, read (and capped) at load time
    audio: Mapping[int, bytes] = field(default_factory=dict, repr=False)
    # gate.load.digest.case_digest of `case` and `audio`, set by the loader; a case rebuilt
    # from a results file carries the recorded one (None: the file had none)
    digest: str | None = None

    def line_of(self, json_path: str) -> int:
        """Line of the deepest located node on `json_path` (the case's first line if none)."""
        where = nearest_location(self.locations, json_path)
        return where[0] if where is not None else self.line


Location = tuple[int, int]


def nearest_location(locations: Mapping[str, Location], json_path: str) -> Location | None:
    """Where the node at `json_path` is, else its nearest located parent; None if none is."""
    path = json_path
    while path:
        if path in locations:
            return locations[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def json_path_join(parent: str, key: str | int) -> str:
    """The JSON path of `key` under `parent`; keys that are not ASCII identifiers
    (`[A-Za-z_][A-Za-z0-9_]*`) are quoted."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if key.isascii() and key.isidentifier():  # no regex call: one per node
        return f"{parent}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{parent}['{escaped}']"


# One fields-set object per distinct set of names (see compact).
_FIELD_SETS: dict[frozenset[str], set[str]] = {}


def compact(model: BaseModel) -> None:
    """Share what thousands of validated cases repeat: equal fields-sets become one object, short
    strings are interned. Why: a worker process sends its cases back in one pickle, which writes
    an object met twice only once, so in the main process each case stopped carrying its own
    copies (a third of a loaded case's memory). In place, on frozen models: pydantic never adds
    to a fields-set of a frozen model (`model_copy` copies it first), and values stay equal."""
    names = frozenset(model.__pydantic_fields_set__)
    shared = _FIELD_SETS.get(names)
    if shared is None:
        shared = _FIELD_SETS[names] = set(names)
    object.__setattr__(model, "__pydantic_fields_set__", shared)
    values = model.__dict__
    # Strings and None first: BaseModel's isinstance is an ABC check, slow for every value.
    for key, value in values.items():  # values replaced by equal ones: no key added or removed
        if type(value) is str:
            if len(value) <= 64:
                values[key] = sys.intern(value)
        elif value is None:
            continue
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, BaseModel):
                    compact(item)
        elif isinstance(value, BaseModel):
            compact(value)
