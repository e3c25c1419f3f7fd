"""A hybrid logical clock for the honest "edited at" time (``client_time``) of each mutation.

Server order, not this clock, decides conflicts; the clock only makes the times a device sends
trustworthy: never going backwards (a tablet's wall clock can be reset) and never earlier than
a ``server_time`` the device has already seen (a slow clock cannot claim an edit happened before
something it knew about). The logical counter of a classic HLC is folded into the microsecond
digits: each tick is at least one microsecond after the last, so times stay plain ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the clock needs timezone-aware times")
    return (moment - _EPOCH) // timedelta(microseconds=1)


class HybridLogicalClock:
    """Monotonic, causally consistent timestamps; its state is one integer kept in ``meta``."""

    def __init__(self, last_us: int = 0) -> None:
        self.last_us = last_us

    @classmethod
    def from_state(cls, state: str | None) -> HybridLogicalClock:
        return cls(int(state) if state else 0)

    @property
    def state(self) -> str:
        return str(self.last_us)

    def tick(self, wall: datetime) -> datetime:
        """The time of a local event happening at wall-clock ``wall``."""
        self.last_us = max(_micros(wall), self.last_us + 1)
        return _EPOCH + timedelta(microseconds=self.last_us)

    def observe(self, remote: datetime) -> None:
        """Take in a time received from the server, so later ticks come after it."""
        self.last_us = max(self.last_us, _micros(remote))
