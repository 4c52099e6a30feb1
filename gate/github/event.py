"""The GitHub Actions event of this run: its base and head commits and the tier `auto` picks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gate.select.model import TIERS, ChangeContext

_SHA = re.compile(r"[0-9a-fA-F]{7,64}")


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def in_actions(environ: Mapping[str, str]) -> bool:
    """Whether this is a GitHub Actions run (`GITHUB_ACTIONS=true`)."""
    return environ.get("GITHUB_ACTIONS", "").strip().lower() == "true"


def change_context(
    environ: Mapping[str, str], read_text: Callable[[str], str] = _read
) -> ChangeContext | None:
    """The change context of a GitHub Actions run, or None outside one (`GITHUB_ACTIONS`)."""
    if not in_actions(environ):
        return None
    event = environ.get("GITHUB_EVENT_NAME", "").strip() or "unknown"
    payload, problem = read_payload(environ, read_text)
    sha = _sha(environ.get("GITHUB_SHA"))
    if event.startswith("pull_request"):  # pull_request(_target), pull_request_review(_comment)
        pr = payload_object(payload, "pull_request")
        number = pr.get("number")
        return _diffable(
            event,
            _sha(payload_object(pr, "base").get("sha")),
            _sha(payload_object(pr, "head").get("sha")),
            problem,
            label=f"{event} #{number}" if isinstance(number, int) else event,
            keys=("pull_request.base.sha", "pull_request.head.sha"),
            merge_base=True,
            merge_commit=sha if event == "pull_request" else None,
        )
    if event == "merge_group":
        group = payload_object(payload, "merge_group")
        return _diffable(
            event,
            _sha(group.get("base_sha")),
            _sha(group.get("head_sha")),
            problem,
            label=event,
            keys=("merge_group.base_sha", "merge_group.head_sha"),
        )
    ref = environ.get("GITHUB_REF", "")
    if event == "release" or ref.startswith("refs/tags/"):
        return ChangeContext(
            event, None, sha, f"{event} of {ref or 'a release'}: a release candidate", "release"
        )
    if event == "push":
        return _diffable(
            event,
            _sha(payload.get("before")),
            _sha(payload.get("after")) or sha,
            problem,
            label=f"push to {ref}" if ref else event,
            keys=("before", "after"),
        )
    if event == "schedule":
        return ChangeContext(event, None, sha, "a scheduled run", "nightly")
    if event == "workflow_dispatch":
        return _dispatch(payload_object(payload, "inputs"), sha)
    return ChangeContext(
        event, None, sha, f"the {event} event carries no change to select by", "all"
    )


def _diffable(
    event: str,
    base: str | None,
    head: str | None,
    problem: str | None,
    *,
    label: str,
    keys: tuple[str, str],
    merge_base: bool = False,
    merge_commit: str | None = None,
) -> ChangeContext:
    if base is None or head is None:
        missing = keys[0] if base is None else keys[1]
        why = problem or f"the {event} event has no {missing}"
        return ChangeContext(
            event,
            base,
            head,
            f"{label}: {why}, so there is nothing to diff",
            "fast",
            merge_base,
            merge_commit,
        )
    dots = "..." if merge_base else ".."
    return ChangeContext(
        event,
        base,
        head,
        f"{label}: {base[:12]}{dots}{head[:12]}",
        "fast",
        merge_base,
        merge_commit,
    )


def _dispatch(inputs: Mapping[str, Any], sha: str | None) -> ChangeContext:
    """A manual run: an input `tier` (or `release_candidate: true`) says what it is for."""
    tier = inputs.get("tier")
    if isinstance(tier, str) and tier in TIERS and tier != "auto":
        return ChangeContext(
            "workflow_dispatch", None, sha, f"workflow_dispatch with input tier {tier}", tier
        )
    if str(inputs.get("release_candidate", "")).strip().lower() == "true":
        return ChangeContext(
            "workflow_dispatch",
            None,
            sha,
            "workflow_dispatch with input release_candidate",
            "release",
        )
    return ChangeContext(
        "workflow_dispatch",
        None,
        sha,
        "workflow_dispatch without a tier input: a manual run of every case",
        "all",
    )


def read_payload(
    environ: Mapping[str, str], read_text: Callable[[str], str] = _read
) -> tuple[dict[str, Any], str | None]:
    """The event payload (`GITHUB_EVENT_PATH`), or {} and why it could not be read."""
    path = environ.get("GITHUB_EVENT_PATH", "").strip()
    if not path:
        return {}, "GITHUB_EVENT_PATH is not set"
    try:
        data = json.loads(read_text(path))
    except OSError as exc:
        return {}, f"cannot read the event file {path} ({exc.strerror or exc})"
    except ValueError:
        return {}, f"the event file {path} is not JSON"
    if not isinstance(data, dict):
        return {}, f"the event file {path} is not a JSON object"
    return data, None


def payload_object(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """`data[key]` when it is a JSON object, else {} (an event payload is untrusted)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _sha(value: object) -> str | None:
    return value if isinstance(value, str) and _SHA.fullmatch(value) else None
