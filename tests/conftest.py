"""Shared pytest wiring: the `--update-golden` option, and the fake GitHub API fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import golden
from support.fake_github import TOKEN, FakeGitHub, serve_fake_github

from gate.github.api import ApiPolicy, GitHubClient


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files (tests/golden, tests/data/cases/invalid) instead of comparing",
    )


def pytest_configure(config: pytest.Config) -> None:
    golden.UPDATE = bool(config.getoption("--update-golden"))


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with serve_fake_github() as server:
        yield server


@pytest.fixture
def client(fake: FakeGitHub) -> Iterator[GitHubClient]:
    # No spacing between writes: the fake answers at once and the tests stay instant.
    with GitHubClient(fake.url, TOKEN, policy=ApiPolicy(write_interval_s=0)) as gh:
        yield gh
