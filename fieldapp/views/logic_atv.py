"""The Annual Tenancy Visit as plain functions: the household, the visit form, bedroom need.

During the visit the officer verifies who lives in the home: adds members (births, people who
moved in), marks people moved out or died, keeps adults without ID seen apart as unverified
occupants, and records the visit itself. As the household and the form change the screen
shows the bedroom standard and the size criteria against the home's bedrooms, and what the
rules suggest (succession for a tenant's death, a fraud check for an unverified occupant,
money advice, a follow-up visit), all from the shared domain code the server also runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from fieldapp.domain.asb import age_on
from fieldapp.domain.calendar import local_date
from fieldapp.domain.household import assess_household, gone_by
from fieldapp.domain.policy import Policy
from fieldapp.domain.suggestions import Suggestion, visit_suggestions
from fieldapp.domain.wire import parse_day, parse_time
from fieldapp.sync.protocol import PROPERTY_CONDITIONS, REFERRALS, RELATIONSHIPS, SEXES
from fieldapp.views.logic_forms import (
    FormResult,
    Line,
    Tone,
    blank_to_none,
    date_input,
    label,
    money,
    options,
    parse_date_input,
    parse_local_time,
    parse_money,
    time_input,
)

RELATIONSHIP_LABELS = {"lead_tenant": "Lead tenant", "joint_tenant": "Joint tenant"}
SEX_LABELS = {"F": "Female", "M": "Male", "X": "Other / not stated"}
STANDARD_WORDS = {
    "overcrowded": "OVERCROWDED",
    "at_standard": "at standard",
    "one_above": "one above standard",
    "under_occupied": "UNDER-OCCUPIED",
}
RELATIONSHIP_OPTIONS = options(RELATIONSHIPS, RELATIONSHIP_LABELS)
SEX_OPTIONS = options(SEXES, SEX_LABELS)
CONDITION_OPTIONS = options(PROPERTY_CONDITIONS)


# --- household -----------------------------------------------------------------------------
@dataclass
class PersonInputs:
    """A household member (or an unverified occupant) as typed."""

    name: str = ""
    date_of_birth: str = ""
    sex: str | None = None
    relationship: str | None = None
    partner_id: str | None = None
    moved_in_on: str = ""
    unverified: bool = False
    cannot_share: bool = False  # a disabled child who cannot share a room (size criteria)


V = TypeVar("V")


def _read(result: FormResult, name: str, parsed: tuple[V | None, str | None]) -> V | None:
    """The value of a parsed field; its problem, if any, noted against the field."""
    value, problem = parsed
    if problem:
        result.errors[name] = problem
    return value


def person_patch(property_id: str, inputs: PersonInputs, *, today: date) -> FormResult:
    """A ``person`` of the home; an unverified occupant keeps only what was seen."""
    result = FormResult()
    name = blank_to_none(inputs.name)
    if name is None:
        result.errors["name"] = "Enter their name"
    dob, problem = parse_date_input(inputs.date_of_birth)
    if problem:
        result.errors["date_of_birth"] = problem
    elif dob is not None and date.fromisoformat(dob) > today:
        result.errors["date_of_birth"] = "The date of birth cannot be in the future"
    moved_in = _read(result, "moved_in_on", parse_date_input(inputs.moved_in_on))
    result.patch = {
        "property_id": property_id,
        "name": name,
        "date_of_birth": dob,
        "sex": inputs.sex or None,
        "relationship": inputs.relationship or None,
        "partner_id": inputs.partner_id or None,
        "moved_in_on": moved_in,
        "status": "unverified_occupant" if inputs.unverified else "member",
        "cannot_share": inputs.cannot_share,
    }
    return result


@dataclass
class Household:
    """The people of one home, split the way the visit screen shows them."""

    members: list[Mapping[str, Any]] = field(default_factory=list)
    unverified: list[Mapping[str, Any]] = field(default_factory=list)
    former: list[Mapping[str, Any]] = field(default_factory=list)


_ORDER = {r: i for i, r in enumerate(RELATIONSHIPS)}


def split_household(persons: Iterable[Mapping[str, Any]], on: date) -> Household:
    """Members living there (lead tenant first), unverified occupants, and people gone."""
    out = Household()
    for p in persons:
        if gone_by(p, on):
            out.former.append(p)
        elif p.get("status") == "unverified_occupant":
            out.unverified.append(p)
        else:
            out.members.append(p)

    def key(p: Mapping[str, Any]) -> tuple[int, str, str]:
        rel = _ORDER.get(str(p.get("relationship")), len(_ORDER))
        return rel, str(p.get("date_of_birth") or ""), str(p.get("name") or "")

    out.members.sort(key=key)
    out.unverified.sort(key=key)
    out.former.sort(key=lambda p: str(p.get("died_on") or p.get("moved_out_on") or ""))
    return out


def person_text(person: Mapping[str, Any], on: date) -> str:
    """``Jane Smith: lead tenant, 42, female`` (what is known of them)."""
    bits = []
    rel = person.get("relationship")
    if rel:
        bits.append(RELATIONSHIP_LABELS.get(str(rel), label(str(rel))).lower())
    dob = parse_day(person.get("date_of_birth"))
    if dob is not None:
        bits.append(f"age {age_on(dob, on)}")
    sex = person.get("sex")
    if sex in SEX_LABELS and sex != "X":
        bits.append(SEX_LABELS[str(sex)].lower())
    if person.get("cannot_share") is True:
        bits.append("cannot share a room")
    if person.get("died_on"):
        bits.append(f"died {date_input(person['died_on'])}")
    elif person.get("moved_out_on"):
        bits.append(f"moved out {date_input(person['moved_out_on'])}")
    name = str(person.get("name") or "Unnamed person")
    return f"{name}: {', '.join(bits)}" if bits else name


def partner_options(
    persons: Iterable[Mapping[str, Any]], *, exclude_id: str | None = None
) -> list[tuple[str, str]]:
    """``(id, name)`` of members who could be someone's partner (adults of the home)."""
    return [
        (str(p["id"]), str(p.get("name") or "Unnamed person"))
        for p in persons
        if p.get("id") and p.get("id") != exclude_id and p.get("status") != "unverified_occupant"
    ]


