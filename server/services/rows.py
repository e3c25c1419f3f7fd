"""Records as the write path holds them, and the cache it reads them through.

``RecordCache`` loads records in bulk (by key, by parent, by estate, a whole entity), keeps
an index so the domain code's ``Lookup`` (``get``/``find``) answers from memory, and fetches
the revisions a merge needs, one query per entity. ``WriteBatch`` (``records``) builds on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, String, bindparam, func, select, text
from sqlalchemy.sql import Select

from fieldapp.sync.protocol import PARENT_LINKS
from server.models import RECORD, REVISION

Key = tuple[str, str]


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # what json.dumps builds on every call


def dumps(value: Any) -> str:
    """Compact JSON text.

    ``orjson`` first: a push writes three encodings per record (result, record, revision)
    and ``json`` took 7 µs for a 1 KB record where ``orjson`` takes 0.6. What it refuses
    (integers beyond 64 bits, text with a lone surrogate, non-string keys) falls back to
    ``json``, whose ASCII escapes store any such text safely.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _ENCODER.encode(value)


@dataclass
class Row:
    """One record as held by a batch: its wire data and the server's columns."""

    entity: str
    id: str
    version: int = 0
    seq: int = 0
    deleted: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    patch_id: str | None = None
    walkabout_id: str | None = None
    estate: str | None = None
    parent_id: str | None = None
    needs_review: bool = False
    private: dict[str, Any] | None = None
    created_by_device: str | None = None
    created_by_user: str | None = None
    created_at: datetime | None = None
    updated_by_device: str | None = None
    updated_by_user: str | None = None
    loaded_version: int = 0  # the version in the database when loaded (0: not there)
    stored_version: int = 0  # the version in the database now, as far as this batch knows
    ix: dict[str, Any] = field(default_factory=dict, repr=False)  # values as indexed
    exists: bool = False  # in the database before this batch
    loaded_patch_id: str | None = None  # owner patch when loaded, for scope exits
    dirty: bool = False  # a new version (or a new scope) to write
    touched: int = 0  # order of the last write, so seq follows write order

    @property
    def key(self) -> Key:
        return (self.entity, self.id)

    def live(self) -> dict[str, Any] | None:
        return None if self.deleted or self.version == 0 else self.data


COLUMNS = (
    RECORD.c.entity,
    RECORD.c.id,
    RECORD.c.version,
    RECORD.c.seq,
    RECORD.c.deleted,
    RECORD.c.data,
    RECORD.c.patch_id,
    RECORD.c.walkabout_id,
    RECORD.c.estate,
    RECORD.c.parent_id,
    RECORD.c.needs_review,
    RECORD.c.private,
    RECORD.c.created_by_device,
    RECORD.c.created_by_user,
    RECORD.c.created_at,
)


def row_from_db(r: Sequence[Any]) -> Row:
    return Row(
        entity=r[0],
        id=r[1],
        version=r[2],
        seq=r[3],
        deleted=bool(r[4]),
        data=json.loads(r[5]),
        patch_id=r[6],
        walkabout_id=r[7],
        estate=r[8],
        parent_id=r[9],
        needs_review=bool(r[10]),
        private=json.loads(r[11]) if r[11] else None,
        created_by_device=r[12],
        created_by_user=r[13],
        created_at=r[14],
        exists=True,
        loaded_patch_id=r[6],
        loaded_version=r[2],
        stored_version=r[2],
    )


# A list of ids is one parameter on SQLite (a JSON array read by json_each): SQLAlchemy's
# expanding IN renders and binds hundreds of placeholders on every push. PostgreSQL keeps it.
_JSON_IDS = select(
    func.json_each(bindparam("ids", type_=String)).table_valued("value").c.value
).scalar_subquery()


def in_ids(conn: Connection, stmt: tuple[Select[Any], Select[Any]]) -> Select[Any]:
    """The SQLite or the other form of a statement taking ``ids``."""
    return stmt[0] if conn.dialect.name == "sqlite" else stmt[1]


def ids_param(conn: Connection, ids: Sequence[str]) -> Any:
    """``ids`` as the parameter of an ``in_ids`` statement."""
    return json.dumps(list(ids)) if conn.dialect.name == "sqlite" else list(ids)


def both_forms(build: Any) -> tuple[Select[Any], Select[Any]]:
    """``build(ids_in)`` with ``ids_in(column)`` the SQLite form, then the other form."""
    return build(lambda col: col.in_(_JSON_IDS)), build(
        lambda col: col.in_(bindparam("ids", expanding=True))
    )


