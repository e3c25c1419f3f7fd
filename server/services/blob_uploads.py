"""The database side of photo uploads: each device's uploads in progress, and stored blobs.

``blob_upload`` has one row per (blob, device, user) upload in progress, mirroring the partial
file of ``server.blob_files`` (the file is the truth for the offset; the row holds the
declared size for ``HEAD`` and the quota). ``blob`` has one row per stored blob.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from server.db import as_utc, utcnow, writing
from server.errors import ApiError
from server.models import BLOB, BLOB_UPLOAD
from server.services.auth import Principal
from server.settings import Settings


def mine(sha: str, who: Principal) -> Any:
    return and_(
        BLOB_UPLOAD.c.sha256 == sha,
        BLOB_UPLOAD.c.device_id == who.device_id,
        BLOB_UPLOAD.c.user_id == who.user_id,
    )


def upload_row(engine: Engine, sha: str, who: Principal) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(BLOB_UPLOAD).where(mine(sha, who))).mappings().first()
    return dict(row) if row is not None else None


def check_quota(engine: Engine, settings: Settings, sha: str, who: Principal, total: int) -> None:
    """A device's open uploads (declared sizes) stay within its quota; else 429."""
    cutoff = utcnow() - timedelta(seconds=settings.partial_upload_ttl_seconds)
    others = and_(
        BLOB_UPLOAD.c.device_id == who.device_id,
        BLOB_UPLOAD.c.sha256 != sha,
        BLOB_UPLOAD.c.updated_at >= cutoff,
    )
    with engine.connect() as conn:
        used, oldest = conn.execute(
            select(
                func.coalesce(func.sum(BLOB_UPLOAD.c.size), 0), func.min(BLOB_UPLOAD.c.updated_at)
            ).where(others)
        ).one()
    quota = settings.partial_upload_quota_bytes
    if int(used) + total <= quota:
        return
    first = as_utc(oldest) or utcnow()
    wait = max(1, int((first - cutoff).total_seconds()) + 1)
    error = ApiError.of(
        "upload_quota_exceeded",
        "this device has too many unfinished photo uploads; finish them or try again later",
        {"quota": quota, "retry_after": wait},
    )
    error.headers = {"Retry-After": str(wait)}
    raise error


def save_progress(
    engine: Engine, sha: str, who: Principal, *, size: int, received: int, now: datetime
) -> None:
    with writing(engine) as conn:
        done = conn.execute(
            update(BLOB_UPLOAD)
            .where(mine(sha, who))
            .values(size=size, received=received, updated_at=now)
        )
        if done.rowcount == 0:
            conn.execute(
                insert(BLOB_UPLOAD).values(
                    sha256=sha,
                    device_id=who.device_id,
                    user_id=who.user_id,
                    size=size,
                    received=received,
                    created_at=now,
                    updated_at=now,
                )
            )


def store_row(conn: Connection, sha: str, values: dict[str, Any], now: datetime) -> None:
    done = conn.execute(update(BLOB).where(BLOB.c.sha256 == sha).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(BLOB).values(sha256=sha, created_at=now, **values))
