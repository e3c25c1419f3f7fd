"""``suggested_actions`` through the HTTP contract: the server derives them on push, keeps them
current when the household changes, never takes them from a client, and keeps the officer's
decisions (a decline only with a reason), joined from two tablets."""

from __future__ import annotations

from typing import Any

import pytest

from fieldapp.ids import new_id
from tests.server.conftest import Cast, create
from tests.support.api import mutation

VISIT = {"visited_at": "2026-06-10T10:00:00Z", "tenant_present": True, "id_verified": True}
REPAIR = {"priority": "routine", "reported_at": "2026-06-10T10:00:00Z", "room": "Bathroom"}


def actions(record: dict[str, Any]) -> list[str]:
    found = record["suggested_actions"]
    assert all(set(s) == {"action", "reason"} and s["reason"] for s in found), found
    return [s["action"] for s in found]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"arrears_amount": 400.0, "weekly_rent": 100.0}, ["money_advice"]),
        ({"arrears_amount": 390.0, "weekly_rent": 100.0}, []),
        ({"tenant_present": False}, ["follow_up_visit"]),
        ({"id_verified": False}, ["follow_up_visit"]),
        (
            {"arrears_amount": 1200.0, "weekly_rent": 100.0, "id_verified": False},
            ["money_advice", "follow_up_visit"],
        ),
        ({}, []),
    ],
)
def test_visit(cast: Cast, fields: dict[str, Any], expected: list[str]) -> None:
    patch = {**VISIT, "property_id": cast.homes["100000000001"], **fields}
    with cast.api("north1") as a:
        result = create(a, "tenancy_visit", patch)
    assert actions(result["record"]) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"hazard": "damp_and_mould"}, ["awaab_significant"]),
        ({"hazard": "fire", "imminent_risk": True}, ["awaab_emergency"]),
        ({"hazard": "electrical", "awaab": "emergency"}, ["awaab_emergency"]),
        ({"hazard": "damp_and_mould", "imminent_risk": True}, ["awaab_emergency"]),
        ({"hazard": "crowding_and_space", "imminent_risk": True}, []),
        ({"hazard": "excess_cold"}, []),
    ],
)
def test_repair(cast: Cast, fields: dict[str, Any], expected: list[str]) -> None:
    patch = {**REPAIR, "property_id": cast.homes["100000000002"], **fields}
    with cast.api("north1") as a:
        result = create(a, "repair", patch)
    assert actions(result["record"]) == expected
    if expected == ["awaab_emergency"]:
        assert "priority emergency" in result["record"]["suggested_actions"][0]["reason"]


def test_household_events_and_the_visit_that_lists_them(cast: Cast) -> None:
    home = cast.homes["100000000003"]
    with cast.api("south1") as a:
        visit = new_id()
        create(a, "tenancy_visit", {**VISIT, "property_id": home}, visit)
        baby = create(
            a,
            "person",
            {"property_id": home, "name": "Baby", "relationship": "child", "died_on": "2026-06-09"},
        )
        assert actions(baby["record"]) == []  # a baby's death is no succession
        lodger = create(
            a, "person", {"property_id": home, "name": "Lodger", "status": "unverified_occupant"}
        )
        assert actions(lodger["record"]) == ["fraud_check"]
        lead = new_id()
        create(
            a, "person", {"property_id": home, "name": "Lead", "relationship": "lead_tenant"}, lead
        )
        died = a.push_one(mutation("person", lead, {"died_on": "2026-06-10"}, base_version=1))
        assert died["status"] == "applied" and actions(died["record"]) == ["succession"]
        # The visit recorded before the events is re-derived by the server and pulled fresh.
        records, *_ = a.pull_all()
    assert actions(records[("tenancy_visit", visit)]["data"]) == ["fraud_check", "succession"]


def test_a_client_cannot_write_suggestions(cast: Cast) -> None:
    patch = {
        **VISIT,
        "property_id": cast.homes["100000000001"],
        "suggested_actions": [{"action": "succession", "reason": "because"}],
    }
    with cast.api("north1") as a:
        result = a.push_one(mutation("tenancy_visit", new_id(), patch))
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "read_only_field"


def _decision(action: str, decision: str, reason: str | None, at: str) -> dict[str, Any]:
    return {"action": action, "decision": decision, "reason": reason, "by": "Nora", "at": at}


def test_decline_needs_a_reason_and_decisions_from_two_tablets_are_kept(cast: Cast) -> None:
    rid = new_id()
    patch = {
        **VISIT,
        "property_id": cast.homes["100000000001"],
        "arrears_amount": 800.0,
        "weekly_rent": 100.0,
        "tenant_present": False,
    }
    with cast.api("north1") as a, cast.api("north2") as b:
        create(a, "tenancy_visit", patch, rid)
        bare = _decision("money_advice", "declined", " ", "2026-06-10T10:30:00Z")
        refused = a.push_one(
            mutation("tenancy_visit", rid, {"action_decisions": [bare]}, base_version=1)
        )
        assert refused["status"] == "rejected"
        assert refused["error"]["code"] == "validation_failed"
        assert "needs a reason" in refused["error"]["message"]

        declined = _decision(
            "money_advice", "declined", "Already with StepChange", "2026-06-10T10:30:00Z"
        )
        confirmed = _decision("follow_up_visit", "confirmed", None, "2026-06-10T10:31:00Z")
        first = a.push_one(
            mutation("tenancy_visit", rid, {"action_decisions": [declined]}, base_version=1)
        )
        second = b.push_one(
            mutation("tenancy_visit", rid, {"action_decisions": [confirmed]}, base_version=1)
        )
        assert first["status"] == "applied"
        assert second["status"] == "merged" and second["conflicts"] == []
        records, *_ = a.pull_all()
    data = records[("tenancy_visit", rid)]["data"]
    assert data["action_decisions"] == [declined, confirmed]
    # A decision does not make a suggestion disappear: the rule still says why it arose.
    assert actions(data) == ["money_advice", "follow_up_visit"]
