"""Run settings: flags, then `VOICE_REGRESS_*` environment, then the gate config, then defaults."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gate.errors import InputError
from gate.evaluate.verdicts import FAIL_ON
from gate.github.options import COMMENT_MODES, MAX_ANNOTATIONS, PublishOptions
from gate.models import MAX_CONCURRENCY, MAX_RETRIES, MAX_TIMEOUT_S, MAX_TRIALS, MAX_VOTES
from gate.records.history import parse_time
from gate.report.comment import KEY_PATTERN
from gate.report.junit import NON_BLOCKING as JUNIT_NON_BLOCKING
from gate.select.filters import LEVELS
from gate.select.model import TIERS

if TYPE_CHECKING:
    from gate.load.config import GateConfig
    from gate.select.model import ChangeContext

ENV_PREFIX = "VOICE_REGRESS_"
BOOLEANS = {"true": True, "false": False}


def parse_bool(text: str) -> bool:
    # YAML 1.2 core booleans only, as GitHub's toolkit reads them; "yes"/"1" are typos here.
    value = BOOLEANS.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


def int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """argparse type: a whole number from `low` to `high` (no upper bound when None)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            wanted = f"a number ≥ {low}" if high is None else f"{low} to {high}"
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {value}")
        return value

    return convert


positive_int = int_in(1)
# Flags, `VOICE_REGRESS_*` and the config's `defaults:` share these (the MAX_* of gate.models).
concurrency_count = int_in(1, MAX_CONCURRENCY)
retry_count = int_in(0, MAX_RETRIES)
trial_count = int_in(1, MAX_TRIALS)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    # `inf` and `nan` parse as floats: neither is a timeout (nan > 0 is false, so test it first)
    if not 0 < value <= MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(
            f"expected seconds > 0 and at most {MAX_TIMEOUT_S} (the limit), got {text.strip()}"
        )
    return value


def odd_int(text: str) -> int:
    # Judge votes: a majority of an even number can tie.
    value = int_in(1, MAX_VOTES)(text)
    if value % 2 == 0:
        raise argparse.ArgumentTypeError(
            f"expected an odd number (a tie cannot be broken), got {value}"
        )
    return value


@dataclass(frozen=True)
class RunSettings:
    """Everything `run` needs, already validated."""

    harness_url: str
    cases: list[str]
    tier: str = "auto"
    concurrency: int = 8
    timeout: float = 120.0
    retries: int = 3
    trials: int | None = None
    fail_on: str = "blocking"
    fail_on_empty: bool = True
    junit: str | None = None
    junit_non_blocking: str = "as-is"  # as-is | skipped: how a non-blocking failure is written
    junit_properties: bool = False  # testcase <properties> in the JUnit file
    results: str | None = None
    evidence_dir: str | None = None
    shard: tuple[int, int] | None = None  # --shard I/N (1-based)
    history: str | None = None  # history file: feeds shard balancing, gets this run appended
    judge_url: str | None = None  # OpenAI-compatible base URL, e.g. https://api.openai.com/v1
    judge_model: str | None = None  # a pinned (dated) model id
    votes: int | None = None  # --votes overrides every judged assertion's own `votes`
    cache_dir: str | None = None  # verdict cache; None: no cache
    require_calibration: bool = False  # judged assertions need ≥ 80% agreement with examples
    record_runs: bool = True  # the results file keeps every trial's run, for `rejudge`
    fail_fast: bool = False  # stop starting runs once a blocking case failed
    judge_concurrency: int | None = None  # judge requests in flight; None: `concurrency`
    judge_timeout: float = 60.0  # seconds one judge request may take once sent
    judge_retries: int = 4  # of a transient judge fault, after the first attempt
    judge_api_key: str | None = field(default=None, repr=False)  # never printed
    token: str | None = field(default=None, repr=False)  # never printed
    config: GateConfig | None = None  # .voice-regress.yml (or --config); None: no config
    changed_files: str | None = None  # --changed-files FILE, or - for standard input
    base: str | None = None  # --base SHA: select by `git diff base...head`
    head: str | None = None  # --head SHA (default HEAD)
    context: ChangeContext | None = None  # the GitHub event's change; None outside Actions
    workspace: str | None = None  # GITHUB_WORKSPACE: the repository root reports name files from
    resume: str | None = None  # --resume RESULTS: keep the cases a partial run decided
    baseline: str | None = None  # --baseline RESULTS: the base branch's last results file
    readiness: str | None = None  # --readiness FILE: write the readiness JSON here
    require_pinned: bool = False  # floating agent/judge models are errors (config: require_pinned)
    suites: Sequence[str] | None = None  # --suite NAME…: only cases of these suites
    levels: Sequence[str] | None = None  # --level LEVEL…: only cases at these promotion levels


