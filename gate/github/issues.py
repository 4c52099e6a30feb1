"""Tracking issues for scheduled runs: one per failing case, updated while it fails, then closed.

An issue is ours when its body starts with a hidden marker naming the case and its author is
the identity the gate posts as; it carries the `voice-regress-gate` label (what we list by),
`owner:<owner>` and `failure:<label>`. Opening is capped per run, so a harness outage that
errors every case cannot open hundreds of issues. Nothing here changes the verdict.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from gate.github.api import GitHubApiError, GitHubClient, same_login
from gate.report.case_facts import (
    ReportLinks,
    case_details,
    case_link,
    evidence_links,
    first_failure,
)
from gate.report.markdown import md_link, md_text
from gate.results import NOT_PASSING, CaseResult, GateResult, Status
from gate.text import one_line

TRACK_LABEL = "voice-regress-gate"
MAX_NEW_ISSUES = 10
LABEL_LIMIT = 50  # GitHub's maximum label name length
_MARKER = re.compile(r"<!-- voice-regress-gate issue case=(\S+) v=(\d+) -->")


@dataclass(frozen=True)
class IssueAction:
    """What happened to one case's tracking issue."""

    action: str  # opened | updated | closed | duplicate-closed | not-opened
    case_id: str
    url: str = ""


def issue_marker(case_id: str) -> str:
    """`<!-- voice-regress-gate issue case=<percent-encoded id> v=1 -->`."""
    return f"<!-- voice-regress-gate issue case={urllib.parse.quote(case_id, safe='/._-')} v=1 -->"


def parse_issue_marker(body: str) -> str | None:
    """The case id of a tracking-issue body, or None."""
    match = _MARKER.fullmatch(body.split("\n", 1)[0].strip())
    return urllib.parse.unquote(match.group(1)) if match else None


def issue_labels(result: CaseResult) -> list[str]:
    """The tracking label, the owner and the failure label (each within 50 characters)."""
    case = result.case.case
    names = [
        TRACK_LABEL,
        f"owner:{one_line(case.owner)}",
        f"failure:{one_line(case.source.failure_label)}",
    ]
    return [name[:LABEL_LIMIT] for name in names]


def issue_title(result: CaseResult) -> str:
    """Plain text (titles render no markdown and ping no one)."""
    return one_line(f"voice-regress-gate: {result.case.id} is {result.status.value}", 250)


def issue_body(result: CaseResult, links: ReportLinks) -> str:
    """The issue body: marker, what failed and where, and every failing assertion."""
    case = result.case.case
    lines = [
        issue_marker(result.case.id),
        "",
        f"The case {case_link(result, links)} is **{result.status.value}** in the scheduled run "
        f"of {md_link('this workflow run', links.run_url)}. This issue is updated while it "
        "keeps failing and closed when it passes again.",
        "",
        "| owner | severity | failure label | level | first failure | evidence |",
        "|---|---|---|---|---|---|",
        f"| {md_text(case.owner, 100)} | {md_text(case.source.severity, 20)} | "
        f"{md_text(case.source.failure_label, 100)} | {md_text(result.level, 20)} | "
        f"{md_text(first_failure(result), 300)} | {evidence_links(result, links)} |",
        "",
        *case_details(result),
    ]
    return "\n".join(lines) + "\n"


def _open_issues(client: GitHubClient, repo: str, author: str) -> dict[str, list[dict[str, Any]]]:
    by_case: dict[str, list[dict[str, Any]]] = {}
    params = {"state": "open", "labels": TRACK_LABEL}
    for issue in client.paginate(f"/repos/{repo}/issues", params):
        user = issue.get("user")
        login = user.get("login") if isinstance(user, dict) else None
        case_id = parse_issue_marker(str(issue.get("body") or ""))
        if (
            case_id is not None
            and isinstance(issue.get("number"), int)
            and "pull_request" not in issue
            and same_login(str(login or ""), author)
        ):
            by_case.setdefault(case_id, []).append(issue)
    return {k: sorted(v, key=lambda i: i["number"]) for k, v in by_case.items()}


def sync_tracking_issues(
    client: GitHubClient,
    repo: str,
    gate: GateResult,
    links: ReportLinks,
    author: str,
    max_new: int = MAX_NEW_ISSUES,
) -> list[IssueAction]:
    """Open or update an issue per not-passing case; close those of cases that pass again."""
    existing = _open_issues(client, repo, author)
    actions: list[IssueAction] = []
    for result in gate.cases:
        issues = existing.get(result.case.id, [])
        # A create that was retried after a lost answer may have left a second issue.
        actions.extend(
            _close(
                client,
                repo,
                extra,
                result.case.id,
                "duplicate-closed",
                f"Duplicate of #{issues[0]['number']}.",
                "not_planned",
            )
            for extra in issues[1:]
        )
        if result.status in NOT_PASSING:
            opened = sum(a.action == "opened" for a in actions)
            actions.append(_report_failure(client, repo, result, links, issues, opened < max_new))
        elif result.status is Status.PASS and issues:
            note = (
                f"{md_text(result.case.id, 200)} passes again in "
                f"{md_link('this workflow run', links.run_url)}"
                + (f" (commit {md_text(links.commit[:12], 12)})." if links.commit else ".")
            )
            actions.append(
                _close(client, repo, issues[0], result.case.id, "closed", note, "completed")
            )
    return actions


def _report_failure(
    client: GitHubClient,
    repo: str,
    result: CaseResult,
    links: ReportLinks,
    issues: list[dict[str, Any]],
    may_open: bool,
) -> IssueAction:
    fields = {
        "title": issue_title(result),
        "body": issue_body(result, links),
        "labels": issue_labels(result),
    }
    if issues:
        data = client.patch_json(f"/repos/{repo}/issues/{issues[0]['number']}", fields)
        return IssueAction("updated", result.case.id, _url(data, "PATCH"))
    if not may_open:
        return IssueAction("not-opened", result.case.id)
    return IssueAction(
        "opened", result.case.id, _url(client.post_json(f"/repos/{repo}/issues", fields), "POST")
    )


def _close(
    client: GitHubClient,
    repo: str,
    issue: dict[str, Any],
    case_id: str,
    action: str,
    note: str,
    reason: str,
) -> IssueAction:
    number = issue["number"]
    client.post_json(f"/repos/{repo}/issues/{number}/comments", {"body": note})
    data = client.patch_json(
        f"/repos/{repo}/issues/{number}", {"state": "closed", "state_reason": reason}
    )
    return IssueAction(action, case_id, _url(data, "PATCH"))


def _url(data: Any, method: str) -> str:
    if not isinstance(data, dict):
        raise GitHubApiError(method, "issue", None, "answer is not an issue")
    return str(data.get("html_url") or "")
