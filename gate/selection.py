"""Pick the cases a run checks, each with its reason; pure (cases, tier) → Selection."""

from __future__ import annotations

from collections.abc import Sequence

from gate.models import LoadedCase
from gate.results import Selection

TIERS = ("auto", "all", "fast", "nightly", "release")


def _tier_reason(case: LoadedCase, tier: str) -> str | None:
    """Why `case` belongs to `tier`, or None when it does not."""
    promotion = case.case.promotion
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
    return None


def select_cases(cases: Sequence[LoadedCase], tier: str) -> Selection:
    """Level-based tiers; `auto` runs every case (a local run checks everything)."""
    effective = "all" if tier == "auto" else tier
    reasons: dict[str, str] = {}
    for case in cases:
        reason = _tier_reason(case, effective)
        if reason is not None:
            reasons[case.id] = reason
    note = ""
    if tier == "auto":
        # Changed-path selection is not built yet; failing open to every case is the safe side.
        note = "tier auto: no change information used, so every case runs"
        reasons = dict.fromkeys(reasons, "tier auto: every case runs")
    return Selection(
        tier=effective,
        selected=tuple(reasons),
        reasons=reasons,
        considered=len(cases),
        note=note,
    )
