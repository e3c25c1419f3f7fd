"""Opening a file made by an earlier release brings it up to this release's tables in place,
and rebuilds (then downloads again) only what cannot be changed in place, keeping the outbox.

The registry changes are handed to ``upgrade`` directly; ``test_release_upgrade`` runs the same
through a whole new release and a sync with the real server.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldapp.store.meta import get_meta
from fieldapp.store.schema import schema_version, upgrade
from fieldapp.store.store import Store
from fieldapp.sync.protocol import ENTITIES, Entity, Field

RELEASE = Path(__file__).with_name("releases") / "0.1.0.sql"
# The fields this release added since 0.1.0: a 0.1.0 tablet gains them, beside a simulated
# further change, when it opens.
SINCE_RELEASE = [
    "person.action_decisions",
    "person.suggested_actions",
    "repair.imminent_risk",
    "repair.action_decisions",
    "repair.suggested_actions",
    "tenancy_visit.action_decisions",
    "tenancy_visit.suggested_actions",
    "asb_case.reference",
    "repair.reference",
]
CREATED_SINCE_RELEASE = ["staff"]  # the staff directory


@pytest.fixture
def release(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """The 0.1.0 tablet's file, opened as the store opens it (autocommit)."""
    path = tmp_path / "field.db"
    with sqlite3.connect(path) as setup:
        setup.executescript(RELEASE.read_text())
    conn = sqlite3.connect(path, isolation_level=None)
    yield conn
    conn.close()


def _with(entity: str, fields: tuple[Field, ...]) -> dict[str, Entity]:
    return dict(ENTITIES) | {entity: dataclasses.replace(ENTITIES[entity], fields=fields)}


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    return {r[1]: r[2] for r in conn.execute(f'PRAGMA table_info("{table}")')}


def _rows(conn: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    return conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()


def test_the_release_file_opens_with_every_row_and_edit_and_records_its_version(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "tablet"
    folder.mkdir()
    with sqlite3.connect(folder / "field.db") as conn:
        conn.executescript(RELEASE.read_text())
    store = Store.open(folder)
    try:
        assert [m["entity"] for m in store.pending_mutations()] == [
            "walkabout",
            "observation",
            "note",
        ]
        assert store.all("walkabout")[0]["summary"] == "Bins by block A"
        assert store.get_meta("resync") is None  # nothing needed downloading again
        version = store._db.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == schema_version() != 0
    finally:
        store.close()
    again = Store.open(folder)
    try:
        assert not again.upgraded.changed  # up to date: one pragma read
    finally:
        again.close()


def test_a_new_field_entity_and_index_are_added_in_place(release: sqlite3.Connection) -> None:
    obs = ENTITIES["observation"]
    walk_ref = Field("patrol_id", "str", ref="patrol")
    entities = _with("observation", (*obs.fields, walk_ref)) | {
        "patrol": Entity("patrol", (Field("id", "str"), Field("estate", "str")))
    }
    rows = _rows(release, "observation")
    outbox = _rows(release, "outbox")

    done = upgrade(release, entities)

    assert sorted(done.added) == sorted([*SINCE_RELEASE, "observation.patrol_id"])
    # photo_cache: a device table newer than the 0.1.0 release, made on the same pass.
    assert sorted(done.created) == sorted(["patrol", "photo_cache", *CREATED_SINCE_RELEASE])
    assert set(done.indexes) == {"ix_observation_patrol_id", "ix_patrol_estate"}
    assert not done.rebuilt and not done.redownload
    assert _columns(release, "observation")["patrol_id"] == "TEXT"
    assert [r[:-1] for r in _rows(release, "observation")] == rows  # and NULL in the new column
    assert _rows(release, "outbox") == outbox
    assert release.execute("PRAGMA user_version").fetchone()[0] == schema_version(entities)
    assert not upgrade(release, entities).changed


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda f: dataclasses.replace(f, type="int"), id="retyped"),
        pytest.param(lambda f: dataclasses.replace(f, name="is_offensive"), id="renamed"),
    ],
)
def test_a_field_changed_in_a_way_sqlite_cannot_alter_rebuilds_and_downloads_again(
    release: sqlite3.Connection, change: Any
) -> None:
    obs = ENTITIES["observation"]
    entities = _with(
        "observation", tuple(change(f) if f.name == "offensive" else f for f in obs.fields)
    )
    outbox = _rows(release, "outbox")
    release.execute("INSERT INTO meta VALUES ('cursor', 'c-41')")

    done = upgrade(release, entities)

    assert done.rebuilt == ["observation"] and done.redownload
    assert "ix_observation_walkabout_id" in done.indexes  # dropped with the old table
    (row,) = release.execute("SELECT id, description, kind FROM observation").fetchall()
    assert row[1:] == ("Mattress by the bins", "fly_tipping")  # matching columns copied
    assert _rows(release, "outbox") == outbox  # nothing made here is lost
    assert get_meta(release, "resync") == "1" and get_meta(release, "cursor") is None
    tables = {r[0] for r in release.execute("SELECT name FROM sqlite_master")}
    assert not any(t.startswith("_old_") for t in tables)


def test_an_upgrade_that_fails_leaves_the_file_as_it_was(release: sqlite3.Connection) -> None:
    # A bookkeeping column that can be neither added in place nor copied (NOT NULL, no value
    # to copy): the rebuild fails, and the whole upgrade with it.
    release.executescript(
        "ALTER TABLE outbox RENAME TO o; CREATE TABLE outbox (mutation_id VARCHAR NOT NULL "
        "PRIMARY KEY, device_seq INTEGER NOT NULL UNIQUE, entity VARCHAR NOT NULL, record_id "
        "VARCHAR NOT NULL, op VARCHAR NOT NULL, base_version INTEGER, patch JSON NOT NULL, "
        "client_time VARCHAR NOT NULL, state VARCHAR NOT NULL, error JSON); INSERT INTO outbox "
        "SELECT mutation_id, device_seq, entity, record_id, op, base_version, patch, "
        "client_time, state, error FROM o; DROP TABLE o;"
    )
    extended = _with("walkabout", (*ENTITIES["walkabout"].fields, Field("weather", "str")))
    before = {t: _rows(release, t) for t in ("outbox", "walkabout", "meta")}

    with pytest.raises(sqlite3.IntegrityError):
        upgrade(release, extended)

    assert "weather" not in _columns(release, "walkabout")
    assert {t: _rows(release, t) for t in before} == before
    assert release.execute("PRAGMA user_version").fetchone()[0] == 0
