"""Stage 1: find case files and validate each one: YAML, JSON Schema, pydantic, lint."""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError as PydanticValidationError

from gate.errors import CaseFileError, Diagnostic
from gate.load.audio import read_audio
from gate.load.digest import case_digest
from gate.load.lint import check_allowlist, lint_case, todo_comments
from gate.load.locations import Locations
from gate.load.parallel import map_in_workers
from gate.load.paths import default_case_id, display_path
from gate.load.runbook import lint_runbook
from gate.load.schema_messages import Locator, SchemaReporter, kind
from gate.load.schemas import packaged_validator, schema_accepts
from gate.load.yamlsafe import YamlDocument, YamlError, parse_yaml
from gate.models import Case, LoadedCase, compact

CASE_SUFFIXES = (".yaml", ".yml")
CASE_SCHEMA = "case.schema.json"
MAX_FILE_BYTES = 1_000_000  # a case is a small, reduced reproduction; PyYAML is slow on huge input
PARALLEL_FILES = 400  # from this many files on, worker processes check them (start-up ~50 ms)


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


def case_files(paths: Sequence[str | Path]) -> list[tuple[Path, Path]]:
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
    real_folders: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            pairs = [(file, path) for file in _walk(path, problems)]
            if not pairs:
                problems.append(
                    _diagnostic(path, "no *.yaml or *.yml case files found here", "warning")
                )
        elif path.is_file():
            pairs = [(path, path.parent)]
        else:
            reason = "not a file or directory" if path.exists() else "no such file or directory"
            problems.append(_diagnostic(path, reason))
            pairs = []
        real_root = os.path.realpath(path if path.is_dir() else path.parent)  # once per root
        for file, file_root in pairs:
            real = _realpath(file, real_folders)
            escape = _link_escape(real, real_root)
            if escape is not None:
                problems.append(_diagnostic(file, escape))
                continue
            found.setdefault(real, (file, file_root))
    return list(found.values()), problems


def _realpath(file: Path, real_folders: dict[str, str]) -> str:
    """`os.path.realpath(file)`, each folder resolved once (`real_folders`): a file that exists
    and is no symlink is its real folder and its name. Why: one lstat a file, not one a path
    component, in the main process before any worker starts."""
    folder, name = os.path.split(file)
    try:
        plain = name not in ("", ".", "..") and not stat.S_ISLNK(os.lstat(file).st_mode)
    except OSError:  # missing (`a/missing/../b`: realpath's rules), looping, not ours to read
        plain = False
    if not plain:
        return os.path.realpath(file)
    if folder not in real_folders:
        real_folders[folder] = os.path.realpath(folder)
    return os.path.join(real_folders[folder], name)


def _link_escape(real: str, real_root: str) -> str | None:
    """Why a case file that is (or lies behind) a symlink out of its cases folder is refused:
    reading it would print someone else's file (a token, a key) in validation messages.
    Both paths are real (symlinks resolved)."""
    if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
        return None
    if not os.path.isfile(real):
        return None  # a device/FIFO, or gone: refused later as "not a regular file"
    return "a symlink that leads out of the cases folder: refused, not read"


def _walk(directory: Path, problems: list[Diagnostic]) -> list[Path]:
    files = []
    top = str(directory)

    def unreadable(exc: OSError) -> None:
        problems.append(_diagnostic(Path(exc.filename or directory), f"cannot read: {exc}"))

    for current, dirs, names in os.walk(top, onerror=unreadable):
        # hidden folders hold tool state (.git, .venv), hidden files editor leftovers
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        # os.walk joins onto `top` as given: what follows it is the path below `directory`
        below = current[len(top) :].lstrip(os.sep).replace(os.sep, "/")
        files += [
            (f"{below}/{n}" if below else n, Path(current, n))
            for n in names
            if n.endswith(CASE_SUFFIXES) and not n.startswith(".")
        ]
    # Sorted by the '/'-joined path below `directory`, as ids are: one order on every machine.
    return [file for _, file in sorted(files, key=lambda pair: pair[0])]


def _diagnostic(path: Path, message: str, severity: str = "error") -> Diagnostic:
    return Diagnostic(display_path(path), 1, 1, "$", message, severity)


