"""Identifiers and wire times: UUIDv7 ids made on the device, ISO 8601 UTC strings.

Standard library only (Python 3.11 has no ``uuid.uuid7``), so the server can use it too.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> str:
    """A UUIDv7 string: time-ordered (millisecond prefix, monotonic within a process)."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter >= 1 << 12:  # 12-bit counter spent: borrow the next millisecond
                ms += 1
                _counter = 0
        else:
            _counter = 0
        _last_ms = ms
        rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | _counter << 64 | 0b10 << 62 | rand
    return str(uuid.UUID(int=value))


def to_wire(moment: datetime) -> str:
    """A timezone-aware datetime as the wire form ``2026-06-10T09:00:00Z`` (UTC)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every stored time is timezone-aware UTC")
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def from_wire(text: str) -> datetime:
    """Parse a wire time (``Z`` or an offset) into an aware UTC datetime."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time without an offset: {text!r}")
    return parsed.astimezone(UTC)
