"""The ASB report form as plain functions: typed input -> patch, and the live triage lines.

The officer fills the form while talking to the complainant; after every change the screen
asks ``triage_lines`` what the rules say (priority, vulnerability, threshold, response due
time, risk level, Community Trigger), each with its reason, using the shared domain code the
store and the server also run, so what the officer sees is what gets saved.

The incident time typed on a case goes in ``asb_case.incident_at``: it decides whether the
first complaint qualifies for the Community Trigger (reported within a month of the behaviour).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fieldapp.domain.asb import Risk, assess_vulnerability, triage_case
from fieldapp.domain.calendar import local_date
from fieldapp.domain.community_trigger import Complaint, community_trigger
from fieldapp.domain.policy import Policy
from fieldapp.domain.wire import flag, parse_day, parse_time
from fieldapp.sync.protocol import (
    AGENCIES,
    ASB_CATEGORIES,
    ASB_STATUSES,
    HARM_TYPES,
    RISK_ANSWER_KEYS,
)
from fieldapp.views.logic_forms import (
    FormResult,
    Line,
    Tone,
    blank_to_none,
    due_text,
    due_tone,
    label,
    options,
    parse_local_time,
    time_input,
)
from fieldapp.views.logic_walkabout import observation_title

CATEGORY_LABELS = {"crime": "Crime (category 1)", "noise": "Noise (category 2)",
                   "other": "Other ASB (category 3)"}  # fmt: skip
STATUS_LABELS = {"advice_given": "Advice given", "action_plan": "Action plan"}
AGENCY_LABELS = {"landlord": "Landlord (us)", "police": "Police", "council": "Council"}
SCALE_KEYS = frozenset({"health_impact", "unsafe_at_home"})  # answered 0-3, the rest yes/no
RISK_QUESTIONS: Mapping[str, str] = {
    "hate_or_targeted": "Hate-motivated or targeted",
    "threats_or_violence": "Threats or violence",
    "self_harm_thoughts": "Thoughts of self-harm",
    "repeat_3_in_3_months": "3 or more incidents in 3 months",
    "health_impact": "Effect on health (0-3)",
    "unsafe_at_home": "Feels unsafe at home (0-3)",
    "considering_moving": "Considering moving",
    "disability": "Disability",
    "over_75_or_child": "Over 75 or a child in the household",
    "isolated": "Isolated",
    "other_agency_support": "Support from another agency",
    "personal_budget": "Personal Budget",
    "safeguarding_concern": "Existing safeguarding or domestic-abuse concern",
}
VULNERABILITY_QUESTIONS: Mapping[str, str] = {
    "over_75": "Complainant or someone affected is over 75",
    "other_org_support": "Receives support from another organisation",
    "personal_budget": "Receives a Personal Budget for care, support or health",
    "vulnerable_by_judgement": "Vulnerable by staff judgement",
}

CATEGORY_OPTIONS = options(ASB_CATEGORIES, CATEGORY_LABELS)
STATUS_OPTIONS = options(ASB_STATUSES, STATUS_LABELS)
HARM_OPTIONS = options(HARM_TYPES)
AGENCY_OPTIONS = options(AGENCIES, AGENCY_LABELS)
assert set(RISK_QUESTIONS) == set(RISK_ANSWER_KEYS), "a risk question without a label"


@dataclass
class AsbInputs:
    """What the ASB form holds, as typed (times as London wall-clock text)."""

    property_id: str | None = None
    complainant_id: str | None = None
    category: str | None = None
    urgent_crime: bool = False
    hate_motivated: bool = False
    harm_type: str | None = None
    description: str = ""
    incident_at: str = ""
    received_at: str = ""
    over_75: bool = False
    other_org_support: bool = False
    personal_budget: bool = False
    vulnerable_by_judgement: bool = False
    risk_assessed: bool = False
    risk_answers: dict[str, Any] = field(default_factory=dict)
    status: str | None = "open"
    lat: float | None = None
    lon: float | None = None


def risk_answers(inputs: AsbInputs) -> dict[str, Any] | None:
    """All 13 answers once the assessment was done (or any answer given), else None."""
    answers = {k: _answer(k, inputs.risk_answers.get(k)) for k in RISK_ANSWER_KEYS}
    touched = any(v not in (False, 0) for v in answers.values())
    return answers if inputs.risk_assessed or touched else None


def _answer(key: str, value: Any) -> bool | int:
    if key in SCALE_KEYS:
        try:
            return max(0, min(3, int(value or 0)))
        except (TypeError, ValueError):
            return 0
    return value is True


def case_patch(inputs: AsbInputs) -> FormResult:
    """The ``asb_case`` fields from the form, or the fields that cannot be read."""
    result = FormResult()
    received = result.time("received_at", inputs.received_at, required=True)
    incident = result.time("incident_at", inputs.incident_at)
    if incident is not None and received is not None and incident > received:
        result.errors["incident_at"] = "The incident cannot be after the report"
    if inputs.category not in ASB_CATEGORIES:
        result.errors["category"] = "Required"
    result.patch = {
        "property_id": inputs.property_id or None,
        "complainant_id": inputs.complainant_id or None,
        "category": inputs.category,
        "urgent_crime": inputs.urgent_crime and inputs.category == "crime",
        "hate_motivated": inputs.hate_motivated,
        "harm_type": inputs.harm_type or None,
        "description": inputs.description.strip() or None,
        "incident_at": incident,
        "received_at": received,
        "over_75": inputs.over_75,
        "other_org_support": inputs.other_org_support,
        "personal_budget": inputs.personal_budget,
        "vulnerable_by_judgement": inputs.vulnerable_by_judgement,
        "risk_answers": risk_answers(inputs),
        "status": inputs.status or "open",
    }
    if inputs.lat is not None and inputs.lon is not None:
        result.patch.update(lat=inputs.lat, lon=inputs.lon)
    return result


def inputs_from_case(case: Mapping[str, Any]) -> AsbInputs:
    """The form's content for a stored case (the reverse of ``case_patch``)."""
    answers = case.get("risk_answers")
    return AsbInputs(
        property_id=case.get("property_id"),
        complainant_id=case.get("complainant_id"),
        category=case.get("category"),
        urgent_crime=flag(case.get("urgent_crime")),
        hate_motivated=flag(case.get("hate_motivated")),
        harm_type=case.get("harm_type"),
        description=case.get("description") or "",
        incident_at=time_input(case.get("incident_at")),
        received_at=time_input(case.get("received_at")),
        over_75=flag(case.get("over_75")),
        other_org_support=flag(case.get("other_org_support")),
        personal_budget=flag(case.get("personal_budget")),
        vulnerable_by_judgement=flag(case.get("vulnerable_by_judgement")),
        risk_assessed=isinstance(answers, dict),
        risk_answers=dict(answers) if isinstance(answers, dict) else {},
        status=case.get("status") or "open",
        lat=case.get("lat"),
        lon=case.get("lon"),
    )


