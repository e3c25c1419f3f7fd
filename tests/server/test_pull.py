"""Pull over HTTP on both backends: pages, cursors, scope, partner projection, removes, 410."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create, new_case, status_clash
from tests.support.api import REPORT, Api, mutation


@pytest.fixture
def cast(app_cast: Cast) -> Cast:
    """These tests need no real socket: the cast on the app in this process."""
    return app_cast


def _walkabout(api: Api, *user_ids: str, estate: str = "Oak") -> str:
    wid = new_id()
    participants = [{"user_id": u, "name": "someone", "role": "pcso"} for u in user_ids]
    create(
        api,
        "walkabout",
        {"estate": estate, "started_at": "2026-06-10T09:00:00Z", "participants": participants},
        wid,
    )
    return wid


def test_pages_give_each_record_once_in_its_latest_state(cast: Cast) -> None:
    with cast.api("boss") as boss, cast.api("north1") as a:
        _, _, cursor, _ = boss.pull_all()
        ids = []
        for _ in range(7):
            rid, patch = new_case(property_id=cast.homes["100000000002"])
            create(a, "asb_case", patch, rid)
            ids.append(rid)
        a.push_one(mutation("asb_case", ids[0], {"status": "closed"}, base_version=1))
        a.push_one(mutation("asb_case", ids[0], {"status": "monitoring"}, base_version=2))
        seen: list[str] = []
        pages = 0
        while True:
            r = boss.pull(cursor, limit=3)
            assert r.status_code == 200
            page = r.json()
            pages += 1
            assert len(page["changes"]) <= 3
            seen += [c["id"] for c in page["changes"] if c["entity"] == "asb_case"]
            latest = {c["id"]: c for c in page["changes"]}
            cursor = page["next_cursor"]
            if ids[0] in latest:
                assert latest[ids[0]]["version"] == 3
                assert latest[ids[0]]["data"]["status"] == "monitoring"
            if not page["has_more"]:
                break
    assert sorted(seen) == sorted(ids)  # each once, though the first changed three times
    assert pages == 3


def test_a_sync_with_nothing_to_do_is_one_empty_page(cast: Cast) -> None:
    with cast.api("north1") as a:
        _, _, cursor, _ = a.pull_all()
        r = a.pull(cursor)
    page = r.json()
    assert r.status_code == 200
    assert page["changes"] == [] and page["removes"] == [] and page["has_more"] is False
    assert page["next_cursor"] and page["server_time"].endswith("Z")


def test_officers_see_their_patches_and_managers_everything(cast: Cast) -> None:
    with cast.api("north1") as north, cast.api("south1") as south, cast.api("boss") as boss:
        north_case, patch = new_case(property_id=cast.homes["100000000001"])
        create(north, "asb_case", patch, north_case)
        south_case, patch = new_case(property_id=cast.homes["100000000003"])
        create(south, "asb_case", patch, south_case)
        outside = south.push_one(
            mutation("asb_case", north_case, {"status": "closed"}, base_version=1)
        )
        mine = north.pull_all()[0]
        theirs = south.pull_all()[0]
        everything = boss.pull_all()[0]
    assert ("asb_case", north_case) in mine and ("asb_case", south_case) not in mine
    assert ("asb_case", south_case) in theirs and ("asb_case", north_case) not in theirs
    assert {("asb_case", north_case), ("asb_case", south_case)} <= set(everything)
    assert outside["status"] == "rejected" and outside["error"]["code"] == "forbidden"


def test_conflicts_reach_the_patch_officers_and_managers_only(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b, cast.api("south1") as s:
        _, clash = status_clash(cast, a, b, kept="closed")
        key = ("conflict", clash["conflicts"][0]["id"])
        assert key in a.pull_all()[0]
        assert key not in s.pull_all()[0]
        with cast.api("boss") as boss:
            assert key in boss.pull_all()[0]
        with cast.api("pcso1") as p:
            assert key not in p.pull_all()[0]


SECRETS = ("SECRET-TENANCY", "Jane Secretname", "threatened with a knife", "raised-secret")


def test_partner_pull_holds_nothing_restricted(cast: Cast) -> None:
    pcso_id = cast.users["pcso1"]
    with cast.api("north1") as a, cast.api("pcso1") as p:
        wid = _walkabout(a, pcso_id)
        person = new_id()
        create(
            a,
            "person",
            {
                "property_id": cast.homes["100000000001"],
                "name": "Jane Secretname",
                "date_of_birth": "1950-01-01",
            },
            person,
        )
        rid, patch = new_case(
            property_id=cast.homes["100000000001"],
            description="threatened with a knife",
            complainant_id=person,
        )
        create(a, "asb_case", patch, rid)
        obs = new_id()
        create(
            a,
            "observation",
            {
                "walkabout_id": wid,
                "kind": "fly_tipping",
                "logged_at": "2026-06-10T09:10:00Z",
                "raised_entity": "asb_case",
                "raised_id": rid,
                "lat": 53.34,
                "lon": -2.69,
            },
            obs,
        )
        r = p.pull()
        raw = r.text
        records, _, _, _ = p.pull_all()
    assert r.status_code == 200
    for secret in (*SECRETS, rid):  # the raised case's id is restricted too
        assert secret not in raw
    entities = {entity for entity, _ in records}
    assert entities <= {"walkabout", "observation", "property", "note", "photo", "staff"}
    assert ("walkabout", wid) in records and ("observation", obs) in records
    homes = [c["data"] for (e, _), c in records.items() if e == "property"]
    assert homes and all(h["estate"] == "Oak" for h in homes)
    assert all("tenancy_ref" not in h for h in homes)  # absent, not blanked
    assert "raised_id" not in records[("observation", obs)]["data"]


def test_partners_add_observations_only_on_walkabouts_they_joined(cast: Cast) -> None:
    pcso_id = cast.users["pcso1"]
    with cast.api("north1") as a, cast.api("pcso1") as p:
        joined = _walkabout(a, pcso_id)
        other = _walkabout(a)
        obs = {"kind": "litter", "logged_at": "2026-06-10T09:20:00Z"}
        ok = p.push_one(mutation("observation", new_id(), {**obs, "walkabout_id": joined}))
        elsewhere = p.push_one(mutation("observation", new_id(), {**obs, "walkabout_id": other}))
        restricted = p.push_one(
            mutation(
                "observation",
                new_id(),
                {
                    **obs,
                    "walkabout_id": joined,
                    "raised_entity": "repair",
                    "raised_id": "SECRET-VALUE-1",
                },
            )
        )
        case_id, patch = new_case(property_id=cast.homes["100000000001"])
        case = p.push_one(mutation("asb_case", case_id, patch))
        note = p.push_one(
            mutation(
                "note",
                new_id(),
                {
                    "parent_entity": "walkabout",
                    "parent_id": joined,
                    "text": "bins full",
                    "created_at": "2026-06-10T09:30:00Z",
                },
            )
        )
        edit = p.push_one(
            mutation("observation", ok["record"]["id"], {"description": "x"}, base_version=1)
        )
    assert ok["status"] == "applied" and "raised_id" not in ok["record"]
    assert elsewhere["status"] == "rejected" and elsewhere["error"]["code"] == "forbidden"
    assert restricted["status"] == "rejected"
    assert restricted["error"]["code"] == "forbidden_field"
    assert "SECRET-VALUE-1" not in json.dumps(restricted)
    assert case["status"] == "rejected" and case["error"]["code"] == "forbidden"
    assert note["status"] == "applied"
    assert edit["status"] == "rejected" and edit["error"]["code"] == "forbidden"


def _rows(cast: Cast, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(cast.server.database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def test_partner_reads_are_audited(cast: Cast) -> None:
    user = cast.users["cllr1"]
    with cast.api("north1") as a, cast.api("cllr1") as c:
        wid = _walkabout(a, user)
        records, _, _, _ = c.pull_all()
    assert ("walkabout", wid) in records
    audited = _rows(
        cast,
        "SELECT entity, record_id FROM audit_log WHERE user_id = :u AND record_id = :r",
        u=user,
        r=wid,
    )
    assert [tuple(r) for r in audited] == [("walkabout", wid)]


def test_joining_a_walkabout_is_caught_up_without_a_resync(cast: Cast) -> None:
    """The walkabout's older records come too; leaving one still needs a fresh download."""
    with cast.api("boss") as a, cast.api("cllr1") as c:
        wid = _walkabout(a, estate="Elm")  # the councillor is not on it yet
        obs = new_id()
        create(
            a,
            "observation",
            {"walkabout_id": wid, "kind": "litter", "logged_at": "2026-06-10T10:00:00Z"},
            obs,
        )
        gone = new_id()
        create(
            a,
            "observation",
            {"walkabout_id": wid, "kind": "graffiti", "logged_at": "2026-06-10T10:05:00Z"},
            gone,
        )
        a.push_one(mutation("observation", gone, op="delete", base_version=1))
        _, _, cursor, _ = c.pull_all()
        participants = [{"user_id": cast.users["cllr1"], "name": "Cal", "role": "councillor"}]
        joined = a.push_one(
            mutation("walkabout", wid, {"participants": participants}, base_version=1)
        )
        r = c.pull(cursor)
        records, _, after, _ = c.pull_all(cursor)
        a.push_one(mutation("walkabout", wid, {"participants": []}, base_version=joined["version"]))
        left = c.pull(after)
    assert joined["status"] == "applied"
    assert r.status_code == 200
    assert {("walkabout", wid), ("observation", obs)} <= set(records)
    assert ("observation", gone) not in records  # deleted before: nothing to tell the device
    elm = {k for k, ch in records.items() if k[0] == "property" and ch["data"]["estate"] == "Elm"}
    assert elm and all("tenancy_ref" not in records[k]["data"] for k in elm)
    assert left.status_code == 410 and left.json()["error"]["code"] == "resync_required"


