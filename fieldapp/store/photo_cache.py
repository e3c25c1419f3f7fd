"""The tablet's picture cache: which files it keeps, within a budget, oldest-viewed out first.

Pictures live in ``photos/`` as ``{sha}.thumb.jpg`` and ``{sha}.jpg``. The ``photo_cache``
table lists each file with its size and when it was last looked at. A thumbnail fetched in
the background and not yet looked at counts as looked at when its photo was taken, so recency
is one scale for both: a new photo's thumbnail may push out an old one nobody opened, but an
old photo's never pushes out a newer one (and a full cache does not churn). ``evict`` brings the total under the budget by removing the files looked at longest ago,
and never one whose upload is still pending: until the server has a photo this tablet took,
that file is the only copy. ``unreferenced`` finds files no live photo record names any more
(a photo deleted here or on another device): they go at once, whatever the budget.

All functions take the store's open connection (they run inside its transaction) and return
the paths to remove, so files are unlinked after the commit: a crash in between leaves a stray
file, never a row that names a missing file as kept.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

Kind = Literal["thumb", "full"]
KINDS: tuple[Kind, ...] = ("thumb", "full")
DEFAULT_BUDGET_MB = 200


def file_name(sha256: str, kind: Kind) -> str:
    return f"{sha256}.thumb.jpg" if kind == "thumb" else f"{sha256}.jpg"


def record(conn: sqlite3.Connection, sha256: str, kind: Kind, size: int, now: str) -> None:
    """A file is now kept (downloaded, or this tablet's own photo)."""
    conn.execute(
        "INSERT INTO photo_cache (sha256, kind, size, viewed_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(sha256, kind) DO UPDATE SET size = excluded.size, "
        "viewed_at = excluded.viewed_at",
        (sha256, kind, size, now),
    )


def touch(conn: sqlite3.Connection, sha256: str, kinds: Iterable[Kind], now: str) -> None:
    """Someone looked at this picture: it is the last to be evicted."""
    conn.executemany(
        "UPDATE photo_cache SET viewed_at = ? WHERE sha256 = ? AND kind = ?",
        [(now, sha256, k) for k in kinds],
    )


def usage(conn: sqlite3.Connection) -> int:
    """Bytes of every listed file."""
    row = conn.execute("SELECT COALESCE(SUM(size), 0) FROM photo_cache").fetchone()
    return int(row[0])


def wanted(conn: sqlite3.Connection, kind: Kind) -> list[tuple[str, str]]:
    """(sha, taken_at) of live photos with no file of ``kind`` here, newest photo first."""
    rows = conn.execute(
        "SELECT p.sha256, MAX(COALESCE(p.taken_at, '')) AS t FROM photo p WHERE p.deleted = 0 "
        "AND p.sha256 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM photo_cache c WHERE "
        "c.sha256 = p.sha256 AND c.kind = ?) GROUP BY p.sha256 ORDER BY t DESC, p.sha256",
        (kind,),
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _forget(conn: sqlite3.Connection, folder: Path, keys: list[tuple[str, str]]) -> list[Path]:
    conn.executemany("DELETE FROM photo_cache WHERE sha256 = ? AND kind = ?", keys)
    return [folder / file_name(sha, kind) for sha, kind in keys]  # type: ignore[arg-type]


def unreferenced(conn: sqlite3.Connection, folder: Path) -> list[Path]:
    """Forget files of photos no live record names (and none waits to upload); their paths."""
    rows = conn.execute(
        "SELECT c.sha256, c.kind FROM photo_cache c WHERE NOT EXISTS (SELECT 1 FROM photo p "
        "WHERE p.sha256 = c.sha256 AND p.deleted = 0) AND NOT EXISTS (SELECT 1 FROM blob_upload "
        "b WHERE b.sha256 = c.sha256 AND b.uploaded = 0)"
    ).fetchall()
    return _forget(conn, folder, [(str(r[0]), str(r[1])) for r in rows])


def evict(
    conn: sqlite3.Connection, folder: Path, budget: int, *, older_than: str | None = None
) -> list[Path]:
    """Forget the oldest-viewed files until the total is within ``budget``; their paths.

    ``older_than``: only files last viewed before this time may go (a background download
    makes room only from pictures less recent than the one it brings).
    """
    total = usage(conn)
    if total <= budget:
        return []
    rows = conn.execute(
        "SELECT c.sha256, c.kind, c.size FROM photo_cache c WHERE NOT EXISTS (SELECT 1 FROM "
        "blob_upload b WHERE b.sha256 = c.sha256 AND b.uploaded = 0) AND (? IS NULL OR "
        "c.viewed_at < ?) ORDER BY c.viewed_at, c.kind, c.sha256",  # 'full' < 'thumb'
        (older_than, older_than),
    ).fetchall()
    gone: list[tuple[str, str]] = []
    for sha, kind, size in rows:
        if total <= budget:
            break
        gone.append((str(sha), str(kind)))
        total -= int(size)
    return _forget(conn, folder, gone)


def drop_unsent_upload(conn: sqlite3.Connection, sha256: str) -> None:
    """A photo deleted before the server had its record: its bytes need not be sent."""
    still_named = conn.execute(
        "SELECT 1 FROM photo WHERE sha256 = ? AND deleted = 0 LIMIT 1", (sha256,)
    ).fetchone()
    if still_named is None:
        conn.execute("DELETE FROM blob_upload WHERE sha256 = ? AND uploaded = 0", (sha256,))