_BY_IDS = both_forms(
    lambda ids_in: select(*COLUMNS).where(RECORD.c.entity == bindparam("e"), ids_in(RECORD.c.id))
)
_CHILDREN = both_forms(
    lambda ids_in: select(*COLUMNS).where(ids_in(RECORD.c.parent_id), RECORD.c.deleted.is_(False))
)
_LINKED = both_forms(
    lambda ids_in: select(*COLUMNS).where(
        RECORD.c.entity == bindparam("e"), ids_in(RECORD.c.parent_id), RECORD.c.deleted.is_(False)
    )
)
_BY_ESTATE = select(*COLUMNS).where(
    RECORD.c.entity == bindparam("e"),
    RECORD.c.estate == bindparam("v"),
    RECORD.c.deleted.is_(False),
)
_ALL_LIVE = select(*COLUMNS).where(RECORD.c.entity == bindparam("e"), RECORD.c.deleted.is_(False))
_HISTORY_MANY = (
    select(REVISION.c.record_id, REVISION.c.version, REVISION.c.device_id, REVISION.c.changes)
    .where(
        REVISION.c.entity == bindparam("e"),
        REVISION.c.record_id.in_(bindparam("ids", expanding=True)),
        REVISION.c.version > bindparam("v"),
    )
    .order_by(REVISION.c.record_id, REVISION.c.version)
)


# A creation's revision names the fields it set, not their values: those stay in the record
# until a later version supersedes them, and that version's revision keeps them as "old".
CREATED = "_created"


def _changes(stored: dict[str, Any]) -> dict[str, list[Any]]:
    """A revision's ``{field: [old, new]}`` (a creation: every field from nothing)."""
    if CREATED in stored:
        return {name: [None, None] for name in stored[CREATED]}
    return stored


_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def _by_json_field(conn: Connection, entity: str, field: str, value: str) -> Any:
    """Live records of ``entity`` whose JSON ``data`` has ``field`` equal to ``value``."""
    if conn.dialect.name == "sqlite":
        match = text("json_extract(record.data, :path) = :v").bindparams(path=f"$.{field}", v=value)
    else:
        match = text("(CAST(record.data AS JSON) ->> :field) = :v").bindparams(field=field, v=value)
    return select(*COLUMNS).where(RECORD.c.entity == entity, RECORD.c.deleted.is_(False), match)


def _having_json_field(conn: Connection, entity: str, field: str) -> Any:
    """Live records of ``entity`` whose JSON ``data`` has ``field`` set (not null)."""
    if conn.dialect.name == "sqlite":
        match = text("json_extract(record.data, :path) IS NOT NULL").bindparams(path=f"$.{field}")
    else:
        match = text("(CAST(record.data AS JSON) ->> :field) IS NOT NULL").bindparams(field=field)
    return select(*COLUMNS).where(RECORD.c.entity == entity, RECORD.c.deleted.is_(False), match)


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


@dataclass(frozen=True)
class RevisionRow:
    """One version's changes: ``{field: [old, new]}`` and who made them."""

    version: int
    device_id: str | None
    changes: dict[str, list[Any]]


