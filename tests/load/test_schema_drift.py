"""The shipped JSON Schema and the pydantic models are one contract: walk both, compare, fuzz."""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from pydantic import BaseModel, ValidationError

from gate.load.schemas import packaged_schema
from gate.load.yamlsafe import YamlError, parse_yaml
from gate.models import CHECK_FAMILIES, Case

CASES = Path(__file__).parents[1] / "data" / "cases"
SCHEMA = packaged_schema("case.schema.json")
SCHEMA_URL = (
    "https://raw.githubusercontent.com/org/voice-regress-gate/v1/gate/schemas/case.schema.json"
)
SEED_EXAMPLE = parse_yaml((CASES / "valid" / "seed_example.yaml").read_text("utf-8")).data
# Where the schema is deliberately stricter than the models (it runs first, so it decides): an
# empty family checks nothing, and pydantic's lax mode would read the string 'yes' as true.
STRICTER_THAN_MODELS = {"empty_family.yaml", "yes_is_not_boolean.yaml"}
# Where the models are stricter: a rule across two parts of the case that JSON Schema cannot say
# (an interruption check needs a caller turn marked interrupt).
STRICTER_THAN_SCHEMA = {"interruption_without_interrupt_turn.yaml"}
# The seed's own schema (seed 000, "Validate the Test Contract"), verbatim.
SEED_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": [
        "version",
        "suite",
        "owner",
        "source",
        "agent_ref",
        "fixture",
        "assertions",
        "promotion",
    ],
    "properties": {
        "source": {
            "type": "object",
            "required": ["type", "source_call_id", "failure_label", "severity", "sanitized"],
            "properties": {
                "type": {"enum": ["production_call"]},
                "source_call_id": {"type": "string", "minLength": 1},
                "failure_label": {"type": "string", "minLength": 1},
                "severity": {"enum": ["low", "medium", "high", "critical"]},
                "sanitized": {"const": True},
            },
        },
        "promotion": {
            "type": "object",
            "required": ["level", "run_on"],
            "properties": {
                "level": {"enum": ["blocking", "scheduled", "manual"]},
                "run_on": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
        },
    },
}
_SCALARS = {str: "string", int: "integer", bool: "boolean", float: "number"}
_CONSTRAINTS = {
    annotated_types.Ge: ("minimum", "ge"),
    annotated_types.Gt: ("exclusiveMinimum", "gt"),
    annotated_types.Le: ("maximum", "le"),
}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    return _resolve(SCHEMA["$defs"][ref.removeprefix("#/$defs/")])


def _strip(annotation: Any) -> tuple[Any, list[Any]]:
    """Annotation without `Annotated[...]`/`| None`, plus the constraints it carried."""
    metadata: list[Any] = []
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                metadata += getattr(item, "metadata", [item])
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) > 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _check_constraints(metadata: list[Any], node: dict[str, Any], where: str) -> None:
    for item in metadata:
        if isinstance(item, annotated_types.MinLen):
            assert item.min_length in (node.get("minLength"), node.get("minItems")), where
        for kind, (keyword, attribute) in _CONSTRAINTS.items():
            if isinstance(item, kind):
                assert node.get(keyword) == getattr(item, attribute), where


def _json_type(member: Any) -> str:
    member = _strip(member)[0]
    if typing.get_origin(member) is list:
        return "array"
    return "object" if issubclass(member, BaseModel) else _SCALARS[member]


def _check(annotation: Any, node: dict[str, Any], where: str) -> None:
    node = _resolve(node)
    annotation, metadata = _strip(annotation)
    _check_constraints(metadata, node, where)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        branches = {_resolve(b)["type"]: _resolve(b) for b in node["anyOf"]}
        members = [a for a in args if a is not type(None)]  # `| None` is "key absent"
        assert len(branches) == len(members), where
        for member in members:  # pair each member with the branch of its JSON type
            json_type = _json_type(member)
            _check(member, branches[json_type], f"{where}|{json_type}")
    elif origin is typing.Literal:
        assert sorted(node.get("enum", [node.get("const")])) == sorted(args), where
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _check_model(annotation, node, where)
    elif origin is list:
        assert node["type"] == "array", where
        _check(args[0], node["items"], f"{where}[]")
    elif origin is dict:
        assert node["type"] == "object", where
        if args[1] is Any:  # a free object, passed to the harness as is
            assert node.get("additionalProperties", True) is not False, where
        else:
            _check(args[1], node["additionalProperties"], f"{where}{{}}")
    elif annotation is not Any:
        assert node["type"] == _SCALARS[annotation], where


