"""Database trouble under a request: "busy, try again", never a server error or a dead probe.

An administrator ending a backend, a failover or a restart cuts the connection a request is
using. Nothing it did was committed that a retry would not find (a push replays its stored
results), so the answer is ``503 busy`` with ``Retry-After``, as for any database that could
not be had in time, and the next request gets a fresh connection. The log names what failed
but never a statement's values (a resident's details, a token's hash). And while every
request thread waits on the database, the load balancer's probe (``/health``) still answers.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, exc, text

from fieldapp.ids import new_id
from server.db import make_engine, side_engine
from tests.support.api import Api, mutation
from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database, psycopg_dsn

pytestmark = pytest.mark.timeout(120)

CASE = {"category": "noise", "received_at": "2026-06-10T09:00:00Z", "status": "open"}
# The table a request waits on, and so where its connection is cut: the token check reads
# ``session_token`` first; a pull reads ``record`` after the token check has passed.
WHERE = [("/auth/me", "session_token"), ("/sync/pull", "record")]


@pytest.mark.postgres
@pytest.mark.parametrize(("path", "table"), WHERE, ids=["token_check", "pull"])
def test_a_connection_cut_mid_request_is_503_busy_and_the_next_request_works(
    tmp_path: Path, path: str, table: str
) -> None:
    import psycopg

    with fresh_database() as url, LiveServer(data_dir=tmp_path, database_url=url) as live:
        live.add_user("ann", role="officer", patches=["North"])
        with Api(live.url).login("ann") as api:
            assert api.push_one(mutation("asb_case", new_id(), CASE))["version"] == 1
            dsn = psycopg_dsn(url)
            answer: list[httpx.Response] = []
            with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as admin:
                holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                waiting = threading.Thread(target=lambda: answer.append(api.get(path)))
                waiting.start()
                ended = _lock_waiters(admin, url.rsplit("/", 1)[1])
                for pid in ended:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                waiting.join(60)
                holder.rollback()
            assert len(ended) >= 1
            assert len(answer) == 1
            cut = answer[0]
            assert cut.status_code == 503, cut.text
            assert cut.json()["error"]["code"] == "busy"
            assert float(cut.headers["Retry-After"]) > 0
            again = api.get(path)
            assert again.status_code == 200, again.text
        log = live.log_path.read_text(errors="replace")
        assert "unhandled error" not in log
        assert "busy on GET /api/v1" + path in log


def _lock_waiters(admin: Any, database: str, *, at_least: int = 1) -> list[int]:
    """The pids of the server's backends of ``database`` waiting on a lock, once there are
    ``at_least`` of them (within 30 s; fewer after that)."""
    deadline = time.monotonic() + 30
    pids: list[int] = []
    while time.monotonic() < deadline:
        pids = [
            pid
            for (pid,) in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                (database,),
            )
        ]
        if len(pids) >= at_least:
            break
        time.sleep(0.05)
    return pids


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_logged_database_errors_carry_no_values(tmp_path: Path, db: str) -> None:
    if db == "sqlite":
        engines = [make_engine(f"sqlite:///{tmp_path / 'server.db'}")]
        _check_hidden(engines)
        return
    with fresh_database() as url:
        engine = make_engine(url)
        _check_hidden([engine, side_engine(engine)])


def _check_hidden(engines: list[Engine]) -> None:
    for engine in engines:
        try:
            with engine.connect() as conn:
                with pytest.raises(exc.DBAPIError) as failed:
                    conn.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": "Smith"})
            assert "Smith" not in str(failed.value)
            assert "hidden due to hide_parameters" in str(failed.value)
        finally:
            engine.dispose()


@pytest.mark.postgres
def test_health_answers_while_every_request_thread_waits_on_the_database(tmp_path: Path) -> None:
    """A migration's table lock holds every token check (and so every thread of the pool):
    the load balancer's probe still answers, before any of them does."""
    import psycopg

    with fresh_database() as url, LiveServer(data_dir=tmp_path, database_url=url) as live:
        live.add_user("ann", role="officer", patches=["North"])
        with Api(live.url).login("ann") as api:
            dsn = psycopg_dsn(url)
            answered: list[int] = []
            with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as admin:
                holder.execute("LOCK TABLE session_token IN ACCESS EXCLUSIVE MODE")
                waiting = [
                    threading.Thread(
                        target=lambda: answered.append(api.get("/auth/me").status_code)
                    )
                    for _ in range(60)
                ]
                for t in waiting:
                    t.start()
                assert len(_lock_waiters(admin, url.rsplit("/", 1)[1], at_least=10)) >= 10
                health = httpx.get(f"{live.url}/api/v1/health", timeout=60)
                before = list(answered)  # what the token checks had answered by then
                holder.rollback()
                for t in waiting:
                    t.join(90)
            assert health.status_code == 200
            assert before == []  # the probe did not wait for the lock
            assert len(answered) == 60 and set(answered) <= {200, 503}
