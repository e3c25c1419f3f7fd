"""Backups of the SQLite database while the server runs, restoring one, and retention.

``backup_sqlite`` uses SQLite's online backup API in a single step: one read transaction, so
the copy is the database as of one commit, while the server goes on writing (WAL readers do
not block writers). It is written to a temporary file beside the destination (mode 0600: it
holds every household and password hash), checked with ``PRAGMA quick_check``, flushed to
disk and only then renamed into place, so a failed backup never leaves a file that looks
like one.

``restore_sqlite`` copies a backup over the database (the server must be stopped) and gives
it a new epoch: every device's pull cursor then answers ``410 resync_required`` and the
device downloads afresh, keeping its outbox. Without that, a device whose cursor is past the
restored database's last change would never be sent the changes made after the restore.
PostgreSQL is backed up with ``pg_dump`` (``docs/operations.md``); ``new_epoch`` does the
epoch part after a ``pg_restore``. ``purge`` is the retention that is safe to automate.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, update

from server.models import AUDIT, META, TOKEN
from server.settings import sqlite_path


class BackupRefused(Exception):
    """The backup or restore cannot be made: the message says why, in one line."""


def _sqlite_file(database_url: str) -> Path:
    path = sqlite_path(database_url)
    if path is None:
        raise BackupRefused(
            "backup copies a SQLite database; for PostgreSQL use pg_dump (docs/operations.md)"
        )
    return path


def _copy(source: Path, dest: Path) -> int:
    """Copy ``source`` to a fresh ``dest`` (0600) through the backup API: the page count."""
    if dest.exists():
        raise BackupRefused(f"{dest} already exists; name a new file")
    if not dest.parent.is_dir():
        raise BackupRefused(f"the folder {dest.parent} does not exist")
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        src = sqlite3.connect(source, timeout=30)  # only read; a WAL reader blocks no writer
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # one step: one read transaction, one consistent state
                check = dst.execute("PRAGMA quick_check").fetchone()
                if check is None or check[0] != "ok":
                    raise BackupRefused(f"the copy failed its check: {check}")
                pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return pages


def backup_sqlite(database_url: str, dest: Path) -> int:
    """Copy the live SQLite database at ``database_url`` to ``dest``: pages copied."""
    source = _sqlite_file(database_url)
    if not source.exists():
        raise BackupRefused(f"there is no database at {source}")
    return _copy(source, dest)


def restore_sqlite(database_url: str, backup: Path) -> int:
    """Put ``backup`` in place of the (stopped) server's SQLite database: pages copied."""
    target = _sqlite_file(database_url)
    if not backup.is_file():
        raise BackupRefused(f"there is no backup at {backup}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f"{target.name}.restoring")
    staged.unlink(missing_ok=True)
    pages = _copy(backup, staged)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)  # the old database's log must not replay onto this one
    os.replace(staged, target)
    return pages


def purge(engine: Engine, *, now: datetime, audit_days: int | None) -> tuple[int, int]:
    """Delete expired tokens and, if asked, audit rows older than ``audit_days``: the counts.

    Revisions, tombstones and applied mutations are kept: merges need the revisions since a
    device's base version, devices that have not synced need the tombstones, and a replayed
    push needs its stored result (``docs/operations.md``, Retention).
    """
    from server.db import writing

    with writing(engine) as conn:
        tokens = conn.execute(delete(TOKEN).where(TOKEN.c.expires_at < now)).rowcount or 0
        audits = 0
        if audit_days is not None:
            cutoff = now - timedelta(days=audit_days)
            audits = conn.execute(delete(AUDIT).where(AUDIT.c.at < cutoff)).rowcount or 0
    return int(tokens), int(audits)


def new_epoch(engine: Engine) -> str:
    """Give the database a new epoch: every pull cursor made before answers 410."""
    from server.db import writing

    value = uuid.uuid4().hex
    with writing(engine) as conn:
        conn.execute(update(META).where(META.c.key == "epoch").values(value=value))
    return value
