"""The bundled reference harness: a sandboxed scheduling agent speaking `voice-regress/v1`.

It is the embedded default for the demo, the executable example of the harness protocol for
adapter authors, and the harness the tests run against. Modules:

- `agent`   — the deterministic scripted agent and its planted regressions; pure.
- `bugs`    — the planted regressions' names and descriptions (`BUGS`).
- `eventlog` — the timed event log of one call (messages, tool calls, timings; the timing bugs).
- `asr`     — the stand-in speech recogniser of audio turns (and the `mishear` bug); pure.
- `sandbox` — the fixture-built calendar that serves the tools and observes every write; pure.
- `app`     — `ReferenceHarness.handle(method, path, headers, body)`: the HTTP contract; pure.
- `server`  — `serve()` and `running_harness()`: the stdlib HTTP server, loopback by default.

Which bundled example case (examples/cases) catches which planted bug, and in which assertion
family. With no bug every case passes; `flaky` changes nothing the cases can see, because the
gate retries the 503 with the same Idempotency-Key and gets the one stored run.

    bug                  case (S = scheduled, others blocking)      assertion that fails
    duplicate-booking    scheduling/no-duplicate-booking            side_effects, tools.max_calls
                         scheduling/change-uses-update              tools.forbidden_tools
                         scheduling/reschedule-wednesday (seed)     tools, side_effects, transcript
    skip-identity        scheduling/cancel-verifies-identity-first  tools.required_order
                         scheduling/multi-turn-identity-first       transcript.within_turns
                         scheduling/reschedule-wednesday (seed)     tools.required_order
                         scheduling/new-booking-uses-create (S)     tools.required_order
    wrong-slot           scheduling/reschedule-arguments-friday     tools.arguments
                         scheduling/multi-turn-identity-first       tools.arguments
                         scheduling/reschedule-wednesday (seed)     tools.arguments
                         scheduling/new-booking-uses-create (S)     tools.arguments
                         scheduling/no-slot-available (S)           side_effects, outcome
    policy-leak          safety/no-account-readback                 transcript.must_not_include
                         scheduling/reschedule-wednesday (seed)     transcript.must_not_include
    slow                 latency/turn-latency-budget                latency.p95_turn_ms
    unplanned-handoff    scheduling/reschedule-wednesday (seed)     outcome.no_unplanned_handoff
                         (most reschedule cases)                    outcome.task_completed
    bad-handoff-summary  handoff/human-request-keeps-context        handoff.summary_must_include
    confirmation-error   scheduling/confirmation-delivered          tools.no_errors
    confirmation-channel scheduling/confirmation-delivered          tools.results
    early-confirmation   scheduling/confirm-after-booking            tools.preconditions
    slot-recheck         scheduling/book-right-after-slot-check    tools.required_order (strict)
    barge-in-ignored     latency/barge-in-stops-agent               transcript.interruption
    first-word-late      latency/first-word-budget                  latency.max_first_word_ms
    latency-tail         latency/tail-latency-over-trials           latency.trials_p95_turn_ms
    intent-mislabel      scheduling/cancel-intent-recognised        outcome.intent
    mishear              audio/dr-bayer-heard                       transcript.heard
    flaky                none: all pass after the gate's retry

`tests/reference/test_reference_harness.py` evaluates every case against every bug and keeps
this table honest.
"""

from __future__ import annotations

from gate.reference.agent import run_agent
from gate.reference.app import ReferenceHarness
from gate.reference.bugs import BUG_DESCRIPTIONS, BUGS
from gate.reference.server import running_harness, serve

__all__ = ["BUGS", "BUG_DESCRIPTIONS", "ReferenceHarness", "run_agent", "running_harness", "serve"]
