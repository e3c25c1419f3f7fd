"""Passwords: the policy a new password must meet, and a bounded pool that hashes them.

Hashing (scrypt, 16 MiB and ~0.1 s of CPU each) never runs inside a database transaction:
a sign-in reads the user, checks the password here, and only then takes the writers' lock
for the short insert of its token. The pool has a fixed number of threads and a bounded
queue; past that a sign-in is told to come back (``429 rate_limited``) instead of piling up
memory and starving the event loop. The policy is a pure function of the password and the
username: at least 12 characters, and neither it nor its core (the password without the
digits and symbols around it, so ``Password2024!`` counts as ``password``) may be one of
the 10,000 most common passwords bundled in ``server/data/common-passwords.txt``, nor the
username, nor a common password or a short pattern repeated (``passwordpassword``), nor
the username with a few characters around it (``officer2officer2``, ``halton-officer2``), nor
a run of keys along the keyboard (``qwertyuiopasdfgh``).
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import TypeVar

T = TypeVar("T")
MIN_LENGTH = 12
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list, lower-cased (read once)."""
    text = resources.files("server").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _unit(text: str) -> str:
    """The shortest piece that ``text`` repeats (``abcabc`` → ``abc``); the text if none."""
    for n in range(1, len(text) // 2 + 1):
        if len(text) % n == 0 and text[:n] * (len(text) // n) == text:
            return text[:n]
    return text


def policy_problem(password: str, *, username: str = "") -> str | None:
    """Why this password may not be used, or None if it may (a sentence for a person)."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    lowered = password.lower()
    core = _EDGES.sub("", lowered)
    common = common_passwords()
    if {lowered, core, _unit(lowered), _unit(core)} & common:
        return "this password is one of the most common ones; choose another"
    if not core or len(set(lowered)) <= 2 or len(_unit(lowered)) <= 4:
        return "this password is too easy to guess; choose another"
    name = username.lower()
    if name and (core == name or lowered == name or core == _EDGES.sub("", name)):
        return "a password must not be the username"
    if name and len(_without(lowered, name)) < _LEFT_BESIDE_NAME:
        return "a password must be more than the username with a few characters around it"
    if len(core) >= 8 and any(core in walk for walk in _WALKS):
        return "this password is a run of keys on the keyboard; choose another"
    return None


# What must be left of a password once the username (and its letters alone: ``officer`` of
# ``officer2``) is taken out of it, wherever it stands and however often (``2officer2officer``).
_LEFT_BESIDE_NAME = 6
_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_WALKS = ("".join(_ROWS), "".join(_ROWS)[::-1], "qwertzuiop", "azertyuiop")


def _without(password: str, name: str) -> str:
    """``password`` with every occurrence of ``name`` and of its letters-only stem removed,
    and the digits and symbols that then only stand around it."""
    for part in {name, re.sub(r"[\W\d_]+", "", name)}:
        if len(part) >= 3:
            password = password.replace(part, "")
    return re.sub(r"[\W\d_]+", "", password)


class HashPool:
    """A few threads for password hashing, with a bounded queue (``try_run`` refuses past it)."""

    def __init__(self, *, workers: int = 2, max_waiting: int = 16) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password")
        self._slots = threading.BoundedSemaphore(workers + max_waiting)

    async def run(self, fn: Callable[..., T], *args: object) -> T | None:
        """``fn(*args)`` on the pool, awaited without blocking the loop; None when full.

        The slot is given back when the work ends, not when the caller stops waiting: a
        client that hangs up mid-sign-in does not free room for more work than the pool does.
        """
        if not self._slots.acquire(blocking=False):
            return None
        try:
            future = self._executor.submit(fn, *args)
        except RuntimeError:  # shut down
            self._slots.release()
            raise
        future.add_done_callback(lambda _f: self._slots.release())
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
