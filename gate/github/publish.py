"""Publish a finished run to GitHub: outputs, job summary, annotations, PR comment, issues.

The runner's GITHUB_* variables come from gate/github/environment.py. Publishing never
changes the verdict: a GitHub API failure (a read-only fork token, an outage, a rate limit) is a
`::warning::`. Only a broken setup is a PublishError (exit 1): a GITHUB_OUTPUT that cannot be
written (steps after us would read missing outputs), a GITHUB_API_URL or GITHUB_REPOSITORY
that cannot be right.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from gate.errors import PublishError
from gate.github import workflow_commands as wc
from gate.github.annotations import annotation_lines
from gate.github.api import ApiPolicy, GitHubApiError, GitHubClient
from gate.github.comment_sync import upsert_comment
from gate.github.environment import github_env
from gate.github.issues import sync_tracking_issues
from gate.github.options import PublishOptions
from gate.github.pulls import find_pull
from gate.net import SECRET_ENVS
from gate.redact import mask
from gate.report.case_facts import ReportLinks
from gate.report.comment import not_passing, render_comment
from gate.report.summary import SUMMARY_LIMIT, render_job_summary
from gate.results import GateResult, Status
from gate.text import one_line

SUMMARY_MIN_ROOM = 4096  # bytes: below this, a summary would be only a cut-off stub
FORK_HELP = (
    "Publish from a separate workflow triggered by workflow_run, which gets a token "
    "that can write; see 'Fork pull requests' in the voice-regress-gate docs/github.md."
)
ClientFactory = Callable[[str, str | None, ApiPolicy], GitHubClient]


def output_values(
    gate: GateResult, junit: str | None, results: str | None, comment_url: str
) -> dict[str, str]:
    """The step outputs, as strings (action.yml documents each)."""
    return {
        "verdict": gate.verdict,
        "selected": str(len(gate.selection.selected)),
        "passed": str(gate.count(Status.PASS)),
        "failed": str(gate.count(Status.FAIL)),
        "errored": str(gate.count(Status.ERROR)),
        "inconclusive": str(gate.count(Status.INCONCLUSIVE)),
        "skipped": str(gate.count(Status.SKIPPED)),
        "deferred": str(len(gate.selection.deferred)),
        "junit-path": junit or "",
        "results-path": results or "",
        "comment-url": comment_url,
        "retention-days": retention_days(gate),
    }


ARTIFACT_DAYS = (1, 90)  # what upload-artifact's retention-days accepts


def retention_days(gate: GateResult) -> str:
    """The shortest `assertions.evidence.retain_days` of the run's cases, as upload-artifact
    takes it (1-90; 0, keep nothing, becomes the shortest, 1); empty when no case sets one."""
    days = [d for c in gate.cases if (d := c.evidence.retain_days) is not None]
    if not days:
        return ""
    return str(min(max(min(days), ARTIFACT_DAYS[0]), ARTIFACT_DAYS[1]))


class Publisher:
    """Publishes one run; `log_group` folds the progress lines, `publish` does the rest."""

    def __init__(
        self,
        options: PublishOptions,
        environ: Mapping[str, str],
        out: TextIO,
        *,
        client_factory: ClientFactory | None = None,
        cwd: str | None = None,
    ) -> None:
        self.options, self.out = options, out
        self.env = github_env(environ)
        self.cwd = os.getcwd() if cwd is None else cwd  # relative case paths start here
        self._secrets = [environ[n] for n in SECRET_ENVS if len(environ.get(n, "").strip()) > 3]
        self._client_factory = client_factory or _default_client
        if self.env.actions and self._needs_api():
            GitHubClient(self.env.api_url).close()  # a bad GITHUB_API_URL fails before the run

    @contextlib.contextmanager
    def log_group(self, title: str) -> Iterator[None]:
        """Fold what is printed inside into one log group, with workflow commands stopped."""
        if not self.env.actions:
            yield
            return
        for secret in self._secrets:
            self._print(wc.add_mask(secret))
        self._secrets = []
        self._print(wc.group(title))
        try:
            with self.untrusted_output():
                yield
        finally:
            self._print(wc.endgroup())

    @contextlib.contextmanager
    def untrusted_output(self) -> Iterator[None]:
        """Stop workflow commands while agent text is printed (`##[…]` works mid-line)."""
        if not self.env.actions:
            yield
            return
        token = wc.new_token()
        self._print(wc.stop_commands(token))
        try:
            yield
        finally:
            self._print(wc.resume_commands(token))

    def publish(
        self, gate: GateResult, *, junit: str | None = None, results: str | None = None
    ) -> None:
        """Annotations, job summary, comment, issues (on GitHub Actions), then the outputs."""
        comment_url = ""
        if self.env.actions:
            links = self._links()
            if gate.baseline and gate.baseline.warning:
                self._warn(gate.baseline.warning)  # the fallback must show on the run page
            for line in annotation_lines(
                gate, self.options.annotations_limit, self.env.workspace, self.cwd
            ):
                self._print(line)
            if self.options.job_summary:
                self._write_summary(gate, links)
            with contextlib.ExitStack() as stack:
                client = _Lazy(lambda: stack.enter_context(self._client()))
                comment_url = (
                    self._guard("the PR comment", lambda: self._comment(gate, links, client)) or ""
                )
                if self.env.event_name == "schedule":
                    self._guard("tracking issues", lambda: self._issues(gate, links, client))
        if self.env.output_path:
            self._write_outputs(output_values(gate, junit, results, comment_url))

    # --- the pieces ---------------------------------------------------------------------

    def _needs_api(self) -> bool:
        pr_comment = self.env.pull_request is not None and self.options.comment_mode != "off"
        return pr_comment or self.env.event_name == "schedule"

    def _links(self) -> ReportLinks:
        pr = self.env.pull_request
        commit = (pr.head_sha if pr else None) or self.env.sha
        base = (
            f"{self.env.server_url}/{self.env.repository}/blob/{commit}/"
            if self.env.repository and commit
            else None
        )
        return ReportLinks(self.env.run_url, base, commit, self.env.workspace, self.cwd)

    def _client(self) -> GitHubClient:
        policy = ApiPolicy(write_interval_s=self.env.write_interval_s)
        return self._client_factory(self.env.api_url, self.env.token, policy)

    def _comment(self, gate: GateResult, links: ReportLinks, client: _Lazy) -> str | None:
        pr, mode = self.env.pull_request, self.options.comment_mode
        if mode == "off" or pr is None:
            return None
        if pr.read_only:
            self._warn(
                "this pull request comes from a fork, so its GITHUB_TOKEN is read-only "
                "and the PR comment is skipped; the job summary and the annotations "
                f"have the results. {FORK_HELP}"
            )
            return None
        if not self._can_call("the PR comment"):
            return None
        if pr.number is None and pr.head_label is None:
            self._warn(
                f"the event names no pull request ({self.env.event_problem or 'no number'})"
                "; the PR comment is skipped"
            )
            return None
        number = pr.number or find_pull(client.get(), self.env.repository or "", pr)
        if number is None:
            self._warn(
                "no open pull request matches this workflow_run "
                f"({one_line(pr.head_label or '?')} at {pr.head_sha or '?'}); "
                "the PR comment is skipped"
            )
            return None
        body = render_comment(gate, self.options.comment_key, links)
        outcome = upsert_comment(
            client.get(),
            self.env.repository or "",
            number,
            key=self.options.comment_key,
            body=body,
            mode=mode,
            failing=bool(not_passing(gate)) or gate.verdict == "fail",
            author=self.env.author,
        )
        if outcome.note and outcome.action in ("created", "updated"):
            self._warn(outcome.note)
        return outcome.comment.url if outcome.comment else None

    def _issues(self, gate: GateResult, links: ReportLinks, client: _Lazy) -> None:
        if not self._can_call("tracking issues"):
            return
        actions = sync_tracking_issues(
            client.get(), self.env.repository or "", gate, links, self.env.author
        )
        skipped = [a.case_id for a in actions if a.action == "not-opened"]
        if skipped:
            self._warn(
                f"{len(skipped)} failing case(s) got no tracking issue (at most a few are "
                f"opened per run): {', '.join(one_line(s, 100) for s in skipped[:10])}"
            )

    def _can_call(self, what: str) -> bool:
        if not self.env.repository:
            self._warn(f"GITHUB_REPOSITORY is not set: {what} skipped")
            return False
        if not self.env.token:
            self._warn(
                f"no GitHub token (GITHUB_TOKEN): {what} skipped; give the action "
                "`github-token` (the default is the job's token) or set comment-mode off"
            )
            return False
        return True

    def _guard(self, what: str, action: Callable[[], str | None]) -> str | None:
        try:
            return action()
        except GitHubApiError as exc:
            hint = ""
            if exc.forbidden:
                hint = (
                    " The token may not write here: grant `pull-requests: write` (comment) "
                    f"or `issues: write` (tracking issues). On fork PRs: {FORK_HELP}"
                )
            self._warn(f"{what} could not be published: {exc}.{hint}")
            return None

    def _write_summary(self, gate: GateResult, links: ReportLinks) -> None:
        path = self.env.summary_path
        if not path:
            return
        try:
            room = SUMMARY_LIMIT - (Path(path).stat().st_size if Path(path).exists() else 0)
            if room < SUMMARY_MIN_ROOM:
                self._warn("the job summary is full (1 MiB per step); ours is left out")
                return
            with open(path, "a", encoding="utf-8") as file:
                file.write(mask(render_job_summary(gate, links, room)))
        except OSError as exc:
            self._warn(f"cannot write the job summary {path}: {exc.strerror or exc}")

    def _write_outputs(self, values: Mapping[str, str]) -> None:
        path = self.env.output_path or ""
        text = "".join(wc.file_command_entry(k, v, wc.new_delimiter()) for k, v in values.items())
        try:
            with open(path, "a", encoding="utf-8") as file:
                file.write(mask(text))
        except OSError as exc:
            raise PublishError(
                f"cannot write the step outputs to GITHUB_OUTPUT={path}: {exc.strerror or exc}"
            ) from None

    def _warn(self, message: str) -> None:
        self._print(wc.warning(f"voice-regress-gate: {message}"))

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def no_publisher(out: TextIO) -> Publisher:
    """A publisher that publishes nothing (no GitHub environment)."""
    return Publisher(PublishOptions(), {}, out)


class _Lazy:
    """The API client, created on first use (runs that publish nothing make no client)."""

    def __init__(self, make: Callable[[], GitHubClient]) -> None:
        self._make = make
        self._client: GitHubClient | None = None

    def get(self) -> GitHubClient:
        if self._client is None:
            self._client = self._make()
        return self._client


def _default_client(api_url: str, token: str | None, policy: ApiPolicy) -> GitHubClient:
    return GitHubClient(api_url, token, policy=policy)
