"""Lenient reading of wire values for the rules: a bad or missing value becomes None.

Records reaching ``derive`` may be partial (a draft on the tablet, an old row on the server),
so the rules never raise on what a record holds: they treat an unreadable value as unknown
and say so in the reason where it matters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fieldapp.ids import to_wire

# Years a rule will work with. Outside them a value is junk (a typo, a sentinel such as
# 9999-12-31), and adding 90 working days to it could overflow the calendar.
MIN_YEAR = 1850
MAX_YEAR = 2200


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from a wire string (or an aware datetime), else None."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    return parsed.astimezone(UTC)


def parse_day(value: Any) -> date | None:
    """A date from ``YYYY-MM-DD`` (or a date), else None. A datetime string is not a date."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if MIN_YEAR <= parsed.year <= MAX_YEAR else None


def flag(value: Any) -> bool:
    """A yes/no answer: only a real ``True`` is yes (missing, None, junk count as no)."""
    return value is True


def text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def number(value: Any) -> float | None:
    """A finite int or float (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    result = float(value)
    if result != result or result in (float("inf"), float("-inf")):
        return None
    return result


def time_out(moment: datetime | None) -> str | None:
    """Wire form of an optional time (``2026-06-10T09:00:00Z``)."""
    return None if moment is None else to_wire(moment)


def date_out(day: date | None) -> str | None:
    """Wire form of an optional date (``YYYY-MM-DD``)."""
    return None if day is None else day.isoformat()
