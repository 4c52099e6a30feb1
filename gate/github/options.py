"""How a run is published on GitHub: the options `run`, `demo` and `merge` resolve."""

from __future__ import annotations

from dataclasses import dataclass

from gate.github.annotations import DEFAULT_LIMIT

COMMENT_MODES = ("always", "failures", "changes", "off")
MAX_ANNOTATIONS = 50  # the per-request maximum of the checks API; the runner shows 10 per kind


@dataclass(frozen=True)
class PublishOptions:
    """How a run is published on GitHub (ignored outside GitHub Actions)."""

    comment_mode: str = "always"
    comment_key: str = "default"
    job_summary: bool = True
    annotations_limit: int = DEFAULT_LIMIT
