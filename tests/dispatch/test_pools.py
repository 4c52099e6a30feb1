"""SpreadTransport: small pools, least busy first, every request released; env proxies kept."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx
import pytest
from support.fault_server import Reply, closed_port_url, serve

from gate.dispatch.pools import SpreadTransport, environment_proxy, tls_context
from gate.errors import InputError


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_concurrent_requests_spread_over_the_pools_and_are_all_released() -> None:
    transport = SpreadTransport(9, pool_size=4)  # 3 pools of 3 connections
    seen: list[list[int]] = []

    async def one(client: httpx.AsyncClient, url: str) -> int:
        async with client.stream("GET", url) as response:
            seen.append(list(transport.busy))
            await response.aread()
            return response.status_code

    async def go(url: str) -> list[int]:
        async with httpx.AsyncClient(transport=transport) as client:
            return await asyncio.gather(*(one(client, url) for _ in range(9)))

    with serve(then=Reply(body={"ok": True}, delay_s=0.05)) as server:
        codes = asyncio.run(go(server.url))
    assert codes == [200] * 9
    assert max(max(busy) for busy in seen) <= 3  # never more in flight than a pool's size
    assert transport.busy == [0, 0, 0]


def test_a_failed_request_is_released_too() -> None:
    transport = SpreadTransport(2, pool_size=1)

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            for _ in range(3):
                with pytest.raises(httpx.ConnectError):
                    await client.get(closed_port_url())

    asyncio.run(go())
    assert transport.busy == [0, 0]


def test_a_pool_of_one_serves_every_request() -> None:
    transport = SpreadTransport(1)

    async def go(url: str) -> list[int]:
        async with httpx.AsyncClient(transport=transport) as client:
            replies = await asyncio.gather(*(client.get(url) for _ in range(4)))
        return [r.status_code for r in replies]

    with serve(then=Reply(body={"ok": True})) as server:
        assert asyncio.run(go(server.url)) == [200] * 4
    assert transport.busy == [0]


def test_environment_proxy_as_httpx_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment_proxy("http://harness.test") is None
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    assert environment_proxy("http://harness.test/v1") == "http://proxy.test:3128"
    assert environment_proxy("https://harness.test") is None
    monkeypatch.setenv("NO_PROXY", "harness.test")
    assert environment_proxy("http://harness.test") is None


def test_every_pool_shares_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the CA bundle once, not once a pool (18 ms each, before the first case)."""
    made: list[object] = []
    real = httpx.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    transport = SpreadTransport(129)
    assert len(transport._pools) > 1 and len(made) == 1  # noqa: SLF001 - counting its pools


def test_certificates_are_loaded_only_for_https_and_a_bad_setting_is_input_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    plain = tls_context("http://127.0.0.1:8080", None)  # an http harness never needs them
    assert plain.verify_mode is ssl.CERT_REQUIRED and plain.check_hostname
    with pytest.raises(InputError, match="SSL_CERT_FILE"):
        tls_context("http://127.0.0.1:8080", "https://proxy.test:3128")
    with pytest.raises(InputError, match="cannot load TLS certificates"):
        tls_context("https://harness.test")
