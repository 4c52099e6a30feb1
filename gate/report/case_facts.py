"""What every markdown report says of one case: its link, first failure, trials, evidence (pure)."""

from __future__ import annotations

import posixpath
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gate.report.markdown import html_text, md_link, md_text
from gate.results import (
    AssertionOutcome,
    CaseResult,
    Status,
)
from gate.text import compact, json_compact

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
    return " · ".join([*parts, *source_facts(result)])


def source_facts(result: CaseResult) -> list[str]:
    """`incident INC-1`, `detected by qa-review`, `source trace …`: where the case came from."""
    source = result.case.case.source
    named = (("incident", source.incident), ("detected by", source.detected_by))
    facts = [f"{label} {md_text(value, 80)}" for label, value in named if value]
    if source.trace_id:
        facts.append(f"source trace {md_text(source.trace_id, 80)}")
    return facts


def agent_lines(cases: Sequence[CaseResult]) -> list[str]:
    """The agents under test (each distinct `agent_ref`) and what the harness reported running."""
    asked = _distinct(c.case.case.agent_ref for c in cases)
    reported = _distinct(c.agent_reported for c in cases)
    if not asked and not reported:
        return []
    lines = [f"Agent under test: {'; '.join(md_text(compact(a, 200), 200) for a in asked[:3])}"]
    if len(asked) > 3:
        lines[0] += f" (and {len(asked) - 3} more)"
    shown = "; ".join(md_text(compact(r, 200), 200) for r in reported[:3])
    lines.append(f"Harness reports: {shown or 'no agent version in its runs'}")
    return [" · ".join(lines)]


def _distinct(values: Iterable[Mapping[str, Any] | None]) -> list[Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for value in values:
        if value:
            found.setdefault(json_compact(value), value)
    return list(found.values())


def trial_split(result: CaseResult) -> str:
    """`2/3 trials passed`, noting planned trials that early stopping made unnecessary."""
    ran = len(result.trials)
    planned = f" ({result.trials_planned} planned)" if ran < result.trials_planned else ""
    return f"{result.passed_trials}/{ran} trials passed{planned}"


ICONS = {
    Status.FAIL: "❌",
    Status.ERROR: "⚠️",
    Status.INCONCLUSIVE: "❔",
    Status.PASS: "✅",
    Status.SKIPPED: "⏭️",
}


ASSERTIONS_PER_CASE = 20


def case_details(result: CaseResult) -> list[str]:
    """A folded block per not-passing case: every failing assertion of every bad trial."""
    title = (
        f"{ICONS[result.status]} {html_text(result.case.id, 200)}: "
        f"{result.status.value}, {html_text(trial_split(result), 80)}"
    )
    lines = [f"<details><summary>{title}</summary>", ""]
    facts = "".join(f" · {fact}" for fact in source_facts(result))
    lines.append(
        f"Owner {md_text(result.case.case.owner, 100)} · severity "
        f"{md_text(result.case.case.source.severity, 20)} · source call "
        f"{md_text(result.case.case.source.source_call_id, 100)}{facts} · "
        f"{md_text(result.case.file, 200)}:{result.case.line}"
    )
    lines.append("")
    for trial in result.trials:
        if trial.status is Status.PASS:
            continue
        lines.append(f"- trial {trial.trial}: {trial.status.value}: {md_text(trial.reason, 300)}")
        bad = [a for a in trial.assertions if a.status is not Status.PASS]
        lines.extend(f"  - {assertion_line(a)}" for a in bad[:ASSERTIONS_PER_CASE])
        if len(bad) > ASSERTIONS_PER_CASE:
            lines.append(f"  - … and {len(bad) - ASSERTIONS_PER_CASE} more")
    return [*lines, "", "</details>"]


def assertion_line(outcome: AssertionOutcome) -> str:
    """`state name: message; expected …; actual …; turn n` as inert markdown."""
    parts = [f"{outcome.status.value} {md_text(outcome.name, 100)}: {md_text(outcome.message)}"]
    if outcome.expected is not None:
        parts.append(f"expected {md_text(compact(outcome.expected, 300))}")
    if outcome.actual is not None:
        parts.append(f"actual {md_text(compact(outcome.actual, 300))}")
    if outcome.turn is not None:
        parts.append(f"turn {outcome.turn}")
    for i, vote in enumerate(outcome.votes or (), start=1):
        verdict = vote.get("verdict") if isinstance(vote, dict) else None
        reason = vote.get("reason") if isinstance(vote, dict) else vote
        parts.append(f"vote {i} {md_text(verdict or 'abstain', 20)}: {md_text(reason, 200)}")
    return "; ".join(parts)
