"""The Community Trigger record's rules as tables, no Flet: which complaints of a case count
(the shared domain rule: one month to qualify, one incident counted once, the 6-month window),
who may open a record, and typed input -> ``ct_review`` patch with its errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fieldapp.domain.policy import DEFAULT_POLICY
from fieldapp.sync.protocol import validate_patch
from fieldapp.views.logic_ct_review import (
    ComplaintRow,
    Recommendation,
    ReviewInputs,
    complaint_rows,
    inputs_from_review,
    may_open,
    new_inputs,
    review_patch,
    summary_lines,
    trigger_for,
)

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
CASE = {
    "id": "c1",
    "ref": "ASB-2026-0417",
    "received_at": "2026-01-05T10:00:00Z",
    "complainant_id": "p1",
    "category": "noise",
    "risk_level": "medium",
    "ct_eligible": True,
    "vulnerable": False,
}


def _report(
    id: str, reported: str, incident: str | None, agency: str = "landlord"
) -> dict[str, Any]:
    return {
        "id": id,
        "case_id": "c1",
        "reported_at": reported,
        "incident_at": incident,
        "agency": agency,
        "reporter_id": "p1",
    }


REPORTS = [
    _report("r1", "2026-02-10T10:00:00Z", "2026-02-09T21:30:00Z", "police"),
    _report("r2", "2026-02-11T10:00:00Z", "2026-02-09T21:30:00Z"),  # same incident as r1
    _report("r3", "2026-05-20T10:00:00Z", "2026-03-01T21:00:00Z"),  # 11 weeks late
    _report("r4", "2026-06-30T10:00:00Z", "2026-06-29T22:00:00Z", "council"),
    _report("r5", "2026-12-01T10:00:00Z", "2026-11-30T22:00:00Z"),  # beyond the window
]


def _rows() -> dict[str, ComplaintRow]:
    return {r.id: r for r in complaint_rows(CASE, REPORTS, DEFAULT_POLICY)}


# --- which complaints count ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("id", "reference", "agency", "qualifying", "counted", "note"),
    [
        ("c1", "ASB-2026-0417", "landlord", True, True, "Counted by the Community Trigger rule"),
        ("r1", "ASB-2026-0417 report 1", "police", True, True, "Counted by"),
        (
            "r2",
            "ASB-2026-0417 report 2",
            "landlord",
            False,
            False,
            "Same incident as ASB-2026-0417 report 1: counted once",
        ),
        ("r3", "ASB-2026-0417 report 3", "landlord", False, False, "Not qualifying: reported"),
        ("r4", "ASB-2026-0417 report 4", "council", True, True, "Counted by"),
        (
            "r5",
            "ASB-2026-0417 report 5",
            "landlord",
            True,
            False,
            "Qualifying, but outside the 6-month window",
        ),
    ],
)
def test_complaint_rows(
    id: str, reference: str, agency: str, qualifying: bool, counted: bool, note: str
) -> None:
    row = _rows()[id]
    assert (row.reference, row.agency, row.qualifying, row.counted) == (
        reference,
        agency,
        qualifying,
        counted,
    )
    assert row.note.startswith(note)
    assert row.kind == ("receipt" if id == "c1" else "report")


def test_rows_oldest_first_and_labelled_with_date_agency_reference() -> None:
    rows = complaint_rows(CASE, REPORTS, DEFAULT_POLICY)
    assert [r.id for r in rows] == ["c1", "r1", "r2", "r3", "r4", "r5"]
    assert rows[1].text == "Tue 10 Feb 2026 · Police · ASB-2026-0417 report 1"
    assert rows[0].text == "Mon 05 Jan 2026 · Landlord · ASB-2026-0417"


def test_rows_agree_with_the_domain_rule() -> None:
    trigger = trigger_for(CASE, REPORTS, DEFAULT_POLICY)
    assert trigger.eligible
    assert [c.ref for c in trigger.counted] == [r.id for r in _rows().values() if r.counted]


@pytest.mark.parametrize(
    ("incident", "reported", "qualifying"),
    [
        ("2026-03-01T21:00:00Z", "2026-04-01T10:00:00Z", True),  # a month to the day
        ("2026-03-01T21:00:00Z", "2026-04-02T10:00:00Z", False),  # a day more
        # 31 Jan 23:30 UTC is 31 Jan in London; a month later is 28 Feb.
        ("2026-01-31T23:30:00Z", "2026-02-28T23:00:00Z", True),
        ("2026-01-31T23:30:00Z", "2026-03-01T00:30:00Z", False),
        (None, "2026-09-01T10:00:00Z", True),  # no incident time: current behaviour
    ],
)
def test_qualifying_month_boundary(incident: str | None, reported: str, qualifying: bool) -> None:
    rows = {
        r.id: r for r in complaint_rows(CASE, [_report("r", reported, incident)], DEFAULT_POLICY)
    }
    assert rows["r"].qualifying is qualifying
    assert rows["r"].counted is False  # two complaints: below the rule of 3
    assert rows["r"].note == ("Qualifying complaint" if qualifying else rows["r"].note)


def test_case_without_reference_or_times() -> None:
    case = {"id": "c9", "received_at": None}
    rows = complaint_rows(case, [_report("r", "junk", None)], DEFAULT_POLICY)
    assert rows == []  # neither a receipt time nor a readable report time: nothing to list
    rows = complaint_rows({"id": "c9", "received_at": "2026-06-01T09:00:00Z"}, [], DEFAULT_POLICY)
    assert [(r.reference, r.qualifying, r.counted) for r in rows] == [("This case", True, False)]


# --- who may open ----------------------------------------------------------------------------
NOT_ELIGIBLE = {**CASE, "ct_eligible": False}


@pytest.mark.parametrize(
    ("case", "role", "has_review", "allowed", "why"),
    [
        (CASE, "officer", False, True, "Community Trigger: 3 qualifying"),
        (CASE, "manager", False, True, "Community Trigger: 3 qualifying"),
        (CASE, "pcso", False, False, "Community Trigger records are kept by housing staff."),
        (CASE, "councillor", True, False, "Community Trigger records are kept by housing staff."),
        (NOT_ELIGIBLE, "officer", True, True, "A Community Trigger record exists"),
        # Flagged eligible by the server (its policy) though this tablet's rule says no.
        (
            {**CASE, "id": "c2", "reason": "Noise; Community Trigger: 5 different individuals"},
            "officer",
            False,
            True,
            "Community Trigger: 5 different individuals",
        ),
        (NOT_ELIGIBLE, "officer", False, False, "No Community Trigger: 1 of 3"),
        ({**NOT_ELIGIBLE, "vulnerable": True}, "officer", False, False, "No Community Trigger"),
        ({**NOT_ELIGIBLE, "vulnerable": True}, "manager", False, True, "Opened by a manager"),
    ],
)
def test_may_open(
    case: dict[str, Any], role: str, has_review: bool, allowed: bool, why: str
) -> None:
    reports = REPORTS if case["ct_eligible"] and case["id"] == "c1" else []
    trigger = trigger_for(case, reports, DEFAULT_POLICY)
    ok, reason = may_open(case, role=role, has_review=has_review, trigger=trigger)
    assert ok is allowed and reason.startswith(why)
    if role == "officer" and case.get("vulnerable") and not allowed:
        assert "A manager may open a review for a vulnerable victim" in reason


# --- the patch -------------------------------------------------------------------------------
OFFERED = ["c1", "r1", "r2", "r3", "r4", "r5"]


def _inputs(**kw: Any) -> ReviewInputs:
    base: dict[str, Any] = {
        "applicant_name": " Karen Jones ",
        "applicant_kind": "victim",
        "complaint_ids": ["r4", "c1", "r1"],
        "risk_level": "medium",
        "decision": "met",
        "decided_at": "14/07/2026 10:30",
    }
    base.update(kw)
    return ReviewInputs(**base)


def test_a_full_record() -> None:
    built = review_patch(
        "c1",
        _inputs(
            recommendations=[
                Recommendation("Mediation between the neighbours", "Tenancy team", "2026-08-01"),
                Recommendation("", "", ""),  # an empty row is dropped
                Recommendation("Noise recording kit", " Sarah Whitfield ", "9/8/2026"),
            ],
            outcome=" Action plan agreed ",
            appeal="",
        ),
        offered_ids=OFFERED,
        now=NOW,
    )
    assert built.ok, built.errors
    assert built.patch == {
        "case_id": "c1",
        "applicant": {"name": "Karen Jones", "kind": "victim", "consent": True},
        "complaint_ids": ["c1", "r1", "r4"],  # in the case's order, not the ticking order
        "risk_level": "medium",
        "decision": "met",
        "decided_at": "2026-07-14T09:30:00Z",  # 10:30 in London (BST)
        "recommendations": [
            {
                "text": "Mediation between the neighbours",
                "owner": "Tenancy team",
                "due_on": "2026-08-01",
            },
            {"text": "Noise recording kit", "owner": "Sarah Whitfield", "due_on": "2026-08-09"},
        ],
        "outcome": "Action plan agreed",
        "appeal": None,
    }
    assert validate_patch("ct_review", built.patch, creating=True) == []


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"applicant_name": "  "}, {"applicant_name": "Required"}),
        ({"applicant_kind": None}, {"applicant_kind": "Choose who applied"}),
        (
            {"applicant_kind": "third_party"},
            {"consent": "A third party may apply only with the victim's consent"},
        ),
        ({"applicant_kind": "third_party", "consent": True}, {}),
        (
            {"complaint_ids": ["c1", "elsewhere"]},
            {"complaint_ids": "Only this case's complaints can be counted"},
        ),
        ({"complaint_ids": []}, {}),  # the panel may count none (a review opened regardless)
        ({"decided_at": ""}, {"decided_at": "Required once the threshold is decided"}),
        ({"decision": None}, {"decision": "Choose the decision made on this date"}),
        ({"decision": None, "decided_at": ""}, {}),  # not decided yet
        ({"decided_at": "10/12/2026 12:00"}, {}),  # now (London = UTC in December)
        (
            {"decided_at": "10/12/2026 12:01"},
            {"decided_at": "The decision cannot be in the future"},
        ),
        (
            {"decided_at": "14/07/2026"},
            {"decided_at": "Enter a date and time as DD/MM/YYYY HH:MM, e.g. 10/06/2026 21:30"},
        ),
        (
            {"decided_at": "30/02/2026 10:00"},
            {"decided_at": "No such date or time: 30/02/2026 10:00"},
        ),
        (
            {"recommendations": [Recommendation("Mediation", "", "2026-08-01")]},
            {"rec0.owner": "Who will do it? Required"},
        ),
        (
            {"recommendations": [Recommendation("", "Tenancy team", "")]},
            {"rec0.text": "Describe the recommendation", "rec0.due_on": "Required"},
        ),
        (
            {"recommendations": [Recommendation("Mediation", "Tenancy team", "next week")]},
            {"rec0.due_on": "Enter a date as DD/MM/YYYY, e.g. 09/03/2014"},
        ),
    ],
)
def test_patch_errors(change: dict[str, Any], errors: dict[str, str]) -> None:
    built = review_patch("c1", _inputs(**change), offered_ids=OFFERED, now=NOW)
    assert built.errors == errors


def test_consent_recorded_for_a_third_party() -> None:
    built = review_patch(
        "c1",
        _inputs(applicant_kind="third_party", consent=True, applicant_name="Cllr M Dennett"),
        offered_ids=OFFERED,
        now=NOW,
    )
    assert built.patch["applicant"] == {
        "name": "Cllr M Dennett",
        "kind": "third_party",
        "consent": True,
    }


def test_stored_record_reads_back_into_the_same_patch() -> None:
    first = review_patch(
        "c1",
        _inputs(
            recommendations=[Recommendation("Mediation", "Tenancy team", "2026-08-01")],
            outcome="Agreed",
            appeal="Appeal lodged 1 Aug; upheld",
        ),
        offered_ids=OFFERED,
        now=NOW,
    )
    again = review_patch("c1", inputs_from_review(first.patch), offered_ids=OFFERED, now=NOW)
    assert again.ok and again.patch == first.patch


def test_junk_record_reads_as_blank_form() -> None:
    junk = {
        "applicant": "Karen",
        "complaint_ids": "c1",
        "decision": "maybe",
        "recommendations": ["x", {"text": "Mediation"}],
        "risk_level": "severe",
    }
    inputs = inputs_from_review(junk)
    assert inputs.applicant_name == "" and inputs.applicant_kind is None
    assert inputs.complaint_ids == [] and inputs.decision is None and inputs.risk_level is None
    assert inputs.recommendations == [Recommendation("Mediation", "", "")]


def test_new_record_starts_from_the_case() -> None:
    rows = complaint_rows(CASE, REPORTS, DEFAULT_POLICY)
    start = new_inputs(CASE, rows, {"id": "p1", "name": "Karen Jones"})
    assert (start.applicant_name, start.applicant_kind, start.risk_level) == (
        "Karen Jones",
        "victim",
        "medium",
    )
    assert start.complaint_ids == ["c1", "r1", "r4"]  # what the rule counted
    assert start.decision is None and start.decided_at == ""
    # Opened regardless of the rule (a vulnerable victim): every qualifying complaint ticked.
    few = complaint_rows(CASE, REPORTS[1:3], DEFAULT_POLICY)
    assert new_inputs({**CASE, "risk_level": None}, few, None).complaint_ids == ["c1", "r2"]


def test_summary_lines() -> None:
    rows = complaint_rows(CASE, REPORTS, DEFAULT_POLICY)
    trigger = trigger_for(CASE, REPORTS, DEFAULT_POLICY)
    rule, chosen = summary_lines(trigger, rows, ["c1", "r5", "elsewhere"])
    assert (rule.value, rule.tone) == ("Eligible", "alert")
    assert rule.reason == "Community Trigger: 3 qualifying complaints within 6 months (threshold 3)"
    assert (chosen.value, chosen.reason) == ("2 of 6 chosen", "The rule counted 3")
