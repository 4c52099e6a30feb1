"""Property: on any text, and on mutations of real case files and configs, the loader and the
config reader raise nothing but their own errors, and no check crashes inside the loader."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.errors import InputError
from gate.load.config import load_config
from gate.load.loader import load_cases
from gate.load.yamlsafe import YamlError, parse_yaml

DATA = Path(__file__).parents[1] / "data"
SEEDS = [
    p.read_text("utf-8")
    for p in sorted((DATA / "cases" / "valid").glob("*.y*ml"))
    + sorted((DATA / "hostile").glob("regex_*.yaml"))[:6]
]
CONFIG_SEEDS = [
    "version: 1\ncases: [cases]\npattern_syntax: github\n"
    "triggers: {prompt_change: ['prompts/**', '!prompts/README.md']}\n"
    "always_full: ['harness/**']\nfast_tier: {max_cases: 100, max_minutes: 10}\n"
    "pii_allowlist: ['^acct_fixture_[0-9]+$']\ndefaults: {concurrency: 8, trials: 1, votes: 3}\n"
]
# What YAML, the schemas and RE2 treat specially: mutations splice these in anywhere.
TOKENS = [
    *":-[]{},&*!|>'\"#%@`?\t\n\r \\~",
    ".nan", ".inf", "-.inf", "1e99999", "0x", "0o", "99999999999999999999", "-1", "null",
    "&a ", "*a", "<<: ", "!!python/object ", "!!binary ", "---\n", "...\n", "? ",
    "(?=", "(?P=x)", "\\1", "{,3}", "a{1001}", "[z-a]", "(", ")", "{regex: ", "\ufeff",
    "\x00", "\x85", "\u2028", "\ud800", "\U0001f600", "é",
]  # fmt: skip
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every CI run; widen by hand when hunting
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str]) -> str:
    """A seed with a few characters or tokens replaced, inserted or deleted anywhere."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        piece = draw(st.sampled_from(TOKENS) | st.text(max_size=3))
        text = text[:at] + piece + text[at + cut :]
    return text


TEXTS = st.one_of(st.text(max_size=400), mutated(SEEDS))
CONFIG_TEXTS = st.one_of(st.text(max_size=200), mutated(CONFIG_SEEDS))


def _write(folder: str, name: str, text: str) -> Path:
    path = Path(folder, name)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))  # lone surrogates: invalid UTF-8
    return path


@EXAMPLES
@given(TEXTS)
def test_parse_yaml_raises_only_yaml_errors(text: str) -> None:
    try:
        parse_yaml(text)
    except YamlError:
        pass


@EXAMPLES
@given(TEXTS)
def test_the_loader_never_raises_and_no_check_crashes(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        result = load_cases([_write(folder, "case.yaml", text)])
    assert not any("could not check this file" in d.message for d in result.diagnostics)
    for diagnostic in result.diagnostics:
        assert "\n" not in str(diagnostic) and diagnostic.line >= 1 and diagnostic.col >= 1


@EXAMPLES
@given(CONFIG_TEXTS)
def test_the_config_reader_raises_only_its_own_errors(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        try:
            load_config(_write(folder, ".voice-regress.yml", text))
        except InputError:  # ConfigError (every problem located) is one
            pass
