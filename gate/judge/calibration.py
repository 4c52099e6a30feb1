"""Calibration: does the judge agree with a criterion's labelled examples often enough to trust?"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gate.judge.prompt import render_example
from gate.judge.votes import Vote, VoteTally
from gate.models import JudgedAssertion
from gate.results import Status

THRESHOLD = 0.8
Score = Callable[[str, str, int], Awaitable[tuple[VoteTally, list[Vote]]]]


@dataclass(frozen=True)
class ExampleResult:
    """One labelled example and what the judge made of it."""

    label: str  # "pass" or "fail"
    index: int
    status: Status  # the judge's majority verdict (or inconclusive / error)
    reason: str

    @property
    def agrees(self) -> bool:
        return self.status.value == self.label


@dataclass(frozen=True)
class Calibration:
    """Agreement of the judge with the labels; `error` when the judge could not be asked."""

    examples: tuple[ExampleResult, ...]
    error: str | None = None

    @property
    def agreed(self) -> int:
        return sum(e.agrees for e in self.examples)

    @property
    def agreement(self) -> float | None:
        return self.agreed / len(self.examples) if self.examples else None

    def problem(self) -> str | None:
        """Why the judge must not be trusted on this criterion, or None when it may."""
        if self.error is not None:
            return f"judge not calibrated: {self.error}"
        agreement = self.agreement
        if agreement is None:
            return "judge not calibrated (no labelled examples)"
        if agreement < THRESHOLD:
            return f"judge not calibrated (agreement {agreement:.2f} < {THRESHOLD:.2f})"
        return None

    def summary(self) -> str:
        agreement = self.agreement
        if self.error is not None or agreement is None:
            return self.problem() or ""
        verdict = "calibrated" if agreement >= THRESHOLD else "NOT calibrated"
        sign = "≥" if agreement >= THRESHOLD else "<"
        return (
            f"agreement {self.agreed}/{len(self.examples)} = {agreement:.2f} "
            f"{sign} {THRESHOLD:.2f}: {verdict}"
        )


def labelled(assertion: JudgedAssertion) -> list[tuple[str, int, str]]:
    """(label, index, text) of every labelled example, pass examples first."""
    examples = assertion.examples
    if examples is None:
        return []
    return [("pass", i, t) for i, t in enumerate(examples.pass_)] + [
        ("fail", i, t) for i, t in enumerate(examples.fail)
    ]


async def calibrate(assertion: JudgedAssertion, votes: int, score: Score) -> Calibration:
    """Judge every labelled example by the same majority vote the gate uses; a judge that is down
    makes the calibration an error (no evidence of agreement), never a pass."""
    results: list[ExampleResult] = []
    for label, index, text in labelled(assertion):
        tally, cast = await score(assertion.criterion, render_example(text), votes)
        status = tally.status or Status.ERROR
        if status is Status.ERROR:
            first = next((v.error for v in cast if v.error), "the judge is unavailable")
            return Calibration(tuple(results), error=first)
        reason = next((v.reason for v in cast if v.verdict == status.value), "no majority")
        results.append(ExampleResult(label, index, status, reason))
    return Calibration(tuple(results))
