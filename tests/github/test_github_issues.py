"""Tracking issues against the fake GitHub: open, update, close, cap, duplicates, ownership."""

from __future__ import annotations

from dataclasses import replace

from support.fake_github import BOT, FakeGitHub
from support.report_fixtures import (
    LINKS,
    error_case,
    fail_case,
    many_failures,
    mixed_gate,
    pass_case,
)

from gate.github.api import GitHubClient
from gate.github.issues import (
    TRACK_LABEL,
    issue_body,
    issue_labels,
    issue_marker,
    parse_issue_marker,
    sync_tracking_issues,
)
from gate.results import GateResult

REPO = "octo/agent"


def _gate(*cases: object) -> GateResult:
    return replace(mixed_gate(), cases=tuple(cases))  # type: ignore[arg-type]


def test_marker_round_trips_odd_case_ids() -> None:
    for case_id in ("scheduling/x", "a b -->c", "ünï/🙂", "100%"):
        marker = issue_marker(case_id)
        assert "-->" not in marker[:-3] and " " not in marker.split("case=")[1].split(" ")[0]
        assert parse_issue_marker(marker + "\nbody") == case_id
    assert parse_issue_marker("text\n" + issue_marker("x")) is None


def test_labels_and_body() -> None:
    result = fail_case()
    assert issue_labels(result) == [TRACK_LABEL, "owner:scheduling-eng", "failure:wrong_tool"]
    body = issue_body(result, LINKS)
    assert body.startswith(issue_marker("scheduling/duplicate-booking") + "\n")
    assert "create\\_new\\_appointment was called at turn 2" in body
    assert "actions/runs/42" in body


def test_open_then_update_then_close(fake: FakeGitHub, client: GitHubClient) -> None:
    failing = _gate(fail_case(), error_case(), pass_case())
    first = sync_tracking_issues(client, REPO, failing, LINKS, BOT)
    assert sorted(a.action for a in first) == ["opened", "opened"]
    assert {i["title"] for i in fake.issues.values()} == {
        "voice-regress-gate: scheduling/duplicate-booking is fail",
        "voice-regress-gate: billing/refund-lookup is error",
    }
    labels = {n for i in fake.issues.values() for n in (x["name"] for x in i["labels"])}
    assert {"owner:billing-eng", "owner:scheduling-eng", TRACK_LABEL} <= labels

    second = sync_tracking_issues(client, REPO, failing, LINKS, BOT)
    assert sorted(a.action for a in second) == ["updated", "updated"]
    assert len(fake.issues) == 2

    fixed = _gate(replace(fail_case(), status=pass_case().status), error_case())
    third = sync_tracking_issues(client, REPO, fixed, LINKS, BOT)
    assert sorted(a.action for a in third) == ["closed", "updated"]
    closed = [i for i in fake.issues.values() if i["state"] == "closed"]
    assert len(closed) == 1 and closed[0]["state_reason"] == "completed"
    note = fake.calls("POST", rf"/repos/{REPO}/issues/{closed[0]['number']}/comments")
    assert "passes again" in note[0].body["body"]

    fourth = sync_tracking_issues(client, REPO, _gate(fail_case()), LINKS, BOT)
    assert [a.action for a in fourth] == ["opened"]  # failing again: a new issue
    assert len(fake.issues) == 3


def test_opening_is_capped(fake: FakeGitHub, client: GitHubClient) -> None:
    outage = many_failures(25)
    actions = sync_tracking_issues(client, REPO, outage, LINKS, BOT, max_new=10)
    assert sum(a.action == "opened" for a in actions) == 10
    assert sum(a.action == "not-opened" for a in actions) == 15
    assert len(fake.issues) == 10


def test_duplicates_are_closed_and_foreign_issues_ignored(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    marker = issue_marker("scheduling/duplicate-booking")
    first = fake.add_issue("t", marker + "\nold", [TRACK_LABEL])
    dup = fake.add_issue("t", marker + "\nold 2", [TRACK_LABEL])
    forged = fake.add_issue("t", marker + "\nforged", [TRACK_LABEL], login="mallory")
    unlabelled = fake.add_issue("t", marker + "\nno label", [])
    actions = sync_tracking_issues(client, REPO, _gate(fail_case()), LINKS, BOT)
    assert sorted(a.action for a in actions) == ["duplicate-closed", "updated"]
    assert fake.issues[first["number"]]["state"] == "open"
    assert "create\\_new\\_appointment" in fake.issues[first["number"]]["body"]
    assert fake.issues[dup["number"]]["state"] == "closed"
    assert fake.issues[dup["number"]]["state_reason"] == "not_planned"
    assert fake.issues[forged["number"]]["body"].endswith("forged")
    assert fake.issues[unlabelled["number"]]["body"].endswith("no label")
