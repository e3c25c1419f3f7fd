"""Community Trigger: qualifying complaints (one month), 3 within 6 months, one incident
reported to several agencies counted once, and the two local variants."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fieldapp.domain.community_trigger import (
    Complaint,
    community_trigger,
    distinct_incidents,
    qualifies,
)
from fieldapp.domain.policy import Policy
from tests.domain.helpers import utc

P = Policy()


def c(reported: str, incident: str | None = None, **kw: object) -> Complaint:
    return Complaint(
        utc(reported),
        None if incident is None else utc(incident),
        ref=reported,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("incident", "reported", "ok"),
    [
        ("2026-01-15T20:00", "2026-02-15T09:00", True),  # one month to the day
        ("2026-01-15T20:00", "2026-02-16T09:00", False),  # a day over
        ("2026-01-31T20:00", "2026-02-28T09:00", True),  # month end: 28 February
        ("2026-01-31T20:00", "2026-03-01T09:00", False),
        ("2026-01-15T20:00", "2026-01-15T21:00", True),
        ("2026-06-15T22:30", "2026-07-15T23:30", False),  # 16 July in London (BST)
        ("2026-06-15T22:30", "2026-07-15T22:30", True),
    ],
)
def test_qualifying_complaint_within_one_month(incident: str, reported: str, ok: bool) -> None:
    assert qualifies(c(reported, incident), P) is ok


def test_complaint_without_incident_time_qualifies() -> None:
    assert qualifies(c("2026-02-16T09:00"), P)


@pytest.mark.parametrize(
    ("third", "eligible"),
    [
        ("2026-07-15T09:00", True),  # 6 months to the day after the first
        ("2026-07-16T09:00", False),  # a day over: no window holds all three
        ("2026-04-01T09:00", True),
    ],
)
def test_three_within_six_months(third: str, eligible: bool) -> None:
    complaints = [c("2026-01-15T09:00"), c("2026-03-01T09:00"), c(third)]
    result = community_trigger(complaints, policy=P)
    assert result.eligible is eligible
    assert ("Community Trigger" in result.reason) and result.reason


@pytest.mark.parametrize(("count", "eligible"), [(2, False), (3, True), (4, True)])
def test_count_one_below_at_above(count: int, eligible: bool) -> None:
    complaints = [c(f"2026-0{m}-10T09:00") for m in range(1, count + 1)]
    result = community_trigger(complaints, policy=P)
    assert result.eligible is eligible
    if eligible:
        assert len(result.counted) == count


def test_sliding_window_finds_a_later_run() -> None:
    # an old complaint, then three in a later 6-month window
    complaints = [
        c("2025-01-10T09:00"),
        c("2026-02-10T09:00"),
        c("2026-05-10T09:00"),
        c("2026-08-10T09:00"),
    ]
    result = community_trigger(complaints, policy=P)
    assert result.eligible and [x.ref for x in result.counted] == [
        "2026-02-10T09:00",
        "2026-05-10T09:00",
        "2026-08-10T09:00",
    ]


def test_non_qualifying_complaints_do_not_count() -> None:
    complaints = [
        c("2026-01-10T09:00"),
        c("2026-02-10T09:00"),
        c("2026-03-10T09:00", "2026-01-01T20:00"),  # reported over a month after
    ]
    assert not community_trigger(complaints, policy=P).eligible
    complaints[2] = c("2026-03-10T09:00", "2026-02-10T20:00")
    assert community_trigger(complaints, policy=P).eligible


@pytest.mark.parametrize(
    ("second_incident", "eligible"),
    [
        ("2026-03-01T22:15", False),  # same minute: the same incident, counted once
        ("2026-03-01T22:15:45", False),  # seconds do not make another incident
        ("2026-03-01T22:16", True),  # another minute: another incident
    ],
)
def test_one_incident_reported_to_several_agencies_counts_once(
    second_incident: str, eligible: bool
) -> None:
    complaints = [
        c("2026-01-10T09:00"),
        c("2026-03-02T09:00", "2026-03-01T22:15", agency="police"),
        c("2026-03-03T09:00", second_incident, agency="council"),
    ]
    assert community_trigger(complaints, policy=P).eligible is eligible


def test_distinct_incidents_keeps_earliest_and_hate_flag() -> None:
    merged = distinct_incidents(
        [
            c("2026-03-03T09:00", "2026-03-01T22:15", agency="council", hate_motivated=True),
            c("2026-03-02T09:00", "2026-03-01T22:15", agency="police"),
        ]
    )
    assert len(merged) == 1
    assert merged[0].agency == "police" and merged[0].hate_motivated


@pytest.mark.parametrize(("people", "eligible"), [(4, False), (5, True)])
def test_variant_five_individuals(people: int, eligible: bool) -> None:
    policy = replace(P, ct_min_complaints=None, ct_min_individuals=5)
    complaints = [c(f"2026-03-{d:02d}T09:00", reporter_id=f"p{d}") for d in range(1, people + 1)]
    complaints.append(c("2026-03-20T09:00", reporter_id="p1"))  # same person again
    assert community_trigger(complaints, policy=policy).eligible is eligible


def test_variant_individuals_reports_without_reporter_are_the_complainant() -> None:
    policy = replace(P, ct_min_complaints=None, ct_min_individuals=2)
    complaints = [c("2026-03-01T09:00"), c("2026-03-02T09:00")]
    assert not community_trigger(complaints, policy=policy, complainant_id="x").eligible
    complaints.append(c("2026-03-03T09:00", reporter_id="y"))
    assert community_trigger(complaints, policy=policy, complainant_id="x").eligible


@pytest.mark.parametrize(
    ("hate", "incident", "eligible"),
    [
        (True, "2026-03-01T20:00", True),
        (False, "2026-03-01T20:00", False),
        (True, "2026-01-01T20:00", False),  # reported more than a month later: not qualifying
    ],
)
def test_variant_one_hate_incident(hate: bool, incident: str, eligible: bool) -> None:
    policy = replace(P, ct_min_hate_incidents=1)
    complaints = [c("2026-03-02T09:00", incident, hate_motivated=hate)]
    assert community_trigger(complaints, policy=policy).eligible is eligible


def test_default_policy_has_only_the_three_complaints_rule() -> None:
    complaints = [c("2026-03-02T09:00", hate_motivated=True, reporter_id=str(i)) for i in range(1)]
    assert not community_trigger(complaints, policy=P).eligible
