"""Applying what the server sends to the local store: pulled pages and push results.

Server data is authoritative, with one exception that keeps local edits on screen: a record
with pending mutations gets the server's row with the pending field values laid on top (and
its derived fields recomputed), until those mutations are answered. Each function runs inside
the caller's single transaction; rows without pending mutations go in with one
``executemany`` per entity, which is what keeps a 10,000-record bootstrap cheap.

Removes (a record leaving this user's scope) delete the local copy. A removed record that
still has pending mutations is kept and listed in meta ``orphans``; it is deleted once its
last pending mutation is answered, so the edit still reaches the server (which decides).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fieldapp.domain.policy import Policy
from fieldapp.ids import from_wire
from fieldapp.store import outbox
from fieldapp.store.clock import HybridLogicalClock
from fieldapp.store.db import delete_rows, get_row, get_rows, put_rows
from fieldapp.store.derived import derived_values
from fieldapp.store.meta import get_meta, set_meta
from fieldapp.sync.protocol import ENTITIES

Row = tuple[Mapping[str, Any], int | None, bool]


def observe_server_time(conn: sqlite3.Connection, server_time: Any) -> None:
    """Keep the device clock from stamping edits before a time the server has shown it."""
    if not isinstance(server_time, str):
        return
    try:
        moment = from_wire(server_time)
    except ValueError:
        return
    clock = HybridLogicalClock.from_state(get_meta(conn, "hlc"))
    clock.observe(moment)
    set_meta(conn, "hlc", clock.state)


def _with_pending(
    conn: sqlite3.Connection,
    entity: str,
    data: Mapping[str, Any],
    *,
    policy: Policy,
    now: datetime,
) -> tuple[dict[str, Any], bool]:
    """Server data with the record's pending values on top; and whether a delete is pending."""
    values, deleted = outbox.overlay(conn, entity, str(data["id"]))
    record = dict(data) | values
    if values:
        record.update(derived_values(conn, entity, record, policy=policy, now=now))
    return record, deleted


