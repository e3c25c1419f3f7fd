"""Conflicts: filing one when a merge cannot decide, and resolving it.

A conflict is a record of the ``conflict`` entity naming the record, the field (``_deleted``
for delete against edit), the base, kept and proposed values and who proposed it; its record
is marked for review. Resolving is a push of ``{"entity": "conflict", "op": "upsert", "id": …,
"patch": {"resolution": "kept"|"proposed"|"value", "value": …}}``: the chosen value is written
to the record as a new version in the same transaction, the conflict becomes ``resolved``,
and the record stops needing review once no conflict on it is open. A field's conflict on a
record deleted since can only be kept (which closes it). Only the officers of the record's
patch and managers may resolve.
"""

from __future__ import annotations

from typing import Any

from fieldapp.ids import new_id, to_wire
from fieldapp.sync.protocol import CONFLICT_RESOLUTIONS, DELETED_FIELD, ENTITIES, check_value
from server.services.mutation import Change, Rejection
from server.services.rows import Row

_ALLOWED_KEYS = frozenset({"resolution", "value"})


def file(change: Change, row: Row, field: str, base: Any, kept: Any, proposed: Any) -> Row:
    """File a conflict on ``row.field``: the server keeps ``kept``, ``proposed`` waits."""
    client_time = change.m.get("client_time")
    valid_time = isinstance(client_time, str) and (
        check_value(ENTITIES["conflict"].by_name["proposed_at"], client_time) is None
    )
    conflict = change.batch.new_row(
        "conflict", new_id(), device_id=change.who.device_id, user_id=change.who.user_id
    )
    data = {
        "entity": row.entity,
        "record_id": row.id,
        "field": field,
        "base_value": base,
        "kept_value": kept,
        "proposed_value": proposed,
        "proposed_by": change.who.name,
        "proposed_at": client_time if valid_time else to_wire(change.now),
        "status": "open",
        "resolution": None,
        "value": None,
        "resolved_by": None,
        "resolved_at": None,
    }
    change.batch.write(conflict, data, **change.writer)
    row.needs_review = True
    return conflict


def file_deleted(change: Change, row: Row, *, edit: dict[str, Any] | None) -> Row:
    """Delete against edit (``edit`` None) or edit against delete: a conflict on ``_deleted``."""
    if edit is None:
        conflict = file(change, row, DELETED_FIELD, False, False, True)
    else:
        conflict = file(change, row, DELETED_FIELD, False, True, False)
        conflict.private = {"edit": edit}  # applied if the edit is chosen
    change.batch.touch_scope(row)
    return conflict


def resolve(change: Change, conflict_id: str, patch: dict[str, Any]) -> Row:
    """Apply a resolution to the conflict's record; returns the resolved conflict."""
    extra = sorted(set(patch) - _ALLOWED_KEYS)
    if extra:
        raise Rejection(
            "read_only_field" if extra[0] in ENTITIES["conflict"].by_name else "unknown_field",
            "a conflict is resolved with resolution and value only",
        )
    resolution = patch.get("resolution")
    if resolution not in CONFLICT_RESOLUTIONS:
        raise Rejection(
            "validation_failed", f"resolution must be one of {', '.join(CONFLICT_RESOLUTIONS)}"
        )
    if resolution == "value" and "value" not in patch:
        raise Rejection("validation_failed", "resolution 'value' needs a value")
    if change.scope.partner:
        raise Rejection("forbidden", "your role may not resolve conflicts")
    conflict = change.batch.row("conflict", conflict_id)
    if conflict is None or conflict.deleted or conflict.version == 0:
        raise Rejection("not_found", "no such conflict")
    if not change.scope.allows_row(conflict):
        raise Rejection("forbidden", "this conflict is outside your patches")
    data = conflict.data
    if data.get("status") != "open":
        raise Rejection("conflict_not_open", "this conflict was already resolved")
    entity, record_id, field = data.get("entity"), data.get("record_id"), data.get("field")
    row = (
        change.batch.row(entity, record_id)
        if isinstance(entity, str) and entity in ENTITIES and isinstance(record_id, str)
        else None
    )
    if row is None or row.version == 0:
        raise Rejection("not_found", "the record of this conflict no longer exists")
    chosen = {
        "kept": data.get("kept_value"),
        "proposed": data.get("proposed_value"),
        "value": patch.get("value"),
    }[str(resolution)]
    by = change.writer
    if field == DELETED_FIELD:
        if not isinstance(chosen, bool):
            raise Rejection("validation_failed", "the value of _deleted is true or false")
        changes: dict[str, Any] = {}
        if not chosen and row.deleted:  # bring it back, with the edit that met the delete
            edit = (conflict.private or {}).get("edit") or {}
            changes = {k: v for k, v in edit.items() if k in ENTITIES[row.entity].by_name}
        change.batch.write(row, changes, deleted=chosen, **by)
    else:
        spec = ENTITIES[row.entity].by_name.get(str(field))
        if spec is None:
            raise Rejection("validation_failed", "this conflict names no field of its record")
        if row.deleted and resolution != "kept":
            # Deleted since (by someone who had seen the kept value, or it would be a
            # conflict of its own): the proposal has nothing to apply to. Keeping closes it.
            raise Rejection(
                "record_deleted",
                "the record was deleted: resolve this conflict as kept, or restore the record",
            )
        if not row.deleted:
            problem = check_value(spec, chosen)
            if problem is not None:
                raise Rejection(problem.code, problem.message)
            change.batch.write(row, {spec.name: chosen}, **by)
    change.batch.write(
        conflict,
        {
            "status": "resolved",
            "resolution": resolution,
            "value": chosen,
            "resolved_by": change.who.name,
            "resolved_at": to_wire(change.now),
        },
        **by,
    )
    still_open = [
        c
        for c in change.batch.find("conflict", "record_id", row.id)
        if c.get("status") == "open" and c.get("entity") == row.entity
    ]
    review = bool(still_open)
    if review != row.needs_review:
        row.needs_review = review
        change.batch.touch_scope(row)  # written (a new seq) even when no field changed
    return conflict