def prefill_from_observation(observation: Mapping[str, Any], now: datetime) -> AsbInputs:
    """A new case raised from a walkabout observation: place, time and what was seen."""
    kind = str(observation.get("kind") or "other")
    offensive = observation.get("offensive") is True
    seen = observation_title(observation)  # as the walkabout names it
    text = observation.get("description") or ""
    return AsbInputs(
        property_id=observation.get("nearest_property_id"),
        category="crime" if kind == "vandalism" or offensive else "other",
        harm_type="environmental",
        description=f"Seen on an estate walkabout: {seen}. {text}".strip(),
        incident_at=time_input(observation.get("logged_at")),
        received_at=time_input(now),
        lat=observation.get("lat"),
        lon=observation.get("lon"),
    )


# --- further reports -----------------------------------------------------------------------
@dataclass
class ReportInputs:
    """A further report about the same problem, as typed."""

    incident_at: str = ""
    reported_at: str = ""
    reporter_id: str | None = None
    agency: str | None = "landlord"
    description: str = ""
    hate_motivated: bool = False


def report_patch(case_id: str, inputs: ReportInputs) -> FormResult:
    """The ``asb_report`` record (append-only: written once, never edited)."""
    result = FormResult()
    reported = result.time("reported_at", inputs.reported_at, required=True)
    # A blank report is not a complaint, yet it would count towards the Community Trigger.
    incident = result.time("incident_at", inputs.incident_at, required=True)
    if incident is not None and reported is not None and incident > reported:
        result.errors["incident_at"] = "The incident cannot be after the report"
    if not inputs.description.strip():
        result.errors["description"] = "Required: say what happened"
    result.patch = {
        "case_id": case_id,
        "incident_at": incident,
        "reported_at": reported,
        "reporter_id": inputs.reporter_id or None,
        "agency": inputs.agency or None,
        "description": blank_to_none(inputs.description),
        "hate_motivated": inputs.hate_motivated,
    }
    return result


def complaints(reports: Iterable[Mapping[str, Any]]) -> list[Complaint]:
    """Further reports as the complaints the triage and Community Trigger rules count."""
    out = []
    for r in reports:
        reported = parse_time(r.get("reported_at"))
        if reported is None:
            continue
        out.append(
            Complaint(
                reported_at=reported,
                incident_at=parse_time(r.get("incident_at")),
                agency=r.get("agency"),
                reporter_id=r.get("reporter_id"),
                hate_motivated=flag(r.get("hate_motivated")),
                ref=r.get("id"),
            )
        )
    return out


