"""The device wiring against the real server on loopback: sign-in, background sync, a write
going out, photos, revocation wiping the tablet, and where the data folder comes from."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from fieldapp import services
from fieldapp.services import AppConfig, Device, open_device
from fieldapp.state import AppState
from fieldapp.views.logic_signin import sign_in_message
from tests.support import live_server
from tests.support.live_server import LiveServer

ESTATE = "Ash Estate"
HOMES = [
    {
        "uprn": f"20000{i}",
        "patch": "North",
        "estate": ESTATE,
        "block": "Ash Court",
        "address": f"{i} Ash Court",
        "postcode": "WA7 2AB",
        "lat": 53.33,
        "lon": -2.69,
        "bedrooms": 2,
        "tenancy_ref": f"T{i}",
    }
    for i in range(1, 4)
]


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    live_server.import_properties(HOMES)
    live_server.add_user("olive", role="officer", patches=["North"], password="olive-pw-walkabout")
    return live_server


@pytest.fixture
def device(tmp_path: Path, server: LiveServer) -> Device:
    dev = Device(AppConfig(data_dir=tmp_path / "tablet", server_url=server.url, sync_interval=0.2))
    yield dev  # type: ignore[misc]
    dev.stop()
    dev.store.close()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_wrong_password_then_sign_in_and_first_download(device: Device, server: LiveServer) -> None:
    with pytest.raises(Exception) as caught:
        device.sign_in(server_url=server.url, username="olive", password="nope")
    assert sign_in_message(caught.value, server_url=server.url).startswith("Wrong username")
    assert device.user() is None

    user = device.sign_in(server_url=server.url, username="olive", password="olive-pw-walkabout")
    assert user["role"] == "officer"
    assert device.server_url == server.url  # remembered once sign-in worked
    assert device.sync_once().status == "online"
    assert {p["address"] for p in device.store.all("property")} == {h["address"] for h in HOMES}


def test_no_server_means_a_clear_message(tmp_path: Path) -> None:
    dev = Device(AppConfig(data_dir=tmp_path / "t", server_url="http://127.0.0.1:9"))
    try:
        with pytest.raises(Exception) as caught:
            dev.sign_in(server_url="http://127.0.0.1:9", username="olive", password="pw")
        assert "No connection to the server at http://127.0.0.1:9" in sign_in_message(
            caught.value, server_url="http://127.0.0.1:9"
        )
    finally:
        dev.store.close()


def test_background_thread_sends_a_write_and_its_photo(device: Device, server: LiveServer) -> None:
    device.sign_in(server_url=server.url, username="olive", password="olive-pw-walkabout")
    done = threading.Event()
    state = AppState(device)
    state.subscribe(lambda: done.set() if device.sync.status == "online" else None)
    device.start()
    assert done.wait(30), "first sync never finished"
    walk = state.create("walkabout", {"estate": ESTATE, "started_at": "2026-06-10T09:00:00Z"})
    state.set_position(53.331, -2.691)
    photo = state.add_photo(parent_entity="walkabout", parent_id=walk["id"], data=_jpeg())
    assert (photo["lat"], photo["lon"]) == (53.331, -2.691)  # no EXIF GPS: where I stand
    assert state.photo_bytes(photo) is not None
    deadline = threading.Event()
    for _ in range(150):  # the write wakes the thread; wait (bounded) for it to land
        summary = device.unsynced_summary()
        if summary["pending"] == 0 and summary["photos"] == 0:
            break
        deadline.wait(0.2)
    assert device.unsynced_summary() == {
        "pending": 0,
        "photos": 0,
        "dead_letters": 0,
        "conflicts": 0,
    }
    token = server.login("olive", "olive-pw-walkabout")["access_token"]
    status, _ = server.request("HEAD", f"/blobs/{photo['sha256']}", token=token)
    assert status == 200


def test_revoked_tablet_is_wiped(device: Device, server: LiveServer) -> None:
    device.sign_in(server_url=server.url, username="olive", password="olive-pw-walkabout")
    assert device.sync_once().status == "online"
    server.cli("revoke-device", device.store.device_id)
    state = device.sync_once()
    assert state.status == "revoked"
    assert "revoked" in (state.last_error or "")
    assert device.user() is None and device.store.all("property") == []


def test_sign_out_wipes_but_keeps_the_address(device: Device, server: LiveServer) -> None:
    device.sign_in(server_url=server.url, username="olive", password="olive-pw-walkabout")
    device.sync_once()
    old_id = device.store.device_id
    device.sign_out()
    assert device.user() is None and device.store.all("property") == []
    assert device.store.device_id != old_id  # a new enrolment next time
    assert device.server_url == server.url


@pytest.mark.parametrize(
    ("env", "folder"),
    [
        ({"FIELDAPP_DATA_DIR": "/x/a", "FLET_APP_STORAGE_DATA": "/x/b"}, "/x/a"),
        ({"FLET_APP_STORAGE_DATA": "/x/b"}, "/x/b"),
        ({}, str(Path("data/device").resolve())),
    ],
)
def test_data_folder_from_environment(env: dict[str, str], folder: str) -> None:
    assert str(AppConfig.from_env(env).data_dir) == folder


def test_config_defaults_and_overrides() -> None:
    config = AppConfig.from_env(
        {"FIELDAPP_SERVER_URL": "http://h:1", "FIELDAPP_SYNC_INTERVAL": "3"}
    )
    assert (config.server_url, config.sync_interval) == ("http://h:1", 3.0)
    assert AppConfig.from_env({}).server_url == "http://127.0.0.1:8700"


def test_one_device_per_folder(tmp_path: Path) -> None:
    config = AppConfig(data_dir=tmp_path / "shared", server_url="http://127.0.0.1:9")
    first, second = open_device(config), open_device(config)
    try:
        assert first is second  # two browser tabs on one tablet share its store and sync
    finally:
        first.stop()
        first.store.close()
        services._devices.pop(config.data_dir.resolve(), None)


def test_a_server_back_up_is_noticed_without_waiting_out_the_back_off(
    tmp_path: Path, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deep in its back-off (here ten minutes) a tablet asked the server again only when the
    back-off ended: the walk saw 55 s to "Online" after a restart. It now asks /health every
    few seconds while the server cannot be reached, and syncs as soon as it answers."""
    monkeypatch.setattr(services, "backoff_delay", lambda *a, **k: 600.0)
    config = AppConfig(data_dir=tmp_path / "t", server_url=server.url, probe_every=0.2)
    dev = Device(config)
    try:
        dev.sign_in(server_url=server.url, username="olive", password="olive-pw-walkabout")
        dev.start()
        assert _until(lambda: dev.sync.status == "online"), "first sync never finished"
        port = server.port
        server.stop()
        dev.request_sync()
        assert _until(lambda: dev.sync.status == "offline"), dev.sync.status
        monkeypatch.setattr(live_server, "free_port", lambda: port)  # back where it was
        server.start()
        assert _until(lambda: dev.sync.status == "online"), (
            f"still {dev.sync.status} 30 s after the server came back"
        )
    finally:
        dev.stop()
        dev.store.close()


def _until(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll ``check`` (a background thread's outcome) until true or ``timeout``."""
    wait = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        wait.wait(0.05)
    return check()
