"""Results-file entries rendered as each case finishes, spooled to a private temporary file."""

from __future__ import annotations

import io
import tempfile
from typing import IO

from gate.records.results_file import case_entry_text
from gate.results import CaseResult, GateResult


class EarlyCases:
    """Cases' results-file entries, rendered as each case finishes rather than all after the last:
    at thousands of cases that rendering was a second added to the wall after dispatch, while
    dispatch itself mostly waits on the harness. Why a file: kept in memory, the entries were
    0.75 KB a case for the whole run. It is unnamed (unlinked at once) and readable by this
    process only, and holds nothing a report would not: every string is cleaned and masked.

    An entry is used only for the very CaseResult it was rendered from (a result that changed
    since, e.g. scrubbed by its retention policy, is a new object), under the same flags, and
    for a case without baseline labels (those are known only after the run): else the case is
    rendered at the end as before, so the file is byte for byte the same either way.
    """

    def __init__(self, *, shard: bool, record_runs: bool) -> None:
        self.shard, self.record_runs = shard, record_runs
        self._spool: IO[bytes]
        try:
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        except OSError:  # no writable temporary folder (a read-only container): keep them here
            self._spool = io.BytesIO()
        self._entries: dict[str, tuple[CaseResult, int, int]] = {}  # id: result, offset, size

    def add(self, result: CaseResult) -> None:
        """Render `result`'s entry now."""
        text = case_entry_text(result, None, runs=self.shard, record=self.record_runs)
        data = text.encode("utf-8")
        offset = self._spool.seek(0, 2)
        self._spool.write(data)
        self._entries[result.case.id] = (result, offset, len(data))

    def entry(self, result: CaseResult, gate: GateResult, record_runs: bool) -> str | None:
        """The early entry of `result` in `gate`'s file, if it is still the right one."""
        hit = self._entries.get(result.case.id)
        flags = (gate.selection.shard is not None, record_runs) == (self.shard, self.record_runs)
        labelled = gate.baseline is not None and result.case.id in gate.baseline.labels
        if hit is None or hit[0] is not result or not flags or labelled:
            return None
        self._spool.seek(hit[1])
        return self._spool.read(hit[2]).decode("utf-8")

    def __enter__(self) -> EarlyCases:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the spool (its file disappears with it)."""
        self._spool.close()
        self._entries.clear()
