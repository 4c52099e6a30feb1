"""JSON Schema errors as located, readable diagnostics: case files and the gate config alike."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from gate.errors import Diagnostic
from gate.models import Location, json_path_join

TYPE_NAMES = {
    "object": "mapping",
    "array": "list",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}


def json_path(parts: Sequence[str | int]) -> str:
    """The JSON path of `parts`, whose first element is the root: `["$", "a", 0]` → `$.a[0]`."""
    path = "$"
    for part in parts[1:]:
        path = json_path_join(path, part)
    return path


@dataclass(frozen=True)
class Locator:
    """Places messages in one parsed file, at a JSON path or else at its deepest located parent.

    `locations` and `values` are `gate.yamlsafe.YamlDocument`'s: where an entry is written (its
    key, its `- `) and where its value starts.
    """

    file: str  # as diagnostics show it
    locations: Mapping[str, Location]
    values: Mapping[str, Location]

    def at(
        self,
        parts: Sequence[str | int],
        message: str,
        *,
        value: bool = False,
        severity: str = "error",
    ) -> Diagnostic:
        """A Diagnostic at `parts` (see `json_path`); `value` points at the value, not the key."""
        table = self.values if value else self.locations
        paths = [json_path(parts[:n]) for n in range(len(parts), 0, -1)]
        where = next((table[p] for p in paths if p in table), (1, 1))
        return Diagnostic(self.file, *where, paths[0], message, severity)


@dataclass(frozen=True)
class SchemaReporter:
    """Every error `validator` finds in a document, worded for people and located by `locator`."""

    validator: Draft202012Validator
    locator: Locator

    def check(self, data: Any) -> list[Diagnostic]:
        """Diagnostics for everything the schema rejects in `data` (empty when it is valid)."""
        return [d for error in self.validator.iter_errors(data) for d in self.diagnostics(error)]

    def diagnostics(self, error: ValidationError) -> Iterator[Diagnostic]:
        """One error as Diagnostics: one per missing or unknown key, else one."""
        parts: list[str | int] = ["$", *error.absolute_path]
        instance, expected, schema = error.instance, _any(error.validator_value), _any(error.schema)
        if error.validator == "required":
            for key in expected:
                if isinstance(instance, dict) and key not in instance:
                    yield self.locator.at(parts, f"missing required key {key!r}")
        elif error.validator == "additionalProperties" and isinstance(instance, dict):
            for key in unknown_keys(instance, schema):
                yield self.locator.at([*parts, key], unknown_key_message(key, schema))
        elif error.validator == "anyOf":
            yield from self._any_of(error, parts)
        else:
            scalar = not isinstance(instance, dict | list)
            yield self.locator.at(parts, message(error), value=scalar)

    def _any_of(self, error: ValidationError, parts: list[str | int]) -> Iterator[Diagnostic]:
        branches = [self._resolve(b) for b in _any(error.validator_value)]
        if all(e.validator == "required" for e in error.context):
            keys = [k for b in branches for k in b.get("required", [])]
            yield self.locator.at(parts, f"needs at least one of: {', '.join(keys)}")
            return
        fitting = [i for i, b in enumerate(branches) if self._fits(b, error.instance)]
        if len(fitting) == 1:  # the instance is meant as this branch: explain that branch
            for inner in error.context:
                if inner.relative_schema_path[0] == fitting[0]:
                    yield from self.diagnostics(inner)
            return
        types = [TYPE_NAMES[t] for b in branches for t in _types(b)]
        yield self.locator.at(
            parts, f"expected {' or '.join(types)}, got {kind(error.instance)}", value=True
        )

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            defs = _any(self.validator.schema)["$defs"]
            return self._resolve(defs[ref.removeprefix("#/$defs/")])
        return schema

    def _fits(self, schema: dict[str, Any], instance: Any) -> bool:
        types = _types(schema)
        return any(self.validator.is_type(instance, t) for t in types) or not types


def unknown_keys(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """The keys of `instance` that neither `properties` nor `patternProperties` allows."""
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]


def unknown_key_message(key: str, schema: Mapping[str, Any]) -> str:
    """`unknown key 'x'` with the closest known key, or else every known one."""
    known = list(schema.get("properties", {}))
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    extra = ", or a key ending in _id" if "_id$" in schema.get("patternProperties", {}) else ""
    return f"unknown key {key!r} (expected one of: {', '.join(known)}{extra})"


def message(error: ValidationError) -> str:
    """One error's message, with the offending value and a hint where a typo is likely."""
    rule, expected, value = error.validator, _any(error.validator_value), error.instance
    if rule == "enum":
        close = difflib.get_close_matches(str(value), [str(e) for e in expected], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{show(value)} is not one of {', '.join(map(str, expected))}{hint}"
    if rule == "const":
        return f"must be {json.dumps(expected)}, got {show(value)}"
    if rule == "type":
        wanted = " or ".join(TYPE_NAMES[t] for t in _types({"type": expected}))
        hint = ""
        if (
            "boolean" in wanted
            and isinstance(value, str)
            and value.lower() in ("yes", "no", "on", "off", "y", "n")
        ):
            hint = " (YAML 1.2: only true and false are booleans)"
        return f"expected {wanted}, got {kind(value)}{hint}"
    if rule in ("minItems", "minLength", "minProperties") and expected == 1:
        return "must not be empty"
    if rule == "minimum":
        return f"must be >= {expected}, got {show(value)}"
    if rule == "exclusiveMinimum":
        return f"must be > {expected}, got {show(value)}"
    if rule == "maximum":
        return f"must be <= {expected} (the limit), got {show(value)}"
    if rule == "not" and expected == {"multipleOf": 2}:  # votes: a majority of an even count ties
        name = error.absolute_path[-1] if error.absolute_path else "value"
        return f"{name} must be odd (a tie cannot be broken), got {show(value)}"
    if rule == "dependentRequired" and isinstance(value, Mapping):
        key = next(k for k, needs in expected.items() if k in value and set(needs) - set(value))
        return f"{key} needs {', '.join(expected[key])}"
    return error.message


def kind(value: Any) -> str:
    """What a YAML value is, scalars shown: `string 'yes'`, `integer 3`, `null`, `mapping`."""
    if value is None or isinstance(value, dict | list):
        return "mapping" if isinstance(value, dict) else "list" if value is not None else "null"
    name = {bool: "boolean", int: "integer", float: "number"}.get(type(value), "string")
    return f"{name} {show(value)}"


def show(value: Any) -> str:
    """A value as written in a message: strings quoted, the rest as JSON, at most 40 chars."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _any(value: object) -> Any:
    # jsonschema's stubs type schema parts as `Unset | ...`; they are always set on real errors
    return value


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)
