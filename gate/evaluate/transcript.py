"""Transcript checks: what the agent said, by when, and how it yields to a caller who barges in."""

from __future__ import annotations

from collections.abc import Iterator

from gate.evaluate.absence import absence_gap
from gate.evaluate.matching import describe_item, first_match, phrase_item
from gate.models import HeardAssertion, TextItem, TranscriptAssertions
from gate.patterns import TextTooLong
from gate.results import AssertionOutcome, Event, HarnessRun

Outcomes = Iterator[AssertionOutcome]
ok, fail, error = AssertionOutcome.ok, AssertionOutcome.fail, AssertionOutcome.error


def _utterance(e: Event) -> str:
    return f"turn {e.turn}: {(e.text or '')[:160]!r}"


def _first_said(item: TextItem, said: list[Event]) -> Event | None:
    """The first utterance `item` matches (see `first_match`; may raise TextTooLong)."""
    index = first_match(item, [e.text or "" for e in said])
    return None if index is None else said[index]


def _includes(
    name: str, items: list[TextItem], said: list[Event], want: bool, gap: str | None = None
) -> Outcomes:
    """`gap`: why the run cannot prove a phrase was never said (see absence_gap)."""
    for i, item in enumerate(items):
        label = f"{name}[{i}]"
        try:
            hit = _first_said(item, said)
        except TextTooLong as exc:
            yield error(label, f"{describe_item(item)} not found, but {exc}")
            continue
        if want and hit is None:
            yield fail(label, f"the agent never said {describe_item(item)}", expected=str(item))
        elif want and hit is not None:
            yield ok(label, f"said {describe_item(item)} at turn {hit.turn}", turn=hit.turn)
        elif hit is not None:
            yield fail(
                label,
                f"the agent said {describe_item(item)} at {_utterance(hit)}",
                expected=f"not {describe_item(item)}",
                actual=hit.text,
                turn=hit.turn,
            )
        elif gap:
            yield error(label, f"{describe_item(item)} not in the transcript, but {gap}")
        else:
            yield ok(label, f"never said {describe_item(item)}")


def _within_turns(phrases: dict[str, int], said: list[Event]) -> Outcomes:
    for key, limit in phrases.items():
        name, item = f"transcript.within_turns[{key!r}]", phrase_item(key)
        # Turn numbers are the harness's 0-based conversation turns: "by turn 3" means turns 0-2.
        early = [e for n, e in enumerate(said) if (e.turn if e.turn is not None else n) < limit]
        try:
            hit = _first_said(item, early)
        except TextTooLong as exc:
            yield error(name, f"{describe_item(item)} not found within {limit} turns, but {exc}")
            continue
        if hit is not None:
            yield ok(name, f"said {describe_item(item)} at turn {hit.turn}", turn=hit.turn)
            continue
        try:
            late = _first_said(item, said)
            when = f"only at turn {late.turn}" if late else "never"
        except TextTooLong:  # the failure stands; only its "said later" detail is unknown
            late, when = None, "not in time (a later utterance was too long to search)"
        yield fail(
            name,
            f"expected {describe_item(item)} within {limit} turns; said {when}",
            expected=limit,
            actual=late.turn if late else None,
        )


def _barge_in(turn: int, limit: float, heard: list[Event]) -> AssertionOutcome:
    name = f"transcript.interruption[turn {turn}]"
    if turn >= len(heard):
        msg = f"caller turn {turn} (interrupt) was never played: the run has {len(heard)}"
        return error(name, msg, expected=limit)
    said = heard[turn]
    where = f"caller turn {turn} (conversation turn {said.turn})"
    if said.agent_stop_ms is None:
        msg = f"the harness reports no agent_stop_ms for {where}, which barged in"
        return error(name, msg, expected=limit, turn=said.turn)
    stop = said.agent_stop_ms
    if stop > limit:
        msg = f"{where} barged in; the agent kept talking for {stop:.0f} ms (max {limit:.0f} ms)"
        return fail(name, msg, expected=limit, actual=stop, turn=said.turn)
    msg = f"{where} barged in; the agent stopped after {stop:.0f} ms (max {limit:.0f} ms)"
    return ok(name, msg, expected=limit, actual=stop, turn=said.turn)


def check_interruption(limit: float, interrupts: list[int], run: HarnessRun) -> Outcomes:
    """`transcript.interruption.max_stop_ms` after each scripted caller turn marked interrupt;
    the n-th caller message of the run is the n-th scripted caller turn."""
    if not interrupts:
        yield error("transcript.interruption", "no caller turn is marked interrupt: true")
        return
    heard = [e for e in run.events if e.type == "message" and e.role == "caller"]
    for turn in interrupts:
        yield _barge_in(turn, limit, heard)


def _heard(check: HeardAssertion, heard: list[Event]) -> Outcomes:
    turn = check.turn
    for i, item in enumerate(check.items):
        name = f"transcript.heard[turn {turn}][{i}]"
        if turn >= len(heard):
            msg = f"caller turn {turn} was never played: the run has {len(heard)} caller turn(s)"
            yield error(name, msg, expected=str(item))
            continue
        said = heard[turn]
        if said.text_source != "asr":
            source = said.text_source or "none"
            msg = f"caller turn {turn}: the harness reports no ASR text (text_source: {source})"
            yield error(name, msg, expected=str(item), turn=said.turn)
        elif _heard_as(item, said):
            yield ok(name, f"caller turn {turn}: heard {describe_item(item)}", turn=said.turn)
        else:
            msg = (
                f"caller turn {turn}: expected {describe_item(item)}, the agent heard {said.text!r}"
            )
            yield fail(name, msg, expected=str(item), actual=said.text, turn=said.turn)


def check_heard(checks: list[HeardAssertion], run: HarnessRun) -> Outcomes:
    """`transcript.heard`: the n-th caller message of the run is the n-th scripted turn; its
    text counts only when the harness marks it `text_source: asr`."""
    heard = [e for e in run.events if e.type == "message" and e.role == "caller"]
    for check in checks:
        yield from _heard(check, heard)


def check_transcript(
    spec: TranscriptAssertions, run: HarnessRun, interrupts: list[int] | None = None
) -> Outcomes:
    """`transcript.must_include`, `must_not_include`, `within_turns` over agent utterances, and
    `interruption` over the caller turns marked interrupt (`interrupts`, 0-based)."""
    if spec.heard:  # what the agent heard needs no agent utterance
        yield from check_heard(spec.heard, run)
    said = run.agent_messages
    if not said:
        if spec.must_include or spec.must_not_include or spec.within_turns or spec.interruption:
            yield error("transcript", "the run has no agent utterances to check")
        return
    yield from _includes("transcript.must_include", spec.must_include or [], said, want=True)
    forbidden = spec.must_not_include or []
    gap = absence_gap(run, trace=False)
    yield from _includes("transcript.must_not_include", forbidden, said, False, gap)
    yield from _within_turns(spec.within_turns or {}, said)
    if spec.interruption is not None:
        yield from check_interruption(spec.interruption.max_stop_ms, interrupts or [], run)


def _heard_as(item: TextItem, said: Event) -> bool:
    # A recognised text too long to search proves nothing: not heard (the check fails, with the
    # text shown), never a silent pass.
    try:
        return first_match(item, [said.text or ""]) is not None
    except TextTooLong:
        return False
