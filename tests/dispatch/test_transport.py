"""AiohttpTransport: one bounded keep-alive pool, httpx's errors for aiohttp's, env proxies kept."""

from __future__ import annotations

import asyncio
import base64
import gzip
import re
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp.http_exceptions import BadStatusLine
from support.fault_server import Reply, closed_port_url, serve

from gate.dispatch.reach import environment_proxy, tls_context
from gate.dispatch.transport import AiohttpTransport, _as_httpx
from gate.errors import InputError
from gate.net import read_capped


class Counting:
    """A raw keep-alive HTTP/1.1 server in the test's own loop that counts its connections."""

    def __init__(self, delay_s: float = 0.02, body: bytes = b'{"ok": true}') -> None:
        self.delay_s, self.body = delay_s, body
        self.open = self.most = self.total = self.requests = 0
        self.lines: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.total += 1
        self.most = max(self.most, self.open)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.lines.append(head)
                self.requests += 1
                await asyncio.sleep(self.delay_s)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(self.body))
                writer.write(self.body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


def with_server(server: Counting, go: Callable[[str], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listening.sockets[0].getsockname()[1]
        async with listening:
            return await go(f"http://127.0.0.1:{port}")

    return asyncio.run(main())


def test_concurrent_requests_share_one_bounded_pool_of_kept_connections() -> None:
    server = Counting()
    transport = AiohttpTransport(4)

    async def go(url: str) -> list[int]:
        async with httpx.AsyncClient(transport=transport) as client:
            first = await asyncio.gather(*(client.get(f"{url}/{i}") for i in range(20)))
            again = await asyncio.gather(*(client.get(url) for _ in range(4)))
        return [r.status_code for r in first + again]

    assert with_server(server, go) == [200] * 24
    assert server.requests == 24
    assert server.most == 4  # never more connections than asked for, and all of them used
    assert server.total == 4  # kept alive: the later requests reuse them


def test_a_body_closed_unread_drops_its_connection_and_the_next_request_is_clean() -> None:
    server = Counting(delay_s=0, body=b"x" * 200_000)
    transport = AiohttpTransport(1)

    async def go(url: str) -> list[int]:
        async with httpx.AsyncClient(transport=transport) as client:
            async with client.stream("GET", url) as response:
                async for _ in response.aiter_raw():
                    break  # read one chunk, then give up (as read_capped does past its cap)
            whole = await client.get(url)
        return [response.status_code, whole.status_code, len(whole.content)]

    assert with_server(server, go) == [200, 200, 200_000]
    assert server.total == 2  # the half-read connection was not reused


def test_requests_go_out_as_httpx_built_them() -> None:
    server = Counting(delay_s=0)

    async def go(url: str) -> None:
        authority = url.replace("http://", "http://voice:s3cret@")
        async with httpx.AsyncClient(transport=AiohttpTransport(2)) as client:
            await client.post(
                f"{authority}/runs?a=%2F", content=b"{}", headers={"Idempotency-Key": "k1"}
            )

    with_server(server, go)
    head = server.lines[0].decode("latin-1")
    assert head.startswith("POST /runs?a=%2F HTTP/1.1\r\n")  # encoded once, no credentials
    assert "Idempotency-Key: k1" in head
    assert f"Authorization: Basic {base64.b64encode(b'voice:s3cret').decode()}" in head
    assert head.lower().count("content-length:") == 1 and "python/aiohttp" not in head.lower()


def test_a_compressed_body_is_decoded_by_httpx_and_capped_decoded() -> None:
    body = gzip.compress(b"a" * 100_000)
    reply = Reply(body=body, headers={"Content-Encoding": "gzip"})

    async def go(url: str, limit: int) -> bytes:
        async with httpx.AsyncClient(transport=AiohttpTransport(1)) as client:
            async with client.stream("GET", url) as response:
                return await read_capped(response, limit, lambda: ValueError("too big"))

    with serve(then=reply) as server:
        assert asyncio.run(go(server.url, 200_000)) == b"a" * 100_000
        with pytest.raises(ValueError, match="too big"):  # the bomb is counted as it inflates
            asyncio.run(go(server.url, 50_000))


def test_real_faults_come_out_as_httpx_transport_errors() -> None:
    async def get(url: str, timeout: float = 5.0) -> None:
        async with httpx.AsyncClient(transport=AiohttpTransport(1), timeout=timeout) as client:
            await client.get(url)

    with pytest.raises(httpx.ConnectError, match="Cannot connect to host") as refused:
        asyncio.run(get(closed_port_url()))
    # What is shown: the host and the OS's reason, not our TLS context's repr.
    assert re.fullmatch(r"Cannot connect to host 127\.0\.0\.1:\d+ \[.+\]", str(refused.value))
    with serve(then=Reply(fault="reset")) as server:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            asyncio.run(get(server.url))
    with serve(then=Reply(body=b"x" * 100, fault="truncate")) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            asyncio.run(get(server.url))
    with serve(then=Reply(delay_s=2)) as server:
        with pytest.raises(httpx.ReadTimeout):
            asyncio.run(get(server.url, timeout=0.2))


class _Key:
    host, port, ssl, is_ssl = "h.test", 80, True, False


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (TimeoutError(), httpx.ReadTimeout),
        (aiohttp.ClientConnectorError(_Key(), OSError(111, "refused")), httpx.ConnectError),  # type: ignore[arg-type]
        (aiohttp.ClientProxyConnectionError(_Key(), OSError(1, "x")), httpx.ProxyError),  # type: ignore[arg-type]
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("cut"), httpx.RemoteProtocolError),
        (BadStatusLine("HTTP/9"), httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
        (ConnectionResetError(), httpx.ReadError),
        (ssl.SSLError("bad record"), httpx.ReadError),
        (aiohttp.InvalidURL("http://["), httpx.UnsupportedProtocol),
    ],
)
def test_each_aiohttp_error_is_the_httpx_error_it_means(
    raised: Exception, expected: type[httpx.TransportError]
) -> None:
    request = httpx.Request("GET", "http://h.test/")
    with pytest.raises(expected) as caught, _as_httpx(request):
        raise raised
    assert type(caught.value) is expected and caught.value.request is request
    assert caught.value.__cause__ is raised and str(caught.value)


def test_cancellation_and_the_gates_own_bugs_pass_through_unmapped() -> None:
    request = httpx.Request("GET", "http://h.test/")
    for raised in (asyncio.CancelledError(), KeyError("bug")):
        with pytest.raises(type(raised)), _as_httpx(request):
            raise raised


def test_a_response_error_keeps_its_message_not_the_url_it_names() -> None:
    request = httpx.Request("GET", "http://h.test/?token=secret")
    info: Any = aiohttp.RequestInfo(
        aiohttp.client.URL(str(request.url)), "GET", {}, aiohttp.client.URL(str(request.url))
    )  # type: ignore[arg-type]
    with pytest.raises(httpx.RemoteProtocolError) as caught, _as_httpx(request):
        raise aiohttp.ClientResponseError(info, (), status=400, message="Invalid header")
    assert str(caught.value) == "Invalid header"


def test_a_proxy_gets_the_request_and_its_credentials_as_proxy_authorization() -> None:
    async def go(proxy: str) -> int:
        transport = AiohttpTransport(1, proxy=proxy.replace("http://", "http://u:p%40ss@"))
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get("http://harness.test/health")).status_code

    with serve(then=Reply(body={"ok": True})) as proxy:
        assert asyncio.run(go(proxy.url)) == 200
    seen = proxy.requests[0]
    assert seen.path == "http://harness.test/health"  # absolute form: a proxy's request
    assert seen.headers["proxy-authorization"] == "Basic " + base64.b64encode(b"u:p@ss").decode()


