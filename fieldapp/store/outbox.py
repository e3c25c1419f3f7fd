"""The outbox: every local write's mutation, queued in the same transaction as the write.

A mutation is ``pending`` until the server answers it (then it is dropped) or refuses it (then
it is ``dead``: kept with its error for a person to see; the queue goes on). Functions here run
inside the caller's transaction on the store's connection.

Two rules keep the server's three-way merge honest about what this device saw:
- An edit to a record whose latest pending mutation was never sent is folded into that
  mutation (same ``mutation_id``, same place in the queue): the server never saw it, so its
  payload may still change. Edits made offline reach the server as one mutation per record,
  and a second edit of a field is not mistaken for a clash with the device's own first edit.
- A push batch holds at most one mutation per record, and only the record's first pending
  one. When the answer to a record's creation arrives, its later unsent mutations, made
  before the device knew any version, get that version as their base. Other bases are left
  alone: the server ignores this device's own revisions since a base, so an old base still
  reveals exactly the other devices' concurrent changes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from fieldapp.store.meta import get_meta, set_meta

_COLS = (
    "mutation_id, device_seq, entity, record_id, op, base_version, patch, client_time, "
    "state, error, attempts"
)


def _wire(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "mutation_id": row[0],
        "device_seq": row[1],
        "entity": row[2],
        "id": row[3],
        "op": row[4],
        "base_version": row[5],
        "patch": json.loads(row[6]),
        "client_time": row[7],
    }


def _full(row: tuple[Any, ...]) -> dict[str, Any]:
    out = _wire(row)
    out["state"] = row[8]
    out["error"] = json.loads(row[9]) if row[9] is not None else None
    out["attempts"] = row[10]
    return out


def _next_seq(conn: sqlite3.Connection) -> int:
    seq = int(get_meta(conn, "device_seq") or 0) + 1
    set_meta(conn, "device_seq", str(seq))
    return seq


def pending_for(conn: sqlite3.Connection, entity: str, record_id: str) -> list[dict[str, Any]]:
    """The record's pending mutations, oldest first (with state, error, attempts)."""
    rows = conn.execute(
        f"SELECT {_COLS} FROM outbox WHERE entity = ? AND record_id = ? AND state = 'pending' "
        "ORDER BY device_seq",
        (entity, record_id),
    ).fetchall()
    return [_full(r) for r in rows]


def pending_keys(
    conn: sqlite3.Connection, among: Iterable[tuple[str, str]] | None = None
) -> set[tuple[str, str]]:
    """(entity, id) of every record with a pending mutation, or of those ``among`` these.

    ``among`` reads the outbox's record index for just those records: settling a 500-result
    answer no longer scans a queue of thousands.
    """
    if among is None:
        rows = conn.execute("SELECT DISTINCT entity, record_id FROM outbox WHERE state = 'pending'")
        return set(rows)  # plain tuples (no row factory): no per-row Python step
    by_entity: dict[str, list[str]] = {}
    for entity, rid in among:
        by_entity.setdefault(entity, []).append(rid)
    found: set[tuple[str, str]] = set()
    for entity, ids in by_entity.items():
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ", ".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT DISTINCT record_id FROM outbox WHERE entity = ? "
                f"AND record_id IN ({marks}) AND state = 'pending'",
                (entity, *chunk),
            )
            found.update((entity, r[0]) for r in rows)
    return found


def overlay(conn: sqlite3.Connection, entity: str, record_id: str) -> tuple[dict[str, Any], bool]:
    """The record's pending field values merged in queue order, and whether a delete is pending."""
    values: dict[str, Any] = {}
    deleted = False
    for m in pending_for(conn, entity, record_id):
        if m["op"] == "delete":
            deleted = True
        else:
            values.update(m["patch"])
    return values, deleted


def append(
    conn: sqlite3.Connection,
    *,
    mutation_id: str,
    entity: str,
    record_id: str,
    op: str,
    base_version: int | None,
    patch: dict[str, Any],
    client_time: str,
) -> dict[str, Any]:
    """Queue a mutation, folding it into the record's last pending one if that was never sent."""
    pending = pending_for(conn, entity, record_id)
    last = pending[-1] if pending else None
    if last is not None and last["attempts"] == 0 and last["op"] == "upsert":
        merged = {**last["patch"], **patch} if op == "upsert" else {}
        conn.execute(
            "UPDATE outbox SET op = ?, patch = ?, client_time = ? WHERE mutation_id = ?",
            (op, json.dumps(merged), client_time, last["mutation_id"]),
        )
        return {**last, "op": op, "patch": merged, "client_time": client_time}
    seq = _next_seq(conn)
    conn.execute(
        f"INSERT INTO outbox ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, 0)",
        (mutation_id, seq, entity, record_id, op, base_version, json.dumps(patch), client_time),
    )
    return {
        "mutation_id": mutation_id,
        "device_seq": seq,
        "entity": entity,
        "id": record_id,
        "op": op,
        "base_version": base_version,
        "patch": patch,
        "client_time": client_time,
    }


