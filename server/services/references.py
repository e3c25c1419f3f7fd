"""Server-issued references: ``ASB-2026-0001`` for a case, ``REP-2026-0001`` for a repair.

A record of an entity in ``REFERENCE_PREFIXES`` gets its reference at its first write on the
server (a device's first push of it), numbered in order within the year (Europe/London) from
a ``counter`` row per prefix and year. The row is updated inside the writing transaction, so
its lock orders concurrent pushes and no number is given twice. A reference written by the
server itself (the demo seed, an import) moves the counter past it.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

_LONDON = ZoneInfo("Europe/London")
_FORM = re.compile(r"^([A-Z]{2,5})-(\d{4})-(\d{4,9})$")


def _counter(prefix: str, year: int) -> str:
    return f"ref:{prefix}-{year}"


def _ensure(conn: Connection, name: str) -> None:
    conn.execute(
        text("INSERT INTO counter (name, value) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"),
        {"n": name},
    )


def issue(conn: Connection, prefix: str, now: datetime, *, made: set[str] | None = None) -> str:
    """The next reference of ``prefix`` for the year ``now`` falls in (London time).

    ``made``: counter rows already known to exist in this transaction (the caller's set,
    filled here), so a push of many new cases makes each row once, not once per case."""
    year = now.astimezone(_LONDON).year
    name = _counter(prefix, year)
    if made is None or name not in made:
        _ensure(conn, name)
        if made is not None:
            made.add(name)
    number = conn.execute(
        text("UPDATE counter SET value = value + 1 WHERE name = :n RETURNING value"), {"n": name}
    ).scalar_one()
    return f"{prefix}-{year}-{int(number):04d}"


def note(conn: Connection, reference: str) -> None:
    """Move the counter past a reference the server wrote itself (seed, import)."""
    match = _FORM.match(reference)
    if match is None:
        return
    prefix, year, number = match.group(1), int(match.group(2)), int(match.group(3))
    name = _counter(prefix, year)
    _ensure(conn, name)
    conn.execute(
        text("UPDATE counter SET value = :v WHERE name = :n AND value < :v"),
        {"n": name, "v": number},
    )
