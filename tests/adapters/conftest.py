"""The adapter examples import as top-level modules, as they do when run from their folder."""

from __future__ import annotations

import contextlib
import importlib
import sys
import warnings
from pathlib import Path

ADAPTERS = Path(__file__).resolve().parents[2] / "examples" / "adapters"
sys.path.insert(0, str(ADAPTERS))

# Where the optional frameworks are installed, their import-time deprecations (Pipecat imports
# audioop) are theirs: import them once here, so the adapters' own imports warn no more.
for framework in ("pipecat.frames.frames", "pipecat.audio.utils", "livekit.agents"):
    with warnings.catch_warnings(), contextlib.suppress(ImportError):
        warnings.simplefilter("ignore", DeprecationWarning)
        importlib.import_module(framework)
