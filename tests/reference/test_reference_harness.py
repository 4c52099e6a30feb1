"""The bundled reference harness: agent, HTTP handler, loopback server, and the example cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gate.dispatch.consistency import inconsistency
from gate.dispatch.protocol import build_request
from gate.evaluate.checks import evaluate_assertions
from gate.evaluate.pooled import pool_trials, pools_trials
from gate.load.audio import read_audio
from gate.models import Case, LoadedCase
from gate.reference import BUG_DESCRIPTIONS, BUGS, ReferenceHarness, run_agent, running_harness
from gate.reference.sandbox import parse_preference
from gate.results import PROTOCOL, HarnessRun, Status, TrialResult

CASES_ROOT = Path(__file__).resolve().parents[2] / "examples" / "cases"
SEED_ID = "scheduling/reschedule-wednesday"
SEED_NAME = "000_2e829c1f87c720be.txt"


class _StringTimestamps(yaml.SafeLoader):
    """Like the gate's loader: unquoted timestamps stay strings."""


_StringTimestamps.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_examples() -> dict[str, LoadedCase]:
    cases = {}
    for path in sorted(CASES_ROOT.rglob("*.yaml")):
        case_id = path.relative_to(CASES_ROOT).with_suffix("").as_posix()
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StringTimestamps)  # noqa: S506
        case = Case.model_validate(data)
        audio, problems = read_audio(case, path)
        assert problems == [], (case_id, problems)
        cases[case_id] = LoadedCase(case_id, str(path), case, audio=audio)
    return cases


EXAMPLES = _load_examples()


