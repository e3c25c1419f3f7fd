"""Server-issued references: ``ASB-2026-0001`` for a case, ``REP-2026-0001`` for a repair.

A record of an entity in ``REFERENCE_PREFIXES`` gets its reference at its first write on the
server (a device's first push of it), numbered in order within the year (Europe/London) from
a ``counter`` row per prefix and year. A reference written by the server itself (the demo
seed, an import) moves the counter past it.

- SQLite has one writer at a time (``BEGIN IMMEDIATE``): one ``References`` serves one write
  transaction, reads each row it needs once, numbers in memory and writes the rows back at
  flush, inside that transaction; a push that commits nothing uses no number.
- PostgreSQL runs pushes side by side (docs/sync-protocol.md, concurrent writers), so a
  counter row locked until a push commits would queue every push that creates a case behind
  it. There each number is taken in a transaction of its own, on a pool of its own
  (``server.db.side_engine``), committed at once (the row is locked for that moment only):
  numbers stay unique and in the order they were given, and a push that rolls back leaves a
  gap.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, text, update

from server.db import side_engine
from server.models import COUNTER

_LONDON = ZoneInfo("Europe/London")
_FORM = re.compile(r"^([A-Z]{2,5})-(\d{4})-(\d{4,9})$")


def _counter(prefix: str, year: int) -> str:
    return f"ref:{prefix}-{year}"


class References:
    """The reference counters of one write transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._concurrent = conn.dialect.name == "postgresql"
        self._last: dict[str, int] = {}  # counter row → last number given (in memory)
        self._read: dict[str, int] = {}  # counter row → its value when read
        self._block: dict[str, deque[int]] = {}  # PostgreSQL: numbers taken, not yet given

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

    def _own(self, name: str, sql: str, value: int = 0) -> int:
        """PostgreSQL: ``sql`` on the counter row in a transaction of its own, committed now."""
        with side_engine(self.conn.engine).begin() as own:
            # Not waited on to disk: the push that uses the number commits after this and
            # flushes the log past it; a number whose push never commits may be given again.
            own.execute(text("SET LOCAL synchronous_commit = off"))
            own.execute(
                text(
                    "INSERT INTO counter (name, value) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"
                ),
                {"n": name},
            )
            return int(own.execute(text(sql), {"n": name, "v": value}).scalar_one())

    def reserve(self, prefix: str, now: datetime, count: int) -> None:
        """PostgreSQL: take ``count`` numbers in one short transaction, for the records a push
        is about to create (one commit, not one per case); ``issue`` gives them out in order.
        One a push does not use (its mutation refused) leaves a gap, as a rollback does."""
        if not self._concurrent or count < 2:
            return
        name = _counter(prefix, now.astimezone(_LONDON).year)
        sql = "UPDATE counter SET value = value + :v WHERE name = :n RETURNING value"
        top = self._own(name, sql, count)
        self._block.setdefault(name, deque()).extend(range(top - count + 1, top + 1))

    def issue(self, prefix: str, now: datetime) -> str:
        """The next reference of ``prefix`` for the year ``now`` falls in (London time)."""
        year = now.astimezone(_LONDON).year
        name = _counter(prefix, year)
        if self._block.get(name):
            number = self._block[name].popleft()
        elif self._concurrent:
            sql = "UPDATE counter SET value = value + 1 WHERE name = :n RETURNING value"
            number = self._own(name, sql)
        else:
            number = self._value(name) + 1
            self._last[name] = number
        return f"{prefix}-{year}-{number:04d}"

    def note(self, reference: str) -> None:
        """Move the counter past a reference the server wrote itself (seed, import)."""
        match = _FORM.match(reference)
        if match is None:
            return
        name = _counter(match.group(1), int(match.group(2)))
        if self._concurrent:
            sql = "UPDATE counter SET value = GREATEST(value, :v) WHERE name = :n RETURNING value"
            self._own(name, sql, int(match.group(3)))
        else:
            self._last[name] = max(self._value(name), int(match.group(3)))

    def flush(self) -> None:
        """Write back the counters that moved (in the caller's transaction)."""
        for name, last in self._last.items():
            if last != self._read[name]:
                self.conn.execute(update(COUNTER).where(COUNTER.c.name == name).values(value=last))
                self._read[name] = last
