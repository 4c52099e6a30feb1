"""The sticky PR comment: markdown from a GateResult, within GitHub's 65,536-character limit (pure).

The first line is a hidden, versioned marker naming the comment key, the second a digest of the
verdict and the not-passing cases (`--comment-mode changes` compares it). When the full report
is too long it degrades: full → failures only → as many failing cases as fit → counts, each
pointing at the workflow run where the job summary and the artifacts have everything.
"""

from __future__ import annotations

import hashlib
import json
import re

from gate.report.case_facts import (
    ICONS,
    ReportLinks,
    agent_lines,
    case_link,
    evidence_links,
    first_failure,
    trial_split,
    trials_and_votes,
)
from gate.report.gating import NEW_LABELS, baseline_markdown, label_of, readiness_markdown
from gate.report.markdown import md_link, md_text, utf16_len
from gate.results import NOT_PASSING, CaseResult, GateResult, Status

COMMENT_LIMIT = 65_536
MARKER_NAME = "voice-regress-gate"
MARKER_VERSION = 1
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MARKER = re.compile(rf"<!-- {MARKER_NAME} key=({KEY_PATTERN.pattern}) v=(\d+) -->")
_DIGEST = re.compile(rf"<!-- {MARKER_NAME} digest=([0-9a-f]{{16}}) -->")
LIST_LIMIT = 20  # deferred cases listed before "… and N more"
REASON_LIMIT = 5  # distinct selection reasons shown


def comment_marker(key: str) -> str:
    """`<!-- voice-regress-gate key=<key> v=1 -->`: the first line of every comment we own."""
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"invalid comment key {key!r}")
    return f"<!-- {MARKER_NAME} key={key} v={MARKER_VERSION} -->"


def parse_marker(body: str) -> str | None:
    """The comment key if the body's first line is our marker (any version), else None."""
    match = _MARKER.fullmatch(body.split("\n", 1)[0].strip())
    return match.group(1) if match else None


def parse_digest(body: str) -> str | None:
    """The digest line of a comment we rendered, if any."""
    lines = body.split("\n", 2)
    match = _DIGEST.fullmatch(lines[1].strip()) if len(lines) > 1 else None
    return match.group(1) if match else None


def failure_digest(gate: GateResult) -> str:
    """16 hex digits over the verdict and each not-passing case with its state."""
    failing = sorted([c.case.id, c.status.value] for c in gate.cases if c.status in NOT_PASSING)
    data = json.dumps([gate.verdict, failing], ensure_ascii=True)
    return hashlib.sha256(data.encode("ascii")).hexdigest()[:16]


def render_comment(
    gate: GateResult, key: str, links: ReportLinks, limit: int = COMMENT_LIMIT
) -> str:
    """The comment body: marker, digest, then the largest report that fits in `limit`."""
    head = [comment_marker(key), f"<!-- {MARKER_NAME} digest={failure_digest(gate)} -->"]
    bad = not_passing(gate)
    for rows in row_budgets(len(bad)):
        for level in ("full", "failures") if rows == len(bad) else ("failures",):
            text = join_blocks([head, *report_blocks(gate, links, level, rows)])
            if utf16_len(text) <= limit:
                return text
    text = join_blocks([head, *report_blocks(gate, links, "counts", 0)])
    return text if utf16_len(text) <= limit else _hard_cut(text, limit)


def row_budgets(total: int) -> list[int]:
    """How many failing rows to try: all first, then halving (few renders for thousands)."""
    budgets, rows = [total], total
    while rows > 1:
        rows //= 2
        budgets.append(rows)
    return budgets


def _hard_cut(text: str, limit: int) -> str:
    # Last resort for a tiny limit: cut at a character so the UTF-16 length still fits.
    note = "\n\n… (cut to fit the comment size limit)\n"
    budget, units, end = limit - utf16_len(note), 0, 0
    for end, char in enumerate(text):  # noqa: B007 (end is used after the loop)
        units += 2 if ord(char) > 0xFFFF else 1
        if units > budget:
            break
    else:
        end = len(text)
    return text[:end] + note


def join_blocks(blocks: list[list[str]]) -> str:
    """Blocks of lines, separated by one blank line (markdown needs it around tables)."""
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"


def not_passing(gate: GateResult) -> list[CaseResult]:
    """Failing, erroring and inconclusive cases: new against the baseline first, then blocking
    ones, then in run order."""
    bad = [c for c in gate.cases if c.status in NOT_PASSING]
    return sorted(
        bad,
        key=lambda c: (
            gate.baseline is not None and label_of(gate, c.case.id) not in NEW_LABELS,
            c.case.id not in gate.blocking_failures,
        ),
    )


def report_blocks(gate: GateResult, links: ReportLinks, level: str, rows: int) -> list[list[str]]:
    """The report at `level` (`full`, `failures`, `counts`), with at most `rows` failing rows."""
    # With a baseline the report leads with what this change broke.
    blocks = [heading(gate), baseline_markdown(gate), counts_table(gate), selection_lines(gate)]
    blocks += [agent_lines(gate.cases), readiness_markdown(gate.readiness)]
    bad = not_passing(gate)
    if level != "counts" and bad:
        blocks.append([f"### Not passing ({len(bad)})"])
        blocks.append(failing_table(gate, links, bad[:rows]))
    if level == "full":
        blocks += [flaky_block(gate), deferred_block(gate), others_block(gate)]
    omitted = len(bad) - (rows if level != "counts" else 0)
    if omitted > 0 or level != "full":
        blocks.append([_more_line(omitted, links)])
    blocks.append([footer(gate, links)])
    return blocks