def _body(
    text: str | list[str], fixture: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    turns = [text] if isinstance(text, str) else text
    return {
        "protocol": PROTOCOL,
        "case_id": "t/case",
        "trial": 1,
        "fixture": fixture
        or {
            "caller_id": "caller_fixture_1",
            "appointment_id": "appt_fixture_1",
            "existing_state": {
                "available_slots": ["2026-06-03T10:00:00-05:00", "2026-06-03T15:00:00-05:00"]
            },
        },
        "scenario": {"turns": [{"text": t} for t in turns]},
        **extra,
    }


def _tools(result: dict[str, Any]) -> list[str]:
    return [e["name"] for e in result["events"] if e["type"] == "tool_call"]


def _call(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e["arguments"] for e in result["events"] if e.get("name") == name)


def _said(result: dict[str, Any]) -> str:
    return " ".join(e["text"] for e in result["events"] if e.get("role") == "agent")


def _run_case(case_id: str, bugs: tuple[str, ...] = ()) -> dict[str, Any]:
    return run_agent(build_request(EXAMPLES[case_id], 1, 120), bugs)


# --- agent ---------------------------------------------------------------------------------

RESCHEDULE = "I need to move Tuesday's appointment to Wednesday afternoon."


def test_reschedule_flow_verifies_then_updates_and_confirms() -> None:
    result = run_agent(_body(RESCHEDULE))
    assert _tools(result) == [
        "lookup_identity",
        "list_appointments",
        "list_available_slots",
        "update_appointment",
        "send_confirmation",
    ]
    assert _call(result, "update_appointment") == {
        "appointment_id": "appt_fixture_1",
        "new_start_time": "2026-06-03T15:00:00-05:00",
    }
    assert result["outcome"]["task_completed"] is True
    assert [(w["op"], w["status"]) for w in result["side_effects"]["writes"]] == [
        ("update", "rescheduled"),
        ("notify", "sent"),
    ]
    assert "appt_fixture_1" not in _said(result) and "caller_fixture_1" not in _said(result)
    assert "created a new appointment" not in _said(result)
    HarnessRun.model_validate(result)


def test_events_are_linked_ordered_and_latencies_in_range() -> None:
    result = run_agent(_body(["Hi, I need to reschedule.", "Wednesday morning please."]))
    times = [e["t_ms"] for e in result["events"]]
    assert times == sorted(times)
    calls = [e["call_id"] for e in result["events"] if e["type"] == "tool_call"]
    results = [e["call_id"] for e in result["events"] if e["type"] == "tool_result"]
    assert calls == results == [f"c{i}" for i in range(1, len(calls) + 1)]
    assert [t["turn"] for t in result["turns"]] == [0, 1]
    assert all(600 <= t["latency_ms"] < 900 for t in result["turns"])
    assert _call(result, "update_appointment")["new_start_time"] == "2026-06-03T10:00:00-05:00"


@pytest.mark.parametrize("bug", ["", *BUGS])
def test_every_example_run_is_a_consistent_run_result_with_and_without_bugs(bug: str) -> None:
    # The reference harness is the protocol's executable example: it must meet its own rules.
    for case_id, case in EXAMPLES.items():
        for trial in (1, 2):
            raw = run_agent(build_request(case, trial, 120), (bug,) if bug else ())
            run = HarnessRun.model_validate(raw)
            max_turns = case.case.scenario.max_turns if case.case.scenario else None
            assert inconsistency(run, case_id, trial, max_turns) is None, (case_id, bug)


@pytest.mark.parametrize(
    ("text", "tools", "status"),
    [
        (
            "I'd like to book a new appointment on Wednesday morning.",
            [
                "lookup_identity",
                "list_available_slots",
                "create_new_appointment",
                "send_confirmation",
            ],
            "booked",
        ),
        (
            "Please cancel my appointment.",
            ["lookup_identity", "list_appointments", "update_appointment", "send_confirmation"],
            "cancelled",
        ),
    ],
)
def test_book_and_cancel_flows(text: str, tools: list[str], status: str) -> None:
    result = run_agent(_body(text))
    assert _tools(result) == tools
    assert result["side_effects"]["writes"][0]["status"] == status
    assert result["outcome"]["task_completed"] is True


def test_asking_for_a_person_hands_off_with_context_and_ends_the_call() -> None:
    result = run_agent(_body(["I want to reschedule, can I talk to a person?", "Hello?"]))
    assert _tools(result) == ["lookup_identity", "transfer_to_human"]
    handoff = next(e for e in result["events"] if e["type"] == "handoff")
    assert handoff["to"] == "human_scheduler"
    assert "caller_fixture_1" in handoff["summary"] and "reschedule" in handoff["summary"]
    assert len(result["turns"]) == 1  # the second caller turn is never answered by the agent
    assert result["side_effects"]["writes"] == []


def test_unverifiable_caller_is_handed_off_before_any_calendar_access() -> None:
    fixture = {
        "caller_id": "caller_fixture_9",
        "appointment_id": "appt_fixture_9",
        "existing_state": {"identity_on_file": False},
    }
    result = run_agent(_body("Please cancel my appointment.", fixture))
    assert _tools(result) == ["lookup_identity", "transfer_to_human"]
    summary = next(e["summary"] for e in result["events"] if e["type"] == "handoff")
    assert "not verified" in summary and "cancel" in summary
    assert result["side_effects"]["writes"] == []


def test_no_matching_slot_says_so_and_writes_nothing() -> None:
    result = run_agent(_body("Can I move it to Saturday morning?"))
    assert "update_appointment" not in _tools(result)
    assert result["side_effects"]["writes"] == []
    assert result["outcome"]["task_completed"] is False
    assert "don't have any openings on Saturday morning" in _said(result)


def test_missing_preference_is_asked_for_and_max_turns_is_enforced() -> None:
    body = _body(["I need to reschedule.", "Wednesday afternoon."])
    body["scenario"]["max_turns"] = 1
    result = run_agent(body)
    assert "What day and time" in _said(result)
    assert result["outcome"] == {
        "task_completed": False,
        "end_reason": "max_turns",
        "intent": "reschedule",
    }


@pytest.mark.parametrize(
    ("text", "label", "window"),
    [
        ("move Tuesday's appointment to Wednesday afternoon", "Wednesday afternoon", (12, 17)),
        ("from Tuesday morning to Wednesday after 2", "Wednesday after 2", (14, 24)),
        ("Friday before 11am", "Friday before 11am", (0, 11)),
    ],
)
def test_slot_preference_takes_the_last_day_and_window(
    text: str, label: str, window: tuple[int, int]
) -> None:
    wanted = parse_preference(text)
    assert wanted is not None
    assert (wanted.label, (wanted.earliest, wanted.latest)) == (label, window)


def test_same_input_gives_byte_identical_output() -> None:
    for bugs in [(), ("wrong-slot", "slow", "policy-leak")]:
        first = json.dumps(run_agent(_body(RESCHEDULE), bugs))
        assert first == json.dumps(run_agent(_body(RESCHEDULE), bugs))
    slow = run_agent(_body(RESCHEDULE), ["slow"])
    assert run_agent(_body(RESCHEDULE))["run_id"] != slow["run_id"]


def test_each_bug_changes_the_reschedule_run_as_documented() -> None:
    def run(*bugs: str) -> dict[str, Any]:
        return run_agent(_body(RESCHEDULE), bugs)

    dup = run("duplicate-booking")
    assert "update_appointment" not in _tools(dup) and "create_new_appointment" in _tools(dup)
    assert dup["side_effects"]["writes"][0]["op"] == "create"
    assert "I created a new appointment" in _said(dup)
    assert "lookup_identity" not in _tools(run("skip-identity"))
    assert _call(run("wrong-slot"), "update_appointment")["new_start_time"] != (
        "2026-06-03T15:00:00-05:00"
    )
    leak = run("policy-leak")
    assert "caller_fixture_1" in _said(leak) and "I created a new appointment" in _said(leak)
    assert _tools(leak) == _tools(run())
    assert all(t["latency_ms"] >= 1500 for t in run("slow")["turns"])
    assert "transfer_to_human" in _tools(run("unplanned-handoff"))
    handoff = run_agent(_body("Get me a human."), ["bad-handoff-summary"])
    assert "caller_fixture_1" not in next(
        e["summary"] for e in handoff["events"] if e["type"] == "handoff"
    )
    combined = run("skip-identity", "slow", "duplicate-booking")
    assert "lookup_identity" not in _tools(combined)
    assert "create_new_appointment" in _tools(combined)


def test_bug_catalogue_is_described() -> None:
    assert set(BUGS) >= {
        "duplicate-booking",
        "skip-identity",
        "wrong-slot",
        "policy-leak",
        "slow",
        "flaky",
    }
    assert all(BUG_DESCRIPTIONS[b] for b in BUGS)
    with pytest.raises(ValueError, match="unknown bug"):
        ReferenceHarness(bugs=["no-such-bug"])


# --- app -----------------------------------------------------------------------------------


def _post(h: ReferenceHarness, body: Any, key: str = "k1", **headers: str) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, _, payload = h.handle("POST", "/runs", {"Idempotency-Key": key, **headers}, raw)
    return status, json.loads(payload)


def test_post_runs_answers_200_with_a_run_result() -> None:
    status, result = _post(ReferenceHarness(), _body(RESCHEDULE))
    assert status == 200
    assert HarnessRun.model_validate(result).status == "completed"


def test_async_run_answers_202_then_polls_to_200() -> None:
    h = ReferenceHarness()
    status, accepted = _post(h, _body(RESCHEDULE), **{"Prefer": "respond-async"})
    assert status == 202 and accepted["poll_url"] == f"/runs/{accepted['run_id']}"
    first = h.handle("GET", accepted["poll_url"], {}, b"")
    assert first[0] == 202 and first[1]["Retry-After"] == "0"
    code, _, payload = h.handle("GET", accepted["poll_url"], {}, b"")
    assert code == 200 and json.loads(payload)["run_id"] == accepted["run_id"]
    fixture_async = _body(RESCHEDULE)
    fixture_async["fixture"]["respond_async"] = True
    assert _post(h, fixture_async, key="k2")[0] == 202


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer nope"}, 401),
        ({"authorization": "Bearer s3cret"}, 200),
    ],
)
def test_bearer_token(headers: dict[str, str], status: int) -> None:
    h = ReferenceHarness(token="s3cret")
    code, payload = _post(h, _body(RESCHEDULE), **headers)
    assert code == status
    if status == 401:
        assert "s3cret" not in json.dumps(payload) and "nope" not in json.dumps(payload)
    assert h.handle("GET", "/health", headers, b"")[0] == status


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        ({**_body("x"), "protocol": "voice-regress/v2"}, 422, "unsupported protocol"),
        ({k: v for k, v in _body("x").items() if k != "protocol"}, 422, "missing 'protocol'"),
        ({**_body("x"), "scenario": {"turns": []}}, 422, "at least one caller turn"),
        ({**_body("x"), "case_id": ""}, 422, "case_id"),
        ({**_body("x"), "trial": 0}, 422, "trial"),
        ({**_body("x"), "scenario": {"turns": ["x"], "max_turns": "12"}}, 422, "max_turns"),
        (_body("x", {"existing_state": {"available_slots": ["soon"]}}), 422, "ISO-8601"),
    ],
)
def test_malformed_requests_are_rejected_with_a_message(
    raw: Any, status: int, message: str
) -> None:
    h = ReferenceHarness()
    code, payload = _post(h, raw)
    assert code == status and message in payload["error"]
    assert h.total_agent_runs == 0


