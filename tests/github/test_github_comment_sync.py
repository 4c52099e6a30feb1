"""The sticky comment against the fake GitHub: create once, edit in place, clean duplicates."""

from __future__ import annotations

import pytest
from support.fake_github import BOT, TOKEN, FakeGitHub, Fault

from gate.github.api import ApiPolicy, GitHubApiError, GitHubClient
from gate.github.comment_sync import upsert_comment
from gate.report.comment import comment_marker

REPO, PR = "octo/agent", 7
COMMENTS = rf"/repos/{REPO}/issues/{PR}/comments"


def body(key: str = "default", digest: str = "0" * 16, text: str = "report") -> str:
    return f"{comment_marker(key)}\n<!-- voice-regress-gate digest={digest} -->\n\n{text}\n"


def test_created_once_then_edited_in_place(fake: FakeGitHub, client: GitHubClient) -> None:
    for i in range(5):  # other people's comments: the listing spans pages
        fake.add_comment(PR, f"looks good {i}", login="reviewer")
    first = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(text="run 1"),
        mode="always",
        failing=True,
        author=BOT,
    )
    assert first.action == "created" and first.comment is not None
    second = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(text="run 2"),
        mode="always",
        failing=True,
        author=BOT,
    )
    assert second.action == "updated" and second.comment is not None
    assert second.comment.id == first.comment.id
    ours = [c for c in fake.comments_on(PR) if c["user"]["login"] == BOT]
    assert len(ours) == 1 and "run 2" in ours[0]["body"]
    assert len(fake.calls("POST", COMMENTS)) == 1
    assert len(fake.calls("PATCH", rf"/repos/{REPO}/issues/comments/\d+")) == 1
    # every page was read on both runs (5 + 1 comments, 2 a page)
    pages = [r.query.get("page", "1") for r in fake.calls("GET", COMMENTS)]
    assert pages.count("3") >= 2


def test_duplicates_from_a_race_keep_the_lowest_id(fake: FakeGitHub, client: GitHubClient) -> None:
    low = fake.add_comment(PR, body(text="old a"))
    high = fake.add_comment(PR, body(text="old b"))
    outcome = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(text="new"),
        mode="always",
        failing=True,
        author=BOT,
    )
    assert outcome.comment is not None and outcome.comment.id == low["id"]
    assert outcome.deleted == (high["id"],)
    assert [c["body"] for c in fake.comments_on(PR)] == [body(text="new")]


def test_a_concurrent_create_is_settled_after_ours(fake: FakeGitHub, client: GitHubClient) -> None:
    # Another job's comment appears between our listing and our create.
    original = fake._create_comment

    def racing_create(request, match):  # type: ignore[no-untyped-def]
        fake.add_comment(PR, body(text="the other job"))
        fake._create_comment = original  # type: ignore[method-assign]
        return original(request, match)

    fake._create_comment = racing_create  # type: ignore[method-assign]
    outcome = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(text="ours"),
        mode="always",
        failing=True,
        author=BOT,
    )
    left = fake.comments_on(PR)
    assert len(left) == 1 and left[0]["body"] == body(text="ours")
    assert outcome.action == "updated" and outcome.comment is not None
    assert outcome.comment.id == left[0]["id"] and len(outcome.deleted) == 1


def test_foreign_authors_and_other_keys_are_left_alone(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    forged = fake.add_comment(PR, body(text="copied marker"), login="mallory")
    other_key = fake.add_comment(PR, body(key="suite-b", text="other suite"))
    quoted = fake.add_comment(PR, "> " + body(text="quoted"))
    outcome = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(text="mine"),
        mode="always",
        failing=True,
        author=BOT,
    )
    assert outcome.action == "created"
    kept = {c["id"]: c["body"] for c in fake.comments_on(PR)}
    assert kept[forged["id"]] == body(text="copied marker")
    assert kept[other_key["id"]] == body(key="suite-b", text="other suite")
    assert quoted["id"] in kept and len(kept) == 4


def test_mode_failures_skips_a_clean_run_without_a_comment(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    skipped = upsert_comment(
        client, REPO, PR, key="default", body=body(), mode="failures", failing=False, author=BOT
    )
    assert skipped.action == "skipped" and not fake.writes()
    upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(text="red"),
        mode="failures",
        failing=True,
        author=BOT,
    )
    # Once there is a comment, a green run updates it, so it never shows a stale failure.
    green = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(text="green"),
        mode="failures",
        failing=False,
        author=BOT,
    )
    assert green.action == "updated"
    assert fake.comments_on(PR)[0]["body"] == body(text="green")


def test_mode_changes_writes_only_when_the_digest_moves(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    first = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(digest="a" * 16),
        mode="changes",
        failing=True,
        author=BOT,
    )
    assert first.action == "created"
    writes = len(fake.writes())
    same = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(digest="a" * 16, text="new timing"),
        mode="changes",
        failing=True,
        author=BOT,
    )
    assert same.action == "unchanged" and len(fake.writes()) == writes
    moved = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(digest="b" * 16),
        mode="changes",
        failing=True,
        author=BOT,
    )
    assert moved.action == "updated"


def test_posting_as_another_identity_says_how_to_fix_it(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    outcome = upsert_comment(
        client,
        REPO,
        PR,
        key="default",
        body=body(),
        mode="always",
        failing=True,
        author="my-app[bot]",
    )
    assert outcome.action == "created"
    assert "VOICE_REGRESS_COMMENT_AUTHOR=github-actions[bot]" in outcome.note


def test_read_only_token_raises_forbidden(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.read_only = True
    with pytest.raises(GitHubApiError) as info:
        upsert_comment(
            client, REPO, PR, key="default", body=body(), mode="always", failing=True, author=BOT
        )
    assert info.value.forbidden
    assert not fake.comments


def test_a_body_over_the_limit_is_refused_like_github(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    with pytest.raises(GitHubApiError, match="HTTP 422: Body is too long"):
        upsert_comment(
            client,
            REPO,
            PR,
            key="default",
            body=body(text="x" * 70_000),
            mode="always",
            failing=True,
            author=BOT,
        )


def test_secondary_rate_limit_on_create_is_waited_out(fake: FakeGitHub) -> None:
    waits: list[float] = []
    fake.faults.append(
        Fault(
            403,
            {"message": "You have exceeded a secondary rate limit"},
            {"Retry-After": "2"},
            method="POST",
        )
    )
    with GitHubClient(
        fake.url, TOKEN, policy=ApiPolicy(write_interval_s=0), sleep=waits.append
    ) as gh:
        outcome = upsert_comment(
            gh, REPO, PR, key="default", body=body(), mode="always", failing=True, author=BOT
        )
    assert outcome.action == "created" and waits == [2.0]
    assert len(fake.comments_on(PR)) == 1