def discard_record(conn: sqlite3.Connection, entity: str, record_id: str) -> None:
    """Drop a record's pending mutations (only for one the server has never seen)."""
    conn.execute(
        "DELETE FROM outbox WHERE entity = ? AND record_id = ? AND state = 'pending'",
        (entity, record_id),
    )


def pending(conn: sqlite3.Connection, *, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT {_COLS} FROM outbox WHERE state = 'pending' ORDER BY device_seq LIMIT ?",
        (limit,),
    ).fetchall()
    return [_wire(r) for r in rows]


def take_batch(
    conn: sqlite3.Connection, *, limit: int, skip: Collection[tuple[str, str]] = ()
) -> list[dict[str, Any]]:
    """The next push batch (wire form, device_seq order), counted as sent.

    Only a record's first pending mutation goes; its later ones wait for its answer. Records
    in ``skip`` (in a batch still awaiting its answer) are left out altogether.
    """
    batch: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set(skip)
    # Read lazily: a batch is normally the first ``limit`` rows, not the whole queue.
    rows = conn.execute(f"SELECT {_COLS} FROM outbox WHERE state = 'pending' ORDER BY device_seq")
    for row in rows:
        key = (row[2], row[3])
        if key not in seen:
            seen.add(key)
            batch.append(_wire(row))
            if len(batch) >= limit:
                break
    rows.close()
    conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1 WHERE mutation_id = ?",
        ((m["mutation_id"],) for m in batch),
    )
    return batch


def heads(
    conn: sqlite3.Connection, mutation_ids: Sequence[str]
) -> dict[str, tuple[str, str, str, str]]:
    """(state, entity, record_id, op) of the outbox rows of ``mutation_ids`` that exist, by id:
    what settling an answer needs, without decoding any patch."""
    found: dict[str, tuple[str, str, str, str]] = {}
    for start in range(0, len(mutation_ids), 900):
        chunk = mutation_ids[start : start + 900]
        marks = ", ".join("?" * len(chunk))
        sql = (
            "SELECT mutation_id, state, entity, record_id, op FROM outbox "
            f"WHERE mutation_id IN ({marks})"
        )
        for mid, state, entity, rid, op in conn.execute(sql, chunk):
            found[mid] = (state, entity, rid, op)
    return found


def get_many(conn: sqlite3.Connection, mutation_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The outbox rows of ``mutation_ids`` that exist, by id (in chunks SQLite accepts)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(mutation_ids), 900):
        chunk = mutation_ids[start : start + 900]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {_COLS} FROM outbox WHERE mutation_id IN ({marks})"
        for row in conn.execute(sql, chunk):
            m = _full(row)
            found[m["mutation_id"]] = m
    return found


def drop(conn: sqlite3.Connection, mutation_id: str) -> None:
    conn.execute("DELETE FROM outbox WHERE mutation_id = ?", (mutation_id,))


def mark_dead(conn: sqlite3.Connection, mutation_id: str, error: dict[str, Any] | None) -> None:
    conn.execute(
        "UPDATE outbox SET state = 'dead', error = ? WHERE mutation_id = ?",
        (
            json.dumps(error or {"code": "rejected", "message": "refused by the server"}),
            mutation_id,
        ),
    )


def rebase(conn: sqlite3.Connection, entity: str, record_id: str, version: int | None) -> None:
    """Unsent mutations made before the record had a server version now build on ``version``."""
    if version is None:
        return
    conn.execute(
        "UPDATE outbox SET base_version = ? WHERE entity = ? AND record_id = ? "
        "AND state = 'pending' AND attempts = 0 AND base_version IS NULL",
        (version, entity, record_id),
    )


def count_pending(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0])


def count_dead(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'dead'").fetchone()[0])


def dead(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT {_COLS} FROM outbox WHERE state = 'dead' ORDER BY device_seq"
    ).fetchall()
    return [_full(r) for r in rows]
