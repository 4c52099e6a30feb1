"""Broken harnesses for harness-check: the reference harness with one adapter mistake applied."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from gate.reference.app import ReferenceHarness, Response
from gate.reference.server import running_harness

Mutation = Callable[[str, str, Mapping[str, str], bytes, Response], Response]


class BrokenHarness(ReferenceHarness):
    """The reference harness with one adapter mistake applied to its answers."""

    def __init__(self, mutation: Mutation) -> None:
        super().__init__()
        self.mutation = mutation

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        return self.mutation(
            method, path, headers, body, super().handle(method, path, headers, body)
        )


def on_runs(change: Callable[[dict[str, Any]], None]) -> Mutation:
    """Change every RunResult (a 200 with events) the harness answers."""

    def mutation(
        method: str, path: str, headers: Mapping[str, str], body: bytes, response: Response
    ) -> Response:
        status, out_headers, payload = response
        data = json.loads(payload)
        if status == 200 and "events" in data:
            change(data)
        return status, out_headers, json.dumps(data).encode()

    return mutation


@contextmanager
def broken(mutation: Mutation) -> Iterator[str]:
    with running_harness(harness=BrokenHarness(mutation)) as url:
        yield url
