"""Sign-in, expiry, revocation and user changes, against the real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


def test_expired_token_signs_out_and_keeps_the_outbox(
    server: LiveServer, make_device: DeviceFactory
) -> None:
    d = make_device(server, "olive")
    d.store.create("asb_case", CASE, now=NOW)
    _expire_tokens_of(server, d.store.device_id)  # its lifetime is over, without waiting it out
    state = d.sync()
    assert state.status == "signed_out" and state.pending == 1
    d.sign_in("olive")
    assert d.sync().status == "online" and d.store.pending_count() == 0


def _expire_tokens_of(server: LiveServer, device_id: str) -> None:
    """Every token of the device ends a second ago, as if its lifetime had run out."""
    from server.db import make_engine, utcnow, writing
    from server.models import TOKEN

    engine = make_engine(server.database_url)
    try:
        with writing(engine) as conn:
            conn.execute(
                TOKEN.update()
                .where(TOKEN.c.device_id == device_id)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
    finally:
        engine.dispose()


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
