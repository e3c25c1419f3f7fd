"""Devices: managers list them and revoke a lost one (its next request gets ``device_revoked``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from fieldapp.ids import to_wire
from server.db import as_utc, writing
from server.deps import ClockDep, CurrentManager, EngineDep
from server.errors import NotFound, server_time, text_ok
from server.models import DEVICE, USER
from server.services.auth import revoke_device

router = APIRouter()


def _time(value: Any) -> str | None:
    moment = as_utc(value)
    return to_wire(moment) if moment is not None else None


@router.get("/devices")
def list_devices(user: CurrentManager, engine: EngineDep) -> dict[str, Any]:
    stmt = select(DEVICE, USER.c.username).join(USER, USER.c.id == DEVICE.c.user_id, isouter=True)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(DEVICE.c.created_at)).mappings().all()
    return {
        "devices": [
            {
                "id": r["id"],
                "name": r["name"],
                "user_id": r["user_id"],
                "username": r["username"],
                "last_seen": _time(r["last_seen"]),
                "revoked_at": _time(r["revoked_at"]),
            }
            for r in rows
        ],
        "server_time": server_time(),
    }


@router.post("/devices/{device_id}/revoke")
def revoke(
    device_id: str, user: CurrentManager, engine: EngineDep, clock: ClockDep
) -> dict[str, Any]:
    if len(device_id) > 64 or not text_ok(device_id):
        raise NotFound("no such device")
    now = clock()
    try:
        with writing(engine) as conn:
            revoked_at = revoke_device(conn, device_id, now=now)
    except NotFound:  # its message names the id; a client is never echoed what it sent
        raise NotFound("no such device") from None
    return {"device_id": device_id, "revoked_at": to_wire(revoked_at), "server_time": to_wire(now)}