class RecordCache:
    """The records one transaction has read (and changed), and the lookup index over them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.rows: dict[Key, Row] = {}
        self._missing: set[Key] = set()  # known not to exist
        # The lookup index: (entity, field, value) → rows, for parent links, estates and any
        # field the domain code asked about. ``_complete`` keys hold every match.
        self._ix: dict[tuple[str, str, Any], dict[str, Row]] = {}
        self._ix_fields: dict[str, set[str]] = {}
        self._complete: set[tuple[str, str, Any]] = set()
        self._children_loaded: set[str] = set()
        self._everything: set[str] = set()  # entities loaded in full
        self._field_loaded: set[tuple[str, str]] = set()  # every record with the field set
        self._history: dict[Key, tuple[int, list[RevisionRow]]] = {}  # (floor, from the DB)
        self._pending_history: dict[Key, list[RevisionRow]] = {}  # written, not yet flushed

    # --- loading ---------------------------------------------------------------------
    def _add(self, row: Row) -> Row:
        """Hold a row read from the database, unless this batch already holds it (newer)."""
        held = self.rows.get(row.key)
        if held is not None:
            return held
        self.rows[row.key] = row
        self._missing.discard(row.key)
        self._track(row)
        return row

    def _add_db(self, r: Sequence[Any]) -> Row:
        """``_add`` for a database row, decoding its JSON only when the batch lacks it."""
        held = self.rows.get((r[0], r[1]))
        return held if held is not None else self._add(row_from_db(r))

    def load(self, keys: Iterable[Key]) -> None:
        """Fetch many records at once (one query per entity)."""
        by_entity: dict[str, list[str]] = {}
        for entity, id_ in keys:
            if (entity, id_) not in self.rows and (entity, id_) not in self._missing:
                by_entity.setdefault(entity, []).append(id_)
        for entity, ids in by_entity.items():
            for start in range(0, len(ids), 900):
                chunk = ids[start : start + 900]
                params = {"e": entity, "ids": ids_param(self.conn, chunk)}
                for r in self.conn.execute(in_ids(self.conn, _BY_IDS), params):
                    self._add_db(r)
                for id_ in chunk:
                    if (entity, id_) not in self.rows:
                        self._missing.add((entity, id_))

    def load_children(self, parent_ids: Iterable[str]) -> None:
        """Fetch the live records whose parent link names any of these ids."""
        ids = [i for i in dict.fromkeys(parent_ids) if i not in self._children_loaded]
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            params = {"ids": ids_param(self.conn, chunk)}
            for r in self.conn.execute(in_ids(self.conn, _CHILDREN), params):
                self._add_db(r)
        self._children_loaded.update(ids)

    def load_linked(self, entity: str, parent_ids: Iterable[str]) -> None:
        """Fetch the live records of ``entity`` whose parent link names any of these ids (one
        query per 900), and answer ``find(entity, link, id)`` from memory from then on.

        Only that entity: the reports of a case, not every record hanging from it (a
        property with 10,000 cases is not read to derive one visit).
        """
        link = PARENT_LINKS[entity][0]
        self._fields_of(entity)
        ids = [
            i
            for i in dict.fromkeys(parent_ids)
            if (entity, link, i) not in self._complete and i not in self._children_loaded
        ]
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            params = {"e": entity, "ids": ids_param(self.conn, chunk)}
            for r in self.conn.execute(in_ids(self.conn, _LINKED), params):
                self._add_db(r)
        self._complete.update((entity, link, i) for i in ids)

    def lock(self, keys: Iterable[Key]) -> None:
        """PostgreSQL: hold these records (``FOR UPDATE``) to the end of the transaction.

        Taken in one order (entity, then id) so two batches never wait on each other in a
        circle. Called before the records are read, so what is read afterwards is current.
        SQLite needs nothing: its write transaction is the only writer.
        """
        if self.conn.dialect.name == "sqlite":
            return
        by_entity: dict[str, list[str]] = {}
        for entity, id_ in sorted(set(keys)):
            by_entity.setdefault(entity, []).append(id_)
        for entity, ids in by_entity.items():
            stmt = (
                select(RECORD.c.id)
                .where(RECORD.c.entity == entity, RECORD.c.id.in_(ids))
                .order_by(RECORD.c.id)
                .with_for_update()
            )
            self.conn.execute(stmt).all()

    def row(self, entity: str, id_: str) -> Row | None:
        """The record (live or deleted) as this batch sees it, or None."""
        key = (entity, id_)
        if key not in self.rows and key not in self._missing:
            self.load([key])
        return self.rows.get(key)

    def load_history(self, wanted: Iterable[tuple[Key, int]]) -> None:
        """Fetch the revisions after each base version, one query per entity."""
        by_entity: dict[str, dict[str, int]] = {}
        for (entity, id_), base in wanted:
            held = self._history.get((entity, id_))
            if held is None or base < held[0]:
                bases = by_entity.setdefault(entity, {})
                bases[id_] = min(base, bases.get(id_, base))
        for entity, bases in by_entity.items():
            names = list(bases)
            for start in range(0, len(names), 900):
                chunk = names[start : start + 900]
                floor = min(bases[i] for i in chunk)
                found: dict[str, list[RevisionRow]] = {i: [] for i in chunk}
                params = {"e": entity, "ids": chunk, "v": floor}
                for rid, v, d, c in self.conn.execute(_HISTORY_MANY, params):
                    found[rid].append(RevisionRow(v, d, _changes(json.loads(c))))
                for rid, revs in found.items():
                    self._history[(entity, rid)] = (floor, revs)

    def history(self, key: Key, after_version: int) -> list[RevisionRow]:
        """The revisions of a record newer than ``after_version``, oldest first."""
        held = self._history.get(key)
        row = self.rows.get(key)
        if held is None and (row is None or after_version >= row.loaded_version):
            held = (after_version, [])  # the database holds nothing newer than that
        elif held is None or after_version < held[0]:
            self.load_history([(key, after_version)])
            held = self._history[key]
        pending = self._pending_history.get(key, [])
        return [r for r in (*held[1], *pending) if r.version > after_version]

    # --- the Lookup protocol of fieldapp.domain.derive ---------------------------------
    # Called for every derived write (a push re-derives each record), so the common answers,
    # a held row and a lookup already complete, cost a dict look-up or two.
    def get(self, entity: str, id: str) -> Mapping[str, Any] | None:
        row = self.rows.get((entity, id))
        if row is None:
            row = self.row(entity, id)
        return None if row is None else row.live()

    def find(self, entity: str, field: str, value: Any) -> Sequence[Mapping[str, Any]]:
        return [r.data for r in self.find_rows(entity, field, value)]

    def find_rows(self, entity: str, field: str, value: Any) -> list[Row]:
        """``find``, as rows (for a caller that also needs their scope)."""
        if type(value) is not str and not _hashable(value):
            return []
        key = (entity, field, value)
        if key not in self._complete:
            self._complete_lookup(entity, field, value)
            self._complete.add(key)
        held = self._ix.get(key)
        if not held:
            return []
        return [r for r in held.values() if r.live() is not None]

    def _complete_lookup(self, entity: str, field: str, value: Any) -> None:
        """Index ``field`` and hold every live record of ``entity`` whose ``field`` is ``value``."""
        fields = self._fields_of(entity)
        if field not in fields:  # a field with no column: index it over what is held
            fields.add(field)
            for row in [r for r in self.rows.values() if r.entity == entity]:
                self._track(row)
        if entity in self._everything or (entity, field) in self._field_loaded:
            return
        link = PARENT_LINKS.get(entity)
        if link is not None and link[0] == field:
            if isinstance(value, str):  # a push preloads what its records' rules read
                self.load_linked(entity, [value])
        elif field == "estate" and entity in ("property", "walkabout"):
            for r in self.conn.execute(_BY_ESTATE, {"e": entity, "v": value}):
                self._add_db(r)
        elif isinstance(value, str) and _FIELD_NAME.match(field):
            # Matched inside the stored JSON by the database, not parsed here row by row.
            for r in self.conn.execute(_by_json_field(self.conn, entity, field, value)):
                self._add_db(r)
        else:
            self._load_everything(entity)

    def load_having(self, entity: str, field: str) -> None:
        """Fetch every live record of ``entity`` whose ``field`` is set (one query), so that
        ``find`` on that field answers from memory for any value."""
        if (entity, field) in self._field_loaded or not _FIELD_NAME.match(field):
            return
        self._fields_of(entity).add(field)
        for row in [r for r in self.rows.values() if r.entity == entity]:
            self._track(row)
        for r in self.conn.execute(_having_json_field(self.conn, entity, field)):
            self._add_db(r)
        self._field_loaded.add((entity, field))

    def all_rows(self, entity: str) -> list[Row]:
        """Every live record of an entity (read once per batch)."""
        self._load_everything(entity)
        return [r for r in self.rows.values() if r.entity == entity and r.live() is not None]

    def children(self, parent: Row) -> list[Row]:
        """Records whose parent link names ``parent`` (properties of a patch, reports…)."""
        self.load_children([parent.id])
        found: list[Row] = []
        for entity, (field_name, _) in PARENT_LINKS.items():
            found.extend(self._ix.get((entity, field_name, parent.id), {}).values())
        return [c for c in found if c.key != parent.key and c.version > 0]

    def _load_everything(self, entity: str) -> None:
        if entity in self._everything:
            return
        for r in self.conn.execute(_ALL_LIVE, {"e": entity}):
            self._add_db(r)
        self._everything.add(entity)

    def _fields_of(self, entity: str) -> set[str]:
        fields = self._ix_fields.get(entity)
        if fields is None:
            link = PARENT_LINKS.get(entity)
            fields = {link[0]} if link is not None else set()
            if entity in ("property", "walkabout"):
                fields.add("estate")
            self._ix_fields[entity] = fields
        return fields

    def _track(self, row: Row) -> None:
        """Keep the lookup index true for ``row`` (after it was read or written)."""
        for name in self._fields_of(row.entity):
            value = row.data.get(name)
            if not _hashable(value):
                value = None
            if name in row.ix:
                old = row.ix[name]
                if old == value:
                    continue
                self._ix.get((row.entity, name, old), {}).pop(row.id, None)
            self._ix.setdefault((row.entity, name, value), {})[row.id] = row
            row.ix[name] = value
