"""Sign-in, tokens and device revocation on the real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from fieldapp.ids import new_id
from tests.server.conftest import Cast
from tests.support.api import PASSWORD, Api


def _code(r: object) -> tuple[int, str]:
    status = getattr(r, "status_code")  # noqa: B009
    return status, getattr(r, "json")()["error"]["code"]  # noqa: B009


def test_health_is_open(cast: Cast) -> None:
    status, body = cast.server.request("GET", "/health")
    assert status == 200
    assert body["status"] == "ok" and 1 in body["accepted_schema_versions"]


def test_sign_in_gives_a_bearer_token_and_the_user(cast: Cast) -> None:
    body = cast.server.login("north1", device_id=f"tab-{new_id()}")
    assert body["token_type"] == "bearer"
    assert body["access_token"] and body["expires_at"].endswith("Z")
    user = body["user"]
    assert user["id"] == cast.users["north1"]
    assert user["role"] == "officer" and user["name"] == "Nora North"
    assert user["patch_ids"] == [cast.patches["North"]]


@pytest.mark.parametrize(("username", "password"), [("north1", "wrong"), ("nobody", PASSWORD)])
def test_bad_credentials(cast: Cast, username: str, password: str) -> None:
    status, body = cast.server.request(
        "POST",
        "/auth/token",
        {"username": username, "password": password, "device_id": "d", "device_name": "t"},
    )
    assert status == 401 and body["error"]["code"] == "bad_credentials"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nonsense", "Basic bm9ydGgxOnB3", "bearer " + "x" * 500],
)
def test_requests_without_a_valid_token_are_unauthenticated(
    cast: Cast, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with Api(cast.server.url) as anon:
        r = anon.http.get(f"{anon.base}/sync/pull", headers=headers)
    assert _code(r) == (401, "unauthenticated")


def test_a_revoked_device_is_told_so_and_cannot_sign_in_again(cast: Cast) -> None:
    device = f"lost-{new_id()}"
    with cast.api("north2", device_id=device) as lost, cast.api("boss") as boss:
        assert lost.pull().status_code == 200
        r = boss.post(f"/devices/{device}/revoke")
        assert r.status_code == 200 and r.json()["device_id"] == device
        assert _code(lost.pull()) == (401, "device_revoked")
        assert _code(lost.push_raw([])) == (401, "device_revoked")
        listed = {d["id"]: d for d in boss.get("/devices").json()["devices"]}
    assert listed[device]["revoked_at"] is not None
    status, body = cast.server.request(
        "POST",
        "/auth/token",
        {"username": "north2", "password": PASSWORD, "device_id": device, "device_name": "t"},
    )
    assert status == 401 and body["error"]["code"] == "device_revoked"


def test_only_managers_revoke_devices(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("boss") as boss:
        assert _code(a.post(f"/devices/{a.device_id}/revoke")) == (403, "forbidden")
        assert _code(boss.post("/devices/no-such-device/revoke")) == (404, "not_found")
        assert a.pull().status_code == 200


def test_revoke_device_from_the_command_line(cast: Cast) -> None:
    device = f"cli-{new_id()}"
    with cast.api("south1", device_id=device) as s:
        out = cast.server.cli("revoke-device", device)
        assert device in out.stdout
        assert _code(s.pull()) == (401, "device_revoked")
    missing = cast.server.cli("revoke-device", "never-seen", check=False)
    assert missing.returncode == 1 and "never-seen" in missing.stderr
