"""Echo suppression over HTTP on both backends: ``GET /sync/pull?omit_own=1`` leaves out the
records whose current version the calling device was told in a push result, and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create, new_case
from tests.support.api import REPORT, Api, mutation


@pytest.fixture
def cast(app_cast: Cast) -> Cast:
    """These tests need no real socket: the cast on the app in this process."""
    return app_cast


def pull_pages(
    api: Api, cursor: str | None, *, omit_own: bool, limit: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """Every page from ``cursor``: (changes in order, removes, final cursor)."""
    changes: list[dict[str, Any]] = []
    removes: list[dict[str, Any]] = []
    params: dict[str, Any] = {"omit_own": "1" if omit_own else "0"}
    if limit:
        params["limit"] = limit
    while True:
        r = api.get("/sync/pull", params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["changes"]) <= (limit or 1000)
        changes += page["changes"]
        removes += page["removes"]
        assert page["next_cursor"]
        if not page["has_more"]:
            return changes, removes, page["next_cursor"]
        assert page["next_cursor"] != cursor
        cursor = page["next_cursor"]


def ids(changes: list[dict[str, Any]], entity: str = "asb_case") -> list[str]:
    return [c["id"] for c in changes if c["entity"] == entity]


def echo_of(cast: Cast, entity: str, rid: str) -> str | None:
    engine = create_engine(cast.server.database_url)
    try:
        with engine.connect() as conn:
            sql = "SELECT echo_device FROM record WHERE entity = :e AND id = :i"
            value = conn.execute(text(sql), {"e": entity, "i": rid}).scalar_one()
    finally:
        engine.dispose()
    return None if value is None else str(value)


def test_the_pusher_is_spared_its_own_records_and_everyone_else_gets_them(cast: Cast) -> None:
    home = cast.homes["100000000001"]
    with cast.api("north1") as a, cast.api("north1") as a2, cast.api("north2") as b:
        starts = {name: api.pull_all()[2] for name, api in (("a", a), ("a2", a2), ("b", b))}
        cases = [new_case(property_id=home) for _ in range(3)]
        results = a.push(*(mutation("asb_case", rid, patch) for rid, patch in cases))
        told = {r["record"]["id"]: r for r in results}
        assert sorted(told) == sorted(rid for rid, _ in cases)

        mine, _, _ = pull_pages(a, starts["a"], omit_own=True)
        plain, _, _ = pull_pages(a, starts["a"], omit_own=False)
        same_user, _, _ = pull_pages(a2, starts["a2"], omit_own=True)  # another tablet
        other, _, _ = pull_pages(b, starts["b"], omit_own=True)

    assert ids(mine) == []
    assert sorted(ids(plain)) == sorted(told)  # without the parameter: as before
    assert sorted(ids(same_user)) == sorted(told)  # the mark is per device, not per user
    assert sorted(ids(other)) == sorted(told)
    for change in other:  # what the pusher was told is exactly what the others pull
        result = told[change["id"]]
        assert change["version"] == result["version"]
        assert change["data"] == result["record"]


def test_a_record_written_again_by_another_device_comes_back(cast: Cast) -> None:
    home = cast.homes["100000000002"]
    with cast.api("north1") as a, cast.api("north2") as b:
        start = a.pull_all()[2]
        theirs_rid, patch = new_case(property_id=home)
        create(a, "asb_case", patch, theirs_rid)
        edited = b.push_one(
            mutation("asb_case", theirs_rid, {"status": "monitoring"}, base_version=1)
        )
        mine_rid, patch = new_case(property_id=home)
        create(a, "asb_case", patch, mine_rid)
        again = a.push_one(mutation("asb_case", mine_rid, {"status": "closed"}, base_version=1))
        changes, _, _ = pull_pages(a, start, omit_own=True)
    assert edited["status"] == "applied" and again["version"] == 2
    assert ids(changes) == [theirs_rid]  # the record a itself wrote last stays out
    assert changes[0]["version"] == 2 and changes[0]["data"]["status"] == "monitoring"
    assert echo_of(cast, "asb_case", theirs_rid) == b.device_id
    assert echo_of(cast, "asb_case", mine_rid) == a.device_id


def test_a_record_re_derived_in_the_same_push_comes_back(cast: Cast) -> None:
    """A report pushed with its case re-derives the case after the case's result was made:
    the version told is no longer the case's version, so the case is sent."""
    rid, patch = new_case(property_id=cast.homes["100000000001"])
    report = new_id()
    with cast.api("north1") as a:
        start = a.pull_all()[2]
        results = a.push(
            mutation("asb_case", rid, patch),
            mutation("asb_report", report, {"case_id": rid, **REPORT}),
        )
        changes, _, _ = pull_pages(a, start, omit_own=True)
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[0]["version"] == 1
    assert [(c["entity"], c["id"]) for c in changes] == [("asb_case", rid)]
    assert changes[0]["version"] > 1  # re-derived after the answer was made
    assert echo_of(cast, "asb_case", rid) is None
    assert echo_of(cast, "asb_report", report) == a.device_id


