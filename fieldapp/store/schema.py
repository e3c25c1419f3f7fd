"""Bringing a device file up to this release's tables, on every open (``PRAGMA user_version``).

A tablet keeps its file across app updates, with edits not yet sent. ``upgrade`` compares the
file with the tables ``fieldapp.store.tables`` builds from ``ENTITIES`` and, in one
transaction, creates missing tables, adds missing columns and creates missing indexes. It
records a fingerprint of the target schema in ``user_version``, so an open with nothing to do
costs one pragma read.

A column it cannot keep in place (a field renamed, retyped or dropped: its declared type
differs, or the registry no longer has it) means the table is rebuilt: the columns that still
match are copied, the rest are left empty, and a full re-download is started, exactly as after
a ``410`` (``meta.begin_resync``): the outbox is kept and pushed first, then the server sends
every record again and fills what was left empty. A column added in place is empty on rows
already synced; a release that adds fields bumps ``SCHEMA_VERSION``, and the server answers a
cursor of the previous schema with ``410``, which re-downloads them (sync-protocol.md, Pull).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import Column, MetaData, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from fieldapp.store.meta import begin_resync
from fieldapp.store.tables import device_metadata
from fieldapp.sync.protocol import ENTITIES, Entity

log = logging.getLogger(__name__)
_DIALECT = sqlite.dialect()


@dataclass
class Upgrade:
    """What one open changed in the file (all empty when it was already up to date)."""

    created: list[str] = field(default_factory=list)  # tables
    added: list[str] = field(default_factory=list)  # "table.column"
    rebuilt: list[str] = field(default_factory=list)  # tables whose columns could not stay
    indexes: list[str] = field(default_factory=list)
    redownload: bool = False  # a re-download was started to refill rebuilt entity tables

    @property
    def changed(self) -> bool:
        return bool(self.created or self.added or self.rebuilt or self.indexes)


@dataclass(frozen=True)
class _Target:
    metadata: MetaData
    version: int  # what ``user_version`` holds once a file has these tables


def _type_of(column: Column[object]) -> str:
    return str(column.type.compile(dialect=_DIALECT)).upper()


def _target(entities: Mapping[str, Entity]) -> _Target:
    metadata = device_metadata(entities)
    ddl = hashlib.sha256()
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        ddl.update(str(CreateTable(table).compile(dialect=_DIALECT)).encode())
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            ddl.update(str(CreateIndex(index).compile(dialect=_DIALECT)).encode())
    # user_version is a signed 32-bit integer; 0 is a file no release has set up.
    return _Target(metadata, int.from_bytes(ddl.digest()[:4], "big") & 0x7FFFFFFF or 1)


@cache
def _default_target() -> _Target:
    return _target(ENTITIES)


def schema_version(entities: Mapping[str, Entity] | None = None) -> int:
    """The ``user_version`` of a file that has every table of ``entities`` (default: ENTITIES)."""
    return (_default_target() if entities is None else _target(entities)).version


def upgrade(conn: sqlite3.Connection, entities: Mapping[str, Entity] | None = None) -> Upgrade:
    """Bring the file of ``conn`` (autocommit mode, no open transaction) up to ``entities``."""
    target = _default_target() if entities is None else _target(entities)
    done = Upgrade()
    if conn.execute("PRAGMA user_version").fetchone()[0] == target.version:
        return done
    conn.execute("BEGIN IMMEDIATE")
    try:
        existing = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        entity_names = set(ENTITIES if entities is None else entities)
        for table in target.metadata.sorted_tables:
            if table.name not in existing:
                conn.execute(str(CreateTable(table).compile(dialect=_DIALECT)))
                done.created.append(table.name)
            elif _fit_columns(conn, table, done) and table.name in entity_names:
                done.redownload = True
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        for table in target.metadata.sorted_tables:
            for index in table.indexes:
                if index.name not in indexes:
                    conn.execute(str(CreateIndex(index).compile(dialect=_DIALECT)))
                    done.indexes.append(str(index.name))
        if done.redownload:
            begin_resync(conn)
        conn.execute(f"PRAGMA user_version = {target.version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if done.changed and existing:
        log.info("device schema upgraded: %s", done)
    return done


def _fit_columns(conn: sqlite3.Connection, table: Table, done: Upgrade) -> bool:
    """Add ``table``'s missing columns, or rebuild it; True when it had to be rebuilt."""
    have = {r[1]: str(r[2]).upper() for r in conn.execute(f'PRAGMA table_info("{table.name}")')}
    want = {c.name: _type_of(c) for c in table.columns}
    stale = [n for n, t in have.items() if want.get(n) != t]
    missing = [c for c in table.columns if c.name not in have]
    # SQLite adds a column in place only if it may be NULL and is neither a key nor unique.
    if not stale and all(c.nullable and not c.primary_key and not c.unique for c in missing):
        for column in missing:
            conn.execute(
                f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {want[column.name]}'
            )
            done.added.append(f"{table.name}.{column.name}")
        return False
    # Rebuilt the way SQLite documents for changes ALTER TABLE cannot make: a new table, the
    # columns that still match copied across, the old one dropped (its indexes go with it).
    keep = ", ".join(f'"{n}"' for n, t in want.items() if have.get(n) == t)
    old = f"_old_{table.name}"
    conn.execute(f'ALTER TABLE "{table.name}" RENAME TO "{old}"')
    conn.execute(str(CreateTable(table).compile(dialect=_DIALECT)))
    if keep:
        conn.execute(f'INSERT INTO "{table.name}" ({keep}) SELECT {keep} FROM "{old}"')
    conn.execute(f'DROP TABLE "{old}"')
    done.rebuilt.append(table.name)
    return True
