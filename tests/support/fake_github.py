"""A loopback fake of the GitHub REST API: comments, issues, pulls; records every request.

It paginates with Link headers (2 items a page by default, so every listing spans pages),
checks the bearer token, refuses bodies over 65,536 characters like GitHub (422), and can be
told to answer as a read-only fork token (403), with 5xx, or with secondary rate limits.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gate.reference.loopback import serving

TOKEN = "ghs_fake_token_for_tests"
BOT = "github-actions[bot]"
BODY_LIMIT = 65_536
READ_ONLY = "Resource not accessible by integration"


@dataclass(frozen=True)
class Recorded:
    """A request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    @property
    def write(self) -> bool:
        return self.method in ("POST", "PATCH", "PUT", "DELETE")


@dataclass(frozen=True)
class Fault:
    """A scripted answer for the next matching request instead of the real one."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None  # None: any method


@dataclass
class FakeGitHub:
    """The fake's state: what it stores, what it was asked, and how it misbehaves."""

    repo: str = "octo/agent"
    page_size: int = 2
    read_only: bool = False
    faults: list[Fault] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- test helpers ---------------------------------------------------------------------

    def add_comment(self, number: int, body: str, login: str = BOT) -> dict[str, Any]:
        """Store a comment on issue/PR `number` as if `login` had posted it."""
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "issue_number": number,
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "html_url": f"https://github.test/{self.repo}/pull/{number}"
            f"#issuecomment-{self._next_id}",
        }
        self.comments[self._next_id] = comment
        return comment

    def add_issue(
        self, title: str, body: str, labels: list[str], login: str = BOT, state: str = "open"
    ) -> dict[str, Any]:
        """Store an issue."""
        number = max(self.issues, default=0) + 1
        issue = {
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "labels": [{"name": n} for n in labels],
            "state_reason": None,
            "user": {"login": login},
            "html_url": f"https://github.test/{self.repo}/issues/{number}",
        }
        self.issues[number] = issue
        return issue

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [
            c
            for c in sorted(self.comments.values(), key=lambda c: c["id"])
            if c["issue_number"] == number
        ]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.write]

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        """Recorded requests with this method whose path matches the regex `pattern`."""
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    # --- the API ----------------------------------------------------------------------------

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append(request)
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return 401, {"message": "Bad credentials"}, {}
            for fault in self.faults:
                if fault.method in (None, request.method):
                    self.faults.remove(fault)
                    return fault.status, fault.body or {"message": "fault"}, fault.headers
            if request.write and self.read_only:
                return 403, {"message": READ_ONLY}, {}
            return self._route(request)

    def _route(self, r: Recorded) -> tuple[int, Any, dict[str, str]]:
        base = f"/repos/{self.repo}"
        routes = [
            ("GET", r"/user", lambda m: (403, {"message": READ_ONLY}, {})),
            (
                "GET",
                base + r"/issues/(\d+)/comments",
                lambda m: self._list(r, self.comments_on(int(m[1]))),
            ),
            ("POST", base + r"/issues/(\d+)/comments", lambda m: self._create_comment(r, m)),
            ("PATCH", base + r"/issues/comments/(\d+)", lambda m: self._edit_comment(r, m)),
            ("DELETE", base + r"/issues/comments/(\d+)", lambda m: self._delete_comment(m)),
            ("GET", base + r"/issues", lambda m: self._list(r, self._issues(r.query))),
            ("POST", base + r"/issues", lambda m: self._create_issue(r)),
            ("PATCH", base + r"/issues/(\d+)", lambda m: self._edit_issue(r, m)),
            ("GET", base + r"/pulls", lambda m: self._list(r, self._pulls(r.query))),
        ]
        for method, pattern, answer in routes:
            match = re.fullmatch(pattern, r.path)
            if match and method == r.method:
                return answer(match)
        return 404, {"message": "Not Found"}, {}

    def _list(self, r: Recorded, items: list[dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        size = min(self.page_size, int(r.query.get("per_page", "30")))
        page = int(r.query.get("page", "1"))
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            query = urllib.parse.urlencode({**r.query, "page": page + 1})
            headers["Link"] = f'<{self.url}{r.path}?{query}>; rel="next"'
        return 200, chunk, headers

    def _too_long(self, body: Any) -> bool:
        text = body.get("body", "") if isinstance(body, dict) else ""
        return len(text.encode("utf-16-le")) // 2 > BODY_LIMIT

    def _create_comment(self, r: Recorded, m: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        if self._too_long(r.body):
            return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
        return 201, self.add_comment(int(m[1]), r.body["body"]), {}

    def _edit_comment(self, r: Recorded, m: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        comment = self.comments.get(int(m[1]))
        if comment is None:
            return 404, {"message": "Not Found"}, {}
        if comment["user"]["login"] != BOT:
            return 403, {"message": READ_ONLY}, {}
        if self._too_long(r.body):
            return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
        comment["body"] = r.body["body"]
        return 200, comment, {}

    def _delete_comment(self, m: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        comment = self.comments.get(int(m[1]))
        if comment is None:
            return 404, {"message": "Not Found"}, {}
        if comment["user"]["login"] != BOT:
            return 403, {"message": READ_ONLY}, {}
        del self.comments[int(m[1])]
        return 204, None, {}

    def _issues(self, query: dict[str, str]) -> list[dict[str, Any]]:
        state = query.get("state", "open")
        wanted = set(filter(None, query.get("labels", "").split(",")))
        return [
            i
            for _, i in sorted(self.issues.items())
            if state in ("all", i["state"]) and wanted <= {label["name"] for label in i["labels"]}
        ]

    def _create_issue(self, r: Recorded) -> tuple[int, Any, dict[str, str]]:
        if self._too_long(r.body):
            return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
        body = r.body
        return 201, self.add_issue(body["title"], body.get("body", ""), body.get("labels", [])), {}

    def _edit_issue(self, r: Recorded, m: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        issue = self.issues.get(int(m[1]))
        if issue is None:
            return 404, {"message": "Not Found"}, {}
        for key in ("title", "body", "state", "state_reason"):
            if key in r.body:
                issue[key] = r.body[key]
        if "labels" in r.body:
            issue["labels"] = [{"name": n} for n in r.body["labels"]]
        return 200, issue, {}

    def _pulls(self, query: dict[str, str]) -> list[dict[str, Any]]:
        head = query.get("head")
        return [
            p
            for p in self.pulls
            if (head is None or p["head"]["label"] == head)
            and query.get("state", "open") in ("all", p.get("state", "open"))
        ]


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    fake: FakeGitHub


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 2.0
    # Headers and body in one segment: otherwise Nagle + delayed ACK add ~40 ms a request.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PATCH(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urllib.parse.urlsplit(self.path)
        request = Recorded(
            self.command,
            parts.path,
            dict(urllib.parse.parse_qsl(parts.query)),
            {k.lower(): v for k, v in self.headers.items()},
            json.loads(raw) if raw else None,
        )
        status, body, headers = self.server.fake.handle(request)
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serve_fake_github(fake: FakeGitHub | None = None) -> Iterator[FakeGitHub]:
    """Run the fake on 127.0.0.1 in a thread; `fake.url` is its GITHUB_API_URL."""
    fake = fake or FakeGitHub()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    with serving(server) as fake.url:
        yield fake


def parse_outputs(text: str) -> dict[str, str]:
    """Read GITHUB_OUTPUT back the way the runner does (heredoc entries)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines) and lines[i]:
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        values[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return values
