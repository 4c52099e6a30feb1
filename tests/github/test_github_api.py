"""The GitHub REST client: token, retries honouring Retry-After, rate limits, Link pagination."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from support.fake_github import TOKEN, FakeGitHub, Fault, serve_fake_github

from gate.errors import PublishError
from gate.github.api import ApiPolicy, GitHubApiError, GitHubClient

Handler = Callable[[httpx.Request], httpx.Response]


class Clock:
    """A fake monotonic clock that `sleep` advances: tests wait for nothing."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def scripted(*replies: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(replies)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0) if queue else httpx.Response(599, json={"message": "script over"})

    return handler, seen


@contextmanager
def client_for(
    handler: Handler, clock: Clock | None = None, **policy: Any
) -> Iterator[GitHubClient]:
    clock = clock or Clock()
    with GitHubClient(
        "https://api.github.test",
        TOKEN,
        policy=ApiPolicy(**policy),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock,
        wall_clock=lambda: 5000.0,
    ) as client:
        yield client


def test_token_version_and_agent_headers_are_sent() -> None:
    handler, seen = scripted(httpx.Response(200, json={"ok": True}))
    with client_for(handler) as client:
        assert client.get_json("/repos/o/r") == {"ok": True}
    headers = seen[0].headers
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert headers["user-agent"].startswith("voice-regress-gate/")


def test_enterprise_base_path_is_kept() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=[])

    with GitHubClient(
        "https://ghe.test/api/v3/", None, transport=httpx.MockTransport(handler)
    ) as client:
        client.get_json("/repos/o/r/issues")
    assert seen == ["https://ghe.test/api/v3/repos/o/r/issues"]


def test_5xx_is_retried_honouring_retry_after_then_backoff() -> None:
    clock = Clock()
    handler, seen = scripted(
        httpx.Response(502, headers={"Retry-After": "7"}, json={"message": "bad gateway"}),
        httpx.Response(503, json={"message": "unavailable"}),
        httpx.Response(201, json={"id": 1}),
    )
    with client_for(handler, clock) as client:
        assert client.post_json("/repos/o/r/issues", {"title": "t"}) == {"id": 1}
    assert len(seen) == 3
    # 7 s as asked; then backoff 2 s (attempt 2). Write spacing adds nothing: the waits cover it.
    assert clock.sleeps == [7.0, 2.0]


def test_5xx_gives_up_after_the_attempts_with_the_last_message() -> None:
    clock = Clock()
    replies = [httpx.Response(500, json={"message": f"boom {i}"}) for i in range(5)]
    handler, seen = scripted(*replies)
    with client_for(handler, clock, attempts=3) as client, pytest.raises(GitHubApiError) as info:
        client.get_json("/repos/o/r/pulls")
    assert len(seen) == 3
    assert info.value.status == 500
    assert "boom 2" in str(info.value)
    assert isinstance(info.value, PublishError)  # one exception tree
    assert clock.sleeps == [1.0, 2.0]


@pytest.mark.parametrize(
    ("status", "headers", "message", "wait"),
    [
        (403, {"Retry-After": "3"}, "You have exceeded a secondary rate limit", 3.0),
        (429, {"Retry-After": "4"}, "Too many requests", 4.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "5012"}, "API rate limit", 12.0),
        (403, {}, "You have exceeded a secondary rate limit. Please wait", 60.0),
    ],
)
def test_rate_limits_wait_as_github_asks(
    status: int, headers: dict[str, str], message: str, wait: float
) -> None:
    clock = Clock()
    handler, seen = scripted(
        httpx.Response(status, headers=headers, json={"message": message}),
        httpx.Response(200, json=[1]),
    )
    with client_for(handler, clock) as client:
        assert client.get_json("/repos/o/r/issues") == [1]
    assert len(seen) == 2
    assert clock.sleeps == [wait]


def test_a_permission_403_is_not_retried() -> None:
    handler, seen = scripted(
        httpx.Response(403, json={"message": "Resource not accessible by integration"})
    )
    with client_for(handler) as client, pytest.raises(GitHubApiError) as info:
        client.post_json("/repos/o/r/issues/1/comments", {"body": "x"})
    assert len(seen) == 1
    assert info.value.forbidden and info.value.status == 403
    assert "Resource not accessible by integration" in str(info.value)


