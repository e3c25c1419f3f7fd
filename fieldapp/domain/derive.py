"""Derived fields of every entity, computed by the same code on the tablet and the server.

``derive`` is the single entry point the device store and the server call on each write; it
returns a value for every derived field the protocol (``fieldapp.sync.protocol``) names.
``dependents`` names the other records whose derived fields may change because this one
changed (a new ``asb_report`` changes its case's threshold and Community Trigger eligibility).
Records are plain dicts in wire form (ISO strings for times). Lookups are read-only.

Records may be partial or hold junk (a draft, an old row): nothing here raises on what a
record holds; an unreadable value is unknown, and what depends on it is None. Values come
back in wire form: times as ``2026-06-10T09:00:00Z``, dates as ``YYYY-MM-DD``. The rules
themselves live in the sibling modules; this file only reads records and writes results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from fieldapp.domain.asb import triage_case
from fieldapp.domain.atv import atv_due_on
from fieldapp.domain.calendar import local_date
from fieldapp.domain.community_trigger import Complaint
from fieldapp.domain.geo import nearest, nearest_block, position
from fieldapp.domain.household import assess_household
from fieldapp.domain.policy import Policy
from fieldapp.domain.repairs import repair_deadlines
from fieldapp.domain.suggestions import (
    Suggestion,
    person_suggestions,
    repair_suggestions,
    visit_suggestions,
)
from fieldapp.domain.walkabout import observation_action, walkabout_result
from fieldapp.domain.wire import date_out, flag, number, parse_day, parse_time, text, time_out


class Lookup(Protocol):
    """Read access to other records, given to ``derive`` by the store or the server."""

    def get(self, entity: str, id: str) -> Mapping[str, Any] | None:
        """The live (not deleted) record, or None."""
        ...

    def find(self, entity: str, field: str, value: Any) -> Sequence[Mapping[str, Any]]:
        """Live records of ``entity`` whose ``field`` equals ``value``."""
        ...


Deriver = Callable[[Mapping[str, Any], Lookup, Policy, datetime], dict[str, Any]]


def _get(lookup: Lookup, entity: str, id: Any) -> Mapping[str, Any] | None:
    key = text(id)
    return None if key is None else lookup.get(entity, key)


def _find(lookup: Lookup, entity: str, field: str, value: Any) -> Sequence[Mapping[str, Any]]:
    key = text(value)
    return () if key is None else lookup.find(entity, field, key)


def _property(
    record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    # The last visit is the imported date or a visit recorded since, whichever is later: an
    # officer's visit takes the home off the "ATV due" lists at once, offline too.
    visits = _find(lookup, "tenancy_visit", "property_id", record.get("id"))
    days = [parse_day(record.get("last_atv_on"))]
    days += [local_date(t, policy) for v in visits if (t := parse_time(v.get("visited_at")))]
    known = [d for d in days if d is not None]
    due = atv_due_on(max(known) if known else None, policy=policy)
    return {"atv_due_on": date_out(due)}


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


def _asb_case(
    record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    case_id = text(record.get("id"))
    complainant_id = text(record.get("complainant_id"))
    found = () if case_id is None else lookup.find("asb_report", "case_id", case_id)
    reports = [c for c in map(_complaint, found) if c is not None] if found else []
    complainant = None if complainant_id is None else lookup.get("person", complainant_id)
    answers = record.get("risk_answers")
    category = record.get("category")
    result = triage_case(
        category=category if isinstance(category, str) else None,
        received_at=parse_time(record.get("received_at")),
        incident_at=parse_time(record.get("incident_at")),
        reports=reports,
        urgent_crime=flag(record.get("urgent_crime")),
        hate_motivated=flag(record.get("hate_motivated")),
        case_id=case_id,
        complainant_id=complainant_id,
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


def _wire(found: Sequence[Suggestion]) -> list[dict[str, str]]:
    return [s.wire() for s in found]


def _answer(value: Any) -> bool | None:
    """A yes/no question as answered: True, False, or None when not answered."""
    return value if isinstance(value, bool) else None


def _person(
    record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    return {"suggested_actions": _wire(person_suggestions(record, policy=policy))}


def _repair(
    record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    reported_at = parse_time(record.get("reported_at"))
    suggested = repair_suggestions(
        hazard=text(record.get("hazard")),
        imminent_risk=flag(record.get("imminent_risk")),
        awaab=text(record.get("awaab")),
        reported_on=None if reported_at is None else local_date(reported_at, policy),
        policy=policy,
    )
    result = repair_deadlines(
        priority=text(record.get("priority")),
        reported_at=parse_time(record.get("reported_at")),
        hazard=text(record.get("hazard")),
        awaab=text(record.get("awaab")),
        investigation_concluded_at=parse_time(record.get("investigation_concluded_at")),
        policy=policy,
    )
    return {
        "due_at": time_out(result.due_at),
        "investigate_by": time_out(result.investigate_by),
        "summary_by": time_out(result.summary_by),
        "make_safe_by": time_out(result.make_safe_by),
        "preventative_start_by": time_out(result.preventative_start_by),
        "reason": result.reason,
        "suggested_actions": _wire(suggested),
    }


def _tenancy_visit(
    record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    visited_at = parse_time(record.get("visited_at")) or now
    visit_day = local_date(visited_at, policy)
    home = _get(lookup, "property", record.get("property_id"))
    rooms = None if home is None else number(home.get("bedrooms"))
    household = _find(lookup, "person", "property_id", record.get("property_id"))
    suggested = visit_suggestions(
        tenant_present=_answer(record.get("tenant_present")),
        id_verified=_answer(record.get("id_verified")),
        arrears=number(record.get("arrears_amount")),
        weekly_rent=number(record.get("weekly_rent")),
        visit_day=visit_day,
        household=household,
        policy=policy,
    )
    result = assess_household(
        household,
        visit_date=visit_day,
        bedrooms=None if rooms is None or rooms != int(rooms) else int(rooms),
        overnight_carer=flag(record.get("overnight_carer")),
        policy=policy,
    )
    return {
        "bedrooms_needed": result.bedrooms_needed,
        "bedroom_standard": result.bedroom_standard,
        "size_criteria_spare": result.size_criteria_spare,
        "size_criteria_reduction_pct": result.size_criteria_reduction_pct,
        "household_reason": result.reason,
        "suggested_actions": _wire(suggested),
    }


def _walkabout(
    record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    grades = record.get("grades")
    result = walkabout_result(
        grades if isinstance(grades, Mapping) else None,
        _find(lookup, "observation", "walkabout_id", record.get("id")),
        policy=policy,
    )
    return {"score_pct": result.score_pct, "result": result.result}


def _observation(
    record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    where = position(record)
    walk = _get(lookup, "walkabout", record.get("walkabout_id"))
    candidates = () if walk is None else _find(lookup, "property", "estate", walk.get("estate"))
    reach = policy.near_home_max_m
    near = None if where is None else nearest(*where, candidates, within=reach)
    block = None if where is None else nearest_block(*where, candidates, within=reach)
    kind = record.get("kind")
    action = observation_action(
        kind if isinstance(kind, str) else None,
        flag(record.get("offensive")),
        parse_time(record.get("logged_at")),
        policy=policy,
    )
    return {
        "nearest_property_id": None if near is None else text(near.get("id")),
        "nearest_block": block,
        "action_due_at": None if action is None else time_out(action.due_at),
    }


_DERIVERS: Mapping[str, Deriver] = {
    "property": _property,
    "person": _person,
    "asb_case": _asb_case,
    "repair": _repair,
    "tenancy_visit": _tenancy_visit,
    "walkabout": _walkabout,
    "observation": _observation,
}


def derive(
    entity: str, record: Mapping[str, Any], lookup: Lookup, policy: Policy, now: datetime
) -> dict[str, Any]:
    """Every derived field of ``record`` (a key for each, None where it does not apply).

    Each entity's rule answers every derived field the protocol names for it (a test holds
    the two to each other): the domain does not import the protocol, it is the other way.
    """
    compute = _DERIVERS.get(entity)
    return {} if compute is None else compute(record, lookup, policy, now)


def dependents(entity: str, record: Mapping[str, Any], lookup: Lookup) -> list[tuple[str, str]]:
    """(entity, id) of other records to re-derive after ``record`` was written."""
    found: list[tuple[str, str]] = []
    if entity == "asb_report":
        case_id = text(record.get("case_id"))
        if case_id is not None:
            found.append(("asb_case", case_id))
    elif entity == "tenancy_visit":
        property_id = text(record.get("property_id"))
        if property_id is not None:
            found.append(("property", property_id))
    elif entity == "observation":
        walkabout_id = text(record.get("walkabout_id"))
        if walkabout_id is not None:
            found.append(("walkabout", walkabout_id))
    elif entity == "person":
        for visit in _find(lookup, "tenancy_visit", "property_id", record.get("property_id")):
            if text(visit.get("id")) is not None:
                found.append(("tenancy_visit", str(visit["id"])))
        for case in _find(lookup, "asb_case", "complainant_id", record.get("id")):
            if text(case.get("id")) is not None:
                found.append(("asb_case", str(case["id"])))
    return list(dict.fromkeys(found))  # once each, in order
