"""The fast paths of ASB triage give exactly what the straightforward code gave.

``triage_case`` groups and dates the complaints once and shares that between the threshold
and the Community Trigger; ``distinct_incidents`` skips work for none or one complaint. The
straightforward code is kept in ``reference_asb.py``; hypothesis compares the two on random
cases with 0..6 reports, at times around bank holidays, clock changes and month ends, with
reports that share an incident, a time, a reference or a reporter, under varied policies.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fieldapp.domain.asb import threshold_met_at, triage_case
from fieldapp.domain.community_trigger import Complaint, community_trigger, distinct_incidents
from fieldapp.domain.derive import derive
from fieldapp.domain.policy import Policy
from fieldapp.domain.wire import time_out
from tests.domain import reference_asb as ref
from tests.domain.helpers import MemoryLookup

P = Policy()
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)

# Moments where a day boundary, a clock change or a holiday makes the London date matter.
ANCHORS = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # clocks go forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # clocks go back
    datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2026, 4, 3, 12, tzinfo=UTC),  # Good Friday
    datetime(2026, 4, 6, 12, tzinfo=UTC),  # Easter Monday
    datetime(2026, 5, 25, 12, tzinfo=UTC),  # Spring bank holiday
    datetime(2026, 8, 31, 12, tzinfo=UTC),  # Summer bank holiday
    datetime(2025, 12, 25, 12, tzinfo=UTC),  # Christmas, Boxing Day, New Year
    datetime(2026, 1, 31, 23, 30, tzinfo=UTC),  # month end (add_months clamps)
    datetime(2024, 2, 29, 23, 30, tzinfo=UTC),  # leap day
    datetime(2026, 6, 30, 23, 30, tzinfo=UTC),  # 1 July in London
]
ZONES = [
    UTC,
    ZoneInfo("Europe/London"),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=9)),
]


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    """A time near an anchor (minutes to months away), in one of several time zones."""
    base = draw(st.sampled_from(ANCHORS))
    scale = draw(st.sampled_from([60, 3_600, 86_400, 40 * 86_400, 200 * 86_400]))
    offset = timedelta(seconds=draw(st.integers(-scale, scale)))
    return (base + offset).astimezone(draw(st.sampled_from(ZONES)))


@st.composite
def complaints(draw: st.DrawFn, pool: list[datetime]) -> Complaint:
    """A report; its times often come from a shared pool, so incidents and times repeat."""
    shared = st.sampled_from(pool)
    reported = draw(shared | moments())
    incident = draw(st.none() | shared | moments() | st.just(reported - timedelta(days=20)))
    return Complaint(
        reported_at=reported,
        incident_at=incident,
        agency=draw(st.sampled_from([None, "landlord", "police", "council"])),
        reporter_id=draw(st.sampled_from([None, "p1", "p2", "p3"])),
        hate_motivated=draw(st.booleans()),
        ref=draw(st.sampled_from([None, "", "r1", "r2", "r3", "case"])),
    )


@st.composite
def report_lists(draw: st.DrawFn) -> list[Complaint]:
    pool = draw(st.lists(moments(), min_size=1, max_size=3))
    return draw(st.lists(complaints(pool), max_size=6))


policies = st.builds(
    lambda base, changes: replace(base, **changes),
    st.just(P),
    st.fixed_dictionaries(
        {},
        optional={
            "threshold_reports": st.integers(-1, 4),
            "threshold_window_days": st.integers(0, 60),
            "ct_qualify_months": st.integers(0, 2),
            "ct_window_months": st.integers(0, 12),
            "ct_min_complaints": st.none() | st.integers(0, 4),
            "ct_min_individuals": st.none() | st.integers(0, 3),
            "ct_min_hate_incidents": st.none() | st.integers(0, 2),
            "vulnerable_age": st.integers(60, 90),
            "risk_high_score": st.integers(0, 12),
            "risk_medium_score": st.integers(0, 6),
            "hate_flag_is_red_flag": st.booleans(),
        },
    ),
)

case_fields = st.fixed_dictionaries(
    {
        "category": st.sampled_from([None, "crime", "noise", "other", "graffiti"]),
        "received_at": st.none() | moments(),
        "incident_at": st.none() | moments(),
        "urgent_crime": st.booleans(),
        "hate_motivated": st.booleans(),
        "case_id": st.sampled_from([None, "case", "r1"]),
        "complainant_id": st.sampled_from([None, "p1", "p4"]),
        "complainant_dob": st.none() | st.dates(date(1930, 1, 1), date(2010, 12, 31)),
        "over_75": st.booleans(),
        "other_org_support": st.booleans(),
        "personal_budget": st.booleans(),
        "vulnerable_by_judgement": st.booleans(),
        "risk_answers": st.none()
        | st.just({})
        | st.dictionaries(
            st.sampled_from(["health_impact", "threats_or_violence", "isolated", "other"]),
            st.sampled_from([True, False, 0, 2, 3, "yes", "1"]),
            max_size=3,
        ),
    }
)


def _same(got: object, expected: object) -> None:
    """Equal, and alike to the time zone of every time (``==`` compares instants only)."""
    assert got == expected
    assert repr(got) == repr(expected)


# A plain new case, as pushed: a receipt only.
NEW_CASE: dict[str, Any] = {
    "category": "noise",
    "received_at": datetime(2026, 6, 10, 9, tzinfo=UTC),
    "incident_at": None,
    "urgent_crime": False,
    "hate_motivated": False,
    "case_id": "case",
    "complainant_id": None,
    "complainant_dob": None,
    "over_75": False,
    "other_org_support": False,
    "personal_budget": False,
    "vulnerable_by_judgement": False,
    "risk_answers": None,
}


@given(case_fields, report_lists(), policies)
@example(NEW_CASE, [], P)
@example({**NEW_CASE, "received_at": None}, [], P)
@example(
    {**NEW_CASE, "hate_motivated": True, "complainant_id": "p1"},
    [],
    replace(P, ct_min_hate_incidents=1),
)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_triage_matches_the_reference(
    case: dict[str, Any], reports: list[Complaint], policy: Policy
) -> None:
    got = triage_case(**case, reports=reports, policy=policy, now=NOW)
    _same(got, ref.triage_case(**case, reports=reports, policy=policy, now=NOW))


@given(report_lists(), policies, st.sampled_from([None, "p1", "p4"]))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_grouping_threshold_and_trigger_match_the_reference(
    reports: list[Complaint], policy: Policy, complainant_id: str | None
) -> None:
    _same(distinct_incidents(reports), ref.distinct_incidents(reports))
    _same(threshold_met_at(reports, policy), ref.threshold_met_at(reports, policy))
    _same(
        community_trigger(reports, policy=policy, complainant_id=complainant_id),
        ref.community_trigger(reports, policy=policy, complainant_id=complainant_id),
    )


def _wire(report: Complaint, case_id: str, n: int) -> dict[str, Any]:
    return {
        "id": f"rep{n}",
        "case_id": case_id,
        "reported_at": time_out(report.reported_at),
        "incident_at": None if report.incident_at is None else time_out(report.incident_at),
        "agency": report.agency,
        "reporter_id": report.reporter_id,
        "hate_motivated": report.hate_motivated,
    }


@given(case_fields, report_lists())
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_derive_matches_the_reference(case: dict[str, Any], reports: list[Complaint]) -> None:
    record = {
        "id": "case1",
        "category": case["category"],
        "received_at": time_out(case["received_at"]),
        "incident_at": time_out(case["incident_at"]),
        "urgent_crime": case["urgent_crime"],
        "hate_motivated": case["hate_motivated"],
        "complainant_id": case["complainant_id"],
        "over_75": case["over_75"],
        "risk_answers": case["risk_answers"],
    }
    people = [{"id": "p1", "date_of_birth": str(case["complainant_dob"])}]
    lookup = MemoryLookup(
        {
            "asb_report": [_wire(r, "case1", n) for n, r in enumerate(reports)],
            "person": people if case["complainant_dob"] else [],
        }
    )
    assert derive("asb_case", record, lookup, P, NOW) == ref.derive_asb_case(record, lookup, P, NOW)
