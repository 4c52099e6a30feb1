"""A minimal Language Server Protocol client over stdio (JSON-RPC, Content-Length framing).

Standard library only. Every wait has a deadline, so a server that hangs or dies fails the test
instead of blocking it. Requests the server sends to the client are answered from `handlers`
(method -> function of params); an unknown one gets a JSON-RPC "method not found" error.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

Handler = Callable[[Any], Any]


class LspError(AssertionError):
    """The server answered with an error, exited, or did not answer in time."""


class LspClient:
    """One language server process; `request`, `notify`, and the notifications it sent."""

    def __init__(self, command: Sequence[str], handlers: dict[str, Handler] | None = None) -> None:
        self.handlers = dict(handlers or {})
        self.notifications: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stderr: list[bytes] = []
        self._next_id = 0
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        # Drained so a chatty server never blocks on a full stderr pipe; kept for failure messages.
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- wire ---------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        with self._lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def _read_stdout(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        try:
            while True:
                length = None
                while True:  # headers up to the blank line
                    line = stream.readline()
                    if not line:
                        return
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                self._inbox.put(json.loads(stream.read(length).decode("utf-8")))
        finally:
            self._inbox.put(None)  # end of stream: waiters stop at once

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")[-4000:]

    # -- messages -----------------------------------------------------------------------------

    def _dispatch(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Handle a server request or notification; a response is returned to the waiter."""
        if "method" not in message:
            return message
        if "id" in message:  # a request from the server: answer it
            self.server_requests.append(message)
            handler = self.handlers.get(message["method"])
            if handler is None:
                error = {"code": -32601, "message": f"not handled: {message['method']}"}
                self._send({"id": message["id"], "error": error})
            else:
                try:
                    self._send({"id": message["id"], "result": handler(message.get("params"))})
                except Exception as exc:  # the server sees the error, as from a real client
                    self._send(
                        {"id": message["id"], "error": {"code": -32603, "message": str(exc)}}
                    )
        else:
            self.notifications.append(message)
        return None

    def _pump(self, deadline: float) -> dict[str, Any] | None:
        """The next response, handling whatever arrives before it; None at the deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                message = self._inbox.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            if message is None:
                self._inbox.put(None)
                raise LspError(f"the server exited ({self.process.poll()}):\n{self.stderr()}")
            response = self._dispatch(message)
            if response is not None:
                return response

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 20.0) -> Any:
        self._next_id += 1
        wanted = self._next_id
        self._send({"id": wanted, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            response = self._pump(deadline)
            if response is None:
                raise LspError(f"no answer to {method} in {timeout}s:\n{self.stderr()}")
            if response.get("id") != wanted:
                continue  # a late answer to an earlier request that timed out
            if "error" in response:
                raise LspError(f"{method} failed: {response['error']}")
            return response.get("result")

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0, since: int = 0
    ) -> dict[str, Any]:
        """The first notification from index `since` on (received or arriving) that `predicate`
        accepts; `since=len(client.notifications)` before a change waits for a new one."""
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            for message in self.notifications[seen:]:
                if predicate(message):
                    return message
            seen = len(self.notifications)
            if self._pump(min(deadline, time.monotonic() + 0.2)) is None:
                if time.monotonic() >= deadline:
                    raise LspError(f"no matching notification in {timeout}s:\n{self.stderr()}")

    def close(self) -> None:
        """`shutdown` and `exit` politely, then make sure the process is gone."""
        try:
            if self.process.poll() is None:
                self.request("shutdown", None, timeout=5)
                self.notify("exit", None)
                self.process.wait(timeout=5)
        except (LspError, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=5)
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
