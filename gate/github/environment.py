"""What the GitHub Actions runner's environment says about this run: GITHUB_* and the event.

With gate/github/event.py, the only module that reads GITHUB_* variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from gate.errors import InputError, PublishError
from gate.github.api import DEFAULT_API_URL
from gate.github.event import in_actions, read_payload
from gate.github.pulls import PullRequest, pull_request_of, workflow_run_url
from gate.text import one_line

DEFAULT_AUTHOR = "github-actions[bot]"
AUTHOR_ENV = "VOICE_REGRESS_COMMENT_AUTHOR"
WRITE_INTERVAL_ENV = "VOICE_REGRESS_GITHUB_WRITE_INTERVAL"
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class GitHubEnv:
    """What the runner's environment says about this run."""

    actions: bool
    repository: str | None = None
    api_url: str = DEFAULT_API_URL
    server_url: str = "https://github.com"
    token: str | None = field(default=None, repr=False)
    run_url: str | None = None
    event_name: str = ""
    sha: str | None = None
    workspace: str | None = None
    output_path: str | None = None
    summary_path: str | None = None
    pull_request: PullRequest | None = None
    event_problem: str | None = None  # why the event payload could not be read
    author: str = DEFAULT_AUTHOR
    write_interval_s: float = 1.0


def github_workspace(environ: Mapping[str, str]) -> str | None:
    """The checkout the runner placed the repository in (`GITHUB_WORKSPACE`), if any."""
    return environ.get("GITHUB_WORKSPACE", "").strip() or None


def github_env(environ: Mapping[str, str]) -> GitHubEnv:
    """Read GITHUB_* (and the event payload); PublishError only for impossible values."""

    def get(name: str) -> str | None:
        return environ.get(name, "").strip() or None

    actions = in_actions(environ)
    repository, server = (
        get("GITHUB_REPOSITORY"),
        (get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
    )
    if actions and repository and not _REPO.fullmatch(repository):
        raise PublishError(f"GITHUB_REPOSITORY: expected owner/name, got {one_line(repository)!r}")
    payload, problem = read_payload(environ) if actions else ({}, None)
    event_name = get("GITHUB_EVENT_NAME") or ""
    run_id = get("GITHUB_RUN_ID")
    run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
    if event_name == "workflow_run":  # the run that made the results, logs and artifacts
        run_url = workflow_run_url(payload) or run_url
    return GitHubEnv(
        actions=actions,
        repository=repository,
        api_url=(get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        server_url=server,
        token=get("GITHUB_TOKEN"),
        run_url=run_url,
        event_name=event_name,
        sha=get("GITHUB_SHA"),
        workspace=github_workspace(environ),
        output_path=get("GITHUB_OUTPUT"),
        summary_path=get("GITHUB_STEP_SUMMARY"),
        pull_request=pull_request_of(event_name, payload, repository),
        event_problem=problem,
        author=get(AUTHOR_ENV) or DEFAULT_AUTHOR,
        write_interval_s=_interval(get(WRITE_INTERVAL_ENV)),
    )


def _interval(text: str | None) -> float:
    try:
        value = float(text) if text is not None else 1.0
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60:  # also refuses NaN and infinity, which would park the job
        raise InputError(f"{WRITE_INTERVAL_ENV}: expected 0 to 60 seconds, got {text!r}")
    return value


def github_secrets(environ: Mapping[str, str]) -> list[str]:
    """The GitHub credentials of this run (GITHUB_TOKEN), for the one redaction point."""
    return [environ.get("GITHUB_TOKEN", "")]


_ACTION_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")


def action_home(environ: Mapping[str, str]) -> str | None:
    """The repository of the Action running the gate (`GITHUB_ACTION_REPOSITORY`, which the
    runner sets for a step that uses an action), as a URL; None outside such a step."""
    repository = environ.get("GITHUB_ACTION_REPOSITORY", "").strip()
    if not _ACTION_REPOSITORY.fullmatch(repository):
        return None
    server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").strip().rstrip("/")
    return f"{server}/{repository}"
