"""``AppState``: the one object every screen is given.

It wraps the device's store (records, outbox, conflicts) and the device's sync runner behind
the small API below (``StoreAPI``, ``DeviceAPI`` and the methods of ``AppState``), adds what a screen needs that is not data (the clock, the last
known position, navigation, short messages) and tells subscribed screens when something
changed. No Flet here: the shell injects ``navigate``, ``toast`` and ``dispatch`` (run a
function on the UI thread), so the whole object is unit-tested with a real store and no
browser. Partners (PCSO, councillor) only ever hold the server's projection for their role;
on top of that, the walkabouts a partner did not join are hidden here too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from fieldapp.listeners import Listener, Listeners
from fieldapp.store.household import HouseholdEvent
from fieldapp.sync.protocol import PARTNER_ROLES

__all__ = ["AppState", "DeviceAPI", "HouseholdEvent", "StoreAPI", "joined"]

log = logging.getLogger(__name__)


class StoreAPI(Protocol):
    """The part of ``fieldapp.store.Store`` the screens reach through ``AppState``."""

    def get(self, entity: str, id: str) -> dict[str, Any] | None: ...
    def find(self, entity: str, field: str, value: Any) -> list[dict[str, Any]]: ...
    def all(self, entity: str) -> list[dict[str, Any]]: ...
    def search_properties(self, text: str, *, limit: int = 50) -> list[dict[str, Any]]: ...
    def create(self, entity: str, data: dict[str, Any], *, now: datetime) -> dict[str, Any]: ...
    def update(
        self, entity: str, id: str, patch: dict[str, Any], *, now: datetime
    ) -> dict[str, Any]: ...
    def delete(self, entity: str, id: str, *, now: datetime) -> None: ...
    def household_event(self, event: HouseholdEvent, *, now: datetime) -> dict[str, Any]: ...


class DeviceAPI(Protocol):
    """What ``fieldapp.services.Device`` offers the state: one per data folder (one tablet)."""

    @property
    def store(self) -> StoreAPI: ...
    @property
    def sync(self) -> Any: ...  # fieldapp.sync.state.SyncState (latest snapshot)
    @property
    def server_url(self) -> str: ...
    def tile(self, z: int, x: int, y: int) -> bytes | None: ...
    @property
    def tile_zooms(self) -> list[int]: ...
    def set_server_url(self, url: str) -> None: ...
    def user(self) -> dict[str, Any] | None: ...
    def sign_in(self, *, server_url: str, username: str, password: str) -> dict[str, Any]: ...
    def sign_out(self) -> None: ...
    def report_link(self, walkabout_id: str, *, lifetime_seconds: int | None = None) -> Any: ...
    def unsynced_summary(self) -> dict[str, int]: ...
    def add_photo(
        self,
        *,
        parent_entity: str,
        parent_id: str,
        data: bytes,
        caption: str | None,
        position: tuple[float, float] | None,
        now: datetime,
    ) -> dict[str, Any]: ...
    def resolve_conflict(self, conflict_id: str, resolution: str, value: Any) -> dict[str, Any]: ...
    def pending(self) -> list[dict[str, Any]]: ...
    def pending_count(self) -> int: ...
    def photo_path(self, sha256: str, *, thumb: bool = False) -> Any: ...
    def fetch_photo(self, sha256: str) -> bytes | None: ...
    def delete_photo(self, photo_id: str, *, now: datetime) -> None: ...
    @property
    def photo_cache_mb(self) -> int: ...
    def set_photo_cache_mb(self, megabytes: int) -> None: ...
    def cache_summary(self) -> dict[str, int]: ...
    def dead_letters(self) -> list[dict[str, Any]]: ...
    def open_conflicts(self) -> list[dict[str, Any]]: ...
    def request_sync(self) -> None: ...
    def subscribe(self, listener: Listener) -> Callable[[], None]: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def joined(walkabout: Mapping[str, Any], user_id: str) -> bool:
    """Whether ``user_id`` is among the walkabout's participants."""
    people = walkabout.get("participants") or []
    return any(isinstance(p, Mapping) and p.get("user_id") == user_id for p in people)


