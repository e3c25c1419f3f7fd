"""Lenient reading of wire values: junk becomes unknown (None), never an exception."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from fieldapp.domain.derive import derive
from fieldapp.domain.policy import Policy
from fieldapp.domain.wire import flag, number, parse_day, parse_time, time_out
from tests.domain.helpers import MemoryLookup

P = Policy()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-10T09:00:00Z", datetime(2026, 6, 10, 9, tzinfo=UTC)),
        ("2026-06-10T10:00:00+01:00", datetime(2026, 6, 10, 9, tzinfo=UTC)),
        ("2026-06-10T09:00:00", None),  # no offset
        ("2026-06-10", None),
        ("9999-12-31T00:00:00Z", None),  # sentinel out of range
        ("0001-01-01T00:00:00Z", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        (1718000000, None),
        (
            datetime(2026, 6, 10, 10, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 6, 10, 9, tzinfo=UTC),
        ),
        (datetime(2026, 6, 10, 10), None),  # naive
    ],
)
def test_parse_time(value: Any, expected: datetime | None) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-10", date(2026, 6, 10)),
        ("2026-02-30", None),
        ("9999-12-31", None),
        ("2026-06-10T09:00:00Z", None),
        (date(2026, 6, 10), date(2026, 6, 10)),
        (None, None),
        (20260610, None),
    ],
)
def test_parse_day(value: Any, expected: date | None) -> None:
    assert parse_day(value) == expected


@pytest.mark.parametrize(
    ("value", "yes"), [(True, True), (False, False), (None, False), ("true", False), (1, False)]
)
def test_flag_only_true_is_yes(value: Any, yes: bool) -> None:
    assert flag(value) is yes


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2, 2.0), (2.5, 2.5), (True, None), (float("nan"), None), (float("inf"), None), ("2", None)],
)
def test_number(value: Any, expected: float | None) -> None:
    assert number(value) == expected


def test_time_out_drops_nothing_but_formats_utc() -> None:
    assert (
        time_out(datetime(2026, 6, 10, 10, tzinfo=timezone(timedelta(hours=1))))
        == "2026-06-10T09:00:00Z"
    )
    assert time_out(None) is None


@pytest.mark.parametrize(
    ("entity", "record"),
    [
        ("repair", {"priority": "planned", "reported_at": "9999-12-31T00:00:00Z"}),
        ("property", {"last_atv_on": "9999-12-31"}),
        ("asb_case", {"category": "crime", "received_at": "9999-12-31T23:00:00Z"}),
        (
            "observation",
            {"kind": "fly_tipping", "logged_at": "9999-12-31T23:00:00Z", "lat": 91, "lon": 0},
        ),
    ],
)
def test_extreme_values_give_none_not_an_error(entity: str, record: dict[str, Any]) -> None:
    out = derive(entity, record, MemoryLookup(), P, datetime(2026, 6, 1, tzinfo=UTC))
    times = {
        "due_at",
        "investigate_by",
        "summary_by",
        "make_safe_by",
        "preventative_start_by",
        "action_due_at",
        "atv_due_on",
        "nearest_property_id",
    }
    assert set(out) & times
    assert all(out[k] is None for k in times & set(out))