def reports_newest_first(reports: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Further reports, the latest report first."""
    return sorted(reports, key=lambda r: str(r.get("reported_at") or ""), reverse=True)


# --- live triage ---------------------------------------------------------------------------
def triage_lines(
    inputs: AsbInputs,
    *,
    reports: Sequence[Mapping[str, Any]] = (),
    complainant_dob: str | None = None,
    case_id: str | None = None,
    policy: Policy,
    now: datetime,
) -> list[Line]:
    """Priority, vulnerability, threshold, response due, risk and Community Trigger, with why."""
    received = parse_time(parse_local_time(inputs.received_at)[0])
    incident = parse_time(parse_local_time(inputs.incident_at)[0])
    category = inputs.category if inputs.category in ASB_CATEGORIES else None
    dob = parse_day(complainant_dob)
    earlier = complaints(reports)
    answers = risk_answers(inputs)
    triage = triage_case(
        category=category,
        received_at=received,
        incident_at=incident,
        reports=earlier,
        urgent_crime=inputs.urgent_crime,
        hate_motivated=inputs.hate_motivated,
        case_id=case_id,
        complainant_id=inputs.complainant_id,
        complainant_dob=dob,
        over_75=inputs.over_75,
        other_org_support=inputs.other_org_support,
        personal_budget=inputs.personal_budget,
        vulnerable_by_judgement=inputs.vulnerable_by_judgement,
        risk_answers=answers,
        policy=policy,
        now=now,
    )
    vuln = assess_vulnerability(
        received_on=local_date(received or now, policy),
        date_of_birth=dob,
        over_75=inputs.over_75,
        other_org_support=inputs.other_org_support,
        personal_budget=inputs.personal_budget,
        by_judgement=inputs.vulnerable_by_judgement,
        policy=policy,
    )
    everything = list(earlier)
    if received is not None:
        everything.append(
            Complaint(received, incident, "landlord", inputs.complainant_id,
                      inputs.hate_motivated, case_id)
        )  # fmt: skip
    trigger = community_trigger(everything, policy=policy, complainant_id=inputs.complainant_id)
    clock = triage.reason.split("; ")[0]
    return [
        _priority_line(category, triage.priority, inputs.urgent_crime),
        Line(
            "Vulnerability",
            "Vulnerable" if vuln.vulnerable else "Not vulnerable",
            "Duty of care: " + ", ".join(vuln.grounds)
            if vuln.vulnerable
            else "No to the three questions, not judged vulnerable",
            "warn" if vuln.vulnerable else "info",
        ),
        _threshold_line(triage.threshold_applies, triage.threshold_met, category, policy),
        Line(
            "Response due",
            due_text(triage.due_at, now) if triage.due_at else "No response clock",
            clock,
            due_tone(triage.due_at, now) if triage.due_at else "info",
        ),
        _risk_line(triage.risk, policy, assessed=answers is not None),
        Line(
            "Community Trigger",
            "Eligible" if trigger.eligible else "Not eligible",
            trigger.reason,
            "alert" if trigger.eligible else "info",
        ),
    ]


def _priority_line(category: str | None, priority: int | None, urgent: bool) -> Line:
    if category is None or priority is None:
        return Line("Priority", "Not set", "Choose a category")
    if urgent and category == "crime":
        return Line("Priority", f"{priority} (urgent crime)", "Urgent crime", "alert")
    return Line(
        "Priority", str(priority), f"{label(category)} is category {priority}",
        "warn" if priority == 1 else "info",
    )  # fmt: skip


def _threshold_line(applies: bool | None, met: bool, category: str | None, policy: Policy) -> Line:
    rule = f"{policy.threshold_reports} reports within {policy.threshold_window_days} days"
    if applies is None:
        return Line("Threshold", "Not known", "Choose a category")
    if not applies:
        why = (
            f"{label(category)} is always answered"
            if category in policy.asb_threshold_exempt
            else "Vulnerable complainant: duty of care, no threshold"
        )
        return Line("Threshold", "Does not apply", why)
    if met:
        return Line("Threshold", "Applies: met", f"At least {rule}", "warn")
    return Line(
        "Threshold", "Applies: not met",
        f"Fewer than {rule}: advice (self-help, mediation offer), no response clock",
    )  # fmt: skip


def _risk_line(risk: Risk | None, policy: Policy, *, assessed: bool) -> Line:
    if risk is None:
        return Line("Risk", "Not assessed", "Answer the risk questions with the complainant")
    top = sum(policy.risk_points.values())
    flags = ", ".join(RISK_QUESTIONS.get(f, label(f)).lower() for f in risk.red_flags)
    why = f"Score {risk.score} of {top}" + (f"; red flag: {flags}" if flags else "")
    if not assessed:
        why += "; risk questions not asked yet (unanswered count as no)"
    tone: Tone = "alert" if risk.level == "high" else "warn" if risk.level == "medium" else "info"
    return Line("Risk", label(risk.level), why, tone)


def members_for_complainant(persons: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """``(id, name)`` of the household members who can be the complainant (living there)."""
    out = []
    for p in persons:
        if p.get("status") == "unverified_occupant" or p.get("moved_out_on") or p.get("died_on"):
            continue
        out.append((str(p.get("id")), str(p.get("name") or "Unnamed person")))
    return sorted(out, key=lambda item: item[1].lower())
