"""The restore drill: back up a live server's database while it takes writes (SQLite:
``backup``; PostgreSQL: ``pg_dump``), restore the copy (``restore``; ``pg_restore`` and
``new-epoch``), serve it and check the records.

Also: the copy is private (0600), passes SQLite's integrity check, an existing file is
never overwritten, devices' old cursors answer 410 after a restore (new epoch, same secret
key), PostgreSQL is pointed at pg_dump, and ``purge`` deletes only what it should."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, insert, select

from fieldapp.ids import new_id
from server.db import make_engine, upgrade, utcnow, writing
from server.models import AUDIT, TOKEN
from server.services import auth
from server.services.users import add_user
from tests.server.conftest import HOMES, new_case
from tests.support.api import PASSWORD, Api, mutation
from tests.support.live_server import LiveServer
from tests.support.postgres import fresh_database

KEY = {"SECRET_KEY": "restore-drill-key-not-a-real-secret"}


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        threading.Event().wait(0.05)


@dataclass
class Drill:
    """What a drill saw: the writes answered before the backup began, all writes answered,
    and a cursor of the old server."""

    before: set[str]
    acked: set[str]
    old_cursor: str
    home: str


def _backup_under_writes(live: LiveServer, backup: Callable[[], None]) -> Drill:
    """Run ``backup`` on ``live`` while a device pushes a case after another."""
    acked: list[str] = []
    stop = threading.Event()
    failures: list[str] = []
    live.add_user("olive", role="officer", patches=["North"])
    live.import_properties(HOMES[:1])
    with Api(live.url).login("olive") as api:
        records, _, _, _ = api.pull_all()
        home = next(i for (e, i) in records if e == "property")

        def writer() -> None:
            while not stop.is_set():
                rid, patch = new_case(property_id=home)
                r = api.push_raw([mutation("asb_case", rid, patch)])
                if r.status_code != 200 or r.json()["results"][0]["status"] != "applied":
                    failures.append(r.text)
                    return
                acked.append(rid)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            _wait(lambda: len(acked) >= 20, "the first writes")
            before = set(acked)  # answered before the backup began: must be in it
            backup()
            during = len(acked)
            _wait(lambda: len(acked) >= during + 10, "writes after the backup")
        finally:
            stop.set()
            thread.join()
        assert not failures, failures
        _, _, old_cursor, _ = api.pull_all()
    return Drill(before, set(acked), old_cursor, home)


def _serve_restored(restored: LiveServer, drill: Drill, in_copy: set[str]) -> None:
    """The restored server: old cursors 410, the copy's records served, writes taken."""
    assert drill.before <= in_copy <= drill.acked  # everything answered before; nothing invented
    with restored, Api(restored.url).login("olive") as api:
        stale = api.pull(drill.old_cursor)  # the old server's cursor: download afresh
        assert stale.status_code == 410 and stale.json()["error"]["code"] == "resync_required"
        records, _, _, _ = api.pull_all()
        assert {i for (e, i) in records if e == "asb_case"} == in_copy
        rid, patch = new_case(property_id=drill.home)
        assert api.push_one(mutation("asb_case", rid, patch))["status"] == "applied"


def test_restore_drill_sqlite_backup_under_writes_then_restore_and_serve(tmp_path: Path) -> None:
    dest = tmp_path / "backups" / "server-copy.db"
    dest.parent.mkdir()
    with LiveServer(data_dir=tmp_path / "live", env=KEY) as live:
        out: list[str] = []
        drill = _backup_under_writes(live, lambda: out.append(live.cli("backup", str(dest)).stdout))
        again = live.cli("backup", str(dest), check=False)
    assert "backed up" in out[0] and dest.exists()
    assert again.returncode == 1 and "already exists" in again.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    with sqlite3.connect(dest) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        in_copy = {r[0] for r in check.execute("SELECT id FROM record WHERE entity = 'asb_case'")}
    restored = LiveServer(data_dir=tmp_path / "restored", env=KEY)
    assert "restored" in restored.cli("restore", str(dest)).stdout
    _serve_restored(restored, drill, in_copy)


@pytest.mark.postgres
def test_restore_drill_postgresql_pg_dump_under_writes_then_pg_restore_and_serve(
    tmp_path: Path,
) -> None:
    dump = tmp_path / "walkabout.dump"
    with fresh_database() as url, fresh_database() as target:
        libpq, target_libpq = url.replace("+psycopg", ""), target.replace("+psycopg", "")
        with LiveServer(data_dir=tmp_path / "live", database_url=url, env=KEY) as live:
            drill = _backup_under_writes(
                live,
                lambda: subprocess.run(
                    ["pg_dump", "--format=custom", f"--file={dump}", libpq],
                    check=True,
                    capture_output=True,
                    timeout=300,
                ),
            )
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={target_libpq}", str(dump)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        restored = LiveServer(data_dir=tmp_path / "restored", database_url=target, env=KEY)
        assert "new epoch" in restored.cli("new-epoch").stdout
        with psycopg.connect(target_libpq) as pg:
            rows = pg.execute("SELECT id FROM record WHERE entity = 'asb_case'").fetchall()
        _serve_restored(restored, drill, {str(r[0]) for r in rows})


@pytest.mark.postgres
def test_backup_of_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    with fresh_database() as url:
        server = LiveServer(data_dir=tmp_path, database_url=url)
        out = server.cli("backup", str(tmp_path / f"{new_id()}.db"), check=False)
    assert out.returncode == 1 and "pg_dump" in out.stderr


def test_purge_deletes_expired_tokens_and_only_the_audit_rows_asked_for(tmp_path: Path) -> None:
    server = LiveServer(data_dir=tmp_path)
    engine = make_engine(server.database_url)
    now = utcnow()
    try:
        upgrade(engine)
        with writing(engine) as conn:
            uid, _, _ = add_user(
                conn,
                username="olive",
                password=PASSWORD,
                role="officer",
                name=None,
                patch_names=None,
                now=now,
            )
            for when in (now - timedelta(days=30), now):  # one long expired, one live
                auth.issue_token(
                    conn,
                    user_id=uid,
                    device_id="d",
                    device_name="t",
                    secret="k",
                    lifetime=timedelta(days=7),
                    now=when,
                )
            for days in (400, 10):
                conn.execute(
                    insert(AUDIT).values(
                        at=now - timedelta(days=days),
                        user_id=uid,
                        device_id="d",
                        action="pull",
                        entity="asb_case",
                        record_id=f"case-{days}",
                    )
                )
        kept = server.cli("purge")
        assert "purged 1 expired tokens and 0 audit rows" in kept.stdout
        trimmed = server.cli("purge", "--audit-days", "365")
        assert "purged 0 expired tokens and 1 audit rows" in trimmed.stdout
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(TOKEN)).scalar_one() == 1
            left = conn.execute(select(AUDIT.c.record_id)).scalars().all()
        assert left == ["case-10"]
    finally:
        engine.dispose()
