"""Walkabout reports (PDF, partner-safe) and CSV exports (managers).

The documents themselves are made by ``server.reports`` (imported when first asked for, so
the sync API never pays for the PDF library at start-up); this module finds the records,
checks who may see them and records every report and export in the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import Connection, select

from fieldapp.sync.protocol import ENTITIES
from server.db import utcnow
from server.deps import AuditDep, ClockDep, CurrentManager, CurrentUser, EngineDep, SettingsDep
from server.errors import NotFound, text_ok
from server.models import RECORD
from server.services import scope as scopes
from server.services.audit import rows_for
from server.services.auth import Principal

router = APIRouter()


def _live(conn: Connection, *conditions: Any) -> list[dict[str, Any]]:
    stmt = select(RECORD.c.data).where(RECORD.c.deleted.is_(False), *conditions)
    return [json.loads(text) for text in conn.execute(stmt.order_by(RECORD.c.seq)).scalars()]


def _thumbs(settings: Any, photos: list[dict[str, Any]], readable: set[str]) -> Mapping[str, bytes]:
    """Thumbnails of the photos the caller may read (``readable``) that the blob store holds."""
    from server.blob_files import BlobFiles

    out: dict[str, bytes] = {}
    for photo in photos:
        sha = photo.get("sha256")
        if isinstance(sha, str) and sha in readable:
            thumb = BlobFiles(settings.blob_dir, sha).thumb
            if thumb.exists():
                out[sha] = thumb.read_bytes()
    return out


def report_pdf(
    conn: Connection, settings: Any, walkabout_id: str, *, reader: Principal | None, now: datetime
) -> tuple[bytes, list[tuple[str, str]]]:
    """The partner-safe PDF of a live walkabout (the caller has checked who may have it), with
    the photos ``reader`` could download (none without a reader), and the records it shows
    (``(entity, id)``, for the audit log)."""
    from server import reports

    walk = _live(conn, RECORD.c.entity == "walkabout", RECORD.c.id == walkabout_id)[0]
    observations = _live(
        conn, RECORD.c.entity == "observation", RECORD.c.walkabout_id == walkabout_id
    )
    photos = _live(conn, RECORD.c.entity == "photo", RECORD.c.walkabout_id == walkabout_id)
    # Only bytes the reader could download: a photo record naming someone else's blob does
    # not put that photo in the report.
    readable = (
        set()
        if reader is None
        else scopes.readable_blobs(conn, reader, [str(p.get("sha256")) for p in photos])
    )
    homes = _live(conn, RECORD.c.entity == "property", RECORD.c.estate == walk.get("estate"))
    pdf = reports.walkabout_pdf(
        walk,
        observations,
        photos,
        thumbs=_thumbs(settings, photos, readable),
        generated_at=now,
        homes=[{k: h.get(k) for k in ("estate", "block", "lat", "lon")} for h in homes],
    )
    shown = [("walkabout", walkabout_id)]
    shown += [("observation", o["id"]) for o in observations]
    shown += [("photo", p["id"]) for p in photos]
    return pdf, shown


def pdf_response(pdf: bytes, walkabout_id: str) -> Response:
    name = f"walkabout-{walkabout_id[:8]}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/walkabouts/{walkabout_id}/report.pdf")
def walkabout_report(
    walkabout_id: str,
    user: CurrentUser,
    engine: EngineDep,
    settings: SettingsDep,
    audit: AuditDep,
    clock: ClockDep,
) -> Response:
    if len(walkabout_id) > 64 or not text_ok(walkabout_id):
        raise NotFound("no such walkabout, or not one you may see")
    now = clock()
    with engine.connect() as conn:
        if not scopes.can_read(conn, user, "walkabout", walkabout_id):
            raise NotFound("no such walkabout, or not one you may see")
        pdf, shown = report_pdf(conn, settings, walkabout_id, reader=user, now=now)
    # Every report, whoever fetches it: what it shows is named in the log.
    audit.record(
        rows_for(
            user_id=user.user_id, device_id=user.device_id, action="report", at=now, read=shown
        )
    )
    return pdf_response(pdf, walkabout_id)


@router.get("/exports/{entity}.csv")
def export(entity: str, user: CurrentManager, engine: EngineDep, audit: AuditDep) -> Response:
    from server import reports

    if entity not in ENTITIES:
        raise NotFound("no such entity to export")
    with engine.connect() as conn:
        records = _live(conn, RECORD.c.entity == entity)
    text = reports.export_csv(entity, records, role=user.role)
    audit.record(
        rows_for(
            user_id=user.user_id,
            device_id=user.device_id,
            action="export",
            at=utcnow(),
            read=[(entity, r["id"]) for r in records],
        )
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{entity}.csv"'},
    )
