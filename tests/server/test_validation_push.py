"""Pushed mutations checked over HTTP against the value sets and formats of
docs/sync-protocol.md: inner shapes, required fields, text the database cannot store, the
envelope's types — each refused with its documented code, nothing stored, the queue going on,
and no submitted value echoed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create, new_case
from tests.support.api import Api, mutation


@pytest.fixture
def cast(app_cast: Cast) -> Cast:
    """These tests need no real socket: the cast on the app in this process."""
    return app_cast


SECRET = "SECRETVALUE"


def _post(api: Api, body: dict[str, Any]) -> Any:
    raw = json.dumps(body).encode()
    return api.http.post(
        f"{api.base}/sync/push",
        content=raw,
        headers={**api.headers, "Content-Type": "application/json"},
    )


def _body(api: Api, *mutations: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"device_id": api.device_id, "schema_version": 1, "mutations": list(mutations), **top}


def _error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    return dict(error)


def _rejected(result: dict[str, Any], field: str) -> None:
    assert result["status"] == "rejected", result
    assert result["error"]["code"] == "validation_failed"
    assert [d["field"] for d in result["error"]["detail"]] == [field]
    assert result["version"] is None and result["record"] is None


def _walkabout(cast: Cast, api: Api, **extra: Any) -> str:
    rid = new_id()
    create(api, "walkabout", {"estate": "Oak", "started_at": "2026-06-10T09:00:00Z", **extra}, rid)
    return rid


PHOTO = {"parent_entity": "walkabout", "sha256": "ab" * 32, "bytes": 1024}


@pytest.mark.parametrize(
    ("entity", "patch", "field"),
    [
        ("asb_case", {"risk_answers": {"nonsense": 5}}, "risk_answers"),
        ("asb_case", {"risk_answers": {"health_impact": "lots"}}, "risk_answers"),
        ("asb_case", {"risk_answers": {"health_impact": 10**100}}, "risk_answers"),
        ("walkabout", {"grades": {"litter": "excellent"}}, "grades"),
        ("walkabout", {"grades": {"litter": 3}}, "grades"),
        ("walkabout", {"participants": [5, "x", None, {"user_id": ["a"]}]}, "participants"),
        ("photo", {**PHOTO, "sha256": "zz"}, "sha256"),
        ("photo", {**PHOTO, "bytes": -5}, "bytes"),
        ("photo", {**PHOTO, "width": 0}, "width"),
        (
            "tenancy_visit",
            {"visited_at": "2026-06-10T09:00:00Z", "referrals": ["bingo"]},
            "referrals",
        ),
        # A time past the years the rules read would carry no clock and pass the future guard.
        ("asb_case", {"received_at": "2201-01-01T00:00:00Z"}, "received_at"),
        ("asb_case", {"received_at": "9999-12-31T23:59:59-14:00"}, "received_at"),
        ("tenancy_visit", {"visited_at": "1066-10-14T09:00:00Z"}, "visited_at"),
        ("asb_case", {"lat": 1e308}, "lat"),
        ("asb_case", {"lon": -180.5}, "lon"),
        ("photo", {**PHOTO, "lat": 90.0001}, "lat"),
    ],
    ids=[
        "risk-key",
        "risk-text",
        "risk-huge",
        "grade-word",
        "grade-number",
        "participants",
        "sha256",
        "bytes",
        "width",
        "referrals",
        "year-2201",
        "year-9999",
        "year-1066",
        "lat-huge",
        "lon-past-180",
        "lat-past-pole",
    ],
)
def test_inner_shapes_are_refused_and_nothing_stored(
    cast: Cast, entity: str, patch: dict[str, Any], field: str
) -> None:
    with cast.api("north1") as a:
        home = cast.homes["100000000001"]
        full = {
            "asb_case": lambda: new_case(property_id=home, **patch)[1],
            "walkabout": lambda: {"estate": "Oak", "started_at": "2026-06-10T09:00:00Z", **patch},
            "photo": lambda: {"parent_id": _walkabout(cast, a), **patch},
            "tenancy_visit": lambda: {"property_id": home, **patch},
        }[entity]()
        rid = new_id()
        bad, good = mutation(entity, rid, full), mutation("asb_case", *new_case(property_id=home))
        results = a.push(bad, good)
        records, _, _, _ = a.pull_all()
    _rejected(results[0], field)
    assert results[1]["status"] == "applied"  # the queue goes on
    assert (entity, rid) not in records


def test_a_required_field_cannot_be_nulled_by_an_edit(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        result = a.push_one(mutation("asb_case", rid, {"category": None}, base_version=1))
        records, _, _, _ = a.pull_all()
    _rejected(result, "category")
    case = records[("asb_case", rid)]
    assert case["version"] == 1
    assert case["data"]["category"] == "noise" and case["data"]["priority"] is not None


def test_a_value_outside_its_set_is_not_echoed(cast: Cast) -> None:
    with cast.api("north1") as a:
        _, patch = new_case(property_id=cast.homes["100000000001"], category=SECRET)
        r = _post(a, _body(a, mutation("asb_case", new_id(), patch)))
    assert r.status_code == 200
    result = r.json()["results"][0]
    _rejected(result, "category")
    assert "category" in result["error"]["message"]
    assert SECRET not in r.text


def test_an_unknown_field_is_not_named(cast: Cast) -> None:
    with cast.api("north1") as a:
        _, patch = new_case(property_id=cast.homes["100000000001"], colour="red")
        r = _post(a, _body(a, mutation("asb_case", new_id(), patch)))
    result = r.json()["results"][0]
    assert result["error"]["code"] == "unknown_field"
    assert [d["field"] for d in result["error"]["detail"]] == ["patch"]
    assert "colour" not in r.text


def test_a_partners_observation_kind_is_not_echoed(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("pcso1") as p:
        people = [{"user_id": cast.users["pcso1"], "name": "Pat Pcso", "role": "pcso"}]
        walk = _walkabout(cast, a, participants=people)
        observation = {
            "walkabout_id": walk,
            "kind": "Mrs Jones at no 4",
            "logged_at": "2026-06-10T10:00:00Z",
        }
        r = _post(p, _body(p, mutation("observation", new_id(), observation)))
    _rejected(r.json()["results"][0], "kind")
    assert "Jones" not in r.text


def test_a_conflict_resolved_with_a_bad_value_is_refused_without_echo(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        assert (
            b.push_one(mutation("asb_case", rid, {"category": "crime"}, base_version=1))["status"]
            == "applied"
        )
        clash = a.push_one(mutation("asb_case", rid, {"category": "other"}, base_version=1))
        assert clash["status"] == "conflict"
        cid = clash["conflicts"][0]["id"]

        def resolve(value: Any) -> Any:
            m = mutation("conflict", cid, {"resolution": "value", "value": value}, base_version=1)
            return _post(a, _body(a, m))

        secret, null = resolve(SECRET), resolve(None)
        fine = resolve("noise").json()["results"][0]
        records, _, _, _ = a.pull_all()
    for r in (secret, null):
        result = r.json()["results"][0]
        assert result["status"] == "rejected" and result["error"]["code"] == "validation_failed"
    assert SECRET not in secret.text
    assert fine["status"] == "applied"
    assert records[("asb_case", rid)]["data"]["category"] == "noise"


# --- text the database cannot store -----------------------------------------------------
def test_a_nul_in_a_patch_rejects_only_its_mutation(cast: Cast) -> None:
    """On PostgreSQL too (the ``cast`` runs on both): NUL never reaches the database."""
    with cast.api("north1") as a:
        home = cast.homes["100000000001"]
        bad_id, bad = new_case(property_id=home, description="music\x00at night")
        nested_id, nested = new_case(property_id=home, risk_answers={"isolated\x00": True})
        good_id, good = new_case(property_id=home)
        r = _post(
            a,
            _body(
                a,
                mutation("asb_case", bad_id, bad),
                mutation("asb_case", nested_id, nested),
                mutation("asb_case", good_id, good),
            ),
        )
        records, _, _, _ = a.pull_all()
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    _rejected(results[0], "description")
    _rejected(results[1], "risk_answers")
    assert results[2]["status"] == "applied"
    assert ("asb_case", bad_id) not in records and ("asb_case", nested_id) not in records
    assert ("asb_case", good_id) in records


def test_a_nul_in_a_record_id_rejects_only_its_mutation(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        r = _post(a, _body(a, mutation("asb_case", rid + "\x00", patch)))
    assert r.status_code == 200, r.text
    result = r.json()["results"][0]
    assert result["status"] == "rejected" and result["error"]["code"] == "validation_failed"


def test_a_rejected_nul_mutation_replays_the_same(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"], description="\x00")
        m = mutation("asb_case", rid, patch)
        first, again = a.push_one(m), a.push_one(m)
    assert first == again and first["status"] == "rejected"


@pytest.mark.parametrize(
    "top",
    [{"device_id": "tab\x00"}, {"pad\x00": 1}, {"pad": ["\x00"]}],
    ids=["device_id", "top-level-key", "top-level-value"],
)
def test_unstorable_text_outside_the_mutations_refuses_the_body(
    cast: Cast, top: dict[str, Any]
) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        r = _post(a, _body(a, mutation("asb_case", rid, patch), **top))
        records, _, _, _ = a.pull_all()
    _error(r, 400, "invalid_json")
    assert ("asb_case", rid) not in records


def test_half_a_surrogate_pair_in_a_patch_rejects_only_its_mutation(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"], description="@@")
        body = json.dumps(_body(a, mutation("asb_case", rid, patch))).replace("@@", "\\ud800")
        r = a.http.post(
            f"{a.base}/sync/push",
            content=body.encode(),
            headers={**a.headers, "Content-Type": "application/json"},
        )
    assert r.status_code == 200, r.text
    _rejected(r.json()["results"][0], "description")


# --- the envelope ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("top", "status", "code"),
    [
        ({"schema_version": "1"}, 422, "validation_failed"),
        ({"schema_version": 1.0}, 422, "validation_failed"),
        ({"schema_version": True}, 422, "validation_failed"),
        ({"schema_version": 987654}, 400, "unsupported_schema_version"),
        ({"device_id": 5}, 422, "validation_failed"),
        ({"device_id": ["tab"]}, 422, "validation_failed"),
    ],
    ids=[
        "schema-text",
        "schema-float",
        "schema-bool",
        "schema-unknown",
        "device-number",
        "device-list",
    ],
)
def test_envelope_types(cast: Cast, top: dict[str, Any], status: int, code: str) -> None:
    with cast.api("north1") as a:
        error = _error(_post(a, _body(a, **top)), status, code)
    assert "987654" not in json.dumps(error)
    if code == "validation_failed":  # a request's validation names its field (docs: Errors)
        assert error["detail"] == [
            {"field": next(iter(top)), "problem": error["detail"][0]["problem"]}
        ]
        assert error["detail"][0]["problem"]


def test_the_other_request_errors_name_their_field_too(cast: Cast) -> None:
    with cast.api("north1") as a:
        listless = _error(_post(a, _body(a) | {"mutations": 3}), 422, "validation_failed")
        limit = _error(
            a.http.get(f"{a.base}/sync/pull", params={"limit": "0"}, headers=a.headers),
            422,
            "validation_failed",
        )
        omit = _error(
            a.http.get(f"{a.base}/sync/pull", params={"omit_own": "2"}, headers=a.headers),
            422,
            "validation_failed",
        )
    assert [d["field"] for d in listless["detail"]] == ["mutations"]
    assert [d["field"] for d in limit["detail"]] == ["limit"]
    assert [d["field"] for d in omit["detail"]] == ["omit_own"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("1", 200),
        ("0", 200),
        (" 1", 200),
        ("one", 422),
        ("1.0", 422),
        ("9" * 5000, 422),
        ("987654", 400),
    ],
    ids=["1", "0", "space", "word", "float", "huge", "unknown"],
)
def test_pull_schema_version_is_read_from_digits(cast: Cast, query: str, status: int) -> None:
    with cast.api("north1") as a:
        r = a.http.get(f"{a.base}/sync/pull", params={"schema_version": query}, headers=a.headers)
    assert r.status_code == status, r.text
    assert "987654" not in r.text


def test_a_base_version_past_what_json_keeps_exactly_is_refused(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        [result] = a.push(mutation("asb_case", rid, {"description": "x"}, base_version=2**70))
    assert result["status"] == "rejected", result
    assert result["error"]["code"] == "validation_failed"
    assert "base_version" in result["error"]["message"]
