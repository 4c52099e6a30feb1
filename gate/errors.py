"""The gate's one exception tree; only `gate.cli` catches it and turns it into an exit code.

    GateError                          exit_code
     ├── InputError                    2   bad case files, config or flags: nothing was dispatched
     │    ├── CaseFileError            2   carries every Diagnostic of the run, not just the first
     │    │    └── ConfigError         2   (load.config) the gate config's diagnostics
     │    └── YamlError                2   (load.yamlcompose) a YAML text the safe reader refuses
     ├── HarnessError                  1   the harness cannot be used at all (401/403, protocol)
     └── PublishError                  1   writing a report or talking to GitHub failed
          └── GitHubApiError           1   (github.api) the REST API refused or stayed down

A failure of one case (timeout, 503 after retries, bad JSON) is never raised: it becomes that
case's `error` state, so one bad run cannot hide the others. These exceptions therefore never
leave the stage that raises them:

    RunFault (dispatch.protocol)       one trial has no evidence → that trial's `error`
     └── Retryable, Transient, Pending (dispatch.retry): what tenacity retries
    JudgeUnavailable (judge.client)    one vote could not be had → an error vote
    UnusableAnswer (judge.prompt)      one vote's answer is unusable → an abstention
    PatternError (globs)               a bad glob → a Diagnostic of the config or case
    RegexError (patterns)              a regex RE2 refuses → a Diagnostic at validate time
    TextTooLong (patterns)             a text past the search limit → that assertion's `error`
    RequestRejected (reference.app)    the reference harness's own 4xx answer
    AudioRejected (reference.asr)      an audio turn it cannot recognise → a RequestRejected 422
    _TooDeep, _Retryable, _Transient, _Rejected: private, caught in the module that raises them

Terminated (a KeyboardInterrupt) is SIGTERM: reports of what finished are written, exit 143.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    """One problem in an input file, located as `path:line:col: $.json.path: message`."""

    path: str
    line: int
    col: int
    json_path: str
    message: str
    severity: str = "error"  # "error" blocks the run; "warning" is reported only

    def __str__(self) -> str:
        # Raw: file names, JSON-path keys and quoted values are untrusted text, so whoever
        # prints a Diagnostic passes it through gate.text.log_line (the CLI does).
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.path}:{self.line}:{self.col}: {self.json_path}: {prefix}{self.message}"


class Terminated(KeyboardInterrupt):
    """SIGTERM (what a CI runner sends on cancel): handled like Ctrl-C, exit code 143."""


class GateError(Exception):
    """Base of every error the gate reports to the user instead of a traceback."""

    exit_code = 1


class InputError(GateError):
    """Case files, config or flags are invalid; nothing was dispatched."""

    exit_code = 2


class CaseFileError(InputError):
    """One or more input files are invalid; `diagnostics` lists every problem found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        super().__init__(f"{errors} error(s) in case files")


class HarnessError(GateError):
    """The harness cannot be used at all (credentials refused, wrong protocol major)."""


class PublishError(GateError):
    """A report could not be written or published."""
