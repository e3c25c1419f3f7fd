"""Sign-in throttling: back-off per (username, address), per address and per username.

Three buckets, each counting failed attempts with an exponential back-off that is capped
(bounded: nobody waits longer than the cap after the last counted failure):

- **(username, address)**, strong: a few free tries, then 1 s, 2 s, 4 s … up to 15 min. This
  is what stops a guesser at one address, and it touches nobody else.
- **address**, looser: a flood from one address (many usernames) is slowed without slowing
  any other address; a successful sign-in does not reset it (an attacker with an account of
  their own could otherwise clear it at will).
- **username**, gentle and short: guessing one account from many addresses is slowed to one
  try per minute at worst. A tablet that has held this user's token before (a known device)
  is not held back by it, so an attacker cannot lock a real user out of their own tablet.

An attempt is counted when it starts (so 40 parallel tries are throttled at once, not after
they have all been hashed) and refunded on success. Attempts refused by the throttle are not
counted, which is what keeps the back-off bounded. Time is a parameter (``now``: seconds on
any monotonic clock); the state is in memory, per process (``docs/operations.md``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """``free`` failures cost nothing; then each waits ``base * 2**k`` seconds, at most ``cap``.

    A bucket is forgotten ``forget`` seconds after its last counted failure.
    """

    free: int
    base: float
    cap: float
    forget: float

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.base * 2.0 ** min(failures - self.free, 30), self.cap)


@dataclass(frozen=True)
class Limits:
    pair: Rule = Rule(free=5, base=1.0, cap=900.0, forget=3600.0)
    address: Rule = Rule(free=30, base=1.0, cap=60.0, forget=900.0)
    username: Rule = Rule(free=10, base=1.0, cap=60.0, forget=900.0)
    max_buckets: int = 100_000  # memory bound: the oldest are forgotten first


@dataclass
class _Bucket:
    failures: int = 0
    last: float = -math.inf


@dataclass
class SignInThrottle:
    """Thread-safe; one per application (``app.state.signin_throttle``)."""

    limits: Limits = field(default_factory=Limits)
    _buckets: dict[tuple[str, ...], _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, username: str, address: str, *, known_device: bool, now: float) -> float:
        """0 and the attempt is counted, or the seconds to wait (nothing is counted)."""
        keys = self._keys(username, address, known_device)
        with self._lock:
            wait = 0.0
            for key, rule in keys:
                bucket = self._buckets.get(key)
                if bucket is None:
                    continue
                if now - bucket.last > rule.forget:
                    del self._buckets[key]
                    continue
                wait = max(wait, bucket.last + rule.delay(bucket.failures) - now)
            if wait > 0:
                return wait
            for key, _rule in keys:
                bucket = self._buckets.pop(key, None) or _Bucket()
                bucket.failures += 1
                bucket.last = now
                self._buckets[key] = bucket  # re-inserted: the dict stays oldest-first
            self._trim()
            return 0.0

    def succeeded(self, username: str, address: str, *, known_device: bool) -> None:
        """The password was right: this pair starts afresh, the others lose the one counted."""
        with self._lock:
            self._buckets.pop(("pair", username, address), None)
            self._uncount(self._keys(username, address, known_device)[1:])

    def refund(self, username: str, address: str, *, known_device: bool) -> None:
        """The attempt was never judged (the server was busy): take back what it counted."""
        with self._lock:
            self._uncount(self._keys(username, address, known_device))

    def _uncount(self, keys: list[tuple[tuple[str, ...], Rule]]) -> None:
        for key, _rule in keys:
            bucket = self._buckets.get(key)
            if bucket is not None and bucket.failures > 0:
                bucket.failures -= 1

    def _keys(
        self, username: str, address: str, known_device: bool
    ) -> list[tuple[tuple[str, ...], Rule]]:
        keys: list[tuple[tuple[str, ...], Rule]] = [
            (("pair", username, address), self.limits.pair),
            (("address", address), self.limits.address),
        ]
        if not known_device:
            keys.append((("username", username), self.limits.username))
        return keys

    def _trim(self) -> None:
        extra = len(self._buckets) - self.limits.max_buckets
        if extra > 0:
            for key in list(self._buckets)[:extra]:
                del self._buckets[key]
