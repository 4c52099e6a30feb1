"""AiohttpTransport against a hostile harness and environment: real loopback sockets, no mocks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from support.fault_server import Reply, serve
from test_dispatch import CASE

from gate.dispatch.client import Dispatcher, DispatchOutcome, DispatchSettings, make_client
from gate.dispatch.reach import tls_context
from gate.dispatch.transport import AiohttpTransport, _as_httpx
from gate.errors import InputError

SECRET = "QS3CRETVALUE"


@contextmanager
def blackhole() -> Iterator[int]:
    """A port whose listen backlog is full: a SYN goes unanswered, so connecting times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                try:
                    filler.connect(("127.0.0.1", port))
                except BlockingIOError:
                    pass
            yield port
        finally:
            for filler in fillers:
                filler.close()


def test_a_connect_timeout_does_not_name_the_harness_urls_query() -> None:
    # aiohttp says "Connection timeout to host <the whole URL>": its query may be a credential.
    async def go(port: int) -> None:
        timeout = httpx.Timeout(5.0, connect=0.2)
        async with httpx.AsyncClient(transport=AiohttpTransport(1), timeout=timeout) as client:
            await client.post(f"http://127.0.0.1:{port}/v1/runs?key={SECRET}", content=b"{}")

    with blackhole() as port, pytest.raises(httpx.ConnectTimeout) as caught:
        asyncio.run(go(port))
    assert SECRET not in str(caught.value)
    assert f"127.0.0.1:{port}/v1/runs" in str(caught.value)  # still says where


def _info(url: str) -> Any:
    return aiohttp.RequestInfo(aiohttp.client.URL(url), "POST", {}, aiohttp.client.URL(url))  # type: ignore[arg-type]


_URL = f"http://u:pw@h.test/v1/runs?key={SECRET}&a=b"


@pytest.mark.parametrize(
    "raised",
    [
        aiohttp.ConnectionTimeoutError(f"Connection timeout to host {_URL}"),
        aiohttp.ClientOSError(32, f"Can not write request body for {_URL}"),
        aiohttp.InvalidUrlClientError(_URL, "is not a canonical IPv4 address"),
        aiohttp.NonHttpUrlClientError(_URL),
        aiohttp.ClientHttpProxyError(_info(_URL), (), status=407, message="Proxy Auth Required"),
        aiohttp.ServerDisconnectedError(f"gone: {_URL}"),
    ],
)
def test_no_mapped_error_carries_a_urls_credentials(raised: Exception) -> None:
    request = httpx.Request("POST", _URL)
    with pytest.raises(httpx.TransportError) as caught, _as_httpx(request):
        raise raised
    message = str(caught.value)
    assert SECRET not in message and "pw" not in message and message