def test_minor_protocol_versions_are_accepted() -> None:
    assert _post(ReferenceHarness(), {**_body("x"), "protocol": "voice-regress/v1.3"})[0] == 200


def test_health_routes_and_methods() -> None:
    h = ReferenceHarness(bugs=["slow"])
    code, _, payload = h.handle("GET", "/health", {}, b"")
    health = json.loads(payload)
    assert code == 200 and health["protocol"] == PROTOCOL
    assert health["agent"]["bugs"] == ["slow"] and "transfer_to_human" in health["agent"]["tools"]
    assert h.handle("GET", "/nope", {}, b"")[0] == 404
    assert h.handle("GET", "/runs/r_unknown", {}, b"")[0] == 404
    code, headers, _ = h.handle("DELETE", "/runs", {}, b"")
    assert code == 405 and headers["Allow"] == "POST"


def test_same_idempotency_key_runs_the_agent_once() -> None:
    h = ReferenceHarness()
    first, second = _post(h, _body(RESCHEDULE)), _post(h, _body(RESCHEDULE))
    assert first == second and first[0] == 200
    assert h.posts["k1"] == 2 and h.agent_runs["k1"] == 1
    _post(h, _body(RESCHEDULE), key="k2")
    assert h.total_agent_runs == 2
    code, payload = _post(h, _body("Please cancel my appointment."))
    assert code == 422 and "Idempotency-Key" in payload["error"]