def test_an_https_harness_gets_a_tunnel_whose_connect_carries_the_credentials() -> None:
    heads: list[bytes] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def go() -> None:
        listening = await asyncio.start_server(refuse, "127.0.0.1", 0)
        port = listening.sockets[0].getsockname()[1]
        transport = AiohttpTransport(1, proxy=f"http://u:pw@127.0.0.1:{port}")
        async with listening, httpx.AsyncClient(transport=transport) as client:
            await client.get("https://harness.test/health")

    with pytest.raises(httpx.ProxyError):
        asyncio.run(go())
    head = heads[0].decode("latin-1")
    assert head.startswith("CONNECT harness.test:443 HTTP/1.1\r\n")
    assert f"Proxy-Authorization: Basic {base64.b64encode(b'u:pw').decode()}" in head


def test_a_proxy_aiohttp_cannot_speak_is_input_error() -> None:
    with pytest.raises(InputError, match=r"socks5://\*\*\*@proxy.test:1080 is not supported"):
        AiohttpTransport(1, proxy="socks5://user:pw@proxy.test:1080")


def test_environment_proxy_as_httpx_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment_proxy("http://harness.test") is None
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    assert environment_proxy("http://harness.test/v1") == "http://proxy.test:3128"
    assert environment_proxy("https://harness.test") is None
    monkeypatch.setenv("NO_PROXY", "harness.test")
    assert environment_proxy("http://harness.test") is None


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