def _orphans(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    raw = get_meta(conn, "orphans")
    return {(e, i) for e, i in json.loads(raw)} if raw else set()


def _set_orphans(conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> None:
    items = sorted(keys)
    set_meta(conn, "orphans", json.dumps(items) if items else None)


def apply_pull_page(
    conn: sqlite3.Connection, page: Mapping[str, Any], *, policy: Policy, now: datetime
) -> None:
    """Apply one pull page (changes, removes, next_cursor) inside the caller's transaction."""
    pending = outbox.pending_keys(conn)
    resyncing = get_meta(conn, "resync") == "1"
    upserts: dict[str, list[Row]] = defaultdict(list)
    gone: dict[str, list[str]] = defaultdict(list)
    seen: list[tuple[str, str]] = []
    for change in page.get("changes") or ():
        entity, rid = change.get("entity"), change.get("id")
        if entity not in ENTITIES or not isinstance(rid, str):
            continue  # an entity of a newer schema: nothing here can show it
        seen.append((entity, rid))
        data = dict(change.get("data") or {}) | {"id": rid}
        version = change.get("version")
        if (entity, rid) in pending:
            if change.get("deleted"):
                # Deleted on the server while edited here: keep the edit on screen; the push
                # brings a delete-versus-edit conflict for a person to decide.
                data = (get_row(conn, entity, rid) or {}) | data
            record, deleted = _with_pending(conn, entity, data, policy=policy, now=now)
            put_rows(conn, entity, [(record, version, deleted)])
        elif change.get("deleted"):
            gone[entity].append(rid)
        else:
            upserts[entity].append((data, version, False))
    for entity, rows in upserts.items():
        put_rows(conn, entity, rows)
    orphans = _orphans(conn)
    for item in page.get("removes") or ():
        entity, rid = item.get("entity"), item.get("id")
        if entity not in ENTITIES or not isinstance(rid, str):
            continue
        if (entity, rid) in pending:
            orphans.add((entity, rid))
        else:
            gone[entity].append(rid)
    for entity, ids in gone.items():
        delete_rows(conn, entity, ids)
    _set_orphans(conn, orphans)
    if resyncing and seen:
        conn.executemany("INSERT OR IGNORE INTO resync_seen (entity, id) VALUES (?, ?)", seen)
    next_cursor = page.get("next_cursor")
    if next_cursor is not None:
        set_meta(conn, "cursor", str(next_cursor))
    observe_server_time(conn, page.get("server_time"))


def store_server_record(
    conn: sqlite3.Connection,
    entity: str,
    data: Mapping[str, Any],
    version: int | None,
    *,
    policy: Policy,
    now: datetime,
) -> None:
    """Store a record as the server returned it, with any still-pending local values on top."""
    if entity not in ENTITIES or not isinstance(data.get("id"), str):
        return
    record, deleted = _with_pending(conn, entity, data, policy=policy, now=now)
    put_rows(conn, entity, [(record, version, deleted)])


def apply_push_results(
    conn: sqlite3.Connection,
    results: Iterable[Mapping[str, Any]],
    *,
    policy: Policy,
    now: datetime,
) -> None:
    """Settle answered mutations: drop applied ones, keep conflicts, dead-letter rejections.

    Batched: a 500-result answer is a few ``executemany`` statements, and only records that
    still have pending mutations take the per-record overlay path.
    """
    # (mutation_id, entity, record id, op) of each newly answered mutation, with its result.
    answered: list[tuple[tuple[str, str, str, str], Mapping[str, Any]]] = []
    results = list(results)
    queued = outbox.heads(conn, [str(r.get("mutation_id")) for r in results])
    for result in results:
        mid = str(result.get("mutation_id"))
        head = queued.get(mid)
        if head is None or head[0] != "pending":
            continue  # answered before (a replayed batch)
        status = result.get("status")
        if status == "rejected" or status not in ("applied", "merged", "conflict"):
            error = result.get("error")
            outbox.mark_dead(conn, mid, error if isinstance(error, dict) else None)
            queued[mid] = ("dead", *head[1:])  # as the row now is, should the answer name it twice
        else:
            answered.append(((mid, head[1], head[2], head[3]), result))
    conn.executemany("DELETE FROM outbox WHERE mutation_id = ?", ((m[0],) for m, _ in answered))
    orphans = _orphans(conn)
    pending = outbox.pending_keys(conn, {(m[1], m[2]) for m, _ in answered} | orphans)
    rows: dict[str, list[Row]] = defaultdict(list)
    gone: dict[str, list[str]] = defaultdict(list)
    conflicts: list[Row] = []
    # A lean result's record holds only what this device lacks; an upsert answered with no
    # record at all still tells its version. Either is laid over the row held here.
    partial: dict[str, list[tuple[str, dict[str, Any], Any]]] = defaultdict(list)
    for (_mid, entity, rid, op), result in answered:
        record = result.get("record")
        version = result.get("version")
        if isinstance(record, dict) and version is None:
            version = record.get("version")
        if record is None and op == "upsert" and isinstance(version, int):
            record = {}
        if isinstance(record, dict) and entity in ENTITIES:
            data = {k: v for k, v in record.items() if k not in ("version", "needs_review")}
            partial[entity].append((rid, data, version))
        elif op == "delete" and result.get("status") != "conflict":
            if (entity, rid) not in pending and entity in ENTITIES:
                gone[entity].append(rid)
        for c in result.get("conflicts") or ():
            if isinstance(c, dict) and isinstance(c.get("id"), str):
                conflicts.append(({k: v for k, v in c.items() if k != "version"},
                                  c.get("version"), False))  # fmt: skip
    for entity, answers in partial.items():
        held = get_rows(conn, entity, [rid for rid, _, _ in answers])
        for rid, data, version in answers:
            mine = held.get(rid)
            base = {} if mine is None else {k: v for k, v in mine.items() if k[0] != "_"}
            merged = base | data | {"id": rid}
            if (entity, rid) in pending:
                outbox.rebase(conn, entity, rid, version)
                store_server_record(conn, entity, merged, version, policy=policy, now=now)
            else:
                rows[entity].append((merged, version, False))
    for entity, batch in rows.items():
        put_rows(conn, entity, batch)
    for entity, ids in gone.items():
        delete_rows(conn, entity, ids)
    if conflicts:
        put_rows(conn, "conflict", conflicts)
    for entity, rid in list(orphans):
        if (entity, rid) not in pending:
            delete_rows(conn, entity, [rid])
            orphans.discard((entity, rid))
    _set_orphans(conn, orphans)
