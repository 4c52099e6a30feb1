"""Pick the cases a run checks, each with its reason: pure (cases, tier, change, rules) → Selection.

The fast tier is derived from the cases (their triggers, files, fixtures and `paths`), never from
hand-kept lists, and it fails open: when the change is unknown or untrustworthy the whole tier
runs and the note says why. Cases over the budget are deferred and listed, never dropped.
"""

from __future__ import annotations

import posixpath
import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gate.globs import PathFilter, compile_filter
from gate.models import LoadedCase
from gate.results import Selection

if TYPE_CHECKING:
    from gate.select.model import ChangeContext, Changes

SEVERITY_ORDER = ("critical", "high", "medium", "low")
DIRECT = ("case file changed", "fixture file changed")  # the change touched the case itself
SHOWN_PATHS = 5  # changed paths named in a note before "and N more"


@dataclass(frozen=True)
class Rules:
    """The gate config's selection part, compiled (see `gate.config.selection_rules`)."""

    triggers: Mapping[str, PathFilter] = field(default_factory=dict)
    always_full: PathFilter | None = None
    syntax: str = "github"
    max_cases: int = 100
    max_minutes: float | None = 10.0
    config_name: str = ".voice-regress.yml"
    config_path: str | None = None  # the config file, repo-relative: its change runs everything
    archived: str | None = None  # set when the nightly tier runs archived cases tonight: why


@dataclass(frozen=True)
class Hints:
    """What history knows: recent failures per case, seconds per case run, and the concurrency
    that turns those seconds into wall time. Empty when there is no history."""

    recent_failures: Mapping[str, int] = field(default_factory=dict)
    durations: Mapping[str, float] = field(default_factory=dict)
    concurrency: int = 1


def resolve_tier(
    tier: str, context: ChangeContext | None, changes: Changes | None
) -> tuple[str, str]:
    """The tier `auto` stands for, and a note saying why (empty for an explicit tier)."""
    if tier != "auto":
        return tier, ""
    if context is not None:
        return context.tier, f"tier auto → {context.tier} ({context.event})"
    if changes is not None:
        return "fast", f"tier auto → fast (changes from {changes.source})"
    return "all", (
        "tier auto → all: no change information (not in GitHub Actions, no "
        "--changed-files or --base), so every case runs"
    )


def tier_reason(case: LoadedCase, tier: str, archived: str | None = None) -> str | None:
    """Why `case` belongs to `tier` regardless of any change, or None when it does not;
    `archived` (the reason) adds the manual cases to the nightly tier on their cadence."""
    promotion = case.case.promotion
    if tier == "nightly" and promotion.level == "manual" and archived:
        return archived
    if tier == "all":
        return "tier all"
    if tier == "fast" and promotion.level == "blocking":
        return "blocking case in the fast tier"
    if tier == "nightly" and promotion.level in ("blocking", "scheduled"):
        return f"{promotion.level} case in the nightly tier"
    if tier == "release":
        if "release_candidate" in promotion.run_on:
            return "runs on release_candidate"
        if promotion.level == "blocking":
            return "blocking case in the release tier"
        if promotion.level == "scheduled" and case.case.source.severity == "critical":
            # Release readiness counts every critical failure, so a release must run them.
            return "critical scheduled case in the release tier"
    return None


