"""The state algebra of verdicts.md: assertion states → trial → case (trials) → gate verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from gate.results import (
    NOT_PASSING,
    AssertionOutcome,
    CaseResult,
    Selection,
    Status,
    TrialResult,
)
from gate.text import listed

FAIL_ON = ("blocking", "any", "never", "new")
# Under `--fail-on new` a blocking case blocks unless the baseline shows its failure is old (or
# only flaky there): a case the baseline does not hold, or no label at all, is no evidence.
NOT_NEW = ("pre-existing", "flaky-on-base")
EVIDENCE_STATES = (Status.PASS, Status.FAIL, Status.ERROR, Status.INCONCLUSIVE)


def trial_state(outcomes: Sequence[AssertionOutcome]) -> Status:
    """One trial: fail > error > inconclusive > pass (needs one pass) > skipped."""
    states = {o.status for o in outcomes}
    for state in (Status.FAIL, Status.ERROR, Status.INCONCLUSIVE, Status.PASS):
        if state in states:
            return state
    # Nothing evaluated (or everything skipped): a case with no evaluated assertion never passes.
    return Status.SKIPPED


def first_reason(outcomes: Sequence[AssertionOutcome], state: Status) -> str:
    """The one-line reason of a trial: the first outcome in the trial's state."""
    for outcome in outcomes:
        if outcome.status is state:
            if state is Status.PASS:
                passed = sum(o.status is Status.PASS for o in outcomes)
                return f"{passed}/{len(outcomes)} assertions passed"
            return f"{outcome.name}: {outcome.message}"
    return "no assertion was evaluated"


def pass_threshold(planned: int, threshold: int | None) -> int:
    """Passing trials needed: the case's `pass_threshold`, else a strict majority."""
    # Never lowered to fit fewer trials: a case that cannot reach its threshold cannot pass.
    return threshold if threshold else planned // 2 + 1


@dataclass(frozen=True)
class TrialTally:
    """Where a case stands after some of its trials."""

    status: Status
    decided: bool
    reason: str


def tally_trials(trials: Sequence[TrialResult], planned: int, threshold: int | None) -> TrialTally:
    """Combine trials; `decided` once more trials cannot change the outcome (early stop)."""
    need = pass_threshold(planned, threshold)
    passes = sum(t.status is Status.PASS for t in trials)
    fails = sum(t.status is Status.FAIL for t in trials)
    inconclusive = sum(t.status is Status.INCONCLUSIVE for t in trials)
    remaining, slack = planned - len(trials), planned - need
    first_bad = next((t for t in trials if t.status is not Status.PASS), None)
    if trials and all(t.status is Status.SKIPPED for t in trials):
        # Skips are deterministic (no judge configured): more trials would skip too.
        return TrialTally(Status.SKIPPED, True, trials[0].reason)
    if passes >= need:
        status, decided = Status.PASS, True
    elif passes + remaining < need:
        decided = True
        if fails > slack:
            status = Status.FAIL
        elif fails + inconclusive > slack:
            status = Status.INCONCLUSIVE
        else:
            status = Status.ERROR  # too many trials errored to decide either way
    else:
        return TrialTally(Status.ERROR, False, "undecided")
    if planned == 1:
        return TrialTally(status, decided, trials[0].reason)
    split = f"{passes}/{len(trials)} trials passed (need {need} of {planned})"
    detail = f"; trial {first_bad.trial}: {first_bad.reason}" if first_bad else ""
    return TrialTally(status, decided, split + detail)


def blocks(result: CaseResult, fail_on: str, label: str | None = None) -> bool:
    """Whether this case's state blocks the merge under `--fail-on` (`label`: its baseline)."""
    if result.status not in NOT_PASSING or fail_on == "never":
        return False
    if fail_on == "new" and label in NOT_NEW:
        return False
    return fail_on == "any" or result.level == "blocking"


@dataclass(frozen=True)
class Verdict:
    """The gate's verdict and the one-line reason the summary and exit code carry."""

    verdict: Literal["pass", "fail"]
    reason: str
    blocking_failures: tuple[str, ...] = ()


def _empty_reason(
    cases: Sequence[CaseResult], files_found: int, sources: str, empty_selection: str | None
) -> str | None:
    """Why the run is empty (no evidence at all), or None when it is not."""
    if files_found == 0:
        return f"no case files found under {sources}"
    if not cases:
        # A change that affects no case is not empty (the selection says so); a tier that holds
        # no case at all is: a release gate that checks nothing must not go green.
        return empty_selection
    if sum(c.harness_calls for c in cases) == 0:
        return f"{len(cases)} case(s) selected but zero harness calls were made"
    if not any(c.status in EVIDENCE_STATES for c in cases):
        return f"all {len(cases)} selected case(s) were skipped: nothing was checked"
    return None


def none_selected_reason(selection: Selection) -> str:
    """Why a run with case files selected none (the selection note, printed above, has more)."""
    if selection.changed_paths is not None:
        return "no case is affected by this change"
    return f"no case belongs to tier {selection.tier}"


def empty_selection_reason(selection: Selection) -> str | None:
    """When selecting no case makes the run empty, why; None when selecting none is legitimate.

    Legitimate: the fast tier with change information when the tier holds cases (the change
    affects none of them), or one shard of a run whose other shards got the cases.
    """
    whole = selection.shard.run_selected if selection.shard else selection.selected
    if whole:
        return None
    if selection.in_tier == 0:
        return (
            f"tier {selection.tier} holds no case ({selection.considered} considered): "
            "nothing can be checked"
        )
    if selection.tier == "fast" and selection.changed_paths is not None:
        return None
    return f"tier {selection.tier} selected no case out of {selection.considered} considered"


def gate_verdict(
    cases: Sequence[CaseResult],
    *,
    fail_on: str,
    fail_on_empty: bool,
    files_found: int,
    sources: str,
    abort_reason: str | None = None,
    none_selected: str = "no case is affected by this change",
    empty_selection: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Verdict:
    """Pass or fail for the whole run; an aborted or (by default) empty run never passes.

    `none_selected` is the reason given when case files exist but the selection picked none;
    `empty_selection` (from `empty_selection_reason`) makes such a run empty instead;
    `labels` are the cases' baseline labels (`--fail-on new`).
    """
    if abort_reason:
        return Verdict("fail", abort_reason)
    empty = _empty_reason(cases, files_found, sources, empty_selection)
    if empty and fail_on_empty:
        return Verdict("fail", f"{empty} (pass --fail-on-empty false to allow this)")
    labels = labels or {}
    blocking = tuple(c.case.id for c in cases if blocks(c, fail_on, labels.get(c.case.id)))
    if blocking:
        shown = listed(blocking, 5)
        return Verdict("fail", f"{len(blocking)} blocking case(s) did not pass: {shown}", blocking)
    if empty:
        return Verdict("pass", f"{empty}; allowed by --fail-on-empty false")
    if not cases:
        return Verdict("pass", none_selected)
    passed = sum(c.status is Status.PASS for c in cases)
    other = len(cases) - passed
    tail = f"; {other} case(s) did not pass without blocking (--fail-on {fail_on})" if other else ""
    return Verdict("pass", f"{passed}/{len(cases)} case(s) passed{tail}")
