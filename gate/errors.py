"""The gate's one exception tree; only `gate.cli` catches it and turns it into an exit code.

    GateError                      exit_code
     ├── InputError                2   bad case files, config or flags: nothing was dispatched
     │    └── CaseFileError        2   carries every Diagnostic of the run, not just the first
     ├── HarnessError              1   the harness cannot be used at all (401/403, wrong protocol)
     ├── JudgeError                1   the judge cannot be used at all (bad URL, no key)
     └── PublishError              1   writing a report or talking to GitHub failed

A failure of one case (timeout, 503 after retries, bad JSON) is never raised: it becomes that
case's `error` state, so one bad run cannot hide the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate.text import log_line


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
        # file names, keys in the JSON path and quoted values are untrusted text
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return log_line(
            f"{self.path}:{self.line}:{self.col}: {self.json_path}: {prefix}{self.message}"
        )


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


class JudgeError(GateError):
    """The judge cannot be used at all."""


class PublishError(GateError):
    """A report could not be written or published."""
