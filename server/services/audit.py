"""The audit log: who read which record with personal data, when, from which device.

Audited: every record sent to a partner (PCSO, councillor), every record of an entity with
restricted fields sent to anyone (``AUDITED``), every record in a CSV export and every report
downloaded. A manager reads it back for one record as CSV (``GET /api/v1/audit``).

An audit write never fails the read it records, nor holds it up for long. ``AuditWriter.record``
writes the rows in a short transaction of its own that waits at most ``wait_seconds`` (0.1 s)
for the database: on SQLite the writers hold one lock, and a reader paging through a download
while officers push would otherwise wait seconds on every page (on
PostgreSQL it does not take the writers' lock at all: an insert needs no ``seq``). If that
fails, the rows are kept in memory and a thread of the writer's own retries them with
back-off; at shutdown whatever still cannot be written is logged at ERROR, one line per
row with every column, so nothing is lost silently.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from fieldapp.ids import to_wire
from fieldapp.sync.protocol import ENTITIES
from server.db import insert_many, is_sqlite
from server.models import AUDIT

log = logging.getLogger("server.audit")

# Entities whose records hold restricted (personal) fields: reading one is audited.
AUDITED: frozenset[str] = frozenset(name for name, e in ENTITIES.items() if e.restricted)


def rows_for(
    *, user_id: str, device_id: str | None, action: str, at: datetime, read: Iterable[Any]
) -> list[dict[str, Any]]:
    """Audit rows for ``read``: (entity, record id) pairs."""
    return [
        {
            "at": at,
            "user_id": user_id,
            "device_id": device_id,
            "action": action,
            "entity": entity,
            "record_id": rid,
        }
        for entity, rid in read
    ]


class AuditWriter:
    """Writes audit rows now if it can, later if it must (one per application)."""

    def __init__(
        self,
        engine: Engine,
        *,
        wait_seconds: float = 0.1,
        retry_wait_seconds: float = 2.0,
        busy_timeout_ms: int = 15_000,
        max_pending: int = 200_000,
    ) -> None:
        self._engine = engine
        self._wait_ms = int(wait_seconds * 1000)
        self._retry_wait_ms = int(retry_wait_seconds * 1000)
        self._busy_timeout_ms = busy_timeout_ms
        self._max_pending = max_pending
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._retry, name="audit-retry", daemon=True)

    def start(self) -> AuditWriter:
        self._thread.start()
        return self

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def record(self, rows: list[dict[str, Any]]) -> None:
        """Store ``rows``, or queue them for the retry thread; never raises."""
        if not rows:
            return
        try:
            self._write(rows, wait_ms=self._wait_ms)
        except SQLAlchemyError as exc:
            log.warning("audit write deferred (%d rows): %s", len(rows), _reason(exc))
            self._keep(rows)
            self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued (one last try); log at ERROR what still cannot be."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._lock:
            left, self._pending = self._pending, []
        if left:
            try:
                self._write(left, wait_ms=self._retry_wait_ms)
            except SQLAlchemyError as exc:
                _log_lost(left, _reason(exc))

    def _write(self, rows: list[dict[str, Any]], *, wait_ms: int) -> None:
        with self._engine.connect() as conn:
            sqlite = is_sqlite(conn)
            # The driver's own connection: a PRAGMA through SQLAlchemy would open a transaction.
            raw: Any = conn.connection.dbapi_connection
            if sqlite:  # wait less than a push would: the read is answered either way
                raw.execute(f"PRAGMA busy_timeout={wait_ms}")
            try:
                with conn.begin():
                    if not sqlite:
                        conn.execute(text(f"SET LOCAL lock_timeout = {wait_ms}"))
                        conn.execute(text(f"SET LOCAL statement_timeout = {wait_ms}"))
                    insert_many(conn, AUDIT, rows)
            finally:
                if sqlite:
                    raw.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")

    def _keep(self, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            room = self._max_pending - len(self._pending)
            self._pending.extend(rows[:room])
        if room < len(rows):  # memory is bounded; the log still holds every row
            _log_lost(rows[max(room, 0) :], "too many audit rows waiting")

    def _retry(self) -> None:
        delay = 0.5
        while not self._stopping:
            self._wake.wait(timeout=delay)
            self._wake.clear()
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch or self._stopping:
                with self._lock:
                    self._pending[:0] = batch
                delay = 0.5
                continue
            try:
                self._write(batch, wait_ms=self._retry_wait_ms)
                log.info("audit: %d deferred rows written", len(batch))
                delay = 0.5
            except SQLAlchemyError as exc:
                log.warning("audit retry failed (%d rows): %s", len(batch), _reason(exc))
                with self._lock:
                    self._pending[:0] = batch
                delay = min(delay * 2, 30.0)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).splitlines()[0][:200]


def _log_lost(rows: list[dict[str, Any]], why: str) -> None:
    for row in rows:
        entry = {**row, "at": to_wire(row["at"])}
        log.error("audit row not stored (%s): %s", why, json.dumps(entry, sort_keys=True))