def with_referral(referrals: Iterable[str], key: str) -> list[str]:
    """``referrals`` plus ``key``, in the value set's order, each once."""
    chosen = set(referrals) | {key}
    return [r for r in REFERRALS if r in chosen]


def household_lines(
    persons: Sequence[Mapping[str, Any]],
    *,
    bedrooms: int | None,
    visit_date: date,
    overnight_carer: bool,
    policy: Policy,
) -> list[Line]:
    """Bedroom standard and size criteria for the household as it now stands, with why."""
    found = assess_household(
        persons,
        visit_date=visit_date,
        bedrooms=bedrooms,
        overnight_carer=overnight_carer,
        policy=policy,
    )
    home = "bedrooms unknown" if bedrooms is None else f"home has {bedrooms}"
    if found.bedrooms_needed is None:
        return [Line("Bedroom standard", "Nobody counted", found.reason)]
    bs = found.bedroom_standard
    tone: Tone = "alert" if bs == "overcrowded" else "warn" if bs == "under_occupied" else "ok"
    words = f": {STANDARD_WORDS.get(bs, label(bs))}" if bs else ""
    lines = [
        Line(
            "Bedroom standard",
            f"Needs {found.bedrooms_needed}, {home}{words}",
            "",
            tone if bs else "info",
        )
    ]
    spare = found.size_criteria_spare
    pct = found.size_criteria_reduction_pct
    lines.append(
        Line(
            "Size criteria",
            f"Allows {found.size_criteria_needed}"
            + ("" if spare is None else f", {spare} spare")
            + (f": housing cost cut {pct}%" if pct else ""),
            "",
            "warn" if pct else "info",
        )
    )
    lines.append(Line("Why", "", found.reason))
    return lines


