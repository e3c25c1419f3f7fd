"""Walkabout score and result, observation actions, nearest property, ATV due dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from fieldapp.domain.atv import atv_due_on, atv_overdue
from fieldapp.domain.geo import by_distance, haversine_m, nearest, nearest_block
from fieldapp.domain.policy import Deadline, Policy
from fieldapp.domain.walkabout import (
    observation_action,
    score_pct,
    walkabout_actions,
    walkabout_result,
)
from tests.domain.helpers import utc

P = Policy()
OFFENSIVE = {"kind": "graffiti", "offensive": True}


@pytest.mark.parametrize(
    ("grades", "score", "result"),
    [
        ({"litter": "good"}, 100.0, "pass"),
        ({"litter": "very_poor"}, 0.0, "fail"),
        ({"litter": "good", "graffiti": "very_poor"}, 50.0, "pass"),  # exactly the pass mark
        (
            {"litter": "good", "graffiti": "very_poor", "signage": "poor", "grounds": "very_poor"},
            100 * 4 / 12,
            "fail",
        ),  # just below
        ({"litter": "satisfactory", "graffiti": "poor"}, 50.0, "pass"),
        ({"litter": "good", "graffiti": "good", "lighting": "poor"}, 100 * 7 / 9, "pass"),
        # ungraded items count in neither the sum nor the maximum
        ({"litter": "good", "graffiti": None, "signage": "unknown", "sofa": "good"}, 100.0, "pass"),
        ({}, None, None),
        (None, None, None),
        ({"litter": None}, None, None),
    ],
)
def test_score_and_result(
    grades: dict[str, Any] | None, score: float | None, result: str | None
) -> None:
    r = walkabout_result(grades, [], policy=P)
    assert r.score_pct == (None if score is None else pytest.approx(score))
    assert r.result == result
    assert r.reason


@pytest.mark.parametrize(
    ("observations", "result"),
    [
        ([OFFENSIVE], "fail"),  # whatever the score
        ([{"kind": "graffiti", "offensive": False}], "pass"),
        ([{"kind": "graffiti"}], "pass"),
        ([{"kind": "vandalism", "offensive": True}], "pass"),  # only graffiti
        ([{"kind": "litter"}, OFFENSIVE], "fail"),
    ],
)
def test_offensive_graffiti_fails(observations: list[dict[str, Any]], result: str) -> None:
    all_good = {item: "good" for item in P.graded_items}
    r = walkabout_result(all_good, observations, policy=P)
    assert r.score_pct == 100.0 and r.result == result


def test_offensive_graffiti_without_grades() -> None:
    r = walkabout_result(None, [OFFENSIVE], policy=P)
    assert r.score_pct is None and r.result == "fail" and "offensive" in r.reason


def test_pass_mark_is_policy() -> None:
    strict = replace(P, pass_mark_pct=60.0)
    assert (
        walkabout_result({"litter": "good", "graffiti": "very_poor"}, policy=strict).result
        == "fail"
    )


def test_score_bounds_every_grade_combination() -> None:
    for grade in P.grade_points:
        for other in P.grade_points:
            s = score_pct({"litter": grade, "grounds": other}, policy=P)
            assert s is not None and 0.0 <= s <= 100.0


@pytest.mark.parametrize(
    ("kind", "offensive", "logged", "due"),
    [
        ("graffiti", True, "2026-03-28T12:00", "2026-03-29T12:00"),  # 24 elapsed hours
        ("graffiti", False, "2026-03-28T12:00", None),
        ("fly_tipping", False, "2026-04-02T10:00", "2026-04-13T22:59:59"),  # 5 working days
        ("fly_tipping", True, "2026-04-02T10:00", "2026-04-13T22:59:59"),
        ("litter", False, "2026-04-02T10:00", None),
        ("vandalism", True, "2026-04-02T10:00", None),
        (None, False, "2026-04-02T10:00", None),
    ],
)
def test_observation_action_due(
    kind: str | None, offensive: bool, logged: str, due: str | None
) -> None:
    action = observation_action(kind, offensive, utc(logged), policy=P)
    assert (None if action is None else action.due_at) == (None if due is None else utc(due))


def test_observation_targets_are_policy() -> None:
    policy = replace(P, observation_targets={"litter": Deadline(2, "working_days")})
    action = observation_action("litter", False, utc("2026-06-01T10:00"), policy=policy)
    assert action is not None and action.due_at == utc("2026-06-03T22:59:59")
    assert observation_action("fly_tipping", False, utc("2026-06-01T10:00"), policy=policy) is None


def test_fire_safety_not_met_raises_an_action() -> None:
    actions = walkabout_actions(
        fire_safety_met=False,
        started_at=utc("2026-06-01T10:00"),
        observations=[
            {"kind": "fly_tipping", "logged_at": "2026-06-01T10:30:00Z"},
            {"kind": "litter"},
        ],
        policy=P,
    )
    assert [a.kind for a in actions] == ["fire_safety", "fly_tipping"]
    assert actions[0].due_at is None
    met = walkabout_actions(fire_safety_met=True, started_at=None, observations=[], policy=P)
    assert met == []


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((53.0, -2.0), (54.0, -2.0), 111_195.08),  # one degree of latitude
        ((51.5007, -0.1246), (48.8584, 2.2945), 340_900),  # Big Ben - Eiffel Tower
        ((53.0, -2.0), (53.0, -2.0), 0.0),
    ],
)
def test_haversine(a: tuple[float, float], b: tuple[float, float], metres: float) -> None:
    assert haversine_m(*a, *b) == pytest.approx(metres, rel=2e-3, abs=0.01)


def test_nearest_property_and_block() -> None:
    homes: list[dict[str, Any]] = [
        {"id": "h1", "lat": 53.0010, "lon": -2.0, "block": "Ash House"},
        {"id": "h2", "lat": 53.0002, "lon": -2.0, "block": None},  # a house
        {"id": "h3", "lat": None, "lon": None, "block": "Elm House"},  # no position
        {"id": "h4", "lat": 53.0030, "lon": -2.0, "block": "Oak House"},
    ]
    assert nearest(53.0, -2.0, homes) == homes[1]
    assert nearest_block(53.0, -2.0, homes) == "Ash House"
    assert [c["id"] for _, c in by_distance(53.0, -2.0, homes)] == ["h2", "h1", "h4"]
    assert nearest(53.0, -2.0, []) is None and nearest_block(53.0, -2.0, homes[2:3]) is None


def test_nearest_within_a_reach() -> None:
    homes: list[dict[str, Any]] = [
        {"id": "h1", "lat": 53.0010, "lon": -2.0, "block": "Ash House"},  # 111 m
        {"id": "h2", "lat": 53.0008, "lon": -2.0, "block": None},  # 89 m
    ]
    assert nearest(53.0, -2.0, homes, within=100) == homes[1]
    assert nearest(53.0, -2.0, homes, within=80) is None
    assert nearest_block(53.0, -2.0, homes, within=100) is None  # its block is 111 m off
    assert nearest_block(53.0, -2.0, homes, within=120) == "Ash House"


def test_nearest_tie_goes_to_lower_id() -> None:
    twins = [{"id": "b", "lat": 53.001, "lon": -2.0}, {"id": "a", "lat": 52.999, "lon": -2.0}]
    assert nearest(53.0, -2.0, twins) == twins[1]


@pytest.mark.parametrize(
    ("last", "due"),
    [
        ("2025-06-10", "2026-06-10"),
        ("2024-02-29", "2025-02-28"),
        ("2025-12-31", "2026-12-31"),
        (None, None),
    ],
)
def test_atv_due(last: str | None, due: str | None) -> None:
    got = atv_due_on(None if last is None else date.fromisoformat(last), policy=P)
    assert got == (None if due is None else date.fromisoformat(due))


@pytest.mark.parametrize(
    ("today", "overdue"), [("2026-06-09", False), ("2026-06-10", True), ("2026-06-11", True)]
)
def test_atv_overdue(today: str, overdue: bool) -> None:
    assert atv_overdue(date(2025, 6, 10), date.fromisoformat(today), policy=P) is overdue
    assert atv_overdue(None, date.fromisoformat(today), policy=P)
