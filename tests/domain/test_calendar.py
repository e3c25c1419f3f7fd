"""Working days and due times: bank holidays of England, substitute and one-off days, clock
changes, the local day of receipt."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.domain.calendar import (
    add_days,
    add_hours,
    add_months,
    add_working_days,
    bank_holiday_name,
    due_after,
    is_working_day,
    local_date,
    nth_working_day_after,
)
from fieldapp.domain.policy import Deadline, Policy
from tests.domain.helpers import utc

P = Policy()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-04-02", True),  # Thursday before Easter
        ("2026-04-03", False),  # Good Friday
        ("2026-04-06", False),  # Easter Monday (missing from plain holidays.UK())
        ("2026-04-07", True),
        ("2026-05-04", False),  # Early May bank holiday
        ("2026-05-25", False),  # Spring bank holiday
        ("2026-08-31", False),  # Summer bank holiday (missing from plain holidays.UK())
        ("2026-12-25", False),
        ("2026-12-28", False),  # Boxing Day (observed): 26th is a Saturday
        ("2026-12-29", True),
        ("2027-12-27", False),  # Christmas Day (observed)
        ("2027-12-28", False),  # Boxing Day (observed)
        ("2027-12-29", True),
        ("2022-09-19", False),  # one-off: State Funeral of Queen Elizabeth II
        ("2023-05-08", False),  # one-off: Coronation of Charles III
        ("2022-06-03", False),  # one-off: Platinum Jubilee
        ("2026-06-06", False),  # Saturday
        ("2026-06-07", False),  # Sunday
        ("2026-06-08", True),  # Monday
        ("2027-03-17", True),  # St Patrick's Day: a holiday in Northern Ireland only
        ("2026-11-30", True),  # St Andrew's Day: Scotland only
    ],
)
def test_working_day(day: str, working: bool) -> None:
    assert is_working_day(date.fromisoformat(day), P) is working


def test_plain_uk_table_is_the_trap_we_avoid() -> None:
    # Why the subdivision matters: without it these two English bank holidays are missing.
    plain = holidays.country_holidays("GB", years=2026)  # no subdivision
    assert date(2026, 4, 6) not in plain and date(2026, 8, 31) not in plain
    assert not is_working_day(date(2026, 4, 6), P) and not is_working_day(date(2026, 8, 31), P)
    assert bank_holiday_name(date(2026, 12, 28), P) == "Boxing Day (observed)"
    assert bank_holiday_name(date(2026, 12, 29), P) is None


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # ordinary week, summer time: 23:59:59 BST is 22:59:59 UTC
        ("2026-06-01T09:00", 5, "2026-06-08T22:59:59"),
        ("2026-06-01T09:00", 1, "2026-06-02T22:59:59"),
        ("2026-06-01T09:00", 0, "2026-06-01T22:59:59"),
        # receipt late on Friday UTC is already Saturday in London: day 0 is Saturday
        ("2026-06-05T23:30", 1, "2026-06-08T22:59:59"),
        ("2026-06-05T22:59", 1, "2026-06-08T22:59:59"),
        ("2026-06-05T22:30", 1, "2026-06-08T22:59:59"),
        # received at the weekend: the first following working day is day 1
        ("2026-06-06T10:00", 1, "2026-06-08T22:59:59"),
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April
        ("2026-04-02T10:00", 1, "2026-04-07T22:59:59"),
        ("2026-04-01T10:00", 5, "2026-04-10T22:59:59"),
        # Summer bank holiday 2026-08-31
        ("2026-08-28T10:00", 1, "2026-09-01T22:59:59"),
        # Christmas 2026: 25 Fri, 28 Mon Boxing Day (observed); GMT again
        ("2026-12-24T10:00", 1, "2026-12-29T23:59:59"),
        ("2026-12-23T10:00", 2, "2026-12-29T23:59:59"),
        # Christmas 2027: 27 and 28 both substitute days
        ("2027-12-24T10:00", 1, "2027-12-29T23:59:59"),
        ("2027-12-24T10:00", 3, "2027-12-31T23:59:59"),
        ("2027-12-31T10:00", 1, "2028-01-04T23:59:59"),  # New Year's Day (observed) Mon 3rd
        # one-off days
        ("2022-09-16T10:00", 1, "2022-09-20T22:59:59"),
        ("2023-05-05T10:00", 1, "2023-05-09T22:59:59"),
        # clock change, spring forward (Sunday 29 March 2026): Friday GMT -> Monday BST
        ("2026-03-27T10:00", 1, "2026-03-30T22:59:59"),
        ("2026-03-29T00:30", 1, "2026-03-30T22:59:59"),
        ("2026-03-26T10:00", 1, "2026-03-27T23:59:59"),
        # clock change, fall back (Sunday 25 October 2026): Friday BST -> Monday GMT
        ("2026-10-23T10:00", 1, "2026-10-26T23:59:59"),
        ("2026-10-24T23:30", 1, "2026-10-26T23:59:59"),
        # 20 and 90 working days across several holidays
        ("2026-12-01T10:00", 20, "2026-12-31T23:59:59"),
        ("2026-03-02T10:00", 90, "2026-07-10T22:59:59"),
    ],
)
def test_add_working_days(start: str, n: int, due: str) -> None:
    result = add_working_days(utc(start), n, P)
    assert result == utc(due)
    assert result.utcoffset() is not None and result.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-06-01T09:00", 24, "2026-06-02T09:00"),
        ("2026-06-05T17:00", 24, "2026-06-06T17:00"),  # weekends count
        ("2026-04-02T17:00", 24, "2026-04-03T17:00"),  # holidays count
        # spring forward: 24 elapsed hours are 25 wall-clock hours later in London
        ("2026-03-28T12:00", 24, "2026-03-29T12:00"),
        # fall back: 24 elapsed hours are 23 wall-clock hours later in London
        ("2026-10-24T12:00", 24, "2026-10-25T12:00"),
        ("2026-10-25T00:30", 1, "2026-10-25T01:30"),
    ],
)
def test_add_hours_is_elapsed_time(start: str, hours: int, due: str) -> None:
    assert add_hours(utc(start), hours) == utc(due)


@pytest.mark.parametrize(
    ("moment", "local"),
    [
        ("2026-06-09T22:59", "2026-06-09"),
        ("2026-06-09T23:00", "2026-06-10"),  # BST: midnight local is 23:00 UTC
        ("2026-01-09T23:59", "2026-01-09"),  # GMT
        ("2026-03-29T00:59", "2026-03-29"),
        ("2026-10-24T23:00", "2026-10-25"),
    ],
)
def test_local_date(moment: str, local: str) -> None:
    assert local_date(utc(moment), P) == date.fromisoformat(local)


def test_add_days_and_due_after() -> None:
    assert add_days(utc("2026-04-10T10:00"), 84, P) == utc("2026-07-03T22:59:59")
    assert due_after(utc("2026-04-10T10:00"), Deadline(84, "days"), P) == utc("2026-07-03T22:59:59")
    assert due_after(utc("2026-04-10T10:00"), Deadline(2, "hours"), P) == utc("2026-04-10T12:00")


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(utc("2026-06-01T09:00").replace(tzinfo=None), 1, P)


def test_policy_can_close_extra_days_and_change_end_of_day() -> None:
    closed = Policy(extra_closed_days=frozenset({date(2026, 6, 2)}), end_of_day=time(17, 0))
    assert add_working_days(utc("2026-06-01T09:00"), 1, closed) == utc("2026-06-03T16:00")


@pytest.mark.parametrize(
    ("day", "months", "result"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2028-01-31", 1, "2028-02-29"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2026-03-31", -1, "2026-02-28"),
        ("2026-08-31", 6, "2027-02-28"),
        ("2026-01-15", 6, "2026-07-15"),
        ("2026-12-15", 1, "2027-01-15"),
    ],
)
def test_add_months(day: str, months: int, result: str) -> None:
    assert add_months(date.fromisoformat(day), months) == date.fromisoformat(result)


def test_policy_is_frozen_hashable_and_read_only() -> None:
    from dataclasses import FrozenInstanceError, replace

    assert hash(Policy()) == hash(Policy()) and Policy() == Policy()
    assert replace(P, pass_mark_pct=60.0) != P
    with pytest.raises(FrozenInstanceError):
        P.pass_mark_pct = 10.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        P.asb_priority["crime"] = 3  # type: ignore[index]


def _nth_working_day_one_by_one(day: date, n: int, policy: Policy) -> date:
    """The plain definition: step a day at a time, asking ``is_working_day`` each time."""
    current = day
    while n > 0:
        current += timedelta(days=1)
        n -= is_working_day(current, policy)
    return current


@given(
    st.dates(date(2019, 1, 1), date(2031, 12, 31)),
    st.integers(0, 400),
    st.frozensets(st.integers(0, 6), min_size=1),
    st.frozensets(st.dates(date(2019, 1, 1), date(2033, 12, 31)), max_size=20),
)
@settings(max_examples=300)
def test_nth_working_day_after_matches_asking_day_by_day(
    day: date, n: int, weekdays: frozenset[int], closed: frozenset[date]
) -> None:
    # across year ends (each year's bank holidays), other working weeks and closure days
    policy = replace(P, working_weekdays=weekdays, extra_closed_days=closed)
    assert nth_working_day_after(day, n, policy) == _nth_working_day_one_by_one(day, n, policy)


def test_local_date_of_a_naive_or_offsetless_time_is_refused() -> None:
    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 6, 1, 12), P)
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 6, 1, 12, tzinfo=NoOffset()), P)
    assert local_date(datetime(2026, 6, 1, 23, 30, tzinfo=UTC), P) == date(2026, 6, 2)
    assert local_date(datetime(2026, 6, 1, 23, 30, tzinfo=ZoneInfo("Europe/London")), P) == date(
        2026, 6, 1
    )
