"""A household event recorded in one transaction: the person, the task note, the visit's
suggestions.

An officer on a visit adds a member (a birth, someone who moved in, an adult without ID
seen), edits one, or marks one moved out, died or verified. Each is one call, so a killed app
leaves the whole event or none of it: the ``person`` write and its outbox mutation; the
re-derived ``suggested_actions`` of the person and of the home's visits (the person is a
dependent of the visit, see ``fieldapp.domain.derive.dependents``); and, when the event brings
a suggestion the person did not have (a tenant's death: succession; an unverified occupant:
a fraud check), a task note on the home. A note may reach partners' tablets, so it carries
the rule's reason, which names nobody. The referral itself waits for the officer to confirm
the suggestion (``docs/domain-rules.md``, "Suggested actions").
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any, Literal

from fieldapp.domain.suggestions import person_suggestions
from fieldapp.ids import to_wire
from fieldapp.store import writes
from fieldapp.store.db import get_row
from fieldapp.store.errors import NotFound

EventKind = Literal["joined", "changed", "moved_out", "died", "id_seen"]


@dataclass(frozen=True)
class HouseholdEvent:
    """What happened to whom. ``day`` (YYYY-MM-DD) dates a move-out or a death; ``fields``
    are the person's fields for ``joined`` (a new person) and ``changed`` (an edit)."""

    kind: EventKind
    property_id: str
    person_id: str | None = None
    day: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    author_id: str | None = None


def _patch(event: HouseholdEvent) -> dict[str, Any]:
    if event.kind in ("joined", "changed"):
        return dict(event.fields)
    if event.kind == "id_seen":
        return {"status": "member"}
    key = "moved_out_on" if event.kind == "moved_out" else "died_on"
    return {key: event.day}


def record_event(
    conn: sqlite3.Connection, event: HouseholdEvent, *, ctx: writes.WriteContext
) -> str:
    """Write the event in the caller's transaction; returns the person's id."""
    patch = _patch(event)
    if event.kind == "joined":
        before: dict[str, Any] = {}
        person_id = writes.create(conn, "person", {**patch, "property_id": event.property_id},
                                  ctx=ctx)  # fmt: skip
    else:
        if event.person_id is None:
            raise NotFound("person", "")
        row = get_row(conn, "person", event.person_id)
        if row is None or row["_deleted"] or row.get("property_id") != event.property_id:
            raise NotFound("person", event.person_id)
        before, person_id = row, event.person_id
        writes.update(conn, "person", person_id, patch, ctx=ctx)
    after = get_row(conn, "person", person_id) or {}
    had = {s.action for s in person_suggestions(before, policy=ctx.policy)}
    for found in person_suggestions(after, policy=ctx.policy):
        if found.action not in had:
            writes.create(conn, "note", {
                "parent_entity": "property", "parent_id": event.property_id,
                "text": f"Suggested: {found.reason}.", "author_id": event.author_id,
                "created_at": to_wire(ctx.now),
            }, ctx=ctx)  # fmt: skip
    return person_id
