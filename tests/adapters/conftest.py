"""The adapter examples import as top-level modules, as they do when run from their folder."""

from __future__ import annotations

import sys
from pathlib import Path

ADAPTERS = Path(__file__).resolve().parents[2] / "examples" / "adapters"
sys.path.insert(0, str(ADAPTERS))
