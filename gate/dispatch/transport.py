"""The harness client's engine: an httpx transport over aiohttp's connection pool and parser.

Why not httpx's own transport: httpcore spends about 1 ms of the event loop's CPU per request
(its pool re-examines every connection per request, encode/httpcore#928, and it parses HTTP in
Python). One event loop drives every trial, so at C = 128 that cost, not the harness, set the
pace. aiohttp keeps one pool of C + 1 connections at O(1) per request and parses HTTP in C
(llhttp); the dispatcher still speaks httpx (requests, responses, errors, tests with
`httpx.MockTransport`), and aiohttp's errors become the httpx errors they mean, so retries and
the health check decide exactly as before. Where aiohttp differs from httpcore in what a hostile
harness can do, this module keeps httpcore's answer: a kept-alive connection is looked at before
it is reused, messages carry no URL credentials nor harness bytes, and no aiohttp ValueError or
UnicodeError escapes as an internal error.
"""

from __future__ import annotations

import functools
import re
import select
import ssl
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
from aiohttp.client_proto import ResponseHandler
from aiohttp.connector import Connection
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.tracing import Trace
from yarl import URL

from gate.dispatch.reach import LoadWhenNeeded, proxy_parts, tls_context
from gate.errors import InputError
from gate.redact import redact_url

# Under the idle timeout of most servers (uvicorn's is 5 s, as httpx's expiry was): a request
# sent as the server closes the connection would be lost.
KEEPALIVE_S = 4.0
# What one response header line may hold: h11 (httpx's own parser) took a 100 KB head; aiohttp
# stops at 8 KB a line, so a harness's long header (a trace, a cookie) would fail every run.
MAX_HEADER_LINE = 64 * 1024
# What aiohttp refuses to write in a header (RFC 9110 5.5): controls but HTAB, and DEL.
_FORBIDDEN_IN_HEADERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NOT_FORWARDED = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})
# A URL inside an aiohttp message ("Connection timeout to host http://…?key=…"): its userinfo and
# query may be credentials; and where aiohttp's parser quotes what the harness sent (b'…').
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_QUOTED_BYTES = re.compile(r"\bb['\"].*", re.DOTALL)
# aiohttp's "Cannot connect to host h:80 ssl:<ssl.SSLContext object at 0x…>": the TLS setting
# it names is ours, as a Python object's repr, and says nothing to whoever reads the message.
_SSL_SETTING = re.compile(r" ssl:(?:<[^>]*>|\S+)")


