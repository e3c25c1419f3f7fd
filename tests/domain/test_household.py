"""Bedroom standard and size criteria: optimal pairing (where greedy goes wrong), ages on
the visit date, couples, who is counted, results and reductions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fieldapp.domain.household import (
    Occupant,
    assess_household,
    bedroom_standard,
    bedroom_standard_result,
    couples,
    occupants_on,
    size_criteria,
    size_criteria_reduction_pct,
)
from fieldapp.domain.policy import Policy
from tests.domain.helpers import born

P = Policy()
VISIT = date(2026, 6, 10)


def people(spec: str) -> list[Occupant]:
    """``"F12 F8 M6 C40 C38"``: sex and age; C = a couple member (paired in order)."""
    out: list[Occupant] = []
    couple_ids: list[str] = []
    for i, token in enumerate(spec.split()):
        sex, age = token[0], token[1:]
        pid = f"p{i}"
        partner = None
        if sex == "C":
            couple_ids.append(pid)
            if len(couple_ids) % 2 == 0:
                partner = couple_ids[-2]
            sex = "M" if len(couple_ids) % 2 else "F"
        out.append(Occupant(pid, None if age == "?" else int(age), sex, partner))
    return out


@pytest.mark.parametrize(
    ("spec", "rooms"),
    [
        ("M30", 1),
        ("C30 C29", 1),
        ("C30 C29 F21", 2),  # 21+ has a room
        ("C30 C29 F20 F19", 2),  # two same-sex 10-20s share
        ("C30 C29 F20 M19", 3),  # opposite-sex 10-20s do not
        ("F9 M9", 1),  # two under 10 share whatever their sex
        ("F9 M10", 2),  # 10 is an adolescent: same sex only
        ("F9 F10", 1),  # unpaired 10-20 with a same-sex child under 10
        ("F9 M8 F7", 2),
        ("F12 F8 M6", 2),  # 12 with the girl of 8, the boy of 6 alone (or 8+6, 12 alone)
        ("F12 M12 F8 M6", 2),  # greedy (under-10s first) needs 3
        ("F15 M15", 2),
        ("M20 M10", 1),
        ("M21 M20", 2),
        ("F?", 1),  # unknown date of birth: adult
        ("F? F9", 2),  # unknown DOB cannot share as a child
        ("X12 X13", 2),  # no known common sex
        ("X5 M6", 1),  # under 10: sex does not matter
        ("M14 M3 F13 F2 M1", 3),
        ("C40 C38 C70 C69 M17 M12 F15 F11 F8 M5 M3", 6),
    ],
)
def test_bedroom_standard(spec: str, rooms: int) -> None:
    need = bedroom_standard(people(spec), policy=P)
    assert need.bedrooms == rooms
    assert sorted(pid for room in need.rooms for pid in room) == sorted(
        o.id for o in people(spec)
    )  # everyone has exactly one room
    assert all(len(room) <= 2 for room in need.rooms)


@pytest.mark.parametrize(
    ("spec", "carer", "rooms"),
    [
        ("M30", False, 1),
        ("C30 C29", False, 1),
        ("C30 C29", True, 2),  # non-resident overnight carer
        ("C30 C29 M16 M15", False, 3),  # 16+ has a room
        ("C30 C29 M15 M14", False, 2),  # same sex under 16 share
        ("C30 C29 F15 M14", False, 3),
        ("F9 M9", False, 1),  # under 10 share whatever their sex
        ("F10 M9", False, 2),
        ("F14 F8 M6 M14", False, 2),  # greedy (under-10s first) needs 3
        ("F12 F8 M6", False, 2),
        ("F15 F9 M9 M3", False, 2),
        ("M17 M18 M19", False, 3),
        ("F?", False, 1),
        ("X12 X13", False, 2),
        ("X8 M9", False, 1),
        ("C40 C38 M15 M12 F13 F9 M8 M2", False, 4),
    ],
)
def test_size_criteria(spec: str, carer: bool, rooms: int) -> None:
    need = size_criteria(people(spec), overnight_carer=carer, policy=P)
    assert need.bedrooms == rooms


def test_size_criteria_disabled_child_who_cannot_share() -> None:
    kids = [Occupant("a", 8, "F"), Occupant("b", 6, "F")]
    assert size_criteria(kids, policy=P).bedrooms == 1
    kids[0] = Occupant("a", 8, "F", cannot_share=True)
    need = size_criteria(kids, policy=P)
    assert need.bedrooms == 2 and "cannot share" in need.reason


def test_unknown_birth_date_is_said() -> None:
    need = bedroom_standard(people("F? M30"), policy=P)
    assert "treated as adult" in need.reason


@pytest.mark.parametrize(
    ("needed", "bedrooms", "result"),
    [
        (3, 2, "overcrowded"),
        (3, 3, "at_standard"),
        (3, 4, "one_above"),
        (3, 5, "under_occupied"),
        (1, 4, "under_occupied"),
    ],
)
def test_bedroom_standard_result(needed: int, bedrooms: int, result: str) -> None:
    assert bedroom_standard_result(needed, bedrooms) == result


@pytest.mark.parametrize(("spare", "pct"), [(-1, 0), (0, 0), (1, 14), (2, 25), (3, 25)])
def test_reduction(spare: int, pct: int) -> None:
    assert size_criteria_reduction_pct(spare, policy=P) == pct


def rec(pid: str, **kw: Any) -> dict[str, Any]:
    return {"id": pid, "property_id": "h", "name": pid, **kw}


@pytest.mark.parametrize(
    ("extra", "counted"),
    [
        ({}, True),
        ({"status": "member"}, True),
        ({"status": "unverified_occupant"}, False),
        ({"moved_out_on": "2026-06-09"}, False),
        ({"moved_out_on": "2026-06-10"}, False),  # moved out on the visit day: gone
        ({"moved_out_on": "2026-06-11"}, True),  # moving out later: still lives there
        ({"died_on": "2026-06-01"}, False),
        ({"died_on": "2026-06-10"}, False),
        ({"moved_in_on": "2026-06-10"}, True),
        ({"moved_in_on": "2026-06-11"}, False),
        ({"date_of_birth": "2026-06-11"}, False),  # not born yet
        ({"date_of_birth": "2026-06-10"}, True),  # born on the visit day
        ({"date_of_birth": "not a date"}, True),  # unreadable: unknown, adult
    ],
)
def test_who_is_counted(extra: dict[str, Any], counted: bool) -> None:
    found, _ = occupants_on([rec("a", **extra)], VISIT)
    assert (len(found) == 1) is counted


@pytest.mark.parametrize(
    ("age_days", "bs_rooms", "sc_rooms"),
    [
        # (years, days after the birthday) of the older child with a brother of 5
        ((9, 364), 1, 1),
        ((10, 0), 1, 1),  # tenth birthday on the visit day: 10-20 now, still same sex
        ((15, 364), 1, 1),
        ((16, 0), 1, 2),  # 16 on the visit day: own room under the size criteria
        ((20, 364), 1, 2),
        ((21, 0), 2, 2),  # 21 on the visit day: own room under the bedroom standard
    ],
)
def test_ages_on_the_visit_date(age_days: tuple[int, int], bs_rooms: int, sc_rooms: int) -> None:
    years, days = age_days
    persons = [
        rec("older", sex="M", date_of_birth=born(years, VISIT, days_after_birthday=days)),
        rec("young", sex="M", date_of_birth=born(5, VISIT)),
    ]
    found, _ = occupants_on(persons, VISIT)
    assert bedroom_standard(found, policy=P).bedrooms == bs_rooms
    assert size_criteria(found, policy=P).bedrooms == sc_rooms


@pytest.mark.parametrize(
    ("links", "pairs"),
    [
        ({"a": "b"}, [("a", "b")]),  # one side
        ({"b": "a"}, [("a", "b")]),  # the other side
        ({"a": "b", "b": "a"}, [("a", "b")]),
        ({"a": "zz"}, []),  # partner not counted here
        ({"a": "a"}, []),
        ({"a": "b", "b": "c", "c": "b"}, [("b", "c")]),  # mutual wins
    ],
)
def test_couples(links: dict[str, str], pairs: list[tuple[str, str]]) -> None:
    occupants = [Occupant(pid, 30, "F", links.get(pid)) for pid in "abc"]
    assert couples(occupants) == pairs


def test_assess_household_from_records() -> None:
    persons = [
        rec("lead", sex="F", date_of_birth="1985-01-01", relationship="lead_tenant"),
        rec("partner", sex="M", date_of_birth="1984-01-01", partner_id="lead"),
        rec("g12", sex="F", date_of_birth=born(12, VISIT)),
        rec("g8", sex="F", date_of_birth=born(8, VISIT)),
        rec("b6", sex="M", date_of_birth=born(6, VISIT)),
        rec("lodger", sex="M", date_of_birth="1990-01-01", status="unverified_occupant"),
        rec("gran", sex="F", date_of_birth="1940-01-01", died_on="2026-01-05"),
    ]
    result = assess_household(persons, visit_date=VISIT, bedrooms=2, policy=P)
    assert result.bedrooms_needed == 3
    assert result.bedroom_standard == "overcrowded"
    assert result.size_criteria_needed == 3
    assert result.size_criteria_spare == 0 and result.size_criteria_reduction_pct == 0
    assert "unverified" in result.reason

    roomy = assess_household(persons, visit_date=VISIT, bedrooms=5, policy=P)
    assert roomy.bedroom_standard == "under_occupied"
    assert roomy.size_criteria_spare == 2 and roomy.size_criteria_reduction_pct == 25

    carer = assess_household(persons, visit_date=VISIT, bedrooms=5, overnight_carer=True, policy=P)
    assert carer.size_criteria_spare == 1 and carer.size_criteria_reduction_pct == 14
    assert carer.bedrooms_needed == 3  # the carer is not in the bedroom standard


def test_assess_household_nobody_or_unknown_bedrooms() -> None:
    empty = assess_household([], visit_date=VISIT, bedrooms=2, policy=P)
    assert empty.bedrooms_needed is None and empty.bedroom_standard is None
    unknown = assess_household([rec("a")], visit_date=VISIT, bedrooms=None, policy=P)
    assert unknown.bedrooms_needed == 1 and unknown.bedroom_standard is None
    assert unknown.size_criteria_spare is None and unknown.size_criteria_reduction_pct is None