def test_a_conflict_filed_for_the_pusher_still_reaches_it(cast: Cast) -> None:
    """The conflict records in a result's ``conflicts`` are not the mutation's record."""
    rid, patch = new_case(property_id=cast.homes["100000000001"])
    with cast.api("north1") as a, cast.api("north2") as b:
        create(a, "asb_case", patch, rid)
        start = b.pull_all()[2]
        a.push_one(mutation("asb_case", rid, {"harm_type": "personal"}, base_version=1))
        clash = b.push_one(mutation("asb_case", rid, {"harm_type": "community"}, base_version=1))
        changes, _, _ = pull_pages(b, start, omit_own=True)
    assert clash["status"] == "conflict" and len(clash["conflicts"]) == 1
    conflict_id = clash["conflicts"][0]["id"]
    assert ids(changes, "conflict") == [conflict_id]
    assert ids(changes) == []  # the case: b was told its current version (kept value)


def test_paging_over_own_and_others_records_loses_nothing(cast: Cast) -> None:
    home = cast.homes["100000000002"]
    with cast.api("north1") as a, cast.api("north2") as b:
        start_a, start_b = a.pull_all()[2], b.pull_all()[2]
        by: dict[str, list[str]] = {"a": [], "b": []}
        # Runs of own rows longer than a page, single rows, and own rows at both ends.
        for who, count in (("a", 3), ("b", 1), ("a", 5), ("b", 2), ("a", 1), ("b", 3), ("a", 4)):
            api = a if who == "a" else b
            for _ in range(count):
                rid, patch = new_case(property_id=home)
                create(api, "asb_case", patch, rid)
                by[who].append(rid)
        for limit in (1, 2, 3):
            got_a, _, end_a = pull_pages(a, start_a, omit_own=True, limit=limit)
            got_b, _, end_b = pull_pages(b, start_b, omit_own=True, limit=limit)
            assert ids(got_a) == by["b"]  # in seq order, each once, none of a's own
            assert ids(got_b) == by["a"]
            # The cursor moved past the rows left out: nothing is waiting behind it.
            assert ids(pull_pages(a, end_a, omit_own=False)[0]) == []
            assert ids(pull_pages(b, end_b, omit_own=False)[0]) == []
        # Only own rows after the cursor: one request, an empty page, and the cursor moves on.
        own_start = a.pull_all()[2]
        rid, patch = new_case(property_id=home)
        create(a, "asb_case", patch, rid)
        r = a.get("/sync/pull", params={"cursor": own_start, "limit": 1, "omit_own": "1"})
        page = r.json()
    assert page["changes"] == [] and page["has_more"] is False
    assert page["next_cursor"] != own_start


def test_a_record_that_once_left_a_patch_is_always_sent(cast: Cast) -> None:
    """A device may hold such a record as an orphan (removed while its edit was pending)
    and delete it when the edit is answered; only a pull brings it back."""
    home = {
        "uprn": "100000000078",
        "patch": "North",
        "estate": "Ash",
        "block": "",
        "address": "78 Ash Walk",
        "postcode": "WA7 3CC",
        "lat": "",
        "lon": "",
        "bedrooms": 2,
        "tenancy_ref": "",
    }
    cast.server.import_properties([home])
    with cast.api("north1") as a:
        records, _, _, _ = a.pull_all()
        home_id = next(
            c["id"]
            for (e, _), c in records.items()
            if e == "property" and c["data"]["uprn"] == home["uprn"]
        )
        rid, patch = new_case(property_id=home_id)
        create(a, "asb_case", patch, rid)
        assert echo_of(cast, "asb_case", rid) == a.device_id
        cast.server.import_properties([{**home, "patch": "South"}])
        assert echo_of(cast, "asb_case", rid) is None  # moved by an import: a new seq, no mark
        cast.server.import_properties([home])
        start = a.pull_all()[2]
        edit = a.push_one(mutation("asb_case", rid, {"status": "closed"}, base_version=1))
        changes, _, _ = pull_pages(a, start, omit_own=True)
    assert edit["status"] == "applied"
    assert ids(changes) == [rid] and changes[0]["version"] == edit["version"]
    assert echo_of(cast, "asb_case", rid) is None


@pytest.mark.parametrize(
    ("value", "status"),
    [("0", 200), ("1", 200), ("2", 422), ("yes", 422), ("true", 422), ("", 422), ("-1", 422)],
)
def test_omit_own_takes_0_or_1(cast: Cast, value: str, status: int) -> None:
    with cast.api("north1") as a:
        r = a.get("/sync/pull", params={"omit_own": value})
    assert r.status_code == status, r.text
    if status != 200:
        assert r.json()["error"]["code"] == "validation_failed"
