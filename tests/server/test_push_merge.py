"""Push over HTTP on both backends: create, three-way merge, conflicts, deletes, resolution."""

from __future__ import annotations

import pytest

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create, new_case, status_clash
from tests.support.api import REPORT, mutation


@pytest.fixture
def cast(app_cast: Cast) -> Cast:
    """These tests need no real socket: the cast on the app in this process."""
    return app_cast


def test_create_returns_version_1_and_derived_fields(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        result = a.push_one(mutation("asb_case", rid, patch))
    assert result["status"] == "applied"
    assert result["version"] == 1
    assert result["error"] is None and result["conflicts"] == []
    record = result["record"]
    assert record["id"] == rid and record["description"] == "music at night"
    assert record["priority"] == 2  # noise: computed by the shared domain rules


def test_different_fields_merge(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        first = a.push_one(mutation("asb_case", rid, {"status": "action_plan"}, base_version=1))
        second = b.push_one(mutation("asb_case", rid, {"harm_type": "personal"}, base_version=1))
    assert first["status"] == "applied" and first["version"] == 2
    assert second["status"] == "merged" and second["version"] == 3
    assert second["record"]["status"] == "action_plan"
    assert second["record"]["harm_type"] == "personal"
    assert second["conflicts"] == []


def test_same_field_different_values_is_a_conflict_with_both_values(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        a.push_one(mutation("asb_case", rid, {"status": "action_plan"}, base_version=1))
        clash = b.push_one(
            mutation(
                "asb_case", rid, {"status": "monitoring", "harm_type": "community"}, base_version=1
            )
        )
    assert clash["status"] == "conflict"
    assert clash["record"]["status"] == "action_plan"  # the value others have seen stays
    assert clash["record"]["harm_type"] == "community"  # the other field still applied
    [conflict] = clash["conflicts"]
    assert conflict["entity"] == "asb_case" and conflict["record_id"] == rid
    assert conflict["field"] == "status"
    assert conflict["base_value"] == "open"
    assert conflict["kept_value"] == "action_plan"
    assert conflict["proposed_value"] == "monitoring"
    assert conflict["proposed_by"] == "Ned North"
    assert conflict["status"] == "open"


def test_same_field_same_value_is_no_conflict(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        a.push_one(mutation("asb_case", rid, {"status": "closed"}, base_version=1))
        same = b.push_one(mutation("asb_case", rid, {"status": "closed"}, base_version=1))
    assert same["status"] in ("applied", "merged")
    assert same["conflicts"] == []


def test_a_devices_own_offline_edits_never_conflict(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        # Created and edited twice offline: every mutation still names no base version.
        results = a.push(
            mutation("asb_case", rid, patch),
            mutation("asb_case", rid, {"status": "action_plan"}),
            mutation("asb_case", rid, {"status": "monitoring"}, base_version=1),
        )
    assert [r["status"] for r in results] == ["applied", "applied", "applied"]
    assert [r["version"] for r in results] == [1, 2, 3]
    assert results[-1]["record"]["status"] == "monitoring"


def test_delete_against_edit_goes_to_review(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        a.push_one(mutation("asb_case", rid, {"status": "action_plan"}, base_version=1))
        deleting = b.push_one(mutation("asb_case", rid, None, op="delete", base_version=1))
        records, _, _, _ = a.pull_all()
    assert deleting["status"] == "conflict"
    [conflict] = deleting["conflicts"]
    assert conflict["field"] == "_deleted"
    assert conflict["kept_value"] is False and conflict["proposed_value"] is True
    assert records[("asb_case", rid)]["deleted"] is False  # never a silent win


def test_edit_against_delete_goes_to_review_and_keeps_the_edit(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        gone = a.push_one(mutation("asb_case", rid, None, op="delete", base_version=1))
        assert gone["status"] == "applied"
        edit = b.push_one(mutation("asb_case", rid, {"harm_type": "personal"}, base_version=1))
        assert edit["status"] == "conflict"
        [conflict] = edit["conflicts"]
        assert conflict["field"] == "_deleted"
        assert conflict["kept_value"] is True and conflict["proposed_value"] is False
        back = a.push_one(
            mutation("conflict", conflict["id"], {"resolution": "proposed"}, base_version=1)
        )
        records, _, _, _ = a.pull_all()
    assert back["status"] == "applied"
    case = records[("asb_case", rid)]
    assert case["deleted"] is False
    assert case["data"]["harm_type"] == "personal"  # the edit that met the delete survived


def test_append_only_concurrent_inserts_all_survive(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        reports = [(api, new_id(), f"2026-06-1{n}T10:00:00Z") for n, api in enumerate((a, b, a, b))]
        results = [
            api.push_one(mutation("asb_report", i, {"case_id": rid, **REPORT, "reported_at": at}))
            for api, i, at in reports
        ]
        records, _, _, _ = a.pull_all()
    assert [r["status"] for r in results] == ["applied"] * 4
    assert all(records[("asb_report", i)]["deleted"] is False for _, i, _ in reports)
    assert records[("asb_case", rid)]["version"] > 1  # re-derived: the case saw its reports


def test_an_append_only_record_cannot_be_changed_or_deleted(cast: Cast) -> None:
    with cast.api("north1") as a:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        report = new_id()
        create(a, "asb_report", {"case_id": rid, **REPORT}, report)
        again = a.push_one(mutation("asb_report", report, {"case_id": rid, **REPORT}))
        edit = a.push_one(mutation("asb_report", report, {"agency": "police"}, base_version=1))
        delete = a.push_one(mutation("asb_report", report, None, op="delete", base_version=1))
    assert again["status"] == "applied" and again["version"] == 1  # the same insert: a no-op
    assert edit["status"] == "rejected" and edit["error"]["code"] == "forbidden"
    assert delete["status"] == "rejected" and delete["error"]["code"] == "forbidden"


def test_resolving_a_conflict_writes_a_new_version(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        a.push_one(mutation("asb_case", rid, {"status": "action_plan"}, base_version=1))
        clash = b.push_one(mutation("asb_case", rid, {"status": "monitoring"}, base_version=1))
        conflict = clash["conflicts"][0]
        before = clash["version"]
        resolved = a.push_one(
            mutation("conflict", conflict["id"], {"resolution": "proposed"}, base_version=1)
        )
        again = b.push_one(
            mutation("conflict", conflict["id"], {"resolution": "kept"}, base_version=1)
        )
        records, _, _, _ = a.pull_all()
    assert resolved["status"] == "applied"
    assert resolved["record"]["status"] == "resolved"
    assert resolved["record"]["resolution"] == "proposed"
    assert resolved["record"]["value"] == "monitoring"
    case = records[("asb_case", rid)]
    assert case["data"]["status"] == "monitoring"
    assert case["version"] == before + 1
    assert again["status"] == "rejected" and again["error"]["code"] == "conflict_not_open"
    assert records[("conflict", conflict["id"])]["data"]["status"] == "resolved"


def test_resolving_with_a_value_checks_it(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        _, clash = status_clash(cast, a, b)
        conflict = clash["conflicts"][0]
        bad = a.push_one(
            mutation("conflict", conflict["id"], {"resolution": "value", "value": "nonsense"})
        )
        good = a.push_one(
            mutation("conflict", conflict["id"], {"resolution": "value", "value": "closed"})
        )
    assert bad["status"] == "rejected" and bad["error"]["code"] == "validation_failed"
    assert good["status"] == "applied" and good["record"]["value"] == "closed"


def test_max_policy_keeps_the_higher_priority(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid = new_id()
        create(
            a,
            "repair",
            {
                "property_id": cast.homes["100000000001"],
                "priority": "routine",
                "reported_at": "2026-06-10T09:00:00Z",
            },
            rid,
        )
        a.push_one(mutation("repair", rid, {"priority": "emergency"}, base_version=1))
        lower = b.push_one(mutation("repair", rid, {"priority": "urgent"}, base_version=1))
    assert lower["status"] == "merged" and lower["conflicts"] == []
    assert lower["record"]["priority"] == "emergency"


def test_union_policy_joins_lists(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid = new_id()
        create(
            a,
            "tenancy_visit",
            {
                "property_id": cast.homes["100000000001"],
                "visited_at": "2026-06-10T09:00:00Z",
                "referrals": [],
            },
            rid,
        )
        a.push_one(mutation("tenancy_visit", rid, {"referrals": ["money_advice"]}, base_version=1))
        both = b.push_one(
            mutation("tenancy_visit", rid, {"referrals": ["safeguarding"]}, base_version=1)
        )
    assert both["status"] == "merged"
    assert both["record"]["referrals"] == ["money_advice", "safeguarding"]


def test_the_servers_own_recomputation_is_not_an_edit(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b:
        rid, patch = new_case(property_id=cast.homes["100000000001"])
        create(a, "asb_case", patch, rid)
        for n in range(2):  # b's reports make the server re-derive a's case
            create(
                b,
                "asb_report",
                {"case_id": rid, **REPORT, "reported_at": f"2026-06-1{n}T10:00:00Z"},
            )
        assert a.pull_all()[0][("asb_case", rid)]["version"] > 1  # it was re-derived
        edit = a.push_one(mutation("asb_case", rid, {"harm_type": "personal"}, base_version=1))
        gone = a.push_one(mutation("asb_case", rid, None, op="delete", base_version=1))
    assert edit["status"] == "applied"
    assert gone["status"] == "applied" and gone["record"] is None


def test_a_record_with_an_open_conflict_is_marked_needs_review_on_the_wire(cast: Cast) -> None:
    with cast.api("north1") as a, cast.api("north2") as b, cast.api("boss") as boss:
        calm, patch = new_case(property_id=cast.homes["100000000001"])
        created = create(a, "asb_case", patch, calm)
        rid, clash = status_clash(cast, a, b)
        pulled = boss.pull_all()[0][("asb_case", rid)]["data"]
        resolved = a.push_one(
            mutation("conflict", clash["conflicts"][0]["id"], {"resolution": "kept"})
        )
        after = boss.pull_all()[0][("asb_case", rid)]["data"]
    assert created["record"]["needs_review"] is False
    assert clash["record"]["needs_review"] is True
    assert pulled["needs_review"] is True
    assert resolved["status"] == "applied"
    assert after["needs_review"] is False and after["status"] == "action_plan"


def test_a_field_conflict_on_a_record_deleted_since_can_be_kept(cast: Cast) -> None:
    """The delete came from someone who saw the kept value: keeping closes the conflict."""
    with cast.api("north1") as a, cast.api("north2") as b, cast.api("boss") as boss:
        rid, clash = status_clash(cast, a, b, kept="closed")
        conflict = clash["conflicts"][0]
        deleted = a.push_one(mutation("asb_case", rid, op="delete", base_version=2))
        proposed = a.push_one(mutation("conflict", conflict["id"], {"resolution": "proposed"}))
        kept = a.push_one(mutation("conflict", conflict["id"], {"resolution": "kept"}))
        records = boss.pull_all()[0]
    assert deleted["status"] == "applied"
    assert proposed["status"] == "rejected"
    assert proposed["error"]["code"] == "record_deleted"
    assert kept["status"] == "applied" and kept["record"]["status"] == "resolved"
    assert records[("conflict", conflict["id"])]["data"]["status"] == "resolved"
    assert ("asb_case", rid) not in records  # still deleted: a fresh download leaves it out
