"""The Community Trigger record (ASB Case Review) as plain functions: which complaints the
rule counts, who may open a record, and typed input -> ``ct_review`` patch.

The complaints of a case are its receipt (the first complaint, to the landlord, by the
complainant) and its further ``asb_report``s, built exactly as ``fieldapp.domain.asb
.triage_case`` builds them, and judged by ``fieldapp.domain.community_trigger`` (qualifying
within a month, one incident reported to several agencies counted once, the 6-month window):
nothing of the rule is re-implemented here. The form starts with the complaints the rule
counted ticked; the panel may change the choice, and its threshold decision (met / not met)
is its own, recorded with the date it was made.

A record is offered when the case is eligible, or, for a manager, when the victim is
vulnerable (domain rules: "a manager may open a review for a vulnerable victim regardless").
The applicant is the victim, or a third party with the victim's consent (a victim applying
is taken to consent). Times are typed and shown in Europe/London; the wire holds UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from fieldapp.domain.community_trigger import (
    Complaint,
    TriggerResult,
    community_trigger,
    distinct_incidents,
    incident_key,
    qualifies,
)
from fieldapp.domain.policy import Policy
from fieldapp.domain.wire import flag, parse_time, text
from fieldapp.sync.protocol import RISK_LEVELS, STAFF_ROLES
from fieldapp.views.logic_forms import (
    LOCAL,
    FormResult,
    Line,
    blank_to_none,
    label,
    options,
    parse_date_input,
    parse_local_time,
    time_input,
)
from fieldapp.views.logic_overview import trigger_reason
from fieldapp.views.logic_patch import reference_of

APPLICANT_KINDS = ("victim", "third_party")
DECISIONS = ("met", "not_met")
APPLICANT_OPTIONS = options(
    APPLICANT_KINDS, {"victim": "The victim", "third_party": "A third party for the victim"}
)
DECISION_OPTIONS = options(
    DECISIONS, {"met": "Threshold met: hold a case review", "not_met": "Threshold not met"}
)
RISK_OPTIONS = options(RISK_LEVELS)

Kind = Literal["receipt", "report"]
Record = Mapping[str, Any]


# --- the complaints of a case ----------------------------------------------------------------
def case_complaints(case: Record, reports: Iterable[Record]) -> list[Complaint]:
    """The case's receipt and further reports as the rule's complaints (``ref`` = record id)."""
    out: list[Complaint] = []
    for r in reports:
        reported = parse_time(r.get("reported_at"))
        if reported is None:
            continue  # a report with no time cannot be placed in any window
        out.append(
            Complaint(
                reported_at=reported,
                incident_at=parse_time(r.get("incident_at")),
                agency=text(r.get("agency")),
                reporter_id=text(r.get("reporter_id")),
                hate_motivated=flag(r.get("hate_motivated")),
                ref=text(r.get("id")),
            )
        )
    received = parse_time(case.get("received_at"))
    if received is not None:
        out.append(
            Complaint(received, None, "landlord", text(case.get("complainant_id")),
                      flag(case.get("hate_motivated")), text(case.get("id")))
        )  # fmt: skip
    return out


def trigger_for(case: Record, reports: Iterable[Record], policy: Policy) -> TriggerResult:
    """What the Community Trigger rule says about the case, and the complaints it counted."""
    return community_trigger(
        case_complaints(case, reports),
        policy=policy,
        complainant_id=text(case.get("complainant_id")),
    )


@dataclass(frozen=True)
class ComplaintRow:
    """One complaint as the form lists it, with what the rule made of it."""

    id: str  # the case id (its receipt) or the asb_report id
    kind: Kind
    reported_at: datetime
    incident_at: datetime | None
    agency: str | None
    reference: str  # "ASB-2026-0417" or "ASB-2026-0417 report 2"
    qualifying: bool  # within a month of the behaviour, and not a repeat of an incident
    counted: bool  # among the complaints the rule counted (eligible cases only)
    note: str  # why it is or is not counted

    @property
    def text(self) -> str:
        """The checkbox label: date, agency and reference."""
        day = self.reported_at.astimezone(LOCAL).strftime("%a %d %b %Y")
        return f"{day} · {label(self.agency) or 'Agency not recorded'} · {self.reference}"


def complaint_rows(case: Record, reports: Iterable[Record], policy: Policy) -> list[ComplaintRow]:
    """Every complaint of the case, oldest first, marked as the rule counted it."""
    complaints = case_complaints(case, reports)
    trigger = community_trigger(
        complaints, policy=policy, complainant_id=text(case.get("complainant_id"))
    )
    counted = {c.ref for c in trigger.counted} if trigger.eligible else set()
    kept = {incident_key(c): c for c in distinct_incidents(complaints)}
    ordered = sorted(complaints, key=lambda c: (c.reported_at, c.ref or ""))
    ref = reference_of(case) or "This case"
    names: dict[str | None, str] = {}
    n = 0
    for c in ordered:
        if c.ref == case.get("id"):
            names[c.ref] = ref
        else:
            n += 1
            names[c.ref] = f"{ref} report {n}"
    rows: list[ComplaintRow] = []
    for c in ordered:
        first = kept.get(incident_key(c))
        repeat = first is not None and first.ref != c.ref
        qualifying = not repeat and qualifies(c, policy)
        if first is not None and repeat:
            note = f"Same incident as {names.get(first.ref, 'an earlier complaint')}: counted once"
        elif not qualifying:
            note = (
                f"Not qualifying: reported more than {policy.ct_qualify_months} month(s) "
                "after the behaviour"
            )
        elif c.ref in counted:
            note = "Counted by the Community Trigger rule"
        elif trigger.eligible:
            note = f"Qualifying, but outside the {policy.ct_window_months}-month window counted"
        else:
            note = "Qualifying complaint"
        rows.append(
            ComplaintRow(
                id=str(c.ref),
                kind="receipt" if c.ref == case.get("id") else "report",
                reported_at=c.reported_at,
                incident_at=c.incident_at,
                agency=c.agency,
                reference=names[c.ref],
                qualifying=qualifying,
                counted=c.ref in counted,
                note=note,
            )
        )
    return rows


# --- who may open a record -------------------------------------------------------------------
def may_open(
    case: Record, *, role: str, has_review: bool, trigger: TriggerResult
) -> tuple[bool, str]:
    """Whether this user may open a Community Trigger record for the case, and why (not)."""
    if role not in STAFF_ROLES:
        return False, "Community Trigger records are kept by housing staff."
    if has_review:
        return True, "A Community Trigger record exists for this case."
    if trigger.eligible:
        return True, trigger.reason
    if case.get("ct_eligible") is True:  # the server's policy may count differently
        return True, trigger_reason(case)
    if case.get("vulnerable") is True:
        if role == "manager":
            return True, "Opened by a manager for a vulnerable victim (threshold not reached)."
        return False, (
            f"{trigger.reason}. A manager may open a review for a vulnerable victim regardless."
        )
    return False, trigger.reason


# --- the form --------------------------------------------------------------------------------
@dataclass
class Recommendation:
    """One panel recommendation, as typed."""

    text: str = ""
    owner: str = ""
    due_on: str = ""  # YYYY-MM-DD (or D/M/YYYY)


@dataclass
class ReviewInputs:
    """What the Community Trigger form holds, as typed."""

    applicant_name: str = ""
    applicant_kind: str | None = "victim"
    consent: bool = False
    complaint_ids: list[str] = field(default_factory=list)
    risk_level: str | None = None
    decision: str | None = None
    decided_at: str = ""
    recommendations: list[Recommendation] = field(default_factory=list)
    outcome: str = ""
    appeal: str = ""


def new_inputs(
    case: Record, rows: Sequence[ComplaintRow], complainant: Record | None
) -> ReviewInputs:
    """A new record: the complainant as applicant, the case's risk, and ticked the complaints
    the rule counted (for a case opened regardless of the rule, every qualifying one)."""
    risk = case.get("risk_level")
    ticked = [r.id for r in rows if r.counted] or [r.id for r in rows if r.qualifying]
    return ReviewInputs(
        applicant_name=str((complainant or {}).get("name") or ""),
        applicant_kind="victim",
        complaint_ids=ticked,
        risk_level=risk if risk in RISK_LEVELS else None,
    )


def inputs_from_review(review: Record) -> ReviewInputs:
    """The form's content for a stored record (the reverse of ``review_patch``)."""
    applicant = review.get("applicant")
    who: Mapping[str, Any] = applicant if isinstance(applicant, Mapping) else {}
    recs = review.get("recommendations")
    ids = review.get("complaint_ids")
    return ReviewInputs(
        applicant_name=str(who.get("name") or ""),
        applicant_kind=who.get("kind") if who.get("kind") in APPLICANT_KINDS else None,
        consent=flag(who.get("consent")),
        complaint_ids=[str(i) for i in ids] if isinstance(ids, list) else [],
        risk_level=review.get("risk_level") if review.get("risk_level") in RISK_LEVELS else None,
        decision=review.get("decision") if review.get("decision") in DECISIONS else None,
        decided_at=time_input(review.get("decided_at")),
        recommendations=[
            Recommendation(
                str(r.get("text") or ""), str(r.get("owner") or ""), str(r.get("due_on") or "")
            )
            for r in (recs if isinstance(recs, list) else [])
            if isinstance(r, Mapping)
        ],  # fmt: skip
        outcome=str(review.get("outcome") or ""),
        appeal=str(review.get("appeal") or ""),
    )


