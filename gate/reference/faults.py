"""A harness that breaks on purpose: the reference agent, with one fault per case, as told."""

from __future__ import annotations

import copy
import json
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gate.reference.agent import run_agent
from gate.reference.app import RequestRejected, validate_run_request
from gate.reference.sandbox import Json

# Faults that clear within the retry budget: the case must end as its true result.
TRANSIENT = (
    "none",
    "503-once",
    "429-retry-after",
    "reset-once",
    "slow",
    "async-retry-after-0",
    "poll-503-once",
)
# Faults that never clear, or results that are no evidence: the case must end `error`.
PERSISTENT = (
    "503-forever",
    "reset-forever",
    "stall",
    "202-loop",
    "truncated",
    "foreign-run-id",
    "foreign-case",
    "foreign-trial",
    "duplicate-call-id",
    "orphan-result",
    "missing-result",
    "disordered",
    "negative-turn",
    "turn-beyond-max",
    "silent",
    "replay-trial",
    "replay-run-id",
    "replay-case",
)
FAULTS = TRANSIENT + PERSISTENT
REPLAYED_TRIALS = ("replay-trial", "replay-run-id")  # faults that need a case of 2 trials
BUG = "duplicate-booking"  # planted in the `bug` cases: their true result is `fail`


@dataclass(frozen=True)
class Answer:
    """What the server does with one request: reply (after `delay_s`), reset the connection,
    or hang for `delay_s` and then close it without a word (`stall`)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    reset: bool = False
    stall: bool = False


def _json(status: int, payload: Any, **headers: str) -> Answer:
    body = json.dumps(payload).encode()
    return Answer(status, body, {"Content-Type": "application/json", **headers})


def parse_case_id(case_id: str) -> tuple[str, bool]:
    """(fault, planted bug?) from a suite case id `NNN-<fault>-<ok|bug>`."""
    _, rest = case_id.split("-", 1)
    fault, truth = rest.rsplit("-", 1)
    return fault, truth == "bug"


Mutation = Callable[[Json, Json], None]  # (result, request) → result changed in place


def _events(result: Json) -> list[Json]:
    events: list[Json] = result["events"]
    return events


def _duplicate_call_id(result: Json, _request: Json) -> None:
    calls = [e for e in _events(result) if e["type"] == "tool_call"]
    calls[-1]["call_id"] = calls[0]["call_id"]


def _orphan_result(result: Json, _request: Json) -> None:
    last = _events(result)[-1]
    ghost = {"type": "tool_result", "call_id": "ghost", "status": "ok", "output": {}}
    _events(result).append({**ghost, "turn": last["turn"], "t_ms": last["t_ms"] + 1})


def _missing_result(result: Json, _request: Json) -> None:
    events = _events(result)
    events.remove(next(e for e in events if e["type"] == "tool_result"))


def _silent(result: Json, _request: Json) -> None:
    result["events"] = [e for e in _events(result) if e.get("role") == "caller"]
    result["side_effects"]["writes"] = []
    result["outcome"] = {"task_completed": True}


def _beyond_max(result: Json, request: Json) -> None:
    _events(result)[-1]["turn"] = request["scenario"]["max_turns"]


MUTATIONS: dict[str, Mutation] = {
    "foreign-case": lambda r, q: r.update(case_id=f"{q['case_id']}-other"),
    "foreign-trial": lambda r, q: r.update(trial=q["trial"] + 1),
    "duplicate-call-id": _duplicate_call_id,
    "orphan-result": _orphan_result,
    "missing-result": _missing_result,
    "disordered": lambda r, _q: _events(r).reverse(),
    "negative-turn": lambda r, _q: _events(r)[0].update(turn=-1),
    "turn-beyond-max": _beyond_max,
    "silent": _silent,
}


@dataclass
class _Run:
    case_id: str
    trial: int
    result: Json
    polls: int = 0


class FaultHarness:
    """Answers each request by the fault its case names; counts what the gate sent.

    Counters: `posts[(case, trial)]` POST attempts, `keys[(case, trial)]` the Idempotency-Keys
    seen, `polls[case]` poll requests. `replay_source` is the case whose result `replay-case`
    cases get (without its ids), once the source has been answered.
    """

    def __init__(self, replay_source: str, stall_s: float = 60.0) -> None:
        self.replay_source, self.stall_s = replay_source, stall_s
        self.stopping = threading.Event()
        self.source_served = threading.Event()
        self.posts: Counter[tuple[str, int]] = Counter()
        self.keys: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        self.polls: Counter[str] = Counter()
        self._runs: dict[str, _Run] = {}  # by run_id
        self._first: dict[str, Json] = {}  # trial 1's result by case, for the trial replays
        self._lock = threading.Lock()

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """One request; never raises (a harness bug answers 500)."""
        try:
            if method == "GET" and path == "/health":
                return _json(200, {"protocol": "voice-regress/v1"})
            if method == "POST" and path == "/runs":
                return self._post(headers, body)
            if method == "GET" and path.startswith("/runs/"):
                return self._poll(path.removeprefix("/runs/"))
            return _json(404, {"error": f"no route {method} {path}"})
        except RequestRejected as err:
            return _json(err.status, {"error": err.message})
        except Exception as err:  # a bug here must reach the gate as a 5xx, not a hang
            return _json(500, {"error": f"fault harness failed: {err!r}"})

    def _post(self, headers: Mapping[str, str], raw: bytes) -> Answer:
        request = json.loads(raw)
        validate_run_request(request)
        case_id, trial = str(request["case_id"]), int(request.get("trial", 1))
        fault, _ = parse_case_id(case_id)
        with self._lock:
            self.posts[(case_id, trial)] += 1
            self.keys[(case_id, trial)].add(headers.get("idempotency-key", ""))
            attempt = self.posts[(case_id, trial)]
        early = _failing_post(fault, attempt, self.stall_s)
        if early is not None:
            return early
        if fault == "replay-case":
            # A cache answers after the origin did: the source's own run is claimed first.
            self.source_served.wait(10)
            return replace(_json(200, self._result(fault, request)), delay_s=0.5)
        result = self._result(fault, request)
        if fault in ("async-retry-after-0", "poll-503-once", "202-loop", "foreign-run-id"):
            return self._accept(case_id, trial, result)
        if fault == "truncated":
            whole = json.dumps(result).encode()
            return Answer(200, whole[: len(whole) // 2], {"Content-Type": "application/json"})
        if case_id == self.replay_source:
            self.source_served.set()
        return replace(_json(200, result), delay_s=0.3 if fault == "slow" else 0.0)

    def _result(self, fault: str, request: Json) -> Json:
        _, bug = parse_case_id(str(request["case_id"]))
        if fault == "replay-case":
            if self.replay_source not in self._first:
                raise RuntimeError("the replay source was never served")
            # Byte for byte what the source case got, without the ids that would give it away:
            # only the content digest can catch it.
            return _anonymous(self._first[self.replay_source])
        result = run_agent(request, (BUG,) if bug else ())
        with self._lock:
            first = self._first.setdefault(str(request["case_id"]), copy.deepcopy(result))
        if fault in REPLAYED_TRIALS and request.get("trial", 1) > 1:
            # replay-run-id keeps trial 1's run_id (caught by it); replay-trial hides every id.
            result = _anonymous(first) if fault == "replay-trial" else copy.deepcopy(first)
            result.pop("trial", None)  # trial 1's echo would give it away before the digest
        if fault in MUTATIONS:
            MUTATIONS[fault](result, request)
        return result

    def _accept(self, case_id: str, trial: int, result: Json) -> Answer:
        run_id = str(result["run_id"])
        with self._lock:
            self._runs[run_id] = _Run(case_id, trial, result)
        body = {"run_id": run_id, "poll_url": f"/runs/{run_id}"}
        return _json(202, body, **{"Retry-After": "0"})

    def _poll(self, run_id: str) -> Answer:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return _json(404, {"error": f"unknown run {run_id!r}"})
            run.polls += 1
            self.polls[run.case_id] += 1
            polls = run.polls
        fault, _ = parse_case_id(run.case_id)
        if fault == "202-loop" or (fault == "async-retry-after-0" and polls <= 2):
            return _json(202, {"run_id": run_id}, **{"Retry-After": "0"})
        if fault == "poll-503-once" and polls == 1:
            return _json(503, {"error": "poll backend down"})
        if fault == "foreign-run-id":
            return _json(200, {**run.result, "run_id": f"{run_id}-other"})
        return _json(200, run.result)


def _anonymous(result: Json) -> Json:
    """A copy of `result` without the run id and the echoes that would tell it apart."""
    return {
        k: v for k, v in copy.deepcopy(result).items() if k not in ("run_id", "case_id", "trial")
    }


def _failing_post(fault: str, attempt: int, stall_s: float) -> Answer | None:
    """The transport-level faults of a POST attempt; None: answer normally."""
    if fault == "503-forever" or (fault == "503-once" and attempt == 1):
        return _json(503, {"error": "sandbox busy"})
    if fault == "429-retry-after" and attempt == 1:
        return _json(429, {"error": "slow down"}, **{"Retry-After": "1"})
    if fault == "reset-forever" or (fault == "reset-once" and attempt == 1):
        return Answer(reset=True)
    if fault == "stall":
        return Answer(stall=True, delay_s=stall_s)
    return None
