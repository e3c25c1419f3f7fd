"""Working days and due times in England (``docs/domain-rules.md``, Time).

- A working day is Monday to Friday and not a bank holiday in England, as listed by the
  pinned ``holidays`` package with ``country_holidays("GB", subdiv="ENG")`` (plain
  ``holidays.UK()`` omits Easter Monday and the Summer bank holiday). Substitute days
  ("Boxing Day (observed)") and one-off days (a state funeral, a coronation) are included.
- "N working days": the local day of the start is day 0; the target is 23:59:59 local time
  (``Policy.end_of_day``) on the Nth following working day.
- "N hours": elapsed time, so weekends, holidays and clock changes all count.
- "N days": the Nth following calendar day at the end of day, local time.

Every input time must be timezone-aware; every result is an aware UTC datetime.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from fieldapp.domain.policy import Deadline, Policy


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=256)
def _bank_holidays(country: str, subdiv: str, year: int) -> frozenset[date]:
    """The bank holidays of one year, computed once (the package's tables are pinned)."""
    table = holidays.country_holidays(country, subdiv=subdiv, years=year)
    return frozenset(d for d in table if d.year == year)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: rules work on timezone-aware times only")
    return moment


def local_date(moment: datetime, policy: Policy) -> date:
    """The calendar date of ``moment`` in the policy's time zone (Europe/London)."""
    if moment.tzinfo is not UTC:  # times read from the wire are UTC: aware, nothing to ask
        _aware(moment)
    return moment.astimezone(_zone(policy.timezone)).date()


def bank_holiday_name(day: date, policy: Policy) -> str | None:
    """The name of the bank holiday on ``day``, or None."""
    if day not in _bank_holidays(policy.holiday_country, policy.holiday_subdiv, day.year):
        return None
    table = holidays.country_holidays(
        policy.holiday_country, subdiv=policy.holiday_subdiv, years=day.year
    )
    return str(table.get(day))


def is_working_day(day: date, policy: Policy) -> bool:
    """Monday-Friday (policy), not a bank holiday in England, not a landlord closure day."""
    if day.weekday() not in policy.working_weekdays:
        return False
    if day in policy.extra_closed_days:
        return False
    return day not in _bank_holidays(policy.holiday_country, policy.holiday_subdiv, day.year)


def nth_working_day_after(day: date, n: int, policy: Policy) -> date:
    """The Nth working day after ``day`` (``day`` itself is day 0; n=0 gives ``day``)."""
    if n < 0:
        raise ValueError("a number of working days cannot be negative")
    if not policy.working_weekdays:
        raise ValueError("the policy has no working weekdays")
    # ``is_working_day`` day by day, with the year's bank holidays fetched once per year.
    weekdays, closed = policy.working_weekdays, policy.extra_closed_days
    one_day = timedelta(days=1)
    year = day.year
    bank = _bank_holidays(policy.holiday_country, policy.holiday_subdiv, year)
    current = day
    remaining = n
    while remaining > 0:
        current += one_day
        if current.year != year:
            year = current.year
            bank = _bank_holidays(policy.holiday_country, policy.holiday_subdiv, year)
        if current.weekday() in weekdays and current not in closed and current not in bank:
            remaining -= 1
    return current


def end_of_local_day(day: date, policy: Policy) -> datetime:
    """``Policy.end_of_day`` (23:59:59) local time on ``day``, as aware UTC.

    Clock changes in England happen at 01:00 UTC, never near 23:59:59, so this local time
    always exists and is never ambiguous.
    """
    local = datetime.combine(day, policy.end_of_day, tzinfo=_zone(policy.timezone))
    return local.astimezone(UTC)


def add_working_days(start: datetime, n: int, policy: Policy) -> datetime:
    """Due time of "N working days" from ``start``: end of the Nth following working day."""
    return end_of_local_day(nth_working_day_after(local_date(start, policy), n, policy), policy)


def add_hours(start: datetime, hours: int) -> datetime:
    """Due time of "N hours" from ``start``: elapsed time, across weekends and clock changes.

    Whole seconds: a due time is shown and compared to the second.
    """
    return _aware(start).astimezone(UTC).replace(microsecond=0) + timedelta(hours=hours)


def add_days(start: datetime, days: int, policy: Policy) -> datetime:
    """Due time of "N days": end of the local day N calendar days after the start's day."""
    return end_of_local_day(local_date(start, policy) + timedelta(days=days), policy)


def due_after(start: datetime, deadline: Deadline, policy: Policy) -> datetime:
    """The due time of ``deadline`` counted from ``start`` (aware UTC)."""
    if deadline.unit == "hours":
        return add_hours(start, deadline.amount)
    if deadline.unit == "working_days":
        return add_working_days(start, deadline.amount, policy)
    return add_days(start, deadline.amount, policy)


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months; a day missing in the target month becomes its last day.

    31 January + 1 month = 28 (or 29) February; 29 February + 12 months = 28 February.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        if candidate <= day.day:
            try:
                return date(year, month, candidate)
            except ValueError:
                continue
    raise AssertionError("unreachable: every month has a 28th")
