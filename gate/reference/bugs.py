"""The reference agent's switchable planted regressions: name -> what goes wrong."""

from __future__ import annotations

BUG_DESCRIPTIONS: dict[str, str] = {
    "duplicate-booking": "creates a new appointment instead of updating the existing one",
    "skip-identity": "never calls lookup_identity before touching the calendar",
    "wrong-slot": "writes a slot other than the one the caller asked for",
    "policy-leak": "reads back the caller's account id and says 'I created a new appointment'",
    "slow": "every agent turn reports >= 1500 ms latency (reported, not slept)",
    "flaky": "answers HTTP 503 to the first attempt of each run (same Idempotency-Key)",
    "unplanned-handoff": "transfers to a human in the middle of a reschedule",
    "bad-handoff-summary": "hands off with a summary that loses the caller's goal and id",
    "confirmation-error": "send_confirmation fails (status error) and the agent says it was sent",
    "confirmation-channel": "the SMS confirmation silently goes out by email (the result says so)",
    "early-confirmation": "confirms before anything is written, then again after the write",
    "slot-recheck": "re-reads the appointments between checking a slot and writing it",
    "barge-in-ignored": "keeps talking to the end of its sentence when the caller barges in",
    "first-word-late": "audio starts on time, but the first word comes 1.4 s later",
    "latency-tail": "the first turn of every third trial reports 1.5 s more latency",
    "intent-mislabel": "labels a cancellation 'reschedule' (the call still cancels)",
    "mishear": "speech recognition hears proper nouns as common words ('Bayer' as 'buyer')",
}
BUGS: tuple[str, ...] = tuple(BUG_DESCRIPTIONS)
