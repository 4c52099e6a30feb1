"""Near-duplicate warnings: what counts as one, the message, and a filter that misses nothing."""

from __future__ import annotations

import functools
import io
import random
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import gate.commands.wiring as wiring
import gate.load.similarity as similarity
from gate.cli import main
from gate.errors import Terminated
from gate.load.loader import load_cases
from gate.load.parallel import Background, map_in_workers
from gate.load.similarity import Fingerprint, fingerprint, near_duplicate_pairs, near_duplicates
from gate.models import Case, LoadedCase

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "cases"

TURNS = ["I need to move Tuesday's appointment to Wednesday afternoon.", "After two, please."]
TOOLS = {
    "tools": {
        "forbidden_tools": ["create_new_appointment"],
        "required_order": ["list_appointments", "update_appointment"],
    }
}


def case(
    case_id: str,
    *,
    label: str = "wrong_tool",
    turns: list[Any] | None = None,
    assertions: dict[str, Any] | None = None,
    fixture_id: str = "a",
) -> LoadedCase:
    data = {
        "version": 1,
        "id": case_id,
        "suite": "s",
        "owner": "o",
        "source": {
            "type": "production_call",
            "source_call_id": f"call_{case_id}",
            "failure_label": label,
            "severity": "high",
            "sanitized": True,
        },
        "agent_ref": {"agent_slug": "x"},
        "fixture": {"caller_id": f"caller_fixture_{fixture_id}", "side_effect_mode": "sandbox"},
        "scenario": {"turns": TURNS if turns is None else turns},
        "assertions": TOOLS if assertions is None else assertions,
        "promotion": {"level": "blocking", "run_on": ["prompt_change"]},
    }
    return LoadedCase(
        case_id, f"cases/{case_id}.yaml", Case.model_validate(data), line=3, locations={"$": (3, 1)}
    )


def messages(*cases: LoadedCase) -> list[str]:
    return [str(d) for d in near_duplicates(cases)]


def test_same_scenario_from_another_call_is_a_near_duplicate() -> None:
    assert messages(case("scheduling/x"), case("scheduling/y", fixture_id="b")) == [
        "cases/scheduling/y.yaml:3:1: $: warning: near-duplicate of scheduling/x "
        "(same failure_label wrong_tool, similarity 1.00)"
    ]


def test_one_word_changed_is_still_a_near_duplicate() -> None:
    reworded = [TURNS[0].replace("I need to", "I want to"), TURNS[1]]
    (warning,) = messages(case("scheduling/x"), case("scheduling/y", turns=reworded))
    assert (
        "near-duplicate of scheduling/x (same failure_label wrong_tool, similarity 0.9" in warning
    )
    # Order in a list assertion and case/punctuation in turns do not matter.
    shuffled = {
        "tools": {
            "forbidden_tools": ["create_new_appointment"],
            "required_order": ["update_appointment", "list_appointments"],
        }
    }
    loud = [t.upper().replace(".", "!") for t in TURNS]
    assert len(messages(case("a"), case("b", assertions=shuffled, turns=loud))) == 1


@pytest.mark.parametrize(
    "other",
    [
        case("y", label="safety_policy"),  # another failure type
        case("y", turns=["Cancel my subscription, I never signed up for it."]),  # another scenario
        case(
            "y", assertions={"side_effects": {"calendar": {"max_writes": 1}}}
        ),  # checked otherwise
        case("y", turns=[]),  # no turns at all
    ],
)
def test_different_cases_are_not_duplicates(other: LoadedCase) -> None:
    assert messages(case("x"), other) == []


def test_synonymous_labels_share_a_bucket_and_the_message_says_so() -> None:
    (warning,) = messages(case("x", label="wrong_tool"), case("y", label="tool_selection"))
    assert "same failure_label tool_selection ≈ wrong_tool" in warning


def test_each_case_names_its_closest_earlier_case_once() -> None:
    reworded = [TURNS[0].replace("afternoon", "evening"), TURNS[1]]
    found = messages(case("a"), case("b", turns=reworded), case("c"))
    # c equals a (1.00) and is close to b: the closest earlier one is named, once.
    assert found == [
        "cases/b.yaml:3:1: $: warning: near-duplicate of a (same failure_label wrong_tool, "
        "similarity 0.96)",
        "cases/c.yaml:3:1: $: warning: near-duplicate of a (same failure_label wrong_tool, "
        "similarity 1.00)",
    ]


