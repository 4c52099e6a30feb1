"""The gate config `.voice-regress.yml`: validated like a case file, with the same diagnostics."""

from __future__ import annotations

import argparse
import difflib
import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gate.errors import CaseFileError, Diagnostic, InputError
from gate.git import repo_root, run_git
from gate.globs import PatternError, compile_filter
from gate.load.config_patterns import pattern_errors
from gate.load.loader import LoadResult, load_cases
from gate.load.paths import display_path
from gate.load.schema_messages import Locator, SchemaReporter  # case files' error format, reused
from gate.load.schemas import packaged_validator
from gate.load.yamlsafe import YamlError, parse_yaml
from gate.models import LoadedCase, Location

CONFIG_NAME = ".voice-regress.yml"
CONFIG_ENV = "VOICE_REGRESS_CONFIG"
# The first three name kinds of change; release_candidate fires on release events, not on paths.
BUILTIN_TRIGGERS = ("prompt_change", "tool_schema_change", "workflow_change", "release_candidate")
DEFAULT_MAX_CASES = 100  # seed 001: ~100 highest-value scenarios on every PR…
DEFAULT_MAX_MINUTES = 10.0  # …in under 10 minutes
MAX_CONFIG_BYTES = 1_000_000
DEFAULT_ARCHIVED_EVERY_DAYS = 7  # seed 001: archived cases still run, on a slower cadence


