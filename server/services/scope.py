"""Who may see which record: owner patches, partner walkabouts, and the checks built on them.

Every record carries its owner patch (``patch_id``), found through its parent chain
(``PARENT_LINKS``: a case's patch is its property's), the walkabout it belongs to (partner
scope) and, for properties and walkabouts, the estate. Officers see their patches' records;
managers see everything; partners (``pcso``, ``councillor``) see only partner-visible
entities of walkabouts whose participants name them, and the properties of those estates.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, and_, false, or_, select, true
from sqlmodel import Session

from fieldapp.sync.protocol import ENTITIES, PARENT_LINKS, PARTNER_ROLES
from server.errors import text_ok
from server.models import MEMBER, RECORD
from server.services.auth import Principal

if TYPE_CHECKING:
    from server.services.records import Row, WriteBatch

PARTNER_ENTITIES = tuple(name for name, spec in ENTITIES.items() if spec.partner_visible)
_WALKABOUT_PARENTS = ("walkabout", "observation")
_MAX_DEPTH = 6  # the longest parent chain is four (photo → note's parent → … → property)


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
            return or_(*conds) if conds else false()
        mine = and_(RECORD.c.patch_id.is_(None), RECORD.c.created_by_user == p.user_id)
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
        if p.role == "manager":
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


def can_read_blob(session: Session | Connection, user: Principal, sha256: str) -> bool:
    """May ``user`` see some live photo record that names this blob?"""
    if not text_ok(sha256):
        return False
    conn = session.connection() if isinstance(session, Session) else session
    rows = conn.execute(
        select(
            RECORD.c.patch_id, RECORD.c.walkabout_id, RECORD.c.estate, RECORD.c.created_by_user
        ).where(
            RECORD.c.entity == "photo",
            RECORD.c.photo_sha256 == sha256,
            RECORD.c.deleted.is_(False),
        )
    ).all()
    if not rows:
        return False
    scope = resolve(conn, user)
    return any(
        scope.allows("photo", patch_id=r[0], walkabout_id=r[1], estate=r[2], created_by_user=r[3])
        for r in rows
    )


# --- the write side: each record's owner patch, walkabout and estate ---------------------
def parent_key(entity: str, data: Mapping[str, Any]) -> tuple[str, str] | None:
    """(entity, id) of the record whose scope a record of ``entity`` with ``data`` follows."""
    link = PARENT_LINKS.get(entity)
    if link is None:
        return None
    field, parent_entity = link
    if entity in ("note", "photo"):
        parent_entity = data.get("parent_entity")
    elif entity == "conflict":
        parent_entity = data.get("entity")
    parent_id = data.get(field)
    if not isinstance(parent_entity, str) or not isinstance(parent_id, str):
        return None
    if parent_entity not in ENTITIES or parent_entity == "patch" and entity != "property":
        return None
    return parent_entity, parent_id


def _parent(batch: WriteBatch, row: Row) -> Row | None:
    key = parent_key(row.entity, row.data)
    return None if key is None else batch.row(*key)


def _estate_patch(batch: WriteBatch, estate: Any) -> str | None:
    """The patch most homes of an estate belong to."""
    if not isinstance(estate, str) or not estate:
        return None
    homes = batch.find("property", "estate", estate)
    counts = Counter(h.get("patch_id") for h in homes if isinstance(h.get("patch_id"), str))
    return counts.most_common(1)[0][0] if counts else None


def place(
    batch: WriteBatch, row: Row, depth: int = 0
) -> tuple[str | None, str | None, str | None, str | None]:
    """(patch_id, walkabout_id, estate, parent_id) of a record as it now stands.

    The parent is placed first (recursively): within one batch a child may be written before
    its parent has been placed (a walkabout and its observations in one push).
    """
    e, d = row.entity, row.data
    link = PARENT_LINKS.get(e)
    parent_id = d.get(link[0]) if link is not None else None
    parent_id = parent_id if isinstance(parent_id, str) else None
    estate = d.get("estate") if e in ("property", "walkabout") else None
    estate = estate if isinstance(estate, str) else None
    walkabout_id: str | None = None
    if e == "patch":
        patch_id: str | None = row.id
    elif e == "property":
        patch_id = parent_id
    elif e == "walkabout":
        patch_id = _estate_patch(batch, estate)
        walkabout_id = row.id
    else:
        parent = _parent(batch, row)
        patch_id = None
        if parent is not None:
            if parent.dirty and depth < _MAX_DEPTH:
                patch_id, parent_walkabout, _, _ = place(batch, parent, depth + 1)
            else:
                patch_id, parent_walkabout = parent.patch_id, parent.walkabout_id
            if parent.entity in _WALKABOUT_PARENTS:
                walkabout_id = parent_walkabout
    if patch_id is None and e == "repair":  # raised from an observation: its patch
        patch_id = _observation_patch(batch, row.data.get("observation_id"), depth)
    if patch_id is None:  # parent unknown: keep what it had, or the creator's first patch
        patch_id = row.patch_id if row.exists else next(iter(batch.actor_patch_ids), None)
    if patch_id is None and e in ("asb_case", "repair"):  # an observation that names it
        batch.load_having("observation", "raised_id")  # once per batch, for all such records
        raising = batch.find("observation", "raised_id", row.id)
        patch_id = _observation_patch(batch, raising[0].get("id") if raising else None, depth)
    return patch_id, walkabout_id, estate, parent_id


def _observation_patch(batch: WriteBatch, obs_id: Any, depth: int) -> str | None:
    """The patch of an observation (a case or repair with no home takes its patch)."""
    obs = batch.row("observation", obs_id) if isinstance(obs_id, str) else None
    if obs is None or depth >= _MAX_DEPTH:
        return None
    return place(batch, obs, depth + 1)[0] if obs.dirty else obs.patch_id


def settle(batch: WriteBatch) -> list[tuple[str, str, str]]:
    """Place every written record, cascade moves to children; returns the scope exits."""
    queue = [r for r in batch.rows.values() if r.dirty]
    done: set[tuple[str, str]] = set()
    while queue:
        row = queue.pop()
        if row.key in done:
            continue
        done.add(row.key)
        placed = place(batch, row)
        before = (row.patch_id, row.walkabout_id, row.estate, row.parent_id)
        if placed == before:
            continue
        row.patch_id, row.walkabout_id, row.estate, row.parent_id = placed
        if not row.dirty:
            batch.touch_scope(row)
        if row.exists and (placed[0], placed[1]) != (before[0], before[1]):
            queue.extend(c for c in batch.children(row) if c.key not in done)
    return [
        (r.entity, r.id, r.loaded_patch_id)
        for r in batch.rows.values()
        if r.dirty and r.exists and r.loaded_patch_id is not None
        if r.patch_id != r.loaded_patch_id
    ]
