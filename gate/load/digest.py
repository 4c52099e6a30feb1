"""The case digest: a hash of a case's content, so a recorded result names the case it judged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from gate.models import Case

DIGEST_ALGORITHM = "sha256"


def case_digest(case: Case, audio: Mapping[int, bytes] | None = None) -> str:
    """`sha256:` and the hex hash of the case as validated, with its audio fixtures' bytes.

    The whole case, every key: anything in it may change a verdict (an assertion, the fixture
    the harness seeds, the scenario, trials, pass_threshold, even suite or level, which decide
    where the case counts), and a list of the keys that matter would go stale as keys are
    added. The validated model dumped to canonical JSON (sorted keys, defaults filled in), not
    the file's bytes: a comment, a layout or key-order change, or an explicit null for an
    omitted key leaves the case the same. Audio fixtures are hashed by content, not only named
    by path: their bytes are what the harness plays to the agent.
    """
    content = {
        "case": case.model_dump(mode="json", by_alias=True),
        "audio": {str(turn): _sha256(data) for turn, data in sorted((audio or {}).items())},
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return f"{DIGEST_ALGORITHM}:{_sha256(text.encode('utf-8'))}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
