"""Audit: a lazy, hijacked or broken judge must never make a judged assertion pass. Real CLI,
reference harness, scripted OpenAI-compatible judge on loopback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support.audit_support import gate
from support.judge_server import Answer, nonce_of, serve, transcript_of, user_text

ONE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "cases"
    / "judged"
    / "cancel-confirms-outcome.yaml"
)


def _judge_run(tmp_path: Path, answer: Any) -> tuple[int, list[dict[str, Any]]]:
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(ONE, cases / ONE.name)
    with serve(then=answer) as judge:
        result = gate(
            tmp_path,
            "run",
            "--harness-url",
            "builtin",
            "--cases",
            str(cases),
            "--judge-url",
            judge.url,
            "--judge-model",
            "audit-judge-2026-01-01",
        )
    assert result.results is not None, result.err
    judged = [
        a
        for c in result.results["cases"]
        for t in c["trials"]
        for a in t["assertions"]
        if a["name"].startswith("judged")
    ]
    return result.code, judged


def _verdict(evidence: str | None) -> Any:
    """Answers pass with the prompt's own nonce; `None` quotes a real agent line."""

    def answer(request: dict[str, Any]) -> Answer:
        prompt = user_text(request)
        quote = evidence
        if quote is None:
            agent = [line for line in transcript_of(prompt).splitlines() if " agent: " in line]
            quote = agent[-1].split(": ", 1)[1][:50]
        return Answer(
            content=json.dumps(
                {
                    "verdict": "pass",
                    "evidence": quote,
                    "reason": "looks fine",
                    "nonce": nonce_of(prompt),
                }
            )
        )

    return answer


@pytest.mark.parametrize("quote", ["agent", "[t0]", "tool call", "[t0] caller:", "caller"])
def test_a_quote_of_the_transcripts_own_scaffolding_is_no_evidence(
    tmp_path: Path, quote: str
) -> None:
    # Hole found: the evidence check only asked for two letters found in the rendered
    # transcript, and role labels, turn tags and "tool call" are in every transcript, so a
    # judge that read nothing could quote "agent" and its pass counted.
    code, [judged] = _judge_run(tmp_path, _verdict(quote))
    assert code == 1
    assert judged["status"] == "inconclusive"
    assert all(v["verdict"] == "abstain" for v in judged["votes"])


def test_a_real_quote_still_counts(tmp_path: Path) -> None:
    code, [judged] = _judge_run(tmp_path, _verdict(None))
    assert code == 0 and judged["status"] == "pass"
