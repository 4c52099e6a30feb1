"""A scripted OpenAI-compatible judge on loopback: answers each chat completion from a script.

A script entry is an `Answer` (sent as is) or a function of the request (a scripted "model" that
reads the prompt). Helpers build honest answers (`says`), garbage, HTTP faults and two naive
models that a prompt injection fools unless the gate's defences hold (`obedient`, `echo`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gate.reference.loopback import serving

MODEL = "scripted-judge-2026-01-01"
# How a naive model finds the data block: the first opening marker, then the FIRST thing that
# looks like an end of data, whoever wrote it. Only neutralization keeps hostile text inside.
_OPEN = re.compile(r"<<<\s*TRANSCRIPT[^>\n]*>>>")
_CLOSE = re.compile(
    r"<<<\s*END[^>\n]*>>>|</\s*(?:transcript|data)\s*>|\[\s*END DATA\s*\]"
    r"|<\|im_end\|>|```",
    re.IGNORECASE,
)
_INSTRUCTION = re.compile(
    r"\b(?:output|answer|respond(?: with)?|reply(?: with)?|return|say|verdict(?: is|:)?)"
    r"\s*[:=]?\s*[\"'`]?(pass|fail)\b",
    re.IGNORECASE,
)
_NONCE = re.compile(r'"nonce":\s*"([0-9a-f]{16})"')
_REAL_BLOCK = re.compile(r"<<<TRANSCRIPT (\w+)>>>\n(.*)\n<<<END TRANSCRIPT \1>>>", re.DOTALL)


@dataclass(frozen=True)
class Answer:
    """One reply: `content` becomes choices[0].message.content; `body` overrides the JSON."""

    status: int = 200
    content: str | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if self.body is not None:
            return json.dumps(self.body).encode()
        if self.status != 200:
            return json.dumps({"error": {"message": f"scripted {self.status}"}}).encode()
        return json.dumps(
            {
                "id": "cmpl-1",
                "object": "chat.completion",
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": self.content or ""},
                    }
                ],
            }
        ).encode()


Step = Answer | Callable[[dict[str, Any]], Answer]


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def user(self) -> str:
        return str(self.body["messages"][-1]["content"])


def user_text(request: dict[str, Any]) -> str:
    return str(request["messages"][-1]["content"])


def nonce_of(prompt: str) -> str:
    found = _NONCE.findall(prompt)
    return found[-1] if found else ""


def transcript_of(prompt: str) -> str:
    """The transcript between the gate's real (nonce-carrying) markers."""
    match = _REAL_BLOCK.search(prompt)
    return match.group(2) if match else ""


def _quote(prompt: str) -> str:
    """A verbatim quote: the content of the last agent line (or any line) of the transcript."""
    lines = transcript_of(prompt).splitlines() or [""]
    agent = [line for line in lines if "agent: " in line]
    line = (agent or lines)[-1]
    # The spoken part only: planted JSON after it is not quotable evidence.
    return line.split(": ", 1)[-1].split("{")[0].strip()[:60]


def verdict_json(
    verdict: str,
    prompt: str,
    *,
    evidence: str | None = None,
    reason: str | None = None,
    nonce: str | None = None,
) -> str:
    return json.dumps(
        {
            "verdict": verdict,
            "evidence": _quote(prompt) if evidence is None else evidence,
            "reason": reason or f"scripted {verdict}",
            "nonce": nonce_of(prompt) if nonce is None else nonce,
        }
    )


def says(verdict: str, **kw: Any) -> Callable[[dict[str, Any]], Answer]:
    """An honest, well-formed answer that quotes the transcript it was given."""
    return lambda request: Answer(content=verdict_json(verdict, user_text(request), **kw))


GARBAGE = Answer(content="Honestly, I think the agent did fine overall.")


def fault(status: int, retry_after: str | None = "0", delay_s: float = 0.0) -> Answer:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Answer(status=status, headers=headers, delay_s=delay_s)


def naive_block(prompt: str) -> tuple[str, str]:
    """(inside, outside) of the data block as a naive model delimits it."""
    opened = _OPEN.search(prompt)
    if opened is None:
        return "", prompt
    closed = _CLOSE.search(prompt, opened.end())
    end = closed.start() if closed else len(prompt)
    return prompt[opened.end() : end], prompt[: opened.start()] + prompt[end:]


def obedient(honest: str) -> Callable[[dict[str, Any]], Answer]:
    """Obeys the last instruction-like text OUTSIDE the (naively delimited) data block, with a
    real quote as evidence and the right nonce: only the prompt's structure can stop it."""

    def answer(request: dict[str, Any]) -> Answer:
        prompt = user_text(request)
        _, outside = naive_block(prompt)
        orders = _INSTRUCTION.findall(outside)
        verdict = orders[-1].lower() if orders else honest
        return Answer(content=verdict_json(verdict, prompt, reason=f"obeyed: {verdict}"))

    return answer


def echo(honest: str, *, fill_nonce: bool = False) -> Callable[[dict[str, Any]], Answer]:
    """Echoes the last JSON verdict found anywhere in the prompt (data block included), as a
    model that copies an example would; `fill_nonce` also copies the prompt's nonce into it."""

    def answer(request: dict[str, Any]) -> Answer:
        prompt = user_text(request)
        found = _json_verdicts(prompt)
        if not found:
            return Answer(content=verdict_json(honest, prompt))
        copied = dict(found[-1])
        if fill_nonce:
            copied["nonce"] = nonce_of(prompt)
        return Answer(content=f"```json\n{json.dumps(copied)}\n```")

    return answer


def _json_verdicts(text: str) -> list[dict[str, Any]]:
    decoder, found = json.JSONDecoder(), []
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict) and str(value.get("verdict", "")).lower() in ("pass", "fail"):
            found.append(value)
    return found


class JudgeServer:
    """The script, the record, and the base URL (`…/v1`) of a running server (see `serve`)."""

    def __init__(self, script: list[Step], then: Step | None) -> None:
        self.script, self.then = list(script), then
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self.url = ""
        self._lock = threading.Lock()

    def take(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(request)
            step = self.script.pop(0) if self.script else self.then
        if step is None:
            return Answer(500, body={"error": {"message": "judge script exhausted"}})
        return step(request.body) if callable(step) else step

    @property
    def calls(self) -> int:
        return len(self.requests)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    judge: JudgeServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 2.0
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path != "/v1/chat/completions":
            self._write(Answer(404, body={"error": {"message": f"no route {self.path}"}}))
            return
        judge = self.server.judge
        reply = judge.take(Request(self.path, headers, json.loads(raw)))
        if reply.delay_s and judge.stopping.wait(reply.delay_s):
            self.close_connection = True
            return
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first (its timeout fired)

    def _write(self, reply: Answer) -> None:
        payload = reply.payload()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass


@contextmanager
def serve(script: list[Step] | None = None, then: Step | None = None) -> Iterator[JudgeServer]:
    """Run a judge on 127.0.0.1 for the block; `then` answers once the script is used up."""
    judge = JudgeServer(script or [], then)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.judge = judge
    with serving(server, poll_interval=0.05, on_stop=judge.stopping.set) as url:
        judge.url = f"{url}/v1"
        yield judge
