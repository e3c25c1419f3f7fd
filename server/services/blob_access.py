"""Who a photo blob belongs to: its uploaders, and who may name it in a ``photo`` record.

A blob is named by the SHA-256 of its bytes, and a name is easy to learn (a record names it,
a log shows it), so knowing the name proves nothing. What does is sending the bytes: each
complete blob lists in ``blob_owner`` the (device, user) pairs that sent all of them (``how``
= ``upload``), and those entitled to name it because they could already read it (``reader``).

- Reading (``GET``, thumbnails, the walkabout PDF) needs a visible ``photo`` record naming the
  blob whose creator is an owner (``scope.readable_blobs``).
- Naming: a ``photo`` mutation may name a blob the server does not hold yet (the tablet sends
  records before their bytes, and then uploads them), one its device uploaded, or one its
  user can already read; anything else is rejected ``blob_not_yours``.
- Probing: ``HEAD`` and a repeated ``PUT`` say "complete" only to owners and readers; anyone
  else is answered as if the server had never seen the bytes, and must send them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, exists, insert, select

from server.models import BLOB_OWNER
from server.services.auth import Principal
from server.services.scope import can_read_blob


def owns(conn: Connection, who: Principal, sha256: str) -> bool:
    """Did this device, signed in as this user, send (or earn) these bytes?"""
    stmt = select(
        exists().where(
            BLOB_OWNER.c.sha256 == sha256,
            BLOB_OWNER.c.device_id == who.device_id,
            BLOB_OWNER.c.user_id == who.user_id,
        )
    )
    return bool(conn.execute(stmt).scalar())


def held(conn: Connection, sha256: str) -> bool:
    """Has anyone completed an upload of these bytes?"""
    return bool(conn.execute(select(exists().where(BLOB_OWNER.c.sha256 == sha256))).scalar())


def knows(conn: Connection, who: Principal, sha256: str) -> bool:
    """May ``who`` be told the blob is complete (``HEAD`` 200, a repeated ``PUT`` 200)?"""
    return owns(conn, who, sha256) or can_read_blob(conn, who, sha256)


def may_name(conn: Connection, who: Principal, sha256: str) -> bool:
    """May a new ``photo`` record of ``who`` name this blob?"""
    return not held(conn, sha256) or knows(conn, who, sha256)


def credit(conn: Connection, who: Principal, sha256: str, *, how: str, now: datetime) -> None:
    """Record ``who`` as an owner (idempotent; call inside ``writing(engine)``)."""
    if owns(conn, who, sha256):
        return
    conn.execute(
        insert(BLOB_OWNER).values(
            sha256=sha256, device_id=who.device_id, user_id=who.user_id, how=how, created_at=now
        )
    )
