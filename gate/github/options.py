"""The publishing flags of `run`/`demo`/`merge`: flag, then `VOICE_REGRESS_*`, then default."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gate.errors import InputError
from gate.report.comment import KEY_PATTERN
from gate.settings import ENV_PREFIX, int_in, parse_bool

COMMENT_MODES = ("always", "failures", "changes", "off")
MAX_ANNOTATIONS = 50  # the per-request maximum of the checks API; the runner shows 10 per kind


@dataclass(frozen=True)
class PublishOptions:
    """How a run is published on GitHub (ignored outside GitHub Actions)."""

    comment_mode: str = "always"
    comment_key: str = "default"
    job_summary: bool = True
    annotations_limit: int = 10


def comment_key(text: str) -> str:
    """argparse type: 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit."""
    if not KEY_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"expected 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit), "
            f"got {text!r}")
    return text


annotations_limit = int_in(0, MAX_ANNOTATIONS)


def comment_mode(text: str) -> str:
    """argparse type: one of COMMENT_MODES."""
    if text not in COMMENT_MODES:
        raise argparse.ArgumentTypeError(
            f"expected one of {', '.join(COMMENT_MODES)}, got {text!r}")
    return text


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "comment_mode": comment_mode, "comment_key": comment_key, "job_summary": parse_bool,
    "annotations_limit": annotations_limit,
}


def add_publish_options(parser: argparse.ArgumentParser) -> None:
    """`--comment-mode`, `--comment-key`, `--job-summary`, `--annotations-limit`."""
    add = parser.add_argument
    add("--comment-mode", type=comment_mode, metavar="MODE",
        help="PR comment: always, failures, changes or off (default: always)")
    add("--comment-key", type=comment_key, metavar="KEY",
        help="one sticky PR comment per key, e.g. one per suite (default: default)")
    add("--job-summary", type=parse_bool, metavar="BOOL",
        help="write the GitHub job summary (default: true)")
    add("--annotations-limit", type=annotations_limit, metavar="N",
        help="annotations per kind on the case files, 0-50 (default: 10)")


def publish_options(args: argparse.Namespace, environ: Mapping[str, str]) -> PublishOptions:
    """Flags over `VOICE_REGRESS_COMMENT_MODE` etc. over defaults; a bad variable is exit 2."""
    values: dict[str, Any] = {}
    for name, convert in _CONVERTERS.items():
        value = getattr(args, name, None)
        var = ENV_PREFIX + name.upper()
        raw = environ.get(var, "").strip()
        if value is None and raw:
            try:
                value = convert(raw)
            except argparse.ArgumentTypeError as exc:
                raise InputError(f"{var}: {exc}") from None
        if value is not None:
            values[name] = value
    return PublishOptions(**values)