def load_cases(
    paths: Sequence[str | Path],
    *,
    allowlist: Sequence[str] = (),
    root: str | Path | Sequence[str | Path] | None = None,
    require_pinned: bool = False,
) -> LoadResult:
    """Find, parse and validate every case file under `paths`; never raises on bad input.

    `allowlist` holds extra safe-fixture regexes from the gate config; `root` (the configured
    cases directories: the first holding a file names its id) makes default ids independent of
    how files were named on the command line;
    `require_pinned` makes a floating `agent_ref.model` an error instead of a warning.

    Raises:
        InputError: an `allowlist` pattern is not a valid regular expression.
    """
    check_allowlist(allowlist)  # a bad config pattern is one error, not one per file
    files, diagnostics = _discover(paths)
    given = [] if root is None else [root] if isinstance(root, str | Path) else list(root)
    roots = tuple(Path(r) for r in given)
    cases: list[LoadedCase] = []
    first_by_id: dict[str, LoadedCase] = {}
    shown = [display_path(file) for file, _ in files]
    for loaded, problems in check_files(files, shown, roots, tuple(allowlist), require_pinned):
        if loaded is not None:
            problems += _duplicate(loaded, first_by_id)
            if not any(p.severity == "error" for p in problems):
                cases.append(loaded)
        diagnostics += problems
    return LoadResult(cases, diagnostics, shown)


def _isolated(checker: _FileChecker) -> tuple[LoadedCase | None, list[Diagnostic]]:
    """`checker.check()`, with a crash of any check confined to its file: every other file is
    still checked and reported, and this one is refused (exit 2), never passed over."""
    try:
        return checker.check()
    except Exception as exc:  # any bug, by design: the file is refused, never skipped
        message = (
            f"the gate could not check this file ({type(exc).__name__}): this is a bug in the "
            "gate, please report it; the file is refused until then"
        )
        return None, [Diagnostic(checker.shown, 1, 1, "$", message)]


def check_case_text(
    text: str,
    file: str | Path,
    case_id: str,
    allowlist: Sequence[str] = (),
    require_pinned: bool = False,
) -> tuple[LoadedCase | None, list[Diagnostic]]:
    """Validate `text` as the content of case file `file` would be (nothing is read)."""
    return _FileChecker(Path(file), case_id, allowlist, require_pinned).check(text)


Checked = tuple[LoadedCase | None, list[Diagnostic]]
# What is located after loading: the case, its id (duplicates), `paths` and `promotion` (config
# checks) and its assertions (annotations); the rest, kept for thousands of cases, was a third
# of a loaded case's memory.
KEPT_LOCATIONS = ("$.id", "$.paths", "$.promotion", "$.assertions")


def kept_locations(locations: dict[str, tuple[int, int]]) -> Locations:
    """The locations a loaded case keeps (see KEPT_LOCATIONS), compactly."""
    return Locations(
        {k: v for k, v in locations.items() if k == "$" or k.startswith(KEPT_LOCATIONS)}
    )


def check_files(
    files: Sequence[tuple[Path, Path]],
    shown: Sequence[str],
    roots: tuple[Path, ...],
    allowlist: tuple[str, ...],
    require_pinned: bool = False,
) -> list[Checked]:
    """Each file checked, in order; from PARALLEL_FILES files on in worker processes. `shown`:
    each file as diagnostics name it (`display_path`, worked out once, by the caller)."""
    # Plain strings, the shared settings bound once: a chunk of thousands of jobs is pickled
    # to its worker by the main process, and Path objects pickled ten times slower.
    check = functools.partial(_check_one, roots=roots, allowlist=allowlist, pinned=require_pinned)
    jobs = [(str(f), str(root), name) for (f, root), name in zip(files, shown, strict=True)]
    return map_in_workers(check, jobs, parallel=len(jobs) >= PARALLEL_FILES)


def _check_one(
    job: tuple[str, str, str], *, roots: tuple[Path, ...], allowlist: tuple[str, ...], pinned: bool
) -> Checked:
    file, file_root = Path(job[0]), Path(job[1])
    case_id = default_case_id(file, *roots, file_root)
    return _isolated(_FileChecker(file, case_id, allowlist, pinned, shown=job[2]))


def _duplicate(case: LoadedCase, first_by_id: dict[str, LoadedCase]) -> list[Diagnostic]:
    first = first_by_id.setdefault(case.id, case)
    if first is case:
        return []
    json_path = "$.id" if case.case.id is not None else "$"
    line, col = case.locations.get(json_path, (case.line, 1))
    return [
        Diagnostic(
            case.file,
            line,
            col,
            json_path,
            f"duplicate case id {case.id!r} (also the id of {first.file}:{first.line_of('$.id')})",
        )
    ]


def _read_capped(handle: BinaryIO, size: int) -> bytes:
    """At most MAX_FILE_BYTES + 1 bytes of a file `size` bytes long a moment ago (it may change
    under us). One read of that size: a read of the cap allocated a megabyte for every small
    file (a twentieth of checking one). The rest up to the cap only if the file has grown."""
    raw = handle.read(min(size, MAX_FILE_BYTES) + 1)
    if len(raw) > size:
        raw += handle.read(MAX_FILE_BYTES + 1 - len(raw))
    return raw


