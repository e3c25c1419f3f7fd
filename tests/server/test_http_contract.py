"""The HTTP contract on the real server: every response carries ``server_time``, HEAD on health,
and error messages that never echo what the client sent.

``server_time`` is a top-level key of every JSON body (errors included) and a ``Server-Time``
header on every response, binary and ``HEAD`` answers too.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fieldapp.ids import from_wire
from fieldapp.sync.protocol import ERROR_CODES
from tests.server.conftest import Cast
from tests.support.api import Api


def _recent(text: Any) -> datetime:
    """A wire time (``…Z``) within a minute of now."""
    assert isinstance(text, str) and text.endswith("Z"), text
    moment = from_wire(text)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)
    return moment


def _stamped(r: httpx.Response) -> str:
    """The one ``Server-Time`` header of a response, checked."""
    values = r.headers.get_list("server-time")
    assert len(values) == 1, values
    _recent(values[0])
    return values[0]


def _anonymous(cast: Cast) -> Api:
    return Api(cast.server.url)


# (name, status, code, request) — each request is made by a signed-in officer's Api.
ERRORS: list[tuple[str, int, str, Callable[[Api], httpx.Response]]] = [
    ("401", 401, "unauthenticated", lambda a: a.http.get(f"{a.base}/sync/pull")),
    ("404", 404, "not_found", lambda a: a.get("/no/such/route")),
    ("405", 405, "bad_request", lambda a: a.http.delete(f"{a.base}/health")),
    ("410", 410, "resync_required", lambda a: a.pull("not-a-cursor")),
    (
        "413",
        413,
        "payload_too_large",
        lambda a: a.http.post(
            f"{a.base}/sync/push",
            content=gzip.compress(b" " * (32 * 2**20), 9),
            headers={**a.headers, "Content-Encoding": "gzip"},
        ),
    ),
    (
        "415",
        415,
        "unsupported_media_type",
        lambda a: a.http.post(
            f"{a.base}/sync/push", content=b"{}", headers={**a.headers, "Content-Encoding": "br"}
        ),
    ),
    ("422", 422, "validation_failed", lambda a: a.post("/auth/token", {})),
    ("403", 403, "forbidden", lambda a: a.get("/devices")),
]


@pytest.mark.parametrize(
    ("status", "code", "call"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_every_error_body_carries_server_time(
    cast: Cast, status: int, code: str, call: Callable[[Api], httpx.Response]
) -> None:
    with cast.api("north1") as a:
        r = call(a)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "server_time"}
    assert set(body["error"]) == {"code", "message", "detail"}
    assert body["error"]["code"] == code and code in ERROR_CODES
    _recent(body["server_time"])
    assert _stamped(r) == body["server_time"]  # one moment, in the body and the header


def test_successful_answers_carry_the_header_and_json_ones_the_key(cast: Cast) -> None:
    with cast.api("boss") as boss:
        answers = {
            "health": boss.get("/health"),
            "me": boss.get("/auth/me"),
            "pull": boss.pull(limit=1),
            "push": boss.push_raw([]),
            "devices": boss.get("/devices"),
        }
        csv = boss.get("/exports/asb_case.csv")
    for name, r in answers.items():
        assert r.status_code == 200, (name, r.text)
        _stamped(r)
        _recent(r.json()["server_time"])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    _stamped(csv)


def test_devices_list_and_revoke_carry_server_time(cast: Cast) -> None:
    with cast.api("boss") as boss, cast.api("north1", device_id="tab-to-revoke"):
        listed = boss.get("/devices")
        revoked = boss.post("/devices/tab-to-revoke/revoke")
    assert listed.status_code == 200
    assert "tab-to-revoke" in {d["id"] for d in listed.json()["devices"]}
    _recent(listed.json()["server_time"])
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    assert body["device_id"] == "tab-to-revoke"
    _recent(body["server_time"])
    _recent(body["revoked_at"])


def test_head_on_health_answers_like_get(cast: Cast) -> None:
    anon = _anonymous(cast)
    try:
        got = anon.get("/health")
        head = anon.http.head(f"{anon.base}/health")
    finally:
        anon.close()
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == got.headers["content-length"]
    _stamped(head)


@pytest.mark.parametrize(
    ("path", "echo"),
    [
        ("/devices/nosuch-device-xyz/revoke", "nosuch-device-xyz"),
        ("/exports/nosuch_entity_xyz.csv", "nosuch_entity_xyz"),
    ],
)
def test_not_found_messages_do_not_echo_the_name(cast: Cast, path: str, echo: str) -> None:
    with cast.api("boss") as boss:
        r = boss.post(path) if path.endswith("/revoke") else boss.get(path)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "not_found"
    assert echo not in r.text
