"""The server's clock is a parameter: ``create_app(settings, clock=…)``.

A token's lifetime, and the ``server_time`` a sync answers with, follow the clock handed in, so
expiry is tested by moving the clock rather than by waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fieldapp.ids import new_id, to_wire
from tests.support.api import Api, mutation
from tests.support.in_process import Clock, InProcessServer

START = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InProcessServer]:
    clock = Clock(START)
    live = InProcessServer(
        data_dir=tmp_path, clock=clock, settings={"token_lifetime_seconds": 3600}
    )
    with live:
        live.add_user("ann", role="manager", name="Ann")
        yield live


def test_a_token_expires_when_the_clock_passes_its_lifetime(server: InProcessServer) -> None:
    with Api(server.url).login("ann") as a:
        assert a.get("/auth/me").status_code == 200
        server.clock.advance(3599)
        assert a.get("/auth/me").status_code == 200
        server.clock.advance(2)
        expired = a.get("/sync/pull")
        assert expired.status_code == 401
        assert expired.json()["error"]["code"] == "token_expired"
    with Api(server.url).login("ann") as again:  # a new sign-in lives from the new now
        assert again.get("/auth/me").status_code == 200


def test_sign_in_push_and_pull_answer_with_the_servers_clock(server: InProcessServer) -> None:
    body = server.login("ann")
    assert body["server_time"] == to_wire(START)
    assert body["expires_at"] == "2026-06-10T10:00:00Z"
    server.clock.advance(60)
    with Api(server.url).login("ann") as a:
        pushed = a.post(
            "/sync/push",
            {
                "device_id": a.device_id,
                "schema_version": 1,
                "mutations": [mutation("walkabout", new_id(), {"estate": "Oak"})],
            },
        )
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["server_time"] == "2026-06-10T09:01:00Z"
        server.clock.advance(60)
        assert a.pull().json()["server_time"] == "2026-06-10T09:02:00Z"
