"""The server's SQLite engine settings."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from server.db import BACKSTOP_PAGES, Checkpointer, make_engine, writing


def test_server_sqlite_commits_survive_a_power_cut(tmp_path: Path) -> None:
    """WAL with synchronous=FULL: an answered push is gone from the tablet's outbox."""
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
    engine.dispose()


def _in_main_file(db: Path, copy: Path) -> int:
    """Rows of ``t`` in the database file alone: what a checkpoint has copied out of the WAL."""
    shutil.copyfile(db, copy)
    raw = sqlite3.connect(copy)
    try:
        return int(raw.execute("SELECT count(*) FROM t").fetchone()[0])
    finally:
        raw.close()


def test_the_checkpointer_copies_commits_into_the_database_file(tmp_path: Path) -> None:
    """Writers leave checkpoints to the thread (the backstop is high); the thread does them."""
    db = tmp_path / "s.db"
    engine = make_engine(f"sqlite:///{db}", wal_autocheckpoint=BACKSTOP_PAGES)
    with engine.connect() as conn, conn.begin():
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == BACKSTOP_PAGES
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES ('seq', 0)")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the tables, in the file
    assert _in_main_file(db, tmp_path / "copy0.db") == 0
    checkpointer = Checkpointer(engine).start()
    try:
        with writing(engine) as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1), (2), (3)")
        deadline = time.monotonic() + 10
        while _in_main_file(db, tmp_path / "copy.db") != 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _in_main_file(db, tmp_path / "copy.db") == 3
    finally:
        checkpointer.stop()
    assert not checkpointer.running
    # Without a nudge nothing is copied: the rows above reached the file through the thread.
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("INSERT INTO t VALUES (4)")
    assert _in_main_file(db, tmp_path / "copy2.db") == 3
    engine.dispose()
