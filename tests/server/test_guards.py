"""The rules' guards over HTTP, on both backends: a blank further report and a report or
repair time ahead of the server's clock are rejected with a documented code; nothing of the
refused mutation is stored, and the same mutation with a sensible value is applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fieldapp.ids import new_id, to_wire
from tests.server.conftest import Cast, create, new_case
from tests.support.api import REPORT, Api, mutation


def _case(cast: Cast, a: Api) -> str:
    rid, patch = new_case(property_id=cast.homes["100000000001"])
    create(a, "asb_case", patch, rid)
    return rid


def _rejected(result: dict[str, Any], code: str, field: str) -> None:
    assert result["status"] == "rejected", result
    assert result["error"]["code"] == code
    assert field in {d["field"] for d in result["error"]["detail"]}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"reported_at": REPORT["reported_at"]}, "description"),  # nothing filled in
        ({**REPORT, "description": "   \n "}, "description"),  # only spaces
        ({**REPORT, "incident_at": None}, "incident_at"),  # no incident time
    ],
    ids=["empty", "blank-description", "no-incident-time"],
)
def test_a_blank_further_report_is_not_a_complaint(
    cast: Cast, patch: dict[str, Any], field: str
) -> None:
    with cast.api("north1") as a:
        case = _case(cast, a)
        report = new_id()
        result = a.push_one(mutation("asb_report", report, {"case_id": case, **patch}))
        records, _, _, _ = a.pull_all()
    _rejected(result, "validation_failed", field)
    assert ("asb_report", report) not in records


def test_times_ahead_of_the_server_clock_are_refused_with_future_time(cast: Cast) -> None:
    ahead = to_wire(datetime.now(UTC) + timedelta(minutes=30))
    in_2027 = "2027-03-01T09:00:00Z"
    with cast.api("north1") as a:
        case = _case(cast, a)
        report = a.push_one(
            mutation("asb_report", new_id(), {"case_id": case, **REPORT, "reported_at": ahead})
        )
        repair_id = new_id()
        repair = a.push_one(
            mutation(
                "repair",
                repair_id,
                {
                    "property_id": cast.homes["100000000001"],
                    "priority": "urgent",
                    "hazard": "damp_and_mould",
                    "reported_at": in_2027,
                },
            )
        )
        case_edit = a.push_one(mutation("asb_case", case, {"received_at": in_2027}, base_version=1))
        records, _, _, _ = a.pull_all()
    _rejected(report, "future_time", "reported_at")
    assert "5 minutes" in report["error"]["message"]
    _rejected(repair, "future_time", "reported_at")
    _rejected(case_edit, "future_time", "received_at")
    assert ("repair", repair_id) not in records
    assert records[("asb_case", case)]["data"]["received_at"] == "2026-06-10T09:00:00Z"


def test_a_time_within_the_tolerance_and_a_complete_report_are_applied(cast: Cast) -> None:
    """A tablet clock a minute fast is drift, not a slip: accepted."""
    soon = to_wire(datetime.now(UTC) + timedelta(minutes=1))
    with cast.api("north1") as a:
        case = _case(cast, a)
        result = a.push_one(
            mutation("asb_report", new_id(), {"case_id": case, **REPORT, "reported_at": soon})
        )
    assert result["status"] == "applied", result
