"""Sessions end when they should: sign-out, a password change (API or ``add-user``),
``disable-user``; the password policy on every way a password is set; managers list and
revoke devices. On the real server, SQLite and PostgreSQL. Token expiry is tested with
``now`` as a parameter, never by sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldapp.ids import new_id
from server.db import make_engine, upgrade, writing
from server.errors import AuthError
from server.services import auth
from server.services.users import add_user
from tests.server.conftest import Cast
from tests.support.api import PASSWORD, Api

NEW_PASSWORD = "elm-court-evening-round"


def _code(r: object) -> tuple[int, str]:
    status = getattr(r, "status_code")  # noqa: B009
    return status, getattr(r, "json")()["error"]["code"]  # noqa: B009


def _user(cast: Cast, stem: str) -> str:
    name = f"{stem}-{new_id()[-8:]}"
    cast.server.add_user(name, role="officer", patches=["North"])
    return name


def test_logout_ends_that_token_only(cast: Cast) -> None:
    name = _user(cast, "lou")
    with Api(cast.server.url).login(name) as a, Api(cast.server.url).login(name) as b:
        r = a.post("/auth/logout")
        assert r.status_code == 200 and r.json()["signed_out"] is True
        assert _code(a.pull()) == (401, "unauthenticated")
        assert _code(a.post("/auth/logout")) == (401, "unauthenticated")
        assert b.pull().status_code == 200  # the same user's other tablet is still signed in


def test_changing_ones_password_ends_every_session_and_gives_this_device_a_new_token(
    cast: Cast,
) -> None:
    name = _user(cast, "pat")
    with Api(cast.server.url).login(name) as a, Api(cast.server.url).login(name) as b:
        wrong = a.post(
            "/auth/password",
            {"current_password": "nope-not-it-at-all", "new_password": NEW_PASSWORD},
        )
        assert _code(wrong) == (401, "bad_credentials")
        weak = a.post(
            "/auth/password", {"current_password": PASSWORD, "new_password": "password1234"}
        )
        assert _code(weak) == (422, "validation_failed")
        assert "common" in weak.json()["error"]["message"]
        assert a.pull().status_code == 200  # refused changes end nothing
        ok = a.post("/auth/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        assert ok.status_code == 200, ok.text
        assert _code(a.pull()) == (401, "unauthenticated")
        assert _code(b.pull()) == (401, "unauthenticated")
        a.token = ok.json()["access_token"]
        assert a.pull().status_code == 200
    status, _ = cast.server.request(
        "POST",
        "/auth/token",
        {"username": name, "password": PASSWORD, "device_id": "x", "device_name": "t"},
    )
    assert status == 401
    with Api(cast.server.url).login(name, NEW_PASSWORD) as again:
        assert again.pull().status_code == 200


def test_add_user_with_a_new_password_ends_the_sessions_and_the_same_one_keeps_them(
    cast: Cast,
) -> None:
    name = _user(cast, "sal")
    with Api(cast.server.url).login(name) as a:
        cast.server.add_user(name, role="officer", patches=["North"])  # same password: a move
        assert a.pull().status_code == 200
        cast.server.add_user(name, role="officer", password=NEW_PASSWORD)
        assert _code(a.pull()) == (401, "unauthenticated")


def test_disable_user_ends_every_session_and_refuses_sign_in_until_enabled(cast: Cast) -> None:
    name = _user(cast, "leaver")
    with Api(cast.server.url).login(name) as a:
        out = cast.server.cli("disable-user", name)
        assert "disabled" in out.stdout
        assert _code(a.pull()) == (401, "unauthenticated")
    body = {
        "username": name,
        "password": PASSWORD,
        "device_id": f"t-{new_id()}",
        "device_name": "t",
    }
    status, err = cast.server.request("POST", "/auth/token", body)
    assert (status, err["error"]["code"]) == (401, "account_disabled")
    status, err = cast.server.request("POST", "/auth/token", {**body, "password": "not-it-x"})
    assert (status, err["error"]["code"]) == (401, "bad_credentials")  # tells a guesser nothing
    cast.server.cli("enable-user", name)
    assert cast.server.request("POST", "/auth/token", body)[0] == 200
    missing = cast.server.cli("disable-user", f"nobody-{new_id()}", check=False)
    assert missing.returncode == 1 and "no user" in missing.stderr


@pytest.mark.parametrize("password", ["short-pw", "password123456", "qwertyqwerty"])
def test_add_user_refuses_a_weak_password_in_one_line(cast: Cast, password: str) -> None:
    out = cast.server.cli(
        "add-user", f"weak-{new_id()[-6:]}", "--role", "officer", input=password + "\n", check=False
    )
    assert out.returncode == 1
    assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1
    assert password not in out.stderr  # the password is never echoed


def test_managers_list_devices_with_their_users_and_revoke_them(cast: Cast) -> None:
    name = _user(cast, "dev")
    with Api(cast.server.url).login(name) as a, cast.api("boss") as boss:
        listed = {d["id"]: d for d in boss.get("/devices").json()["devices"]}
        assert listed[a.device_id]["username"] == name
        assert listed[a.device_id]["revoked_at"] is None
        assert _code(a.get("/devices")) == (403, "forbidden")
        assert boss.post(f"/devices/{a.device_id}/revoke").status_code == 200
        assert _code(a.pull()) == (401, "device_revoked")


def test_a_token_expires_at_its_time_without_waiting_for_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    try:
        upgrade(engine)
        t0 = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
        with writing(engine) as conn:
            user_id, _, _ = add_user(
                conn,
                username="eve",
                password=PASSWORD,
                role="officer",
                name=None,
                patch_names=None,
                now=t0,
            )
            token, expires, _ = auth.issue_token(
                conn,
                user_id=user_id,
                device_id="d1",
                device_name="t",
                secret="k",
                lifetime=timedelta(hours=1),
                now=t0,
            )
        header = f"Bearer {token}"
        with engine.connect() as conn:
            who, _ = auth.authenticate(
                conn, authorization=header, secret="k", now=expires - timedelta(seconds=1)
            )
            assert who.username == "eve"
            with pytest.raises(AuthError) as err:
                auth.authenticate(conn, authorization=header, secret="k", now=expires)
            assert err.value.code == "token_expired"
    finally:
        engine.dispose()
