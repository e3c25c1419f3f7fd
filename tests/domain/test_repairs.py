"""Repair due times by priority, and Awaab's Law (start date, emergency hazards except
crowding and space, phase 1 significant hazard damp and mould)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fieldapp.domain.policy import Policy
from fieldapp.domain.repairs import repair_deadlines
from tests.domain.helpers import utc

P = Policy()


@pytest.mark.parametrize(
    ("priority", "reported", "due"),
    [
        ("emergency", "2026-03-28T12:00", "2026-03-29T12:00"),  # 24 elapsed h over the change
        ("urgent", "2026-04-01T10:00", "2026-04-10T22:59:59"),  # Easter
        ("routine", "2026-12-01T10:00", "2026-12-31T23:59:59"),
        ("planned", "2026-03-02T10:00", "2026-07-10T22:59:59"),
        (None, "2026-03-02T10:00", None),
        ("whenever", "2026-03-02T10:00", None),
    ],
)
def test_priority_due_times(priority: str | None, reported: str, due: str | None) -> None:
    r = repair_deadlines(priority=priority, reported_at=utc(reported), policy=P)
    assert r.due_at == (None if due is None else utc(due))
    assert r.investigate_by is None and r.make_safe_by is None
    assert r.reason


@pytest.mark.parametrize(
    ("reported", "applies"),
    [
        # 26 Oct 2025 is also the autumn clock change: 23:30 UTC is still the 26th (GMT)
        ("2025-10-26T23:30", False),
        ("2025-10-26T10:00", False),
        ("2025-10-27T00:00", True),
        ("2025-10-27T09:00", True),
    ],
)
def test_awaab_start_date(reported: str, applies: bool) -> None:
    r = repair_deadlines(
        priority="emergency", reported_at=utc(reported), hazard="fire", awaab="emergency", policy=P
    )
    assert (r.make_safe_by is not None) is applies
    if not applies:
        assert "not applicable" in r.reason


@pytest.mark.parametrize(
    ("hazard", "applies"),
    [
        ("fire", True),
        ("damp_and_mould", True),
        ("electrical", True),
        ("crowding_and_space", False),  # excluded from emergency hazards
        (None, True),  # class recorded without a hazard: the class stands
    ],
)
def test_awaab_emergency_24_hours(hazard: str | None, applies: bool) -> None:
    r = repair_deadlines(
        priority="emergency",
        reported_at=utc("2026-03-28T12:00"),
        hazard=hazard,
        awaab="emergency",
        policy=P,
    )
    expected = utc("2026-03-29T12:00") if applies else None
    assert r.investigate_by == expected and r.make_safe_by == expected
    assert r.summary_by is None and r.preventative_start_by is None
    assert r.due_at == utc("2026-03-29T12:00")


def test_awaab_significant_damp_and_mould() -> None:
    r = repair_deadlines(
        priority="routine",
        reported_at=utc("2026-04-01T10:00"),
        hazard="damp_and_mould",
        awaab="significant",
        policy=P,
    )
    # 10 working days from Wed 1 April 2026, across Good Friday and Easter Monday
    assert r.investigate_by == utc("2026-04-17T22:59:59")
    assert r.summary_by is None and r.make_safe_by is None and r.preventative_start_by is None
    assert "conclusion" in r.reason

    done = repair_deadlines(
        priority="routine",
        reported_at=utc("2026-04-01T10:00"),
        hazard="damp_and_mould",
        awaab="significant",
        investigation_concluded_at=utc("2026-05-21T15:00"),  # Thu; Mon 25 May is a BH
        policy=P,
    )
    assert done.investigate_by == utc("2026-04-17T22:59:59")
    assert done.summary_by == utc("2026-05-27T22:59:59")  # 3 working days
    assert done.make_safe_by == utc("2026-05-29T22:59:59")  # 5 working days
    assert done.preventative_start_by == utc("2026-08-13T22:59:59")  # 12 weeks


@pytest.mark.parametrize("hazard", ["excess_cold", "crowding_and_space", "fire"])
def test_significant_class_only_for_phase_hazards(hazard: str) -> None:
    r = repair_deadlines(
        priority="routine",
        reported_at=utc("2026-04-01T10:00"),
        hazard=hazard,
        awaab="significant",
        policy=P,
    )
    assert r.investigate_by is None and "not yet a significant hazard" in r.reason
    widened = replace(P, awaab_significant_hazards=frozenset({"damp_and_mould", hazard}))
    r2 = repair_deadlines(
        priority="routine",
        reported_at=utc("2026-04-01T10:00"),
        hazard=hazard,
        awaab="significant",
        policy=widened,
    )
    assert r2.investigate_by == utc("2026-04-17T22:59:59")


@pytest.mark.parametrize("awaab", [None, "none"])
def test_no_awaab_class_no_awaab_deadlines(awaab: str | None) -> None:
    r = repair_deadlines(
        priority="urgent",
        reported_at=utc("2026-04-01T10:00"),
        hazard="damp_and_mould",
        awaab=awaab,
        policy=P,
    )
    assert (r.investigate_by, r.summary_by, r.make_safe_by, r.preventative_start_by) == (
        None,
        None,
        None,
        None,
    )


def test_missing_report_time() -> None:
    r = repair_deadlines(priority="emergency", reported_at=None, awaab="emergency", policy=P)
    assert r.due_at is None and r.make_safe_by is None and r.reason
