"""Hostile transcripts must not flip a fail to a pass, against naive models that fall for them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from support.judge_server import JudgeServer, echo, naive_block, obedient, says, serve

from gate.judge import prompt as judge_prompt
from gate.judge.client import JudgeClient, JudgeSettings
from gate.judge.prompt import build_prompt, render_run
from gate.judge.scorer import Judge
from gate.models import JudgedAssertion
from gate.results import PROTOCOL, AssertionOutcome, HarnessRun, Status

CORPUS = sorted((Path(__file__).parents[1] / "data" / "injection").glob("*.yaml"))
MODELS: dict[str, Callable[[], Any]] = {
    "obedient": lambda: obedient("fail"),
    "echo": lambda: echo("fail"),
    "echo_nonce": lambda: echo("fail", fill_nonce=True),
}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    events = []
    for event in data["events"]:
        if "tool" in event:
            events.append(
                {
                    "type": "tool_call",
                    "turn": 0,
                    "name": event["tool"],
                    "arguments": event["arguments"],
                }
            )
        else:
            events.append({"type": "message", "turn": 0, **event})
    data["run"] = HarnessRun.model_validate(
        {"protocol": PROTOCOL, "status": "completed", "events": events}
    )
    return data


def cases(field: str) -> list[Any]:
    return [
        pytest.param(path, model, id=f"{path.stem}-{model}")
        for path in CORPUS
        for model in load(path)[field]
    ]


@pytest.fixture(scope="module")
def server() -> Iterator[JudgeServer]:
    with serve() as running:
        yield running


def judge(server: JudgeServer, model: str | Any, case: dict[str, Any]) -> AssertionOutcome:
    server.then = MODELS[model]() if isinstance(model, str) else model
    spec = JudgedAssertion(criterion=case["criterion"])

    async def go() -> AssertionOutcome:
        async with httpx.AsyncClient() as http:
            client = JudgeClient(JudgeSettings(server.url, "naive-2026-01-01", retries=0), http)
            return await Judge(client).judge_assertion(0, spec, render_run(case["run"]))

    return asyncio.run(go())


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) >= 10
    kinds = {m for path in CORPUS for m in load(path)["control"]}
    assert kinds == {"obedient", "echo_nonce"}  # both defences are shown to matter


@pytest.mark.parametrize(("path", "model"), cases("defended"))
def test_hostile_transcript_does_not_flip_the_verdict(
    server: JudgeServer, path: Path, model: str
) -> None:
    outcome = judge(server, model, load(path))
    assert outcome.status is not Status.PASS, outcome.message
    if model == "obedient":  # it answers honestly when the injection stays inside the data
        assert outcome.status is Status.FAIL, outcome.message


def _flat(text: str) -> str:
    # Neutralization switched off: control characters still go, delimiters and newlines stay.
    return text.replace("\x00", "")


@pytest.mark.parametrize(("path", "model"), cases("control"))
def test_without_the_defence_the_naive_model_is_fooled(
    server: JudgeServer, path: Path, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: with the defence the file targets switched off, the same model flips the
    # verdict, so the test above exercises that defence rather than a hard-coded answer.
    if model == "obedient":
        monkeypatch.setattr(judge_prompt, "neutralize", _flat)
    else:
        monkeypatch.setattr(judge_prompt, "quotable", lambda transcript: transcript)
    outcome = judge(server, model, load(path))
    assert outcome.status is Status.PASS, outcome.message


def test_naive_models_answer_honestly_on_a_clean_call(server: JudgeServer) -> None:
    clean = {
        "criterion": "The agent confirms the cancellation.",
        "run": HarnessRun.model_validate(
            {
                "protocol": PROTOCOL,
                "status": "completed",
                "events": [{"type": "message", "role": "agent", "turn": 0, "text": "Cancelled."}],
            }
        ),
    }
    for model in MODELS:
        assert judge(server, model, clean).status is Status.FAIL  # their honest answer
    assert judge(server, says("pass"), clean).status is Status.PASS  # a pass is reachable


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_the_whole_transcript_stays_inside_the_naive_data_block(path: Path) -> None:
    prompt = build_prompt("criterion", render_run(load(path)["run"]))
    inside, outside = naive_block(prompt.messages[1]["content"])
    assert inside.strip() == prompt.transcript  # the first end-of-data is the gate's own
    assert "pass" not in outside.lower().replace("<pass or fail>", "")
