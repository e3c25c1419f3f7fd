"""The raw floor of ``bench/load_bench.py``: the rows a push keeps, written with nothing else.

For each push the benchmark's server answered — ``creates`` new records and ``edits`` edits —
one transaction takes a position (``seq``) per row and writes what the server writes per
mutation: the record (inserted, or updated with its new version), its revision and the
applied mutation with its result, then commits (an fsync). PostgreSQL: plain psycopg over
``connections`` connections at once, into a fresh database with the server's schema.
SQLite: plain ``sqlite3``, one connection (there is one writer), WAL and ``synchronous=FULL``
as the server runs it. Returns mutations per second.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

DATA = json.dumps(
    {
        "category": "noise",
        "status": "open",
        "received_at": "2026-06-10T09:00:00Z",
        "description": "tablet 12 case 3",
        "priority": 3,
        "vulnerable": False,
        "threshold_applies": True,
        "threshold_met": False,
        "due_at": None,
        "risk_level": "standard",
        "ct_eligible": False,
        "reason": "Noise: below threshold (2 reports within 28 days), advice, no response clock",
    }
)
RESULT = '{"mutation_id":"%s","status":"applied","version":%d,"record":{},"conflicts":[]}'


def _rows(creates: int, edits: int, own: list[str]) -> tuple[list[str], list[str]]:
    """Ids to insert and ids to edit (edits fall back to inserts until ``own`` has some)."""
    new = [str(uuid.uuid4()) for _ in range(creates + (edits if not own else 0))]
    edited = [own[i % len(own)] for i in range(edits)] if own else []
    return new, edited


def _pg_push(cur: Any, new: list[str], edited: list[str], now: datetime) -> None:
    n = len(new) + len(edited)
    cur.execute("SELECT nextval('record_seq') FROM generate_series(1, %s)", (n,))
    seqs = [r[0] for r in cur.fetchall()]
    cur.executemany(
        "INSERT INTO record (entity, id, version, seq, deleted, data, patch_id, needs_review, "
        "created_by_device, created_by_user, created_at, updated_at) "
        "VALUES ('asb_case', %s, 1, %s, false, %s, 'p', false, 'd', 'u', %s, %s)",
        [(rid, seqs[i], DATA, now, now) for i, rid in enumerate(new)],
    )
    cur.executemany(
        "UPDATE record SET version = version + 1, seq = %s, data = %s, updated_at = %s "
        "WHERE entity = 'asb_case' AND id = %s",
        [(seqs[len(new) + i], DATA, now, rid) for i, rid in enumerate(edited)],
    )
    mids = [str(uuid.uuid4()) for _ in range(n)]
    cur.executemany(
        "INSERT INTO revision (entity, record_id, version, seq, device_id, user_id, mutation_id, "
        "changes, created_at) VALUES ('asb_case', %s, 1, %s, 'd', 'u', %s, %s, %s)",
        [
            (rid, seqs[i], mids[i], '{"description":["a","b"]}', now)
            for i, rid in enumerate(new + edited)
        ],
    )
    cur.executemany(
        "INSERT INTO applied_mutation (mutation_id, payload_hash, user_id, device_id, result, "
        "created_at) VALUES (%s, %s, 'u', 'd', %s, %s)",
        [(m, "0" * 64, RESULT % (m, 1), now) for m in mids],
    )


def _postgres(url: str, pushes: list[tuple[int, int]], connections: int) -> float:
    import psycopg

    from server.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    now = datetime.now(UTC)
    shares = [pushes[i::connections] for i in range(connections)]
    conns = [psycopg.connect(dsn) for _ in range(connections)]
    failures: list[BaseException] = []

    def work(conn: Any, share: list[tuple[int, int]]) -> None:
        own: list[str] = []
        try:
            with conn.cursor() as cur:
                for creates, edits in share:
                    new, edited = _rows(creates, edits, own)
                    _pg_push(cur, new, edited, now)
                    conn.commit()
                    own.extend(new)
        except BaseException as exc:  # reported after the threads end
            failures.append(exc)

    took = _timed([lambda c=c, s=s: work(c, s) for c, s in zip(conns, shares, strict=True)])
    for conn in conns:
        conn.close()
    if failures:
        raise failures[0]
    return sum(c + e for c, e in pushes) / took


def _timed(jobs: list[Callable[[], None]]) -> float:
    threads = [threading.Thread(target=job) for job in jobs]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def _sqlite(url: str, pushes: list[tuple[int, int]]) -> float:
    from server.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    stamp = "2026-06-10 09:00:00.000000"
    own: list[str] = []
    start = time.perf_counter()
    for creates, edits in pushes:
        new, edited = _rows(creates, edits, own)
        n = len(new) + len(edited)
        db.execute("BEGIN IMMEDIATE")
        top = db.execute(
            "UPDATE counter SET value = value + ? WHERE name = 'seq' RETURNING value", (n,)
        ).fetchone()[0]
        seqs = list(range(top - n + 1, top + 1))
        db.executemany(
            "INSERT INTO record (entity, id, version, seq, deleted, data, patch_id, needs_review, "
            "created_at, updated_at) VALUES ('asb_case', ?, 1, ?, 0, ?, 'p', 0, ?, ?)",
            [(rid, seqs[i], DATA, stamp, stamp) for i, rid in enumerate(new)],
        )
        db.executemany(
            "UPDATE record SET version = version + 1, seq = ?, data = ?, updated_at = ? "
            "WHERE entity = 'asb_case' AND id = ?",
            [(seqs[len(new) + i], DATA, stamp, rid) for i, rid in enumerate(edited)],
        )
        mids = [str(uuid.uuid4()) for _ in range(n)]
        db.executemany(
            "INSERT INTO revision (entity, record_id, version, seq, mutation_id, changes, "
            "created_at) VALUES ('asb_case', ?, 1, ?, ?, '{}', ?)",
            [(rid, seqs[i], mids[i], stamp) for i, rid in enumerate(new + edited)],
        )
        db.executemany(
            "INSERT INTO applied_mutation (mutation_id, payload_hash, user_id, device_id, "
            "result, created_at) VALUES (?, '', 'u', 'd', ?, ?)",
            [(m, RESULT % (m, 1), stamp) for m in mids],
        )
        db.execute("COMMIT")
        own.extend(new)
    took = time.perf_counter() - start
    db.close()
    return sum(c + e for c, e in pushes) / took


def raw_floor(url: str, pushes: list[tuple[int, int]], connections: int) -> float:
    """Mutations per second for the same transactions written raw (see the module doc)."""
    if not pushes:
        return float("nan")
    if url.startswith("sqlite"):
        return _sqlite(url, pushes)
    return _postgres(url, pushes, max(1, connections))