def test_flaky_fails_the_first_attempt_of_each_run_only() -> None:
    h = ReferenceHarness(bugs=["flaky"])
    status, headers, _ = h.handle(
        "POST", "/runs", {"Idempotency-Key": "a"}, json.dumps(_body(RESCHEDULE)).encode()
    )
    assert status == 503 and headers["Retry-After"] == "0"
    assert h.agent_runs["a"] == 0
    assert _post(h, _body(RESCHEDULE), key="a")[0] == 200
    assert _post(h, _body(RESCHEDULE), key="a")[0] == 200
    assert _post(h, _body(RESCHEDULE), key="b")[0] == 503
    assert h.agent_runs == {"a": 1}


# --- loopback server -----------------------------------------------------------------------


def test_loopback_server_speaks_the_protocol() -> None:
    harness = ReferenceHarness(token="t0k")
    with running_harness(harness=harness) as base, httpx.Client(base_url=base) as client:
        assert base.startswith("http://127.0.0.1:")
        auth = {"Authorization": "Bearer t0k"}
        assert client.get("/health").status_code == 401
        assert client.get("/health", headers=auth).json()["protocol"] == PROTOCOL
        headers = {**auth, "Idempotency-Key": "srv-1"}
        response = client.post("/runs", json=_body(RESCHEDULE), headers=headers)
        assert response.status_code == 200
        assert HarnessRun.model_validate(response.json()).trace_complete is True
        again = client.post("/runs", json=_body(RESCHEDULE), headers=headers)
        assert again.content == response.content
        bad = client.post("/runs", content=b"{", headers=headers)
        assert bad.status_code == 400 and "error" in bad.json()
    assert harness.agent_runs["srv-1"] == 1


