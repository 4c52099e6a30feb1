"""Serve a stdlib HTTP server on loopback in a thread for a block: the one helper every server
of this repository (the reference harness, the fault harness, the tests' fakes) uses."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import HTTPServer


def base_url(server: HTTPServer) -> str:
    """`http://host:port` of a bound server (IPv6 hosts in brackets)."""
    host, port = server.server_address[:2]
    name = host.decode() if isinstance(host, bytes) else str(host)
    shown = f"[{name}]" if server.address_family == socket.AF_INET6 else name
    return f"http://{shown}:{port}"


@contextmanager
def serving(
    server: HTTPServer,
    *,
    poll_interval: float = 0.02,
    on_stop: Callable[[], None] | None = None,
) -> Iterator[str]:
    """Serve `server` in a thread for the block and yield its base URL; then `on_stop` (to wake
    handlers that wait), stop, join and close. The server's own settings decide whether its
    handler threads are joined (`block_on_close`)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
    )
    thread.start()
    try:
        yield base_url(server)
    finally:
        if on_stop is not None:
            on_stop()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