def from_env(name: str, environ: Mapping[str, str], convert: Callable[[str], Any]) -> Any:
    """`VOICE_REGRESS_<NAME>` converted as its flag would be; None when unset or blank.

    Raises:
        InputError: the value is one the flag would refuse (the message names the variable).
    """
    var = ENV_PREFIX + name.upper()
    raw = environ.get(var, "").strip()
    if not raw:
        return None
    try:
        return convert(raw)
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise InputError(f"{var}: {exc}") from None


def flags_over_env(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    converters: Mapping[str, Callable[[str], Any]],
) -> dict[str, Any]:
    """Each setting from its flag (not None), else from `VOICE_REGRESS_*`; unset ones left out."""
    values: dict[str, Any] = {}
    for name, convert in converters.items():
        value = getattr(args, name, None)
        if value is None:
            value = from_env(name, environ, convert)
        if value is not None:
            values[name] = value
    return values


def choice(options: tuple[str, ...]) -> Callable[[str], str]:
    """argparse type (and env converter): one of `options`, else `expected one of …, got 'x'`."""

    def convert(text: str) -> str:
        if text not in options:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(options)}, got {text!r}")
        return text

    return convert


def case_paths(
    given: Sequence[str] | None, environ: Mapping[str, str], config: GateConfig
) -> list[str]:
    """The case paths: as given, else `VOICE_REGRESS_CASES`, else the config's `cases:`."""
    return list(given or []) or environ.get(ENV_PREFIX + "CASES", "").split() or config.case_roots()


def run_converters() -> dict[str, Callable[[str], Any]]:
    """How each `RunSettings` field is read from its flag's text (env and config defaults)."""

    return {
        "harness_url": str,
        "tier": choice(TIERS),
        "concurrency": concurrency_count,
        "timeout": seconds,
        "retries": retry_count,
        "trials": trial_count,
        "fail_on": choice(FAIL_ON),
        "fail_on_empty": parse_bool,
        "junit": str,
        "junit_non_blocking": choice(JUNIT_NON_BLOCKING),
        "junit_properties": parse_bool,
        "results": str,
        "evidence_dir": str,
        "shard": parse_shard,
        "history": str,
        "changed_files": str,
        "base": str,
        "head": str,
        "judge_url": str,
        "judge_model": str,
        "votes": odd_int,
        "cache_dir": str,
        "require_calibration": parse_bool,
        "record_runs": parse_bool,
        "resume": str,
        "baseline": str,
        "readiness": str,
        "fail_fast": parse_bool,
        "judge_concurrency": positive_int,
        "judge_timeout": seconds,
        "judge_retries": int_in(0),
        "require_pinned": parse_bool,
        "suites": names,
        "levels": levels,
    }


def names(text: str) -> list[str]:
    """Environment form of a repeatable flag: names separated by commas or spaces."""
    return [n for n in text.replace(",", " ").split() if n]


def levels(text: str) -> list[str]:
    """`VOICE_REGRESS_LEVELS`: promotion levels, each one of LEVELS."""
    return [choice(LEVELS)(n) for n in names(text)]


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


def publish_options(args: argparse.Namespace, environ: Mapping[str, str]) -> PublishOptions:
    """Flags over `VOICE_REGRESS_COMMENT_MODE` etc. over defaults; a bad variable is exit 2."""
    return PublishOptions(**flags_over_env(args, environ, _CONVERTERS))


def parse_date(text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO-8601 date, got {text!r}") from None


_SHARD_FORMAT = "expected I/N with 1 <= I <= N, e.g. 2/4"


def parse_shard(text: str) -> tuple[int, int]:
    """`"2/4"` → `(2, 4)`; 1-based like a CI matrix index (argparse type, also for the env)."""
    index, slash, total = text.strip().partition("/")
    try:
        pair = (int(index), int(total))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_SHARD_FORMAT}, got {text!r}") from None
    if not slash or not 1 <= pair[0] <= pair[1]:
        raise argparse.ArgumentTypeError(f"{_SHARD_FORMAT}, got {text!r}")
    return pair
