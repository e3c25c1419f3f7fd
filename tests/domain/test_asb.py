"""ASB triage: priority, vulnerability (75th birthday), threshold (2 reports / 28 days),
response due time (24 hours / 5 working days, and when the clock starts), risk level."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from fieldapp.domain.asb import age_on, assess_risk, assess_vulnerability, triage_case
from fieldapp.domain.community_trigger import Complaint
from fieldapp.domain.policy import Policy
from tests.domain.helpers import utc

P = Policy()
NOW = utc("2026-11-01T12:00")


def _triage(category: str | None, received: str | None, *reports: str, **kw: object):  # type: ignore[no-untyped-def]
    complaints = [Complaint(utc(r), ref=f"r{i}") for i, r in enumerate(reports)]
    return triage_case(
        category=category,
        received_at=None if received is None else utc(received),
        reports=complaints,
        policy=kw.pop("policy", P),  # type: ignore[arg-type]
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("category", "urgent", "priority", "applies", "due"),
    [
        ("crime", True, 1, False, "2026-06-02T09:00"),  # urgent crime: 24 elapsed hours
        ("crime", False, 1, False, "2026-06-08T22:59:59"),  # crime: 5 working days
        ("noise", False, 2, True, None),  # one report: below threshold, no clock
        ("other", False, 3, True, None),
        ("noise", True, 2, True, None),  # urgent flag on noise: ignored
        (None, False, None, None, None),
        ("unknown", False, None, None, None),
    ],
)
def test_priority_threshold_and_due(
    category: str | None, urgent: bool, priority: int | None, applies: bool | None, due: str | None
) -> None:
    t = _triage(category, "2026-06-01T09:00", urgent_crime=urgent)
    assert t.priority == priority
    assert t.threshold_applies is applies
    assert t.due_at == (None if due is None else utc(due))
    assert t.reason  # always says why


def test_reason_words() -> None:
    assert _triage("crime", "2026-06-01T09:00", urgent_crime=True).reason.startswith(
        "Urgent crime: respond within 24 hours"
    )
    assert "below threshold" in _triage("noise", "2026-06-01T09:00").reason
    assert "respond within 5 working days" in _triage("crime", "2026-06-01T09:00").reason


@pytest.mark.parametrize(
    ("report", "met", "due"),
    [
        # receipt Mon 2 March 2026; a second report 27 / 28 / 29 days later (London dates)
        ("2026-03-29T09:00", True, "2026-04-07T22:59:59"),  # 27 days; clock from this report
        ("2026-03-30T09:00", True, "2026-04-08T22:59:59"),  # 28 days: still within
        ("2026-03-30T22:59", True, "2026-04-08T22:59:59"),  # 28 days, late evening BST
        ("2026-03-30T23:00", False, None),  # 29 days in London (00:00 BST 31 March)
        ("2026-03-31T09:00", False, None),  # 29 days
        ("2026-03-02T09:05", True, "2026-03-09T23:59:59"),  # same day
        ("2026-02-15T09:00", True, "2026-03-09T23:59:59"),  # reported elsewhere first
    ],
)
def test_threshold_window_28_days(report: str, met: bool, due: str | None) -> None:
    t = _triage("noise", "2026-03-02T09:00", report)
    assert t.threshold_applies is True
    assert t.threshold_met is met
    assert t.due_at == (None if due is None else utc(due))


def test_threshold_met_later_by_a_pair_of_reports_starts_the_clock_there() -> None:
    # receipt alone; two later reports 10 days apart, the first 40 days after receipt
    t = _triage("other", "2026-03-02T09:00", "2026-04-20T09:00", "2026-04-30T09:00")
    assert t.threshold_met is True
    assert t.due_at == utc("2026-05-08T22:59:59")  # 5 working days from 30 April (4 May BH)


def test_threshold_policy_three_reports() -> None:
    three = replace(P, threshold_reports=3)
    assert _triage("noise", "2026-03-02T09:00", "2026-03-10T09:00", policy=three).due_at is None
    t = _triage("noise", "2026-03-02T09:00", "2026-03-10T09:00", "2026-03-20T09:00", policy=three)
    assert t.threshold_met and t.due_at == utc("2026-03-27T23:59:59")


def test_same_incident_reported_twice_is_one_report() -> None:
    incident = utc("2026-03-01T22:00")
    reports = [
        Complaint(utc("2026-03-02T09:00"), incident, "police", ref="a"),
        Complaint(utc("2026-03-03T09:00"), incident.replace(second=30), "council", ref="b"),
    ]
    t = triage_case(category="noise", received_at=None, reports=reports, policy=P, now=NOW)
    assert t.threshold_met is False
    reports[1] = Complaint(utc("2026-03-03T09:00"), utc("2026-03-01T22:01"), "council", ref="b")
    t = triage_case(category="noise", received_at=None, reports=reports, policy=P, now=NOW)
    assert t.threshold_met is True


@pytest.mark.parametrize(
    ("dob", "received", "vulnerable"),
    [
        ("1951-03-02", "2026-03-01T12:00", False),  # day before the 75th birthday
        ("1951-03-02", "2026-03-02T00:00", True),  # 75th birthday exactly on the receipt day
        ("1951-03-02", "2026-03-03T12:00", True),
        ("1940-01-01", "2026-03-02T12:00", True),
        ("1990-01-01", "2026-03-02T12:00", False),
        # London date decides: 23:30 UTC on 9 June is 10 June in London (BST)
        ("1951-06-10", "2026-06-09T23:30", True),
        ("1951-06-10", "2026-06-09T22:30", False),
        # born 29 February: 75 on 1 March in a common year
        ("1952-02-29", "2027-02-28T12:00", False),
        ("1952-02-29", "2027-03-01T12:00", True),
    ],
)
def test_over_75_from_date_of_birth(dob: str, received: str, vulnerable: bool) -> None:
    t = _triage("noise", received, complainant_dob=date.fromisoformat(dob))
    assert t.vulnerable is vulnerable
    # vulnerable: no threshold, a clock from receipt; otherwise below threshold, none
    assert t.threshold_applies is (not vulnerable)
    assert (t.due_at is not None) is vulnerable


@pytest.mark.parametrize(
    ("answers", "vulnerable"),
    [
        ({}, False),
        ({"over_75": True}, True),
        ({"other_org_support": True}, True),
        ({"personal_budget": True}, True),
        ({"vulnerable_by_judgement": True}, True),
        ({"over_75": False, "other_org_support": False}, False),
    ],
)
def test_vulnerability_questions(answers: dict[str, bool], vulnerable: bool) -> None:
    t = _triage("other", "2026-06-01T09:00", **answers)
    assert t.vulnerable is vulnerable
    assert t.due_at == (utc("2026-06-08T22:59:59") if vulnerable else None)


def test_over_75_answer_counts_even_if_complainant_younger() -> None:
    # "you or someone affected": the answer may be about someone else in the home
    v = assess_vulnerability(
        received_on=date(2026, 6, 1), date_of_birth=date(1990, 1, 1), over_75=True, policy=P
    )
    assert v.vulnerable and v.grounds == ("over 75",)


@pytest.mark.parametrize(
    ("answers", "level", "score"),
    [
        ({}, "standard", 0),
        ({"health_impact": 3, "isolated": True}, "standard", 4),
        ({"health_impact": 3, "isolated": True, "disability": True}, "medium", 5),
        (
            {
                "health_impact": 3,
                "unsafe_at_home": 3,
                "isolated": True,
                "disability": True,
                "considering_moving": True,
            },
            "medium",
            9,
        ),
        (
            {
                "health_impact": 3,
                "unsafe_at_home": 3,
                "isolated": True,
                "disability": True,
                "considering_moving": True,
                "personal_budget": True,
            },
            "high",
            10,
        ),
        ({"hate_or_targeted": True}, "high", 1),  # red flag
        ({"threats_or_violence": True}, "high", 1),  # red flag
        ({"self_harm_thoughts": True}, "high", 0),  # red flag, not scored
        ({"health_impact": 9, "unsafe_at_home": -2}, "standard", 3),  # clamped to 0..3
        (
            {"health_impact": "2", "repeat_3_in_3_months": "yes", "isolated": "nonsense"},
            "standard",
            3,
        ),
        ({"hate_or_targeted": False, "threats_or_violence": 0}, "standard", 0),
        (
            {
                k: True
                for k in (
                    "repeat_3_in_3_months",
                    "considering_moving",
                    "disability",
                    "over_75_or_child",
                    "isolated",
                    "other_agency_support",
                    "personal_budget",
                    "safeguarding_concern",
                )
            }
            | {"health_impact": 3, "unsafe_at_home": 3},
            "high",
            14,
        ),
    ],
)
def test_risk_levels(answers: dict[str, object], level: str, score: int) -> None:
    risk = assess_risk(answers, policy=P)
    assert (risk.level, risk.score) == (level, score)


def test_hate_motivated_case_is_a_red_flag() -> None:
    assert assess_risk({}, policy=P, hate_motivated=True).level == "high"
    assert (
        assess_risk({}, policy=replace(P, hate_flag_is_red_flag=False), hate_motivated=True).level
        == "standard"
    )
    unanswered = _triage("noise", "2026-06-01T09:00").risk
    assert (unanswered.level, unanswered.score) == ("standard", 0)  # missing answers are no
    assert _triage("noise", "2026-06-01T09:00", hate_motivated=True).risk.level == "high"
    t = _triage("noise", "2026-06-01T09:00", risk_answers={}, hate_motivated=True)
    assert t.risk is not None and t.risk.level == "high"


def test_missing_receipt_gives_no_clock_but_still_triages() -> None:
    t = _triage("crime", None, urgent_crime=True)
    assert t.priority == 1 and t.due_at is None and "not recorded" in t.reason


@pytest.mark.parametrize(
    ("dob", "day", "age"),
    [
        ("2000-06-10", "2026-06-09", 25),
        ("2000-06-10", "2026-06-10", 26),
        ("2000-02-29", "2026-02-28", 25),
        ("2000-02-29", "2026-03-01", 26),
    ],
)
def test_age_on(dob: str, day: str, age: int) -> None:
    assert age_on(date.fromisoformat(dob), date.fromisoformat(day)) == age
