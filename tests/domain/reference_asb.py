"""The straightforward ASB triage and Community Trigger code, as it was before the fast paths.

Kept only as the reference the property tests compare the optimised rules against
(``test_asb_fast_path.py``): one sort per pass, a local date per use, no shared work. It
reuses the unchanged pieces of the rules (the dataclasses, vulnerability, risk, due times).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fieldapp.domain.asb import Risk, Triage, Vulnerability
from fieldapp.domain.calendar import add_months, due_after
from fieldapp.domain.community_trigger import Complaint, TriggerResult
from fieldapp.domain.derive import Lookup
from fieldapp.domain.policy import Deadline, Policy
from fieldapp.domain.wire import flag, parse_day, parse_time, text, time_out

CATEGORY_WORDS = {"crime": "Crime", "noise": "Noise", "other": "Other ASB"}


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on ``day`` (a 29 February birthday falls on 1 March)."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def assess_vulnerability(
    *,
    received_on: date,
    date_of_birth: date | None = None,
    over_75: bool = False,
    other_org_support: bool = False,
    personal_budget: bool = False,
    by_judgement: bool = False,
    policy: Policy,
) -> Vulnerability:
    """The three Clarion questions, the date of birth, and staff judgement."""
    grounds: list[str] = []
    if date_of_birth is not None and age_on(date_of_birth, received_on) >= policy.vulnerable_age:
        grounds.append(f"aged {policy.vulnerable_age} or over")
    elif over_75:
        grounds.append(f"over {policy.vulnerable_age}")
    if other_org_support:
        grounds.append("support from another organisation")
    if personal_budget:
        grounds.append("Personal Budget")
    if by_judgement:
        grounds.append("judged vulnerable")
    return Vulnerability(bool(grounds), tuple(grounds))


def _points(value: Any, most: int) -> int:
    """An answer as points: True = 1, a number clamped to 0..most, anything else 0."""
    if value is True:
        points = 1
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        points = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        points = int(value.strip())
    elif isinstance(value, str) and value.strip().lower() in ("yes", "true", "y"):
        points = 1
    else:
        points = 0
    return max(0, min(most, points))


def assess_risk(
    answers: Mapping[str, Any], *, policy: Policy, hate_motivated: bool = False
) -> Risk:
    """Score the 12 questions and look for red flags (``hate_motivated`` from the case)."""
    score = 0
    flags: list[str] = []
    if answers:  # no answers yet (most cases): every question counts 0, no flag is raised
        score = sum(_points(answers.get(key), most) for key, most in policy.risk_points.items())
        flags = [key for key in policy.risk_red_flags if _points(answers.get(key), 1) > 0]
    if hate_motivated and policy.hate_flag_is_red_flag and "hate_or_targeted" not in flags:
        flags.append("hate_or_targeted")
    if flags or score >= policy.risk_high_score:
        level = "high"
    elif score >= policy.risk_medium_score:
        level = "medium"
    else:
        level = "standard"
    return Risk(level, score, tuple(flags))


def local_date(moment: datetime, policy: Policy) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: rules work on timezone-aware times only")
    return moment.astimezone(ZoneInfo(policy.timezone)).date()


def incident_key(complaint: Complaint) -> tuple[object, ...]:
    if complaint.incident_at is None:
        return ("report", complaint.ref, complaint.reported_at)
    minute = complaint.incident_at.replace(second=0, microsecond=0)
    return ("incident", minute)


def distinct_incidents(complaints: Iterable[Complaint]) -> list[Complaint]:
    ordered = sorted(complaints, key=lambda c: (c.reported_at, c.ref or ""))
    kept: dict[tuple[object, ...], Complaint] = {}
    for c in ordered:
        key = incident_key(c)
        first = kept.get(key)
        if first is None:
            kept[key] = c
        elif c.hate_motivated and not first.hate_motivated:
            kept[key] = Complaint(
                first.reported_at,
                first.incident_at,
                first.agency,
                first.reporter_id,
                True,
                first.ref,
            )
    return sorted(kept.values(), key=lambda c: (c.reported_at, c.ref or ""))


def qualifies(complaint: Complaint, policy: Policy) -> bool:
    if complaint.incident_at is None:
        return True
    limit = add_months(local_date(complaint.incident_at, policy), policy.ct_qualify_months)
    return local_date(complaint.reported_at, policy) <= limit


def _within(first: date, last: date, policy: Policy) -> bool:
    return last <= add_months(first, policy.ct_window_months)


Measure = Callable[[Sequence[Complaint]], int]


def _count(window: Sequence[Complaint]) -> int:
    return len(window)


def _individuals(window: Sequence[Complaint]) -> int:
    return len({c.reporter_id for c in window})


def _hate(window: Sequence[Complaint]) -> int:
    return sum(1 for c in window if c.hate_motivated)


def _best_window(
    items: Sequence[Complaint], policy: Policy, measure: Measure
) -> tuple[int, tuple[Complaint, ...]]:
    days = [local_date(c.reported_at, policy) for c in items]
    best: tuple[int, tuple[Complaint, ...]] = (0, ())
    start = 0
    for end in range(len(items)):
        while not _within(days[start], days[end], policy):
            start += 1
        window = tuple(items[start : end + 1])
        value = measure(window)
        if value > best[0]:
            best = (value, window)
    return best


def community_trigger(
    complaints: Iterable[Complaint], *, policy: Policy, complainant_id: str | None = None
) -> TriggerResult:
    filled = [
        c
        if c.reporter_id is not None or complainant_id is None
        else Complaint(
            c.reported_at, c.incident_at, c.agency, complainant_id, c.hate_motivated, c.ref
        )
        for c in complaints
    ]
    qualifying = [c for c in distinct_incidents(filled) if qualifies(c, policy)]
    months = policy.ct_window_months
    checks: list[tuple[int | None, Measure, str]] = [
        (policy.ct_min_complaints, _count, "qualifying complaints"),
        (policy.ct_min_individuals, _individuals, "different individuals complaining"),
        (policy.ct_min_hate_incidents, _hate, "hate-motivated incidents"),
    ]
    best_note = ""
    for needed, measure, words in checks:
        if needed is None:
            continue
        found, window = _best_window(qualifying, policy, measure)
        if found >= needed:
            return TriggerResult(
                True,
                window,
                f"Community Trigger: {found} {words} within {months} months (threshold {needed})",
            )
        if not best_note:
            best_note = f"{found} of {needed} {words} within {months} months"
    return TriggerResult(
        False,
        tuple(qualifying),
        f"No Community Trigger: {best_note}" if best_note else "No Community Trigger rule set",
    )


def threshold_met_at(complaints: Iterable[Complaint], policy: Policy) -> datetime | None:
    reports = distinct_incidents(complaints)
    need = max(policy.threshold_reports, 1)
    days = [local_date(c.reported_at, policy) for c in reports]
    start = 0
    for end, day in enumerate(days):
        while (day - days[start]).days > policy.threshold_window_days:
            start += 1
        if end - start + 1 >= need:
            return reports[end].reported_at
    return None


def _target(category: str, urgent: bool, policy: Policy) -> tuple[Deadline, str] | None:
    if urgent:
        return policy.urgent_crime_target, "Urgent crime"
    deadline = policy.asb_targets.get(category)
    if deadline is None:
        return None
    return deadline, CATEGORY_WORDS.get(category, category.capitalize())


def triage_case(
    *,
    category: str | None,
    received_at: datetime | None,
    incident_at: datetime | None = None,
    reports: Sequence[Complaint] = (),
    urgent_crime: bool = False,
    hate_motivated: bool = False,
    case_id: str | None = None,
    complainant_id: str | None = None,
    complainant_dob: date | None = None,
    over_75: bool = False,
    other_org_support: bool = False,
    personal_budget: bool = False,
    vulnerable_by_judgement: bool = False,
    risk_answers: Mapping[str, Any] | None = None,
    policy: Policy,
    now: datetime,
) -> Triage:
    """Triage one ASB case from its own fields and its further reports.

    The case's receipt counts as the first complaint (agency landlord, by the complainant).
    ``now`` is used only to take the complainant's age when the receipt time is unknown.
    """
    known = category if category in policy.asb_priority else None
    priority = policy.asb_priority[known] if known is not None else None
    received_on = local_date(received_at if received_at is not None else now, policy)
    vuln = assess_vulnerability(
        received_on=received_on,
        date_of_birth=complainant_dob,
        over_75=over_75,
        other_org_support=other_org_support,
        personal_budget=personal_budget,
        by_judgement=vulnerable_by_judgement,
        policy=policy,
    )
    complaints = list(reports)
    if received_at is not None:
        complaints.append(
            Complaint(received_at, incident_at, "landlord", complainant_id, hate_motivated, case_id)
        )
    met_at = threshold_met_at(complaints, policy)
    exempt = known is not None and known in policy.asb_threshold_exempt
    threshold_applies = None if known is None else not exempt and not vuln.vulnerable
    any_hate = hate_motivated or any(c.hate_motivated for c in reports)
    risk = assess_risk(risk_answers or {}, policy=policy, hate_motivated=any_hate)
    trigger = community_trigger(complaints, policy=policy, complainant_id=complainant_id)

    urgent = urgent_crime and known == "crime"
    target = None if known is None else _target(known, urgent, policy)
    due_at: datetime | None = None
    parts: list[str] = []
    if known is None:
        parts.append("Category not recorded: no response target")
    elif target is None:
        parts.append(f"No response target set for {known}")
    else:
        deadline, label = target
        if received_at is None:
            parts.append(f"{label}: receipt time not recorded, no response clock")
        elif exempt or vuln.vulnerable:
            due_at = due_after(received_at, deadline, policy)
            why = f", vulnerable ({', '.join(vuln.grounds)})" if vuln.vulnerable else ""
            parts.append(f"{label}{why}: respond within {deadline.describe()}")
        elif met_at is not None:
            due_at = due_after(max(received_at, met_at), deadline, policy)
            parts.append(
                f"{label}, threshold met ({policy.threshold_reports} reports within "
                f"{policy.threshold_window_days} days): respond within {deadline.describe()}"
            )
        else:
            parts.append(
                f"{label}: below threshold ({policy.threshold_reports} reports within "
                f"{policy.threshold_window_days} days), advice, no response clock"
            )
    if risk_answers is not None or risk.level != "standard":
        flags = f", red flag: {', '.join(risk.red_flags)}" if risk.red_flags else ""
        parts.append(f"risk {risk.level} (score {risk.score}{flags})")
    if trigger.eligible:
        parts.append(trigger.reason)
    return Triage(
        priority=priority,
        vulnerable=vuln.vulnerable,
        threshold_applies=threshold_applies,
        threshold_met=met_at is not None,
        due_at=due_at,
        risk=risk,
        ct_eligible=trigger.eligible,
        reason="; ".join(parts),
    )


def _complaint(report: Mapping[str, Any]) -> Complaint | None:
    reported_at = parse_time(report.get("reported_at"))
    if reported_at is None:
        return None  # a report with no time cannot be placed in any window
    agency = report.get("agency")
    return Complaint(
        reported_at=reported_at,
        incident_at=parse_time(report.get("incident_at")),
        agency=agency if isinstance(agency, str) else None,
        reporter_id=text(report.get("reporter_id")),
        hate_motivated=flag(report.get("hate_motivated")),
        ref=text(report.get("id")),
    )


def derive_asb_case(
    record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    case_id = text(record.get("id"))
    found = () if case_id is None else lookup.find("asb_report", "case_id", case_id)
    reports = [c for c in (_complaint(r) for r in found) if c is not None]
    person_id = text(record.get("complainant_id"))
    complainant = None if person_id is None else lookup.get("person", person_id)
    answers = record.get("risk_answers")
    category = record.get("category")
    result = triage_case(
        category=category if isinstance(category, str) else None,
        received_at=parse_time(record.get("received_at")),
        incident_at=parse_time(record.get("incident_at")),
        reports=reports,
        urgent_crime=flag(record.get("urgent_crime")),
        hate_motivated=flag(record.get("hate_motivated")),
        case_id=text(record.get("id")),
        complainant_id=text(record.get("complainant_id")),
        complainant_dob=None
        if complainant is None
        else parse_day(complainant.get("date_of_birth")),
        over_75=flag(record.get("over_75")),
        other_org_support=flag(record.get("other_org_support")),
        personal_budget=flag(record.get("personal_budget")),
        vulnerable_by_judgement=flag(record.get("vulnerable_by_judgement")),
        risk_answers=answers if isinstance(answers, Mapping) else None,
        policy=policy,
        now=now,
    )
    return {
        "priority": result.priority,
        "vulnerable": result.vulnerable,
        "threshold_applies": result.threshold_applies,
        "threshold_met": result.threshold_met,
        "due_at": time_out(result.due_at),
        "risk_level": result.risk.level,
        "ct_eligible": result.ct_eligible,
        "reason": result.reason,
    }