def brute_force(prints: list[Fingerprint], threshold: float) -> dict[int, tuple[int, float]]:
    best: dict[int, tuple[int, float]] = {}
    for i in range(len(prints)):
        for j in range(i):
            score = similarity.similarity(prints[i], prints[j])
            if score >= threshold - 1e-9 and score > best.get(i, (-1, -1.0))[1]:
                best[i] = (j, score)
    return best


@pytest.mark.parametrize("threshold", [0.9, 0.8, 0.7])
def test_the_prefix_filter_misses_nothing_brute_force_finds(threshold: float) -> None:
    rng = random.Random(threshold)
    vocabulary = [f"w{i}" for i in range(12)]
    leaves = [f".tools.forbidden_tools[]={i}#1" for i in range(4)]
    for _ in range(30):
        base = [rng.choice(vocabulary) for _ in range(rng.randrange(0, 12))]
        prints = []
        for _ in range(25):  # mutations of one base, so that many pairs are near the threshold
            words = [w if rng.random() > 0.15 else rng.choice(vocabulary) for w in base]
            if rng.random() < 0.3:
                words.append(rng.choice(vocabulary))
            facts = frozenset(rng.sample(leaves, rng.randrange(1, 3)))
            prints.append(Fingerprint(tuple(words), facts))
        assert near_duplicate_pairs(prints, threshold) == brute_force(prints, threshold)


def test_thousands_of_cases_compare_few_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(1)
    vocabulary = [f"word{i}" for i in range(3000)]
    prints = [
        Fingerprint(
            tuple(rng.choice(vocabulary) for _ in range(rng.randrange(8, 30))),
            frozenset({".tools.forbidden_tools[]=create_new_appointment#1"}),
        )
        for _ in range(2000)
    ]
    calls = 0
    real = similarity.similarity

    def counted(a: Fingerprint, b: Fingerprint) -> float:
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(similarity, "similarity", counted)
    assert near_duplicate_pairs(prints) == {}
    assert calls < 2000  # instead of the 1,999,000 pairs of one bucket


def test_fingerprint_leaves_out_ids_fixtures_and_evidence_policy() -> None:
    with_evidence = {**TOOLS, "evidence": {"retain_transcript": True}}
    assert fingerprint(case("x")) == fingerprint(
        case("y", fixture_id="other", assertions=with_evidence)
    )


def test_validate_and_run_print_the_warning(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    shutil.copytree(EXAMPLES, cases)
    original = cases / "scheduling" / "change-uses-update.yaml"
    copy = cases / "scheduling" / "zz-change-uses-update.yaml"
    copy.write_text(
        original.read_text("utf-8").replace("caller_fixture_318", "caller_fixture_319"), "utf-8"
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(cases)], {}, out, err) == 0
    warning = (
        f"{copy}:4:1: $: warning: near-duplicate of scheduling/change-uses-update "
        "(same failure_label tool_selection, similarity 1.00)"
    )
    assert err.getvalue().splitlines() == [warning]
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "--harness-url", "builtin", "--cases", str(cases)], {}, out, err)
    assert code == 0 and warning in err.getvalue().splitlines()


def test_the_bundled_examples_have_no_near_duplicates() -> None:
    err = io.StringIO()
    assert main(["validate", str(EXAMPLES)], {}, io.StringIO(), err) == 0
    assert "near-duplicate" not in err.getvalue()


def _with_ids(case_id: str, turns: list[str], caller: str, appointment: str) -> LoadedCase:
    made = case(case_id, turns=turns, assertions={
        "tools": {"forbidden_tools": ["create_new_appointment"],
                  "arguments": {"update_appointment": {"appointment_id": appointment}}},
        "side_effects": {"calendar": {"appointment_id": appointment, "expected_status": "moved"}},
    })  # fmt: skip
    fixture = {"caller_id": caller, "appointment_id": appointment, "side_effect_mode": "sandbox"}
    return replace(made, case=made.case.model_copy(update={"fixture": fixture}))


