"""The repair finding form as plain functions: labels, typed input -> patch, live deadlines.

An officer records a hazard found on a visit or a walkabout. The screen shows, as the form
changes, the repair's due time and, when the finding is classed under Awaab's Law, its
deadlines (investigate, written summary, make safe, preventative work), computed by the
shared domain code the store and the server also run. The summary, make-safe and preventative
deadlines run from the investigation's conclusion, so they appear once that time is typed.
It also shows the Awaab's Law class the rules suggest (``suggested``): significant for damp
and mould, emergency (with priority emergency) for a hazard marked an imminent risk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldapp.domain.calendar import local_date
from fieldapp.domain.policy import Policy
from fieldapp.domain.repairs import repair_deadlines
from fieldapp.domain.suggestions import Suggestion, repair_suggestions
from fieldapp.domain.wire import parse_time
from fieldapp.sync.protocol import AWAAB_CLASSES, HAZARDS, REPAIR_PRIORITIES, REPAIR_STATUSES
from fieldapp.views.logic_forms import (
    FormResult,
    Line,
    blank_to_none,
    due_text,
    due_tone,
    label,
    options,
    parse_local_time,
    time_input,
)
from fieldapp.views.logic_walkabout import observation_title

# The 29 HHSRS hazards as the Housing Health and Safety Rating System names them.
HAZARD_LABELS: Mapping[str, str] = {
    "damp_and_mould": "Damp and mould growth",
    "excess_cold": "Excess cold",
    "excess_heat": "Excess heat",
    "asbestos_and_mmf": "Asbestos and MMF",
    "biocides": "Biocides",
    "carbon_monoxide": "Carbon monoxide and fuel combustion products",
    "lead": "Lead",
    "radiation": "Radiation",
    "uncombusted_fuel_gas": "Uncombusted fuel gas",
    "volatile_organic_compounds": "Volatile organic compounds",
    "crowding_and_space": "Crowding and space",
    "entry_by_intruders": "Entry by intruders",
    "lighting": "Lighting",
    "noise": "Noise",
    "domestic_hygiene_pests_refuse": "Domestic hygiene, pests and refuse",
    "food_safety": "Food safety",
    "personal_hygiene_sanitation_drainage": "Personal hygiene, sanitation and drainage",
    "water_supply": "Water supply",
    "falls_baths": "Falls associated with baths etc.",
    "falls_on_level": "Falls on the level",
    "falls_on_stairs": "Falls on stairs etc.",
    "falls_between_levels": "Falls between levels",
    "electrical": "Electrical hazards",
    "fire": "Fire",
    "flames_hot_surfaces": "Flames, hot surfaces etc.",
    "collision_entrapment": "Collision and entrapment",
    "explosions": "Explosions",
    "amenities_position_operability": "Position and operability of amenities etc.",
    "structural_collapse": "Structural collapse and falling elements",
}
AWAAB_LABELS = {
    "none": "Not an Awaab's Law hazard",
    "significant": "Significant hazard (damp and mould)",
    "emergency": "Emergency hazard",
}
PRIORITY_LABELS = {
    "emergency": "Emergency (24 hours)",
    "urgent": "Urgent (5 working days)",
    "routine": "Routine (20 working days)",
    "planned": "Planned (90 working days)",
}
STATUS_LABELS = {"made_safe": "Made safe"}
HAZARD_OPTIONS = options(HAZARDS, HAZARD_LABELS)
# Highest first: the officer's eye should land on the serious choices.
PRIORITY_OPTIONS = options(reversed(REPAIR_PRIORITIES), PRIORITY_LABELS)
AWAAB_OPTIONS = options(AWAAB_CLASSES, AWAAB_LABELS)
STATUS_OPTIONS = options(REPAIR_STATUSES, STATUS_LABELS)
assert set(HAZARD_LABELS) == set(HAZARDS), "an HHSRS hazard without a label"

# What a walkabout observation most likely is as an HHSRS hazard (the officer can change it).
_OBSERVATION_HAZARD = {
    "lighting": "lighting",
    "fire_safety": "fire",
    "door_entry": "entry_by_intruders",
    "bin_store": "domestic_hygiene_pests_refuse",
    "fly_tipping": "domestic_hygiene_pests_refuse",
    "grounds": "falls_on_level",
}


def hazard_label(key: str | None) -> str:
    """The HHSRS name of a hazard (``damp_and_mould`` -> ``Damp and mould growth``)."""
    return HAZARD_LABELS.get(key or "", label(key))


@dataclass
class RepairInputs:
    """What the repair form holds, as typed (times as London wall-clock text)."""

    property_id: str | None = None
    room: str = ""
    hazard: str | None = None
    priority: str | None = "routine"
    awaab: str | None = "none"
    imminent_risk: bool = False  # the officer judges it an imminent and significant risk
    description: str = ""
    reported_at: str = ""
    investigation_concluded_at: str = ""
    status: str | None = "open"
    observation_id: str | None = None
    lat: float | None = None
    lon: float | None = None


def repair_patch(inputs: RepairInputs) -> FormResult:
    """The ``repair`` fields from the form, or the fields that cannot be read."""
    result = FormResult()
    reported = result.time("reported_at", inputs.reported_at, required=True)
    concluded = result.time("investigation_concluded_at", inputs.investigation_concluded_at)
    if concluded is not None and reported is not None and concluded < reported:
        result.errors["investigation_concluded_at"] = "It cannot conclude before the report"
    if inputs.priority not in REPAIR_PRIORITIES:
        result.errors["priority"] = "Required"
    if not inputs.hazard and not inputs.description.strip():
        result.errors["description"] = "Say what is wrong: choose the hazard or describe it"
    if not inputs.property_id and (inputs.lat is None or inputs.lon is None):
        result.errors["property_id"] = "Choose the property (or record from a walkabout spot)"
    result.patch = {
        "property_id": inputs.property_id or None,
        "room": blank_to_none(inputs.room),
        "hazard": inputs.hazard or None,
        "priority": inputs.priority,
        "awaab": inputs.awaab or "none",
        "imminent_risk": inputs.imminent_risk,
        "description": blank_to_none(inputs.description),
        "reported_at": reported,
        "investigation_concluded_at": concluded,
        "status": inputs.status or "open",
    }
    if inputs.observation_id:
        result.patch["observation_id"] = inputs.observation_id
    if inputs.lat is not None and inputs.lon is not None:
        result.patch.update(lat=inputs.lat, lon=inputs.lon)
    return result


def inputs_from_repair(repair: Mapping[str, Any]) -> RepairInputs:
    """The form's content for a stored repair (the reverse of ``repair_patch``)."""
    return RepairInputs(
        property_id=repair.get("property_id"),
        room=repair.get("room") or "",
        hazard=repair.get("hazard"),
        priority=repair.get("priority"),
        awaab=repair.get("awaab") or "none",
        imminent_risk=repair.get("imminent_risk") is True,
        description=repair.get("description") or "",
        reported_at=time_input(repair.get("reported_at")),
        investigation_concluded_at=time_input(repair.get("investigation_concluded_at")),
        status=repair.get("status") or "open",
        observation_id=repair.get("observation_id"),
        lat=repair.get("lat"),
        lon=repair.get("lon"),
    )


