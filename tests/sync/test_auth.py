"""Sign-in, expiry, revocation and user changes, against the real server."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fieldapp.sync.errors import AuthError, NetworkError
from tests.support.live_server import LiveServer
from tests.sync.conftest import DeviceFactory
from tests.sync.device import Device

NOW = datetime(2026, 6, 10, 9, tzinfo=UTC)
CASE = {"category": "noise", "received_at": "2026-06-10T08:00:00Z"}


def test_sign_in_keeps_token_and_user(server: LiveServer, make_device: DeviceFactory) -> None:
    d = make_device(server, "olive")
    user = d.store.user()
    assert user is not None and user["role"] == "officer" and user["name"] == "Olive Officer"
    assert d.store.get_meta("token") and d.engine.state.status == "offline"


def test_wrong_password_is_a_clear_error(server: LiveServer, tmp_path: Path) -> None:
    d = Device(url=server.url, data_dir=tmp_path / "d")
    try:
        with pytest.raises(AuthError) as err:
            d.sign_in("olive", "wrong")
        assert err.value.code == "bad_credentials" and d.store.get_meta("token") is None
    finally:
        d.close()


def test_no_server_is_a_network_error(tmp_path: Path) -> None:
    from tests.support.live_server import free_port

    d = Device(url=f"http://127.0.0.1:{free_port()}", data_dir=tmp_path / "d")
    try:
        with pytest.raises(NetworkError):
            d.sign_in("olive")
        d.store.set_meta("token", "t")
        state = d.sync()
        assert state.status == "offline" and state.last_error
    finally:
        d.close()


def test_revoked_device_wipes_itself(server: LiveServer, make_device: DeviceFactory) -> None:
    d = make_device(server, "olive")
    d.store.create("asb_case", CASE, now=NOW)
    assert d.sync().status == "online"
    old_device = d.store.device_id
    server.cli("revoke-device", old_device)
    d.store.create("asb_case", CASE, now=NOW)
    state = d.sync()
    assert state.status == "revoked" and state.pending == 0
    assert d.store.all("asb_case") == [] and d.store.get_meta("token") is None
    assert d.store.device_id != old_device


def test_expired_token_signs_out_and_keeps_the_outbox(tmp_path: Path) -> None:
    with LiveServer(data_dir=tmp_path / "s", env={"TOKEN_LIFETIME_SECONDS": "1"}) as server:
        server.add_user("olive", role="officer", patches=["North"])
        d = Device(url=server.url, data_dir=tmp_path / "d")
        try:
            d.sign_in("olive")
            d.store.create("asb_case", CASE, now=NOW)
            time.sleep(2.1)
            state = d.sync()
            assert state.status == "signed_out" and state.pending == 1
            # Tokens live for a normal hour again, so a loaded machine cannot expire the next one.
            server.stop()
            server.extra_env["TOKEN_LIFETIME_SECONDS"] = "3600"
            server.start()
            d.point_at(server.url)
            d.sign_in("olive")
            assert d.sync().status == "online" and d.store.pending_count() == 0
        finally:
            d.close()


def test_other_user_cannot_sign_in_over_unsent_edits(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    d = make_device(server, "olive")
    d.store.create("asb_case", CASE, now=NOW)
    with pytest.raises(AuthError) as err:
        d.sign_in("percy")
    assert err.value.code == "pending_changes" and d.store.pending_count() == 1
    assert d.sync().status == "online"
    officers_device = d.store.device_id
    d.sign_in("percy")  # now allowed: the officer's data is wiped first
    assert d.store.all("asb_case") == [] and d.store.user()["role"] == "pcso"  # type: ignore[index]
    # The server gives a device id to one user: the tablet came back as a new device.
    assert d.store.device_id != officers_device
    assert d.sync().status == "online"
