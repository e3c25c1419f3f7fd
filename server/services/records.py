"""The write path's unit of work: records loaded in bulk, changed in memory, flushed at once.

A ``WriteBatch`` lives inside one write transaction (``server.db.writing``). Pushes, imports
and the demo seed change records through it; it keeps a revision (old and new value of each
changed field, who wrote it) for every new version, recomputes derived fields with the shared
domain code, re-derives the records that depend on a write once at the end, works out each
record's scope (owner patch, walkabout, estate) and writes everything with a few
``executemany`` statements, taking the ``seq`` values last, inside the transaction.

Echo suppression: a push tells its device the version of each record it answers with
(``told``); at flush a row is written with ``echo_device`` = that device only when the version
told is the row's final version, so a pull with ``omit_own=1`` may leave it out for that
device. Every other write (re-derivation, scope moves, imports, seed, CLI) writes NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update

from fieldapp.domain.derive import Lookup
from fieldapp.sync.protocol import REFERENCE_PREFIXES
from server.db import WriteClash, insert_many, is_sqlite, take_seqs
from server.models import MEMBER, RECORD, REVISION, SCOPE_EXIT
from server.services import derivation, placement
from server.services.references import References
from server.services.rows import (
    COLUMNS,
    CREATED,
    Key,
    RecordCache,
    RevisionRow,
    Row,
    dumps,
    row_from_db,
)

__all__ = ["COLUMNS", "Key", "RevisionRow", "Row", "WriteBatch", "dumps", "row_from_db"]

_MAX_DERIVE_ROUNDS = 3  # dependents of dependents…; derived values settle well before this


def _changed(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` that differ from ``data`` (an absent field counts as changed)."""
    return {
        name: value for name, value in values.items() if name not in data or data[name] != value
    }


def _apply(data: dict[str, Any], changes: Mapping[str, Any], diff: dict[str, list[Any]]) -> None:
    """Set each changed field in ``data``, noting ``[old, new]`` in ``diff`` (a field that was
    absent counts as changed from None)."""
    for name, value in _changed(data, changes).items():
        diff[name] = [data.get(name), value]
        data[name] = value


