"""Against a real loopback harness: a harness URL's query, an undecodable body, a cookie, an
unencodable poll host and a long header end as the protocol says, never as a crash."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from support.fault_server import Reply, serve
from test_dispatch import CASE, RUN, settings

from gate.dispatch.client import Dispatcher, DispatchOutcome, endpoint, make_client
from gate.dispatch.protocol import RunFault, poll_target


def live(url: str, **overrides: Any) -> DispatchOutcome:
    config = settings(harness_url=url, retries=0, **overrides)

    async def go() -> DispatchOutcome:
        async with make_client(config) as http:
            dispatcher = Dispatcher(config, http)
            await dispatcher.check_health()
            return await dispatcher.run(CASE, 1)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("harness_url", "want"),
    [
        ("http://h.test/v1", "http://h.test/v1/runs"),
        ("http://h.test/v1/", "http://h.test/v1/runs"),
        ("http://h.test", "http://h.test/runs"),
        ("http://h.test/v1?key=K1&a=%2F", "http://h.test/v1/runs?key=K1&a=%2F"),
        ("http://h.test/a%2Fb/?k=1", "http://h.test/a%2Fb/runs?k=1"),
    ],
)
def test_an_endpoint_goes_after_the_path_and_keeps_the_query(harness_url: str, want: str) -> None:
    assert str(endpoint(harness_url, "runs")) == want


def test_a_harness_url_with_a_query_sends_it_with_every_request() -> None:
    with serve(then=Reply(body=RUN)) as server:
        outcome = live(f"{server.url}/v1?key=K1")
    assert outcome.run is not None
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/v1/health?key=K1"),
        ("POST", "/v1/runs?key=K1"),
    ]


def test_a_body_that_does_not_decode_as_declared_is_an_error_not_a_crash() -> None:
    garbage = Reply(body=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with serve(then=garbage) as server:
        outcome = live(server.url)  # the health check reads the same garbage, and goes on
    assert outcome.run is None and outcome.error is not None
    assert outcome.error.startswith("harness response cannot be decoded (DecodingError")


def test_a_harness_cookie_is_never_sent_back() -> None:
    cookie = {"Set-Cookie": "session=abc; Path=/"}
    with serve(
        Reply(body={"protocol": "voice-regress/v1"}, headers=cookie), then=Reply(body=RUN)
    ) as server:
        outcome = live(server.url)
    assert outcome.run is not None
    assert [r.headers.get("cookie") for r in server.requests] == [None, None]


def test_a_poll_url_whose_host_idna_refuses_is_an_unusable_poll_url() -> None:
    with pytest.raises(RunFault, match="unusable poll_url"):
        poll_target("http://h.test/runs", b'{"poll_url": "http://xn--a.test/x"}', {})


def test_a_long_response_header_is_read_as_httpx_read_it() -> None:
    trace = {"X-Trace": "t" * 20_000}  # 8 KB was aiohttp's default line limit; h11's 100 KB
    with serve(then=Reply(body=RUN, headers=trace)) as server:
        outcome = live(server.url)
    assert outcome.run is not None, outcome.error
