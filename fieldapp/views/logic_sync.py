"""What the status line and the Sync screen say, as plain functions (no Flet).

The sync engine publishes a ``SyncState`` snapshot; these functions turn it, the outbox and
the open conflicts into words, and turn what a person types for a conflict's "another
value" into a value of the field's wire type (checked against ``fieldapp.sync.protocol``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from fieldapp.domain.wire import parse_time
from fieldapp.sync.protocol import ENTITIES, check_value

LONDON = ZoneInfo("Europe/London")


def _attr(sync: Any, name: str, default: Any = None) -> Any:
    if isinstance(sync, Mapping):
        return sync.get(name, default)
    return getattr(sync, name, default)


# What each ``fieldapp.sync.state.Status`` is called on screen (a test holds the two together).
CONNECTION_WORDS: Mapping[str, str] = {
    "online": "online",
    "offline": "offline",
    "syncing": "syncing",
    "error": "sync problem",
    "revoked": "signed out",
    "signed_out": "signed out",
}


def connection(sync: Any) -> str:
    """``online``, ``offline``, ``syncing``, ``sync problem`` or ``signed out`` from a sync
    state snapshot; anything unknown is shown as offline (the safe thing to believe)."""
    return CONNECTION_WORDS.get(str(_attr(sync, "status", "") or ""), "offline")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def status_line(sync: Any, *, pending: int, conflicts: int) -> str:
    """The always-visible indicator: ``Offline · 3 pending · 1 conflict``."""
    parts = [connection(sync).capitalize()]
    if pending:
        parts.append(f"{pending} pending")
    else:
        parts.append("all saved to server")
    if conflicts:
        parts.append(_plural(conflicts, "conflict"))
    return " · ".join(parts)


def photo_progress(sync: Any) -> tuple[int, int] | None:
    """(done, total) of the photo uploads in flight, or None when none are running."""
    progress = _attr(sync, "progress")
    if progress is None or _attr(progress, "phase") != "photos":
        return None
    done, total = _attr(progress, "done"), _attr(progress, "total")
    if not isinstance(done, int) or not isinstance(total, int) or total <= 0:
        return None
    return min(done, total), total


def progress_label(done: int, total: int) -> str:
    """``Uploading photos: 1 of 3``."""
    return f"Uploading photos: {done} of {total}"


_TRANSFERS = {
    "photos": "Uploading photos",
    "downloads": "Downloading photos",
    "tiles": "Downloading map tiles",
}


def transfer_progress(sync: Any) -> tuple[str, int, int] | None:
    """(what, done, total) of the upload or download in flight, or None.

    ``Uploading photos`` counts bytes; ``Downloading photos`` and ``Downloading map tiles``
    count files.
    """
    progress = _attr(sync, "progress")
    what = _TRANSFERS.get(str(_attr(progress, "phase"))) if progress is not None else None
    done, total = _attr(progress, "done"), _attr(progress, "total")
    if what is None or not isinstance(done, int) or not isinstance(total, int) or total <= 0:
        return None
    return what, min(done, total), total


def transfer_label(what: str, done: int, total: int) -> str:
    """``Downloading photos: 4 of 12`` (uploads, counted in bytes, as a percentage)."""
    if what == "Uploading photos":
        return f"{what}: {round(100 * done / total)}%"
    return f"{what}: {done} of {total}"


def photos_waiting(sync: Any) -> int:
    """Photo files on this tablet that the server does not have yet."""
    value = _attr(sync, "blobs_pending", 0)
    return value if isinstance(value, int) else 0


# Wire names a person would not recognise, in words. Fields that only link a record to its
# parent or stamp who wrote it (``case_id``, ``author_id``) are not news to the officer who
# made the change, so the pending list leaves them out.
FIELD_LABELS: Mapping[str, str] = {
    "sha256": "Photo file", "bytes": "File size", "width": "Picture size",
    "height": "Picture size", "lat": "Location", "lon": "Location", "taken_at": "Taken at",
    "risk_answers": "Risk assessment", "awaab": "Awaab's Law class", "hazard": "HHSRS hazard",
    "participants": "Who joined", "grades": "Grades", "fire_safety_met": "Fire safety",
    "property_id": "Property", "complainant_id": "Complainant", "reporter_id": "Reported by",
    "raised_entity": "Raised",
    "observation_id": "Walkabout observation", "partner_id": "Partner",
    "ct_eligible": "Community Trigger", "id_verified": "ID seen", "urgent_crime": "Urgent crime",
    "over_75": "Over 75", "complaint_ids": "Complaints counted",
}  # fmt: skip
HIDDEN_FIELDS = frozenset({
    "case_id", "parent_entity", "parent_id", "walkabout_id", "author_id", "logged_by",
    "created_at", "logged_at", "raised_id",
})  # fmt: skip
ENTITY_LABELS: Mapping[str, str] = {
    "asb_case": "ASB case", "asb_report": "further ASB report", "tenancy_visit": "tenancy visit",
    "ct_review": "Community Trigger record", "person": "household member",
}  # fmt: skip
_WORDS = {"asb": "ASB", "id": "ID", "atv": "ATV", "pcso": "PCSO", "hhsrs": "HHSRS"}


def field_label(name: str) -> str:
    """``received_at`` → ``Received at``; ``sha256`` → ``Photo file``."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    words = [_WORDS.get(w, w) for w in name.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def entity_label(entity: str) -> str:
    """``asb_case`` → ``ASB case``."""
    return ENTITY_LABELS.get(entity, entity.replace("_", " "))


