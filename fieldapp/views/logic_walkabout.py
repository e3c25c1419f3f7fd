"""The estate walkabout as plain functions: starting one, who joined, observations, grading.

A walkabout belongs to an estate; staff, PCSOs, councillors and others join it
(``participants``: ``{"user_id", "name", "role"}``; a partner's device receives only the
walkabouts whose participants hold its user id). Observations are logged with the place
they were seen; the store names the nearest block or property on save. Grades and the fire
safety answer give a score and a pass or fail, shown live with the fail rule (offensive
graffiti fails whatever the score), computed by the shared domain code.
Partners (PCSO, councillor) log observations, photos and notes only: no grading, no ending,
no raising a repair or an ASB case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldapp.domain.geo import nearest, nearest_block, position
from fieldapp.domain.policy import Policy
from fieldapp.domain.walkabout import observation_action, walkabout_actions, walkabout_result
from fieldapp.domain.wire import parse_time
from fieldapp.ids import to_wire
from fieldapp.sync.protocol import (
    GRADE_ITEMS,
    GRADES,
    OBSERVATION_KINDS,
    PARTICIPANT_ROLES,
    STAFF_ROLES,
)
from fieldapp.views.logic_forms import (
    FormResult,
    Line,
    blank_to_none,
    due_text,
    label,
    options,
    when,
)

KIND_LABELS = {
    "fly_tipping": "Fly-tipping",
    "bin_store": "Bin store",
    "fire_safety": "Fire safety (communal areas)",
    "door_entry": "Door entry",
    "abandoned_vehicle": "Abandoned vehicle",
    "lighting": "Communal lighting",
}
GRADE_ITEM_LABELS = {
    "fly_tipping": "Fly-tipping",
    "lighting": "Communal lighting",
    "bin_stores": "Bin stores",
    "door_entry": "Door entry",
}
ROLE_LABELS = {"pcso": "PCSO", "councillor": "Councillor", "other": "Other"}
FIRE_SAFETY_OPTIONS = [("met", "Met"), ("not_met", "Not met")]
KIND_OPTIONS = options(OBSERVATION_KINDS, KIND_LABELS)
GRADE_OPTIONS = options(GRADES)
ROLE_OPTIONS = options(PARTICIPANT_ROLES, ROLE_LABELS)


def kind_label(kind: str | None) -> str:
    return KIND_LABELS.get(kind or "", label(kind))


def may_manage(role: str) -> bool:
    """Staff grade, end walkabouts and raise repairs or ASB cases; partners only observe."""
    return role in STAFF_ROLES


def estates(properties: Iterable[Mapping[str, Any]]) -> list[str]:
    """The estates of the properties this device holds, by name."""
    return sorted({str(p["estate"]) for p in properties if p.get("estate")}, key=str.lower)


def start_patch(estate: str | None, *, user: Mapping[str, Any] | None, now: datetime) -> FormResult:
    """A new walkabout on ``estate``, started now, with the signed-in person as first participant."""
    result = FormResult()
    name = blank_to_none(estate)
    if name is None:
        result.errors["estate"] = "Choose the estate"
    people = []
    if user and user.get("id"):
        people.append(
            {"user_id": str(user["id"]), "name": str(user.get("name") or ""),
             "role": _role(user.get("role"))}
        )  # fmt: skip
    result.patch = {"estate": name, "started_at": to_wire(now), "participants": people}
    return result


def _role(role: Any) -> str:
    return role if role in PARTICIPANT_ROLES else "other"


def add_participant(
    people: Sequence[Mapping[str, Any]], person: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``people`` plus ``person`` unless already there (same user id, or same name and role)."""
    current = [dict(p) for p in people]
    for p in current:
        same_user = person.get("user_id") and p.get("user_id") == person.get("user_id")
        same_name = (
            not person.get("user_id")
            and str(p.get("name") or "").lower() == str(person.get("name") or "").lower()
            and p.get("role") == person.get("role")
        )
        if same_user or same_name:
            return current
    return [*current, dict(person)]


def participant_text(person: Mapping[str, Any]) -> str:
    """``Sam Patel (PCSO)``."""
    role = str(person.get("role") or "other")
    return f"{person.get('name') or 'Unnamed'} ({ROLE_LABELS.get(role, label(role))})"


