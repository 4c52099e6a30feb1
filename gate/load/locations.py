"""Where a loaded case's nodes are, kept compactly for the life of a run of thousands of cases."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator, Mapping
from typing import Any

Location = tuple[int, int]

# One index per distinct set of located paths: cases written alike share it (and one pickle of
# many cases, sent back by a worker process, writes it once).
_INDEXES: dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, int]]] = {}
# Unsigned, 32 bits where the platform has them: no line or column of a capped case file is larger.
_CELL = "I" if array("I").itemsize >= 4 else "L"


class Locations(Mapping[str, Location]):
    """A read-only `{json path: (line, col)}`: the paths in an index shared by every case with
    the same ones, the numbers in one array. Why: as a dict of tuples it was a kilobyte a case,
    a tenth of a run's memory per case at 5,000 cases."""

    __slots__ = ("_keys", "_index", "_cells")

    def __init__(self, located: Mapping[str, Location]) -> None:
        self._share(tuple(sys.intern(k) for k in located))
        self._cells = array(_CELL, [n for where in located.values() for n in where])

    def _share(self, keys: tuple[str, ...]) -> None:
        self._keys, self._index = _INDEXES.setdefault(
            keys, (keys, {k: i for i, k in enumerate(keys)})
        )

    @classmethod
    def _restore(cls, keys: tuple[str, ...], cells: bytes) -> Locations:
        """Unpickled: the keys are one tuple per structure in a worker's pickle, the numbers
        raw bytes; nothing is rebuilt per case but the array."""
        made = cls.__new__(cls)
        made._share(keys)
        made._cells = array(_CELL)
        made._cells.frombytes(cells)
        return made

    def __getitem__(self, key: str) -> Location:
        i = 2 * self._index[key]
        return self._cells[i], self._cells[i + 1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __reduce__(self) -> tuple[Any, tuple[tuple[str, ...], bytes]]:
        return Locations._restore, (self._keys, self._cells.tobytes())

    def __repr__(self) -> str:
        return f"Locations({dict(self.items())!r})"