def _recommendations(items: Sequence[Recommendation], result: FormResult) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for i, rec in enumerate(items):
        what, owner = rec.text.strip(), rec.owner.strip()
        due, problem = parse_date_input(rec.due_on)
        if not (what or owner or rec.due_on.strip()):
            continue  # an empty row is no recommendation
        if not what:
            result.errors[f"rec{i}.text"] = "Describe the recommendation"
        if not owner:
            result.errors[f"rec{i}.owner"] = "Who will do it? Required"
        if problem:
            result.errors[f"rec{i}.due_on"] = problem
        elif due is None:
            result.errors[f"rec{i}.due_on"] = "Required"
        out.append({"text": what, "owner": owner, "due_on": due or ""})
    return out


def review_patch(
    case_id: str, inputs: ReviewInputs, *, offered_ids: Sequence[str], now: datetime
) -> FormResult:
    """The ``ct_review`` fields from the form, or the fields that cannot be read (by key)."""
    result = FormResult()
    name = inputs.applicant_name.strip()
    if not name:
        result.errors["applicant_name"] = "Required"
    if inputs.applicant_kind not in APPLICANT_KINDS:
        result.errors["applicant_kind"] = "Choose who applied"
    third_party = inputs.applicant_kind == "third_party"
    if third_party and not inputs.consent:
        result.errors["consent"] = "A third party may apply only with the victim's consent"
    unknown = [i for i in inputs.complaint_ids if i not in offered_ids]
    if unknown:
        result.errors["complaint_ids"] = "Only this case's complaints can be counted"
    decided, problem = parse_local_time(inputs.decided_at)
    decision = inputs.decision if inputs.decision in DECISIONS else None
    if problem:
        result.errors["decided_at"] = problem
    elif decided is not None and (moment := parse_time(decided)) is not None and moment > now:
        result.errors["decided_at"] = "The decision cannot be in the future"
    elif decision is not None and decided is None:
        result.errors["decided_at"] = "Required once the threshold is decided"
    elif decision is None and decided is not None:
        result.errors["decision"] = "Choose the decision made on this date"
    chosen = set(inputs.complaint_ids)
    result.patch = {
        "case_id": case_id,
        "applicant": {
            "name": name,
            "kind": inputs.applicant_kind,
            "consent": inputs.consent if third_party else True,
        },
        "complaint_ids": [i for i in offered_ids if i in chosen],
        "risk_level": inputs.risk_level if inputs.risk_level in RISK_LEVELS else None,
        "decision": decision,
        "decided_at": decided,
        "recommendations": _recommendations(inputs.recommendations, result),
        "outcome": blank_to_none(inputs.outcome),
        "appeal": blank_to_none(inputs.appeal),
    }
    return result


def summary_lines(
    trigger: TriggerResult, rows: Sequence[ComplaintRow], chosen: Iterable[str]
) -> list[Line]:
    """The rule's answer beside the panel's choice, for the panel at the top of the form."""
    picked = set(chosen)
    counted = sum(1 for r in rows if r.counted)
    return [
        Line(
            "Community Trigger rule",
            "Eligible" if trigger.eligible else "Not eligible",
            trigger.reason,
            "alert" if trigger.eligible else "info",
        ),
        Line(
            "Complaints counted",
            f"{sum(1 for r in rows if r.id in picked)} of {len(rows)} chosen",
            f"The rule counted {counted}",
        ),
    ]