# --- the visit -----------------------------------------------------------------------------
@dataclass
class VisitInputs:
    """What the visit form holds, as typed."""

    visited_at: str = ""
    tenant_present: bool = True
    id_verified: bool = False
    arrears_amount: str = ""
    weekly_rent: str = ""
    referrals: list[str] = field(default_factory=list)
    property_condition: str | None = None
    fire_safety_concerns: str = ""
    pets: str = ""
    adaptations: str = ""
    overnight_carer: bool = False
    notes: str = ""


def visit_patch(property_id: str, inputs: VisitInputs) -> FormResult:
    """The ``tenancy_visit`` fields from the form, or the fields that cannot be read."""
    result = FormResult()
    visited = result.time("visited_at", inputs.visited_at, required=True)
    arrears = _read(result, "arrears_amount", parse_money(inputs.arrears_amount))
    rent = _read(result, "weekly_rent", parse_money(inputs.weekly_rent))
    result.patch = {
        "property_id": property_id,
        "visited_at": visited,
        "tenant_present": inputs.tenant_present,
        "id_verified": inputs.id_verified,
        "arrears_amount": arrears,
        "weekly_rent": rent,
        "referrals": [r for r in REFERRALS if r in set(inputs.referrals)],
        "property_condition": inputs.property_condition or None,
        "fire_safety_concerns": blank_to_none(inputs.fire_safety_concerns),
        "pets": blank_to_none(inputs.pets),
        "adaptations": blank_to_none(inputs.adaptations),
        "overnight_carer": inputs.overnight_carer,
        "notes": blank_to_none(inputs.notes),
    }
    return result


def inputs_from_visit(visit: Mapping[str, Any]) -> VisitInputs:
    """The form's content for a stored visit (the reverse of ``visit_patch``)."""
    return VisitInputs(
        visited_at=time_input(visit.get("visited_at")),
        tenant_present=visit.get("tenant_present") is not False,
        id_verified=visit.get("id_verified") is True,
        arrears_amount=money(visit.get("arrears_amount")),
        weekly_rent=money(visit.get("weekly_rent")),
        referrals=list(visit.get("referrals") or []),
        property_condition=visit.get("property_condition"),
        fire_safety_concerns=visit.get("fire_safety_concerns") or "",
        pets=visit.get("pets") or "",
        adaptations=visit.get("adaptations") or "",
        overnight_carer=visit.get("overnight_carer") is True,
        notes=visit.get("notes") or "",
    )


def suggested(
    inputs: VisitInputs, persons: Sequence[Mapping[str, Any]], *, day: date, policy: Policy
) -> list[Suggestion]:
    """What the rules suggest for the visit as typed and the household as it stands (an
    unreadable sum of money counts as not recorded)."""
    return visit_suggestions(
        tenant_present=inputs.tenant_present,
        id_verified=inputs.id_verified,
        arrears=parse_money(inputs.arrears_amount)[0],
        weekly_rent=parse_money(inputs.weekly_rent)[0],
        visit_day=day,
        household=persons,
        policy=policy,
    )


def visit_day(visited_at_text: str, now: datetime, policy: Policy) -> date:
    """The local date of the visit as typed (today while the field cannot be read)."""
    moment = parse_time(parse_local_time(visited_at_text)[0])
    return local_date(moment or now, policy)


def arrears_text(amount_text: str, rent_text: str) -> str:
    """``£250.00 = 2.0 weeks of rent``; what can be said while a field is blank or wrong."""
    amount, bad_amount = parse_money(amount_text)
    rent, bad_rent = parse_money(rent_text)
    if bad_amount or amount is None:
        return "No arrears recorded" if not bad_amount else ""
    if amount == 0:
        return "No arrears"
    if bad_rent or not rent:
        return f"£{amount:.2f} in arrears"
    return f"£{amount:.2f} in arrears = {amount / rent:.1f} weeks of rent"
