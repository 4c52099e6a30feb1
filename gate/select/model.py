"""The small input types of selection: tiers, a change and its GitHub context (no IO)."""

from __future__ import annotations

from dataclasses import dataclass

TIERS = ("auto", "all", "fast", "nightly", "release")


@dataclass(frozen=True)
class Changes:
    """The changed files (repo-root-relative POSIX paths, sorted) and how they were found.

    `fail_open` set means the list cannot be trusted to select by (no base, a shallow clone,
    possibly truncated): the whole tier runs and the reason is shown.
    """

    paths: tuple[str, ...]
    source: str
    fail_open: str | None = None


@dataclass(frozen=True)
class ChangeContext:
    """What the event says about the change; only `fast` (pull request, push, merge queue)
    selects by changed files, so only it needs a base.

    `reason` is one line for the selection note: where base and head came from, or why there is
    no base (then selection fails open to the whole tier).
    """

    event: str
    base: str | None
    head: str | None
    reason: str
    tier: str  # what `--tier auto` runs for this event
    merge_base: bool = False  # diff base...head (a pull request's own changes) or base..head
    merge_commit: str | None = None  # a pull_request's test merge commit: a fallback diff