def test_a_record_moved_to_another_patch_arrives_in_removes(cast: Cast) -> None:
    home = {
        "uprn": "100000000077",
        "patch": "North",
        "estate": "Ash",
        "block": "",
        "address": "77 Ash Walk",
        "postcode": "WA7 3CC",
        "lat": "",
        "lon": "",
        "bedrooms": 2,
        "tenancy_ref": "",
    }
    cast.server.import_properties([home])
    with cast.api("north1") as north, cast.api("south1") as south:
        records, _, cursor, _ = north.pull_all()
        home_id = next(
            c["id"]
            for (e, _), c in records.items()
            if e == "property" and c["data"]["uprn"] == home["uprn"]
        )
        rid, patch = new_case(property_id=home_id)
        create(north, "asb_case", patch, rid)
        _, _, south_cursor, _ = south.pull_all()
        cast.server.import_properties([{**home, "patch": "South"}])
        after, removes, _, _ = north.pull_all(cursor)
        gained, _, _, _ = south.pull_all(south_cursor)
    assert {"entity": "property", "id": home_id} in removes
    assert {"entity": "asb_case", "id": rid} in removes
    assert ("asb_case", rid) not in after
    assert ("property", home_id) in gained and ("asb_case", rid) in gained


@pytest.mark.parametrize("mangle", ["garbage", "tampered", "other_user", "bad_base64"])
def test_a_cursor_that_cannot_be_served_is_410(cast: Cast, mangle: str) -> None:
    with cast.api("north1") as a, cast.api("south1") as s:
        _, _, cursor, _ = a.pull_all()
        _, _, other, _ = s.pull_all()
        body, _, sig = cursor.partition(".")
        raw = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        raw["s"] = 0
        forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
        bad = {
            "garbage": "not-a-cursor",
            "tampered": f"{forged}.{sig}",
            "other_user": other,
            "bad_base64": "%%%.%%%",
        }[mangle]
        r = a.pull(bad)
    assert r.status_code == 410
    assert r.json()["error"]["code"] == "resync_required"


