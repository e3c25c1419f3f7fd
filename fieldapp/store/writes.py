"""Local writes: validate, write the row, queue its mutation — inside one transaction.

Each function runs in the caller's transaction, so a killed process leaves either the row
change and its outbox mutation, or neither. The rules enforced here are the device's copy of
the server's (the server checks again): the shared ``validate_patch`` and the domain's
``guards`` (no report time ahead of the clock, no blank further report); reference entities and
conflicts are not writable this way; append-only entities are created once and never changed;
partner roles (pcso, councillor) may only create observations, notes and photos.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldapp.domain.guards import refusals
from fieldapp.domain.policy import Policy
from fieldapp.ids import new_id, to_wire
from fieldapp.store import outbox
from fieldapp.store.clock import HybridLogicalClock
from fieldapp.store.db import get_row, put_rows
from fieldapp.store.derived import derived_values, rederive_dependents
from fieldapp.store.errors import NotFound, PermissionDenied, ValidationError
from fieldapp.store.meta import get_meta, set_meta
from fieldapp.sync.protocol import (
    CONFLICT_RESOLUTIONS,
    DELETED_FIELD,
    ENTITIES,
    PARTNER_ROLES,
    FieldError,
    check_value,
    validate_patch,
)


@dataclass(frozen=True)
class WriteContext:
    """What every write needs besides its data: who, when, under which policy."""

    role: str
    policy: Policy
    now: datetime


def _fail(field: str, code: str, message: str) -> ValidationError:
    return ValidationError([FieldError(field, code, message)])


def _guards(entity: str, patch: dict[str, Any], ctx: WriteContext) -> list[FieldError]:
    """The rules' guards against this tablet's clock (the server checks against its own)."""
    found = refusals(entity, patch, policy=ctx.policy, now=ctx.now)
    return [FieldError(r.field, r.code, r.message) for r in found]


def _check_entity(entity: str, *, ctx: WriteContext, op: str) -> None:
    spec = ENTITIES.get(entity)
    if spec is None:
        raise _fail("entity", "unknown_entity", f"unknown entity {entity!r}")
    if spec.reference or spec.server_only:
        raise PermissionDenied(
            [FieldError("entity", "forbidden", f"{entity} records cannot be changed on a device")]
        )
    if spec.append_only and op != "create":
        raise PermissionDenied(
            [FieldError("entity", "forbidden", f"{entity} records cannot be changed once made")]
        )
    if ctx.role in PARTNER_ROLES and (op != "create" or not spec.partner_writable):
        raise PermissionDenied(
            [FieldError("entity", "forbidden", f"your role may not {op} {entity} records")]
        )


def _tick(conn: sqlite3.Connection, now: datetime) -> str:
    clock = HybridLogicalClock.from_state(get_meta(conn, "hlc"))
    stamp = clock.tick(now)
    set_meta(conn, "hlc", clock.state)
    return to_wire(stamp)


def _queue(
    conn: sqlite3.Connection,
    entity: str,
    record_id: str,
    *,
    op: str,
    base_version: int | None,
    patch: dict[str, Any],
    ctx: WriteContext,
) -> None:
    """Append this write's mutation to the outbox, stamped with the device's clock."""
    outbox.append(
        conn,
        mutation_id=new_id(),
        entity=entity,
        record_id=record_id,
        op=op,
        base_version=base_version,
        patch=patch,
        client_time=_tick(conn, ctx.now),
    )


def _live(conn: sqlite3.Connection, entity: str, id: str) -> dict[str, Any]:
    row = get_row(conn, entity, id)
    if row is None or row["_deleted"]:
        raise NotFound(entity, id)
    return row


def _fields(entity: str, row: dict[str, Any]) -> dict[str, Any]:
    return {n: row.get(n) for n in ENTITIES[entity].names}


def _store(
    conn: sqlite3.Connection,
    entity: str,
    record: dict[str, Any],
    *,
    version: int | None,
    ctx: WriteContext,
) -> None:
    record.update(derived_values(conn, entity, record, policy=ctx.policy, now=ctx.now))
    put_rows(conn, entity, [(record, version, False)])
    rederive_dependents(conn, entity, record, policy=ctx.policy, now=ctx.now)


def create(
    conn: sqlite3.Connection, entity: str, data: dict[str, Any], *, ctx: WriteContext
) -> str:
    """Insert a new record and queue its creation; returns its id."""
    _check_entity(entity, ctx=ctx, op="create")
    patch = dict(data)
    record_id = patch.pop("id", None) or new_id()
    if not isinstance(record_id, str) or len(record_id) > 64:
        raise _fail("id", "validation_failed", "id must be a string of at most 64 characters")
    errors = validate_patch(entity, patch, creating=True, role=ctx.role) or _guards(
        entity, patch, ctx
    )
    if errors:
        raise ValidationError(errors)
    if get_row(conn, entity, record_id) is not None:
        raise _fail("id", "validation_failed", f"a {entity} with this id already exists")
    patch = {k: v for k, v in patch.items() if v is not None}
    record = {n: None for n in ENTITIES[entity].names} | patch | {"id": record_id}
    _store(conn, entity, record, version=None, ctx=ctx)
    _queue(conn, entity, record_id, op="upsert", base_version=None, patch=patch, ctx=ctx)
    return record_id


def update(
    conn: sqlite3.Connection, entity: str, id: str, patch: dict[str, Any], *, ctx: WriteContext
) -> None:
    """Change fields of a record; only the fields whose value changes go into the mutation."""
    _check_entity(entity, ctx=ctx, op="update")
    errors = validate_patch(entity, patch, creating=False, role=ctx.role) or _guards(
        entity, patch, ctx
    )
    if errors:
        raise ValidationError(errors)
    row = _live(conn, entity, id)
    changed = {k: v for k, v in patch.items() if row.get(k) != v}
    if not changed:
        return
    editable = ENTITIES[entity].editable_after_create
    fixed = sorted(k for k in changed if editable is not None and k not in editable)
    if fixed:
        raise ValidationError(
            [FieldError(k, "read_only_field", f"{k} cannot change once made") for k in fixed]
        )
    record = _fields(entity, row) | changed
    _store(conn, entity, record, version=row["_version"], ctx=ctx)
    _queue(conn, entity, id, op="upsert", base_version=row["_version"], patch=changed, ctx=ctx)


def delete(conn: sqlite3.Connection, entity: str, id: str, *, ctx: WriteContext) -> None:
    """Delete a record: at once if the server never saw it, else as a queued delete."""
    _check_entity(entity, ctx=ctx, op="delete")
    row = _live(conn, entity, id)
    queued = outbox.pending_for(conn, entity, id)
    if row["_version"] is None and all(m["attempts"] == 0 for m in queued):
        # Never sent anywhere: the record and its queue go together, nothing to tell the server.
        conn.execute("DELETE FROM outbox WHERE entity = ? AND record_id = ?", (entity, id))
        conn.execute(f'DELETE FROM "{entity}" WHERE id = ?', (id,))
    else:
        conn.execute(f'UPDATE "{entity}" SET deleted = 1 WHERE id = ?', (id,))
        _queue(conn, entity, id, op="delete", base_version=row["_version"], patch={}, ctx=ctx)
    rederive_dependents(conn, entity, _fields(entity, row), policy=ctx.policy, now=ctx.now)


def resolve_conflict(
    conn: sqlite3.Connection, conflict_id: str, resolution: str, value: Any, *, ctx: WriteContext
) -> None:
    """Choose a conflict's outcome; shown at once here, applied as a new version by the server."""
    if ctx.role in PARTNER_ROLES:
        raise PermissionDenied([FieldError("entity", "forbidden", "your role may not resolve")])
    if resolution not in CONFLICT_RESOLUTIONS:
        raise _fail(
            "resolution", "validation_failed", f"resolution must be one of {CONFLICT_RESOLUTIONS}"
        )
    c = _live(conn, "conflict", conflict_id)
    if c.get("status") != "open":
        raise _fail("status", "conflict_not_open", "this conflict is already resolved")
    target_entity, record_id, field = c.get("entity"), c.get("record_id"), c.get("field")
    spec = ENTITIES.get(str(target_entity))
    if resolution == "value" and spec is not None and field in spec.by_name:
        problem = check_value(spec.by_name[str(field)], value)
        if problem is not None:
            raise ValidationError([problem])
    chosen = {"kept": c.get("kept_value"), "proposed": c.get("proposed_value")}.get(
        resolution, value
    )
    patch: dict[str, Any] = {"resolution": resolution}
    if resolution == "value":
        patch["value"] = value
    conn.execute(
        "UPDATE conflict SET status = 'resolved', resolution = ? , value = ? WHERE id = ?",
        (resolution, None if resolution != "value" else json.dumps(value), conflict_id),
    )
    target = get_row(conn, str(target_entity), str(record_id)) if spec is not None else None
    if target is not None and not target["_deleted"]:
        if field == DELETED_FIELD:
            if chosen is True:
                conn.execute(f'UPDATE "{target_entity}" SET deleted = 1 WHERE id = ?', (record_id,))
        elif spec is not None and field in spec.writable:
            record = _fields(str(target_entity), target) | {str(field): chosen}
            _store(conn, str(target_entity), record, version=target["_version"], ctx=ctx)
    _queue(
        conn, "conflict", conflict_id, op="upsert", base_version=c["_version"], patch=patch, ctx=ctx
    )
