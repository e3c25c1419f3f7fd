"""What the status line and the Sync screen say, as plain functions (no Flet).

The sync engine publishes a ``SyncState`` snapshot; these functions turn it, the outbox and
the open conflicts into words, and turn what a person types for a conflict's "another
value" into a value of the field's wire type (checked against ``fieldapp.sync.protocol``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fieldapp.sync.protocol import ENTITIES, check_value


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


def field_label(name: str) -> str:
    """``received_at`` → ``Received at``."""
    return name.replace("_", " ").strip().capitalize()


def format_value(value: Any) -> str:
    """A wire value as a person reads it (``yes``/``no``, lists joined, nothing = ``(empty)``)."""
    if value is None or value == "" or value == [] or value == {}:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{field_label(str(k))}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, str):
        return value.replace("_", " ") if value.islower() and " " not in value else value
    return str(value)


def mutation_summary(entry: Mapping[str, Any], *, first: bool = True) -> str:
    """One outbox entry or dead letter in words: ``Change to asb case: Status``.

    ``first`` is False for a later edit of a record whose creation is still queued.
    """
    op = str(entry.get("op") or "upsert")
    entity = str(entry.get("entity") or "record").replace("_", " ")
    patch = entry.get("patch")
    if op == "delete":
        return f"Delete {entity}"
    verb = "New" if entry.get("base_version") is None and first else "Change to"
    fields = ", ".join(field_label(k) for k in patch) if isinstance(patch, Mapping) else ""
    return f"{verb} {entity}" + (f": {fields}" if fields else "")


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
