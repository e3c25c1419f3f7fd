"""Local writes: validation, roles, the outbox mutation each write queues, derived fields."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from fieldapp.store.errors import NotFound, PermissionDenied, ValidationError
from fieldapp.store.store import Store
from tests.store.conftest import NOW, sign_in_as
from tests.support.api import REPORT

WALK = {"estate": "Oak Farm", "started_at": "2026-06-10T09:00:00Z"}


def _case(**extra: Any) -> dict[str, Any]:
    return {"category": "noise", "received_at": "2026-06-10T08:00:00Z", **extra}


def test_create_writes_record_and_one_mutation(store: Store) -> None:
    rec = store.create("walkabout", dict(WALK), now=NOW)
    assert rec["estate"] == "Oak Farm" and rec["_version"] is None and rec["_pending"]
    [m] = store.pending_mutations()
    assert m["entity"] == "walkabout" and m["id"] == rec["id"] and m["op"] == "upsert"
    assert m["base_version"] is None and m["patch"] == WALK and m["device_seq"] == 1
    assert m["client_time"].startswith("2026-06-10T09:00:00")


def test_create_keeps_a_given_id_and_refuses_a_duplicate(store: Store) -> None:
    store.create("walkabout", {"id": "w-1", **WALK}, now=NOW)
    with pytest.raises(ValidationError):
        store.create("walkabout", {"id": "w-1", **WALK}, now=NOW)
    assert store.pending_count() == 1


@pytest.mark.parametrize(
    ("entity", "data", "field", "code"),
    [
        ("walkabout", {"estate": "Oak"}, "started_at", "validation_failed"),  # required missing
        (
            "walkabout",
            {**WALK, "started_at": "2026-06-10 09:00"},
            "started_at",
            "validation_failed",
        ),
        (
            "walkabout",
            {**WALK, "started_at": "2026-06-10T09:00:00"},
            "started_at",
            "validation_failed",
        ),  # no offset
        ("walkabout", {**WALK, "score_pct": 50.0}, "score_pct", "read_only_field"),
        ("walkabout", {**WALK, "colour": "red"}, "patch", "unknown_field"),
        ("asb_case", _case(category="fire"), "category", "validation_failed"),
        ("asb_case", _case(ref="x" * 41), "ref", "validation_failed"),
    ],
)
def test_invalid_create_raises_and_writes_nothing(
    store: Store, entity: str, data: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(ValidationError) as err:
        store.create(entity, data, now=NOW)
    assert (field, code) in {(e.field, e.code) for e in err.value.errors}
    assert store.all(entity) == [] and store.pending_count() == 0


def test_max_length_boundary_is_allowed(store: Store) -> None:
    assert store.create("asb_case", _case(ref="x" * 40), now=NOW)["ref"] == "x" * 40


@pytest.mark.parametrize("entity", ["patch", "property", "conflict"])
def test_reference_and_conflict_entities_are_not_writable(store: Store, entity: str) -> None:
    with pytest.raises(PermissionDenied):
        store.create(entity, {"name": "x"}, now=NOW)


def test_append_only_cannot_be_updated_or_deleted(store: Store) -> None:
    case = store.create("asb_case", _case(), now=NOW)
    rep = store.create("asb_report", {"case_id": case["id"], **REPORT}, now=NOW)
    with pytest.raises(PermissionDenied):
        store.update("asb_report", rep["id"], {"agency": "police"}, now=NOW)
    with pytest.raises(PermissionDenied):
        store.delete("asb_report", rep["id"], now=NOW)


@pytest.mark.parametrize(
    ("role", "entity", "allowed"),
    [
        ("pcso", "observation", True),
        ("councillor", "note", True),
        ("pcso", "walkabout", False),
        ("councillor", "asb_case", False),
        ("officer", "walkabout", True),
        ("manager", "asb_case", True),
    ],
)
def test_role_may_create(store: Store, role: str, entity: str, allowed: bool) -> None:
    sign_in_as(store, "officer")
    walk = store.create("walkabout", dict(WALK), now=NOW)
    sign_in_as(store, role)
    data = {
        "observation": {
            "walkabout_id": walk["id"],
            "kind": "litter",
            "logged_at": WALK["started_at"],
        },
        "note": {
            "parent_entity": "walkabout",
            "parent_id": walk["id"],
            "text": "hi",
            "created_at": WALK["started_at"],
        },
        "walkabout": dict(WALK),
        "asb_case": _case(),
    }[entity]
    if allowed:
        assert store.create(entity, data, now=NOW)["_pending"]
    else:
        with pytest.raises(PermissionDenied):
            store.create(entity, data, now=NOW)


def test_partner_may_not_update_or_write_restricted_fields(store: Store) -> None:
    walk = store.create("walkabout", dict(WALK), now=NOW)
    sign_in_as(store, "pcso")
    with pytest.raises(PermissionDenied):
        store.update("walkabout", walk["id"], {"summary": "x"}, now=NOW)
    obs = {"walkabout_id": walk["id"], "kind": "litter", "logged_at": WALK["started_at"]}
    with pytest.raises(ValidationError) as err:
        store.create("observation", {**obs, "raised_entity": "repair"}, now=NOW)
    assert err.value.code == "forbidden_field"


def test_update_sends_only_changed_fields(store: Store) -> None:
    case = store.create("asb_case", _case(), now=NOW)
    # Pretend the create was pushed: a second mutation will then not fold into it.
    store._db.conn.execute("UPDATE outbox SET attempts = 1")
    store.update("asb_case", case["id"], {"category": "noise", "status": "open"}, now=NOW)
    last = store.pending_mutations()[-1]
    assert last["patch"] == {"status": "open"} and last["device_seq"] == 2


def test_update_with_nothing_new_queues_nothing(store: Store) -> None:
    case = store.create("asb_case", _case(), now=NOW)
    store.update("asb_case", case["id"], {"category": "noise"}, now=NOW)
    assert store.pending_count() == 1


def test_required_field_cannot_be_cleared(store: Store) -> None:
    case = store.create("asb_case", _case(), now=NOW)
    with pytest.raises(ValidationError):
        store.update("asb_case", case["id"], {"category": None}, now=NOW)


def test_unsent_edits_fold_into_one_mutation(store: Store) -> None:
    case = store.create("asb_case", _case(), now=NOW)
    store.update("asb_case", case["id"], {"status": "open"}, now=NOW)
    store.update("asb_case", case["id"], {"status": "closed"}, now=NOW)
    [m] = store.pending_mutations()
    assert m["patch"]["status"] == "closed" and m["base_version"] is None


def test_update_of_missing_record(store: Store) -> None:
    with pytest.raises(NotFound):
        store.update("asb_case", "nope", {"status": "open"}, now=NOW)


def test_delete_of_never_sent_record_leaves_nothing(store: Store) -> None:
    case = store.create("asb_case", _case(), now=NOW)
    store.delete("asb_case", case["id"], now=NOW)
    assert store.get("asb_case", case["id"]) is None and store.pending_count() == 0


def test_delete_of_sent_record_is_queued_and_hidden(store: Store) -> None:
    case = store.create("asb_case", _case(), now=NOW)
    store.take_push_batch()
    store.delete("asb_case", case["id"], now=NOW)
    assert store.get("asb_case", case["id"]) is None and store.all("asb_case") == []
    ops = [m["op"] for m in store.pending_mutations()]
    assert ops == ["upsert", "delete"]


def test_derived_fields_and_dependents(store: Store) -> None:
    walk = store.create("walkabout", {**WALK, "grades": {"litter": "good"}}, now=NOW)
    assert walk["score_pct"] == 100.0 and walk["result"] == "pass"
    store.create(
        "observation",
        {
            "walkabout_id": walk["id"],
            "kind": "graffiti",
            "offensive": True,
            "logged_at": "2026-06-10T09:10:00Z",
        },
        now=NOW,
    )
    after = store.get("walkabout", walk["id"])
    assert after is not None and after["result"] == "fail"
    assert all(k not in m["patch"] for m in store.pending_mutations() for k in ("result",))


def test_find_all_and_search(store: Store) -> None:
    walk = store.create("walkabout", dict(WALK), now=NOW)
    for kind in ("litter", "graffiti"):
        store.create(
            "observation",
            {"walkabout_id": walk["id"], "kind": kind, "logged_at": WALK["started_at"]},
            now=NOW,
        )
    assert {o["kind"] for o in store.find("observation", "walkabout_id", walk["id"])} == {
        "litter",
        "graffiti",
    }
    assert len(store.all("observation")) == 2
    store.apply_pull_page(
        {
            "changes": [
                {
                    "entity": "property",
                    "id": "p1",
                    "version": 1,
                    "deleted": False,
                    "data": {
                        "uprn": "100012345678",
                        "patch_id": "pa",
                        "estate": "Oak",
                        "address": "1 Oak Road",
                        "postcode": "WA7 1AB",
                        "bedrooms": 2,
                        "tenancy_ref": "TEN-77",
                    },
                },
                {
                    "entity": "asb_case",
                    "id": "c1",
                    "version": 1,
                    "deleted": False,
                    "data": {
                        "ref": "ASB-2026-0042",
                        "property_id": "p1",
                        "category": "noise",
                        "received_at": "2026-06-10T08:00:00Z",
                    },
                },
            ],
            "removes": [],
            "next_cursor": "c1",
            "has_more": False,
        }
    )
    for text in ("oak road", "wa71ab", "WA7 1AB", "1000123", "ten-77", "asb-2026-0042"):
        assert [p["id"] for p in store.search_properties(text)] == ["p1"], text
    assert store.search_properties("elm") == [] and store.search_properties("  ") == []
    assert store.search_properties("%") == []


def test_property_search_puts_what_was_typed_first_and_numbers_in_order(store: Store) -> None:
    """Found on a walk: "7 Leaside Way" listed 17 Leaside Way first."""
    homes = ["17 Leaside Way", "10 Leaside Way", "7 Leaside Way", "2 Leaside Way", "Flat 7 Ash"]
    store.apply_pull_page(
        {
            "changes": [
                {
                    "entity": "property",
                    "id": f"p{n}",
                    "version": 1,
                    "deleted": False,
                    "data": {
                        "uprn": f"10{n}",
                        "patch_id": "pa",
                        "address": address,
                        "postcode": "WA7 2XX",
                        "bedrooms": 2,
                    },
                }  # fmt: skip
                for n, address in enumerate(homes)
            ],
            "removes": [],
            "next_cursor": "c1",
            "has_more": False,
        }
    )
    found = [p["address"] for p in store.search_properties("7 Leaside")]
    assert found == ["7 Leaside Way", "17 Leaside Way"]
    every = [p["address"] for p in store.search_properties("leaside way")]
    assert every == ["2 Leaside Way", "7 Leaside Way", "10 Leaside Way", "17 Leaside Way"]
    assert [p["address"] for p in store.search_properties("leaside", limit=1)] == ["2 Leaside Way"]


def test_photo_files_record_and_pending_blob(store: Store) -> None:
    walk = store.create("walkabout", dict(WALK), now=NOW)
    jpeg = b"\xff\xd8 fake jpeg \xff\xd9"
    sha = hashlib.sha256(jpeg).hexdigest()
    photo = store.add_photo(
        parent_entity="walkabout",
        parent_id=walk["id"],
        jpeg=jpeg,
        thumb=b"t",
        sha256=sha,
        width=10,
        height=5,
        taken_at=NOW,
        lat=53.3,
        lon=-2.7,
        caption="bins",
        now=NOW,
    )
    assert photo["bytes"] == len(jpeg) and photo["taken_at"] == "2026-06-10T09:00:00Z"
    path = store.photo_path(sha)
    assert path is not None and path.read_bytes() == jpeg
    assert store.photo_path(sha, thumb=True) is not None
    assert store.pending_blobs() == [(sha, path, len(jpeg))]
    store.mark_blob_uploaded(sha)
    assert store.pending_blobs() == []
    with pytest.raises(ValidationError):
        store.add_photo(
            parent_entity="walkabout",
            parent_id=walk["id"],
            jpeg=jpeg,
            thumb=b"t",
            sha256="0" * 64,
            width=1,
            height=1,
            taken_at=None,
            lat=None,
            lon=None,
            caption=None,
            now=NOW,
        )
