"""The pinned JavaScript consumers (package-lock.json here), installed once per lockfile."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.node import install_consumers


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The consumers' node_modules, outside the checkout (`npm ci` into a cache dir)."""
    return install_consumers(Path(__file__).resolve().parent)
