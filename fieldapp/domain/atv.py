"""Annual Tenancy Visit: when the next one is due.

Source: ``domain-rules.md`` (an ATV is due once a year per tenancy). Due on the date
``atv_interval_months`` (12) calendar months after the last visit; a 29 February visit is
next due on 28 February. A home never visited has no computed due date (the app lists it
as never visited).
"""

from __future__ import annotations

from datetime import date

from fieldapp.domain.calendar import add_months
from fieldapp.domain.policy import Policy


def atv_due_on(last_atv_on: date | None, *, policy: Policy) -> date | None:
    """The date the next Annual Tenancy Visit is due, or None if there was none yet."""
    if last_atv_on is None:
        return None
    return add_months(last_atv_on, policy.atv_interval_months)


def atv_overdue(last_atv_on: date | None, today: date, *, policy: Policy) -> bool:
    """True when a visit is due on or before ``today`` (never visited counts as due)."""
    due = atv_due_on(last_atv_on, policy=policy)
    return due is None or due <= today
