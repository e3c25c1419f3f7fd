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

from sqlalchemy import Connection, and_, not_, or_, select

from fieldapp.sync.protocol import SCHEMA_VERSION, project
from server.db import horizon
from server.errors import ResyncRequired
from server.models import META, RECORD, SCOPE_EXIT
from server.services.audit import AUDITED
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
    # Partners only: what their scope held when the cursor was made (short hashes of the
    # walkabout ids and estates, and of who they are), so that joining a walkabout — the scope
    # growing — is served by a catch-up rather than a 410. None for other roles.
    partner_scope: PartnerScope | None = None


@dataclass(frozen=True)
class PartnerScope:
    who: str
    walkabouts: frozenset[str]
    estates: frozenset[str]

    @classmethod
    def of(cls, scope: Scope) -> PartnerScope | None:
        if not scope.partner:
            return None
        p = scope.principal
        return cls(
            _short(f"{p.user_id}\n{p.role}"),
            frozenset(map(_short, scope.walkabout_ids)),
            frozenset(map(_short, scope.estates)),
        )

    def within(self, other: PartnerScope) -> bool:
        """The same person, and everything this scope held is in ``other``."""
        return (
            self.who == other.who
            and self.walkabouts <= other.walkabouts
            and self.estates <= other.estates
        )


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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
    if cursor.partner_scope is not None:
        held = cursor.partner_scope
        parts["p"] = [held.who, sorted(held.walkabouts), sorted(held.estates)]
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
        held = None
        if "p" in parts:
            who, walkabouts, estates = parts["p"]
            held = PartnerScope(
                str(who), frozenset(map(str, walkabouts)), frozenset(map(str, estates))
            )
        return Cursor(
            int(parts["s"]),
            str(parts["f"]),
            int(parts["v"]),
            str(parts["e"]),
            int(parts.get("t", 0)),
            held,
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
    schema: int = SCHEMA_VERSION,
) -> tuple[str, list[tuple[str, str]]]:
    """The response body (JSON text) and the (entity, id) to audit: for partners every record
    sent, for staff those of entities with personal data (``server.services.audit``).

    ``omit_device``: leave out the records whose current version that device was told in a
    push result (it already holds exactly that version and data). ``schema``: the schema
    version the caller asked for; a cursor made under another one is not served.
    """
    fingerprint, db_epoch = scope.fingerprint(), epoch(conn)
    # Served only up to the horizon: no write still in flight can commit a position below it.
    top, issued = horizon(conn)
    after, fresh = 0, top
    if cursor:
        cur = decode_cursor(cursor, secret)
        if cur.epoch != db_epoch or cur.schema != schema:
            raise ResyncRequired("the server's data or schema changed; download afresh")
        if cur.seq > issued:
            raise ResyncRequired("this cursor is ahead of the server; download afresh")
        after, fresh = cur.seq, cur.fresh
        if cur.fingerprint != fingerprint:
            held, now_held = cur.partner_scope, PartnerScope.of(scope)
            if held is None or now_held is None or not held.within(now_held):
                raise ResyncRequired("what you may see has changed; download afresh")
            # A partner joined a walkabout: what it brings may be older than the cursor, so
            # the feed starts again from the beginning. Every deletion up to the cursor has
            # reached the device already (or concerns what it never held): no tombstone up to
            # there is sent again.
            after, fresh = 0, max(cur.seq, cur.fresh)
    where = and_(RECORD.c.seq > after, RECORD.c.seq <= top, scope.clause())
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
    upper = rows[-1][5] if has_more else max(top, after)
    removes = _removes(conn, scope, max(after, fresh), upper)
    parts: list[str] = []
    sent: list[tuple[str, str]] = []
    partner = scope.partner
    for entity, rid, version, deleted, data, _seq, review in rows:
        if partner:
            data = dumps(project(entity, json.loads(data), scope.role))
            sent.append((entity, rid))
        elif entity in AUDITED and not deleted:
            sent.append((entity, rid))
        # The stored text with the server's review mark added (an open conflict waits on it).
        mark = '"needs_review":true}' if review else '"needs_review":false}'
        data = data[:-1] + ("," + mark if len(data) > 2 else mark)
        parts.append(
            f'{{"entity":"{entity}","id":{json.dumps(rid)},"version":{int(version)},'
            f'"deleted":{"true" if deleted else "false"},"data":{data}}}'
        )
    held = PartnerScope.of(scope)
    next_cursor = encode_cursor(Cursor(upper, fingerprint, schema, db_epoch, fresh, held), secret)
    body = (
        '{"changes":['
        + ",".join(parts)
        + '],"removes":'
        + json.dumps(removes)
        + ',"next_cursor":'
        + json.dumps(next_cursor)
        + ',"has_more":'
        + ("true" if has_more else "false")
        + ',"server_time":'
        + json.dumps(server_time)
        + "}"
    )
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
