"""Shared servers for the server tests: one per backend (SQLite, PostgreSQL) for the session.

Starting a server costs a second or two, so the server tests share one per backend with a
fixed cast: officers of the North and South patches, a manager, a PCSO and a councillor,
and a few homes on two estates. Tests make fresh record ids, so they do not meet.

``app_cast`` is that cast on the app in this process (``tests/support/in_process.py``): for
HTTP tests that need no real socket. ``cast`` runs ``python -m server serve`` on a loopback
port, for tests of the served process itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fieldapp.ids import new_id
from tests.support.api import Api, mutation
from tests.support.in_process import InProcessServer
from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database

HOMES = [
    {
        "uprn": "100000000001",
        "patch": "North",
        "estate": "Oak",
        "block": "Oak House",
        "address": "1 Oak House",
        "postcode": "WA7 1AA",
        "lat": 53.3400,
        "lon": -2.6900,
        "bedrooms": 2,
        "tenancy_ref": "SECRET-TENANCY-1",
    },
    {
        "uprn": "100000000002",
        "patch": "North",
        "estate": "Oak",
        "block": "Oak House",
        "address": "2 Oak House",
        "postcode": "WA7 1AA",
        "lat": 53.3401,
        "lon": -2.6901,
        "bedrooms": 3,
        "tenancy_ref": "SECRET-TENANCY-2",
    },
    {
        "uprn": "100000000003",
        "patch": "South",
        "estate": "Elm",
        "block": "Elm Court",
        "address": "3 Elm Court",
        "postcode": "WA8 2BB",
        "lat": 53.3600,
        "lon": -2.7300,
        "bedrooms": 1,
        "tenancy_ref": "SECRET-TENANCY-3",
    },
]


@dataclass
class Cast:
    """A running server with its users (password ``pw``) and the ids of its homes."""

    server: LiveServer
    users: dict[str, str]  # username → user id
    homes: dict[str, str]  # uprn → property id
    patches: dict[str, str]  # patch name → id

    def api(self, username: str, *, device_id: str | None = None) -> Api:
        return Api(self.server.url).login(username, device_id=device_id)


def _start(
    tmp: Path, database_url: str | None, kind: type[LiveServer] = LiveServer
) -> tuple[LiveServer, Cast]:
    server = kind(data_dir=tmp, database_url=database_url).start()
    users = {
        "north1": server.add_user("north1", role="officer", patches=["North"], name="Nora North"),
        "north2": server.add_user("north2", role="officer", patches=["North"], name="Ned North"),
        "south1": server.add_user("south1", role="officer", patches=["South"], name="Sam South"),
        "boss": server.add_user("boss", role="manager", name="Mo Manager"),
        "pcso1": server.add_user("pcso1", role="pcso", name="Pat Pcso"),
        "cllr1": server.add_user("cllr1", role="councillor", name="Cal Councillor"),
    }
    server.import_properties(HOMES)
    cast = Cast(server, users, {}, {})
    with cast.api("boss") as boss:
        records, _, _, _ = boss.pull_all()
    for (entity, _id), change in records.items():
        if entity == "property":
            cast.homes[change["data"]["uprn"]] = change["id"]
        elif entity == "patch":
            cast.patches[change["data"]["name"]] = change["id"]
    return server, cast


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def cast(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cast]:
    tmp = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "sqlite":
        server, c = _start(tmp, None)
        try:
            yield c
        finally:
            server.stop()
    else:
        with fresh_database() as url:
            server, c = _start(tmp, url)
            try:
                yield c
            finally:
                server.stop()


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def app_cast(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cast]:
    """The same cast on ``create_app`` in this process (no subprocess, no port)."""
    tmp = tmp_path_factory.mktemp(f"app-{request.param}")
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database()) if request.param == "postgres" else None
        server, c = _start(tmp, url, InProcessServer)
        stack.callback(server.stop)
        yield c


def new_case(**extra: Any) -> tuple[str, dict[str, Any]]:
    """A fresh ASB case id and a creating patch."""
    patch = {
        "category": "noise",
        "received_at": "2026-06-10T09:00:00Z",
        "description": "music at night",
        "status": "open",
        **extra,
    }
    return new_id(), patch


def status_clash(
    cast: Cast, a: Api, b: Api, *, kept: str = "action_plan", proposed: str = "monitoring"
) -> tuple[str, dict[str, Any]]:
    """A North case whose status ``a`` sets to ``kept`` and ``b``, from the same base, to
    ``proposed``: the case id and ``b``'s result (status ``conflict``)."""
    rid, patch = new_case(property_id=cast.homes["100000000001"])
    create(a, "asb_case", patch, rid)
    a.push_one(mutation("asb_case", rid, {"status": kept}, base_version=1))
    clash = b.push_one(mutation("asb_case", rid, {"status": proposed}, base_version=1))
    assert clash["status"] == "conflict", clash
    return rid, clash


def create(api: Api, entity: str, patch: dict[str, Any], rid: str | None = None) -> dict[str, Any]:
    """Create a record and check it was applied; returns the result."""
    result = api.push_one(mutation(entity, rid or new_id(), patch))
    assert result["status"] == "applied", result
    return result
