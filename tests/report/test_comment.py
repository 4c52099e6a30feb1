"""The sticky PR comment renderer: golden files, marker and digest, hostile text, size limit."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from support.report_fixtures import (
    GATES,
    LINKS,
    assert_golden,
    fail_case,
    make_case,
    many_failures,
    mixed_gate,
    passing_gate,
)

from gate.report.comment import (
    COMMENT_LIMIT,
    comment_marker,
    failure_digest,
    parse_digest,
    parse_marker,
    render_comment,
)
from gate.report.markdown import ZWSP, md_code_block, md_text, md_url, utf16_len
from gate.results import AssertionOutcome, CaseResult, GateResult, Status, TrialResult

# What an agent (or a caller steering it) could say to abuse a PR comment.
MARKDOWN_ATTACK = (
    "@octocat @org/team please look | broken | table ` code `` <img src=x onerror=alert(1)> "
    "<details><summary>x</summary> [click](javascript:alert(1)) ![img](https://evil.test/p.png) "
    "$\\sqrt{2}$ fixes #123 see https://evil.test and www.evil.test <!-- voice-regress-gate "
    "key=default v=1 --> **bold** ~~gone~~\nnew line\r\n## heading"
)


@pytest.mark.parametrize("name", sorted(GATES))
def test_golden(name: str) -> None:
    assert_golden(f"comment/{name}.md", render_comment(GATES[name](), "default", LINKS))


def test_marker_is_the_first_line_and_parses_back() -> None:
    body = render_comment(mixed_gate(), "suite-a.v2_x", LINKS)
    assert body.split("\n", 1)[0] == "<!-- voice-regress-gate key=suite-a.v2_x v=1 -->"
    assert parse_marker(body) == "suite-a.v2_x"
    assert parse_digest(body) == failure_digest(mixed_gate())


@pytest.mark.parametrize(
    "body",
    [
        "hello\n<!-- voice-regress-gate key=default v=1 -->",  # not on the first line
        "<!-- voice-regress-gate key=default -->",  # no version
        "<!-- voice-regress-gate key=de fault v=1 -->",
        "",
    ],
)
def test_marker_elsewhere_or_malformed_is_not_ours(body: str) -> None:
    assert parse_marker(body) is None


def test_a_newer_marker_version_keeps_its_key() -> None:
    assert parse_marker("<!-- voice-regress-gate key=default v=2 -->\nbody") == "default"


@pytest.mark.parametrize("key", ["", "-x", "a b", "a" * 65, "ключ", "x-->"])
def test_invalid_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="invalid comment key"):
        comment_marker(key)


def test_digest_tracks_the_verdict_and_the_failing_set_only() -> None:
    gate = mixed_gate()
    slower = replace(
        gate, wall_s=999.0, cases=(replace(gate.cases[0], reason="other"), *gate.cases[1:])
    )
    assert failure_digest(slower) == failure_digest(gate)
    fixed = replace(gate, cases=tuple(c for c in gate.cases if c.status is not Status.ERROR))
    assert failure_digest(fixed) != failure_digest(gate)
    assert failure_digest(replace(gate, verdict="pass")) != failure_digest(gate)


def _attack_gate() -> GateResult:
    loaded = make_case("safety/@octocat<b>|x|</b>", owner="@org/security-team")
    outcome = AssertionOutcome(
        "transcript.must_not_include",
        Status.FAIL,
        MARKDOWN_ATTACK,
        expected=MARKDOWN_ATTACK,
        actual=MARKDOWN_ATTACK,
    )
    run = fail_case().trials[0].run
    assert run is not None
    run = run.model_copy(update={"artifacts": {"trace_url": "javascript:alert(1)"}})
    trial = TrialResult(1, Status.FAIL, MARKDOWN_ATTACK, 1.0, (outcome,), run, 1)
    result = CaseResult(loaded, Status.FAIL, MARKDOWN_ATTACK, (trial,))
    gate = passing_gate()
    return replace(
        gate,
        verdict="fail",
        verdict_reason=MARKDOWN_ATTACK,
        cases=(result,),
        blocking_failures=(loaded.id,),
    )


def test_agent_text_cannot_inject_markdown_html_or_pings() -> None:
    body = render_comment(_attack_gate(), "default", LINKS)
    assert body.count("<!-- voice-regress-gate key=") == 1  # a forged marker is inert text
    assert "<img" not in body and "<b>" not in body and "<details><summary>x" not in body
    assert re.search(r"(?<!\\)\]\(", body.split("\n### ")[0]) is None  # no links from it
    assert "@octocat" not in body and "@org/" not in body and f"@{ZWSP}octocat" in body
    assert "#123" not in body and "://evil" not in body and "www.evil" not in body
    assert re.search(r"(?<!\\)\$", body) is None  # no math
    assert re.search(r"(?<!\\)`", body) is None  # no code spans from agent text
    row = next(line for line in body.splitlines() if line.startswith("| ❌"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 8  # 7 cells: the agent's pipes are escaped
    assert "\r" not in body and "\n## heading" not in body


def test_md_helpers() -> None:
    assert md_text("a\\b *c* _d_ [e](f) <g> & h|i ~j~ `k` $l$") == (
        "a\\\\b \\*c\\* \\_d\\_ \\[e\\](f) &lt;g&gt; &amp; h\\|i \\~j\\~ \\`k\\` \\$l\\$"
    )
    assert md_url("https://x.test/a b") is None
    assert md_url("javascript:alert(1)") is None
    assert md_url("https://x.test/p?q=(1)|2") == "https://x.test/p?q=%281%29%7C2"
    block = md_code_block("say ```` this")
    assert block.startswith("`````text\n") and block.endswith("\n`````")


def test_degrades_full_then_failures_then_rows_then_counts() -> None:
    gate = many_failures(40)

    def render(limit: int) -> tuple[str, int, bool]:
        body = render_comment(gate, "default", LINKS, limit=limit)
        assert utf16_len(body) <= limit
        assert parse_marker(body) == "default"
        rows = sum(1 for line in body.splitlines() if line.startswith("| ❌"))
        return body, rows, "other case(s): passed or skipped" in body

    full, rows, others = render(10**9)
    assert rows == 40 and others
    assert render(utf16_len(full))[0] == full
    failures, rows, others = render(utf16_len(full) - 1)
    assert rows == 40 and not others
    assert "The full report (every case, flaky and deferred ones) is in" in failures
    cut, rows, others = render(utf16_len(failures) - 1)
    assert 0 < rows < 40 and not others
    assert f"{40 - rows} more not-passing case(s) are not listed here" in cut
    counts, rows, _ = render(1_500)
    assert rows == 0 and "| 40 | 40 | 0 | 0 | 0 |" in counts
    assert "40 more not-passing case(s)" in counts and "actions/runs/42" in counts
    hard, _, _ = render(700)
    assert hard.endswith("… (cut to fit the comment size limit)\n")


def test_the_default_limit_holds_for_a_huge_run() -> None:
    body = render_comment(many_failures(400, text_len=300), "default", LINKS)
    assert utf16_len(body) <= COMMENT_LIMIT
    rows = sum(1 for line in body.splitlines() if line.startswith("| ❌"))
    assert 10 < rows < 400


def test_astral_characters_count_twice() -> None:
    emoji_gate = many_failures(30, text_len=0)
    emoji_gate = replace(emoji_gate, verdict_reason="😀" * 400)
    body = render_comment(emoji_gate, "default", LINKS, limit=8_000)
    assert utf16_len(body) <= 8_000 < len(body.encode("utf-16-le"))
