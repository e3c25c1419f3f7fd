"""``GET /api/v1/audit``: a manager reads the audit log of one record, as CSV.

"Who looked at this victim's case?": every read of the record (pulls, reports, exports), with
who (user id, username, name, role), when, from which device and how, oldest first.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from fieldapp.ids import to_wire
from fieldapp.sync.protocol import ENTITIES
from server.db import as_utc
from server.deps import CurrentManager, EngineDep
from server.errors import BadRequest, text_ok
from server.models import AUDIT, DEVICE, USER

router = APIRouter()

COLUMNS = (
    "at",
    "entity",
    "record_id",
    "action",
    "user_id",
    "username",
    "name",
    "role",
    "device_id",
    "device_name",
)


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    out = "" if value is None else str(value)
    return "'" + out if out[:1] in ("=", "+", "-", "@", "\t", "\r") else out


@router.get("/audit")
def audit_log(
    user: CurrentManager, engine: EngineDep, record_id: str = "", entity: str = ""
) -> Response:
    if not record_id or len(record_id) > 64 or not text_ok(record_id):
        raise BadRequest(
            "validation_failed",
            "name the record: ?record_id=…(&entity=…)",
            [{"field": "record_id", "problem": "missing or not an id"}],
        )
    if entity and entity not in ENTITIES:
        raise BadRequest(
            "validation_failed",
            "entity is not one of the protocol's entities",
            [{"field": "entity", "problem": "unknown entity"}],
        )
    stmt = (
        select(
            AUDIT.c.at,
            AUDIT.c.entity,
            AUDIT.c.record_id,
            AUDIT.c.action,
            AUDIT.c.user_id,
            USER.c.username,
            USER.c.name,
            USER.c.role,
            AUDIT.c.device_id,
            DEVICE.c.name.label("device_name"),
        )
        .join(USER, USER.c.id == AUDIT.c.user_id, isouter=True)
        .join(DEVICE, DEVICE.c.id == AUDIT.c.device_id, isouter=True)
        .where(AUDIT.c.record_id == record_id)
        .order_by(AUDIT.c.at, AUDIT.c.id)
    )
    if entity:
        stmt = stmt.where(AUDIT.c.entity == entity)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            at = as_utc(row[0])
            writer.writerow([to_wire(at) if at else "", *map(_cell, row[1:])])
    name = f"audit-{entity or 'record'}-{record_id[:12]}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
