"""The fault-injection suite: hundreds of cases through the real gate against a FaultHarness."""

from __future__ import annotations

import io
import json
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from gate.reference import loopback
from gate.reference.faults import FAULTS, REPLAYED_TRIALS, TRANSIENT, FaultHarness, parse_case_id

CASE = """\
version: 1
suite: fault_injection
owner: gate-faults
source: {{type: synthetic, source_call_id: fault-{index}, failure_label: side_effect,
          severity: high, sanitized: true}}
agent_ref: {{agent_slug: scheduling-agent}}
fixture:
  caller_id: caller_fixture_{index}
  appointment_id: appt_fixture_{index}
  existing_state:
    appointment_status: confirmed
    appointment_start: "2026-06-02T16:00:00-05:00"
    available_slots: ["2026-06-09T08:30:00-05:00", "2026-06-09T15:00:00-05:00"]
  side_effect_mode: sandbox
scenario: {{turns: ["Could you move my appointment to Tuesday morning?"], max_turns: 4}}
{trials}assertions:
  tools:
    forbidden_tools: [create_new_appointment]
    max_calls: {{update_appointment: 1}}
  side_effects:
    calendar: {{duplicate_events_allowed: false, max_writes: 1, forbidden_ops: [create]}}
promotion: {{level: blocking, run_on: [prompt_change]}}
"""


def write_cases(folder: Path, count: int) -> list[str]:
    """`count` case files cycling through every fault, on a clean and on a buggy agent."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for index in range(count):
        fault = FAULTS[index // 2 % len(FAULTS)]
        case_id = f"{index:03d}-{fault}-{'bug' if index % 2 else 'ok'}"
        trials = "trials: 2\npass_threshold: 2\n" if fault in REPLAYED_TRIALS else ""
        text = CASE.format(index=index, trials=trials)
        (folder / f"{case_id}.yaml").write_text(text, encoding="utf-8")
        ids.append(case_id)
    return ids


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not hold the suite at shutdown
    request_queue_size = 256  # every concurrent trial connects at once
    harness: FaultHarness

    def handle_error(self, request: object, client_address: object) -> None:
        """Silenced: a gate that hangs up (its timeout fired) is part of the experiment."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5.0
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        """Silenced: the suite's table is the output."""

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        harness = self.server.harness
        answer = harness.handle(self.command, self.path, headers, body)
        stopped = bool(answer.delay_s) and harness.stopping.wait(answer.delay_s)
        if stopped or answer.stall:
            self.close_connection = True
            return
        if answer.reset:
            # SO_LINGER 0: closing sends RST, i.e. "connection reset by peer".
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


@contextmanager
def serving(harness: FaultHarness) -> Iterator[str]:
    """Serve `harness` on 127.0.0.1:<ephemeral> in a thread; yields its base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.harness = harness
    with loopback.serving(server, on_stop=harness.stopping.set) as url:
        yield url


@dataclass
class Row:
    """One fault's figures."""

    fault: str
    expected: str  # "true result", "error", or "error|bug:fail" (see expected_state)
    cases: int = 0
    retries: int = 0  # POST attempts beyond the first of each run
    polls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    false_passes: int = 0  # ended `pass` without being a clean case under a fault that clears
    wrong: int = 0  # any other state than expected
    lost: int = 0  # selected, but in no state in the results


@dataclass
class SuiteReport:
    """The suite's table and the run's own figures."""

    rows: dict[str, Row]
    selected: int
    wall_s: float
    timeout_s: float
    exit_code: int
    keys_per_run: Counter[int]  # how many runs saw 1, 2, … Idempotency-Keys
    shared_keys: int  # keys sent for more than one (case, trial)
    slowest_trial_s: float
    reasons: dict[str, str]  # each case's one-line reason, by case id

    def total(self, name: str) -> int:
        return sum(int(getattr(row, name)) for row in self.rows.values())


# The gate's CLI entry point (gate.cli.main): passed in, since the CLI stands above this package.
Cli = Callable[[list[str], dict[str, str], TextIO, TextIO], int]


def run_suite(
    main: Cli,
    folder: Path,
    count: int,
    *,
    concurrency: int = 64,
    timeout_s: float = 3.0,
    retries: int = 2,
) -> SuiteReport:
    """Write `count` cases under `folder`, run the real gate (`main`) on them, and tally."""

    ids = write_cases(folder / "cases", count)
    harness = FaultHarness(replay_source=ids[0])
    results = folder / "results.json"
    argv = ["run", "--cases", str(folder / "cases"), "--results", str(results)]
    argv += ["--concurrency", str(concurrency), "--timeout", f"{timeout_s:g}"]
    argv += ["--retries", str(retries), "--fail-on", "any"]
    started = time.monotonic()
    with serving(harness) as url:
        code = main([*argv, "--harness-url", url], {}, io.StringIO(), io.StringIO())
    wall = time.monotonic() - started
    data = json.loads(results.read_text("utf-8")) if results.exists() else {"cases": []}
    return tally(ids, data["cases"], harness, wall, timeout_s, code)


