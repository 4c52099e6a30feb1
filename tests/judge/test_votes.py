"""Vote counting: strict majority of the planned votes, early stop, abstentions, judge down."""

from __future__ import annotations

import asyncio

import pytest

from gate.judge.votes import Vote, collect_votes, majority, tally_votes, vote_message
from gate.results import Status

PASS = Vote("pass", "policy stated", "a fee applies")
FAIL = Vote("fail", "no policy", "it is cancelled")
UNUSABLE = Vote("abstain", "unusable answer: no JSON verdict")
DOWN = Vote("abstain", "judge unavailable: judge returned 503", error="judge returned 503")


def collect(answers: list[Vote], planned: int) -> tuple[list[Vote], list[int]]:
    asked: list[int] = []

    async def ask(index: int) -> Vote:
        asked.append(index)
        return answers[index]

    return asyncio.run(collect_votes(planned, ask)), asked


@pytest.mark.parametrize(
    ("answers", "planned", "calls", "status"),
    [
        ([PASS, PASS, FAIL], 3, 2, Status.PASS),  # the third vote cannot change a 2/3 majority
        ([FAIL, FAIL, PASS], 3, 2, Status.FAIL),
        ([PASS, FAIL, PASS], 3, 3, Status.PASS),
        ([PASS, FAIL, UNUSABLE], 3, 3, Status.INCONCLUSIVE),
        ([UNUSABLE, UNUSABLE, PASS], 3, 2, Status.INCONCLUSIVE),  # no verdict can reach 2 any more
        ([DOWN, DOWN, PASS], 3, 2, Status.ERROR),  # every vote failed to be cast: judge down
        ([DOWN, UNUSABLE, PASS], 3, 2, Status.INCONCLUSIVE),  # one answer came back: not "down"
        ([PASS, DOWN, DOWN], 3, 3, Status.INCONCLUSIVE),
        ([PASS], 1, 1, Status.PASS),
        ([DOWN], 1, 1, Status.ERROR),
        ([PASS, PASS, PASS, FAIL, FAIL], 5, 3, Status.PASS),
        ([PASS, FAIL, PASS, FAIL, UNUSABLE], 5, 5, Status.INCONCLUSIVE),
    ],
)
def test_majority_with_early_stop(
    answers: list[Vote], planned: int, calls: int, status: Status
) -> None:
    votes, asked = collect(answers, planned)
    assert asked == list(range(calls))
    assert tally_votes(votes, planned).status is status


def test_undecided_tally_has_no_status() -> None:
    tally = tally_votes([PASS], 3)
    assert not tally.decided and tally.status is None
    assert (tally.passes, tally.fails, tally.abstains) == (1, 0, 0)


def test_an_error_vote_never_counts_as_fail_or_pass() -> None:
    tally = tally_votes([DOWN, DOWN, DOWN], 3)
    assert tally.status is Status.ERROR and tally.fails == 0 and tally.passes == 0


def test_majority_is_strict() -> None:
    assert [majority(n) for n in (1, 3, 5, 7)] == [1, 2, 3, 4]


def test_messages_carry_the_split_and_a_reason() -> None:
    assert vote_message(tally_votes([FAIL, FAIL], 3), [FAIL, FAIL]) == 'judge 2/3 fail: "no policy"'
    votes = [PASS, FAIL, UNUSABLE]
    message = vote_message(tally_votes(votes, 3), votes)
    assert message.startswith("judge 1/3 pass, 1/3 fail, 1 abstained: no majority (")
    assert '"policy stated"' in message and '"no policy"' in message
    down = vote_message(tally_votes([DOWN, DOWN], 3), [DOWN, DOWN])
    assert down == "judge unavailable: no vote could be cast (2 tried): judge returned 503"


def test_vote_dict_is_what_the_results_file_keeps() -> None:
    assert DOWN.as_dict() == {
        "verdict": "abstain",
        "reason": DOWN.reason,
        "evidence": "",
        "model": "",
        "latency_s": 0.0,
        "cached": False,
        "attempts": 0,
        "error": "judge returned 503",
    }
    assert "error" not in PASS.as_dict()