@pytest.mark.parametrize(
    ("limit", "status"),
    [("0", 422), ("-1", 422), ("x", 422), ("1", 200), ("1000", 200), ("5000", 200)],
)
def test_pull_limit(cast: Cast, limit: str, status: int) -> None:
    with cast.api("boss") as boss:
        r = boss.get("/sync/pull", params={"limit": limit})
    assert r.status_code == status
    if status == 200:
        assert len(r.json()["changes"]) <= min(int(limit), 1000)
    else:
        assert r.json()["error"]["code"] == "validation_failed"


def test_pull_checks_the_schema_version(cast: Cast) -> None:
    with cast.api("boss") as boss:
        ok = boss.get("/sync/pull", params={"schema_version": "1"})
        old = boss.get("/sync/pull", params={"schema_version": "0"})
        bad = boss.get("/sync/pull", params={"schema_version": "7"})
    assert ok.status_code == 200 and old.status_code == 200
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "unsupported_schema_version"


def test_children_written_with_their_parent_in_one_push_are_in_scope(cast: Cast) -> None:
    wid, obs, note, case, report = (new_id() for _ in range(5))
    with cast.api("north1") as a, cast.api("pcso1") as p, cast.api("north2") as b:
        results = a.push(
            # Children first and parents last inside one push: placing must not depend on order.
            mutation(
                "note",
                note,
                {
                    "parent_entity": "observation",
                    "parent_id": obs,
                    "text": "bags",
                    "created_at": "2026-06-10T09:10:00Z",
                },
            ),
            mutation(
                "observation",
                obs,
                {"walkabout_id": wid, "kind": "litter", "logged_at": "2026-06-10T09:05:00Z"},
            ),
            mutation(
                "walkabout",
                wid,
                {
                    "estate": "Oak",
                    "started_at": "2026-06-10T09:00:00Z",
                    "participants": [
                        {"user_id": cast.users["pcso1"], "name": "Pat", "role": "pcso"}
                    ],
                },
            ),
            mutation(
                "asb_report",
                report,
                {"case_id": case, **REPORT, "reported_at": "2026-06-10T10:00:00Z"},
            ),
            mutation("asb_case", case, {**new_case(property_id=cast.homes["100000000001"])[1]}),
        )
        partner = p.pull_all()[0]
        officer = b.pull_all()[0]
    assert [r["status"] for r in results] == ["applied"] * 5
    assert {("walkabout", wid), ("observation", obs), ("note", note)} <= set(partner)
    assert {("asb_case", case), ("asb_report", report), ("note", note)} <= set(officer)


