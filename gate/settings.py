"""Resolve run settings: flags, then `VOICE_REGRESS_*` environment, then defaults."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.errors import InputError

ENV_PREFIX = "VOICE_REGRESS_"
TOKEN_ENV = "VOICE_REGRESS_HARNESS_TOKEN"
BOOLEANS = {"true": True, "false": False}


def parse_bool(text: str) -> bool:
    # YAML 1.2 core booleans only, as GitHub's toolkit reads them; "yes"/"1" are typos here.
    value = BOOLEANS.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 1, got {value}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected seconds > 0, got {value}")
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
    results: str | None = None
    evidence_dir: str | None = None
    token: str | None = field(default=None, repr=False)  # never printed


def _from_env(name: str, environ: Mapping[str, str], convert: Callable[[str], Any]) -> Any:
    var = ENV_PREFIX + name.upper()
    raw = environ.get(var, "").strip()
    if not raw:
        return None
    try:
        return convert(raw)
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise InputError(f"{var}: {exc}") from None


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {text!r}")
        return text

    return convert


def resolve(args: argparse.Namespace, environ: Mapping[str, str]) -> RunSettings:
    """Merge flags over environment over defaults; bad environment values are input errors."""
    from gate.selection import TIERS
    from gate.verdicts import FAIL_ON

    converters: dict[str, Callable[[str], Any]] = {
        "harness_url": str, "tier": _choice(TIERS), "concurrency": positive_int,
        "timeout": seconds, "retries": int, "trials": positive_int,
        "fail_on": _choice(FAIL_ON), "fail_on_empty": parse_bool, "junit": str, "results": str,
        "evidence_dir": str,
    }
    values: dict[str, Any] = {}
    for name, convert in converters.items():
        value = getattr(args, name, None)
        if value is None:
            value = _from_env(name, environ, convert)
        if value is not None:
            values[name] = value
    cases = list(getattr(args, "cases", None) or [])
    if not cases and environ.get(ENV_PREFIX + "CASES", "").strip():
        cases = environ[ENV_PREFIX + "CASES"].split()
    if not cases:
        raise InputError("no case paths: pass --cases PATH (or set VOICE_REGRESS_CASES)")
    if "harness_url" not in values:
        raise InputError("no harness: pass --harness-url URL (or builtin for the reference one)")
    if values.get("retries", 0) < 0:
        raise InputError(f"--retries must be ≥ 0, got {values['retries']}")
    token = environ.get(TOKEN_ENV, "").strip() or None
    return RunSettings(cases=cases, token=token, **values)