def patch_staff(
    estate: str, properties: Iterable[Mapping[str, Any]], patches: Iterable[Mapping[str, Any]]
) -> list[str]:
    """User ids of the officers of the patches the estate's homes belong to."""
    patch_ids = {p.get("patch_id") for p in properties if p.get("estate") == estate}
    ids: list[str] = []
    for patch in patches:
        if patch.get("id") in patch_ids:
            ids += [str(i) for i in patch.get("officer_ids") or [] if str(i) not in ids]
    return ids


# --- observations --------------------------------------------------------------------------
@dataclass
class ObservationInputs:
    """What the observation form holds."""

    kind: str | None = None
    offensive: bool = False
    description: str = ""


def observation_patch(
    walkabout_id: str,
    inputs: ObservationInputs,
    *,
    position: tuple[float, float] | None,
    user_id: str | None,
    now: datetime,
) -> FormResult:
    """A new observation: what, where (the device's last fix), who, when."""
    result = FormResult()
    if inputs.kind not in OBSERVATION_KINDS:
        result.errors["kind"] = "Choose what was seen"
    result.patch = {
        "walkabout_id": walkabout_id,
        "kind": inputs.kind,
        # Only graffiti can be offensive: the flag decides the walkabout's fail.
        "offensive": inputs.offensive and inputs.kind == "graffiti",
        "description": blank_to_none(inputs.description),
        "logged_by": user_id,
        "logged_at": to_wire(now),
    }
    if position is not None:
        result.patch.update(lat=position[0], lon=position[1])
    return result


def edit_patch(inputs: ObservationInputs) -> FormResult:
    """Changes to an observation already logged (place and time stay as logged)."""
    result = FormResult()
    if inputs.kind not in OBSERVATION_KINDS:
        result.errors["kind"] = "Choose what was seen"
    result.patch = {
        "kind": inputs.kind,
        "offensive": inputs.offensive and inputs.kind == "graffiti",
        "description": blank_to_none(inputs.description),
    }
    return result


def observation_title(obs: Mapping[str, Any]) -> str:
    """``Graffiti (offensive)``."""
    return kind_label(obs.get("kind")) + (" (offensive)" if obs.get("offensive") is True else "")


def logged_by_text(
    obs: Mapping[str, Any],
    staff: Iterable[Mapping[str, Any]],
    participants: Iterable[Mapping[str, Any]] = (),
) -> str:
    """``by Gary Lowe (PCSO)``: who logged an observation, from the staff directory (else the
    walkabout's participants); "" when neither names them."""
    who = obs.get("logged_by")
    if not who:
        return ""
    for person in staff:
        if person.get("id") == who:
            return "by " + participant_text(
                {"name": person.get("display_name"), "role": person.get("role")}
            )
    for person in participants:
        if person.get("user_id") == who:
            return "by " + participant_text(person)
    return ""


def block_text(block: Any) -> str:
    """``Block Ash Court`` (a name that already says "Block" as it is)."""
    name = str(block)
    return name if name.lower().startswith("block") else f"Block {name}"


def place_text(obs: Mapping[str, Any], nearest: Mapping[str, Any] | None) -> str:
    """Where an observation was seen: nearest block / property, else its coordinates."""
    parts = []
    block = obs.get("nearest_block")
    if block:
        parts.append(block_text(block))
    if nearest is not None and nearest.get("address"):
        parts.append(f"near {nearest['address']}")
    if parts:
        return ", ".join(str(p) for p in parts)
    lat, lon = obs.get("lat"), obs.get("lon")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        return f"{lat:.5f}, {lon:.5f} (no home nearby)"
    return "No location recorded"


