"""Open work and Awaab's Law stages (``fieldapp.domain.work``) and "ATV due"
(``fieldapp.domain.atv``) as tables: the one definition My patch and the overview share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fieldapp.domain.atv import home_atv_due_by, home_atv_due_on
from fieldapp.domain.policy import Policy
from fieldapp.domain.work import case_open, next_awaab_stage, repair_next_due, repair_open
from fieldapp.ids import to_wire

P = Policy()
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 6, 11, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 16, 22, 59, 59, tzinfo=UTC)
T3 = datetime(2026, 6, 18, 22, 59, 59, tzinfo=UTC)
T4 = datetime(2026, 9, 1, 22, 59, 59, tzinfo=UTC)


def _w(moment: datetime) -> str:
    return to_wire(moment)


@pytest.mark.parametrize(
    ("status", "case", "repair"),
    [
        ("open", True, True),
        (None, True, True),
        ("action_plan", True, True),
        ("advice_given", False, True),
        ("closed", False, True),
        ("investigating", True, True),
        ("completed", True, False),
        ("cancelled", True, False),
    ],
)
def test_open(status: str | None, case: bool, repair: bool) -> None:
    record = {"status": status}
    assert (case_open(record), repair_open(record)) == (case, repair)


@pytest.mark.parametrize(
    ("repair", "expected"),
    [
        (
            {"status": "open", "investigate_by": _w(T1), "make_safe_by": _w(T1)},
            ("Investigate, make safe", T1),
        ),  # emergency: both within 24 h
        ({"status": "open", "investigate_by": _w(T1)}, ("Investigate", T1)),
        (
            {
                "status": "investigating",
                "investigate_by": _w(NOW - timedelta(days=2)),
                "investigation_concluded_at": _w(NOW - timedelta(days=1)),
                "summary_by": _w(T2),
                "make_safe_by": _w(T3),
                "preventative_start_by": _w(T4),
            },
            ("Written summary", T2),
        ),  # investigation over: the summary is next
        (
            {"status": "investigating", "investigate_by": _w(T1), "summary_by": None},
            ("Investigate", T1),
        ),  # still investigating, not concluded
        (
            {
                "status": "made_safe",
                "investigate_by": _w(T1),
                "summary_by": _w(T2),
                "make_safe_by": _w(T3),
                "preventative_start_by": _w(T4),
            },
            ("Start preventative work", T4),
        ),
        ({"status": "made_safe", "investigate_by": _w(T1), "make_safe_by": _w(T1)}, None),
        ({"status": "open", "investigate_by": None}, None),  # before Awaab's Law
    ],
)
def test_next_awaab_stage(repair: dict[str, Any], expected: tuple[str, datetime] | None) -> None:
    assert next_awaab_stage(repair) == expected


@pytest.mark.parametrize(
    ("repair", "expected"),
    [
        # A routine repair with an emergency hazard: making safe (24 h) comes first.
        (
            {"status": "open", "due_at": _w(T4), "make_safe_by": _w(T1), "investigate_by": _w(T1)},
            ("Investigate, make safe", T1),
        ),
        ({"status": "open", "due_at": _w(T1), "investigate_by": _w(T2)}, ("Response", T1)),
        ({"status": "open", "due_at": _w(T2)}, ("Response", T2)),  # no Awaab's Law stage
        ({"status": "open", "investigate_by": _w(T3)}, ("Investigate", T3)),
        ({"status": "open"}, None),
    ],
)
def test_repair_next_due(repair: dict[str, Any], expected: tuple[str, datetime] | None) -> None:
    assert repair_next_due(repair) == expected


@pytest.mark.parametrize(
    ("home", "due_on", "due_by_today"),
    [
        ({"tenancy_ref": "T", "last_atv_on": "2025-06-10"}, date(2026, 6, 10), True),
        ({"tenancy_ref": "T", "last_atv_on": "2025-06-11"}, date(2026, 6, 11), False),
        ({"tenancy_ref": "T", "last_atv_on": "2024-02-29"}, date(2025, 2, 28), True),
        # The derived date counts visits recorded since import; it wins over the import.
        (
            {"tenancy_ref": "T", "last_atv_on": "2020-01-01", "atv_due_on": "2026-07-01"},
            date(2026, 7, 1),
            False,
        ),
        ({"tenancy_ref": "T"}, None, True),  # never visited: due now
        ({"tenancy_ref": "T", "last_atv_on": "junk"}, None, True),
        ({"last_atv_on": None}, None, False),  # void: no tenancy to visit
    ],
)
def test_atv_due(home: dict[str, Any], due_on: date | None, due_by_today: bool) -> None:
    assert home_atv_due_on(home, policy=P) == due_on
    assert home_atv_due_by(home, date(2026, 6, 10), policy=P) is due_by_today


def test_atv_interval_is_policy() -> None:
    six = Policy(atv_interval_months=6)
    home = {"tenancy_ref": "T", "last_atv_on": "2026-01-01"}
    assert home_atv_due_on(home, policy=six) == date(2026, 7, 1)
    assert home_atv_due_by(home, date(2026, 6, 10), policy=six) is False
