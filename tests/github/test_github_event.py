"""The GitHub event → ChangeContext: base and head per event, the tier `auto` picks, and failing
open when the event cannot tell the base. The environment and the event file are injected."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gate.github.event import change_context
from gate.select.model import ChangeContext

REPO = Path(__file__).resolve().parents[2]
BASE, HEAD, MERGE = "b" * 40, "c" * 40, "d" * 40


def context(event: str, payload: Any, **env: str) -> ChangeContext | None:
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_SHA": MERGE,
        **env,
    }
    files = {"/github/workflow/event.json": json.dumps(payload)}
    return change_context(environ, files.__getitem__)


def test_outside_github_actions_there_is_no_context() -> None:
    assert change_context({}) is None
    assert change_context({"GITHUB_ACTIONS": "false", "GITHUB_EVENT_NAME": "push"}) is None


def test_pull_request() -> None:
    found = context(
        "pull_request",
        {"pull_request": {"number": 7, "base": {"sha": BASE}, "head": {"sha": HEAD}}},
    )
    assert found == ChangeContext(
        "pull_request",
        BASE,
        HEAD,
        f"pull_request #7: {BASE[:12]}...{HEAD[:12]}",
        "fast",
        merge_base=True,
        merge_commit=MERGE,
    )


def test_pull_request_target_has_no_merge_commit_to_fall_back_on() -> None:
    found = context(
        "pull_request_target",
        {"pull_request": {"number": 7, "base": {"sha": BASE}, "head": {"sha": HEAD}}},
    )
    assert found is not None and found.merge_commit is None and found.merge_base
    assert (found.base, found.head, found.tier) == (BASE, HEAD, "fast")


def test_push_diffs_before_to_after() -> None:
    found = context("push", {"before": BASE, "after": HEAD}, GITHUB_REF="refs/heads/main")
    assert found == ChangeContext(
        "push", BASE, HEAD, f"push to refs/heads/main: {BASE[:12]}..{HEAD[:12]}", "fast"
    )


def test_push_of_a_new_branch_keeps_the_zero_base_for_the_diff_to_refuse() -> None:
    found = context("push", {"before": "0" * 40, "after": HEAD, "created": True})
    assert found is not None and found.base == "0" * 40 and found.tier == "fast"


def test_merge_group() -> None:
    found = context("merge_group", {"merge_group": {"base_sha": BASE, "head_sha": HEAD}})
    assert found == ChangeContext(
        "merge_group", BASE, HEAD, f"merge_group: {BASE[:12]}..{HEAD[:12]}", "fast"
    )


@pytest.mark.parametrize(
    ("event", "payload", "env", "tier"),
    [
        ("schedule", {"schedule": "0 3 * * *"}, {}, "nightly"),
        ("release", {"action": "published"}, {"GITHUB_REF": "refs/tags/v1.2.0"}, "release"),
        ("push", {"before": BASE, "after": HEAD}, {"GITHUB_REF": "refs/tags/v1.2.0"}, "release"),
        ("workflow_dispatch", {"inputs": {"tier": "release"}}, {}, "release"),
        ("workflow_dispatch", {"inputs": {"tier": "nightly"}}, {}, "nightly"),
        ("workflow_dispatch", {"inputs": {"release_candidate": True}}, {}, "release"),
        ("workflow_dispatch", {"inputs": {"release_candidate": "true"}}, {}, "release"),
        ("workflow_dispatch", {"inputs": {"tier": "auto"}}, {}, "all"),
        ("workflow_dispatch", {}, {}, "all"),
        ("issue_comment", {"comment": {}}, {}, "all"),
    ],
)
def test_events_without_a_diff_pick_a_tier(
    event: str, payload: dict[str, Any], env: dict[str, str], tier: str
) -> None:
    found = context(event, payload, **env)
    assert found is not None and found.tier == tier and found.base is None
    assert found.head == MERGE and found.reason


@pytest.mark.parametrize(
    ("payload", "missing"),
    [
        ({"pull_request": {"number": 7, "head": {"sha": HEAD}}}, "pull_request.base.sha"),
        (
            {"pull_request": {"number": 7, "base": {"sha": "not-a-sha"}, "head": {"sha": HEAD}}},
            "pull_request.base.sha",
        ),
        ({"pull_request": {"number": 7, "base": {"sha": BASE}}}, "pull_request.head.sha"),
        ({}, "pull_request.base.sha"),
    ],
)
def test_a_pull_request_without_a_usable_base_or_head_says_which(
    payload: dict[str, Any], missing: str
) -> None:
    found = context("pull_request", payload)
    assert found is not None and found.tier == "fast"
    assert f"has no {missing}, so there is nothing to diff" in found.reason


def test_an_unreadable_event_file_is_the_reason() -> None:
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": "/nowhere/event.json",
    }

    def missing(path: str) -> str:
        raise FileNotFoundError(2, "No such file or directory", path)

    found = change_context(environ, missing)
    assert found is not None and found.base is None
    assert (
        "cannot read the event file /nowhere/event.json (No such file or directory)" in found.reason
    )


@pytest.mark.parametrize(
    ("text", "why"), [("{not json", "is not JSON"), ("[1, 2]", "is not a JSON object")]
)
def test_a_broken_event_file_is_the_reason(text: str, why: str) -> None:
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "merge_group",
        "GITHUB_EVENT_PATH": "/e.json",
    }
    found = change_context(environ, {"/e.json": text}.__getitem__)
    assert found is not None and why in found.reason and found.base is None


def test_no_event_path_is_the_reason() -> None:
    found = change_context({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"})
    assert found is not None and "GITHUB_EVENT_PATH is not set" in found.reason


def test_the_real_file_reader(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"merge_group": {"base_sha": BASE, "head_sha": HEAD}}), "utf-8")
    found = change_context(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "merge_group",
            "GITHUB_EVENT_PATH": str(event),
        }
    )
    assert found is not None and (found.base, found.head) == (BASE, HEAD)


SELECTION_VARIABLES = re.compile(r"GITHUB_(EVENT_NAME|EVENT_PATH|SHA|BASE_REF|HEAD_REF|REF)\b")


def test_only_the_github_package_reads_the_event_variables() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "gate").rglob("*.py")
        if "github" not in p.relative_to(REPO / "gate").parts
        and SELECTION_VARIABLES.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
