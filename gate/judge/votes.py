"""Judge votes: a strict majority of the planned votes, asked one at a time with early stop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gate.results import Status
from gate.text import one_line

DEFAULT_VOTES = 3
VoteVerdict = Literal["pass", "fail", "abstain", "error"]


@dataclass(frozen=True)
class Vote:
    """One answer of the judge, an abstention, or an error vote, and why.

    An error vote (`verdict` "error", `error` set) is one where no answer could be had (judge
    unreachable, refused, timed out, retries spent); `latency_s` is still the time it took. An
    unusable answer (unparseable, evidence not in the transcript) abstains.
    """

    verdict: VoteVerdict
    reason: str
    evidence: str = ""
    model: str = ""
    latency_s: float = 0.0
    cached: bool = False
    error: str | None = None
    attempts: int = 0  # HTTP requests this vote made (0: from the cache, or the judge is down)

    def as_dict(self) -> dict[str, Any]:
        """The vote as the results file keeps it."""
        data: dict[str, Any] = {
            "verdict": self.verdict,
            "reason": self.reason,
            "evidence": self.evidence,
            "model": self.model,
            "latency_s": round(self.latency_s, 3),
            "cached": self.cached,
            "attempts": self.attempts,
        }
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class VoteTally:
    """Where a judged assertion stands; `status` is None while more votes could change it."""

    status: Status | None
    planned: int
    passes: int
    fails: int
    abstains: int
    errors: int = 0  # votes no answer could be had for

    @property
    def decided(self) -> bool:
        return self.status is not None


def majority(planned: int) -> int:
    """Votes one verdict needs: a strict majority of the planned votes."""
    return planned // 2 + 1


def tally_votes(votes: Sequence[Vote], planned: int) -> VoteTally:
    """Pass/fail once a verdict holds a strict majority of `planned`; `inconclusive` once none
    can; `error` when no vote could be cast at all (the judge was down), never `fail`."""
    passes = sum(v.verdict == "pass" for v in votes)
    fails = sum(v.verdict == "fail" for v in votes)
    errors = sum(v.verdict == "error" for v in votes)
    abstains = len(votes) - passes - fails - errors
    need, remaining = majority(planned), planned - len(votes)
    status: Status | None = None
    if passes >= need:
        status = Status.PASS
    elif fails >= need:
        status = Status.FAIL
    elif max(passes, fails) + remaining < need:
        judge_down = bool(votes) and all(v.error is not None for v in votes)
        status = Status.ERROR if judge_down else Status.INCONCLUSIVE
    return VoteTally(status, planned, passes, fails, abstains, errors)


async def collect_votes(planned: int, ask: Callable[[int], Awaitable[Vote]]) -> list[Vote]:
    """Ask vote 1, 2, … in turn, stopping as soon as the tally is decided."""
    votes: list[Vote] = []
    while len(votes) < planned and not tally_votes(votes, planned).decided:
        votes.append(await ask(len(votes)))
    return votes


def _quote(text: str, limit: int = 160) -> str:
    flat = one_line(text, None).replace('"', "'")
    return f'"{flat if len(flat) <= limit else flat[: limit - 1] + "…"}"'


def vote_message(tally: VoteTally, votes: Sequence[Vote]) -> str:
    """The outcome's message: `judge 2/3 fail: "…reason…"`, with the split when undecided."""
    if tally.status in (Status.PASS, Status.FAIL):
        verdict = tally.status.value
        count = tally.passes if tally.status is Status.PASS else tally.fails
        first = next(v for v in votes if v.verdict == verdict)
        return f"judge {count}/{tally.planned} {verdict}: {_quote(first.reason or first.evidence)}"
    if tally.status is Status.ERROR:
        first_error = next((v.error for v in votes if v.error), "no vote was cast")
        return f"judge unavailable: no vote could be cast ({len(votes)} tried): {first_error}"
    errors = f", {tally.errors} error(s)" if tally.errors else ""
    split = (
        f"judge {tally.passes}/{tally.planned} pass, {tally.fails}/{tally.planned} fail, "
        f"{tally.abstains} abstained{errors}: no majority"
    )
    details = "; ".join(f"{_word(v)}: {_quote(v.reason, 100)}" for v in votes)
    return f"{split} ({details})"


def _word(vote: Vote) -> str:
    return {"abstain": "abstained", "error": "error"}.get(vote.verdict, vote.verdict)