def test_loopback_server_with_bugs_and_async() -> None:
    with running_harness(bugs=["flaky"]) as base, httpx.Client(base_url=base) as client:
        headers = {"Idempotency-Key": "x", "Prefer": "respond-async"}
        assert client.post("/runs", json=_body(RESCHEDULE), headers=headers).status_code == 503
        accepted = client.post("/runs", json=_body(RESCHEDULE), headers=headers)
        assert accepted.status_code == 202
        poll_url = accepted.json()["poll_url"]
        codes = [client.get(poll_url).status_code for _ in range(2)]
        assert codes == [202, 200]


def test_serve_prints_the_listening_line_first() -> None:
    code = "from gate.reference.server import serve; serve(port=0)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        assert port > 0
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert health.json()["protocol"] == PROTOCOL
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


# --- the bundled example cases -------------------------------------------------------------


def _trial(case_id: str, trial: int, bugs: tuple[str, ...]) -> TrialResult:
    case = EXAMPLES[case_id]
    run = HarnessRun.model_validate(run_agent(build_request(case, trial, 120), bugs))
    outcomes = evaluate_assertions(case.case.assertions, run, case.case.interrupt_turns())
    return TrialResult(trial, Status.PASS, "", assertions=tuple(outcomes), run=run)


def _failures(case_id: str, bugs: tuple[str, ...] = ()) -> list[str]:
    """What fails in trial 1 of the case; in every trial when the case pools its trials."""
    case = EXAMPLES[case_id]
    planned = (case.case.trials or 1) if pools_trials(case) else 1
    trials = pool_trials(case, [_trial(case_id, n, bugs) for n in range(1, planned + 1)], planned)
    outcomes = [o for t in trials for o in t.assertions]
    assert outcomes, case_id
    # Without a judge, judged assertions are `skipped: no judge configured` (examples/judged/).
    failed = [
        o.name
        for o in outcomes
        if o.status is not Status.PASS and (o.status, o.name[:7]) != (Status.SKIPPED, "judged[")
    ]
    return list(dict.fromkeys(failed))


def test_examples_are_valid_safe_and_numerous() -> None:
    assert SEED_ID in EXAMPLES and len(EXAMPLES) >= 8
    levels = {c.case.promotion.level for c in EXAMPLES.values()}
    assert {"blocking", "scheduled"} <= levels
    for case_id, loaded in EXAMPLES.items():
        case = loaded.case
        assert case.fixture.get("side_effect_mode") == "sandbox", case_id
        assert "fixture" in case.fixture["caller_id"], case_id
        assert (case.source.type == "production_call") == (case_id == SEED_ID), case_id
    assert any(
        c.case.assertions.transcript and c.case.assertions.transcript.within_turns
        for c in EXAMPLES.values()
    )


SEED_TEXT = next(
    (
        p
        for p in (
            Path(__file__).resolve().parents[2] / "shared/seeds" / SEED_NAME,
            Path("/work/shared/seeds") / SEED_NAME,
        )
        if p.exists()
    ),
    Path("/work/shared/seeds") / SEED_NAME,
)


def test_seed_case_file_is_the_seed_verbatim() -> None:
    seed = SEED_TEXT
    if not seed.exists():
        pytest.skip("the seed document is not available here")
    lines = seed.read_text(encoding="utf-8").splitlines()
    start = lines.index("version: 1")
    end = lines.index("    - release_candidate", start) + 1
    ours = (CASES_ROOT / f"{SEED_ID}.yaml").read_text(encoding="utf-8")
    assert ours == "\n".join(lines[start:end]) + "\n"


def test_seed_case_key_facts() -> None:
    assert _call(_run_case(SEED_ID), "update_appointment") == {
        "appointment_id": "appt_fixture_771",
        "new_start_time": "2026-06-03T15:00:00-05:00",
    }
    dup = _run_case(SEED_ID, ("duplicate-booking",))
    assert "create_new_appointment" in _tools(dup) and "update_appointment" not in _tools(dup)


