"""How a run is published on GitHub: the options `run`, `demo` and `merge` resolve."""

from __future__ import annotations

from dataclasses import dataclass

COMMENT_MODES = ("always", "failures", "changes", "off")
DEFAULT_LIMIT = 10  # annotations per kind, the runner's own display limit
MAX_ANNOTATIONS = 50  # the per-request maximum of the checks API; the runner shows 10 per kind


@dataclass(frozen=True)
class PublishOptions:
    """How a run is published on GitHub (ignored outside GitHub Actions)."""

    comment_mode: str = "always"
    comment_key: str = "default"
    job_summary: bool = True
    annotations_limit: int = DEFAULT_LIMIT
