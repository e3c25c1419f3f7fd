"""The guards as a table: future times against ``now`` and the policy's tolerance, blank
further reports. Pure: no clock is read."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from fieldapp.domain.guards import FUTURE_TIME, refusals
from fieldapp.domain.policy import Policy

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
REPORT = {
    "case_id": "c1",
    "incident_at": "2026-06-09T21:00:00Z",
    "reported_at": "2026-06-10T11:00:00Z",
    "description": "Shouting",
}


@pytest.mark.parametrize(
    ("entity", "patch", "expected"),
    [
        ("asb_report", REPORT, []),
        ("asb_report", {**REPORT, "reported_at": "2026-06-10T12:05:00Z"}, []),  # on the edge
        (
            "asb_report",
            {**REPORT, "reported_at": "2026-06-10T12:05:01Z"},
            [("reported_at", FUTURE_TIME)],
        ),
        (
            "asb_report",
            {**REPORT, "incident_at": "2027-06-02T10:00:00+01:00"},
            [("incident_at", FUTURE_TIME)],
        ),
        ("asb_report", {**REPORT, "description": "  "}, [("description", "validation_failed")]),
        ("repair", {"reported_at": "2027-03-01T09:00:00Z"}, [("reported_at", FUTURE_TIME)]),
        (
            "repair",
            {"investigation_concluded_at": "2026-06-11T09:00:00Z"},
            [("investigation_concluded_at", FUTURE_TIME)],
        ),
        ("asb_case", {"received_at": "2026-06-10T13:00:00+01:00"}, []),  # 12:00 UTC: now
        ("asb_case", {"incident_at": "2026-06-10T13:06:00+01:00"}, [("incident_at", FUTURE_TIME)]),
        ("tenancy_visit", {"visited_at": "2026-07-01T09:00:00Z"}, [("visited_at", FUTURE_TIME)]),
        ("walkabout", {"started_at": "2027-01-01T09:00:00Z"}, []),  # not a legal clock
        ("repair", {"reported_at": "not a time"}, []),  # left to the schema's check
        ("repair", {"priority": "urgent"}, []),  # an edit of another field is not judged
        ("repair", {"hazard": None, "description": None}, [("description", "validation_failed")]),
        ("repair", {"hazard": None, "description": " "}, [("description", "validation_failed")]),
        ("repair", {"hazard": "fire", "description": None}, []),
        ("repair", {"hazard": None, "description": "Loose rail"}, []),
        ("repair", {"hazard": None}, []),  # an edit of one of them alone keeps the other
    ],
)
def test_refusals(entity: str, patch: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    got = refusals(entity, patch, policy=Policy(), now=NOW)
    assert [(e.field, e.code) for e in got] == expected


def test_the_tolerance_is_the_policys() -> None:
    strict = dataclasses.replace(Policy(), future_tolerance_minutes=0)
    patch = {"reported_at": "2026-06-10T12:01:00Z"}
    assert refusals("repair", patch, policy=Policy(), now=NOW) == []
    [error] = refusals("repair", patch, policy=strict, now=NOW)
    assert (
        error.message
        == "reported_at is in the future: more than 0 minutes ahead of the receiving clock"
    )