def test_a_new_case_is_compared_by_meaning_reworded_turns_and_renamed_ids() -> None:
    original = _with_ids(
        "a",
        ["Could you move my appointment to Tuesday morning?"],
        "caller_fixture_1",
        "appt_fixture_1",
    )
    reworded = _with_ids(
        "b",
        ["Can I reschedule my booking for Tuesday in the morning?"],
        "caller_x",
        "appt_fixture_77",
    )
    words = similarity.similarity(fingerprint(reworded), fingerprint(original))
    assert words < similarity.THRESHOLD  # the word-level check alone misses it
    (warning,) = [str(d) for d in similarity.near_duplicates_of(reworded, [original])]
    assert "near-duplicate of a (same failure_label wrong_tool, similarity 1.00)" in warning
    other = _with_ids("c", ["Cancel my subscription, I never signed up."], "x", "appt_fixture_1")
    assert similarity.near_duplicates_of(other, [original]) == []
    assert similarity.near_duplicates_of(original, [original]) == []  # itself is no duplicate


def test_buckets_compared_in_worker_processes_give_the_same_warnings() -> None:
    cases = [case(f"s/{i}", fixture_id=str(i)) for i in range(4)]
    cases += [case(f"t/{i}", label="handoff", fixture_id=str(i)) for i in range(3)]
    in_workers = functools.partial(map_in_workers, parallel=True)
    serial = near_duplicates(cases)
    assert len(serial) == 5 and near_duplicates(cases, mapper=in_workers) == serial


def test_a_big_suites_run_compares_in_the_background_and_still_prints_the_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From BACKGROUND_CASES cases on, `run` compares in a forked process during dispatch."""
    monkeypatch.setattr(wiring, "BACKGROUND_CASES", 2)
    started: list[int] = []
    real = Background.__init__

    def spy(self: Background[Any], func: Any, item: Any, *, now: bool = False) -> None:
        started.append(now)
        real(self, func, item, now=now)

    monkeypatch.setattr(Background, "__init__", spy)
    cases = tmp_path / "cases"
    shutil.copytree(EXAMPLES, cases)
    original = cases / "scheduling" / "change-uses-update.yaml"
    copy = cases / "scheduling" / "zz-change-uses-update.yaml"
    copy.write_text(original.read_text("utf-8"), "utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "--harness-url", "builtin", "--cases", str(cases)], {}, out, err)
    assert code == 0 and started == [False]  # forked, not on the spot
    assert f"{copy}:4:1: $: warning: near-duplicate of scheduling/change-uses-update" in (
        err.getvalue()
    )


def test_a_block_that_raises_or_cancels_prints_no_warning_and_stops_the_comparison(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wiring, "BACKGROUND_CASES", 2)
    loaded = load_cases([EXAMPLES])
    cases = [*loaded.cases, replace(loaded.cases[0], id="copy", file="copy.yaml")]
    err = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with wiring.near_duplicates_alongside(cases, err) as job:
            raise KeyboardInterrupt
    assert job.cancelled and err.getvalue() == ""
    with wiring.near_duplicates_alongside(cases, err) as job:
        job.cancel()
    assert err.getvalue() == ""
    with wiring.near_duplicates_alongside(cases, err):
        pass
    assert "copy.yaml:7:1: $: warning: near-duplicate of audio/dr-bayer-heard" in err.getvalue()


def test_an_interrupt_while_waiting_for_near_duplicates_keeps_the_finished_runs_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The advisory check is collected after the reports: a SIGTERM, or a bug in the check,
    while waiting for it never costs a finished run its results file and JUnit."""
    monkeypatch.setattr(wiring, "BACKGROUND_CASES", 1)

    def terminated(self: Background[Any]) -> Any:
        self.cancel()
        raise Terminated

    monkeypatch.setattr(Background, "result", terminated)
    results, junit = tmp_path / "r.json", tmp_path / "j.xml"
    argv = ["run", "--harness-url", "builtin", "--cases", str(EXAMPLES), "--tier", "all"]
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--results", str(results), "--junit", str(junit)], {}, out, err)
    assert code == 143 and results.exists() and junit.exists()

    def broken(self: Background[Any]) -> Any:
        raise ValueError("a bug in the near-duplicate check")

    monkeypatch.setattr(Background, "result", broken)
    results.unlink()
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--results", str(results)], {}, out, err)
    assert code == 0 and results.exists()
    assert "warning: the near-duplicate check did not finish (ValueError" in err.getvalue()