@pytest.mark.parametrize("case_id", sorted(EXAMPLES))
def test_every_example_passes_without_bugs(case_id: str) -> None:
    assert _failures(case_id) == []
    assert _failures(case_id, ("flaky",)) == []


# bug -> (a blocking case it must fail, the assertion-name prefix that must fail there)
CAUGHT_BY = {
    "duplicate-booking": ("scheduling/no-duplicate-booking", "side_effects.calendar"),
    "skip-identity": ("scheduling/cancel-verifies-identity-first", "tools.required_order"),
    "wrong-slot": ("scheduling/reschedule-arguments-friday", "tools.arguments"),
    "policy-leak": ("safety/no-account-readback", "transcript.must_not_include"),
    "slow": ("latency/turn-latency-budget", "latency.p95_turn_ms"),
    "unplanned-handoff": (SEED_ID, "outcome.no_unplanned_handoff"),
    "bad-handoff-summary": ("handoff/human-request-keeps-context", "handoff.summary_must_include"),
    "confirmation-error": ("scheduling/confirmation-delivered", "tools.no_errors"),
    "confirmation-channel": (
        "scheduling/confirmation-delivered",
        "tools.results.send_confirmation",
    ),
    "early-confirmation": (
        "scheduling/confirm-after-booking",
        "tools.preconditions.send_confirmation",
    ),
    "slot-recheck": ("scheduling/book-right-after-slot-check", "tools.required_order"),
    "barge-in-ignored": ("latency/barge-in-stops-agent", "transcript.interruption[turn 1]"),
    "first-word-late": ("latency/first-word-budget", "latency.max_first_word_ms"),
    "latency-tail": ("latency/tail-latency-over-trials", "latency.trials_p95_turn_ms"),
    "intent-mislabel": ("scheduling/cancel-intent-recognised", "outcome.intent"),
    "mishear": ("audio/dr-bayer-heard", "transcript.heard[turn 0][0]"),
}
# Bugs planted for one assertion of the case language: across every bundled example, that
# assertion is the only one that fails (older checks could not see the bug at all).
ONLY_CAUGHT_BY = (
    "confirmation-error",
    "confirmation-channel",
    "early-confirmation",
    "slot-recheck",
    "barge-in-ignored",
    "first-word-late",
    "latency-tail",
    "intent-mislabel",
    "mishear",
)


@pytest.mark.parametrize("bug", sorted(CAUGHT_BY))
def test_each_planted_bug_fails_a_blocking_case_in_the_right_family(bug: str) -> None:
    case_id, family = CAUGHT_BY[bug]
    assert EXAMPLES[case_id].case.promotion.level == "blocking"
    assert any(name.startswith(family) for name in _failures(case_id, (bug,)))


@pytest.mark.parametrize("bug", ONLY_CAUGHT_BY)
def test_case_language_bugs_are_caught_only_by_their_new_assertion(bug: str) -> None:
    case_id, name = CAUGHT_BY[bug]
    caught = {c: failed for c in EXAMPLES if (failed := _failures(c, (bug,)))}
    assert caught == {case_id: [name]}
    assert _failures(case_id) == []


def test_barge_in_is_reported_on_interrupting_caller_turns_only() -> None:
    body = _body(["I need to reschedule.", "Wednesday afternoon."])
    body["scenario"]["turns"][1]["interrupt"] = True
    body["scenario"]["turns"].insert(0, {"text": "Hi.", "interrupt": True})  # nothing to cut
    callers = [e for e in run_agent(body)["events"] if e.get("role") == "caller"]
    assert ["agent_stop_ms" in e for e in callers] == [False, False, True]
    assert callers[2]["agent_stop_ms"] < 300
    ignored = run_agent(body, ["barge-in-ignored"])
    stop = next(e["agent_stop_ms"] for e in ignored["events"] if "agent_stop_ms" in e)
    assert stop > 1000


def test_documented_case_table_names_real_cases() -> None:
    import gate.reference

    doc = gate.reference.__doc__ or ""
    for case_id, _ in CAUGHT_BY.values():
        assert case_id in doc
    assert set(BUGS) == set(CAUGHT_BY) | {"flaky"}
