"""Selection on a fixture repository of 50 cases (tests/data/selection): the fast tier derived
from the cases, reasons for every pick, fail-open, the budget with nothing dropped silently, the
tiers, `select`'s output and the results file, determinism."""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import sys
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.cli import git

from gate.cli import main
from gate.commands.selecting import archived_due, hints_from_history, selection_rules
from gate.load.config import CONFIG_NAME, load_config, load_with_config
from gate.models import LoadedCase
from gate.records.history import HistoryRecord
from gate.report.console import render_selection
from gate.results import Status
from gate.select.model import Changes
from gate.select.selection import Hints, Rules, select_cases

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "selection"
REPO = Path(__file__).resolve().parents[2]
SEVERITY = ("critical", "high", "medium", "low")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture repository as the working directory (not yet a git repository)."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    monkeypatch.chdir(root)
    return root


def init_git(root: Path) -> str:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fixture repository")
    return git(root, "rev-parse", "HEAD")


def cli(
    *argv: str, environ: Mapping[str, str] | None = None, stdin: str | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        code = main(list(argv), dict(environ or {}), out, err)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def select_json(
    *changed: str,
    tier: str = "auto",
    environ: Mapping[str, str] | None = None,
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    code, out, err = cli(
        "select",
        "--format",
        "json",
        "--tier",
        tier,
        *(("--changed-files", "-") if changed else ()),
        *extra,
        environ=environ,
        stdin="\n".join(changed) + "\n",
    )
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def cases_where(test: Any) -> set[str]:
    """Case ids chosen by reading the YAML directly: an oracle independent of the gate."""
    found = set()
    for path in sorted((FIXTURE / "cases").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if test(data):
            found.add(path.relative_to(FIXTURE / "cases").with_suffix("").as_posix())
    return found


def blocking_with(trigger: str) -> set[str]:
    return cases_where(
        lambda d: d["promotion"]["level"] == "blocking" and trigger in d["promotion"]["run_on"]
    )


BLOCKING = cases_where(lambda d: d["promotion"]["level"] == "blocking")


def test_the_fixture_repository_has_fifty_cases() -> None:
    assert len(cases_where(lambda d: True)) == 50 and len(BLOCKING) == 34


# --- the fast tier follows the change ---------------------------------------------------------


def test_changing_a_prompt_selects_exactly_the_cases_its_trigger_maps_to(repo: Path) -> None:
    data = select_json("prompts/x.md")
    expected = blocking_with("prompt_change")
    assert len(expected) == 17 and set(data["selected"]) == expected
    assert data["reasons"] == dict.fromkeys(expected, "prompt_change via prompts/x.md")
    assert data["tier"] == "fast" and data["deferred"] == [] and data["considered"] == 50
    assert data["changed_paths"] == ["prompts/x.md"]
    assert "17 of 34 blocking case(s) affected by 1 changed path(s)" in data["note"]


def test_select_prints_each_case_with_its_reason_and_the_totals(repo: Path) -> None:
    code, out, _ = cli("select", "--changed-files", "-", stdin="prompts/scheduler.md\n")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "tier fast: 17 selected, 0 deferred, 50 considered"
    assert re.search(
        r"^  scheduling/reschedule-wednesday +prompt_change via "
        r"prompts/scheduler\.md$",
        out,
        re.M,
    )
    assert "changed paths looked at (1):" in lines and "  prompts/scheduler.md" in lines


def test_a_tool_schema_change_selects_its_trigger_across_suites(repo: Path) -> None:
    data = select_json("tools/billing/refund.schema.json")
    assert set(data["selected"]) == blocking_with("tool_schema_change")
    assert len(data["selected"]) == 16
    assert set(data["reasons"].values()) == {
        "tool_schema_change via tools/billing/refund.schema.json"
    }


def test_a_teams_own_trigger(repo: Path) -> None:
    data = select_json("billing/rules/refunds.yaml")
    assert set(data["selected"]) == blocking_with("billing_rules_change")


def test_a_readme_edit_is_not_an_empty_run_it_names_what_was_looked_at(repo: Path) -> None:
    data = select_json("README.md", "prompts/README.md")  # the second is excluded by `!`
    assert data["selected"] == [] and data["deferred"] == [] and data["considered"] == 50
    assert data["changed_paths"] == ["README.md", "prompts/README.md"]
    assert (
        "no case is affected by this change: the 2 changed path(s) from --changed-files - "
        "(README.md, prompts/README.md) fire no trigger" in data["note"]
    )
    assert "50 case(s) considered" in data["note"]


def test_a_readme_edit_passes_the_gate_saying_no_case_is_affected(
    repo: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results.json"
    code, out, _ = cli(
        "run",
        "--harness-url",
        "builtin",
        "--changed-files",
        "-",
        "--results",
        str(results),
        stdin="README.md\n",
    )
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == "GATE PASSED: no case is affected by this change"
    assert "no case is affected by this change: the 1 changed path(s)" in out
    selection = json.loads(results.read_text(encoding="utf-8"))["selection"]
    assert selection["selected"] == [] and selection["changed_paths"] == ["README.md"]
    assert selection["considered"] == 50 and "no case is affected" in selection["note"]


def test_the_results_file_records_why_each_case_ran(repo: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    cli(
        "run",
        "--harness-url",
        "builtin",
        "--changed-files",
        "-",
        "--results",
        str(results),
        stdin="cases/latency/turn-latency-budget.yaml\n",
    )
    selection = json.loads(results.read_text(encoding="utf-8"))["selection"]
    assert selection["tier"] == "fast" and selection["selected"] == ["latency/turn-latency-budget"]
    assert selection["reasons"] == {
        "latency/turn-latency-budget": "case file changed (cases/latency/turn-latency-budget.yaml)"
    }


def test_a_fixture_file_the_case_names_selects_it(repo: Path) -> None:
    data = select_json("fixtures/billing/refund-needs-supervisor.json")
    assert data["reasons"] == {
        "billing/refund-needs-supervisor": "fixture file changed "
        "(fixtures/billing/refund-needs-supervisor.json, fixture.records)"
    }


def test_a_cases_own_paths_select_it(repo: Path) -> None:
    data = select_json("voice/tts/voices.yaml")
    assert data["reasons"] == dict.fromkeys(
        ["latency/first-response-budget", "latency/turn-latency-budget"],
        "paths 'voice/tts/**' matched voice/tts/voices.yaml",
    )


def test_several_reasons_are_all_given(repo: Path) -> None:
    data = select_json(
        "prompts/scheduler.md", "prompts/billing.md", "cases/scheduling/reschedule-wednesday.yaml"
    )
    assert data["reasons"]["scheduling/reschedule-wednesday"] == (
        "case file changed (cases/scheduling/reschedule-wednesday.yaml); prompt_change via "
        "prompts/billing.md and 1 more"
    )


def test_scheduled_and_manual_cases_never_run_in_the_fast_tier(repo: Path) -> None:
    data = select_json("cases/scheduling/holiday-hours.yaml", "cases/billing/autopay-cancel.yaml")
    assert data["selected"] == []  # manual and scheduled: changed, but not the fast tier's


def test_renames_count_as_both_paths_and_deletions_count(repo: Path) -> None:
    base = init_git(repo)
    git(repo, "mv", "prompts/billing.md", "docs-billing.md")
    git(repo, "rm", "-q", "workflows/reschedule.yaml")
    git(repo, "commit", "-q", "-m", "move and delete")
    data = select_json(extra=("--base", base))
    assert data["changed_paths"] == [
        "docs-billing.md",
        "prompts/billing.md",
        "workflows/reschedule.yaml",
    ]
    affected = blocking_with("prompt_change") | blocking_with("workflow_change")
    assert len(affected) == 23 and len(data["selected"]) == 20  # max_cases 20: 3 deferred
    assert set(data["selected"]) | {d["id"] for d in data["deferred"]} == affected
    assert (
        data["reasons"]["handoff/no-unplanned-transfer"]
        == "workflow_change via workflows/reschedule.yaml"
    )


# --- failing open -------------------------------------------------------------------------------


def test_a_shallow_clone_without_the_base_selects_the_whole_fast_tier_and_says_why(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = init_git(repo)
    (repo / "prompts" / "scheduler.md").write_text("v2\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "edit a prompt")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    data = select_json(extra=("--base", base))
    assert len(data["selected"]) == 20 and len(data["deferred"]) == 14  # max_cases 20
    assert {d["id"] for d in data["deferred"]} | set(data["selected"]) == BLOCKING
    why = (
        f"the base {base[:12]} is not in this clone (a shallow clone: check out with "
        "fetch-depth: 0 so the base is there for change-based selection)"
    )
    assert f"the whole fast tier runs (34 blocking case(s)): {why}" in data["note"]
    assert set(data["reasons"].values()) == {f"whole fast tier: {why}"}
    # The same clone with its full history selects by the change again.
    git(clone, "fetch", "-q", "--unshallow")
    assert set(select_json(extra=("--base", base))["selected"]) == blocking_with("prompt_change")


def test_a_pull_request_event_in_a_shallow_clone_fails_open(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = init_git(repo)
    (repo / "tools" / "calendar.schema.json").write_text("{}\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "schema change")
    head = git(repo, "rev-parse", "HEAD")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 12, "base": {"sha": base}, "head": {"sha": head}}}),
        encoding="utf-8",
    )
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": head,
    }
    data = select_json(environ=environ)  # the full repository: selects by the diff
    assert set(data["selected"]) == blocking_with("tool_schema_change")
    assert data["note"].startswith("tier auto → fast (pull_request); 16 of 34 blocking")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    data = select_json(environ=environ)
    assert "the whole fast tier runs" in data["note"] and "shallow clone" in data["note"]


@pytest.mark.parametrize(
    ("changed", "why"),
    [
        (["harness/adapter.py"], "harness/adapter.py changed (always_full 'harness/**')"),
        (
            ["fixtures/shared/calendar.json", "README.md"],
            "fixtures/shared/calendar.json changed (always_full 'fixtures/shared/**')",
        ),
        ([CONFIG_NAME], "the gate config .voice-regress.yml changed"),
        (
            [f"f{i}.md" for i in range(3000)],
            "3000 changed files from --changed-files -: a list this long (≥ 3000) may be truncated",
        ),
    ],
)
def test_changes_that_run_the_whole_fast_tier(repo: Path, changed: list[str], why: str) -> None:
    data = select_json(*changed)
    assert f"the whole fast tier runs (34 blocking case(s)): {why}" in data["note"]
    assert len(data["selected"]) + len(data["deferred"]) == 34


def test_an_empty_changed_file_list_fails_open(repo: Path) -> None:
    code, out, _ = cli("select", "--format", "json", "--changed-files", "-", stdin="\n")
    assert code == 0
    assert "the changed-file list from --changed-files - is empty" in json.loads(out)["note"]


def test_without_configured_triggers_the_fast_tier_fails_open(repo: Path) -> None:
    (repo / CONFIG_NAME).unlink()
    data = select_json("prompts/x.md", extra=("--cases", "cases"))
    assert len(data["selected"]) == 34  # no config: the default budget of 100
    assert "no triggers are configured" in data["note"]


# --- the budget: ranked, deferred, listed -------------------------------------------------------


def test_over_max_cases_the_rest_is_deferred_by_rank_and_listed(repo: Path) -> None:
    data = select_json("harness/adapter.py")
    deferred = data["deferred"]
    assert len(data["selected"]) == 20 and len(deferred) == 14
    assert "14 case(s) deferred to nightly: over the max_cases 20" in data["note"]
    severity = {c: d["source"]["severity"] for c in BLOCKING for d in [case_data(c)]}
    worst_selected = max(SEVERITY.index(severity[c]) for c in data["selected"])
    assert all(SEVERITY.index(severity[d["id"]]) >= worst_selected for d in deferred)
    first = case_data(deferred[0]["id"])["source"]
    production = ", from a production call" if first["type"] == "production_call" else ""
    assert deferred[0]["why"] == (
        f"over the fast tier's max_cases 20: ranked 21 of 34 (severity {first['severity']}, 0 "
        f"recent failure(s){production}); the nightly tier runs it"
    )
    assert [d["why"].split(": ranked ")[1].split(" ")[0] for d in deferred] == [
        str(n) for n in range(21, 35)
    ]
    nightly = select_json(tier="nightly")["selected"]
    assert {d["id"] for d in deferred} <= set(nightly)  # nothing dropped: nightly runs them


def case_data(case_id: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((FIXTURE / "cases" / f"{case_id}.yaml").read_text())
    return data


def test_select_text_lists_the_deferred_cases(repo: Path) -> None:
    code, out, _ = cli("select", "--changed-files", "-", stdin="harness/adapter.py\n")
    assert code == 0
    assert out.splitlines()[0] == "tier fast: 20 selected, 14 deferred, 50 considered"
    assert "deferred (14), run by the nightly tier:" in out.splitlines()


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[LoadedCase]:
    monkeypatch.chdir(FIXTURE)
    config = load_config(Path(CONFIG_NAME))
    return load_with_config(config.case_roots(), config).cases


def rules(**changes: Any) -> Rules:
    base = selection_rules(load_config(FIXTURE / CONFIG_NAME), FIXTURE)
    return Rules(**{**base.__dict__, **changes})


ALL_SHARED = Changes(("fixtures/shared/calendar.json",), "test")


def test_recent_failures_rank_a_case_up_within_its_severity(loaded: list[LoadedCase]) -> None:
    critical = sum(
        1
        for c in loaded
        if c.case.promotion.level == "blocking" and c.case.source.severity == "critical"
    )
    budget = rules(max_cases=critical + 1)  # every critical case and one more
    plain = select_cases(loaded, "fast", ALL_SHARED, rules=budget)
    left_out = sorted(i for i, _ in plain.deferred if case_data(i)["source"]["severity"] == "high")[
        -1
    ]
    ranked = select_cases(
        loaded, "fast", ALL_SHARED, rules=budget, hints=Hints(recent_failures={left_out: 2})
    )
    assert left_out in ranked.selected and len(ranked.selected) == critical + 1
    assert "2 recent failure(s)" not in str(ranked.deferred)


def test_max_minutes_with_durations_from_history(loaded: list[LoadedCase]) -> None:
    durations = {c.id: 60.0 for c in loaded}  # a minute each
    selection = select_cases(
        loaded,
        "fast",
        ALL_SHARED,
        rules=rules(max_minutes=3.0),
        hints=Hints(durations=durations, concurrency=2),
    )
    assert len(selection.selected) == 6  # 3 wall minutes × 2 in flight
    assert len(selection.deferred) == 28
    assert "over the max_minutes 3 (estimated from history)" in selection.note
    assert all("max_minutes 3 (estimated from history)" in why for _, why in selection.deferred)
    without = select_cases(loaded, "fast", ALL_SHARED, rules=rules(max_minutes=3.0))
    assert len(without.selected) == 20  # no history: only max_cases applies


def test_a_case_the_change_touches_directly_ranks_first(loaded: list[LoadedCase]) -> None:
    changed = Changes(
        ("cases/latency/first-response-budget.yaml", "prompts/x.md", "billing/rules/a.yaml"), "test"
    )
    selection = select_cases(
        loaded,
        "fast",
        changed,
        rules=rules(max_cases=1),
        case_paths={c.id: f"cases/{c.id}.yaml" for c in loaded},
    )
    assert selection.selected == ("latency/first-response-budget",)  # medium, but new/edited


def test_history_file_gives_hints(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    newest = datetime(2026, 6, 1, tzinfo=UTC)
    records = [
        ("a", newest, Status.FAIL, 10.0),
        ("a", newest - timedelta(days=3), Status.PASS, 20.0),
        ("a", newest - timedelta(days=90), Status.FAIL, 10.0),
        ("b", newest - timedelta(days=1), Status.INCONCLUSIVE, 4.0),
    ]
    history = tmp_path / "history.jsonl"
    history.write_text(
        "".join(
            HistoryRecord(c, at, s, d, "blocking", f"run {at}").to_json() + "\n"
            for c, at, s, d in records
        ),
        encoding="utf-8",
    )
    hints = hints_from_history(str(history), concurrency=3)
    assert hints.recent_failures == {"a": 1, "b": 1}  # the 90-day-old failure is not recent
    assert hints.durations == {"a": pytest.approx(40 / 3), "b": 4.0} and hints.concurrency == 3
    assert hints_from_history(None) == Hints()
    assert hints_from_history(str(tmp_path / "missing.jsonl")) == Hints()


# --- tiers ----------------------------------------------------------------------------------------


def test_the_nightly_tier_runs_archived_cases_on_their_cadence(repo: Path) -> None:
    config = repo / ".voice-regress.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "archived_every_days: 0", "archived_every_days: 1"
        ),
        encoding="utf-8",
    )
    nightly = select_json("README.md", tier="nightly")
    archived = cases_where(lambda d: d["promotion"]["level"] == "manual")
    assert archived and archived <= set(nightly["selected"])
    assert all("archived case" in nightly["reasons"][i] for i in archived)
    fast = select_json("README.md", tier="fast")
    assert not archived & set(fast["selected"])  # only the nightly tier resurrects


def test_the_archived_cadence_follows_the_calendar() -> None:
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(14)]
    due = [day for day in days if archived_due(7, day)]
    assert len(due) == 2 and (due[1] - due[0]).days == 7
    assert not any(archived_due(0, day) for day in days)  # 0: never


def test_tiers_ignore_the_change(repo: Path) -> None:
    nightly = select_json("README.md", tier="nightly")
    assert set(nightly["selected"]) == cases_where(
        lambda d: d["promotion"]["level"] in ("blocking", "scheduled")
    )
    release = select_json("README.md", tier="release")
    assert set(release["selected"]) == BLOCKING | cases_where(
        lambda d: (
            "release_candidate" in d["promotion"]["run_on"]
            or (d["promotion"]["level"] == "scheduled" and d["source"]["severity"] == "critical")
        )
    )
    assert len(select_json("README.md", tier="all")["selected"]) == 50


@pytest.mark.parametrize(
    ("environ", "tier"),
    [
        ({}, "all"),
        ({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "schedule"}, "nightly"),
        (
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": "release",
                "GITHUB_REF": "refs/tags/v1",
            },
            "release",
        ),
        ({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "workflow_dispatch"}, "all"),
    ],
)
def test_auto_picks_the_tier_by_event(repo: Path, environ: dict[str, str], tier: str) -> None:
    data = select_json(environ=environ)
    assert data["tier"] == tier and data["note"].startswith(f"tier auto → {tier}")


def test_auto_outside_github_with_a_change_is_the_fast_tier(repo: Path) -> None:
    data = select_json("prompts/x.md")
    assert data["tier"] == "fast"
    assert data["note"].startswith("tier auto → fast (changes from --changed-files -)")


def test_a_push_of_a_new_branch_fails_open(repo: Path, tmp_path: Path) -> None:
    head = init_git(repo)
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"before": "0" * 40, "after": head}), encoding="utf-8")
    data = select_json(
        environ={
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(event),
        }
    )
    assert "the base 000000000000 is all zeros (a new branch or a first push)" in data["note"]


