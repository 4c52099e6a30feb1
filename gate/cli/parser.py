"""Command line: parse argv, resolve settings, run a command; the only place GateError is caught."""

from __future__ import annotations

import argparse
from typing import Any

from gate import __version__
from gate.evaluate.verdicts import (
    FAIL_ON,
)
from gate.judge.calibration import THRESHOLD
from gate.reference import BUGS
from gate.select.filters import LEVELS
from gate.select.model import TIERS
from gate.settings import (
    annotations_limit,
    comment_key,
    comment_mode,
    int_in,
    odd_int,
    parse_bool,
    parse_date,
    parse_shard,
    positive_int,
    seconds,
)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `demo`; None means 'not given' so env/defaults can apply."""

    add = parser.add_argument
    add("--tier", choices=TIERS, help="which cases run (default: auto)")
    add("--concurrency", type=positive_int, help="harness runs in flight at once (default: 8)")
    add("--timeout", type=seconds, help="seconds one run may take, polling included (default 120)")
    add("--retries", type=int_in(0), help="retries of a transient harness fault (default: 3)")
    add("--trials", type=positive_int, help="run every case N times (default: the case's trials)")
    add("--fail-on", choices=FAIL_ON, help="which failing cases block (default: blocking)")
    add("--fail-on-empty", type=parse_bool, help="fail when nothing ran (default: true)")
    add("--junit", metavar="FILE", help="write JUnit XML here")
    add("--results", metavar="FILE", help="write the results JSON here")
    add("--evidence-dir", metavar="DIR", help="write evidence of failing runs here")
    add(
        "--resume",
        metavar="RESULTS",
        help="keep the cases this partial results file decided; run only the rest",
    )
    add_pinned_option(parser)
    add_shard_options(parser)
    add_selection_options(parser)
    add_judge_options(parser)
    add_publish_options(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree: validate, run, demo, reference-harness."""

    parser = argparse.ArgumentParser(prog="voice-regress-gate", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="validate case files; exit 0 or 2")
    validate.add_argument("paths", nargs="*", metavar="PATH", help="case files or directories")
    validate.add_argument("--config", metavar="FILE", help="gate config to validate and use")
    add_pinned_option(validate)

    run = sub.add_parser("run", help="select → dispatch → evaluate → report")
    run.add_argument("--harness-url", help="harness base URL, or builtin[:BUG,…]")
    run.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="case files or directories (repeatable)",
    )
    _add_run_options(run)

    demo = sub.add_parser("demo", help="run the bundled examples on the reference harness")
    demo.add_argument("--bug", action="append", choices=BUGS, default=[], help="plant a regression")
    demo.add_argument("--cases", nargs="+", action="extend", metavar="PATH")
    _add_run_options(demo)

    ref = sub.add_parser("reference-harness", help="serve the bundled reference harness")
    ref.add_argument("--host", default="127.0.0.1")
    ref.add_argument("--port", type=int, default=8765)
    ref.add_argument("--bug", action="append", choices=BUGS, default=[], help="plant a regression")
    add_merge_parser(sub)
    add_select_parser(sub)
    add_history_parser(sub)
    add_lifecycle_parser(sub)
    add_judge_commands(sub)
    return parser


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


