"""Pytest fixtures for real servers and databases (loaded by the root conftest as a plugin).

- ``live_server``: the sync server on SQLite in a temporary folder, on a free loopback port.
- ``pg_url``: a fresh PostgreSQL database (dropped afterwards).
- ``live_server_pg``: the server on that PostgreSQL database.
- ``any_server``: parametrized, runs the test on both (ids ``sqlite`` and ``postgres``).
Each is function-scoped: a fresh database per test. Everything started is stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(data_dir=tmp_path / "server") as server:
        yield server


@pytest.fixture
def live_server_pg(tmp_path: Path, pg_url: str) -> Iterator[LiveServer]:
    with LiveServer(data_dir=tmp_path / "server", database_url=pg_url) as server:
        yield server


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def any_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    if request.param == "sqlite":
        with LiveServer(data_dir=tmp_path / "server") as server:
            yield server
    else:
        with (
            fresh_database() as url,
            LiveServer(data_dir=tmp_path / "server", database_url=url) as server,
        ):
            yield server
