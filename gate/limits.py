"""The documented maximum of every count and duration a case, the gate config or a flag sets."""

from __future__ import annotations

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