class WriteBatch(RecordCache):
    """Records of one write transaction. Also the ``Lookup`` the domain code reads through."""

    def __init__(
        self,
        conn: Connection,
        *,
        now: datetime,
        actor_patch_ids: Sequence[str] = (),
        echo_device: str | None = None,
    ) -> None:
        super().__init__(conn)
        self.now = now
        self.actor_patch_ids = tuple(actor_patch_ids)
        self.echo_device = echo_device  # the pushing device, if this batch is a push
        self.told: dict[Key, int] = {}  # record → version its push result carried
        self._echo: set[Key] = set()  # rows of this flush written with echo_device
        self._revisions: list[dict[str, Any]] = []
        self._pending_derive: dict[Key, None] = {}
        self._tick = 0
        self.references = References(conn)  # case and repair references given in this batch
        # Which records the derived fields may read (None: all). A push sets the caller's
        # scope, so a derived value never tells what a record outside it holds.
        self.visible: Callable[[Row], bool] | None = None

    @property
    def lookup(self) -> Lookup:
        """What the domain code reads through: this batch, limited to ``visible`` records."""
        return self if self.visible is None else _Visible(self, self.visible)

    # --- writing ---------------------------------------------------------------------
    def new_row(self, entity: str, id_: str, *, device_id: str | None, user_id: str | None) -> Row:
        row = Row(
            entity=entity,
            id=id_,
            created_by_device=device_id,
            created_by_user=user_id,
            created_at=self.now,
        )
        self.rows[row.key] = row
        self._missing.discard(row.key)
        self._track(row)
        return row

    def write(
        self,
        row: Row,
        changes: Mapping[str, Any],
        *,
        device_id: str | None,
        user_id: str | None,
        mutation_id: str | None = None,
        deleted: bool | None = None,
        derive: bool = True,
    ) -> dict[str, list[Any]]:
        """Apply ``changes`` (field → new value) as a new version; returns what changed."""
        diff: dict[str, list[Any]] = {}
        data = row.data
        _apply(data, changes, diff)
        if deleted is not None and deleted != row.deleted:
            diff["_deleted"] = [row.deleted, deleted]
            row.deleted = deleted
        data["id"] = row.id
        if derive and not row.deleted:
            _apply(data, derivation.derived_fields(row.entity, data, self.lookup, self.now), diff)
        prefix = REFERENCE_PREFIXES.get(row.entity)
        if prefix is not None and not row.deleted:
            given = changes.get("reference")
            if isinstance(given, str):  # written by the server itself (seed, import)
                self.references.note(given)
            elif not data.get("reference"):  # its first write here: issue the next one
                _apply(data, {"reference": self.references.issue(prefix, self.now)}, diff)
        self._bump(row, diff, device_id=device_id, user_id=user_id, mutation_id=mutation_id)
        if derive:
            for dep in derivation.dependents_of(row.entity, row.data, self.lookup):
                if dep != row.key:
                    self._pending_derive[dep] = None
        return diff

    def _bump(
        self,
        row: Row,
        diff: dict[str, list[Any]],
        *,
        device_id: str | None,
        user_id: str | None,
        mutation_id: str | None,
    ) -> None:
        row.version += 1
        row.dirty = True
        self._tick += 1
        row.touched = self._tick
        row.updated_by_device, row.updated_by_user = device_id, user_id
        self._track(row)
        self._revisions.append(
            {
                "entity": row.entity,
                "record_id": row.id,
                "version": row.version,
                "seq": 0,
                "device_id": device_id,
                "user_id": user_id,
                "mutation_id": mutation_id,
                "changes": dumps({CREATED: list(diff)} if row.version == 1 else diff),
                "created_at": self.now,
            }
        )
        pending = self._pending_history.setdefault(row.key, [])
        pending.append(RevisionRow(row.version, device_id, diff))

    def touch_scope(self, row: Row) -> None:
        """Give a record a new seq without a new version (its scope changed)."""
        row.dirty = True
        self._tick += 1
        row.touched = self._tick

    # --- flushing --------------------------------------------------------------------
    def _settle_derived(self) -> None:
        for _ in range(_MAX_DERIVE_ROUNDS):
            pending, self._pending_derive = list(self._pending_derive), {}
            if not pending:
                return
            self.load(pending)
            for key in pending:
                row = self.rows.get(key)
                if row is None or row.live() is None:
                    continue
                diff = _changed(
                    row.data, derivation.derived_fields(row.entity, row.data, self.lookup, self.now)
                )
                if diff:
                    self.write(row, diff, device_id=None, user_id=None, derive=False)
                    for dep in derivation.dependents_of(row.entity, row.data, self.lookup):
                        if dep != row.key:
                            self._pending_derive[dep] = None

    def flush(self) -> None:
        """Re-derive dependents, settle scopes, take seqs and write everything."""
        self._settle_derived()
        self.references.flush()  # after the last write that may give a reference
        exits = placement.settle(self)
        dirty = sorted((r for r in self.rows.values() if r.dirty), key=lambda r: r.touched)
        if not dirty and not exits:
            return
        seqs = take_seqs(self.conn, len(dirty) + len(exits))
        for row, seq in zip(dirty, seqs, strict=False):
            row.seq = seq
        exit_rows = [
            {"entity": e, "record_id": i, "old_patch_id": p, "seq": seqs[len(dirty) + n]}
            for n, (e, i, p) in enumerate(exits)
        ]
        self._echo = self._echoed(dirty, exits)
        self._write_rows(dirty)
        if self._revisions:
            by_key = {r.key: r.seq for r in dirty}
            for rev in self._revisions:
                rev["seq"] = by_key.get((rev["entity"], rev["record_id"]), 0)
            insert_many(self.conn, REVISION, self._revisions)
            self._revisions = []
        if exit_rows:
            self.conn.execute(insert(SCOPE_EXIT), exit_rows)
        self._write_members([r for r in dirty if r.entity == "walkabout"])
        for row in dirty:
            row.dirty = False
            row.exists = True
            row.loaded_patch_id = row.patch_id
            row.stored_version = row.version

    def _echoed(self, dirty: list[Row], exits: list[tuple[str, str, str]]) -> set[Key]:
        """The rows whose final version is the one the pushing device was told.

        Left out too: a record that ever left a patch. A device that got it in ``removes``
        while its own edit was pending keeps it as an orphan and deletes it once that edit
        is answered; only a pull can then bring it back, so such a record is always sent.
        """
        if self.echo_device is None or not self.told:
            return set()
        keys = {r.key for r in dirty if self.told.get(r.key) == r.version}
        keys -= {(e, i) for e, i, _ in exits}
        # Only a record that was in the database before this batch can have left a patch.
        ids = sorted({r.id for r in dirty if r.key in keys and r.exists})
        for start in range(0, len(ids), 900):
            stmt = select(SCOPE_EXIT.c.entity, SCOPE_EXIT.c.record_id).where(
                SCOPE_EXIT.c.record_id.in_(ids[start : start + 900])
            )
            keys -= {(e, i) for e, i in self.conn.execute(stmt)}
        return keys

    def _values(self, row: Row) -> dict[str, Any]:
        return {
            "version": row.version,
            "seq": row.seq,
            "deleted": row.deleted,
            "data": dumps(row.data),
            "patch_id": row.patch_id,
            "walkabout_id": row.walkabout_id,
            "estate": row.estate,
            "parent_id": row.parent_id,
            "photo_sha256": row.data.get("sha256") if row.entity == "photo" else None,
            "needs_review": row.needs_review,
            "private": dumps(row.private) if row.private else None,
            "updated_by_device": row.updated_by_device,
            "updated_by_user": row.updated_by_user,
            "echo_device": self.echo_device if row.key in self._echo else None,
            "updated_at": self.now,
        }

    def _write_rows(self, dirty: list[Row]) -> None:
        new = [
            {
                "entity": r.entity,
                "id": r.id,
                "created_by_device": r.created_by_device,
                "created_by_user": r.created_by_user,
                "created_at": r.created_at or self.now,
                **self._values(r),
            }
            for r in dirty
            if not r.exists
        ]
        old = [
            {"k_entity": r.entity, "k_id": r.id, "k_version": r.stored_version, **self._values(r)}
            for r in dirty
            if r.exists
        ]
        if new:
            insert_many(self.conn, RECORD, new)  # a concurrent create of the same id: 23505
        if old:
            # Only over the version this batch read: on PostgreSQL another push may have
            # written the record since (no lock is held across a push), and then this batch
            # decided on stale data; ``run_write`` runs it again. (SQLite has one writer.)
            stmt = (
                update(RECORD)
                .where(
                    and_(
                        RECORD.c.entity == bindparam("k_entity"),
                        RECORD.c.id == bindparam("k_id"),
                        RECORD.c.version == bindparam("k_version"),
                    )
                )
                .values({name: bindparam(name) for name in old[0] if not name.startswith("k_")})
            )
            done = self.conn.execute(stmt, old).rowcount
            if not is_sqlite(self.conn) and done != len(old):
                raise WriteClash(f"{len(old) - done} record(s) changed under this write")

    def _write_members(self, walkabouts: list[Row]) -> None:
        if not walkabouts:
            return
        ids = [r.id for r in walkabouts]
        self.conn.execute(delete(MEMBER).where(MEMBER.c.walkabout_id.in_(ids)))
        members = {
            (r.id, p["user_id"])
            for r in walkabouts
            if not r.deleted
            for p in (r.data.get("participants") or [])
            if isinstance(p, dict) and isinstance(p.get("user_id"), str) and p["user_id"]
        }
        if members:
            self.conn.execute(
                insert(MEMBER), [{"walkabout_id": w, "user_id": u} for w, u in sorted(members)]
            )


class _Visible:
    """A batch's ``Lookup`` showing only the records ``visible`` allows."""

    def __init__(self, batch: RecordCache, visible: Callable[[Row], bool]) -> None:
        self.batch, self.visible = batch, visible

    def get(self, entity: str, id: str) -> Mapping[str, Any] | None:
        row = self.batch.row(entity, id)
        if row is None or row.live() is None or not self.visible(row):
            return None
        return row.data

    def find(self, entity: str, field: str, value: Any) -> Sequence[Mapping[str, Any]]:
        return [r.data for r in self.batch.find_rows(entity, field, value) if self.visible(r)]
