"""Server-issued references: ``ASB-2026-0001`` for a case, ``REP-2026-0001`` for a repair.

A record of an entity in ``REFERENCE_PREFIXES`` gets its reference at its first write on the
server (a device's first push of it), numbered in order within the year (Europe/London) from
a ``counter`` row per prefix and year. One ``References`` serves one write transaction: it
reads each row it needs once (locking it on PostgreSQL), numbers in memory and writes the
rows back at flush, inside the same transaction. Writers are serialised (``BEGIN IMMEDIATE``
on SQLite, the ``seq`` row lock on PostgreSQL), so no number is given twice, and a push that
commits nothing uses none. A reference written by the server itself (the demo seed, an
import) moves the counter past it.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, text, update

from server.models import COUNTER

_LONDON = ZoneInfo("Europe/London")
_FORM = re.compile(r"^([A-Z]{2,5})-(\d{4})-(\d{4,9})$")


def _counter(prefix: str, year: int) -> str:
    return f"ref:{prefix}-{year}"


class References:
    """The reference counters of one write transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._last: dict[str, int] = {}  # counter row → last number given (in memory)
        self._read: dict[str, int] = {}  # counter row → its value when read

    def _value(self, name: str) -> int:
        if name not in self._last:
            self.conn.execute(
                text(
                    "INSERT INTO counter (name, value) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"
                ),
                {"n": name},
            )
            stmt = select(COUNTER.c.value).where(COUNTER.c.name == name).with_for_update()
            value = int(self.conn.execute(stmt).scalar_one())
            self._last[name] = self._read[name] = value
        return self._last[name]

    def issue(self, prefix: str, now: datetime) -> str:
        """The next reference of ``prefix`` for the year ``now`` falls in (London time)."""
        year = now.astimezone(_LONDON).year
        name = _counter(prefix, year)
        number = self._value(name) + 1
        self._last[name] = number
        return f"{prefix}-{year}-{number:04d}"

    def note(self, reference: str) -> None:
        """Move the counter past a reference the server wrote itself (seed, import)."""
        match = _FORM.match(reference)
        if match is None:
            return
        name = _counter(match.group(1), int(match.group(2)))
        self._last[name] = max(self._value(name), int(match.group(3)))

    def flush(self) -> None:
        """Write back the counters that moved (in the caller's transaction)."""
        for name, last in self._last.items():
            if last != self._read[name]:
                self.conn.execute(update(COUNTER).where(COUNTER.c.name == name).values(value=last))
                self._read[name] = last
