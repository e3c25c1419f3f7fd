"""Share links for walkabout reports: made by someone who may read the walkabout, opened by
anyone holding the link until it expires (``server.services.report_links``).

``POST /walkabouts/{id}/report-link`` answers ``{"url", "expires_at"}``; ``GET
/report-links/{token}`` serves the same partner-safe PDF as ``report.pdf``, inline so a
browser shows it. Each making and each download is written to the audit log.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Connection, Engine, select

from fieldapp.ids import to_wire
from server.db import utcnow
from server.deps import AuditDep, CurrentUser, EngineDep, SettingsDep
from server.errors import ApiError, BadRequest, NotFound, server_time, text_ok
from server.models import DEVICE, USER
from server.routes.exports import pdf_response, report_pdf
from server.services import report_links
from server.services import scope as scopes
from server.services.audit import AuditWriter, rows_for
from server.services.auth import Principal

router = APIRouter()


async def _lifetime(request: Request) -> timedelta:
    """The optional body ``{"lifetime_seconds": N}`` (1 s to 30 days); 7 days without one."""
    raw = await request.body()
    if not raw.strip():
        return report_links.DEFAULT_LIFETIME
    try:
        body: Any = await request.json()
    except ValueError:
        raise BadRequest("invalid_json", "the body is not JSON") from None
    if not isinstance(body, dict) or not set(body) <= {"lifetime_seconds"}:
        raise BadRequest(
            "validation_failed",
            "the body may only hold lifetime_seconds",
            [{"field": "body", "problem": "may only hold lifetime_seconds"}],
        )
    seconds = body.get("lifetime_seconds")
    if seconds is None:
        return report_links.DEFAULT_LIFETIME
    top = int(report_links.MAX_LIFETIME.total_seconds())
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= top:
        problem = f"must be a whole number of seconds from 1 to {top}"
        raise BadRequest(
            "validation_failed",
            f"lifetime_seconds {problem}",
            [{"field": "lifetime_seconds", "problem": problem}],
        )
    return timedelta(seconds=seconds)


def _check_and_audit(
    engine: Engine, audit: AuditWriter, user: Principal, walkabout_id: str, now: datetime
) -> None:
    """404 unless ``user`` may read the walkabout; then note that they made a link to it."""
    with engine.connect() as conn:
        if not scopes.can_read(conn, user, "walkabout", walkabout_id):
            raise NotFound("no such walkabout, or not one you may see")
    audit.record(
        rows_for(
            user_id=user.user_id,
            device_id=user.device_id,
            action="report_link_made",
            at=now,
            read=[("walkabout", walkabout_id)],
        )
    )


@router.post("/walkabouts/{walkabout_id}/report-link")
async def make_report_link(
    walkabout_id: str,
    request: Request,
    user: CurrentUser,
    engine: EngineDep,
    settings: SettingsDep,
    audit: AuditDep,
) -> dict[str, Any]:
    lifetime = await _lifetime(request)
    if len(walkabout_id) > 64 or not text_ok(walkabout_id):
        raise NotFound("no such walkabout, or not one you may see")
    now = utcnow()
    # The database work runs on the thread pool: this handler is async only to read its body.
    await run_in_threadpool(_check_and_audit, engine, audit, user, walkabout_id, now)
    link = report_links.new_link(
        walkabout_id=walkabout_id,
        made_by=user.user_id,
        device_id=user.device_id,
        now=now,
        lifetime=lifetime,
    )
    token = report_links.make_token(link, settings.secret_key)
    if settings.public_url:  # behind a proxy the Host header is the client's to write
        url = settings.public_url + request.app.url_path_for("open_report_link", token=token)
    else:
        url = str(request.url_for("open_report_link", token=token))
    return {"url": url, "expires_at": to_wire(link.expires_at), "server_time": server_time()}


def _maker(conn: Connection, link: report_links.ReportLink) -> Principal | None:
    """The person who made a link, as a reader: None once they may no longer read what it
    shows (account gone or disabled, the device it was made on revoked, or the walkabout out
    of their scope, as for a partner taken off it)."""
    row = conn.execute(
        select(USER.c.username, USER.c.name, USER.c.role, USER.c.patch_ids).where(
            USER.c.id == link.made_by, USER.c.disabled_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    if link.device_id is not None:
        revoked = conn.execute(
            select(DEVICE.c.revoked_at).where(DEVICE.c.id == link.device_id)
        ).first()
        if revoked is None or revoked[0] is not None:
            return None
    ids = json.loads(row[3] or "[]")
    patch_ids = tuple(str(i) for i in ids) if isinstance(ids, list) else ()
    maker = Principal(link.made_by, str(row[0]), str(row[1]), str(row[2]), patch_ids, "")
    return maker if scopes.can_read(conn, maker, "walkabout", link.walkabout_id) else None


@router.get("/report-links/{token}", name="open_report_link")
def open_report_link(
    token: str, engine: EngineDep, settings: SettingsDep, audit: AuditDep
) -> Response:
    now = utcnow()
    link = report_links.read_token(token, settings.secret_key, now=now)
    with engine.connect() as conn:
        # The walkabout may have been deleted since the link was made.
        live = scopes.record_is_live(conn, "walkabout", link.walkabout_id)
        if not live:
            raise NotFound("this walkabout no longer exists")
        # The link shows what its maker can see now: their photos, as they would have them.
        maker = _maker(conn, link)
        if maker is None:
            raise ApiError.of(
                "link_invalid",
                "whoever made this link may no longer see this walkabout; ask for a new one",
            )
        pdf, shown = report_pdf(conn, settings, link.walkabout_id, reader=maker, now=now)
    audit.record(
        rows_for(
            user_id=link.made_by,
            device_id=None,
            action="report_link_download",
            at=now,
            read=shown,
        )
    )
    response = pdf_response(pdf, link.walkabout_id)
    response.headers["Content-Disposition"] = response.headers["Content-Disposition"].replace(
        "attachment", "inline"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
