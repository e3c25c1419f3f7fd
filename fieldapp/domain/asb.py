"""ASB triage: priority, vulnerability, threshold, response due time, risk level.

Source: Clarion Housing's ASB slides (December 2022) as written down in ``docs/domain-rules.md``;
numbers from ``Policy``:

- Priority: crime 1, noise 2, other 3 (``asb_priority``). Urgent crime is a crime flagged
  ``urgent_crime``; the flag on a noise or other case is ignored.
- Vulnerability (duty of care): yes to any of the three questions (complainant or someone
  affected over 75; support from another organisation; a Personal Budget), or marked by
  staff judgement. "Over 75" means aged 75 or more on the local date of receipt, from the
  complainant's date of birth when known; the ``over_75`` answer also counts (it covers
  "someone affected", whose age we do not hold).
- Threshold: applies to non-crime cases of a non-vulnerable complainant; met with at least
  ``threshold_reports`` (2) reports about the problem within ``threshold_window_days`` (28)
  days, counted on London dates, inclusive (reports 28 days apart are within). The case's
  receipt is the first report; one incident reported twice counts once (see
  ``community_trigger.distinct_incidents``).
- Response target (due time) only when the case is category 1, the threshold is met, or
  there is a duty of care: urgent crime 24 elapsed hours, otherwise 5 working days.
  The clock starts at receipt; for a case answered only because its threshold was met, it
  starts when the threshold was met (the report that completed it, never before receipt),
  because until then there was nothing to answer. Below the threshold there is no clock:
  the outcome is advice. (So a due time is never before the receipt clock; but a later
  receipt can itself complete the threshold sooner, and so start its clock sooner.)
- Risk (12 questions, 0-16, ``risk_points``): high on any red flag (hate, threats or
  violence, thoughts of self-harm) or score >= 10; medium 5-9; standard below 5. Missing
  answers count as no / 0, so a case with no answers yet is standard unless it is
  hate-motivated (the case's or a report's flag is the hate red flag). Reassessed on every
  derive, so each new report reassesses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fieldapp.domain.calendar import due_after, local_date
from fieldapp.domain.community_trigger import (
    Complaint,
    distinct_incidents,
    qualifies_on,
    trigger_verdict,
)
from fieldapp.domain.policy import Deadline, Policy

CATEGORY_WORDS = {"crime": "Crime", "noise": "Noise", "other": "Other ASB"}


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on ``day`` (a 29 February birthday falls on 1 March)."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


@dataclass(frozen=True)
class Vulnerability:
    """Duty of care: whether thresholds are waived, and which answers made it so."""

    vulnerable: bool
    grounds: tuple[str, ...]


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


_NOT_VULNERABLE = Vulnerability(False, ())


def threshold_met_at(complaints: Iterable[Complaint], policy: Policy) -> datetime | None:
    """When the problem first had ``threshold_reports`` reports within the window, or None."""
    reports = distinct_incidents(complaints)
    times = [c.reported_at for c in reports]
    return _threshold_met(times, [local_date(t, policy) for t in times], policy)


def _threshold_met(
    times: Sequence[datetime], days: Sequence[date], policy: Policy
) -> datetime | None:
    """``threshold_met_at`` from the distinct incidents' report times and local dates."""
    need = max(policy.threshold_reports, 1)
    if len(times) < need:
        return None  # no window can hold enough (a new case: its receipt alone)
    start = 0
    for end, day in enumerate(days):
        while (day - days[start]).days > policy.threshold_window_days:
            start += 1
        if end - start + 1 >= need:
            return times[end]
    return None


@dataclass(frozen=True)
class Risk:
    """The risk assessment: level, score (0-16 by default) and the red flags raised."""

    level: str
    score: int
    red_flags: tuple[str, ...]


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


@dataclass(frozen=True)
class Triage:
    """Everything the app shows for an ASB case, with the reason in words."""

    priority: int | None
    vulnerable: bool
    threshold_applies: bool | None
    threshold_met: bool
    due_at: datetime | None
    risk: Risk
    ct_eligible: bool
    reason: str


def _target(category: str, urgent: bool, policy: Policy) -> tuple[Deadline, str] | None:
    if urgent:
        return policy.urgent_crime_target, "Urgent crime"
    deadline = policy.asb_targets.get(category)
    if deadline is None:
        return None
    return deadline, CATEGORY_WORDS.get(category, category.capitalize())


def _complaints(
    reports: Sequence[Complaint],
    received_at: datetime | None,
    received_on: date,
    incident_at: datetime | None,
    hate_motivated: bool,
    case_id: str | None,
    complainant_id: str | None,
    policy: Policy,
) -> tuple[datetime | None, bool, str]:
    """(threshold met at, Community Trigger eligible, its reason) of a case's complaints: its
    receipt, when known, and its reports, grouped and dated once for both rules."""
    times: Sequence[datetime]
    days: Sequence[date]
    if reports:
        complaints = list(reports)
        if received_at is not None:
            complaints.append(
                Complaint(
                    received_at, incident_at, "landlord", complainant_id, hate_motivated, case_id
                )
            )
        incidents = distinct_incidents(complaints)
        times = [c.reported_at for c in incidents]
        days = [received_on if t is received_at else local_date(t, policy) for t in times]
        counted = [
            (day, c)
            for c, day in zip(incidents, days, strict=True)
            if qualifies_on(c.incident_at, day, policy)
        ]
        eligible, _, _, reason = trigger_verdict(
            [day for day, _ in counted],
            [complainant_id if c.reporter_id is None else c.reporter_id for _, c in counted],
            [c.hate_motivated for _, c in counted],
            policy=policy,
        )
    elif received_at is not None:  # a new case: its receipt is the only complaint
        times, days = (received_at,), (received_on,)
        if qualifies_on(incident_at, received_on, policy):
            verdict = trigger_verdict(days, (complainant_id,), (hate_motivated,), policy=policy)
        else:
            verdict = trigger_verdict((), (), (), policy=policy)
        eligible, _, _, reason = verdict
    else:
        times = days = ()
        eligible, _, _, reason = trigger_verdict((), (), (), policy=policy)
    return _threshold_met(times, days, policy), eligible, reason


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
    if complainant_dob is None and not (
        over_75 or other_org_support or personal_budget or vulnerable_by_judgement
    ):
        vuln = _NOT_VULNERABLE  # no question answered yes (most cases)
    else:
        vuln = assess_vulnerability(
            received_on=received_on,
            date_of_birth=complainant_dob,
            over_75=over_75,
            other_org_support=other_org_support,
            personal_budget=personal_budget,
            by_judgement=vulnerable_by_judgement,
            policy=policy,
        )
    # Positional: this runs on every derive of a case.
    met_at, ct_eligible, ct_reason = _complaints(
        reports, received_at, received_on, incident_at, hate_motivated, case_id, complainant_id,
        policy,
    )  # fmt: skip
    exempt = known is not None and known in policy.asb_threshold_exempt
    threshold_applies = None if known is None else not exempt and not vuln.vulnerable
    any_hate = hate_motivated or (bool(reports) and any(c.hate_motivated for c in reports))
    risk = assess_risk(risk_answers or {}, policy=policy, hate_motivated=any_hate)

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
    if ct_eligible:
        parts.append(ct_reason)
    return Triage(
        priority=priority,
        vulnerable=vuln.vulnerable,
        threshold_applies=threshold_applies,
        threshold_met=met_at is not None,
        due_at=due_at,
        risk=risk,
        ct_eligible=ct_eligible,
        reason="; ".join(parts),
    )
