"""AppState over a real device store: reads, writes into the outbox, partner visibility,
notifications, navigation, sign-out wiping the tablet. No browser, no server (offline)."""

from __future__ import annotations

from typing import Any

import pytest

from fieldapp.services import Device
from fieldapp.state import AppState
from fieldapp.store.errors import ValidationError
from tests.app.conftest import NOW, Recorder, seed

OFFICER = {"id": "u-officer", "name": "Sarah Whitfield", "role": "officer", "patch_ids": ["p1"]}
PCSO = {"id": "u-pcso", "name": "Gary Lowe", "role": "pcso", "patch_ids": ["p1"]}

PATCH = {"id": "p1", "name": "Runcorn East", "officer_ids": ["u-officer"]}
HOMES = [
    {
        "id": f"h{i}",
        "uprn": f"10000{i}",
        "patch_id": "p1",
        "estate": "Castlefields",
        "block": "Ash Court",
        "address": f"{i} Ash Court",
        "postcode": "WA7 2AB",
        "lat": 53.33 + i / 1000,
        "lon": -2.69,
        "bedrooms": 2,
    }
    for i in range(1, 4)
]
JOINED = {
    "id": "w-joined",
    "estate": "Castlefields",
    "started_at": "2026-06-09T09:00:00Z",
    "participants": [{"user_id": "u-pcso", "name": "Gary Lowe", "role": "pcso"}],
}
OTHER = {
    "id": "w-other",
    "estate": "Castlefields",
    "started_at": "2026-06-08T09:00:00Z",
    "participants": [{"user_id": "u-officer", "name": "Sarah Whitfield", "role": "officer"}],
}
OBS = [
    {"id": "o1", "walkabout_id": "w-joined", "kind": "litter", "logged_at": "2026-06-09T09:10:00Z"},
    {"id": "o2", "walkabout_id": "w-other", "kind": "litter", "logged_at": "2026-06-08T09:10:00Z"},
]


def _data() -> dict[str, list[dict[str, Any]]]:
    return {
        "patch": [PATCH],
        "property": HOMES,
        "walkabout": [JOINED, OTHER],
        "observation": OBS,
    }


def test_signed_out_state(state: AppState) -> None:
    assert state.user is None
    assert state.role == ""
    assert state.sync.status == "signed_out"
    assert state.now() == NOW
    assert state.position() is None


def test_reads_come_from_the_store(device: Device, state: AppState) -> None:
    seed(device, _data(), user=OFFICER)
    assert state.role == "officer" and not state.is_partner
    assert {p["id"] for p in state.all("property")} == {"h1", "h2", "h3"}
    assert state.get("property", "h2")["address"] == "2 Ash Court"  # type: ignore[index]
    assert [p["id"] for p in state.find("property", "block", "Ash Court")] == ["h1", "h2", "h3"]
    assert [p["id"] for p in state.search_properties("2 Ash")] == ["h2"]
    assert state.get("property", "nope") is None


def test_a_write_is_stored_queued_and_announced(device: Device, state: AppState) -> None:
    seed(device, _data(), user=OFFICER)
    heard: list[int] = []
    state.subscribe(lambda: heard.append(len(state.pending())))
    made = state.create(
        "walkabout", {"estate": "Castlefields", "started_at": "2026-06-10T09:00:00Z"}
    )
    assert state.get("walkabout", made["id"]) is not None
    assert made["_pending"] is True
    assert heard == [1]  # listeners see the write after it is in the outbox
    updated = state.update("walkabout", made["id"], {"summary": "Bins overflowing"})
    assert updated["summary"] == "Bins overflowing"
    assert device.unsynced_summary()["pending"] >= 1
    assert state.unsynced_summary() == device.unsynced_summary()


