"""Secrets sweep: sentinel secrets through success and error paths, never in any channel.

A harness and a judge that reflect every credential they receive into their answers, a GitHub
API that reflects the token into an error body, and URLs with credentials in their userinfo and
query: then stdout, stderr, JUnit, the results file, evidence, the judge cache, the step
summary, GITHUB_OUTPUT and every body sent to the GitHub API are searched for each secret in
every wire form (and for its first half, which a cut could leave behind).
"""

from __future__ import annotations

import io
import json
import urllib.parse
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support.fake_github import TOKEN, FakeGitHub, Fault, serve_fake_github
from support.json_handler import JsonHandler
from support.judge_server import Answer, serve, verdict_json

from gate.cli import main
from gate.reference.loopback import serving
from gate.results import PROTOCOL

HARNESS_TOKEN = "HTOK-7f3a9c2e5b1d40aa"
JUDGE_KEY = "JKEY-91be44d0c7a2f3e1"
URL_PASSWORD = "UPASS-c0ffee5ec2e7"
URL_QUERY = "UQRY-5ca1ab1e77aa"
SECRETS = (HARNESS_TOKEN, JUDGE_KEY, URL_PASSWORD, URL_QUERY, TOKEN)

CASE = """\
version: 1
suite: failed_call_regression
owner: voice-team
source:
  type: synthetic
  source_call_id: synthetic-sweep-{name}
  failure_label: intent_miss
  severity: high
  sanitized: true
agent_ref:
  agent_slug: echo-agent
fixture:
  caller_id: caller_fixture_1
caller:
  goal: hear what the harness heard
scenario:
  turns: ["Hello there."]
  max_turns: 2
assertions:
  transcript:
    must_include: ["{phrase}"]
  judged:
    - criterion: The agent repeats what it heard.
      votes: 1
promotion:
  level: blocking
  run_on: [prompt_change]
"""


