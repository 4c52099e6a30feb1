"""What every adapter test asks of a running adapter, read with the gate's own parser and rules."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from harness_protocol import Harness, make_server

from gate.cli import main
from gate.dispatch.consistency import inconsistency
from gate.dispatch.protocol import parse_run
from gate.reference.loopback import serving
from gate.results import HarnessRun

ADAPTERS_DIR = Path(__file__).resolve().parents[2] / "examples" / "adapters"
CASE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "adapters"
    / "cases"
    / "reschedule-updates.yaml"
)


@contextmanager
def running(harness: Harness) -> Iterator[str]:
    """The adapter's HTTP server on loopback for the block; yields its base URL."""
    with serving(make_server(harness), poll_interval=0.02) as url:
        yield url


def request_body(
    case_id: str = "adapters/reschedule", trial: int = 1, **scenario: Any
) -> dict[str, Any]:
    turns = scenario.pop("turns", ["I need to move my Tuesday appointment to Wednesday at 3 PM."])
    return {
        "protocol": "voice-regress/v1",
        "case_id": case_id,
        "trial": trial,
        "agent_ref": {"agent_slug": "scheduling-agent"},
        "fixture": {"caller_id": "caller_fixture_100", "side_effect_mode": "mock"},
        "scenario": {"turns": turns, "max_turns": 4, **scenario},
    }


def post_run(url: str, body: dict[str, Any], key: str) -> httpx.Response:
    return httpx.post(f"{url}/runs", json=body, headers={"Idempotency-Key": key}, timeout=30)


def consistent_run(url: str, body: dict[str, Any], key: str) -> HarnessRun:
    """POST one run and read the answer as the gate does: parse_run, then the consistency rules."""
    response = post_run(url, body, key)
    assert response.status_code == 200, response.text
    run = parse_run(response.content)
    problem = inconsistency(run, body["case_id"], body["trial"], body["scenario"].get("max_turns"))
    assert problem is None, problem
    return run


def assert_speaks_the_protocol(url: str, harness: Harness) -> HarnessRun:
    """Health, one consistent run, idempotency, a distinct run per trial, 4xx for bad input."""
    health = httpx.get(f"{url}/health", timeout=10).json()
    assert health["protocol"] == "voice-regress/v1" and health["agent"]["name"]
    first = consistent_run(url, request_body(), "key-1")
    again = consistent_run(url, request_body(), "key-1")
    assert again.run_id == first.run_id and harness.agent_runs == 1  # a retry is the same run
    second = consistent_run(url, request_body(trial=2), "key-2")
    assert second.run_id != first.run_id and harness.agent_runs == 2
    assert post_run(url, request_body(trial=3), "key-1").status_code == 422  # key reused
    assert post_run(url, {**request_body(), "protocol": "voice-regress/v2"}, "k").status_code == 422
    assert post_run(url, request_body(turns=[]), "k2").status_code == 422
    return first


def gate_run(url: str, results: Path, case: Path = CASE) -> tuple[int, str, dict[str, Any]]:
    """`voice-regress-gate run` against the adapter: exit code, output, results file."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", "--harness-url", url, "--cases", str(case), "--results", str(results)]
    code = main(argv, {}, out, err)
    return code, out.getvalue() + err.getvalue(), json.loads(results.read_text(encoding="utf-8"))
