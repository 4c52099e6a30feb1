"""Fixtures shared by the GitHub tests: a loopback fake GitHub API and a client talking to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import TOKEN, FakeGitHub, serve_fake_github

from gate.github.api import ApiPolicy, GitHubClient


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with serve_fake_github() as server:
        yield server


@pytest.fixture
def client(fake: FakeGitHub) -> Iterator[GitHubClient]:
    # No spacing between writes: the fake answers at once and the tests stay instant.
    with GitHubClient(fake.url, TOKEN, policy=ApiPolicy(write_interval_s=0)) as gh:
        yield gh