def _forms(secret: str) -> list[str]:
    return [secret, urllib.parse.quote(secret, safe=""), secret[: len(secret) // 2 + 1]]


class _Reflecting(JsonHandler):
    """A harness that puts every header and the path it received into the agent's words."""

    def do_GET(self) -> None:
        self._send({"protocol": PROTOCOL, "reflected": dict(self.headers)})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = json.loads(body)
        heard = f"heard {dict(self.headers)} at {self.path}"
        events = [
            {"type": "message", "role": "caller", "turn": 0, "t_ms": 0, "text": "Hello there."},
            {"type": "message", "role": "agent", "turn": 0, "t_ms": 10, "text": heard},
        ]
        self._send(
            {
                "protocol": PROTOCOL,
                "status": "completed",
                "run_id": str(uuid.uuid4()),
                "case_id": request.get("case_id"),
                "trial": request.get("trial"),
                "trace_complete": True,
                "events": events,
                "artifacts": {"recording_url": f"https://rec.test/{self.path}?{heard}"},
            }
        )


@pytest.fixture
def harness() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Reflecting)
    with serving(server):
        yield int(server.server_address[1])


def _reflecting_judge(request: dict[str, Any]) -> Answer:
    """A judge that answers `pass` and quotes the credentials it was sent in its reason."""
    prompt = request["messages"][-1]["content"]
    reason = f"the key was Bearer {JUDGE_KEY}, the URL password {URL_PASSWORD}"
    return Answer(content=verdict_json("pass", prompt, reason=reason))


def _workspace(tmp: Path) -> Path:
    cases = tmp / "cases"
    cases.mkdir()
    (cases / "heard.yaml").write_text(CASE.format(name="heard", phrase="heard"))
    (cases / "missing.yaml").write_text(CASE.format(name="missing", phrase="never said"))
    for name in ("output", "summary"):
        (tmp / name).write_text("")
    event = {"number": 7, "pull_request": {"number": 7, "head": {"sha": "a" * 40}, "base": {}}}
    (tmp / "event.json").write_text(json.dumps(event))
    return cases


def _environment(tmp: Path, fake: FakeGitHub) -> dict[str, str]:
    return {
        "VOICE_REGRESS_HARNESS_TOKEN": HARNESS_TOKEN,
        "VOICE_REGRESS_JUDGE_API_KEY": JUDGE_KEY,
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "octo/agent",
        "GITHUB_API_URL": fake.url,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(tmp / "event.json"),
        "GITHUB_OUTPUT": str(tmp / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary"),
        "GITHUB_WORKSPACE": str(tmp),
        "GITHUB_TOKEN": TOKEN,
        "VOICE_REGRESS_GITHUB_WRITE_INTERVAL": "0",
    }


def _channels(tmp: Path, out: str, err: str, fake: FakeGitHub) -> dict[str, str]:
    files = {
        str(p.relative_to(tmp)): p.read_text("utf-8", errors="replace")
        for p in tmp.rglob("*")
        if p.is_file() and p.parent.name != "cases" and p.name != "event.json"
    }
    sent = "\n".join(json.dumps(r.body, ensure_ascii=False) for r in fake.requests)
    # `::add-mask::SECRET` lines are consumed by the Actions runner (they hide the secret from
    # the log): the one place a secret may be printed, kept apart and checked on its own.
    lines = out.splitlines(keepends=True)
    masks = "".join(line for line in lines if line.startswith("::add-mask::"))
    shown = "".join(line for line in lines if not line.startswith("::add-mask::"))
    return {"stdout": shown, "stderr": err, "github api bodies": sent, "_add-mask": masks, **files}


def _leaks(channels: dict[str, str]) -> list[str]:
    return [
        f"{name}: {form!r}"
        for name, text in channels.items()
        if not name.startswith("_")
        for secret in SECRETS
        for form in _forms(secret)
        if form in text
    ]


def _run(tmp: Path, fake: FakeGitHub, harness_url: str, judge_url: str) -> dict[str, str]:
    cases = _workspace(tmp)
    argv = [
        "run",
        "--harness-url",
        harness_url,
        "--cases",
        str(cases),
        "--tier",
        "all",
        "--junit",
        str(tmp / "out" / "junit.xml"),
        "--results",
        str(tmp / "out" / "results.json"),
        "--evidence-dir",
        str(tmp / "out" / "evidence"),
        "--judge-url",
        judge_url,
        "--judge-model",
        "judge-2026-01-01",
        "--cache-dir",
        str(tmp / "out" / "cache"),
        "--timeout",
        "5",
        "--retries",
        "0",
    ]
    out, err = io.StringIO(), io.StringIO()
    main(argv, _environment(tmp, fake), out, err)
    return _channels(tmp, out.getvalue(), err.getvalue(), fake)


def test_reflected_secrets_reach_no_channel(tmp_path: Path, harness: int) -> None:
    with serve_fake_github() as fake, serve(then=_reflecting_judge) as judge:
        # The GitHub API answers the comment with an error body that quotes the token.
        fake.faults.append(Fault(422, {"message": f"token {TOKEN} rejected"}, method="POST"))
        url = f"http://voice:{URL_PASSWORD}@127.0.0.1:{harness}"
        judge_url = judge.url.replace("http://", f"http://judge:{URL_PASSWORD}@")
        channels = _run(tmp_path, fake, url, judge_url)
    assert _leaks(channels) == []
    # Control: the secrets did arrive and were reflected, so the masking was really tested.
    evidence = "\n".join(v for k, v in channels.items() if k.startswith("out/evidence"))
    assert "***" in evidence and "heard" in evidence
    assert "HTTP 422: token *** rejected" in channels["stdout"]
    assert set(channels["_add-mask"].splitlines()) == {
        f"::add-mask::{secret}" for secret in (HARNESS_TOKEN, JUDGE_KEY)
    }


def test_an_unreachable_harness_url_with_credentials_is_shown_redacted(tmp_path: Path) -> None:
    with serve_fake_github() as fake:
        url = f"http://voice:{URL_PASSWORD}@127.0.0.1:9/v1?token={URL_QUERY}&mode=x"
        channels = _run(tmp_path, fake, url, "http://127.0.0.1:9/v1")
    assert _leaks(channels) == []
    shown = "cannot reach harness at http://***@127.0.0.1:9/v1?token=***&mode=***"
    assert shown in channels["stdout"] and shown in channels["out/results.json"]


def test_a_query_secret_in_a_harness_url_given_as_an_argument_is_masked(
    tmp_path: Path, harness: int
) -> None:
    # `--harness-url URL` (two arguments): the URL's own `=` once cut it at `key=`, so its query
    # secret was never registered, and the harness's echo of the request path leaked it.
    with serve_fake_github() as fake:
        url = f"http://127.0.0.1:{harness}/v1?key={URL_QUERY}"
        channels = _run(tmp_path, fake, url, "http://127.0.0.1:9/v1")
    assert _leaks(channels) == []
    evidence = "\n".join(v for k, v in channels.items() if k.startswith("out/evidence"))
    assert "at /v1/runs?key=***" in evidence  # control: the secret did come back


def test_the_sweep_sees_a_leak_when_there_is_one() -> None:
    # Negative control for `_leaks`: a cut secret and an encoded one are both found.
    half = HARNESS_TOKEN[: len(HARNESS_TOKEN) // 2 + 1]
    found = _leaks({"a": f"x {half}… [truncated]", "b": urllib.parse.quote(URL_QUERY)})
    assert {line.split(":")[0] for line in found} == {"a", "b"}
