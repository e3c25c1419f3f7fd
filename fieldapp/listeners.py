"""A thread-safe set of change listeners, shared by the device wiring and the app state.

Sync runs on a background thread while screens subscribe and unsubscribe on the UI side, so
adding, removing and taking a snapshot to call are each done under one lock. Calling the
snapshot, and what to do when a listener fails, is the owner's business.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Listener = Callable[[], None]


class Listeners:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Listener] = []

    def add(self, listener: Listener) -> Callable[[], None]:
        """Add ``listener``; returns the function that removes it again."""
        with self._lock:
            self._items.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._items:
                    self._items.remove(listener)

        return remove

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[Listener]:
        """The listeners now, to call outside the lock (a listener may unsubscribe itself)."""
        with self._lock:
            return list(self._items)