def select_cases(
    cases: Sequence[LoadedCase],
    tier: str,
    changes: Changes | None = None,
    *,
    context: ChangeContext | None = None,
    rules: Rules | None = None,
    case_paths: Mapping[str, str] | None = None,
    hints: Hints | None = None,
) -> Selection:
    """The cases of `tier` (resolving `auto`), narrowed by `changes` in the fast tier.

    `case_paths` maps case ids to their files relative to the repository root (default: the
    files as loaded); `hints` rank and size the fast tier when history exists.
    """
    rules, hints = rules or Rules(), hints or Hints()
    effective, why_tier = resolve_tier(tier, context, changes)
    in_tier = [c for c in cases if tier_reason(c, effective, rules.archived) is not None]
    paths = None if changes is None else changes.paths
    notes = [why_tier] if why_tier else []
    if effective != "fast":
        reasons = {c.id: str(tier_reason(c, effective, rules.archived)) for c in in_tier}
        notes.append(f"tier {effective}: {len(reasons)} of {len(cases)} case(s)")
        return Selection(
            effective,
            tuple(reasons),
            reasons,
            (),
            len(cases),
            paths,
            "; ".join(notes),
            in_tier=len(in_tier),
        )
    whole, direct = _whole_tier(changes, rules), set[str]()
    if changes is not None and whole is None:
        index = _ChangeIndex.of(changes.paths, rules)
        found = {
            c.id: _affected(c, index, rules, (case_paths or {}).get(c.id, c.file)) for c in in_tier
        }
        reasons = {i: "; ".join(r) for i, r in found.items() if r}
        direct = {i for i, r in found.items() if any(x.startswith(DIRECT) for x in r)}
        notes.append(_change_note(changes, len(reasons), len(in_tier), len(cases)))
    else:
        reasons = {c.id: f"whole fast tier: {whole}" for c in in_tier}
        notes.append(f"the whole fast tier runs ({len(in_tier)} blocking case(s)): {whole}")
    chosen = [c for c in in_tier if c.id in reasons]
    kept, deferred, budget_note = _budget(chosen, direct, rules, hints)
    notes += [budget_note] if budget_note else []
    reasons = {i: reasons[i] for i in kept}
    return Selection(
        "fast",
        tuple(kept),
        reasons,
        tuple(deferred),
        len(cases),
        paths,
        "; ".join(notes),
        in_tier=len(in_tier),
    )


def _whole_tier(changes: Changes | None, rules: Rules) -> str | None:
    """Why the change cannot narrow the fast tier, or None when it can."""
    if changes is None:
        return "no change information (pass --changed-files or --base)"
    if changes.fail_open is not None:
        return changes.fail_open
    if not rules.triggers:
        return (
            f"no triggers are configured ({rules.config_name} `triggers:`), so a change "
            "cannot be mapped to the cases it affects"
        )
    if rules.config_path is not None and rules.config_path in changes.paths:
        return f"the gate config {rules.config_path} changed"
    if rules.always_full is not None:
        hit = next(iter(rules.always_full.hits(changes.paths)), None)
        if hit is not None:
            return f"{hit[0]} changed (always_full {hit[1]!r})"
    return None


@dataclass(frozen=True)
class _ChangeIndex:
    """The changed paths, sorted and as a set, and each trigger's hits: computed once per
    selection, since every case would otherwise redo them (thousands of cases × paths)."""

    paths: tuple[str, ...]
    path_set: frozenset[str]
    trigger_hits: Mapping[str, list[tuple[str, str]]]

    @classmethod
    def of(cls, changed: Sequence[str], rules: Rules) -> _ChangeIndex:
        paths = tuple(sorted(changed))
        hits = {name: f.hits_sorted(paths) for name, f in rules.triggers.items()}
        return cls(paths, frozenset(paths), hits)


def _affected(case: LoadedCase, index: _ChangeIndex, rules: Rules, case_path: str) -> list[str]:
    """Every reason the change affects `case`; empty when it does not."""
    reasons = []
    changed_set = index.path_set
    if case_path in changed_set:
        reasons.append(f"case file changed ({case_path})")
    for where, value in _strings(case.case.fixture, "fixture"):
        near = posixpath.normpath(posixpath.join(posixpath.dirname(case_path), value))
        reasons += [
            f"fixture file changed ({candidate}, {where})"
            for candidate in dict.fromkeys((posixpath.normpath(value), near))
            if candidate in changed_set
        ]
    for trigger in case.case.promotion.run_on:
        hits = index.trigger_hits.get(trigger, [])
        if hits:
            more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
            reasons.append(f"{trigger} via {hits[0][0]}{more}")
    if case.case.paths:  # the patterns were checked by gate.config.check_cases
        hits = compile_filter(case.case.paths, rules.syntax).hits_sorted(index.paths)
        if hits:
            reasons.append(f"paths {hits[0][1]!r} matched {hits[0][0]}")
    return reasons


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(json-ish path, string) for every string inside a fixture."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


