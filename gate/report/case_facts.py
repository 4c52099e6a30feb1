"""What every markdown report says of one case: its link, first failure, trials, evidence (pure)."""

from __future__ import annotations

import posixpath
import urllib.parse
from dataclasses import dataclass

from gate.report.evidence import trial_split
from gate.report.markdown import md_link, md_text
from gate.results import AssertionOutcome, CaseResult, Status

_VOTES = ("pass", "fail", "abstain", "error")


@dataclass(frozen=True)
class ReportLinks:
    """Where a reader goes next; every field is optional (a local run has none)."""

    run_url: str | None = None  # the workflow run: logs, job summary, artifacts
    file_base: str | None = None  # `{server}/{repo}/blob/{sha}/`: case files link to their line
    commit: str | None = None
    workspace: str | None = None  # the checkout: case paths are made relative to it
    cwd: str | None = None  # where the gate ran: what a relative case path is relative to


def case_link(result: CaseResult, links: ReportLinks) -> str:
    """The case id, linked to its file and line at the tested commit when that is known."""
    label = md_text(result.case.id, 200)
    path = relative_path(result.case.file, links.workspace, links.cwd)
    if not links.file_base or path.startswith("/") or ".." in path.split("/"):
        return label
    quoted = urllib.parse.quote(path, safe="/")
    return md_link(label, f"{links.file_base}{quoted}#L{result.case.line}")


def relative_path(file: str, workspace: str | None, cwd: str | None = None) -> str:
    """A case file relative to the checkout (GitHub resolves paths from the repository root).

    A relative `file` is taken from `cwd`, which a `working-directory:` may put below the
    workspace; a file outside the workspace (or with none known) keeps the path it was given.
    """
    path = file.replace("\\", "/")
    absolute = path
    if cwd and path and not posixpath.isabs(path):
        absolute = posixpath.join(cwd.replace("\\", "/"), path)
    if workspace and posixpath.isabs(absolute):
        root = workspace.replace("\\", "/").rstrip("/")
        absolute = posixpath.normpath(absolute)
        if absolute.startswith(root + "/"):
            return absolute[len(root) + 1 :]
    return posixpath.normpath(path) if path else path


def first_failing_outcome(result: CaseResult) -> AssertionOutcome | None:
    """The first assertion in its trial's state, in the first trial that explains the case:
    one in the case's state, or for a case that passed anyway, one that did not pass."""
    for trial in result.trials:
        explains = (
            trial.status is not Status.PASS
            if result.status is Status.PASS
            else trial.status is result.status
        )
        if explains:
            for outcome in trial.assertions:
                if outcome.status is trial.status:
                    return outcome
    return None


def first_failure(result: CaseResult) -> str:
    """`name: message` of `first_failing_outcome`, else the case's reason (a harness error)."""
    outcome = first_failing_outcome(result)
    return f"{outcome.name}: {outcome.message}" if outcome else result.reason


def trials_and_votes(result: CaseResult) -> str:
    """`2/3 trials passed`, plus the judge's split (`judge 1 pass, 1 fail, 1 abstain`)."""
    parts = [trial_split(result)] if len(result.trials) > 1 or result.trials_planned > 1 else []
    votes = next(
        (
            o.votes
            for t in result.trials
            for o in t.assertions
            if o.votes and o.status is result.status
        ),
        None,
    )
    if votes:
        tally: dict[str, int] = {}
        for vote in votes:
            verdict = vote.get("verdict") if isinstance(vote, dict) else None
            name = str(verdict) if verdict in ("pass", "fail", "error") else "abstain"
            tally[name] = tally.get(name, 0) + 1
        parts.append("judge " + ", ".join(f"{tally[k]} {k}" for k in _VOTES if k in tally))
    return "; ".join(parts) or "1 trial"


def evidence_links(result: CaseResult, links: ReportLinks) -> str:
    """Source call id, trace (linked when the harness gave a URL), and the run's artifacts."""
    parts = [f"call {md_text(result.case.case.source.source_call_id, 80)}"]
    run = next((t.run for t in result.trials if t.status is result.status and t.run), None)
    trace_url = (run.artifacts or {}).get("trace_url") if run else None
    trace = md_link("trace", trace_url)
    if trace != "trace":
        parts.append(trace)
    elif run and run.trace_id:
        parts.append(f"trace {md_text(run.trace_id, 80)}")
    if links.run_url:
        parts.append(md_link("evidence", links.run_url))
    return " · ".join(parts)
