"""yaml-language-server (the server behind VS Code's YAML extension, Neovim, Helix) over LSP:
the case schema reached by each way docs/case-format.md gives (the `init` case's URL schema
line, a bundled example's relative schema line, the `yaml.schemas` setting) gives hover text from
the schema, key completion, and a diagnostic for an unknown key.

The server has no network: the published URL is answered with the local schema file the way VS
Code answers it (the server's `vscode/content` request, after `yaml/registerContentRequest`), and
any other URL is refused, so a fetch that was not meant to happen fails the test.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.lsp import LspClient
from support.node import node

from gate.load.schemas import packaged_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "gate" / "schemas" / "case.schema.json"
SCHEMA = packaged_schema("case.schema.json")
URL = SCHEMA["$id"]
INIT_CASE = ROOT / "gate" / "templates" / "init" / "first-case.yaml"
EXAMPLE = ROOT / "examples" / "cases" / "judged" / "cancel-confirms-outcome.yaml"
SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")
# docs/case-format.md's `.vscode/settings.json`, verbatim: the URL mapped to the cases folder.
DOCS_SETTING = {URL: "voice-tests/**/*.yaml"}
TIMEOUT_S = 20.0


class Workspace:
    """A repository as `init` leaves it, open in an editor backed by yaml-language-server."""

    def __init__(self, root: Path, node_modules: Path) -> None:
        self.root = root
        self.fetched: list[str] = []
        self.settings = {
            "yaml": {
                "validate": True,
                "hover": True,
                "completion": True,
                "schemas": DOCS_SETTING,
                # Both stores are fetched from the internet; the test has none (and needs none).
                "schemaStore": {"enable": False},
                "kubernetesCRDStore": {"enable": False},
            },
        }
        server = node_modules / "yaml-language-server" / "bin" / "yaml-language-server"
        self.client = LspClient(
            [node(), str(server), "--stdio"],
            {
                "workspace/configuration": self._configuration,
                "vscode/content": self._content,
                "client/registerCapability": lambda _: None,
                "window/workDoneProgress/create": lambda _: None,
            },
        )
        self.version = 0
        self.texts: dict[str, str] = {}
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}

    def _configuration(self, params: dict[str, Any]) -> list[Any]:
        return [self.settings.get(item.get("section", ""), {}) for item in params["items"]]

    def _content(self, params: Any) -> str:
        uri = params[0] if isinstance(params, list) else params  # sent as positional params
        self.fetched.append(uri)
        if uri != URL:
            raise ValueError(f"no network in this test: {uri}")
        return SCHEMA_FILE.read_text("utf-8")

    def start(self) -> None:
        uri = self.root.as_uri()
        capabilities = {
            "workspace": {"configuration": True, "workspaceFolders": True},
            "textDocument": {
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "completion": {"completionItem": {"documentationFormat": ["markdown"]}},
                "publishDiagnostics": {},
            },
        }
        self.client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "repo"}],
                "capabilities": capabilities,
            },
            timeout=TIMEOUT_S,
        )
        self.client.notify("initialized", {})
        # As VS Code's client does: http(s) schemas are asked of the client, not fetched.
        self.client.notify("yaml/registerContentRequest", None)
        # The server then pulls the settings with workspace/configuration (answered above).
        self.client.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    def open(self, path: Path, text: str) -> list[dict[str, Any]]:
        """Open the document, or replace its text; the diagnostics the server then publishes."""
        uri = path.as_uri()
        if self.texts.get(uri) == text:  # unchanged: the server publishes nothing new
            return self.diagnostics[uri]
        self.texts[uri] = text
        self.version += 1
        seen = len(self.client.notifications)
        if uri in self.diagnostics:
            self.client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": uri, "version": self.version},
                    "contentChanges": [{"text": text}],
                },
            )
        else:
            document = {"uri": uri, "languageId": "yaml", "version": self.version, "text": text}
            self.client.notify("textDocument/didOpen", {"textDocument": document})
        # The server does not say which version it validated; each change waits for its own
        # diagnostics before the next, so the first ones published after it are for it.
        message = self.client.wait_for(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            ),
            timeout=TIMEOUT_S,
            since=seen,
        )
        self.diagnostics[uri] = message["params"]["diagnostics"]
        return self.diagnostics[uri]

    def at(self, method: str, path: Path, line: int, character: int) -> Any:
        position = {"line": line, "character": character}
        params = {"textDocument": {"uri": path.as_uri()}, "position": position}
        return self.client.request(method, params, timeout=TIMEOUT_S)


@pytest.fixture(scope="module")
def workspace(node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("editor")
    (root / "voice-tests").mkdir()
    shutil.copy(INIT_CASE, root / "voice-tests" / "example-reschedule.yaml")  # as init writes
    space = Workspace(root, node_modules)
    try:
        space.start()
        yield space
    finally:
        space.client.close()


def _line(text: str, prefix: str) -> int:
    return next(i for i, line in enumerate(text.splitlines()) if line.startswith(prefix))


def _without_schema_line(text: str) -> str:
    return SCHEMA_LINE.sub("", text, count=1)


def _documents(workspace: Workspace) -> dict[str, tuple[Path, str]]:
    """A valid case by each route to the schema: (where it is opened, its text)."""
    init_case = workspace.root / "voice-tests" / "example-reschedule.yaml"
    return {
        "init: URL schema line": (init_case, init_case.read_text("utf-8")),
        "example: relative schema line": (EXAMPLE, EXAMPLE.read_text("utf-8")),
        "no schema line: yaml.schemas": (
            workspace.root / "voice-tests" / "no-schema-line.yaml",
            _without_schema_line(INIT_CASE.read_text("utf-8")),
        ),
    }


ROUTES = ["init: URL schema line", "example: relative schema line", "no schema line: yaml.schemas"]


def test_the_routes_are_what_they_claim() -> None:
    init_line = SCHEMA_LINE.match(INIT_CASE.read_text("utf-8"))
    example_line = SCHEMA_LINE.match(EXAMPLE.read_text("utf-8"))
    assert init_line and init_line[1] == URL
    assert example_line and (EXAMPLE.parent / example_line[1]).resolve() == SCHEMA_FILE


@pytest.mark.parametrize("route", ROUTES)
def test_a_valid_case_has_no_diagnostics(workspace: Workspace, route: str) -> None:
    path, text = _documents(workspace)[route]
    assert workspace.open(path, text) == []
    assert set(workspace.fetched) <= {URL}  # nothing else was asked for


@pytest.mark.parametrize("route", ROUTES)
def test_hover_shows_the_schemas_description(workspace: Workspace, route: str) -> None:
    path, text = _documents(workspace)[route]
    workspace.open(path, text)
    hover = workspace.at("textDocument/hover", path, _line(text, "assertions:"), 3)
    assert hover is not None, f"no hover: the schema is not associated ({route})"
    shown = hover["contents"]["value"]
    assert SCHEMA["properties"]["assertions"]["markdownDescription"] in shown
    # A nested key: `source:`'s child `severity`, described in the schema's $defs.
    line = _line(text, "  severity:")
    hover = workspace.at("textDocument/hover", path, line, 4)
    assert hover is not None
    severity = SCHEMA["$defs"]["source"]["properties"]["severity"]["description"]
    assert severity in hover["contents"]["value"]


def test_completion_offers_the_missing_top_level_keys(workspace: Workspace) -> None:
    path, text = _documents(workspace)["init: URL schema line"]
    # A case being written: everything up to `assertions:`, then an empty line to complete on.
    lines = text.splitlines()
    head = lines[: _line(text, "assertions:")]
    draft = "\n".join([*head, ""]) + "\n"
    workspace.open(path, draft)
    found = workspace.at("textDocument/completion", path, len(head), 0)
    items = found["items"] if isinstance(found, dict) else found
    labels = {item["label"]: item for item in items}
    assert {"assertions", "promotion", "trials"} <= set(labels)
    assert "version" not in labels  # already in the document
    documentation = labels["assertions"]["documentation"]
    assert documentation["value"] == SCHEMA["properties"]["assertions"]["markdownDescription"]


@pytest.mark.parametrize("route", ROUTES)
def test_an_unknown_key_is_a_diagnostic_at_its_line(workspace: Workspace, route: str) -> None:
    path, text = _documents(workspace)[route]
    line = _line(text, "assertions:")
    broken = text.replace("\nassertions:", "\nvotes: 3\nassertions:", 1)
    diagnostics = workspace.open(path, broken)
    assert [(d["message"], d["range"]["start"]["line"], d["severity"]) for d in diagnostics] == [
        ("Property votes is not allowed.", line, 1)
    ]
    workspace.open(path, text)  # back to valid, for the next test


def test_even_votes_are_a_diagnostic(workspace: Workspace) -> None:
    text = EXAMPLE.read_text("utf-8")
    assert "votes: 3" in text
    diagnostics = workspace.open(EXAMPLE, text.replace("votes: 3", "votes: 4", 1))
    assert [d["range"]["start"]["line"] for d in diagnostics] == [_line(text, "      votes: 3")]
    workspace.open(EXAMPLE, text)