class _Threads:
    """A loopback listener whose threads all end with the test: leaving the block shuts the
    listener down (which wakes a blocked accept) and joins every thread, so no thread outlives
    its test to accept, or reset, another test's connections."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.threads: list[threading.Thread] = []

    def start(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def __enter__(self) -> _Threads:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for thread in self.threads:  # connection threads are appended while the accept runs
            thread.join(timeout=5)


def _accept(server: _Threads) -> socket.socket | None:
    try:
        conn, _ = server.listener.accept()
    except OSError:
        return None
    conn.settimeout(5)  # a client that never closes cannot hold the test
    return conn


def _until_closed(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while conn.recv(65536):
            pass


def _raw_server(answer: bytes) -> _Threads:
    server = _Threads()

    def serve_once() -> None:
        if conn := _accept(server):
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

    server.start(serve_once)
    return server


@pytest.mark.parametrize(
    "answer",
    [
        # an echo of the request's headers, too long for the parser (MAX_HEADER_LINE a line)
        b"HTTP/1.1 200 OK\r\nX-Echo: Bearer " + SECRET.encode() + b"x" * 70_000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Echo\x01: Bearer " + SECRET.encode() + b"\r\n\r\n",
        b"HTTP/1.1 2x0 Bearer " + SECRET.encode() + b"\r\n\r\n",
    ],
)
def test_a_parse_error_names_the_fault_not_the_bytes_the_harness_sent(answer: bytes) -> None:
    # The parser quotes the offending line, cut at 100 bytes: a cut echo of the token is no
    # longer the token, so no redaction downstream could find it. The fault's name is enough.
    async def go(port: int) -> None:
        async with httpx.AsyncClient(transport=AiohttpTransport(1), timeout=5) as client:
            await client.post(f"http://127.0.0.1:{port}/runs", content=b"{}")

    with _raw_server(answer) as server, pytest.raises(httpx.RemoteProtocolError) as caught:
        asyncio.run(go(server.port))
    message = str(caught.value)
    assert "Bearer" not in message and SECRET[:6] not in message and message.strip()


class _ClosesIdle(_Threads):
    """A keep-alive HTTP/1.1 server (threads, not the client's loop) that closes a connection
    idle for `idle_s`, as uvicorn does after 5 s."""

    def __init__(self, idle_s: float) -> None:
        super().__init__()
        self.idle_s, self.requests, self.connections = idle_s, 0, 0
        self.start(self._accept)

    def _accept(self) -> None:
        while conn := _accept(self):
            self.connections += 1
            self.start(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(self.idle_s)
        with conn:
            try:
                while head := conn.recv(65536):  # the test's requests fit in one segment
                    assert head.endswith(b"{}")
                    self.requests += 1
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            except OSError:
                pass


def test_a_kept_alive_connection_the_harness_closed_while_the_loop_was_busy_is_not_a_fault() -> (
    None
):
    # At C = 128 the event loop can be busy past a harness's idle timeout: its FIN is waiting
    # in the socket, unseen, when the next POST picks that connection from the pool.
    server = _ClosesIdle(idle_s=0.2)

    async def go() -> list[int]:
        async with httpx.AsyncClient(transport=AiohttpTransport(2), timeout=5) as client:
            first = await client.post(f"{server.url}/runs", content=b"{}")
            time.sleep(0.5)  # busy: no I/O is processed
            second = await client.post(f"{server.url}/runs", content=b"{}")
        return [first.status_code, second.status_code]

    with server:
        assert asyncio.run(go()) == [200, 200]
    assert server.requests == 2 and server.connections == 2


def test_a_proxy_named_without_a_scheme_is_http_as_httpx_reads_it() -> None:
    async def go(proxy: str) -> int:
        transport = AiohttpTransport(1, proxy=proxy.removeprefix("http://"))
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get("http://harness.test/health")).status_code

    with serve(then=Reply(body={"ok": True})) as proxy:
        assert asyncio.run(go(proxy.url)) == 200
    assert proxy.requests[0].path == "http://harness.test/health"


@pytest.mark.parametrize(
    "proxy",
    [
        "http://user:S3CRETPW@proxy.test:notaport",
        "http://user:S3CRETPW@[::1",
        "user:S3CRETPW@proxy.test:99999",
        "socks5://user:S3CRETPW@proxy.test:1080",
    ],
)
def test_a_proxy_setting_that_cannot_be_used_is_input_error_without_its_password(
    proxy: str,
) -> None:
    with pytest.raises(InputError) as caught:
        AiohttpTransport(1, proxy=proxy)
    assert "S3CRETPW" not in str(caught.value) and "proxy" in str(caught.value)


class _Scripted(_Threads):
    """A threaded HTTP/1.1 server whose n-th connection plays `plays[n]`: a list of what to do
    after each request it reads ("answer", "close", or bytes to send on their own later)."""

    def __init__(self, *plays: list[Any]) -> None:
        super().__init__()
        self.plays, self.requests = list(plays), 0
        self.start(self._accept)

    def _accept(self) -> None:
        for number, play in enumerate(self.plays):
            if not (conn := _accept(self)):
                return
            self.start(self._serve, conn, play, number)

    def _serve(self, conn: socket.socket, play: list[Any], number: int) -> None:
        with conn:
            for step in play:
                if isinstance(step, bytes):
                    time.sleep(0.05)
                    conn.sendall(step)
                    continue
                if not conn.recv(65536):
                    return
                self.requests += 1
                if step == "close":
                    return
                body = b'{"connection": %d}' % number
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            _until_closed(conn)


def test_a_response_the_harness_sent_before_the_request_is_not_its_answer() -> None:
    # Bytes written on an idle kept-alive connection (a duplicated write, a forged run) would
    # be read as the answer to whichever request used that connection next, maybe another case's.
    forged = b'HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{"forged": 1}\n'
    server = _Scripted(["answer", forged, "answer"], ["answer"])

    async def go() -> list[str]:
        async with httpx.AsyncClient(transport=AiohttpTransport(1), timeout=5) as client:
            first = await client.post(f"{server.url}/runs", content=b"{}")
            await asyncio.sleep(0.3)  # the forged answer has arrived
            second = await client.post(f"{server.url}/runs", content=b"{}")
        return [first.text, second.text]

    with server:
        assert asyncio.run(go()) == ['{"connection": 0}', '{"connection": 1}']


def test_a_post_a_kept_alive_connection_lost_is_the_dispatchers_to_retry_not_resent_unseen() -> (
    None
):
    # The harness may have read it before it closed: the dispatcher retries it, counted, after
    # its backoff. (An idle connection it closed earlier is never handed out: see above.)
    server = _Scripted(["answer", "close"], ["answer"])

    async def go() -> None:
        async with httpx.AsyncClient(transport=AiohttpTransport(1), timeout=5) as client:
            await client.post(f"{server.url}/runs", content=b"{}")
            await client.post(f"{server.url}/runs", content=b"{}")

    with server, pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
        asyncio.run(go())
    assert server.requests == 2


@pytest.mark.parametrize("url", ["http://harness..test/", f"http://{'a' * 64}.test/", "http://.a/"])
def test_a_host_name_dns_cannot_encode_is_a_connect_error(url: str) -> None:
    # httpx accepts these names; encoding them for DNS raised UnicodeError: an internal error.
    async def go() -> None:
        async with httpx.AsyncClient(transport=AiohttpTransport(1), timeout=5) as client:
            await client.get(url)

    with pytest.raises(httpx.ConnectError):
        asyncio.run(go())


def test_a_poll_url_on_an_unencodable_host_ends_the_trial_as_error_not_the_gate() -> None:
    accepted = Reply(202, {"run_id": "r_1", "poll_url": "http://storage..test/runs/r_1"})
    config = DispatchSettings(harness_url="", timeout_s=10, retries=1, invocation_id="inv1")

    async def go(url: str) -> DispatchOutcome:
        settings = replace(config, harness_url=url)
        async with make_client(settings) as client:
            dispatcher = Dispatcher(settings, client, sleep=lambda _: asyncio.sleep(0))
            return await dispatcher.run(CASE, 1)

    with serve(then=accepted) as server:
        outcome = asyncio.run(go(server.url))
    assert outcome.run is None and outcome.error
    assert "harness poll connection failed (ConnectError" in outcome.error


def test_a_cookie_aiohttp_will_not_send_is_a_transport_error_not_an_internal_one() -> None:
    # The parser takes a DEL in a Set-Cookie value; httpx's client sends the cookie back; and
    # aiohttp refuses to write that header with a ValueError (h11 raised LocalProtocolError).
    answer = b"HTTP/1.1 200 OK\r\nSet-Cookie: s=a\x7fb; Path=/\r\nContent-Length: 2\r\n\r\n{}"
    server = _raw_server(answer)

    async def go() -> None:
        url = f"{server.url}/runs"
        async with httpx.AsyncClient(transport=AiohttpTransport(1)) as client:
            assert (await client.post(url, content=b"{}")).status_code == 200
            await client.post(url, content=b"{}")

    with server, pytest.raises(httpx.LocalProtocolError, match="Cookie"):
        asyncio.run(go())


CERTIFICATE = Path(__file__).with_name("localhost.pem")  # self-signed: localhost, 127.0.0.1


@contextmanager
def tls_server() -> Iterator[str]:
    """An https server (the test's own certificate) answering every request with 200 {}."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERTIFICATE)
    server = _Threads()

    def serve(conn: socket.socket) -> None:
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                while tls.recv(65536):
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        except OSError:  # ssl.SSLError too: a client that refused the certificate
            pass

    def accept() -> None:
        while conn := _accept(server):
            server.start(serve, conn)

    server.start(accept)
    with server:
        yield f"https://localhost:{server.port}"


def test_an_http_harness_can_hand_out_an_https_poll_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 202's poll_url may be https on another origin (storage, say): its certificate is checked
    # against the CA certificates, loaded when needed, not against a context that trusts no one.
    monkeypatch.setenv("SSL_CERT_FILE", str(CERTIFICATE))

    async def go(poll_url: str) -> int:
        transport = AiohttpTransport(1, tls=tls_context("http://127.0.0.1:8080", None))
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            return (await client.get(f"{poll_url}/runs/r_1")).status_code

    with tls_server() as url:
        assert asyncio.run(go(url)) == 200


def test_certificates_that_cannot_be_loaded_fail_only_the_https_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    harness = _Scripted(["answer"])

    async def go(poll_url: str) -> int:
        transport = AiohttpTransport(1, tls=tls_context("http://127.0.0.1:8080", None))
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            with pytest.raises(httpx.ConnectError, match="SSL_CERT_FILE"):
                await client.get(f"{poll_url}/runs/r_1")
            return (await client.post(f"{harness.url}/runs", content=b"{}")).status_code

    with tls_server() as url, harness:
        assert asyncio.run(go(url)) == 200
