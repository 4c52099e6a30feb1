"""The subcommands beside run and demo: their argparse parsers (argparse lives in gate/cli only)."""

from __future__ import annotations

import argparse
from typing import Any

from gate.cli.options import (
    add_judge_options,
    add_junit_options,
    add_publish_options,
    add_selection_options,
)
from gate.evaluate.verdicts import (
    FAIL_ON,
)
from gate.models import MAX_DAYS
from gate.select.model import TIERS
from gate.settings import (
    concurrency_count,
    int_in,
    parse_bool,
    parse_date,
    positive_int,
    seconds,
)


def add_new_case_parser(sub: Any) -> None:
    """`new-case --from-evidence PACKET | --from-results RESULTS --case ID [--out DIR] …`."""
    parser = sub.add_parser(
        "new-case", help="draft a sanitized case file from an evidence packet or a recorded run"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from-evidence",
        metavar="PACKET",
        help="evidence packet, JSON or YAML (docs/evidence-packet.md)",
    )
    source.add_argument(
        "--from-results",
        metavar="RESULTS",
        help="results file of a run (--results) holding the run",
    )
    add = parser.add_argument
    add(
        "--case", metavar="ID", help="with --from-results: the case whose failing run to draft from"
    )
    add("--out", metavar="DIR", help="folder to write the draft and its manifest to (default: .)")
    add(
        "--last-turns",
        type=positive_int,
        metavar="N",
        help="script only the last N caller turns before the failure (default: all)",
    )
    add(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="the suite to check for near-duplicates (default: $VOICE_REGRESS_CASES, the config's "
        "cases, else --out)",
    )


def add_harness_check_parser(sub: Any) -> None:
    """`harness-check URL [--timeout S]`."""
    parser = sub.add_parser(
        "harness-check", help="check that a harness speaks the protocol; say what to fix"
    )
    parser.add_argument("url", metavar="URL", help="harness base URL, or builtin[:BUG,…]")
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=30.0,
        metavar="S",
        help="seconds each scenario may take (default: 30)",
    )


def add_init_parser(sub: Any) -> None:
    """`init [--dir DIR] [--force]`."""
    init = sub.add_parser(
        "init",
        help="write .voice-regress.yml, a first case in voice-tests/ and a pull request workflow",
    )
    init.add_argument(
        "--dir",
        metavar="DIR",
        help="the repository to set up (default: the git repository of the working directory)",
    )
    init.add_argument("--force", action="store_true", help="replace files that already exist")


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
    select.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people, json for scripts (default: text)",
    )
    select.add_argument(
        "--concurrency",
        type=concurrency_count,
        metavar="N",
        help="runs in flight, for the fast tier's minutes estimate",
    )
    select.add_argument(
        "--history",
        metavar="FILE",
        help="history file: ranks by recent failures, estimates durations",
    )
    add_selection_options(select)


def add_history_parser(sub: Any) -> None:
    """`history append RESULTS… --history FILE`."""
    history = sub.add_parser("history", help="keep the per-case history file (JSON lines)")
    actions = history.add_subparsers(dest="history_action", required=True, metavar="ACTION")
    append = actions.add_parser("append", help="append the outcomes of results files")
    append.add_argument("inputs", nargs="+", metavar="RESULTS", help="results files (--results)")
    append.add_argument("--history", required=True, metavar="FILE", help="the history file")


_DAYS = int_in(1, MAX_DAYS)  # beyond it a date overflows


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
        type=_DAYS,
        default=90,
        metavar="N",
        help="propose blocking → scheduled after N days without a failure (default: 90)",
    )
    add(
        "--archive-after-days",
        type=_DAYS,
        default=180,
        metavar="N",
        help="propose archiving (level manual) after N days without a failure (default: 180)",
    )
    add("--write", action="store_true", help="apply the proposals to the case files")
    add("--now", type=parse_date, metavar="DATE", help="evaluate as of this date (default: now)")


def add_merge_parser(sub: Any) -> None:
    """`merge RESULTS… [--shards N] [--fail-on P] [--fail-on-empty BOOL] [reports]`."""

    merge = sub.add_parser("merge", help="combine the results of a sharded run into one verdict")
    merge.add_argument(
        "inputs",
        nargs="+",
        metavar="RESULTS",
        help="the results files of `run --shard I/N`, one per shard",
    )
    add_junit_options(merge, "write the merged JUnit XML here")
    merge.add_argument("--results", metavar="FILE", help="write the merged results JSON here")
    merge.add_argument(
        "--fail-on", choices=FAIL_ON, help="which failing cases block (default: as the shards ran)"
    )
    merge.add_argument(
        "--fail-on-empty",
        type=parse_bool,
        metavar="BOOL",
        help="fail when nothing ran (default: true)",
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
        help="gate config: checked for errors; only its readiness thresholds change a merge",
    )
    add_publish_options(merge)


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
    rejudge.add_argument(
        "--fail-on-empty", type=parse_bool, metavar="BOOL", help="fail when nothing ran"
    )
    add_junit_options(rejudge)
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