def nearest_place(
    obs: Mapping[str, Any], properties: Iterable[Mapping[str, Any]], *, policy: Policy
) -> tuple[Mapping[str, Any] | None, dict[str, Any]]:
    """The property nearest an observation, and the observation with its block filled in.

    The store derives both on save; a record that arrived without them (an older server, a
    partner's projection) gets them computed here from its coordinates, by the same rule:
    only a home or block within ``policy.near_home_max_m``.
    """
    homes = list(properties)
    by_id = {str(p.get("id")): p for p in homes}
    found = by_id.get(str(obs.get("nearest_property_id")))
    filled = dict(obs)
    where = position(obs)
    reach = policy.near_home_max_m
    if found is None and where is not None:
        found = nearest(where[0], where[1], homes, within=reach)
    if not filled.get("nearest_block") and where is not None:
        filled["nearest_block"] = nearest_block(where[0], where[1], homes, within=reach)
    return found, filled


def position_text(position: tuple[float, float] | None) -> str:
    if position is None:
        return "No location yet: allow location on this tablet, or move outside"
    return f"Location {position[0]:.5f}, {position[1]:.5f}"


def action_line(
    inputs: ObservationInputs, *, logged_at: Any, policy: Policy, now: datetime
) -> Line:
    """The timed action this observation raises, if any (offensive graffiti, fly-tipping)."""
    action = observation_action(
        inputs.kind,
        inputs.offensive and inputs.kind == "graffiti",
        parse_time(logged_at) or now,
        policy=policy,
    )
    if action is None:
        return Line("Action", "No timed action", "")
    return Line("Action", due_text(action.due_at, now), action.reason, "warn")


def observations_newest_first(observations: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(observations, key=lambda o: str(o.get("logged_at") or ""), reverse=True)


# --- grading -------------------------------------------------------------------------------
def grades_patch(grades: Mapping[str, str | None], fire_safety: str | None) -> dict[str, Any]:
    """``grades`` (graded items only) and ``fire_safety_met`` (None while not answered)."""
    kept = {item: g for item, g in grades.items() if item in GRADE_ITEMS and g in GRADES}
    met = {"met": True, "not_met": False}.get(fire_safety or "")
    return {"grades": kept, "fire_safety_met": met}


def fire_safety_value(met: Any) -> str | None:
    """The dropdown key for a stored ``fire_safety_met``."""
    return "met" if met is True else "not_met" if met is False else None


def grade_lines(
    grades: Mapping[str, Any],
    fire_safety_met: bool | None,
    observations: Sequence[Mapping[str, Any]],
    *,
    started_at: Any,
    policy: Policy,
    now: datetime,
) -> list[Line]:
    """Score, pass or fail with the rule that decided it, and the actions raised."""
    outcome = walkabout_result(grades, observations, policy=policy)
    graded = sum(1 for i in GRADE_ITEMS if grades.get(i) in GRADES)
    score = "Not graded" if outcome.score_pct is None else f"{outcome.score_pct:.0f}%"
    lines = [
        Line("Score", score, f"{graded} of {len(GRADE_ITEMS)} items graded"),
        Line(
            "Result",
            label(outcome.result) if outcome.result else "Not decided",
            outcome.reason,
            "alert" if outcome.result == "fail" else "ok" if outcome.result == "pass" else "info",
        ),
    ]
    actions = walkabout_actions(
        fire_safety_met=fire_safety_met,
        started_at=parse_time(started_at),
        observations=observations,
        policy=policy,
    )
    seen = {str(o.get("id")): o for o in observations}
    for a in actions:
        due = due_text(a.due_at, now) if a.due_at else "No set time"
        lines.append(
            Line("Action", due, a.reason + _which(seen.get(a.observation_id or "")), "warn")
        )
    return lines


def _which(obs: Mapping[str, Any] | None) -> str:
    """Which observation an action came from (found on a walk: four "Fly tipping" actions
    alike): `` · logged Wed 02 Dec 2026 10:42, Block Chester House``."""
    if obs is None:
        return ""
    parts = [f"logged {when(obs.get('logged_at'))}" if obs.get("logged_at") else ""]
    block = obs.get("nearest_block")
    if block:
        parts.append(block_text(block))
    text = ", ".join(p for p in parts if p)
    return f" · {text}" if text else ""


def walkabouts_newest_first(walkabouts: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Walkabouts still going first, then the latest started."""
    return sorted(
        walkabouts,
        key=lambda w: (w.get("ended_at") is None, str(w.get("started_at") or "")),
        reverse=True,
    )
