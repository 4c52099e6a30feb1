"""The pull request a run belongs to: from the event payload, or looked up for workflow_run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gate.github.api import GitHubClient
from gate.github.event import payload_object


@dataclass(frozen=True)
class PullRequest:
    """The pull request a comment goes to; `number` None until looked up (workflow_run)."""

    number: int | None
    read_only: bool = False  # a pull_request event from a fork: its token cannot write
    head_sha: str | None = None
    head_label: str | None = None  # `owner:branch`, to find the PR of a workflow_run


def pull_request_of(
    event_name: str, payload: Mapping[str, Any], repository: str | None
) -> PullRequest | None:
    """The PR of a pull_request(_target) or workflow_run event, else None."""
    if event_name.startswith("pull_request"):
        pr = payload_object(payload, "pull_request")
        number = pr.get("number")
        head, base = payload_object(pr, "head"), payload_object(pr, "base")
        head_repo = _text(payload_object(head, "repo").get("full_name"))
        base_repo = _text(payload_object(base, "repo").get("full_name")) or repository
        # pull_request_target runs in the base repo with a token that can write.
        fork = event_name == "pull_request" and head_repo is not None and head_repo != base_repo
        return PullRequest(
            number if isinstance(number, int) else None, fork, _text(head.get("sha"))
        )
    if event_name == "workflow_run":
        run = payload_object(payload, "workflow_run")
        if run.get("event") not in ("pull_request", "pull_request_target"):
            return None
        # For fork PRs `pull_requests` is empty (actions/runner#3444): look it up by head.
        prs = [p.get("number") for p in run.get("pull_requests") or [] if isinstance(p, dict)]
        owner = _text(payload_object(payload_object(run, "head_repository"), "owner").get("login"))
        branch = _text(run.get("head_branch"))
        label = f"{owner}:{branch}" if owner and branch else None
        number = prs[0] if prs and isinstance(prs[0], int) else None
        return PullRequest(number, False, _text(run.get("head_sha")), label)
    return None


def workflow_run_url(payload: Mapping[str, Any]) -> str | None:
    """The page of the run a workflow_run event reports on (its logs and artifacts)."""
    return _text(payload_object(payload, "workflow_run").get("html_url"))


def find_pull(client: GitHubClient, repo: str, pr: PullRequest) -> int | None:
    """The open PR whose head is `pr.head_label` at `pr.head_sha` (never from an artifact)."""
    if not pr.head_label:
        return None
    for item in client.paginate(f"/repos/{repo}/pulls", {"state": "open", "head": pr.head_label}):
        head = payload_object(item, "head")
        if isinstance(item.get("number"), int) and head.get("sha") == pr.head_sha:
            return int(item["number"])
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
