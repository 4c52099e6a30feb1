"""One httpx transport over several small connection pools, so a request costs the same at any C.

Why: httpcore's `AsyncConnectionPool` re-examines every connection of the pool each time a request
starts or ends, and for each idle one it counts all of them again and polls its socket for expiry
(encode/httpcore#928): O(C²) work per request, ~65% of the gate's CPU at C = 64. A pool of at most
`POOL_SIZE` connections keeps that bounded; requests go to the least busy pool, so no request waits
for a connection while another pool has one free. This uses only httpx's public transport API
(unlike a patched pool, it survives httpcore upgrades), and it is still one client and one set of
`C + 1` connections for the whole run.
"""

from __future__ import annotations

import math
import ssl
import urllib.request
from collections.abc import AsyncIterator, Callable

import httpx

from gate.errors import InputError

POOL_SIZE = 8  # connections per httpcore pool: its per-request cost grows with the square of this


class SpreadTransport(httpx.AsyncBaseTransport):
    """`connections` connections in total, in pools of at most `pool_size`; each request goes to
    the pool with the fewest requests in flight (counted until its response is closed)."""

    def __init__(
        self,
        connections: int,
        *,
        pool_size: int = POOL_SIZE,
        proxy: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        count = max(1, math.ceil(connections / pool_size))
        size = math.ceil(max(1, connections) / count)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        # One TLS context for all pools (what each would build alike, environment included):
        # loading the CA bundle took 18 ms a pool, 0.3 s before the first case at C = 128.
        tls = tls or tls_context("https:")
        self._pools = [
            httpx.AsyncHTTPTransport(limits=limits, proxy=proxy, verify=tls) for _ in range(count)
        ]
        self.busy = [0] * count  # requests in flight per pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self.busy.__getitem__)
        self.busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self.busy[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        stream = _Counted(response.stream, lambda: self._release(index))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=stream,
            extensions=response.extensions,
        )

    def _release(self, index: int) -> None:
        self.busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that reports, once, when it is closed: the request has left its pool."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream, self._release = stream, release
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._open:
                self._open = False
                self._release()


def tls_context(*urls: str | None) -> ssl.SSLContext:
    """The pools' TLS context: the CA certificates (the environment's SSL_CERT_FILE and
    SSL_CERT_DIR included, as httpx reads them) loaded only when one of `urls` is https; else
    an unused context that trusts nothing, so a bad certificate setting cannot stop a plain
    http harness.

    Raises:
        InputError: the certificates cannot be loaded (exit 2, not a bug in the gate).
    """
    if not any(url and url.lower().startswith("https:") for url in urls):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, and trusts no one
    try:
        return httpx.create_ssl_context(trust_env=True)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(
            f"cannot load TLS certificates (SSL_CERT_FILE, SSL_CERT_DIR): {exc}"
        ) from None


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY), as httpx
    itself would use without a custom transport; None: connect directly."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies_environment()
    if proxies.get("no") and urllib.request.proxy_bypass(parsed.host):
        return None
    return proxies.get(parsed.scheme) or proxies.get("all")
