"""Fixtures of the sync tests: a live server with a patch, two officers, a PCSO, a manager,
and a factory of devices signed in to it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database
from tests.sync.device import Device

PROPS = [
    {
        "uprn": f"1000000000{i:02d}",
        "patch": "North",
        "estate": "Oak Farm",
        "block": "A",
        "address": f"{i} Oak Road",
        "postcode": "WA7 1AB",
        "lat": 53.33 + i / 1000,
        "lon": -2.70,
        "bedrooms": 2,
        "tenancy_ref": f"TEN-{i}",
    }
    for i in range(1, 4)
]

DeviceFactory = Callable[..., Device]


def setup_server(server: LiveServer) -> dict[str, str]:
    server.import_properties(PROPS)
    return {
        "olive": server.add_user("olive", role="officer", patches=["North"], name="Olive Officer"),
        "oscar": server.add_user("oscar", role="officer", patches=["North"], name="Oscar Officer"),
        "mina": server.add_user("mina", role="manager", name="Mina Manager"),
        "percy": server.add_user("percy", role="pcso", patches=["North"], name="Percy PCSO"),
    }


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server per backend per module (tests use their own records), users set up."""
    folder = tmp_path_factory.mktemp("server")
    with contextlib.ExitStack() as stack:
        url = None if request.param == "sqlite" else stack.enter_context(fresh_database())
        live = stack.enter_context(LiveServer(data_dir=folder, database_url=url))
        live.user_ids = setup_server(live)  # type: ignore[attr-defined]
        yield live


@pytest.fixture
def make_device(tmp_path: Path) -> Iterator[Callable[..., Device]]:
    made: list[Device] = []

    def make(server: LiveServer, username: str, **kw: object) -> Device:
        device = Device(url=server.url, data_dir=tmp_path / f"dev-{len(made)}-{username}", **kw)  # type: ignore[arg-type]
        made.append(device)
        device.sign_in(username)
        return device

    yield make
    for device in made:
        device.close()