def add_select_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`select`: which cases a change selects and why, without a harness."""
    select = sub.add_parser("select", help="print which cases a change selects and why")
    select.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="case files or directories (repeatable)",
    )
    select.add_argument("--tier", choices=TIERS, help="which tier (default: auto)")
    select.add_argument("--format", choices=("text", "json"), default="text")
    select.add_argument(
        "--concurrency",
        type=positive_int,
        help="runs in flight, for the fast tier's minutes estimate",
    )
    select.add_argument(
        "--history",
        metavar="FILE",
        help="history file: ranks by recent failures, estimates durations",
    )
    add_selection_options(select)


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


def add_history_parser(sub: Any) -> None:
    """`history append RESULTS… --history FILE`."""
    history = sub.add_parser("history", help="keep the per-case history file (JSON lines)")
    actions = history.add_subparsers(dest="history_action", required=True, metavar="ACTION")
    append = actions.add_parser("append", help="append the outcomes of results files")
    append.add_argument("inputs", nargs="+", metavar="RESULTS", help="results files (--results)")
    append.add_argument("--history", required=True, metavar="FILE", help="the history file")


def add_lifecycle_parser(sub: Any) -> None:
    """`lifecycle --history FILE [--cases PATH…] [--demote-after-days N] … [--write]`."""

    parser = sub.add_parser(
        "lifecycle", help="propose demoting, archiving or resurrecting cases from the history"
    )
    add = parser.add_argument
    add("--history", required=True, metavar="FILE", help="the history file (JSON lines)")
    add(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="case files or directories (default: $VOICE_REGRESS_CASES, else the history alone)",
    )
    add(
        "--demote-after-days",
        type=positive_int,
        default=90,
        metavar="N",
        help="propose blocking → scheduled after N days without a failure (default: 90)",
    )
    add(
        "--archive-after-days",
        type=positive_int,
        default=180,
        metavar="N",
        help="propose archiving (level manual) after N days without a failure (default: 180)",
    )
    add("--write", action="store_true", help="apply the proposals to the case files")
    add("--now", type=parse_date, metavar="DATE", help="evaluate as of this date (default: now)")


def add_merge_parser(sub: Any) -> None:
    """`merge RESULTS… [--junit F] [--results F] [--fail-on P] [--fail-on-empty B] [--shards N]`."""

    merge = sub.add_parser("merge", help="combine the results of a sharded run into one verdict")
    merge.add_argument(
        "inputs",
        nargs="+",
        metavar="RESULTS",
        help="the results files of `run --shard I/N`, one per shard",
    )
    merge.add_argument("--junit", metavar="FILE", help="write the merged JUnit XML here")
    merge.add_argument("--results", metavar="FILE", help="write the merged results JSON here")
    merge.add_argument(
        "--fail-on", choices=FAIL_ON, help="which failing cases block (default: as the shards ran)"
    )
    merge.add_argument(
        "--fail-on-empty", type=parse_bool, help="fail when nothing ran (default: true)"
    )
    merge.add_argument(
        "--shards",
        type=positive_int,
        metavar="N",
        help="how many shards to expect (default: as the shards recorded)",
    )
    merge.add_argument(
        "--history", metavar="FILE", help="append the merged run's outcomes to this history file"
    )
    merge.add_argument(
        "--config",
        metavar="FILE",
        help="gate config: only checked for errors; nothing in it changes a merge",
    )
    add_publish_options(merge)


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
        help="judge votes per judged assertion and trial (odd; "
        "default: the assertion's votes, else 3)",
    )
    add("--cache-dir", metavar="DIR", help="verdict cache: an unchanged case costs no judge call")
    add(
        "--require-calibration",
        type=parse_bool,
        help="a judged assertion whose judge agrees "
        f"with its labelled examples less often than {THRESHOLD:.2f} is error (default: false)",
    )
    if record:
        add(
            "--record-runs",
            type=parse_bool,
            help="keep every trial's run in the results file, for rejudge (default: true)",
        )


def add_judge_commands(sub: Any) -> None:
    """The `rejudge` and `judge-check` subcommands."""
    rejudge = sub.add_parser(
        "rejudge",
        help="re-evaluate the runs recorded in a results file "
        "(changed assertions or judge); no harness calls",
    )
    rejudge.add_argument("results_file", metavar="RESULTS", help="results file of an earlier run")
    rejudge.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="the case files, as they are now (repeatable)",
    )
    rejudge.add_argument(
        "--calibrate",
        dest="require_calibration",
        action="store_const",
        const=True,
        help="same as --require-calibration true",
    )
    add_judge_options(rejudge)
    rejudge.add_argument("--fail-on", choices=FAIL_ON, help="which failing cases block")
    rejudge.add_argument("--fail-on-empty", type=parse_bool, help="fail when nothing ran")
    rejudge.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    rejudge.add_argument("--results", metavar="FILE", help="write the new results JSON here")
    rejudge.add_argument("--evidence-dir", metavar="DIR", help="write evidence here")
    check = sub.add_parser(
        "judge-check",
        help="run the judge on the labelled examples of judged assertions and report its agreement",
    )
    check.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="case files or directories (repeatable)",
    )
    add_judge_options(check, record=False)


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
