"""ajv (JSON Schema 2020-12, strict mode) compiles every shipped schema and reads the files as the
gate does: it accepts every bundled case, evidence packet, config and results file, and rejects
exactly the invalid case fixtures a schema can see (PII, RE2 and cross-file checks are the
gate's own, beyond any schema)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.node import node

from gate.cli import main
from gate.load.schemas import packaged_schema, packaged_validator
from gate.load.yamlsafe import YamlError, parse_yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCHEMAS = ROOT / "gate" / "schemas"
INVALID = ROOT / "tests" / "data" / "cases" / "invalid"
INIT = ROOT / "gate" / "templates" / "init"
CASES = sorted(
    [
        *(ROOT / "examples" / "cases").rglob("*.y*ml"),
        *(ROOT / "examples" / "adapters").rglob("cases/**/*.y*ml"),
        *(ROOT / "tests" / "data" / "cases" / "valid").glob("*.y*ml"),
    ]
)
# The gate's YAML reader refuses these before any schema sees them (no JSON to hand to ajv).
NOT_YAML = {
    "alias_bomb.yaml",
    "bad_syntax.yaml",
    "binary_file.yaml",
    "duplicate_key.yaml",
    "empty_file.yaml",
    "multi_doc.yaml",
    "not_utf8.yaml",
}
# Invalid for the gate but not for a schema: ajv must accept these, so that a schema change that
# starts rejecting one, or a fixture that stops being schema-valid, shows up here.
BEYOND_A_SCHEMA = {
    "bad_regex.yaml": "regexes must compile (RE2)",
    "duplicate_ids/legacy_reschedule.yaml": "ids are unique across files",
    "duplicate_ids/scheduling/cancel.yaml": "ids are unique across files",
    "duplicate_ids/scheduling/reschedule.yaml": "ids are unique across files",
    "fixture_card.yaml": "PII lint: a card number in the fixture",
    "fixture_email.yaml": "PII lint: an email address in the fixture",
    "fixture_phone.yaml": "PII lint: a phone number in the fixture",
    "fixture_ssn.yaml": "PII lint: an SSN in the fixture",
    "interruption_without_interrupt_turn.yaml": "interruption needs a turn with interrupt: true",
    "side_effect_mode_live.yaml": "a case that writes must not run in side_effect_mode live",
    "transcript_caller_data.yaml": "PII lint: caller data in the scenario's turns",
    "writes_without_sandbox.yaml": "a case that writes needs a side_effect_mode",
}
# strictRequired is logged, not raised (see ajv_check.mjs): these and only these are expected.
FAMILIES = ["outcome", "tools", "side_effects", "transcript", "latency", "handoff", "judged"]


def ajv(node_modules: Path, schema: str, documents: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Run tests/consumers/ajv_check.mjs; {"warnings": [...], "errors": {name: [...]}}."""
    file = tmp / f"{schema}.documents.json"
    file.write_text(json.dumps(documents), "utf-8")
    command = [
        node(),
        str(HERE / "ajv_check.mjs"),
        str(node_modules),
        str(SCHEMAS / schema),
        str(file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def read(path: Path) -> Any:
    """The document as the gate reads it (YAML 1.2 scalars: `yes` stays a string)."""
    return parse_yaml(path.read_bytes().decode("utf-8-sig"), str(path)).data


def _name(path: Path, root: Path = ROOT) -> str:
    return path.relative_to(root).as_posix()


def test_case_schema_accepts_every_bundled_case(node_modules: Path, tmp_path: Path) -> None:
    documents = {_name(p): read(p) for p in CASES}
    # `init` writes its template byte for byte (tests/acceptance/test_init.py checks that)
    documents["init: first-case.yaml"] = read(INIT / "first-case.yaml")
    report = ajv(node_modules, "case.schema.json", documents, tmp_path)
    assert {name: e for name, e in report["errors"].items() if e} == {}
    assert len(documents) > 20
    expected = [
        f'strict mode: required property "{family}" is not defined at '
        f'"{packaged_schema("case.schema.json")["$id"]}#/anyOf/{index}" '
        "(strictRequired)"
        for index, family in enumerate(FAMILIES)
    ]
    assert report["warnings"] == expected


def test_case_schema_rejects_what_a_schema_can_see(node_modules: Path, tmp_path: Path) -> None:
    files = sorted(INVALID.rglob("*.yaml"))
    documents, unreadable = {}, set()
    for path in files:
        try:
            documents[_name(path, INVALID)] = read(path)
        except (YamlError, UnicodeDecodeError):
            unreadable.add(_name(path, INVALID))
    assert unreadable == NOT_YAML
    report = ajv(node_modules, "case.schema.json", documents, tmp_path)
    accepted = {name for name, errors in report["errors"].items() if not errors}
    assert accepted == set(BEYOND_A_SCHEMA)
    assert len(documents) - len(accepted) >= 18  # the rest are rejected
    # ajv and the gate's own validator (Python jsonschema, same schema) agree on every fixture.
    validator = packaged_validator("case.schema.json")
    python = {name for name, doc in documents.items() if validator.is_valid(doc)}
    assert python == accepted


def test_even_votes_are_rejected_with_the_schemas_reason(
    node_modules: Path, tmp_path: Path
) -> None:
    case = read(ROOT / "examples" / "cases" / "judged" / "cancel-confirms-outcome.yaml")
    case["assertions"]["judged"][0]["votes"] = 4
    report = ajv(node_modules, "case.schema.json", {"even": case}, tmp_path)
    assert "/assertions/judged/0/votes must NOT be valid" in report["errors"]["even"]


def test_results_schema_accepts_golden_and_live_results(
    node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = {
        _name(p): json.loads(p.read_text("utf-8"))
        for p in sorted((ROOT / "tests" / "golden" / "results").glob("*.json"))
    }
    monkeypatch.chdir(ROOT / "examples")
    results = tmp_path / "results.json"
    argv = ["run", "--harness-url", "builtin:duplicate-booking", "--cases", "cases"]
    code = main([*argv, "--results", str(results)], {}, io.StringIO(), io.StringIO())
    assert code == 1  # the planted bug fails: a results file with pass and fail records
    documents["live run"] = json.loads(results.read_text("utf-8"))
    report = ajv(node_modules, "results.schema.json", documents, tmp_path)
    assert report == {"warnings": [], "errors": dict.fromkeys(documents, [])}
    broken = {**documents["live run"], "verdict": "maybe"}
    report = ajv(node_modules, "results.schema.json", {"broken": broken}, tmp_path)
    assert report["errors"]["broken"]


def test_evidence_packet_and_config_schemas(node_modules: Path, tmp_path: Path) -> None:
    packets = {_name(p): read(p) for p in sorted((ROOT / "examples" / "evidence").glob("*"))}
    assert len(packets) == 2
    report = ajv(node_modules, "evidence-packet.schema.json", packets, tmp_path)
    assert report == {"warnings": [], "errors": dict.fromkeys(packets, [])}
    configs = {
        "init: config.yml": read(INIT / "config.yml"),
        "tests/data/selection": read(ROOT / "tests" / "data" / "selection" / ".voice-regress.yml"),
    }
    report = ajv(node_modules, "config.schema.json", configs, tmp_path)
    assert report == {"warnings": [], "errors": dict.fromkeys(configs, [])}
