"""Command line: parse argv, resolve settings, run a command; the only place GateError is caught."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import metadata
from typing import TextIO, cast

from gate.cli.parser import core_parser
from gate.cli.subparsers import (
    add_harness_check_parser,
    add_history_parser,
    add_init_parser,
    add_judge_commands,
    add_lifecycle_parser,
    add_merge_parser,
    add_new_case_parser,
    add_select_parser,
)
from gate.commands.harness_check import harness_check_command
from gate.commands.history import history_command
from gate.commands.init import init_command
from gate.commands.lifecycle import lifecycle_command
from gate.commands.merge import merge_command
from gate.commands.new_case import new_case_command
from gate.commands.reference import reference_harness_command
from gate.commands.rejudge import judge_check_command, rejudge_command
from gate.commands.run import demo_command, run_command
from gate.commands.select import select_command
from gate.commands.validate import validate_command
from gate.errors import CaseFileError, GateError, InputError, Terminated
from gate.github.environment import action_home, github_secrets
from gate.net import SECRET_ENVS, URL_ENVS
from gate.redact import MaskedStream, Redactor, active, url_secrets
from gate.text import log_line

# Where the package itself says to report bugs (pyproject's [project.urls] Issues), if not found.
ISSUES_URL = "https://github.com/org/voice-regress-gate/issues"


def issues_url(environ: Mapping[str, str]) -> str:
    """Where to report a bug: the issues of the Action's own repository when the gate runs as
    an Action (wherever it was installed from: a fork or a vendored copy is its own home), else
    the installed package's `Issues` URL."""
    home = action_home(environ)
    if home is not None:
        return f"{home}/issues"
    try:
        urls = metadata.metadata("voice-regress-gate").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    named = dict(url.split(", ", 1) for url in urls if ", " in url)
    return str(named.get("Issues", ISSUES_URL))


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree: every subcommand and its options."""
    parser, sub = core_parser()
    for add in (
        add_merge_parser,
        add_select_parser,
        add_history_parser,
        add_lifecycle_parser,
        add_judge_commands,
        add_new_case_parser,
        add_harness_check_parser,
        add_init_parser,
    ):
        add(sub)
    return parser


def _report_error(exc: GateError, err: TextIO) -> None:
    if isinstance(exc, CaseFileError):
        for diagnostic in exc.diagnostics:
            print(log_line(str(diagnostic)), file=err)  # names files: untrusted text
    print(log_line(f"voice-regress-gate: error: {exc}"), file=err)  # may name a file


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one command and return its exit code (0 pass, 1 gate failed, 2 bad input, 3 bug)."""
    environ = os.environ if environ is None else environ
    argv = sys.argv[1:] if argv is None else list(argv)
    with active(_redactor(argv, environ)):
        # Every text this command prints passes the run's one redaction point.
        out = cast(TextIO, MaskedStream(out or sys.stdout))
        err = cast(TextIO, MaskedStream(err or sys.stderr))
        with _sigterm_interrupts():
            return _main(argv, environ, out, err)


def script() -> int:
    """The console script (and `python -m gate`): `main()` in a process that ends right after.
    Its objects are first moved out of the cyclic collector's sight: the interpreter's last
    full collection would walk every one of them (the imports', a loaded suite's) only to free
    memory the process hands back anyway, 60–90 ms of every command. (Not in `main`: a process
    that runs it many times, the tests, must keep collecting.)"""
    code = main()
    gc.freeze()
    return code


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises Terminated (a KeyboardInterrupt), so a cancelled CI job writes the reports
    of what finished, exactly as Ctrl-C does. Only the main thread can own a signal."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _redactor(argv: Sequence[str], environ: Mapping[str, str]) -> Redactor:
    """The secrets of this command: credentials in the environment and in any URL given."""
    # `--harness-url=URL` carries its URL after the `=`; a URL on its own may hold `=` itself
    # (`?key=…`): cut there, its query secrets were never registered.
    given = [a.partition("=")[2] if a.startswith("-") else a for a in argv if "://" in a]
    urls = given + [environ.get(n, "") for n in URL_ENVS]
    return Redactor.of(
        [environ.get(name) for name in SECRET_ENVS]
        + github_secrets(environ)
        + [secret for url in urls for secret in url_secrets(url)]
    )


def _main(argv: Sequence[str], environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    parser = build_parser()
    try:
        # argparse prints usage errors, --help and --version itself: through our streams too.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return 0 if exc.code == 0 else 2
    try:
        _working_directory()
        return COMMAND_BY_NAME[args.command](args, environ, out, err)
    except GateError as exc:
        _report_error(exc, err)
        return exc.exit_code
    except Terminated:
        print("voice-regress-gate: terminated (SIGTERM)", file=err)
        return 143
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
            log_line(
                f"voice-regress-gate: internal error ({type(exc).__name__}: {exc}). "
                f"This is a bug in the gate; please report it at {issues_url(environ)} "
                "with the output of --debug."
            ),
            file=err,
        )
        return 3


def _working_directory() -> None:
    """Every command reads relative paths and discovers its config from here.

    Raises:
        InputError: the current directory was deleted under the shell (exit 2, not a crash).
    """
    try:
        os.getcwd()
    except FileNotFoundError:
        raise InputError(
            "the current directory no longer exists: cd into your repository and run again"
        ) from None


Command = Callable[[argparse.Namespace, Mapping[str, str], TextIO, TextIO], int]

COMMAND_BY_NAME: dict[str, Command] = {
    "validate": validate_command,
    "run": run_command,
    "demo": demo_command,
    "reference-harness": reference_harness_command,
    "merge": merge_command,
    "select": select_command,
    "history": history_command,
    "lifecycle": lifecycle_command,
    "rejudge": rejudge_command,
    "judge-check": judge_check_command,
    "new-case": new_case_command,
    "harness-check": harness_check_command,
    "init": init_command,
}