def heading(gate: GateResult) -> list[str]:
    """`## ❌ voice-regress-gate failed` and the verdict's one-line reason."""
    word = "passed" if gate.verdict == "pass" else "failed"
    icon = ICONS[Status.PASS] if gate.verdict == "pass" else ICONS[Status.FAIL]
    lines = [f"## {icon} voice-regress-gate {word}"]
    if gate.verdict_reason:
        lines += ["", md_text(gate.verdict_reason, 500)]
    return lines


def counts_table(gate: GateResult) -> list[str]:
    """One row: selected, passed, failed, errored, inconclusive, skipped, deferred."""
    names = ("selected", "passed", "failed", "errored", "inconclusive", "skipped", "deferred")
    values = (
        len(gate.selection.selected),
        *(gate.count(s) for s in _COUNTED),
        len(gate.selection.deferred),
    )
    return [
        "| " + " | ".join(names) + " |",
        "|" + "---:|" * len(names),
        "| " + " | ".join(str(v) for v in values) + " |",
    ]


_COUNTED = (Status.PASS, Status.FAIL, Status.ERROR, Status.INCONCLUSIVE, Status.SKIPPED)


def selection_lines(gate: GateResult) -> list[str]:
    """Tier, fail-on, how many cases were selected and why, and the selection's note."""
    sel = gate.selection
    line = (
        f"Tier {md_text(sel.tier, 40)} · fail-on {md_text(gate.fail_on, 40)} · "
        f"{len(sel.selected)} of {sel.considered} case(s) selected"
    )
    lines = [line + (f" · {md_text(sel.note, 500)}" if sel.note else "")]
    why: dict[str, int] = {}
    for case_id in sel.selected:
        reason = sel.reasons.get(case_id, "")
        why[reason] = why.get(reason, 0) + 1
    top = sorted(why.items(), key=lambda item: -item[1])[:REASON_LIMIT]
    if top and any(reason for reason, _ in top):
        shown = "; ".join(f"{md_text(r or 'no reason recorded', 200)} ({n})" for r, n in top)
        more = f"; … {len(why) - REASON_LIMIT} more" if len(why) > REASON_LIMIT else ""
        lines += ["", f"Selected because: {shown}{more}"]
    return lines


def failing_table(gate: GateResult, links: ReportLinks, cases: list[CaseResult]) -> list[str]:
    """A row per not-passing case: state, case, owner, label, first failure, trials, links."""
    lines = [
        "| state | case | owner | failure label | first failing assertion | trials / votes"
        " | evidence |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in cases:
        blocks = "**blocks**" if result.case.id in gate.blocking_failures else "does not block"
        label = label_of(gate, result.case.id)
        blocks += f" · {label}" if label else ""
        cells = (
            f"{ICONS[result.status]} {result.status.value} · {blocks}",
            case_link(result, links),
            md_text(result.case.case.owner, 100),
            md_text(result.case.case.source.failure_label, 100),
            md_text(first_failure(result), 300),
            md_text(trials_and_votes(result), 120),
            evidence_links(result, links),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def flaky_block(gate: GateResult) -> list[str]:
    """Cases that passed with failing trials: green, but worth a look."""
    flaky = [c for c in gate.cases if c.flaky]
    if not flaky:
        return []
    lines = [f"### Flaky ({len(flaky)}): passed with failing trials", ""]
    return lines + [f"- {md_text(c.case.id, 200)}: {md_text(c.reason, 300)}" for c in flaky]


def deferred_block(gate: GateResult) -> list[str]:
    """Deferred cases and why, folded."""
    deferred = gate.selection.deferred
    if not deferred:
        return []
    lines = [
        f"<details><summary>{len(deferred)} case(s) deferred (not run in this tier)</summary>",
        "",
    ]
    lines += [f"- {md_text(i, 200)}: {md_text(why, 200)}" for i, why in deferred[:LIST_LIMIT]]
    if len(deferred) > LIST_LIMIT:
        lines.append(f"- … and {len(deferred) - LIST_LIMIT} more")
    return [*lines, "", "</details>"]


def others_block(gate: GateResult) -> list[str]:
    """Passed and skipped cases, folded: a table of state, case, owner and note."""
    rest = [c for c in gate.cases if c.status not in NOT_PASSING]
    if not rest:
        return []
    lines = [
        f"<details><summary>{len(rest)} other case(s): passed or skipped</summary>",
        "",
        "| state | case | owner | note |",
        "|---|---|---|---|",
    ]
    for result in rest:
        note = trial_split(result) if len(result.trials) > 1 else result.reason
        lines.append(
            f"| {ICONS[result.status]} {result.status.value} | "
            f"{md_text(result.case.id, 200)} | {md_text(result.case.case.owner, 100)} | "
            f"{md_text(note, 200)} |"
        )
    return [*lines, "", "</details>"]


def _more_line(omitted: int, links: ReportLinks) -> str:
    where = md_link("the workflow run", links.run_url)
    if omitted > 0:
        return (
            f"{omitted} more not-passing case(s) are not listed here (the comment has a "
            f"size limit): see the job summary and the artifacts of {where}."
        )
    return f"The full report (every case, flaky and deferred ones) is in {where}."


def footer(gate: GateResult, links: ReportLinks) -> str:
    """Commit, run link and wall time in small print."""
    parts = ["voice-regress-gate"]
    if links.commit:
        parts.append(f"commit {md_text(links.commit[:12], 12)}")
    if links.run_url:
        parts.append(md_link("workflow run", links.run_url))
    parts.append(f"{gate.harness_calls} harness call(s) in {gate.wall_s:.1f}s")
    return "<sub>" + " · ".join(parts) + "</sub>"
