"""What flows after loading: the harness's RunResult (untrusted) and the gate's outcomes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gate.models import EvidencePolicy

if TYPE_CHECKING:  # an annotation of CaseResult only: results stay below the case model
    from gate.models import LoadedCase


PROTOCOL = "voice-regress/v1"


class Status(StrEnum):
    """The one explicit state every assertion, trial and case ends in."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    INCONCLUSIVE = "inconclusive"
    SKIPPED = "skipped"


# The states a human has to look at; under --fail-on any of them may block (gate.verdicts.blocks).
NOT_PASSING = (Status.FAIL, Status.ERROR, Status.INCONCLUSIVE)


# --- the harness's RunResult: parsed leniently (unknown fields ignored), checked strictly ----


class _Lenient(BaseModel):
    # Forward compatible: a newer harness may add fields.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Event(_Lenient):
    type: str
    role: str | None = None
    turn: int | None = None
    t_ms: float | None = None
    text: str | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: Any = None
    status: str | None = None
    output: Any = None
    to: str | None = None
    summary: str | None = None
    # On a caller message that barged in: ms from the caller's onset until the agent went quiet.
    agent_stop_ms: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    # On a caller message: "asr" when `text` is what the agent's speech recognition produced.
    text_source: str | None = None

    @property
    def ref(self) -> str:
        """`turn 2 (call c3)`: where a tool call happened, as failure messages name it."""
        return f"turn {self.turn} (call {self.call_id})" if self.call_id else f"turn {self.turn}"

    @field_validator("arguments", mode="before")
    @classmethod
    def _parse_json_string(cls, value: Any) -> Any:
        # Several frameworks emit tool arguments as a JSON string.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


class TurnTiming(_Lenient):
    turn: int
    # NaN compares false with every limit and a negative latency is below all of them: either
    # would pass a latency check with no evidence, so the run is refused instead.
    latency_ms: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    # From the end of the caller's turn to the agent's first audible word (optional evidence).
    first_word_ms: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class Write(_Lenient):
    system: str
    op: str
    entity_id: str | None = None
    status: str | None = None
    data: dict[str, Any] | None = None


class SideEffects(_Lenient):
    source: str | None = None  # "sandbox_observed" or "agent_reported"
    writes: list[Write] = []


EVENT_TYPES = ("message", "tool_call", "tool_result", "handoff")
ROLES = ("caller", "agent")


def _event_problem(event: Event) -> str | None:
    """Why a known event cannot count as evidence; other types are ignored (forward compatible).

    A nameless tool call cannot be told from a forbidden one, a message without role or text
    could be the agent saying a forbidden phrase, and a misspelt type or role would be ignored:
    each would let an absence check pass with no evidence.
    """
    for key, value, known in (("type", event.type, EVENT_TYPES), ("role", event.role, ROLES)):
        meant = (value or "").strip().lower().replace("-", "_")
        if value != meant and meant in known:
            return f"{key} {value!r} must be written {meant!r}"
    if event.type == "tool_call" and not event.name:
        return "a tool_call needs a name"
    if event.type == "message" and (not event.role or event.text is None):
        return "a message needs a role and a text"
    return None


class HarnessRun(_Lenient):
    protocol: str
    status: Literal["completed", "agent_error", "timeout", "harness_error"]
    events: list[Event]
    run_id: str | None = None
    # Echoes of the request, optional; when present they must name this case and trial.
    case_id: str | None = None
    trial: int | None = None
    error: str | None = None
    trace_id: str | None = None
    trace_complete: bool | None = None
    turns: list[TurnTiming] | None = None
    outcome: dict[str, Any] | None = None
    side_effects: SideEffects | None = None
    artifacts: dict[str, Any] | None = None
    agent: dict[str, Any] | None = None  # what the harness says it ran (name, version, …)

    @model_validator(mode="after")
    def _completed_has_events(self) -> HarnessRun:
        if self.status == "completed" and not self.events:
            raise ValueError("a completed run must have events")
        for index, event in enumerate(self.events):
            problem = _event_problem(event)
            if problem:
                raise ValueError(f"events[{index}]: {problem}")
        return self

    @property
    def tool_calls(self) -> list[Event]:
        """Tool calls in the order they happened."""
        return [e for e in self.events if e.type == "tool_call"]

    @property
    def tool_sequence(self) -> list[str]:
        """The names of the tool calls in order."""
        return [c.name or "?" for c in self.tool_calls]

    @property
    def agent_messages(self) -> list[Event]:
        """What the agent said, in order."""
        return [e for e in self.events if e.type == "message" and e.role == "agent"]

    @property
    def trace_is_complete(self) -> bool:
        """Whether the absence of a tool call is evidence (absent flag + no tool events = no)."""
        if self.trace_complete is not None:
            return self.trace_complete
        return bool(self.tool_calls)


# --- the gate's outcomes ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)  # thousands kept until the reports: no __dict__ each
class AssertionOutcome:
    """One check's result; `name` is its place under `assertions`, e.g. tools.forbidden_tools."""

    name: str
    status: Status
    message: str
    expected: Any = None
    actual: Any = None
    turn: int | None = None
    warning: str | None = None
    votes: tuple[dict[str, Any], ...] | None = None

    @classmethod
    def ok(cls, name: str, message: str, **kw: Any) -> AssertionOutcome:
        return cls(name, Status.PASS, message, **kw)

    @classmethod
    def fail(cls, name: str, message: str, **kw: Any) -> AssertionOutcome:
        return cls(name, Status.FAIL, message, **kw)

    @classmethod
    def error(cls, name: str, message: str, **kw: Any) -> AssertionOutcome:
        return cls(name, Status.ERROR, message, **kw)