class AppState:
    """The state of one app session (one browser tab / one tablet screen)."""

    def __init__(
        self,
        device: DeviceAPI,
        *,
        clock: Callable[[], datetime] = _utc_now,
        navigate: Callable[[str, dict[str, str]], None] | None = None,
        toast: Callable[[str], None] | None = None,
        dispatch: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self.device = device
        self._clock = clock
        self._navigate = navigate
        self._toast = toast
        # Store and sync notifications arrive on the sync thread; screens must be touched on
        # the UI thread, so every listener call goes through ``dispatch``.
        self._dispatch = dispatch or (lambda fn: fn())
        self._listeners = Listeners()
        self._position: tuple[float, float] | None = None
        self.route: str = "/"
        self.params: dict[str, str] = {}
        self.messages: list[str] = []  # every toast, newest last (tests and the shell read it)
        # The shell's own listener (status line); unlike screens' listeners it is never dropped.
        self.shell_listener: Listener | None = None
        # Set by a form: True while it holds changes not yet saved. The shell asks before
        # leaving such a screen (and forgets the guard when another screen is shown).
        self.leave_guard: Callable[[], bool] | None = None
        self._unhook = device.subscribe(self._changed)

    # --- who is signed in ------------------------------------------------------------------
    @property
    def user(self) -> dict[str, Any] | None:
        return self.device.user()

    @property
    def role(self) -> str:
        user = self.user
        return str(user.get("role") or "") if user else ""

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES

    @property
    def sync(self) -> Any:
        return self.device.sync

    @property
    def server_url(self) -> str:
        return self.device.server_url

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """A map tile cached on this tablet (from the server's tile source), or None."""
        return self.device.tile(z, x, y)

    @property
    def tile_zooms(self) -> list[int]:
        """The zoom levels the tile cache holds (empty: no tile source, plan only)."""
        return self.device.tile_zooms

    def sign_in(self, *, server_url: str, username: str, password: str) -> dict[str, Any]:
        """Enrol this device and sign in (blocking network call: run it off the UI thread)."""
        user = self.device.sign_in(server_url=server_url, username=username, password=password)
        self._changed()
        return user

    def sign_out(self) -> None:
        """Wipe local data (the screen warns first about anything not yet synced)."""
        self.device.sign_out()
        self._changed()

    def report_link(self, walkabout_id: str, *, lifetime_seconds: int | None = None) -> Any:
        """A signed link to a walkabout's report (blocking network call: run it off the UI
        thread); ``fieldapp.sync.reports.ReportLink``, or ``ReportUnavailable``."""
        return self.device.report_link(walkabout_id, lifetime_seconds=lifetime_seconds)

    def unsynced_summary(self) -> dict[str, int]:
        """Counts of what signing out would lose: pending changes, photos, conflicts, errors."""
        return self.device.unsynced_summary()

    def set_server_url(self, url: str) -> None:
        self.device.set_server_url(url)
        self._changed()

    # --- time and place --------------------------------------------------------------------
    def now(self) -> datetime:
        return self._clock()

    def position(self) -> tuple[float, float] | None:
        return self._position

    def set_position(self, lat: float, lon: float) -> None:
        """Called by the shell when the Geolocator reports a fix."""
        self._position = (lat, lon)
        self._changed()

    # --- records ---------------------------------------------------------------------------
    def _filter(self, entity: str) -> Callable[[dict[str, Any]], bool] | None:
        """For partners, which records of ``entity`` they may see; None: all of them.

        Partners see only walkabouts they joined, and observations on those. Worked out once
        per call (not per record): ``user`` is a read of the store.
        """
        if entity not in ("walkabout", "observation") or not self.is_partner:
            return None
        uid = str((self.user or {}).get("id") or "")
        if entity == "walkabout":
            return lambda r: joined(r, uid)
        mine = {w["id"] for w in self.device.store.all("walkabout") if joined(w, uid)}
        return lambda r: r.get("walkabout_id") in mine

    def _visible(self, entity: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keep = self._filter(entity)
        return rows if keep is None else [r for r in rows if keep(r)]

    def get(self, entity: str, id: str) -> dict[str, Any] | None:
        record = self.device.store.get(entity, id)
        if record is None or not self._visible(entity, [record]):
            return None
        return record

    def find(self, entity: str, field: str, value: Any) -> list[dict[str, Any]]:
        return self._visible(entity, self.device.store.find(entity, field, value))

    def all(self, entity: str) -> list[dict[str, Any]]:
        return self._visible(entity, self.device.store.all(entity))

    def search_properties(self, text: str, *, limit: int = 50) -> list[dict[str, Any]]:
        return self.device.store.search_properties(text, limit=limit)

    def create(self, entity: str, data: dict[str, Any]) -> dict[str, Any]:
        record = self.device.store.create(entity, data, now=self.now())
        self._wrote()
        return record

    def update(self, entity: str, id: str, patch: dict[str, Any]) -> dict[str, Any]:
        record = self.device.store.update(entity, id, patch, now=self.now())
        self._wrote()
        return record

    def delete(self, entity: str, id: str) -> None:
        self.device.store.delete(entity, id, now=self.now())
        self._wrote()

    def household_event(self, event: HouseholdEvent) -> dict[str, Any]:
        """A household change as one store call (person, task note, suggestions)."""
        record = self.device.store.household_event(event, now=self.now())
        self._wrote()
        return record

    def add_photo(
        self, *, parent_entity: str, parent_id: str, data: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        """Resize and store a photo (raises ``fieldapp.photos.PhotoError`` on a bad image)."""
        record = self.device.add_photo(
            parent_entity=parent_entity,
            parent_id=parent_id,
            data=data,
            caption=caption,
            position=self._position,
            now=self.now(),
        )
        self._wrote()
        return record

    def photo_path(self, photo: Mapping[str, Any], *, thumb: bool = False) -> str | None:
        """Where this tablet keeps a photo's file (None until it is here)."""
        path = self.device.photo_path(str(photo.get("sha256") or ""), thumb=thumb)
        return None if path is None else str(path)

    def photo_bytes(self, photo: Mapping[str, Any], *, thumb: bool = True) -> bytes | None:
        """A photo's JPEG bytes (what an ``ft.Image`` needs in web mode), or None."""
        path = self.photo_path(photo, thumb=thumb)
        if path is None:
            return None
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except OSError:
            return None

    def full_photo(self, photo: Mapping[str, Any]) -> bytes | None:
        """Full size for a tap (blocking: off the UI thread); None when it cannot come now."""
        sha = str(photo.get("sha256") or "")
        return self.device.fetch_photo(sha) if sha else None

    def set_caption(self, photo_id: str, caption: str) -> dict[str, Any]:
        return self.update("photo", photo_id, {"caption": caption.strip() or None})

    def delete_photo(self, photo_id: str) -> None:
        """Delete a photo: gone here at once, a tombstone for the server (which keeps bytes)."""
        self.device.delete_photo(photo_id, now=self.now())
        self._wrote()

    @property
    def photo_cache_mb(self) -> int:
        return self.device.photo_cache_mb

    def set_photo_cache_mb(self, megabytes: int) -> None:
        self.device.set_photo_cache_mb(megabytes)
        self._changed()

    def cache_summary(self) -> dict[str, int]:
        """Bytes kept for offline use (pictures, map tiles) and their budgets."""
        return self.device.cache_summary()

    def resolve_conflict(
        self, conflict_id: str, resolution: str, value: Any = None
    ) -> dict[str, Any]:
        record = self.device.resolve_conflict(conflict_id, resolution, value)
        self._wrote()
        return record

    # --- sync ------------------------------------------------------------------------------
    def pending(self) -> list[dict[str, Any]]:
        """Outbox entries not yet accepted by the server."""
        return self.device.pending()

    def pending_count(self) -> int:
        """How many changes wait to be sent (cheaper than ``len(pending())``)."""
        return self.device.pending_count()

    def dead_letters(self) -> list[dict[str, Any]]:
        """Changes the server refused, with its error."""
        return self.device.dead_letters()

    def open_conflicts(self) -> list[dict[str, Any]]:
        """Conflicts waiting for a person to decide."""
        return self.device.open_conflicts()

    def sync_now(self) -> None:
        self.device.request_sync()

    def _wrote(self) -> None:
        self._changed()
        self.device.request_sync()  # a local write goes out as soon as a connection allows

    # --- notifications, navigation, messages -----------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def drop_listeners(self) -> None:
        """Forget every screen's listener (the shell calls it when it changes screen)."""
        self._listeners.clear()

    def close(self) -> None:
        """The session ended: stop hearing from the device."""
        self.drop_listeners()
        self._unhook()

    def _changed(self) -> None:
        self._dispatch(self._fire)

    def _fire(self) -> None:
        listeners = self._listeners.snapshot()
        if self.shell_listener is not None:
            self.shell_listener()
        for listener in listeners:
            listener()

    def go(self, route: str, **params: str) -> None:
        self.route, self.params = route, dict(params)
        if self._navigate is not None:
            self._navigate(route, dict(params))

    def toast(self, message: str) -> None:
        self.messages.append(message)
        if self._toast is not None:
            self._toast(message)
