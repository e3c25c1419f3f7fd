"""``derive`` and ``dependents``: a key for every derived field, wire forms, what each entity
reads through the lookup, and no exception on partial or junk records."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from fieldapp.domain.derive import dependents, derive
from fieldapp.domain.geo import haversine_m
from fieldapp.domain.policy import Policy
from fieldapp.sync.protocol import ENTITIES
from tests.domain.helpers import MemoryLookup, born, utc

P = Policy()
NOW = utc("2026-06-15T12:00")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def world() -> MemoryLookup:
    visit = date(2026, 6, 10)
    return MemoryLookup(
        {
            "property": [
                {
                    "id": "h1",
                    "estate": "Ash",
                    "block": "Ash House",
                    "bedrooms": 2,
                    "lat": 53.0,
                    "lon": -2.0,
                    "last_atv_on": "2025-06-10",
                },
                {
                    "id": "h2",
                    "estate": "Ash",
                    "block": None,
                    "bedrooms": 3,
                    "lat": 53.0004,
                    "lon": -2.0,
                },
                {
                    "id": "h9",
                    "estate": "Elm",
                    "block": "Elm House",
                    "bedrooms": 1,
                    "lat": 53.00041,
                    "lon": -2.0,
                },
            ],
            "person": [
                {"id": "mum", "property_id": "h1", "sex": "F", "date_of_birth": "1985-01-01"},
                {
                    "id": "dad",
                    "property_id": "h1",
                    "sex": "M",
                    "date_of_birth": "1984-01-01",
                    "partner_id": "mum",
                },
                {"id": "g12", "property_id": "h1", "sex": "F", "date_of_birth": born(12, visit)},
                {"id": "g8", "property_id": "h1", "sex": "F", "date_of_birth": born(8, visit)},
                {"id": "b6", "property_id": "h1", "sex": "M", "date_of_birth": born(6, visit)},
                {"id": "old", "property_id": "h2", "sex": "F", "date_of_birth": "1951-03-02"},
            ],
            "asb_case": [{"id": "c1", "complainant_id": "old"}],
            "asb_report": [
                {"id": "r1", "case_id": "c1", "reported_at": "2026-03-20T10:00:00Z"},
                {
                    "id": "r2",
                    "case_id": "c1",
                    "reported_at": "2026-05-01T10:00:00Z",
                    "incident_at": "2026-04-30T21:00:00Z",
                    "agency": "police",
                },
                {"id": "r3", "case_id": "c2", "reported_at": "2026-03-20T10:00:00+01:00"},
            ],
            "tenancy_visit": [{"id": "v1", "property_id": "h1"}, {"id": "v2", "property_id": "h1"}],
            "walkabout": [{"id": "w1", "estate": "Ash"}],
            "observation": [
                {"id": "o1", "walkabout_id": "w1", "kind": "graffiti", "offensive": True},
            ],
        }
    )


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_a_key_for_every_derived_field_even_on_an_empty_record(entity: str) -> None:
    out = derive(entity, {}, MemoryLookup(), P, NOW)
    assert set(out) == set(ENTITIES[entity].computed)


JUNK: list[Any] = [None, "", "nonsense", 12, -1.5, True, [], {}, "2026-13-45", "2026-06-01T10:00"]


@pytest.mark.parametrize("entity", sorted(ENTITIES))
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_values_never_raise(entity: str, junk: Any) -> None:
    record = {name: junk for name in ENTITIES[entity].names}
    out = derive(entity, record, world(), P, NOW)
    assert set(out) == set(ENTITIES[entity].computed)
    deps = dependents(entity, record, world())
    assert isinstance(deps, list)


def test_property_atv_due_on() -> None:
    assert derive("property", {"last_atv_on": "2024-02-29"}, MemoryLookup(), P, NOW) == {
        "atv_due_on": "2025-02-28"
    }


def test_asb_case_reads_reports_and_complainant() -> None:
    case = {
        "id": "c1",
        "category": "noise",
        "received_at": "2026-03-02T09:00:00Z",
        "complainant_id": "old",
        "risk_answers": {"health_impact": 3, "unsafe_at_home": 2},
    }
    out = derive("asb_case", case, world(), P, NOW)
    assert out["priority"] == 2
    assert out["vulnerable"] is True  # 75 on 2 March 2026, the receipt day
    assert out["threshold_applies"] is False
    assert out["threshold_met"] is True  # receipt + report 18 days later
    assert out["due_at"] == "2026-03-09T23:59:59Z"  # clock from receipt: duty of care
    assert out["risk_level"] == "medium"
    assert out["ct_eligible"] is True  # receipt, 20 March, 1 May
    assert "vulnerable" in out["reason"] and "Community Trigger" in out["reason"]

    # The case's own incident time decides whether its first complaint qualifies (one month).
    late = dict(case, incident_at="2026-01-15T22:00:00Z")  # reported 6 weeks after it happened
    assert derive("asb_case", late, world(), P, NOW)["ct_eligible"] is False
    in_time = dict(case, incident_at="2026-02-10T22:00:00Z")
    assert derive("asb_case", in_time, world(), P, NOW)["ct_eligible"] is True

    younger = dict(case, received_at="2026-03-01T09:00:00Z")  # a day before the birthday
    out = derive("asb_case", younger, world(), P, NOW)
    assert out["vulnerable"] is False and out["threshold_applies"] is True
    assert out["threshold_met"] is True
    assert out["due_at"] == "2026-03-27T23:59:59Z"  # clock from the 20 March report


def test_asb_case_threshold_met_later_clock() -> None:
    case = {"id": "c1", "category": "other", "received_at": "2026-03-05T09:00:00Z"}
    out = derive("asb_case", case, world(), P, NOW)
    assert out["threshold_met"] is True and out["vulnerable"] is False
    assert out["due_at"] == "2026-03-27T23:59:59Z"  # 5 working days from the 20 March report
    case = {"id": "c9", "category": "other", "received_at": "2026-03-05T09:00:00Z"}
    out = derive("asb_case", case, world(), P, NOW)
    assert out["threshold_met"] is False and out["due_at"] is None and out["ct_eligible"] is False


def test_asb_case_urgent_crime_wire_form() -> None:
    case = {
        "id": "c5",
        "category": "crime",
        "urgent_crime": True,
        "received_at": "2026-03-28T13:00:00+01:00",
    }
    out = derive("asb_case", case, MemoryLookup(), P, NOW)
    assert out["due_at"] == "2026-03-29T12:00:00Z"
    assert out["reason"] == "Urgent crime: respond within 24 hours"
    assert out["risk_level"] == "standard"  # no answers yet: every answer counts as no


def test_repair() -> None:
    rep = {
        "priority": "urgent",
        "reported_at": "2026-04-01T10:00:00Z",
        "hazard": "damp_and_mould",
        "awaab": "significant",
        "investigation_concluded_at": "2026-05-21T15:00:00Z",
    }
    out = derive("repair", rep, MemoryLookup(), P, NOW)
    assert out == {
        "due_at": "2026-04-10T22:59:59Z",
        "investigate_by": "2026-04-17T22:59:59Z",
        "summary_by": "2026-05-27T22:59:59Z",
        "make_safe_by": "2026-05-29T22:59:59Z",
        "preventative_start_by": "2026-08-13T22:59:59Z",
        "reason": out["reason"],
        "suggested_actions": [
            {"action": "awaab_significant", "reason": out["suggested_actions"][0]["reason"]}
        ],
    }
    assert "Awaab" in out["reason"]


def test_tenancy_visit_reads_household_and_bedrooms() -> None:
    visit = {"id": "v1", "property_id": "h1", "visited_at": "2026-06-10T10:00:00+01:00"}
    out = derive("tenancy_visit", visit, world(), P, NOW)
    assert out == {
        "bedrooms_needed": 3,
        "bedroom_standard": "overcrowded",
        "size_criteria_spare": 0,
        "size_criteria_reduction_pct": 0,
        "household_reason": out["household_reason"],
        "suggested_actions": [],
    }
    assert "overcrowded" in out["household_reason"]
    carer = derive("tenancy_visit", dict(visit, overnight_carer=True), world(), P, NOW)
    assert carer["bedrooms_needed"] == 3 and carer["size_criteria_spare"] == 0

    alone = {"id": "v3", "property_id": "h2", "visited_at": "2026-06-10T10:00:00Z"}
    out = derive("tenancy_visit", alone, world(), P, NOW)
    assert out == {
        "bedrooms_needed": 1,
        "bedroom_standard": "under_occupied",
        "size_criteria_spare": 2,
        "size_criteria_reduction_pct": 25,
        "household_reason": out["household_reason"],
        "suggested_actions": [],
    }
    assert "under occupied" in out["household_reason"]


def test_walkabout_reads_observations() -> None:
    out = derive("walkabout", {"id": "w1", "grades": {"litter": "good"}}, world(), P, NOW)
    assert out == {"score_pct": 100.0, "result": "fail"}  # offensive graffiti
    out = derive("walkabout", {"id": "w2", "grades": {"litter": "good"}}, world(), P, NOW)
    assert out == {"score_pct": 100.0, "result": "pass"}
    assert derive("walkabout", {"id": "w2"}, world(), P, NOW) == {"score_pct": None, "result": None}


def test_observation_nearest_among_the_walkabout_estate() -> None:
    obs = {
        "walkabout_id": "w1",
        "kind": "fly_tipping",
        "lat": 53.00042,
        "lon": -2.0,
        "logged_at": "2026-06-01T10:00:00Z",
    }
    out = derive("observation", obs, world(), P, NOW)
    # h9 is nearer but on another estate
    assert out == {
        "nearest_property_id": "h2",
        "nearest_block": "Ash House",
        "action_due_at": "2026-06-08T22:59:59Z",
    }
    no_position = derive("observation", dict(obs, lat=None), world(), P, NOW)
    assert no_position["nearest_property_id"] is None and no_position["nearest_block"] is None


def test_observation_far_from_every_home_names_none() -> None:
    """Found on a walk: an observation 1.7 km from the estate named a resident's home, and an
    ASB case raised from it was filed against that home."""
    obs = {"walkabout_id": "w1", "kind": "litter", "lat": 53.0016, "lon": -2.0}
    # h2 (53.0004) is 133 m away, h1 (53.0) 178 m: both beyond the 100 m reach
    assert haversine_m(53.0016, -2.0, 53.0004, -2.0) > P.near_home_max_m
    far = derive("observation", obs, world(), P, NOW)
    assert far["nearest_property_id"] is None and far["nearest_block"] is None
    near = derive("observation", dict(obs, lat=53.0012), world(), P, NOW)  # h2 at 89 m
    assert near["nearest_property_id"] == "h2" and near["nearest_block"] is None
    wider = replace(P, near_home_max_m=200.0)
    assert derive("observation", obs, world(), wider, NOW)["nearest_block"] == "Ash House"


def test_wire_forms() -> None:
    outs = [
        derive(
            "repair",
            {
                "priority": "routine",
                "reported_at": "2026-04-01T10:00:00Z",
                "awaab": "emergency",
                "hazard": "fire",
            },
            MemoryLookup(),
            P,
            NOW,
        ),
        derive(
            "observation",
            {"kind": "graffiti", "offensive": True, "logged_at": "2026-04-01T10:00:00.123+02:00"},
            MemoryLookup(),
            P,
            NOW,
        ),
    ]
    for out in outs:
        for name, value in out.items():
            if isinstance(value, str) and name != "reason":
                assert TIME_RE.match(value), (name, value)
    prop = derive("property", {"last_atv_on": "2025-06-10"}, MemoryLookup(), P, NOW)
    assert DATE_RE.match(prop["atv_due_on"])


@pytest.mark.parametrize(
    ("entity", "record", "expected"),
    [
        ("asb_report", {"id": "r1", "case_id": "c1"}, [("asb_case", "c1")]),
        ("observation", {"id": "o1", "walkabout_id": "w1"}, [("walkabout", "w1")]),
        ("person", {"id": "old", "property_id": "h2"}, [("asb_case", "c1")]),
        (
            "person",
            {"id": "mum", "property_id": "h1"},
            [("tenancy_visit", "v1"), ("tenancy_visit", "v2")],
        ),
        ("property", {"id": "h1"}, []),
        ("tenancy_visit", {"id": "v9", "property_id": "h2"}, [("property", "h2")]),
        ("asb_case", {"id": "c1"}, []),
        ("asb_report", {"id": "r1"}, []),
    ],
)
def test_dependents(entity: str, record: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert dependents(entity, record, world()) == expected


@pytest.mark.parametrize(
    ("last_atv_on", "visits", "due"),
    [
        ("2025-06-10", [], "2026-06-10"),
        # A visit recorded since the import moves the next one on a year (London date).
        ("2025-06-10", ["2026-06-09T23:30:00Z"], "2027-06-10"),
        # An older visit does not pull the due date back.
        ("2025-06-10", ["2024-01-05T10:00:00Z"], "2026-06-10"),
        (None, ["2026-02-01T10:00:00Z", "2025-12-01T10:00:00Z"], "2027-02-01"),
        (None, [], None),
    ],
)
def test_atv_due_counts_visits_recorded_since(
    last_atv_on: str | None, visits: list[str], due: str | None
) -> None:
    world = MemoryLookup(
        {
            "tenancy_visit": [
                {"id": f"v{i}", "property_id": "h1", "visited_at": t} for i, t in enumerate(visits)
            ]
        }
    )
    home = {"id": "h1", "last_atv_on": last_atv_on}
    assert derive("property", home, world, P, NOW) == {"atv_due_on": due}
