"""The server's SQLite engine settings."""

from __future__ import annotations

from pathlib import Path

from server.db import make_engine


def test_server_sqlite_commits_survive_a_power_cut(tmp_path: Path) -> None:
    """WAL with synchronous=FULL: an answered push is gone from the tablet's outbox."""
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
    engine.dispose()