def test_a_first_download_sends_no_tombstone_of_what_was_deleted_before_it(cast: Cast) -> None:
    """Over several pages too; a record deleted during the download still arrives deleted."""
    with cast.api("boss") as boss, cast.api("north1") as a:
        gone, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, gone)
        assert a.push_one(mutation("asb_case", gone, op="delete", base_version=1))["status"] == (
            "applied"
        )
        later, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, later)
        first = boss.pull(None, limit=2).json()
        assert first["has_more"] is True
        # Deleted after the download began: the device may hold it from an earlier page.
        assert a.push_one(mutation("asb_case", later, op="delete", base_version=1))["status"] == (
            "applied"
        )
        changes = list(first["changes"])
        cursor = first["next_cursor"]
        while True:
            page = boss.pull(cursor, limit=2).json()
            changes += page["changes"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        tombstones = {c["id"] for c in changes if c["deleted"]}
        assert gone not in {c["id"] for c in changes}
        assert tombstones == {later}
        # The next incremental pull is an ordinary one: later deletions come as tombstones.
        third, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, third)
        a.push_one(mutation("asb_case", third, op="delete", base_version=1))
        page = boss.pull(cursor).json()
        assert [(c["id"], c["deleted"]) for c in page["changes"]] == [(third, True)]


def test_a_cursor_covers_the_schema_version_it_was_made_for(cast: Cast) -> None:
    with cast.api("north1") as a:
        old = a.http.get(
            f"{a.base}/sync/pull", params={"schema_version": "0", "limit": 1}, headers=a.headers
        ).json()["next_cursor"]
        same = a.http.get(
            f"{a.base}/sync/pull", params={"schema_version": "0", "cursor": old}, headers=a.headers
        )
        other = a.http.get(
            f"{a.base}/sync/pull", params={"schema_version": "1", "cursor": old}, headers=a.headers
        )
        unsaid = a.pull(old)  # no schema_version: the current one (1)
    assert same.status_code == 200
    assert other.status_code == 410 and other.json()["error"]["code"] == "resync_required"
    assert unsaid.status_code == 410


def test_a_page_holds_up_to_a_thousand_records_unless_asked_otherwise(cast: Cast) -> None:
    """10,000 records download in 10 requests even without a limit (docs/sync-protocol.md: ≤ 20)."""
    with cast.api("north1") as a, cast.api("boss") as boss:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        for _ in range(3):
            note = {
                "parent_entity": "asb_case",
                "parent_id": rid,
                "text": "seen",
                "created_at": "2026-06-10T10:00:00Z",
            }
            notes = [note] * 400
            results = a.push(*(mutation("note", new_id(), n) for n in notes))
            assert {r["status"] for r in results} == {"applied"}
        first = boss.pull().json()
        asked = boss.pull(None, limit=300).json()
    assert len(first["changes"]) == 1000 and first["has_more"] is True
    assert len(asked["changes"]) == 300
