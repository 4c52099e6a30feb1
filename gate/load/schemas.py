"""The JSON Schemas shipped in the package: the located validator (jsonschema) and a fast yes/no."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator


@cache
def packaged_schema(name: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) shipped in the package as `gate/schemas/<name>`."""
    text = resources.files("gate").joinpath(f"schemas/{name}").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def packaged_validator(name: str) -> Draft202012Validator:
    """The validator of `packaged_schema(name)`, its local `$ref`s inlined: resolving one
    through the registry on every descent was a fifth of validating a case."""
    schema = packaged_schema(name)
    return Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


_NOTES = ("description", "title", "$comment")  # beside a $ref they validate nothing


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `{"$ref": "#/$defs/x"}` (notes aside) replaced by `x` (the schemas do not
    recurse); `$defs` stays, for the messages that name a definition."""
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and set(node) <= {"$ref", *_NOTES}:
        return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
    return {key: _inline_refs(value, defs) for key, value in node.items()}


@cache
def _fast_validator(name: str) -> Any:
    return jsonschema_rs.validator_for(packaged_schema(name), validate_formats=False)


def schema_accepts(name: str, data: Any) -> bool:
    """True only when jsonschema-rs finds `data` valid under `packaged_schema(name)`.

    Why: the located messages come from jsonschema, which took 200 µs a valid case (a third of
    validating 5,000 files); jsonschema-rs says yes or no in about 1 µs. Only a yes skips the
    located check: a no, or anything it cannot take (a non-string key, an integer past 64 bits),
    falls back to jsonschema, which stays the one that reports. Both are kept in agreement by
    `tests/load/test_fast_schema.py` over every valid and invalid file the tests hold.
    """
    try:
        return bool(_fast_validator(name).is_valid(data))
    except Exception:  # noqa: BLE001 - any doubt means "let jsonschema decide and explain"
        return False