def expected_state(case_id: str) -> str:
    """The state a suite case must end in: its true result when the fault clears, else error."""
    fault, bug = parse_case_id(case_id)
    if fault in TRANSIENT:
        return "fail" if bug else "pass"
    # Trial 1 of a trial replay is a genuine run: on the buggy agent it decides `fail` alone.
    return "fail" if bug and fault in REPLAYED_TRIALS else "error"


def _expected_label(fault: str) -> str:
    if fault in TRANSIENT:
        return "true result"
    return "error|bug:fail" if fault in REPLAYED_TRIALS else "error"


def tally(
    ids: list[str],
    cases: list[dict[str, Any]],
    harness: FaultHarness,
    wall_s: float,
    timeout_s: float,
    exit_code: int,
) -> SuiteReport:
    """Per fault: cases, outcomes, retries, polls, false passes, wrong states and lost cases."""
    states: dict[str, list[str]] = {}
    for case in cases:
        states.setdefault(case["id"], []).append(case["status"])
    rows: dict[str, Row] = {}
    for case_id in ids:
        fault, _ = parse_case_id(case_id)
        want = expected_state(case_id)
        row = rows.setdefault(fault, Row(fault, _expected_label(fault)))
        row.cases += 1
        row.polls += harness.polls[case_id]
        row.retries += sum(n - 1 for (c, _t), n in harness.posts.items() if c == case_id)
        got = states.get(case_id, [])
        if len(got) != 1:  # no state, or more than one: either way the case is lost
            row.lost += 1
            continue
        row.outcomes[got[0]] += 1
        row.false_passes += got[0] == "pass" and want != "pass"
        row.wrong += got[0] != want
    trials = [t for c in cases for t in c.get("trials", [])]
    seen = Counter(key for keys in harness.keys.values() for key in keys)
    return SuiteReport(
        rows=rows,
        selected=len(ids),
        wall_s=wall_s,
        timeout_s=timeout_s,
        exit_code=exit_code,
        keys_per_run=Counter(len(keys) for keys in harness.keys.values()),
        shared_keys=sum(1 for n in seen.values() if n > 1),
        slowest_trial_s=max((float(t.get("duration_s") or 0) for t in trials), default=0.0),
        reasons={c["id"]: str(c.get("reason", "")) for c in cases},
    )


def render_table(report: SuiteReport) -> str:
    """The suite's figures as a plain-text table, one line per fault, then the totals."""
    head = f"{'fault':<22}{'expect':<16}{'cases':>6}{'retries':>8}{'polls':>7}"
    head += f"  {'outcomes':<28}{'false pass':>11}{'wrong':>6}{'lost':>5}"
    lines = [head, "-" * len(head)]
    for row in report.rows.values():
        outcomes = " ".join(f"{k}={v}" for k, v in sorted(row.outcomes.items()))
        lines.append(
            f"{row.fault:<22}{row.expected:<16}{row.cases:>6}{row.retries:>8}{row.polls:>7}"
            f"  {outcomes:<28}{row.false_passes:>11}{row.wrong:>6}{row.lost:>5}"
        )
    lines.append("-" * len(head))
    totals = Counter[str]()
    for row in report.rows.values():
        totals.update(row.outcomes)
    outcomes = " ".join(f"{k}={v}" for k, v in sorted(totals.items()))
    lines.append(
        f"{'total':<22}{'':<16}{report.selected:>6}{report.total('retries'):>8}"
        f"{report.total('polls'):>7}  {outcomes:<28}{report.total('false_passes'):>11}"
        f"{report.total('wrong'):>6}{report.total('lost'):>5}"
    )
    keys = ", ".join(f"{n} key(s): {runs} runs" for n, runs in sorted(report.keys_per_run.items()))
    lines.append(
        f"faults: {len(report.rows)}; Idempotency-Keys per run: {keys}; keys shared between "
        f"runs: {report.shared_keys}; slowest trial {report.slowest_trial_s:.2f}s "
        f"(timeout {report.timeout_s:g}s); wall {report.wall_s:.1f}s; gate exit {report.exit_code}"
    )
    return "\n".join(lines)
