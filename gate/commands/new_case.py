"""`new-case`: an evidence packet (or a recorded run) → a sanitized draft case file; exit 0 or 2."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from gate.commands.reports import write_file
from gate.draft.build import Draft, draft_case
from gate.draft.from_run import packet_from_run
from gate.draft.render import manifest_summary, render_case, render_manifest
from gate.errors import CaseFileError, Diagnostic, InputError
from gate.load.config import discover_config, load_with_config
from gate.load.loader import MAX_FILE_BYTES, check_case_text, load_cases
from gate.load.paths import default_case_id, display_path
from gate.load.schema_messages import Locator, SchemaReporter
from gate.load.schemas import packaged_validator
from gate.load.similarity import near_duplicates_of
from gate.load.yamlsafe import YamlError, parse_yaml
from gate.models import LoadedCase
from gate.pii import findings
from gate.records.record import CaseRecord, read_record
from gate.results import HarnessRun
from gate.settings import case_paths
from gate.text import log_line


def new_case_command(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """Draft, validate, compare with the suite, then write the case and its redaction manifest."""
    if args.from_evidence:
        packet = read_packet(args.from_evidence)
        # not the packet's path: a file may be named after the caller
        origin = f"the evidence packet of call {packet['source_call_id']}"
    else:
        if not args.case:
            raise InputError("--from-results needs --case ID (the case whose run to draft from)")
        packet = packet_of_results(args.from_results, args.case, err)
        origin = f"the recorded run of case {args.case}"
    draft = draft_case(packet, args.last_turns)
    folder = Path(args.out or ".")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {display_path(folder)}: not a directory")
    target, manifest = folder / f"{draft.name}.yaml", folder / f"{draft.name}.redactions.json"
    if target.exists():
        raise InputError(f"{display_path(target)} exists: edit it, or pass another --out")
    text = render_case(draft, _header(draft, origin, manifest.name))
    loaded = _checked(text, target, folder, err)
    _warn_near_duplicates(loaded, args, environ, folder, err)
    write_file(str(target), text)
    write_file(str(manifest), render_manifest(draft, target.name))
    _report(draft, target, manifest, text, out)
    return 0


def read_packet(path: str) -> dict[str, Any]:
    """The packet at `path` (JSON or YAML), schema-checked; every problem is `path:line:col`."""
    file, shown = Path(path), display_path(Path(path))
    try:
        if not file.is_file():  # a FIFO or a device would block or never end
            raise InputError(f"{shown}: no such evidence packet (a JSON or YAML file)")
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        document = parse_yaml(raw.decode("utf-8-sig"), shown)  # JSON is YAML too
    except OSError as exc:
        raise InputError(f"{shown}: cannot read the evidence packet ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{shown}: the evidence packet is not UTF-8 text") from None
    except YamlError as exc:
        problem = Diagnostic(shown, exc.line, exc.col, exc.json_path, exc.message)
        raise CaseFileError([problem]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{shown}: larger than {MAX_FILE_BYTES} bytes: freeze the failure only")
    locator = Locator(shown, document.locations, document.values)
    validator = packaged_validator("evidence-packet.schema.json")
    problems = SchemaReporter(validator, locator).check(document.data)
    if problems:
        raise CaseFileError([_masked(p) for p in problems])
    data: dict[str, Any] = document.data
    return data


def _masked(diagnostic: Diagnostic) -> Diagnostic:
    """A schema message may quote a packet value: caller data in it is masked, as the lint does."""
    message = diagnostic.message
    for finding in sorted(findings(message), key=lambda f: -f.start):
        message = message[: finding.start] + finding.message + message[finding.end :]
    return Diagnostic(
        diagnostic.path, diagnostic.line, diagnostic.col, diagnostic.json_path, message
    )


def packet_of_results(path: str, case_id: str, err: TextIO) -> dict[str, Any]:
    """The packet of the first recorded trial of `case_id` that did not pass; `err` hears when
    its case file does not load from here (the draft is then made from the run alone)."""
    record = read_record(path)
    found = next((c for c in record.cases if c.id == case_id), None)
    if found is None:
        known = ", ".join(c.id for c in record.cases[:10]) or "none"
        raise InputError(f"{path}: no case {case_id!r} in the results file (cases: {known})")
    trial = next((t for t in found.trials if t.status != "pass" and t.run), None)
    if trial is None or trial.run is None:
        raise InputError(
            f"{path}: case {case_id!r} has no recorded run that did not pass "
            "(run with --record-runs true, and draft from a failing case)"
        )
    try:
        run = HarnessRun.model_validate(trial.run)
    except ValidationError:
        raise InputError(f"{path}: the recorded run of {case_id!r} is not a RunResult") from None
    failed = [a.model_dump() for a in trial.assertions if a.status == "fail"]
    case = _case_file(found)
    if case is None:
        print(
            log_line(
                f"warning: {found.file} does not load from here: the draft is made from the run "
                "alone, without the case's agent, caller, fixture and the faults its checks mark "
                "(run new-case from the folder the run was made in)"
            ),
            file=err,
        )
    return packet_from_run(found.model_dump(), run, case, failed)


def _case_file(record: CaseRecord) -> Any:
    """The recorded case's file as it is now, when it still loads (it gives agent and fixture)."""
    if not Path(record.file).is_file():
        return None
    loaded = load_cases([record.file])
    return loaded.cases[0].case if loaded.cases and not loaded.errors else None


def _checked(text: str, target: Path, folder: Path, err: TextIO) -> LoadedCase:
    """The draft as `validate` would see it: an error is a bug of the draft, never written."""
    loaded, problems = check_case_text(text, display_path(target), default_case_id(target, folder))
    errors = [p for p in problems if p.severity == "error"]
    if errors or loaded is None:
        raise CaseFileError(errors)
    for problem in problems:  # the TODOs, exactly as `validate` will list them
        print(problem, file=err)
    return loaded


def _warn_near_duplicates(
    draft: LoadedCase,
    args: argparse.Namespace,
    environ: Mapping[str, str],
    folder: Path,
    err: TextIO,
) -> None:
    config = discover_config(None, environ)
    paths = case_paths(args.cases, environ, config) or ([str(folder)] if folder.is_dir() else [])
    if not paths:
        return
    suite = load_with_config(paths, config)
    for warning in near_duplicates_of(draft, suite.cases):
        print(warning, file=err)


def _header(draft: Draft, origin: str, manifest: str) -> list[str]:
    return [
        f"Draft regression case from {origin} (voice-regress-gate new-case).",
        f"Caller data was replaced by fixture tokens; {manifest} lists what kind, where.",
        "Review every TODO (`voice-regress-gate validate` lists them), then promote it.",
    ]


def _report(draft: Draft, target: Path, manifest: Path, text: str, out: TextIO) -> None:
    todos = sum(1 for line in text.splitlines() if line.lstrip().startswith("# TODO"))
    print(f"drafted {display_path(target)} (level: manual)", file=out)
    print(f"proposed promotion: {draft.proposal.level} ({draft.proposal.why})", file=out)
    print(
        f"sanitized: {manifest_summary(draft.manifest)}; manifest {display_path(manifest)}",
        file=out,
    )
    print(
        f"{todos} TODO(s) to decide: voice-regress-gate validate {display_path(target)}", file=out
    )
