"""The sticky PR comment: find ours (marker and author), edit it in place, delete duplicates.

Ours means: the first line is our marker with the same comment key, and the author is the
identity the token posts as. GITHUB_TOKEN cannot read `GET /user`, and a marker alone can be
copied by anyone, so the expected author is `github-actions[bot]` (what GITHUB_TOKEN posts as)
unless VOICE_REGRESS_COMMENT_AUTHOR names another (a PAT's user, an app's `name[bot]`). When we
create a comment, its author is the token's real identity: we use it for the race clean-up and
say so when it differs from the expected one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gate.github.api import GitHubApiError, GitHubClient, same_login
from gate.report.comment import parse_digest, parse_marker


@dataclass(frozen=True)
class Comment:
    """The fields of an issue comment we use."""

    id: int
    body: str
    author: str
    url: str

    @classmethod
    def from_api(cls, data: Any) -> Comment:
        """Parse one comment of the REST API; GitHubApiError if it is not one."""
        user = data.get("user") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise GitHubApiError("GET", "comment", None, "answer is not a comment")
        login = user.get("login") if isinstance(user, dict) else None
        return cls(
            data["id"],
            str(data.get("body") or ""),
            str(login or ""),
            str(data.get("html_url") or ""),
        )


@dataclass(frozen=True)
class CommentOutcome:
    """What happened to the sticky comment."""

    action: str  # created | updated | unchanged | skipped
    comment: Comment | None = None
    deleted: tuple[int, ...] = ()
    note: str = ""  # why it was skipped, or an author mismatch worth a warning


def find_ours(client: GitHubClient, repo: str, number: int, key: str, author: str) -> list[Comment]:
    """Every comment (all pages) with our marker for `key` by `author`, lowest id first."""
    path = f"/repos/{repo}/issues/{number}/comments"
    found = [Comment.from_api(item) for item in client.paginate(path)]
    ours = [c for c in found if parse_marker(c.body) == key and same_login(c.author, author)]
    return sorted(ours, key=lambda c: c.id)


def upsert_comment(
    client: GitHubClient,
    repo: str,
    number: int,
    *,
    key: str,
    body: str,
    mode: str,
    failing: bool,
    author: str,
) -> CommentOutcome:
    """Create or edit the one comment for `key` per `mode` (always, failures, changes)."""
    ours = find_ours(client, repo, number, key, author)
    if not ours and mode == "failures" and not failing:
        return CommentOutcome(
            "skipped",
            note="comment-mode failures: nothing failed and there is no earlier comment to update",
        )
    if ours and mode == "changes" and parse_digest(ours[0].body) == parse_digest(body):
        deleted = _delete(client, repo, ours[1:])
        return CommentOutcome(
            "unchanged",
            ours[0],
            deleted,
            "comment-mode changes: same verdict and failing cases as before",
        )
    if ours:
        edited = Comment.from_api(
            client.patch_json(f"/repos/{repo}/issues/comments/{ours[0].id}", {"body": body})
        )
        return CommentOutcome("updated", edited, _delete(client, repo, ours[1:]))
    created = Comment.from_api(
        client.post_json(f"/repos/{repo}/issues/{number}/comments", {"body": body})
    )
    note = ""
    if created.author and not same_login(created.author, author):
        note = (
            f"the comment was posted as {created.author}, but the gate looks for comments by "
            f"{author}: set VOICE_REGRESS_COMMENT_AUTHOR={created.author} so that the next "
            "run edits it instead of adding another"
        )
    return _settle_race(client, repo, number, key, body, created, note)


def _settle_race(
    client: GitHubClient, repo: str, number: int, key: str, body: str, created: Comment, note: str
) -> CommentOutcome:
    """Another run may have created one at the same time: keep the lowest id, delete the rest."""
    ours = find_ours(client, repo, number, key, created.author or "")
    if len(ours) <= 1:
        return CommentOutcome("created", created, (), note)
    keep, extra = ours[0], ours[1:]
    if keep.id != created.id:
        keep = Comment.from_api(
            client.patch_json(f"/repos/{repo}/issues/comments/{keep.id}", {"body": body})
        )
    return CommentOutcome("updated", keep, _delete(client, repo, extra), note)


def _delete(client: GitHubClient, repo: str, comments: Sequence[Comment]) -> tuple[int, ...]:
    for comment in comments:
        client.delete(f"/repos/{repo}/issues/comments/{comment.id}")
    return tuple(c.id for c in comments)
