"""Golden files: compare a rendered text with its file, or rewrite it under `--update-golden`."""

from __future__ import annotations

from pathlib import Path

UPDATE = False  # set by tests/conftest.py from `pytest --update-golden`


def assert_golden_file(path: Path, text: str) -> None:
    """`text` equals the file at `path`; with `--update-golden` the file is rewritten first."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"no golden file {path}: run pytest with --update-golden"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path} differs: review, then run pytest with --update-golden to accept"
    )