def _change_note(changes: Changes, affected: int, in_tier: int, considered: int) -> str:
    count = len(changes.paths)
    if affected:
        return (
            f"{affected} of {in_tier} blocking case(s) affected by {count} changed "
            f"path(s) from {changes.source}"
        )
    shown = ", ".join(changes.paths[:SHOWN_PATHS])
    more = f" and {count - SHOWN_PATHS} more" if count > SHOWN_PATHS else ""
    return (
        f"no case is affected by this change: the {count} changed path(s) from "
        f"{changes.source} ({shown or 'none'}{more}) fire no trigger and touch no case "
        f"file, fixture or case paths; {considered} case(s) considered"
    )


def _budget(
    chosen: list[LoadedCase], direct: set[str], rules: Rules, hints: Hints
) -> tuple[list[str], list[tuple[str, str]], str]:
    """Keep the highest-ranked cases within max_cases (and max_minutes, given durations)."""
    ranked = sorted(chosen, key=lambda c: _rank_key(c, c.id in direct, hints))
    seconds = _estimates(ranked, hints)
    wall_budget = (
        rules.max_minutes * 60 * hints.concurrency
        if rules.max_minutes is not None and seconds
        else None
    )
    kept: list[str] = []
    deferred: list[tuple[str, str]] = []
    used, full = 0.0, ""
    for position, case in enumerate(ranked, 1):
        cost = seconds.get(case.id, 0.0)
        if not full and len(kept) >= rules.max_cases:
            full = f"max_cases {rules.max_cases}"
        elif not full and wall_budget is not None and kept and used + cost > wall_budget:
            full = f"max_minutes {rules.max_minutes:g} (estimated from history)"
        if full:
            deferred.append(
                (
                    case.id,
                    f"over the fast tier's {full}: ranked {position} of "
                    f"{len(ranked)} ({_rank_text(case, hints)}); the nightly tier "
                    "runs it",
                )
            )
        else:
            kept.append(case.id)
            used += cost
    order = {c.id: n for n, c in enumerate(chosen)}
    kept.sort(key=order.__getitem__)  # run in load order; the rank only decides who is in
    note = f"{len(deferred)} case(s) deferred to nightly: over the {full}" if deferred else ""
    return kept, deferred, note


def _rank_key(case: LoadedCase, direct: bool, hints: Hints) -> tuple[int, int, int, int, str]:
    """A new or edited case first, then severity, recent failures, production calls; then id."""
    severity = SEVERITY_ORDER.index(case.case.source.severity)
    production = 0 if case.case.source.type == "production_call" else 1
    return 0 if direct else 1, severity, -hints.recent_failures.get(case.id, 0), production, case.id


def _rank_text(case: LoadedCase, hints: Hints) -> str:
    parts = [
        f"severity {case.case.source.severity}",
        f"{hints.recent_failures.get(case.id, 0)} recent failure(s)",
    ]
    if case.case.source.type == "production_call":
        parts.append("from a production call")
    return ", ".join(parts)


def _estimates(cases: Sequence[LoadedCase], hints: Hints) -> dict[str, float]:
    """Seconds per case from history; a case without history costs the median of the others.
    Empty without any history: the minutes budget then cannot be checked."""
    known = [hints.durations[c.id] for c in cases if c.id in hints.durations]
    if not known:
        return {}
    typical = statistics.median(known)
    return {c.id: hints.durations.get(c.id, typical) for c in cases}
