"""``GET /sync/pull``: the change feed, one page of records in ``seq`` order for a caller.

The page is built with Core queries and, for staff, the stored JSON text is spliced into the
response as it is (no decoding); partners' records are projected (restricted fields
removed). The cursor is opaque: signed base64 of the last ``seq`` served, a fingerprint of the
caller's scope, the schema version and the database epoch. A cursor that does not match any
of them (scope changed, another schema, another or restored database, tampered) gets
``410 resync_required``.

With ``omit_own`` the caller's own echoes are left out: records whose current version reached
this device in a push result (``record.echo_device``, see ``WriteBatch``). The filter is in
SQL, so ``limit``, ``has_more`` and the cursor count only what is sent, and the cursor still
moves past the rows left out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, insert, not_, or_, select

from fieldapp.sync.protocol import SCHEMA_VERSION, project
from server.errors import ResyncRequired
from server.models import AUDIT, COUNTER, META, RECORD, SCOPE_EXIT
from server.services.rows import dumps
from server.services.scope import Scope


@dataclass(frozen=True)
class Cursor:
    seq: int
    fingerprint: str
    schema: int
    epoch: str
    # A first download's starting point (the top seq when it began), while its pages are
    # still below it: deletions and scope exits up to there happened before the device had
    # anything, so it is sent no tombstone or remove for them. 0 otherwise.
    fresh: int = 0


def _sign(payload: bytes, secret: str) -> str:
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def encode_cursor(cursor: Cursor, secret: str) -> str:
    parts: dict[str, Any] = {
        "s": cursor.seq,
        "f": cursor.fingerprint,
        "v": cursor.schema,
        "e": cursor.epoch,
    }
    if cursor.fresh > cursor.seq:
        parts["t"] = cursor.fresh
    raw = json.dumps(parts, separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{body}.{_sign(raw, secret)}"


def decode_cursor(text: str, secret: str) -> Cursor:
    """The cursor, or ResyncRequired when it cannot be trusted or read."""
    try:
        body, _, sig = text.partition(".")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if not hmac.compare_digest(_sign(raw, secret), sig):
            raise ValueError("signature")
        parts = json.loads(raw)
        return Cursor(
            int(parts["s"]),
            str(parts["f"]),
            int(parts["v"]),
            str(parts["e"]),
            int(parts.get("t", 0)),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        raise ResyncRequired("this cursor cannot be served; download afresh") from None


def epoch(conn: Connection) -> str:
    return str(conn.execute(select(META.c.value).where(META.c.key == "epoch")).scalar_one())


def pull_page(
    conn: Connection,
    *,
    scope: Scope,
    cursor: str | None,
    limit: int,
    secret: str,
    server_time: str,
    omit_device: str | None = None,
) -> tuple[str, list[tuple[str, str]]]:
    """The response body (JSON text) and, for partners, the (entity, id) they were sent.

    ``omit_device``: leave out the records whose current version that device was told in a
    push result (it already holds exactly that version and data).
    """
    fingerprint, db_epoch = scope.fingerprint(), epoch(conn)
    top = int(conn.execute(select(COUNTER.c.value).where(COUNTER.c.name == "seq")).scalar_one())
    after, fresh = 0, top
    if cursor:
        cur = decode_cursor(cursor, secret)
        if cur.epoch != db_epoch or cur.schema != SCHEMA_VERSION:
            raise ResyncRequired("the server's data or schema changed; download afresh")
        if cur.fingerprint != fingerprint:
            raise ResyncRequired("what you may see has changed; download afresh")
        if cur.seq > top:
            raise ResyncRequired("this cursor is ahead of the server; download afresh")
        after, fresh = cur.seq, cur.fresh
    where = and_(RECORD.c.seq > after, scope.clause())
    if after < fresh:  # a first download: no tombstones of what was deleted before it began
        where = and_(where, or_(RECORD.c.deleted.is_(False), RECORD.c.seq > fresh))
    if omit_device is not None:
        echo = RECORD.c.echo_device
        where = and_(where, or_(echo.is_(None), echo != omit_device))
    stmt = (
        select(
            RECORD.c.entity,
            RECORD.c.id,
            RECORD.c.version,
            RECORD.c.deleted,
            RECORD.c.data,
            RECORD.c.seq,
            RECORD.c.needs_review,
        )
        .where(where)
        .order_by(RECORD.c.seq)
        .limit(limit + 1)
    )
    rows = conn.execute(stmt).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    upper = rows[-1][5] if has_more else max(top, rows[-1][5] if rows else 0)
    removes = _removes(conn, scope, max(after, fresh), upper)
    parts: list[str] = []
    sent: list[tuple[str, str]] = []
    partner = scope.partner
    for entity, rid, version, deleted, data, _seq, review in rows:
        if partner:
            data = dumps(project(entity, json.loads(data), scope.role))
            sent.append((entity, rid))
        # The stored text with the server's review mark added (an open conflict waits on it).
        mark = '"needs_review":true}' if review else '"needs_review":false}'
        data = data[:-1] + ("," + mark if len(data) > 2 else mark)
        parts.append(
            f'{{"entity":"{entity}","id":{json.dumps(rid)},"version":{int(version)},'
            f'"deleted":{"true" if deleted else "false"},"data":{data}}}'
        )
    next_cursor = encode_cursor(Cursor(upper, fingerprint, SCHEMA_VERSION, db_epoch, fresh), secret)
    body = (
        '{"changes":[' + ",".join(parts) + '],"removes":' + json.dumps(removes)
        + ',"next_cursor":' + json.dumps(next_cursor)
        + ',"has_more":' + ("true" if has_more else "false")
        + ',"server_time":' + json.dumps(server_time) + "}"
    )  # fmt: skip
    return body, sent


def _removes(conn: Connection, scope: Scope, after: int, upper: int) -> list[dict[str, str]]:
    """Records that left the caller's patches in (after, upper] and are still outside them."""
    p = scope.principal
    if after == 0 or p.role == "manager" or scope.partner or not p.patch_ids:
        return []  # a fresh device holds nothing; managers see all; partners resync instead
    stmt = (
        select(SCOPE_EXIT.c.entity, SCOPE_EXIT.c.record_id)
        .join(
            RECORD,
            and_(RECORD.c.entity == SCOPE_EXIT.c.entity, RECORD.c.id == SCOPE_EXIT.c.record_id),
        )
        .where(
            SCOPE_EXIT.c.seq > after,
            SCOPE_EXIT.c.seq <= upper,
            SCOPE_EXIT.c.old_patch_id.in_(p.patch_ids),
            not_(or_(RECORD.c.patch_id.in_(p.patch_ids), RECORD.c.patch_id.is_(None))),
        )
        .order_by(SCOPE_EXIT.c.seq)
    )
    seen: dict[tuple[str, str], None] = {}
    for entity, rid in conn.execute(stmt):
        seen[(entity, rid)] = None
    return [{"entity": e, "id": i} for e, i in seen]


def audit_reads(
    conn: Connection,
    *,
    user_id: str,
    device_id: str,
    sent: list[tuple[str, str]],
    at: Any,
    action: str = "pull",
) -> None:
    """Record what a partner was sent (sync-protocol: every partner read is audited)."""
    if sent:
        conn.execute(
            insert(AUDIT),
            [
                {
                    "at": at,
                    "user_id": user_id,
                    "device_id": device_id,
                    "action": action,
                    "entity": e,
                    "record_id": i,
                }
                for e, i in sent
            ],
        )
