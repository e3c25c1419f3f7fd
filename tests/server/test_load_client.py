"""The load benchmark's HTTP client (``bench/raw_http.py``) against the real server.

The benchmark's figures are only as true as this client: it must read every answer whole
(by length, inflating gzip), keep one connection per tablet, and come back after the server
has gone away and returned.
"""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from bench.raw_http import Connection
from tests.server.conftest import HOMES
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.timeout(120)


def test_answers_are_read_whole_on_one_kept_connection(live_server: LiveServer) -> None:
    live_server.import_properties(HOMES[:1])  # one home of the North patch
    live_server.add_user("officer1", role="officer", patches=["North"])
    token = live_server.login("officer1")["access_token"]

    async def run() -> tuple[list[int], int, dict[str, object], dict[str, object]]:
        conn = Connection(live_server.url)
        try:
            health = await conn.request("GET", "/api/v1/health")
            first = conn._writer
            bearer = {"Authorization": f"Bearer {token}"}
            pull = await conn.request("GET", "/api/v1/sync/pull", headers=bearer)
            body = gzip.compress(json.dumps({"schema_version": 1, "mutations": []}).encode())
            push = await conn.request(
                "POST",
                "/api/v1/sync/push",
                headers={**bearer, "Content-Type": "application/json", "Content-Encoding": "gzip"},
                content=body,
            )
            refused = await conn.request("GET", "/api/v1/sync/pull")
            statuses = [health.status_code, pull.status_code, push.status_code]
            same = int(conn._writer is first)
            return statuses + [refused.status_code], same, pull.json(), refused.json()
        finally:
            conn.close()

    statuses, same, page, refused = asyncio.run(run())
    assert statuses == [200, 200, 200, 401]
    assert same == 1  # four requests, one connection
    homes = [c for c in page["changes"] if c.get("entity") == "property"]
    assert [h["data"]["uprn"] for h in homes] == ["100000000001"]  # the page, read whole
    assert refused["error"]["code"] == "unauthenticated"


def test_a_lost_server_is_an_error_and_a_closed_connection_is_opened_again(
    live_server: LiveServer,
) -> None:
    async def run() -> tuple[list[int], str]:
        conn = Connection(live_server.url, timeout=10)
        try:
            statuses = [(await conn.request("GET", "/api/v1/health")).status_code]
            assert conn._writer is not None
            conn._writer.transport.abort()  # the connection is gone under the client
            statuses.append((await conn.request("GET", "/api/v1/health")).status_code)
            live_server.stop()
            with pytest.raises(ConnectionError) as lost:
                await conn.request("GET", "/api/v1/health")
            return statuses, str(lost.value)
        finally:
            conn.close()

    statuses, lost = asyncio.run(run())
    assert statuses == [200, 200]
    assert lost.startswith("GET /api/v1/health: ")
