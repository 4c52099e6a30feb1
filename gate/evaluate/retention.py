"""`assertions.evidence.retain_transcript: false` reaches the outcomes: no agent words quoted."""

from __future__ import annotations

from dataclasses import replace

from gate.results import AssertionOutcome, CaseResult, TrialResult

NOT_RETAINED = "[not retained]"
# The checks whose outcome quotes what was said: an utterance, a handoff summary.
QUOTING = ("transcript.", "handoff.summary_must_include")


def _quoted(outcome: AssertionOutcome) -> list[str]:
    """The forms in which this outcome's message may quote the words it found."""
    if not outcome.name.startswith(QUOTING) or not isinstance(outcome.actual, str):
        return []
    words = outcome.actual
    return sorted({repr(words), repr(words[:160]), words} - {"", "''"}, key=len, reverse=True)


def _scrub(text: str, quotes: list[str]) -> str:
    for quote in quotes:
        text = text.replace(quote, NOT_RETAINED)
    return text


def _trial(trial: TrialResult, quotes: list[str]) -> TrialResult:
    outcomes = tuple(
        replace(o, message=_scrub(o.message, quotes), actual=NOT_RETAINED)
        if _quoted(o)
        else replace(o, message=_scrub(o.message, quotes))
        for o in trial.assertions
    )
    return replace(trial, assertions=outcomes, reason=_scrub(trial.reason, quotes))


def retained(result: CaseResult) -> CaseResult:
    """The case as its retention policy lets reports keep it: with `retain_transcript: false`
    the agent's words quoted by transcript and handoff-summary checks become `[not retained]`
    (messages, `actual`, trial and case reasons). States and verdicts are unchanged."""
    if result.evidence.retain_transcript is not False:
        return result
    quotes = sorted(
        {q for t in result.trials for o in t.assertions for q in _quoted(o)},
        key=len,
        reverse=True,
    )
    if not quotes:
        return result
    trials = tuple(_trial(t, quotes) for t in result.trials)
    return replace(result, trials=trials, reason=_scrub(result.reason, quotes))
