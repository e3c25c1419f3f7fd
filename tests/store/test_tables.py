"""The device schema never drifts from the wire registry, and the file is set up for safety."""

from __future__ import annotations

import sqlite3

import pytest

from fieldapp.store.store import Store
from fieldapp.store.tables import SYNC_COLUMNS
from fieldapp.sync.protocol import ENTITIES


def _columns(store: Store, table: str) -> list[str]:
    with sqlite3.connect(store.db_path) as conn:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_entity_table_columns_are_the_registry_fields(store: Store, entity: str) -> None:
    assert _columns(store, entity) == [*ENTITIES[entity].names, *SYNC_COLUMNS]


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        (
            "outbox",
            {
                "mutation_id",
                "device_seq",
                "entity",
                "record_id",
                "op",
                "base_version",
                "patch",
                "client_time",
                "state",
                "error",
                "attempts",
            },
        ),
        ("meta", {"key", "value"}),
        ("blob_upload", {"sha256", "path", "size", "uploaded"}),
    ],
)
def test_bookkeeping_tables(store: Store, table: str, columns: set[str]) -> None:
    assert set(_columns(store, table)) == columns


def test_wal_and_full_sync(store: Store) -> None:
    conn = store._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_device_id_is_made_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = Store.open(tmp_path)
    made = first.device_id
    first.close()
    again = Store.open(tmp_path)
    assert made and again.device_id == made
    again.close()
