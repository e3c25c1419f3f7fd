"""Device state in the ``meta`` table, and the marker of a full re-download.

``meta`` holds text by key: device_id, device_seq, cursor, token, user, hlc, orphans, and
``resync`` while a re-download is under way. A re-download (after a ``410``, or after a schema
upgrade that could not keep every column) forgets the cursor and records every row it
receives in ``resync_seen``; when it completes, the synced rows it did not bring are swept.
The outbox is never touched, so nothing made on the device is lost. These functions run in
the caller's transaction.
"""

from __future__ import annotations

import sqlite3

from fieldapp.sync.protocol import ENTITIES


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]  # type: ignore[no-any-return]


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def begin_resync(conn: sqlite3.Connection) -> None:
    """Start a full re-download: synced rows are swept only when it completes."""
    conn.execute("DELETE FROM resync_seen")
    set_meta(conn, "resync", "1")
    set_meta(conn, "cursor", None)


def finish_resync(conn: sqlite3.Connection) -> None:
    """Delete synced rows the re-download did not bring, unless they have pending edits."""
    if get_meta(conn, "resync") != "1":
        return
    for entity in ENTITIES:
        conn.execute(
            f'DELETE FROM "{entity}" WHERE version IS NOT NULL '
            f"AND NOT EXISTS (SELECT 1 FROM resync_seen s WHERE s.entity = ? "
            f'AND s.id = "{entity}".id) '
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.state = 'pending' "
            f'AND o.entity = ? AND o.record_id = "{entity}".id)',
            (entity, entity),
        )
    conn.execute("DELETE FROM resync_seen")
    set_meta(conn, "resync", None)