class ConfigError(CaseFileError):
    """The gate config is invalid; `diagnostics` lists every problem in it."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(diagnostics)
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        self.args = (f"{errors} error(s) in the gate config",)


@dataclass(frozen=True)
class GateConfig:
    """The validated config; `path` is None when there is no config file (all defaults)."""

    path: str | None = None
    folder: str = "."  # the config file's folder: `cases` and the repo-relative path hang off it
    cases: tuple[str, ...] = ()
    pattern_syntax: str = "github"
    triggers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    always_full: tuple[str, ...] = ()
    max_cases: int = DEFAULT_MAX_CASES
    max_minutes: float = DEFAULT_MAX_MINUTES
    pii_allowlist: tuple[str, ...] = ()
    require_pinned: bool = False  # floating agent and judge models are errors, not warnings
    defaults: Mapping[str, int] = field(default_factory=dict)
    readiness: Mapping[str, float] = field(default_factory=dict)  # thresholds given; else defaults
    archived_every_days: int = DEFAULT_ARCHIVED_EVERY_DAYS
    locations: Mapping[str, Location] = field(default_factory=dict, repr=False)

    def case_roots(self) -> list[str]:
        """`cases` as paths usable from the working directory."""
        return [display_path(Path(self.folder, root)) for root in self.cases]

    def id_roots(self) -> list[str]:
        """The configured cases folders that exist: a default case id is relative to the first
        of them holding the file, whichever folder or file was passed on the command line."""
        return [r for r in self.case_roots() if os.path.isdir(r)]

    def line_of(self, json_path: str) -> Location:
        return self.locations.get(json_path, (1, 1))


def find_config(explicit: str | None, environ: Mapping[str, str], repo: Path | None) -> Path | None:
    """`--config`, else `VOICE_REGRESS_CONFIG`, else the nearest `.voice-regress.yml` from the
    working directory up to the repository root `repo`, else None.

    Raises:
        InputError: a config named by flag or environment does not exist.
    """
    named = explicit or environ.get(CONFIG_ENV, "").strip() or None
    if named is not None:
        if not Path(named).is_file():
            source = "--config" if explicit else CONFIG_ENV
            raise InputError(f"{source}: no such file: {named}")
        return Path(named)
    here = Path.cwd()
    folders = [here]
    if repo is not None and here.is_relative_to(repo):
        folders += [p for p in here.parents if p.is_relative_to(repo)]
    return next((f / CONFIG_NAME for f in folders if (f / CONFIG_NAME).is_file()), None)


def load_config(path: Path | None) -> GateConfig:
    """Read and validate the config at `path`; the defaults when `path` is None.

    Raises:
        ConfigError: every problem found, each as `path:line:col: $.json.path: message`.
    """
    if path is None:
        return GateConfig()
    shown = display_path(path)
    data, locations, values = _parse(path, shown)
    locator = Locator(shown, locations, values)
    problems = list(_schema_errors(data, locator))
    if isinstance(data, dict):
        problems += pattern_errors(data, locator)
    if problems:
        raise ConfigError(sorted(set(problems), key=lambda d: (d.line, d.col, d.json_path)))
    return _build(data, path, shown, locations)


def _parse(path: Path, shown: str) -> tuple[Any, dict[str, Location], dict[str, Location]]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                [Diagnostic(shown, 1, 1, "$", f"larger than {MAX_CONFIG_BYTES} bytes")]
            )
        text = path.read_bytes().decode("utf-8-sig")
        if not any(ln.strip() and not ln.lstrip().startswith("#") for ln in text.splitlines()):
            return {}, {"$": (1, 1)}, {"$": (1, 1)}  # empty or only comments: every default
        doc = parse_yaml(text, shown)
    except OSError as exc:
        raise InputError(f"cannot read the gate config {shown}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError([Diagnostic(shown, 1, 1, "$", "not UTF-8 text")]) from None
    except YamlError as exc:
        raise ConfigError(
            [Diagnostic(shown, exc.line, exc.col, exc.json_path, exc.message)]
        ) from None
    return doc.data, doc.locations, doc.values


def _schema_errors(data: Any, locator: Locator) -> Iterator[Diagnostic]:
    validator = packaged_validator("config.schema.json")
    reporter = SchemaReporter(validator, locator)
    for error in validator.iter_errors(data):
        if "propertyNames" in error.schema_path:  # the only key pattern: `triggers:` names
            yield locator.at(
                ["$", *error.absolute_path, str(error.instance)],
                f"trigger name {error.instance!r} must be lower_snake_case (a-z, 0-9, _)",
            )
        else:
            yield from reporter.diagnostics(error)


def _build(
    data: Mapping[str, Any], path: Path, shown: str, locations: Mapping[str, Location]
) -> GateConfig:
    fast = data.get("fast_tier", {})
    return GateConfig(
        path=shown,
        folder=os.path.dirname(os.path.abspath(path)),
        cases=tuple(data.get("cases", ())),
        pattern_syntax=data.get("pattern_syntax", "github"),
        triggers={name: tuple(p) for name, p in data.get("triggers", {}).items()},
        always_full=tuple(data.get("always_full", ())),
        max_cases=fast.get("max_cases", DEFAULT_MAX_CASES),
        max_minutes=float(fast.get("max_minutes", DEFAULT_MAX_MINUTES)),
        pii_allowlist=tuple(data.get("pii_allowlist", ())),
        require_pinned=bool(data.get("require_pinned", False)),
        defaults=dict(data.get("defaults", {})),
        readiness=dict(data.get("readiness", {})),
        archived_every_days=data.get("nightly", {}).get(
            "archived_every_days", DEFAULT_ARCHIVED_EVERY_DAYS
        ),
        locations=dict(locations),
    )


# --- the config meets the cases --------------------------------------------------------


def discover_config(
    explicit: str | None, environ: Mapping[str, str], repo: Path | None = None
) -> GateConfig:
    """Find (flag, environment, `.voice-regress.yml` at the repository root) and load.

    Raises:
        InputError: a named config is missing; ConfigError: the config is invalid.
    """
    return load_config(find_config(explicit, environ, repo or repo_root(run_git())))


def config_defaults(
    config: GateConfig, converters: Mapping[str, Callable[[str], Any]]
) -> dict[str, Any]:
    """`defaults:` as run settings, each checked as its flag would be (votes must be odd…).

    Raises:
        ConfigError: a default its flag would refuse.
    """
    values: dict[str, Any] = {}
    problems = []
    for name, value in config.defaults.items():
        try:
            values[name] = converters[name](str(value))
        except (argparse.ArgumentTypeError, ValueError) as exc:
            json_path = f"$.defaults.{name}"
            problems.append(
                Diagnostic(
                    config.path or CONFIG_NAME, *config.line_of(json_path), json_path, str(exc)
                )
            )
    if problems:
        raise ConfigError(problems)
    return values


def check_cases(cases: Sequence[LoadedCase], config: GateConfig) -> list[Diagnostic]:
    """Case ↔ config consistency: a trigger typo or a bad `paths` glob would silently keep a case
    out of the fast tier, so with configured triggers an unknown one is an error."""
    known = [*BUILTIN_TRIGGERS, *(t for t in config.triggers if t not in BUILTIN_TRIGGERS)]
    problems = []
    for case in cases:
        for index, name in enumerate(case.case.promotion.run_on):
            if name not in known:
                problems.append(_unknown_trigger(case, index, name, known, config))
        for index, pattern in enumerate(case.case.paths or []):
            problem = _glob_problem(pattern.removeprefix("!") or pattern, config.pattern_syntax)
            if problem is not None:
                problems.append(_case_at(case, f"$.paths[{index}]", problem))
    return problems + _unmapped(cases, config)


@functools.lru_cache(maxsize=4096)
def _glob_problem(pattern: str, syntax: str) -> str | None:
    """Why `pattern` is not a glob of `syntax`, else None; cached: cases of one folder repeat
    their `paths`, and compiling 20,000 of them took a third of a second."""
    try:
        compile_filter([pattern], syntax)
    except PatternError as exc:
        return str(exc)
    return None


def _unmapped(cases: Sequence[LoadedCase], config: GateConfig) -> list[Diagnostic]:
    """Built-in triggers cases rely on but `triggers:` leaves out: they never fire on a change."""
    if not config.triggers or config.path is None:
        return []  # no triggers at all: every change runs the whole fast tier anyway
    used: dict[str, int] = {}
    for case in cases:
        for name in set(case.case.promotion.run_on) & set(BUILTIN_TRIGGERS[:3]):
            used[name] = used.get(name, 0) + 1
    return [
        Diagnostic(
            config.path,
            *config.line_of("$.triggers"),
            "$.triggers",
            f"{name} is in the run_on of {count} case(s) but has no globs here: it "
            "never fires on a change",
            "warning",
        )
        for name, count in sorted(used.items())
        if name not in config.triggers
    ]


def _unknown_trigger(
    case: LoadedCase, index: int, name: str, known: list[str], config: GateConfig
) -> Diagnostic:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    where = config.path or f"a {CONFIG_NAME}"
    message = (
        f"unknown trigger {name!r} ({hint}known: {', '.join(known)}; define your own "
        f"under triggers: in {where})"
    )
    return _case_at(
        case, f"$.promotion.run_on[{index}]", message, "error" if config.triggers else "warning"
    )


def _case_at(case: LoadedCase, json_path: str, message: str, severity: str = "error") -> Diagnostic:
    line, col = case.locations.get(json_path, (case.line_of(json_path), 1))
    return Diagnostic(case.file, line, col, json_path, message, severity)


def load_with_config(
    paths: Sequence[str], config: GateConfig | None, require_pinned: bool = False
) -> LoadResult:
    """`load_cases` with the config's allowlist, id root and `require_pinned` (or the flag's),
    plus the case ↔ config checks."""
    config = config or GateConfig()
    pinned = require_pinned or config.require_pinned
    loaded = load_cases(
        paths, allowlist=config.pii_allowlist, root=config.id_roots(), require_pinned=pinned
    )
    return replace(loaded, diagnostics=loaded.diagnostics + check_cases(loaded.cases, config))