def test_conflicting_flags_exit_2_with_one_line(repo: Path) -> None:
    code, out, err = cli("select", "--changed-files", "x.txt", "--base", "abc")
    assert (code, out) == (2, "")
    assert err == "voice-regress-gate: error: pass --changed-files or --base, not both\n"


# --- determinism --------------------------------------------------------------------------------


def test_selection_is_deterministic(repo: Path) -> None:
    changed = ["harness/adapter.py", "prompts/x.md", "README.md"]
    first = select_json(*changed)
    assert select_json(*changed) == first
    assert select_json(*reversed(changed)) == first


def test_selection_does_not_depend_on_the_order_cases_come_in(loaded: list[LoadedCase]) -> None:
    shuffled = list(loaded)
    random.Random(4).shuffle(shuffled)
    one = select_cases(loaded, "fast", ALL_SHARED, rules=rules())
    two = select_cases(shuffled, "fast", ALL_SHARED, rules=rules())
    assert set(one.selected) == set(two.selected) and one.deferred == two.deferred
    assert one.reasons == two.reasons and one.note == two.note


def test_render_json_matches_the_results_file_shape(loaded: list[LoadedCase]) -> None:
    selection = select_cases(loaded, "fast", ALL_SHARED, rules=rules())
    data = json.loads(render_selection(selection, "json"))
    assert set(data) == {
        "tier",
        "selected",
        "reasons",
        "deferred",
        "considered",
        "changed_paths",
        "note",
        "in_tier",
    }


def test_a_pr_whose_fast_tier_holds_no_blocking_case_is_an_empty_run(tmp_path: Path) -> None:
    # "No case is affected by this change" must not cover a tier that could never hold one.
    case = REPO / "examples/cases/scheduling/new-booking-uses-create.yaml"  # a scheduled case
    (tmp_path / "c.yaml").write_text(case.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "changed.txt").write_text("prompts/x.md\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "run",
            "--harness-url",
            "builtin",
            "--cases",
            str(tmp_path / "c.yaml"),
            "--tier",
            "fast",
            "--changed-files",
            str(tmp_path / "changed.txt"),
        ],
        {},
        out,
        err,
    )
    assert code == 1, out.getvalue()
    assert "tier fast holds no case (1 considered)" in out.getvalue()
