"""Option groups several commands share: selection, shards, the judge, publishing."""

from __future__ import annotations

import argparse

from gate.judge.calibration import THRESHOLD
from gate.report.junit import NON_BLOCKING as JUNIT_NON_BLOCKING
from gate.select.filters import LEVELS
from gate.settings import (
    annotations_limit,
    comment_key,
    comment_mode,
    odd_int,
    parse_bool,
    parse_shard,
    positive_int,
    retry_count,
    seconds,
)


def add_junit_options(
    parser: argparse.ArgumentParser, help_text: str = "write JUnit XML here"
) -> None:
    """`--junit FILE` and how the file is written for the reporters that read it."""
    add = parser.add_argument
    add("--junit", metavar="FILE", help=help_text)
    add(
        "--junit-non-blocking",
        choices=JUNIT_NON_BLOCKING,
        help="how a case that does not pass but does not block the merge is written: as-is "
        "(failure or error) or skipped, with why, so a JUnit reporter agrees with the gate "
        "(default: as-is)",
    )
    add(
        "--junit-properties",
        type=parse_bool,
        metavar="BOOL",
        help="add testcase <properties> (owner, severity, failure_label, source_call_id, level, "
        "baseline); Jenkins' strict schema rejects them (default: false)",
    )


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """`--config`, `--changed-files`, `--base`/`--base-ref`, `--head`/`--head-ref`, and the
    filters (`add_filter_options`)."""
    add_filter_options(parser)
    add = parser.add_argument
    add(
        "--config",
        metavar="FILE",
        help="gate config (default: .voice-regress.yml at the repository root)",
    )
    add(
        "--changed-files",
        metavar="FILE",
        help="changed paths, one a line or a JSON list; - reads standard input",
    )
    add(
        "--base",
        "--base-ref",
        dest="base",
        metavar="SHA",
        help="select by the files changed in git from SHA to --head",
    )
    add(
        "--head",
        "--head-ref",
        dest="head",
        metavar="SHA",
        help="the commit whose changes are selected by (default: HEAD)",
    )


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


def add_judge_options(parser: argparse.ArgumentParser, *, record: bool = True) -> None:
    """The judge's flags of `run`, `demo`, `rejudge` and `judge-check` (None: not given)."""
    add = parser.add_argument
    add(
        "--judge-url",
        metavar="URL",
        help="OpenAI-compatible base URL of the judge, e.g. https://api.openai.com/v1",
    )
    add("--judge-model", metavar="MODEL", help="pinned judge model id, e.g. a dated snapshot")
    add(
        "--votes",
        type=odd_int,
        metavar="N",
        help="judge votes per judged assertion and trial (odd; "
        "default: the assertion's votes, else 3)",
    )
    add("--cache-dir", metavar="DIR", help="verdict cache: an unchanged case costs no judge call")
    add(
        "--judge-concurrency",
        type=positive_int,
        metavar="N",
        help="judge requests in flight at once; 1 for a judge that serves one at a time "
        "(default: --concurrency)",
    )
    add(
        "--judge-timeout",
        type=seconds,
        metavar="S",
        help="seconds one judge request may take once sent; time queued behind "
        "--judge-concurrency does not count (default: 60)",
    )
    add(
        "--judge-retries",
        type=retry_count,
        metavar="N",
        help="retries of a judge request that failed or timed out (default: 4)",
    )
    add(
        "--require-calibration",
        type=parse_bool,
        metavar="BOOL",
        help="a judged assertion whose judge agrees "
        f"with its labelled examples less often than {THRESHOLD:.2f} is error (default: false)",
    )
    if record:
        add(
            "--record-runs",
            type=parse_bool,
            metavar="BOOL",
            help="keep every trial's run in the results file, for rejudge (default: true)",
        )


def add_shard_options(parser: argparse.ArgumentParser) -> None:
    """`--shard I/N` and `--history FILE` for `run` and `demo` (None: not given, env may apply)."""
    parser.add_argument(
        "--shard",
        type=parse_shard,
        metavar="I/N",
        help="run only shard I of N of the selection (CI matrix); "
        "combine the shards' results with `merge`",
    )
    parser.add_argument(
        "--history",
        metavar="FILE",
        help="history file (JSON lines): balances shards by past durations "
        "and gets this run's outcomes appended",
    )


def add_pinned_option(parser: argparse.ArgumentParser) -> None:
    """`--require-pinned [true|false]`: floating model aliases are errors, not warnings."""
    parser.add_argument(
        "--require-pinned",
        nargs="?",
        const=True,
        type=parse_bool,
        metavar="BOOL",
        help="a floating agent_ref.model or judge model (gpt-4o, …-latest) is an error, not a "
        "warning (default: false, or require_pinned in the gate config)",
    )


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """`--suite` and `--level` (seed 000's workflow: `--suite=… --level=blocking`)."""
    add = parser.add_argument
    add(
        "--suite",
        dest="suites",
        action="append",
        metavar="NAME",
        help="only cases of this suite (repeatable)",
    )
    add(
        "--level",
        dest="levels",
        action="append",
        choices=LEVELS,
        help="only cases at this promotion level (repeatable)",
    )
