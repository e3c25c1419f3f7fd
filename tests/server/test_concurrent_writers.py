"""Writers side by side: a reader pulling all the while sees every committed record exactly once.

The cursor's promise is that a pull never skips a row that commits later with a lower
position. On PostgreSQL writers no longer queue behind one lock, so positions are handed out
by a sequence and pulls stop below the oldest position still in flight; on SQLite the one
write transaction at a time keeps the promise by itself. The first test holds a write open
with a position taken (PostgreSQL), the second runs many writers against a reader.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fieldapp.ids import new_id
from server.db import make_engine, utcnow, writing
from server.services.records import WriteBatch
from tests.support.api import Api, mutation
from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database, psycopg_dsn

CASE = {"category": "noise", "received_at": "2026-06-10T09:00:00Z", "status": "open"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """SQLite with one process; PostgreSQL with two worker processes."""
    if request.param == "sqlite":
        with LiveServer(data_dir=tmp_path) as live:
            yield live
    else:
        with (
            fresh_database() as url,
            LiveServer(data_dir=tmp_path, database_url=url, workers=2) as live,
        ):
            yield live


def _page(reader: Api, cursor: str | None, seen: Counter[str], limit: int) -> tuple[str, bool]:
    """Pull one page from ``cursor``, counting each record sent; (next cursor, has more)."""
    r = reader.pull(cursor, limit)
    assert r.status_code == 200, r.text
    page = r.json()
    seen.update(c["id"] for c in page["changes"] if c["entity"] == "asb_case")
    return page["next_cursor"], bool(page["has_more"])


def _drain(reader: Api, cursor: str | None, seen: Counter[str], limit: int) -> str | None:
    """Pull pages from ``cursor`` until caught up, counting each record sent."""
    more = True
    while more:
        cursor, more = _page(reader, cursor, seen, limit)
    return cursor


def test_a_reader_pulling_among_many_writers_sees_each_record_exactly_once(
    server: LiveServer,
) -> None:
    writers, pushes, per_push = 8, 10, 5
    for n in range(writers):
        server.add_user(f"w{n}", role="officer", patches=["North"])
    server.add_user("boss", role="manager")
    apis = [Api(server.url).login(f"w{n}") for n in range(writers)]
    reader = Api(server.url).login("boss")
    created: list[str] = []
    lock = threading.Lock()

    go = threading.Event()  # the writers start once the reader has its first cursor

    def write(api: Api) -> None:
        go.wait(timeout=60)
        for _ in range(pushes):
            batch = [mutation("asb_case", new_id(), CASE) for _ in range(per_push)]
            results = api.push(*batch)
            assert [r["status"] for r in results] == ["applied"] * per_push, results
            with lock:
                created.extend(m["id"] for m in batch)

    seen: Counter[str] = Counter()
    cursor: str | None = None
    pulls = 0
    with ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(write, api) for api in apis]
        cursor = _drain(reader, cursor, seen, limit=7)
        go.set()
        # One small page at a time while others commit: the writers are quick (a push of five
        # takes milliseconds), so draining to the end each time would see them all finished.
        while not all(f.done() for f in futures):
            cursor, _ = _page(reader, cursor, seen, limit=7)
            pulls += 1
        for f in futures:
            f.result()
    _drain(reader, cursor, seen, limit=7)
    for api in (*apis, reader):
        api.close()
    assert pulls > 1  # the reader really pulled while the writers wrote
    assert len(created) == writers * pushes * per_push
    missing = set(created) - set(seen)
    twice = {rid: n for rid, n in seen.items() if n != 1}
    assert not missing, f"{len(missing)} committed records were never pulled"
    assert not twice, f"records pulled more than once: {twice}"
    assert set(seen) == set(created)


@pytest.mark.postgres
def test_a_pull_stops_below_a_write_still_in_flight(tmp_path: Path) -> None:
    with (
        fresh_database() as url,
        LiveServer(data_dir=tmp_path, database_url=url) as live,
    ):
        live.add_user("ann", role="officer", patches=["North"])
        live.add_user("boss", role="manager")
        writer = Api(live.url).login("ann")
        reader = Api(live.url).login("boss")
        engine = make_engine(url)
        slow_id = new_id()
        try:
            with writing(engine) as conn:
                # A write that has taken its position and written its row, but not committed.
                batch = WriteBatch(conn, now=utcnow())
                row = batch.new_row("asb_case", slow_id, device_id=None, user_id=None)
                batch.write(row, dict(CASE), device_id=None, user_id=None)
                batch.flush()
                slow_seq = row.seq
                # Meanwhile another push commits, with a later position.
                fast_id = new_id()
                assert writer.push_one(mutation("asb_case", fast_id, CASE))["status"] == "applied"
                seen: Counter[str] = Counter()
                cursor = _drain(reader, None, seen, limit=100)
                # Serving the later record now would move the cursor past the slow one.
                assert fast_id not in seen
                assert slow_id not in seen
            # Committed: the next pull brings both, each once.
            _drain(reader, cursor, seen, limit=100)
        finally:
            engine.dispose()
            writer.close()
            reader.close()
    assert slow_seq > 0
    assert seen[slow_id] == 1 and seen[fast_id] == 1


@pytest.mark.postgres
def test_a_write_kept_waiting_on_a_held_record_is_503_busy(tmp_path: Path) -> None:
    import psycopg

    with (
        fresh_database() as url,
        LiveServer(data_dir=tmp_path, database_url=url) as live,
    ):
        live.add_user("ann", role="officer", patches=["North"])
        with Api(live.url).login("ann") as api:
            rid = new_id()
            assert api.push_one(mutation("asb_case", rid, CASE))["version"] == 1
            edit = mutation("asb_case", rid, {"description": "later"}, base_version=1)
            dsn = psycopg_dsn(url)
            with psycopg.connect(dsn) as holder:  # another writer holds the record
                holder.execute("SELECT 1 FROM record WHERE id = %s FOR UPDATE", (rid,))
                busy = api.push_raw([edit])
                holder.rollback()
            assert busy.status_code == 503, busy.text
            assert busy.json()["error"]["code"] == "busy"
            assert float(busy.headers["Retry-After"]) > 0
            # Nothing was committed: sent again, it is applied once.
            assert api.push_one(edit)["version"] == 2


@pytest.mark.postgres
def test_more_pushes_at_once_than_the_pool_holds_each_get_their_case_references(
    tmp_path: Path,
) -> None:
    """Each new case takes its reference in a short transaction of its own. Taken from the
    pool the push already holds a connection of, a full pool waited on itself: every push
    stood still until the pool's timeout and was answered 503 busy."""
    tablets, per_push = 28, 3  # more than the 16 connections of the server's pool
    with (
        fresh_database() as url,
        LiveServer(data_dir=tmp_path, database_url=url) as live,
    ):
        for n in range(tablets):
            live.add_user(f"w{n}", role="officer", patches=["North"])
        live.add_user("boss", role="manager")
        apis = [Api(live.url).login(f"w{n}") for n in range(tablets)]
        at_once = threading.Barrier(tablets)

        def push(api: Api) -> tuple[int, list[str]]:
            at_once.wait(timeout=60)
            r = api.push_raw([mutation("asb_case", new_id(), CASE) for _ in range(per_push)])
            return r.status_code, [x["status"] for x in r.json().get("results", [])]

        with ThreadPoolExecutor(tablets) as pool:
            answers = list(pool.map(push, apis))
        with Api(live.url).login("boss") as boss:
            records, _, _, _ = boss.pull_all()
        for api in apis:
            api.close()
    assert answers == [(200, ["applied"] * per_push)] * tablets
    cases = [r["data"] for (entity, _), r in records.items() if entity == "asb_case"]
    numbers = sorted(int(case["reference"].rsplit("-", 1)[1]) for case in cases)
    assert numbers == list(range(1, tablets * per_push + 1))  # unique, none lost to a retry
