"""Who joins a walkabout, as plain functions: staff picked by name, guests, who receives it.

People with an account come from the ``staff`` directory the server sends every device
(``{id, display_name, role, patch_ids, active}``); a participant picked from it carries the
staff id as ``user_id``, which is what lets a PCSO's or councillor's tablet receive the
walkabout. Someone without an account (a resident representative) joins as a guest: a name
and a role, no user id, nobody's tablet receives anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fieldapp.sync.protocol import PARTICIPANT_ROLES, PARTNER_ROLES
from fieldapp.views.logic_forms import FormResult, blank_to_none, label

ROLE_LABELS = {"pcso": "PCSO", "councillor": "Councillor", "other": "Other"}
MAX_MATCHES = 8


def role_text(role: Any) -> str:
    text = str(role or "other")
    return ROLE_LABELS.get(text, label(text))


def staff_text(person: Mapping[str, Any]) -> str:
    """``Pat Quinn (PCSO)``."""
    return f"{person.get('display_name') or 'Unnamed'} ({role_text(person.get('role'))})"


def staff_matches(
    staff: Iterable[Mapping[str, Any]],
    query: str,
    *,
    present: Iterable[Any] = (),
    limit: int = MAX_MATCHES,
) -> list[Mapping[str, Any]]:
    """Active staff whose name holds every word typed (any order, any case), not yet on the
    walkabout; names starting with the first word first, then alphabetical."""
    words = query.lower().split()
    if not words:
        return []
    taken = {p for p in present if p}
    found = []
    for person in staff:
        name = str(person.get("display_name") or "")
        lowered = name.lower()
        if person.get("active") is False or person.get("id") in taken:
            continue
        if all(w in lowered for w in words):
            starts = any(part.startswith(words[0]) for part in lowered.split())
            found.append((not starts, lowered, person))
    found.sort(key=lambda t: (t[0], t[1]))
    return [person for _, _, person in found[:limit]]


def staff_participant(person: Mapping[str, Any]) -> dict[str, Any]:
    """The participant entry for a staff directory record."""
    role = person.get("role")
    return {
        "user_id": str(person["id"]),
        "name": str(person.get("display_name") or "Unnamed")[:200],
        "role": role if role in PARTICIPANT_ROLES else "other",
    }


def guest(name: str, role: str | None) -> FormResult:
    """Someone without an account: a name and a role; no user id."""
    result = FormResult()
    who = blank_to_none(name)
    if who is None:
        result.errors["guest_name"] = "Enter their name"
    elif len(who) > 200:
        result.errors["guest_name"] = "At most 200 characters"
    if role not in PARTICIPANT_ROLES:
        result.errors["guest_role"] = "Choose their role"
    result.patch = {"user_id": None, "name": who, "role": role}
    return result


def receives(person: Mapping[str, Any]) -> bool:
    """A partner with an account: their tablet gets the walkabout once they are on it."""
    return bool(person.get("user_id")) and person.get("role") in PARTNER_ROLES


def person_note(person: Mapping[str, Any]) -> str:
    """The line under a participant's name."""
    if receives(person):
        return "Receives this walkabout on their tablet at its next sync"
    if person.get("user_id"):
        return "Staff account"
    return "Guest (no account)"


def receivers_text(people: Sequence[Mapping[str, Any]]) -> str:
    """Who will receive the walkabout on a partner tablet, as one sentence."""
    names = [f"{p.get('name')} ({role_text(p.get('role'))})" for p in people if receives(p)]
    if not names:
        return "No partner tablet receives this walkabout yet: add a PCSO or councillor by name."
    return (
        "Will receive this walkabout, with the estate's homes and no personal data: "
        + ", ".join(names)
    )


def added_text(person: Mapping[str, Any]) -> str:
    """What the officer is told after adding someone."""
    if receives(person):
        return f"{person.get('name')} added. Their tablet receives this walkabout at its next sync."
    return f"{person.get('name')} added."


def officer_names(ids: Iterable[str], staff: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(user id, name) of patch officers, named from the directory (a short id if missing)."""
    names = {str(s.get("id")): str(s.get("display_name") or "") for s in staff}
    return [(uid, names.get(uid) or f"officer {uid[:8]}") for uid in ids]
