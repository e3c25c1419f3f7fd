"""Busy is not an error: a write that cannot get the database in time is 503 ``busy`` with
``Retry-After`` (never 500), and the tablet waits that long and sends it again.

The database is held from outside the server (another SQLite connection holding the write
lock) — the fault injected on purpose; the server, the store and the sync engine are real.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from fieldapp.store.store import Store
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.transport import HttpTransport
from tests.support.api import PASSWORD, Api, mutation
from tests.support.live_server import LiveServer

CASE = {"category": "noise", "received_at": "2026-06-10T09:00:00Z", "status": "open"}
NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    # A short busy timeout, so a held lock turns into an answer within the test's patience.
    live = LiveServer(data_dir=tmp_path / "server", env={"SQLITE_BUSY_TIMEOUT_MS": "300"})
    live.add_user("ann", role="officer", patches=["North"])
    with live:
        yield live


def _hold_writes(server: LiveServer) -> sqlite3.Connection:
    holder = sqlite3.connect(
        server.data_dir / "server.db", isolation_level=None, timeout=30, check_same_thread=False
    )  # released from the push thread
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_push_that_cannot_get_the_database_is_503_busy_with_retry_after(
    server: LiveServer,
) -> None:
    with Api(server.url).login("ann") as api:
        m = mutation("asb_case", "case-1", CASE)
        holder = _hold_writes(server)
        try:
            busy = api.push_raw([m])
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"]["code"] == "busy"
        assert float(busy.headers["Retry-After"]) > 0
        # Nothing was committed: the same push afterwards is applied, once.
        assert api.push_one(m)["status"] == "applied"
        records, _, _, _ = api.pull_all()
    assert records[("asb_case", "case-1")]["version"] == 1


def test_the_tablet_waits_out_retry_after_and_sends_again(
    server: LiveServer, tmp_path: Path
) -> None:
    store = Store.open(tmp_path / "tablet")
    session = requests.Session()
    transport = HttpTransport(
        base_url=server.url, session=session, token=lambda: store.get_meta("token")
    )
    holder: sqlite3.Connection | None = None
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the engine's clock: the lock goes while it waits
        waits.append(seconds)
        if holder is not None and holder.in_transaction:
            holder.execute("ROLLBACK")

    engine = SyncEngine(store=store, transport=transport, sleep=sleep, blob_uploader=lambda **_: 0)
    try:
        engine.sign_in(username="ann", password=PASSWORD, device_name="tablet")
        with store.transaction():
            rid = store.create("asb_case", dict(CASE), now=NOW)["id"]
        holder = _hold_writes(server)
        state = engine.sync_once()
    finally:
        if holder is not None:
            if holder.in_transaction:
                holder.execute("ROLLBACK")
            holder.close()
        session.close()
    assert state.status == "online", state
    assert store.pending_count() == 0
    assert waits and waits[0] >= 2.0  # the server's Retry-After, not a guess
    row = store.get("asb_case", rid)
    store.close()
    assert row is not None and row["_version"] == 1
    with Api(server.url).login("ann") as api:
        records, _, _, _ = api.pull_all()
    assert records[("asb_case", rid)]["version"] == 1
