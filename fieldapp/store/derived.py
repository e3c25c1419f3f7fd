"""Derived fields on the device: the shared domain code run inside the writing transaction.

``ConnLookup`` gives ``fieldapp.domain.derive`` read access to live rows through the same
connection (so it sees the write being made). Derived values are stored in their columns for
display and never go into a mutation: the server computes its own with the same code.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fieldapp.domain.derive import dependents, derive
from fieldapp.domain.policy import Policy
from fieldapp.store.db import CODECS, get_row, select_sql
from fieldapp.sync.protocol import ENTITIES


def _public(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("_deleted", None)
    row.pop("_version", None)
    return row


class ConnLookup:
    """``fieldapp.domain.derive.Lookup`` over one connection: live records only."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, entity: str, id: str) -> Mapping[str, Any] | None:
        if entity not in ENTITIES:
            return None
        row = get_row(self.conn, entity, id)
        return None if row is None or row["_deleted"] else _public(row)

    def find(self, entity: str, field: str, value: Any) -> list[Mapping[str, Any]]:
        spec = ENTITIES.get(entity)
        if spec is None or field not in spec.by_name:
            return []
        codec = CODECS[entity]
        rows = self.conn.execute(
            select_sql(entity) + f' WHERE "{field}" = ? AND deleted = 0', (value,)
        ).fetchall()
        return [_public(codec.decode(r)) for r in rows]


def derived_values(
    conn: sqlite3.Connection,
    entity: str,
    record: Mapping[str, Any],
    *,
    policy: Policy,
    now: datetime,
) -> dict[str, Any]:
    """The derived fields of ``record`` (an empty dict for an entity without any)."""
    names = ENTITIES[entity].derived
    if not names:
        return {}
    values = derive(entity, record, ConnLookup(conn), policy, now)
    return {name: values.get(name) for name in names}


def rederive_dependents(
    conn: sqlite3.Connection,
    entity: str,
    record: Mapping[str, Any],
    *,
    policy: Policy,
    now: datetime,
) -> None:
    """Recompute the derived columns of the records that depend on ``record``."""
    lookup = ConnLookup(conn)
    for dep_entity, dep_id in dependents(entity, record, lookup):
        dep = lookup.get(dep_entity, dep_id)
        if dep is None:
            continue
        values = derived_values(conn, dep_entity, dep, policy=policy, now=now)
        write_derived(conn, dep_entity, dep_id, values)


def write_derived(
    conn: sqlite3.Connection, entity: str, id: str, values: Mapping[str, Any]
) -> None:
    """Store derived values in their columns (a list, such as ``suggested_actions``, as JSON
    text, as the row codec keeps it)."""
    names = [n for n in ENTITIES[entity].derived if n in values]
    if not names:
        return
    json_cols = CODECS[entity].json_cols
    params = [
        json.dumps(values[n]) if n in json_cols and values[n] is not None else values[n]
        for n in names
    ]
    sets = ", ".join(f'"{n}" = ?' for n in names)
    conn.execute(f'UPDATE "{entity}" SET {sets} WHERE id = ?', (*params, id))