def _check_model(model: type[BaseModel], node: dict[str, Any], where: str) -> None:
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    assert node["type"] == "object", where
    assert set(node["properties"]) == set(fields), where
    required = {alias for alias, info in fields.items() if info.is_required()}
    assert set(node.get("required", [])) == required, where
    extra = model.model_config.get("extra")
    if extra == "forbid":
        assert node.get("additionalProperties") is False, where
    else:  # open models; side-effect systems allow only `<name>_id` extras (model validator)
        assert node.get("additionalProperties", True) is not False or (
            node.get("patternProperties")
        ), where
    for alias, info in fields.items():
        annotated = (
            typing.Annotated[info.annotation, *info.metadata]
            if info.metadata
            else (info.annotation)
        )
        _check(annotated, node["properties"][alias], f"{where}.{alias}")


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == SCHEMA_URL


def test_schema_mirrors_the_models() -> None:
    _check(Case, SCHEMA, "$")


def test_assertion_families_match() -> None:
    any_of = SCHEMA["$defs"]["assertions"]["anyOf"]
    assert [branch["required"] for branch in any_of] == [[f] for f in CHECK_FAMILIES]


def test_side_effect_entity_keys_are_strings() -> None:
    system = SCHEMA["$defs"]["system_side_effects"]
    assert system["patternProperties"] == {
        "_id$": {
            "description": system["patternProperties"]["_id$"]["description"],
            "type": "string",
        }
    }


def _documents(folder: str) -> Iterator[tuple[str, Any]]:
    for path in sorted((CASES / folder).glob("*.y*ml")):
        try:
            data = parse_yaml(path.read_bytes().decode("utf-8"), path.name).data
        except (UnicodeDecodeError, YamlError):
            continue  # not a YAML mapping at all: nothing for schema or models to disagree on
        if isinstance(data, dict):
            yield path.name, data


def _schema_accepts(data: Any) -> bool:
    return not list(Draft202012Validator(SCHEMA).iter_errors(data))


def _models_accept(data: Any) -> bool:
    try:
        Case.model_validate(data)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("name", "data"), list(_documents("valid")))
def test_valid_cases_pass_both(name: str, data: Any) -> None:
    assert _schema_accepts(data) and _models_accept(data), name


@pytest.mark.parametrize(("name", "data"), list(_documents("invalid")))
def test_invalid_cases_agree(name: str, data: Any) -> None:
    if name in STRICTER_THAN_MODELS:
        assert not _schema_accepts(data) and _models_accept(data)
    elif name in STRICTER_THAN_SCHEMA:
        assert _schema_accepts(data) and not _models_accept(data)
    else:
        assert _schema_accepts(data) == _models_accept(data), name


def _mutants(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, document) with one node replaced, or one key deleted, anywhere in the seed."""
    for replacement in (None, 0, 7, "", "x", True, False, [], ["x"], {}, {"x": 1}):
        yield path, replacement
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in children:
        if isinstance(value, dict):
            yield (*path, key), _DELETE
        yield from _mutants(child, (*path, key))


_DELETE = object()


def _apply(path: tuple[Any, ...], replacement: Any) -> Any:
    if not path:
        return replacement
    document = copy.deepcopy(SEED_EXAMPLE)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if replacement is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return document


def test_everything_the_seed_schema_rejects_is_rejected() -> None:
    seed = Draft7Validator(SEED_SCHEMA)
    assert seed.is_valid(SEED_EXAMPLE) and _schema_accepts(SEED_EXAMPLE)
    checked = 0
    for path, replacement in _mutants(SEED_EXAMPLE):
        document = _apply(path, replacement)
        if not seed.is_valid(document):
            checked += 1
            assert not _schema_accepts(document), (path, replacement)
            assert not _models_accept(document), (path, replacement)
    assert checked > 100


@pytest.mark.parametrize("origin", ["incident", "monitoring_alert", "synthetic"])
def test_source_types_beyond_the_seed_are_the_only_extension(origin: str) -> None:
    document = _apply(("source", "type"), origin)
    assert _schema_accepts(document) and _models_accept(document)
    assert not Draft7Validator(SEED_SCHEMA).is_valid(document)