def format_value(value: Any) -> str:
    """A wire value as a person reads it (``yes``/``no``, lists joined, nothing = ``(empty)``,
    a code such as ``advice_given`` as ``Advice given``, a wire time as ``10/06/2026 21:30``)."""
    if value is None or value == "" or value == [] or value == {}:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{field_label(str(k))}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, str):
        moment = parse_time(value) if "T" in value and value[:4].isdigit() else None
        if moment is not None:
            return moment.astimezone(LONDON).strftime("%d/%m/%Y %H:%M")
        if value.islower() and " " not in value and not value[:1].isdigit():
            words = " ".join(_WORDS.get(w, w) for w in value.split("_"))
            return words[:1].upper() + words[1:]
        return value
    return str(value)


def mutation_summary(entry: Mapping[str, Any], *, first: bool = True) -> str:
    """One outbox entry or dead letter in words, with field labels and, for a change, the
    new values: ``Change to ASB case: Status Action plan``; ``New photo``.

    ``first`` is False for a later edit of a record whose creation is still queued.
    """
    op = str(entry.get("op") or "upsert")
    entity = entity_label(str(entry.get("entity") or "record"))
    patch = entry.get("patch")
    if op == "delete":
        return f"Delete {entity}"
    creating = entry.get("base_version") is None and first
    verb = "New" if creating else "Change to"
    parts: list[str] = []
    if isinstance(patch, Mapping) and str(entry.get("entity")) != "photo":
        for name, value in patch.items():
            if name in HIDDEN_FIELDS:
                continue
            words = field_label(str(name))
            shown = format_value(value)
            plain = not str(name).endswith("_id") and name not in ("lat", "lon", "sha256")
            part = f"{words} {shown}" if not creating and plain and len(shown) <= 40 else words
            if part not in parts:
                parts.append(part)
    return f"{verb} {entity}" + (f": {', '.join(parts)}" if parts else "")


def error_text(entry: Mapping[str, Any]) -> str:
    """The server's reason a change was refused, for a person."""
    error = entry.get("error")
    if isinstance(error, Mapping):
        return str(error.get("message") or error.get("code") or "refused by the server")
    if isinstance(error, str) and error:
        return error
    return str(entry.get("error_message") or "refused by the server")


def parse_entered(entity: str, field: str, text: str) -> Any:
    """A typed value for ``entity.field``; raises ``ValueError`` with a message for a person.

    Booleans take yes/no; numbers plain digits; lists comma-separated; anything structured
    may be given as JSON. The result is checked against the wire schema.
    """
    spec = ENTITIES.get(entity)
    f = spec.by_name.get(field) if spec is not None else None
    raw = text.strip()
    if f is None:
        return raw
    value: Any
    if raw == "":
        value = None
    elif f.type == "bool":
        low = raw.lower()
        if low not in ("yes", "no", "true", "false"):
            raise ValueError(f"{field_label(field)}: answer yes or no")
        value = low in ("yes", "true")
    elif f.type == "int":
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{field_label(field)}: enter a whole number") from None
    elif f.type == "float":
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{field_label(field)}: enter a number") from None
    elif f.type in ("list", "dict", "any") and raw[:1] in "[{":
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise ValueError(f"{field_label(field)}: not readable as a list") from None
    elif f.type == "list":
        value = [part.strip() for part in raw.split(",") if part.strip()]
    elif f.enum is not None:
        value = raw.lower().replace(" ", "_")
    else:
        value = raw
    problem = check_value(f, value)
    if problem is not None:
        raise ValueError(problem.message)
    return value


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def cache_text(summary: Mapping[str, int]) -> str:
    """``Photos kept: 12.5 MB of 200.0 MB · map tiles: 150 (3.2 MB)``."""
    text = f"Photos kept: {_mb(summary.get('photo_bytes', 0))} of {_mb(summary.get('photo_budget', 0))}"
    if summary.get("tile_count"):
        text += f" · map tiles: {summary['tile_count']} ({_mb(summary.get('tile_bytes', 0))})"
    return text


def parse_megabytes(text: str) -> int:
    """A cache size typed in MB: a whole number from 1 to 100,000, or ``ValueError``."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("Enter a whole number of MB, for example 200") from None
    if not 1 <= value <= 100_000:
        raise ValueError("Choose between 1 and 100000 MB")
    return value
