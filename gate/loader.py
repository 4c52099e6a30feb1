"""Stage 1: find case files and validate each one: YAML, JSON Schema, pydantic, lint."""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from pydantic import ValidationError as PydanticValidationError

from gate.errors import CaseFileError, Diagnostic
from gate.lint import compile_allowlist, lint_case
from gate.models import Case, LoadedCase
from gate.yamlsafe import YamlDocument, YamlError, json_path_join, parse_yaml

CASE_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 1_000_000  # a case is a small, reduced reproduction; PyYAML is slow on huge input
_TYPE_NAMES = {"object": "mapping", "array": "list", "string": "string", "integer": "integer",
               "number": "number", "boolean": "boolean", "null": "null"}


@dataclass(frozen=True)
class LoadResult:
    """Every case that validated, and every problem found in any file."""

    cases: list[LoadedCase]
    diagnostics: list[Diagnostic]
    files: list[str]  # every case file looked at, as shown in diagnostics

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics that block a run (warnings are only reported)."""
        return [d for d in self.diagnostics if d.severity == "error"]


@cache
def case_schema() -> dict[str, Any]:
    """The case file JSON Schema shipped in the package (draft 2020-12)."""
    text = resources.files("gate").joinpath("schemas/case.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(case_schema())


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the cwd when under it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except (ValueError, OSError):
        return absolute.as_posix()


def discover(paths: Sequence[str | Path]) -> list[tuple[Path, Path]]:
    """(case file, the directory argument it was found under) for every path, sorted.

    Directories are searched recursively for *.yaml/*.yml (hidden ones skipped); a file argument
    is taken as is, its root being its own folder.

    Raises:
        CaseFileError: a path does not exist or is not a file or directory.
    """
    found, problems = _discover(paths)
    if any(p.severity == "error" for p in problems):
        raise CaseFileError(problems)
    return found


def _discover(paths: Sequence[str | Path]) -> tuple[list[tuple[Path, Path]], list[Diagnostic]]:
    found: dict[str, tuple[Path, Path]] = {}  # by real path: a file named twice loads once
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            pairs = [(file, path) for file in _walk(path, problems)]
            if not pairs:
                problems.append(_diagnostic(path, "no *.yaml or *.yml case files found here",
                                            "warning"))
        elif path.is_file():
            pairs = [(path, path.parent)]
        else:
            reason = "not a file or directory" if path.exists() else "no such file or directory"
            problems.append(_diagnostic(path, reason))
            pairs = []
        for file, file_root in pairs:
            found.setdefault(os.path.realpath(file), (file, file_root))
    return list(found.values()), problems


def _walk(directory: Path, problems: list[Diagnostic]) -> list[Path]:
    files = []

    def unreadable(exc: OSError) -> None:
        problems.append(_diagnostic(Path(exc.filename or directory), f"cannot read: {exc}"))

    for current, dirs, names in os.walk(directory, onerror=unreadable):
        # hidden folders hold tool state (.git, .venv), hidden files editor leftovers
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += [Path(current, n) for n in names
                  if n.endswith(CASE_SUFFIXES) and not n.startswith(".")]
    return sorted(files, key=lambda f: f.relative_to(directory).as_posix())


def _diagnostic(path: Path, message: str, severity: str = "error") -> Diagnostic:
    return Diagnostic(display_path(path), 1, 1, "$", message, severity)


def default_case_id(file: Path, *roots: Path) -> str:
    """The file path relative to the first of `roots` holding it, without extension, '/'-joined."""
    absolute = Path(os.path.abspath(file))
    for root in map(os.path.abspath, roots):
        if absolute.is_relative_to(root):
            return absolute.relative_to(root).with_suffix("").as_posix()
    return Path(file.name).with_suffix("").as_posix()


def load_cases(paths: Sequence[str | Path], *, allowlist: Sequence[str] = (),
               root: str | Path | None = None) -> LoadResult:
    """Find, parse and validate every case file under `paths`; never raises on bad input.

    `allowlist` holds extra safe-fixture regexes from the gate config; `root` (the configured
    cases directory) makes default ids independent of how files were named on the command line.

    Raises:
        InputError: an `allowlist` pattern is not a valid regular expression.
    """
    compile_allowlist(allowlist)  # a bad config pattern is one error, not one per file
    files, diagnostics = _discover(paths)
    roots = [Path(root)] if root is not None else []
    cases: list[LoadedCase] = []
    first_by_id: dict[str, LoadedCase] = {}
    for file, file_root in files:
        checker = _FileChecker(file, default_case_id(file, *roots, file_root), allowlist)
        loaded, problems = checker.check()
        if loaded is not None:
            problems += _duplicate(loaded, first_by_id)
            if not any(p.severity == "error" for p in problems):
                cases.append(loaded)
        diagnostics += problems
    return LoadResult(cases, diagnostics, [display_path(f) for f, _ in files])


def _duplicate(case: LoadedCase, first_by_id: dict[str, LoadedCase]) -> list[Diagnostic]:
    first = first_by_id.setdefault(case.id, case)
    if first is case:
        return []
    json_path = "$.id" if case.case.id is not None else "$"
    line, col = case.locations.get(json_path, (case.line, 1))
    return [Diagnostic(case.file, line, col, json_path,
                       f"duplicate case id {case.id!r} (also the id of "
                       f"{first.file}:{first.line_of('$.id')})")]


class _FileChecker:
    """Validates one file; every problem becomes a located Diagnostic, nothing is raised."""

    def __init__(self, file: Path, default_id: str, allowlist: Sequence[str]) -> None:
        self.file, self.shown = file, display_path(file)
        self.default_id, self.allowlist = default_id, allowlist
        self.doc = YamlDocument(None, {}, {})

    def check(self) -> tuple[LoadedCase | None, list[Diagnostic]]:
        problem = self._parse()
        if problem is not None:
            return None, [problem]
        problems = [d for error in _validator().iter_errors(self.doc.data)
                    for d in self._schema_error(error)]
        case = None
        if not problems:
            case, problems = self._model()
        problems += lint_case(self.doc.data, self.doc.locations, self.shown, self.allowlist)
        problems = sorted(set(problems), key=lambda d: (d.line, d.col, d.json_path, d.message))
        if case is None:
            return None, problems
        return LoadedCase(id=case.id or self.default_id, file=self.shown, case=case,
                          line=self.doc.locations["$"][0], locations=self.doc.locations), problems

    def _parse(self) -> Diagnostic | None:
        try:
            if self.file.stat().st_size > MAX_FILE_BYTES:
                return Diagnostic(self.shown, 1, 1, "$", f"larger than {MAX_FILE_BYTES} bytes: "
                                  "a case file holds one small, sanitized case")
            raw = self.file.read_bytes()
            self.doc = parse_yaml(raw.decode("utf-8-sig"), self.shown)
        except OSError as exc:
            return Diagnostic(self.shown, 1, 1, "$", f"cannot read file: {exc.strerror or exc}")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            return Diagnostic(self.shown, line, 1, "$",
                              f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x})")
        except YamlError as exc:
            return Diagnostic(self.shown, exc.line, exc.col, exc.json_path, exc.message)
        if not isinstance(self.doc.data, dict):
            return self._at(["$"], f"a case file holds one YAML mapping, got "
                                   f"{_kind(self.doc.data)}")
        return None

    def _at(self, parts: Sequence[str | int], message: str, *, value: bool = False) -> Diagnostic:
        """Diagnostic at `parts` (json path elements after `$`), or its deepest located parent."""
        path = _json_path(parts)
        table = self.doc.values if value else self.doc.locations
        candidates = [path] + [_json_path(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
        where = next((table[p] for p in candidates if p in table), (1, 1))
        return Diagnostic(self.shown, *where, path, message)

    def _schema_error(self, error: ValidationError) -> Iterator[Diagnostic]:
        parts: list[str | int] = ["$", *error.absolute_path]
        instance, expected, schema = error.instance, _any(error.validator_value), _any(error.schema)
        if error.validator == "required":
            for key in expected:
                if isinstance(instance, dict) and key not in instance:
                    yield self._at(parts, f"missing required key {key!r}")
        elif error.validator == "additionalProperties" and isinstance(instance, dict):
            for key in _unknown_keys(instance, schema):
                yield self._at([*parts, key], _unknown_key_message(key, schema))
        elif error.validator == "anyOf":
            yield from self._any_of(error, parts)
        else:
            scalar = not isinstance(instance, dict | list)
            yield self._at(parts, _message(error), value=scalar)

    def _any_of(self, error: ValidationError, parts: list[str | int]) -> Iterator[Diagnostic]:
        branches = [_resolve(b) for b in _any(error.validator_value)]
        if all(e.validator == "required" for e in error.context):
            keys = [k for b in branches for k in b.get("required", [])]
            yield self._at(parts, f"needs at least one of: {', '.join(keys)}")
            return
        fitting = [i for i, b in enumerate(branches) if _fits(b, error.instance)]
        if len(fitting) == 1:  # the instance is meant as this branch: explain that branch
            for inner in error.context:
                if inner.relative_schema_path[0] == fitting[0]:
                    yield from self._schema_error(inner)
            return
        types = [_TYPE_NAMES[t] for b in branches for t in _types(b)]
        yield self._at(parts, f"expected {' or '.join(types)}, got {_kind(error.instance)}",
                       value=True)

    def _model(self) -> tuple[Case | None, list[Diagnostic]]:
        try:
            return Case.model_validate(self.doc.data), []
        except PydanticValidationError as exc:
            return None, [self._pydantic_error(e) for e in exc.errors(include_url=False)]

    def _pydantic_error(self, error: Any) -> Diagnostic:
        parts: list[str | int] = ["$"]
        node = self.doc.data
        for step in error["loc"]:  # union members add non-path steps: keep only real ones
            if isinstance(node, dict) and step in node or isinstance(node, list) and (
                    isinstance(step, int) and 0 <= step < len(node)):
                parts.append(step)
                node = node[step]
        if error["type"] == "missing":
            return self._at(parts, f"missing required key {error['loc'][-1]!r}")
        if error["type"] == "extra_forbidden":
            return self._at(parts, f"unknown key {parts[-1]!r}")
        message = re.sub(r"^Value error, ", "", str(error["msg"]))
        return self._at(parts, message, value=not isinstance(node, dict | list))


def _any(value: object) -> Any:
    # jsonschema's stubs type schema parts as `Unset | ...`; they are always set on real errors
    return value


def _json_path(parts: Sequence[str | int]) -> str:
    path = "$"
    for part in parts[1:]:
        path = json_path_join(path, part)
    return path


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(case_schema()["$defs"][ref.removeprefix("#/$defs/")])
    return schema


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _fits(schema: dict[str, Any], instance: Any) -> bool:
    return any(_validator().is_type(instance, t) for t in _types(schema)) or not _types(schema)


def _unknown_keys(instance: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]


def _unknown_key_message(key: str, schema: dict[str, Any]) -> str:
    known = list(schema.get("properties", {}))
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    extra = ", or a key ending in _id" if "_id$" in schema.get("patternProperties", {}) else ""
    return f"unknown key {key!r} (expected one of: {', '.join(known)}{extra})"


def _message(error: ValidationError) -> str:
    kind, expected, value = error.validator, _any(error.validator_value), error.instance
    if kind == "enum":
        close = difflib.get_close_matches(str(value), [str(e) for e in expected], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{_show(value)} is not one of {', '.join(map(str, expected))}{hint}"
    if kind == "const":
        return f"must be {json.dumps(expected)}, got {_show(value)}"
    if kind == "type":
        wanted = " or ".join(_TYPE_NAMES[t] for t in _types({"type": expected}))
        hint = ""
        if "boolean" in wanted and isinstance(value, str) and value.lower() in (
                "yes", "no", "on", "off", "y", "n"):
            hint = " (YAML 1.2: only true and false are booleans)"
        return f"expected {wanted}, got {_kind(value)}{hint}"
    if kind in ("minItems", "minLength", "minProperties") and expected == 1:
        return "must not be empty"
    if kind == "minimum":
        return f"must be >= {expected}, got {_show(value)}"
    if kind == "exclusiveMinimum":
        return f"must be > {expected}, got {_show(value)}"
    return error.message


def _kind(value: Any) -> str:
    """What a YAML value is, scalars shown: `string 'yes'`, `integer 3`, `null`, `mapping`."""
    if value is None or isinstance(value, dict | list):
        return "mapping" if isinstance(value, dict) else "list" if value is not None else "null"
    name = {bool: "boolean", int: "integer", float: "number"}.get(type(value), "string")
    return f"{name} {_show(value)}"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