class _FileChecker:
    """Validates one file; every problem becomes a located Diagnostic, nothing is raised."""

    def __init__(
        self,
        file: Path,
        default_id: str,
        allowlist: Sequence[str],
        require_pinned: bool,
        shown: str | None = None,
    ) -> None:
        self.file, self.shown = file, display_path(file) if shown is None else shown
        self.default_id, self.allowlist = default_id, allowlist
        self.require_pinned = require_pinned
        self.doc = YamlDocument(None, {}, {})
        self.text = ""

    def check(self, text: str | None = None) -> tuple[LoadedCase | None, list[Diagnostic]]:
        """Validate the file, or `text` as if it were the file's content."""
        problem = self._parse() if text is None else self._parse_text(text)
        if problem is not None:
            return None, [problem]
        problems = []
        if not schema_accepts(CASE_SCHEMA, self.doc.data):
            validator = packaged_validator(CASE_SCHEMA)
            problems = SchemaReporter(validator, self.locator).check(self.doc.data)
        case, audio = None, dict[int, bytes]()
        if not problems:
            case, problems = self._model()
        if case is not None:
            audio, missing = read_audio(case, self.file)
            problems += [self.locator.at(parts, message) for parts, message in missing]
        problems += lint_case(self.doc.data, self.doc.locations, self.shown, self.allowlist)
        problems += todo_comments(self.text, self.shown, self.doc.locations)
        # The runbook's hygiene too, even for a file with errors: an error must not hide the
        # same file's warnings (fixing one should not reveal more).
        problems += lint_runbook(self.doc.data, self.doc.locations, self.shown, self.require_pinned)
        problems = sorted(set(problems), key=lambda d: (d.line, d.col, d.json_path, d.message))
        if case is None:
            return None, problems
        return LoadedCase(
            id=case.id or self.default_id,
            file=self.shown,
            case=case,
            line=self.doc.locations["$"][0],
            locations=kept_locations(self.doc.locations),
            audio=audio,
            digest=case_digest(case, audio),
        ), problems

    def _parse(self) -> Diagnostic | None:
        try:
            info = self.file.stat()
            if not stat.S_ISREG(info.st_mode):
                # A FIFO or a device (/dev/zero) would block or never end: read regular files only.
                return Diagnostic(self.shown, 1, 1, "$", "not a regular file")
            with self.file.open("rb") as handle:
                raw = _read_capped(handle, info.st_size)
            if len(raw) > MAX_FILE_BYTES:
                return Diagnostic(
                    self.shown,
                    1,
                    1,
                    "$",
                    f"larger than {MAX_FILE_BYTES} bytes: "
                    "a case file holds one small, sanitized case",
                )
            return self._parse_text(raw.decode("utf-8-sig"))
        except OSError as exc:
            return Diagnostic(self.shown, 1, 1, "$", f"cannot read file: {exc.strerror or exc}")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            return Diagnostic(
                self.shown, line, 1, "$", f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x})"
            )

    def _parse_text(self, text: str) -> Diagnostic | None:
        self.text = text
        try:
            self.doc = parse_yaml(text, self.shown)
        except YamlError as exc:
            return Diagnostic(self.shown, exc.line, exc.col, exc.json_path, exc.message)
        if not isinstance(self.doc.data, dict):
            return self.locator.at(
                ["$"], f"a case file holds one YAML mapping, got {kind(self.doc.data)}"
            )
        return None

    @property
    def locator(self) -> Locator:
        """Places messages in this file (by the document `_parse` read; none before)."""
        return Locator(self.shown, self.doc.locations, self.doc.values)

    def _model(self) -> tuple[Case | None, list[Diagnostic]]:
        try:
            case = Case.model_validate(self.doc.data)
        except PydanticValidationError as exc:
            return None, [self._pydantic_error(e) for e in exc.errors(include_url=False)]
        compact(case)
        return case, []

    def _pydantic_error(self, error: Any) -> Diagnostic:
        parts: list[str | int] = ["$"]
        node = self.doc.data
        for step in error["loc"]:  # union members add non-path steps: keep only real ones
            if (
                isinstance(node, dict)
                and step in node
                or isinstance(node, list)
                and (isinstance(step, int) and 0 <= step < len(node))
            ):
                parts.append(step)
                node = node[step]
        if error["type"] == "missing":
            return self.locator.at(parts, f"missing required key {error['loc'][-1]!r}")
        if error["type"] == "extra_forbidden":
            return self.locator.at(parts, f"unknown key {parts[-1]!r}")
        message = re.sub(r"^Value error, ", "", str(error["msg"]))
        return self.locator.at(parts, message, value=not isinstance(node, dict | list))
