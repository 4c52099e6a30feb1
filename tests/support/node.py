"""Node and the pinned npm consumers for tests/consumers: found and installed, or skipped.

`npm ci` runs into a cache folder named by the lockfile's hash (never into the checkout), so CI on
the same machine installs once; a missing node or npm skips, or fails under VRG_REQUIRE_TOOLS=1
as the Python linters do (support/tools.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

INSTALL_TIMEOUT_S = 300


def missing(reason: str) -> None:
    """Skip, or fail when CI requires every external tool."""
    if os.environ.get("VRG_REQUIRE_TOOLS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def node() -> str:
    """The `node` binary (20 or later: the pinned yaml-language-server 1.x runs on it)."""
    found = shutil.which("node")
    if found is None:
        missing("node is not installed: the JavaScript consumer tests need node >= 20 and npm")
    return str(found)


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "voice-regress-gate" / "npm-consumers"


def install_consumers(folder: Path) -> Path:
    """`npm ci` of `folder`'s package.json and lockfile into the cache; the node_modules path."""
    node()
    npm = shutil.which("npm")
    if npm is None:
        missing("npm is not installed: the JavaScript consumer tests need it")
    files = [folder / "package.json", folder / "package-lock.json"]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    target = _cache_root() / digest
    if (target / "node_modules" / ".vrg-complete").is_file():
        return target / "node_modules"
    target.parent.mkdir(parents=True, exist_ok=True)
    # Install beside the target and rename: a run killed mid-install leaves no half tree behind.
    scratch = Path(tempfile.mkdtemp(prefix=f"{digest}.", dir=target.parent))
    for file in files:
        shutil.copy2(file, scratch / file.name)
    try:
        done = subprocess.run(
            [str(npm), "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=False,
            timeout=INSTALL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(scratch, ignore_errors=True)
        missing(f"npm ci took longer than {INSTALL_TIMEOUT_S}s (is the npm registry reachable?)")
    if done.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        missing(f"npm ci failed (is the npm registry reachable?):\n{done.stderr[-2000:]}")
    (scratch / "node_modules" / ".vrg-complete").write_text(digest, "utf-8")
    try:
        scratch.rename(target)
    except OSError:  # another session renamed its complete tree there first: use that one
        shutil.rmtree(scratch, ignore_errors=True)
    return target / "node_modules"
