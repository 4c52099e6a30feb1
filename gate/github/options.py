"""The publishing flags of `run`/`demo`/`merge`: flag, then `VOICE_REGRESS_*`, then default."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gate.github.annotations import DEFAULT_LIMIT
from gate.report.comment import KEY_PATTERN
from gate.settings import choice, flags_over_env, int_in, parse_bool

COMMENT_MODES = ("always", "failures", "changes", "off")
MAX_ANNOTATIONS = 50  # the per-request maximum of the checks API; the runner shows 10 per kind


@dataclass(frozen=True)
class PublishOptions:
    """How a run is published on GitHub (ignored outside GitHub Actions)."""

    comment_mode: str = "always"
    comment_key: str = "default"
    job_summary: bool = True
    annotations_limit: int = DEFAULT_LIMIT


def comment_key(text: str) -> str:
    """argparse type: 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit."""
    if not KEY_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"expected 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit), "
            f"got {text!r}"
        )
    return text


annotations_limit = int_in(0, MAX_ANNOTATIONS)
comment_mode = choice(COMMENT_MODES)


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "comment_mode": comment_mode,
    "comment_key": comment_key,
    "job_summary": parse_bool,
    "annotations_limit": annotations_limit,
}


def add_publish_options(parser: argparse.ArgumentParser) -> None:
    """`--comment-mode`, `--comment-key`, `--job-summary`, `--annotations-limit`."""
    add = parser.add_argument
    add(
        "--comment-mode",
        type=comment_mode,
        metavar="MODE",
        help="PR comment: always, failures, changes or off (default: always)",
    )
    add(
        "--comment-key",
        type=comment_key,
        metavar="KEY",
        help="one sticky PR comment per key, e.g. one per suite (default: default)",
    )
    add(
        "--job-summary",
        type=parse_bool,
        metavar="BOOL",
        help="write the GitHub job summary (default: true)",
    )
    add(
        "--annotations-limit",
        type=annotations_limit,
        metavar="N",
        help="annotations per kind on the case files, 0-50 (default: 10)",
    )


def publish_options(args: argparse.Namespace, environ: Mapping[str, str]) -> PublishOptions:
    """Flags over `VOICE_REGRESS_COMMENT_MODE` etc. over defaults; a bad variable is exit 2."""
    return PublishOptions(**flags_over_env(args, environ, _CONVERTERS))
