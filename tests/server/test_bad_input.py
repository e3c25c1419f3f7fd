"""Bad input over HTTP: each gets its documented code and status, never a 500, nothing harmed."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from fieldapp.ids import new_id
from fieldapp.sync.protocol import ERROR_CODES
from tests.server.conftest import Cast, create, new_case
from tests.support.api import Api, mutation


@pytest.fixture
def cast(app_cast: Cast) -> Cast:
    """These tests need no real socket: the cast on the app in this process."""
    return app_cast


def _error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "server_time"}
    assert set(body["error"]) == {"code", "message", "detail"}
    assert body["error"]["code"] == code
    assert body["error"]["code"] in ERROR_CODES
    assert "Traceback" not in r.text
    return dict(body["error"])


def _post(api: Api, raw: bytes, **headers: str) -> Any:
    return api.http.post(
        f"{api.base}/sync/push",
        content=raw,
        headers={**api.headers, "Content-Type": "application/json", **headers},
    )


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b'{"mutations": [NaN]}', 400, "invalid_json"),
        (b"\xff\xfe\x00", 400, "invalid_json"),
        (b"[1, 2]", 422, "validation_failed"),
        (b'{"schema_version": 1, "mutations": {}}', 422, "validation_failed"),
        (b'{"schema_version": "one", "mutations": []}', 422, "validation_failed"),
        (b'{"mutations": []}', 422, "validation_failed"),
        (b'{"schema_version": 99, "mutations": []}', 400, "unsupported_schema_version"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json"),
    ],
    ids=[
        "broken",
        "empty",
        "nan",
        "binary",
        "array",
        "dict",
        "schema-type",
        "no-schema",
        "schema-99",
        "deep",
    ],
)
def test_malformed_push_bodies(cast: Cast, raw: bytes, status: int, code: str) -> None:
    with cast.api("north1") as a:
        _error(_post(a, raw), status, code)


def test_too_many_mutations(cast: Cast) -> None:
    with cast.api("north1") as a:
        r = a.push_raw([mutation("note", new_id(), {}) for _ in range(501)])
        _error(r, 413, "too_many_mutations")


def test_an_oversized_body_is_refused(cast: Cast) -> None:
    with cast.api("north1") as a:
        raw = b'{"schema_version": 1, "mutations": [], "pad": "' + b"x" * (17 * 2**20) + b'"}'
        _error(_post(a, raw), 413, "payload_too_large")


def test_a_gzip_bomb_is_refused(cast: Cast) -> None:
    with cast.api("north1") as a:
        bomb = gzip.compress(b" " * (64 * 2**20), 9)  # 64 MiB of spaces in ~64 KB
        assert len(bomb) < 2**20
        _error(_post(a, bomb, **{"Content-Encoding": "gzip"}), 413, "payload_too_large")


def test_gzip_bodies_are_accepted_and_answers_compressed(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"], description="x" * 5000)
        body = {
            "device_id": a.device_id,
            "schema_version": 1,
            "mutations": [mutation("asb_case", rid, patch)],
        }
        r = _post(a, gzip.compress(json.dumps(body).encode()), **{"Content-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == "gzip"  # httpx asked for it, and decoded it
    assert r.json()["results"][0]["status"] == "applied"


@pytest.mark.parametrize(
    ("raw", "headers", "status", "code"),
    [
        (b"\x1f\x8b not really gzip", {"Content-Encoding": "gzip"}, 400, "bad_request"),
        (b"{}", {"Content-Encoding": "br"}, 415, "unsupported_media_type"),
    ],
)
def test_bad_encodings(
    cast: Cast, raw: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    with cast.api("north1") as a:
        _error(_post(a, raw, **headers), status, code)


@pytest.mark.parametrize(
    ("entity", "patch", "code"),
    [
        (
            "asb_case",
            {"category": "noise", "received_at": "2026-06-10T09:00:00Z", "urgent_crime": "yes"},
            "validation_failed",
        ),
        (
            "asb_case",
            {"category": "shouting", "received_at": "2026-06-10T09:00:00Z"},
            "validation_failed",
        ),
        ("asb_case", {"category": "noise", "received_at": "yesterday"}, "validation_failed"),
        ("asb_case", {"category": "noise"}, "validation_failed"),
        (
            "asb_case",
            {"category": "noise", "received_at": "2026-06-10T09:00:00Z", "colour": "red"},
            "unknown_field",
        ),
        (
            "asb_case",
            {"category": "noise", "received_at": "2026-06-10T09:00:00Z", "priority": 1},
            "read_only_field",
        ),
        ("dragon", {"name": "Puff"}, "unknown_entity"),
        (
            "property",
            {
                "uprn": "1",
                "patch_id": "p",
                "estate": "e",
                "address": "a",
                "postcode": "WA7 1AA",
                "bedrooms": 1,
            },
            "forbidden",
        ),
        ("patch", {"name": "Mine now"}, "forbidden"),
    ],
    ids=[
        "bool-type",
        "enum",
        "time",
        "required",
        "unknown-field",
        "derived",
        "entity",
        "reference-property",
        "reference-patch",
    ],
)
def test_bad_mutations_are_rejected_with_their_code(
    cast: Cast, entity: str, patch: dict[str, Any], code: str
) -> None:
    with cast.api("north1") as a:
        result = a.push_one(mutation(entity, new_id(), patch))
    assert result["status"] == "rejected"
    assert result["error"]["code"] == code
    assert result["version"] is None and result["record"] is None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"op": "merge"}, "validation_failed"),
        ({"base_version": "three"}, "validation_failed"),
        ({"base_version": -1}, "validation_failed"),
        ({"patch": ["status", "closed"]}, "validation_failed"),
        ({"id": ""}, "validation_failed"),
        ({"id": "x" * 65}, "validation_failed"),
        ({"entity": 7}, "unknown_entity"),
    ],
)
def test_malformed_mutations_are_rejected_and_the_queue_goes_on(
    cast: Cast, change: dict[str, Any], code: str
) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        bad = {**mutation("asb_case", rid, {"status": "closed"}, base_version=1), **change}
        good = mutation("asb_case", rid, {"harm_type": "personal"}, base_version=1)
        results = a.push(bad, good)
        records, _, _, _ = a.pull_all()
    assert results[0]["status"] == "rejected" and results[0]["error"]["code"] == code
    assert results[1]["status"] == "applied"
    case = records[("asb_case", rid)]["data"]
    assert case["status"] == "open" and case["harm_type"] == "personal"  # nothing else harmed


def test_a_mutation_without_an_id_is_rejected_in_place(cast: Cast) -> None:
    with cast.api("north1") as a:
        m = mutation("note", new_id(), {"text": "x"})
        del m["mutation_id"]
        results = a.push(m, "not even an object")  # type: ignore[arg-type]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[0]["mutation_id"] is None
    assert results[0]["error"]["code"] == "validation_failed"


def test_replay_returns_the_stored_result_and_changes_nothing(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        m = mutation("asb_case", rid, {"status": "closed"}, base_version=1)
        first = a.push_one(m)
        again = a.push_one(m)
        twice = a.push(m, m)
        records, _, _, _ = a.pull_all()
    assert first == again == twice[0] == twice[1]
    assert records[("asb_case", rid)]["version"] == first["version"] == 2


def test_a_mutation_id_reused_for_another_change_is_rejected(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        m = mutation("asb_case", rid, {"status": "closed"}, base_version=1)
        a.push_one(m)
        other = {**m, "patch": {"status": "monitoring"}}
        reused = a.push_one(other)
        stolen = b.push_one(m)  # the same payload from another user is not theirs to replay
        records, _, _, _ = a.pull_all()
    assert reused["status"] == "rejected" and reused["error"]["code"] == "mutation_id_reused"
    assert stolen["status"] == "rejected" and stolen["error"]["code"] == "mutation_id_reused"
    assert records[("asb_case", rid)]["data"]["status"] == "closed"


def test_a_push_for_another_device_is_refused(cast: Cast) -> None:
    with cast.api("north1") as a:
        r = a.post(
            "/sync/push", {"device_id": "someone-else", "schema_version": 1, "mutations": []}
        )
    _error(r, 403, "forbidden")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("DELETE", "/sync/push", 405, "bad_request"),
        ("GET", "/exports/dragon.csv", 404, "not_found"),
    ],
)
def test_unknown_routes_and_methods(
    cast: Cast, method: str, path: str, status: int, code: str
) -> None:
    with cast.api("boss") as boss:
        r = boss.http.request(method, f"{boss.base}{path}", headers=boss.headers)
    _error(r, status, code)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{", 400, "invalid_json"),
        (b'{"username": 5, "password": "pw", "device_id": "d"}', 422, "validation_failed"),
        (b'{"username": "north1"}', 422, "validation_failed"),
        (b'{"username": "north1", "password": "pw", "device_id": ""}', 422, "validation_failed"),
    ],
)
def test_bad_sign_in_bodies(cast: Cast, raw: bytes, status: int, code: str) -> None:
    with Api(cast.server.url) as anon:
        r = anon.http.post(
            f"{anon.base}/auth/token", content=raw, headers={"Content-Type": "application/json"}
        )
    err = _error(r, status, code)
    assert "pw" not in json.dumps(err)  # the submitted password is never echoed


def test_text_that_is_not_unicode_is_refused(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        body = json.dumps(
            {
                "device_id": a.device_id,
                "schema_version": 1,
                "mutations": [mutation("asb_case", rid, {**patch, "description": "@@"})],
            }
        ).replace("@@", "\\ud800")
        half = _post(a, body.encode())  # only that mutation is refused: the queue goes on
        # A real pair (an emoji) is fine; a new mutation_id, as the first was answered.
        pair = body.replace("\\ud800", "\\ud83d\\ude00").replace(
            json.loads(body)["mutations"][0]["mutation_id"], new_id()
        )
        r = _post(a, pair.encode())
    assert half.status_code == 200
    [refused] = half.json()["results"]
    assert refused["status"] == "rejected" and refused["error"]["code"] == "validation_failed"
    assert r.status_code == 200 and r.json()["results"][0]["record"]["description"] == "😀"


def test_odd_shapes_inside_a_mutation_are_rejected_not_crashed(cast: Cast) -> None:
    with cast.api("north1") as a:
        results = a.push(
            {**mutation("note", new_id(), {"text": "x"}), "entity": ["asb_case"]},
            {**mutation("note", new_id(), {"text": "x"}), "entity": {"a": 1}},
            {**mutation("note", new_id(), {"text": "x"}), "id": ["x"]},
            {**mutation("note", new_id(), {"text": "x"}), "mutation_id": {"x": 1}},
        )
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert [r["error"]["code"] for r in results] == [
        "unknown_entity",
        "unknown_entity",
        "validation_failed",
        "validation_failed",
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/devices/%ED%A0%80/revoke"),
        ("GET", "/walkabouts/%ED%A0%80/report.pdf"),
        ("GET", "/exports/%ED%A0%80.csv"),
        ("GET", "/sync/pull?cursor=%ED%A0%80"),
        ("GET", "/sync/pull?limit=%00"),
        ("POST", "/devices/%00/revoke"),
        ("GET", "/walkabouts/%00/report.pdf"),
    ],
)
def test_odd_bytes_in_paths_and_queries_never_crash(cast: Cast, method: str, path: str) -> None:
    with cast.api("boss") as boss:
        r = boss.http.request(method, f"{boss.base}{path}", headers=boss.headers)
    assert r.status_code in (404, 410, 422), r.text
    assert r.json()["error"]["code"] in ERROR_CODES


def test_nul_characters_never_reach_the_database(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        body = json.dumps(
            {
                "device_id": a.device_id,
                "schema_version": 1,
                "mutations": [mutation("asb_case", rid + "\x00", patch)],
            }
        )
        r = _post(a, body.encode())  # in a mutation: that mutation is rejected, the push goes on
        assert r.status_code == 200, r.text
        assert r.json()["results"][0]["error"]["code"] == "validation_failed"
        body = body.replace(a.device_id, a.device_id + "\\u0000")  # in the envelope: all of it
        _error(_post(a, body.encode()), 400, "invalid_json")
    status, reply = cast.server.request(
        "POST",
        "/auth/token",
        {"username": "north1\x00", "password": "pw", "device_id": "d", "device_name": "t"},
    )
    assert status == 422 and reply["error"]["code"] == "validation_failed"