def test_a_bad_write_raises_and_changes_nothing(device: Device, state: AppState) -> None:
    seed(device, _data(), user=OFFICER)
    before = len(state.pending())
    with pytest.raises(ValidationError):
        state.create("walkabout", {"estate": "Castlefields"})  # started_at is required
    assert len(state.pending()) == before
    assert len(state.all("walkabout")) == 2


def test_partner_sees_only_walkabouts_joined(device: Device, state: AppState) -> None:
    seed(device, _data(), user=PCSO)
    assert state.is_partner
    assert [w["id"] for w in state.all("walkabout")] == ["w-joined"]
    assert state.get("walkabout", "w-other") is None
    assert [o["id"] for o in state.all("observation")] == ["o1"]
    assert state.find("observation", "walkabout_id", "w-other") == []


def test_staff_see_every_walkabout(device: Device, state: AppState) -> None:
    seed(device, _data(), user=OFFICER)
    assert {w["id"] for w in state.all("walkabout")} == {"w-joined", "w-other"}


def test_position_go_toast(state: AppState, shell: Recorder) -> None:
    heard: list[str] = []
    state.subscribe(lambda: heard.append("x"))
    state.set_position(53.3, -2.7)
    assert state.position() == (53.3, -2.7)
    assert heard == ["x"]
    state.go("/walkabout", id="w1")
    assert shell.routes == [("/walkabout", {"id": "w1"})]
    assert (state.route, state.params) == ("/walkabout", {"id": "w1"})
    state.toast("Saved")
    assert shell.toasts == ["Saved"] and state.messages == ["Saved"]


def test_unsubscribe_and_drop(state: AppState) -> None:
    heard: list[str] = []
    off = state.subscribe(lambda: heard.append("a"))
    state.subscribe(lambda: heard.append("b"))
    shell_heard: list[str] = []
    state.shell_listener = lambda: shell_heard.append("s")
    off()
    state.set_position(1.0, 1.0)
    assert heard == ["b"]
    state.drop_listeners()  # the shell changes screen: screens stop listening, the shell not
    state.set_position(2.0, 2.0)
    assert heard == ["b"] and shell_heard == ["s", "s"]


def test_dispatch_carries_notifications(device: Device) -> None:
    queued: list[Any] = []
    state = AppState(device, dispatch=queued.append)
    heard: list[str] = []
    state.subscribe(lambda: heard.append("x"))
    state.set_position(1.0, 2.0)
    assert heard == []  # not run until the UI loop runs it
    queued[0]()
    assert heard == ["x"]


def test_sign_out_wipes_the_tablet(device: Device, state: AppState) -> None:
    seed(device, _data(), user=OFFICER)
    state.create("walkabout", {"estate": "Castlefields", "started_at": "2026-06-10T09:00:00Z"})
    db = device.store.db_path
    assert b"Ash Court" in db.read_bytes() or db.with_name(db.name + "-wal").exists()
    state.sign_out()
    assert state.user is None
    assert state.all("property") == [] and state.pending() == []
    assert device.unsynced_summary() == {
        "pending": 0,
        "photos": 0,
        "dead_letters": 0,
        "conflicts": 0,
    }


def test_server_address_setting_survives_sign_out(device: Device, state: AppState) -> None:
    state.set_server_url("http://127.0.0.1:8123")
    assert state.server_url == "http://127.0.0.1:8123"
    state.sign_out()
    assert state.server_url == "http://127.0.0.1:8123"
    again = Device(device.config)
    try:
        assert again.server_url == "http://127.0.0.1:8123"
    finally:
        again.store.close()


def test_sync_while_offline_keeps_changes(device: Device, state: AppState) -> None:
    seed(device, _data(), user=OFFICER)
    device.store.set_meta("token", "t")
    state.create("walkabout", {"estate": "Castlefields", "started_at": "2026-06-10T09:00:00Z"})
    result = device.sync_once()
    assert result.status == "offline"
    assert "No connection" in (result.last_error or "")
    assert len(state.pending()) == 1
    assert state.sync.status == "offline"