def prefill_from_observation(observation: Mapping[str, Any], now: datetime) -> RepairInputs:
    """A repair raised from a walkabout observation: place, likely hazard and what was seen."""
    kind = str(observation.get("kind") or "other")
    text = observation.get("description") or ""
    return RepairInputs(
        property_id=observation.get("nearest_property_id"),
        room="Communal area",
        hazard=_OBSERVATION_HAZARD.get(kind),
        priority="routine",
        awaab="none",
        description=f"Seen on an estate walkabout: {observation_title(observation)}. {text}".strip(),
        reported_at=time_input(now),
        observation_id=observation.get("id"),
        lat=observation.get("lat"),
        lon=observation.get("lon"),
    )


def deadline_lines(inputs: RepairInputs, *, policy: Policy, now: datetime) -> list[Line]:
    """Due time and Awaab's Law deadlines for the form as it stands, with the reason."""
    reported = parse_time(parse_local_time(inputs.reported_at)[0])
    concluded = parse_time(parse_local_time(inputs.investigation_concluded_at)[0])
    found = repair_deadlines(
        priority=inputs.priority if inputs.priority in REPAIR_PRIORITIES else None,
        reported_at=reported,
        hazard=inputs.hazard or None,
        awaab=inputs.awaab or None,
        investigation_concluded_at=concluded,
        policy=policy,
    )
    lines = [_due("Repair due", found.due_at, now)]
    awaab = inputs.awaab in ("emergency", "significant")
    for title, moment, waits in (
        ("Investigate by", found.investigate_by, False),
        ("Written summary by", found.summary_by, True),
        ("Make safe by", found.make_safe_by, True),
        ("Preventative work started by", found.preventative_start_by, True),
    ):
        if moment is not None:
            lines.append(_due(title, moment, now))
        elif awaab and waits and found.investigate_by is not None and concluded is None:
            lines.append(Line(title, "When the investigation concludes"))
    lines.append(Line("Why", "", found.reason))
    return lines


def suggested(inputs: RepairInputs, *, policy: Policy) -> list[Suggestion]:
    """The Awaab's Law class the rules suggest for the finding as typed."""
    reported = parse_time(parse_local_time(inputs.reported_at)[0])
    return repair_suggestions(
        hazard=inputs.hazard or None,
        imminent_risk=inputs.imminent_risk,
        awaab=inputs.awaab,
        reported_on=None if reported is None else local_date(reported, policy),
        policy=policy,
    )


def _due(title: str, moment: datetime | None, now: datetime) -> Line:
    if moment is None:
        return Line(title, "No due time")
    return Line(title, due_text(moment, now), "", due_tone(moment, now))
