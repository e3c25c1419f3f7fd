"""Annual Tenancy Visit: when the next one is due, and whether a home's is due by a day.

Source: ``docs/domain-rules.md`` (an ATV is due once a year per tenancy). Due on the date
``atv_interval_months`` (12) calendar months after the last visit; a 29 February visit is
next due on 28 February. A home never visited has no due date and is due now: it counts as
overdue everywhere (My patch, the overview). A home with no tenancy (void: no
``tenancy_ref``) has no visit due. This module is the one home of "ATV due"; the screens
call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fieldapp.domain.calendar import add_months
from fieldapp.domain.policy import Policy
from fieldapp.domain.wire import parse_day


def atv_due_on(last_atv_on: date | None, *, policy: Policy) -> date | None:
    """The date the next Annual Tenancy Visit is due, or None if there was none yet."""
    if last_atv_on is None:
        return None
    return add_months(last_atv_on, policy.atv_interval_months)


def atv_overdue(last_atv_on: date | None, today: date, *, policy: Policy) -> bool:
    """True when a visit is due on or before ``today`` (never visited counts as due)."""
    due = atv_due_on(last_atv_on, policy=policy)
    return due is None or due <= today


def home_atv_due_on(home: Mapping[str, Any], *, policy: Policy) -> date | None:
    """A home's next ATV date: its derived ``atv_due_on`` (which counts visits recorded since
    import), else a year after ``last_atv_on``; None when it was never visited."""
    derived = parse_day(home.get("atv_due_on"))
    if derived is not None:
        return derived
    return atv_due_on(parse_day(home.get("last_atv_on")), policy=policy)


def home_atv_due_by(home: Mapping[str, Any], day: date, *, policy: Policy) -> bool:
    """Whether a tenanted home's ATV falls due on or before ``day`` (never visited: yes)."""
    if not home.get("tenancy_ref"):
        return False  # a void home has no tenancy to visit
    due = home_atv_due_on(home, policy=policy)
    return due is None or due <= day
