"""My patch today: SLA clock labels and urgency, ATVs due, distance order, labels (no Flet)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fieldapp.ids import to_wire
from fieldapp.views.logic_patch import (
    DUE_SOON,
    Places,
    atv_label,
    atvs_due,
    by_distance,
    by_id,
    case_title,
    distance_label,
    due_label,
    local_time,
    matches_line,
    open_cases,
    open_repairs,
    place_label,
    property_label,
    urgency,
)

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "label"),
    [
        (timedelta(hours=3), "due in 3 h"),
        (timedelta(minutes=45), "due in 45 min"),
        (timedelta(seconds=20), "due in 1 min"),
        (timedelta(hours=47, minutes=59), "due in 47 h"),
        (timedelta(hours=48), "due in 2 days"),
        (timedelta(days=5, hours=2), "due in 5 days"),
        (-timedelta(minutes=5), "overdue by 5 min"),
        (-timedelta(days=2), "overdue by 2 days"),
        (-timedelta(hours=30), "overdue by 30 h"),
    ],
)
def test_due_label(offset: timedelta, label: str) -> None:
    assert due_label(to_wire(NOW + offset), NOW) == label


@pytest.mark.parametrize("value", [None, "", "not a time", "2026-06-10T12:00:00"])
def test_due_label_without_a_clock(value: object) -> None:
    assert due_label(value, NOW) == "no response clock"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-timedelta(seconds=1), "overdue"),
        (timedelta(0), "due_soon"),
        (DUE_SOON, "due_soon"),
        (DUE_SOON + timedelta(seconds=1), "later"),
    ],
)
def test_urgency_boundaries(offset: timedelta, expected: str) -> None:
    assert urgency(to_wire(NOW + offset), NOW) == expected


def test_urgency_none_without_clock() -> None:
    assert urgency(None, NOW) == "none"


def test_local_time_is_london_wall_clock() -> None:
    # 12:00 UTC in June is 13:00 British Summer Time.
    assert local_time("2026-06-10T12:00:00Z") == "Wed 10 Jun 13:00"
    assert local_time("2026-12-10T12:00:00Z") == "Thu 10 Dec 12:00"
    assert local_time(None) == ""


def test_open_cases_drop_closed_and_sort_by_clock() -> None:
    cases = [
        {"id": "a", "status": "open", "due_at": None},
        {"id": "b", "status": "closed", "due_at": "2026-06-01T00:00:00Z"},
        {"id": "c", "status": "action_plan", "due_at": "2026-06-12T00:00:00Z"},
        {"id": "d", "status": "open", "due_at": "2026-06-09T00:00:00Z"},
        {"id": "e", "status": "advice_given", "due_at": "2026-06-09T00:00:00Z"},
    ]
    assert [c["id"] for c in open_cases(cases)] == ["d", "c", "a"]


def test_open_repairs_drop_finished() -> None:
    repairs = [
        {"id": "a", "status": "completed", "due_at": "2026-06-01T00:00:00Z"},
        {"id": "b", "status": "open", "due_at": "2026-06-11T00:00:00Z"},
        {"id": "c", "status": "cancelled"},
        {"id": "d", "status": "investigating", "due_at": "2026-06-10T00:00:00Z"},
    ]
    assert [r["id"] for r in open_repairs(repairs)] == ["d", "b"]


def test_atvs_due_within_lookahead_never_visited_first() -> None:
    props = [
        {"id": "overdue", "last_atv_on": "2025-01-01"},
        {"id": "edge", "last_atv_on": "2025-07-10"},  # due 2026-07-10 = today + 30 days
        {"id": "past_edge", "last_atv_on": "2025-07-11"},
        {"id": "never", "last_atv_on": None},  # due now: the Overview counts it overdue too
        {"id": "derived", "last_atv_on": "2025-01-01", "atv_due_on": "2027-01-01"},  # visited
    ]
    tenanted = [dict(p, tenancy_ref=f"T-{p['id']}") for p in props]
    due = atvs_due([*tenanted, {"id": "void", "last_atv_on": None}], NOW)
    assert [(p["id"], day) for p, day in due] == [
        ("never", None),
        ("overdue", date(2026, 1, 1)),
        ("edge", date(2026, 7, 10)),
    ]


def test_atv_label() -> None:
    assert atv_label(date(2026, 3, 3), NOW) == "ATV overdue since 3 Mar 2026"
    assert atv_label(date(2026, 6, 10), NOW) == "ATV due 10 Jun 2026"
    assert atv_label(None, NOW) == "ATV overdue: never visited"


def test_by_distance_nearest_first_unknowns_last() -> None:
    here = (53.3300, -2.6900)
    props = [
        {"id": "far", "address": "A", "lat": 53.3400, "lon": -2.6900},  # ~1.1 km north
        {"id": "none", "address": "B", "lat": None, "lon": None},
        {"id": "near", "address": "C", "lat": 53.3305, "lon": -2.6900},  # ~56 m
    ]
    rows = by_distance(props, here)
    assert [r.record["id"] for r in rows] == ["near", "far", "none"]
    assert rows[0].metres is not None and 50 < rows[0].metres < 60
    assert rows[2].metres is None


def test_by_distance_without_position_sorts_by_address() -> None:
    props = [
        {"id": "2", "address": "Beta", "lat": 1.0, "lon": 1.0},
        {"id": "1", "address": "Alpha"},
    ]
    assert [r.record["id"] for r in by_distance(props, None)] == ["1", "2"]


@pytest.mark.parametrize(
    ("metres", "label"),
    [
        (None, ""),
        (0.0, "0 m"),
        (84.0, "80 m"),
        (999.0, "1000 m"),
        (1000.0, "1.0 km"),
        (1449.0, "1.4 km"),
    ],
)
def test_distance_label(metres: float | None, label: str) -> None:
    assert distance_label(metres) == label


def test_labels() -> None:
    assert (
        property_label({"address": "12 Ash Court", "postcode": "WA7 1AB"})
        == "12 Ash Court, WA7 1AB"
    )
    assert property_label({"address": "12 Ash Court, WA7 1AB", "postcode": "WA7 1AB"}) == (
        "12 Ash Court, WA7 1AB"
    )
    assert property_label(None) == "Unknown address"
    assert case_title({"ref": "ASB-1", "category": "noise"}) == "ASB-1 · noise"
    assert (
        case_title({"id": "0190-abcdef", "category": None})
        == "ASB case, reference not yet sent · uncategorised"
    )
    issued = {"ref": "OLD-1", "reference": "ASB-2026-0007", "category": "noise"}
    assert case_title(issued) == "ASB-2026-0007 · noise"  # the server's reference wins


@pytest.mark.parametrize(
    ("text", "found", "line"),
    [
        (" WA7 2AB ", 0, "Nothing matches “WA7 2AB” on this tablet."),
        ("100023", 1, "1 match for “100023”"),
        ("Ash", 12, "12 matches for “Ash”"),
    ],
)
def test_matches_line_says_what_the_search_found(text: str, found: int, line: str) -> None:
    assert matches_line(text, found) == line


def test_a_full_list_says_there_may_be_more() -> None:
    said = matches_line("Runcorn", 30, more=True)
    assert said == "The first 30 matches for “Runcorn”: type more to narrow the search"


OAK = {"id": "h1", "address": "1 Oak House", "postcode": "WA7 1AA", "lat": 53.34, "lon": -2.69}
ELM = {"id": "h2", "address": "9 Elm Court", "postcode": "WA8 2BB", "lat": 53.38, "lon": -2.78}


@pytest.mark.parametrize(
    ("record", "homes", "label"),
    [
        ({"property_id": "h2", "lat": 53.34, "lon": -2.69}, [OAK, ELM], "9 Elm Court, WA8 2BB"),
        # A home named but not on this tablet: said so, not placed elsewhere.
        ({"property_id": "gone"}, [OAK, ELM], "Unknown address"),
        # A walkabout spot with no home: the nearest home on the tablet, and how far.
        (
            {"lat": 53.3402, "lon": -2.69},
            [ELM, OAK],
            "Walkabout spot 20 m from 1 Oak House, WA7 1AA",
        ),
        ({"lat": 53.3402, "lon": -2.69}, [], "Walkabout spot at 53.34020, -2.69000"),
        ({"property_id": None}, [OAK], "No address recorded"),
    ],
)
def test_place_label(record: dict[str, Any], homes: list[dict[str, Any]], label: str) -> None:
    assert place_label(record, by_id(homes)) == label


def test_a_spot_finding_is_placed_as_its_observation_was() -> None:
    """The walkabout placed its observation by the nearest home on the walkabout's estate;
    a repair or case raised from it at the spot says the same place, not the nearest home
    of another estate (the walk found "350 m from Beechwood Court" under an observation
    that read "near 1 Leaside Way")."""
    spot = {"lat": 53.3402, "lon": -2.69}  # 20 m from Oak House; Elm Court is far off
    seen = {"id": "o1", **spot, "nearest_property_id": "h2", "raised_id": "c1"}
    places = Places([OAK, ELM], [seen])
    repair = {"id": "r1", "observation_id": "o1", **spot}
    case = {"id": "c1", **spot}  # a case names no observation: the observation names it
    far = "Walkabout spot 7.4 km from 9 Elm Court, WA8 2BB"
    assert places.label(repair) == far and places.label(case) == far
    # Not raised from an observation on this tablet: the nearest home.
    assert places.label({"id": "r2", **spot}) == "Walkabout spot 20 m from 1 Oak House, WA7 1AA"
    # At a home: the home, whatever the observation said.
    assert places.label({**repair, "property_id": "h1"}) == "1 Oak House, WA7 1AA"
