"""Who may see which record: owner patches, partner walkabouts, and the checks built on them.

Every record carries its owner patch (``patch_id``), found through its parent chain
(``PARENT_LINKS``: a case's patch is its property's), the walkabout it belongs to (partner
scope) and, for properties and walkabouts, the estate. Officers see their patches' records;
managers see everything; partners (``pcso``, ``councillor``) see only partner-visible
entities of walkabouts whose participants name them, and the properties of those estates.
Where a written record belongs is worked out by ``placement``. Everyone signed in sees the
staff directory (``EVERYONE``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select, true
from sqlmodel import Session

from fieldapp.sync.protocol import ENTITIES, PARTNER_ROLES
from server.errors import text_ok
from server.models import BLOB_OWNER, MEMBER, RECORD
from server.services.auth import Principal
from server.services.rows import Row

PARTNER_ENTITIES = tuple(name for name, spec in ENTITIES.items() if spec.partner_visible)
EVERYONE = "staff"  # the one entity every signed-in role reads in full


@dataclass(frozen=True)
class Scope:
    """What one caller may read, resolved once per request."""

    principal: Principal
    walkabout_ids: tuple[str, ...] = ()  # partners: walkabouts they joined
    estates: tuple[str, ...] = ()  # partners: the estates of those walkabouts

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def partner(self) -> bool:
        return self.principal.role in PARTNER_ROLES

    def fingerprint(self) -> str:
        """Changes when what this caller may see changes (a pull cursor then needs a resync)."""
        p = self.principal
        parts: dict[str, Any] = {"u": p.user_id, "r": p.role}
        if self.partner:
            parts["w"], parts["e"] = sorted(self.walkabout_ids), sorted(self.estates)
        elif p.role != "manager":
            parts["p"] = sorted(p.patch_ids)
        raw = json.dumps(parts, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:20]

    def clause(self) -> ColumnElement[bool]:
        """The SQL condition on ``record`` for what this caller may read."""
        p = self.principal
        if p.role == "manager":
            return true()
        if self.partner:
            conds: list[ColumnElement[bool]] = []
            if self.walkabout_ids:
                conds.append(
                    and_(
                        RECORD.c.entity.in_(PARTNER_ENTITIES),
                        RECORD.c.walkabout_id.in_(self.walkabout_ids),
                    )
                )
            if self.estates:
                conds.append(and_(RECORD.c.entity == "property", RECORD.c.estate.in_(self.estates)))
            return or_(*conds, RECORD.c.entity == EVERYONE)
        # Staff records have no patch and no creating user: the second term takes them.
        mine = and_(
            RECORD.c.patch_id.is_(None),
            or_(RECORD.c.created_by_user == p.user_id, RECORD.c.entity == EVERYONE),
        )
        if not p.patch_ids:
            return mine
        return or_(RECORD.c.patch_id.in_(p.patch_ids), mine)

    def allows(
        self,
        entity: str,
        *,
        patch_id: str | None,
        walkabout_id: str | None,
        estate: str | None,
        created_by_user: str | None,
    ) -> bool:
        """The same rule as ``clause`` for one record in memory."""
        p = self.principal
        if p.role == "manager" or entity == EVERYONE:
            return True
        if self.partner:
            if not ENTITIES[entity].partner_visible:
                return False
            if walkabout_id is not None and walkabout_id in self.walkabout_ids:
                return True
            return entity == "property" and estate is not None and estate in self.estates
        if patch_id is None:
            return created_by_user == p.user_id
        return patch_id in p.patch_ids

    def allows_row(self, row: Row) -> bool:
        return self.allows(
            row.entity,
            patch_id=row.patch_id,
            walkabout_id=row.walkabout_id,
            estate=row.estate,
            created_by_user=row.created_by_user,
        )


def resolve(conn: Connection, principal: Principal) -> Scope:
    """The caller's scope; for partners, the walkabouts that name them and their estates."""
    if principal.role not in PARTNER_ROLES:
        return Scope(principal)
    ids = sorted(
        conn.execute(
            select(MEMBER.c.walkabout_id).where(MEMBER.c.user_id == principal.user_id)
        ).scalars()
    )
    estates: list[str] = []
    if ids:
        stmt = select(RECORD.c.estate).where(
            RECORD.c.entity == "walkabout", RECORD.c.id.in_(ids), RECORD.c.deleted.is_(False)
        )
        estates = sorted({e for e in conn.execute(stmt).scalars() if e})
    return Scope(principal, tuple(ids), tuple(estates))


def can_read(session: Session | Connection, user: Principal, entity: str, record_id: str) -> bool:
    """May ``user`` see this (live) record? For routes outside the sync feed (blobs, reports)."""
    if entity not in ENTITIES or not text_ok(record_id):
        return False
    conn = session.connection() if isinstance(session, Session) else session
    row = conn.execute(
        select(
            RECORD.c.patch_id, RECORD.c.walkabout_id, RECORD.c.estate, RECORD.c.created_by_user
        ).where(RECORD.c.entity == entity, RECORD.c.id == record_id, RECORD.c.deleted.is_(False))
    ).first()
    if row is None:
        return False
    return resolve(conn, user).allows(
        entity, patch_id=row[0], walkabout_id=row[1], estate=row[2], created_by_user=row[3]
    )


def record_is_live(conn: Connection, entity: str, record_id: str) -> bool:
    """Is there a live record of ``entity`` with this id? (No scope: the caller has one.)"""
    if not text_ok(record_id):
        return False
    stmt = select(RECORD.c.id).where(
        RECORD.c.entity == entity, RECORD.c.id == record_id, RECORD.c.deleted.is_(False)
    )
    return conn.execute(stmt).first() is not None


def _backed_photos(sha256s: list[str]) -> Any:
    """Live photo records naming these blobs whose creator sent (or could read) the bytes.

    A photo record alone proves nothing: anyone may write one naming any SHA-256. The join on
    ``blob_owner`` keeps only records made by a device and user the bytes came from.
    """
    owner = BLOB_OWNER
    return (
        select(
            RECORD.c.photo_sha256,
            RECORD.c.patch_id,
            RECORD.c.walkabout_id,
            RECORD.c.estate,
            RECORD.c.created_by_user,
        )
        .join(
            owner,
            and_(
                owner.c.sha256 == RECORD.c.photo_sha256,
                owner.c.device_id == RECORD.c.created_by_device,
                owner.c.user_id == RECORD.c.created_by_user,
            ),
        )
        .where(
            RECORD.c.entity == "photo",
            RECORD.c.photo_sha256.in_(sha256s),
            RECORD.c.deleted.is_(False),
        )
    )


def readable_blobs(session: Session | Connection, user: Principal, sha256s: list[str]) -> set[str]:
    """Which of these blobs ``user`` may read: named by a backed photo record they can see."""
    wanted = sorted({s for s in sha256s if isinstance(s, str) and text_ok(s)})
    if not wanted:
        return set()
    conn = session.connection() if isinstance(session, Session) else session
    scope = resolve(conn, user)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        for sha, patch_id, walkabout_id, estate, creator in conn.execute(
            _backed_photos(wanted[start : start + 500])
        ):
            if sha not in found and scope.allows(
                "photo",
                patch_id=patch_id,
                walkabout_id=walkabout_id,
                estate=estate,
                created_by_user=creator,
            ):
                found.add(sha)
    return found


def can_read_blob(session: Session | Connection, user: Principal, sha256: str) -> bool:
    """May ``user`` read this blob? (A backed photo record naming it is visible to them.)"""
    return sha256 in readable_blobs(session, user, [sha256])