def test_a_wait_longer_than_allowed_gives_up_at_once() -> None:
    clock = Clock()
    handler, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "3600"}, json={"message": "slow down"})
    )
    with (
        client_for(handler, clock, max_wait_s=60) as client,
        pytest.raises(GitHubApiError, match="asked to wait 3600s; this gate waits at most 60s"),
    ):
        client.get_json("/repos/o/r/issues")
    assert len(seen) == 1 and clock.sleeps == []


def test_transport_errors_are_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"ok": 1})

    clock = Clock()
    with client_for(handler, clock) as client:
        assert client.get_json("/x") == {"ok": 1}
    assert len(calls) == 3 and clock.sleeps == [1.0, 2.0]


def test_writes_are_spaced_but_reads_are_not() -> None:
    clock = Clock()

    def handler(request: httpx.Request) -> httpx.Response:
        clock.now += 0.25  # every request takes a quarter second
        return httpx.Response(200, json={})

    with client_for(handler, clock, write_interval_s=2.0) as client:
        client.get_json("/a")
        client.post_json("/b", {})
        client.get_json("/c")
        client.patch_json("/d", {})
        client.post_json("/e", {})
    # /d: 0.25 s (the GET) since /b → waits 1.75; /e: right after /d → waits 2.0
    assert clock.sleeps == [1.75, 2.0]


def test_delete_accepts_an_already_deleted_comment() -> None:
    handler, _ = scripted(
        httpx.Response(404, json={"message": "Not Found"}),
        httpx.Response(422, json={"message": "Validation Failed"}),
    )
    with client_for(handler) as client:
        client.delete("/repos/o/r/issues/comments/1")
        with pytest.raises(GitHubApiError, match="HTTP 422: Validation Failed"):
            client.delete("/repos/o/r/issues/comments/2")


def test_non_json_answers_are_api_errors() -> None:
    handler, _ = scripted(httpx.Response(200, text="<html>proxy login</html>"))
    with client_for(handler) as client, pytest.raises(GitHubApiError, match="not JSON"):
        client.get_json("/repos/o/r")


def test_bad_api_url_is_a_publish_error() -> None:
    with pytest.raises(PublishError, match="GITHUB_API_URL"):
        GitHubClient("ftp://api.example.test")


def test_pagination_follows_link_headers_on_the_fake() -> None:
    with serve_fake_github() as fake:
        for i in range(7):
            fake.add_comment(5, f"comment {i}")
        with GitHubClient(fake.url, TOKEN) as client:
            bodies = [c["body"] for c in client.paginate("/repos/octo/agent/issues/5/comments")]
    assert bodies == [f"comment {i}" for i in range(7)]
    pages = fake.calls("GET", r"/repos/octo/agent/issues/5/comments")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3", "4"]
    assert all(r.query["per_page"] == "100" for r in pages)


def test_pagination_retries_a_page_that_fails_once() -> None:
    with serve_fake_github(FakeGitHub(faults=[])) as fake:
        for i in range(3):
            fake.add_comment(5, f"c{i}")
        clock = Clock()
        with GitHubClient(fake.url, TOKEN, sleep=clock.sleep, clock=clock) as client:
            pages = client.paginate("/repos/octo/agent/issues/5/comments")
            first = next(pages)
            fake.faults.append(Fault(502, {"message": "bad gateway"}))
            rest = list(pages)
    assert [first["body"], *(c["body"] for c in rest)] == ["c0", "c1", "c2"]
    assert clock.sleeps == [1.0]


def test_pagination_is_bounded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        link = f'<https://api.github.test/items?page={page + 1}>; rel="next"'
        return httpx.Response(200, json=[{"n": page}], headers={"Link": link})

    with (
        client_for(handler, max_pages=3) as client,
        pytest.raises(GitHubApiError, match="more than 3 pages"),
    ):
        list(client.paginate("/items"))


def test_pagination_never_follows_a_link_to_another_host() -> None:
    handler, seen = scripted(
        httpx.Response(
            200, json=[{"n": 1}], headers={"Link": '<https://evil.test/steal?page=2>; rel="next"'}
        )
    )
    with client_for(handler) as client, pytest.raises(GitHubApiError, match="leaves the API host"):
        list(client.paginate("/items"))
    assert len(seen) == 1


def test_a_redirect_loop_is_an_api_error_not_a_crash() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": str(request.url)})

    with client_for(handler) as client, pytest.raises(GitHubApiError, match="TooManyRedirects"):
        client.get_json("/repos/o/r")
