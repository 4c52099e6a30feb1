"""Command line: parse argv, resolve settings, run a command; the only place GateError is caught."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from gate import __version__
from gate.errors import CaseFileError, GateError
from gate.evaluate.verdicts import FAIL_ON
from gate.settings import int_in, parse_bool, positive_int, seconds

ISSUES_URL = "https://github.com/org/voice-regress-gate/issues"


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `demo`; None means 'not given' so env/defaults can apply."""
    from gate.commands.rejudge import add_judge_options
    from gate.github.options import add_publish_options
    from gate.select.changes import add_selection_options
    from gate.select.selection import TIERS
    from gate.select.shard import add_shard_options

    add = parser.add_argument
    add("--tier", choices=TIERS, help="which cases run (default: auto)")
    add("--concurrency", type=positive_int, help="harness runs in flight at once (default: 8)")
    add("--timeout", type=seconds, help="seconds one run may take, polling included (default 120)")
    add("--retries", type=int_in(0), help="retries of a transient harness fault (default: 3)")
    add("--trials", type=positive_int, help="run every case N times (default: the case's trials)")
    add("--fail-on", choices=FAIL_ON, help="which failing cases block (default: blocking)")
    add("--fail-on-empty", type=parse_bool, help="fail when nothing ran (default: true)")
    add(
        "--fail-fast",
        type=parse_bool,
        nargs="?",
        const=True,
        metavar="B",
        help="once a blocking case has failed, start no new run; the cases not started are "
        "skipped as not run (default: false)",
    )
    add("--junit", metavar="FILE", help="write JUnit XML here")
    add("--results", metavar="FILE", help="write the results JSON here")
    add("--evidence-dir", metavar="DIR", help="write evidence of failing runs here")
    add_shard_options(parser)
    add_selection_options(parser)
    add_judge_options(parser)
    add_publish_options(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree: validate, run, demo, reference-harness."""
    from gate.commands.rejudge import add_judge_commands
    from gate.records.history import add_history_parser
    from gate.records.lifecycle import add_lifecycle_parser
    from gate.records.merge import add_merge_parser
    from gate.reference import BUGS
    from gate.select.changes import add_select_parser

    parser = argparse.ArgumentParser(prog="voice-regress-gate", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="validate case files; exit 0 or 2")
    validate.add_argument("paths", nargs="*", metavar="PATH", help="case files or directories")
    validate.add_argument("--config", metavar="FILE", help="gate config to validate and use")

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


def _report_error(exc: GateError, err: TextIO) -> None:
    if isinstance(exc, CaseFileError):
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=err)
    print(f"voice-regress-gate: error: {exc}", file=err)


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one command and return its exit code (0 pass, 1 gate failed, 2 bad input, 3 bug)."""
    from gate.commands.run import COMMAND_BY_NAME

    environ = os.environ if environ is None else environ
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return 0 if exc.code == 0 else 2
    try:
        return COMMAND_BY_NAME[args.command](args, environ, out, err)
    except GateError as exc:
        _report_error(exc, err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("voice-regress-gate: interrupted", file=err)
        return 130
    except BrokenPipeError:
        # `… | head` closed our output: the report was not read, so this is not a pass.
        return 1
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"voice-regress-gate: internal error ({type(exc).__name__}: {exc}). "
            f"This is a bug in the gate; please report it at {ISSUES_URL} "
            "with the output of --debug.",
            file=err,
        )
        return 3
