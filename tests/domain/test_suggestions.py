"""Suggested actions as tables: each rule, its edges, and the numbers read from the policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from fieldapp.domain.policy import Policy
from fieldapp.domain.suggestions import (
    decision_item,
    household_suggestions,
    latest_decisions,
    person_suggestions,
    repair_suggestions,
    visit_suggestions,
)
from fieldapp.sync.protocol import ENTITIES, SUGGESTED_ACTIONS, check_value

P = Policy()
DAY = date(2026, 6, 10)


def actions(found: Any) -> list[str]:
    return [s.action for s in found]


# --- person ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ({"relationship": "lead_tenant", "died_on": "2026-06-01"}, ["succession"]),
        ({"relationship": "joint_tenant", "died_on": "2026-06-01"}, ["succession"]),
        # Succession concerns a tenant's death: a baby's, a partner's or a relative's is not one.
        ({"relationship": "child", "died_on": "2026-06-01"}, []),
        ({"relationship": "partner", "died_on": "2026-06-01"}, []),
        ({"relationship": None, "died_on": "2026-06-01"}, []),
        ({"relationship": "lead_tenant"}, []),  # alive
        ({"relationship": "lead_tenant", "died_on": "not a date"}, []),
        ({"status": "unverified_occupant"}, ["fraud_check"]),
        ({"status": "member"}, []),
        ({"status": "unverified_occupant", "died_on": "2026-06-01"}, []),
    ],
)
def test_person(person: dict[str, Any], expected: list[str]) -> None:
    assert actions(person_suggestions(person, policy=P)) == expected


def test_who_counts_as_a_tenant_is_policy() -> None:
    sole_only = replace(P, tenant_relationships=frozenset({"lead_tenant"}))
    joint = {"relationship": "joint_tenant", "died_on": "2026-06-01"}
    assert actions(person_suggestions(joint, policy=sole_only)) == []


# --- the visit -------------------------------------------------------------------------------
def visit(**kw: Any) -> list[str]:
    args: dict[str, Any] = {
        "tenant_present": True,
        "id_verified": True,
        "arrears": None,
        "weekly_rent": None,
        "visit_day": DAY,
        "policy": P,
    } | kw
    return actions(visit_suggestions(**args))


@pytest.mark.parametrize(
    ("arrears", "rent", "expected"),
    [
        (400.0, 100.0, ["money_advice"]),  # exactly 4 weeks
        (399.99, 100.0, []),
        (1000.0, 100.0, ["money_advice"]),
        (400.0, None, []),  # no rent: weeks unknown
        (400.0, 0.0, []),
        (None, 100.0, []),
        (0.0, 100.0, []),
        (-500.0, 100.0, []),  # in credit
    ],
)
def test_money_advice_at_four_weeks_of_rent(
    arrears: float | None, rent: float | None, expected: list[str]
) -> None:
    assert visit(arrears=arrears, weekly_rent=rent) == expected


def test_money_advice_weeks_is_policy() -> None:
    assert visit(arrears=300.0, weekly_rent=100.0) == []
    three = replace(P, money_advice_weeks=3.0)
    assert visit(arrears=300.0, weekly_rent=100.0, policy=three) == ["money_advice"]


@pytest.mark.parametrize(
    ("present", "id_seen", "expected"),
    [
        (True, True, []),
        (False, True, ["follow_up_visit"]),
        (True, False, ["follow_up_visit"]),
        (False, False, ["follow_up_visit"]),
        (None, None, []),  # not answered: nothing is known to be missing
        (None, False, ["follow_up_visit"]),
    ],
)
def test_follow_up_visit(present: bool | None, id_seen: bool | None, expected: list[str]) -> None:
    assert visit(tenant_present=present, id_verified=id_seen) == expected


def test_follow_up_reason_gives_the_date_from_the_policy() -> None:
    [found] = visit_suggestions(
        tenant_present=False,
        id_verified=True,
        arrears=None,
        weekly_rent=None,
        visit_day=DAY,
        policy=replace(P, follow_up_days=14),
    )
    assert "2026-06-24" in found.reason and "not at home" in found.reason


HOUSEHOLD = [
    {"id": "lead", "relationship": "lead_tenant", "died_on": "2026-06-10"},
    {"id": "baby", "relationship": "child", "died_on": "2026-06-10"},
    {"id": "lodger", "status": "unverified_occupant"},
    {"id": "gone", "status": "unverified_occupant", "moved_out_on": "2026-01-01"},
]


@pytest.mark.parametrize(
    ("household", "expected"),
    [
        (HOUSEHOLD, ["fraud_check", "succession"]),
        (HOUSEHOLD[1:], ["fraud_check"]),  # the baby's death raises nothing
        (HOUSEHOLD[3:], []),  # an unverified occupant who has moved out
        # A tenant who died more than a year before the visit is old news.
        ([{"relationship": "lead_tenant", "died_on": "2025-06-10"}], []),
        ([{"relationship": "lead_tenant", "died_on": "2025-06-11"}], ["succession"]),
        ([{"relationship": "lead_tenant", "died_on": "2026-06-11"}], []),  # after the visit
    ],
)
def test_household_on_the_visit(household: list[dict[str, Any]], expected: list[str]) -> None:
    assert actions(household_suggestions(household, visit_day=DAY, policy=P)) == expected


def test_a_visit_lists_in_value_set_order() -> None:
    found = visit(tenant_present=False, arrears=500.0, weekly_rent=100.0, household=HOUSEHOLD)
    assert found == ["money_advice", "fraud_check", "succession", "follow_up_visit"]
    assert found == [a for a in SUGGESTED_ACTIONS if a in found]


# --- repairs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hazard", "imminent", "awaab", "expected"),
    [
        ("damp_and_mould", False, "none", ["awaab_significant"]),
        ("damp_and_mould", False, None, ["awaab_significant"]),
        ("damp_and_mould", True, None, ["awaab_emergency"]),  # the emergency duty covers it
        ("fire", True, None, ["awaab_emergency"]),
        ("fire", False, "emergency", ["awaab_emergency"]),  # classed emergency, left routine
        (None, True, None, ["awaab_emergency"]),
        ("fire", False, None, []),
        ("excess_cold", False, "none", []),  # not yet a significant hazard (phase 1)
        ("crowding_and_space", True, None, []),  # never an emergency hazard under the law
    ],
)
def test_repair(hazard: str | None, imminent: bool, awaab: str | None, expected: list[str]) -> None:
    found = repair_suggestions(
        hazard=hazard, imminent_risk=imminent, awaab=awaab, reported_on=DAY, policy=P
    )
    assert actions(found) == expected


def test_emergency_reason_asks_for_priority_emergency() -> None:
    [found] = repair_suggestions(
        hazard="electrical", imminent_risk=True, awaab=None, reported_on=DAY, policy=P
    )
    assert "priority emergency" in found.reason and "24 hours" in found.reason


def test_awaab_hazard_lists_and_start_are_policy() -> None:
    phase2 = replace(P, awaab_significant_hazards=frozenset({"damp_and_mould", "excess_cold"}))
    args: dict[str, Any] = {"imminent_risk": False, "awaab": None, "reported_on": DAY}
    assert actions(repair_suggestions(hazard="excess_cold", policy=phase2, **args)) == [
        "awaab_significant"
    ]
    before = dict(args, reported_on=date(2025, 10, 26))
    assert repair_suggestions(hazard="damp_and_mould", policy=P, **before) == []


# --- decisions -------------------------------------------------------------------------------
def test_a_decline_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        decision_item(
            "money_advice", confirmed=False, reason="  ", by="u1", at="2026-06-10T10:00:00Z"
        )
    item = decision_item(
        "money_advice",
        confirmed=False,
        reason=" Already with StepChange ",
        by="u1",
        at="2026-06-10T10:00:00Z",
    )
    assert item["reason"] == "Already with StepChange" and item["decision"] == "declined"
    field = ENTITIES["tenancy_visit"].by_name["action_decisions"]
    assert check_value(field, [item]) is None
    blank = dict(item, reason=None)
    problem = check_value(field, [blank])
    assert problem is not None and "needs a reason" in problem.message


@pytest.mark.parametrize(
    "item",
    [
        {"action": "dance", "decision": "confirmed", "at": "2026-06-10T10:00:00Z"},
        {"action": "succession", "decision": "maybe", "at": "2026-06-10T10:00:00Z"},
        {"action": "succession", "decision": "confirmed", "at": "yesterday"},
        {"action": "succession", "decision": "confirmed", "at": "2026-06-10T10:00:00Z", "x": 1},
        "succession",
    ],
)
def test_decisions_are_checked_on_the_wire(item: Any) -> None:
    field = ENTITIES["repair"].by_name["action_decisions"]
    assert check_value(field, [item]) is not None


def test_the_latest_decision_stands() -> None:
    early = decision_item(
        "succession", confirmed=False, reason="Not a tenant", by="a", at="2026-06-10T10:00:00Z"
    )
    later = decision_item(
        "succession", confirmed=True, reason=None, by="b", at="2026-06-11T10:00:00Z"
    )
    assert latest_decisions([later, early])["succession"] is later
    assert latest_decisions("junk") == {}
