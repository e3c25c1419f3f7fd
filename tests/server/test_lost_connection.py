"""A database connection lost under a request is "busy, try again", not a server error.

An administrator ending a backend, a failover or a restart cuts the connection a request is
using. Nothing it did was committed that a retry would not find (a push replays its stored
results), so the answer is ``503 busy`` with ``Retry-After``, as for any database that could
not be had in time, and the next request gets a fresh connection. The log names what failed
but never a statement's values (a resident's details, a token's hash).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from fieldapp.ids import new_id
from server.db import make_engine, side_engine
from tests.support.api import Api, mutation
from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database

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
            dsn = url.replace("postgresql+psycopg://", "postgresql://")
            answer: list[httpx.Response] = []
            with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as admin:
                holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                waiting = threading.Thread(target=lambda: answer.append(api.get(path)))
                waiting.start()
                ended = _end_backends_waiting_on_a_lock(admin, url.rsplit("/", 1)[1])
                waiting.join(60)
                holder.rollback()
            assert ended >= 1
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


def _end_backends_waiting_on_a_lock(admin: object, database: str) -> int:
    """End the server's backends of ``database`` waiting on a lock (within 30 s); how many."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = admin.execute(  # type: ignore[attr-defined]
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
        if rows:
            return len(rows)
        time.sleep(0.05)
    return 0


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_logged_database_errors_carry_no_values(tmp_path: Path, db: str) -> None:
    if db == "sqlite":
        engines = [make_engine(f"sqlite:///{tmp_path / 'server.db'}")]
        _check_hidden(engines)
        return
    with fresh_database() as url:
        engine = make_engine(url)
        _check_hidden([engine, side_engine(engine)])


def _check_hidden(engines: list[object]) -> None:
    from sqlalchemy import exc, text

    for engine in engines:
        try:
            with engine.connect() as conn:  # type: ignore[attr-defined]
                with pytest.raises(exc.DBAPIError) as failed:
                    conn.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": "Smith"})
            assert "Smith" not in str(failed.value)
            assert "hidden due to hide_parameters" in str(failed.value)
        finally:
            engine.dispose()  # type: ignore[attr-defined]
