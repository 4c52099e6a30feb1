"""Serve the reference harness over HTTP on loopback with the standard library only."""

from __future__ import annotations

import difflib
import socket
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

from gate.errors import InputError
from gate.net import check_http_url
from gate.reference.app import ReferenceHarness
from gate.reference.bugs import BUGS
from gate.reference.loopback import base_url, serving

# A run request is a few KiB, an audio turn up to 512 KiB (as base64, 4/3 of it): refuse to
# buffer anything beyond a handful of those.
MAX_BODY_BYTES = 8 << 20


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive handler threads may sit on an idle client socket: never join them on close.
    block_on_close = False

    def __init__(self, host: str, port: int, harness: ReferenceHarness) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.harness = harness
        super().__init__((host, port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up (the gate stopping mid-run) is not the harness's error; the
        # stdlib default would print a traceback into the gate's output.
        return

    @property
    def base_url(self) -> str:
        return base_url(self)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the gate's connection pool is exercised
    server_version = "voice-regress-reference"
    timeout = 30

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(413, {"Content-Type": "application/json"}, b'{"error": "body too large"}')
            self.close_connection = True
            return
        body = self.rfile.read(length) if length > 0 else b""
        harness = cast(_Server, self.server).harness
        headers = dict(self.headers.items())
        status, reply_headers, payload = harness.handle(self.command, self.path, headers, body)
        self._reply(status, reply_headers, payload)

    def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Silenced: the gate's own output is the log; per-request lines would drown it."""


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    bugs: Iterable[str] = (),
    token: str | None = None,
    harness: ReferenceHarness | None = None,
) -> _Server:
    """A bound, not yet serving, server; port 0 picks a free ephemeral port."""
    return _Server(host, port, harness or ReferenceHarness(bugs=bugs, token=token))


def serve(
    host: str = "127.0.0.1", port: int = 8765, bugs: Iterable[str] = (), token: str | None = None
) -> None:
    """Serve until interrupted; the first stdout line is `listening on http://H:P`."""
    server = make_server(host, port, bugs, token)
    print(f"listening on {server.base_url}", flush=True)
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(
            f"warning: the reference harness is reachable beyond loopback ({host})",
            file=sys.stderr,
            flush=True,
        )
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@contextmanager
def running_harness(
    bugs: Iterable[str] = (), token: str | None = None, harness: ReferenceHarness | None = None
) -> Iterator[str]:
    """Serve on 127.0.0.1:<ephemeral> in a daemon thread; yields the base URL, then shuts down.

    Pass `harness` to inspect its counters afterwards (then `bugs`/`token` are ignored).
    """
    server = make_server("127.0.0.1", 0, bugs, token, harness)
    with serving(server, poll_interval=0.05) as url:
        yield url


def builtin_bugs(url: str) -> tuple[str, ...] | None:
    """The planted bugs of `builtin[:BUG,…]`, or None for a real URL (checked here too, so a
    typo is an input error before anything is loaded or planned, not after)."""
    if url != "builtin" and not url.startswith("builtin:"):
        check_http_url(url, "--harness-url", "http(s)://host[:port][/path] or builtin[:BUG,…]")
        return None
    bugs = tuple(b for b in url.partition(":")[2].split(",") if b)
    for bug in bugs:
        if bug not in BUGS:
            near = difflib.get_close_matches(bug, BUGS, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            known = ", ".join(BUGS)
            raise InputError(f"--harness-url: unknown bug {bug!r}; {hint}(known: {known})")
    return bugs


@contextmanager
def harness_url_served(url: str) -> Iterator[str]:
    """A real URL as given, or `builtin[:BUG,…]`: the reference harness served on loopback for
    the block (`run`, `harness-check`)."""
    bugs = builtin_bugs(url)
    if bugs is None:
        yield url.rstrip("/")
        return
    with running_harness(bugs=bugs) as base_url:
        yield base_url