class AiohttpTransport(httpx.AsyncBaseTransport):
    """At most `connections` connections to the harness (and its poll URLs), kept alive;
    responses are read as they come and never decompressed here (httpx decodes them)."""

    def __init__(
        self, connections: int, *, proxy: str | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        self._connections = max(1, connections)
        self._tls = tls or tls_context("https:")
        self._proxy, self._proxy_headers = proxy_parts(proxy)
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = _forwarded(request)
        if self._proxy_headers and request.url.scheme == "http":
            # A plain-http request goes to the proxy itself; an https one tunnels through a
            # CONNECT that carries `proxy_headers`, so the harness never sees them.
            headers.extend(self._proxy_headers.items())
        body = await request.aread()
        with _as_httpx(request):
            response = await self._open().request(
                request.method,
                _target(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                proxy=self._proxy,
                proxy_headers=self._proxy_headers,
                timeout=self._timeout(request),
                ssl=self._tls_for(request),
            )
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Body(response, request),
            extensions={
                "http_version": _version(response.version),
                "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
            },
        )

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use: an aiohttp session belongs to the running event loop.
        if self._session is None:
            connector = _Connector(
                limit=self._connections,
                limit_per_host=0,
                ssl=self._tls,
                keepalive_timeout=KEEPALIVE_S,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # cookies are httpx's client's to refuse
                # httpx decodes, and counts the decoded bytes against the size cap
                auto_decompress=False,
                max_line_size=MAX_HEADER_LINE,
                max_field_size=MAX_HEADER_LINE,
                trust_env=False,  # the proxy is chosen once, by environment_proxy
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    def _tls_for(self, request: httpx.Request) -> ssl.SSLContext:
        # An http harness may name an https poll_url on another origin: the CA certificates
        # are loaded for it then; if they cannot be, that request fails, not the whole run.
        if request.url.scheme == "https" and isinstance(self._tls, LoadWhenNeeded):
            try:
                self._tls = tls_context("https:")
            except InputError as exc:
                raise httpx.ConnectError(str(exc), request=request) from None
        return self._tls

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        wanted = request.extensions.get("timeout") or {}
        key = (wanted.get("pool"), wanted.get("connect"), wanted.get("read"))
        if key not in self._timeouts:
            pool, connect, read = key
            # aiohttp's `connect` covers waiting for a pooled connection and making one.
            waiting = None if pool is None or connect is None else pool + connect
            self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, connect=waiting, sock_connect=connect, sock_read=read
            )
        return self._timeouts[key]

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Connector(aiohttp.TCPConnector):
    """aiohttp's pool, but a kept-alive connection the harness wrote to or closed while it sat
    idle is dropped, not handed out: those bytes are no answer to the next request (maybe
    another case's), and a closed one would lose it. httpcore looked at the socket the same way."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._handed_out: weakref.WeakSet[ResponseHandler] = weakref.WeakSet()

    async def connect(
        self, req: aiohttp.ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        while True:
            connection = await super().connect(req, traces, timeout)
            protocol = connection.protocol
            # Only a reused connection is checked: a new one that reads as stirred (a server
            # that greets first) is used as it is, so this loop ends within the pool's size.
            if protocol is None or protocol not in self._handed_out or _quiet(connection):
                if protocol is not None:
                    self._handed_out.add(protocol)
                return connection
            connection.close()


def _quiet(connection: Connection) -> bool:
    """Nothing came on this idle connection: no bytes, no FIN, no reset, read or unread."""
    protocol, transport = connection.protocol, connection.transport
    if protocol is None or transport is None or protocol.should_close:
        return False
    sock = transport.get_extra_info("socket")
    if sock is None:
        return True
    if hasattr(select, "poll"):  # select.select fails on descriptors past 1023
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        return not poller.poll(0)
    return not select.select([sock.fileno()], [], [], 0)[0]


class _Body(httpx.AsyncByteStream):
    """A response body read chunk by chunk; closing it before the end drops the connection."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response, self._request = response, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            with _as_httpx(self._request):
                chunk = await self._response.content.readany()
            if not chunk:
                return
            yield chunk

    async def aclose(self) -> None:
        if self._response.content.at_eof():
            self._response.release()  # back to the pool
        else:
            self._response.close()  # unread bytes would poison the next request


def _forwarded(request: httpx.Request) -> list[tuple[str, str]]:
    """The request's headers for aiohttp; a control character in one (a harness's cookie that
    httpx's client sends back, say) is httpx's LocalProtocolError, as h11 raised it: aiohttp
    would raise a ValueError, an internal error. The value is not shown: it may be a token."""
    headers = []
    for raw_name, raw_value in request.headers.raw:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if _FORBIDDEN_IN_HEADERS.search(name) or _FORBIDDEN_IN_HEADERS.search(value):
            problem = f"illegal character in the request's {_FORBIDDEN_IN_HEADERS.sub('?', name)}"
            raise httpx.LocalProtocolError(f"{problem} header", request=request)
        if name.lower() not in _NOT_FORWARDED:
            headers.append((name, value))
    return headers


@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    """aiohttp's errors as the httpx errors they mean: the dispatcher retries any transport
    error, and only an unreachable harness (connect errors) stops a run before it starts."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(_text(exc), request=request) from exc
    except TimeoutError as exc:  # aiohttp's read timeouts (the trial's own is outside)
        raise httpx.ReadTimeout(_text(exc), request=request) from exc
    except (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError) as exc:
        raise httpx.ProxyError(_text(exc), request=request) from exc
    except (aiohttp.ClientConnectorError, aiohttp.ServerFingerprintMismatch) as exc:
        raise httpx.ConnectError(_text(exc), request=request) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
        raise httpx.RemoteProtocolError(_text(exc), request=request) from exc
    except aiohttp.ClientResponseError as exc:  # its str() names the URL: keep the message
        message = _text(exc.message) if exc.message else "bad response"
        raise httpx.RemoteProtocolError(message, request=request) from exc
    except HttpProcessingError as exc:
        raise httpx.RemoteProtocolError(_text(exc), request=request) from exc
    except UnicodeError as exc:  # a host name httpx accepts but IDNA cannot encode ("a..b")
        raise httpx.ConnectError(f"invalid host name: {_text(exc)}", request=request) from exc
    except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
        raise httpx.UnsupportedProtocol(_text(exc), request=request) from exc
    except (aiohttp.ClientError, OSError) as exc:  # resets, TLS errors, anything else
        raise httpx.ReadError(_text(exc), request=request) from exc


def _target(url: httpx.URL) -> URL:
    # httpx has already encoded the URL, and sends its credentials as an Authorization header.
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    return _encoded(str(url))


@functools.lru_cache(maxsize=1024)
def _encoded(url: str) -> URL:
    # Every trial POSTs to one URL: parse it once, not once a request.
    return URL(url, encoded=True)


def _version(version: aiohttp.HttpVersion | None) -> bytes:
    return b"HTTP/1.1" if version is None else f"HTTP/{version.major}.{version.minor}".encode()


def _text(exc: BaseException | str) -> str:
    """What went wrong, without what could be a secret: the harness's bytes as the parser
    quotes them (an echoed token cut at 100 bytes is no longer a token any redaction can find)
    and a URL's userinfo and query values (aiohttp names the whole URL in some messages)."""
    text = _SSL_SETTING.sub("", _QUOTED_BYTES.sub("", str(exc))).rstrip(" \n:")
    text = _URL_IN_TEXT.sub(lambda url: redact_url(url.group()), text)
    return text or (type(exc).__name__ if isinstance(exc, BaseException) else "bad response")