@dataclass(frozen=True, slots=True)  # thousands kept until the reports: no __dict__ each
class TrialResult:
    """One harness run of a case and its evaluation."""

    trial: int
    status: Status
    reason: str
    duration_s: float = 0.0
    assertions: tuple[AssertionOutcome, ...] = ()
    run: HarnessRun | None = None
    harness_calls: int = 0  # HTTP requests sent to the harness for this trial, retries included


@dataclass(frozen=True, slots=True)  # thousands kept until the reports: no __dict__ each
class CaseResult:
    """A selected case's final state across its trials."""

    case: LoadedCase
    status: Status
    reason: str
    trials: tuple[TrialResult, ...] = ()
    trials_planned: int = 1

    @property
    def passed_trials(self) -> int:
        return sum(1 for t in self.trials if t.status is Status.PASS)

    @property
    def flaky(self) -> bool:
        """Passed, but with failing trials: green, yet worth a look."""
        return self.status is Status.PASS and self.passed_trials < len(self.trials)

    @property
    def level(self) -> str:
        return self.case.case.promotion.level

    @property
    def harness_calls(self) -> int:
        return sum(t.harness_calls for t in self.trials)

    @property
    def evidence(self) -> EvidencePolicy:
        """The case's `assertions.evidence` (unset flags mean retain)."""
        return self.case.case.assertions.evidence or EvidencePolicy()

    @property
    def agent_reported(self) -> dict[str, Any] | None:
        """The agent the harness said it ran, from the first trial whose run says so."""
        return next((t.run.agent for t in self.trials if t.run and t.run.agent), None)


@dataclass(frozen=True)
class ShardInfo:
    """This run is shard `index`/`total` (`--shard I/N`), with what `merge` needs for the whole."""

    index: int
    total: int
    run_selected: tuple[str, ...]  # the whole run's selection, in order, before it was cut
    run_note: str  # the selection note before the shard line was added
    files_found: int  # for the empty-run rule of the merged verdict
    sources: str  # the case paths, as the empty-run reason names them


@dataclass(frozen=True)
class Selection:
    """Which cases run and why; `deferred` cases are listed, never dropped silently."""

    tier: str
    selected: tuple[str, ...]
    reasons: dict[str, str] = field(default_factory=dict)
    deferred: tuple[tuple[str, str], ...] = ()
    considered: int = 0
    changed_paths: tuple[str, ...] | None = None
    note: str = ""
    shard: ShardInfo | None = None  # set by `--shard I/N`: `selected` is this shard's part
    in_tier: int | None = None  # cases of the tier before a change narrowed it (None: unknown)


@dataclass(frozen=True)
class CallBudget:
    """Upper bounds stated before dispatch, and what the run actually spent."""

    harness_runs_max: int
    judge_calls_max: int
    harness_runs: int = 0  # trials dispatched
    judge_calls: int = 0  # votes asked of the judge (a vote's retries count once)
    judge_cached: int = 0  # votes answered from the verdict cache


BASELINE_LABELS = ("new", "pre-existing", "fixed", "flaky-on-base", "unchanged", "added")


@dataclass(frozen=True)
class BaselineReport:
    """Each case against the base branch's last results (`run --baseline`)."""

    source: str  # the baseline file, as given
    labels: dict[str, str] = field(default_factory=dict)  # case id → one of BASELINE_LABELS
    changes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # case id → what changed
    warning: str | None = None  # unusable baseline: no labels, and why


@dataclass(frozen=True)
class ReadinessRow:
    """One go/no-go row; `value` None means no evidence (never ok)."""

    name: str
    value: float | None
    threshold: float
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Readiness:
    """Release readiness (seed 004, gates 1 and 2): rows overall, per suite, per owner."""

    go: bool
    rows: tuple[ReadinessRow, ...]
    by_suite: dict[str, tuple[ReadinessRow, ...]] = field(default_factory=dict)
    by_owner: dict[str, tuple[ReadinessRow, ...]] = field(default_factory=dict)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rows if not r.ok)


@dataclass(frozen=True)
class GateResult:
    """The whole run: every selected case in one state, and the verdict that sets the exit code."""

    verdict: Literal["pass", "fail"]
    verdict_reason: str
    cases: tuple[CaseResult, ...]
    selection: Selection
    fail_on: str
    started_at: str
    finished_at: str
    wall_s: float = 0.0
    blocking_failures: tuple[str, ...] = ()
    abort_reason: str | None = None  # the run stopped (credentials refused…): it fails anyway
    budget: CallBudget | None = None  # cost preview and what was spent (run, rejudge)
    baseline: BaselineReport | None = None  # `--baseline`: each case against the base branch
    readiness: Readiness | None = None  # the release tier or `--readiness`

    @property
    def harness_calls(self) -> int:
        return sum(c.harness_calls for c in self.cases)

    def count(self, status: Status) -> int:
        return sum(1 for c in self.cases if c.status is status)
