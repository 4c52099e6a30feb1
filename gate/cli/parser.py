"""Command line: parse argv, resolve settings, run a command; the only place GateError is caught."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence
from typing import Any

from gate import __version__
from gate.cli.options import (
    add_judge_options,
    add_junit_options,
    add_pinned_option,
    add_publish_options,
    add_selection_options,
    add_shard_options,
)
from gate.evaluate.verdicts import (
    FAIL_ON,
)
from gate.reference import BUGS
from gate.select.model import TIERS
from gate.settings import (
    concurrency_count,
    parse_bool,
    retry_count,
    seconds,
    trial_count,
)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `demo`; None means 'not given' so env/defaults can apply."""

    add = parser.add_argument
    add("--tier", choices=TIERS, help="which cases run (default: auto)")
    add(
        "--concurrency",
        type=concurrency_count,
        metavar="N",
        help="harness runs in flight at once (default: 8)",
    )
    add(
        "--timeout",
        type=seconds,
        metavar="S",
        help="seconds one run may take, polling included (default: 120)",
    )
    add(
        "--retries",
        type=retry_count,
        metavar="N",
        help="retries of a transient harness fault (default: 3)",
    )
    add(
        "--trials",
        type=trial_count,
        metavar="N",
        help="run every case N times (default: the case's trials)",
    )
    add(
        "--fail-on",
        choices=FAIL_ON,
        help="which failing cases block; new: only blocking cases the baseline does not show "
        "failing already (default: blocking)",
    )
    add(
        "--fail-on-empty",
        type=parse_bool,
        metavar="BOOL",
        help="fail when nothing ran (default: true)",
    )
    add(
        "--fail-fast",
        type=parse_bool,
        nargs="?",
        const=True,
        metavar="BOOL",
        help="once a blocking case has failed, start no new run; the cases not started are "
        "skipped as not run (default: false)",
    )
    add_junit_options(parser)
    add("--results", metavar="FILE", help="write the results JSON here")
    add("--evidence-dir", metavar="DIR", help="write evidence of failing runs here")
    add(
        "--resume",
        metavar="RESULTS",
        help="keep the cases this partial results file decided; run only the rest",
    )
    add(
        "--baseline",
        metavar="RESULTS",
        help="the base branch's last results file: label each case new, pre-existing, fixed, "
        "flaky-on-base, unchanged or added (needed by --fail-on new)",
    )
    add(
        "--readiness",
        metavar="FILE",
        help="write the release readiness report (JSON) here; the release tier always checks it",
    )
    add_pinned_option(parser)
    add_shard_options(parser)
    add_selection_options(parser)
    add_judge_options(parser)
    add_publish_options(parser)


_EPILOG = """\
The settings of run and demo can also come from the environment: VOICE_REGRESS_<FLAG>
(upper case, - as _), e.g. VOICE_REGRESS_HARNESS_URL, VOICE_REGRESS_CASES. Secrets come
only from the environment: VOICE_REGRESS_HARNESS_TOKEN, VOICE_REGRESS_JUDGE_API_KEY (or
OPENAI_API_KEY), GITHUB_TOKEN. Flags win over the environment, which wins over the config.

exit codes: 0 passed, 1 the gate failed, 2 bad input, 3 a bug in the gate, 130 interrupted,
143 terminated (SIGTERM)
"""


class Parser(argparse.ArgumentParser):
    """argparse, with a did-you-mean for a misspelt `--flag` (its subcommands are Parsers too)."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        flags = [o for o in self._option_string_actions if o.startswith("--")]
        for extra in extras:
            flag = extra.partition("=")[0]
            close = difflib.get_close_matches(flag, flags, n=1) if flag.startswith("--") else []
            if close:
                self.error(f"unrecognized argument {flag}: did you mean {close[0]}?")
        return parsed, extras


def core_parser() -> tuple[argparse.ArgumentParser, Any]:
    """The top-level parser with the pipeline's own commands (validate, run, demo,
    reference-harness); `gate.cli.build_parser` adds the others to the returned subparsers."""

    parser = Parser(
        prog="voice-regress-gate",
        description="The CI gate that turns failed voice-agent calls into regression cases "
        "and blocks the merge that brings a failure back.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="validate case files; exit 0 or 2")
    validate.add_argument("paths", nargs="*", metavar="PATH", help="case files or directories")
    validate.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        default=[],
        metavar="PATH",
        help="case files or directories, as `run --cases` takes them (repeatable)",
    )
    validate.add_argument("--config", metavar="FILE", help="gate config to validate and use")
    add_pinned_option(validate)

    run = sub.add_parser("run", help="select → dispatch → evaluate → report")
    run.add_argument("--harness-url", metavar="URL", help="harness base URL, or builtin[:BUG,…]")
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
    demo.add_argument(
        "--cases",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="case files or directories (default: examples/cases)",
    )
    _add_run_options(demo)

    ref = sub.add_parser("reference-harness", help="serve the bundled reference harness")
    ref.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to listen on (default: 127.0.0.1)",
    )
    ref.add_argument(
        "--port", type=int, default=8765, metavar="PORT", help="port to listen on (default: 8765)"
    )
    ref.add_argument("--bug", action="append", choices=BUGS, default=[], help="plant a regression")
    return parser, sub
