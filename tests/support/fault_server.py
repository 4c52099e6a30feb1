"""A real loopback HTTP server that answers from a script of faults and records every request."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from gate.reference.loopback import serving

Fault = Literal["reset", "truncate"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: bytes/str bodies are sent as-is, anything else as JSON."""

    status: int = 200
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # before answering; cut short when the server stops
    fault: Fault | None = None  # reset: drop the connection with RST; truncate: half the body

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


EXHAUSTED = Reply(500, {"error": "fault server script exhausted"})


@dataclass(frozen=True)
class Recorded:
    """A request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FaultServer:
    """The script, the record, and the URL of a running server (see `serve`)."""

    def __init__(self, script: list[Reply], then: Reply | None) -> None:
        self.script, self.then = list(script), then or EXHAUSTED
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self.url = ""
        self._lock = threading.Lock()

    def take(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self.script.pop(0) if self.script else self.then

    @property
    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]


class _Server(ThreadingHTTPServer):
    # Join handler threads on close, so no test leaves a thread (or socket) behind.
    daemon_threads = False
    block_on_close = True
    fault_server: FaultServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real harness behind a proxy
    timeout = 2.0  # an idle kept-alive connection never holds a thread for long
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass  # keep test output clean

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        script = self.server.fault_server
        reply = script.take(Recorded(self.command, self.path, headers, body))
        if reply.delay_s and script.stopping.wait(reply.delay_s):
            self.close_connection = True
            return
        if reply.fault == "reset":
            # SO_LINGER 0: closing sends RST instead of FIN, i.e. "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # before socketserver's shutdown(SHUT_WR) could send a FIN
            self.close_connection = True
            return
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first (e.g. its timeout fired)

    def _write(self, reply: Reply) -> None:
        payload = reply.payload()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if reply.fault == "truncate":
            payload = payload[: len(payload) // 2]
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


@contextmanager
def serve(*script: Reply, then: Reply | None = None) -> Iterator[FaultServer]:
    """Serve `script` (one reply per request, then `then`) on 127.0.0.1, in a thread."""
    fault_server = FaultServer(list(script), then)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fault_server = fault_server
    with serving(server, on_stop=fault_server.stopping.set) as fault_server.url:
        yield fault_server


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
