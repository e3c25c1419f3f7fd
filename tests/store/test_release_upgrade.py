"""A tablet of the previous release, with edits it never sent, updated to a release whose
``ENTITIES`` changed: opening keeps every edit, and the next sync delivers them to the real
server.

The file is ``releases/0.1.0.sql`` (made by ``make_release_store`` on the 0.1.0 code): a
signed-in officer's walkabout, observation and note, all still in the outbox. The new release
runs in a child process (``release_child``) that changes the registry before importing the
store, as new code would. A manager's device then reads the server to see what arrived.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.store.test_schema import SINCE_RELEASE
from tests.support.live_server import LiveServer
from tests.sync.device import Device

ROOT = Path(__file__).resolve().parents[2]
RELEASE = Path(__file__).with_name("releases") / "0.1.0.sql"
PROPS = [
    {
        "uprn": f"2000000000{i:02d}",
        "patch": "North",
        "estate": "Oak Farm",
        "block": "A",
        "address": f"{i} Oak Road",
        "postcode": "WA7 1AB",
        "lat": 53.33 + i / 1000,
        "lon": -2.70,
        "bedrooms": 2,
        "tenancy_ref": f"TEN-{i}",
    }
    for i in range(1, 3)
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server per test: both tests push the same release file (same ids)."""
    with LiveServer(data_dir=tmp_path / "server") as live:
        live.import_properties(PROPS)
        live.user_ids = {  # type: ignore[attr-defined]
            "olive": live.add_user("olive", role="officer", patches=["North"]),
            "mina": live.add_user("mina", role="manager"),
        }
        yield live


def release_tablet(folder: Path) -> Path:
    """A data folder holding the 0.1.0 tablet's file, as that release left it."""
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / "field.db") as conn:
        conn.executescript(RELEASE.read_text())
    return folder


def release_outbox(folder: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(folder / "field.db") as conn:
        return conn.execute("SELECT * FROM outbox ORDER BY device_seq").fetchall()


def open_next_release(change: str, folder: Path, server: LiveServer) -> dict[str, Any]:
    user_id = server.user_ids["olive"]  # type: ignore[attr-defined]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.store.release_child",
            change,
            str(folder),
            server.url,
            user_id,
            "olive",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout.splitlines()[-1]))


def server_view(server: LiveServer, folder: Path) -> Device:
    manager = Device(url=server.url, data_dir=folder)
    manager.sign_in("mina")
    assert manager.sync().status == "online"
    return manager


def assert_release_edits_arrived(manager: Device, before: list[tuple[Any, ...]]) -> None:
    """Every record of the release's outbox is on the server with the values it was given."""
    for _mid, _seq, entity, record_id, _op, _base, patch, *_ in before:
        record = manager.store.get(entity, record_id)
        assert record is not None, f"{entity} {record_id} never reached the server"
        assert record["_version"] is not None
        for name, value in json.loads(patch).items():
            assert record[name] == value, (entity, name)


def test_a_new_field_and_entity_are_added_in_place_and_the_edits_arrive(
    server: LiveServer, tmp_path: Path
) -> None:
    folder = release_tablet(tmp_path / "tablet")
    before = release_outbox(folder)
    assert len(before) == 3

    out = open_next_release("added", folder, server)

    opened, synced = out["opened"], out["synced"]
    assert sorted(opened["added"]) == sorted([*SINCE_RELEASE, "walkabout.weather"])
    assert opened["created"] == ["photo_cache", "staff"]  # tables newer than 0.1.0
    assert "ix_staff_patch_id" in opened["indexes"]
    assert opened["rebuilt"] == [] and opened["redownload"] is False
    assert opened["walkabout"]["weather"] == "TEXT"
    assert opened["pending"] == [row[0] for row in before]  # same mutations, same order
    assert synced["status"] == "online", synced["error"]
    assert synced["pending"] == 0 and synced["dead"] == []
    assert synced["properties"] == len(PROPS)  # the pull wrote rows with the new column
    (walk,) = synced["walkabouts"]
    assert walk["summary"] == "Bins by block A" and walk["weather"] is None
    manager = server_view(server, tmp_path / "manager")
    try:
        assert_release_edits_arrived(manager, before)
        (note,) = manager.store.all("note")
        assert note["text"] == "Reported twice"
    finally:
        manager.close()


def test_a_retyped_field_rebuilds_the_table_and_downloads_again_keeping_the_outbox(
    server: LiveServer, tmp_path: Path
) -> None:
    folder = release_tablet(tmp_path / "tablet")
    before = release_outbox(folder)

    out = open_next_release("retyped", folder, server)

    opened, synced = out["opened"], out["synced"]
    assert opened["rebuilt"] == ["observation"] and opened["redownload"] is True
    assert opened["observation"]["offensive"] == "INTEGER"
    assert opened["resync"] == "1" and opened["cursor"] is None
    assert opened["pending"] == [row[0] for row in before]
    (kept,) = opened["observations"]  # the row stays on screen, its other values copied
    assert kept["description"] == "Mattress by the bins" and kept["offensive"] is None
    assert synced["status"] == "online", synced["error"]
    assert synced["pending"] == 0 and synced["dead"] == []
    assert synced["resync"] is None  # the re-download completed
    (obs,) = synced["observations"]
    assert obs["offensive"] == 1 and obs["_version"] is not None  # refilled, as the new type
    manager = server_view(server, tmp_path / "manager")
    try:
        assert_release_edits_arrived(manager, before)
    finally:
        manager.close()
