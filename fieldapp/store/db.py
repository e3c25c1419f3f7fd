"""The SQLite connection of the store and the row codec between wire dicts and table rows.

Durability choice: WAL with ``synchronous=FULL``. Until it is pushed, an edit exists only on
the tablet, and field tablets die of flat batteries: FULL syncs the WAL on every commit, so an
edit the app has shown as saved survives power loss, not just a killed process (NORMAL would
only guarantee the latter). The cost is one fsync per transaction, and the bulk paths (a pulled
page, a push result batch) are one transaction each.

Transactions are ``BEGIN IMMEDIATE`` under one process-wide lock: the UI thread and the sync
thread share one connection, and a write transaction never has to upgrade a read lock. The
schema comes from ``tables`` and is brought up to date on every open by ``schema.upgrade``;
reads and writes use the plain ``sqlite3`` connection with prepared SQL and ``executemany``,
which is what makes pulling 10,000 records cheap.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from fieldapp.store.schema import Upgrade, upgrade
from fieldapp.store.tables import JSON_TYPES, SYNC_COLUMNS
from fieldapp.sync.protocol import ENTITIES


@dataclass(frozen=True)
class Codec:
    """How one entity's rows map to wire dicts: column order, which columns are JSON/bool."""

    entity: str
    columns: tuple[str, ...]  # wire fields then SYNC_COLUMNS
    fields: tuple[str, ...]  # wire fields only
    json_cols: frozenset[str]
    bool_cols: frozenset[str]

    @property
    def json_positions(self) -> tuple[int, ...]:
        return tuple(i for i, n in enumerate(self.fields) if n in self.json_cols)

    def params(self, data: Mapping[str, Any], version: int | None, deleted: bool) -> list[Any]:
        """One row's SQL parameters, in column order; absent fields become NULL."""
        # The hot loop of a bulk pull: a comprehension, then JSON only where it is needed.
        get = data.get
        row = [get(name) for name in self.fields]
        for i in _JSON_POSITIONS[self.entity]:
            value = row[i]
            if value is not None:
                row[i] = _dumps(value)
        row.append(version)
        row.append(1 if deleted else 0)
        return row

    def decode(self, row: Sequence[Any]) -> dict[str, Any]:
        """A row (in column order) as a wire dict plus ``_version`` and ``_deleted``."""
        out: dict[str, Any] = {}
        for name, value in zip(self.fields, row, strict=False):
            if value is not None:
                if name in self.json_cols:
                    value = json.loads(value)
                elif name in self.bool_cols:
                    value = bool(value)
            out[name] = value
        n = len(self.fields)
        out["_version"] = row[n]
        out["_deleted"] = bool(row[n + 1])
        return out


def _codec(entity: str) -> Codec:
    spec = ENTITIES[entity]
    return Codec(
        entity=entity,
        columns=(*spec.names, *SYNC_COLUMNS),
        fields=spec.names,
        json_cols=frozenset(f.name for f in spec.fields if f.type in JSON_TYPES),
        bool_cols=frozenset(f.name for f in spec.fields if f.type == "bool"),
    )


CODECS: Final[dict[str, Codec]] = {name: _codec(name) for name in ENTITIES}
_JSON_POSITIONS: Final[dict[str, tuple[int, ...]]] = {
    name: codec.json_positions for name, codec in CODECS.items()
}
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def upsert_sql(entity: str) -> str:
    """``INSERT … ON CONFLICT(id) DO UPDATE`` replacing every column of one row."""
    cols = CODECS[entity].columns
    names = ", ".join(f'"{c}"' for c in cols)
    marks = ", ".join("?" for _ in cols)
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c != "id")
    return f'INSERT INTO "{entity}" ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {sets}'


def select_sql(entity: str) -> str:
    return "SELECT " + ", ".join(f'"{c}"' for c in CODECS[entity].columns) + f' FROM "{entity}"'


class Database:
    """One sqlite3 connection shared by threads behind a re-entrant lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0
        self.upgraded = Upgrade()  # what opening changed in an existing file
        self.conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (sqlite3's implicit
        # transactions would not cover the reads a write decision is based on).
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        self.upgraded = upgrade(conn)
        return conn

    def recreate(self, remove_files: Callable[[], None]) -> None:
        """Close, let ``remove_files`` delete the file, and start on a fresh empty one.

        All under the lock, keeping this object: a reader already waiting for the lock then
        runs on the new connection instead of a closed one.
        """
        with self.lock:
            self.conn.close()
            remove_files()
            self.conn = self._connect()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic transaction; nested uses join the outer one."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.conn
            except BaseException:
                self._depth = 0
                self.conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self.conn.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.conn.close()


# --- row helpers used inside a transaction ---------------------------------------------------
def get_row(conn: sqlite3.Connection, entity: str, id: str) -> dict[str, Any] | None:
    """The row (deleted or not) as a wire dict with ``_version``/``_deleted``, or None."""
    row = conn.execute(select_sql(entity) + " WHERE id = ?", (id,)).fetchone()
    return None if row is None else CODECS[entity].decode(row)


def get_rows(
    conn: sqlite3.Connection, entity: str, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Many rows by id (as ``get_row`` gives them), a few statements for any number."""
    codec, found = CODECS[entity], {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(select_sql(entity) + f" WHERE id IN ({marks})", chunk):
            data = codec.decode(row)
            found[str(data["id"])] = data
    return found


def put_rows(
    conn: sqlite3.Connection,
    entity: str,
    rows: Iterable[tuple[Mapping[str, Any], int | None, bool]],
) -> None:
    """Upsert whole rows ``(data, version, deleted)`` with one ``executemany``."""
    codec = CODECS[entity]
    conn.executemany(upsert_sql(entity), (codec.params(d, v, x) for d, v, x in rows))


def delete_rows(conn: sqlite3.Connection, entity: str, ids: Iterable[str]) -> None:
    conn.executemany(f'DELETE FROM "{entity}" WHERE id = ?', ((i,) for i in ids))
